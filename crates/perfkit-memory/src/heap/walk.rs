//! Capturing the calling thread's stack: the frame-pointer walk, or DWARF unwinding.

use std::sync::atomic::Ordering;

use super::{CAPTURE_DEPTH, FP_WALK, WALK_FRAME_POINTERS};

/// Captures the calling thread's stack (return addresses, innermost first) into `out`, to the
/// running profile's depth plus the allocator's own frames.
pub(super) fn capture(out: &mut [usize]) -> usize {
    let want = CAPTURE_DEPTH.load(Ordering::Relaxed).min(out.len());
    let out = &mut out[..want];
    if WALK_FRAME_POINTERS.load(Ordering::Relaxed) {
        fp::walk(out)
    } else {
        dwarf_walk(out)
    }
}

fn dwarf_walk(out: &mut [usize]) -> usize {
    let mut n = 0;
    backtrace::trace(|frame| {
        out[n] = frame.ip() as usize;
        n += 1;
        n < out.len()
    });
    n
}

/// Whether the frame-pointer walk finds this function's caller: the program was built with
/// frame pointers (`-C force-frame-pointers=yes`).
#[inline(never)]
pub(super) fn frame_pointers_work() -> bool {
    if !FP_WALK {
        return false;
    }
    let mut out = [0usize; 1];
    let n = std::hint::black_box(fp::walk(&mut out));
    let here = frame_pointers_work as fn() -> bool as usize;
    // The return address into this function lies within its (short) body.
    n == 1 && out[0] > here && out[0] < here + 1024
}

#[cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
mod fp {
    use std::cell::Cell;

    /// This thread's stack as `(low, high)` addresses, from pthreads (cached per thread).
    fn bounds() -> (usize, usize) {
        let cached = super::super::STACK.with(Cell::get);
        if cached.1 != 0 {
            return cached;
        }
        let mut found = (0, 0);
        // SAFETY: `attr` is written by `pthread_getattr_np` before any read, and destroyed
        // once after a successful call; `addr` and `size` are valid out-pointers.
        unsafe {
            let mut attr: libc::pthread_attr_t = std::mem::zeroed();
            if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) == 0 {
                let mut addr: *mut libc::c_void = std::ptr::null_mut();
                let mut size: libc::size_t = 0;
                if libc::pthread_attr_getstack(&attr, &mut addr, &mut size) == 0 {
                    found = (addr as usize, addr as usize + size);
                }
                libc::pthread_attr_destroy(&mut attr);
            }
        }
        super::super::STACK.with(|s| s.set(found));
        found
    }

    /// The frame pointer of the calling function (this one is inlined into it).
    #[inline(always)]
    fn frame_pointer() -> usize {
        let fp: usize;
        // SAFETY: copies the frame-pointer register; no memory is touched.
        unsafe {
            #[cfg(target_arch = "x86_64")]
            std::arch::asm!("mov {}, rbp", out(reg) fp, options(nomem, nostack, preserves_flags));
            #[cfg(target_arch = "aarch64")]
            std::arch::asm!("mov {}, x29", out(reg) fp, options(nomem, nostack, preserves_flags));
        }
        fp
    }

    /// Walks the frame-pointer chain from the caller: each frame record is
    /// `[saved frame pointer, return address]` at the frame pointer (x86-64 `push rbp; mov
    /// rbp, rsp`; AArch64 `stp x29, x30`). Writes return addresses, innermost first; stops
    /// at the first record outside this thread's stack, out of order or misaligned.
    #[inline(never)]
    pub(super) fn walk(out: &mut [usize]) -> usize {
        let (low, high) = bounds();
        let mut fp = frame_pointer();
        let mut n = 0;
        while n < out.len() {
            if fp < low
                || !fp.is_multiple_of(std::mem::align_of::<usize>())
                || fp > high.saturating_sub(16)
            {
                break;
            }
            // SAFETY: `fp..fp + 16` lies inside this thread's stack (checked just above), which
            // is mapped and readable for the thread's whole life, and is aligned for `usize`;
            // volatile reads, since these words belong to other frames.
            let (next, ret) = unsafe {
                let p = std::ptr::with_exposed_provenance::<usize>(fp);
                (p.read_volatile(), p.add(1).read_volatile())
            };
            if ret == 0 {
                break;
            }
            out[n] = ret;
            n += 1;
            if next <= fp {
                break;
            }
            fp = next;
        }
        n
    }
}

#[cfg(not(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
)))]
mod fp {
    /// No frame-pointer walk on this target: nothing is captured this way.
    pub(super) fn walk(_out: &mut [usize]) -> usize {
        0
    }
}
