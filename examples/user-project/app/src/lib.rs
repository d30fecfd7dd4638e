//! A small numeric job: the sum of squares of a series, written plainly and with perfkit-simd.

/// The series `0, 1/n, 2/n, ...` of `n` values.
#[must_use]
pub fn series(n: usize) -> Vec<f32> {
    (0..n).map(|i| i as f32 / n as f32).collect()
}

/// The sum of squares, one value at a time.
#[must_use]
pub fn sum_squares_naive(x: &[f32]) -> f32 {
    x.iter().map(|v| v * v).sum()
}

/// The sum of squares with perfkit-simd's dot product (runtime-dispatched SIMD).
#[must_use]
pub fn sum_squares_simd(x: &[f32]) -> f32 {
    perfkit_simd::dot_f32(x, x)
}

#[cfg(test)]
mod tests {
    #[test]
    fn both_ways_agree() {
        let x = super::series(1000);
        let (a, b) = (super::sum_squares_naive(&x), super::sum_squares_simd(&x));
        assert!((a - b).abs() <= 1e-3 * a, "{a} vs {b}");
    }
}
