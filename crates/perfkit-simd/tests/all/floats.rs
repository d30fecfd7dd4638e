//! Float kernels: reductions in the documented order (equal bits on every level), the
//! relaxed and accurate sums, min/max and their NaN policy, elementwise kernels.

use std::ops::Add;

use perfkit_simd::Simd;
use perfkit_testkit::{Rng, f32_array, f64_array};
use proptest::prelude::*;

use crate::{OFFSETS, cases, lengths, simds};

/// The documented reduction order, written independently of the crate: `lanes` lanes from
/// `-0.0`, term `i` into lane `i % lanes`, then the pairwise tree.
fn ordered<T: Copy + Add<Output = T>>(
    terms: impl Iterator<Item = T>,
    lanes: usize,
    neg_zero: T,
) -> T {
    let mut l = vec![neg_zero; lanes];
    for (i, t) in terms.enumerate() {
        l[i % lanes] = l[i % lanes] + t;
    }
    let mut h = lanes / 2;
    while h > 0 {
        for k in 0..h {
            l[k] = l[k] + l[k + h];
        }
        h /= 2;
    }
    l[0]
}

fn ref_sum_f32(x: &[f32]) -> f32 {
    ordered(x.iter().copied(), 64, -0.0)
}
fn ref_sum_f64(x: &[f64]) -> f64 {
    ordered(x.iter().copied(), 32, -0.0)
}
fn ref_dot_f32(a: &[f32], b: &[f32]) -> f32 {
    ordered(a.iter().zip(b).map(|(x, y)| x * y), 64, -0.0)
}
fn ref_dot_f64(a: &[f64], b: &[f64]) -> f64 {
    ordered(a.iter().zip(b).map(|(x, y)| x * y), 32, -0.0)
}
fn ref_l2_f32(a: &[f32], b: &[f32]) -> f32 {
    ordered(a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)), 64, -0.0)
}

/// |got - want| within `tol` times the sum of magnitudes (for the relaxed kernels, whose
/// order is not fixed).
fn close(got: f64, want: f64, magnitude: f64, tol: f64) -> bool {
    (got - want).abs() <= tol * magnitude.max(1e-30)
}

#[test]
fn strict_reductions_follow_the_documented_order_on_every_level() {
    let max = lengths().into_iter().max().unwrap() + 8;
    let (a32, b32) = (f32_array(max, 10), f32_array(max, 11));
    let (a64, b64) = (f64_array(max, 12), f64_array(max, 13));
    let simds = simds();
    for n in lengths() {
        for off in OFFSETS {
            let (a, b) = (&a32[off..off + n], &b32[off..off + n]);
            let (c, d) = (&a64[off..off + n], &b64[off..off + n]);
            let want = (
                ref_sum_f32(a).to_bits(),
                ref_dot_f32(a, b).to_bits(),
                ref_l2_f32(a, b).to_bits(),
                ref_sum_f64(c).to_bits(),
                ref_dot_f64(c, d).to_bits(),
            );
            for &simd in &simds {
                let got = (
                    simd.sum_f32(a).to_bits(),
                    simd.dot_f32(a, b).to_bits(),
                    simd.l2_squared_f32(a, b).to_bits(),
                    simd.sum_f64(c).to_bits(),
                    simd.dot_f64(c, d).to_bits(),
                );
                assert_eq!(got, want, "{simd:?} n={n} off={off}");
            }
        }
    }
}

#[test]
#[cfg_attr(
    miri,
    ignore = "long inputs; the scalar level does not align its loads"
)]
fn strict_reductions_are_equal_at_every_alignment() {
    // Long inputs start their vector loop on a register boundary (the accumulators then
    // hold the layout rotated); every start address modulo 64 bytes, around the block
    // boundaries of that loop and its tail, gives the documented bits.
    let lens = [
        255, 256, 257, 263, 300, 319, 320, 321, 383, 447, 511, 512, 513, 1031, 4099,
    ];
    let max = 4099 + 16;
    let (a32, b32) = (f32_array(max, 14), f32_array(max, 15));
    let (a64, b64) = (f64_array(max, 16), f64_array(max, 17));
    let simds = simds();
    for n in lens {
        for off_a in 0..16 {
            // `b` both at the same and at a different alignment from `a`.
            for off_b in [off_a, (off_a + 5) % 16] {
                let (a, b) = (&a32[off_a..off_a + n], &b32[off_b..off_b + n]);
                let want = (
                    ref_sum_f32(a).to_bits(),
                    ref_dot_f32(a, b).to_bits(),
                    ref_l2_f32(a, b).to_bits(),
                );
                let (c, d) = (&a64[off_a..off_a + n], &b64[off_b..off_b + n]);
                let want64 = (ref_sum_f64(c).to_bits(), ref_dot_f64(c, d).to_bits());
                for &simd in &simds {
                    let got = (
                        simd.sum_f32(a).to_bits(),
                        simd.dot_f32(a, b).to_bits(),
                        simd.l2_squared_f32(a, b).to_bits(),
                    );
                    assert_eq!(got, want, "{simd:?} n={n} off={off_a},{off_b}");
                    let got64 = (simd.sum_f64(c).to_bits(), simd.dot_f64(c, d).to_bits());
                    assert_eq!(got64, want64, "{simd:?} f64 n={n} off={off_a},{off_b}");
                }
            }
        }
    }
    // The first elements of lanes are kept as they are, signs of zero included.
    let mut z = vec![-0.0f32; 600];
    for off in 0..16 {
        for &simd in &simds {
            assert_eq!(
                simd.sum_f32(&z[off..off + 300]).to_bits(),
                (-0.0f32).to_bits(),
                "{simd:?} off={off}"
            );
        }
    }
    z[7] = 0.0;
    for off in 0..8 {
        let want = ref_sum_f32(&z[off..off + 300]).to_bits();
        for &simd in &simds {
            assert_eq!(simd.sum_f32(&z[off..off + 300]).to_bits(), want, "{simd:?}");
        }
    }
}

#[test]
fn strict_reductions_are_accurate_sums() {
    // The fixed order is still a good sum: compare with an f64 reference.
    for n in [0, 1, 17, 1000, 4099] {
        let (a, b) = (f32_array(n, 20), f32_array(n, 21));
        let want: f64 = a.iter().map(|&x| f64::from(x)).sum();
        let mag: f64 = a.iter().map(|&x| f64::from(x).abs()).sum();
        let dot: f64 = a
            .iter()
            .zip(&b)
            .map(|(&x, &y)| f64::from(x) * f64::from(y))
            .sum();
        for simd in simds() {
            assert!(
                close(f64::from(simd.sum_f32(&a)), want, mag, 1e-6),
                "{simd:?} n={n}"
            );
            assert!(
                close(f64::from(simd.dot_f32(&a, &b)), dot, mag, 1e-6),
                "{simd:?} n={n}"
            );
        }
    }
}

#[test]
fn zero_signs_and_special_values_are_identical() {
    let cases: [&[f32]; 6] = [
        &[],
        &[-0.0],
        &[-0.0; 300],
        &[0.0, -0.0],
        &[f32::INFINITY, 1.0, -3.0],
        &[f32::MAX, f32::MAX, -f32::MAX],
    ];
    for x in cases {
        let want = ref_sum_f32(x).to_bits();
        for simd in simds() {
            assert_eq!(simd.sum_f32(x).to_bits(), want, "{simd:?} {x:?}");
        }
    }
    assert_eq!(perfkit_simd::sum_f32(&[]).to_bits(), (-0.0f32).to_bits());
    assert_eq!(
        perfkit_simd::sum_f32(&[-0.0; 5]).to_bits(),
        (-0.0f32).to_bits()
    );
    for simd in simds() {
        assert!(simd.sum_f32(&[1.0, f32::NAN, 2.0]).is_nan());
        assert!(simd.dot_f64(&[f64::INFINITY], &[0.0]).is_nan());
    }
}

#[test]
fn relaxed_reductions_are_close() {
    for n in lengths() {
        let (a, b) = (f32_array(n, 30), f32_array(n, 31));
        let (c, d) = (f64_array(n, 32), f64_array(n, 33));
        let mag = a.iter().map(|&x| f64::from(x).abs()).sum::<f64>() + 1.0;
        let sum: f64 = a.iter().map(|&x| f64::from(x)).sum();
        let dot: f64 = a
            .iter()
            .zip(&b)
            .map(|(&x, &y)| f64::from(x) * f64::from(y))
            .sum();
        let l2: f64 = a
            .iter()
            .zip(&b)
            .map(|(&x, &y)| (f64::from(x) - f64::from(y)) * (f64::from(x) - f64::from(y)))
            .sum();
        let sum64: f64 = c.iter().sum();
        let dot64: f64 = c.iter().zip(&d).map(|(x, y)| x * y).sum();
        for simd in simds() {
            let l = simd.level();
            assert!(
                close(f64::from(simd.sum_f32_relaxed(&a)), sum, mag, 1e-6),
                "{l} n={n}"
            );
            assert!(
                close(f64::from(simd.dot_f32_relaxed(&a, &b)), dot, mag, 1e-6),
                "{l} n={n}"
            );
            assert!(
                close(
                    f64::from(simd.l2_squared_f32_relaxed(&a, &b)),
                    l2,
                    4.0 * mag,
                    1e-6
                ),
                "{l} n={n}"
            );
            assert!(
                close(simd.sum_f64_relaxed(&c), sum64, mag, 1e-12),
                "{l} n={n}"
            );
            assert!(
                close(simd.dot_f64_relaxed(&c, &d), dot64, mag, 1e-12),
                "{l} n={n}"
            );
        }
    }
}

/// Ill-conditioned f32 input with an exact reference: large values that cancel in pairs,
/// plus small ones, all multiples of 2^-24 so the exact sum is an integer count of 2^-24.
fn ill_conditioned_f32(n: usize, seed: u64) -> (Vec<f32>, f32) {
    let mut rng = Rng::new(seed);
    let mut x = Vec::with_capacity(n);
    while x.len() + 3 <= n {
        let big = rng.below(1 << 20) as f32 / 1024.0; // up to 1024, exact
        x.push(big);
        x.push((rng.below(1 << 24) as f32 - 8_388_608.0) / 16_777_216.0); // (-0.5, 0.5), exact
        x.push(-big);
    }
    // Shuffle so each big value meets its negation in another lane.
    for i in (1..x.len()).rev() {
        x.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let units: i128 = x
        .iter()
        .map(|&v| (f64::from(v) * 16_777_216.0) as i128)
        .sum();
    let exact = (units as f64 / 16_777_216.0) as f32; // exact in f64, one rounding to f32
    (x, exact)
}

/// 2^40. Powers of two here come from division and multiplication only, which are exact
/// (`powi` is not guaranteed exact, and Miri perturbs it).
const TWO40: f64 = (1u64 << 40) as f64;

/// The same for f64, in units of 2^-40.
fn ill_conditioned_f64(n: usize, seed: u64) -> (Vec<f64>, f64) {
    let mut rng = Rng::new(seed);
    let mut x = Vec::with_capacity(n);
    while x.len() + 3 <= n {
        let big = rng.below(1 << 40) as f64 / 1024.0; // up to 1e9, exact
        x.push(big);
        x.push((rng.below(1 << 40) as f64 - TWO40 / 2.0) / TWO40);
        x.push(-big);
    }
    for i in (1..x.len()).rev() {
        x.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let units: i128 = x.iter().map(|&v| (v * TWO40) as i128).sum();
    (x, units as f64 / TWO40)
}

fn ulps_f32(a: f32, b: f32) -> u32 {
    (a.to_bits().cast_signed() - b.to_bits().cast_signed()).unsigned_abs()
}

fn ulps_f64(a: f64, b: f64) -> u64 {
    (a.to_bits().cast_signed() - b.to_bits().cast_signed()).unsigned_abs()
}

#[test]
fn accurate_sums_match_the_exact_sum() {
    let sizes: &[usize] = if cfg!(miri) {
        &[3, 30, 150]
    } else {
        &[3, 30, 299, 4096, 50_001]
    };
    for (i, &n) in sizes.iter().enumerate() {
        let (x, exact) = ill_conditioned_f32(n, 40 + i as u64);
        let (y, exact64) = ill_conditioned_f64(n, 50 + i as u64);
        let want = perfkit_simd::sum_f32_accurate(&x).to_bits();
        let want64 = perfkit_simd::sum_f64_accurate(&y).to_bits();
        for simd in simds() {
            let got = simd.sum_f32_accurate(&x);
            assert!(
                ulps_f32(got, exact) <= 1,
                "{simd:?} n={n}: {got} vs exact {exact}"
            );
            assert_eq!(
                got.to_bits(),
                want,
                "{simd:?} n={n}: bits differ between levels"
            );
            let got64 = simd.sum_f64_accurate(&y);
            assert!(
                ulps_f64(got64, exact64) <= 1,
                "{simd:?} n={n}: {got64} vs exact {exact64}"
            );
            assert_eq!(
                got64.to_bits(),
                want64,
                "{simd:?} n={n}: bits differ between levels"
            );
        }
        // The input really is ill-conditioned: the plain sum is far off.
        if n >= 4096 {
            assert!(ulps_f32(perfkit_simd::sum_f32(&x), exact) > 100);
        }
    }
}

fn ref_min(x: &[f32]) -> Option<f32> {
    x.iter().copied().filter(|v| !v.is_nan()).reduce(f32::min)
}

fn ref_max(x: &[f32]) -> Option<f32> {
    x.iter().copied().filter(|v| !v.is_nan()).reduce(f32::max)
}

#[test]
fn min_max_match_naive_and_skip_nan() {
    let max = lengths().into_iter().max().unwrap() + 8;
    let mut buf = f32_array(max, 60);
    let mut rng = Rng::new(61);
    for v in buf.iter_mut() {
        match rng.below(20) {
            0 => *v = f32::NAN,
            1 => *v = f32::INFINITY,
            2 => *v = f32::NEG_INFINITY,
            _ => {}
        }
    }
    let plain = f32_array(max, 62);
    for simd in simds() {
        for n in lengths() {
            for off in OFFSETS {
                for x in [&buf[off..off + n], &plain[off..off + n]] {
                    assert_eq!(simd.min_f32(x), ref_min(x), "{simd:?} n={n} off={off}");
                    assert_eq!(simd.max_f32(x), ref_max(x), "{simd:?} n={n} off={off}");
                }
            }
        }
        let nans = [f32::NAN; 200];
        for n in [0, 1, 15, 16, 17, 129, 200] {
            assert_eq!(simd.min_f32(&nans[..n]), None);
            assert_eq!(simd.max_f32(&nans[..n]), None);
        }
        assert_eq!(
            simd.min_f32(&[f32::NAN, f32::INFINITY, f32::NAN]),
            Some(f32::INFINITY)
        );
        assert_eq!(simd.max_f32(&[f32::NEG_INFINITY]), Some(f32::NEG_INFINITY));
        let mut only_last = [f32::NAN; 300];
        only_last[299] = -7.0;
        assert_eq!(simd.min_f32(&only_last), Some(-7.0));
        assert_eq!(simd.max_f32(&only_last), Some(-7.0));
    }
}

#[test]
fn elementwise_kernels_match_naive_bits() {
    let max = lengths().into_iter().max().unwrap() + 8;
    let (a0, b0, y0) = (f32_array(max, 70), f32_array(max, 71), f32_array(max, 72));
    let s = 1.7_f32;
    for simd in simds() {
        for n in lengths() {
            for off in OFFSETS {
                let (a, b) = (&a0[off..off + n], &b0[off..off + n]);
                let mut out = vec![9.0; n + 2];
                simd.add_f32(a, b, &mut out[1..=n]);
                let want: Vec<f32> = a.iter().zip(b).map(|(x, y)| x + y).collect();
                assert_eq!(&out[1..=n], &want[..], "add {simd:?} n={n} off={off}");
                assert_eq!((out[0], out[n + 1]), (9.0, 9.0), "add wrote out of bounds");

                simd.mul_f32(a, b, &mut out[1..=n]);
                let want: Vec<f32> = a.iter().zip(b).map(|(x, y)| x * y).collect();
                assert_eq!(&out[1..=n], &want[..], "mul {simd:?} n={n} off={off}");
                assert_eq!((out[0], out[n + 1]), (9.0, 9.0), "mul wrote out of bounds");

                let mut x = a0.clone();
                simd.scale_f32(&mut x[off..off + n], s);
                let want: Vec<f32> = a.iter().map(|v| v * s).collect();
                assert_eq!(
                    &x[off..off + n],
                    &want[..],
                    "scale {simd:?} n={n} off={off}"
                );
                assert_eq!(&x[off + n..], &a0[off + n..], "scale wrote out of bounds");

                let mut y = y0.clone();
                simd.axpy_f32(s, a, &mut y[off..off + n]);
                let want: Vec<f32> = a
                    .iter()
                    .zip(&y0[off..off + n])
                    .map(|(x, y)| s * x + y)
                    .collect();
                assert_eq!(&y[off..off + n], &want[..], "axpy {simd:?} n={n} off={off}");
                assert_eq!(&y[off + n..], &y0[off + n..], "axpy wrote out of bounds");
            }
        }
    }
}

fn panic_message(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
    let err = std::panic::catch_unwind(f).expect_err("mismatched lengths must panic");
    err.downcast_ref::<String>()
        .expect("formatted message")
        .clone()
}

#[test]
fn mismatched_lengths_panic_with_message() {
    for simd in simds() {
        let (a, b) = ([1.0f32; 3], [1.0f32; 4]);
        assert_eq!(
            panic_message(|| {
                let _ = simd.dot_f32(&a, &b);
            }),
            "perfkit_simd::dot_f32: slice lengths differ (a has 3 elements, b has 4)"
        );
        assert_eq!(
            panic_message(|| {
                let _ = simd.l2_squared_f32(&a, &b);
            }),
            "perfkit_simd::l2_squared_f32: slice lengths differ (a has 3 elements, b has 4)"
        );
        assert_eq!(
            panic_message(|| {
                let _ = simd.dot_f64(&[0.0; 2], &[]);
            }),
            "perfkit_simd::dot_f64: slice lengths differ (a has 2 elements, b has 0)"
        );
        assert_eq!(
            panic_message(|| simd.add_f32(&a, &a, &mut [0.0; 2])),
            "perfkit_simd::add_f32: slice lengths differ (a has 3 elements, out has 2)"
        );
        assert_eq!(
            panic_message(|| simd.mul_f32(&a, &b, &mut [0.0; 3])),
            "perfkit_simd::mul_f32: slice lengths differ (a has 3 elements, b has 4)"
        );
        assert_eq!(
            panic_message(|| simd.axpy_f32(1.0, &a, &mut [0.0; 5])),
            "perfkit_simd::axpy_f32: slice lengths differ (x has 3 elements, y has 5)"
        );
    }
    // The free functions check too.
    assert_eq!(
        panic_message(|| {
            let _ = perfkit_simd::dot_f32(&[], &[1.0]);
        }),
        "perfkit_simd::dot_f32: slice lengths differ (a has 0 elements, b has 1)"
    );
}

#[test]
fn free_functions_use_the_detected_level() {
    let simd = Simd::detected();
    let (a, b) = (f32_array(1001, 80), f32_array(1001, 81));
    assert_eq!(
        perfkit_simd::dot_f32(&a, &b).to_bits(),
        simd.dot_f32(&a, &b).to_bits()
    );
    assert_eq!(perfkit_simd::min_f32(&a), simd.min_f32(&a));
    assert_eq!(
        perfkit_simd::sum_f32_relaxed(&a).to_bits(),
        simd.sum_f32_relaxed(&a).to_bits()
    );
}

fn float32() -> impl Strategy<Value = f32> {
    prop_oneof![
        8 => -1e6f32..1e6,
        1 => prop::num::f32::NORMAL | prop::num::f32::SUBNORMAL | prop::num::f32::ZERO,
        1 => Just(-0.0f32),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    #[cfg_attr(miri, ignore = "slow under Miri; the table tests cover the scalar level")]
    fn reductions_equal_bits_on_every_level(
        a in prop::collection::vec(float32(), 0..400),
        seed in any::<u64>(),
    ) {
        let b = f32_array(a.len(), seed);
        let want = (ref_sum_f32(&a).to_bits(), ref_dot_f32(&a, &b).to_bits(), ref_l2_f32(&a, &b).to_bits());
        let accurate = perfkit_simd::sum_f32_accurate(&a).to_bits();
        for simd in simds() {
            let got = (simd.sum_f32(&a).to_bits(), simd.dot_f32(&a, &b).to_bits(), simd.l2_squared_f32(&a, &b).to_bits());
            prop_assert_eq!(got, want, "{:?}", simd);
            prop_assert_eq!(simd.sum_f32_accurate(&a).to_bits(), accurate, "{:?}", simd);
            prop_assert_eq!(simd.min_f32(&a), ref_min(&a));
            prop_assert_eq!(simd.max_f32(&a), ref_max(&a));
        }
    }

    #[test]
    #[cfg_attr(miri, ignore = "slow under Miri; the table tests cover the scalar level")]
    fn f64_reductions_equal_bits_on_every_level(
        a in prop::collection::vec(-1e12f64..1e12, 0..300),
        seed in any::<u64>(),
    ) {
        let b = f64_array(a.len(), seed);
        let want = (ref_sum_f64(&a).to_bits(), ref_dot_f64(&a, &b).to_bits());
        let accurate = perfkit_simd::sum_f64_accurate(&a).to_bits();
        for simd in simds() {
            prop_assert_eq!((simd.sum_f64(&a).to_bits(), simd.dot_f64(&a, &b).to_bits()), want, "{:?}", simd);
            prop_assert_eq!(simd.sum_f64_accurate(&a).to_bits(), accurate, "{:?}", simd);
        }
    }
}

/// Inputs long enough (over 32 MiB streamed) that the AVX-512 level may hand them to its AVX2
/// kernels on some CPUs: still the documented order's bits on every level, and the
/// elementwise and min/max kernels still exact.
#[test]
// Just over `LONG_STREAM_BYTES` (32 MiB, arch/x86_64; its unit test pins the value).
#[cfg_attr(miri, ignore = "32 MiB inputs")]
fn long_streams_follow_the_documented_order_on_every_level() {
    let n = (32 << 20) / 4 + 37;
    let (a, b) = (f32_array(n, 20), f32_array(n, 21));
    let want = (
        ref_sum_f32(&a).to_bits(),
        ref_dot_f32(&a, &b).to_bits(),
        ref_l2_f32(&a, &b).to_bits(),
        ref_min(&a).map(f32::to_bits),
        ref_max(&a).map(f32::to_bits),
    );
    let sums: Vec<f32> = a.iter().zip(&b).map(|(x, y)| x + y).collect();
    let mut out = vec![0.0f32; n];
    for simd in simds() {
        let got = (
            simd.sum_f32(&a).to_bits(),
            simd.dot_f32(&a, &b).to_bits(),
            simd.l2_squared_f32(&a, &b).to_bits(),
            simd.min_f32(&a).map(f32::to_bits),
            simd.max_f32(&a).map(f32::to_bits),
        );
        assert_eq!(got, want, "{simd:?}");
        simd.add_f32(&a, &b, &mut out);
        assert!(out == sums, "add_f32 at {simd:?}");
    }
}
