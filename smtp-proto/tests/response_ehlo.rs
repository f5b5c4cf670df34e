//! EHLO data: the real-world corpus in `tests/data/ehlo/`, RFC examples, and tolerance.

use std::collections::BTreeSet;
use std::fs;
use std::path::PathBuf;

use smtp_proto::response::{
    Capability::{self, *},
    EhloData, EhloError, MtPriorityPolicy, Response, ServerLimits,
};

/// Reads a corpus file: `#` lines are comments, every other line is one reply line.
fn corpus(name: &str) -> Response {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/ehlo")
        .join(format!("{name}.txt"));
    let text = fs::read_to_string(&path).unwrap();
    assert!(
        text.starts_with("# "),
        "{name}: the first line names the server"
    );
    assert!(text.contains("# Source: "), "{name}: the source is marked");
    let mut wire = String::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        wire.push_str(line);
        wire.push_str("\r\n");
    }
    Response::parse(wire.as_bytes()).unwrap()
}

fn ehlo(wire: &str) -> EhloData {
    EhloData::try_from(Response::parse(wire.as_bytes()).unwrap()).unwrap()
}

struct Expected {
    file: &'static str,
    domain: &'static str,
    capabilities: &'static [Capability],
    size: Option<u64>,
    auth: &'static [&'static str],
    /// Keywords this crate does not type, which must still be in the raw map.
    unknown: &'static [&'static str],
}

const fn e(
    file: &'static str,
    domain: &'static str,
    capabilities: &'static [Capability],
    size: Option<u64>,
    auth: &'static [&'static str],
    unknown: &'static [&'static str],
) -> Expected {
    Expected {
        file,
        domain,
        capabilities,
        size,
        auth,
        unknown,
    }
}

const MB10: Option<u64> = Some(10_485_760);
const PCL: &[&str] = &["PLAIN", "LOGIN", "CRAM-MD5"];

// One row per corpus file: file, domain, capabilities, SIZE, AUTH, untyped keywords.
#[rustfmt::skip]
const CORPUS: &[Expected] = &[
    e("postfix-plain", "postfix.localhost", &[Pipelining, Size, Vrfy, Etrn, StartTls, Auth, EnhancedStatusCodes, EightBitMime, Dsn, SmtpUtf8, Chunking], MB10, PCL, &[]),
    e("postfix-submission-tls", "postfix.localhost", &[Pipelining, Size, Vrfy, Etrn, Auth, EnhancedStatusCodes, EightBitMime, Dsn, SmtpUtf8, Chunking], MB10, PCL, &[]),
    e("exim", "exim.localhost", &[Size, EightBitMime, Dsn, Pipelining, PipeConnect, Auth, Chunking, StartTls, Prdr, SmtpUtf8, Help], MB10, PCL, &[]),
    e("aiosmtpd", "aiosmtpd.localhost", &[Size, EightBitMime, SmtpUtf8, StartTls, Auth, Pipelining, Help], MB10, &["LOGIN", "PLAIN"], &[]),
    e("nodemailer-smtp-server", "smtp-server.localhost", &[Pipelining, EightBitMime, SmtpUtf8, EnhancedStatusCodes, Dsn, Auth, RequireTls, Size], MB10, &["PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2"], &[]),
    e("opensmtpd", "opensmtpd.localhost", &[EightBitMime, EnhancedStatusCodes, Size, Dsn, StartTls, Help], MB10, &[], &[]),
    e("smtp-sink", "smtp-sink.localhost", &[Pipelining, EightBitMime, Auth, XClient, XForward, EnhancedStatusCodes, Dsn], None, &["PLAIN", "LOGIN"], &[]),
    e("smtp-sink-bare", "smtp-sink-bare.localhost", &[], None, &[], &[]),
    e("gmail-submission-tls", "smtp.gmail.com", &[Size, EightBitMime, Auth, EnhancedStatusCodes, Pipelining, Chunking, SmtpUtf8], Some(35_882_577), &["LOGIN", "PLAIN", "XOAUTH2", "PLAIN-CLIENTTOKEN", "OAUTHBEARER", "XOAUTH"], &[]),
    e("gmail-submission-plain", "smtp.gmail.com", &[Size, EightBitMime, StartTls, EnhancedStatusCodes, Pipelining, Chunking, SmtpUtf8], Some(35_882_577), &[], &[]),
    e("microsoft365-tls", "SY5P282CA0097.outlook.office365.com", &[Size, Pipelining, Dsn, EnhancedStatusCodes, Auth, EightBitMime, BinaryMime, Chunking, SmtpUtf8], Some(157_286_400), &["LOGIN", "XOAUTH2"], &[]),
    e("exchange-2016", "mail1.fabrikam.com", &[Size, Pipelining, Dsn, EnhancedStatusCodes, StartTls, Auth, EightBitMime, BinaryMime, Chunking], Some(37_748_736), &["NTLM"], &["X-ANONYMOUSTLS", "X-EXPS", "XRDST"]),
    e("exchange-2013", "Exchange-Server.contoso.com", &[Size, Pipelining, Dsn, EnhancedStatusCodes, StartTls, Auth, EightBitMime, BinaryMime, Chunking], None, &["NTLM"], &["X-ANONYMOUSTLS", "X-EXPS", "XEXCH50", "XRDST", "XSHADOWREQUEST"]),
    e("yahoo-tls", "hermes--production-ir2-6fcf857f6f-vw7gs", &[Pipelining, EnhancedStatusCodes, EightBitMime, Size, Auth], Some(41_697_280), &["PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER"], &[]),
    e("amazon-ses", "email-smtp.amazonaws.com", &[EightBitMime, Size, Auth], MB10, &["PLAIN", "LOGIN"], &["Ok"]),
    e("sendgrid", "smtp.sendgrid.net", &[EightBitMime, Pipelining, Size, StartTls, Auth], Some(31_457_280), &["PLAIN", "LOGIN"], &[]),
    e("sendmail", "localhost.localdomain", &[EnhancedStatusCodes, Pipelining, Expn, Verb, EightBitMime, Size, Dsn, Etrn, DeliverBy, Help], None, &[], &[]),
    e("sendmail-auth-tls", "yyy.yyy.yyy", &[EnhancedStatusCodes, Pipelining, EightBitMime, Size, Dsn, Auth, DeliverBy, Help], Some(80_000_000), &["LOGIN", "PLAIN"], &[]),
    e("haraka", "mail.example.com", &[Pipelining, EightBitMime, Size, StartTls], Some(10_000_000), &[], &[]),
    e("fastmail", "mail.messagingengine.com", &[Pipelining, Size, EnhancedStatusCodes, EightBitMime, StartTls], Some(71_000_000), &[], &[]),
    e("qmail", "mail.example.net", &[StartTls, Pipelining, EightBitMime], None, &[], &[]),
];

#[test]
fn corpus_has_every_file_and_each_parses_to_its_known_capabilities() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/ehlo");
    let files: BTreeSet<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let listed: BTreeSet<String> = CORPUS.iter().map(|e| format!("{}.txt", e.file)).collect();
    assert_eq!(
        files, listed,
        "every corpus file has expectations, and only those"
    );
    assert!(files.len() >= 15);

    for expected in CORPUS {
        let name = expected.file;
        let reply = corpus(name);
        let data = EhloData::from_response(&reply).unwrap();
        assert_eq!(data.domain(), expected.domain, "{name}");
        let found: BTreeSet<Capability> = data.capabilities().collect();
        let wanted: BTreeSet<Capability> = expected.capabilities.iter().copied().collect();
        assert_eq!(found, wanted, "{name}");
        assert_eq!(data.size_limit(), expected.size, "{name}");
        assert_eq!(
            data.auth_mechanisms().collect::<Vec<_>>(),
            expected.auth,
            "{name}"
        );
        for keyword in expected.unknown {
            assert!(data.params(keyword).is_some(), "{name}: {keyword}");
        }
        // Every keyword line is in the raw map, in order.
        let keywords: Vec<&str> = data.keywords().map(|k| k.name()).collect();
        let lines = reply.line_count() - 1;
        let free_text = usize::from(reply.lines().last().unwrap().text().trim_ascii().is_empty());
        assert_eq!(keywords.len(), lines - free_text, "{name}: {keywords:?}");
    }
}

#[test]
fn corpus_details() {
    let exchange = EhloData::try_from(corpus("exchange-2016")).unwrap();
    assert_eq!(exchange.params("x-exps"), Some(&b"GSSAPI NTLM"[..]));
    assert_eq!(exchange.greeting(), "Hello [172.16.0.5]");
    let sink = EhloData::try_from(corpus("smtp-sink")).unwrap();
    assert_eq!(
        sink.xclient_attributes().collect::<Vec<_>>(),
        ["NAME", "HELO"]
    );
    assert_eq!(
        sink.xforward_attributes().collect::<Vec<_>>(),
        ["NAME", "ADDR", "PROTO", "HELO"]
    );
    let sendgrid = EhloData::try_from(corpus("sendgrid")).unwrap();
    assert_eq!(
        sendgrid.keywords().filter(|k| k.name() == "AUTH").count(),
        2
    );
    assert!(sendgrid.supports_auth("plain"));
    assert!(!sendgrid.supports_auth("CRAM-MD5"));
}

#[test]
fn rfc_5321_appendix_d1_and_rfc_1870_examples() {
    // RFC 5321 Appendix D.1: SIZE without a number.
    let d1 =
        ehlo("250-foo.com greets bar.com\r\n250-8BITMIME\r\n250-SIZE\r\n250-DSN\r\n250 HELP\r\n");
    assert_eq!(d1.domain(), "foo.com");
    assert_eq!(d1.greeting(), "greets bar.com");
    assert!(
        d1.supports(Size) && d1.supports(EightBitMime) && d1.supports(Dsn) && d1.supports(Help)
    );
    assert_eq!(d1.size_limit(), None);
    // RFC 1870 §7: "250-SIZE 1000000"; §4: 0 means no fixed maximum.
    let rfc1870 = ehlo("250-dbc.mtview.ca.us says hello\r\n250 SIZE 1000000\r\n");
    assert_eq!(rfc1870.size_limit(), Some(1_000_000));
    assert_eq!(ehlo("250-x\r\n250 SIZE 0\r\n").size_limit(), None);
    assert_eq!(ehlo("250-x\r\n250 SIZE lots\r\n").size_limit(), None);
    // RFC 2034 §9: ENHANCEDSTATUSCODES.
    let rfc2034 = ehlo("250-dbc.mtview.ca.us says hello\r\n250 ENHANCEDSTATUSCODES\r\n");
    assert!(rfc2034.supports(EnhancedStatusCodes));
}

#[test]
fn typed_parameters() {
    let data = ehlo(concat!(
        "250-x.example\r\n",
        "250-LIMITS RCPTMAX=100 mailmax=5 RCPTDOMAINMAX=x BOGUS=1\r\n",
        "250-FUTURERELEASE 604800 2026-12-31T23:59:59Z\r\n",
        "250-DELIVERBY 240\r\n",
        "250-MT-PRIORITY STANAG4406\r\n",
        "250 NO-SOLICITING net.example:ADV\r\n",
    ));
    let limits = data.limits().unwrap();
    assert_eq!(
        limits,
        ServerLimits {
            rcpt_max: Some(100),
            mail_max: Some(5),
            rcpt_domain_max: None,
        }
    );
    let release = data.future_release().unwrap();
    assert_eq!(release.max_interval, Some(604_800));
    assert_eq!(release.max_datetime, Some("2026-12-31T23:59:59Z"));
    assert_eq!(data.deliver_by_min_time(), Some(240));
    assert_eq!(
        data.mt_priority_policy(),
        Some(MtPriorityPolicy::Stanag4406)
    );
    assert_eq!(data.params("NO-SOLICITING"), Some(&b"net.example:ADV"[..]));

    let bare = ehlo("250-x\r\n250-MT-PRIORITY\r\n250 DELIVERBY\r\n");
    assert_eq!(
        bare.mt_priority_policy(),
        Some(MtPriorityPolicy::Unspecified)
    );
    assert_eq!(bare.deliver_by_min_time(), None);
    assert!(bare.supports(DeliverBy));
    assert_eq!(bare.limits(), None);
    assert_eq!(bare.future_release(), None);

    // RFC 6710 §9.3's registered policies, in any case; anything else is Other.
    for (name, policy) in [
        ("MIXER", MtPriorityPolicy::Mixer),
        ("stanag4406", MtPriorityPolicy::Stanag4406),
        ("Nsep", MtPriorityPolicy::Nsep),
        ("X-LOCAL", MtPriorityPolicy::Other),
    ] {
        let data = ehlo(&format!("250-x\r\n250 MT-PRIORITY {name}\r\n"));
        assert_eq!(data.mt_priority_policy(), Some(policy), "{name}");
    }
}

#[test]
fn tolerant_of_real_server_quirks() {
    let data = ehlo(concat!(
        "250-mx.example   Hello there  \r\n",
        "250-AUTH=login PLAIN\r\n",
        "250-auth LOGIN cram-md5 this-mechanism-name-is-far-too-long BAD!\r\n",
        "250-size 5000\r\n",
        "250-SIZE 6000\r\n",
        "250-  pipelining  \r\n",
        "250-(free text): not a keyword\r\n",
        "250-X-FOO=bar\r\n",
        "250 Have a nice day\r\n",
    ));
    assert_eq!(data.domain(), "mx.example");
    assert_eq!(data.greeting(), "Hello there");
    assert_eq!(
        data.auth_mechanisms().collect::<Vec<_>>(),
        ["LOGIN", "PLAIN", "CRAM-MD5"]
    );
    assert_eq!(data.size_limit(), Some(5000), "the first SIZE line wins");
    assert!(data.supports(Pipelining));
    assert_eq!(data.params("x-foo"), Some(&b"bar"[..]));
    assert_eq!(data.params("AUTH"), Some(&b"login PLAIN"[..]));
    let names: Vec<&str> = data.keywords().map(|k| k.name()).collect();
    assert_eq!(
        names,
        [
            "AUTH",
            "auth",
            "size",
            "SIZE",
            "pipelining",
            "X-FOO",
            "Have"
        ]
    );
}

#[test]
fn auth_mechanisms_come_from_every_auth_line_whatever_its_case() {
    let lower = ehlo("250-mx.example\r\n250 AUTH login Plain XOAUTH2\r\n");
    assert_eq!(
        lower.auth_mechanisms().collect::<Vec<_>>(),
        ["LOGIN", "PLAIN", "XOAUTH2"]
    );
    // Exchange and SendGrid style: two upper-case lines, here with different lists.
    let upper_twice = ehlo("250-mx.example\r\n250-AUTH PLAIN\r\n250 AUTH=LOGIN PLAIN\r\n");
    assert_eq!(
        upper_twice.auth_mechanisms().collect::<Vec<_>>(),
        ["PLAIN", "LOGIN"]
    );
    let then_lower = ehlo("250-mx.example\r\n250-AUTH=LOGIN\r\n250 AUTH cram-md5\r\n");
    assert_eq!(
        then_lower.auth_mechanisms().collect::<Vec<_>>(),
        ["LOGIN", "CRAM-MD5"]
    );
    assert!(upper_twice.supports_auth("login") && then_lower.supports_auth("Cram-MD5"));
}

#[test]
fn offers_names_known_and_unknown_keywords_in_any_case() {
    let data = ehlo("250-mx.example\r\n250-pipelining\r\n250-X-FOO bar\r\n250 XCLIENT NAME\r\n");
    assert!(data.offers("PIPELINING") && data.offers("Pipelining"));
    assert!(data.offers("x-foo") && data.offers("xclient"));
    assert!(!data.offers("CHUNKING") && !data.offers("X-BAR") && !data.offers("X-FO"));
}

#[test]
fn duplicated_size_lines_the_first_with_a_limit_counts() {
    let bare_first = ehlo("250-mx.example\r\n250-SIZE\r\n250-SIZE 100\r\n250 SIZE 200\r\n");
    assert_eq!(bare_first.size_limit(), Some(100));
    let garbage_first = ehlo("250-mx.example\r\n250-SIZE abc\r\n250 SIZE 300\r\n");
    assert_eq!(garbage_first.size_limit(), Some(300));
    let blanks = ehlo("250-mx.example\r\n250 SIZE \t 1000 \r\n");
    assert_eq!(blanks.size_limit(), Some(1000));
    let only_bare = ehlo("250-mx.example\r\n250-SIZE\r\n250 SIZE 0\r\n");
    assert_eq!(only_bare.size_limit(), None);
    assert_eq!(only_bare.params("SIZE"), Some(&b""[..]));
}

#[test]
fn lf_only_and_code_only_replies() {
    let data = ehlo("250-lf.example\n250 STARTTLS\n");
    assert!(data.supports(StartTls));
    let bare = ehlo("250\r\n");
    assert_eq!(bare.domain(), "");
    assert_eq!(bare.capabilities().count(), 0);
}

#[test]
fn refusals_are_errors() {
    let reply = Response::parse(b"500 5.5.1 Error: unknown command\r\n").unwrap();
    assert_eq!(
        EhloData::from_response(&reply),
        Err(EhloError::NotPositive(reply.code()))
    );
    let reply = Response::parse(b"421 4.7.0 Try again later\r\n").unwrap();
    assert!(matches!(
        EhloData::try_from(reply),
        Err(EhloError::NotPositive(_))
    ));
}

/// Every keyword of the registry table, alone on its line, in either case, bare or with a
/// parameter, is that capability and no other (RFC 5321 §4.1.1.1: keywords ignore case);
/// a keyword with one more or one less octet is none.
#[test]
fn every_known_keyword_is_its_capability_and_no_other() {
    for &cap in Capability::ALL {
        let keyword = cap.keyword();
        for line in [
            keyword.to_string(),
            keyword.to_ascii_lowercase(),
            format!("{keyword} x"),
            format!("{}\tx", keyword.to_ascii_lowercase()),
        ] {
            let data = ehlo(&format!("250-mx.example\r\n250 {line}\r\n"));
            assert_eq!(data.capabilities().collect::<Vec<_>>(), [cap], "{line:?}");
        }
        let longer = ehlo(&format!("250-mx.example\r\n250 {keyword}X\r\n"));
        assert_eq!(longer.capabilities().count(), 0, "{keyword}X");
        let shorter = &keyword[..keyword.len() - 1];
        let shorter = ehlo(&format!("250-mx.example\r\n250 {shorter}\r\n"));
        assert_eq!(
            shorter.capabilities().count(),
            0,
            "{keyword} less one octet"
        );
        assert_eq!(cap.to_string(), keyword);
    }
}
