//! A verdict lost after the end of data left is uncertain, whatever the RCPT replies had
//! said by then (pipelined BDAT LAST leaves with MAIL and RCPT); a mail the connection
//! failed before sending to anyone is `NotSent`, not `Rejected`.

mod client_mail_support;

use std::time::{Duration, Instant};

use client_mail_support::{client_with, run};
use smtp_proto::client::{Client, ClientConfig, Output, Protocol};
use smtp_proto::command::{Envelope, MailBody, Outcome, RecipientStatus, SendMail, SendMails};
use smtp_proto::error::ProtocolError;

use RecipientStatus::{Delivered, NotAttempted, Refused, Rejected, Uncertain};

const BDAT: &[u8] = b"250-mx.example\r\n250-PIPELINING\r\n250 CHUNKING\r\n";
const DATA: &[u8] = b"250-mx.example\r\n250-PIPELINING\r\n250 8BITMIME\r\n";
const LMTP_BDAT: &[u8] = b"250-lmtp.example\r\n250-PIPELINING\r\n250 CHUNKING\r\n";

/// What the server does when the client waits for input.
#[derive(Clone, Copy)]
enum Event {
    Input(&'static [u8]),
    Eof,
    /// The awaited reply's deadline passes.
    Timeout,
}

fn envelope(to: &[&str]) -> Envelope {
    Envelope::new(
        "<a@example.org>".parse().unwrap(),
        to.iter().map(|t| t.parse().unwrap()),
    )
    .unwrap()
}

fn send(to: &[&str]) -> SendMail {
    SendMail::new(envelope(to), MailBody::bytes(&b"hi\r\n"[..]))
}

fn lmtp_client(ehlo: &[u8]) -> Client {
    let mut client = Client::new(ClientConfig::default()).with_protocol(Protocol::Lmtp);
    let open = run(
        &mut client,
        client_mail_support::Open,
        &[(b"", b"220 lmtp\r\n"), (b"EHLO client.example\r\n", ehlo)],
        &[],
    );
    assert!(matches!(open, Ok(Ok(()))), "{open:?}");
    client
}

/// Runs `send` against `events` until it fails: the error, everything the client wrote,
/// and the report as it stands.
fn fail(
    client: &mut Client,
    send: SendMail,
    events: &[Event],
) -> (ProtocolError, String, smtp_proto::command::MailReport) {
    let mut now = Instant::now();
    let mut ex = client.send(send);
    let mut wrote = Vec::new();
    let mut events = events.iter();
    let error = loop {
        match ex.poll_output(now) {
            Ok(Output::Transmit(t)) => wrote.extend_from_slice(t.bytes()),
            Ok(Output::NeedInput { deadline }) => match events.next() {
                Some(Event::Input(bytes)) => ex.handle_input(bytes),
                Some(Event::Eof) => ex.handle_eof(),
                Some(Event::Timeout) => {
                    now = deadline + Duration::from_millis(1);
                    ex.handle_timeout(now);
                }
                None => panic!("script ended: {}", String::from_utf8_lossy(&wrote)),
            },
            Ok(other) => panic!("{other:?}"),
            Err(error) => break error,
        }
    };
    let report = ex.command().report().expect("the mail started");
    (error, String::from_utf8_lossy(&wrote).into_owned(), report)
}

fn statuses(report: &smtp_proto::command::MailReport) -> Vec<RecipientStatus> {
    report.recipients().map(|(_, r)| r.status()).collect()
}

const ONE_BDAT: &str =
    "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nBDAT 4 LAST\r\nhi\r\n";

#[test]
fn bdat_last_then_eof_before_the_rcpt_reply_is_uncertain() {
    let mut client = client_with(ClientConfig::default(), BDAT);
    let (error, wrote, report) = fail(&mut client, send(&["<b@example.net>"]), &[Event::Eof]);
    assert_eq!(wrote, ONE_BDAT);
    assert_eq!(
        error,
        ProtocolError::UnexpectedEof(smtp_proto::client::ReplyKind::Mail)
    );
    assert_eq!(statuses(&report), [Uncertain]);
    assert_eq!(report.outcome(), Outcome::Uncertain);
}

#[test]
fn bdat_last_then_mail_reply_timeout_is_uncertain() {
    let mut client = client_with(ClientConfig::default(), BDAT);
    let (error, wrote, report) = fail(&mut client, send(&["<b@example.net>"]), &[Event::Timeout]);
    assert_eq!(wrote, ONE_BDAT);
    assert_eq!(
        error,
        ProtocolError::Timeout(smtp_proto::client::ReplyKind::Mail)
    );
    assert_eq!(statuses(&report), [Uncertain]);
    assert_eq!(report.outcome(), Outcome::Uncertain);
}

#[test]
fn bdat_last_then_rcpt_reply_timeout_is_uncertain() {
    let mut client = client_with(ClientConfig::default(), BDAT);
    let events = [Event::Input(b"250 ok\r\n"), Event::Timeout];
    let (error, _, report) = fail(&mut client, send(&["<b@example.net>"]), &events);
    assert_eq!(
        error,
        ProtocolError::Timeout(smtp_proto::client::ReplyKind::Rcpt)
    );
    assert_eq!(statuses(&report), [Uncertain]);
    assert_eq!(report.outcome(), Outcome::Uncertain);
}

/// Some RCPT answered 250, one 550, the rest unanswered: the accepted and the unanswered
/// may have the message, the refused one stays refused.
#[test]
fn several_recipients_answered_refused_and_unanswered() {
    let mut client = client_with(ClientConfig::default(), BDAT);
    let to = [
        "<b@example.net>",
        "<c@example.net>",
        "<d@example.net>",
        "<e@example.net>",
    ];
    let events = [
        Event::Input(b"250 ok\r\n250 ok\r\n550 5.1.1 no such user\r\n"),
        Event::Eof,
    ];
    let (error, wrote, report) = fail(&mut client, send(&to), &events);
    assert!(
        wrote.ends_with("RCPT TO:<e@example.net>\r\nBDAT 4 LAST\r\nhi\r\n"),
        "{wrote}"
    );
    assert_eq!(
        error,
        ProtocolError::UnexpectedEof(smtp_proto::client::ReplyKind::Rcpt)
    );
    assert_eq!(
        statuses(&report),
        [Uncertain, Refused, Uncertain, Uncertain]
    );
    let refused = report.recipients().nth(1).unwrap().1;
    assert_eq!(refused.rcpt_reply().unwrap().code().get(), 550);
    // Accepted at RCPT: only the first; the last two were never answered.
    let accepted: Vec<bool> = report.recipients().map(|(_, r)| r.is_accepted()).collect();
    assert_eq!(accepted, [true, false, false, false]);
    assert_eq!(report.outcome(), Outcome::Uncertain);
}

/// The replies that come after the end of data was marked sent still decide: a refusal
/// after it clears the recipient, an acceptance keeps it uncertain.
#[test]
fn rcpt_replies_after_the_end_of_data_still_decide() {
    let mut client = client_with(ClientConfig::default(), BDAT);
    let to = ["<b@example.net>", "<c@example.net>"];
    let events = [Event::Input(b"250 ok\r\n550 no\r\n250 ok\r\n"), Event::Eof];
    let (_, _, report) = fail(&mut client, send(&to), &events);
    assert_eq!(statuses(&report), [Refused, Uncertain]);
    assert_eq!(report.outcome(), Outcome::Uncertain);
}

/// MAIL refused after BDAT LAST left: nothing can be delivered, every recipient refused,
/// even though the connection died before the RCPT replies.
#[test]
fn mail_refused_after_bdat_last_left_is_not_uncertain() {
    let mut client = client_with(ClientConfig::default(), BDAT);
    let to = ["<b@example.net>", "<c@example.net>"];
    let events = [Event::Input(b"550 5.7.1 sender refused\r\n"), Event::Eof];
    let (_, _, report) = fail(&mut client, send(&to), &events);
    assert_eq!(statuses(&report), [Refused, Refused]);
    assert_eq!(report.outcome(), Outcome::Rejected);
}

/// The write that carried BDAT LAST failed after the stream accepted `accepted` octets.
fn after_failed_bdat_write(accepted: usize) -> smtp_proto::command::MailReport {
    let mut client = client_with(ClientConfig::default(), BDAT);
    let now = Instant::now();
    let mut ex = client.send(send(&["<b@example.net>"]));
    let Ok(Output::Transmit(t)) = ex.poll_output(now) else {
        panic!("the pipelined group")
    };
    assert_eq!(t.bytes(), ONE_BDAT.as_bytes());
    ex.handle_write_error(accepted);
    ex.handle_eof();
    assert!(ex.poll_output(now).is_err());
    ex.command().report().unwrap().clone()
}

/// The end of data was not accepted by the stream: it never left, so nothing is
/// uncertain, and nothing was refused either.
#[test]
fn failed_write_of_bdat_last_is_not_uncertain() {
    for accepted in [0, ONE_BDAT.len() - 1] {
        let report = after_failed_bdat_write(accepted);
        assert_eq!(statuses(&report), [NotAttempted]);
        assert_eq!(report.outcome(), Outcome::NotSent);
    }
}

/// The stream took the whole group, BDAT LAST's chunk included, before the failure: the
/// message may have arrived with its RCPT still unanswered.
#[test]
fn failed_write_after_bdat_last_was_accepted_is_uncertain() {
    let report = after_failed_bdat_write(ONE_BDAT.len());
    assert_eq!(statuses(&report), [Uncertain]);
    assert_eq!(report.outcome(), Outcome::Uncertain);
}

/// DATA: the end of data waits for the 354, which comes after every RCPT reply, so an
/// unanswered RCPT never meets an end of data that left.
#[test]
fn data_never_sends_the_end_before_the_rcpt_replies() {
    let mut client = client_with(ClientConfig::default(), DATA);
    let events = [Event::Input(b"250 ok\r\n"), Event::Eof];
    let (error, wrote, report) = fail(&mut client, send(&["<b@example.net>"]), &events);
    assert!(wrote.ends_with("DATA\r\n"), "{wrote}");
    assert_eq!(
        error,
        ProtocolError::UnexpectedEof(smtp_proto::client::ReplyKind::Rcpt)
    );
    assert_eq!(statuses(&report), [NotAttempted]);
    assert_eq!(report.outcome(), Outcome::NotSent);
}

/// LMTP over BDAT waits for the RCPT replies before the body (each accepted recipient gets
/// a verdict to BDAT LAST): a failure before them sends nothing.
#[test]
fn lmtp_bdat_waits_for_the_rcpt_replies() {
    let mut client = lmtp_client(LMTP_BDAT);
    let to = ["<b@example.net>", "<c@example.net>"];
    let events = [Event::Input(b"250 ok\r\n250 ok\r\n"), Event::Eof];
    let (error, wrote, report) = fail(&mut client, send(&to), &events);
    assert!(wrote.ends_with("RCPT TO:<c@example.net>\r\n"), "{wrote}");
    assert_eq!(
        error,
        ProtocolError::UnexpectedEof(smtp_proto::client::ReplyKind::Rcpt)
    );
    assert_eq!(statuses(&report), [NotAttempted, NotAttempted]);
    assert_eq!(report.outcome(), Outcome::NotSent);
}

/// LMTP: per-recipient verdicts; the connection dies after the first: the refused
/// recipient stays refused, the delivered one delivered, the one without a verdict
/// uncertain.
#[test]
fn lmtp_bdat_verdict_lost_per_recipient() {
    let mut client = lmtp_client(LMTP_BDAT);
    let to = ["<b@example.net>", "<c@example.net>", "<d@example.net>"];
    let events = [
        Event::Input(b"250 ok\r\n250 ok\r\n550 no\r\n250 ok\r\n"),
        Event::Input(b"250 2.0.0 b delivered\r\n"),
        Event::Eof,
    ];
    let (error, wrote, report) = fail(&mut client, send(&to), &events);
    assert!(wrote.ends_with("BDAT 4 LAST\r\nhi\r\n"), "{wrote}");
    assert_eq!(
        error,
        ProtocolError::UnexpectedEof(smtp_proto::client::ReplyKind::BdatLast)
    );
    assert_eq!(statuses(&report), [Delivered, Refused, Uncertain]);
    assert_eq!(report.outcome(), Outcome::Uncertain);
}

/// Bug 2: a reply timeout before the end of data was sent (DATA waits for its 354): nothing
/// refused the mail and nothing of it left, so it is not `Rejected`.
#[test]
fn timeout_before_the_end_of_data_is_not_sent() {
    let mut client = client_with(ClientConfig::default(), DATA);
    let events = [Event::Input(b"250 ok\r\n"), Event::Timeout];
    let (error, _, report) = fail(&mut client, send(&["<b@example.net>"]), &events);
    assert_eq!(
        error,
        ProtocolError::Timeout(smtp_proto::client::ReplyKind::Rcpt)
    );
    assert_eq!(statuses(&report), [NotAttempted]);
    assert_eq!(report.outcome(), Outcome::NotSent);
}

/// A refusal, then the connection fails before the other recipients were answered: the
/// refused recipient is refused, the rest not attempted, and the mail `NotSent` (a retry
/// cannot duplicate it, and the others never had their chance).
#[test]
fn refused_and_never_attempted_is_not_sent() {
    let mut client = client_with(ClientConfig::default(), DATA);
    let to = ["<b@example.net>", "<c@example.net>"];
    let events = [
        Event::Input(b"250 ok\r\n550 5.1.1 no such user\r\n"),
        Event::Eof,
    ];
    let (_, _, report) = fail(&mut client, send(&to), &events);
    assert_eq!(statuses(&report), [Refused, NotAttempted]);
    assert_eq!(report.outcome(), Outcome::NotSent);
}

/// Every recipient refused, then the connection fails: that is a refusal, not `NotSent`.
#[test]
fn all_refused_then_eof_stays_rejected() {
    let mut client = client_with(ClientConfig::default(), DATA);
    let events = [Event::Input(b"250 ok\r\n550 no\r\n"), Event::Eof];
    let (_, _, report) = fail(&mut client, send(&["<b@example.net>"]), &events);
    assert_eq!(statuses(&report), [Refused]);
    assert_eq!(report.outcome(), Outcome::Rejected);
}

/// A message refused at the end of data, with no recipient left unattempted: `Rejected`.
#[test]
fn rejected_at_the_end_of_data_stays_rejected() {
    let mut client = client_with(ClientConfig::default(), BDAT);
    let report = run(
        &mut client,
        send(&["<b@example.net>"]),
        &[
            (
                ONE_BDAT.as_bytes(),
                b"250 ok\r\n250 ok\r\n554 5.7.1 spam\r\n",
            ),
            (b"RSET\r\n", b"250 ok\r\n"),
        ],
        &[],
    )
    .unwrap()
    .unwrap();
    assert_eq!(statuses(&report), [Rejected]);
    assert_eq!(report.outcome(), Outcome::Rejected);
}

/// Two mails of `hi` to one recipient, sent in one exchange.
fn two_mails() -> SendMails<impl Iterator<Item = (Envelope, MailBody)>> {
    let mails = (0..2).map(|_| {
        (
            envelope(&["<b@example.net>"]),
            MailBody::bytes(&b"hi\r\n"[..]),
        )
    });
    SendMails::new(mails, Default::default())
}

/// Several pipelined mails over BDAT: the connection dies with the first mail's whole
/// group written and unanswered. The first mail is uncertain; the second was not written
/// (BDAT waits for the verdict before the next MAIL).
#[test]
fn send_mails_bdat_first_group_unanswered_is_uncertain() {
    let mut client = client_with(ClientConfig::default(), BDAT);
    let now = Instant::now();
    let mut ex = client.send(two_mails());
    let mut wrote = Vec::new();
    loop {
        match ex.poll_output(now) {
            Ok(Output::Transmit(t)) => wrote.extend_from_slice(t.bytes()),
            Ok(Output::NeedInput { .. }) => ex.handle_eof(),
            Ok(other) => panic!("{other:?}"),
            Err(_) => break,
        }
    }
    assert_eq!(wrote, ONE_BDAT.as_bytes());
    let reports: Vec<_> = ex.command().interrupted_reports().collect();
    let outcomes: Vec<_> = reports.iter().map(|r| r.outcome()).collect();
    assert_eq!(outcomes, [Outcome::Uncertain]);
}

/// The first of two pipelined BDAT mails is delivered, then the connection dies with the
/// second's group unanswered: the caller pops the finished mail's report and finds the
/// second among the interrupted ones, uncertain (what the adapters do after a fatal error).
#[test]
fn send_mails_finished_before_a_fatal_error_are_popped_in_order() {
    let mut client = client_with(ClientConfig::default(), BDAT);
    let now = Instant::now();
    let mut ex = client.send(two_mails());
    let mut wrote = Vec::new();
    let mut answered = false;
    let error = loop {
        match ex.poll_output(now) {
            Ok(Output::Transmit(t)) => wrote.extend_from_slice(t.bytes()),
            Ok(Output::NeedInput { .. }) if !answered => {
                answered = true;
                ex.handle_input(b"250 ok\r\n250 ok\r\n250 first\r\n");
            }
            Ok(Output::NeedInput { .. }) => ex.handle_eof(),
            Ok(other) => panic!("{other:?}"),
            Err(error) => break error,
        }
    };
    assert_eq!(wrote, ONE_BDAT.repeat(2).as_bytes());
    assert_eq!(
        error,
        ProtocolError::UnexpectedEof(smtp_proto::client::ReplyKind::Mail)
    );
    let first = ex.command_mut().pop_finished().unwrap().unwrap();
    assert_eq!(first.outcome(), Outcome::Delivered);
    assert!(ex.command_mut().pop_finished().is_none());
    let rest: Vec<_> = ex
        .command()
        .interrupted_reports()
        .map(|r| r.outcome())
        .collect();
    assert_eq!(rest, [Outcome::Uncertain]);
}

/// A recipient deferred with 452 is sent again in a second transaction; the connection dies
/// after that transaction's BDAT LAST left and before any reply. The recipient is uncertain
/// with no RCPT answer: the 452 answered the first RCPT, not the one now unanswered.
#[test]
fn deferred_recipient_unanswered_in_its_retry_has_no_stale_reply() {
    let mut client = client_with(ClientConfig::default(), BDAT);
    let to = ["<b@example.net>", "<c@example.net>"];
    let events = [
        Event::Input(b"250 ok\r\n250 ok\r\n452 4.5.3 too many recipients\r\n250 first\r\n"),
        Event::Eof,
    ];
    let (error, wrote, report) = fail(&mut client, send(&to), &events);
    assert!(
        wrote.ends_with(&format!(
            "{}BDAT 4 LAST\r\nhi\r\n",
            "RCPT TO:<c@example.net>\r\n"
        )),
        "{wrote}"
    );
    assert_eq!(
        error,
        ProtocolError::UnexpectedEof(smtp_proto::client::ReplyKind::Mail)
    );
    assert_eq!(statuses(&report), [Delivered, Uncertain]);
    let retried = report.recipients().nth(1).unwrap().1;
    assert_eq!(retried.rcpt_reply(), None);
    assert_eq!(retried.rcpt_answer(), None);
    assert!(!retried.is_accepted());
    assert_eq!(report.outcome(), Outcome::Uncertain);
}

/// The same over DATA, where nothing of the body leaves before the RCPT replies: the
/// retried recipient is not attempted, again without the first RCPT's 452.
#[test]
fn deferred_recipient_unanswered_in_its_retry_over_data_is_not_attempted() {
    let mut client = client_with(ClientConfig::default(), DATA);
    let to = ["<b@example.net>", "<c@example.net>"];
    let events = [
        Event::Input(b"250 ok\r\n250 ok\r\n452 4.5.3 too many recipients\r\n354 go\r\n"),
        Event::Input(b"250 first\r\n"),
        Event::Eof,
    ];
    let (_, wrote, report) = fail(&mut client, send(&to), &events);
    assert!(
        wrote.ends_with("RCPT TO:<c@example.net>\r\nDATA\r\n"),
        "{wrote}"
    );
    assert_eq!(statuses(&report), [Delivered, NotAttempted]);
    let retried = report.recipients().nth(1).unwrap().1;
    assert_eq!(retried.rcpt_reply(), None);
    assert_eq!(retried.rcpt_answer(), None);
    assert_eq!(report.outcome(), Outcome::Partial);
    assert_eq!(report.transactions().len(), 2);
}

/// A streamed BDAT body: MAIL's 250 arrives while the body is still being handed over, the
/// RCPT reply never does. The recipient may have the message: uncertain, as when MAIL's
/// reply had not come either.
#[test]
fn mail_accepted_before_a_streamed_bdat_last_then_eof_is_uncertain() {
    let mut client = client_with(ClientConfig::default(), BDAT);
    let send = SendMail::new(
        envelope(&["<b@example.net>"]),
        MailBody::Streamed(smtp_proto::command::StreamedBody::default()),
    );
    let now = Instant::now();
    let mut ex = client.send(send);
    let mut wrote = Vec::new();
    let mut mail_reply_given = false;
    let mut body_ended = false;
    let error = loop {
        match ex.poll_output(now) {
            Ok(Output::Transmit(t)) => wrote.extend_from_slice(t.bytes()),
            Ok(Output::NeedBody) if !mail_reply_given => {
                ex.handle_input(b"250 2.1.0 ok\r\n");
                mail_reply_given = true;
                ex.handle_body(b"hi\r\n");
            }
            Ok(Output::NeedBody) => {
                assert!(!body_ended);
                body_ended = true;
                ex.handle_body_end();
            }
            Ok(Output::NeedInput { .. }) => ex.handle_eof(),
            Ok(other) => panic!("{other:?}"),
            Err(error) => break error,
        }
    };
    assert!(body_ended);
    assert_eq!(String::from_utf8_lossy(&wrote), ONE_BDAT);
    assert_eq!(
        error,
        ProtocolError::UnexpectedEof(smtp_proto::client::ReplyKind::Rcpt)
    );
    let report = ex.command().report().expect("the mail started");
    assert_eq!(statuses(&report), [Uncertain]);
    assert_eq!(report.outcome(), Outcome::Uncertain);
}
