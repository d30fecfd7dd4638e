//! The two writers on a trace built by hand, against their exact expected text.

use super::TraceData;
use super::recorder::PathNode;

fn node(name: &'static str, parent: Option<u32>, depth: u32) -> PathNode {
    PathNode {
        name,
        parent,
        depth,
    }
}

/// Thread 1: `main` (0..1000) holding `parse` (100..400) and `parse` (500..700), the second
/// holding `lex` (550..600). Thread 2: its own `main` (path 3) holding `a;b` (path 4),
/// 10..60 and 20..30.
fn sample() -> TraceData {
    let paths = vec![
        node("main", None, 0),
        node("parse", Some(0), 1),
        node("lex", Some(1), 2),
        node("main", None, 0),
        node("a;b\nc", Some(3), 1),
    ];
    TraceData::from_parts(
        7,
        &[(1, "main"), (2, "worker \"2\"")],
        paths,
        &[
            (1, 0, 0, 1_000),
            (1, 1, 100, 300),
            (1, 1, 500, 200),
            (1, 2, 550, 50),
            (2, 3, 10, 50),
            (2, 4, 20, 10),
        ],
    )
}

#[test]
fn folded_stacks_are_exact_self_times_merged_across_threads() {
    let data = sample();
    assert_eq!(
        data.folded_stacks(),
        [
            // main: 1000 - 300 - 200 on thread 1, plus 50 - 10 on thread 2.
            ("main".to_owned(), 540),
            // The frame's `;` and line break are replaced, so the line stays 2 frames.
            ("main;a:b c".to_owned(), 10),
            ("main;parse".to_owned(), 450),
            ("main;parse;lex".to_owned(), 50),
        ]
    );
    assert_eq!(
        data.to_folded(),
        "main 540\nmain;a:b c 10\nmain;parse 450\nmain;parse;lex 50\n"
    );
}

#[test]
fn chrome_json_is_exact() {
    let want = concat!(
        "{\"traceEvents\":[\n",
        "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":7,\"tid\":1,\"args\":{\"name\":\"main\"}},\n",
        "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":7,\"tid\":2,\"args\":{\"name\":\"worker \\\"2\\\"\"}},\n",
        "{\"name\":\"main\",\"cat\":\"scope\",\"ph\":\"X\",\"ts\":0.000,\"dur\":1.000,\"pid\":7,\"tid\":1},\n",
        "{\"name\":\"parse\",\"cat\":\"scope\",\"ph\":\"X\",\"ts\":0.100,\"dur\":0.300,\"pid\":7,\"tid\":1},\n",
        "{\"name\":\"parse\",\"cat\":\"scope\",\"ph\":\"X\",\"ts\":0.500,\"dur\":0.200,\"pid\":7,\"tid\":1},\n",
        "{\"name\":\"lex\",\"cat\":\"scope\",\"ph\":\"X\",\"ts\":0.550,\"dur\":0.050,\"pid\":7,\"tid\":1},\n",
        "{\"name\":\"main\",\"cat\":\"scope\",\"ph\":\"X\",\"ts\":0.010,\"dur\":0.050,\"pid\":7,\"tid\":2},\n",
        "{\"name\":\"a;b\\nc\",\"cat\":\"scope\",\"ph\":\"X\",\"ts\":0.020,\"dur\":0.010,\"pid\":7,\"tid\":2}\n",
        "],\"displayTimeUnit\":\"ns\",\"otherData\":{\"producer\":\"perfkit-profile\",",
        "\"capacity\":100,\"dropped\":2}}\n",
    );
    assert_eq!(sample().to_chrome_json(), want);
}

#[test]
fn stacks_follow_the_paths() {
    let data = sample();
    let lex = &data.events()[3];
    assert_eq!(data.stack(lex), ["main", "parse", "lex"]);
    assert_eq!(data.stack(&data.events()[5]), ["main", "a;b\nc"]);
}
