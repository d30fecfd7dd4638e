//! CPU levels, the [`Simd`] token and the one-time detection behind them.
//!
//! Detection runs once per process: the first call to [`Level::detected`] (or any free
//! kernel function) asks the CPU what it supports, applies the `PERFKIT_SIMD` override and
//! stores the answer in an atomic. Every later call is a relaxed load.

use core::fmt;
use core::str::FromStr;
use core::sync::atomic::{AtomicU8, Ordering};

/// An instruction-set level a kernel can be compiled for.
///
/// Levels on one architecture are **cumulative**: a CPU that runs a level runs every level
/// below it on the same architecture (`Avx512` ⊃ `Avx2` ⊃ `Sse41` ⊃ `Scalar`; `Neon` ⊃
/// `Scalar`), because each level's detection checks the features of the levels below it
/// too. The features a level guarantees are listed on each variant and returned by
/// [`Level::target_features`]; crates that write their own `#[target_feature]` kernels may
/// rely on exactly that list once they hold a [`Simd`] of that level (see [`Simd`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Level {
    /// Portable Rust, no CPU feature beyond the target's baseline. Available everywhere.
    Scalar,
    /// x86-64-v2: SSE, SSE2, SSE3, **SSSE3**, **SSE4.1**, **SSE4.2** (including the `crc32`
    /// instruction) and **POPCNT**.
    Sse41,
    /// x86-64-v3 core: everything in [`Level::Sse41`] plus **AVX**, **AVX2**, **FMA**,
    /// **BMI1**, **BMI2** (`pext`/`pdep`) and **LZCNT**.
    Avx2,
    /// Everything in [`Level::Avx2`] plus **AVX-512 F, BW, VL, DQ, CD** and **VPOPCNTDQ**,
    /// with the OS saving the full `zmm`/mask state.
    Avx512,
    /// aarch64 Advanced SIMD (**NEON**, including `fp`).
    Neon,
}

impl Level {
    /// Every level, lowest first within each architecture.
    pub const ALL: [Level; 5] = [
        Level::Scalar,
        Level::Sse41,
        Level::Avx2,
        Level::Avx512,
        Level::Neon,
    ];

    /// The best level this CPU runs, detected once, then lowered (never raised) by the
    /// `PERFKIT_SIMD` environment variable when the `std` feature is on.
    ///
    /// `PERFKIT_SIMD` takes a level name (`scalar`, `sse41`, `avx2`, `avx512`, `neon`,
    /// case-insensitive). A level this CPU runs is used as given; a level above what it runs
    /// gives the best level it does run; another architecture's level gives
    /// [`Level::Scalar`]; an unknown name is ignored. The variable is read once, on the first
    /// call.
    ///
    /// ```
    /// use perfkit_simd::Level;
    /// let level = Level::detected();
    /// assert!(level.is_available());
    /// ```
    #[must_use]
    #[inline]
    pub fn detected() -> Level {
        match DETECTED.load(Ordering::Relaxed) {
            UNSET => detect_and_cache(),
            v => Level::from_u8(v),
        }
    }

    /// Every level this CPU runs (ignoring `PERFKIT_SIMD`), lowest first. Tests loop over it.
    ///
    /// ```
    /// use perfkit_simd::Level;
    /// assert!(Level::available().any(|l| l == Level::Scalar));
    /// ```
    pub fn available() -> impl Iterator<Item = Level> + Clone {
        Level::ALL.into_iter().filter(|l| l.is_available())
    }

    /// Whether this CPU runs `self` (ignoring `PERFKIT_SIMD`).
    #[must_use]
    #[inline]
    pub fn is_available(self) -> bool {
        let best = hardware_best();
        self == Level::Scalar || (self.same_chain(best) && self.rank() <= best.rank())
    }

    /// Whether a CPU that runs `self` also runs `other` (`other` is `self` or a lower level on
    /// the same architecture). `Level::Avx512.includes(Level::Avx2)` is true.
    #[must_use]
    pub const fn includes(self, other: Level) -> bool {
        matches!(other, Level::Scalar) || (self.same_chain(other) && other.rank() <= self.rank())
    }

    /// The `#[target_feature]` names this level guarantees (the names `rustc` uses, all
    /// checked at detection). Empty for [`Level::Scalar`].
    #[must_use]
    pub const fn target_features(self) -> &'static [&'static str] {
        match self {
            Level::Scalar => &[],
            Level::Sse41 => &["sse2", "sse3", "ssse3", "sse4.1", "sse4.2", "popcnt"],
            Level::Avx2 => &[
                "sse2", "sse3", "ssse3", "sse4.1", "sse4.2", "popcnt", "avx", "avx2", "fma",
                "bmi1", "bmi2", "lzcnt",
            ],
            Level::Avx512 => &[
                "sse2",
                "sse3",
                "ssse3",
                "sse4.1",
                "sse4.2",
                "popcnt",
                "avx",
                "avx2",
                "fma",
                "bmi1",
                "bmi2",
                "lzcnt",
                "avx512f",
                "avx512bw",
                "avx512vl",
                "avx512dq",
                "avx512cd",
                "avx512vpopcntdq",
            ],
            Level::Neon => &["neon"],
        }
    }

    /// The lower-case name `PERFKIT_SIMD` accepts (`"avx2"`, ...).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Level::Scalar => "scalar",
            Level::Sse41 => "sse41",
            Level::Avx2 => "avx2",
            Level::Avx512 => "avx512",
            Level::Neon => "neon",
        }
    }

    /// Position within its architecture's chain (Scalar is 0 everywhere).
    const fn rank(self) -> u8 {
        match self {
            Level::Scalar => 0,
            Level::Sse41 | Level::Neon => 1,
            Level::Avx2 => 2,
            Level::Avx512 => 3,
        }
    }

    /// Whether both levels sit on the same architecture's chain (Scalar is on every chain).
    const fn same_chain(self, other: Level) -> bool {
        const fn x86(l: Level) -> bool {
            matches!(l, Level::Sse41 | Level::Avx2 | Level::Avx512)
        }
        matches!(self, Level::Scalar)
            || matches!(other, Level::Scalar)
            || (x86(self) && x86(other))
            || (matches!(self, Level::Neon) && matches!(other, Level::Neon))
    }

    const fn from_u8(v: u8) -> Level {
        match v {
            1 => Level::Sse41,
            2 => Level::Avx2,
            3 => Level::Avx512,
            4 => Level::Neon,
            _ => Level::Scalar,
        }
    }

    const fn to_u8(self) -> u8 {
        match self {
            Level::Scalar => 0,
            Level::Sse41 => 1,
            Level::Avx2 => 2,
            Level::Avx512 => 3,
            Level::Neon => 4,
        }
    }

    /// The level `PERFKIT_SIMD=requested` selects on a CPU whose best level is `best`:
    /// never above `best`.
    #[must_use]
    pub(crate) fn lowered(best: Level, requested: Level) -> Level {
        if best.includes(requested) {
            requested
        } else if requested.same_chain(best) {
            best
        } else {
            Level::Scalar
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error [`Level::from_str`] returns for a name that is not a level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseLevelError;

impl fmt::Display for ParseLevelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown SIMD level (expected one of scalar, sse41, avx2, avx512, neon)")
    }
}

/// Written as its [name](Level::name) (`"avx2"`) and read back through [`FromStr`], so a
/// stored level reads the same as `PERFKIT_SIMD` does.
#[cfg(feature = "serde")]
impl serde::Serialize for Level {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Level {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Name;
        impl serde::de::Visitor<'_> for Name {
            type Value = Level;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a SIMD level name (scalar, sse41, avx2, avx512 or neon)")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Level, E> {
                s.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Name)
    }
}

impl FromStr for Level {
    type Err = ParseLevelError;

    /// Parses a level name as `PERFKIT_SIMD` takes it (case-insensitive, surrounding
    /// whitespace ignored).
    fn from_str(s: &str) -> Result<Level, ParseLevelError> {
        let s = s.trim();
        Level::ALL
            .into_iter()
            .find(|l| l.name().eq_ignore_ascii_case(s))
            .ok_or(ParseLevelError)
    }
}

const UNSET: u8 = u8::MAX;
static DETECTED: AtomicU8 = AtomicU8::new(UNSET);
static HARDWARE: AtomicU8 = AtomicU8::new(UNSET);

/// The best level the hardware runs, detected once.
#[inline]
fn hardware_best() -> Level {
    match HARDWARE.load(Ordering::Relaxed) {
        UNSET => {
            let best = crate::detect::best_level();
            HARDWARE.store(best.to_u8(), Ordering::Relaxed);
            best
        }
        v => Level::from_u8(v),
    }
}

#[cold]
#[inline(never)]
fn detect_and_cache() -> Level {
    let best = hardware_best();
    let level = match env_override() {
        Some(requested) => Level::lowered(best, requested),
        None => best,
    };
    DETECTED.store(level.to_u8(), Ordering::Relaxed);
    level
}

#[cfg(feature = "std")]
fn env_override() -> Option<Level> {
    let value = std::env::var_os("PERFKIT_SIMD")?;
    value.to_str()?.parse().ok()
}

#[cfg(not(feature = "std"))]
fn env_override() -> Option<Level> {
    None
}

/// A token proving that the CPU runs a [`Level`]: holding one is the precondition every
/// kernel's `unsafe` dispatch needs, so the kernels are safe methods on it.
///
/// Build one with [`Simd::new`] (a chosen level, `None` if the CPU does not run it) or
/// [`Simd::detected`] (the cached best level). The free functions of this crate are
/// `Simd::detected().kernel(..)`.
///
/// # Writing your own kernels on top
///
/// A `Simd` of level `L` guarantees that every feature in `L.target_features()` (and in
/// the levels `L` [includes](Level::includes)) is present, so a downstream crate may call a
/// `#[target_feature(enable = "...")]` function whose features are a subset of that list:
///
/// ```
/// use perfkit_simd::{Level, Simd};
///
/// #[cfg(target_arch = "x86_64")]
/// #[target_feature(enable = "sse4.2")]
/// fn crc32c_u64(crc: u64, v: u64) -> u64 {
///     core::arch::x86_64::_mm_crc32_u64(crc, v)
/// }
///
/// fn checksum(simd: Simd, words: &[u64]) -> u64 {
///     #[cfg(target_arch = "x86_64")]
///     if simd.level().includes(Level::Sse41) {
///         // SAFETY: a Simd including Sse41 guarantees SSE4.2 (Level::Sse41's list).
///         return words.iter().fold(!0, |c, &w| unsafe { crc32c_u64(c, w) });
///     }
///     words.iter().fold(0, |c, &w| c ^ w) // portable fallback
/// }
///
/// let _ = checksum(Simd::detected(), &[1, 2, 3]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Simd {
    /// Invariant: `level.is_available()`.
    level: Level,
}

impl Simd {
    /// A token for `level`, or `None` if this CPU does not run it. Ignores `PERFKIT_SIMD`.
    ///
    /// ```
    /// use perfkit_simd::{Level, Simd};
    /// let scalar = Simd::new(Level::Scalar).unwrap(); // always available
    /// assert_eq!(scalar.popcount(&[0b1011]), 3);
    /// ```
    #[must_use]
    #[inline]
    pub fn new(level: Level) -> Option<Simd> {
        level.is_available().then_some(Simd { level })
    }

    /// The token for [`Level::detected`] (cached; no CPU query after the first call).
    #[must_use]
    #[inline]
    pub fn detected() -> Simd {
        Simd {
            level: Level::detected(),
        }
    }

    /// The scalar token, usable everywhere.
    #[must_use]
    #[inline]
    pub const fn scalar() -> Simd {
        Simd {
            level: Level::Scalar,
        }
    }

    /// The level this token proves.
    #[must_use]
    #[inline]
    pub const fn level(self) -> Level {
        self.level
    }
}

impl Default for Simd {
    /// [`Simd::detected`].
    fn default() -> Simd {
        Simd::detected()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowering_never_raises() {
        use Level::*;
        assert_eq!(Level::lowered(Avx512, Avx2), Avx2);
        assert_eq!(Level::lowered(Avx2, Avx512), Avx2);
        assert_eq!(Level::lowered(Avx2, Scalar), Scalar);
        assert_eq!(Level::lowered(Avx2, Neon), Scalar);
        assert_eq!(Level::lowered(Neon, Avx2), Scalar);
        assert_eq!(Level::lowered(Neon, Neon), Neon);
        assert_eq!(Level::lowered(Scalar, Sse41), Scalar);
        for best in Level::ALL {
            for req in Level::ALL {
                assert!(best.includes(Level::lowered(best, req)), "{best} {req}");
            }
        }
    }

    #[test]
    fn includes_is_cumulative() {
        use Level::*;
        assert!(Avx512.includes(Avx2) && Avx512.includes(Sse41) && Avx512.includes(Scalar));
        assert!(!Avx2.includes(Avx512));
        assert!(!Neon.includes(Sse41) && !Avx512.includes(Neon));
        for l in Level::ALL {
            assert!(l.includes(l));
            for lower in Level::ALL.into_iter().filter(|&o| l.includes(o)) {
                for f in lower.target_features() {
                    assert!(l.target_features().contains(f), "{l} lacks {f} of {lower}");
                }
            }
        }
    }

    #[test]
    fn names_round_trip() {
        for l in Level::ALL {
            assert_eq!(l.name().parse::<Level>(), Ok(l));
            assert_eq!(Level::from_u8(l.to_u8()), l);
        }
        assert_eq!(" AVX2 ".parse::<Level>(), Ok(Level::Avx2));
        assert_eq!("avx3".parse::<Level>(), Err(ParseLevelError));
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serde_uses_the_names() {
        for l in Level::ALL {
            let json = serde_json::to_string(&l).unwrap();
            assert_eq!(json, std::format!("\"{}\"", l.name()));
            assert_eq!(serde_json::from_str::<Level>(&json).unwrap(), l);
        }
        let err = serde_json::from_str::<Level>("\"avx3\"").unwrap_err();
        assert!(std::format!("{err}").contains("avx3") || std::format!("{err}").contains("level"));
    }
}
