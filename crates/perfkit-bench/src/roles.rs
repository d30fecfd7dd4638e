//! What a contender's name says about it: perfkit's naming convention for contenders.
//!
//! perfkit names every contender, in its criterion groups and in its paired comparisons alike,
//! so that a report can tell the baseline, perfkit itself, hand-written reference code and
//! peer crates apart without a table per benchmark. The **head** of a name is the part before
//! its first `/` (the whole name when it has none):
//!
//! | head | [`Role`] | what | examples |
//! | --- | --- | --- | --- |
//! | `naive` | [`Baseline`](Role::Baseline) | the plain-Rust baseline | `naive`, `naive/loop` |
//! | `perfkit` | [`Ours`](Role::Ours) | perfkit itself, any variant | `perfkit`, `perfkit/avx2` |
//! | `hand` | [`Hand`](Role::Hand) | hand-written reference code | `hand/unroll4` |
//! | other | [`Peer`](Role::Peer) | another crate, by its name | `simsimd`, `naive-ish` |
//!
//! The head must match exactly: `naive-ish` and `perfkit2` are peers.
//!
//! ```
//! use perfkit_bench::roles::{Role, role};
//!
//! assert_eq!(role("naive"), Role::Baseline);
//! assert_eq!(role("perfkit/avx512"), Role::Ours);
//! assert_eq!(role("hand/unroll4"), Role::Hand);
//! assert_eq!(role("fixedbitset"), Role::Peer);
//! ```

/// The role of a contender, from its name (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The plain-Rust baseline every ratio is taken against: `naive` or `naive/<variant>`.
    Baseline,
    /// perfkit itself: `perfkit` or `perfkit/<variant>` (e.g. `perfkit/avx2`).
    Ours,
    /// Hand-written reference code: `hand/<what>`.
    Hand,
    /// Any other contender: a peer crate, named after it (`simsimd`, `prost`, ...).
    Peer,
}

/// Classifies a contender by its name: the part before the first `/` decides (see the
/// [module docs](self)).
#[must_use]
pub fn role(name: &str) -> Role {
    let head = name.split('/').next().unwrap_or(name);
    match head {
        "naive" => Role::Baseline,
        "perfkit" => Role::Ours,
        "hand" => Role::Hand,
        _ => Role::Peer,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_head_of_the_name_decides() {
        assert_eq!(role("naive"), Role::Baseline);
        assert_eq!(role("naive/loop"), Role::Baseline);
        assert_eq!(role("perfkit"), Role::Ours);
        assert_eq!(role("perfkit/avx512"), Role::Ours);
        assert_eq!(role("hand/avx512x4"), Role::Hand);
        assert_eq!(role("hand"), Role::Hand);
        assert_eq!(role("simsimd"), Role::Peer);
        assert_eq!(role("stats_alloc"), Role::Peer);
    }

    #[test]
    fn the_head_must_match_exactly() {
        assert_eq!(role("naive-ish"), Role::Peer);
        assert_eq!(role("perfkit2"), Role::Peer);
        assert_eq!(role("Perfkit"), Role::Peer);
        assert_eq!(role("handmade/x"), Role::Peer);
        assert_eq!(role(""), Role::Peer);
        assert_eq!(role("/naive"), Role::Peer);
    }
}
