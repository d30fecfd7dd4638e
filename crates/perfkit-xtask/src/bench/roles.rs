//! Which contender of a group plays which role in the report: the baseline (the "vs naive"
//! column), ours, hand-written code, or a peer crate (the "vs best peer" column).
//!
//! Per group, the first rule that applies:
//!
//! 1. perfkit's naming convention (perfkit-bench's `roles`), when any contender of the group
//!    follows it: `naive...` is the baseline, `perfkit...` ours, `hand/...` hand-written;
//! 2. the workspace's own names, in its root Cargo.toml:
//!    ```toml
//!    [workspace.metadata.perfkit.bench]
//!    baseline = ["std", "old"]   # contender names (or their part before the first `/`)
//!    ours = ["mine"]
//!    hand = ["manual"]
//!    ```
//!    when any contender of the group is named there;
//! 3. otherwise the first contender the group measured is the baseline, the rest peers.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::report::Kind;
use crate::util::{Failure, Result, Workspace};

/// `[workspace.metadata.perfkit.bench]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Roles {
    /// Contender names of baselines.
    #[serde(default)]
    pub baseline: Vec<String>,
    /// Contender names of "ours".
    #[serde(default)]
    pub ours: Vec<String>,
    /// Contender names of hand-written code.
    #[serde(default)]
    pub hand: Vec<String>,
}

impl Roles {
    /// The workspace's roles (empty lists when it sets none).
    pub fn of(ws: &Workspace) -> Result<Self> {
        match ws.settings()?.bench {
            None => Ok(Self::default()),
            Some(v) => Self::deserialize(v).map_err(|e| {
                Failure::new(format!(
                    "[workspace.metadata.perfkit.bench] in {}: {e} (expected lists `baseline`, `ours`, `hand` of contender names)",
                    ws.workspace_root.join("Cargo.toml").display()
                ))
            }),
        }
    }

    fn configured(&self, name: &str) -> Option<Kind> {
        let head = name.split('/').next().unwrap_or(name);
        let named = |list: &[String]| list.iter().any(|n| n == name || n == head);
        if named(&self.baseline) {
            Some(Kind::Naive)
        } else if named(&self.ours) {
            Some(Kind::Perfkit)
        } else if named(&self.hand) {
            Some(Kind::Hand)
        } else {
            None
        }
    }

    /// The kind of each contender of one group, `names` in the order the group measured them
    /// (first appearance).
    #[must_use]
    pub fn classify(&self, names: &[&str]) -> Vec<Kind> {
        if names.iter().any(|n| Kind::of(n) != Kind::Peer) {
            return names.iter().map(|n| Kind::of(n)).collect();
        }
        if names.iter().any(|n| self.configured(n).is_some()) {
            return names
                .iter()
                .map(|n| self.configured(n).unwrap_or(Kind::Peer))
                .collect();
        }
        (0..names.len())
            .map(|i| if i == 0 { Kind::Naive } else { Kind::Peer })
            .collect()
    }

    /// The kinds of every (group, contender) of `ids` (`group/contender[/size]`, in measured
    /// order).
    #[must_use]
    pub fn classify_all<'a>(
        &self,
        ids: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> BTreeMap<(String, String), Kind> {
        let mut groups: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (group, contender) in ids {
            let names = groups.entry(group).or_default();
            if !names.contains(&contender) {
                names.push(contender);
            }
        }
        let mut out = BTreeMap::new();
        for (group, names) in groups {
            for (name, kind) in names.iter().zip(self.classify(&names)) {
                out.insert((group.to_string(), (*name).to_string()), kind);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_rules_in_order() {
        let none = Roles::default();
        // 1. perfkit's convention wins when the group uses it.
        assert_eq!(
            none.classify(&["simsimd", "naive", "perfkit/avx2", "hand/x4"]),
            [Kind::Peer, Kind::Naive, Kind::Perfkit, Kind::Hand]
        );
        // 3. Otherwise, without configured names: the first measured is the baseline.
        assert_eq!(
            none.classify(&["old", "new", "other"]),
            [Kind::Naive, Kind::Peer, Kind::Peer]
        );
        // 2. Configured names (whole or before the first `/`).
        let roles = Roles {
            baseline: vec!["std".into()],
            ours: vec!["mine".into()],
            hand: vec![],
        };
        assert_eq!(
            roles.classify(&["hashbrown", "std", "mine/fast"]),
            [Kind::Peer, Kind::Naive, Kind::Perfkit]
        );
        // The convention still comes first.
        assert_eq!(roles.classify(&["std", "naive"]), [Kind::Peer, Kind::Naive]);
        let all = none.classify_all([("g", "b"), ("g", "a"), ("g", "b"), ("h", "naive")]);
        assert_eq!(
            all[&("g".to_string(), "b".to_string())],
            Kind::Naive,
            "first measured"
        );
        assert_eq!(all[&("g".to_string(), "a".to_string())], Kind::Peer);
        assert_eq!(all[&("h".to_string(), "naive".to_string())], Kind::Naive);
    }

    #[test]
    fn bad_settings_are_reported() {
        let bad: std::result::Result<Roles, _> =
            serde_json::from_value(serde_json::json!({ "baselines": ["x"] }));
        assert!(
            bad.unwrap_err()
                .to_string()
                .contains("unknown field `baselines`")
        );
    }
}
