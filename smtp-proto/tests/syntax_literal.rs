//! Known answers for `AddressLiteral` (RFC 5321 §4.1.3).

use std::net::{Ipv4Addr, Ipv6Addr};

use smtp_proto::syntax::{AddressError, AddressLiteral, GeneralLiteral, Ipv6Problem};

fn v6(s: &str) -> AddressLiteral {
    AddressLiteral::Ipv6(s.parse::<Ipv6Addr>().unwrap())
}

#[test]
fn ipv4_literals() {
    for (s, ip) in [
        ("[123.255.37.2]", Ipv4Addr::new(123, 255, 37, 2)),
        ("[0.0.0.0]", Ipv4Addr::new(0, 0, 0, 0)),
        ("[255.255.255.255]", Ipv4Addr::new(255, 255, 255, 255)),
        ("[192.0.2.1]", Ipv4Addr::new(192, 0, 2, 1)),
        ("[010.001.0.1]", Ipv4Addr::new(10, 1, 0, 1)), // Snum = 1*3DIGIT, decimal
    ] {
        let lit: AddressLiteral = s.parse().unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(lit, AddressLiteral::Ipv4(ip), "{s}");
        assert_eq!(lit.ip(), Some(ip.into()));
    }
    for s in [
        "[256.0.0.1]",
        "[1.2.3]",
        "[1.2.3.4.5]",
        "[1..2.3]",
        "[1.2.3.]",
        "[1234.1.1.1]",
        "[]",
    ] {
        assert!(
            matches!(
                s.parse::<AddressLiteral>(),
                Err(AddressError::InvalidIpv4 { at: 1 })
            ),
            "{s}: {:?}",
            s.parse::<AddressLiteral>()
        );
    }
    assert_eq!(
        "[1.2.3.x]".parse::<AddressLiteral>(),
        Err(AddressError::UnexpectedChar {
            at: 7,
            ch: 'x',
            expected: "digit or '.' of an IPv4 address"
        })
    );
}

#[test]
fn ipv6_literals_in_every_rfc_5321_form() {
    for (s, want) in [
        // IPv6-full
        ("[IPv6:2001:db8:0:0:0:0:0:1]", "2001:db8::1"),
        (
            "[IPv6:2001:0DB8:0000:0000:0000:0000:0000:0001]",
            "2001:db8::1",
        ),
        ("[IPv6:1:2:3:4:5:6:7:8]", "1:2:3:4:5:6:7:8"),
        // IPv6-comp
        ("[IPv6:2001:db8::1]", "2001:db8::1"),
        ("[IPv6:::]", "::"),
        ("[IPv6:::1]", "::1"),
        ("[IPv6:1::]", "1::"),
        ("[IPv6:1:2:3:4:5:6::]", "1:2:3:4:5:6::"),
        ("[IPv6:::3:4:5:6:7:8]", "::3:4:5:6:7:8"),
        ("[IPv6:1:2:3::6:7:8]", "1:2:3::6:7:8"),
        ("[ipv6:fe80::1]", "fe80::1"), // ABNF strings are case-insensitive
        // IPv6v4-full
        ("[IPv6:1:2:3:4:5:6:1.2.3.4]", "1:2:3:4:5:6:102:304"),
        ("[IPv6:0:0:0:0:0:ffff:192.0.2.1]", "::ffff:192.0.2.1"),
        // IPv6v4-comp
        ("[IPv6:::ffff:192.0.2.1]", "::ffff:192.0.2.1"),
        ("[IPv6:::192.0.2.1]", "::c000:201"),
        ("[IPv6:1:2:3:4::1.2.3.4]", "1:2:3:4::102:304"),
        ("[IPv6:1::2:3:4:1.2.3.4]", "1::2:3:4:102:304"),
    ] {
        let lit: AddressLiteral = s.parse().unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(lit, v6(want), "{s}");
        assert_eq!(lit.to_string().parse::<AddressLiteral>().unwrap(), lit);
    }
    assert_eq!(v6("2001:db8::1").to_string(), "[IPv6:2001:db8::1]");
}

#[test]
fn invalid_ipv6_literals() {
    use Ipv6Problem::*;
    for (s, problem) in [
        ("[IPv6:1:2:3:4:5:6:7:8:9]", TooManyGroups),
        ("[IPv6:1:2:3:4:5:6:7]", TooFewGroups),
        ("[IPv6:1:2:3:4:5:6:7::]", TooManyGroups), // "::" stands for at least two groups
        ("[IPv6:::2:3:4:5:6:7:8]", TooManyGroups),
        ("[IPv6:1:2:3:4::5:6:7]", TooManyGroups),
        ("[IPv6:1::2::3]", DoubleCompression),
        ("[IPv6:1:::2]", BadGroup),
        ("[IPv6:12345::]", BadGroup),
        ("[IPv6::1:2:3:4:5:6:7]", BadGroup),
        ("[IPv6:1:2:3:4:5:6:7:]", BadGroup),
        ("[IPv6:]", TooFewGroups),
        ("[IPv6:1:2:3:4:5::1.2.3.4]", TooManyGroups), // at most 4 groups beside "::" and IPv4
        ("[IPv6:1:2:3:4:5:1.2.3.4]", TooFewGroups),
        ("[IPv6:1:2:3:4:5:6:7:1.2.3.4]", TooManyGroups),
        ("[IPv6:::256.1.1.1]", BadIpv4Suffix),
        ("[IPv6:::1.2.3]", BadIpv4Suffix),
        ("[IPv6:1.2.3.4::]", BadIpv4Suffix),
        ("[IPv6:::1.2.3.4:1]", BadIpv4Suffix),
    ] {
        let got = s.parse::<AddressLiteral>();
        assert!(
            matches!(got, Err(AddressError::InvalidIpv6 { problem: p, .. }) if p == problem),
            "{s}: {got:?}"
        );
    }
    // Offsets point at the offending group: a ninth group, or the IPv4 suffix that would
    // make the ninth and tenth.
    for (s, at) in [
        ("[IPv6:1:2:3:4:5:6:7:8:9]", 22),
        ("[IPv6:1:2:3:4:5:6:7:1.2.3.4]", 20),
    ] {
        assert_eq!(
            s.parse::<AddressLiteral>(),
            Err(AddressError::InvalidIpv6 {
                at,
                problem: TooManyGroups
            }),
            "{s}"
        );
    }
    assert_eq!(
        "[IPv6:1:12345::]".parse::<AddressLiteral>(),
        Err(AddressError::InvalidIpv6 {
            at: 8,
            problem: BadGroup
        })
    );
    assert_eq!(
        "[IPv6:1::2::3]".parse::<AddressLiteral>(),
        Err(AddressError::InvalidIpv6 {
            at: 10,
            problem: DoubleCompression
        })
    );
    assert_eq!(
        "[IPv6:::1:2:1.2.3.4.5]".parse::<AddressLiteral>(),
        Err(AddressError::InvalidIpv6 {
            at: 12,
            problem: BadIpv4Suffix
        })
    );
    assert_eq!(
        "[IPv6:1::g]".parse::<AddressLiteral>(),
        Err(AddressError::UnexpectedChar {
            at: 9,
            ch: 'g',
            expected: "hex digit, ':' or '.'"
        })
    );
}

#[test]
fn general_literals() {
    let lit: AddressLiteral = "[x-tag:some~content:here]".parse().unwrap();
    let AddressLiteral::General(g) = &lit else {
        panic!("{lit:?}")
    };
    assert_eq!((g.tag(), g.content()), ("x-tag", "some~content:here"));
    assert_eq!(lit.to_string(), "[x-tag:some~content:here]");
    assert_eq!(lit.ip(), None);
    assert_eq!(g.to_string(), "x-tag:some~content:here");
    assert_eq!(g.to_string().parse::<GeneralLiteral>().as_ref(), Ok(g));
    assert_eq!(
        "x-tag".parse::<GeneralLiteral>(),
        Err(AddressError::UnexpectedEnd {
            at: 5,
            expected: "':' after the tag"
        })
    );
    assert_eq!(
        GeneralLiteral::new("x", "y").map(AddressLiteral::General),
        "[x:y]".parse()
    );
    use AddressError::*;
    for (s, want) in [
        (
            "[x-tag:]",
            UnexpectedEnd {
                at: 7,
                expected: "address literal content",
            },
        ),
        (
            "[:abc]",
            UnexpectedChar {
                at: 1,
                ch: ':',
                expected: "address literal tag",
            },
        ),
        (
            "[tag-:abc]",
            UnexpectedChar {
                at: 4,
                ch: '-',
                expected: "tag ending in a letter or digit",
            },
        ),
        (
            "[t_g:abc]",
            UnexpectedChar {
                at: 2,
                ch: '_',
                expected: "letter, digit or hyphen in the tag",
            },
        ),
        (
            "[tag:a b]",
            UnexpectedChar {
                at: 6,
                ch: ' ',
                expected: "printable ASCII except '[', '\\', ']'",
            },
        ),
        (
            "[tag:a\\b]",
            UnexpectedChar {
                at: 6,
                ch: '\\',
                expected: "printable ASCII except '[', '\\', ']'",
            },
        ),
        (
            "[tag:a[b]",
            UnexpectedChar {
                at: 6,
                ch: '[',
                expected: "printable ASCII except '[', '\\', ']'",
            },
        ),
        ("[tag:a\rb]", Control { at: 6, ch: '\r' }),
        (
            "[tag:ab]x",
            UnexpectedChar {
                at: 8,
                ch: 'x',
                expected: "end of the address literal",
            },
        ),
        (
            "[tag:ab",
            UnexpectedEnd {
                at: 7,
                expected: "']'",
            },
        ),
        (
            "tag:ab]",
            UnexpectedChar {
                at: 0,
                ch: 't',
                expected: "'['",
            },
        ),
        (
            "[tag:ü]",
            UnexpectedChar {
                at: 5,
                ch: 'ü',
                expected: "printable ASCII except '[', '\\', ']'",
            },
        ),
    ] {
        assert_eq!(s.parse::<AddressLiteral>(), Err(want), "{s:?}");
    }
    assert_eq!(
        GeneralLiteral::new("IPv6", "1::2"),
        Err(AddressError::ReservedTag { at: 1 })
    );
}

#[test]
fn unchecked_literals() {
    assert_eq!(
        AddressLiteral::from_unchecked("[192.0.2.1]"),
        Ok(AddressLiteral::Ipv4(Ipv4Addr::new(192, 0, 2, 1)))
    );
    let lit = AddressLiteral::from_unchecked("[x-:a=b]").unwrap();
    assert_eq!(lit.to_string(), "[x-:a=b]");
    // SP, '<' and '>' would end the EHLO argument or the path early.
    for (s, at, ch) in [("[x:a b]", 4, ' '), ("[x:a>b]", 4, '>'), ("[x:<]", 3, '<')] {
        assert_eq!(
            AddressLiteral::from_unchecked(s),
            Err(AddressError::UnexpectedChar {
                at,
                ch,
                expected: "dcontent other than '<' and '>'"
            }),
            "{s}"
        );
    }
    assert_eq!(
        AddressLiteral::from_unchecked("[x:a\nb]"),
        Err(AddressError::Control { at: 4, ch: '\n' })
    );
    assert!(AddressLiteral::from_unchecked("[x:a]b]").is_err());
    // IP forms are never taken as general literals.
    assert!(matches!(
        AddressLiteral::from_unchecked("[IPv6:zz]"),
        Err(AddressError::UnexpectedChar { at: 6, ch: 'z', .. })
    ));
    assert_eq!(
        AddressLiteral::from_unchecked("[1.2.3]"),
        Err(AddressError::InvalidIpv4 { at: 1 })
    );
    // Found by fuzzing: an unchecked literal must stay ASCII, it goes into EHLO.
    assert_eq!(
        AddressLiteral::from_unchecked("[I->r.büch>b8::1]"),
        Err(AddressError::UnexpectedChar {
            at: 3,
            ch: '>',
            expected: "letter, digit or '-' of a literal tag"
        })
    );
    assert_eq!(
        GeneralLiteral::from_unchecked("x", "bü"),
        Err(AddressError::UnexpectedChar {
            at: 4,
            ch: 'ü',
            expected: "dcontent other than '<' and '>'"
        })
    );
    assert!(GeneralLiteral::from_unchecked("x", "\0").is_err());
    // Either half empty would leave no tag or no content: not a literal at all.
    let empty = AddressError::Empty {
        expected: "tag and content of an address literal",
    };
    for (tag, content) in [("", "a"), ("x", ""), ("", "")] {
        assert_eq!(
            GeneralLiteral::from_unchecked(tag, content),
            Err(empty.clone()),
            "{tag:?} {content:?}"
        );
    }
    assert_eq!(AddressLiteral::from_unchecked("[:a]"), Err(empty.clone()));
    assert_eq!(AddressLiteral::from_unchecked("[x:]"), Err(empty));
}

#[test]
fn write_to_matches_display() {
    for s in [
        "[1.2.3.4]",
        "[IPv6:::ffff:1.2.3.4]",
        "[IPv6:2001:db8::1]",
        "[a:b]",
    ] {
        let lit: AddressLiteral = s.parse().unwrap();
        let mut out = Vec::new();
        lit.write_to(&mut out);
        assert_eq!(out, s.as_bytes());
        assert_eq!(lit.encoded_len(), s.len());
    }
}

/// Literals are ASCII in every form (RFC 6531 §3.3): none needs SMTPUTF8; only the IP
/// forms have an address.
#[test]
fn literals_never_need_smtputf8() {
    for (s, ip) in [
        ("[192.0.2.1]", true),
        ("[IPv6:2001:db8::1]", true),
        ("[IPv6:::ffff:1.2.3.4]", true),
        ("[x-tag:a=b]", false),
    ] {
        let lit: AddressLiteral = s.parse().unwrap();
        assert!(!lit.needs_smtputf8(), "{s}");
        assert_eq!(lit.ip().is_some(), ip, "{s}");
    }
}
