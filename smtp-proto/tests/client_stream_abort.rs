//! BDAT transfers that stop early, found by the `client` fuzz target: a streamed body
//! aborted before the pipelined MAIL and RCPT replies arrived, and an LMTP chunk refused
//! with BDAT LAST already in the pipeline. The transaction waits for every reply, then RSET,
//! and the connection stays in step.

mod client_mail_support;

use std::num::NonZeroUsize;

use client_mail_support::{Open, client_with, run};
use smtp_proto::client::{Client, ClientConfig, Protocol};
use smtp_proto::command::{
    Envelope, LogicError, MailBody, RecipientStatus, SendMail, StreamedBody, TransactionOptions,
};

const EHLO: &[u8] = b"250-mx.example\r\n250-PIPELINING\r\n250 CHUNKING\r\n";

/// From `<a@example.org>` to `to`.
fn envelope(to: &[&str]) -> Envelope {
    Envelope::new(
        "<a@example.org>".parse().unwrap(),
        to.iter().map(|path| path.parse().unwrap()),
    )
    .unwrap()
}

fn send() -> SendMail {
    let envelope = envelope(&["<b@example.net>"]);
    let options = TransactionOptions {
        bdat_chunk_size: NonZeroUsize::new(30).unwrap(),
        ..TransactionOptions::default()
    };
    SendMail::with_options(
        envelope,
        MailBody::Streamed(StreamedBody::default()),
        options,
    )
}

#[test]
fn abort_before_mail_reply_waits_for_the_envelope_then_resets() {
    let mut client = client_with(ClientConfig::default(), EHLO);
    let result = run(
        &mut client,
        send(),
        &[
            (
                b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n",
                b"250 2.1.0 ok\r\n250 2.1.5 ok\r\n",
            ),
            (b"RSET\r\n", b"250 2.0.0 reset\r\n"),
        ],
        &[b"Subject: x\r\n\r\nnul", b"\0here\r\n"],
    )
    .unwrap();
    assert!(matches!(result, Err(LogicError::Body(_))), "{result:?}");
    assert!(client.is_usable());
    assert!(!client.session().in_transaction());
}

#[test]
fn abort_before_a_refused_mail_reply_ends_without_rset() {
    let mut client = client_with(ClientConfig::default(), EHLO);
    let result = run(
        &mut client,
        send(),
        &[(
            b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n",
            b"550 5.7.1 no\r\n503 5.5.1 no MAIL\r\n",
        )],
        &[b"Subject: x\r\n\r\nnul", b"\0here\r\n"],
    )
    .unwrap();
    assert!(matches!(result, Err(LogicError::Body(_))), "{result:?}");
    assert!(client.is_usable());
}

#[test]
fn lmtp_refused_chunk_with_bdat_last_in_flight_reads_the_verdicts_then_resets() {
    refused_chunk_over_lmtp(&["<b@example.net>"]);
}

/// The same with two recipients: RSET waits for both verdicts to BDAT LAST, and is written
/// once.
#[test]
fn lmtp_refused_chunk_waits_for_every_verdict_before_one_rset() {
    refused_chunk_over_lmtp(&["<b@example.net>", "<c@example.net>"]);
}

/// Over LMTP with pipelined BDAT, the first of three chunks refused while the others (LAST
/// included) are in flight: every recipient is rejected with the refusal, the verdicts to
/// LAST are read, then one RSET, and the client stays usable.
fn refused_chunk_over_lmtp(to: &[&str]) {
    let mut client = Client::new(ClientConfig::default()).with_protocol(Protocol::Lmtp);
    let opened = run(
        &mut client,
        Open,
        &[
            (b"", b"220 mx.example LMTP\r\n"),
            (b"EHLO client.example\r\n", EHLO),
        ],
        &[],
    );
    assert!(matches!(opened, Ok(Ok(()))), "{opened:?}");
    let envelope = envelope(to);
    let options = TransactionOptions {
        bdat_chunk_size: NonZeroUsize::new(4).unwrap(),
        ..TransactionOptions::default()
    };
    let send = SendMail::with_options(envelope, MailBody::bytes(&b"hi there\r\n"[..]), options);
    let rcpts: String = to
        .iter()
        .map(|path| format!("RCPT TO:{path}\r\n"))
        .collect();
    let envelope_lines = format!("MAIL FROM:<a@example.org>\r\n{rcpts}");
    let accepted = format!("250 2.1.0 ok\r\n{}", "250 2.1.5 ok\r\n".repeat(to.len()));
    let chunks = format!(
        "500 5.0.0 no\r\n250 2.0.0 chunk ok\r\n{}",
        "250 2.0.0 queued\r\n".repeat(to.len())
    );
    let report = run(
        &mut client,
        send,
        &[
            (envelope_lines.as_bytes(), accepted.as_bytes()),
            (
                b"BDAT 4\r\nhi tBDAT 4\r\nhereBDAT 2 LAST\r\n\r\n",
                chunks.as_bytes(),
            ),
            (b"RSET\r\n", b"250 2.0.0 reset\r\n"),
        ],
        &[],
    )
    .unwrap()
    .unwrap();
    for (_, recipient) in report.recipients() {
        assert_eq!(recipient.status(), RecipientStatus::Rejected);
        assert_eq!(recipient.data_reply().unwrap().code().get(), 500);
    }
    assert!(client.is_usable());
}

/// The MAIL and RCPT replies arrive while the client waits for the body (a caller that
/// hands input over whenever it comes), then the body breaks before a chunk was written:
/// RSET at once, and the refusal of the body is the result.
#[test]
fn abort_after_the_envelope_replies_resets_at_once() {
    use smtp_proto::client::Output;
    let mut client = client_with(ClientConfig::default(), EHLO);
    let now = std::time::Instant::now();
    let mut ex = client.send(send());
    let Ok(Output::Transmit(t)) = ex.poll_output(now) else {
        panic!("the envelope")
    };
    assert_eq!(
        t.bytes(),
        b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n"
    );
    assert!(matches!(ex.poll_output(now), Ok(Output::NeedBody)));
    ex.handle_input(b"250 2.1.0 ok\r\n250 2.1.5 ok\r\n");
    ex.handle_body(b"nul\0");
    let Ok(Output::Transmit(t)) = ex.poll_output(now) else {
        panic!("RSET")
    };
    assert_eq!(t.bytes(), b"RSET\r\n");
    assert!(matches!(ex.poll_output(now), Ok(Output::NeedInput { .. })));
    ex.handle_input(b"250 2.0.0 reset\r\n");
    let result = ex.poll_output(now);
    assert!(
        matches!(result, Ok(Output::Done(Err(LogicError::Body(_))))),
        "{result:?}"
    );
    assert!(client.is_usable());
}

/// A streamed body is held to what it declares: 8-bit octets only with `eight_bit`.
fn eight_bit_body(eight_bit: bool) -> SendMail {
    let envelope = envelope(&["<b@example.net>"]);
    let body = StreamedBody {
        eight_bit,
        ..StreamedBody::default()
    };
    SendMail::with_options(
        envelope,
        MailBody::Streamed(body),
        TransactionOptions::default(),
    )
}

const EHLO_8BIT: &[u8] = b"250-mx.example\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 CHUNKING\r\n";
const UTF8_BODY: &[u8] = b"Subject: x\r\n\r\nh\xc3\xa9\r\n";

#[test]
fn an_undeclared_8_bit_octet_aborts_the_streamed_body() {
    let mut client = client_with(ClientConfig::default(), EHLO_8BIT);
    let result = run(
        &mut client,
        eight_bit_body(false),
        &[
            (
                b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n",
                b"250 2.1.0 ok\r\n250 2.1.5 ok\r\n",
            ),
            (b"RSET\r\n", b"250 2.0.0 reset\r\n"),
        ],
        &[UTF8_BODY],
    )
    .unwrap();
    assert!(matches!(result, Err(LogicError::Body(_))), "{result:?}");
    assert!(client.is_usable());
}

#[test]
fn a_declared_8_bit_streamed_body_goes_as_is() {
    let mut client = client_with(ClientConfig::default(), EHLO_8BIT);
    let sent = [
        b"MAIL FROM:<a@example.org> BODY=8BITMIME\r\nRCPT TO:<b@example.net>\r\nBDAT 19 LAST\r\n"
            .as_slice(),
        UTF8_BODY,
    ]
    .concat();
    let report = run(
        &mut client,
        eight_bit_body(true),
        &[(
            &sent,
            b"250 2.1.0 ok\r\n250 2.1.5 ok\r\n250 2.0.0 queued\r\n",
        )],
        &[UTF8_BODY],
    )
    .unwrap()
    .unwrap();
    assert_eq!(report.outcome(), smtp_proto::command::Outcome::Delivered);
}

/// Over SMTP with pipelined BDAT, the first of three chunks refused while the others (LAST
/// included) are in flight: RSET waits for the reply to LAST too, so that it does not
/// overtake a transaction the server may still be closing.
#[test]
fn smtp_refused_chunk_waits_for_the_reply_to_bdat_last_before_rset() {
    let mut client = client_with(ClientConfig::default(), EHLO);
    let envelope = envelope(&["<b@example.net>"]);
    let options = TransactionOptions {
        bdat_chunk_size: NonZeroUsize::new(4).unwrap(),
        ..TransactionOptions::default()
    };
    let send = SendMail::with_options(envelope, MailBody::bytes(&b"hi there\r\n"[..]), options);
    let report = run(
        &mut client,
        send,
        &[
            (
                b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n\
                  BDAT 4\r\nhi tBDAT 4\r\nhereBDAT 2 LAST\r\n\r\n",
                b"250 2.1.0 ok\r\n250 2.1.5 ok\r\n554 5.6.0 no\r\n503 5.5.1 no\r\n",
            ),
            (b"", b"503 5.5.1 still no\r\n"),
            (b"RSET\r\n", b"250 2.0.0 reset\r\n"),
        ],
        &[],
    )
    .unwrap()
    .unwrap();
    let (_, recipient) = report.recipients().next().unwrap();
    assert_eq!(recipient.status(), RecipientStatus::Rejected);
    assert_eq!(recipient.data_reply().unwrap().code().get(), 554);
    assert!(client.is_usable());
}
