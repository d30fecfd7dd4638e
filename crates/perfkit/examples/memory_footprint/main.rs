//! Memory footprint: one million user records held the naive way, then one layout technique
//! at a time, with what each one buys measured.
//!
//! A record has an id, a status, six flags, a name drawn from 10 000 names, up to four tags
//! from a vocabulary of 32, two timestamps and a score (`model.rs`). Each row of the table
//! holds the same records another way, adding one technique to the row above (`rows/`, one
//! file per row), and reports the bytes per record its build left live (counted by perfkit's
//! tracking allocator, everything the row holds) next to `size_of` its per-record struct, the
//! time to build it and the median time of a scan that reads every field of every record and
//! folds a checksum. Every row's checksum must equal the one folded straight from the source,
//! so no row can win by holding less; the program exits with 1 if one differs.
//!
//! ```text
//! cargo run --release --example memory_footprint                 # every row, side by side
//! cargo run --release --example memory_footprint -- --help       # all options
//! ```

mod measure;
mod model;
mod rows;
#[cfg(test)]
mod tests;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use perfkit::layout::{Layout, LayoutReport};
use perfkit::memory::{Arena, MiMalloc, TrackingAllocator};

use measure::Measured;
use model::Source;
use rows::ROWS;

#[global_allocator]
static ALLOC: TrackingAllocator<MiMalloc> = TrackingAllocator::new(MiMalloc);

const HELP: &str = "\
memory_footprint: hold the same user records once per layout technique, and print the bytes
per record, the build time and the scan time each technique gives.

USAGE:
    cargo run --release --example memory_footprint -- [OPTIONS]

OPTIONS:
    --records N     generate N records (default 1000000; at most 100000000)
    --seed S        seed of the generated records (default: the testkit's DEFAULT_SEED)
    --scans K       scans per row; the table shows their median (default 5)
    --row NAME      run one row only
    --paired R      also build `naive` and `arena` side by side and scan them alternately
                    R times each: the median of the per-round scan-time ratios
    --json          print the results as JSON instead of a table
    -h, --help      this text

ROWS (each adds one technique to the row above it):
";

/// Command-line options.
#[derive(Debug)]
struct Options {
    records: usize,
    seed: u64,
    scans: usize,
    row: Option<String>,
    paired: usize,
    json: bool,
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Option<Options>, String> {
    let mut o = Options {
        records: 1_000_000,
        seed: perfkit_testkit::DEFAULT_SEED,
        scans: 5,
        row: None,
        paired: 0,
        json: false,
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> Result<u64, String> {
            let v = args
                .next()
                .ok_or_else(|| format!("{name} needs a value (see --help)"))?;
            v.replace('_', "")
                .parse()
                .map_err(|_| format!("{name} takes a whole number, not `{v}`"))
        };
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--records" => {
                let n = number("--records")?;
                if !(1..=model::MAX_RECORDS as u64).contains(&n) {
                    return Err(format!(
                        "--records takes 1 to {} records, not {n}",
                        model::MAX_RECORDS
                    ));
                }
                o.records = n as usize;
            }
            "--seed" => o.seed = number("--seed")?,
            "--scans" => {
                let n = number("--scans")?;
                if !(1..=1000).contains(&n) {
                    return Err(format!("--scans takes 1 to 1000 scans, not {n}"));
                }
                o.scans = n as usize;
            }
            "--paired" => {
                let n = number("--paired")?;
                if n > 1000 {
                    return Err(format!("--paired takes 0 to 1000 rounds, not {n}"));
                }
                o.paired = n as usize;
            }
            "--row" => {
                let v = args
                    .next()
                    .ok_or_else(|| "--row needs a value (see --help)".to_string())?;
                if !ROWS.iter().any(|row| row.name == v) {
                    let names: Vec<_> = ROWS.iter().map(|row| row.name).collect();
                    return Err(format!(
                        "unknown row `{v}`; the rows are: {}",
                        names.join(", ")
                    ));
                }
                o.row = Some(v);
            }
            "--json" => o.json = true,
            other => return Err(format!("unknown option `{other}` (see --help)")),
        }
    }
    Ok(Some(o))
}

/// What one row measured, with its name.
#[derive(Debug, Clone)]
struct RowResult {
    name: &'static str,
    what: &'static str,
    records: usize,
    m: Measured,
}

impl RowResult {
    fn bytes_per_record(&self) -> f64 {
        self.m.live_bytes as f64 / self.records as f64
    }
    fn blocks_per_record(&self) -> f64 {
        self.m.live_blocks as f64 / self.records as f64
    }
}

/// The naive row's result, the reference of the "vs naive" columns.
fn naive(rows: &[RowResult]) -> Option<&RowResult> {
    rows.iter().find(|r| r.name == "naive")
}

/// The scans of `naive` and `arena` alternated, both rows held at once: the per-round ratios
/// naive time / arena time (above 1: the arena row scans faster), in round order. The order
/// within a round alternates too, so neither side always runs first.
fn paired(src: &Source, rounds: usize) -> Vec<f64> {
    if rounds == 0 {
        return Vec::new();
    }
    let users = rows::naive::build(src);
    let arena = Arena::with_capacity(rows::arena::arena_bytes(src.len()));
    let (columns, stores) = rows::arena::build(&arena, src);
    let time = |f: &dyn Fn() -> u64| {
        let t = Instant::now();
        std::hint::black_box(f());
        t.elapsed().as_secs_f64()
    };
    let naive_scan = || rows::naive::scan(std::hint::black_box(&users));
    let arena_scan = || rows::arena::scan(std::hint::black_box(&columns), &stores);
    (0..rounds)
        .map(|round| {
            let (n, a) = if round % 2 == 0 {
                let n = time(&naive_scan);
                (n, time(&arena_scan))
            } else {
                let a = time(&arena_scan);
                (time(&naive_scan), a)
            };
            n / a
        })
        .collect()
}

fn median_f64(xs: &[f64]) -> f64 {
    let mut sorted = xs.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted
        .get(sorted.len().saturating_sub(1) / 2)
        .copied()
        .unwrap_or(f64::NAN)
}

fn ms(d: Duration) -> String {
    format!("{:.1}ms", d.as_secs_f64() * 1e3)
}

fn print_table(rows: &[RowResult], scans: usize) {
    let base = naive(rows);
    println!(
        "{:<12} {:>7} {:>10} {:>9} {:>10} {:>13} {:>12} {:>9} {:>18}",
        "row",
        "size_of",
        "bytes/rec",
        "vs naive",
        "blocks/rec",
        format!("build (med {})", measure::BUILDS),
        format!("scan (med {scans})"),
        "scan vs",
        "checksum"
    );
    for r in rows {
        let (saved, speedup) = base.map_or(("-".to_string(), "-".to_string()), |b| {
            (
                format!(
                    "{:+.1}%",
                    (r.bytes_per_record() / b.bytes_per_record() - 1.0) * 100.0
                ),
                format!(
                    "{:.2}x",
                    b.m.scan_median().as_secs_f64() / r.m.scan_median().as_secs_f64()
                ),
            )
        });
        println!(
            "{:<12} {:>7} {:>10.1} {:>9} {:>10.2} {:>13} {:>12} {:>9} {:>18}",
            r.name,
            r.m.record_size,
            r.bytes_per_record(),
            saved,
            r.blocks_per_record(),
            ms(r.m.build_median()),
            ms(r.m.scan_median()),
            speedup,
            format!("{:016x}", r.m.checksum),
        );
    }
}

fn layout_json(report: &LayoutReport) -> serde_json::Value {
    serde_json::json!({
        "struct": report.name(),
        "size": report.size(),
        "padding": report.padding(),
        "reordered_size": report.reordered_size(),
        "bytes_saved": report.bytes_saved(),
    })
}

fn json(rows: &[RowResult], opts: &Options, expected: u64, ratios: &[f64]) -> String {
    let base = naive(rows);
    let rows: Vec<_> = rows
        .iter()
        .map(|r| {
            serde_json::json!({
                "row": r.name,
                "adds": r.what,
                "record_size": r.m.record_size,
                "live_bytes": r.m.live_bytes,
                "bytes_per_record": r.bytes_per_record(),
                "bytes_vs_naive": base.map(|b| r.bytes_per_record() / b.bytes_per_record()),
                "live_blocks": r.m.live_blocks,
                "blocks_per_record": r.blocks_per_record(),
                "build_median_ns": r.m.build_median().as_nanos() as u64,
                "builds_ns": r.m.builds.iter().map(|d| d.as_nanos() as u64).collect::<Vec<_>>(),
                "scan_median_ns": r.m.scan_median().as_nanos() as u64,
                "scans_ns": r.m.scans.iter().map(|d| d.as_nanos() as u64).collect::<Vec<_>>(),
                "scan_speedup_vs_naive": base.map(|b| b.m.scan_median().as_secs_f64() / r.m.scan_median().as_secs_f64()),
                "checksum": format!("{:016x}", r.m.checksum),
            })
        })
        .collect();
    let doc = serde_json::json!({
        "schema": "perfkit.memory_footprint/1",
        "records": opts.records,
        "seed": opts.seed,
        "distinct_names": model::NAMES,
        "tags": model::TAGS,
        "builds_per_row": measure::BUILDS,
        "scans_per_row": opts.scans,
        "expected_checksum": format!("{expected:016x}"),
        "layout": {
            "naive": layout_json(&rows::naive::User::layout_report()),
            "narrow": layout_json(&rows::narrow::User::layout_report()),
            "reorder": layout_json(&rows::reorder::User::layout_report()),
        },
        "paired_scan_naive_over_arena": if ratios.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::json!({ "rounds": ratios.len(), "median_ratio": median_f64(ratios), "ratios": ratios })
        },
        "rows": rows,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// The targets: the last row run against `naive`, as a sentence.
fn verdict(rows: &[RowResult]) -> Option<String> {
    let (base, best) = (naive(rows)?, rows.last()?);
    if best.name == base.name {
        return None;
    }
    let less = (1.0 - best.bytes_per_record() / base.bytes_per_record()) * 100.0;
    let speed = base.m.scan_median().as_secs_f64() / best.m.scan_median().as_secs_f64();
    let met = |ok: bool| if ok { "met" } else { "NOT met" };
    Some(format!(
        "{} vs naive: {less:.1}% less live memory (target >= 80%: {}); scan {speed:.2}x naive's speed (target no slower: {})",
        best.name,
        met(less >= 80.0),
        met(speed >= 1.0)
    ))
}

fn main() -> ExitCode {
    let opts = match parse_args(std::env::args().skip(1)) {
        Ok(Some(o)) => o,
        Ok(None) => {
            print!("{HELP}");
            for row in ROWS {
                println!("    {:<12} {}", row.name, row.what);
            }
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let src = Source::generate(opts.records, opts.seed);
    let expected = src.checksum();
    if !opts.json {
        let narrow = rows::narrow::User::layout_report();
        println!(
            "{} records (seed {:#x}): {} distinct names, {} tags; bytes/rec and blocks/rec = what the build left allocated / records, counted by perfkit's tracking allocator; build = median of {} builds; scan = median of {} scans folding every field",
            opts.records,
            opts.seed,
            model::NAMES,
            model::TAGS,
            measure::BUILDS,
            opts.scans
        );
        println!(
            "layout report of narrow::User: {} bytes, {} of them padding; sorted by alignment {} (reorder saves {} bytes per record)",
            narrow.size(),
            narrow.padding(),
            narrow.reordered_size(),
            narrow.bytes_saved()
        );
    }
    let mut results = Vec::new();
    for row in ROWS {
        if opts.row.as_deref().is_some_and(|v| v != row.name) {
            continue;
        }
        results.push(RowResult {
            name: row.name,
            what: row.what,
            records: opts.records,
            m: (row.run)(&src, opts.scans),
        });
    }
    let ratios = paired(&src, opts.paired);
    if opts.json {
        println!("{}", json(&results, &opts, expected, &ratios));
    } else {
        print_table(&results, opts.scans);
        if let Some(v) = verdict(&results) {
            println!("{v}");
        }
        if !ratios.is_empty() {
            println!(
                "paired: naive and arena scanned alternately {} times each: naive time / arena time, median {:.2}x (min {:.2}x, max {:.2}x)",
                ratios.len(),
                median_f64(&ratios),
                ratios.iter().copied().fold(f64::INFINITY, f64::min),
                ratios.iter().copied().fold(0.0, f64::max)
            );
        }
    }
    if let Some(bad) = results.iter().find(|r| r.m.checksum != expected) {
        eprintln!(
            "error: row `{}` holds other records than the source: checksum {:016x}, expected {expected:016x}",
            bad.name, bad.m.checksum
        );
        return ExitCode::FAILURE;
    }
    if !opts.json {
        println!(
            "every row holds the same {} records (checksum {expected:016x})",
            opts.records
        );
    }
    ExitCode::SUCCESS
}
