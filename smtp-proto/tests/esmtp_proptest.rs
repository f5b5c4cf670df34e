//! Display then parse is the identity for the typed RCPT parameters, RRVS, date-times,
//! HOLDUNTIL, AUTH= mailboxes and free-text command arguments.

mod syntax_common;

use proptest::prelude::*;
use smtp_proto::command::TextArgument;
use smtp_proto::syntax::esmtp::*;
use syntax_common::mailbox;

/// RFC 3339 §5.6 date-times with every optional part, valid days only (leap years included),
/// `T` and `Z` in either case (RFC 3339 §5.6 allows `t` and `z`).
fn date_time() -> impl Strategy<Value = DateTime> {
    (
        prop_oneof![Just('T'), Just('t')],
        0u32..=9999,
        1u32..=12,
        1u32..=31,
        (0u32..=23, 0u32..=59, 0u32..=59),
        proptest::option::of("[0-9]{1,6}"),
        prop_oneof![
            Just("Z".to_owned()),
            Just("z".to_owned()),
            (any::<bool>(), 0u32..=23, 0u32..=59)
                .prop_map(|(plus, h, m)| format!("{}{h:02}:{m:02}", if plus { '+' } else { '-' })),
        ],
    )
        .prop_map(|(t, y, mo, d, (h, mi, s), frac, zone)| {
            let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
            let max = match mo {
                2 if leap => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            };
            let frac = frac.map(|f| format!(".{f}")).unwrap_or_default();
            format!(
                "{y:04}-{mo:02}-{:02}{t}{h:02}:{mi:02}:{s:02}{frac}{zone}",
                d.min(max)
            )
        })
        .prop_map(|s| s.parse::<DateTime>().unwrap())
}

fn rrvs() -> impl Strategy<Value = Rrvs> {
    (
        date_time(),
        proptest::option::of(prop_oneof![
            Just(RrvsAction::Continue),
            Just(RrvsAction::Reject)
        ]),
    )
        .prop_map(|(since, action)| Rrvs::new(since, action))
}

fn notify() -> impl Strategy<Value = Notify> {
    (any::<bool>(), any::<bool>(), any::<bool>())
        .prop_map(|(s, f, d)| NotifyOn::new(s, f, d).map_or(Notify::Never, Notify::On))
}

proptest! {
    #[test]
    fn date_time_round_trips(t in date_time()) {
        let back: DateTime = t.to_string().parse().unwrap();
        prop_assert_eq!(back.as_str(), t.as_str());
        prop_assert_eq!(back, t);
    }

    #[test]
    fn hold_until_round_trips(t in date_time()) {
        let until = FutureRelease::Until(t);
        prop_assert_eq!(until.keyword(), "HOLDUNTIL");
        prop_assert_eq!(FutureRelease::parse_until(&until.to_string()).unwrap(), until);
    }

    #[test]
    fn rrvs_round_trips(r in rrvs()) {
        let text = r.to_string();
        prop_assert!(text.starts_with(r.since().as_str()));
        prop_assert_eq!(text.parse::<Rrvs>().unwrap(), r);
    }

    #[test]
    fn rcpt_parameters_round_trip(
        notify in proptest::option::of(notify()),
        orcpt in proptest::option::of("[!-~]{1,30}@[a-z]{1,10}\\.example"),
        rrvs in proptest::option::of(rrvs()),
    ) {
        let mut p = RcptParameters::new();
        p.notify = notify;
        p.orcpt = orcpt.map(|a| OriginalRecipient::with_type("rfc822", &a).unwrap());
        p.rrvs = rrvs;
        let text = p.to_string();
        prop_assert!(!text.contains("  ") && !text.starts_with(' '), "{}", text);
        prop_assert_eq!(text.parse::<RcptParameters>().unwrap(), p);
    }

    #[test]
    fn auth_submitter_mailbox_round_trips(m in mailbox()) {
        let a = AuthSubmitter::Mailbox(m);
        let text = a.to_string();
        // xtext: one token, no SP or '=' whatever the mailbox holds.
        prop_assert!(!text.contains(' ') && !text.contains('='), "{}", text);
        prop_assert_eq!(text.parse::<AuthSubmitter>().unwrap(), a);
    }

    #[test]
    fn text_argument_round_trips(s in "[^\\x00-\\x1f\\x7f-\\x9f]{1,40}") {
        let t: TextArgument = s.parse().unwrap();
        prop_assert_eq!(t.as_str(), s.as_str());
        prop_assert_eq!(t.to_string().parse::<TextArgument>().unwrap(), t);
    }
}
