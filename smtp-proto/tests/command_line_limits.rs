//! Line-length boundaries: exactly at each limit passes, one octet more fails.

use smtp_proto::auth::{Mechanism, SaslResponse};
use smtp_proto::command::*;
use smtp_proto::syntax::AddressEncoding::Ascii;
use smtp_proto::syntax::esmtp::{EsmtpParam, MailParameters, RcptParameters, allowance};
use smtp_proto::syntax::{ForwardPath, ReversePath};

/// A filler parameter ` X-FILL=aaa…` of exactly `len` octets (space included).
fn filler(len: usize) -> EsmtpParam {
    format!("X-FILL={}", "a".repeat(len - 8)).parse().unwrap()
}

fn mail_with(params: &str, fill: usize) -> Mail {
    let mut p: MailParameters = params.parse().unwrap();
    if fill > 0 {
        p.push_extra(filler(fill)).unwrap();
    }
    Mail::new("<sender@example.org>".parse::<ReversePath>().unwrap(), p)
}

/// Pads MAIL with `params` to exactly `512 + allowance` and checks the boundary.
fn mail_boundary(params: &str, allowance: usize) {
    let limit = COMMAND_LINE_LIMIT + allowance;
    let base = mail_with(params, 0).encoded_len(Ascii);
    let exact = mail_with(params, limit - base);
    assert_eq!(exact.encoded_len(Ascii), limit, "{params}");
    assert_eq!(exact.check(Ascii), Ok(()), "{params}");
    let over = mail_with(params, limit - base + 1);
    assert_eq!(
        over.check(Ascii),
        Err(CommandError::LineTooLong {
            len: limit + 1,
            max: limit
        }),
        "{params}"
    );
    let mut out = Vec::new();
    assert!(over.encode(&mut out, Ascii).is_err());
    assert!(out.is_empty(), "nothing is written for a refused line");
}

#[test]
fn mail_base_limit() {
    mail_boundary("", 0);
}

#[test]
fn mail_allowance_per_extension() {
    mail_boundary("SIZE=1000", allowance::SIZE);
    mail_boundary("BODY=8BITMIME", allowance::BODY);
    mail_boundary("SMTPUTF8", allowance::SMTPUTF8);
    mail_boundary("RET=FULL", allowance::RET_ENVID);
    mail_boundary("ENVID=abc", allowance::RET_ENVID);
    mail_boundary("RET=HDRS ENVID=abc", allowance::RET_ENVID);
    mail_boundary("AUTH=<>", allowance::AUTH);
    mail_boundary("BY=60;R", allowance::BY);
    // No figure relied upon: each is granted its own length with the space.
    mail_boundary("REQUIRETLS", " REQUIRETLS".len());
    mail_boundary("MT-PRIORITY=-9", " MT-PRIORITY=-9".len());
    mail_boundary("HOLDFOR=3600", " HOLDFOR=3600".len());
    mail_boundary(
        "HOLDUNTIL=2026-12-24T18:00:00Z",
        " HOLDUNTIL=2026-12-24T18:00:00Z".len(),
    );
}

#[test]
fn mail_allowances_add_up() {
    let all = "SIZE=1 BODY=7BIT SMTPUTF8 RET=FULL ENVID=x AUTH=<> BY=1;N";
    let sum = allowance::SIZE
        + allowance::BODY
        + allowance::SMTPUTF8
        + allowance::RET_ENVID
        + allowance::AUTH
        + allowance::BY;
    mail_boundary(all, sum);
}

fn rcpt_with(params: &str, fill: usize) -> Rcpt {
    let mut p: RcptParameters = params.parse().unwrap();
    if fill > 0 {
        p.push_extra(filler(fill)).unwrap();
    }
    Rcpt::new("<rcpt@example.org>".parse::<ForwardPath>().unwrap(), p)
}

fn rcpt_boundary(params: &str, allowance: usize) {
    let limit = COMMAND_LINE_LIMIT + allowance;
    let base = rcpt_with(params, 0).encoded_len(Ascii);
    assert_eq!(
        rcpt_with(params, limit - base).check(Ascii),
        Ok(()),
        "{params}"
    );
    assert_eq!(
        rcpt_with(params, limit - base + 1).check(Ascii),
        Err(CommandError::LineTooLong {
            len: limit + 1,
            max: limit
        }),
        "{params}"
    );
}

#[test]
fn rcpt_allowances() {
    rcpt_boundary("", 0);
    rcpt_boundary("NOTIFY=NEVER", allowance::NOTIFY_ORCPT);
    rcpt_boundary("ORCPT=rfc822;a@b", allowance::NOTIFY_ORCPT);
    rcpt_boundary("NOTIFY=DELAY ORCPT=rfc822;a@b", allowance::NOTIFY_ORCPT);
    rcpt_boundary(
        "RRVS=2014-04-03T23:01:00Z;R",
        " RRVS=2014-04-03T23:01:00Z;R".len(),
    );
}

#[test]
fn text_commands_at_512() {
    let arg = |n: usize| "a".repeat(n).parse::<TextArgument>().unwrap();
    // "VRFY " + arg + CRLF
    assert!(Vrfy::new(arg(505), false).is_ok());
    assert_eq!(
        Vrfy::new(arg(506), false),
        Err(CommandError::LineTooLong { len: 513, max: 512 })
    );
    // " SMTPUTF8" counts against the 512 octets of VRFY.
    assert!(Expn::new(arg(496), true).is_ok());
    assert_eq!(
        Expn::new(arg(497), true),
        Err(CommandError::LineTooLong { len: 513, max: 512 })
    );
    assert!(Noop::new(Some(arg(505))).is_ok());
    assert_eq!(
        Help::new(Some(arg(506))),
        Err(CommandError::LineTooLong { len: 513, max: 512 })
    );
}

#[test]
fn auth_initial_response_boundary() {
    let plain: Mechanism = "PLAIN".parse().unwrap();
    // "AUTH PLAIN " (11) + base64 + CRLF (2): 372 octets give 496 base64 characters = 509.
    let mut out = Vec::new();
    assert_eq!(
        Auth::new(plain.clone(), Some(SaslResponse::new(vec![7; 372]))).encode(&mut out),
        InitialResponse::Sent
    );
    assert_eq!(out.len(), 509);
    // 373 octets give 500 base64 characters, a 513-octet line: deferred.
    let mut out = Vec::new();
    assert_eq!(
        Auth::new(plain.clone(), Some(SaslResponse::new(vec![7; 373]))).encode(&mut out),
        InitialResponse::Deferred
    );
    assert_eq!(out, b"AUTH PLAIN\r\n");
    // A 20-character mechanism: "AUTH " + 20 + " " + b64 + CRLF <= 512, so b64 <= 484.
    let long: Mechanism = "ABCDEFGHIJKLMNOPQRST".parse().unwrap();
    let mut out = Vec::new();
    assert_eq!(
        Auth::new(long.clone(), Some(SaslResponse::new(vec![1; 363]))).encode(&mut out),
        InitialResponse::Sent
    );
    assert_eq!(out.len(), 512);
    let mut out = Vec::new();
    assert_eq!(
        Auth::new(long, Some(SaslResponse::new(vec![1; 364]))).encode(&mut out),
        InitialResponse::Deferred
    );
}

#[test]
fn sasl_response_line_boundary() {
    // base64 + CRLF <= 12288: 9213 octets give 12284 characters (12286 with CRLF).
    let mut out = Vec::new();
    assert!(encode_sasl_response(&SaslResponse::new(vec![0; 9213]), &mut out).is_ok());
    assert_eq!(out.len(), 12286);
    let mut out = Vec::new();
    assert_eq!(
        encode_sasl_response(&SaslResponse::new(vec![0; 9214]), &mut out),
        Err(CommandError::SaslLineTooLong {
            len: 12290,
            max: SASL_LINE_LIMIT
        })
    );
    assert!(out.is_empty());
}

#[test]
fn xclient_fits_in_512() {
    let value = |n: usize| XattrValue::Value("h".repeat(n));
    // "XCLIENT NAME=" (13) + value + CRLF
    assert!(Xclient::new(vec![(XclientAttribute::Name, value(497))]).is_ok());
    assert_eq!(
        Xclient::new(vec![(XclientAttribute::Name, value(498))]),
        Err(CommandError::LineTooLong { len: 513, max: 512 })
    );
}
