//! The regression detector: the verdict table, estimate validation, medians from samples.

use perfkit_profile::{Direction, Estimate, RegressionDetector, RegressionError, Verdict};

fn est(median: f64, lower: f64, upper: f64) -> Estimate {
    Estimate::new(median, lower, upper).unwrap()
}

#[test]
fn verdicts() {
    use Direction::{HigherIsBetter as Higher, LowerIsBetter as Lower};
    use Verdict::{Improved, NoChange, Regressed};
    let base = est(100.0, 98.0, 102.0);
    // (current, threshold %, direction, verdict, change %, overlapping)
    let table = [
        (est(100.0, 99.0, 101.0), 20.0, Lower, NoChange, 0.0, true),
        (
            est(125.0, 124.0, 126.0),
            20.0,
            Lower,
            Regressed,
            25.0,
            false,
        ),
        (est(125.0, 101.0, 150.0), 20.0, Lower, NoChange, 25.0, true), // CIs overlap
        (est(120.0, 119.0, 121.0), 20.0, Lower, NoChange, 20.0, false), // exactly T: not beyond
        (
            est(121.0, 120.0, 122.0),
            20.0,
            Lower,
            Regressed,
            21.0,
            false,
        ),
        (est(115.0, 114.0, 116.0), 20.0, Lower, NoChange, 15.0, false), // within T
        (
            est(115.0, 114.0, 116.0),
            10.0,
            Lower,
            Regressed,
            15.0,
            false,
        ),
        (est(70.0, 69.0, 71.0), 20.0, Lower, Improved, -30.0, false),
        (est(70.0, 69.0, 99.0), 20.0, Lower, NoChange, -30.0, true),
        (est(80.0, 79.0, 81.0), 20.0, Lower, NoChange, -20.0, false),
        (est(102.5, 102.1, 103.0), 0.0, Lower, Regressed, 2.5, false), // T = 0: the CIs decide
        (est(102.5, 102.0, 103.0), 0.0, Lower, NoChange, 2.5, true),   // touching bounds overlap
        // Throughput: a drop is the regression.
        (est(70.0, 69.0, 71.0), 20.0, Higher, Regressed, -30.0, false),
        (
            est(130.0, 129.0, 131.0),
            20.0,
            Higher,
            Improved,
            30.0,
            false,
        ),
        (
            est(110.0, 109.0, 111.0),
            20.0,
            Higher,
            NoChange,
            10.0,
            false,
        ),
    ];
    for (i, (current, threshold, direction, verdict, change, overlapping)) in
        table.into_iter().enumerate()
    {
        let detector = RegressionDetector::with_threshold_pct(base, threshold)
            .unwrap()
            .direction(direction);
        let c = detector.check(current);
        assert_eq!(c.verdict, verdict, "row {i}: {c:?}");
        assert!((c.change_pct - change).abs() < 1e-9, "row {i}: {c:?}");
        assert_eq!(c.overlapping, overlapping, "row {i}");
    }
}

#[test]
fn the_default_threshold_is_two_percent_lower_is_better() {
    let d = RegressionDetector::new(Estimate::exact(1_000.0).unwrap());
    assert_eq!(d.threshold_pct(), 2.0);
    assert_eq!(RegressionDetector::DEFAULT_THRESHOLD_PCT, 2.0);
    assert_eq!(d.baseline(), Estimate::exact(1_000.0).unwrap());
    let check = |m: f64| d.check(Estimate::exact(m).unwrap()).verdict;
    assert_eq!(check(1_020.0), Verdict::NoChange);
    assert_eq!(check(1_021.0), Verdict::Regressed);
    assert_eq!(check(980.0), Verdict::NoChange);
    assert_eq!(check(979.0), Verdict::Improved);
}

#[test]
fn comparisons_display_verdict_and_change() {
    let d = RegressionDetector::new(est(100.0, 99.0, 101.0));
    assert_eq!(
        d.check(est(125.0, 124.0, 126.0)).to_string(),
        "regressed (+25.0%)"
    );
    assert_eq!(
        d.check(est(50.0, 49.0, 51.0)).to_string(),
        "improved (-50.0%)"
    );
    assert_eq!(
        d.check(est(103.14, 99.0, 105.0)).to_string(),
        "no change (+3.1%)"
    );
}

#[test]
fn bad_estimates_and_thresholds_are_typed_errors() {
    use RegressionError as E;
    let cases = [
        (
            Estimate::new(f64::NAN, 1.0, 2.0),
            E::NotFinite {
                what: "median",
                value: f64::NAN,
            },
        ),
        (
            Estimate::new(1.0, f64::NEG_INFINITY, 2.0),
            E::NotFinite {
                what: "lower bound",
                value: f64::NEG_INFINITY,
            },
        ),
        (
            Estimate::new(1.0, 0.5, f64::INFINITY),
            E::NotFinite {
                what: "upper bound",
                value: f64::INFINITY,
            },
        ),
        (
            Estimate::new(0.0, 0.0, 0.0),
            E::NonPositiveMedian { median: 0.0 },
        ),
        (
            Estimate::new(-3.0, -4.0, -2.0),
            E::NonPositiveMedian { median: -3.0 },
        ),
        (
            Estimate::new(5.0, 6.0, 7.0),
            E::BoundsOutOfOrder {
                lower: 6.0,
                median: 5.0,
                upper: 7.0,
            },
        ),
        (
            Estimate::new(5.0, 1.0, 4.0),
            E::BoundsOutOfOrder {
                lower: 1.0,
                median: 5.0,
                upper: 4.0,
            },
        ),
        (Estimate::from_samples(&[]), E::NoSamples),
        (
            Estimate::from_samples(&[1.0, f64::NAN]),
            E::NotFinite {
                what: "sample",
                value: f64::NAN,
            },
        ),
        (
            Estimate::from_samples(&[0.0, 0.0, 1.0]),
            E::NonPositiveMedian { median: 0.0 },
        ),
    ];
    for (i, (got, want)) in cases.into_iter().enumerate() {
        let got = got.unwrap_err();
        // NaN != NaN: compare the messages, which carry every field.
        assert_eq!(got.to_string(), want.to_string(), "case {i}");
        assert_eq!(
            std::mem::discriminant(&got),
            std::mem::discriminant(&want),
            "case {i}"
        );
    }
    assert_eq!(
        Estimate::new(5.0, 6.0, 7.0).unwrap_err().to_string(),
        "the confidence interval [6, 7] does not contain the median 5"
    );
    let base = Estimate::exact(1.0).unwrap();
    for pct in [-1.0, f64::NAN, f64::INFINITY] {
        let err = RegressionDetector::with_threshold_pct(base, pct).unwrap_err();
        assert!(matches!(err, E::InvalidThreshold { .. }), "{pct}: {err}");
    }
    assert!(RegressionDetector::with_threshold_pct(base, 0.0).is_ok());
}

#[test]
fn medians_and_intervals_from_samples() {
    let one = Estimate::from_samples(&[7.0]).unwrap();
    assert_eq!((one.median(), one.lower(), one.upper()), (7.0, 7.0, 7.0));

    let odd = Estimate::from_samples(&[5.0, 1.0, 3.0, 2.0, 4.0]).unwrap();
    assert_eq!((odd.median(), odd.lower(), odd.upper()), (3.0, 1.0, 5.0)); // n ≤ 5: extremes

    let even = Estimate::from_samples(&[4.0, 1.0, 3.0, 2.0]).unwrap();
    assert_eq!(even.median(), 2.5);

    // n = 100: the textbook 95% interval of the median is the 40th and 61st order statistics.
    let mut samples: Vec<f64> = (1..=100).map(f64::from).collect();
    samples.reverse();
    let e = Estimate::from_samples(&samples).unwrap();
    assert_eq!((e.median(), e.lower(), e.upper()), (50.5, 40.0, 61.0));
}

#[test]
fn intervals_overlap_when_they_share_a_point() {
    let a = est(10.0, 9.0, 11.0);
    assert!(a.overlaps(&est(11.5, 11.0, 12.0)));
    assert!(!a.overlaps(&est(11.5, 11.1, 12.0)));
    assert!(a.overlaps(&est(10.0, 5.0, 20.0)));
    assert!(est(11.5, 11.0, 12.0).overlaps(&a));
}
