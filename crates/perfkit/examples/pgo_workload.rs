//! A branchy, allocation-heavy log-analytics job: the workload `cargo xtask pgo` and
//! `cargo xtask bloat` build and measure until the flagship `metrics_pipeline` example lands.
//!
//! It generates access-log lines from perfkit-testkit's seeded generator (so every run sees
//! the same bytes), then does what a real log pipeline does: tokenises each line, parses the
//! timestamp, method, path, status and latency by hand, normalises numeric path segments into
//! `:id` routes, aggregates per (service, method, route) in a hash map, sorts each route's
//! latencies for percentiles and ranks the routes. Input is skewed the way production traffic
//! is (most requests are `GET` and `200`, a few routes are hot), which is the kind of branch
//! and call-frequency information profile-guided optimisation feeds back into the build.
//!
//! Usage: `cargo run --release -p perfkit --example pgo_workload -- [RECORDS] [ROUNDS]`
//! (defaults: 250000 records, 3 rounds). It prints a summary and a checksum that depend only
//! on the arguments, so two builds can be checked to compute the same thing.

use std::collections::HashMap;
use std::fmt::Write as _;

use perfkit_testkit::{DEFAULT_SEED, Rng, unique_strings};

const METHODS: [(&str, u64); 5] = [
    ("GET", 70),
    ("POST", 18),
    ("PUT", 6),
    ("DELETE", 4),
    ("PATCH", 2),
];
const STATUSES: [(u16, u64); 7] = [
    (200, 86),
    (201, 4),
    (304, 3),
    (404, 4),
    (429, 1),
    (500, 1),
    (503, 1),
];
const RESOURCES: [&str; 8] = [
    "users", "orders", "items", "carts", "sessions", "metrics", "search", "health",
];

fn pick<T: Copy>(rng: &mut Rng, table: &[(T, u64)]) -> T {
    let total: u64 = table.iter().map(|&(_, w)| w).sum();
    let mut r = rng.below(total);
    for &(v, w) in table {
        if r < w {
            return v;
        }
        r -= w;
    }
    table[0].0
}

/// `n` log lines, e.g.
/// `2026-11-22T13:04:05.123Z GET /api/v2/users/83121/orders 200 1834us svc=checkout.eu`.
fn generate(n: usize, seed: u64) -> String {
    let services = unique_strings(24, seed);
    let mut rng = Rng::new(seed);
    let mut out = String::with_capacity(n * 80);
    for i in 0..n {
        // A few hot services and resources: square the uniform draw to skew it.
        let s = (rng.next_f64().powi(2) * services.len() as f64) as usize;
        let r = (rng.next_f64().powi(2) * RESOURCES.len() as f64) as usize;
        let method = pick(&mut rng, &METHODS);
        let status = pick(&mut rng, &STATUSES);
        let secs = i as u64 / 50;
        let (h, m, sec) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
        let _ = write!(
            out,
            "2026-11-22T{h:02}:{m:02}:{sec:02}.{:03}Z {method} /api/v{}/{}",
            rng.below(1000),
            1 + rng.below(2),
            RESOURCES[r]
        );
        if rng.below(4) != 0 {
            let _ = write!(out, "/{}", rng.below(100_000));
            if rng.below(3) == 0 {
                out.push_str("/orders");
            }
        }
        // Latency: mostly fast, a long tail; slow ones reported in milliseconds.
        let lat_us = 50 + (rng.next_f64().powi(8) * 2_000_000.0) as u64;
        if lat_us >= 10_000 {
            let _ = write!(out, " {status} {}ms", lat_us / 1000);
        } else {
            let _ = write!(out, " {status} {lat_us}us");
        }
        let _ = writeln!(out, " svc={}", services[s]);
        // About one line in a thousand arrives truncated, as in real logs.
        if rng.below(1000) == 0 {
            let line_start = out[..out.len() - 1].rfind('\n').map_or(0, |p| p + 1);
            let cut = line_start + rng.range(1, (out.len() - 1 - line_start) as u64) as usize;
            out.truncate(cut);
            out.push('\n');
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Method {
    Get,
    Post,
    Put,
    Delete,
    Patch,
}

#[derive(Debug)]
struct Record<'a> {
    millis_of_day: u32,
    method: Method,
    route: String,
    status: u16,
    latency_us: u64,
    service: &'a str,
}

#[derive(Debug)]
enum ParseError {
    Field(&'static str),
    Number(&'static str),
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Field(what) => write!(f, "missing or malformed {what}"),
            Self::Number(what) => write!(f, "{what} is not a number"),
        }
    }
}

fn parse_u64(s: &str, what: &'static str) -> Result<u64, ParseError> {
    if s.is_empty() {
        return Err(ParseError::Number(what));
    }
    let mut v: u64 = 0;
    for b in s.bytes() {
        if !b.is_ascii_digit() {
            return Err(ParseError::Number(what));
        }
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(b - b'0')))
            .ok_or(ParseError::Number(what))?;
    }
    Ok(v)
}

fn parse_time(ts: &str) -> Result<u32, ParseError> {
    // 2026-11-22T13:04:05.123Z
    let t = ts.split_once('T').ok_or(ParseError::Field("timestamp"))?.1;
    let t = t.strip_suffix('Z').ok_or(ParseError::Field("timestamp"))?;
    let (hms, ms) = t.split_once('.').ok_or(ParseError::Field("timestamp"))?;
    let mut parts = hms.split(':');
    let mut next = || -> Result<u64, ParseError> {
        parse_u64(parts.next().ok_or(ParseError::Field("time"))?, "time")
    };
    let (h, m, s) = (next()?, next()?, next()?);
    Ok(((h * 3600 + m * 60 + s) * 1000 + parse_u64(ms, "millis")?) as u32)
}

fn normalise(path: &str, route: &mut String) {
    route.clear();
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        route.push('/');
        if seg.bytes().all(|b| b.is_ascii_digit()) {
            route.push_str(":id");
        } else {
            route.push_str(seg);
        }
    }
}

fn parse_line(line: &str) -> Result<Record<'_>, ParseError> {
    let mut fields = line.split(' ');
    let mut field = |name| fields.next().ok_or(ParseError::Field(name));
    let millis_of_day = parse_time(field("timestamp")?)?;
    let method = match field("method")? {
        "GET" => Method::Get,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "DELETE" => Method::Delete,
        "PATCH" => Method::Patch,
        _ => return Err(ParseError::Field("method")),
    };
    let mut route = String::with_capacity(32);
    normalise(field("path")?, &mut route);
    let status = parse_u64(field("status")?, "status")? as u16;
    let lat = field("latency")?;
    let latency_us = if let Some(us) = lat.strip_suffix("us") {
        parse_u64(us, "latency")?
    } else if let Some(ms) = lat.strip_suffix("ms") {
        parse_u64(ms, "latency")? * 1000
    } else {
        return Err(ParseError::Field("latency unit"));
    };
    let service = field("service")?
        .strip_prefix("svc=")
        .ok_or(ParseError::Field("service"))?;
    Ok(Record {
        millis_of_day,
        method,
        route,
        status,
        latency_us,
        service,
    })
}

#[derive(Debug, Default)]
struct RouteStats {
    requests: u64,
    errors: u64,
    first_ms: u32,
    last_ms: u32,
    latencies: Vec<u64>,
}

fn fnv1a(h: u64, bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(h, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

fn analyse(log: &str) -> (Vec<String>, u64, usize, Option<String>) {
    let mut stats: HashMap<(&str, Method, String), RouteStats> = HashMap::new();
    let mut bad = 0usize;
    let mut first_error = None;
    for line in log.lines() {
        match parse_line(line) {
            Ok(r) => {
                let e = stats.entry((r.service, r.method, r.route)).or_default();
                if e.requests == 0 {
                    e.first_ms = r.millis_of_day;
                }
                e.requests += 1;
                e.errors += u64::from(r.status >= 500);
                e.last_ms = r.millis_of_day;
                e.latencies.push(r.latency_us);
            }
            Err(e) => {
                bad += 1;
                if first_error.is_none() {
                    first_error = Some(format!("{e} in `{line}`"));
                }
            }
        }
    }
    let mut rows: Vec<_> = stats
        .into_iter()
        .map(|((svc, method, route), mut s)| {
            s.latencies.sort_unstable();
            let pct = |p: usize| s.latencies[(s.latencies.len() - 1) * p / 100];
            (pct(99), pct(50), svc, method, route, s)
        })
        .collect();
    rows.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then_with(|| a.2.cmp(b.2))
            .then_with(|| a.4.cmp(&b.4))
            .then_with(|| (a.3 as u8).cmp(&(b.3 as u8)))
    });
    let mut checksum = 0xcbf2_9ce4_8422_2325;
    let mut top = Vec::new();
    for (i, (p99, p50, svc, method, route, s)) in rows.iter().enumerate() {
        checksum = fnv1a(checksum, svc.as_bytes());
        checksum = fnv1a(checksum, route.as_bytes());
        checksum = fnv1a(checksum, &p99.to_le_bytes());
        checksum = fnv1a(checksum, &s.requests.to_le_bytes());
        checksum = fnv1a(checksum, &s.errors.to_le_bytes());
        checksum = fnv1a(checksum, &(s.last_ms - s.first_ms).to_le_bytes());
        if i < 5 {
            top.push(format!(
                "{svc:>24} {method:?} {route:<28} n={:<6} err={:<4} p50={p50}us p99={p99}us",
                s.requests, s.errors
            ));
        }
    }
    (top, checksum, bad, first_error)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let records: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(250_000);
    let rounds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(3);
    let mut total = 0u64;
    for round in 0..rounds {
        let log = generate(records, DEFAULT_SEED ^ round);
        let (top, checksum, bad, first_error) = analyse(&log);
        if round == 0 {
            for line in &top {
                println!("{line}");
            }
            if let Some(e) = first_error {
                println!("first unparsable line: {e}");
            }
        }
        println!("round {round}: {records} records, {bad} unparsable, checksum {checksum:016x}");
        total ^= checksum;
    }
    println!("combined checksum {total:016x}");
}
