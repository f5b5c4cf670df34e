//! A large body leaves in data blocks of at most 64 KiB, each with its own write deadline
//! (RFC 5321 §4.5.3.2.5), and the pipelined envelope still leaves in one transmit.

mod client_mail_support;

use std::time::{Duration, Instant};

use client_mail_support::client_with;
use smtp_proto::client::{ClientConfig, Output, TransmitTag};
use smtp_proto::command::{Envelope, MailBody, Outcome, SendMail};

#[test]
fn a_large_body_leaves_in_blocks_each_with_its_own_deadline() {
    let ehlo = b"250-mx.example\r\n250 PIPELINING\r\n";
    let mut client = client_with(ClientConfig::default(), ehlo);
    let envelope = Envelope::new(
        "<a@example.org>".parse().unwrap(),
        ["<b@example.net>".parse().unwrap()],
    )
    .unwrap();
    let line = b"0123456789abcdefghijklmnopqrstuvwxyz\r\n";
    let body = line.repeat(200 * 1024 / line.len());
    let send = SendMail::new(envelope, MailBody::bytes(body.clone()));
    let start = Instant::now();
    let mut ex = client.send(send);
    let Ok(Output::Transmit(t)) = ex.poll_output(start) else {
        panic!("the envelope")
    };
    assert_eq!(
        t.bytes(),
        b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n"
    );
    let _ = ex.poll_output(start);
    ex.handle_input(b"250 ok\r\n250 ok\r\n354 go\r\n");
    let mut wire = Vec::new();
    let mut blocks = 0;
    let mut now = start;
    let report = loop {
        now += Duration::from_secs(60);
        match ex.poll_output(now).unwrap() {
            Output::Transmit(t) => {
                assert!(t.bytes().len() <= 64 * 1024, "{}", t.bytes().len());
                assert!(t.tags().all(|(tag, _)| tag == TransmitTag::Body));
                // Each block gets the whole write time from when it is handed out.
                assert_eq!(t.write_deadline(), now + Duration::from_secs(180));
                wire.extend_from_slice(t.bytes());
                blocks += 1;
            }
            Output::NeedInput { .. } => ex.handle_input(b"250 queued\r\n"),
            Output::Done(result) => break result.unwrap(),
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(blocks, 4);
    assert_eq!(&wire[..body.len()], &body[..]);
    assert_eq!(&wire[body.len()..], b".\r\n");
    assert_eq!(report.outcome(), Outcome::Delivered);
}
