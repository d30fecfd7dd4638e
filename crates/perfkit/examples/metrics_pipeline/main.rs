//! The flagship: a metrics-aggregation pipeline that shows, measured, what each technique buys.
//!
//! A stream of perfkit frames, each a batch of metric events (name, timestamp delta, value,
//! labels), is decoded, checked and aggregated per metric and per one-second window (count,
//! sum, min, max, p99 and a label checksum). The same job runs once per row of the table,
//! each row adding one technique to the one before; every row must emit exactly the same
//! aggregates (an order-independent checksum over every field of every aggregate), so no row
//! can win by doing less work.
//!
//! ```text
//! cargo run --release --example metrics_pipeline                 # every row, side by side
//! cargo run --release --example metrics_pipeline -- --help       # all options
//! ```
//!
//! Every row runs under perfkit's tracking allocator, which is where the allocation columns
//! come from. The rows before "arena" allocate from the system allocator, the rows from
//! "arena" on from mimalloc (see `alloc.rs`), as the table's story goes. The wire format and the rules every row follows are in
//! `model.rs`; the rows are in `rows/`, one file per row.

mod alloc;
mod model;
mod rows;
#[cfg(test)]
mod tests;

use std::process::ExitCode;
use std::time::Instant;

use perfkit::memory::tracking::{self, TrackingAllocator};
use perfkit::profile::Histogram;

use model::{Problem, Sink, Walker};
use rows::ROWS;

#[global_allocator]
static ALLOC: TrackingAllocator<alloc::Switch> = TrackingAllocator::new(alloc::Switch);

const HELP: &str = "\
metrics_pipeline: decode, check and aggregate a stream of metric-event frames, once per
technique, and print what each technique buys.

USAGE:
    cargo run --release --example metrics_pipeline -- [OPTIONS]

OPTIONS:
    --events N           generate N events (default 33554432 = 2^25: 8192 frames, about a
                         second for the fastest row)
    --seed S             seed of the generated input (default: the testkit's DEFAULT_SEED)
    --metrics N          distinct metric names in the generated input (default 64)
    --colliding          make those names collide: crafted, as a hash-flooding attacker would,
                         to share one home group of an interner seeded with CRAFTED_SEED (0)
    --interner-seed S    seed the `perfkit` row's interner with S instead of at random (with
                         --colliding and S = 0: the attack on a fixed, known seed)
    --input FILE         read the frame stream from FILE instead of generating it; frames that
                         are corrupt or truncated are reported with their byte offset and skipped
    --write-input FILE   write the generated input to FILE (then run as usual)
    --variant NAME       run one row only (for PGO training and profiling; built with the
                         `heap-profile` feature, the rows run under a heap profile)
    --json               print the table as JSON instead of text
    -h, --help           this text

ROWS (each adds one technique to the row above it):
";

/// Command-line options.
#[derive(Debug)]
struct Options {
    events: usize,
    seed: u64,
    metrics: usize,
    colliding: bool,
    interner_seed: Option<u64>,
    input: Option<String>,
    write_input: Option<String>,
    variant: Option<String>,
    json: bool,
}

fn parse_args() -> Result<Option<Options>, String> {
    let mut o = Options {
        events: 1 << 25,
        seed: perfkit_testkit::DEFAULT_SEED,
        metrics: model::METRICS,
        colliding: false,
        interner_seed: None,
        input: None,
        write_input: None,
        variant: None,
        json: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .ok_or_else(|| format!("{name} needs a value (see --help)"))
        };
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--events" => {
                let v = value("--events")?;
                o.events = v
                    .parse()
                    .map_err(|_| format!("--events takes a whole number, not `{v}`"))?;
            }
            "--seed" => {
                let v = value("--seed")?;
                o.seed = v
                    .parse()
                    .map_err(|_| format!("--seed takes a whole number, not `{v}`"))?;
            }
            "--metrics" => {
                let v = value("--metrics")?;
                o.metrics =
                    v.parse().ok().filter(|&n| n > 0).ok_or_else(|| {
                        format!("--metrics takes a whole number above 0, not `{v}`")
                    })?;
            }
            "--colliding" => o.colliding = true,
            "--interner-seed" => {
                let v = value("--interner-seed")?;
                o.interner_seed = Some(
                    v.parse()
                        .map_err(|_| format!("--interner-seed takes a whole number, not `{v}`"))?,
                );
            }
            "--input" => o.input = Some(value("--input")?),
            "--write-input" => o.write_input = Some(value("--write-input")?),
            "--variant" => {
                let v = value("--variant")?;
                if !ROWS.iter().any(|row| row.name == v) {
                    let names: Vec<_> = ROWS.iter().map(|row| row.name).collect();
                    return Err(format!(
                        "unknown variant `{v}`; the rows are: {}",
                        names.join(", ")
                    ));
                }
                o.variant = Some(v);
            }
            "--json" => o.json = true,
            other => return Err(format!("unknown option `{other}` (see --help)")),
        }
    }
    Ok(Some(o))
}

/// What one row measured.
#[derive(Debug, Clone)]
struct RowResult {
    name: &'static str,
    allocator: &'static str,
    events: u64,
    rejected: u64,
    seconds: f64,
    batch_p50_ns: u64,
    batch_p99_ns: u64,
    allocations: u64,
    steady_allocations: u64,
    peak_live_bytes: u64,
    sink: Sink,
}

impl RowResult {
    fn events_per_sec(&self) -> f64 {
        self.events as f64 / self.seconds
    }
}

/// Runs one row over the whole input, timing each frame (parse, CRC check and aggregation).
/// `frames` is the number of frames in the input: allocations made after the first half of
/// them count as steady-state allocations.
fn run_row(row: &rows::RowSpec, input: &[u8], frames: usize) -> RowResult {
    let (name, make) = (row.name, row.make);
    alloc::use_mimalloc(row.mimalloc);
    // Sized for every frame up front, so recording a latency never allocates.
    let mut latency = Histogram::new();
    let mut sink = Sink::default();
    let (mut events, mut rejected) = (0u64, 0u64);
    let mut half_allocs = 0;
    let (seconds, stats) = tracking::measure(|| {
        let start = Instant::now();
        let mut variant = make();
        let mut walker = Walker::new(input);
        let mut index = 0usize;
        loop {
            if index == frames / 2 {
                half_allocs = tracking::thread_stats().allocations;
            }
            let t = Instant::now();
            let Some(item) = walker.next() else { break };
            if let Ok((_, payload)) = item {
                match variant.batch(payload, &mut sink) {
                    Ok(n) => events += n as u64,
                    Err(_) => rejected += 1,
                }
            }
            latency.record(t.elapsed().as_nanos() as u64);
            index += 1;
        }
        let steady = tracking::thread_stats().allocations - half_allocs;
        variant.finish(&mut sink);
        let seconds = start.elapsed().as_secs_f64();
        drop(variant);
        half_allocs = steady;
        seconds
    });
    alloc::use_mimalloc(false);
    RowResult {
        name,
        allocator: if row.mimalloc { "mimalloc" } else { "system" },
        events,
        rejected,
        seconds,
        batch_p50_ns: latency.percentile(50.0).unwrap_or(0),
        batch_p99_ns: latency.percentile(99.0).unwrap_or(0),
        allocations: stats.allocations,
        steady_allocations: half_allocs,
        peak_live_bytes: stats.peak_live_bytes,
        sink,
    }
}

/// Walks the input once, untimed, to count its frames and report every problem in it.
fn survey(input: &[u8]) -> (usize, Vec<Problem>) {
    let mut frames = 0;
    let mut problems = Vec::new();
    for item in Walker::new(input) {
        frames += 1;
        match item {
            Ok((offset, payload)) => {
                if let Err(error) = rows::check(payload) {
                    problems.push(Problem::Payload { offset, error });
                }
            }
            Err(p) => problems.push(p),
        }
    }
    (frames, problems)
}

fn print_table(rows: &[RowResult]) {
    let base = rows
        .iter()
        .find(|r| r.name == "naive")
        .map(RowResult::events_per_sec);
    println!(
        "{:<9} {:<9} {:>12} {:>8} {:>10} {:>10} {:>12} {:>8} {:>10} {:>18}",
        "row",
        "allocator",
        "events/s",
        "speedup",
        "p50 batch",
        "p99 batch",
        "allocs/event",
        "steady",
        "peak live",
        "checksum"
    );
    for r in rows {
        let speedup = base.map_or("-".to_string(), |b| {
            format!("{:.1}x", r.events_per_sec() / b)
        });
        println!(
            "{:<9} {:<9} {:>12} {:>8} {:>10} {:>10} {:>12.4} {:>8} {:>10} {:>18}",
            r.name,
            r.allocator,
            format!("{:.2}M", r.events_per_sec() / 1e6),
            speedup,
            format!("{:.1}µs", r.batch_p50_ns as f64 / 1e3),
            format!("{:.1}µs", r.batch_p99_ns as f64 / 1e3),
            r.allocations as f64 / r.events.max(1) as f64,
            r.steady_allocations,
            format!("{:.1}MiB", r.peak_live_bytes as f64 / (1 << 20) as f64),
            format!("{:016x}", r.sink.checksum),
        );
    }
}

fn json(rows: &[RowResult], input_bytes: usize, frames: usize, problems: usize) -> String {
    let base = rows
        .iter()
        .find(|r| r.name == "naive")
        .map(RowResult::events_per_sec);
    let rows: Vec<_> = rows
        .iter()
        .map(|r| {
            serde_json::json!({
                "row": r.name,
                "allocator": r.allocator,
                "events": r.events,
                "rejected_batches": r.rejected,
                "seconds": r.seconds,
                "events_per_sec": r.events_per_sec(),
                "speedup_vs_naive": base.map(|b| r.events_per_sec() / b),
                "batch_p50_ns": r.batch_p50_ns,
                "batch_p99_ns": r.batch_p99_ns,
                "allocations": r.allocations,
                "allocations_per_event": r.allocations as f64 / r.events.max(1) as f64,
                "steady_state_allocations": r.steady_allocations,
                "peak_live_bytes": r.peak_live_bytes,
                "aggregates": r.sink.rows,
                "checksum": format!("{:016x}", r.sink.checksum),
            })
        })
        .collect();
    let doc = serde_json::json!({
        "schema": "perfkit.metrics_pipeline/1",
        "simd_level": perfkit::simd::Level::detected().name(),
        "input_bytes": input_bytes,
        "frames": frames,
        "problems": problems,
        "rows": rows,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

fn main() -> ExitCode {
    let opts = match parse_args() {
        Ok(Some(o)) => o,
        Ok(None) => {
            print!("{HELP}");
            for row in ROWS {
                println!(
                    "    {:<10} {} [{}]",
                    row.name,
                    row.what,
                    if row.mimalloc {
                        "mimalloc"
                    } else {
                        "system allocator"
                    }
                );
            }
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let input = match &opts.input {
        Some(path) => match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) => {
                eprintln!("error: cannot read {path}: {e}");
                return ExitCode::from(2);
            }
        },
        None if opts.colliding => {
            let names = model::colliding_names(opts.metrics, opts.seed);
            model::generate_with_names(opts.events, opts.seed, 4, &names)
        }
        None if opts.metrics != model::METRICS => {
            let names = perfkit_testkit::unique_strings(opts.metrics, opts.seed);
            model::generate_with_names(opts.events, opts.seed, 4, &names)
        }
        None => model::generate(opts.events, opts.seed, 4),
    };
    *rows::INTERNER_SEED
        .lock()
        .unwrap_or_else(|p| p.into_inner()) = opts.interner_seed;
    if let Some(path) = &opts.write_input {
        if let Err(e) = std::fs::write(path, &input) {
            eprintln!("error: cannot write {path}: {e}");
            return ExitCode::from(2);
        }
        eprintln!("wrote {} bytes of input to {path}", input.len());
    }
    let (frames, problems) = survey(&input);
    for p in problems.iter().take(20) {
        eprintln!("input: {p}");
    }
    if problems.len() > 20 {
        eprintln!("input: ... and {} more problems", problems.len() - 20);
    }
    if !opts.json {
        println!(
            "input: {} bytes, {frames} frames, {} skipped; SIMD level {}; every row counted by perfkit's tracking allocator",
            input.len(),
            problems.len(),
            perfkit::simd::Level::detected().name()
        );
    }
    // Built with the `heap-profile` feature (`cargo xtask heap --example metrics_pipeline --
    // --variant NAME`), the rows run under a heap profile: where their allocations come from,
    // written for DHAT's viewer when the profiler drops at the end of `main`. The input above is
    // not part of it.
    #[cfg(feature = "heap-profile")]
    let _heap = perfkit::memory::heap::Profiler::start();
    let mut results = Vec::new();
    for row in ROWS {
        if opts.variant.as_deref().is_some_and(|v| v != row.name) {
            continue;
        }
        results.push(run_row(row, &input, frames));
    }
    if opts.json {
        println!("{}", json(&results, input.len(), frames, problems.len()));
    } else {
        print_table(&results);
    }
    let first = results[0].sink;
    if let Some(bad) = results.iter().find(|r| r.sink != first) {
        eprintln!(
            "error: row `{}` emitted different aggregates than row `{}` ({} vs {} aggregates, checksum {:016x} vs {:016x})",
            bad.name, results[0].name, bad.sink.rows, first.rows, bad.sink.checksum, first.checksum
        );
        return ExitCode::FAILURE;
    }
    if !opts.json {
        println!(
            "every row emitted the same {} aggregates over {} events (checksum {:016x})",
            first.rows, first.events, first.checksum
        );
    }
    ExitCode::SUCCESS
}
