//! A cheap monotonic tick count for the blocks' lifetimes, converted to microseconds once at
//! the end (by the profile's length in ticks and in `Instant` time): the time-stamp counter on
//! x86-64 (invariant on the CPUs that run this: constant rate, not stopped when idle), a
//! reading of `Instant` elsewhere. Reading `Instant` on every allocator call cost more than
//! the rest of the bookkeeping here.

#[cfg(target_arch = "x86_64")]
#[inline]
pub(super) fn ticks() -> u64 {
    // SAFETY: `rdtsc` exists on every x86-64 CPU and only reads the time-stamp counter.
    #[allow(unused_unsafe)]
    unsafe {
        core::arch::x86_64::_rdtsc()
    }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
pub(super) fn ticks() -> u64 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    let start = *START.get_or_init(std::time::Instant::now);
    u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX)
}
