//! What a mail reuses from the one before it (its body summary, its MAIL and RCPT lines)
//! changes nothing on the wire: many mails in one `SendMails` write exactly the bytes that
//! the same mails write one `SendMails` each.

use std::time::Instant;

use crate::client::{Client, ClientConfig, Output};
use crate::command::{Cmd, Establish, TlsPolicy};
use crate::response::Bytes;
use crate::syntax::ClientId;
use crate::testing::AutoResponder;

use super::{Envelope, MailBody, MailReport, SendMails};

const EHLO: &[u8] = b"250-mx.example\r\n250-PIPELINING\r\n250-SIZE 100000\r\n250 8BITMIME\r\n";

/// Runs `cmd` against an [`AutoResponder`]; returns what the client wrote.
fn run<C: Cmd>(client: &mut Client, server: &mut AutoResponder, cmd: C) -> (Vec<u8>, C::Output) {
    let now = Instant::now();
    let (mut written, mut replies) = (Vec::new(), Vec::new());
    let mut ex = client.send(cmd);
    loop {
        match ex.poll_output(now).unwrap() {
            Output::Transmit(t) => {
                written.extend_from_slice(t.bytes());
                server.read(t.bytes(), &mut replies);
            }
            Output::NeedInput { .. } => {
                let input = std::mem::take(&mut replies);
                assert!(
                    !input.is_empty(),
                    "the server owes nothing; client wrote {}",
                    written.escape_ascii()
                );
                ex.handle_input(&input);
            }
            Output::Done(result) => return (written, result.unwrap()),
            _ => panic!("unexpected output"),
        }
    }
}

fn open() -> (Client, AutoResponder) {
    let mut server = AutoResponder::new(EHLO);
    let mut client = Client::new(ClientConfig::default());
    let mut replies = Vec::new();
    server.greet(&mut replies);
    let setup = Establish::new(ClientId::localhost())
        .unwrap()
        .tls(TlsPolicy::Disabled);
    let now = Instant::now();
    let mut ex = client.send(setup);
    loop {
        match ex.poll_output(now).unwrap() {
            Output::Transmit(t) => server.read(t.bytes(), &mut replies),
            Output::NeedInput { .. } => {
                let input = std::mem::take(&mut replies);
                assert!(
                    !input.is_empty(),
                    "the server owes nothing during the setup"
                );
                ex.handle_input(&input);
            }
            Output::Done(result) => {
                result.unwrap();
                break;
            }
            _ => panic!("unexpected output"),
        }
    }
    drop(ex);
    (client, server)
}

fn envelope(from: &str, to: &[&str]) -> Envelope {
    let to = to.iter().map(|t| t.parse().unwrap());
    Envelope::new(from.parse().unwrap(), to).unwrap()
}

/// Each mail's outcome and replies, to compare runs.
fn outcomes(
    reports: impl IntoIterator<Item = Result<MailReport, crate::command::LogicError>>,
) -> Vec<String> {
    reports
        .into_iter()
        .map(|r| match r {
            Ok(report) => format!("{:?} {}", report.outcome(), report.delivered_count()),
            Err(error) => format!("refused: {error}"),
        })
        .collect()
}

#[test]
fn reused_lines_and_summaries_write_the_same_bytes() {
    let shared = Bytes::from_static(b"Subject: x\r\n\r\nhello\r\n");
    let other = Bytes::from(b"Subject: y\r\n\r\n.dot\n8bit \xc3\xa9\r\n".to_vec());
    let same_octets_elsewhere = Bytes::from(shared.to_vec());
    let mails = vec![
        (
            envelope("<a@example.org>", &["<b@example.net>"]),
            MailBody::Bytes(shared.clone()),
        ),
        (
            envelope("<a@example.org>", &["<b@example.net>"]),
            MailBody::Bytes(shared.clone()),
        ),
        // Another recipient list, then the first envelope again.
        (
            envelope("<a@example.org>", &["<b@example.net>", "<c@example.net>"]),
            MailBody::Bytes(shared.clone()),
        ),
        // The same MAIL line with recipients that are not a prefix of the ones before.
        (
            envelope("<a@example.org>", &["<c@example.net>"]),
            MailBody::Bytes(shared.clone()),
        ),
        (
            envelope("<a@example.org>", &["<b@example.net>"]),
            MailBody::Bytes(shared.clone()),
        ),
        // Another body (8-bit, a dot to stuff, a bare LF), so other MAIL parameters.
        (
            envelope("<a@example.org>", &["<b@example.net>"]),
            MailBody::Bytes(other.clone()),
        ),
        (
            envelope("<a@example.org>", &["<b@example.net>"]),
            MailBody::Bytes(other),
        ),
        // A body refused before anything is sent, then the envelope from before it.
        (
            envelope("<a@example.org>", &["<b@example.net>"]),
            MailBody::bytes(&b"nul \0\r\n"[..]),
        ),
        (
            envelope("<a@example.org>", &["<b@example.net>"]),
            MailBody::Bytes(shared.clone()),
        ),
        // The same octets in another buffer, and another sender.
        (
            envelope("<a@example.org>", &["<b@example.net>"]),
            MailBody::Bytes(same_octets_elsewhere),
        ),
        (
            envelope("<z@example.org>", &["<b@example.net>"]),
            MailBody::Bytes(shared),
        ),
    ];

    let (mut client, mut server) = open();
    let (together, reports) = run(
        &mut client,
        &mut server,
        SendMails::new(mails.clone().into_iter(), Default::default()),
    );

    let (mut client, mut server) = open();
    let mut one_by_one = Vec::new();
    let mut single_reports = Vec::new();
    for mail in mails {
        let (bytes, mut reports) = run(
            &mut client,
            &mut server,
            SendMails::new(std::iter::once(mail), Default::default()),
        );
        one_by_one.extend_from_slice(&bytes);
        single_reports.extend(reports.drain(..));
    }
    // The pipelined run writes the same bytes, only grouped differently.
    assert_eq!(
        together.escape_ascii().to_string(),
        one_by_one.escape_ascii().to_string()
    );
    assert_eq!(outcomes(reports), outcomes(single_reports));
    let text = String::from_utf8_lossy(&together);
    assert_eq!(text.matches("RCPT TO:<c@example.net>").count(), 2);
    assert_eq!(text.matches(" BODY=8BITMIME").count(), 2, "{text}");
    assert_eq!(text.matches("MAIL FROM:<z@example.org> SIZE=").count(), 1);
    assert_eq!(text.matches("\r\n..dot\r\n").count(), 2);
}
