//! Deciding whether a new measurement is a regression, an improvement or noise.

use std::fmt;

/// What was wrong with a measurement or a threshold.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RegressionError {
    /// A median, bound or sample is NaN or infinite.
    #[error("the {what} is not a finite number ({value})")]
    NotFinite {
        /// Which number: `"median"`, `"lower bound"`, `"upper bound"` or `"sample"`.
        what: &'static str,
        /// The offending value.
        value: f64,
    },
    /// A median of zero or less: a change in percent against it means nothing.
    #[error("the median must be positive, got {median}")]
    NonPositiveMedian {
        /// The median given.
        median: f64,
    },
    /// The interval bounds do not surround the median.
    #[error("the confidence interval [{lower}, {upper}] does not contain the median {median}")]
    BoundsOutOfOrder {
        /// The lower bound.
        lower: f64,
        /// The median.
        median: f64,
        /// The upper bound.
        upper: f64,
    },
    /// [`Estimate::from_samples`] was given no samples.
    #[error("no samples to estimate a median from")]
    NoSamples,
    /// A threshold that is negative, NaN or infinite.
    #[error("the threshold must be a finite, non-negative percentage, got {pct}")]
    InvalidThreshold {
        /// The threshold given, in percent.
        pct: f64,
    },
}

/// A measurement: a median and the bounds of its confidence interval.
///
/// Invariant: every field is finite, `0 < median` and `lower ≤ median ≤ upper`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    median: f64,
    lower: f64,
    upper: f64,
}

fn finite(what: &'static str, value: f64) -> Result<f64, RegressionError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(RegressionError::NotFinite { what, value })
    }
}

impl Estimate {
    /// A median with its confidence interval `[lower, upper]`.
    ///
    /// # Errors
    ///
    /// [`RegressionError::NotFinite`], [`RegressionError::NonPositiveMedian`], or
    /// [`RegressionError::BoundsOutOfOrder`] when `lower ≤ median ≤ upper` does not hold.
    pub fn new(median: f64, lower: f64, upper: f64) -> Result<Self, RegressionError> {
        let median = finite("median", median)?;
        let lower = finite("lower bound", lower)?;
        let upper = finite("upper bound", upper)?;
        if median <= 0.0 {
            return Err(RegressionError::NonPositiveMedian { median });
        }
        if !(lower <= median && median <= upper) {
            return Err(RegressionError::BoundsOutOfOrder {
                lower,
                median,
                upper,
            });
        }
        Ok(Self {
            median,
            lower,
            upper,
        })
    }

    /// A single number with no uncertainty (a zero-width interval): only the threshold
    /// decides.
    ///
    /// # Errors
    ///
    /// As [`Estimate::new`].
    pub fn exact(median: f64) -> Result<Self, RegressionError> {
        Self::new(median, median, median)
    }

    /// The median of `samples` with a distribution-free ~95% confidence interval: the
    /// order statistics of ranks `⌊n/2 − 0.98·√n⌋` and `⌈1 + n/2 + 0.98·√n⌉` (1-based,
    /// clamped to `1..=n`; the normal approximation of the binomial, so the bounds are
    /// the sample extremes for `n ≤ 5`). The median of an even count is the mean of the
    /// middle two.
    ///
    /// # Errors
    ///
    /// [`RegressionError::NoSamples`], or [`RegressionError::NotFinite`] naming the first
    /// bad sample, or [`RegressionError::NonPositiveMedian`].
    pub fn from_samples(samples: &[f64]) -> Result<Self, RegressionError> {
        if samples.is_empty() {
            return Err(RegressionError::NoSamples);
        }
        let mut sorted = samples
            .iter()
            .map(|&s| finite("sample", s))
            .collect::<Result<Vec<f64>, _>>()?;
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            f64::midpoint(sorted[n / 2 - 1], sorted[n / 2])
        };
        let half = n as f64 / 2.0;
        let spread = 0.98 * (n as f64).sqrt(); // 1.96 · √n / 2
        let rank = |r: f64| (r as usize).clamp(1, n) - 1; // `as` saturates below 0
        let lower = sorted[rank((half - spread).floor())];
        let upper = sorted[rank((1.0 + half + spread).ceil())];
        Self::new(median, lower.min(median), upper.max(median))
    }

    /// The median.
    #[must_use]
    pub const fn median(&self) -> f64 {
        self.median
    }

    /// The lower bound of the confidence interval.
    #[must_use]
    pub const fn lower(&self) -> f64 {
        self.lower
    }

    /// The upper bound of the confidence interval.
    #[must_use]
    pub const fn upper(&self) -> f64 {
        self.upper
    }

    /// Whether the two confidence intervals share at least one point.
    #[must_use]
    pub fn overlaps(&self, other: &Self) -> bool {
        self.lower <= other.upper && other.lower <= self.upper
    }
}

/// Which way is better for the measured quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Direction {
    /// Times, sizes, allocations: a rise is a regression.
    #[default]
    LowerIsBetter,
    /// Throughputs: a drop is a regression.
    HigherIsBetter,
}

/// The outcome of a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// Better than the baseline, beyond the threshold and the noise.
    Improved,
    /// Worse than the baseline, beyond the threshold and the noise.
    Regressed,
    /// Within the threshold, or not distinguishable from noise.
    NoChange,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Improved => "improved",
            Self::Regressed => "regressed",
            Self::NoChange => "no change",
        })
    }
}

/// A verdict with the figures it was drawn from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Comparison {
    /// The verdict.
    pub verdict: Verdict,
    /// The signed change of the median, in percent of the baseline's: positive means the
    /// number went up (slower, for a time).
    pub change_pct: f64,
    /// Whether the two confidence intervals overlap.
    pub overlapping: bool,
}

impl fmt::Display for Comparison {
    /// `"regressed (+25.0%)"`, `"improved (-50.0%)"`, `"no change (+3.1%)"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({:+.1}%)", self.verdict, self.change_pct)
    }
}

/// Deciding whether a new measurement is a regression, an improvement or noise.
///
/// # The rule
///
/// A measurement is an [`Estimate`]: a median with the bounds of its confidence interval
/// (criterion reports exactly this; [`Estimate::from_samples`] computes it from raw
/// samples; [`Estimate::exact`] is a bare number with a zero-width interval). Given a
/// baseline `B`, a current measurement `C` and a threshold `T` percent (default
/// [`RegressionDetector::DEFAULT_THRESHOLD_PCT`] = 2):
///
/// 1. `change = (C.median − B.median) · 100 / B.median`, the signed change in percent.
/// 2. The intervals *overlap* when `C.lower ≤ B.upper` and `B.lower ≤ C.upper`.
/// 3. For a quantity where lower is better (times, the default [`Direction`]):
///    - [`Verdict::Regressed`] when `change > T` **and** the intervals do not overlap;
///    - [`Verdict::Improved`] when `change < −T` **and** the intervals do not overlap;
///    - [`Verdict::NoChange`] otherwise — a change of exactly `T` is not beyond it, and a
///      large change whose intervals overlap is not distinguishable from noise.
///
///    For [`Direction::HigherIsBetter`] (throughputs) the two verdicts swap: a drop beyond
///    `T` is the regression.
///
/// Both conditions are needed: the threshold keeps real but irrelevant changes quiet, and
/// the interval test keeps a noisy run from crying wolf. `cargo xtask bench` applies this
/// rule: with `--compare REV` to each benchmark's paired ratio (its 95% interval against the
/// exact ratio 1), with `--baseline NAME` to its criterion median and 95% interval against
/// the saved run's.
///
/// ```
/// use perfkit_profile::{Estimate, RegressionDetector, Verdict};
///
/// // Baseline: median 100 ns, 95% CI [98, 102].
/// let detector = RegressionDetector::new(Estimate::new(100.0, 98.0, 102.0)?);
///
/// let slower = detector.check(Estimate::new(130.0, 127.0, 133.0)?);
/// assert_eq!(slower.verdict, Verdict::Regressed);
/// assert_eq!(slower.change_pct, 30.0);
///
/// let noisy = detector.check(Estimate::new(130.0, 90.0, 170.0)?); // CIs overlap
/// assert_eq!(noisy.verdict, Verdict::NoChange);
///
/// let faster = detector.check(Estimate::exact(50.0)?);
/// assert_eq!(faster.verdict, Verdict::Improved);
/// assert_eq!(faster.to_string(), "improved (-50.0%)");
/// # Ok::<(), perfkit_profile::RegressionError>(())
/// ```
///
/// A `RegressionDetector` holds a baseline measurement and a threshold:
/// [`check`](Self::check) tells whether a new measurement regressed, by the rule above.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RegressionDetector {
    baseline: Estimate,
    threshold_pct: f64,
    direction: Direction,
}

impl RegressionDetector {
    /// The default threshold: a change must exceed 2% to count. Small, because the second
    /// condition (intervals apart) is the guard against noise: with a paired comparison's
    /// tight interval (`cargo xtask bench --compare`) a 3% change is real and worth a look.
    /// Raise it for estimates whose intervals understate the noise, such as medians of two
    /// separate runs on a shared machine.
    pub const DEFAULT_THRESHOLD_PCT: f64 = 2.0;

    /// A detector for `baseline` with the default 2% threshold, lower is better.
    #[must_use]
    pub const fn new(baseline: Estimate) -> Self {
        Self {
            baseline,
            threshold_pct: Self::DEFAULT_THRESHOLD_PCT,
            direction: Direction::LowerIsBetter,
        }
    }

    /// A detector for `baseline` with a threshold of `threshold_pct` percent
    /// (e.g. `10.0`), lower is better.
    ///
    /// # Errors
    ///
    /// [`RegressionError::InvalidThreshold`] when the threshold is negative, NaN or
    /// infinite.
    pub fn with_threshold_pct(
        baseline: Estimate,
        threshold_pct: f64,
    ) -> Result<Self, RegressionError> {
        if !threshold_pct.is_finite() || threshold_pct < 0.0 {
            return Err(RegressionError::InvalidThreshold { pct: threshold_pct });
        }
        Ok(Self {
            threshold_pct,
            ..Self::new(baseline)
        })
    }

    /// The same detector for a quantity that improves in `direction`.
    #[must_use]
    pub const fn direction(self, direction: Direction) -> Self {
        Self { direction, ..self }
    }

    /// The baseline.
    #[must_use]
    pub const fn baseline(&self) -> Estimate {
        self.baseline
    }

    /// The threshold, in percent.
    #[must_use]
    pub const fn threshold_pct(&self) -> f64 {
        self.threshold_pct
    }

    /// Compares `current` with the baseline.
    #[must_use]
    pub fn check(&self, current: Estimate) -> Comparison {
        let base = self.baseline.median;
        let change_pct = (current.median - base) * 100.0 / base;
        let overlapping = current.overlaps(&self.baseline);
        let (worse, better) = match self.direction {
            Direction::LowerIsBetter => (
                change_pct > self.threshold_pct,
                change_pct < -self.threshold_pct,
            ),
            Direction::HigherIsBetter => (
                change_pct < -self.threshold_pct,
                change_pct > self.threshold_pct,
            ),
        };
        let verdict = if overlapping {
            Verdict::NoChange
        } else if worse {
            Verdict::Regressed
        } else if better {
            Verdict::Improved
        } else {
            Verdict::NoChange
        };
        Comparison {
            verdict,
            change_pct,
            overlapping,
        }
    }
}

/// `serde` support (feature `serde`): written out as impls on the public types (each through
/// a private mirror that derives), so the docs label every impl with its feature. The forms
/// are what `#[derive]` would write; reading an [`Estimate`] checks its invariants.
#[cfg(feature = "serde")]
mod serde_impl {
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::{Comparison, Direction, Estimate, RegressionDetector, Verdict};

    #[derive(Serialize, Deserialize)]
    #[serde(rename = "Estimate")]
    struct EstimateRepr {
        median: f64,
        lower: f64,
        upper: f64,
    }

    impl Serialize for Estimate {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            EstimateRepr {
                median: self.median,
                lower: self.lower,
                upper: self.upper,
            }
            .serialize(s)
        }
    }

    impl<'de> Deserialize<'de> for Estimate {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let r = EstimateRepr::deserialize(d)?;
            Estimate::new(r.median, r.lower, r.upper).map_err(D::Error::custom)
        }
    }

    #[derive(Serialize, Deserialize)]
    #[serde(rename = "Direction")]
    enum DirectionRepr {
        LowerIsBetter,
        HigherIsBetter,
    }

    impl Serialize for Direction {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            match self {
                Self::LowerIsBetter => DirectionRepr::LowerIsBetter,
                Self::HigherIsBetter => DirectionRepr::HigherIsBetter,
            }
            .serialize(s)
        }
    }

    impl<'de> Deserialize<'de> for Direction {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            Ok(match DirectionRepr::deserialize(d)? {
                DirectionRepr::LowerIsBetter => Self::LowerIsBetter,
                DirectionRepr::HigherIsBetter => Self::HigherIsBetter,
            })
        }
    }

    #[derive(Serialize, Deserialize)]
    #[serde(rename = "Verdict")]
    enum VerdictRepr {
        Improved,
        Regressed,
        NoChange,
    }

    impl Serialize for Verdict {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            match self {
                Self::Improved => VerdictRepr::Improved,
                Self::Regressed => VerdictRepr::Regressed,
                Self::NoChange => VerdictRepr::NoChange,
            }
            .serialize(s)
        }
    }

    impl<'de> Deserialize<'de> for Verdict {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            Ok(match VerdictRepr::deserialize(d)? {
                VerdictRepr::Improved => Self::Improved,
                VerdictRepr::Regressed => Self::Regressed,
                VerdictRepr::NoChange => Self::NoChange,
            })
        }
    }

    #[derive(Serialize, Deserialize)]
    #[serde(rename = "Comparison")]
    struct ComparisonRepr {
        verdict: Verdict,
        change_pct: f64,
        overlapping: bool,
    }

    impl Serialize for Comparison {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            ComparisonRepr {
                verdict: self.verdict,
                change_pct: self.change_pct,
                overlapping: self.overlapping,
            }
            .serialize(s)
        }
    }

    impl<'de> Deserialize<'de> for Comparison {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let r = ComparisonRepr::deserialize(d)?;
            Ok(Self {
                verdict: r.verdict,
                change_pct: r.change_pct,
                overlapping: r.overlapping,
            })
        }
    }

    #[derive(Serialize)]
    #[serde(rename = "RegressionDetector")]
    struct DetectorRepr {
        baseline: Estimate,
        threshold_pct: f64,
        direction: Direction,
    }

    impl Serialize for RegressionDetector {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            DetectorRepr {
                baseline: self.baseline,
                threshold_pct: self.threshold_pct,
                direction: self.direction,
            }
            .serialize(s)
        }
    }
}
