//! Bencher Metric Format (BMF) JSON: `{benchmark: {measure: {value, lower_value,
//! upper_value}}}`, the input of continuous-benchmarking services such as Bencher
//! (`bencher run --adapter json --file bmf.json`). Each benchmark is criterion's full id
//! (`group/contender/size`) and has two measures:
//!
//! - `latency`: the median time per iteration in nanoseconds, with its confidence interval;
//! - `throughput` (when the group declares one): elements or bytes per second at the median,
//!   the interval's bounds converted the same way (the slow bound gives the lower value).

use serde_json::{Map, Value, json};

use crate::bench::report::Results;

/// The BMF document of `results`.
#[must_use]
pub fn render(results: &Results) -> String {
    let mut doc = Map::new();
    for e in &results.benchmarks {
        let m = &e.measurement;
        let mut measures = Map::new();
        measures.insert(
            "latency".into(),
            json!({
                "value": m.median.point,
                "lower_value": m.median.lower,
                "upper_value": m.median.upper,
            }),
        );
        if let Some(t) = &m.throughput {
            measures.insert(
                "throughput".into(),
                json!({
                    "value": t.per_second(m.median.point),
                    "lower_value": t.per_second(m.median.upper),
                    "upper_value": t.per_second(m.median.lower),
                }),
            );
        }
        doc.insert(m.id.clone(), Value::Object(measures));
    }
    let mut s = serde_json::to_string_pretty(&Value::Object(doc)).expect("JSON values serialize");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::report::tests::fixture_results as results_fixture;

    #[test]
    fn every_benchmark_has_latency_and_declared_throughput() {
        let results = results_fixture();
        let doc: Value = serde_json::from_str(&render(&results)).unwrap();
        let obj = doc.as_object().unwrap();
        assert_eq!(obj.len(), results.benchmarks.len());
        for e in &results.benchmarks {
            let b = &obj[&e.measurement.id];
            let lat = &b["latency"];
            assert_eq!(lat["value"], e.measurement.median.point);
            assert!(lat["lower_value"].as_f64() <= lat["value"].as_f64());
            assert!(lat["upper_value"].as_f64() >= lat["value"].as_f64());
            match &e.measurement.throughput {
                Some(t) => {
                    let th = &b["throughput"];
                    let v = th["value"].as_f64().unwrap();
                    assert!((v - t.per_second(e.measurement.median.point)).abs() < 1e-6 * v);
                    assert!(th["lower_value"].as_f64().unwrap() <= v);
                    assert!(th["upper_value"].as_f64().unwrap() >= v);
                }
                None => assert!(b.get("throughput").is_none()),
            }
            // Only the two measures BMF's built-in slugs name.
            assert!(
                b.as_object()
                    .unwrap()
                    .keys()
                    .all(|k| k == "latency" || k == "throughput")
            );
        }
    }
}
