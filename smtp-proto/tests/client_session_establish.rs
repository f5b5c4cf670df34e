//! Establish: greeting, EHLO, STARTTLS per policy, EHLO inside TLS, AUTH; and the attacks
//! on that sequence (stripping, injection, stale capabilities).

mod client_support;

use client_support::{Feed, TLS, fresh, greet, run, run_both};
use smtp_proto::auth::{Credentials, Mechanism};
use smtp_proto::client::{Client, ClientConfig, Protocol};
use smtp_proto::command::{Authenticate, Establish, Hello, LogicError, TlsPolicy};
use smtp_proto::error::ProtocolError;
use smtp_proto::response::Capability;
use smtp_proto::syntax::ClientId;

const GREETING: &[u8] = b"220 mx.example ESMTP\r\n";
const EHLO_PLAIN: &[u8] = b"250-mx.example\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n";
const EHLO_NO_TLS: &[u8] = b"250-mx.example\r\n250 AUTH PLAIN\r\n";
const EHLO_INSIDE: &[u8] = b"250-mx.example\r\n250-AUTH PLAIN LOGIN\r\n250 SIZE 5000\r\n";
const C_EHLO: &str = "EHLO client.example\r\n";

fn setup() -> Establish {
    Establish::new(ClientId::from_host_name("client.example").unwrap()).unwrap()
}

fn auth() -> Authenticate {
    Authenticate::new(Credentials::password("tim", "tanstaaftanstaaf"))
}

fn plain() -> Client {
    fresh(false)
}

#[test]
fn full_setup_with_starttls_and_auth() {
    let run = run_both(
        plain,
        || setup().authenticate(auth()),
        &[
            GREETING,
            EHLO_PLAIN,
            b"220 go ahead\r\n",
            EHLO_INSIDE,
            b"235 ok\r\n",
        ],
    );
    assert_eq!(
        run.written,
        format!("{C_EHLO}STARTTLS\r\n{TLS}{C_EHLO}AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n")
    );
    let done = run.ok();
    assert_eq!(done.greeting.code().get(), 220);
    assert!(done.tls);
    assert_eq!(done.authenticated, Some(Mechanism::Plain));
    assert_eq!(done.ehlo().unwrap().size_limit(), Some(5000));
}

#[test]
fn capabilities_come_from_the_ehlo_inside_tls() {
    let mut client = plain();
    let inside: &[u8] = b"250-mx.example\r\n250 AUTH LOGIN\r\n";
    let server: &[&[u8]] = &[
        GREETING,
        EHLO_PLAIN,
        b"220 go\r\n",
        inside,
        b"334 VXNlcm5hbWU6\r\n",
    ];
    let run = run(
        &mut client,
        setup().authenticate(auth()),
        server,
        Feed::Whole,
    );
    // PLAIN was offered before TLS only: AUTH uses what the post-TLS EHLO offers.
    assert!(
        run.written
            .ends_with(&format!("{TLS}{C_EHLO}AUTH LOGIN\r\ndGlt\r\n"))
    );
    assert_eq!(
        run.fatal(),
        ProtocolError::UnexpectedEof(smtp_proto::client::ReplyKind::Auth)
    );

    let mut client = plain();
    let bare: &[u8] = b"250 mx.example\r\n";
    let run = client_support::run(
        &mut client,
        setup().authenticate(auth()),
        &[GREETING, EHLO_PLAIN, b"220 go\r\n", bare],
        Feed::Whole,
    );
    assert!(run.written.ends_with(&format!("{TLS}{C_EHLO}")));
    assert_eq!(run.refused(), LogicError::NoMechanism);
    assert!(!client.session().supports(Capability::StartTls));
}

#[test]
fn required_tls_not_offered_is_fatal_and_nothing_follows() {
    let run = run_both(
        plain,
        || setup().authenticate(auth()),
        &[GREETING, EHLO_NO_TLS],
    );
    assert_eq!(run.written, C_EHLO);
    assert_eq!(run.fatal(), ProtocolError::StartTlsUnavailable(None));
}

#[test]
fn required_tls_refused_is_fatal_with_the_reply() {
    let run = run_both(
        plain,
        || setup().authenticate(auth()),
        &[GREETING, EHLO_PLAIN, b"454 4.7.0 TLS not available\r\n"],
    );
    assert_eq!(run.written, format!("{C_EHLO}STARTTLS\r\n"));
    let ProtocolError::StartTlsUnavailable(Some(reply)) = run.fatal() else {
        panic!()
    };
    assert_eq!(reply.code().get(), 454);
}

#[test]
fn required_tls_after_helo_fallback_is_fatal() {
    let run = run_both(plain, setup, &[GREETING, b"502 no EHLO\r\n", b"250 hi\r\n"]);
    assert_eq!(
        run.written,
        "EHLO client.example\r\nHELO client.example\r\n"
    );
    assert_eq!(run.fatal(), ProtocolError::StartTlsUnavailable(None));
}

#[test]
fn starttls_injection_during_setup_is_fatal_and_nothing_is_written_after_starttls() {
    let mut client = plain();
    let server: &[&[u8]] = &[
        GREETING,
        EHLO_PLAIN,
        b"220 go\r\n250-evil\r\n250 AUTH PLAIN\r\n",
    ];
    let run = run(
        &mut client,
        setup().authenticate(auth()),
        server,
        Feed::Whole,
    );
    assert_eq!(run.written, format!("{C_EHLO}STARTTLS\r\n"));
    assert_eq!(run.fatal(), ProtocolError::StartTlsInjection);
    assert!(!client.is_usable());
}

#[test]
fn opportunistic_goes_on_in_plaintext_without_auth() {
    assert_eq!(setup().tls_policy(), TlsPolicy::Required);
    for policy in [TlsPolicy::Opportunistic, TlsPolicy::Disabled] {
        assert_eq!(setup().tls(policy).tls_policy(), policy);
    }
    for server in [
        &[GREETING, EHLO_NO_TLS][..],
        &[GREETING, EHLO_PLAIN, b"454 not now\r\n"][..],
    ] {
        let run = run_both(plain, || setup().tls(TlsPolicy::Opportunistic), server);
        let done = run.ok();
        assert!(!done.tls);
        assert!(done.authenticated.is_none());
        assert!(done.ehlo().unwrap().supports_auth("PLAIN"));
    }
    // Credentials are still never sent in plaintext.
    let run = run_both(
        plain,
        || setup().tls(TlsPolicy::Opportunistic).authenticate(auth()),
        &[GREETING, EHLO_NO_TLS],
    );
    assert_eq!(run.written, C_EHLO);
    assert_eq!(run.refused(), LogicError::PlaintextAuth);
}

#[test]
fn opportunistic_upgrades_when_offered() {
    let run = run_both(
        plain,
        || setup().tls(TlsPolicy::Opportunistic),
        &[GREETING, EHLO_PLAIN, b"220 go\r\n", EHLO_INSIDE],
    );
    assert_eq!(run.written, format!("{C_EHLO}STARTTLS\r\n{TLS}{C_EHLO}"));
    assert!(run.ok().tls);
}

#[test]
fn disabled_never_sends_starttls_and_refuses_auth_up_front() {
    let run = run_both(
        plain,
        || setup().tls(TlsPolicy::Disabled),
        &[GREETING, EHLO_PLAIN],
    );
    assert_eq!(run.written, C_EHLO);
    assert!(!run.ok().tls);
    let run = run_both(
        plain,
        || setup().tls(TlsPolicy::Disabled).authenticate(auth()),
        &[],
    );
    assert_eq!(run.written, "");
    assert_eq!(run.refused(), LogicError::PlaintextAuth);
    let run = run_both(
        plain,
        || {
            setup()
                .tls(TlsPolicy::Disabled)
                .authenticate(auth().allow_plaintext(true))
        },
        &[GREETING, EHLO_PLAIN, b"235 ok\r\n"],
    );
    assert!(run.written.starts_with(&format!("{C_EHLO}AUTH PLAIN ")));
    assert_eq!(run.ok().authenticated, Some(Mechanism::Plain));
}

#[test]
fn auth_over_unverified_tls_is_refused_up_front() {
    // Whatever the TLS policy and whether TLS is already on, AUTH will be refused: nothing
    // is sent, not even the EHLO.
    for (client, policy) in [
        (fresh(true), TlsPolicy::Disabled),
        (fresh(false), TlsPolicy::Required),
        (fresh(false), TlsPolicy::Opportunistic),
    ] {
        let mut client = client.with_unverified_tls(true);
        let setup = setup().tls(policy).authenticate(auth());
        let run = run(&mut client, setup, &[], Feed::Whole);
        assert_eq!(run.written, "", "{policy:?}");
        assert_eq!(run.refused(), LogicError::PlaintextAuth, "{policy:?}");
    }
}

#[test]
fn implicit_tls_skips_starttls() {
    let run = run_both(
        || fresh(true),
        || setup().authenticate(auth()),
        &[GREETING, EHLO_INSIDE, b"235 ok\r\n"],
    );
    assert!(run.written.starts_with(C_EHLO));
    assert!(!run.written.contains("STARTTLS"));
    let done = run.ok();
    assert!(done.tls);
    assert_eq!(done.authenticated, Some(Mechanism::Plain));
}

#[test]
fn lmtp_opens_with_lhlo() {
    let lmtp = || Client::new(ClientConfig::default()).with_protocol(Protocol::Lmtp);
    let run = run_both(
        lmtp,
        || setup().tls(TlsPolicy::Opportunistic),
        &[
            b"220 lmtp ready\r\n",
            b"250-lmtp.example\r\n250 PIPELINING\r\n",
        ],
    );
    assert_eq!(run.written, "LHLO client.example\r\n");
    assert!(matches!(run.ok().hello, Hello::Ehlo(e) if e.supports(Capability::Pipelining)));
}

#[test]
fn refused_greeting_and_ehlo_are_the_result() {
    let mut client = plain();
    let run = run(&mut client, setup(), &[b"554 go away\r\n"], Feed::Whole);
    assert_eq!(run.written, "QUIT\r\n");
    assert!(matches!(
        run.refused(),
        LogicError::Refused {
            command: "greeting",
            ..
        }
    ));
    assert!(client.session().is_closed());

    // A 5yz to EHLO is answered with HELO (RFC 5321 §3.2); its refusal is the result.
    let run = run_both(
        plain,
        setup,
        &[GREETING, b"550 not you\r\n", b"550 still not you\r\n"],
    );
    assert!(
        run.written.ends_with("HELO client.example\r\n"),
        "{}",
        run.written
    );
    assert!(matches!(
        run.refused(),
        LogicError::Refused {
            command: "HELO",
            ..
        }
    ));
    let run = run_both(plain, setup, &[b"421 busy\r\n"]);
    assert!(matches!(run.fatal(), ProtocolError::ServiceClosing(_)));
}

#[test]
fn auth_failure_is_the_result_and_no_other_mechanism_follows() {
    let mut client = plain();
    let server: &[&[u8]] = &[
        GREETING,
        EHLO_PLAIN,
        b"220 go\r\n",
        EHLO_INSIDE,
        b"535 no\r\n",
    ];
    let run = run(
        &mut client,
        setup().authenticate(auth()),
        server,
        Feed::Whole,
    );
    assert_eq!(run.written.matches("AUTH ").count(), 1);
    assert!(matches!(
        run.refused(),
        LogicError::Refused {
            command: "AUTH",
            ..
        }
    ));
    assert!(client.session().is_tls());
    assert!(client.is_usable());
}

#[test]
fn setup_runs_once() {
    let mut client = plain();
    run(
        &mut client,
        setup().tls(TlsPolicy::Disabled),
        &[GREETING, EHLO_PLAIN],
        Feed::Whole,
    )
    .ok();
    let again = client_support::run(&mut client, setup(), &[], Feed::Whole);
    assert_eq!(again.written, "");
    assert!(matches!(again.refused(), LogicError::WrongState { .. }));
    // A greeting alone is a setup begun.
    let mut client = plain();
    greet(&mut client);
    let again = client_support::run(&mut client, setup(), &[], Feed::Whole);
    assert_eq!(again.written, "");
    assert_eq!(
        again.refused(),
        LogicError::WrongState {
            command: "session setup",
            reason: "the session is already set up",
        }
    );
}

#[test]
fn helo_fallback_can_be_turned_off() {
    let run = run_both(
        plain,
        || setup().helo_fallback(false),
        &[GREETING, b"502 no EHLO\r\n"],
    );
    assert_eq!(run.written, C_EHLO);
    assert!(matches!(
        run.refused(),
        LogicError::Refused {
            command: "EHLO",
            ..
        }
    ));
}

/// Inside TLS a refused EHLO is the result: no HELO follows it (RFC 3207 §4.2), although
/// the fallback is on for the EHLO before STARTTLS.
#[test]
fn no_helo_fallback_inside_tls() {
    let run = run_both(
        plain,
        setup,
        &[
            GREETING,
            EHLO_PLAIN,
            b"220 go ahead\r\n",
            b"550 no EHLO\r\n",
        ],
    );
    assert_eq!(run.written, format!("{C_EHLO}STARTTLS\r\n{TLS}{C_EHLO}"));
    assert!(matches!(
        run.refused(),
        LogicError::Refused {
            command: "EHLO",
            ..
        }
    ));
}
