//! Traces: nesting per thread, the record budget, what is and is not recorded, and both
//! output formats checked against the recorded events. Every test here holds `serial()`
//! (one trace runs at a time) and looks only at its own scope names.

use std::collections::BTreeMap;
use std::sync::{Barrier, mpsc};
use std::thread;

use perfkit_profile::{
    ScopeGuard, Trace, TraceData, TraceError, TraceEvent, profile, record, snapshot,
};

use crate::serial;

fn named<'a>(data: &'a TraceData, prefix: &str) -> Vec<&'a TraceEvent> {
    data.events()
        .iter()
        .filter(|e| e.name().starts_with(prefix))
        .collect()
}

/// `inner` ran inside `outer`: same thread, and its interval lies within `outer`'s.
fn contains(outer: &TraceEvent, inner: &TraceEvent) -> bool {
    outer.thread_id() == inner.thread_id()
        && outer.start_nanos() <= inner.start_nanos()
        && inner.end_nanos() <= outer.end_nanos()
}

fn leaf() {
    profile!("nest/leaf");
}

fn middle() {
    profile!("nest/middle");
    leaf();
    leaf();
}

#[test]
fn nested_scopes_record_their_stack_depth_and_interval() {
    let _serial = serial();
    let trace = Trace::start().unwrap();
    {
        profile!("nest/outer");
        middle();
        leaf();
    }
    let data = trace.finish();
    let events = named(&data, "nest/");
    let names: Vec<&str> = events.iter().map(|e| e.name()).collect();
    // By start time: the outer scope, then what ran inside it, in order.
    assert_eq!(
        names,
        [
            "nest/outer",
            "nest/middle",
            "nest/leaf",
            "nest/leaf",
            "nest/leaf"
        ]
    );
    let depths: Vec<u32> = events.iter().map(|e| e.depth()).collect();
    assert_eq!(depths, [0, 1, 2, 2, 1]);
    assert_eq!(
        data.stack(events[3]),
        ["nest/outer", "nest/middle", "nest/leaf"]
    );
    assert_eq!(data.stack(events[4]), ["nest/outer", "nest/leaf"]);
    assert!(contains(events[0], events[1]) && contains(events[0], events[4]));
    assert!(contains(events[1], events[2]) && contains(events[1], events[3]));
    assert!(events[2].end_nanos() <= events[3].start_nanos());
    assert!(events[1].end_nanos() <= events[4].start_nanos());
    assert_eq!(data.dropped(), 0);
    // The same durations went into the scope statistics.
    let outer = snapshot();
    let outer = outer.get("nest/outer").unwrap();
    assert!(
        outer
            .histogram()
            .iter()
            .any(|b| { (b.low..=b.high).contains(&events[0].duration_nanos()) })
    );
}

#[test]
fn each_thread_nests_its_own_scopes() {
    let _serial = serial();
    const THREADS: usize = 4;
    const ROUNDS: usize = 50;
    let trace = Trace::start().unwrap();
    let barrier = Barrier::new(THREADS);
    thread::scope(|s| {
        for t in 0..THREADS {
            let barrier = &barrier;
            thread::Builder::new()
                .name(format!("tracer-{t}"))
                .spawn_scoped(s, move || {
                    barrier.wait(); // all threads record at the same time
                    for _ in 0..ROUNDS {
                        profile!("threads/outer");
                        profile!("threads/inner", std::hint::black_box(t));
                    }
                })
                .unwrap();
        }
    });
    let data = trace.finish();
    assert_eq!(data.dropped(), 0);
    let workers: Vec<_> = data
        .threads()
        .iter()
        .filter(|t| t.name().starts_with("tracer-"))
        .collect();
    assert_eq!(workers.len(), THREADS);
    for worker in workers {
        let mine: Vec<&TraceEvent> = named(&data, "threads/")
            .into_iter()
            .filter(|e| e.thread_id() == worker.id())
            .collect();
        assert_eq!(mine.len(), 2 * ROUNDS, "{}", worker.name());
        // outer, inner, outer, inner, …: each inner inside the outer just before it.
        for pair in mine.chunks(2) {
            assert_eq!((pair[0].name(), pair[0].depth()), ("threads/outer", 0));
            assert_eq!((pair[1].name(), pair[1].depth()), ("threads/inner", 1));
            assert!(contains(pair[0], pair[1]));
            assert_eq!(data.stack(pair[1]), ["threads/outer", "threads/inner"]);
        }
    }
}

#[test]
fn the_record_budget_is_a_hard_cap_and_drops_are_counted() {
    let _serial = serial();
    // One thread: one record for the call path, then 9 events.
    let trace = Trace::with_capacity(10).unwrap();
    assert_eq!(trace.capacity(), 10);
    for _ in 0..100 {
        profile!("cap/one");
    }
    let data = trace.finish();
    assert_eq!(named(&data, "cap/").len(), 9);
    assert_eq!(data.dropped(), 91);
    assert_eq!(data.capacity(), 10);

    // Many threads racing for the budget: never more than the cap, nothing lost uncounted.
    const THREADS: u64 = 4;
    const SCOPES: u64 = 3_000;
    let capacity = 2_500;
    let trace = Trace::with_capacity(capacity).unwrap();
    thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                for _ in 0..SCOPES {
                    profile!("cap/many");
                }
            });
        }
    });
    let data = trace.finish();
    let many = named(&data, "cap/many");
    let events = many.len() as u64;
    // One call path per thread that got any budget (a late thread may have got none).
    let mut threads: Vec<u64> = many.iter().map(|e| e.thread_id()).collect();
    threads.dedup();
    let paths = threads.len() as u64;
    assert!(events + paths <= capacity as u64, "{events} events");
    assert!(events > 0);
    assert_eq!(events + data.dropped(), THREADS * SCOPES);
}

fn recurse(depth: usize) {
    profile!("deep/level");
    if depth > 1 {
        recurse(depth - 1);
    }
}

#[test]
fn scopes_deeper_than_max_depth_are_dropped_not_misnested() {
    let _serial = serial();
    let trace = Trace::start().unwrap();
    recurse(Trace::MAX_DEPTH + 44);
    let data = trace.finish();
    let events = named(&data, "deep/");
    assert_eq!(events.len(), Trace::MAX_DEPTH);
    assert_eq!(data.dropped(), 44);
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.depth() as usize, i);
        assert_eq!(data.stack(e).len(), i + 1);
    }
}

#[test]
fn one_trace_at_a_time_and_dropping_it_stops_it() {
    let _serial = serial();
    assert!(!Trace::is_recording());
    let first = Trace::start().unwrap();
    assert!(Trace::is_recording());
    assert_eq!(Trace::start().unwrap_err(), TraceError::AlreadyRunning);
    assert_eq!(
        Trace::start().unwrap_err().to_string(),
        "a trace is already recording: finish or drop it before starting another"
    );
    drop(first);
    assert!(!Trace::is_recording());
    let second = Trace::start().unwrap();
    profile!("one/after", ());
    assert_eq!(named(&second.finish(), "one/").len(), 1);
}

#[test]
fn only_scopes_within_the_trace_are_recorded() {
    let _serial = serial();
    profile!("window/before", ());
    let straddling_start = ScopeGuard::new("window/straddles-start");
    let trace = Trace::start().unwrap();
    profile!("window/inside-straddler", ());
    drop(straddling_start);
    record("window/recorded", 5); // a value, not a scope: no event
    let straddling_finish = ScopeGuard::new("window/straddles-finish");
    profile!("window/inside-open", ());
    let data = trace.finish();
    drop(straddling_finish);
    profile!("window/after", ());

    let events = named(&data, "window/");
    let names: Vec<&str> = events.iter().map(|e| e.name()).collect();
    assert_eq!(names, ["window/inside-straddler", "window/inside-open"]);
    // Opened before the trace: its inner scope is an outermost one.
    assert_eq!(events[0].depth(), 0);
    // Still open at finish: not an event, but still the inner scope's parent.
    assert_eq!(
        data.stack(events[1]),
        ["window/straddles-finish", "window/inside-open"]
    );
    assert_eq!(data.dropped(), 0);
    // The statistics saw every scope, traced or not.
    let snap = snapshot();
    for name in ["window/before", "window/straddles-start", "window/after"] {
        assert!(snap.get(name).is_some(), "{name}");
    }
}

#[test]
fn a_guard_dropped_on_another_thread_is_counted_not_recorded() {
    let _serial = serial();
    let trace = Trace::start().unwrap();
    let guard = ScopeGuard::new("moved/guard");
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        profile!("moved/other-thread", ());
        drop(guard);
        tx.send(()).unwrap();
    })
    .join()
    .unwrap();
    rx.recv().unwrap();
    let data = trace.finish();
    let names: Vec<&str> = named(&data, "moved/").iter().map(|e| e.name()).collect();
    assert_eq!(names, ["moved/other-thread"]);
    assert_eq!(data.dropped(), 1);
}

#[test]
fn tracing_off_records_no_events_and_changes_no_statistics() {
    let _serial = serial();
    for _ in 0..3 {
        profile!("off/scope");
    }
    let trace = Trace::start().unwrap();
    let data = trace.finish();
    assert!(named(&data, "off/").is_empty());
    assert_eq!(snapshot().get("off/scope").map(|s| s.count()), Some(3));
}

/// The Chrome trace-event JSON, parsed back: one metadata event per thread, one complete
/// event per recorded scope with the same name, times and thread.
#[test]
fn chrome_json_holds_every_event_in_microseconds() {
    let _serial = serial();
    let trace = Trace::start().unwrap();
    {
        profile!("json/\"quoted\"\\name\n");
        profile!("json/inner", ());
    }
    thread::Builder::new()
        .name("json-worker".into())
        .spawn(|| profile!("json/worker", ()))
        .unwrap()
        .join()
        .unwrap();
    let data = trace.finish();
    let json: serde_json::Value = serde_json::from_str(&data.to_chrome_json()).unwrap();
    let mut via_writer = Vec::new();
    data.write_chrome_json(&mut via_writer).unwrap();
    assert_eq!(
        String::from_utf8(via_writer).unwrap(),
        data.to_chrome_json()
    );

    assert_eq!(json["displayTimeUnit"], "ns");
    assert_eq!(json["otherData"]["dropped"], 0);
    assert_eq!(json["otherData"]["capacity"], Trace::DEFAULT_CAPACITY);
    let events = json["traceEvents"].as_array().unwrap();
    let pid = u64::from(std::process::id());
    let metadata: Vec<_> = events.iter().filter(|e| e["ph"] == "M").collect();
    assert_eq!(metadata.len(), data.threads().len());
    for (m, thread) in metadata.iter().zip(data.threads()) {
        assert_eq!(m["name"], "thread_name");
        assert_eq!(m["pid"], pid);
        assert_eq!(m["tid"], thread.id());
        assert_eq!(m["args"]["name"], thread.name());
    }
    assert!(metadata.iter().any(|m| m["args"]["name"] == "json-worker"));
    let complete: Vec<_> = events.iter().filter(|e| e["ph"] == "X").collect();
    assert_eq!(complete.len(), data.events().len());
    for (x, event) in complete.iter().zip(data.events()) {
        assert_eq!(x["name"], event.name());
        assert_eq!(x["pid"], pid);
        assert_eq!(x["tid"], event.thread_id());
        // Microseconds with three decimals: the nanoseconds, exactly.
        let micros = |v: &serde_json::Value| (v.as_f64().unwrap() * 1_000.0).round() as u64;
        assert_eq!(micros(&x["ts"]), event.start_nanos());
        assert_eq!(micros(&x["dur"]), event.duration_nanos());
    }
    assert!(
        complete
            .iter()
            .any(|x| x["name"] == "json/\"quoted\"\\name\n")
    );
}

/// Folded stacks against a naive reference computed from the events and their stacks.
#[test]
fn folded_stacks_are_self_times_per_path() {
    let _serial = serial();
    let trace = Trace::start().unwrap();
    for _ in 0..20 {
        profile!("fold/root");
        middle();
        profile!("fold/semi;colon", leaf());
    }
    thread::spawn(|| {
        profile!("fold/root");
        leaf();
    })
    .join()
    .unwrap();
    let data = trace.finish();

    // Reference: total per path, minus the total of the events one level below it.
    let mut totals: BTreeMap<Vec<&str>, u64> = BTreeMap::new();
    let mut inside: BTreeMap<Vec<&str>, u64> = BTreeMap::new();
    for e in data.events() {
        let stack = data.stack(e);
        *totals.entry(stack.clone()).or_default() += e.duration_nanos();
        if stack.len() > 1 {
            *inside.entry(stack[..stack.len() - 1].to_vec()).or_default() += e.duration_nanos();
        }
    }
    let mut want: BTreeMap<String, u64> = BTreeMap::new();
    for (stack, total) in &totals {
        let own = total - inside.get(stack).copied().unwrap_or(0);
        if own > 0 {
            let key = stack
                .iter()
                .map(|n| n.replace(';', ":"))
                .collect::<Vec<_>>()
                .join(";");
            *want.entry(key).or_default() += own;
        }
    }
    let got: BTreeMap<String, u64> = data.folded_stacks().into_iter().collect();
    let only = |m: &BTreeMap<String, u64>| -> BTreeMap<String, u64> {
        m.iter()
            .filter(|(k, _)| k.starts_with("fold/") || k.starts_with("nest/"))
            .map(|(k, v)| (k.clone(), *v))
            .collect()
    };
    assert_eq!(only(&got), only(&want));
    // The text form is the same lines.
    let text = data.to_folded();
    let lines: Vec<String> = got.iter().map(|(k, v)| format!("{k} {v}")).collect();
    assert_eq!(text.lines().collect::<Vec<_>>(), lines);
    let mut written = Vec::new();
    data.write_folded(&mut written).unwrap();
    assert_eq!(String::from_utf8(written).unwrap(), text);
}
