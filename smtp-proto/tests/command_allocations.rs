//! Writing and measuring MAIL and RCPT parameters allocates nothing: the lines of every mail
//! whose envelope differs from the previous one are built this way. Counted, so asserted.

// The counting allocator is the one unsafe item: it only forwards to the system allocator.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

use smtp_proto::syntax::AddressEncoding;
use smtp_proto::syntax::esmtp::{MailParameters, RcptParameters};

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by writing, measuring and checking `params` under both encodings.
fn allocations(params: &MailParameters, out: &mut Vec<u8>) -> [u64; 2] {
    [AddressEncoding::Ascii, AddressEncoding::Utf8].map(|enc| {
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        out.clear();
        params.write_to(out, enc);
        let len = params.encoded_len(enc);
        let empty = params.is_empty();
        let allowance = params.line_allowance(enc);
        let after = ALLOCATIONS.load(Ordering::Relaxed);
        assert_eq!(len, out.len());
        assert!(!empty && allowance > 0);
        after - before
    })
}

// One test: the counter is global, and tests run in parallel threads.
#[test]
fn parameters_are_written_and_measured_without_allocating() {
    mail_parameters();
    rcpt_parameters();
}

fn mail_parameters() {
    let mut out = Vec::with_capacity(1024);
    let params: MailParameters = "SIZE=123456 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=QQ314159 \
         REQUIRETLS MT-PRIORITY=3 HOLDFOR=600 BY=120;R X-EXTRA=1"
        .parse()
        .unwrap();
    assert_eq!(allocations(&params, &mut out), [0, 0]);
    assert_eq!(
        String::from_utf8(out.clone()).unwrap(),
        " SIZE=123456 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=QQ314159 REQUIRETLS MT-PRIORITY=3 \
         HOLDFOR=600 BY=120;R X-EXTRA=1"
    );
    // AUTH= renders its mailbox (A-labels or not) before xtext-encoding it: one
    // allocation when written and one when measured.
    let params: MailParameters = "SIZE=1 AUTH=e+3Dmc2@example.com".parse().unwrap();
    assert_eq!(allocations(&params, &mut out), [2, 2]);
    assert_eq!(out, b" SIZE=1 AUTH=e+3Dmc2@example.com");
}

fn rcpt_parameters() {
    let params: RcptParameters =
        "NOTIFY=SUCCESS,DELAY ORCPT=rfc822;a+2Bb@example.org RRVS=2026-11-29T10:00:00Z;R X-EXTRA=1"
            .parse()
            .unwrap();
    let mut out = Vec::with_capacity(1024);
    for enc in [AddressEncoding::Ascii, AddressEncoding::Utf8] {
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        out.clear();
        params.write_to(&mut out, enc);
        let len = params.encoded_len(enc);
        let empty = params.is_empty();
        let allowance = params.line_allowance(enc);
        let after = ALLOCATIONS.load(Ordering::Relaxed);
        assert_eq!(after - before, 0, "{enc:?}");
        assert_eq!(len, out.len());
        assert!(!empty && allowance > 0);
    }
    assert_eq!(
        String::from_utf8(out).unwrap(),
        " NOTIFY=SUCCESS,DELAY ORCPT=rfc822;a+2Bb@example.org RRVS=2026-11-29T10:00:00Z;R X-EXTRA=1"
    );
}
