//! The mail transaction when the connection fails: uncertain only when the end of data left,
//! reports kept after a 421, nothing uncertain for an end of data that never left.

mod client_mail_support;

use client_mail_support::client_with;
use smtp_proto::client::{ClientConfig, Output};
use smtp_proto::command::{Envelope, MailBody, MailReport, Outcome, RecipientStatus, SendMail};
use smtp_proto::error::{LogicError, ProtocolError};

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

/// What a mail came to when the write of its body and end of data failed with
/// `accepted(len)` of its octets taken by the stream, the server's last octets `after` then
/// read, then the end of the connection; and its report as it then stands.
fn after_failed_body_write_at(
    accepted: impl Fn(usize) -> usize,
    after: &[u8],
) -> (
    Result<Result<MailReport, LogicError>, ProtocolError>,
    MailReport,
) {
    let mut client = client_with(ClientConfig::default(), PIPE);
    let send = SendMail::new(envelope(&["<b@example.net>"]), MailBody::bytes(&b"x\n"[..]));
    let now = std::time::Instant::now();
    let mut ex = client.send(send);
    let _ = ex.poll_output(now);
    let _ = ex.poll_output(now);
    ex.handle_input(b"250 ok\r\n250 ok\r\n354 go\r\n");
    let Ok(Output::Transmit(t)) = ex.poll_output(now) else {
        panic!("the body")
    };
    assert!(t.bytes().ends_with(b".\r\n"));
    let len = t.bytes().len();
    ex.handle_write_error(accepted(len));
    ex.handle_input(after);
    ex.handle_eof();
    let result = match ex.poll_output(now) {
        Ok(Output::Done(result)) => Ok(result),
        Ok(other) => panic!("{other:?}"),
        Err(error) => Err(error),
    };
    (result, ex.command().report().unwrap())
}

/// The same with nothing of the body taken.
fn after_failed_body_write(after: &[u8]) -> Result<Result<MailReport, LogicError>, ProtocolError> {
    after_failed_body_write_at(|_| 0, after).0
}

/// The recipient's status when nothing is read after the failure (a write that failed: the
/// end of data in it is not known to have left unless the stream took it).
fn status_after_failed_body_write(accepted: impl Fn(usize) -> usize) -> RecipientStatus {
    let (result, report) = after_failed_body_write_at(accepted, b"");
    assert_eq!(result.unwrap_err(), ProtocolError::WriteFailed);
    report.recipients().next().unwrap().1.status()
}

#[test]
fn after_a_failed_write_the_end_is_the_write_failure_not_the_server() {
    // Half a reply, or nothing, read before the end: the failed write is the cause (not a
    // truncated reply or an unexpected end of file, which would blame the server).
    for after in [&b""[..], b"552-5.3.4 too", b"552 5.3.4 too big"] {
        assert_eq!(
            after_failed_body_write(after).unwrap_err(),
            ProtocolError::WriteFailed,
            "{}",
            String::from_utf8_lossy(after)
        );
    }
    // A refusal read before the end decides the mail, even though the body did not leave.
    let Ok(Ok(report)) = after_failed_body_write(b"552 5.3.4 too big\r\n") else {
        panic!("the refusal decides")
    };
    assert_eq!(report.outcome(), Outcome::Rejected);
    let (_, b) = report.recipients().next().unwrap();
    assert_eq!(b.data_reply().map(|r| r.code().get()), Some(552));
    // A 421 read before the end is still the server closing.
    assert!(matches!(
        after_failed_body_write(b"421 4.3.2 bye\r\n").unwrap_err(),
        ProtocolError::ServiceClosing(_)
    ));
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

/// A positive verdict read after a failed write cannot answer an end of data that did not
/// leave (the server never had it): the connection fails and nothing is delivered. Once the
/// stream took the end of data, the same verdict delivers.
#[test]
fn after_a_failed_write_a_positive_reply_to_an_unsent_end_of_data_is_refused() {
    for accepted in [0, 2] {
        let (result, report) = after_failed_body_write_at(|_| accepted, b"250 2.0.0 queued\r\n");
        let error = result.unwrap_err();
        assert!(
            matches!(error, ProtocolError::UnexpectedReply(_)),
            "{error}"
        );
        assert_eq!(report.outcome(), Outcome::NotSent);
    }
    let (Ok(Ok(report)), _) = after_failed_body_write_at(|len| len, b"250 2.0.0 queued\r\n") else {
        panic!("the verdict to an end of data that left")
    };
    assert_eq!(report.outcome(), Outcome::Delivered);
}

/// MAIL needs a hello first (RFC 5321 §4.1.4): without one, a mail is refused before
/// anything is written, and the connection stays usable.
#[test]
fn a_mail_before_any_hello_is_refused_unsent() {
    use smtp_proto::client::Client;
    use smtp_proto::command::{Greeting, SendMails};
    let now = std::time::Instant::now();
    let mut client = Client::new(ClientConfig::default());
    let mut ex = client.send(Greeting);
    assert!(matches!(ex.poll_output(now), Ok(Output::NeedInput { .. })));
    ex.handle_input(b"220 mx.example ESMTP\r\n");
    assert!(matches!(ex.poll_output(now), Ok(Output::Done(Ok(_)))));
    drop(ex);
    let mails = std::iter::once((envelope(&["<b@example.net>"]), MailBody::bytes(&b"x\n"[..])));
    let single = SendMail::new(envelope(&["<b@example.net>"]), MailBody::bytes(&b"x\n"[..]));
    let refusals = [
        client
            .send(SendMails::new(mails, Default::default()))
            .poll_output(now)
            .map(|o| match o {
                Output::Done(Err(error)) => error,
                other => panic!("{other:?}"),
            }),
        client.send(single).poll_output(now).map(|o| match o {
            Output::Done(Err(error)) => error,
            other => panic!("{other:?}"),
        }),
    ];
    for refusal in refusals {
        assert!(
            matches!(
                refusal,
                Ok(LogicError::WrongState {
                    command: "MAIL",
                    ..
                })
            ),
            "{refusal:?}"
        );
    }
    assert!(client.is_usable());
}
