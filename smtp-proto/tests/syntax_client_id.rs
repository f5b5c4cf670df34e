//! Known answers for `ClientId` (RFC 5321 §4.1.1.1, RFC 6531 §3.7.1).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use smtp_proto::syntax::{AddressError, AddressLiteral, ClientId, Domain};

fn wire(c: &ClientId) -> String {
    let mut out = Vec::new();
    c.write_to(&mut out);
    assert_eq!(out.len(), c.encoded_len());
    String::from_utf8(out).unwrap()
}

#[test]
fn parses_domains_and_literals_and_writes_ascii() {
    for (s, w) in [
        ("mail.example.com", "mail.example.com"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("例子.测试", "xn--fsqu00a.xn--0zwm56d"),
        ("[192.0.2.1]", "[192.0.2.1]"),
        ("[IPv6:2001:db8::25]", "[IPv6:2001:db8::25]"),
        ("[x-tag:opaque]", "[x-tag:opaque]"),
    ] {
        let c: ClientId = s.parse().unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(wire(&c), w);
        assert_eq!(c.to_string(), w);
        assert!(!c.needs_smtputf8());
        assert_eq!(w.parse::<ClientId>().unwrap(), c);
    }
    assert_eq!(
        "bad_name.example".parse::<ClientId>(),
        Err(AddressError::UnexpectedChar {
            at: 3,
            ch: '_',
            expected: "letter, digit, hyphen or dot"
        })
    );
}

#[test]
fn localhost_and_conversions() {
    assert_eq!(wire(&ClientId::localhost()), "localhost");
    assert_eq!(ClientId::localhost(), "localhost".parse().unwrap());
    let d: Domain = "bücher.example".parse().unwrap();
    let c = ClientId::from(d);
    assert_eq!(
        c.domain().map(Domain::as_str),
        Some("xn--bcher-kva.example")
    );
    let c = ClientId::from(IpAddr::V6(Ipv6Addr::LOCALHOST));
    assert_eq!(wire(&c), "[IPv6:::1]");
    assert_eq!(
        c.address_literal(),
        Some(&AddressLiteral::Ipv6(Ipv6Addr::LOCALHOST))
    );
}

#[test]
fn host_names_from_the_os() {
    for (name, w) in [
        ("host.example.org", "host.example.org"),
        ("host.example.org.", "host.example.org"),
        ("MyHost", "MyHost"),
        ("BÜCHER.example", "xn--bcher-kva.example"), // lenient UTS #46 mapping
        ("例子。测试", "xn--fsqu00a.xn--0zwm56d"),
        ("192.0.2.7", "[192.0.2.7]"),
        ("2001:db8::7", "[IPv6:2001:db8::7]"),
    ] {
        let c = ClientId::from_host_name(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(wire(&c), w, "{name}");
    }
    assert_eq!(
        ClientId::from_host_name("127.0.0.1").unwrap(),
        ClientId::from(IpAddr::V4(Ipv4Addr::LOCALHOST))
    );
    assert!(ClientId::from_host_name("DESKTOP_42").is_err());
    assert!(ClientId::from_host_name("").is_err());
    assert_eq!(
        ClientId::from_host_name("host\r\nMAIL FROM:<x@y>"),
        Err(AddressError::Control { at: 4, ch: '\r' })
    );
}

#[test]
fn unchecked_client_ids_are_still_ascii_and_control_free() {
    let c = ClientId::from_unchecked("under_score.example").unwrap();
    assert_eq!(wire(&c), "under_score.example");
    let c = ClientId::from_unchecked("BÜCHER.example").unwrap();
    assert_eq!(wire(&c), "xn--bcher-kva.example");
    assert_eq!(
        ClientId::from_unchecked("a\0b"),
        Err(AddressError::Control { at: 1, ch: '\0' })
    );
}
