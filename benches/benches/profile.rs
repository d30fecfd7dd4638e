//! perfkit-profile against naive code and the `hdrhistogram` crate.
//!
//! - `histogram_record/N`: record N latency-like values (log-uniform over 100 ns–10 ms).
//!   `perfkit` (precision 7, relative error ≤ 0.39%), `hdrhistogram` (2 significant
//!   digits: the same 1/128 sub-bucket resolution, full `u64` range, `saturating_record`,
//!   its infallible path), `naive` (push into a `Vec` that keeps its capacity).
//! - `histogram_percentile/N`: p50, p90, p99 and p99.9 of those N values (throughput is the
//!   4 queries). `perfkit` and `hdrhistogram` query a filled histogram four times,
//!   `perfkit/multi` (`percentiles`) and `hdrhistogram/multi` (`value_at_quantiles`) in one
//!   pass; `naive` sorts an unsorted copy of the values (made outside the timing) and
//!   indexes it.
//! - `profile_scope/1`: the cost of timing one empty scope. `perfkit` is `profile!`,
//!   `perfkit/guard` a `ScopeGuard` found by name, `perfkit/record` the bookkeeping alone
//!   (`record(name, ns)`, no clock), `hand/instant` a bare `Instant::now()` pair (the floor
//!   every timer pays), `naive` the pair plus a global `Mutex<HashMap>` of count/total/max.
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use perfkit_profile::{Histogram, ScopeGuard, nanos, profile, record};
use perfkit_testkit::{DEFAULT_SEED, Rng};

const N: usize = 100_000;
const QUANTILES: [f64; 4] = [0.50, 0.90, 0.99, 0.999];

/// `n` latencies in nanoseconds, log-uniform over [100 ns, 10 ms).
fn latencies(n: usize, seed: u64) -> Vec<u64> {
    let mut rng = Rng::new(seed);
    let span = (1e7f64 / 100.0).ln();
    (0..n)
        .map(|_| (100.0 * (rng.next_f64() * span).exp()) as u64)
        .collect()
}

fn hdr() -> hdrhistogram::Histogram<u64> {
    hdrhistogram::Histogram::new_with_bounds(1, u64::MAX, 2).expect("valid hdrhistogram bounds")
}

fn record_group(c: &mut Criterion) {
    let values = latencies(N, DEFAULT_SEED);
    let mut g = c.benchmark_group("histogram_record");
    g.throughput(Throughput::Elements(N as u64));

    let mut ours = Histogram::new();
    g.bench_function(BenchmarkId::new("perfkit", N), |b| {
        b.iter(|| {
            for &v in black_box(&values) {
                ours.record(v);
            }
        });
    });
    black_box(ours.len());

    let mut theirs = hdr();
    g.bench_function(BenchmarkId::new("hdrhistogram", N), |b| {
        b.iter(|| {
            for &v in black_box(&values) {
                theirs.saturating_record(v);
            }
        });
    });
    black_box(theirs.len());

    let mut all = Vec::with_capacity(N);
    g.bench_function(BenchmarkId::new("naive", N), |b| {
        b.iter(|| {
            all.clear();
            for &v in black_box(&values) {
                all.push(v);
            }
            black_box(all.len());
        });
    });
    g.finish();
}

fn percentile_group(c: &mut Criterion) {
    let values = latencies(N, DEFAULT_SEED);
    let mut g = c.benchmark_group("histogram_percentile");
    g.throughput(Throughput::Elements(QUANTILES.len() as u64));

    let ours: Histogram = values.iter().copied().collect();
    let mut theirs = hdr();
    for &v in &values {
        theirs.saturating_record(v);
    }
    // Every contender answers within 1% of the exact nearest-rank percentile.
    let mut sorted = values.clone();
    sorted.sort_unstable();
    for q in QUANTILES {
        let exact = sorted[((q * N as f64).ceil() as usize).clamp(1, N) - 1] as f64;
        let a = ours.percentile(q * 100.0).expect("not empty") as f64;
        let b = theirs.value_at_quantile(q) as f64;
        assert!(
            (a - exact).abs() <= exact * 0.01,
            "perfkit p{q}: {a} vs {exact}"
        );
        assert!(
            (b - exact).abs() <= exact * 0.01,
            "hdrhistogram p{q}: {b} vs {exact}"
        );
    }

    g.bench_function(BenchmarkId::new("perfkit", N), |b| {
        b.iter(|| QUANTILES.map(|q| black_box(&ours).percentile(q * 100.0)));
    });
    g.bench_function(BenchmarkId::new("perfkit/multi", N), |b| {
        b.iter(|| black_box(&ours).percentiles(QUANTILES.map(|q| q * 100.0)));
    });
    g.bench_function(BenchmarkId::new("hdrhistogram", N), |b| {
        b.iter(|| QUANTILES.map(|q| black_box(&theirs).value_at_quantile(q)));
    });
    g.bench_function(BenchmarkId::new("hdrhistogram/multi", N), |b| {
        b.iter(|| {
            let mut out = [0u64; QUANTILES.len()];
            for (o, v) in out
                .iter_mut()
                .zip(black_box(&theirs).value_at_quantiles(QUANTILES))
            {
                *o = v;
            }
            out
        });
    });
    g.bench_function(BenchmarkId::new("naive", N), |b| {
        b.iter_batched_ref(
            || values.clone(),
            |v| {
                v.sort_unstable();
                QUANTILES.map(|q| v[((q * N as f64).ceil() as usize).clamp(1, N) - 1])
            },
            BatchSize::LargeInput,
        );
    });
    g.finish();
}

/// Count, total and max nanoseconds per scope name.
type NaiveStats = HashMap<&'static str, (u64, u64, u64)>;

/// What a first profiler usually looks like: a global map behind a lock.
static NAIVE: Mutex<Option<NaiveStats>> = Mutex::new(None);

fn naive_record(name: &'static str, ns: u64) {
    let mut map = NAIVE.lock().unwrap_or_else(PoisonError::into_inner);
    let e = map
        .get_or_insert_with(HashMap::new)
        .entry(name)
        .or_default();
    e.0 += 1;
    e.1 += ns;
    e.2 = e.2.max(ns);
}

fn scope_group(c: &mut Criterion) {
    let mut g = c.benchmark_group("profile_scope");
    g.throughput(Throughput::Elements(1));
    g.bench_function(BenchmarkId::new("perfkit", 1), |b| {
        b.iter(|| {
            profile!("bench/scope");
            black_box(());
        });
    });
    g.bench_function(BenchmarkId::new("perfkit/guard", 1), |b| {
        b.iter(|| {
            let _g = ScopeGuard::new("bench/guard");
            black_box(());
        });
    });
    g.bench_function(BenchmarkId::new("perfkit/record", 1), |b| {
        b.iter(|| record("bench/record", black_box(1_234)));
    });
    g.bench_function(BenchmarkId::new("hand/instant", 1), |b| {
        b.iter(|| {
            let start = Instant::now();
            black_box(());
            black_box(nanos(start.elapsed()))
        });
    });
    g.bench_function(BenchmarkId::new("naive", 1), |b| {
        b.iter(|| {
            let start = Instant::now();
            black_box(());
            naive_record("bench/naive", nanos(start.elapsed()));
        });
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = perfkit_benches::criterion();
    targets = record_group, percentile_group, scope_group
}
criterion_main!(benches);
