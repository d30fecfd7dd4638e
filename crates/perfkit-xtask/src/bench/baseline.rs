//! Comparing a run with a saved baseline.
//!
//! The rule is perfkit-profile's [`RegressionDetector`] (one implementation for every perfkit
//! tool): a benchmark has **regressed** when its median is more than `threshold` percent
//! slower than the baseline's *and* the two confidence intervals do not overlap; it has
//! **improved** under the mirror-image condition; anything else is **no change** — either the
//! difference is within the threshold or the noise could explain it.
//!
//! This compares two separate runs, which a drifting machine can fool: `--compare REV` (a
//! paired A/B in one session) is the stronger check.

use perfkit_profile::RegressionDetector;
use serde::{Deserialize, Serialize};

use super::criterion::Estimate;

/// The outcome of comparing one benchmark with its baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Faster by more than the threshold, beyond the noise.
    Improved,
    /// Slower by more than the threshold, beyond the noise.
    Regressed,
    /// Within the threshold or within the noise.
    NoChange,
}

impl Verdict {
    /// How reports spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Improved => "improved",
            Self::Regressed => "regressed",
            Self::NoChange => "no change",
        }
    }
}

/// Change of the median in percent: positive means slower.
#[must_use]
pub fn change_percent(base: &Estimate, new: &Estimate) -> f64 {
    (new.point - base.point) / base.point * 100.0
}

/// Applies the rule in the module docs. `threshold_pct` is a percentage (10.0 = 10%). An
/// estimate the detector cannot take (a non-positive or NaN median, an interval that does not
/// hold its median) is reported as no change.
#[must_use]
pub fn verdict(base: &Estimate, new: &Estimate, threshold_pct: f64) -> Verdict {
    let est = |e: &Estimate| perfkit_profile::Estimate::new(e.point, e.lower, e.upper);
    let (Ok(b), Ok(n)) = (est(base), est(new)) else {
        return Verdict::NoChange;
    };
    let Ok(detector) = RegressionDetector::with_threshold_pct(b, threshold_pct) else {
        return Verdict::NoChange;
    };
    match detector.check(n).verdict {
        perfkit_profile::Verdict::Regressed => Verdict::Regressed,
        perfkit_profile::Verdict::Improved => Verdict::Improved,
        _ => Verdict::NoChange,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn est(point: f64, lower: f64, upper: f64) -> Estimate {
        Estimate {
            point,
            lower,
            upper,
            confidence: 0.95,
        }
    }

    #[test]
    fn verdicts() {
        let base = est(100.0, 98.0, 102.0);
        let cases = [
            // (new median, lower, upper, threshold %, expected, why)
            (
                120.0,
                118.0,
                122.0,
                10.0,
                Verdict::Regressed,
                "20% slower, intervals apart",
            ),
            (
                120.0,
                101.0,
                140.0,
                10.0,
                Verdict::NoChange,
                "20% slower, intervals overlap",
            ),
            (
                105.0,
                104.0,
                106.0,
                10.0,
                Verdict::NoChange,
                "5% slower: under the threshold",
            ),
            (
                105.0,
                104.0,
                106.0,
                2.0,
                Verdict::Regressed,
                "5% slower: over a 2% threshold",
            ),
            (
                70.0,
                69.0,
                71.0,
                10.0,
                Verdict::Improved,
                "30% faster, intervals apart",
            ),
            (
                70.0,
                60.0,
                99.0,
                10.0,
                Verdict::NoChange,
                "30% faster, intervals overlap",
            ),
        ];
        for (point, lower, upper, threshold, expected, why) in cases {
            assert_eq!(
                verdict(&base, &est(point, lower, upper), threshold),
                expected,
                "{why}"
            );
        }
        // Identical.
        assert_eq!(verdict(&base, &base, 0.0), Verdict::NoChange);
        assert!((change_percent(&base, &est(120.0, 0.0, 0.0)) - 20.0).abs() < 1e-12);
        assert!((change_percent(&base, &est(70.0, 0.0, 0.0)) + 30.0).abs() < 1e-12);
    }

    #[test]
    fn threshold_is_strict() {
        let base = est(100.0, 100.0, 100.0);
        // Exactly at the threshold is not over it.
        assert_eq!(
            verdict(&base, &est(110.0, 110.0, 110.0), 10.0),
            Verdict::NoChange
        );
        assert_eq!(
            verdict(&base, &est(110.5, 110.5, 110.5), 10.0),
            Verdict::Regressed
        );
    }
}
