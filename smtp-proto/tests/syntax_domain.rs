//! Known answers for `Domain` (RFC 5321 §4.1.2, §4.5.3.1.2; RFC 6531 §3.3; RFC 5890-5891).

use smtp_proto::syntax::{AddressEncoding, AddressError, Domain, IdnaProblem, Mailbox};

#[test]
fn ascii_domains_from_the_rfcs_parse_as_given() {
    for s in [
        "example.com",
        "foo.com",
        "bar.com",
        "d.bar.org",
        "hosta.int",
        "XYZ.COM",
        "a",
        "1.2.3.4", // the grammar allows an all-numeric domain
        "3com.com",
        "a-b.c--d.e",
        "r3---sn-abc.googlevideo.com", // R-LDH labels that are not xn-- are allowed by RFC 5321
        "xn--bcher-kva.example",
        "XN--BCHER-KVA.example",
        "localhost",
    ] {
        let d: Domain = s.parse().unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(d.as_str(), s);
        assert_eq!(d.to_string(), s);
        assert!(d.is_ascii());
        assert_eq!(d.to_ascii(), s);
    }
}

#[test]
fn invalid_ascii_domains_name_the_problem() {
    use AddressError::*;
    let cases: &[(&str, AddressError)] = &[
        ("", Empty { expected: "domain" }),
        (".example.com", EmptyLabel { at: 0 }),
        ("example..com", EmptyLabel { at: 8 }),
        ("example.com.", EmptyLabel { at: 12 }),
        (
            "-a.com",
            UnexpectedChar {
                at: 0,
                ch: '-',
                expected: "letter or digit at the start of a label",
            },
        ),
        ("a-.com", LabelEndsWithHyphen { at: 0 }),
        ("ok.b-", LabelEndsWithHyphen { at: 3 }),
        (
            "under_score.com",
            UnexpectedChar {
                at: 5,
                ch: '_',
                expected: "letter, digit, hyphen or dot",
            },
        ),
        (
            "a b.com",
            UnexpectedChar {
                at: 1,
                ch: ' ',
                expected: "letter, digit, hyphen or dot",
            },
        ),
        ("a\r\n.com", Control { at: 1, ch: '\r' }),
        ("xn--.example", LabelEndsWithHyphen { at: 0 }),
        ("xn--a.example", InvalidALabel { at: 0 }),
        ("ok.xn--a-ecp.example", InvalidALabel { at: 3 }),
        // Punycode of "bÜcher" and of "a。b": they decode, but to labels that would need
        // mapping (RFC 5891 §5.3: an A-label must decode to a valid U-label).
        ("xn--bcher-2pa.example", InvalidALabel { at: 0 }),
        ("xn--ab-r13a.example", InvalidALabel { at: 0 }),
    ];
    for (s, want) in cases {
        assert_eq!(s.parse::<Domain>().as_ref(), Err(want), "{s:?}");
    }
}

#[test]
fn length_limits_are_63_per_label_and_255_in_all() {
    let l63 = "a".repeat(63);
    let l64 = "a".repeat(64);
    assert!(format!("{l63}.com").parse::<Domain>().is_ok());
    assert_eq!(
        format!("x.{l64}.com").parse::<Domain>(),
        Err(AddressError::LabelTooLong { at: 2, len: 64 })
    );
    // 4 labels of 63 + 3 dots = 255.
    let d255 = [l63.as_str(); 4].join(".");
    assert_eq!(d255.len(), 255);
    assert!(d255.parse::<Domain>().is_ok());
    let d256 = format!("{d255}a");
    assert!(matches!(
        d256.parse::<Domain>(),
        Err(AddressError::DomainTooLong { len: 256 })
    ));
}

#[test]
fn u_labels_convert_to_a_labels() {
    for (u, a) in [
        ("bücher.example", "xn--bcher-kva.example"),
        ("Bücher.example", "xn--bcher-kva.example"), // ASCII case is not a mapping DNS cares about
        ("例子.example", "xn--fsqu00a.example"),
        ("例子.测试", "xn--fsqu00a.xn--0zwm56d"),
        ("παράδειγμα.δοκιμή", "xn--hxajbheg2az3al.xn--jxalpdlp"),
        ("пример.испытание", "xn--e1afmkfd.xn--80akhbyknj4f"),
        ("straße.de", "xn--strae-oqa.de"), // IDNA2008: no transitional mapping to "ss"
    ] {
        let d: Domain = u.parse().unwrap_or_else(|e| panic!("{u}: {e}"));
        assert!(!d.is_ascii());
        assert!(!d.needs_smtputf8());
        assert_eq!(d.as_str(), u);
        assert_eq!(d.to_ascii(), a);
        let mut out = Vec::new();
        d.write_to(&mut out, AddressEncoding::Ascii);
        assert_eq!(out, a.as_bytes());
        assert_eq!(d.encoded_len(AddressEncoding::Ascii), a.len());
        d.write_to(&mut out, AddressEncoding::Utf8);
        assert_eq!(&out[a.len()..], u.as_bytes());
        let back: Domain = a.parse().unwrap();
        assert!(back.eq_ignore_case(&d));
        assert_ne!(back, d, "equality is structural");
    }
}

#[test]
fn labels_that_are_not_u_labels_are_refused() {
    use AddressError::*;
    for (s, want) in [
        // Code points that UTS #46 would map are DISALLOWED by IDNA2008 (RFC 5892 §2.2).
        ("BÜCHER.example", idna2008(1, 'Ü', IdnaProblem::Disallowed)), // needs case mapping
        ("例子。example", idna2008(6, '。', IdnaProblem::Disallowed)), // U+3002 is not a separator
        (
            "ｅｘａｍｐｌｅ.ü",
            idna2008(0, 'ｅ', IdnaProblem::Disallowed),
        ), // full-width needs mapping
        ("ü-.de", InvalidULabel { at: 0 }),
        ("ab--ü.de", InvalidULabel { at: 0 }), // hyphens in positions 3 and 4
        ("a.u\u{308}.de", InvalidULabel { at: 2 }), // not NFC
        ("ü\u{200d}.de", InvalidULabel { at: 0 }), // ZWJ without context
    ] {
        assert_eq!(s.parse::<Domain>(), Err(want), "{s:?}");
    }
    assert_eq!(
        "ü_x.de".parse::<Domain>(),
        Err(UnexpectedChar {
            at: 2,
            ch: '_',
            expected: "letter, digit, hyphen or dot"
        })
    );
    assert_eq!(
        "ü\u{85}.de".parse::<Domain>(),
        Err(Control {
            at: 2,
            ch: '\u{85}'
        })
    );
}

fn idna2008(at: usize, ch: char, problem: IdnaProblem) -> AddressError {
    AddressError::Idna2008 { at, ch, problem }
}

/// UTS #46 accepts these; IDNA2008's code point rules (RFC 5892) do not, in a U-label or in
/// the U-label an A-label decodes to.
#[test]
fn idna2008_code_point_rules_hold_for_u_labels_and_a_labels() {
    use IdnaProblem::*;
    for (s, want) in [
        ("☃.example", idna2008(0, '☃', Disallowed)), // a symbol (So)
        ("mail.i♥.example", idna2008(6, '♥', Disallowed)),
        ("a😀.example", idna2008(1, '😀', Disallowed)),
        ("\u{1100}\u{1161}.kr", idna2008(0, '\u{1100}', Disallowed)), // Old Hangul jamo
        ("ü\u{0378}.de", idna2008(2, '\u{0378}', Unassigned)),
        ("ca·t.example", idna2008(2, '·', Context)), // middle dot not between two l
        ("\u{05F3}\u{05D0}.il", idna2008(0, '\u{05F3}', Context)), // geresh after nothing
        (
            "\u{0628}\u{0661}\u{06F1}.eg",
            idna2008(2, '\u{0661}', Context),
        ), // two digit sets
        ("ok.\u{30FB}.jp", idna2008(3, '\u{30FB}', Context)), // no kana or Han
        // The same code points sent as A-labels: reported at the label.
        ("xn--n3h.example", idna2008(0, '☃', Disallowed)),
        ("mail.xn--i-n3p.example", idna2008(5, '♥', Disallowed)),
        ("a.xn--cat-mga.example", idna2008(2, '·', Context)),
    ] {
        assert_eq!(s.parse::<Domain>(), Err(want.clone()), "{s:?}");
        // In a mailbox the offset is into the whole address.
        let mailbox = format!("u@{s}");
        assert_eq!(
            mailbox.parse::<Mailbox>().map(drop),
            Err(match want {
                AddressError::Idna2008 { at, ch, problem } => idna2008(at + 2, ch, problem),
                other => other,
            }),
            "{mailbox:?}"
        );
    }
    // Their contexts hold, or they are PVALID.
    for s in [
        "col·legi.cat",
        "xn--collegi-xma.cat",
        "straße.de",
        "\u{05D0}\u{05F3}.il",
        "\u{30A2}\u{30FB}\u{30A4}.jp",
        "\u{AC00}.kr",
        "Bücher.example", // ASCII letters in either case, as documented
        "COL·LEGI.cat",
    ] {
        let d: Domain = s.parse().unwrap_or_else(|e| panic!("{s:?}: {e}"));
        let back: Domain = d
            .to_ascii()
            .parse()
            .unwrap_or_else(|e| panic!("{s:?}: {e}"));
        assert!(back.eq_ignore_case(&d), "{s:?}");
    }
    assert_eq!(
        idna2008(3, '☃', Disallowed).to_string(),
        "label at offset 3: U+2603 is DISALLOWED (IDNA2008, RFC 5892)"
    );
}

#[test]
fn the_bidi_rule_spans_labels() {
    // Found by fuzzing: "xn--gpb" is an Arabic label, so "1e" (starting with a digit)
    // breaks RFC 5893 rule 1, although each label alone is valid.
    assert_eq!(
        "xn--gPb.例子-92.1e".parse::<Domain>(),
        Err(AddressError::InvalidIdnDomain)
    );
    assert_eq!(
        "xn--gpb.1e".parse::<Domain>(),
        Err(AddressError::InvalidIdnDomain)
    );
    assert!("xn--gpb.example".parse::<Domain>().is_ok());
    assert!("1e.example".parse::<Domain>().is_ok());
}

#[test]
fn u_label_limits_apply_to_the_a_label() {
    // 21 distinct CJK ideographs are 63 octets in UTF-8 but a longer A-label.
    let long: String = (0..21u32)
        .map(|i| char::from_u32(0x4e00 + i * 397).unwrap())
        .collect();
    assert_eq!(long.len(), 63);
    let err = format!("{long}.example").parse::<Domain>();
    assert!(
        matches!(err, Err(AddressError::LabelTooLong { at: 0, len }) if len > 63),
        "{err:?}"
    );
    assert!("例".repeat(10).parse::<Domain>().is_ok());
}

#[test]
fn unchecked_domains_skip_the_grammar_but_not_controls() {
    let d = Domain::from_unchecked("under_score.example").unwrap();
    assert_eq!(d.as_str(), "under_score.example");
    let d = Domain::from_unchecked("BÜCHER.example").unwrap();
    assert_eq!(d.to_ascii(), "xn--bcher-kva.example");
    assert_eq!(
        Domain::from_unchecked("a\nb"),
        Err(AddressError::Control { at: 1, ch: '\n' })
    );
    assert_eq!(
        Domain::try_from(String::from("example.org"))
            .unwrap()
            .as_str(),
        "example.org"
    );
}

#[test]
fn case_insensitive_comparison_is_offered() {
    let a: Domain = "Example.COM".parse().unwrap();
    let b: Domain = "example.com".parse().unwrap();
    assert_ne!(a, b);
    assert!(a.eq_ignore_case(&b));
    // Only case is ignored; a U-label compares by its A-labels.
    let c: Domain = "example.net".parse().unwrap();
    assert!(!a.eq_ignore_case(&c));
    assert!(!c.eq_ignore_case(&b));
    let u: Domain = "bücher.example".parse().unwrap();
    let ace: Domain = "xn--bcher-kva.EXAMPLE".parse().unwrap();
    assert!(u.eq_ignore_case(&ace));
    assert!(!u.eq_ignore_case(&"bucher.example".parse().unwrap()));
}

/// The length limit applies to the A-label form: 255 octets pass, 256 do not, however
/// short the U-label form is.
#[test]
fn the_domain_limit_counts_a_labels() {
    let domain = |last: usize| format!("{}.{}", ["bücher"; 17].join("."), "a".repeat(last));
    let at_limit: Domain = domain(17).parse().unwrap();
    assert!(domain(17).len() < 160);
    assert_eq!(at_limit.to_ascii().len(), 255);
    assert_eq!(
        domain(18).parse::<Domain>(),
        Err(AddressError::DomainTooLong { len: 256 })
    );
}

/// In a domain with U-labels, its ASCII labels get the same checks as in an ASCII domain,
/// at their place in the input.
#[test]
fn ascii_labels_beside_u_labels_are_checked() {
    use AddressError::*;
    assert_eq!(
        "bücher..example".parse::<Domain>(),
        Err(EmptyLabel { at: 8 })
    );
    assert_eq!(
        "bücher.example.".parse::<Domain>(),
        Err(EmptyLabel { at: 16 })
    );
    assert_eq!(
        "bücher.ex-.de".parse::<Domain>(),
        Err(LabelEndsWithHyphen { at: 8 })
    );
    assert_eq!(
        "bücher.xn--zz.de".parse::<Domain>(),
        Err(InvalidALabel { at: 8 })
    );
}

/// The rule across labels is checked whatever the number of A-labels (two of them must
/// not cancel out).
#[test]
fn the_bidi_rule_spans_several_a_labels() {
    for s in [
        "xn--gpb.1e.xn--gpb",
        "1e.xn--gpb.xn--gpb",
        "xn--gpb.xn--gpb.1e",
    ] {
        assert_eq!(
            s.parse::<Domain>(),
            Err(AddressError::InvalidIdnDomain),
            "{s}"
        );
    }
    assert!("xn--gpb.xn--gpb".parse::<Domain>().is_ok());
}

/// Unchecked, a domain still holds only letters, digits, `-`, `.` and `_` among ASCII
/// characters: nothing that ends a token, a path or an address.
#[test]
fn unchecked_domains_refuse_token_ending_characters() {
    for (s, at, ch) in [
        ("a b", 1, ' '),
        ("a>b", 1, '>'),
        ("a<b", 1, '<'),
        ("a@b", 1, '@'),
        ("a[b", 1, '['),
        ("ab:", 2, ':'),
        ("bü,c", 3, ','),
    ] {
        assert_eq!(
            Domain::from_unchecked(s),
            Err(AddressError::UnexpectedChar {
                at,
                ch,
                expected: "letter, digit, '-', '.' or '_'"
            }),
            "{s}"
        );
    }
}

/// Only `xn--` (in any case) marks an A-label; other labels with hyphens in positions 3
/// and 4 are plain LDH labels to RFC 5321.
#[test]
fn only_xn_dash_dash_is_an_a_label_prefix() {
    for s in ["xa--b.example", "an--b.example", "XN--bcher-kva.example"] {
        assert!(s.parse::<Domain>().is_ok(), "{s}");
    }
    assert_eq!(
        "xn--zz.example".parse::<Domain>(),
        Err(AddressError::InvalidALabel { at: 0 })
    );
}

/// A U-label whose A-label is exactly 63 octets passes; one octet more is too long.
#[test]
fn the_label_limit_counts_the_a_label_exactly() {
    let a_label_len = |k: usize| {
        let s = format!("{}ü.example", "a".repeat(k));
        s.parse::<Domain>()
            .map(|d| d.to_ascii().split('.').next().unwrap_or_default().len())
    };
    let k = (30..62)
        .find(|&k| a_label_len(k) == Ok(63))
        .expect("a label of a's and one ü that converts to 63 octets");
    assert_eq!(
        a_label_len(k + 1),
        Err(AddressError::LabelTooLong { at: 0, len: 64 })
    );
}

/// `AsRef<str>` gives the domain as written, U-labels kept.
#[test]
fn as_ref_is_the_text() {
    let d: Domain = "bücher.example".parse().unwrap();
    assert_eq!(AsRef::<str>::as_ref(&d), "bücher.example");
}
