//! Commands written outside the crate (`outside_support/commands.rs`), driven through the
//! public API only, by a loop written here from the `smtp_proto::client` docs.

mod outside_support {
    pub mod commands;
    pub mod driver;
}

use outside_support::commands::{Etrn, MyMail, Pipelined, XTokenAuth};
use outside_support::driver::drive;
use smtp_proto::client::{Client, ClientConfig};
use smtp_proto::command::{Greeting, LogicError, Noop};

const EHLO: &[u8] =
    b"250-mx.example\r\n250-PIPELINING\r\n250-ETRN\r\n250-AUTH PLAIN X-TOKEN\r\n250 8BITMIME\r\n";

/// A client past the greeting and a hello written by hand (the built-in `Ehlo` would do).
fn ready() -> Client {
    let mut client = Client::new(ClientConfig::default());
    drive(client.send(Greeting), &[b"220 mx.example ESMTP\r\n"])
        .result
        .unwrap()
        .unwrap();
    let ehlo = smtp_proto::command::Ehlo::new(smtp_proto::syntax::ClientId::localhost()).unwrap();
    drive(client.send(ehlo), &[EHLO]).result.unwrap().unwrap();
    client
}

#[test]
fn etrn_runs_and_is_checked_before_a_byte() {
    let mut client = ready();
    let run = drive(
        client.send(Etrn("example.org")),
        &[b"250 OK, queuing started\r\n"],
    );
    assert_eq!(run.written, b"ETRN example.org\r\n");
    assert_eq!(run.result.unwrap().unwrap().code().get(), 250);
    let run = drive(
        client.send(Etrn("example.org")),
        &[b"458 Unable to queue\r\n"],
    );
    assert!(matches!(
        run.result.unwrap(),
        Err(LogicError::Refused { .. })
    ));
    assert!(client.is_usable());
}

#[test]
fn a_custom_sasl_mechanism_authenticates_the_session() {
    let mut client = ready();
    let run = drive(
        client.send(XTokenAuth::new("tok")),
        &[b"334 n0nce\r\n", b"235 ok\r\n"],
    );
    assert_eq!(run.written, b"AUTH X-TOKEN\r\ntok:n0nce\r\n");
    let mechanism = run.result.unwrap().unwrap();
    assert_eq!(client.session().authenticated(), Some(&mechanism));
}

#[test]
fn a_pipelined_group_reads_every_reply_after_a_refusal() {
    let mut client = ready();
    let run = drive(
        client.send(Pipelined::new(&["NOOP a", "NOOP b", "NOOP c"])),
        &[b"250 a\r\n550 b\r\n", b"250 c\r\n"],
    );
    assert_eq!(run.written, b"NOOP a\r\nNOOP b\r\nNOOP c\r\n");
    assert!(matches!(
        run.result.unwrap(),
        Err(LogicError::Refused { .. })
    ));
    // The connection is in step: the next command gets its own reply.
    let run = drive(client.send(Noop::default()), &[b"250 next\r\n"]);
    assert_eq!(run.result.unwrap().unwrap().to_string(), "250 next");
}

#[test]
fn a_mail_transaction_written_outside_the_crate() {
    let mut client = ready();
    let mail = MyMail::new(
        "a@example.org",
        &["b@example.net", "c@example.net"],
        b"Hi\n.dot\n",
    );
    let run = drive(
        client.send(mail),
        &[
            b"250 ok\r\n550 no\r\n250 ok\r\n354 go\r\n",
            b"250 queued\r\n",
        ],
    );
    assert_eq!(
        run.written,
        b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nRCPT TO:<c@example.net>\r\nDATA\r\nHi\r\n..dot\r\n.\r\n"
    );
    let report = run.result.unwrap().unwrap();
    assert_eq!(report.refused.len(), 1);
    assert!(!client.session().in_transaction() && !client.session().in_mail_data());
}
