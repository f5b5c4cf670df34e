//! The reply-flood memory bound on the async_std adapter: alone in its binary, so that the
//! counting allocator sees only this test (and its server thread, which allocates nothing
//! while it floods).
// A global allocator is an unsafe trait; this file only forwards to the system allocator.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use smtp_tests::adapter::AsyncStd;
use smtp_tests::hostile::{self, HeapProbe};

/// Counts live heap octets and their peak.
struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call forwards to `System` with the caller's arguments unchanged; the
// counters are only statistics.
unsafe impl GlobalAlloc for Counting {
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

#[global_allocator]
static ALLOCATOR: Counting = Counting;

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

#[test]
fn a_1_gib_reply_line_fails_at_the_line_limit_within_256_kib_of_heap() {
    let probe = Probe {
        baseline: AtomicUsize::new(0),
    };
    let growth = hostile::endless_reply_line_measured::<AsyncStd>(&probe).unwrap();
    eprintln!("heap peak growth during the flood: {growth} octets");
    assert!(growth <= 256 * 1024, "heap grew by {growth} octets");
}
