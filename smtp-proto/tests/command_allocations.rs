//! Writing and measuring MAIL and RCPT parameters allocates nothing: the lines of every mail
//! whose envelope differs from the previous one are built this way. An AUTH line with a
//! credential is written into a buffer reserved once, so no reallocation leaves a copy of
//! the credential behind. Counted, so asserted.

// The counting allocator (`counting_alloc`) is the one unsafe item.
#![allow(unsafe_code)]
mod counting_alloc;

use smtp_proto::auth::SaslResponse;
use smtp_proto::command::{Auth, InitialResponse};
use smtp_proto::syntax::AddressEncoding;
use smtp_proto::syntax::esmtp::{MailParameters, RcptParameters};

/// Allocations made by writing, measuring and checking `params` under both encodings.
fn allocations(params: &MailParameters, out: &mut Vec<u8>) -> [u64; 2] {
    [AddressEncoding::Ascii, AddressEncoding::Utf8].map(|enc| {
        let before = counting_alloc::allocations();
        out.clear();
        params.write_to(out, enc);
        let len = params.encoded_len(enc);
        let empty = params.is_empty();
        let allowance = params.line_allowance(enc);
        let after = counting_alloc::allocations();
        assert_eq!(len, out.len());
        assert!(!empty && allowance > 0);
        after - before
    })
}

// One test: the counter is global, and tests run in parallel threads.
#[test]
fn lines_are_written_without_needless_allocations() {
    mail_parameters();
    rcpt_parameters();
    auth_line();
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
        let before = counting_alloc::allocations();
        out.clear();
        params.write_to(&mut out, enc);
        let len = params.encoded_len(enc);
        let empty = params.is_empty();
        let allowance = params.line_allowance(enc);
        let after = counting_alloc::allocations();
        assert_eq!(after - before, 0, "{enc:?}");
        assert_eq!(len, out.len());
        assert!(!empty && allowance > 0);
    }
    assert_eq!(
        String::from_utf8(out).unwrap(),
        " NOTIFY=SUCCESS,DELAY ORCPT=rfc822;a+2Bb@example.org RRVS=2026-11-29T10:00:00Z;R X-EXTRA=1"
    );
}

/// `AUTH PLAIN <base64>`: one allocation for the base64 text and one for the line, reserved
/// whole before a byte is written.
fn auth_line() {
    let response = SaslResponse::new(b"\0tim\0tanstaaftanstaaf".to_vec());
    let auth = Auth::new("PLAIN".parse().unwrap(), Some(response));
    let mut out = Vec::new();
    let before = counting_alloc::allocations();
    let sent = auth.encode(&mut out);
    let after = counting_alloc::allocations();
    assert_eq!(sent, InitialResponse::Sent);
    assert_eq!(out, b"AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n");
    assert_eq!(after - before, 2);
}
