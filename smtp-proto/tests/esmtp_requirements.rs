//! What MAIL and RCPT parameter lists ask of the server and of the line: the EHLO keywords
//! they need (the client's check before sending), whether they need SMTPUTF8, emptiness,
//! and the refusal of a typed parameter given twice.

use proptest::prelude::*;
use smtp_proto::syntax::AddressEncoding;
use smtp_proto::syntax::esmtp::*;

/// Every keyword a typed parameter can need, for the "offered" sets below.
const KEYWORDS: [&str; 11] = [
    "SIZE",
    "8BITMIME",
    "BINARYMIME",
    "CHUNKING",
    "SMTPUTF8",
    "DSN",
    "AUTH",
    "REQUIRETLS",
    "MT-PRIORITY",
    "FUTURERELEASE",
    "DELIVERBY",
];

const RCPT_KEYWORDS: [&str; 2] = ["DSN", "RRVS"];

fn date_time() -> DateTime {
    "2026-11-30T10:00:00Z".parse().unwrap()
}

/// A parameter list with the typed parameters whose bit is set in `present`; `body` picks
/// the BODY value when its bit is set.
fn mail_params(present: u16, body: Body) -> MailParameters {
    let on = |bit: u16| present & (1 << bit) != 0;
    let mut p = MailParameters::new();
    p.size = on(0).then_some(1000);
    p.body = on(1).then_some(body);
    p.smtputf8 = on(2);
    p.ret = on(3).then_some(Ret::Hdrs);
    p.envid = on(4).then(|| EnvId::new("id").unwrap());
    p.auth = on(5).then_some(AuthSubmitter::Unknown);
    p.require_tls = on(6);
    p.mt_priority = on(7).then(|| MtPriority::new(3).unwrap());
    p.future_release = on(8).then(|| FutureRelease::Until(date_time()));
    p.deliver_by = on(9).then(|| DeliverBy::new(60, ByMode::Notify, false).unwrap());
    p
}

fn rcpt_params(present: u8) -> RcptParameters {
    let on = |bit: u8| present & (1 << bit) != 0;
    let mut p = RcptParameters::new();
    p.notify = on(0).then_some(Notify::Never);
    p.orcpt = on(1).then(|| OriginalRecipient::new("a@b.example").unwrap());
    p.rrvs = on(2).then(|| Rrvs::new(date_time(), Some(RrvsAction::Reject)));
    p
}

proptest! {
    /// The allocation-free check the client runs before MAIL names the same keyword as the
    /// first of `required_extensions` that the server lacks, for every parameter set and
    /// every set of offered keywords.
    #[test]
    fn mail_first_missing_is_the_first_required_not_offered(
        present in 0u16..1024,
        body in prop_oneof![Just(Body::SevenBit), Just(Body::EightBitMime), Just(Body::BinaryMime)],
        offered in 0u16..2048,
    ) {
        let p = mail_params(present, body);
        let offered_set: Vec<&str> = KEYWORDS
            .iter()
            .enumerate()
            .filter(|(i, _)| offered & (1 << i) != 0)
            .map(|(_, k)| *k)
            .collect();
        let offers = |k: &str| offered_set.contains(&k);
        let required = p.required_extensions();
        prop_assert_eq!(
            p.first_missing_extension(offers),
            required.iter().copied().find(|k| !offers(k))
        );
        // Everything offered: nothing missing; nothing offered: the first requirement.
        prop_assert_eq!(p.first_missing_extension(|_| true), None);
        prop_assert_eq!(p.first_missing_extension(|_| false), required.first().copied());
        prop_assert_eq!(p.is_empty(), present == 0);
    }

    #[test]
    fn rcpt_first_missing_is_the_first_required_not_offered(present in 0u8..8, offered in 0u8..4) {
        let p = rcpt_params(present);
        let offers = |k: &str| {
            RCPT_KEYWORDS.iter().enumerate().any(|(i, r)| *r == k && offered & (1 << i) != 0)
        };
        let required = p.required_extensions();
        prop_assert_eq!(
            p.first_missing_extension(offers),
            required.iter().copied().find(|k| !offers(k))
        );
        prop_assert_eq!(p.first_missing_extension(|_| false), required.first().copied());
        prop_assert_eq!(p.is_empty(), present == 0);
    }
}

#[test]
fn what_each_mail_parameter_requires() {
    let cases: [(u16, Body, &[&str]); 11] = [
        (1 << 0, Body::SevenBit, &["SIZE"]),
        (1 << 1, Body::SevenBit, &["8BITMIME"]),
        (1 << 1, Body::EightBitMime, &["8BITMIME"]),
        (1 << 1, Body::BinaryMime, &["BINARYMIME", "CHUNKING"]),
        (1 << 2, Body::SevenBit, &["SMTPUTF8"]),
        (1 << 3 | 1 << 4, Body::SevenBit, &["DSN"]),
        (1 << 5, Body::SevenBit, &["AUTH"]),
        (1 << 6, Body::SevenBit, &["REQUIRETLS"]),
        (1 << 7, Body::SevenBit, &["MT-PRIORITY"]),
        (1 << 8, Body::SevenBit, &["FUTURERELEASE"]),
        (1 << 9, Body::SevenBit, &["DELIVERBY"]),
    ];
    for (present, body, needs) in cases {
        let p = mail_params(present, body);
        assert_eq!(p.required_extensions(), needs, "{p}");
        assert_eq!(p.first_missing_extension(|_| false), needs.first().copied());
    }
    // ENVID alone needs DSN as much as RET alone does.
    for alone in [1 << 3, 1 << 4] {
        let p = mail_params(alone, Body::SevenBit);
        assert_eq!(p.first_missing_extension(|k| k != "DSN"), Some("DSN"));
    }
    // BINARYMIME offered without CHUNKING still lacks CHUNKING.
    assert_eq!(
        mail_params(1 << 1, Body::BinaryMime).first_missing_extension(|k| k == "BINARYMIME"),
        Some("CHUNKING")
    );
    let rrvs = rcpt_params(1 << 2);
    assert_eq!(rrvs.first_missing_extension(|k| k == "DSN"), Some("RRVS"));
    for dsn in [1, 2] {
        assert_eq!(
            rcpt_params(dsn).first_missing_extension(|k| k == "RRVS"),
            Some("DSN")
        );
    }
}

#[test]
fn a_typed_parameter_given_twice_is_refused() {
    let duplicate = |keyword: &str| {
        Err(EsmtpError::Duplicate {
            keyword: keyword.to_owned(),
        })
    };
    let mut p = MailParameters::new();
    for flag in [MailParameter::SmtpUtf8, MailParameter::RequireTls] {
        let keyword = flag.keyword().to_owned();
        assert_eq!(p.insert(flag.clone()), Ok(()));
        assert_eq!(p.insert(flag), duplicate(&keyword));
    }
    assert!(p.smtputf8 && p.require_tls);
    assert_eq!(p.insert(MailParameter::Size(1)), Ok(()));
    assert_eq!(p.insert(MailParameter::Size(2)), duplicate("SIZE"));
    assert_eq!(p.size, Some(1), "the first value stays");
    for text in [
        "SMTPUTF8 SMTPUTF8",
        "REQUIRETLS REQUIRETLS",
        "SIZE=1 SIZE=2",
    ] {
        assert!(
            matches!(
                text.parse::<MailParameters>(),
                Err(EsmtpError::Duplicate { .. })
            ),
            "{text}"
        );
    }
    let mut r = RcptParameters::new();
    let orcpt = OriginalRecipient::new("a@b.example").unwrap();
    let rrvs = Rrvs::new(date_time(), None);
    let success = Notify::On(NotifyOn::new(true, false, false).unwrap());
    let other = OriginalRecipient::new("c@d.example").unwrap();
    let reject = Rrvs::new(date_time(), Some(RrvsAction::Reject));
    for (first, second) in [
        (
            RcptParameter::Notify(Notify::Never),
            RcptParameter::Notify(success),
        ),
        (
            RcptParameter::Orcpt(orcpt.clone()),
            RcptParameter::Orcpt(other),
        ),
        (
            RcptParameter::Rrvs(rrvs.clone()),
            RcptParameter::Rrvs(reject),
        ),
    ] {
        let keyword = first.keyword().to_owned();
        assert_eq!(r.insert(first), Ok(()));
        assert_eq!(r.insert(second), duplicate(&keyword));
    }
    let mut expected = rcpt_params(0b011);
    expected.rrvs = Some(rrvs);
    assert_eq!(r, expected, "the first values stay");
}

#[test]
fn extra_parameters_alone_make_a_list_non_empty_and_decide_smtputf8() {
    let ascii: EsmtpParam = "X-TAG=plain".parse().unwrap();
    let utf8: EsmtpParam = "X-NAME=jösé".parse().unwrap();
    let mut mail = MailParameters::new();
    let mut rcpt = RcptParameters::new();
    assert!(mail.is_empty() && rcpt.is_empty());
    assert!(!mail.needs_smtputf8() && !rcpt.needs_smtputf8());
    mail.push_extra(ascii.clone()).unwrap();
    rcpt.push_extra(ascii.clone()).unwrap();
    assert!(!mail.is_empty() && !rcpt.is_empty());
    assert_eq!(mail.extra(), std::slice::from_ref(&ascii));
    assert_eq!(rcpt.extra(), [ascii]);
    assert!(!mail.needs_smtputf8() && !rcpt.needs_smtputf8());
    mail.push_extra(utf8.clone()).unwrap();
    rcpt.push_extra(utf8).unwrap();
    assert!(mail.needs_smtputf8() && rcpt.needs_smtputf8());
    // The length the line check counts is the length written, extras included.
    for enc in [AddressEncoding::Ascii, AddressEncoding::Utf8] {
        let mut out = Vec::new();
        mail.write_to(&mut out, enc);
        assert_eq!(out, " X-TAG=plain X-NAME=jösé".as_bytes());
        assert_eq!(mail.encoded_len(enc), out.len());
        out.clear();
        rcpt.write_to(&mut out, enc);
        assert_eq!(out, " X-TAG=plain X-NAME=jösé".as_bytes());
        assert_eq!(rcpt.encoded_len(enc), out.len());
    }
    // These typed parameters do not need it: a utf-8 ORCPT has an ASCII form, and `AUTH=<>`
    // is ASCII (only an AUTH mailbox with a UTF-8 local part would need it).
    let typed = rcpt_params(0b111);
    assert!(!typed.needs_smtputf8());
    assert!(!mail_params(0x3ff, Body::BinaryMime).needs_smtputf8());
}
