//! A streamed body aborted over BDAT before the pipelined MAIL and RCPT replies arrived
//! (found by the `client` fuzz target): the transaction waits for them, then RSET if MAIL
//! was accepted, and the connection stays in step.

mod client_mail_support;

use std::num::NonZeroUsize;

use client_mail_support::{client_with, run};
use smtp_proto::client::ClientConfig;
use smtp_proto::command::{
    Envelope, LogicError, MailBody, SendMail, StreamedBody, TransactionOptions,
};

const EHLO: &[u8] = b"250-mx.example\r\n250-PIPELINING\r\n250 CHUNKING\r\n";

fn send() -> SendMail {
    let envelope = Envelope::new(
        "<a@example.org>".parse().unwrap(),
        ["<b@example.net>".parse().unwrap()],
    )
    .unwrap();
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
