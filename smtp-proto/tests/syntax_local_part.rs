//! Known answers for `LocalPart` (RFC 5321 §4.1.2, RFC 6531 §3.3, RFC 3696 §3 examples).

use smtp_proto::syntax::{AddressError, LocalPart};

#[test]
fn dot_strings_stay_as_given() {
    for s in [
        "Smith",
        "JQP",
        "userc",
        "john.doe",
        "customer/department=shipping", // RFC 3696 §3
        "$A12345",
        "!def!xyz%abc",
        "_somename",
        "a.b.c",
        "{x}|~'`^+=?#&*",
        "用户",
        "Pelé",
        "δοκιμή",
        "квіточка",
        "मेल",
    ] {
        let lp: LocalPart = s.parse().unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(lp.as_str(), s);
        assert_eq!(lp.value(), s);
        assert!(!lp.is_quoted());
        assert_eq!(lp.needs_smtputf8(), !s.is_ascii());
    }
}

#[test]
fn quoted_strings_keep_the_minimal_quoting() {
    for (given, minimal, value) in [
        (r#""Abc\@def""#, r#""Abc@def""#, "Abc@def"), // RFC 3696 §3
        (r#""Fred\ Bloggs""#, r#""Fred Bloggs""#, "Fred Bloggs"),
        (r#""Joe.\\Blow""#, r#""Joe.\\Blow""#, r"Joe.\Blow"),
        (r#""Abc@def""#, r#""Abc@def""#, "Abc@def"),
        (r#""abc""#, "abc", "abc"),
        (r#""a\bc""#, "abc", "abc"),
        (r#""john..doe""#, r#""john..doe""#, "john..doe"),
        (r#"".a""#, r#"".a""#, ".a"),
        (r#""""#, r#""""#, ""),
        (r#""a\"b""#, r#""a\"b""#, r#"a"b"#),
        (r#""a>b""#, r#""a>b""#, "a>b"),
        (r#""用户 名""#, r#""用户 名""#, "用户 名"),
        (r#""用户""#, "用户", "用户"),
    ] {
        let lp: LocalPart = given.parse().unwrap_or_else(|e| panic!("{given}: {e}"));
        assert_eq!(lp.as_str(), minimal, "{given}");
        assert_eq!(lp.value(), value, "{given}");
        assert_eq!(lp.to_string().parse::<LocalPart>().unwrap(), lp);
        assert_eq!(LocalPart::from_value(value).unwrap(), lp);
    }
    // All quoted forms are equivalent (RFC 5321 §4.1.2).
    assert_eq!(
        r#""abc""#.parse::<LocalPart>().unwrap(),
        "abc".parse::<LocalPart>().unwrap()
    );
    // Local parts are case-sensitive (RFC 5321 §2.4).
    assert_ne!(
        "Abc".parse::<LocalPart>().unwrap(),
        "abc".parse::<LocalPart>().unwrap()
    );
}

#[test]
fn invalid_local_parts_name_the_problem() {
    use AddressError::*;
    for (s, want) in [
        (
            "",
            Empty {
                expected: "local part",
            },
        ),
        (".abc", EmptyAtom { at: 0 }),
        ("abc.", EmptyAtom { at: 4 }),
        ("a..b", EmptyAtom { at: 2 }),
        (
            "a b",
            UnexpectedChar {
                at: 1,
                ch: ' ',
                expected: "end of the local part",
            },
        ),
        (
            "a@b",
            UnexpectedChar {
                at: 1,
                ch: '@',
                expected: "end of the local part",
            },
        ),
        (
            "a\"b",
            UnexpectedChar {
                at: 1,
                ch: '"',
                expected: "end of the local part",
            },
        ),
        (r#""abc"#, UnterminatedQuote { at: 0 }),
        (r#""abc\"#, UnterminatedQuote { at: 0 }),
        (r#""a\"#, UnterminatedQuote { at: 0 }),
        (
            r#""a"b"#,
            UnexpectedChar {
                at: 3,
                ch: 'b',
                expected: "end of the local part",
            },
        ),
        (
            "\"a\\\u{e9}\"",
            UnexpectedChar {
                at: 3,
                ch: 'é',
                expected: "printable ASCII after '\\'",
            },
        ),
        ("\"a\r\"", Control { at: 2, ch: '\r' }),
        ("\"a\\\n\"", Control { at: 3, ch: '\n' }),
        ("a\0", Control { at: 1, ch: '\0' }),
        (
            "a\u{7f}",
            Control {
                at: 1,
                ch: '\u{7f}',
            },
        ),
        (
            "a\u{85}",
            Control {
                at: 1,
                ch: '\u{85}',
            },
        ),
        (
            "\"a\u{9b}\"",
            Control {
                at: 2,
                ch: '\u{9b}',
            },
        ),
        ("\"\t\"", Control { at: 1, ch: '\t' }),
    ] {
        assert_eq!(s.parse::<LocalPart>(), Err(want), "{s:?}");
    }
}

#[test]
fn length_limit_is_64_octets_as_given() {
    assert!("a".repeat(64).parse::<LocalPart>().is_ok());
    assert_eq!(
        "a".repeat(65).parse::<LocalPart>(),
        Err(AddressError::LocalPartTooLong { len: 65 })
    );
    // The limit counts the quotes as given, even where the minimal form would fit.
    let quoted = format!("\"{}\"", "a".repeat(63));
    assert_eq!(
        quoted.parse::<LocalPart>(),
        Err(AddressError::LocalPartTooLong { len: 65 })
    );
    // 32 two-octet characters are 64 octets.
    assert!("é".repeat(32).parse::<LocalPart>().is_ok());
    assert!("é".repeat(33).parse::<LocalPart>().is_err());
    assert_eq!(
        LocalPart::from_value(&"a ".repeat(32)),
        Err(AddressError::LocalPartTooLong { len: 66 })
    );
}

#[test]
fn unchecked_local_parts_keep_their_form_but_refuse_controls() {
    let lp = LocalPart::from_unchecked(r#""a\b""#).unwrap();
    assert_eq!(lp.as_str(), r#""a\b""#);
    assert_eq!(lp.value(), "ab");
    assert_eq!(
        LocalPart::from_unchecked("a\r\nRSET"),
        Err(AddressError::Control { at: 1, ch: '\r' })
    );
    assert_eq!(
        LocalPart::from_value("a\nb"),
        Err(AddressError::Control { at: 1, ch: '\n' })
    );
}

/// Whether the kept form is quoted: needless quotes are dropped (the minimal form).
#[test]
fn is_quoted_is_the_kept_form() {
    for (s, quoted) in [
        ("a.b", false),
        ("\"a b\"", true),
        ("\"ab\"", false),
        ("ü", false),
    ] {
        let lp: LocalPart = s.parse().unwrap();
        assert_eq!(lp.is_quoted(), quoted, "{s}");
    }
}

/// 64 octets is the limit for a local part built from its value: 64 pass, 65 do not.
#[test]
fn from_value_at_the_length_limit() {
    assert_eq!(
        LocalPart::from_value(&"a".repeat(64))
            .unwrap()
            .as_str()
            .len(),
        64
    );
    assert_eq!(
        LocalPart::from_value(&"a".repeat(65)),
        Err(AddressError::LocalPartTooLong { len: 65 })
    );
}

/// Unchecked dot-strings keep their dots, even where the grammar would refuse them.
#[test]
fn unchecked_dot_strings_keep_their_dots() {
    for s in ["a.b", "a..b", ".a", "a.", "first.last+tag"] {
        assert_eq!(LocalPart::from_unchecked(s).unwrap().as_str(), s);
    }
}
