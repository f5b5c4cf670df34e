//! Known answers for `Mailbox`, `ReversePath` and `ForwardPath` (RFC 5321 §4.1.1-4.1.2,
//! §4.5.3.1.3, Appendix C and D; RFC 6531 §3.3).

use smtp_proto::syntax::{
    AddressEncoding, AddressError, ForwardPath, Host, LocalPart, Mailbox, ReversePath,
};

fn written(f: impl Fn(&mut Vec<u8>, AddressEncoding), enc: AddressEncoding) -> String {
    let mut out = Vec::new();
    f(&mut out, enc);
    String::from_utf8(out).unwrap()
}

#[test]
fn appendix_d_paths() {
    // RFC 5321 Appendix D.1-D.3 and §4.1.1.3.
    for (s, mailbox) in [
        ("<Smith@bar.com>", "Smith@bar.com"),
        ("<Jones@foo.com>", "Jones@foo.com"),
        ("<Green@foo.com>", "Green@foo.com"),
        ("<Brown@foo.com>", "Brown@foo.com"),
        ("<JQP@bar.com>", "JQP@bar.com"),
        ("<userc@d.bar.org>", "userc@d.bar.org"),
        ("<@hosta.int,@jkl.org:userc@d.bar.org>", "userc@d.bar.org"),
        ("<@ONE,@TWO:JOE@THREE>", "JOE@THREE"), // Appendix C
        ("<Postmaster@foo.com>", "Postmaster@foo.com"),
    ] {
        let m: Mailbox = mailbox.parse().unwrap();
        let rp: ReversePath = s.parse().unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(rp, ReversePath::Mailbox(m.clone()), "{s}");
        let fp: ForwardPath = s.parse().unwrap();
        assert_eq!(fp, ForwardPath::Mailbox(m.clone()), "{s}");
        // The source route is dropped.
        assert_eq!(fp.to_string(), format!("<{mailbox}>"));
        assert_eq!(
            written(|o, e| fp.write_to(o, e), AddressEncoding::Ascii),
            format!("<{mailbox}>")
        );
    }
}

#[test]
fn null_and_postmaster_paths() {
    assert_eq!("<>".parse::<ReversePath>(), Ok(ReversePath::Null));
    assert!(ReversePath::Null.is_null());
    assert_eq!(ReversePath::Null.to_string(), "<>");
    assert_eq!(ReversePath::Null.encoded_len(AddressEncoding::Ascii), 2);
    assert_eq!("<>".parse::<ForwardPath>(), Err(AddressError::NullPath));
    for s in ["<Postmaster>", "<postmaster>", "<POSTMASTER>"] {
        assert_eq!(s.parse::<ForwardPath>(), Ok(ForwardPath::Postmaster));
    }
    let pm = ForwardPath::Postmaster;
    assert_eq!(
        written(|o, e| pm.write_to(o, e), AddressEncoding::Utf8),
        "<Postmaster>"
    );
    assert_eq!(pm.encoded_len(AddressEncoding::Utf8), 12);
    // Without a domain, Postmaster is not a mailbox.
    assert!("<Postmaster>".parse::<ReversePath>().is_err());
    assert!("<@a:Postmaster>".parse::<ForwardPath>().is_err());
    assert!(pm.is_postmaster() && pm.mailbox().is_none());
    // A mailbox path is neither, even Postmaster's own mailbox with a domain.
    let reverse: ReversePath = "<Postmaster@example.org>".parse().unwrap();
    let forward: ForwardPath = "<Postmaster@example.org>".parse().unwrap();
    assert!(!reverse.is_null() && !forward.is_postmaster());
    assert_eq!(reverse.mailbox(), forward.mailbox());
}

#[test]
fn rfc_6531_mailboxes() {
    for (s, needs, ascii) in [
        ("用户@例子.测试", true, "用户@xn--fsqu00a.xn--0zwm56d"),
        ("用户@例子.example", true, "用户@xn--fsqu00a.example"),
        (
            "δοκιμή@παράδειγμα.δοκιμή",
            true,
            "δοκιμή@xn--hxajbheg2az3al.xn--jxalpdlp",
        ),
        ("Pelé@example.com", true, "Pelé@example.com"),
        ("user@bücher.example", false, "user@xn--bcher-kva.example"),
        (
            "\"a b\"@bücher.example",
            false,
            "\"a b\"@xn--bcher-kva.example",
        ),
    ] {
        let m: Mailbox = s.parse().unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(m.needs_smtputf8(), needs, "{s}");
        assert_eq!(m.to_string(), s);
        assert_eq!(written(|o, e| m.write_to(o, e), AddressEncoding::Utf8), s);
        assert_eq!(m.encoded_len(AddressEncoding::Utf8), s.len());
        assert_eq!(
            written(|o, e| m.write_to(o, e), AddressEncoding::Ascii),
            ascii
        );
        assert_eq!(m.encoded_len(AddressEncoding::Ascii), ascii.len());
        let path = ForwardPath::from(m.clone());
        assert_eq!(path.needs_smtputf8(), needs);
        assert_eq!(
            written(|o, e| path.write_to(o, e), AddressEncoding::Ascii),
            format!("<{ascii}>")
        );
        assert_eq!(ReversePath::from(m).needs_smtputf8(), needs);
    }
}

#[test]
fn mailbox_parts_and_literals() {
    let m: Mailbox = r#""Abc\@def"@[IPv6:2001:db8::1]"#.parse().unwrap();
    assert_eq!(m.local_part().value(), "Abc@def");
    assert!(matches!(m.host(), Host::Literal(_)));
    assert_eq!(m.to_string(), r#""Abc@def"@[IPv6:2001:db8::1]"#);
    let m: Mailbox = "a@[192.0.2.1]".parse().unwrap();
    assert_eq!(m.host().to_string(), "[192.0.2.1]");
    let (lp, host) = m.into_parts();
    assert_eq!(Mailbox::new(lp, host).unwrap().to_string(), "a@[192.0.2.1]");
    let m: Mailbox = r#""a@b>c"@x.y"#.parse().unwrap();
    let fp = ForwardPath::from(m.clone());
    assert_eq!(fp.to_string(), r#"<"a@b>c"@x.y>"#);
    assert_eq!(fp.to_string().parse::<ForwardPath>(), Ok(fp));
}

#[test]
fn hosts_know_whether_they_are_ascii() {
    // A U-label domain is not ASCII as given, but never needs SMTPUTF8: it has A-labels.
    for (text, ascii) in [
        ("example.org", true),
        ("xn--bcher-kva.example", true),
        ("bücher.example", false),
        ("[192.0.2.1]", true),
        ("[IPv6:2001:db8::1]", true),
    ] {
        let host: Host = text.parse().unwrap();
        assert_eq!(host.is_ascii(), ascii, "{text}");
        assert!(!host.needs_smtputf8(), "{text}");
        assert_eq!(host.domain().is_some(), !text.starts_with('['), "{text}");
        assert_eq!(
            host.address_literal().is_some(),
            text.starts_with('['),
            "{text}"
        );
    }
}

#[test]
fn invalid_mailboxes_and_paths_name_the_problem() {
    use AddressError::*;
    for (s, want) in [
        (
            "",
            Empty {
                expected: "mailbox",
            },
        ),
        (
            "user",
            UnexpectedEnd {
                at: 4,
                expected: "'@' after the local part",
            },
        ),
        (
            "user@",
            UnexpectedEnd {
                at: 5,
                expected: "domain or address literal after '@'",
            },
        ),
        (
            "@example.com",
            UnexpectedChar {
                at: 0,
                ch: '@',
                expected: "local part (atom or quoted string)",
            },
        ),
        (
            "a b@example.com",
            UnexpectedChar {
                at: 1,
                ch: ' ',
                expected: "'@' after the local part",
            },
        ),
        (
            "a@b@c",
            UnexpectedChar {
                at: 3,
                ch: '@',
                expected: "letter, digit, hyphen or dot",
            },
        ),
        ("a@example.com.", EmptyLabel { at: 14 }),
        (
            "a@[1.2.3.4",
            UnexpectedEnd {
                at: 10,
                expected: "']'",
            },
        ),
        ("a\r\n@b", Control { at: 1, ch: '\r' }),
        ("a@b\r\nRSET", Control { at: 3, ch: '\r' }),
    ] {
        assert_eq!(s.parse::<Mailbox>(), Err(want), "{s:?}");
    }
    for (s, want) in [
        ("", Empty { expected: "'<'" }),
        (
            "a@b",
            UnexpectedChar {
                at: 0,
                ch: 'a',
                expected: "'<'",
            },
        ),
        (
            "<a@b",
            UnexpectedEnd {
                at: 4,
                expected: "'>'",
            },
        ),
        (
            "<a@b> ",
            UnexpectedChar {
                at: 5,
                ch: ' ',
                expected: "end of the path after '>'",
            },
        ),
        ("<a@b.>", EmptyLabel { at: 5 }),
        (
            "<@a,b:c@d>",
            UnexpectedChar {
                at: 4,
                ch: 'b',
                expected: "'@' of a source route",
            },
        ),
        (
            "<@a_b:c@d>",
            UnexpectedChar {
                at: 3,
                ch: '_',
                expected: "letter, digit, hyphen or dot",
            },
        ),
        (
            "<@a.b>",
            UnexpectedEnd {
                at: 5,
                expected: "':' after the source route",
            },
        ),
        (
            "<@,@a:b@c>",
            UnexpectedChar {
                at: 2,
                ch: ',',
                expected: "domain of a source route",
            },
        ),
        // After a source route, offsets still count from the path's start.
        ("<@a,@b:c@d.>", EmptyLabel { at: 11 }),
        (
            "<@a:b(c@d>",
            UnexpectedChar {
                at: 5,
                ch: '(',
                expected: "'@' after the local part",
            },
        ),
        ("<a@b\n>", Control { at: 4, ch: '\n' }),
        ("<a@b\n", Control { at: 4, ch: '\n' }),
    ] {
        assert_eq!(s.parse::<ReversePath>(), Err(want), "{s:?}");
    }
}

#[test]
fn path_limit_is_256_octets_with_brackets() {
    let local = "a".repeat(64);
    let domain = |n: usize| {
        // Labels of 63 joined by dots, trimmed to n octets.
        let label = "b".repeat(63);
        let mut d = [label.as_str(); 4].join(".");
        d.truncate(n);
        d
    };
    // 64 + 1 + 189 = 254, + 2 brackets = 256.
    let ok = format!("{local}@{}", domain(189));
    let m: Mailbox = ok.parse().unwrap();
    assert_eq!(m.encoded_len(AddressEncoding::Utf8), 254);
    assert!(format!("<{ok}>").parse::<ForwardPath>().is_ok());
    let long = format!("{local}@{}", domain(190));
    assert_eq!(
        long.parse::<Mailbox>(),
        Err(AddressError::PathTooLong { len: 257 })
    );
    assert_eq!(
        format!("<{long}>").parse::<ForwardPath>(),
        Err(AddressError::PathTooLong { len: 257 })
    );
    // The A-label form counts too: "ü" is 2 octets, its A-label "xn--tda" 7.
    let idn = format!("{local}@ü.{}", domain(185));
    let m = idn.parse::<Mailbox>();
    assert!(
        matches!(m, Err(AddressError::PathTooLong { len }) if len > 256),
        "{m:?}"
    );
    let lp: LocalPart = local.parse().unwrap();
    let host: Host = domain(190).parse().unwrap();
    assert_eq!(
        Mailbox::new(lp, host),
        Err(AddressError::PathTooLong { len: 257 })
    );
}

#[test]
fn unchecked_mailboxes_split_at_the_last_at() {
    let m = Mailbox::from_unchecked("\"a@b\"@under_score.example").unwrap();
    assert_eq!(m.local_part().as_str(), "\"a@b\"");
    assert_eq!(m.host().to_string(), "under_score.example");
    let p = ReversePath::from_unchecked("x@[1.2.3.4]").unwrap();
    assert_eq!(p.to_string(), "<x@[1.2.3.4]>");
    let p = ForwardPath::from_unchecked("jörg@bücher.example").unwrap();
    let mut out = Vec::new();
    p.write_to(&mut out, AddressEncoding::Ascii);
    assert_eq!(out, "<jörg@xn--bcher-kva.example>".as_bytes());
    assert_eq!(
        Mailbox::from_unchecked("nobody"),
        Err(AddressError::UnexpectedEnd {
            at: 6,
            expected: "'@'"
        })
    );
    assert_eq!(
        ForwardPath::from_unchecked("a@b>\r\nDATA"),
        Err(AddressError::Control { at: 4, ch: '\r' })
    );
}
