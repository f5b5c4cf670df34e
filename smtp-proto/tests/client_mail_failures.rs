//! The mail transaction when the connection fails: uncertain only when the end of data left,
//! reports kept after a 421, nothing uncertain for an end of data that never left.

mod client_mail_support;

use client_mail_support::client_with;
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

#[test]
fn service_closing_mid_transaction_keeps_the_report() {
    let mut client = client_with(ClientConfig::default(), PIPE);
    let send = SendMail::new(envelope(&["<b@example.net>"]), MailBody::bytes(&b"x\n"[..]));
    let now = std::time::Instant::now();
    let mut ex = client.send(send);
    let _ = ex.poll_output(now);
    let _ = ex.poll_output(now);
    ex.handle_input(b"250 ok\r\n421 4.3.2 shutting down\r\n");
    let error = ex.poll_output(now).unwrap_err();
    assert!(matches!(
        error,
        smtp_proto::error::ProtocolError::ServiceClosing(_)
    ));
    let report = ex.command().report().unwrap();
    let (_, b) = report.recipients().next().unwrap();
    assert_eq!(b.rcpt_reply().unwrap().code().get(), 421);
    assert_eq!(report.outcome(), Outcome::Rejected);
}

/// A reply behind the 354 in the same read, before the body could leave (smtp-sink -A 0):
/// fatal, and nothing is uncertain, since the end of data never left.
#[test]
fn verdict_before_the_body_left_is_not_uncertain() {
    let mut client = client_with(ClientConfig::default(), PIPE);
    let send = SendMail::new(envelope(&["<b@example.net>"]), MailBody::bytes(&b"x\n"[..]));
    let now = std::time::Instant::now();
    let mut ex = client.send(send);
    assert!(matches!(
        ex.poll_output(now),
        Ok(smtp_proto::client::Output::Transmit(_))
    ));
    let _ = ex.poll_output(now);
    ex.handle_input(b"250 ok\r\n250 ok\r\n354 go\r\n550 5.7.1 violates policy\r\n");
    let error = ex.poll_output(now).unwrap_err();
    assert!(
        matches!(error, smtp_proto::error::ProtocolError::UnexpectedReply(_)),
        "{error}"
    );
    let report = ex.command().report().unwrap();
    let (_, b) = report.recipients().next().unwrap();
    assert_eq!(b.status(), RecipientStatus::NotAttempted);
    assert_eq!(report.outcome(), Outcome::NotSent);
}

/// A write that failed: the end of data in it is not known to have left.
/// The recipient's status after the write of the body and end of data fails with
/// `accepted(len)` of its octets taken by the stream.
fn status_after_failed_body_write(accepted: impl Fn(usize) -> usize) -> RecipientStatus {
    let mut client = client_with(ClientConfig::default(), PIPE);
    let send = SendMail::new(envelope(&["<b@example.net>"]), MailBody::bytes(&b"x\n"[..]));
    let now = std::time::Instant::now();
    let mut ex = client.send(send);
    let _ = ex.poll_output(now);
    let _ = ex.poll_output(now);
    ex.handle_input(b"250 ok\r\n250 ok\r\n354 go\r\n");
    let Ok(smtp_proto::client::Output::Transmit(t)) = ex.poll_output(now) else {
        panic!("the body")
    };
    assert!(t.bytes().ends_with(b".\r\n"));
    let len = t.bytes().len();
    ex.handle_write_error(accepted(len));
    ex.handle_eof();
    assert!(ex.poll_output(now).is_err());
    let report = ex.command().report().unwrap();
    report.recipients().next().unwrap().1.status()
}

#[test]
fn failed_write_of_the_end_of_data_is_not_uncertain() {
    // Nothing accepted, or the end of data cut before its LF: it never left.
    assert_eq!(
        status_after_failed_body_write(|_| 0),
        RecipientStatus::NotAttempted
    );
    assert_eq!(
        status_after_failed_body_write(|len| len - 1),
        RecipientStatus::NotAttempted
    );
}

#[test]
fn failed_write_after_the_end_of_data_was_accepted_is_uncertain() {
    // The stream took the whole end of data before the failure: it may have arrived.
    assert_eq!(
        status_after_failed_body_write(|len| len),
        RecipientStatus::Uncertain
    );
    // An adapter that cannot tell says so with more than the transmit.
    assert_eq!(
        status_after_failed_body_write(|_| usize::MAX),
        RecipientStatus::Uncertain
    );
}
