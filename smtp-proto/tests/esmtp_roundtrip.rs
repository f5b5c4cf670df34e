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
        p.future_release = hold.map(FutureRelease::For);
        p.auth = Some(AuthSubmitter::Unknown);
        parse_back(&p);
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
    assert!(matches!(
        "SIZE=18446744073709551616".parse::<MailParameter>(),
        Err(InvalidValue {
            keyword: "SIZE",
            ..
        })
    ));
    assert!(matches!(
        "SIZE=-1".parse::<MailParameter>(),
        Err(InvalidValue {
            keyword: "SIZE",
            ..
        })
    ));
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
        Err(BadHexChar { position: 1 })
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
