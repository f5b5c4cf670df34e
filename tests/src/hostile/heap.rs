//! The reply-flood heap bound: a counting global allocator that a test binary installs alone
//! (`#[global_allocator] static A: CountingAllocator = CountingAllocator;`), and the test body.
// A global allocator is an unsafe trait; this module only forwards to the system allocator.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{HeapProbe, endless_reply_line_measured};
use crate::adapter::SmtpAdapter;

/// Counts live heap octets and their peak.
pub struct CountingAllocator;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call forwards to `System` with the caller's arguments unchanged; the
// counters are only statistics.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as is.
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded as is.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
            let now = CURRENT.fetch_add(new_size, Ordering::Relaxed) + new_size;
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        new
    }
}

/// The heap use at the start of a measurement, for [`HeapProbe`].
struct Probe {
    baseline: AtomicUsize,
}

impl HeapProbe for Probe {
    fn reset_peak(&self) {
        let now = CURRENT.load(Ordering::Relaxed);
        self.baseline.store(now, Ordering::Relaxed);
        PEAK.store(now, Ordering::Relaxed);
    }

    fn peak_growth(&self) -> usize {
        PEAK.load(Ordering::Relaxed)
            .saturating_sub(self.baseline.load(Ordering::Relaxed))
    }
}

/// The test: a 1 GiB reply line fails at the line limit while the heap grows by at most
/// 256 KiB. Only meaningful in a binary whose global allocator is [`CountingAllocator`] and
/// that runs nothing else.
pub fn flood_stays_within_the_heap_bound<A: SmtpAdapter>() {
    let probe = Probe {
        baseline: AtomicUsize::new(0),
    };
    let growth = match endless_reply_line_measured::<A>(&probe) {
        Ok(growth) => growth,
        Err(failure) => panic!("{failure}"),
    };
    eprintln!("heap peak growth during the flood: {growth} octets");
    assert!(growth <= 256 * 1024, "heap grew by {growth} octets");
}
