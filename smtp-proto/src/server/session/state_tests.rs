//! What the session learns from the application's replies: when AUTH may start (RFC 4954
//! §4 and §6, RFC 5321 §3.1), what TLS forgets (RFC 3207 §4.2), LMTP's reply count for a
//! message too large (RFC 2033 §4.2), and the longer lines SASL may use.

use super::super::{AuthGate, Event, Output, Refusal, Reply, Server, ServerConfig};
use super::super::{Command, CommandError};

fn reply(text: &str) -> Reply {
    text.parse().unwrap()
}

fn server(config: ServerConfig, greeting: &str) -> Server {
    let mut server = Server::new(config);
    server.reply(reply(greeting)).unwrap();
    assert!(matches!(server.poll_output(), Output::Transmit(_)));
    server
}

/// Feeds `input`, answers commands with `answer(command)` (250 when `None`) and
/// credentials with 235; returns what was written and the refusals.
fn run(
    server: &mut Server,
    input: &[u8],
    answer: impl Fn(&Command) -> Option<&'static str>,
) -> (String, Vec<Refusal>) {
    server.handle_input(input);
    let (mut written, mut refusals) = (Vec::new(), Vec::new());
    loop {
        match server.poll_output() {
            Output::Transmit(bytes) => written.extend(bytes),
            Output::Event(Event::Command(command)) => {
                let text = answer(&command).unwrap_or(match command {
                    Command::Data => "354 go",
                    _ => "250 ok",
                });
                server.reply(reply(text)).unwrap();
            }
            Output::Event(Event::Authenticate(_)) => server.reply(reply("235 ok")).unwrap(),
            Output::Event(Event::DataEnd) => server.reply(reply("250 queued")).unwrap(),
            Output::Event(Event::Refused(refusal)) => refusals.push(refusal),
            Output::Event(_) => {}
            _ => return (String::from_utf8(written).unwrap(), refusals),
        }
    }
}

fn gate(refusals: &[Refusal]) -> Option<AuthGate> {
    refusals.iter().find_map(|r| match r {
        Refusal::AuthNotAllowed(gate) => Some(*gate),
        _ => None,
    })
}

const PLAIN: &[u8] = b"AUTH PLAIN AHVzZXIAcGVuY2ls\r\n";
const LOGIN: &[u8] = b"AUTH LOGIN\r\n";

#[test]
fn auth_waits_for_the_end_of_a_transaction_and_runs_once() {
    let mut s = server(ServerConfig::default(), "220 ready");
    let none = |_: &Command| None;
    run(&mut s, b"EHLO c\r\nMAIL FROM:<a@x>\r\n", none);
    let (out, refusals) = run(&mut s, LOGIN, none);
    assert_eq!(
        out,
        "503 5.5.1 AUTH not permitted during a mail transaction\r\n"
    );
    assert_eq!(gate(&refusals), Some(AuthGate::InTransaction));
    // The reply to the end of data ends the transaction, whatever it says.
    run(&mut s, b"RCPT TO:<b@y>\r\nDATA\r\nhi\r\n.\r\n", none);
    let (out, _) = run(&mut s, PLAIN, none);
    assert_eq!(out, "235 ok\r\n");
    let (out, refusals) = run(&mut s, LOGIN, none);
    assert_eq!(out, "503 5.5.1 Already authenticated\r\n");
    assert_eq!(gate(&refusals), Some(AuthGate::AlreadyAuthenticated));
}

#[test]
fn a_refused_mail_opens_no_transaction_and_rset_closes_one() {
    let mut s = server(ServerConfig::default(), "220 ready");
    let refuse_mail = |c: &Command| matches!(c, Command::Mail { .. }).then_some("550 no");
    let (_, refusals) = run(
        &mut s,
        b"MAIL FROM:<a@x>\r\nAUTH LOGIN\r\n*\r\n",
        refuse_mail,
    );
    assert_eq!(gate(&refusals), None, "{refusals:?}");
    let (_, refusals) = run(&mut s, b"MAIL FROM:<a@x>\r\nRSET\r\n", |_| None);
    assert!(refusals.is_empty());
    let (out, _) = run(&mut s, PLAIN, |_| None);
    assert_eq!(out, "235 ok\r\n");
}

#[test]
fn auth_needing_tls_is_538_before_any_challenge_until_tls() {
    let config = ServerConfig {
        auth_requires_tls: true,
        ..ServerConfig::default()
    };
    let mut s = server(config.clone(), "220 ready");
    for line in [LOGIN, PLAIN] {
        let (out, refusals) = run(&mut s, line, |_| None);
        assert_eq!(
            out,
            "538 5.7.11 Encryption required for requested authentication mechanism\r\n"
        );
        assert_eq!(gate(&refusals), Some(AuthGate::EncryptionRequired));
    }
    run(&mut s, b"STARTTLS\r\n", |_| Some("220 go"));
    s.tls_established().unwrap();
    let (out, _) = run(&mut s, LOGIN, |_| None);
    assert_eq!(out, "334 VXNlcm5hbWU6\r\n", "a challenge, under TLS");

    let mut s = server(config, "220 ready").implicit_tls();
    let (out, _) = run(&mut s, PLAIN, |_| None);
    assert_eq!(out, "235 ok\r\n");
}

#[test]
fn tls_forgets_the_authentication_and_the_transaction() {
    let mut s = server(ServerConfig::default(), "220 ready");
    run(&mut s, PLAIN, |_| None);
    run(&mut s, b"MAIL FROM:<a@x>\r\nSTARTTLS\r\n", |c| {
        matches!(c, Command::StartTls).then_some("220 go")
    });
    s.tls_established().unwrap();
    let (out, refusals) = run(&mut s, PLAIN, |_| None);
    assert_eq!(out, "235 ok\r\n", "{refusals:?}");
}

/// The handshake forgets the message as well (RFC 3207 §4.2), as an accepted hello does:
/// octets of BDAT chunks read before STARTTLS do not count towards a chunk after it, and a
/// message refused as too large does not stay refused. The application, not the core,
/// answers a chunk after the handshake (a real one refuses it for want of a MAIL; here
/// every command gets 250). Found by the server fuzz target's "afresh" property
/// (notes/fuzzing.md, twenty-second session).
#[test]
fn tls_forgets_the_message_size() {
    let config = ServerConfig {
        max_message_size: 10,
        ..ServerConfig::default()
    };
    for first in [&b"BDAT 8\r\n01234567"[..], b"BDAT 12\r\n0123456789ab"] {
        let mut s = server(config.clone(), "220 ready");
        run(
            &mut s,
            b"EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\n",
            |_| None,
        );
        run(&mut s, first, |_| None);
        run(&mut s, b"STARTTLS\r\n", |c| {
            matches!(c, Command::StartTls).then_some("220 go")
        });
        s.tls_established().unwrap();
        let (out, refusals) = run(&mut s, b"BDAT 8 LAST\r\n01234567", |_| None);
        assert_eq!(out, "250 ok\r\n", "{refusals:?}");
        assert!(refusals.is_empty(), "{refusals:?}");
    }
}

#[test]
fn no_mechanism_or_helo_is_502_and_a_refused_greeting_503() {
    let config = ServerConfig {
        mechanisms: Vec::new(),
        ..ServerConfig::default()
    };
    let mut s = server(config, "220 ready");
    let (out, refusals) = run(&mut s, LOGIN, |_| None);
    assert_eq!(out, "502 5.5.1 AUTH not available\r\n");
    assert_eq!(gate(&refusals), Some(AuthGate::NotOffered));

    // After HELO, AUTH is not offered either (RFC 5321 §4.1.1.1); EHLO offers it again.
    let mut s = server(ServerConfig::default(), "220 ready");
    run(&mut s, b"HELO c\r\n", |_| None);
    let (out, refusals) = run(&mut s, PLAIN, |_| None);
    assert_eq!(out, "502 5.5.1 AUTH not available\r\n");
    assert_eq!(gate(&refusals), Some(AuthGate::NotOffered));
    run(&mut s, b"EHLO c\r\n", |_| None);
    assert_eq!(run(&mut s, PLAIN, |_| None).0, "235 ok\r\n");

    let mut s = server(ServerConfig::default(), "554 not now");
    let (out, refusals) = run(&mut s, LOGIN, |_| None);
    assert_eq!(out, "503 5.5.1 No service here, only QUIT\r\n");
    assert_eq!(gate(&refusals), Some(AuthGate::GreetingRefused));
}

#[test]
fn a_message_too_large_gets_one_552_per_accepted_lmtp_recipient() {
    for (hello, replies) in [("LHLO c", 2), ("EHLO c", 1)] {
        for bdat in [false, true] {
            let config = ServerConfig {
                max_message_size: 4,
                ..ServerConfig::default()
            };
            let mut s = server(config, "220 ready");
            let refuse_c = |c: &Command| match c {
                Command::Rcpt { to, .. } if to.to_string().contains("c@") => Some("550 no"),
                _ => None,
            };
            let envelope = "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nRCPT TO:<c@y>\r\nRCPT TO:<d@y>\r\n";
            run(
                &mut s,
                format!("{hello}\r\n{envelope}").as_bytes(),
                refuse_c,
            );
            let message: &[u8] = if bdat {
                b"BDAT 10 LAST\r\n0123456789"
            } else {
                b"DATA\r\n0123456789\r\n.\r\n"
            };
            let (out, refusals) = run(&mut s, message, |_| None);
            let expected = "552 5.3.4 Message too big\r\n".repeat(replies);
            assert_eq!(
                out.trim_start_matches("354 go\r\n"),
                expected,
                "{hello} bdat {bdat}"
            );
            assert!(matches!(
                refusals[..],
                [Refusal::MessageTooLarge { limit: 4 }]
            ));
            // The transaction ended: AUTH may start.
            assert_eq!(gate(&run(&mut s, LOGIN, |_| None).1), None);
        }
    }
}

#[test]
fn auth_lines_and_sasl_responses_may_reach_12288_octets() {
    let mut s = server(ServerConfig::default(), "220 ready");
    // An AUTH command line longer than the 4096-octet command limit.
    let long = "A".repeat(6000);
    let (out, refusals) = run(&mut s, format!("AUTH PLAIN {long}\r\n").as_bytes(), |_| {
        None
    });
    assert!(
        out.starts_with("501"),
        "malformed, not too long: {out} {refusals:?}"
    );
    // A SASL response after an empty challenge.
    let (out, _) = run(&mut s, b"AUTH PLAIN\r\n", |_| None);
    assert_eq!(out, "334 \r\n");
    let (out, refusals) = run(&mut s, format!("{long}\r\n").as_bytes(), |_| None);
    assert!(
        out.starts_with("501"),
        "malformed, not too long: {out} {refusals:?}"
    );
    // Past 12288 octets, and any other command past 4096, is too long.
    let (out, _) = run(
        &mut s,
        format!("AUTH PLAIN {}\r\n", "A".repeat(12288)).as_bytes(),
        |_| None,
    );
    assert_eq!(out, "500 5.5.2 Line too long\r\n");
    let (out, refusals) = run(&mut s, format!("NOOP {long}\r\n").as_bytes(), |_| None);
    assert_eq!(out, "500 5.5.2 Line too long\r\n");
    assert!(matches!(
        refusals[..],
        [Refusal::Command(CommandError::LineTooLong { limit: 4096 })]
    ));
}

/// The size of a message spans its BDAT chunks until the transaction ends: a MAIL, hello
/// or RSET the application refuses does not end it, so it does not reset the count (or a
/// client could pass any size in chunks, one refused command between each).
#[test]
fn a_refused_mail_between_chunks_does_not_reset_the_message_size() {
    let config = ServerConfig {
        max_message_size: 10,
        ..ServerConfig::default()
    };
    let mut s = server(config, "220 ready");
    run(
        &mut s,
        b"EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\n",
        |_| None,
    );
    let (out, _) = run(&mut s, b"BDAT 8\r\n01234567", |_| None);
    assert_eq!(out, "250 ok\r\n");
    let nested = |c: &Command| matches!(c, Command::Mail { .. }).then_some("503 nested");
    let (out, _) = run(&mut s, b"MAIL FROM:<a@x>\r\n", nested);
    assert_eq!(out, "503 nested\r\n");
    let (out, refusals) = run(&mut s, b"BDAT 8 LAST\r\n01234567", |_| None);
    assert_eq!(out, "552 5.3.4 Message too big\r\n", "{refusals:?}");
    // An accepted RSET ends it: the next message counts from zero.
    run(
        &mut s,
        b"RSET\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\n",
        |_| None,
    );
    let (out, _) = run(&mut s, b"BDAT 8 LAST\r\n01234567", |_| None);
    assert_eq!(out, "250 ok\r\n");
}
