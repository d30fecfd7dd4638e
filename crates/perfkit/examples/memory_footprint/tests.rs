//! The example's own tests: every row holds the same records (the checksum over every field
//! agrees with the source's), the checksum sees a change in any field, the layouts are what
//! the rows claim, each technique holds no more bytes than the row above, and the command
//! line refuses bad values.

use std::collections::HashSet;

use perfkit::layout::Layout;

use crate::model::{FLAGS, MAX_SCORE, MAX_TAGS, NAMES, Source, StatusC, TAGS};
use crate::rows::{self, ROWS};
use crate::{paired, parse_args};

fn source() -> Source {
    Source::generate(20_000, 7)
}

#[test]
fn every_row_holds_the_same_records() {
    let src = source();
    let expected = src.checksum();
    for row in ROWS {
        let m = (row.run)(&src, 2);
        assert_eq!(
            m.checksum, expected,
            "row {} folds another checksum than the source",
            row.name
        );
        assert_eq!(m.scans.len(), 2, "row {}", row.name);
    }
}

#[test]
fn the_checksum_sees_a_change_in_every_field() {
    let src = Source::generate(500, 3);
    let users = rows::naive::build(&src);
    let expected = src.checksum();
    assert_eq!(rows::naive::scan(&users), expected);
    type Edit = fn(&mut rows::naive::User);
    let edits: [(&str, Edit); 14] = [
        ("id", |u| u.id += 1),
        ("status", |u| {
            u.status = if u.status == StatusC::Deleted {
                StatusC::Active
            } else {
                StatusC::Deleted
            }
        }),
        ("email_verified", |u| u.email_verified ^= true),
        ("admin", |u| u.admin ^= true),
        ("newsletter", |u| u.newsletter ^= true),
        ("two_factor", |u| u.two_factor ^= true),
        ("beta", |u| u.beta ^= true),
        ("locked", |u| u.locked ^= true),
        ("name", |u| u.name.push('x')),
        ("a tag", |u| u.tags.push("x".into())),
        ("tag order", |u| {
            u.tags = vec!["b".into(), "a".into()];
        }),
        ("created_at", |u| u.created_at += 1),
        ("last_login", |u| u.last_login += 1),
        ("score", |u| u.score += 1),
    ];
    for (field, edit) in edits {
        let mut changed = users.clone();
        if field == "tag order" {
            changed[250].tags = vec!["a".into(), "b".into()];
            let before = rows::naive::scan(&changed);
            edit(&mut changed[250]);
            assert_ne!(
                rows::naive::scan(&changed),
                before,
                "tag order is not folded"
            );
            continue;
        }
        edit(&mut changed[250]);
        assert_ne!(
            rows::naive::scan(&changed),
            expected,
            "a change of {field} leaves the checksum unchanged"
        );
    }
}

#[test]
fn the_source_is_seeded_and_in_range() {
    let src = source();
    assert_eq!(src.checksum(), source().checksum());
    assert_ne!(src.checksum(), Source::generate(20_000, 8).checksum());
    assert_eq!(src.vocabulary().len(), TAGS);
    let mut last_id = 0;
    let mut names = HashSet::new();
    let mut tag_counts = [0usize; MAX_TAGS + 1];
    let mut flags = [0usize; FLAGS];
    for r in src.records() {
        assert!(r.id > last_id && r.id < 1 << 32, "ids increase and fit u32");
        last_id = r.id;
        assert!(r.last_login >= r.created_at && r.last_login < 1 << 32);
        assert!((0..=MAX_SCORE as i64).contains(&r.score));
        names.insert(r.name);
        tag_counts[r.tags().len()] += 1;
        for (count, on) in flags.iter_mut().zip(r.flags) {
            *count += usize::from(on);
        }
    }
    // 20 000 draws from 10 000 names reach most of them; every tag count and flag occurs.
    assert!(names.len() > NAMES / 2, "{} names", names.len());
    assert!(tag_counts.iter().all(|&c| c > 0), "{tag_counts:?}");
    assert!(flags.iter().all(|&c| c > 20_000 / 8), "{flags:?}");
}

#[test]
fn reorder_takes_exactly_the_padding_the_layout_report_finds() {
    let naive = rows::naive::User::layout_report();
    let narrow = rows::narrow::User::layout_report();
    let reorder = rows::reorder::User::layout_report();
    assert!(narrow.size() < naive.size());
    assert!(narrow.bytes_saved() > 0, "{narrow}");
    assert_eq!(reorder.size(), narrow.reordered_size(), "{reorder}");
    assert_eq!(reorder.bytes_saved(), 0, "{reorder}");
    assert_eq!(size_of::<StatusC>(), 4);
    assert_eq!(size_of::<crate::model::Status>(), 1);
    assert_eq!(
        size_of::<rows::typed_ids::User>(),
        size_of::<rows::packed_tags::User>()
    );
    assert_eq!(rows::stores::TAG_BITS, 5);
}

#[test]
fn no_row_holds_more_than_the_row_above_and_the_last_holds_a_fifth_of_naive() {
    let src = source();
    let measured: Vec<_> = ROWS
        .iter()
        .map(|row| (row.name, (row.run)(&src, 1)))
        .collect();
    for pair in measured.windows(2) {
        let ((above, a), (name, m)) = (&pair[0], &pair[1]);
        assert!(
            m.live_bytes <= a.live_bytes,
            "{name} holds {} bytes, more than {above} ({})",
            m.live_bytes,
            a.live_bytes
        );
        assert!(m.record_size <= a.record_size, "{name}");
    }
    let (naive, best) = (&measured[0].1, &measured[measured.len() - 1].1);
    assert!(
        best.live_bytes * 5 <= naive.live_bytes,
        "{} vs {}",
        best.live_bytes,
        naive.live_bytes
    );
    // The naive row holds a block per record, per name and per tag list; the arena row a
    // handful in all.
    assert!(naive.live_blocks >= 20_000 * 2);
    assert!(best.live_blocks < 32, "{}", best.live_blocks);
}

#[test]
fn paired_rounds_give_one_positive_ratio_each() {
    let src = Source::generate(2_000, 1);
    let ratios = paired(&src, 3);
    assert_eq!(ratios.len(), 3);
    assert!(
        ratios.iter().all(|r| r.is_finite() && *r > 0.0),
        "{ratios:?}"
    );
    assert!(paired(&src, 0).is_empty());
}

#[test]
fn the_command_line_takes_its_options_and_refuses_bad_values() {
    let args = |list: &[&str]| parse_args(list.iter().map(|s| s.to_string()));
    let o = args(&[]).unwrap().unwrap();
    assert_eq!(
        (o.records, o.scans, o.paired, o.json),
        (1_000_000, 5, 0, false)
    );
    let o = args(&[
        "--records",
        "1_000",
        "--seed",
        "9",
        "--row",
        "soa",
        "--json",
    ])
    .unwrap()
    .unwrap();
    assert_eq!(
        (o.records, o.seed, o.row.as_deref(), o.json),
        (1000, 9, Some("soa"), true)
    );
    assert!(args(&["--help"]).unwrap().is_none());
    for (bad, message) in [
        (&["--records", "0"][..], "--records takes 1 to"),
        (
            &["--records", "many"],
            "--records takes a whole number, not `many`",
        ),
        (&["--scans", "0"], "--scans takes 1 to 1000"),
        (
            &["--row", "fast"],
            "unknown row `fast`; the rows are: naive, narrow",
        ),
        (&["--seed"], "--seed needs a value"),
        (&["--bogus"], "unknown option `--bogus`"),
    ] {
        let err = args(bad).unwrap_err();
        assert!(err.starts_with(message), "{bad:?}: {err}");
    }
}
