//! "Unchecked" means "the grammar was validated elsewhere", never "any structure": values
//! built with `from_unchecked` can never add a parameter, close a path early or empty a
//! command (code review findings: parameter smuggling, empty EHLO, C1 controls, unchecked
//! public MAIL/RCPT encoders).

mod syntax_common;

use proptest::prelude::*;
use smtp_proto::command::*;
use smtp_proto::syntax::AddressEncoding::{self, Ascii, Utf8};
use smtp_proto::syntax::esmtp::*;
use smtp_proto::syntax::{
    AddressError, AddressLiteral, ClientId, Domain, ForwardPath, GeneralLiteral, Host, LocalPart,
    Mailbox, ReversePath,
};
use syntax_common::tricky_string;

#[test]
fn finding_1_rcpt_path_cannot_smuggle_parameters() {
    assert_eq!(
        ForwardPath::from_unchecked("a@b> NOTIFY=NEVER ORCPT=rfc822;x"),
        Err(AddressError::UnexpectedChar {
            at: 3,
            ch: '>',
            expected: "letter, digit, '-', '.' or '_'"
        })
    );
    // The reverse path, in the local part and with doubled brackets.
    assert_eq!(
        ReversePath::from_unchecked("<a@b>"),
        Err(AddressError::UnexpectedChar {
            at: 0,
            ch: '<',
            expected: "atom character or '.'"
        })
    );
    assert!(ReversePath::from_unchecked("a b@c").is_err());
    assert!(ForwardPath::from_unchecked("a>@c").is_err());
    // A quoted local part may hold SP and '>', but only when its closing quote closes it.
    let quoted = ForwardPath::from_unchecked("\"a> b\"@c.example").unwrap();
    let mut out = Vec::new();
    Rcpt::new(quoted, RcptParameters::new())
        .encode(&mut out, Ascii)
        .unwrap();
    assert_eq!(out, b"RCPT TO:<\"a> b\"@c.example>\r\n");
    assert_eq!(
        LocalPart::from_unchecked("\"a\" NOTIFY=NEVER \"b\""),
        Err(AddressError::UnexpectedChar {
            at: 3,
            ch: ' ',
            expected: "end of the quoted local part"
        })
    );
    assert_eq!(
        LocalPart::from_unchecked("\"a\\\"> X"),
        Err(AddressError::UnterminatedQuote { at: 0 })
    );
    // Literals: no '>' inside, no second bracket.
    assert!(AddressLiteral::from_unchecked("[x:a>b]").is_err());
    assert!(AddressLiteral::from_unchecked("[x:a] [y:b]").is_err());
    assert!(GeneralLiteral::from_unchecked("x", "a b").is_err());
    assert!(GeneralLiteral::from_unchecked("", "ab").is_err());
    // A full-width '>' that lenient IDNA would map to '>' is refused too.
    assert_eq!(
        Domain::from_unchecked("a\u{ff1e}b"),
        Err(AddressError::InvalidULabel { at: 0 })
    );
}

#[test]
fn finding_1_mail_keyword_cannot_smuggle_parameters() {
    assert_eq!(
        EsmtpKeyword::from_unchecked("SIZE=1 BODY"),
        Err(EsmtpError::InvalidChar {
            what: "ESMTP keyword",
            position: 4,
            ch: '='
        })
    );
    assert_eq!(
        EsmtpKeyword::from_unchecked(""),
        Err(EsmtpError::Empty {
            what: "ESMTP keyword"
        })
    );
    assert_eq!(
        EsmtpValue::from_unchecked(""),
        Err(EsmtpError::Empty {
            what: "ESMTP value"
        })
    );
    assert_eq!(
        EsmtpValue::from_unchecked("1 BODY=8BITMIME"),
        Err(EsmtpError::InvalidChar {
            what: "ESMTP value",
            position: 1,
            ch: ' '
        })
    );
    assert_eq!(
        DateTime::from_unchecked("2026-01-01T00:00:00Z NOTIFY=NEVER"),
        Err(EsmtpError::InvalidChar {
            what: "date-time",
            position: 20,
            ch: ' '
        })
    );
    assert!(DateTime::from_unchecked("2026-01-01T00:00:00Z;C").is_err());
    // A typed keyword in another case is still reserved.
    let mut p = MailParameters::new();
    p.size = Some(5);
    let size = EsmtpKeyword::from_unchecked("sIzE").unwrap();
    assert_eq!(
        p.push_extra(EsmtpParam::new(size, EsmtpValue::from_unchecked("1").ok())),
        Err(EsmtpError::ReservedKeyword {
            keyword: "sIzE".to_owned()
        })
    );
}

#[test]
fn finding_2_no_empty_hello_argument() {
    for (name, r) in [
        ("ClientId", ClientId::from_unchecked("").map(drop)),
        ("Host", Host::from_unchecked("").map(drop)),
        ("Domain", Domain::from_unchecked("").map(drop)),
        ("LocalPart", LocalPart::from_unchecked("").map(drop)),
        ("Mailbox", Mailbox::from_unchecked("").map(drop)),
        ("ReversePath", ReversePath::from_unchecked("").map(drop)),
        ("ForwardPath", ForwardPath::from_unchecked("").map(drop)),
    ] {
        assert!(
            matches!(r, Err(AddressError::Empty { .. })),
            "{name}: {r:?}"
        );
    }
    assert!(ClientId::from_unchecked("[]").is_err());
    assert!(Mailbox::from_unchecked("a@").is_err());
    assert!(Mailbox::from_unchecked("@b").is_err());
}

#[test]
fn finding_3_one_control_policy_c1_included() {
    let c1 = Err(EsmtpError::ControlChar {
        position: 1,
        byte: 0x85,
    });
    assert_eq!("a\u{85}b".parse::<EsmtpValue>(), c1);
    assert_eq!(EsmtpValue::from_unchecked("a\u{85}b"), c1);
    assert_eq!(
        EnvId::from_unchecked("a\u{85}b"),
        Err(EsmtpError::ControlChar {
            position: 1,
            byte: 0x85
        })
    );
    assert_eq!(
        "a\u{85}b".parse::<TextArgument>(),
        Err(CommandError::InvalidChar {
            what: "argument",
            position: 1,
            ch: '\u{85}'
        })
    );
    assert_eq!(
        ClientId::from_unchecked("a\u{9f}b"),
        Err(AddressError::Control {
            at: 1,
            ch: '\u{9f}'
        })
    );
}

#[test]
fn finding_4_mail_and_rcpt_encoders_check_and_write_nothing_on_error() {
    let from: ReversePath = "<用户@例子.example>".parse().unwrap();
    let mail = Mail::new(from, MailParameters::new());
    let mut out = b"kept".to_vec();
    assert_eq!(
        mail.encode(&mut out, Ascii),
        Err(CommandError::SmtpUtf8Required)
    );
    assert_eq!(
        mail.encode(&mut out, Utf8),
        Err(CommandError::SmtpUtf8ParameterMissing)
    );
    let long = format!("{}@b.example", "a".repeat(600));
    let rcpt = Rcpt::new(
        ForwardPath::from_unchecked(&long).unwrap(),
        RcptParameters::new(),
    );
    assert!(matches!(
        rcpt.encode(&mut out, Ascii),
        Err(CommandError::LineTooLong { .. })
    ));
    assert_eq!(out, b"kept");
}

/// `verb` then `<path>` then ` KEY[=VALUE]`...: the path's inner text and the parameter
/// tokens, read as a server does (a quoted local part is skipped as a whole; the path ends
/// at the first `>` after it; parameters are separated by SP). `None` if malformed.
fn tokenise<'a>(line: &'a [u8], verb: &[u8]) -> Option<(&'a [u8], Vec<&'a [u8]>)> {
    let body = line.strip_suffix(b"\r\n")?;
    if body.iter().any(|&b| b == b'\r' || b == b'\n' || b == 0) {
        return None;
    }
    let rest = body.strip_prefix(verb)?.strip_prefix(b"<")?;
    let mut i = 0;
    if rest.first() == Some(&b'"') {
        i = 1;
        loop {
            match rest.get(i)? {
                b'\\' => i += 2,
                b'"' => break,
                _ => i += 1,
            }
        }
    }
    let close = i + rest.get(i..)?.iter().position(|&b| b == b'>')?;
    let params = rest.get(close + 1..)?;
    let tokens = if params.is_empty() {
        Vec::new()
    } else {
        params.strip_prefix(b" ")?.split(|&b| b == b' ').collect()
    };
    Some((rest.get(..close)?, tokens))
}

fn mailbox_bytes(m: &Mailbox, enc: AddressEncoding) -> Vec<u8> {
    let mut v = Vec::new();
    m.write_to(&mut v, enc);
    v
}

fn sorted(mut v: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    v.sort();
    v
}

/// Arbitrary strings, strings over the structural characters, and well-formed pieces.
fn input() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        tricky_string(),
        "[a-zA-Z0-9<>=@\" \\\\.:;,+_\\[\\]-]{0,24}",
        "\"[a-z <>@\\\\\"]{0,8}\"@[a-z.]{1,8}",
        "[a-z0-9-]{1,8}",
        "\\[[a-zI6v]{0,4}:?[a-z0-9<>\\[\\] .:]{0,8}\\]",
    ]
}

fn all_encodings() -> [AddressEncoding; 2] {
    [Ascii, Utf8]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    /// The test that would have caught finding 1: whatever an unchecked constructor
    /// accepts, MAIL, RCPT, EHLO and VRFY lines tokenise back to exactly the intended
    /// structure.
    #[test]
    fn unchecked_values_never_change_the_structure_of_a_line(a in input(), b in input()) {
        // MAIL FROM:<a> SIZE=5 HOLDUNTIL=<b> <kw(b)>=<value(a)> ENVID=<xtext(a)>
        let mut params = MailParameters::new();
        params.size = Some(5);
        params.smtputf8 = true;
        let mut expected: Vec<Vec<u8>> = vec![b"SIZE=5".to_vec(), b"SMTPUTF8".to_vec()];
        if let Ok(t) = DateTime::from_unchecked(b.as_str()) {
            expected.push(format!("HOLDUNTIL={t}").into_bytes());
            params.future_release = Some(FutureRelease::Until(t));
        }
        if let (Ok(k), Ok(v)) = (EsmtpKeyword::from_unchecked(b.as_str()), EsmtpValue::from_unchecked(a.as_str()))
            && params.push_extra(EsmtpParam::new(k.clone(), Some(v.clone()))).is_ok()
        {
            expected.push(format!("{k}={v}").into_bytes());
        }
        let envid = EnvId::from_unchecked(a.as_str()).ok();
        if let Some(e) = &envid {
            let mut token = b"ENVID=".to_vec();
            encode_xtext(e.as_str().as_bytes(), &mut token);
            expected.push(token);
        }
        params.envid = envid;
        if let Ok(from) = ReversePath::from_unchecked(&a) {
            let mailbox = from.mailbox().unwrap().clone();
            let mail = Mail::new(from, params.clone());
            for enc in all_encodings() {
                let mut out = Vec::new();
                if mail.encode(&mut out, enc).is_ok() {
                    let (path, tokens) = tokenise(&out, b"MAIL FROM:").unwrap();
                    prop_assert_eq!(path.to_vec(), mailbox_bytes(&mailbox, enc));
                    let tokens = sorted(tokens.into_iter().map(<[u8]>::to_vec).collect());
                    prop_assert_eq!(tokens, sorted(expected.clone()));
                } else {
                    prop_assert!(out.is_empty());
                }
            }
        }

        // RCPT TO:<b> NOTIFY=NEVER RRVS=<a> ORCPT=<type(a)>;<xtext(b)>
        let mut params = RcptParameters::new();
        params.notify = Some(Notify::Never);
        let mut expected: Vec<Vec<u8>> = vec![b"NOTIFY=NEVER".to_vec()];
        if let Ok(t) = DateTime::from_unchecked(a.as_str()) {
            let rrvs = Rrvs::new(t, Some(RrvsAction::Continue));
            expected.push(format!("RRVS={rrvs}").into_bytes());
            params.rrvs = Some(rrvs);
        }
        if let Ok(o) = OriginalRecipient::from_unchecked(&a, &b) {
            expected.push(format!("ORCPT={o}").into_bytes());
            params.orcpt = Some(o);
        }
        for (path, mailbox) in [
            ForwardPath::from_unchecked(&b).ok().map(|p| (p.clone(), p.mailbox().unwrap().clone())),
            Mailbox::from_unchecked(&format!("x@{b}")).ok().map(|m| (ForwardPath::Mailbox(m.clone()), m)),
            LocalPart::from_unchecked(b.as_str()).ok()
                .and_then(|l| Mailbox::new(l, "c.example".parse().unwrap()).ok())
                .map(|m| (ForwardPath::Mailbox(m.clone()), m)),
            Host::from_unchecked(&b).ok()
                .and_then(|h| Mailbox::new("x".parse().unwrap(), h).ok())
                .map(|m| (ForwardPath::Mailbox(m.clone()), m)),
            b.split_once(':').and_then(|(t, c)| GeneralLiteral::from_unchecked(t, c).ok())
                .and_then(|g| Mailbox::new("x".parse().unwrap(), Host::Literal(AddressLiteral::General(g))).ok())
                .map(|m| (ForwardPath::Mailbox(m.clone()), m)),
        ].into_iter().flatten() {
            let rcpt = Rcpt::new(path, params.clone());
            for enc in all_encodings() {
                let mut out = Vec::new();
                if rcpt.encode(&mut out, enc).is_ok() {
                    let (inner, tokens) = tokenise(&out, b"RCPT TO:").unwrap();
                    prop_assert_eq!(inner.to_vec(), mailbox_bytes(&mailbox, enc));
                    let tokens = sorted(tokens.into_iter().map(<[u8]>::to_vec).collect());
                    prop_assert_eq!(tokens, sorted(expected.clone()));
                } else {
                    prop_assert!(out.is_empty());
                }
            }
        }

        // EHLO <id>: exactly one non-empty token after the verb.
        if let Ok(id) = ClientId::from_unchecked(&a)
            && let Ok(ehlo) = Ehlo::new(id.clone())
        {
            let mut out = Vec::new();
            ehlo.encode(&mut out);
            let body = out.strip_suffix(b"\r\n").unwrap();
            let tokens: Vec<&[u8]> = body.split(|&b| b == b' ').collect();
            prop_assert_eq!(tokens.len(), 2);
            prop_assert_eq!(tokens[0], b"EHLO");
            prop_assert!(!tokens[1].is_empty());
            prop_assert_eq!(tokens[1].to_vec(), id.to_string().into_bytes());
            prop_assert!(!body.iter().any(|&b| b < 0x20 || b == 0x7f));
        }

        // VRFY <mailbox>: one line, the argument exactly as built.
        if let Ok(m) = Mailbox::from_unchecked(&a)
            && let Ok(arg) = m.to_string().parse::<TextArgument>()
            && let Ok(vrfy) = Vrfy::new(arg, false)
        {
            let mut out = Vec::new();
            vrfy.encode(&mut out);
            let body = out.strip_suffix(b"\r\n").unwrap();
            prop_assert!(!body.iter().any(|&b| b == b'\r' || b == b'\n' || b == 0));
            prop_assert_eq!(body.strip_prefix(b"VRFY ").unwrap().to_vec(), m.to_string().into_bytes());
        }
    }
}
