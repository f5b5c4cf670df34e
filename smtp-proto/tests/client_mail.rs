//! The mail transaction against scripted servers: pipelining, DATA, BDAT, LMTP, refusals.

mod client_mail_support;
mod client_support;

use client_mail_support::{client_with, run};
use smtp_proto::client::{ClientConfig, Context, ReplyKind};
use smtp_proto::command::{
    Chain, Cmd, CmdExt, Envelope, LogicError, Mail, MailBody, OnError, Outcome, Rcpt,
    RecipientStatus, Rset, SendMail, Step,
};
use smtp_proto::data::BodySink;
use smtp_proto::error::ProtocolError;
use smtp_proto::response::Response;

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

/// SECURITY.md, outcomes a caller can rely on: per recipient, accepted or refused, with the
/// reply's code, enhanced code and text.
#[test]
fn per_recipient_report_has_code_enhanced_code_and_text() {
    let mut client = client_with(ClientConfig::default(), PIPE);
    let send = SendMail::new(
        envelope(&["<b@y.example>", "<c@y.example>"]),
        MailBody::bytes(&b"x\n"[..]),
    );
    let report = run(
        &mut client,
        send,
        &[
            (
                b"MAIL FROM:<a@example.org> SIZE=3\r\nRCPT TO:<b@y.example>\r\nRCPT TO:<c@y.example>\r\nDATA\r\n",
                b"250 2.1.0 sender ok\r\n550 5.1.1 <b@y.example> no such user\r\n\
                  250 2.1.5 <c@y.example> recipient ok\r\n354 go\r\n",
            ),
            (b"x\r\n.\r\n", b"250 2.0.0 queued as 1234\r\n"),
        ],
        &[],
    )
    .unwrap()
    .unwrap();
    assert_eq!(report.outcome(), Outcome::Partial);
    let enhanced = |class, subject, detail| {
        Some(smtp_proto::response::EnhancedStatus::new(class, subject, detail).unwrap())
    };
    let recipients: Vec<_> = report.recipients().collect();
    assert_eq!(recipients.len(), 2);

    let (path, refused) = recipients[0];
    assert_eq!(path.to_string(), "<b@y.example>");
    assert_eq!(refused.status(), RecipientStatus::Refused);
    assert!(!refused.is_accepted());
    let reply = refused
        .rcpt_reply()
        .expect("the refused recipient's RCPT reply");
    assert_eq!(reply.code().get(), 550);
    assert!(reply.is_permanent());
    assert_eq!(reply.enhanced_status(), enhanced(5, 1, 1));
    assert_eq!(reply.enhanced_status().unwrap().to_string(), "5.1.1");
    assert_eq!(
        reply.first_line().text(),
        &b"5.1.1 <b@y.example> no such user"[..]
    );
    assert_eq!(
        reply.first_line().message(),
        &b"<b@y.example> no such user"[..]
    );
    assert_eq!(refused.rcpt_answer(), Some(reply));
    assert!(
        refused.data_reply().is_none(),
        "refused at RCPT, no verdict"
    );

    let (path, accepted) = recipients[1];
    assert_eq!(path.to_string(), "<c@y.example>");
    assert_eq!(accepted.status(), RecipientStatus::Delivered);
    assert!(accepted.is_accepted());
    let reply = accepted
        .rcpt_reply()
        .expect("the accepted recipient's RCPT reply");
    assert_eq!(reply.code().get(), 250);
    assert_eq!(reply.enhanced_status(), enhanced(2, 1, 5));
    assert_eq!(
        reply.first_line().message(),
        &b"<c@y.example> recipient ok"[..]
    );
    let verdict = accepted
        .data_reply()
        .expect("the accepted recipient's verdict");
    assert_eq!(verdict.code().get(), 250);
    assert_eq!(verdict.enhanced_status(), enhanced(2, 0, 0));
    assert_eq!(verdict.first_line().message(), &b"queued as 1234"[..]);
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

const LMTP: &[u8] = b"250-lmtp.example\r\n250-PIPELINING\r\n250 ENHANCEDSTATUSCODES\r\n";

#[test]
fn lmtp_one_verdict_per_accepted_recipient() {
    let mut client = smtp_proto::client::Client::new(ClientConfig::default())
        .with_protocol(smtp_proto::client::Protocol::Lmtp);
    let open = run(
        &mut client,
        client_mail_support::Open,
        &[(b"", b"220 lmtp\r\n"), (b"EHLO client.example\r\n", LMTP)],
        &[],
    );
    assert!(matches!(open, Ok(Ok(()))));
    let send = SendMail::new(
        envelope(&["<b@example.net>", "<c@example.net>", "<d@example.net>"]),
        MailBody::bytes(&b"x\n"[..]),
    );
    let report = run(
        &mut client,
        send,
        &[
            (
                b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nRCPT TO:<c@example.net>\r\nRCPT TO:<d@example.net>\r\nDATA\r\n",
                b"250 ok\r\n250 ok\r\n550 no\r\n250 ok\r\n354 go\r\n",
            ),
            (b"x\r\n.\r\n", b"250 2.0.0 b ok\r\n452 4.2.2 d over quota\r\n"),
        ],
        &[],
    )
    .unwrap()
    .unwrap();
    let statuses: Vec<_> = report.recipients().map(|(_, r)| r.status()).collect();
    assert_eq!(
        statuses,
        [
            RecipientStatus::Delivered,
            RecipientStatus::Refused,
            RecipientStatus::Rejected
        ]
    );
    assert_eq!(report.outcome(), Outcome::Partial);
    let (_, d) = report.recipients().nth(2).unwrap();
    assert_eq!(d.data_reply().unwrap().code().get(), 452);
}

#[test]
fn streamed_body_over_data() {
    let mut client = client_with(ClientConfig::default(), PIPE);
    let body = MailBody::Streamed(smtp_proto::command::StreamedBody::default());
    let send = SendMail::new(envelope(&["<b@example.net>"]), body);
    let report = run(
        &mut client,
        send,
        &[
            (
                b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n",
                b"250 ok\r\n250 ok\r\n354 go\r\n",
            ),
            (b"..one\r\ntwo\r\n.\r\n", b"250 ok\r\n"),
        ],
        &[b".one\n", b"tw", b"o"],
    )
    .unwrap()
    .unwrap();
    assert_eq!(report.outcome(), Outcome::Delivered);
}

#[test]
fn streamed_body_contradicting_its_declaration_aborts_data_without_the_marker() {
    let mut client = client_with(ClientConfig::default(), PIPE);
    let body = MailBody::Streamed(smtp_proto::command::StreamedBody::default());
    let send = SendMail::new(envelope(&["<b@example.net>"]), body);
    let result = run(
        &mut client,
        send,
        &[(
            b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n",
            b"250 ok\r\n250 ok\r\n354 go\r\n",
        )],
        &[b"ok\n", b"caf\xc3\xa9\n"],
    );
    assert!(
        matches!(
            result,
            Err(smtp_proto::error::ProtocolError::BodyAborted(_))
        ),
        "{result:?}"
    );
    assert!(!client.is_usable());
}

/// A client offered CHUNKING, and a mail whose body is streamed in BDAT chunks of 4 octets.
fn streamed_bdat_mail() -> (smtp_proto::client::Client, SendMail) {
    let ehlo = b"250-mx.example\r\n250-PIPELINING\r\n250 CHUNKING\r\n";
    let options = smtp_proto::command::TransactionOptions {
        bdat_chunk_size: std::num::NonZeroUsize::new(4).unwrap(),
        ..Default::default()
    };
    let client = client_with(ClientConfig::default(), ehlo);
    let body = MailBody::Streamed(smtp_proto::command::StreamedBody::default());
    let send = SendMail::with_options(envelope(&["<b@example.net>"]), body, options);
    (client, send)
}

#[test]
fn streamed_bdat_violation_sends_no_further_chunk_then_rset() {
    let (mut client, send) = streamed_bdat_mail();
    let result = run(
        &mut client,
        send,
        &[
            (
                b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nBDAT 4\r\nabcd",
                b"250 ok\r\n250 ok\r\n250 chunk\r\n",
            ),
            (b"RSET\r\n", b"250 ok\r\n"),
        ],
        &[b"abcdef", b"\0"],
    )
    .unwrap();
    assert!(
        matches!(result, Err(smtp_proto::command::LogicError::Body(_))),
        "{result:?}"
    );
    assert!(client.is_usable());
}

/// A streamed body over BDAT, handed over in pieces that each complete a chunk: one reply
/// is awaited per chunk written, counted per piece, not from the start of the body.
#[test]
fn streamed_bdat_pieces_await_one_reply_per_chunk() {
    let (mut client, send) = streamed_bdat_mail();
    let report = run(
        &mut client,
        send,
        &[(
            b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n\
              BDAT 4\r\nabcdBDAT 4\r\nefghBDAT 4\r\nijk\rBDAT 1 LAST\r\n\n",
            b"250 ok\r\n250 ok\r\n250 1\r\n250 2\r\n250 3\r\n250 done\r\n",
        )],
        &[b"abcdef", b"ghij", b"k\n"],
    )
    .unwrap()
    .unwrap();
    assert_eq!(report.outcome(), Outcome::Delivered);
    let (_, status) = report.recipients().next().unwrap();
    assert_eq!(status.data_reply().unwrap().first_line().text(), b"done");
}

#[test]
fn too_many_recipients_452_goes_on_in_a_new_transaction() {
    let mut client = client_with(ClientConfig::default(), PIPE);
    let send = SendMail::new(
        envelope(&["<b@example.net>", "<c@example.net>"]),
        MailBody::bytes(&b"x\n"[..]),
    );
    let report = run(
        &mut client,
        send,
        &[
            (
                b"MAIL FROM:<a@example.org> SIZE=3\r\nRCPT TO:<b@example.net>\r\nRCPT TO:<c@example.net>\r\nDATA\r\n",
                b"250 ok\r\n250 ok\r\n452 4.5.3 too many recipients\r\n354 go\r\n",
            ),
            (b"x\r\n.\r\n", b"250 first\r\n"),
            (
                b"MAIL FROM:<a@example.org> SIZE=3\r\nRCPT TO:<c@example.net>\r\nDATA\r\n",
                b"250 ok\r\n250 ok\r\n354 go\r\n",
            ),
            (b"x\r\n.\r\n", b"250 second\r\n"),
        ],
        &[],
    )
    .unwrap()
    .unwrap();
    assert_eq!(report.outcome(), Outcome::Delivered);
    assert_eq!(report.delivered_count(), 2);
    let transactions = report.transactions();
    assert_eq!(transactions.len(), 2);
    let counts: Vec<usize> = transactions.iter().map(|t| t.recipient_count()).collect();
    assert_eq!(counts, [2, 1]);
    let code = |reply: Option<&smtp_proto::response::Response>| reply.map(|r| r.code().get());
    let finals: Vec<_> = transactions.iter().map(|t| code(t.final_reply())).collect();
    assert_eq!(finals, [Some(250), Some(250)]);
    assert!(
        transactions
            .iter()
            .all(|t| code(t.mail_reply()) == Some(250))
    );
    let last = transactions[1].final_reply().unwrap();
    assert_eq!(last.text_lines().next(), Some(&b"second"[..]));
}

#[test]
fn rcptmax_splits_into_transactions() {
    let ehlo = b"250-mx.example\r\n250-PIPELINING\r\n250 LIMITS RCPTMAX=1\r\n";
    let mut client = client_with(ClientConfig::default(), ehlo);
    let send = SendMail::new(
        envelope(&["<b@example.net>", "<c@example.net>"]),
        MailBody::bytes(&b"x\n"[..]),
    );
    let report = run(
        &mut client,
        send,
        &[
            (
                b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n",
                b"250 ok\r\n250 ok\r\n354 go\r\n",
            ),
            (b"x\r\n.\r\n", b"250 first\r\n"),
            (
                b"MAIL FROM:<a@example.org>\r\nRCPT TO:<c@example.net>\r\nDATA\r\n",
                b"250 ok\r\n550 no\r\n354 go\r\n",
            ),
            (b".\r\n", b"250 nothing\r\n"),
        ],
        &[],
    )
    .unwrap()
    .unwrap();
    assert_eq!(report.outcome(), Outcome::Partial);
    assert_eq!(report.transactions().len(), 2);
}

#[test]
fn many_mails_ride_with_the_previous_end_of_data() {
    let mut client = client_with(ClientConfig::default(), PIPE);
    let mails = (0..3).map(|_| (envelope(&["<b@example.net>"]), MailBody::bytes(&b"x\n"[..])));
    let send = smtp_proto::command::SendMails::new(mails, Default::default());
    let env = b"MAIL FROM:<a@example.org> SIZE=3\r\nRCPT TO:<b@example.net>\r\nDATA\r\n";
    let body_and_next = [b"x\r\n.\r\n".as_slice(), env].concat();
    let reports = run(
        &mut client,
        send,
        &[
            (env, b"250 ok\r\n250 ok\r\n354 go\r\n"),
            (&body_and_next, b"250 one\r\n250 ok\r\n250 ok\r\n354 go\r\n"),
            (&body_and_next, b"250 two\r\n250 ok\r\n250 ok\r\n354 go\r\n"),
            (b"x\r\n.\r\n", b"250 three\r\n"),
        ],
        &[],
    )
    .unwrap()
    .unwrap();
    let outcomes: Vec<_> = reports.into_iter().map(|r| r.unwrap().outcome()).collect();
    assert_eq!(outcomes, [Outcome::Delivered; 3]);
}

#[test]
fn each_mail_of_many_declares_its_own_body() {
    // Only the very same bytes reuse the previous mail's summary. The second body has the
    // first one's length but 8-bit text; the third starts where the second does but is
    // shorter: each MAIL line says its own SIZE and BODY.
    let mut client = client_with(ClientConfig::default(), PIPE);
    let eight_bit: &'static [u8] = "\u{e9}\nab\n".as_bytes();
    let bodies: [&'static [u8]; 3] = [b"xyzab\n", eight_bit, &eight_bit[..3]];
    let mails = bodies
        .into_iter()
        .map(|body| (envelope(&["<b@example.net>"]), MailBody::bytes(body)));
    let send = smtp_proto::command::SendMails::new(mails, Default::default());
    let mail = |params: &str| {
        format!("MAIL FROM:<a@example.org> {params}\r\nRCPT TO:<b@example.net>\r\nDATA\r\n")
    };
    let first = mail("SIZE=7");
    let second = format!("xyzab\r\n.\r\n{}", mail("SIZE=8 BODY=8BITMIME"));
    let third = format!("\u{e9}\r\nab\r\n.\r\n{}", mail("SIZE=4 BODY=8BITMIME"));
    let next = b"250 ok\r\n250 ok\r\n354 go\r\n";
    let reports = run(
        &mut client,
        send,
        &[
            (first.as_bytes(), next),
            (
                second.as_bytes(),
                &[b"250 one\r\n".as_slice(), next].concat(),
            ),
            (
                third.as_bytes(),
                &[b"250 two\r\n".as_slice(), next].concat(),
            ),
            ("\u{e9}\r\n.\r\n".as_bytes(), b"250 three\r\n"),
        ],
        &[],
    )
    .unwrap()
    .unwrap();
    let outcomes: Vec<_> = reports.into_iter().map(|r| r.unwrap().outcome()).collect();
    assert_eq!(outcomes, [Outcome::Delivered; 3]);
}

#[test]
fn impossible_354_to_rcpt_is_fatal() {
    let mut client = client_with(ClientConfig::default(), PIPE);
    let send = SendMail::new(envelope(&["<b@example.net>"]), MailBody::bytes(&b"x\n"[..]));
    let result = run(
        &mut client,
        send,
        &[(
            b"MAIL FROM:<a@example.org> SIZE=3\r\nRCPT TO:<b@example.net>\r\nDATA\r\n",
            b"250 ok\r\n354 what\r\n",
        )],
        &[],
    );
    assert!(
        matches!(
            result,
            Err(smtp_proto::error::ProtocolError::ImpossibleReply {
                command: "RCPT",
                ..
            })
        ),
        "{result:?}"
    );
}

#[test]
fn groups_split_for_adapters_that_cannot_read_while_writing() {
    let config = ClientConfig {
        max_group: std::num::NonZeroUsize::new(40),
        ..ClientConfig::default()
    };
    let mut client = client_with(config, PIPE);
    let send = SendMail::new(
        envelope(&["<b@example.net>", "<c@example.net>"]),
        MailBody::bytes(&b"x\n"[..]),
    );
    let report = run(
        &mut client,
        send,
        &[
            (b"MAIL FROM:<a@example.org> SIZE=3\r\n", b"250 ok\r\n"),
            (b"RCPT TO:<b@example.net>\r\n", b"250 ok\r\n"),
            (
                b"RCPT TO:<c@example.net>\r\nDATA\r\n",
                b"250 ok\r\n354 go\r\n",
            ),
            (b"x\r\n.\r\n", b"250 ok\r\n"),
        ],
        &[],
    )
    .unwrap()
    .unwrap();
    assert_eq!(report.outcome(), Outcome::Delivered);
}

#[test]
fn a_refused_mail_decides_its_recipients_and_their_own_answers_are_kept() {
    // Pipelined: MAIL refused (transient), the RCPT still answered 503.
    let mut client = client_with(ClientConfig::default(), PIPE);
    let send = SendMail::new(envelope(&["<b@example.net>"]), MailBody::bytes(&b"x\n"[..]));
    let report = run(
        &mut client,
        send,
        &[(
            b"MAIL FROM:<a@example.org> SIZE=3\r\nRCPT TO:<b@example.net>\r\nDATA\r\n",
            b"451 4.3.0 later\r\n503 5.5.1 need MAIL\r\n503 5.5.1 need RCPT\r\n",
        )],
        &[],
    )
    .unwrap()
    .unwrap();
    let (_, recipient) = report.recipients().next().unwrap();
    assert_eq!(
        recipient.rcpt_reply().unwrap().code().get(),
        451,
        "what decided it"
    );
    assert_eq!(
        recipient.rcpt_answer().unwrap().code().get(),
        503,
        "what RCPT got"
    );

    // One command at a time: the RCPT is never sent, so it has no answer.
    let mut client = client_with(ClientConfig::default(), b"250 mx.example\r\n");
    let send = SendMail::new(envelope(&["<b@example.net>"]), MailBody::bytes(&b"x\n"[..]));
    let report = run(
        &mut client,
        send,
        &[(b"MAIL FROM:<a@example.org>\r\n", b"550 5.7.1 no\r\n")],
        &[],
    )
    .unwrap()
    .unwrap();
    let (_, recipient) = report.recipients().next().unwrap();
    assert_eq!(recipient.rcpt_reply().unwrap().code().get(), 550);
    assert_eq!(recipient.rcpt_answer(), None);

    // Accepted normally: both are the 250.
    let mut client = client_with(ClientConfig::default(), PIPE);
    let send = SendMail::new(envelope(&["<b@example.net>"]), MailBody::bytes(&b"x\n"[..]));
    let report = run(
        &mut client,
        send,
        &[
            (
                b"MAIL FROM:<a@example.org> SIZE=3\r\nRCPT TO:<b@example.net>\r\nDATA\r\n",
                b"250 ok\r\n250 2.1.5 rcpt ok\r\n354 go\r\n",
            ),
            (b"x\r\n.\r\n", b"250 queued\r\n"),
        ],
        &[],
    )
    .unwrap()
    .unwrap();
    let (_, recipient) = report.recipients().next().unwrap();
    assert_eq!(recipient.rcpt_answer(), recipient.rcpt_reply());
    assert_eq!(recipient.rcpt_answer().unwrap().code().get(), 250);
}

/// Sends `send` to a pipelining server that offers `ehlo`'s extensions and accepts
/// everything: the client must write `lines` (MAIL, each RCPT, DATA) in one group, then the
/// body `x` (given whole, or streamed as `x\n`). Returns the outcome and the count delivered.
fn accepted_by(ehlo: &str, send: SendMail, lines: &str) -> (Outcome, usize) {
    let ehlo = format!("250-mx.example\r\n250-PIPELINING\r\n{ehlo}");
    let mut client = client_with(ClientConfig::default(), ehlo.as_bytes());
    let commands = lines.matches("\r\n").count();
    let replies = "250 ok\r\n".repeat(commands - 1) + "354 go\r\n";
    let script = [
        (lines.as_bytes(), replies.as_bytes()),
        (&b"x\r\n.\r\n"[..], &b"250 ok\r\n"[..]),
    ];
    match run(&mut client, send, &script, &[b"x\n"]) {
        Ok(Ok(report)) => (report.outcome(), report.delivered_count()),
        other => panic!("{lines:?}: {other:?}"),
    }
}

/// A declared `BODY=7BIT` stays on a 7-bit body, whole or streamed; only `BINARYMIME`, which
/// needs a binary body, is dropped from a text one.
#[test]
fn declared_body_type_is_kept_unless_it_is_binarymime() {
    use smtp_proto::command::StreamedBody;
    use smtp_proto::syntax::esmtp::{Body, MailParameter, MailParameters};
    let declared = |body: Body| {
        let mut params = MailParameters::new();
        params.insert(MailParameter::Body(body)).unwrap();
        envelope(&["<b@example.net>"]).with_mail_parameters(params)
    };
    let bodies = || {
        [
            (MailBody::bytes(&b"x\n"[..]), " SIZE=3"),
            (MailBody::Streamed(StreamedBody::default()), ""),
        ]
    };
    for (declared_as, shown) in [(Body::SevenBit, " BODY=7BIT"), (Body::BinaryMime, "")] {
        for (body, size) in bodies() {
            let lines = format!(
                "MAIL FROM:<a@example.org>{size}{shown}\r\nRCPT TO:<b@example.net>\r\nDATA\r\n"
            );
            let send = SendMail::new(declared(declared_as), body);
            let ehlo = "250-SIZE 1000\r\n250 8BITMIME\r\n";
            assert_eq!(accepted_by(ehlo, send, &lines), (Outcome::Delivered, 1));
        }
    }
}

/// SMTPUTF8 goes on MAIL when the sender needs it, when only a recipient does, and when a
/// streamed body declares it; not otherwise.
#[test]
fn smtputf8_when_any_path_or_the_declared_body_needs_it() {
    use smtp_proto::command::StreamedBody;
    let utf8_body = StreamedBody {
        smtputf8: true,
        ..StreamedBody::default()
    };
    let cases = [
        ("<d\u{e9}@example.org>", "<b@example.net>", None, true),
        ("<a@example.org>", "<b\u{e9}@example.net>", None, true),
        ("<a@example.org>", "<b@example.net>", Some(utf8_body), true),
        ("<a@example.org>", "<b@example.net>", None, false),
    ];
    for (from, to, streamed, smtputf8) in cases {
        let envelope = Envelope::new(from.parse().unwrap(), [to.parse().unwrap()]).unwrap();
        let body = streamed.map_or_else(|| MailBody::bytes(&b"x\n"[..]), MailBody::Streamed);
        let flag = if smtputf8 { " SMTPUTF8" } else { "" };
        let lines = format!("MAIL FROM:{from}{flag}\r\nRCPT TO:{to}\r\nDATA\r\n");
        let send = SendMail::new(envelope, body);
        let ehlo = "250-8BITMIME\r\n250 SMTPUTF8\r\n";
        assert_eq!(accepted_by(ehlo, send, &lines), (Outcome::Delivered, 1));
    }
}

/// An `AUTH=` mailbox with a non-ASCII local part needs SMTPUTF8 as a reverse path would
/// (RFC 4954 §5, RFC 6531 §3.3): SMTPUTF8 goes on MAIL when offered, the mail is refused
/// before MAIL when not; a non-ASCII domain alone goes as A-labels, without SMTPUTF8.
#[test]
fn smtputf8_when_the_auth_submitter_needs_it() {
    use smtp_proto::command::LogicError;
    use smtp_proto::syntax::esmtp::{AuthSubmitter, MailParameters};
    let with_auth = |submitter: &str| {
        let mut params = MailParameters::new();
        params.auth = Some(AuthSubmitter::Mailbox(submitter.parse().unwrap()));
        envelope(&["<b@example.net>"]).with_mail_parameters(params)
    };
    let cases = [
        (
            "j\u{f6}rg@example.org",
            " SMTPUTF8 AUTH=j+C3+B6rg@example.org",
        ),
        ("a@b\u{fc}cher.example", " AUTH=a@xn--bcher-kva.example"),
    ];
    for (submitter, shown) in cases {
        let lines =
            format!("MAIL FROM:<a@example.org>{shown}\r\nRCPT TO:<b@example.net>\r\nDATA\r\n");
        let send = SendMail::new(with_auth(submitter), MailBody::Streamed(Default::default()));
        let ehlo = "250-AUTH PLAIN\r\n250 SMTPUTF8\r\n";
        assert_eq!(accepted_by(ehlo, send, &lines), (Outcome::Delivered, 1));
    }
    let ehlo = b"250-mx.example\r\n250-PIPELINING\r\n250 AUTH PLAIN\r\n";
    let mut client = client_with(ClientConfig::default(), ehlo);
    let send = SendMail::new(
        with_auth("j\u{f6}rg@example.org"),
        MailBody::bytes(&b"x\n"[..]),
    );
    let refused = run(&mut client, send, &[], &[]).unwrap().unwrap_err();
    assert!(
        matches!(
            refused,
            LogicError::Unsupported {
                command: "MAIL",
                capability: "SMTPUTF8"
            }
        ),
        "{refused:?}"
    );
}

/// A mail exactly at the server's SIZE limit is sent; a larger one is refused before MAIL.
#[test]
fn a_mail_exactly_at_the_size_limit_is_sent() {
    let line = "y".repeat(998);
    let at_limit = format!("{line}\n");
    let mut client = client_with(ClientConfig::default(), PIPE);
    let send = SendMail::new(
        envelope(&["<b@example.net>"]),
        MailBody::bytes(at_limit.into_bytes()),
    );
    let data = format!("{line}\r\n.\r\n");
    let report = run(
        &mut client,
        send,
        &[
            (
                b"MAIL FROM:<a@example.org> SIZE=1000\r\nRCPT TO:<b@example.net>\r\nDATA\r\n",
                b"250 ok\r\n250 ok\r\n354 go\r\n",
            ),
            (data.as_bytes(), b"250 ok\r\n"),
        ],
        &[],
    )
    .unwrap()
    .unwrap();
    assert_eq!(report.outcome(), Outcome::Delivered);

    let mut client = client_with(ClientConfig::default(), PIPE);
    let over = format!("{line}\nz\n");
    let send = SendMail::new(
        envelope(&["<b@example.net>"]),
        MailBody::bytes(over.into_bytes()),
    );
    let refused = run(&mut client, send, &[], &[]).unwrap().unwrap_err();
    assert_eq!(
        refused,
        smtp_proto::error::LogicError::MessageTooLarge {
            size: 1003,
            limit: 1000
        }
    );
}

/// CHUNKING without PIPELINING: each BDAT would wait for the reply to the one before, so a
/// whole body goes as one chunk whatever the chunk size, and a streamed one by DATA, even
/// with a size hint (RFC 3030 §2, RFC 2920).
#[test]
fn chunking_without_pipelining_sends_one_chunk_or_data() {
    use smtp_proto::command::{StreamedBody, TransactionOptions};
    const CHUNKING: &[u8] = b"250-mx.example\r\n250 CHUNKING\r\n";
    let options = TransactionOptions {
        bdat_chunk_size: std::num::NonZeroUsize::new(4).unwrap(),
        ..TransactionOptions::default()
    };
    let mail: (&[u8], &[u8]) = (b"MAIL FROM:<a@example.org>\r\n", b"250 ok\r\n");
    let rcpt: (&[u8], &[u8]) = (b"RCPT TO:<b@example.net>\r\n", b"250 ok\r\n");

    let mut client = client_with(ClientConfig::default(), CHUNKING);
    let whole = MailBody::bytes(&b"hello\n"[..]);
    let send = SendMail::with_options(envelope(&["<b@example.net>"]), whole, options);
    let chunk: (&[u8], &[u8]) = (b"BDAT 7 LAST\r\nhello\r\n", b"250 ok\r\n");
    let report = run(&mut client, send, &[mail, rcpt, chunk], &[]);
    assert_eq!(report.unwrap().unwrap().outcome(), Outcome::Delivered);

    let mut client = client_with(ClientConfig::default(), CHUNKING);
    let streamed = MailBody::Streamed(StreamedBody {
        size_hint: Some(7),
        ..StreamedBody::default()
    });
    let send = SendMail::with_options(envelope(&["<b@example.net>"]), streamed, options);
    let data: (&[u8], &[u8]) = (b"DATA\r\n", b"354 go\r\n");
    let body: (&[u8], &[u8]) = (b"hello\r\n.\r\n", b"250 ok\r\n");
    let report = run(&mut client, send, &[mail, rcpt, data, body], &[b"hello\n"]);
    assert_eq!(report.unwrap().unwrap().outcome(), Outcome::Delivered);
}

/// LIMITS RCPTMAX=0 sets no limit; a streamed body, which cannot be sent twice, may have
/// exactly RCPTMAX recipients, and one more is refused before a byte is written.
#[test]
fn rcptmax_zero_is_no_limit_and_a_streamed_body_may_fill_it() {
    use smtp_proto::command::StreamedBody;
    let rcpts =
        |n: usize| -> Vec<String> { (0..n).map(|i| format!("<r{i}@example.net>")).collect() };
    let lines = |n: usize| -> String {
        let mut lines = String::from("MAIL FROM:<a@example.org>\r\n");
        for rcpt in rcpts(n) {
            lines.push_str(&format!("RCPT TO:{rcpt}\r\n"));
        }
        lines + "DATA\r\n"
    };
    let to = |n: usize| {
        let rcpts = rcpts(n);
        envelope(&rcpts.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let streamed = || MailBody::Streamed(StreamedBody::default());

    let unlimited = "250 LIMITS RCPTMAX=0\r\n";
    let send = SendMail::new(to(3), streamed());
    assert_eq!(
        accepted_by(unlimited, send, &lines(3)),
        (Outcome::Delivered, 3)
    );

    let send = SendMail::new(to(2), streamed());
    let filled = accepted_by("250 LIMITS RCPTMAX=2\r\n", send, &lines(2));
    assert_eq!(filled, (Outcome::Delivered, 2));

    let two = b"250-mx.example\r\n250-PIPELINING\r\n250 LIMITS RCPTMAX=2\r\n";
    let mut client = client_with(ClientConfig::default(), two);
    let refused = run(&mut client, SendMail::new(to(3), streamed()), &[], &[]);
    assert!(
        matches!(
            refused.unwrap().unwrap_err(),
            smtp_proto::error::LogicError::WrongState {
                command: "RCPT",
                ..
            }
        ),
        "three recipients over RCPTMAX=2 with a streamed body"
    );
}

/// A recipient added with its own parameters is sent after the others, with them.
#[test]
fn a_pushed_recipient_goes_last_with_its_parameters() {
    use smtp_proto::syntax::esmtp::{Notify, RcptParameters};
    let mut envelope = envelope(&["<b@example.net>"]);
    let mut params = RcptParameters::new();
    params.notify = Some(Notify::Never);
    envelope.push_recipient("<c@example.net>".parse().unwrap(), params);
    assert_eq!(envelope.recipients().len(), 2);
    let lines = "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n\
        RCPT TO:<c@example.net> NOTIFY=NEVER\r\nDATA\r\n";
    let send = SendMail::new(envelope, MailBody::bytes(&b"x\n"[..]));
    assert_eq!(
        accepted_by("250 DSN\r\n", send, lines),
        (Outcome::Delivered, 2)
    );
}

/// Written outside the crate with the public API: two BDAT chunks in one body write, the
/// first chunk's reply awaited from where that chunk ends ([`BodyWriter::position`]), so
/// that with a group limit the second chunk waits for it, and it is taken when it comes.
///
/// [`BodyWriter::position`]: smtp_proto::client::BodyWriter::position
struct TwoChunks {
    codes: Vec<u16>,
    /// Await the first reply after both chunks instead (what the client did before).
    at_the_end: bool,
}

impl Cmd for TwoChunks {
    type Output = Vec<u16>;

    fn start(&mut self, cx: &mut Context<'_>) -> Step<Vec<u16>> {
        let first_end = cx.body(|out| {
            out.put_command(b"BDAT 2\r\n");
            out.put(b"ab");
            let end = out.position();
            out.put_command(b"BDAT 2 LAST\r\n");
            out.put(b"cd");
            end
        });
        let first_end = if self.at_the_end {
            cx.position()
        } else {
            first_end
        };
        cx.expect_reply_at(ReplyKind::Bdat, first_end);
        cx.expect_reply(ReplyKind::BdatLast);
        Step::Continue
    }

    fn on_reply(&mut self, reply: Response, _: &mut Context<'_>) -> Step<Vec<u16>> {
        self.codes.push(reply.code().get());
        if self.codes.len() == 2 {
            Step::Done(Ok(std::mem::take(&mut self.codes)))
        } else {
            Step::Continue
        }
    }
}

#[test]
fn a_reply_awaited_where_its_chunk_ends_is_taken_before_the_rest_leaves() {
    let ehlo = b"250-mx.example\r\n250-PIPELINING\r\n250 CHUNKING\r\n";
    let config = ClientConfig {
        max_group: std::num::NonZeroUsize::new(10),
        ..ClientConfig::default()
    };
    let steps: &[(&[u8], &[u8])] = &[
        (b"BDAT 2\r\nab", b"250 2 octets\r\n"),
        (b"BDAT 2 LAST\r\ncd", b"250 queued\r\n"),
    ];
    let mut client = client_with(config, ehlo);
    let cmd = TwoChunks {
        codes: Vec::new(),
        at_the_end: false,
    };
    assert_eq!(run(&mut client, cmd, steps, &[]), Ok(Ok(vec![250, 250])));
    // Awaited after both chunks, the first chunk's reply holds nothing back: both chunks
    // leave before a reply is read, past the group limit.
    let mut client = client_with(config, ehlo);
    let cmd = TwoChunks {
        codes: Vec::new(),
        at_the_end: true,
    };
    let steps: &[(&[u8], &[u8])] = &[(
        b"BDAT 2\r\nabBDAT 2 LAST\r\ncd",
        b"250 2 octets\r\n250 queued\r\n",
    )];
    assert_eq!(run(&mut client, cmd, steps, &[]), Ok(Ok(vec![250, 250])));
}

/// A reply awaited from before the point of the reply awaited before it would be out of
/// order: the connection fails, nothing is written.
#[test]
fn a_reply_awaited_out_of_order_is_misuse() {
    struct Backwards;
    impl Cmd for Backwards {
        type Output = ();
        fn start(&mut self, cx: &mut Context<'_>) -> Step<()> {
            let before = cx.position();
            cx.command(ReplyKind::Other, |out| out.extend_from_slice(b"NOOP\r\n"));
            cx.expect_reply_at(ReplyKind::Other, before);
            Step::Continue
        }
        fn on_reply(&mut self, _: Response, _: &mut Context<'_>) -> Step<()> {
            Step::Done(Ok(()))
        }
    }
    let mut client = client_with(ClientConfig::default(), PIPE);
    let error = run(&mut client, Backwards, &[], &[]).unwrap_err();
    assert!(
        matches!(error, ProtocolError::Misuse(m) if m.contains("before the one awaited")),
        "{error:?}"
    );
    assert!(!client.is_usable());
}

/// Two replies due at the same point are in order: the second is taken after the first.
#[test]
fn replies_awaited_at_the_same_point_are_in_order() {
    struct Twice(usize);
    impl Cmd for Twice {
        type Output = ();
        fn start(&mut self, cx: &mut Context<'_>) -> Step<()> {
            cx.command(ReplyKind::Other, |out| out.extend_from_slice(b"NOOP\r\n"));
            let end = cx.position();
            cx.expect_reply_at(ReplyKind::Other, end);
            Step::Continue
        }
        fn on_reply(&mut self, _: Response, _: &mut Context<'_>) -> Step<()> {
            self.0 += 1;
            if self.0 == 2 {
                Step::Done(Ok(()))
            } else {
                Step::Continue
            }
        }
    }
    let mut client = client_with(ClientConfig::default(), PIPE);
    let steps: &[(&[u8], &[u8])] = &[(b"NOOP\r\n", b"250 one\r\n250 two\r\n")];
    assert_eq!(run(&mut client, Twice(0), steps, &[]), Ok(Ok(())));
    assert!(client.is_usable());
}

/// RFC 5321 §4.1.4 and §3.3: a MAIL inside an open transaction is answered 503 and the
/// server stays in that transaction, so the recipients and message that follow would go
/// into it. SendMail in a session with a transaction open (a standalone MAIL accepted) is
/// refused before a byte is written, as AUTH is (RFC 4954 §4).
#[cfg(feature = "testing")]
#[test]
fn send_mail_inside_an_open_transaction_is_refused_before_a_byte() {
    client_support::replay("mail-send-mail-inside-open-transaction.smtp");
}

/// RFC 5321 §4.1.4, §3.3: the same after a chain of MAIL and RCPT stopped on a refused
/// RCPT, which leaves the transaction open; after RSET the mail goes.
#[test]
fn send_mail_after_a_chain_stopped_in_its_transaction_is_refused() {
    let mut client = client_with(ClientConfig::default(), PIPE);
    let code = |r: Response| r.code().get();
    let chain = Chain::new(vec![
        Mail::new("<a@example.org>".parse().unwrap(), Default::default())
            .map(code)
            .boxed(),
        Rcpt::new("<b@example.net>".parse().unwrap(), Default::default())
            .map(code)
            .boxed(),
    ])
    .on_error(OnError::Stop);
    let steps: &[(&[u8], &[u8])] = &[
        (b"MAIL FROM:<a@example.org>\r\n", b"250 ok\r\n"),
        (b"RCPT TO:<b@example.net>\r\n", b"550 5.1.1 no\r\n"),
    ];
    let refused = run(&mut client, chain, steps, &[]).unwrap().unwrap_err();
    assert!(matches!(
        refused,
        LogicError::Refused {
            command: "RCPT",
            ..
        }
    ));
    assert!(client.session().in_transaction());

    let send = || SendMail::new(envelope(&["<c@example.net>"]), MailBody::bytes(&b"x\n"[..]));
    let result = run(&mut client, send(), &[], &[]).unwrap();
    assert!(
        matches!(
            result,
            Err(LogicError::WrongState {
                command: "MAIL",
                ..
            })
        ),
        "{result:?}"
    );
    assert!(client.is_usable());

    let steps: &[(&[u8], &[u8])] = &[(b"RSET\r\n", b"250 ok\r\n")];
    run(&mut client, Rset, steps, &[]).unwrap().unwrap();
    let steps: &[(&[u8], &[u8])] = &[
        (
            b"MAIL FROM:<a@example.org> SIZE=3\r\nRCPT TO:<c@example.net>\r\nDATA\r\n",
            b"250 ok\r\n250 ok\r\n354 go\r\n",
        ),
        (b"x\r\n.\r\n", b"250 queued\r\n"),
    ];
    let report = run(&mut client, send(), steps, &[]).unwrap().unwrap();
    assert_eq!(report.outcome(), Outcome::Delivered);
}

/// RFC 5321 §4.5.3.1.10: a 552 "too many recipients" after an acceptance is to be taken as
/// the temporary 452 (the rest in a new transaction); one naming another cause is not.
#[cfg(feature = "testing")]
#[test]
fn too_many_recipients_552_is_retried_as_452() {
    client_support::replay("mail-552-too-many-recipients-retried.smtp");
    client_support::replay("mail-552-mailbox-full-no-retry.smtp");
}

/// A caller without a body source (`without_body_source`, as the adapters' `send_mail`
/// and `send_all_mails`) gets a streamed body refused before a byte is sent, instead of an
/// empty message delivered; the other mails go on.
#[test]
fn a_streamed_body_without_a_body_source_is_refused_before_a_byte() {
    use smtp_proto::command::{SendMails, StreamedBody, TransactionOptions};

    let mut client = client_with(ClientConfig::default(), PIPE);
    let send = SendMail::new(
        envelope(&["<b@example.net>"]),
        MailBody::Streamed(StreamedBody::default()),
    )
    .without_body_source();
    let refused = run(&mut client, send, &[], &[]);
    assert!(
        matches!(
            refused,
            Ok(Err(LogicError::WrongState {
                command: "MAIL",
                ..
            }))
        ),
        "{refused:?}"
    );

    let mails = vec![
        (
            envelope(&["<b@example.net>"]),
            MailBody::Streamed(StreamedBody::default()),
        ),
        (envelope(&["<c@example.net>"]), MailBody::bytes(&b"x\n"[..])),
    ];
    let send =
        SendMails::new(mails.into_iter(), TransactionOptions::default()).without_body_source();
    let results = run(
        &mut client,
        send,
        &[
            (
                b"MAIL FROM:<a@example.org> SIZE=3\r\nRCPT TO:<c@example.net>\r\nDATA\r\n",
                b"250 ok\r\n250 ok\r\n354 go\r\n",
            ),
            (b"x\r\n.\r\n", b"250 queued\r\n"),
        ],
        &[],
    )
    .unwrap()
    .unwrap();
    let results: Vec<_> = results.into_iter().collect();
    assert!(
        matches!(results[0], Err(LogicError::WrongState { .. })),
        "{results:?}"
    );
    assert_eq!(
        results[1].as_ref().map(|r| r.outcome()),
        Ok(Outcome::Delivered)
    );
}
