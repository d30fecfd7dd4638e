//! The `serde` feature: round trips, and corrupt documents rejected with a reason.

use perfkit_profile::{
    Comparison, Estimate, Histogram, RegressionDetector, Verdict, record, snapshot,
};
use serde_json::{Value, json};

#[test]
fn histograms_round_trip() {
    for h in [
        Histogram::new(),
        [0u64, 1, 255, 256, 1 << 40, u64::MAX].into_iter().collect(),
        {
            let mut h = Histogram::with_precision(3);
            h.record_n(1_000_000, 17);
            h
        },
    ] {
        let text = serde_json::to_string(&h).unwrap();
        let back: Histogram = serde_json::from_str(&text).unwrap();
        assert_eq!(back, h, "{text}");
    }
    let h: Histogram = [300u64, 300, 5].into_iter().collect();
    assert_eq!(
        serde_json::to_value(&h).unwrap(),
        json!({"precision": 7, "min": 5, "max": 300, "sum": 605, "buckets": [[5, 1], [300, 2]]})
    );
}

#[test]
fn corrupt_histograms_are_rejected() {
    let ok =
        json!({"precision": 7, "min": 5, "max": 300, "sum": 605, "buckets": [[5, 1], [300, 2]]});
    let with = |key: &str, v: Value| {
        let mut doc = ok.clone();
        doc[key] = v;
        doc
    };
    let cases = [
        (with("precision", json!(13)), "precision 13 is out of range"),
        (
            with("buckets", json!([[5, 1], [301, 2]])),
            "bucket 1: 301 is not the start of a bucket",
        ),
        (
            with("buckets", json!([[300, 2], [5, 1]])),
            "bucket 1: buckets must be non-empty and in ascending order",
        ),
        (
            with("buckets", json!([[5, 1], [300, 0]])),
            "bucket 1: buckets must be non-empty",
        ),
        (
            with("min", json!(4)),
            "min/max do not lie in the first/last bucket",
        ),
        (
            with("max", json!(400)),
            "min/max do not lie in the first/last bucket",
        ),
        (with("sum", json!(1)), "sum is outside"),
        (
            with("min", Value::Null),
            "must all be present or all absent",
        ),
        (
            with("buckets", json!([])),
            "must all be present or all absent",
        ),
    ];
    for (doc, want) in cases {
        let err = serde_json::from_value::<Histogram>(doc.clone())
            .unwrap_err()
            .to_string();
        assert!(err.contains(want), "{doc}: {err}");
    }
    assert!(serde_json::from_value::<Histogram>(ok).is_ok());
}

#[test]
fn regression_types_round_trip_and_validate() {
    let e = Estimate::new(100.0, 95.0, 105.0).unwrap();
    let text = serde_json::to_string(&e).unwrap();
    assert_eq!(text, r#"{"median":100.0,"lower":95.0,"upper":105.0}"#);
    assert_eq!(serde_json::from_str::<Estimate>(&text).unwrap(), e);
    let err = serde_json::from_str::<Estimate>(r#"{"median":100.0,"lower":101.0,"upper":105.0}"#)
        .unwrap_err();
    assert!(
        err.to_string().contains("does not contain the median"),
        "{err}"
    );

    let c = RegressionDetector::new(e).check(Estimate::exact(200.0).unwrap());
    let back: Comparison = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
    assert_eq!(back, c);
    assert_eq!(back.verdict, Verdict::Regressed);
}

#[test]
fn snapshots_serialize_their_summary_and_histogram() {
    let _serial = crate::serial();
    record("serde/scope", 100);
    record("serde/scope", 300);
    let v = serde_json::to_value(snapshot()).unwrap();
    let scope = v["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "serde/scope")
        .unwrap();
    assert_eq!(scope["count"], 2);
    assert_eq!(scope["total_nanos"], 400);
    assert_eq!(scope["mean_nanos"], 200.0);
    assert_eq!(scope["min_nanos"], 100);
    assert_eq!(scope["max_nanos"], 300);
    assert_eq!(scope["histogram"]["buckets"], json!([[100, 1], [300, 1]]));
}
