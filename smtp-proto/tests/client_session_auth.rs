//! AUTH as a full SASL exchange through the driver: mechanism choice, challenges,
//! refusals, bounds and redaction.

mod client_support;

use client_support::{Feed, ready, ready_from, run, run_both};
use smtp_proto::auth::{Credentials, Mechanism, SaslError};
use smtp_proto::client::{Client, ClientConfig, Output};
use smtp_proto::command::{Authenticate, LogicError, Noop};
use smtp_proto::error::ProtocolError;

const EHLO_TLS: &str = "250-mx.example\r\n250-AUTH LOGIN PLAIN XOAUTH2\r\n250 8BITMIME\r\n";
const PLAIN_RESPONSE: &str = "AHRpbQB0YW5zdGFhZnRhbnN0YWFm";
const PASSWORD: &str = "tanstaaftanstaaf";

fn tls() -> Client {
    ready(EHLO_TLS, true)
}

fn password() -> Authenticate {
    Authenticate::new(Credentials::password("tim", PASSWORD))
}

/// Neither the password nor any base64 of a credential is in the log.
fn assert_no_secret(log: &[String], secrets: &[&str]) {
    let log = log.join("\n");
    for secret in secrets {
        assert!(!log.contains(secret), "{secret:?} leaked into {log:?}");
    }
}

#[test]
fn plain_with_initial_response_over_tls() {
    let mut client = tls();
    let run = run(
        &mut client,
        password(),
        &[b"235 2.7.0 Authenticated\r\n"],
        Feed::Bytewise,
    );
    assert_eq!(run.written, format!("AUTH PLAIN {PLAIN_RESPONSE}\r\n"));
    assert_eq!(run.log, ["AUTH PLAIN [secret]"]);
    assert_no_secret(&run.log, &[PASSWORD, PLAIN_RESPONSE]);
    assert_eq!(run.ok(), Mechanism::Plain);
    assert_eq!(client.session().authenticated(), Some(&Mechanism::Plain));
}

#[test]
fn unverified_tls_counts_as_plaintext() {
    // TLS that does not authenticate the server hides nothing from whoever is on the path;
    // the client says so, so any AUTH command is refused, not only the adapters' own.
    let unverified = || {
        let client = Client::new_tls(ClientConfig::default()).with_unverified_tls(true);
        ready_from(client, EHLO_TLS)
    };
    let run = run_both(unverified, password, &[]);
    assert_eq!(run.written, "");
    assert_eq!(run.refused(), LogicError::PlaintextAuth);

    let run = run_both(
        unverified,
        || password().allow_plaintext(true),
        &[b"235 ok\r\n"],
    );
    assert_eq!(run.written, format!("AUTH PLAIN {PLAIN_RESPONSE}\r\n"));
    assert_eq!(run.ok(), Mechanism::Plain);
}

#[test]
fn never_in_plaintext_unless_allowed() {
    let run = run_both(|| ready(EHLO_TLS, false), password, &[]);
    assert_eq!(run.written, "");
    assert_eq!(run.refused(), LogicError::PlaintextAuth);

    let run = run_both(
        || ready(EHLO_TLS, false),
        || password().allow_plaintext(true),
        &[b"235 ok\r\n"],
    );
    assert_eq!(run.written, format!("AUTH PLAIN {PLAIN_RESPONSE}\r\n"));
    assert_eq!(run.ok(), Mechanism::Plain);
}

#[test]
fn no_usable_mechanism_is_an_error_before_a_byte() {
    for ehlo in [
        "250-mx\r\n250 8BITMIME\r\n",
        "250-mx\r\n250 AUTH GSSAPI NTLM\r\n",
        "250-mx\r\n250 AUTH XOAUTH2 OAUTHBEARER\r\n",
    ] {
        let run = run_both(|| ready(ehlo, true), password, &[]);
        assert_eq!(run.written, "");
        assert_eq!(run.refused(), LogicError::NoMechanism);
    }
    // A token never goes to PLAIN.
    let token = || Authenticate::new(Credentials::oauth2("tim", "ya29.token"));
    let run = run_both(
        || ready("250-mx\r\n250 AUTH PLAIN LOGIN\r\n", true),
        token,
        &[],
    );
    assert_eq!(run.refused(), LogicError::NoMechanism);
}

#[test]
fn the_callers_preference_wins_over_the_servers_order() {
    let run = run_both(
        || ready("250-mx\r\n250 AUTH LOGIN PLAIN\r\n", true),
        password,
        &[b"235 ok\r\n"],
    );
    assert!(run.written.starts_with("AUTH PLAIN "));
    let run = run_both(
        || ready("250-mx\r\n250 AUTH PLAIN LOGIN\r\n", true),
        || password().preference(vec![Mechanism::Login, Mechanism::Plain]),
        &[
            b"334 VXNlcm5hbWU6\r\n",
            b"334 UGFzc3dvcmQ6\r\n",
            b"235 ok\r\n",
        ],
    );
    assert!(run.written.starts_with("AUTH LOGIN\r\n"));
    assert_eq!(run.ok(), Mechanism::Login);
}

#[test]
fn login_answers_both_prompts_as_secrets() {
    let mut client = tls();
    let auth = password().preference(vec![Mechanism::Login]);
    let server: &[&[u8]] = &[
        b"334 VXNlcm5hbWU6\r\n",
        b"334 UGFzc3dvcmQ6\r\n",
        b"235 2.7.0 ok\r\n",
    ];
    let run = run(&mut client, auth, server, Feed::Whole);
    assert_eq!(
        run.written,
        "AUTH LOGIN\r\ndGlt\r\ndGFuc3RhYWZ0YW5zdGFhZg==\r\n"
    );
    assert_eq!(run.log, ["AUTH LOGIN", "[secret]", "[secret]"]);
    assert_no_secret(&run.log, &["dGlt", "dGFuc3RhYWZ0YW5zdGFhZg==", PASSWORD]);
    assert_eq!(run.ok(), Mechanism::Login);
}

#[test]
fn refusal_is_a_logic_error_and_nothing_else_is_tried() {
    let mut client = tls();
    let run = run(
        &mut client,
        password(),
        &[b"535 5.7.8 bad credentials\r\n"],
        Feed::Whole,
    );
    assert_eq!(run.written, format!("AUTH PLAIN {PLAIN_RESPONSE}\r\n"));
    let error = run.refused();
    assert!(matches!(
        error,
        LogicError::Refused {
            command: "AUTH",
            ..
        }
    ));
    assert_eq!(error.response().unwrap().code().get(), 535);
    assert!(client.session().authenticated().is_none());
    assert!(client.is_usable());
    // Trying again picks the same mechanism: no downgrade to LOGIN.
    let again = client_support::run(&mut client, password(), &[b"535 no\r\n"], Feed::Whole);
    assert!(again.written.starts_with("AUTH PLAIN "));
}

#[test]
fn any_reply_but_235_or_334_is_a_failure() {
    for reply in [
        &b"250 ok?\r\n"[..],
        b"354 what\r\n",
        b"503 bad sequence\r\n",
    ] {
        let run = run_both(tls, password, &[reply]);
        assert!(matches!(
            run.refused(),
            LogicError::Refused {
                command: "AUTH",
                ..
            }
        ));
    }
}

#[test]
fn malformed_challenges_are_fatal() {
    let login = || password().preference(vec![Mechanism::Login]);
    let run = run_both(tls, login, &[b"334 not base64!\r\n"]);
    assert!(matches!(
        run.fatal(),
        ProtocolError::Sasl {
            mechanism: Mechanism::Login,
            error: SaslError::Base64(_)
        }
    ));
    let run = run_both(tls, login, &[b"334-VXNl\r\n334 cm5hbWU6\r\n"]);
    assert!(matches!(
        run.fatal(),
        ProtocolError::Sasl {
            error: SaslError::MalformedChallenge { .. },
            ..
        }
    ));
    // PLAIN sent everything: a further challenge is one the mechanism does not expect.
    let run = run_both(tls, password, &[b"334 \r\n"]);
    assert!(matches!(
        run.fatal(),
        ProtocolError::Sasl {
            error: SaslError::UnexpectedChallenge { .. },
            ..
        }
    ));
}

#[test]
fn challenges_are_bounded() {
    let login = || {
        password()
            .preference(vec![Mechanism::Login])
            .max_challenges(1)
    };
    let run = run_both(
        tls,
        login,
        &[b"334 VXNlcm5hbWU6\r\n", b"334 UGFzc3dvcmQ6\r\n"],
    );
    assert_eq!(run.written, "AUTH LOGIN\r\ndGlt\r\n");
    assert_eq!(run.fatal(), ProtocolError::TooManyChallenges(1));
    let run = run_both(tls, || password().max_challenges(0), &[b"334 \r\n"]);
    assert_eq!(run.fatal(), ProtocolError::TooManyChallenges(0));
}

#[test]
fn long_initial_response_waits_for_the_empty_334() {
    let long = "p".repeat(400);
    let auth = || Authenticate::new(Credentials::password("tim", long.as_str()));
    let run = run_both(tls, auth, &[b"334 \r\n", b"235 ok\r\n"]);
    let mut lines = run.written.split("\r\n");
    assert_eq!(lines.next(), Some("AUTH PLAIN"));
    assert_eq!(
        lines.next().unwrap().len(),
        4 * (1 + 3 + 1 + 400usize).div_ceil(3)
    );
    assert_eq!(run.log.len(), 2);
    assert_eq!(run.log[1], "[secret]");
    assert_no_secret(&run.log, &["cHBw"]);
    assert_eq!(run.ok(), Mechanism::Plain);
}

#[test]
fn xoauth2_error_challenge_is_answered_empty_then_refused() {
    let token = || Authenticate::new(Credentials::oauth2("tim@example.org", "ya29.token"));
    let mut client = tls();
    let server: &[&[u8]] = &[
        b"334 eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIiwic2NvcGUiOiJodHRwczovL21haWwuZ29vZ2xlLmNvbS8ifQ==\r\n",
        b"535 5.7.8 Username and Password not accepted\r\n",
    ];
    let run = run(&mut client, token(), server, Feed::Bytewise);
    assert_eq!(
        run.written,
        "AUTH XOAUTH2 dXNlcj10aW1AZXhhbXBsZS5vcmcBYXV0aD1CZWFyZXIgeWEyOS50b2tlbgEB\r\n\r\n"
    );
    assert_eq!(run.log, ["AUTH XOAUTH2 [secret]", "[secret]"]);
    assert_no_secret(&run.log, &["ya29", "dXNlcj10"]);
    assert!(matches!(
        run.refused(),
        LogicError::Refused {
            command: "AUTH",
            ..
        }
    ));
}

#[test]
fn a_second_auth_is_refused_before_a_byte() {
    let mut client = tls();
    run(&mut client, password(), &[b"235 ok\r\n"], Feed::Whole).ok();
    let again = client_support::run(&mut client, password(), &[], Feed::Whole);
    assert_eq!(again.written, "");
    assert!(matches!(
        again.refused(),
        LogicError::WrongState {
            command: "AUTH",
            ..
        }
    ));
}

#[test]
fn a_334_outside_auth_is_fatal() {
    let run = run_both(tls, Noop::default, &[b"334 VXNlcm5hbWU6\r\n"]);
    assert!(matches!(
        run.fatal(),
        ProtocolError::ImpossibleReply {
            command: "NOOP",
            ..
        }
    ));
}

#[test]
fn invalid_credentials_are_refused_before_a_byte() {
    let bad = || Authenticate::new(Credentials::password("tim\r\nRSET", "x"));
    let run = run_both(tls, bad, &[]);
    assert_eq!(run.written, "");
    assert!(matches!(
        run.refused(),
        LogicError::Sasl(smtp_proto::auth::SaslError::InvalidField { .. })
    ));
}

#[test]
fn debug_never_shows_a_secret() {
    let mut client = tls();
    let mut ex = client.send(password());
    let _ = ex.poll_output(std::time::Instant::now());
    let running = format!("{:?}", ex.command());
    assert!(running.contains("Plain"));
    for text in [format!("{:?}", password()), running] {
        assert!(!text.contains(PASSWORD), "{text}");
        assert!(!text.contains(PLAIN_RESPONSE), "{text}");
    }
}

/// `Debug` of the transmit, of the output that carries it and of the client never shows the
/// octets of a secret line, as text or as a list of numbers.
#[test]
fn debug_renderings_show_no_octets_of_a_secret_line() {
    let as_numbers = |text: &str| format!("{:?}", text.as_bytes());
    let numbers = as_numbers(PLAIN_RESPONSE);
    let numbers = numbers.trim_matches(['[', ']']);
    let clean = |shown: &str| {
        for secret in [PASSWORD, PLAIN_RESPONSE, numbers] {
            assert!(!shown.contains(secret), "{secret:?} in {shown}");
        }
    };
    let mut client = tls();
    let mut exchange = client.send(password());
    let now = std::time::Instant::now();
    match exchange.poll_output(now).unwrap() {
        Output::Transmit(transmit) => {
            let shown = format!("{transmit:?}");
            clean(&shown);
            assert!(shown.contains("AUTH PLAIN [secret]"), "{shown}");
            let shown = format!("{:?}", transmit.redacted());
            assert_eq!(shown, "\"AUTH PLAIN [secret]\"");
        }
        other => panic!("expected the AUTH line, got {other:?}"),
    }
    clean(&format!("{:?}", exchange.poll_output(now).unwrap()));
    clean(&format!("{exchange:?}"));
    exchange.handle_input(b"235 2.7.0 Authenticated\r\n");
    clean(&format!("{:?}", exchange.poll_output(now).unwrap()));
    drop(exchange);
    clean(&format!("{client:?}"));
    clean(&format!("{client:#?}"));
}

/// What the command was built with, and its check before anything is sent: `check` refuses
/// exactly what `start` would, so a caller can ask before it sends anything else.
#[test]
fn getters_and_check_before_sending() {
    use smtp_proto::command::Cmd;
    let auth = password();
    assert_eq!(auth.preferences(), smtp_proto::auth::PASSWORD_PREFERENCE);
    assert!(!auth.is_plaintext_allowed());
    assert_eq!(auth.mechanism(), None);
    let auth = password()
        .preference(vec![Mechanism::Login])
        .allow_plaintext(true);
    assert_eq!(auth.preferences(), [Mechanism::Login]);
    assert!(auth.is_plaintext_allowed());

    assert_eq!(password().check(tls().session()), Ok(()));
    let plaintext = ready(EHLO_TLS, false);
    assert_eq!(
        password().check(plaintext.session()),
        Err(LogicError::PlaintextAuth)
    );
    let no_login = ready("250-mx\r\n250 AUTH PLAIN\r\n", true);
    let login_only = password().preference(vec![Mechanism::Login]);
    assert_eq!(
        login_only.check(no_login.session()),
        Err(LogicError::NoMechanism)
    );
    // Credentials the exchange refuses: a control character in the user name.
    let broken = Authenticate::new(Credentials::password("tim\r\n", PASSWORD));
    assert!(matches!(
        broken.check(tls().session()),
        Err(LogicError::Sasl(SaslError::InvalidField { .. }))
    ));
}

/// A command that wraps `Authenticate`, as a library's combinator would, sees the mechanism
/// it chose once started.
#[test]
fn the_mechanism_in_use_is_visible_once_started() {
    use smtp_proto::client::Context;
    use smtp_proto::command::{Cmd, Step};
    use smtp_proto::response::Response;
    struct Watch(Authenticate, Option<Mechanism>);
    impl Cmd for Watch {
        type Output = (Mechanism, Option<Mechanism>);
        fn start(&mut self, cx: &mut Context<'_>) -> Step<Self::Output> {
            let step = self.0.start(cx);
            self.1 = self.0.mechanism().cloned();
            step.map(|m| (m, None))
        }
        fn on_reply(&mut self, reply: Response, cx: &mut Context<'_>) -> Step<Self::Output> {
            let seen = self.1.clone();
            self.0.on_reply(reply, cx).map(|m| (m, seen))
        }
    }
    let mut client = tls();
    let watch = Watch(password().preference(vec![Mechanism::Login]), None);
    let replies: [&[u8]; 3] = [
        b"334 VXNlcm5hbWU6\r\n",
        b"334 UGFzc3dvcmQ6\r\n",
        b"235 ok\r\n",
    ];
    let run = run(&mut client, watch, &replies, Feed::Whole);
    assert_eq!(run.ok(), (Mechanism::Login, Some(Mechanism::Login)));
}
