//! What the write-accounting tests of the blocking and futures-io adapters share: mail 1
//! pipelined before mail 2's large envelope, the configuration that keeps them in one
//! transmit, and the server's part up to the 354.

use std::io::{Read, Write};
use std::num::NonZeroUsize;
use std::sync::mpsc;
use std::time::Duration;

use smtp_adapter::{ConnectionConfig, ConnectionConfigBuilder, Error, Security};
use smtp_proto::client::{ClientConfig, Timeouts};
use smtp_proto::command::{Envelope, MailBody, RecipientStatus};

use super::Peer;

/// Mail 1, one recipient, then mail 2 with `recipients` of them, pipelined after it.
pub fn two_mails(recipients: usize) -> [(Envelope, MailBody); 2] {
    let one = Envelope::new(
        "<a@x.test>".parse().unwrap(),
        ["<b@y.test>".parse().unwrap()],
    )
    .unwrap();
    let many: Vec<_> = (0..recipients)
        .map(|i| format!("<r{i:05}@y.test>").parse().unwrap())
        .collect();
    let two = Envelope::new("<a@x.test>".parse().unwrap(), many).unwrap();
    [
        (one, MailBody::bytes(&b"hello\r\n"[..])),
        (two, MailBody::bytes(&b"second\r\n"[..])),
    ]
}

/// Groups of up to 4 MiB (so mail 2's envelope follows mail 1's end of data in one
/// transmit) and a write deadline of `write`.
pub fn config(host: &str, security: Security, write: Duration) -> ConnectionConfigBuilder {
    ConnectionConfig::builder(host)
        .security(security)
        .client_id("client.test".parse().unwrap())
        .client_config(ClientConfig {
            max_group: NonZeroUsize::new(4 << 20),
            timeouts: Timeouts {
                write,
                ..Timeouts::RFC5321
            },
            ..ClientConfig::default()
        })
}

/// The status of mail 1's recipient, as the error that ended the connection reports it.
pub fn first_status(error: &Error) -> Option<RecipientStatus> {
    let report = error.reports().first()?;
    report.recipients().next().map(|(_, r)| r.status())
}

/// The server's part after the greeting: answers mail 1's envelope and DATA (calling
/// `on_data` just before the 354), waits for `resume` if given, then returns everything
/// the client writes until it closes.
pub fn serve<S: Read + Write>(
    peer: &mut Peer<S>,
    on_data: impl FnOnce(),
    resume: Option<mpsc::Receiver<()>>,
) -> Vec<u8> {
    peer.greet_ehlo(&["PIPELINING"]);
    peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n");
    on_data();
    peer.send("250 ok\r\n250 ok\r\n354 go\r\n");
    if let Some(resume) = resume {
        resume.recv().unwrap();
    }
    peer.rest()
}
