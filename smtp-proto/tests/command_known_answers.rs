//! Known-answer tables: the exact bytes of every command, from the RFCs' examples.

use smtp_proto::auth::{Mechanism, SaslResponse};
use smtp_proto::command::*;
use smtp_proto::syntax::AddressEncoding::{self, Ascii, Utf8};
use smtp_proto::syntax::esmtp::{
    DateTime, EsmtpError, EsmtpParam, EsmtpValue, MailParameters, RcptParameters,
};
use smtp_proto::syntax::{ClientId, ForwardPath, ReversePath};

fn mail(path: &str, params: &str, enc: AddressEncoding) -> String {
    let (path, params) = (
        path.parse::<ReversePath>().unwrap(),
        params.parse().unwrap(),
    );
    let mail = Mail::new(path.clone(), MailParameters::clone(&params));
    assert_eq!((mail.reverse_path(), mail.params()), (&path, &params));
    let mut out = Vec::new();
    mail.encode(&mut out, enc).unwrap();
    assert_eq!(out.len(), mail.encoded_len(enc));
    String::from_utf8(out).unwrap()
}

fn rcpt(path: &str, params: &str, enc: AddressEncoding) -> String {
    let (path, params) = (
        path.parse::<ForwardPath>().unwrap(),
        params.parse().unwrap(),
    );
    let rcpt = Rcpt::new(path.clone(), RcptParameters::clone(&params));
    assert_eq!((rcpt.forward_path(), rcpt.params()), (&path, &params));
    let mut out = Vec::new();
    rcpt.encode(&mut out, enc).unwrap();
    String::from_utf8(out).unwrap()
}

fn bytes(f: impl FnOnce(&mut Vec<u8>)) -> String {
    let mut out = Vec::new();
    f(&mut out);
    String::from_utf8(out).unwrap()
}

#[test]
fn rfc5321_appendix_d1_transaction() {
    let id: ClientId = "bar.com".parse().unwrap();
    assert_eq!(
        bytes(|o| Ehlo::new(id.clone()).unwrap().encode(o)),
        "EHLO bar.com\r\n"
    );
    assert_eq!(
        bytes(|o| Helo::new(id.clone()).unwrap().encode(o)),
        "HELO bar.com\r\n"
    );
    assert_eq!(
        bytes(|o| Lhlo::new(id).unwrap().encode(o)),
        "LHLO bar.com\r\n"
    );
    assert_eq!(
        mail("<Smith@bar.com>", "", Ascii),
        "MAIL FROM:<Smith@bar.com>\r\n"
    );
    for who in ["Jones", "Green", "Brown"] {
        let path = format!("<{who}@foo.com>");
        assert_eq!(rcpt(&path, "", Ascii), format!("RCPT TO:{path}\r\n"));
    }
    assert_eq!(bytes(|o| Data.encode(o)), "DATA\r\n");
    assert_eq!(bytes(|o| Quit.encode(o)), "QUIT\r\n");
    assert_eq!(bytes(|o| Rset.encode(o)), "RSET\r\n");
    assert_eq!(bytes(|o| StartTls.encode(o)), "STARTTLS\r\n");
    assert_eq!(mail("<>", "", Ascii), "MAIL FROM:<>\r\n");
    assert_eq!(rcpt("<Postmaster>", "", Ascii), "RCPT TO:<Postmaster>\r\n");
}

#[test]
fn rfc5321_appendix_d3_verify_and_friends() {
    let arg = |s: &str| s.parse::<TextArgument>().unwrap();
    for text in ["Crispin", "\"Smith, John\"", "jösé"] {
        assert_eq!(arg(text).to_string(), text);
        assert_eq!(arg(text).as_str(), text);
        assert_eq!(arg(text).needs_smtputf8(), !text.is_ascii());
        assert_eq!(TextArgument::try_from(text), Ok(arg(text)));
    }
    assert_eq!(
        bytes(|o| Vrfy::new(arg("Crispin"), false).unwrap().encode(o)),
        "VRFY Crispin\r\n"
    );
    assert_eq!(
        bytes(|o| Expn::new(arg("Example-People"), false).unwrap().encode(o)),
        "EXPN Example-People\r\n"
    );
    assert_eq!(bytes(|o| Noop::new(None).unwrap().encode(o)), "NOOP\r\n");
    assert_eq!(
        bytes(|o| Noop::new(Some(arg("ping"))).unwrap().encode(o)),
        "NOOP ping\r\n"
    );
    assert_eq!(bytes(|o| Help::new(None).unwrap().encode(o)), "HELP\r\n");
    assert_eq!(
        bytes(|o| Help::new(Some(arg("MAIL"))).unwrap().encode(o)),
        "HELP MAIL\r\n"
    );
    // RFC 6531 §3.1 (6): SMTPUTF8 on VRFY and EXPN.
    assert_eq!(
        bytes(|o| Vrfy::new(arg("jösé"), true).unwrap().encode(o)),
        "VRFY jösé SMTPUTF8\r\n"
    );
    assert_eq!(
        Vrfy::new(arg("jösé"), false),
        Err(CommandError::SmtpUtf8ParameterMissing)
    );
    assert_eq!(
        Noop::new(Some(arg("é"))),
        Err(CommandError::SmtpUtf8Required)
    );
}

#[test]
fn rfc1870_size_and_rfc6152_rfc3030_body() {
    assert_eq!(
        mail("<ned@thor.innosoft.com>", "SIZE=500000", Ascii),
        "MAIL FROM:<ned@thor.innosoft.com> SIZE=500000\r\n"
    );
    assert_eq!(
        mail(
            "<ned@ymir.claremont.edu>",
            "BODY=BINARYMIME SIZE=3000",
            Ascii
        ),
        "MAIL FROM:<ned@ymir.claremont.edu> SIZE=3000 BODY=BINARYMIME\r\n"
    );
    assert_eq!(
        bytes(|o| Bdat {
            size: 86,
            last: true
        }
        .encode(o)),
        "BDAT 86 LAST\r\n"
    );
    assert_eq!(
        bytes(|o| Bdat {
            size: 100000,
            last: false
        }
        .encode(o)),
        "BDAT 100000\r\n"
    );
    assert_eq!(
        bytes(|o| Bdat {
            size: 0,
            last: true
        }
        .encode(o)),
        "BDAT 0 LAST\r\n"
    );
}

#[test]
fn rfc3461_dsn_examples() {
    assert_eq!(
        mail("<Alice@Example.ORG>", "RET=HDRS ENVID=QQ314159", Ascii),
        "MAIL FROM:<Alice@Example.ORG> RET=HDRS ENVID=QQ314159\r\n"
    );
    let table = [
        (
            "<Bob@Example.COM>",
            "NOTIFY=SUCCESS ORCPT=rfc822;Bob@Example.COM",
        ),
        (
            "<Carol@Ivory.EDU>",
            "NOTIFY=FAILURE ORCPT=rfc822;Carol@Ivory.EDU",
        ),
        (
            "<Dana@Ivory.EDU>",
            "NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Dana@Ivory.EDU",
        ),
        (
            "<Eric@Bombs.AF.MIL>",
            "NOTIFY=FAILURE ORCPT=rfc822;Eric@Bombs.AF.MIL",
        ),
        ("<Fred@Bombs.AF.MIL>", "NOTIFY=NEVER"),
        (
            "<George@Tax-ivory.com>",
            "NOTIFY=FAILURE,DELAY ORCPT=rfc822;George@Tax-ivory.com",
        ),
    ];
    for (path, params) in table {
        assert_eq!(
            rcpt(path, params, Ascii),
            format!("RCPT TO:{path} {params}\r\n")
        );
    }
    // xtext in ENVID and ORCPT: '+', '=' and space are hex-encoded.
    assert_eq!(
        rcpt(
            "<a@b.example>",
            "ORCPT=rfc822;a+2Bb+3Dc+20d@b.example",
            Ascii
        ),
        "RCPT TO:<a@b.example> ORCPT=rfc822;a+2Bb+3Dc+20d@b.example\r\n"
    );
}

#[test]
fn rfc4954_auth() {
    let plain: Mechanism = "PLAIN".parse().unwrap();
    let auth = Auth::new(
        plain.clone(),
        Some(SaslResponse::new(b"test\0test\x001234".to_vec())),
    );
    let mut out = Vec::new();
    assert_eq!(auth.encode(&mut out), InitialResponse::Sent);
    assert_eq!(out, b"AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ=\r\n");
    let empty = Auth::new(
        "EXTERNAL".parse().unwrap(),
        Some(SaslResponse::new(Vec::new())),
    );
    assert_eq!(
        bytes(|o| assert_eq!(empty.encode(o), InitialResponse::Sent)),
        "AUTH EXTERNAL =\r\n"
    );
    let none = Auth::new("LOGIN".parse().unwrap(), None);
    assert_eq!(
        bytes(|o| assert_eq!(none.encode(o), InitialResponse::Absent)),
        "AUTH LOGIN\r\n"
    );
    assert_eq!(
        bytes(|o| encode_sasl_response(&SaslResponse::new(Vec::new()), o).unwrap()),
        "\r\n"
    );
    assert_eq!(bytes(encode_sasl_cancel), "*\r\n");
    // RFC 4954 §5: the AUTH parameter of MAIL, xtext-encoded.
    assert_eq!(
        mail("<e=mc2@example.com>", "AUTH=e+3Dmc2@example.com", Ascii),
        "MAIL FROM:<e=mc2@example.com> AUTH=e+3Dmc2@example.com\r\n"
    );
    assert_eq!(mail("<>", "AUTH=<>", Ascii), "MAIL FROM:<> AUTH=<>\r\n");
    assert!(!format!("{auth:?}").contains("dGVzd"));
    assert!(format!("{auth:?}").contains("redacted"));
}

#[test]
fn rfc6531_smtputf8() {
    assert_eq!(
        mail("<jösé@bücher.example>", "SMTPUTF8", Utf8),
        "MAIL FROM:<jösé@bücher.example> SMTPUTF8\r\n"
    );
    assert_eq!(
        rcpt("<jösé@bücher.example>", "", Utf8),
        "RCPT TO:<jösé@bücher.example>\r\n"
    );
    // An ASCII local part with an IDN domain goes as A-labels without SMTPUTF8.
    assert_eq!(
        mail("<info@bücher.example>", "", Ascii),
        "MAIL FROM:<info@xn--bcher-kva.example>\r\n"
    );
    // RFC 6533: ORCPT of a UTF-8 address, ASCII form without SMTPUTF8, unitext with it.
    assert_eq!(
        rcpt(
            "<a@b.example>",
            "ORCPT=utf-8;j\\x{F6}s\\x{E9}@b\\x{FC}cher.example",
            Ascii
        ),
        "RCPT TO:<a@b.example> ORCPT=utf-8;j\\x{F6}s\\x{E9}@b\\x{FC}cher.example\r\n"
    );
    assert_eq!(
        rcpt(
            "<a@b.example>",
            "ORCPT=utf-8;j\\x{F6}s\\x{E9}@b\\x{FC}cher.example",
            Utf8
        ),
        "RCPT TO:<a@b.example> ORCPT=utf-8;jösé@bücher.example\r\n"
    );
}

#[test]
fn smtputf8_refusals() {
    let m = Mail::new(
        "<jösé@bücher.example>".parse().unwrap(),
        MailParameters::new(),
    );
    assert_eq!(m.check(Ascii), Err(CommandError::SmtpUtf8Required));
    assert_eq!(m.check(Utf8), Err(CommandError::SmtpUtf8ParameterMissing));
    let mut out = Vec::new();
    assert!(m.encode(&mut out, Ascii).is_err());
    assert!(out.is_empty());
    let r = Rcpt::new(
        "<jösé@bücher.example>".parse().unwrap(),
        RcptParameters::new(),
    );
    assert_eq!(r.check(Ascii), Err(CommandError::SmtpUtf8Required));
    assert_eq!(r.check(Utf8), Ok(()));
    // An unchecked date-time cannot carry UTF-8 at all; an unchecked value can, and needs
    // SMTPUTF8 on the wire.
    assert_eq!(
        DateTime::from_unchecked("2014-04-03T23:01:00Zé"),
        Err(EsmtpError::InvalidChar {
            what: "date-time",
            position: 20,
            ch: 'é'
        })
    );
    let value = || Some(EsmtpValue::from_unchecked("é").unwrap());
    let mut p = RcptParameters::new();
    p.push_extra(EsmtpParam::new("X-A".parse().unwrap(), value()))
        .unwrap();
    let r = Rcpt::new("<a@b.example>".parse().unwrap(), p);
    assert_eq!(r.check(Ascii), Err(CommandError::SmtpUtf8Required));
    let mut p = MailParameters::new();
    p.push_extra(EsmtpParam::new("X-A".parse().unwrap(), value()))
        .unwrap();
    let m = Mail::new("<a@b.example>".parse().unwrap(), p);
    assert_eq!(m.check(Ascii), Err(CommandError::SmtpUtf8Required));
    assert_eq!(m.check(Utf8), Err(CommandError::SmtpUtf8ParameterMissing));
}

#[test]
fn rfc2852_rfc4865_rfc6710_rfc8689_rfc7293() {
    assert_eq!(
        mail("<eljefe@bar.com>", "BY=120;R", Ascii),
        "MAIL FROM:<eljefe@bar.com> BY=120;R\r\n"
    );
    assert_eq!(
        mail("<a@b.example>", "BY=-10;NT", Ascii),
        "MAIL FROM:<a@b.example> BY=-10;NT\r\n"
    );
    assert_eq!(
        mail("<a@b.example>", "HOLDFOR=7200", Ascii),
        "MAIL FROM:<a@b.example> HOLDFOR=7200\r\n"
    );
    assert_eq!(
        mail("<a@b.example>", "HOLDUNTIL=2026-12-24T18:00:00Z", Ascii),
        "MAIL FROM:<a@b.example> HOLDUNTIL=2026-12-24T18:00:00Z\r\n"
    );
    assert_eq!(
        mail("<a@b.example>", "MT-PRIORITY=6", Ascii),
        "MAIL FROM:<a@b.example> MT-PRIORITY=6\r\n"
    );
    assert_eq!(
        mail("<a@b.example>", "REQUIRETLS", Ascii),
        "MAIL FROM:<a@b.example> REQUIRETLS\r\n"
    );
    assert_eq!(
        rcpt("<bob@example.com>", "RRVS=2014-04-03T23:01:00Z", Ascii),
        "RCPT TO:<bob@example.com> RRVS=2014-04-03T23:01:00Z\r\n"
    );
    assert_eq!(
        rcpt("<bob@example.com>", "RRVS=2014-04-03T23:01:00Z;C", Ascii),
        "RCPT TO:<bob@example.com> RRVS=2014-04-03T23:01:00Z;C\r\n"
    );
}

#[test]
fn parameter_order_is_fixed() {
    let given = "X-TAIL=1 BY=60;N HOLDFOR=5 MT-PRIORITY=-1 REQUIRETLS AUTH=<> ENVID=e RET=FULL SMTPUTF8 BODY=7BIT SIZE=9";
    assert_eq!(
        mail("<>", given, Utf8),
        "MAIL FROM:<> SIZE=9 BODY=7BIT SMTPUTF8 RET=FULL ENVID=e AUTH=<> REQUIRETLS MT-PRIORITY=-1 HOLDFOR=5 BY=60;N X-TAIL=1\r\n"
    );
    assert_eq!(
        rcpt(
            "<a@b.example>",
            "X-T RRVS=2014-04-03T23:01:00Z ORCPT=rfc822;a@b.example NOTIFY=DELAY",
            Ascii
        ),
        "RCPT TO:<a@b.example> NOTIFY=DELAY ORCPT=rfc822;a@b.example RRVS=2014-04-03T23:01:00Z X-T\r\n"
    );
}

#[test]
fn required_extensions() {
    let m = Mail::new(
        "<>".parse().unwrap(),
        "SIZE=1 BODY=BINARYMIME RET=FULL ENVID=x".parse().unwrap(),
    );
    assert_eq!(
        m.required_extensions(),
        ["SIZE", "BINARYMIME", "CHUNKING", "DSN"]
    );
    let r = Rcpt::new(
        "<a@b.example>".parse().unwrap(),
        "NOTIFY=NEVER ORCPT=rfc822;a@b RRVS=2014-04-03T23:01:00Z"
            .parse()
            .unwrap(),
    );
    assert_eq!(r.required_extensions(), ["DSN", "RRVS"]);
}
