//! [`TraceData`] as Chrome trace-event JSON (the "Trace Event Format" that Perfetto,
//! `chrome://tracing` and speedscope open).
//!
//! The JSON object form: `{"traceEvents": [...], "displayTimeUnit": "ns", "otherData": {...}}`.
//! Each thread gets a `thread_name` metadata event (`"ph":"M"`), each scope a complete event
//! (`"ph":"X"`) with `ts` (start) and `dur` in **microseconds**, written with three decimals
//! so the nanoseconds are exact. Viewers nest complete events of one `tid` by time, and a
//! scope's interval always lies within the intervals of the scopes enclosing it (the same
//! monotonic clock times both), so the nesting shown is the nesting recorded.

use std::io::{self, BufWriter, Write};

use super::data::TraceData;

impl TraceData {
    /// Writes the trace as Chrome trace-event JSON (see [`to_chrome_json`](Self::to_chrome_json)
    /// for the layout). Buffers internally; pass a `File` or `&mut File` directly.
    ///
    /// # Errors
    ///
    /// Any error of `out`.
    ///
    /// ```
    /// use perfkit_profile::{Trace, profile};
    ///
    /// let trace = Trace::start()?;
    /// profile!("doc/chrome/write", ());
    /// let mut json = Vec::new();
    /// trace.finish().write_chrome_json(&mut json)?;
    /// assert!(json.starts_with(b"{\"traceEvents\":["));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_chrome_json<W: Write>(&self, out: W) -> io::Result<()> {
        let mut out = BufWriter::new(out);
        out.write_all(b"{\"traceEvents\":[")?;
        let mut first = true;
        let mut sep = |out: &mut BufWriter<W>| -> io::Result<()> {
            if !std::mem::take(&mut first) {
                out.write_all(b",")?;
            }
            out.write_all(b"\n")
        };
        for thread in self.threads() {
            sep(&mut out)?;
            write!(
                out,
                "{{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":{},\"tid\":{},\"args\":{{\"name\":",
                self.pid(),
                thread.id()
            )?;
            write_json_string(&mut out, thread.name())?;
            out.write_all(b"}}")?;
        }
        for event in self.events() {
            sep(&mut out)?;
            out.write_all(b"{\"name\":")?;
            write_json_string(&mut out, event.name())?;
            write!(
                out,
                ",\"cat\":\"scope\",\"ph\":\"X\",\"ts\":{},\"dur\":{},\"pid\":{},\"tid\":{}}}",
                Micros(event.start_nanos()),
                Micros(event.duration_nanos()),
                self.pid(),
                event.thread_id()
            )?;
        }
        write!(
            out,
            "\n],\"displayTimeUnit\":\"ns\",\"otherData\":{{\"producer\":\"perfkit-profile\",\
             \"capacity\":{},\"dropped\":{}}}}}\n",
            self.capacity(),
            self.dropped()
        )?;
        out.flush()
    }

    /// The trace as Chrome trace-event JSON, one event per line:
    ///
    /// ```text
    /// {"traceEvents":[
    /// {"name":"thread_name","ph":"M","pid":4242,"tid":1,"args":{"name":"main"}},
    /// {"name":"parse","cat":"scope","ph":"X","ts":12.345,"dur":0.678,"pid":4242,"tid":1},
    /// ...
    /// ],"displayTimeUnit":"ns","otherData":{"producer":"perfkit-profile","capacity":1000000,"dropped":0}}
    /// ```
    ///
    /// `ts` is the start since the trace started and `dur` the duration, both in
    /// microseconds with nanosecond decimals; `tid` is [`TraceThread::id`](crate::TraceThread::id),
    /// `pid` the process id. `otherData` (shown by the viewers' metadata panel) holds the
    /// record budget and how many scopes were [dropped](Self::dropped).
    ///
    /// ```
    /// use perfkit_profile::{Trace, profile};
    ///
    /// let trace = Trace::start()?;
    /// profile!("doc/chrome/string", ());
    /// let json = trace.finish().to_chrome_json();
    /// assert!(json.contains(r#""name":"doc/chrome/string","cat":"scope","ph":"X""#));
    /// assert!(json.contains(r#""name":"thread_name","ph":"M""#));
    /// # Ok::<(), perfkit_profile::TraceError>(())
    /// ```
    #[must_use]
    pub fn to_chrome_json(&self) -> String {
        let mut out = Vec::new();
        // Writing to a Vec cannot fail, and everything written is UTF-8 (names are `str`).
        let _ = self.write_chrome_json(&mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

/// Nanoseconds shown as microseconds with three decimals (exact).
struct Micros(u64);

impl std::fmt::Display for Micros {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{:03}", self.0 / 1_000, self.0 % 1_000)
    }
}

/// Writes `s` as a JSON string literal (RFC 8259 escapes).
pub(crate) fn write_json_string(out: &mut impl Write, s: &str) -> io::Result<()> {
    out.write_all(b"\"")?;
    let mut rest = s;
    while let Some(pos) = rest.find(|c: char| c == '"' || c == '\\' || c < ' ') {
        out.write_all(&rest.as_bytes()[..pos])?;
        let c = rest.as_bytes()[pos];
        match c {
            b'"' => out.write_all(b"\\\"")?,
            b'\\' => out.write_all(b"\\\\")?,
            b'\n' => out.write_all(b"\\n")?,
            b'\r' => out.write_all(b"\\r")?,
            b'\t' => out.write_all(b"\\t")?,
            _ => write!(out, "\\u{c:04x}")?,
        }
        rest = &rest[pos + 1..];
    }
    out.write_all(rest.as_bytes())?;
    out.write_all(b"\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(s: &str) -> String {
        let mut out = Vec::new();
        write_json_string(&mut out, s).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn strings_are_escaped_as_json() {
        assert_eq!(json("plain/name"), r#""plain/name""#);
        assert_eq!(json("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(json("l1\nl2\t\r"), r#""l1\nl2\t\r""#);
        assert_eq!(json("\u{1}x\u{1f}"), r#""\u0001x\u001f""#);
        assert_eq!(json("ünï ✓"), "\"ünï ✓\"");
    }

    #[test]
    fn micros_keep_every_nanosecond() {
        assert_eq!(Micros(0).to_string(), "0.000");
        assert_eq!(Micros(7).to_string(), "0.007");
        assert_eq!(Micros(12_345).to_string(), "12.345");
        assert_eq!(Micros(u64::MAX).to_string(), "18446744073709551.615");
    }
}
