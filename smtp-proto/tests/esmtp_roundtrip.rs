//! Properties of the ESMTP syntax: display then parse is identity, decode after encode is
//! identity, and the precise refusals.

use proptest::prelude::*;
use smtp_proto::syntax::AddressEncoding;
use smtp_proto::syntax::esmtp::*;

fn parse_back<T: std::str::FromStr + std::fmt::Display + PartialEq + std::fmt::Debug>(v: &T) {
    let shown = v.to_string();
    assert_eq!(shown.parse::<T>().ok().as_ref(), Some(v), "{shown}");
}

proptest! {
    #[test]
    fn keyword_round_trip(s in "[A-Za-z0-9][A-Za-z0-9-]{0,20}") {
        let k: EsmtpKeyword = s.parse().unwrap();
        prop_assert_eq!(k.to_string(), s.clone());
        prop_assert_eq!(k, s.to_ascii_lowercase().parse::<EsmtpKeyword>().unwrap());
    }

    #[test]
    fn value_round_trip(s in "[!-<>-~é€😀]{1,40}") {
        let v: EsmtpValue = s.parse().unwrap();
        prop_assert_eq!(v.to_string(), s.clone());
        prop_assert_eq!(v.needs_smtputf8(), !s.is_ascii());
    }

    #[test]
    fn param_round_trip(k in "[A-Z][A-Z0-9-]{0,10}", v in proptest::option::of("[!-<>-~]{1,20}")) {
        let text = match &v { Some(v) => format!("{k}={v}"), None => k.clone() };
        let p: EsmtpParam = text.parse().unwrap();
        prop_assert_eq!(p.to_string(), text.clone());
        prop_assert_eq!(p.encoded_len(), text.len());
    }

    #[test]
    fn xtext_decode_after_encode(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let mut out = Vec::new();
        encode_xtext(&bytes, &mut out);
        prop_assert_eq!(out.len(), xtext_encoded_len(&bytes));
        prop_assert!(out.iter().all(|&b| is_xchar(b) || b == b'+'));
        prop_assert_eq!(decode_xtext(std::str::from_utf8(&out).unwrap()).unwrap(), bytes);
    }

    #[test]
    fn envid_round_trip(s in "[ -~]{1,33}") {
        let id = EnvId::new(&s).unwrap();
        parse_back(&id);
        prop_assert_eq!(id.as_str(), s.as_str());
    }

    #[test]
    fn orcpt_round_trip(local in "[ -~é😀]{1,30}", domain in "[a-zü]{1,10}\\.example") {
        let addr = format!("{local}@{domain}");
        let o = OriginalRecipient::new(&addr).unwrap();
        parse_back(&o);
        for enc in [AddressEncoding::Ascii, AddressEncoding::Utf8] {
            let mut out = Vec::new();
            o.write_to(&mut out, enc);
            prop_assert_eq!(out.len(), o.encoded_len(enc));
            if enc == AddressEncoding::Ascii {
                prop_assert!(out.is_ascii());
            }
            let back: OriginalRecipient = std::str::from_utf8(&out).unwrap().parse().unwrap();
            prop_assert_eq!(back.address(), addr.as_str());
        }
    }

    #[test]
    fn typed_values_round_trip(
        secs in -999_999_999i32..=999_999_999,
        trace in any::<bool>(),
        prio in -9i8..=9,
        flags in (any::<bool>(), any::<bool>(), any::<bool>()),
        size in any::<u64>(),
    ) {
        let by = DeliverBy::new(secs, ByMode::Notify, trace).unwrap();
        parse_back(&by);
        if secs > 0 {
            parse_back(&DeliverBy::new(secs, ByMode::Return, trace).unwrap());
        }
        parse_back(&MtPriority::new(prio).unwrap());
        let notify = NotifyOn::new(flags.0, flags.1, flags.2).map_or(Notify::Never, Notify::On);
        parse_back(&notify);
        parse_back(&MailParameter::Size(size));
    }

    #[test]
    fn mail_parameters_round_trip(
        size in proptest::option::of(any::<u64>()),
        body in proptest::option::of(prop_oneof![Just(Body::SevenBit), Just(Body::EightBitMime), Just(Body::BinaryMime)]),
        smtputf8 in any::<bool>(),
        envid in proptest::option::of("[ -~]{1,20}"),
        prio in proptest::option::of(-9i8..=9),
        hold in proptest::option::of(0u32..=999_999_999),
    ) {
        let mut p = MailParameters::new();
        p.size = size;
        p.body = body;
        p.smtputf8 = smtputf8;
        p.envid = envid.map(|e| EnvId::new(&e).unwrap());
        p.mt_priority = prio.map(|v| MtPriority::new(v).unwrap());
        p.future_release = hold.map(|s| FutureRelease::For(HoldFor::new(s).unwrap()));
        p.auth = Some(AuthSubmitter::Unknown);
        parse_back(&p);
    }
}

/// `AUTH=` is xtext, ASCII on the wire whatever the mailbox holds (RFC 4954 §5), but what it
/// carries is an addr-spec: a non-ASCII local part needs SMTPUTF8 as it would in the path
/// (RFC 6531 §3.3); `<>` and a non-ASCII domain alone (A-labels) do not.
#[test]
fn auth_submitter_needs_smtputf8_for_a_non_ascii_local_part() {
    let mailbox = |s: &str| AuthSubmitter::Mailbox(s.parse().unwrap());
    for (submitter, needs) in [
        (AuthSubmitter::Unknown, false),
        (mailbox("a@example.org"), false),
        (mailbox("dieter@bücher.example"), false),
        (mailbox("dörte@bücher.example"), true),
    ] {
        assert_eq!(submitter.needs_smtputf8(), needs, "{submitter}");
        assert_eq!(
            MailParameter::Auth(submitter.clone()).needs_smtputf8(),
            needs
        );
        for enc in [AddressEncoding::Ascii, AddressEncoding::Utf8] {
            let mut out = Vec::new();
            submitter.write_to(&mut out, enc);
            assert!(out.is_ascii(), "{submitter}");
            assert_eq!(out.len(), submitter.encoded_len(enc));
        }
        parse_back(&submitter);
    }
}

/// RFC 4954 §5: the decoded AUTH value is an addr-spec, which is ASCII unless SMTPUTF8
/// (RFC 6531/6532) is in use. A non-ASCII local part has no ASCII form (only the domain
/// has A-labels), so such an AUTH parameter needs SMTPUTF8 like the mailbox itself does.
#[test]
fn auth_param_with_non_ascii_local_part_needs_smtputf8() {
    use smtp_proto::command::{CommandError, Mail};
    let submitter = AuthSubmitter::Mailbox("jörg@example.org".parse().unwrap());
    assert!(
        submitter.needs_smtputf8(),
        "a non-ASCII local part in AUTH= has no ASCII form"
    );
    let mut params = MailParameters::new();
    params.auth = Some(submitter);
    assert!(params.needs_smtputf8());
    let mail = Mail::new("<sender@example.org>".parse().unwrap(), params.clone());
    let mut out = Vec::new();
    let result = mail.encode(&mut out, AddressEncoding::Ascii);
    assert_eq!(
        result,
        Err(CommandError::SmtpUtf8Required),
        "written without SMTPUTF8: {:?}",
        String::from_utf8_lossy(&out)
    );
    assert!(out.is_empty());
    // Under SMTPUTF8 the MAIL command must carry its SMTPUTF8 parameter (RFC 6531 §3.4),
    // although the xtext line is ASCII.
    assert_eq!(
        mail.check(AddressEncoding::Utf8),
        Err(CommandError::SmtpUtf8ParameterMissing)
    );
    params.smtputf8 = true;
    let mail = Mail::new("<sender@example.org>".parse().unwrap(), params);
    mail.encode(&mut out, AddressEncoding::Utf8).unwrap();
    assert_eq!(
        out,
        b"MAIL FROM:<sender@example.org> SMTPUTF8 AUTH=j+C3+B6rg@example.org\r\n"
    );
}

/// Every typed MAIL and RCPT parameter writes what it displays (MAIL in the UTF-8 form,
/// RCPT in the ASCII form), `encoded_len` is the length written under either encoding, the
/// ASCII form is ASCII, and none but an `AUTH=` mailbox with a UTF-8 local part needs
/// SMTPUTF8: each other value has an ASCII form.
#[test]
fn typed_parameters_write_what_they_display() {
    let written = |write: &dyn Fn(&mut Vec<u8>)| {
        let mut out = Vec::new();
        write(&mut out);
        out
    };
    let utf8: smtp_proto::syntax::Mailbox = "dörte@bücher.example".parse().unwrap();
    let since: DateTime = "2026-11-30T10:00:00Z".parse().unwrap();
    let mail = [
        MailParameter::Size(1000),
        MailParameter::Body(Body::BinaryMime),
        MailParameter::SmtpUtf8,
        MailParameter::Ret(Ret::Hdrs),
        MailParameter::EnvId(EnvId::new("id+ 1").unwrap()),
        MailParameter::Auth(AuthSubmitter::Mailbox(utf8)),
        MailParameter::RequireTls,
        MailParameter::MtPriority(MtPriority::new(-3).unwrap()),
        MailParameter::FutureRelease(FutureRelease::Until(since.clone())),
        MailParameter::DeliverBy(DeliverBy::new(120, ByMode::Return, true).unwrap()),
    ];
    for p in &mail {
        // AUTH= with a UTF-8 local part has an ASCII form on the wire (xtext) but needs
        // SMTPUTF8 all the same (see above).
        assert_eq!(p.needs_smtputf8(), p.keyword() == "AUTH", "{p}");
        for enc in [AddressEncoding::Ascii, AddressEncoding::Utf8] {
            let out = written(&|out| p.write_to(out, enc));
            assert_eq!(out.len(), p.encoded_len(enc), "{p}");
            assert!(out.starts_with(p.keyword().as_bytes()), "{p}");
            if enc == AddressEncoding::Ascii {
                assert!(out.is_ascii(), "{p}");
            } else {
                assert_eq!(out, p.to_string().as_bytes());
            }
        }
        parse_back(p);
    }
    let rcpt = [
        RcptParameter::Notify(Notify::On(NotifyOn::new(true, true, false).unwrap())),
        RcptParameter::Orcpt(OriginalRecipient::new("dörte@bücher.example").unwrap()),
        RcptParameter::Rrvs(Rrvs::new(since, Some(RrvsAction::Continue))),
    ];
    for p in &rcpt {
        assert!(!p.needs_smtputf8(), "{p}");
        for enc in [AddressEncoding::Ascii, AddressEncoding::Utf8] {
            let out = written(&|out| p.write_to(out, enc));
            assert_eq!(out.len(), p.encoded_len(enc), "{p}");
            assert!(out.starts_with(p.keyword().as_bytes()), "{p}");
            if enc == AddressEncoding::Ascii {
                assert_eq!(out, p.to_string().as_bytes());
            }
        }
        parse_back(p);
    }
    assert_eq!(
        rcpt[1].to_string(),
        "ORCPT=utf-8;d\\x{F6}rte@b\\x{FC}cher.example"
    );
}

/// MT-PRIORITY's value is the number written, with or without `+` (RFC 6710 §3); BY's
/// parts are the time as written, with or without a sign, the mode and the trace flag
/// (RFC 2852 §4).
#[test]
fn mt_priority_and_deliver_by_values() {
    let by = |text: &str| {
        let by: DeliverBy = text.parse().unwrap();
        (by.seconds(), by.mode(), by.trace())
    };
    assert_eq!(by("120;R"), (120, ByMode::Return, false));
    assert_eq!(by("+120;rt"), (120, ByMode::Return, true));
    assert_eq!(by("-5;nT"), (-5, ByMode::Notify, true));
    assert_eq!(by("0;N"), (0, ByMode::Notify, false));
    assert_eq!(by("999999999;Nt"), (999_999_999, ByMode::Notify, true));
    for bad in [
        "-5;R",
        "+0;R",
        "1;",
        ";N",
        "+;N",
        "1000000000;N",
        "1;NTT",
        "1 ;N",
    ] {
        assert!(bad.parse::<DeliverBy>().is_err(), "{bad}");
    }
    for v in -9i8..=9 {
        assert_eq!(MtPriority::new(v).unwrap().value(), v);
        assert_eq!(v.to_string().parse::<MtPriority>().unwrap().value(), v);
    }
    assert_eq!("+7".parse::<MtPriority>().unwrap().value(), 7);
    // HOLDFOR is `1*9DIGIT` (RFC 4865 §3): a longer interval cannot be built, so none is
    // ever written.
    assert_eq!(HoldFor::new(999_999_999).unwrap().seconds(), 999_999_999);
    assert!(HoldFor::new(1_000_000_000).is_err());
    assert!(FutureRelease::parse_for("1000000000").is_err());
    let held = FutureRelease::parse_for("999999999").unwrap();
    assert_eq!(
        held,
        FutureRelease::For(HoldFor::new(FutureRelease::MAX_SECONDS).unwrap())
    );
    // RRVS's action is an ABNF string, so case-insensitive (RFC 5234 §2.3, RFC 7293 §3.1).
    for (text, action) in [
        ("2014-04-03T23:01:00Z;C", RrvsAction::Continue),
        ("2014-04-03T23:01:00Z;c", RrvsAction::Continue),
        ("2014-04-03T23:01:00Z;r", RrvsAction::Reject),
    ] {
        assert_eq!(
            text.parse::<Rrvs>().unwrap().action(),
            Some(action),
            "{text}"
        );
    }
    assert!("2014-04-03T23:01:00Z;x".parse::<Rrvs>().is_err());
    for bad in ["+0", "-0", "00", "07", "10", "-10", "", "+", "x"] {
        assert!(bad.parse::<MtPriority>().is_err(), "{bad}");
    }
}

/// Keywords compare and hash ignoring ASCII case, and different keywords hash apart.
#[test]
fn keywords_hash_ignoring_case() {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher, Hash};
    fn hash(value: impl Hash) -> u64 {
        BuildHasherDefault::<DefaultHasher>::default().hash_one(value)
    }
    let k = |s: &str| s.parse::<EsmtpKeyword>().unwrap();
    assert!(!k("MT-PRIORITY").needs_smtputf8());
    assert_eq!(hash(k("MT-Priority")), hash(k("mt-PRIORITY")));
    assert_ne!(hash(k("SIZE")), hash(k("BODY")));
    // Each keyword's end is marked: "AB" then "C" is not "A" then "BC".
    assert_ne!(hash((k("AB"), k("C"))), hash((k("A"), k("BC"))));
}

/// Every error position is a byte offset into the text that was parsed: a typed value's
/// own errors are moved past `KEYWORD=`, and a list's past the parameters before.
#[test]
fn error_positions_point_into_the_text_parsed() {
    use EsmtpError::*;
    let control = |position| ControlChar {
        position,
        byte: 0x01,
    };
    assert_eq!("AB=c\x01".parse::<EsmtpParam>(), Err(control(4)));
    assert_eq!(
        "ENVID=a+zz".parse::<MailParameter>(),
        Err(BadHexChar { position: 7 })
    );
    assert_eq!(
        "ORCPT=rfc822;a+ZZ".parse::<RcptParameter>(),
        Err(BadHexChar { position: 14 })
    );
    assert_eq!(
        "ORCPT=utf-8;a\\x{}".parse::<RcptParameter>(),
        Err(BadUnicodeEscape { position: 13 })
    );
    let raw: EsmtpParam = "ORCPT=rfc822;a+ZZ".parse().unwrap();
    assert_eq!(
        RcptParameter::from_param(&raw),
        Err(BadHexChar { position: 14 })
    );
    // In lists: the second parameter starts at 7 (MAIL) and 13 (RCPT).
    assert_eq!(
        "SIZE=1 AUTH=a+2".parse::<MailParameters>(),
        Err(BadHexChar { position: 13 })
    );
    assert_eq!(
        "SIZE=1 AB=c\x01".parse::<MailParameters>(),
        Err(control(11))
    );
    assert_eq!(
        "NOTIFY=NEVER ORCPT=rfc822;a+ZZ".parse::<RcptParameters>(),
        Err(BadHexChar { position: 27 })
    );
    assert_eq!(
        "NOTIFY=NEVER X=a\x01".parse::<RcptParameters>(),
        Err(control(16))
    );
    let error = "SIZE=1 AUTH=a+2".parse::<MailParameters>().unwrap_err();
    assert!(error.to_string().contains("at byte 13"), "{error}");
}

/// What a parsed NOTIFY or RRVS holds, read back through the getters.
#[test]
fn notify_and_rrvs_getters() {
    for (text, expected) in [
        ("SUCCESS", (true, false, false)),
        ("failure", (false, true, false)),
        ("DELAY", (false, false, true)),
        ("DELAY,SUCCESS", (true, false, true)),
        ("SUCCESS,FAILURE,DELAY", (true, true, true)),
    ] {
        let Ok(Notify::On(on)) = text.parse::<Notify>() else {
            panic!("{text} is not a set of conditions");
        };
        assert_eq!(
            (on.has_success(), on.has_failure(), on.has_delay()),
            expected,
            "{text}"
        );
        assert_eq!(NotifyOn::new(expected.0, expected.1, expected.2), Some(on));
    }
    assert_eq!(NotifyOn::new(false, false, false), None);

    for (text, action) in [
        ("2014-04-03T23:01:00Z", None),
        ("2014-04-03T23:01:00Z;C", Some(RrvsAction::Continue)),
        ("2014-04-03T23:01:00Z;R", Some(RrvsAction::Reject)),
    ] {
        let rrvs: Rrvs = text.parse().unwrap();
        assert_eq!(rrvs.action(), action, "{text}");
        assert_eq!(rrvs.since().as_str(), "2014-04-03T23:01:00Z");
    }
}

#[test]
fn rfc3461_xtext_examples() {
    assert_eq!("QQ314159".parse::<EnvId>().unwrap().as_str(), "QQ314159");
    let o: OriginalRecipient = "rfc822;Bob@Example.COM".parse().unwrap();
    assert_eq!((o.addr_type(), o.address()), ("rfc822", "Bob@Example.COM"));
    let o: OriginalRecipient = "rfc822;George+2BTax@Tax-ivory.com".parse().unwrap();
    assert_eq!(o.address(), "George+Tax@Tax-ivory.com");
}

/// RFC 3461 §4.2: "The entire ORCPT parameter MAY be up to 500 characters in length." The
/// form received is bounded, as `EnvId::from_str` bounds ENVID's; `+41` decodes to `A`, so
/// this 502-character value re-encodes in 172 and was accepted. The bound counts the value
/// after `ORCPT=` (`addr-type;xtext`), as the encoder's [`ORCPT_MAX_LEN`] does.
#[test]
fn orcpt_as_received_is_bounded_at_500() {
    let received = format!("rfc822;{}", "+41".repeat(165));
    assert_eq!(received.len(), 502);
    assert!(
        matches!(
            received.parse::<OriginalRecipient>(),
            Err(EsmtpError::TooLong { .. })
        ),
        "{:?}",
        received
            .parse::<OriginalRecipient>()
            .map(|o| o.to_string().len())
    );
    assert_eq!(
        received.parse::<OriginalRecipient>(),
        Err(EsmtpError::TooLong {
            what: "ORCPT value",
            len: 502,
            max: ORCPT_MAX_LEN
        })
    );
    // 500 as received is accepted, and so is the parameter that carries it.
    let at_limit = format!("rfc822;{}a", "+41".repeat(164));
    assert_eq!(at_limit.len(), 500);
    let parsed = at_limit.parse::<OriginalRecipient>().unwrap();
    assert_eq!(parsed.to_string().len(), 7 + 165);
    assert!(format!("ORCPT={at_limit}").parse::<RcptParameter>().is_ok());
    assert!(
        format!("ORCPT={at_limit}a")
            .parse::<RcptParameter>()
            .is_err()
    );
}

/// RFC 6533 §3 writes HEXPOINT with HEXDIG and quoted strings ("2B", "3D", "5C", "A"-"F"),
/// which RFC 5234 §2.3 makes case-insensitive: `\x{e9}` is a valid EmbeddedUnicodeChar
/// (the crate fixed `;c` in RRVS for the same reason). xtext's hexchar is different: RFC 3461
/// §4 says "upper case" in prose. The encoder keeps writing upper case.
#[test]
fn orcpt_utf8_escape_accepts_lower_case_hex() {
    let lower = "utf-8;j\\x{f6}rg@example.org".parse::<OriginalRecipient>();
    assert_eq!(
        lower.as_ref().map(OriginalRecipient::address),
        Ok("jörg@example.org")
    );
    assert_eq!(
        "utf-8;a\\x{2b}b@example.org"
            .parse::<OriginalRecipient>()
            .as_ref()
            .map(OriginalRecipient::address),
        Ok("a+b@example.org")
    );
    assert_eq!(
        lower.unwrap().to_string(),
        "utf-8;j\\x{F6}rg@example.org",
        "written in upper case"
    );
    // xtext stays upper case only (RFC 3461 §4).
    assert!(
        "rfc822;a+2bb@example.org"
            .parse::<OriginalRecipient>()
            .is_err()
    );
}

/// RFC 3339 §5.6: "the "T" and "Z" characters in this syntax may alternatively be lower
/// case "t" or "z"". Neither RFC 4865 (HOLDUNTIL) nor RFC 7293 (RRVS) restricts that. The
/// date-time is kept as written, so it displays (and goes on the wire) as given.
#[test]
fn date_time_accepts_lower_case_t_and_z() {
    assert!("2026-01-01t00:00:00z".parse::<DateTime>().is_ok());
    assert!(
        "HOLDUNTIL=2026-12-24t18:00:00Z"
            .parse::<MailParameter>()
            .is_ok()
    );
    assert!(
        "RRVS=2014-04-03T23:01:00z;C"
            .parse::<RcptParameter>()
            .is_ok()
    );
    for text in [
        "HOLDUNTIL=2026-12-24t18:00:00Z",
        "HOLDUNTIL=2026-12-24T18:00:00.5z",
    ] {
        let p: MailParameter = text.parse().unwrap();
        assert_eq!(p.to_string(), text);
        parse_back(&p);
    }
    let p: RcptParameter = "RRVS=2014-04-03t23:01:00z;C".parse().unwrap();
    assert_eq!(p.to_string(), "RRVS=2014-04-03t23:01:00z;C");
}

#[test]
fn typed_parameter_refusals() {
    use EsmtpError::*;
    assert_eq!(
        "SMTPUTF8=yes".parse::<MailParameter>(),
        Err(UnexpectedValue {
            keyword: "SMTPUTF8"
        })
    );
    assert_eq!(
        "SIZE".parse::<MailParameter>(),
        Err(MissingValue { keyword: "SIZE" })
    );
    // `size-value = 1*20DIGIT` (RFC 1870 §3): twenty digits with leading zeros are a
    // size, twenty-one are not, and a twenty-digit number must fit in 64 bits.
    assert_eq!(
        "SIZE=00000000000000000001".parse::<MailParameter>(),
        Ok(MailParameter::Size(1))
    );
    let size_refusal = |text: &str| match text.parse::<MailParameter>() {
        Err(InvalidValue {
            keyword: "SIZE",
            reason,
            ..
        }) => reason,
        other => panic!("{text}: {other:?}"),
    };
    assert_eq!(
        size_refusal("SIZE=000000000000000000001"),
        "not 1 to 20 decimal digits"
    );
    assert_eq!(size_refusal("SIZE=-1"), "not 1 to 20 decimal digits");
    assert_eq!(size_refusal("SIZE=1x"), "not 1 to 20 decimal digits");
    assert_eq!(
        size_refusal("SIZE=18446744073709551616"),
        "larger than 2^64-1"
    );
    assert!(matches!(
        "BODY=9BIT".parse::<MailParameter>(),
        Err(InvalidValue {
            keyword: "BODY",
            ..
        })
    ));
    assert!(matches!(
        "MT-PRIORITY=10".parse::<MailParameter>(),
        Err(InvalidValue {
            keyword: "MT-PRIORITY",
            ..
        })
    ));
    assert!(matches!(
        "HOLDFOR=1000000000".parse::<MailParameter>(),
        Err(InvalidValue {
            keyword: "HOLDFOR",
            ..
        })
    ));
    assert!(matches!(
        "BY=0;R".parse::<MailParameter>(),
        Err(InvalidValue { keyword: "BY", .. })
    ));
    assert!(matches!(
        "BY=10;X".parse::<MailParameter>(),
        Err(InvalidValue { keyword: "BY", .. })
    ));
    assert!(matches!(
        "AUTH=nobody".parse::<MailParameter>(),
        Err(InvalidValue {
            keyword: "AUTH",
            ..
        })
    ));
    assert_eq!(
        "AUTH=a+2".parse::<MailParameter>(),
        Err(BadHexChar { position: 6 })
    );
    assert_eq!(
        "X-FOO=1".parse::<MailParameter>(),
        Err(UnknownKeyword {
            keyword: "X-FOO".into()
        })
    );
    assert_eq!(
        "SIZE=1 size=2".parse::<MailParameters>(),
        Err(Duplicate {
            keyword: "SIZE".into()
        })
    );
    assert_eq!(
        "HOLDFOR=1 HOLDUNTIL=2026-01-01T00:00:00Z".parse::<MailParameters>(),
        Err(Duplicate {
            keyword: "HOLDUNTIL".into()
        })
    );
    assert_eq!(
        "X-A X-a".parse::<MailParameters>(),
        Err(Duplicate {
            keyword: "X-a".into()
        })
    );
    assert_eq!(
        "SIZE=1  BODY=7BIT".parse::<MailParameters>(),
        Err(Empty {
            what: "ESMTP keyword"
        })
    );
    let mut p = MailParameters::new();
    assert_eq!(
        p.push_extra("size=5".parse().unwrap()),
        Err(ReservedKeyword {
            keyword: "size".into()
        })
    );
    assert_eq!(
        "NOTIFY=NEVER notify=DELAY".parse::<RcptParameters>(),
        Err(Duplicate {
            keyword: "NOTIFY".into()
        })
    );
}

#[test]
fn parameters_display_parse_identity_with_extras() {
    let text = "SIZE=10 BODY=8BITMIME X-ONE X-TWO=2";
    let p: MailParameters = text.parse().unwrap();
    assert_eq!(p.to_string(), text);
    assert_eq!(p.extra().len(), 2);
    assert_eq!("".parse::<MailParameters>().unwrap(), MailParameters::new());
    assert!(MailParameters::new().is_empty());
}
