//! Histogram: the documented error bound, exact summary statistics, merge, empty behaviour.

use perfkit_profile::{Bucket, Histogram, HistogramError, MAX_PRECISION};
use perfkit_testkit::{DEFAULT_SEED, Rng};
use proptest::prelude::*;

/// `|approx − exact| ≤ exact / 2^(precision+1)`, checked in integers.
fn within_bound(approx: u64, exact: u64, precision: u32) -> bool {
    u128::from(approx.abs_diff(exact)) << (precision + 1) <= u128::from(exact)
}

/// The nearest-rank percentile of a sorted, non-empty slice, as documented on
/// `Histogram::percentile`: rank `max(1, ⌈p · n / 100⌉)`.
fn exact_percentile(sorted: &[u64], p: f64) -> u64 {
    let n = sorted.len();
    let rank = ((p * n as f64 / 100.0).ceil() as usize).clamp(1, n);
    sorted[rank - 1]
}

/// Values spread over every magnitude: a random bit width, then a random value below it.
fn any_magnitude() -> impl Strategy<Value = u64> {
    (0u32..=64).prop_flat_map(|bits| match bits {
        0 => Just(0u64).boxed(),
        64 => any::<u64>().boxed(),
        b => (0u64..(1u64 << b)).boxed(),
    })
}

fn filled(precision: u32, values: &[u64]) -> Histogram {
    let mut h = Histogram::with_precision(precision);
    for &v in values {
        h.record(v);
    }
    h
}

const PERCENTILES: [f64; 10] = [0.0, 1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 99.0, 99.9, 100.0];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn every_value_is_represented_within_the_bound(v in any_magnitude(), precision in 0..=MAX_PRECISION) {
        let h = Histogram::with_precision(precision);
        let range = h.equivalent_range(v);
        prop_assert!(range.contains(&v));
        let rep = h.representative(v);
        prop_assert!(range.contains(&rep));
        prop_assert!(within_bound(rep, v, precision), "v {v}, representative {rep}, precision {precision}");
        // The documented bound, as the f64 the histogram reports.
        prop_assert!(rep.abs_diff(v) as f64 <= v as f64 * h.relative_error());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn percentiles_are_within_the_bound_of_the_exact_ones(
        values in prop::collection::vec(any_magnitude(), 1..400),
        precision in 0u32..=9,
        p in 0.0f64..=100.0,
    ) {
        let h = filled(precision, &values);
        let mut sorted = values.clone();
        sorted.sort_unstable();
        for q in PERCENTILES.into_iter().chain([p]) {
            let exact = exact_percentile(&sorted, q);
            let got = h.percentile(q).unwrap();
            prop_assert!(within_bound(got, exact, precision),
                "p{q}: got {got}, exact {exact}, precision {precision}");
        }
        // One pass for several percentiles, in any order, gives the same answers.
        let asked = [p, 99.0, 0.0, 50.0, 100.0, 99.9, p, 25.0];
        let together = h.percentiles(asked).unwrap();
        prop_assert_eq!(together, asked.map(|q| h.percentile(q).unwrap()));
    }

    #[test]
    fn summary_statistics_are_exact(values in prop::collection::vec(any_magnitude(), 0..300)) {
        let h = filled(7, &values);
        prop_assert_eq!(h.len(), values.len() as u64);
        prop_assert_eq!(h.is_empty(), values.is_empty());
        prop_assert_eq!(h.min(), values.iter().copied().min());
        prop_assert_eq!(h.max(), values.iter().copied().max());
        let sum: u128 = values.iter().map(|&v| u128::from(v)).sum();
        prop_assert_eq!(h.sum(), sum);
        prop_assert_eq!(h.mean(), (!values.is_empty()).then(|| sum as f64 / values.len() as f64));
        // Buckets: ascending, disjoint, counts add up, every value lies in one of them.
        let buckets: Vec<Bucket> = h.iter().collect();
        prop_assert_eq!(buckets.iter().map(|b| b.count).sum::<u64>(), h.len());
        prop_assert!(buckets.windows(2).all(|w| w[0].high < w[1].low));
        for &v in &values {
            prop_assert!(buckets.iter().any(|b| (b.low..=b.high).contains(&v)));
        }
    }

    #[test]
    fn extend_equals_recording_one_by_one(
        first in prop::collection::vec(any_magnitude(), 0..100),
        batch in prop::collection::vec(any_magnitude(), 0..300),
    ) {
        let mut one_by_one = filled(5, &first);
        for &v in &batch {
            one_by_one.record(v);
        }
        let mut extended = filled(5, &first);
        extended.extend(batch.iter().copied());
        prop_assert_eq!(&extended, &one_by_one);
        prop_assert_eq!(extended.min(), one_by_one.min());
        prop_assert_eq!(extended.max(), one_by_one.max());
        prop_assert_eq!(extended.sum(), one_by_one.sum());
        prop_assert_eq!(extended.len(), one_by_one.len());
    }

    #[test]
    fn merge_equals_recording_both(
        a in prop::collection::vec(any_magnitude(), 0..200),
        b in prop::collection::vec(any_magnitude(), 0..200),
        precision in 0u32..=8,
    ) {
        let both: Vec<u64> = a.iter().chain(&b).copied().collect();
        let mut merged = filled(precision, &a);
        merged.merge(&filled(precision, &b)).unwrap();
        prop_assert_eq!(&merged, &filled(precision, &both));

        // A finer histogram nests exactly into a coarser one.
        let mut coarse = filled(precision, &a);
        coarse.merge(&filled(precision + 3, &b)).unwrap();
        prop_assert_eq!(&coarse, &filled(precision, &both));
    }

    #[test]
    fn record_n_equals_n_records(v in any_magnitude(), n in 0u64..50) {
        let mut once = Histogram::new();
        once.record_n(v, n);
        let mut each = Histogram::new();
        for _ in 0..n {
            each.record(v);
        }
        prop_assert_eq!(once, each);
    }
}

#[test]
fn an_empty_histogram_answers_none() {
    let h = Histogram::new();
    assert_eq!(h.len(), 0);
    assert!(h.is_empty());
    assert_eq!((h.min(), h.max(), h.mean()), (None, None, None));
    assert_eq!(h.sum(), 0);
    for p in PERCENTILES {
        assert_eq!(h.percentile(p), None);
    }
    assert_eq!(h.median(), None);
    assert_eq!(h.percentiles([1.0, 2.0]), None);
    assert_eq!(h.iter().count(), 0);
    assert_eq!(h, Histogram::default());
}

#[test]
fn merging_an_empty_histogram_changes_nothing() {
    let mut h = filled(7, &[5, 500, 50_000]);
    let before = h.clone();
    h.merge(&Histogram::new()).unwrap();
    assert_eq!(h, before);
    let mut empty = Histogram::new();
    empty.merge(&before).unwrap();
    assert_eq!(empty, before);
}

#[test]
fn merging_a_coarser_histogram_is_an_error_and_changes_nothing() {
    let mut fine = filled(7, &[1, 2, 3]);
    let before = fine.clone();
    let err = fine.merge(&filled(5, &[1_000_000])).unwrap_err();
    assert_eq!(err, HistogramError::CoarserMerge { ours: 7, theirs: 5 });
    assert_eq!(
        err.to_string(),
        "cannot merge a histogram of precision 5 into one of precision 7: its buckets are coarser"
    );
    assert_eq!(fine, before);
}

#[test]
fn precision_out_of_range_is_an_error() {
    let err = Histogram::try_with_precision(MAX_PRECISION + 1).unwrap_err();
    assert_eq!(
        err,
        HistogramError::PrecisionOutOfRange {
            precision: MAX_PRECISION + 1
        }
    );
    assert_eq!(
        err.to_string(),
        "histogram precision 13 is out of range (0..=12)"
    );
    for p in 0..=MAX_PRECISION {
        assert_eq!(Histogram::try_with_precision(p).unwrap().precision(), p);
    }
}

#[test]
#[should_panic(expected = "histogram precision 40 is out of range")]
fn with_precision_panics_out_of_range() {
    let _ = Histogram::with_precision(40);
}

#[test]
fn percentiles_out_of_range_are_clamped_and_nan_is_none() {
    let h = filled(7, &[10, 20, 30_000, 40_000_000]);
    assert_eq!(h.percentile(-5.0), Some(10));
    assert_eq!(h.percentile(0.0), Some(10));
    assert_eq!(h.percentile(100.0), Some(40_000_000));
    assert_eq!(h.percentile(250.0), Some(40_000_000));
    assert_eq!(h.percentile(f64::INFINITY), Some(40_000_000));
    assert_eq!(h.percentile(f64::NAN), None);
    assert_eq!(h.percentiles([50.0, f64::NAN]), None);
    // Rank 2 of 4 is 20, a small value and so exact.
    assert_eq!(h.percentile(50.0), Some(20));
    assert_eq!(h.median(), Some(20));
}

#[test]
fn extreme_values_are_kept_exactly() {
    let h = filled(7, &[0, u64::MAX, u64::MAX]);
    assert_eq!(h.min(), Some(0));
    assert_eq!(h.max(), Some(u64::MAX));
    assert_eq!(h.sum(), 2 * u128::from(u64::MAX));
    // Rank 2 of 3 is u64::MAX, reported as its bucket's midpoint.
    assert!(within_bound(h.percentile(50.0).unwrap(), u64::MAX, 7));
    let top = h.iter().last().unwrap();
    assert_eq!((top.high, top.count), (u64::MAX, 2));
}

#[test]
fn counters_saturate_instead_of_wrapping() {
    let mut h = Histogram::new();
    h.record_n(7, u64::MAX);
    h.record(7);
    h.record_n(u64::MAX, u64::MAX);
    h.record_n(u64::MAX, u64::MAX);
    assert_eq!(h.len(), u64::MAX);
    assert_eq!(h.sum(), u128::MAX);
    assert_eq!(h.min(), Some(7));
    assert_eq!(h.max(), Some(u64::MAX));
    assert!(h.percentile(50.0).is_some());
}

#[test]
fn clear_empties_without_changing_precision() {
    let mut h = filled(4, &[1, 1_000, 1_000_000]);
    h.clear();
    assert_eq!(h, Histogram::with_precision(4));
    h.record(77);
    assert_eq!(h, filled(4, &[77]));
}

#[test]
fn bucket_representative_matches_the_histogram() {
    let mut rng = Rng::new(DEFAULT_SEED);
    let mut h = Histogram::new();
    for _ in 0..1_000 {
        let v = rng.next_u64() >> rng.below(64);
        h.record(v);
    }
    for b in h.iter() {
        assert_eq!(b.representative(), h.representative(b.low));
        assert_eq!(h.equivalent_range(b.high), b.low..=b.high);
    }
}

#[test]
fn extend_and_from_iterator_record_every_value() {
    let values = [3u64, 1 << 20, 42, 9_999_999];
    let collected: Histogram = values.into_iter().collect();
    assert_eq!(collected, filled(7, &values));
    let mut extended = Histogram::new();
    extended.extend(values);
    assert_eq!(extended, collected);
}

#[test]
fn debug_summarises_instead_of_dumping_buckets() {
    let h = filled(7, &[100, 200, 300]);
    let s = format!("{h:?}");
    assert!(
        s.starts_with("Histogram { precision: 7, len: 3, min: Some(100), max: Some(300)"),
        "{s}"
    );
    assert!(s.contains("p50: Some(200)"), "{s}");
    assert!(s.len() < 200, "{s}");
}

#[test]
fn record_duration_records_nanoseconds() {
    let mut h = Histogram::new();
    h.record_duration(std::time::Duration::from_micros(3));
    h.record_duration(std::time::Duration::MAX);
    assert_eq!(h.min(), Some(3_000));
    assert_eq!(h.max(), Some(u64::MAX));
}
