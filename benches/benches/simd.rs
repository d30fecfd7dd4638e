//! perfkit-simd against naive iterator code, `wide`, `simsimd` and hand-written AVX-512.
//!
//! Groups (task), contenders (function id), sizes (parameter):
//!
//! - `sum_f32`, `dot_f32` at 16, 64, 4096, 262144 and 16777216 elements: `naive`,
//!   `perfkit` (free function, detected level), `perfkit/method` (the `Simd` method on a
//!   token made once), `perfkit/<level>` for every level this CPU runs,
//!   `perfkit/relaxed` (the same kernel without the bit-identical guarantee), `wide`
//!   (`f32x8`, four accumulators), `simsimd` (dot only), and hand-written `std::arch` loops
//!   with four accumulators: `hand/avx512x4` (masked tail; only where the CPU has AVX-512)
//!   and `hand/avx2x4` (FMA for dot).
//! - Smaller groups for the other kernels at 4096 and 262144: `naive` against `perfkit`.
//! - After the criterion groups, paired comparisons (`perfkit_benches::paired`)
//!   `sum_f32_paired` and `dot_f32_paired` at 4096 and 16777216: the fine ratios (free
//!   function vs method, strict vs relaxed, perfkit vs the best contender) with every
//!   contender timed in alternating chunks, so both sides of a ratio see the same machine state.
//!
//! Throughput is in bytes read, so memory-bound sizes read as bandwidth.

use std::hint::black_box;
use std::time::Duration;

use criterion::{
    BenchmarkGroup, BenchmarkId, Criterion, SamplingMode, Throughput, measurement::WallTime,
};
use perfkit_simd::{Level, Simd};
use perfkit_testkit::{DEFAULT_SEED, f32_array, f64_array, u64_array};
use simsimd::SpatialSimilarity;
use wide::f32x8;

const SIZES: [usize; 5] = [16, 64, 4096, 262_144, 16_777_216];
const SMALL_SIZES: [usize; 2] = [4096, 262_144];

/// Many short samples of equal length (flat sampling: 500 samples of about 0.3 ms), so
/// that on a shared machine, where a time slice lasts a few milliseconds, most samples fall
/// between two preemptions and the median is the undisturbed time; the memory-bound size,
/// where one iteration takes milliseconds, gets fewer, longer samples. Every contender of a
/// group samples alike.
fn size_config(group: &mut BenchmarkGroup<'_, WallTime>, n: usize) {
    group.sampling_mode(SamplingMode::Flat);
    if perfkit_benches::quick() {
        return;
    }
    if n >= 1 << 24 {
        group
            .sample_size(20)
            .measurement_time(Duration::from_secs(2));
    } else {
        group
            .sample_size(500)
            .measurement_time(Duration::from_millis(150));
    }
}

fn levels() -> Vec<Simd> {
    Level::available().filter_map(Simd::new).collect()
}

// ---- wide: f32x8, four accumulators ----

fn load8(x: &[f32]) -> f32x8 {
    f32x8::from(<[f32; 8]>::try_from(x).expect("8 lanes"))
}

fn wide_sum(x: &[f32]) -> f32 {
    let mut acc = [f32x8::ZERO; 4];
    let mut chunks = x.chunks_exact(32);
    for c in &mut chunks {
        for (k, a) in acc.iter_mut().enumerate() {
            *a += load8(&c[8 * k..8 * k + 8]);
        }
    }
    let total = ((acc[0] + acc[1]) + (acc[2] + acc[3])).reduce_add();
    chunks.remainder().iter().fold(total, |t, v| t + v)
}

fn wide_dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [f32x8::ZERO; 4];
    let mut ca = a.chunks_exact(32);
    let mut cb = b.chunks_exact(32);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for (k, s) in acc.iter_mut().enumerate() {
            *s = load8(&x[8 * k..8 * k + 8]).mul_add(load8(&y[8 * k..8 * k + 8]), *s);
        }
    }
    let total = ((acc[0] + acc[1]) + (acc[2] + acc[3])).reduce_add();
    ca.remainder()
        .iter()
        .zip(cb.remainder())
        .fold(total, |t, (x, y)| t + x * y)
}

// ---- hand-written std::arch AVX-512, four accumulators ----

#[cfg(target_arch = "x86_64")]
mod hand {
    use std::arch::x86_64::*;

    /// # Safety
    /// The CPU must support AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn sum_avx512x4(x: &[f32]) -> f32 {
        let mut acc = [_mm512_setzero_ps(); 4];
        let mut chunks = x.chunks_exact(64);
        for c in &mut chunks {
            for (k, a) in acc.iter_mut().enumerate() {
                // SAFETY: the chunk holds 64 floats, so 16 from `16 * k` are in bounds.
                *a = _mm512_add_ps(*a, unsafe { _mm512_loadu_ps(c.as_ptr().add(16 * k)) });
            }
        }
        let mut vecs = chunks.remainder().chunks_exact(16);
        for v in &mut vecs {
            // SAFETY: the chunk holds 16 floats.
            acc[0] = _mm512_add_ps(acc[0], unsafe { _mm512_loadu_ps(v.as_ptr()) });
        }
        let rest = vecs.remainder();
        let mask = ((1u32 << rest.len()) - 1) as u16;
        // SAFETY: the masked load reads only the `rest.len()` valid floats.
        acc[1] = _mm512_add_ps(acc[1], unsafe {
            _mm512_maskz_loadu_ps(mask, rest.as_ptr())
        });
        let s = _mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3]));
        _mm512_reduce_add_ps(s)
    }

    /// # Safety
    /// The CPU must support AVX-512F; `a.len() == b.len()`.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn dot_avx512x4(a: &[f32], b: &[f32]) -> f32 {
        assert_eq!(a.len(), b.len());
        let mut acc = [_mm512_setzero_ps(); 4];
        let mut ca = a.chunks_exact(64);
        let mut cb = b.chunks_exact(64);
        for (x, y) in (&mut ca).zip(&mut cb) {
            for (k, s) in acc.iter_mut().enumerate() {
                // SAFETY: both chunks hold 64 floats.
                let (vx, vy) = unsafe {
                    (
                        _mm512_loadu_ps(x.as_ptr().add(16 * k)),
                        _mm512_loadu_ps(y.as_ptr().add(16 * k)),
                    )
                };
                *s = _mm512_fmadd_ps(vx, vy, *s);
            }
        }
        let (ra, rb) = (ca.remainder(), cb.remainder());
        let mut i = 0;
        while i + 16 <= ra.len() {
            // SAFETY: 16 floats from `i` are in bounds of both.
            let (vx, vy) = unsafe {
                (
                    _mm512_loadu_ps(ra.as_ptr().add(i)),
                    _mm512_loadu_ps(rb.as_ptr().add(i)),
                )
            };
            acc[0] = _mm512_fmadd_ps(vx, vy, acc[0]);
            i += 16;
        }
        let mask = ((1u32 << (ra.len() - i)) - 1) as u16;
        // SAFETY: the masked loads read only the valid floats from `i`.
        let (vx, vy) = unsafe {
            (
                _mm512_maskz_loadu_ps(mask, ra.as_ptr().add(i)),
                _mm512_maskz_loadu_ps(mask, rb.as_ptr().add(i)),
            )
        };
        acc[1] = _mm512_fmadd_ps(vx, vy, acc[1]);
        let s = _mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3]));
        _mm512_reduce_add_ps(s)
    }
}

#[cfg(target_arch = "x86_64")]
mod hand2 {
    use std::arch::x86_64::*;

    /// # Safety
    /// The CPU must support AVX.
    #[target_feature(enable = "avx")]
    pub unsafe fn sum_avx2x4(x: &[f32]) -> f32 {
        let mut acc = [_mm256_setzero_ps(); 4];
        let mut chunks = x.chunks_exact(32);
        for c in &mut chunks {
            for (k, a) in acc.iter_mut().enumerate() {
                // SAFETY: the chunk holds 32 floats, so 8 from `8 * k` are in bounds.
                *a = _mm256_add_ps(*a, unsafe { _mm256_loadu_ps(c.as_ptr().add(8 * k)) });
            }
        }
        let s = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
        let h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps::<1>(s));
        let h = _mm_add_ps(h, _mm_movehl_ps(h, h));
        let total = _mm_cvtss_f32(_mm_add_ss(h, _mm_shuffle_ps::<1>(h, h)));
        chunks.remainder().iter().fold(total, |t, v| t + v)
    }

    /// # Safety
    /// The CPU must support AVX and FMA.
    #[target_feature(enable = "avx,fma")]
    pub unsafe fn dot_avx2x4(a: &[f32], b: &[f32]) -> f32 {
        assert_eq!(a.len(), b.len());
        let mut acc = [_mm256_setzero_ps(); 4];
        let mut ca = a.chunks_exact(32);
        let mut cb = b.chunks_exact(32);
        for (x, y) in (&mut ca).zip(&mut cb) {
            for (k, s) in acc.iter_mut().enumerate() {
                // SAFETY: both chunks hold 32 floats.
                let (vx, vy) = unsafe {
                    (
                        _mm256_loadu_ps(x.as_ptr().add(8 * k)),
                        _mm256_loadu_ps(y.as_ptr().add(8 * k)),
                    )
                };
                *s = _mm256_fmadd_ps(vx, vy, *s);
            }
        }
        let s = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
        let h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps::<1>(s));
        let h = _mm_add_ps(h, _mm_movehl_ps(h, h));
        let total = _mm_cvtss_f32(_mm_add_ss(h, _mm_shuffle_ps::<1>(h, h)));
        ca.remainder()
            .iter()
            .zip(cb.remainder())
            .fold(total, |t, (x, y)| t + x * y)
    }
}

fn has_avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

fn has_avx512f() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

fn bench_sum_f32(c: &mut Criterion) {
    let mut group = c.benchmark_group("sum_f32");
    let method = Simd::detected();
    for n in SIZES {
        size_config(&mut group, n);
        let x = f32_array(n, DEFAULT_SEED);
        group.throughput(Throughput::Bytes((4 * n) as u64));
        group.bench_with_input(BenchmarkId::new("naive", n), &x, |b, x| {
            b.iter(|| black_box(x).iter().sum::<f32>())
        });
        group.bench_with_input(BenchmarkId::new("perfkit", n), &x, |b, x| {
            b.iter(|| perfkit_simd::sum_f32(black_box(x)))
        });
        group.bench_with_input(BenchmarkId::new("perfkit/method", n), &x, |b, x| {
            b.iter(|| black_box(method).sum_f32(black_box(x)))
        });
        group.bench_with_input(BenchmarkId::new("perfkit/relaxed", n), &x, |b, x| {
            b.iter(|| perfkit_simd::sum_f32_relaxed(black_box(x)))
        });
        for simd in levels() {
            let id = BenchmarkId::new(format!("perfkit/{}", simd.level()), n);
            group.bench_with_input(id, &x, |b, x| b.iter(|| simd.sum_f32(black_box(x))));
        }
        group.bench_with_input(BenchmarkId::new("wide", n), &x, |b, x| {
            b.iter(|| wide_sum(black_box(x)))
        });
        #[cfg(target_arch = "x86_64")]
        if has_avx512f() {
            group.bench_with_input(BenchmarkId::new("hand/avx512x4", n), &x, |b, x| {
                // SAFETY: AVX-512F was detected just above.
                b.iter(|| unsafe { hand::sum_avx512x4(black_box(x)) })
            });
        }
        #[cfg(target_arch = "x86_64")]
        if has_avx2_fma() {
            group.bench_with_input(BenchmarkId::new("hand/avx2x4", n), &x, |b, x| {
                // SAFETY: AVX2 and FMA were detected just above.
                b.iter(|| unsafe { hand2::sum_avx2x4(black_box(x)) })
            });
        }
    }
    group.finish();
}

fn bench_dot_f32(c: &mut Criterion) {
    let mut group = c.benchmark_group("dot_f32");
    let method = Simd::detected();
    for n in SIZES {
        size_config(&mut group, n);
        let (x, y) = (f32_array(n, DEFAULT_SEED), f32_array(n, DEFAULT_SEED + 1));
        let input = (x, y);
        group.throughput(Throughput::Bytes((8 * n) as u64));
        group.bench_with_input(BenchmarkId::new("naive", n), &input, |b, (x, y)| {
            b.iter(|| {
                black_box(x)
                    .iter()
                    .zip(black_box(y))
                    .map(|(a, b)| a * b)
                    .sum::<f32>()
            })
        });
        group.bench_with_input(BenchmarkId::new("perfkit", n), &input, |b, (x, y)| {
            b.iter(|| perfkit_simd::dot_f32(black_box(x), black_box(y)))
        });
        group.bench_with_input(
            BenchmarkId::new("perfkit/method", n),
            &input,
            |b, (x, y)| b.iter(|| black_box(method).dot_f32(black_box(x), black_box(y))),
        );
        group.bench_with_input(
            BenchmarkId::new("perfkit/relaxed", n),
            &input,
            |b, (x, y)| b.iter(|| perfkit_simd::dot_f32_relaxed(black_box(x), black_box(y))),
        );
        for simd in levels() {
            let id = BenchmarkId::new(format!("perfkit/{}", simd.level()), n);
            group.bench_with_input(id, &input, |b, (x, y)| {
                b.iter(|| simd.dot_f32(black_box(x), black_box(y)))
            });
        }
        group.bench_with_input(BenchmarkId::new("wide", n), &input, |b, (x, y)| {
            b.iter(|| wide_dot(black_box(x), black_box(y)))
        });
        group.bench_with_input(BenchmarkId::new("simsimd", n), &input, |b, (x, y)| {
            b.iter(|| f32::dot(black_box(x), black_box(y)).expect("equal lengths"))
        });
        #[cfg(target_arch = "x86_64")]
        if has_avx512f() {
            group.bench_with_input(BenchmarkId::new("hand/avx512x4", n), &input, |b, (x, y)| {
                // SAFETY: AVX-512F was detected just above; equal lengths.
                b.iter(|| unsafe { hand::dot_avx512x4(black_box(x), black_box(y)) })
            });
        }
        #[cfg(target_arch = "x86_64")]
        if has_avx2_fma() {
            group.bench_with_input(BenchmarkId::new("hand/avx2x4", n), &input, |b, (x, y)| {
                // SAFETY: AVX2 and FMA were detected just above; equal lengths.
                b.iter(|| unsafe { hand2::dot_avx2x4(black_box(x), black_box(y)) })
            });
        }
    }
    group.finish();
}

/// The other kernels: naive code against perfkit (and simsimd where it has the kernel).
fn bench_others(c: &mut Criterion) {
    for n in SMALL_SIZES {
        let x = f32_array(n, DEFAULT_SEED);
        let y = f32_array(n, DEFAULT_SEED + 1);
        let d = f64_array(n, DEFAULT_SEED);
        let w = u64_array(n, DEFAULT_SEED);
        let v = u64_array(n, DEFAULT_SEED + 1);
        let bytes: Vec<u8> = w
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .map(|b| b & 7)
            .collect();

        let mut g = c.benchmark_group("sum_f64");
        size_config(&mut g, n);
        g.throughput(Throughput::Bytes((8 * n) as u64));
        g.bench_function(BenchmarkId::new("naive", n), |b| {
            b.iter(|| black_box(&d).iter().sum::<f64>())
        });
        g.bench_function(BenchmarkId::new("perfkit", n), |b| {
            b.iter(|| perfkit_simd::sum_f64(black_box(&d)))
        });
        g.finish();

        let mut g = c.benchmark_group("sum_f32_accurate");
        size_config(&mut g, n);
        g.throughput(Throughput::Bytes((4 * n) as u64));
        g.bench_function(BenchmarkId::new("naive", n), |b| {
            // Kahan-Babuska-Neumaier, one accumulator.
            b.iter(|| {
                let (mut s, mut comp) = (0.0f32, 0.0f32);
                for &v in black_box(&x) {
                    let t = s + v;
                    comp += if s.abs() >= v.abs() {
                        (s - t) + v
                    } else {
                        (v - t) + s
                    };
                    s = t;
                }
                s + comp
            })
        });
        g.bench_function(BenchmarkId::new("perfkit", n), |b| {
            b.iter(|| perfkit_simd::sum_f32_accurate(black_box(&x)))
        });
        g.finish();

        let mut g = c.benchmark_group("l2_squared_f32");
        size_config(&mut g, n);
        g.throughput(Throughput::Bytes((8 * n) as u64));
        g.bench_function(BenchmarkId::new("naive", n), |b| {
            b.iter(|| {
                black_box(&x)
                    .iter()
                    .zip(black_box(&y))
                    .map(|(a, b)| (a - b) * (a - b))
                    .sum::<f32>()
            })
        });
        g.bench_function(BenchmarkId::new("perfkit", n), |b| {
            b.iter(|| perfkit_simd::l2_squared_f32(black_box(&x), black_box(&y)))
        });
        g.bench_function(BenchmarkId::new("simsimd", n), |b| {
            b.iter(|| f32::sqeuclidean(black_box(&x), black_box(&y)).expect("equal lengths"))
        });
        g.finish();

        let mut g = c.benchmark_group("min_f32");
        size_config(&mut g, n);
        g.throughput(Throughput::Bytes((4 * n) as u64));
        g.bench_function(BenchmarkId::new("naive", n), |b| {
            b.iter(|| black_box(&x).iter().copied().reduce(f32::min))
        });
        g.bench_function(BenchmarkId::new("perfkit", n), |b| {
            b.iter(|| perfkit_simd::min_f32(black_box(&x)))
        });
        g.finish();

        let mut g = c.benchmark_group("axpy_f32");
        size_config(&mut g, n);
        g.throughput(Throughput::Bytes((8 * n) as u64));
        let mut out = y.clone();
        g.bench_function(BenchmarkId::new("naive", n), |b| {
            b.iter(|| {
                for (o, a) in out.iter_mut().zip(black_box(&x)) {
                    *o += 0.5 * a;
                }
            })
        });
        g.bench_function(BenchmarkId::new("perfkit", n), |b| {
            b.iter(|| perfkit_simd::axpy_f32(0.5, black_box(&x), &mut out))
        });
        g.finish();

        let mut g = c.benchmark_group("popcount");
        size_config(&mut g, n);
        g.throughput(Throughput::Bytes((8 * n) as u64));
        g.bench_function(BenchmarkId::new("naive", n), |b| {
            b.iter(|| {
                black_box(&w)
                    .iter()
                    .map(|x| u64::from(x.count_ones()))
                    .sum::<u64>()
            })
        });
        g.bench_function(BenchmarkId::new("perfkit", n), |b| {
            b.iter(|| perfkit_simd::popcount(black_box(&w)))
        });
        g.finish();

        let mut g = c.benchmark_group("and_assign");
        size_config(&mut g, n);
        g.throughput(Throughput::Bytes((16 * n) as u64));
        let mut acc = w.clone();
        g.bench_function(BenchmarkId::new("naive", n), |b| {
            b.iter(|| {
                for (a, b) in acc.iter_mut().zip(black_box(&v)) {
                    *a &= b;
                }
            })
        });
        g.bench_function(BenchmarkId::new("perfkit", n), |b| {
            b.iter(|| perfkit_simd::and_assign(&mut acc, black_box(&v)))
        });
        g.finish();

        let mut g = c.benchmark_group("count_byte");
        size_config(&mut g, n);
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function(BenchmarkId::new("naive", bytes.len()), |b| {
            b.iter(|| black_box(&bytes).iter().filter(|&&b| b == 3).count())
        });
        g.bench_function(BenchmarkId::new("perfkit", bytes.len()), |b| {
            b.iter(|| perfkit_simd::count_byte(black_box(&bytes), 3))
        });
        g.finish();
    }
}

/// Paired comparisons (see `perfkit_benches::paired`): the fine ratios the issue sets (free
/// function vs `Simd` method, the cost of the bit-identical guarantee, perfkit vs the best
/// contender when memory-bound) from contenders timed in alternating chunks, so that both
/// sides of a ratio see the same machine state. The criterion groups above give the absolute
/// medians.
fn paired_sum_dot() {
    use perfkit_benches::paired::{Contender, compare};
    let method = Simd::detected();
    for n in [4096, 16_777_216] {
        let x = f32_array(n, DEFAULT_SEED);
        let y = f32_array(n, DEFAULT_SEED + 1);
        let (x, y) = (&x[..], &y[..]);
        let mut sum: Vec<Contender<'_>> = vec![
            (
                "perfkit",
                Box::new(move || {
                    black_box(perfkit_simd::sum_f32(black_box(x)));
                }),
            ),
            (
                "perfkit/method",
                Box::new(move || {
                    black_box(black_box(method).sum_f32(black_box(x)));
                }),
            ),
            (
                "perfkit/relaxed",
                Box::new(move || {
                    black_box(perfkit_simd::sum_f32_relaxed(black_box(x)));
                }),
            ),
            (
                "wide",
                Box::new(move || {
                    black_box(wide_sum(black_box(x)));
                }),
            ),
        ];
        let mut dot: Vec<Contender<'_>> = vec![
            (
                "perfkit",
                Box::new(move || {
                    black_box(perfkit_simd::dot_f32(black_box(x), black_box(y)));
                }),
            ),
            (
                "perfkit/method",
                Box::new(move || {
                    black_box(black_box(method).dot_f32(black_box(x), black_box(y)));
                }),
            ),
            (
                "perfkit/relaxed",
                Box::new(move || {
                    black_box(perfkit_simd::dot_f32_relaxed(black_box(x), black_box(y)));
                }),
            ),
            (
                "wide",
                Box::new(move || {
                    black_box(wide_dot(black_box(x), black_box(y)));
                }),
            ),
            (
                "simsimd",
                Box::new(move || {
                    black_box(f32::dot(black_box(x), black_box(y)));
                }),
            ),
        ];
        #[cfg(target_arch = "x86_64")]
        if has_avx2_fma() {
            sum.push((
                "hand/avx2x4",
                Box::new(move || {
                    // SAFETY: AVX2 and FMA were detected just above.
                    black_box(unsafe { hand2::sum_avx2x4(black_box(x)) });
                }),
            ));
            dot.push((
                "hand/avx2x4",
                Box::new(move || {
                    // SAFETY: AVX2 and FMA were detected just above; equal lengths.
                    black_box(unsafe { hand2::dot_avx2x4(black_box(x), black_box(y)) });
                }),
            ));
        }
        #[cfg(target_arch = "x86_64")]
        if has_avx512f() {
            sum.push((
                "hand/avx512x4",
                Box::new(move || {
                    // SAFETY: AVX-512F was detected just above.
                    black_box(unsafe { hand::sum_avx512x4(black_box(x)) });
                }),
            ));
            dot.push((
                "hand/avx512x4",
                Box::new(move || {
                    // SAFETY: AVX-512F was detected just above; equal lengths.
                    black_box(unsafe { hand::dot_avx512x4(black_box(x), black_box(y)) });
                }),
            ));
        }
        compare("sum_f32_paired", n, sum);
        compare("dot_f32_paired", n, dot);
    }
}

fn main() {
    let mut c = perfkit_benches::criterion();
    if !perfkit_benches::quick() {
        // Many contenders per group: a short warm-up; `size_config` sets the sampling. The
        // medians are the figures; 20k bootstrap resamples of 500 samples keep the analysis
        // of ~150 benchmarks within minutes.
        c = c
            .warm_up_time(Duration::from_millis(500))
            .nresamples(20_000);
    }
    let mut c = c.configure_from_args();
    bench_sum_f32(&mut c);
    bench_dot_f32(&mut c);
    bench_others(&mut c);
    c.final_summary();
    paired_sum_dot();
}
