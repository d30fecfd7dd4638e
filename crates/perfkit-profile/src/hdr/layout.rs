//! HdrHistogram's bucket layout, from the three numbers a V2 header carries (significant
//! digits `d`, lowest discernible value `L`, highest trackable value `H`), and how it lines
//! up with [`Histogram`](crate::Histogram)'s.
//!
//! HdrHistogram keeps `2^(h+1)` sub-buckets of width `2^u` for the values below
//! `2^(h+1+u)`, then splits each further power of two into `2^h` sub-buckets, where
//! `h = ⌈log2(2·10^d)⌉ − 1` (the "sub-bucket half-count magnitude") and `u = ⌊log2 L⌋` (the
//! "unit magnitude"). Its counts-array index of a value `v` is perfkit's bucket index of
//! `v >> u` at precision `h`; so with `L = 1` the two layouts are the same whenever perfkit's
//! precision equals `h`: for `d` = 0, 1, 2, 3 that is precision 0, 4, 7, 10.

use super::HdrError;

/// The sub-bucket half-count magnitude `h` for `d` significant digits:
/// `⌈log2(2·10^d)⌉ − 1`, for `d` in `0..=5`.
pub(crate) const HALF_COUNT_MAGNITUDE: [u32; 6] = [0, 4, 7, 10, 14, 17];

/// The fewest significant digits whose layout is at least as fine as perfkit's precision
/// `precision` (`h >= precision`).
pub(crate) fn digits_for(precision: u32) -> u32 {
    HALF_COUNT_MAGNITUDE
        .iter()
        .position(|&h| h >= precision)
        .map_or(5, |d| d as u32)
}

/// An HdrHistogram layout, checked as HdrHistogram's constructors check it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Layout {
    /// Sub-bucket half-count magnitude `h`.
    pub(crate) half: u32,
    /// Unit magnitude `u`. Invariant: `u + h + 1 <= 63`.
    pub(crate) unit: u32,
    /// Length of the counts array (the number of buckets) covering `0..=H`.
    pub(crate) len: u64,
}

impl Layout {
    /// The layout of a V2 header, or the header field that makes it invalid.
    pub(crate) fn new(digits: u32, lowest: u64, highest: u64) -> Result<Self, HdrError> {
        let half = *HALF_COUNT_MAGNITUDE
            .get(digits as usize)
            .ok_or(HdrError::SignificantDigits { found: digits })?;
        if lowest == 0 {
            return Err(HdrError::LowestDiscernibleValue {
                found: lowest,
                digits,
            });
        }
        let unit = lowest.ilog2();
        // HdrHistogram's limit: the first 2^(h+1) sub-buckets of width 2^u must fit 63 bits.
        if unit + half + 1 > 63 {
            return Err(HdrError::LowestDiscernibleValue {
                found: lowest,
                digits,
            });
        }
        if highest / 2 < lowest {
            return Err(HdrError::HighestTrackableValue {
                found: highest,
                lowest,
            });
        }
        // HdrHistogram's `buckets_to_cover(H)`: one bucket per power of two above the first
        // 2^(h+1+u), plus one when the doubling would pass 2^63.
        let mut smallest_untrackable = 1u64 << (half + 1 + unit);
        let mut buckets = 1u64;
        while smallest_untrackable <= highest {
            if smallest_untrackable > u64::MAX / 2 {
                buckets += 1;
                break;
            }
            smallest_untrackable <<= 1;
            buckets += 1;
        }
        Ok(Self {
            half,
            unit,
            len: (buckets + 1) << half,
        })
    }

    /// The values counted at `index`: `(lowest, width)`, or `None` when they would not fit
    /// a `u64` (an index past any valid array).
    pub(crate) fn range(&self, index: u64) -> Option<(u64, u64)> {
        let half_count = 1u64 << self.half;
        let (bucket, sub) = match (index >> self.half).checked_sub(1) {
            // The first 2^(h+1) sub-buckets are bucket 0.
            None => (0, index),
            Some(b) => (b, (index & (half_count - 1)) + half_count),
        };
        let shift = u32::try_from(bucket).ok()?.checked_add(self.unit)?;
        let low = u128::from(sub).checked_shl(shift)?;
        let width = 1u128.checked_shl(shift)?;
        let low = u64::try_from(low).ok()?;
        // The whole bucket must be representable: `low + width - 1 <= u64::MAX`.
        u64::try_from(u128::from(low) + width - 1).ok()?;
        Some((low, u64::try_from(width).ok()?))
    }

    /// HdrHistogram's `median_equivalent_value` of the bucket at `index`: its lowest value
    /// plus half its width.
    pub(crate) fn median(&self, index: u64) -> Option<u64> {
        self.range(index).map(|(low, width)| low + width / 2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::histogram::{bucket_count, bucket_index};

    #[test]
    fn half_count_magnitudes_follow_hdrhistograms_formula() {
        for (d, &h) in HALF_COUNT_MAGNITUDE.iter().enumerate() {
            let largest_single_unit = 2.0 * 10f64.powi(d as i32);
            let magnitude = largest_single_unit.log2().ceil() as u32;
            assert_eq!(h, magnitude.max(1) - 1, "{d} digits");
        }
    }

    #[test]
    fn digits_for_picks_the_coarsest_layout_at_least_as_fine() {
        let want = [0, 1, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4];
        for (p, &d) in want.iter().enumerate() {
            assert_eq!(digits_for(p as u32), d, "precision {p}");
        }
    }

    #[test]
    fn unit_lowest_layouts_are_perfkits_buckets() {
        for (d, p) in [(0, 0), (1, 4), (2, 7), (3, 10)] {
            // H = 2^63 - 1 (Java's Long.MAX_VALUE) covers every value below 2^63 …
            let layout = Layout::new(d, 1, i64::MAX as u64).unwrap();
            assert_eq!(
                layout.len,
                (bucket_count(p) - (1 << p)) as u64,
                "{d} digits"
            );
            // … and u64::MAX the whole range, like perfkit's array.
            let full = Layout::new(d, 1, u64::MAX).unwrap();
            assert_eq!(full.len, bucket_count(p) as u64);
            for index in 0..full.len {
                let (low, width) = full.range(index).unwrap();
                assert_eq!(bucket_index(low, p) as u64, index);
                assert_eq!(bucket_index(low + (width - 1), p) as u64, index);
            }
            assert_eq!(full.range(full.len), None, "past the end of the u64 range");
        }
    }

    #[test]
    fn wider_units_shift_the_layout() {
        // L = 1024: u = 10; values below 2^(h+1+u) in buckets 1024 wide.
        let layout = Layout::new(2, 1024, 3_600_000_000).unwrap();
        assert_eq!((layout.half, layout.unit), (7, 10));
        assert_eq!(layout.range(0), Some((0, 1024)));
        assert_eq!(layout.range(255), Some((255 * 1024, 1024)));
        assert_eq!(layout.range(256), Some((256 * 1024, 2048)));
        assert_eq!(layout.median(256), Some(256 * 1024 + 1024));
    }

    #[test]
    fn invalid_headers_are_rejected() {
        assert_eq!(
            Layout::new(6, 1, 100),
            Err(HdrError::SignificantDigits { found: 6 })
        );
        assert_eq!(
            Layout::new(2, 0, 100),
            Err(HdrError::LowestDiscernibleValue {
                found: 0,
                digits: 2
            })
        );
        assert_eq!(
            Layout::new(5, 1 << 46, u64::MAX),
            Err(HdrError::LowestDiscernibleValue {
                found: 1 << 46,
                digits: 5
            })
        );
        assert_eq!(
            Layout::new(2, 10, 19),
            Err(HdrError::HighestTrackableValue {
                found: 19,
                lowest: 10
            })
        );
    }
}
