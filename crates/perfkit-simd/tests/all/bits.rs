//! Bit kernels: popcount, the four bitwise assigns, count_byte, and the integer sums.

use perfkit_simd::Simd;
use perfkit_testkit::{Rng, bytes, u64_array};
use proptest::prelude::*;

use crate::{OFFSETS, cases, lengths, simds};

fn naive_popcount(x: &[u64]) -> u64 {
    x.iter().map(|w| u64::from(w.count_ones())).sum()
}

type AssignFn = fn(Simd, &mut [u64], &[u64]);
type WordOp = fn(u64, u64) -> u64;

const ASSIGNS: [(&str, AssignFn, WordOp); 4] = [
    ("and", |s, a, b| s.and_assign(a, b), |a, b| a & b),
    ("or", |s, a, b| s.or_assign(a, b), |a, b| a | b),
    ("xor", |s, a, b| s.xor_assign(a, b), |a, b| a ^ b),
    ("andnot", |s, a, b| s.andnot_assign(a, b), |a, b| a & !b),
];

#[test]
fn popcount_matches_naive() {
    let buf = u64_array(lengths().into_iter().max().unwrap() + 8, 1);
    for simd in simds() {
        for n in lengths() {
            for off in OFFSETS {
                let x = &buf[off..off + n];
                assert_eq!(
                    simd.popcount(x),
                    naive_popcount(x),
                    "{simd:?} n={n} off={off}"
                );
            }
        }
    }
    assert_eq!(perfkit_simd::popcount(&[u64::MAX; 9]), 9 * 64);
}

#[test]
fn bitwise_assigns_match_naive() {
    let max = lengths().into_iter().max().unwrap() + 8;
    let (a0, b0) = (u64_array(max, 2), u64_array(max, 3));
    for simd in simds() {
        for n in lengths() {
            for off in OFFSETS {
                let b = &b0[off..off + n];
                for (name, kernel, op) in ASSIGNS {
                    let mut a = a0.clone();
                    kernel(simd, &mut a[off..off + n], b);
                    let want: Vec<u64> = a0[off..off + n]
                        .iter()
                        .zip(b)
                        .map(|(&x, &y)| op(x, y))
                        .collect();
                    assert_eq!(
                        &a[off..off + n],
                        &want[..],
                        "{name} {simd:?} n={n} off={off}"
                    );
                    // Words outside the slice are untouched.
                    assert_eq!(&a[..off], &a0[..off]);
                    assert_eq!(&a[off + n..], &a0[off + n..]);
                }
            }
        }
    }
}

#[test]
fn count_byte_matches_naive() {
    let max = lengths().into_iter().max().unwrap() * 8 + 8;
    // Few distinct values, so matches are frequent.
    let mut rng = Rng::new(4);
    let small: Vec<u8> = (0..max).map(|_| rng.below(4) as u8).collect();
    let random = bytes(max, 5);
    for simd in simds() {
        for buf in [&small, &random] {
            for n in lengths().into_iter().map(|n| n * 3) {
                for off in OFFSETS {
                    let x = &buf[off..off + n];
                    for needle in [0u8, 1, 3, 0x80, 0xff] {
                        let want = x.iter().filter(|&&b| b == needle).count();
                        assert_eq!(
                            simd.count_byte(x, needle),
                            want,
                            "{simd:?} n={n} off={off} needle={needle}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn integer_sums_match_naive() {
    let max = lengths().into_iter().max().unwrap() + 8;
    let words = u64_array(max, 6);
    let ints: Vec<i32> = u64_array(max, 7)
        .iter()
        .map(|&w| (w >> 32) as i32)
        .collect();
    for simd in simds() {
        for n in lengths() {
            for off in OFFSETS {
                let w = &words[off..off + n];
                let want = w.iter().fold(0u64, |t, &v| t.wrapping_add(v));
                assert_eq!(simd.sum_u64(w), want, "{simd:?} n={n} off={off}");
                let x = &ints[off..off + n];
                let want: i64 = x.iter().map(|&v| i64::from(v)).sum();
                assert_eq!(simd.sum_i32(x), want, "{simd:?} n={n} off={off}");
            }
        }
    }
    let extremes = [i32::MIN; 100];
    assert_eq!(perfkit_simd::sum_i32(&extremes), 100 * i64::from(i32::MIN));
}

#[test]
fn mismatched_lengths_panic_with_message() {
    for simd in simds() {
        for (name, kernel, _) in ASSIGNS {
            let err = std::panic::catch_unwind(|| {
                let mut a = [0u64; 3];
                kernel(simd, &mut a, &[0u64; 4]);
            })
            .expect_err("mismatched lengths must panic");
            let msg = err.downcast_ref::<String>().expect("formatted message");
            assert_eq!(
                msg,
                &format!(
                    "perfkit_simd::{name}_assign: slice lengths differ (a has 3 elements, b has 4)"
                )
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    #[cfg_attr(miri, ignore = "slow under Miri; the table tests cover the scalar level")]
    fn bit_kernels_agree_on_random_input(
        a in proptest::collection::vec(any::<u64>(), 0..200),
        seed in any::<u64>(),
        needle in any::<u8>(),
    ) {
        let b = u64_array(a.len(), seed);
        let bytes: Vec<u8> = a.iter().flat_map(|w| w.to_le_bytes()).collect();
        for simd in simds() {
            prop_assert_eq!(simd.popcount(&a), naive_popcount(&a));
            prop_assert_eq!(simd.count_byte(&bytes, needle), bytes.iter().filter(|&&x| x == needle).count());
            for (_, kernel, op) in ASSIGNS {
                let mut got = a.clone();
                kernel(simd, &mut got, &b);
                let want: Vec<u64> = a.iter().zip(&b).map(|(&x, &y)| op(x, y)).collect();
                prop_assert_eq!(got, want);
            }
        }
    }
}

/// 32 MiB and more streamed (where the AVX-512 level may run its AVX2 kernels on some CPUs):
/// still the naive results on every level.
#[test]
// Just over `LONG_STREAM_BYTES` (32 MiB, arch/x86_64; its unit test pins the value).
#[cfg_attr(miri, ignore = "32 MiB inputs")]
fn long_streams_match_naive_on_every_level() {
    let n = (32 << 20) / 8 + 5;
    let a = u64_array(n, 30);
    let b = u64_array(n, 31);
    let want_pop = naive_popcount(&a);
    let want_sum = a.iter().fold(0u64, |s, &v| s.wrapping_add(v));
    let want_xor: Vec<u64> = a.iter().zip(&b).map(|(x, y)| x ^ y).collect();
    for simd in simds() {
        assert_eq!(simd.popcount(&a), want_pop, "{simd:?}");
        assert_eq!(simd.sum_u64(&a), want_sum, "{simd:?}");
        let mut x = a.clone();
        simd.xor_assign(&mut x, &b);
        assert!(x == want_xor, "xor_assign at {simd:?}");
    }
}
