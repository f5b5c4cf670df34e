//! Command injection: no constructor, checked or unchecked, accepts a control character,
//! and nothing written ever holds CR, LF or NUL (SECURITY.md, "command injection").

mod syntax_common;

use proptest::prelude::*;
use smtp_proto::syntax::{
    AddressEncoding, AddressError, AddressLiteral, ClientId, Domain, ForwardPath, GeneralLiteral,
    Host, LocalPart, Mailbox, ReversePath,
};
use syntax_common::*;

/// Every constructor that takes a string, named for failure messages.
fn constructors(s: &str) -> Vec<(&'static str, Result<String, AddressError>)> {
    let s2 = s.to_owned();
    vec![
        (
            "Domain::from_str",
            s.parse::<Domain>().map(|v| v.to_string()),
        ),
        (
            "Domain::try_from(String)",
            Domain::try_from(s2.clone()).map(|v| v.to_string()),
        ),
        (
            "Domain::from_unchecked",
            Domain::from_unchecked(s).map(|v| v.to_string()),
        ),
        (
            "AddressLiteral::from_str",
            s.parse::<AddressLiteral>().map(|v| v.to_string()),
        ),
        (
            "AddressLiteral::from_unchecked",
            AddressLiteral::from_unchecked(s).map(|v| v.to_string()),
        ),
        (
            "GeneralLiteral::new",
            GeneralLiteral::new("x", s).map(|v| v.content().to_owned()),
        ),
        (
            "GeneralLiteral::from_unchecked",
            GeneralLiteral::from_unchecked("x", s).map(|v| v.content().to_owned()),
        ),
        ("Host::from_str", s.parse::<Host>().map(|v| v.to_string())),
        (
            "Host::from_unchecked",
            Host::from_unchecked(s).map(|v| v.to_string()),
        ),
        (
            "LocalPart::from_str",
            s.parse::<LocalPart>().map(|v| v.to_string()),
        ),
        (
            "LocalPart::try_from(String)",
            LocalPart::try_from(s2.clone()).map(|v| v.to_string()),
        ),
        (
            "LocalPart::from_value",
            LocalPart::from_value(s).map(|v| v.to_string()),
        ),
        (
            "LocalPart::from_unchecked",
            LocalPart::from_unchecked(s).map(|v| v.to_string()),
        ),
        (
            "Mailbox::from_str",
            s.parse::<Mailbox>().map(|v| v.to_string()),
        ),
        (
            "Mailbox::try_from(String)",
            Mailbox::try_from(s2.clone()).map(|v| v.to_string()),
        ),
        (
            "Mailbox::from_unchecked",
            Mailbox::from_unchecked(s).map(|v| v.to_string()),
        ),
        (
            "ReversePath::from_str",
            s.parse::<ReversePath>().map(|v| v.to_string()),
        ),
        (
            "ReversePath::from_unchecked",
            ReversePath::from_unchecked(s).map(|v| v.to_string()),
        ),
        (
            "ForwardPath::from_str",
            s.parse::<ForwardPath>().map(|v| v.to_string()),
        ),
        (
            "ForwardPath::try_from(String)",
            ForwardPath::try_from(s2.clone()).map(|v| v.to_string()),
        ),
        (
            "ForwardPath::from_unchecked",
            ForwardPath::from_unchecked(s).map(|v| v.to_string()),
        ),
        (
            "ClientId::from_str",
            s.parse::<ClientId>().map(|v| v.to_string()),
        ),
        (
            "ClientId::try_from(String)",
            ClientId::try_from(s2).map(|v| v.to_string()),
        ),
        (
            "ClientId::from_unchecked",
            ClientId::from_unchecked(s).map(|v| v.to_string()),
        ),
        (
            "ClientId::from_host_name",
            ClientId::from_host_name(s).map(|v| v.to_string()),
        ),
    ]
}

/// Every C0 control, DEL and the C1 controls.
fn controls() -> impl Iterator<Item = char> {
    (0u32..0x20)
        .chain([0x7f])
        .chain(0x80..0xa0)
        .filter_map(char::from_u32)
}

#[test]
fn every_control_is_refused_by_every_constructor() {
    // Inputs that are valid for some constructor, with a control spliced in.
    let templates = [
        "user@example.com",
        "<user@example.com>",
        "<@a.example:user@example.com>",
        "\"quoted user\"@example.com",
        "example.com",
        "[192.0.2.1]",
        "[x-tag:abc]",
        "用户@例子.测试",
        "localhost",
        "<>",
        "<Postmaster>",
    ];
    for template in templates {
        let boundaries: Vec<usize> = (0..=template.len())
            .filter(|&i| template.is_char_boundary(i))
            .collect();
        for &i in &boundaries {
            for c in controls() {
                let s = format!("{}{c}{}", &template[..i], &template[i..]);
                for (name, result) in constructors(&s) {
                    assert!(result.is_err(), "{name} accepted {s:?}: {result:?}");
                }
                // Unchecked constructors refuse it first, at its exact offset.
                for result in [
                    LocalPart::from_unchecked(s.as_str()).map(drop),
                    Domain::from_unchecked(s.as_str()).map(drop),
                    Mailbox::from_unchecked(&s).map(drop),
                    ClientId::from_unchecked(&s).map(drop),
                ] {
                    assert_eq!(result, Err(AddressError::Control { at: i, ch: c }), "{s:?}");
                }
            }
        }
    }
}

#[test]
fn smuggling_payloads_are_refused() {
    for s in [
        "a@b>\r\nRCPT TO:<c@d>",
        "a@b\nDATA",
        "a@b\rQUIT",
        "a@b\0",
        "\"a\r\nb\"@c",
        "\"a\\\r\"@c",
        "<a@b>\r\nRSET",
        "[1.2.3.4]\r\n",
        "host\r\nMAIL FROM:<>",
        "a@b\u{85}RCPT TO:<c@d>",
        "\"a\u{85}b\"@c",
        "host\u{9f}",
    ] {
        for (name, result) in constructors(s) {
            // A strict parser reports the first problem, which may come before the control;
            // an unchecked constructor looks for controls first.
            if name.contains("unchecked") {
                assert!(
                    matches!(result, Err(AddressError::Control { .. })),
                    "{name} on {s:?}: {result:?}"
                );
            } else {
                assert!(result.is_err(), "{name} accepted {s:?}");
            }
        }
    }
}

fn assert_clean(out: &[u8]) -> Result<(), TestCaseError> {
    prop_assert!(
        !out.iter().any(|&b| b < 0x20 || b == 0x7f),
        "control byte written: {:?}",
        String::from_utf8_lossy(out)
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn no_written_path_holds_a_control(r in reverse_path(), f in forward_path(), c in client_id()) {
        for enc in [AddressEncoding::Ascii, AddressEncoding::Utf8] {
            let mut out = Vec::new();
            r.write_to(&mut out, enc);
            f.write_to(&mut out, enc);
            assert_clean(&out)?;
        }
        let mut out = Vec::new();
        c.write_to(&mut out);
        assert_clean(&out)?;
    }

    #[test]
    fn unchecked_values_never_write_a_control(s in prop_oneof![any::<String>(), tricky_string()]) {
        if let Ok(m) = Mailbox::from_unchecked(&s) {
            for enc in [AddressEncoding::Ascii, AddressEncoding::Utf8] {
                let mut out = Vec::new();
                ReversePath::from(m.clone()).write_to(&mut out, enc);
                ForwardPath::from(m.clone()).write_to(&mut out, enc);
                assert_clean(&out)?;
            }
        }
        if let Ok(c) = ClientId::from_unchecked(&s) {
            let mut out = Vec::new();
            c.write_to(&mut out);
            assert_clean(&out)?;
        }
        let has_control = s.chars().any(char::is_control);
        for (name, result) in constructors(&s) {
            if has_control {
                prop_assert!(result.is_err(), "{} accepted {:?}", name, s);
            }
        }
    }

    #[test]
    fn spliced_controls_are_refused(m in mailbox(), pos in any::<prop::sample::Index>(), c in prop::sample::select(controls().collect::<Vec<_>>())) {
        let text = format!("<{m}>");
        let boundaries: Vec<usize> = (0..=text.len()).filter(|&i| text.is_char_boundary(i)).collect();
        let i = *pos.get(&boundaries);
        let s = format!("{}{c}{}", &text[..i], &text[i..]);
        for (name, result) in constructors(&s) {
            prop_assert!(result.is_err(), "{} accepted {:?}", name, s);
        }
    }
}
