//! Integration tests of perfkit-memory's arena, pools and slab (one binary; the tracking
//! allocator has its own in `tests/tracking.rs` because it installs a `#[global_allocator]`).
//! Under Miri the loop counts shrink and property tests are skipped.

mod arena;
mod compile_fail;
mod pool;
mod slab;

/// `full` normally, `miri` under Miri (which is ~1000× slower).
pub fn scaled(full: usize, miri: usize) -> usize {
    if cfg!(miri) { miri } else { full }
}
