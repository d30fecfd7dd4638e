//! Allocation-churn worker (`perfkit_benches::churn::serve`) with perfkit's
//! `TrackingAllocator<MiMalloc>` as the global allocator and a heap profile recording every
//! allocation (`perfkit_memory::heap`), for the `memory` bench's paired churn comparison.
//!
//! The heap profiler captures stacks by walking frame pointers only when the program was built
//! with them (`RUSTFLAGS="-C force-frame-pointers=yes"`); otherwise it would unwind with DWARF,
//! far slower, and this worker answers every request with an error instead of timing that.

use perfkit_memory::heap::{Profiler, Unwind};

#[global_allocator]
static GLOBAL: perfkit_memory::TrackingAllocator<mimalloc::MiMalloc> =
    perfkit_memory::TrackingAllocator::new(mimalloc::MiMalloc);

fn main() {
    let profiler = match Profiler::builder().no_file().start() {
        Ok(p) => p,
        Err(e) => {
            perfkit_benches::churn::refuse(&format!("cannot start the heap profiler: {e}"));
            return;
        }
    };
    if profiler.unwind() == Unwind::FramePointers {
        perfkit_benches::churn::serve();
    } else {
        perfkit_benches::churn::refuse(
            "built without frame pointers: build the benches with \
             RUSTFLAGS=\"-C force-frame-pointers=yes\" to time heap profiling",
        );
    }
    // Symbolizing the whole churn's stacks would only delay the exit.
    std::mem::forget(profiler);
}
