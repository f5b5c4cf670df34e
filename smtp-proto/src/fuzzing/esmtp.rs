//! ESMTP parameter, xtext, ORCPT and command-line target.
//!
//! The first byte selects a parser; the rest is its input. Every accepted input must
//! round-trip (parse, display, parse gives the same value; decode, encode, decode gives the
//! same bytes), `encoded_len` must match what is written, and nothing written may contain
//! a control character.

use std::fmt::Display;
use std::str::FromStr;

use crate::command::{Mail, Rcpt, TextArgument, Vrfy};
use crate::syntax::esmtp::{
    DateTime, DeliverBy, EnvId, EsmtpKeyword, EsmtpParam, EsmtpValue, MailParameter,
    MailParameters, MtPriority, Notify, OriginalRecipient, RcptParameter, RcptParameters, Rrvs,
    decode_xtext, encode_xtext, xtext_encoded_len,
};
use crate::syntax::{AddressEncoding, ForwardPath, ReversePath};

const ENCODINGS: [AddressEncoding; 2] = [AddressEncoding::Ascii, AddressEncoding::Utf8];

/// ESMTP target entry point.
pub fn esmtp(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    if selector % 16 == 4 {
        xtext_bytes(rest);
        return;
    }
    let Ok(s) = std::str::from_utf8(rest) else {
        return;
    };
    match selector % 16 {
        0 => exact::<EsmtpKeyword>(s),
        1 => {
            exact::<EsmtpValue>(s);
            unchecked(s);
        }
        2 => exact::<EsmtpParam>(s),
        3 => xtext_str(s),
        5 => round_trip::<EnvId>(s),
        6 => orcpt(s),
        7 => mail_parameter(s),
        8 => rcpt_parameter(s),
        9 => round_trip::<MailParameters>(s),
        10 => round_trip::<RcptParameters>(s),
        11 => {
            round_trip::<DateTime>(s);
            round_trip::<DeliverBy>(s);
            round_trip::<MtPriority>(s);
            round_trip::<Notify>(s);
            round_trip::<Rrvs>(s);
        }
        12 => mail_line(s),
        13 => rcpt_line(s),
        14 => vrfy_line(s),
        _ => exact::<EsmtpParam>(s),
    }
}

/// Whatever an unchecked constructor accepts stays one token of the line: a keyword is
/// `ALPHA / DIGIT / "-"` only, a value holds no SP or `=`, a date-time no SP, `=` or `;`,
/// and an extra parameter under a typed keyword (in any case) is refused.
fn unchecked(s: &str) {
    let splits = |c: char| c.is_control() || c == ' ' || c == '=';
    if let Ok(k) = EsmtpKeyword::from_unchecked(s) {
        assert!(!s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
        let mut p = MailParameters::new();
        let typed = MailParameter::is_typed_keyword(k.as_str());
        assert_eq!(p.push_extra(EsmtpParam::new(k, None)).is_err(), typed);
    }
    if EsmtpValue::from_unchecked(s).is_ok() {
        assert!(!s.is_empty() && !s.chars().any(splits));
    }
    if DateTime::from_unchecked(s).is_ok() {
        assert!(!s.is_empty() && !s.chars().any(|c| splits(c) || c == ';'));
    }
    if EnvId::from_unchecked(s).is_ok() {
        assert!(!s.is_empty() && !s.chars().any(char::is_control));
    }
}

fn assert_clean(bytes: &[u8]) {
    assert!(
        !bytes.iter().any(|&b| b < 0x20 || b == 0x7F),
        "control character written: {bytes:?}"
    );
}

/// Parse, display, parse gives the same value, and the display is clean.
fn round_trip<T: FromStr + Display + PartialEq + std::fmt::Debug>(s: &str) {
    if let Ok(v) = s.parse::<T>() {
        let shown = v.to_string();
        assert_clean(shown.as_bytes());
        let again = shown.parse::<T>().ok();
        assert_eq!(
            again.as_ref(),
            Some(&v),
            "round trip of {s:?} via {shown:?}"
        );
    }
}

/// Like [`round_trip`], and the display is the input itself.
fn exact<T: FromStr + Display + PartialEq + std::fmt::Debug>(s: &str) {
    round_trip::<T>(s);
    if let Ok(v) = s.parse::<T>() {
        assert_eq!(v.to_string(), s);
    }
}

fn xtext_bytes(bytes: &[u8]) {
    let mut out = Vec::new();
    encode_xtext(bytes, &mut out);
    assert_eq!(out.len(), xtext_encoded_len(bytes));
    assert_clean(&out);
    let text = std::str::from_utf8(&out).ok();
    assert_eq!(
        text.and_then(|t| decode_xtext(t).ok()).as_deref(),
        Some(bytes)
    );
}

fn xtext_str(s: &str) {
    if let Ok(decoded) = decode_xtext(s) {
        xtext_bytes(&decoded);
    }
}

fn orcpt(s: &str) {
    round_trip::<OriginalRecipient>(s);
    if let Ok(o) = s.parse::<OriginalRecipient>() {
        for enc in ENCODINGS {
            let mut out = Vec::new();
            o.write_to(&mut out, enc);
            assert_eq!(out.len(), o.encoded_len(enc));
            assert_clean(&out);
            if enc == AddressEncoding::Ascii {
                assert!(out.is_ascii());
            }
            let text = String::from_utf8_lossy(&out);
            assert_eq!(text.parse::<OriginalRecipient>().ok().as_ref(), Some(&o));
        }
    }
}

fn mail_parameter(s: &str) {
    round_trip::<MailParameter>(s);
    if let Ok(p) = s.parse::<MailParameter>() {
        for enc in ENCODINGS {
            let mut out = Vec::new();
            p.write_to(&mut out, enc);
            assert_eq!(out.len(), p.encoded_len(enc));
            assert_clean(&out);
            assert!(out.is_ascii(), "typed MAIL parameters are ASCII");
        }
    }
}

fn rcpt_parameter(s: &str) {
    round_trip::<RcptParameter>(s);
    if let Ok(p) = s.parse::<RcptParameter>() {
        for enc in ENCODINGS {
            let mut out = Vec::new();
            p.write_to(&mut out, enc);
            assert_eq!(out.len(), p.encoded_len(enc));
            assert_clean(&out);
            let text = String::from_utf8_lossy(&out);
            assert_eq!(text.parse::<RcptParameter>().ok().as_ref(), Some(&p));
        }
    }
}

/// A checked line ends in CRLF, has no other control character and respects its limit.
fn assert_line(out: &[u8], len: usize) {
    assert_eq!(out.len(), len);
    let body = out.strip_suffix(b"\r\n");
    assert!(body.is_some(), "line without CRLF");
    assert_clean(body.unwrap_or_default());
}

/// `<path> params` split at the first space.
fn split_path(s: &str) -> (&str, &str) {
    s.split_once(' ').unwrap_or((s, ""))
}

fn mail_line(s: &str) {
    let (path, params) = split_path(s);
    let (Ok(path), Ok(params)) = (
        path.parse::<ReversePath>(),
        params.parse::<MailParameters>(),
    ) else {
        return;
    };
    let mail = Mail::new(path, params);
    for enc in ENCODINGS {
        let mut out = Vec::new();
        if mail.encode(&mut out, enc).is_ok() {
            assert_line(&out, mail.encoded_len(enc));
        } else {
            assert!(out.is_empty(), "bytes written before an error");
        }
    }
}

fn rcpt_line(s: &str) {
    let (path, params) = split_path(s);
    let (Ok(path), Ok(params)) = (
        path.parse::<ForwardPath>(),
        params.parse::<RcptParameters>(),
    ) else {
        return;
    };
    let rcpt = Rcpt::new(path, params);
    for enc in ENCODINGS {
        let mut out = Vec::new();
        if rcpt.encode(&mut out, enc).is_ok() {
            assert_line(&out, rcpt.encoded_len(enc));
        } else {
            assert!(out.is_empty(), "bytes written before an error");
        }
    }
}

fn vrfy_line(s: &str) {
    if let Ok(arg) = s.parse::<TextArgument>() {
        for smtputf8 in [false, true] {
            if let Ok(v) = Vrfy::new(arg.clone(), smtputf8) {
                let mut out = Vec::new();
                v.encode(&mut out);
                assert_line(&out, out.len());
                assert!(out.len() <= 512);
            }
        }
    }
}
