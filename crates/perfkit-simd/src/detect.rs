//! Hardware detection: the best [`Level`] this CPU and OS run.
//!
//! With the `std` feature this asks std's `is_x86_feature_detected!` /
//! `is_aarch64_feature_detected!`; without it, x86-64 reads `cpuid` and `xgetbv` itself
//! (the same checks, including that the OS saves the AVX and AVX-512 register state).
//! Under Miri only [`Level::Scalar`] is reported: Miri interprets no vendor intrinsics.

use crate::Level;

/// The best level the hardware runs.
#[cfg(miri)]
pub(crate) fn best_level() -> Level {
    Level::Scalar
}

/// The best level the hardware runs.
#[cfg(all(not(miri), target_arch = "x86_64"))]
pub(crate) fn best_level() -> Level {
    #[cfg(feature = "std")]
    {
        x86_std::best_level()
    }
    #[cfg(not(feature = "std"))]
    {
        x86_cpuid::best_level()
    }
}

/// The best level the hardware runs.
#[cfg(all(not(miri), target_arch = "aarch64"))]
pub(crate) fn best_level() -> Level {
    #[cfg(feature = "std")]
    {
        if std::arch::is_aarch64_feature_detected!("neon") {
            return Level::Neon;
        }
    }
    if cfg!(target_feature = "neon") {
        Level::Neon
    } else {
        Level::Scalar
    }
}

/// The best level the hardware runs.
#[cfg(all(not(miri), not(any(target_arch = "x86_64", target_arch = "aarch64"))))]
pub(crate) fn best_level() -> Level {
    Level::Scalar
}

/// An x86-64 CPU vendor, as far as perfkit's choices depend on it.
#[cfg(all(not(miri), target_arch = "x86_64"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum X86Vendor {
    Intel,
    Amd,
    Other,
}

/// `cpuid` leaf `leaf`, sub-leaf `sub`.
#[cfg(all(not(miri), target_arch = "x86_64"))]
#[inline]
fn cpuid(leaf: u32, sub: u32) -> core::arch::x86_64::CpuidResult {
    // `__cpuid_count` is a safe function on the pinned toolchain and an `unsafe` one on the
    // MSRV (1.89); the block keeps the crate building on both.
    #[allow(unused_unsafe)]
    // SAFETY: the `cpuid` instruction exists on every x86-64 CPU and only reads registers;
    // leaves the CPU does not have return zeros or the highest leaf's values.
    unsafe {
        core::arch::x86_64::__cpuid_count(leaf, sub)
    }
}

/// The vendor and family (with the extended family added, as `cpuid` leaf 1 defines it) of
/// this x86-64 CPU: for the few choices that depend on the microarchitecture, not on a
/// feature flag.
#[cfg(all(not(miri), target_arch = "x86_64"))]
pub(crate) fn x86_vendor_family() -> (X86Vendor, u32) {
    let vendor = cpuid(0, 0);
    let signature = cpuid(1, 0).eax;
    let base = (signature >> 8) & 0xf;
    let family = if base == 0xf {
        base + ((signature >> 20) & 0xff)
    } else {
        base
    };
    let vendor = match (vendor.ebx, vendor.edx, vendor.ecx) {
        // "GenuineIntel"
        (0x756e_6547, 0x4965_6e69, 0x6c65_746e) => X86Vendor::Intel,
        // "AuthenticAMD"
        (0x6874_7541, 0x6974_6e65, 0x444d_4163) => X86Vendor::Amd,
        _ => X86Vendor::Other,
    };
    (vendor, family)
}

/// See [`crate::fast_pdep_pext`].
#[cfg(all(not(miri), target_arch = "x86_64"))]
pub(crate) fn fast_pdep_pext() -> bool {
    match x86_vendor_family() {
        (X86Vendor::Intel, _) => true,
        (X86Vendor::Amd, family) => family >= 0x19,
        (X86Vendor::Other, _) => false,
    }
}

/// See [`crate::fast_pdep_pext`].
#[cfg(not(all(not(miri), target_arch = "x86_64")))]
pub(crate) fn fast_pdep_pext() -> bool {
    false
}

#[cfg(all(not(miri), target_arch = "x86_64", feature = "std"))]
pub(crate) mod x86_std {
    use crate::Level;

    /// The best x86-64 level, by std's detection.
    pub(crate) fn best_level() -> Level {
        use std::arch::is_x86_feature_detected as has;
        let v2 = has!("sse2")
            && has!("sse3")
            && has!("ssse3")
            && has!("sse4.1")
            && has!("sse4.2")
            && has!("popcnt");
        let v3 = v2
            && has!("avx")
            && has!("avx2")
            && has!("fma")
            && has!("bmi1")
            && has!("bmi2")
            && has!("lzcnt");
        let v4 = v3
            && has!("avx512f")
            && has!("avx512bw")
            && has!("avx512vl")
            && has!("avx512dq")
            && has!("avx512cd")
            && has!("avx512vpopcntdq");
        if v4 {
            Level::Avx512
        } else if v3 {
            Level::Avx2
        } else if v2 {
            Level::Sse41
        } else {
            Level::Scalar
        }
    }
}

#[cfg(all(not(miri), target_arch = "x86_64"))]
#[cfg_attr(feature = "std", allow(dead_code))]
pub(crate) mod x86_cpuid {
    use super::cpuid;
    use core::arch::x86_64::_xgetbv;

    use crate::Level;

    const fn bit(reg: u32, n: u32) -> bool {
        reg & (1 << n) != 0
    }

    /// `xgetbv(0)`: the register state the OS saves on context switches.
    #[target_feature(enable = "xsave")]
    fn xcr0() -> u64 {
        // SAFETY: `xgetbv` needs XSAVE (enabled on this function) and OSXSAVE, which the only
        // caller checked in cpuid leaf 1 before calling.
        unsafe { _xgetbv(0) }
    }

    /// The best x86-64 level, from `cpuid`/`xgetbv` alone (no std).
    pub(crate) fn best_level() -> Level {
        // `cpuid` exists on every x86-64 CPU.
        let max_leaf = cpuid(0, 0).eax;
        let l1 = cpuid(1, 0);
        let (ecx1, edx1) = (l1.ecx, l1.edx);
        let (ebx7, ecx7) = if max_leaf >= 7 {
            let l7 = cpuid(7, 0);
            (l7.ebx, l7.ecx)
        } else {
            (0, 0)
        };
        let ext_max = cpuid(0x8000_0000, 0).eax;
        let ecx81 = if ext_max >= 0x8000_0001 {
            cpuid(0x8000_0001, 0).ecx
        } else {
            0
        };

        let v2 = bit(edx1, 26) // sse2
            && bit(ecx1, 0) // sse3
            && bit(ecx1, 9) // ssse3
            && bit(ecx1, 19) // sse4.1
            && bit(ecx1, 20) // sse4.2
            && bit(ecx1, 23); // popcnt
        let osxsave = bit(ecx1, 27);
        let xcr0 = if osxsave {
            // SAFETY: OSXSAVE (checked just above) implies the CPU has XSAVE.
            unsafe { xcr0() }
        } else {
            0
        };
        let os_avx = xcr0 & 0b110 == 0b110; // xmm + ymm state
        let os_avx512 = os_avx && xcr0 & 0b1110_0000 == 0b1110_0000; // opmask, zmm_hi256, hi16_zmm
        let v3 = v2
            && os_avx
            && bit(ecx1, 28) // avx
            && bit(ebx7, 5) // avx2
            && bit(ecx1, 12) // fma
            && bit(ebx7, 3) // bmi1
            && bit(ebx7, 8) // bmi2
            && bit(ecx81, 5); // lzcnt (abm)
        let v4 = v3
            && os_avx512
            && bit(ebx7, 16) // avx512f
            && bit(ebx7, 17) // avx512dq
            && bit(ebx7, 28) // avx512cd
            && bit(ebx7, 30) // avx512bw
            && bit(ebx7, 31) // avx512vl
            && bit(ecx7, 14); // avx512vpopcntdq
        if v4 {
            Level::Avx512
        } else if v3 {
            Level::Avx2
        } else if v2 {
            Level::Sse41
        } else {
            Level::Scalar
        }
    }
}

#[cfg(all(test, not(miri), target_arch = "x86_64", feature = "std"))]
mod tests {
    #[test]
    fn cpuid_detection_agrees_with_std() {
        assert_eq!(super::x86_cpuid::best_level(), super::x86_std::best_level());
    }
}
