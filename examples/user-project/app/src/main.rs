//! `app [N] [ROUNDS]`: sums the squares of a series of N values ROUNDS times and prints the
//! result (the workload `cargo xtask pgo` trains on).

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1 << 16);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let x = app::series(n);
    let mut total = 0.0_f64;
    for _ in 0..rounds {
        total += f64::from(app::sum_squares_simd(std::hint::black_box(&x)));
    }
    println!("{total:.3}");
}
