//! Syntax round-trip target: every address type, strict and unchecked.

use std::fmt::{Debug, Display};
use std::str::FromStr;

use crate::syntax::{
    AddressEncoding, AddressLiteral, ClientId, Domain, ForwardPath, Host, LocalPart, Mailbox,
    ReversePath,
};

/// Syntax target: the first byte selects a parser, the rest (if UTF-8) is its input.
///
/// Whatever parses must display to text that parses back to the same value, and must
/// write (in both encodings) exactly `encoded_len` octets with no control character, for
/// the strict and for the unchecked constructors alike.
pub fn syntax(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(s) = std::str::from_utf8(rest) else {
        return;
    };
    match selector % 10 {
        0 => domain(s),
        1 => literal(s),
        2 => local_part(s),
        3 => mailbox(s),
        4 => {
            if let Some(p) = round_trip::<ReversePath>(s) {
                check_written(|o, e| p.write_to(o, e), |e| p.encoded_len(e));
            }
        }
        5 => {
            if let Some(p) = round_trip::<ForwardPath>(s) {
                check_written(|o, e| p.write_to(o, e), |e| p.encoded_len(e));
            }
        }
        6 => {
            if let Some(c) = round_trip::<ClientId>(s) {
                check_client_id(&c);
            }
        }
        7 => {
            if let Some(h) = round_trip::<Host>(s) {
                check_written(|o, e| h.write_to(o, e), |e| h.encoded_len(e));
            }
        }
        8 => unchecked(s),
        _ => {
            if let Ok(c) = ClientId::from_host_name(s) {
                check_client_id(&c);
            }
            if let Ok(l) = LocalPart::from_value(s) {
                assert_eq!(l.value(), s, "from_value then value");
                assert_eq!(round_trip::<LocalPart>(l.as_str()).as_ref(), Some(&l));
            }
        }
    }
}

/// Parses `s`; if it parses, asserts that display then parse gives the same value.
fn round_trip<T>(s: &str) -> Option<T>
where
    T: FromStr + Display + PartialEq + Debug,
    T::Err: Debug,
{
    let value = s.parse::<T>().ok()?;
    let shown = value.to_string();
    let again = shown.parse::<T>();
    assert!(
        again.as_ref().ok() == Some(&value),
        "display {shown:?} of {value:?} parses to {again:?}"
    );
    Some(value)
}

/// Writes with both encodings: the length must match and no control byte may appear.
fn check_written(
    write: impl Fn(&mut Vec<u8>, AddressEncoding),
    len: impl Fn(AddressEncoding) -> usize,
) {
    for enc in [AddressEncoding::Ascii, AddressEncoding::Utf8] {
        let mut out = b"x".to_vec();
        write(&mut out, enc);
        assert_eq!(out.len() - 1, len(enc), "encoded_len for {enc:?}");
        assert!(
            !out.iter().any(|&b| b < 0x20 || b == 0x7f),
            "control byte written: {out:?}"
        );
        if enc == AddressEncoding::Ascii {
            let text = String::from_utf8_lossy(&out);
            // Only a local part may keep non-ASCII in the ASCII encoding.
            let host = text.rsplit('@').next().unwrap_or_default();
            assert!(
                host.is_ascii() || !text.contains('@'),
                "non-ASCII host in Ascii: {text}"
            );
        }
    }
}

fn check_client_id(c: &ClientId) {
    let mut out = Vec::new();
    c.write_to(&mut out);
    assert_eq!(out.len(), c.encoded_len());
    // Unchecked identities may hold spaces; nothing may hold a control or non-ASCII.
    assert!(
        out.iter().all(|&b| (0x20..0x7f).contains(&b)),
        "client id not printable ASCII"
    );
    assert_eq!(c.to_string().as_bytes(), &out[..]);
}

fn domain(s: &str) {
    let Some(d) = round_trip::<Domain>(s) else {
        return;
    };
    check_written(|o, e| d.write_to(o, e), |e| d.encoded_len(e));
    let ascii = d.to_ascii();
    assert!(ascii.is_ascii());
    // The A-label form is itself a valid domain, equal as DNS compares.
    let back = ascii.parse::<Domain>();
    assert!(
        back.as_ref().is_ok_and(|b| b.eq_ignore_case(&d)),
        "A-label form {ascii:?} parses to {back:?}"
    );
    // The unchecked constructor agrees with the strict one on valid input.
    let unchecked = Domain::from_unchecked(s);
    assert!(
        unchecked.as_ref().is_ok_and(|u| u.eq_ignore_case(&d)),
        "from_unchecked gives {unchecked:?} for {d:?}"
    );
}

fn literal(s: &str) {
    let Some(l) = round_trip::<AddressLiteral>(s) else {
        return;
    };
    let mut out = Vec::new();
    l.write_to(&mut out);
    assert_eq!(out.len(), l.encoded_len());
    assert_eq!(out, l.to_string().into_bytes());
    // Differential against std for the pure hexadecimal IPv6 forms RFC 5321 allows.
    if let (AddressLiteral::Ipv6(ours), Some(text)) = (&l, s.get(6..s.len() - 1)) {
        if !text.contains('.') {
            assert_eq!(text.parse::<std::net::Ipv6Addr>().ok().as_ref(), Some(ours));
        }
    }
}

fn local_part(s: &str) {
    let Some(l) = round_trip::<LocalPart>(s) else {
        return;
    };
    assert!(
        l.as_str().len() <= s.len(),
        "minimal form longer than the input"
    );
    assert_eq!(LocalPart::from_value(&l.value()).as_ref(), Ok(&l));
}

fn mailbox(s: &str) {
    let Some(m) = round_trip::<Mailbox>(s) else {
        return;
    };
    check_written(|o, e| m.write_to(o, e), |e| m.encoded_len(e));
    let rp = ReversePath::from(m.clone());
    assert_eq!(round_trip::<ReversePath>(&rp.to_string()), Some(rp));
    let fp = ForwardPath::from(m);
    assert_eq!(round_trip::<ForwardPath>(&fp.to_string()), Some(fp));
}

fn unchecked(s: &str) {
    let any_control = s.chars().any(char::is_control);
    let results = [
        Domain::from_unchecked(s).map(|d| {
            assert_one_token(d.as_str());
            assert_one_token(&d.to_ascii());
            d.to_string()
        }),
        LocalPart::from_unchecked(s).map(|l| {
            assert_path_structure(&format!("<{l}@a>"));
            l.to_string()
        }),
        Mailbox::from_unchecked(s).map(|m| {
            check_written(|o, e| m.write_to(o, e), |e| m.encoded_len(e));
            m.to_string()
        }),
        ReversePath::from_unchecked(s).map(|p| {
            check_written(|o, e| p.write_to(o, e), |e| p.encoded_len(e));
            check_path_structure(|o, e| p.write_to(o, e));
            p.to_string()
        }),
        ForwardPath::from_unchecked(s).map(|p| {
            check_path_structure(|o, e| p.write_to(o, e));
            p.to_string()
        }),
        Host::from_unchecked(s).map(|h| h.to_string()),
        AddressLiteral::from_unchecked(s).map(|l| l.to_string()),
        ClientId::from_unchecked(s).map(|c| {
            check_client_id(&c);
            assert_one_token(&c.to_string());
            c.to_string()
        }),
    ];
    for text in results.into_iter().flatten() {
        assert!(!any_control && !text.chars().any(char::is_control));
    }
}

/// A host or EHLO argument that an unchecked constructor accepted is one non-empty token
/// that cannot end a path: no SP, `<` or `>`.
fn assert_one_token(s: &str) {
    assert!(!s.is_empty(), "empty token");
    assert!(
        !s.bytes().any(|b| matches!(b, b' ' | b'<' | b'>')),
        "{s:?} would split the line"
    );
}

/// The written path, in both encodings, closes where the encoder closed it.
fn check_path_structure(write: impl Fn(&mut Vec<u8>, AddressEncoding)) {
    for enc in [AddressEncoding::Ascii, AddressEncoding::Utf8] {
        let mut out = Vec::new();
        write(&mut out, enc);
        assert_path_structure(&String::from_utf8_lossy(&out));
    }
}

/// Read as a server reads a path (a leading quoted local part is skipped as a whole, then
/// the first `>` closes the path): the path must close at its last byte.
fn assert_path_structure(path: &str) {
    let bytes = path.as_bytes();
    assert_eq!(bytes.first(), Some(&b'<'), "{path:?}");
    let mut i = 1;
    if bytes.get(1) == Some(&b'"') {
        i = 2;
        loop {
            match bytes.get(i) {
                Some(b'\\') => i += 2,
                Some(b'"') => break,
                Some(_) => i += 1,
                None => break,
            }
        }
    }
    let close = bytes
        .get(i..)
        .and_then(|rest| memchr::memchr(b'>', rest))
        .map(|at| at + i);
    assert_eq!(
        close,
        path.len().checked_sub(1),
        "path closed early: {path:?}"
    );
}
