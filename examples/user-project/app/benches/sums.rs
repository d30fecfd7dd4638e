//! Two contenders for the same job, measured two ways: a criterion group (`naive` is the
//! baseline by perfkit's naming convention, `perfkit` ours) and a perfkit-bench paired group,
//! which times them in alternating chunks for a ratio the machine's drift cannot move.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput};

const N: usize = 4096;

fn criterion_group(c: &mut Criterion) {
    let mut g = c.benchmark_group("sum_squares");
    // Two sizes: the report draws one bar chart per size and a line chart across them.
    for n in [N, 16 * N] {
        let x = app::series(n);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("naive", n), &x, |b, x| {
            b.iter(|| app::sum_squares_naive(black_box(x)));
        });
        g.bench_with_input(BenchmarkId::new("perfkit", n), &x, |b, x| {
            b.iter(|| app::sum_squares_simd(black_box(x)));
        });
    }
    g.finish();
}

fn paired_group() {
    let x = app::series(N);
    perfkit_bench::compare(
        "sum_squares_paired",
        N,
        vec![
            (
                "perfkit",
                Box::new(|| {
                    black_box(app::sum_squares_simd(black_box(&x)));
                }),
            ),
            (
                "naive",
                Box::new(|| {
                    black_box(app::sum_squares_naive(black_box(&x)));
                }),
            ),
        ],
    );
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    criterion_group(&mut c);
    c.final_summary();
    paired_group();
}
