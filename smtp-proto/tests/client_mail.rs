//! The mail transaction against scripted servers: pipelining, DATA, BDAT, LMTP, refusals.

mod client_mail_support;

use client_mail_support::{client_with, run};
use smtp_proto::client::ClientConfig;
use smtp_proto::command::{Envelope, MailBody, Outcome, RecipientStatus, SendMail};

const PIPE: &[u8] = b"250-mx.example\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 8BITMIME\r\n";

fn envelope(to: &[&str]) -> Envelope {
    Envelope::new(
        "<a@example.org>".parse().unwrap(),
        to.iter().map(|t| t.parse().unwrap()),
    )
    .unwrap()
}

#[test]
fn pipelined_data_one_round_trip_for_the_envelope() {
    let mut client = client_with(ClientConfig::default(), PIPE);
    let send = SendMail::new(
        envelope(&["<b@example.net>", "<c@example.net>"]),
        MailBody::bytes(&b"Hi\n.dot\n"[..]),
    );
    let report = run(
        &mut client,
        send,
        &[
            (
                b"MAIL FROM:<a@example.org> SIZE=10\r\nRCPT TO:<b@example.net>\r\nRCPT TO:<c@example.net>\r\nDATA\r\n",
                b"250 ok\r\n250 ok\r\n550 5.1.1 no such user\r\n354 go\r\n",
            ),
            (b"Hi\r\n..dot\r\n.\r\n", b"250 2.0.0 queued\r\n"),
        ],
        &[],
    )
    .unwrap()
    .unwrap();
    assert_eq!(report.outcome(), Outcome::Partial);
    let statuses: Vec<_> = report.recipients().map(|(_, r)| r.status()).collect();
    assert_eq!(
        statuses,
        [RecipientStatus::Delivered, RecipientStatus::Refused]
    );
    assert!(client.is_usable());
}

#[test]
fn all_refused_then_354_sends_the_marker_alone() {
    let mut client = client_with(ClientConfig::default(), PIPE);
    let send = SendMail::new(
        envelope(&["<b@example.net>"]),
        MailBody::bytes(&b"secret\n"[..]),
    );
    let report = run(
        &mut client,
        send,
        &[
            (
                b"MAIL FROM:<a@example.org> SIZE=8\r\nRCPT TO:<b@example.net>\r\nDATA\r\n",
                b"250 ok\r\n550 no\r\n354 go\r\n",
            ),
            (b".\r\n", b"250 ok\r\n"),
        ],
        &[],
    )
    .unwrap()
    .unwrap();
    assert_eq!(report.outcome(), Outcome::Rejected);
}

#[test]
fn data_refused_resets_the_transaction() {
    let mut client = client_with(ClientConfig::default(), PIPE);
    let send = SendMail::new(envelope(&["<b@example.net>"]), MailBody::bytes(&b"x\n"[..]));
    let report = run(
        &mut client,
        send,
        &[
            (
                b"MAIL FROM:<a@example.org> SIZE=3\r\nRCPT TO:<b@example.net>\r\nDATA\r\n",
                b"250 ok\r\n550 no\r\n554 no valid recipients\r\n",
            ),
            (b"RSET\r\n", b"250 ok\r\n"),
        ],
        &[],
    )
    .unwrap()
    .unwrap();
    assert_eq!(report.outcome(), Outcome::Rejected);
    assert!(!client.session().in_transaction());
}

#[test]
fn without_pipelining_one_command_at_a_time() {
    let mut client = client_with(ClientConfig::default(), b"250 mx.example\r\n");
    let send = SendMail::new(
        envelope(&["<b@example.net>"]),
        MailBody::bytes(&b"x\r\n"[..]),
    );
    let report = run(
        &mut client,
        send,
        &[
            (b"MAIL FROM:<a@example.org>\r\n", b"250 ok\r\n"),
            (b"RCPT TO:<b@example.net>\r\n", b"250 ok\r\n"),
            (b"DATA\r\n", b"354 go\r\n"),
            (b"x\r\n.\r\n", b"250 ok\r\n"),
        ],
        &[],
    )
    .unwrap()
    .unwrap();
    assert_eq!(report.outcome(), Outcome::Delivered);
}

#[test]
fn size_over_limit_is_refused_before_sending() {
    let mut client = client_with(ClientConfig::default(), PIPE);
    let send = SendMail::new(
        envelope(&["<b@example.net>"]),
        MailBody::bytes(b"x\n".repeat(1000)),
    );
    let result = run(&mut client, send, &[], &[]).unwrap();
    assert!(
        matches!(
            result,
            Err(smtp_proto::command::LogicError::MessageTooLarge {
                size: 3000,
                limit: 1000
            })
        ),
        "{result:?}"
    );
    assert!(client.is_usable());
}

#[test]
fn bdat_pipelined_with_the_envelope() {
    let ehlo = b"250-mx.example\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 8BITMIME\r\n";
    let mut client = client_with(ClientConfig::default(), ehlo);
    let send = SendMail::new(
        envelope(&["<b@example.net>"]),
        MailBody::bytes(&b"caf\xc3\xa9\n.x\n"[..]),
    );
    let report = run(
        &mut client,
        send,
        &[(
            b"MAIL FROM:<a@example.org> BODY=8BITMIME\r\nRCPT TO:<b@example.net>\r\nBDAT 11 LAST\r\ncaf\xc3\xa9\r\n.x\r\n",
            b"250 ok\r\n250 ok\r\n250 2.0.0 queued\r\n",
        )],
        &[],
    )
    .unwrap()
    .unwrap();
    assert_eq!(report.outcome(), Outcome::Delivered);
}

#[test]
fn eof_after_end_of_data_is_uncertain() {
    let mut client = client_with(ClientConfig::default(), PIPE);
    let send = SendMail::new(envelope(&["<b@example.net>"]), MailBody::bytes(&b"x\n"[..]));
    let now = std::time::Instant::now();
    let mut ex = client.send(send);
    let mut wrote = Vec::new();
    let script: [&[u8]; 2] = [b"250 ok\r\n250 ok\r\n354 go\r\n", b""];
    let mut script = script.iter();
    let error = loop {
        match ex.poll_output(now) {
            Ok(smtp_proto::client::Output::Transmit(t)) => wrote.extend_from_slice(t.bytes()),
            Ok(smtp_proto::client::Output::NeedInput { .. }) => match script.next() {
                Some(b) if !b.is_empty() => ex.handle_input(b),
                _ => ex.handle_eof(),
            },
            Ok(other) => panic!("{other:?}"),
            Err(error) => break error,
        }
    };
    assert!(
        matches!(error, smtp_proto::error::ProtocolError::UnexpectedEof(_)),
        "{error}"
    );
    assert!(wrote.ends_with(b"x\r\n.\r\n"));
    let report = ex.command().report().unwrap();
    assert_eq!(report.outcome(), Outcome::Uncertain);
}
