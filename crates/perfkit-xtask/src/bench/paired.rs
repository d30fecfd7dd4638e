//! The paired comparisons a run wrote (perfkit-bench's Markdown tables in
//! `target/perfkit/bench/paired/`), read back into the report model so `results.json` and
//! `index.html` carry them as well as `report.md`.

use serde::{Deserialize, Serialize};

/// One paired comparison: contenders timed in alternating chunks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairedTable {
    /// `group/size`.
    pub id: String,
    /// Rounds measured.
    pub rounds: usize,
    /// The contender every ratio is taken against (the first row).
    pub reference: String,
    /// One row per contender, in the order given.
    pub rows: Vec<PairedRow>,
}

/// One contender of a [`PairedTable`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairedRow {
    /// Its name.
    pub name: String,
    /// Its median time per call, as printed (`73.17 ns`).
    pub median: String,
    /// Median over rounds of its time over the reference's in the same round.
    pub ratio: f64,
    /// 10th percentile of that per-round ratio.
    pub ratio_p10: f64,
    /// 90th percentile of that per-round ratio.
    pub ratio_p90: f64,
}

/// The tables in one Markdown file written by perfkit-bench; an error names the line that
/// does not have the expected shape.
pub fn parse(markdown: &str) -> Result<Vec<PairedTable>, String> {
    let mut tables: Vec<PairedTable> = Vec::new();
    for (n, line) in markdown.lines().enumerate() {
        let n = n + 1;
        if let Some(head) = line.strip_prefix("### `") {
            let (id, rest) = head
                .split_once('`')
                .ok_or_else(|| format!("line {n}: no closing backtick in `{line}`"))?;
            let rounds = rest
                .trim()
                .strip_prefix("(paired, ")
                .and_then(|r| r.strip_suffix(" rounds)"))
                .and_then(|r| r.parse().ok())
                .ok_or_else(|| format!("line {n}: expected `(paired, N rounds)` in `{line}`"))?;
            tables.push(PairedTable {
                id: id.to_string(),
                rounds,
                reference: String::new(),
                rows: Vec::new(),
            });
            continue;
        }
        let Some(cells) = line.strip_prefix('|').and_then(|l| l.strip_suffix('|')) else {
            continue;
        };
        let cells: Vec<&str> = cells.split('|').map(str::trim).collect();
        if cells[0] == "contender" || cells[0].starts_with("---") {
            continue;
        }
        let table = tables
            .last_mut()
            .ok_or_else(|| format!("line {n}: a table row before any `### ` heading"))?;
        let bad = || format!("line {n}: expected `| name | median | ratio× | p10 – p90 |`");
        let [name, median, ratio, spread] = cells[..] else {
            return Err(bad());
        };
        let ratio: f64 = ratio
            .strip_suffix('×')
            .and_then(|r| r.parse().ok())
            .ok_or_else(bad)?;
        let (p10, p90) = spread.split_once(" – ").ok_or_else(bad)?;
        let (ratio_p10, ratio_p90) = (
            p10.trim().parse().map_err(|_| bad())?,
            p90.trim().parse().map_err(|_| bad())?,
        );
        if table.rows.is_empty() {
            table.reference = name.to_string();
        }
        table.rows.push(PairedRow {
            name: name.to_string(),
            median: median.to_string(),
            ratio,
            ratio_p10,
            ratio_p90,
        });
    }
    Ok(tables)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_perfkit_bench_writes() {
        // The exact text of perfkit-bench's `PairedResult::markdown`.
        let r = perfkit_bench::PairedResult {
            id: "sum_squares_paired/4096".into(),
            rounds: 1081,
            rows: vec![
                perfkit_bench::PairedRow {
                    name: "perfkit".into(),
                    median_ns: 73.17,
                    ratio: 1.0,
                    ratio_p10: 1.0,
                    ratio_p90: 1.0,
                },
                perfkit_bench::PairedRow {
                    name: "naive".into(),
                    median_ns: 1949.0,
                    ratio: 26.636,
                    ratio_p10: 26.58,
                    ratio_p90: 26.681,
                },
            ],
        };
        let tables = parse(&r.markdown()).unwrap();
        assert_eq!(tables.len(), 1);
        let t = &tables[0];
        assert_eq!(
            (t.id.as_str(), t.rounds, t.reference.as_str()),
            ("sum_squares_paired/4096", 1081, "perfkit")
        );
        assert_eq!(t.rows[1].name, "naive");
        assert_eq!(t.rows[1].median, "1.949 µs");
        assert_eq!(
            (t.rows[1].ratio, t.rows[1].ratio_p10, t.rows[1].ratio_p90),
            (26.636, 26.58, 26.681)
        );
        assert!(parse("| a | b |\n").unwrap_err().contains("before any"));
        assert!(
            parse("### `x` (paired, 3 rounds)\n| a | 1 ns | 1.0 | 1 – 1 |\n")
                .unwrap_err()
                .contains("line 2")
        );
    }
}
