//! Injection: no CR, LF, NUL (or other control) from application input ever reaches a
//! command line, through any surface, checked or unchecked.

use proptest::prelude::*;
use smtp_proto::auth::{Mechanism, SaslResponse};
use smtp_proto::command::*;
use smtp_proto::syntax::AddressEncoding::{Ascii, Utf8};
use smtp_proto::syntax::esmtp::*;
use smtp_proto::syntax::{ClientId, ForwardPath, ReversePath};

/// C0, DEL and C1 (U+0085 NEL is a line end to some servers; RFC 5198 excludes C1).
const EVIL: [&str; 9] = [
    "a\r\nRSET",
    "a\nb",
    "a\rb",
    "a\0b",
    "a\x7Fb",
    "a\x1Bb",
    "a\u{85}RSET",
    "a\u{80}b",
    "a\u{9f}b",
];

#[test]
fn every_surface_refuses_controls() {
    for evil in EVIL {
        assert!(evil.parse::<EsmtpKeyword>().is_err(), "{evil:?}");
        assert!(EsmtpKeyword::from_unchecked(evil).is_err(), "{evil:?}");
        assert!(evil.parse::<EsmtpValue>().is_err(), "{evil:?}");
        assert!(EsmtpValue::from_unchecked(evil).is_err(), "{evil:?}");
        assert!(evil.parse::<EsmtpParam>().is_err(), "{evil:?}");
        assert!(EnvId::new(evil).is_err(), "{evil:?}");
        assert!(OriginalRecipient::new(evil).is_err(), "{evil:?}");
        assert!(
            OriginalRecipient::with_type("utf-8", evil).is_err(),
            "{evil:?}"
        );
        assert!(evil.parse::<TextArgument>().is_err(), "{evil:?}");
        assert!(evil.parse::<Mechanism>().is_err(), "{evil:?}");
        assert!(
            Xclient::new(vec![(
                XclientAttribute::Helo,
                XattrValue::Value(evil.into())
            )])
            .is_err()
        );
        assert!(
            Xforward::new(vec![(
                XforwardAttribute::Ident,
                XattrValue::Value(evil.into())
            )])
            .is_err()
        );
        assert!(evil.parse::<ClientId>().is_err(), "{evil:?}");
        assert!(EnvId::from_unchecked(evil).is_err(), "{evil:?}");
        assert!(DateTime::from_unchecked(evil).is_err(), "{evil:?}");
        assert!(
            OriginalRecipient::from_unchecked("rfc822", evil).is_err(),
            "{evil:?}"
        );
        assert!(
            OriginalRecipient::from_unchecked(evil, "a@b").is_err(),
            "{evil:?}"
        );
    }
    assert_eq!(
        EsmtpValue::from_unchecked("x\r\nQUIT"),
        Err(EsmtpError::ControlChar {
            position: 1,
            byte: b'\r'
        })
    );
    // Encoded controls are refused once decoded, too.
    assert_eq!(
        "rfc822;a+0D+0Ab".parse::<OriginalRecipient>(),
        Err(EsmtpError::ControlChar {
            position: 1,
            byte: 13
        })
    );
    assert_eq!(
        "a+00".parse::<EnvId>(),
        Err(EsmtpError::ControlChar {
            position: 1,
            byte: 0
        })
    );
    assert!("utf-8;a\\x{0D}".parse::<OriginalRecipient>().is_err());
    assert!("a+0D+0A@b".parse::<AuthSubmitter>().is_err());
}

#[test]
fn unchecked_orcpt_type_cannot_end_the_value() {
    assert_eq!(
        OriginalRecipient::from_unchecked("rfc822 NOTIFY", "a@b"),
        Err(EsmtpError::InvalidChar {
            what: "ORCPT address type",
            position: 6,
            ch: ' '
        })
    );
    assert_eq!(
        OriginalRecipient::from_unchecked("a;b", "a@b"),
        Err(EsmtpError::InvalidChar {
            what: "ORCPT address type",
            position: 1,
            ch: ';'
        })
    );
    let o = OriginalRecipient::from_unchecked("X400", "caf\u{e9}").unwrap();
    assert_eq!(o.to_string(), "x400;caf+C3+A9");
}

#[test]
fn unchecked_parameters_still_cannot_inject() {
    // Neither '=' nor SP nor '_' in an unchecked keyword, nor SP or '=' in a value.
    assert!(EsmtpKeyword::from_unchecked("X_ODD").is_err());
    assert!(EsmtpValue::from_unchecked("a=b").is_err());
    let mut p = MailParameters::new();
    p.size = Some(5);
    p.push_extra(EsmtpParam::new(
        EsmtpKeyword::from_unchecked("-X-ODD").unwrap(),
        Some(EsmtpValue::from_unchecked("a<b>").unwrap()),
    ))
    .unwrap();
    let mail = Mail::new("<a@b.example>".parse().unwrap(), p);
    let mut out = Vec::new();
    mail.encode(&mut out, Ascii).unwrap();
    assert_eq!(out, b"MAIL FROM:<a@b.example> SIZE=5 -X-ODD=a<b>\r\n");
}

/// The line ends in CRLF and has no control character before it.
fn assert_one_line(out: &[u8]) {
    let body = out.strip_suffix(b"\r\n").expect("CRLF at the end");
    assert!(
        !body.iter().any(|&b| b < 0x20 || b == 0x7F)
            && !body
                .windows(2)
                .any(|w| w[0] == 0xC2 && (0x80..0xA0).contains(&w[1])),
        "control in {out:?}"
    );
}

proptest! {
    #[test]
    fn all_commands_write_exactly_one_clean_line(text in "\\PC{0,40}|[\\x00-\\x7F]{0,40}", n in any::<u64>(), flag in any::<bool>(), bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut lines: Vec<Vec<u8>> = Vec::new();
        let mut push = |f: &dyn Fn(&mut Vec<u8>)| { let mut o = Vec::new(); f(&mut o); lines.push(o); };
        push(&|o| StartTls.encode(o));
        push(&|o| Data.encode(o));
        push(&|o| Rset.encode(o));
        push(&|o| Quit.encode(o));
        push(&|o| Bdat { size: n, last: flag }.encode(o));
        if let Ok(id) = text.parse::<ClientId>() {
            push(&|o| Ehlo::new(id.clone()).unwrap().encode(o));
            push(&|o| Helo::new(id.clone()).unwrap().encode(o));
            push(&|o| Lhlo::new(id.clone()).unwrap().encode(o));
        }
        if let Ok(arg) = text.parse::<TextArgument>() {
            if let Ok(c) = Vrfy::new(arg.clone(), flag) { push(&|o| c.encode(o)); }
            if let Ok(c) = Expn::new(arg.clone(), flag) { push(&|o| c.encode(o)); }
            if let Ok(c) = Noop::new(Some(arg.clone())) { push(&|o| c.encode(o)); }
            if let Ok(c) = Help::new(Some(arg.clone())) { push(&|o| c.encode(o)); }
        }
        if let Ok(c) = Xclient::new(vec![(XclientAttribute::Login, XattrValue::Value(text.clone()))]) {
            push(&|o| c.encode(o));
        }
        if let Ok(c) = Xforward::new(vec![(XforwardAttribute::Helo, XattrValue::Value(text.clone()))]) {
            push(&|o| c.encode(o));
        }
        let auth = Auth::new("PLAIN".parse().unwrap(), Some(SaslResponse::new(bytes.clone())));
        push(&|o| { let _ = auth.encode(o); });
        push(&|o| { let _ = encode_sasl_response(&SaslResponse::new(bytes.clone()), o); });
        let mail_text = format!("<{text}@example.org>");
        if let Ok(path) = mail_text.parse::<ReversePath>() {
            let mut params = MailParameters::new();
            params.smtputf8 = flag;
            if let Ok(v) = EsmtpValue::from_unchecked(text.clone()) {
                let _ = params.push_extra(EsmtpParam::new("X-T".parse().unwrap(), Some(v)));
            }
            let mail = Mail::new(path, params);
            for enc in [Ascii, Utf8] {
                let mut o = Vec::new();
                if mail.encode(&mut o, enc).is_ok() { lines.push(o); }
            }
        }
        if let Ok(path) = mail_text.parse::<ForwardPath>() {
            let mut params = RcptParameters::new();
            params.orcpt = OriginalRecipient::new(&text).ok();
            let rcpt = Rcpt::new(path, params);
            for enc in [Ascii, Utf8] {
                let mut o = Vec::new();
                if rcpt.encode(&mut o, enc).is_ok() { lines.push(o); }
            }
        }
        for line in &lines {
            assert_one_line(line);
        }
    }
}
