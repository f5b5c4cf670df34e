//! A body source that panics while the server reads a message over DATA, after the 354
//! and part of the body, the panic caught by the application (`catch_unwind`, as a worker
//! pool does), and a timeout with DATA's reply (perhaps a 354) still due: the server is
//! reading message content, or may be soon, so the stream must not be handed out by
//! `into_inner` (SECURITY.md, body smuggling): whatever the caller wrote on it would become
//! part of the open message.

mod support;

use std::io::{Read, Write};
use std::thread::JoinHandle;

use smtp_blocking::{Connection, ConnectionConfig, Security};
use smtp_proto::command::{Envelope, StreamedBody};
use support::{Peer, listener};

/// A connection set up against a peer thread that answers the envelope and DATA, reads
/// the first part of the body, then returns everything else until the client closes.
fn connected() -> (Connection, JoinHandle<Vec<u8>>) {
    let (listener, port) = listener();
    let server = std::thread::spawn(move || {
        let mut peer = Peer::accept(&listener);
        peer.greet_ehlo(&["PIPELINING"]);
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n");
        peer.send("250 ok\r\n250 ok\r\n354 go\r\n");
        peer.expect("Subject: half\r\n\r\nfirst part\r\n");
        peer.rest()
    });
    let config = ConnectionConfig::builder("127.0.0.1")
        .port(port)
        .security(Security::None)
        .client_id("client.test".parse().unwrap())
        .build()
        .unwrap();
    (Connection::connect(&config).unwrap(), server)
}

/// Asserts that `into_inner` withholds the stream: were it handed out, the application's
/// next command written on it would reach the server as message content.
fn assert_withheld(connection: Connection, server: JoinHandle<Vec<u8>>) {
    let handed_out = match connection.into_inner() {
        Some(mut stream) => {
            // What an application does with a stream it got back: its own next command.
            stream.write_all(b"RSET\r\n").unwrap();
            stream.flush().unwrap();
            drop(stream);
            true
        }
        None => false,
    };
    let rest = server.join().unwrap();
    assert!(
        !handed_out,
        "into_inner handed out a stream while the server may read message content; it read \
         {:?} as message content",
        String::from_utf8_lossy(&rest)
    );
}

/// A body source that hands out its first piece, then panics.
struct Panicking(bool);

impl Read for Panicking {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if std::mem::replace(&mut self.0, true) {
            panic!("body source panicked");
        }
        let piece = b"Subject: half\r\n\r\nfirst part\r\n";
        buf[..piece.len()].copy_from_slice(piece);
        Ok(piece.len())
    }
}

#[test]
fn a_body_source_that_panics_leaves_no_stream_in_the_middle_of_data() {
    let (mut connection, server) = connected();
    let envelope = Envelope::new(
        "<a@x.test>".parse().unwrap(),
        ["<b@y.test>".parse().unwrap()],
    )
    .unwrap();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        connection.send_mail_streamed(envelope, Panicking(false), StreamedBody::default())
    }));
    assert!(caught.is_err(), "the body source panicked");
    assert!(!connection.is_usable());
    assert_withheld(connection, server);
}

/// The client's deadline for the pipelined MAIL, RCPT and DATA passes before their replies:
/// fatal, and "no late reply can be matched to a later command" (SECURITY.md); the stream
/// is not handed out either, since the server, answering DATA with a late 354, would read
/// what the application wrote next on it as message content.
#[test]
fn a_timeout_awaiting_the_354_hands_out_no_stream() {
    use smtp_proto::client::Timeouts;
    use smtp_proto::command::MailBody;
    use std::time::Duration;
    let (listener, port) = listener();
    let (answer, answered) = std::sync::mpsc::channel::<()>();
    let server = std::thread::spawn(move || {
        let mut peer = Peer::accept(&listener);
        peer.greet_ehlo(&["PIPELINING"]);
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n");
        answered.recv().unwrap();
        // The server is now reading the message: all that follows is message content.
        let _ = peer.stream.write_all(b"250 ok\r\n250 ok\r\n354 go\r\n");
        peer.rest()
    });
    let timeouts = Timeouts {
        mail: Duration::from_millis(200),
        rcpt: Duration::from_millis(200),
        data_init: Duration::from_millis(200),
        ..Timeouts::default()
    };
    let config = ConnectionConfig::builder("127.0.0.1")
        .port(port)
        .security(Security::None)
        .client_id("client.test".parse().unwrap())
        .timeouts(timeouts)
        .build()
        .unwrap();
    let mut connection = Connection::connect(&config).unwrap();
    let envelope = Envelope::new(
        "<a@x.test>".parse().unwrap(),
        ["<b@y.test>".parse().unwrap()],
    )
    .unwrap();
    let error = connection
        .send_mail(envelope, MailBody::bytes(&b"hello\r\n"[..]))
        .unwrap_err();
    assert!(
        matches!(
            error.protocol(),
            Some(smtp_proto::error::ProtocolError::Timeout(_))
        ),
        "{error}"
    );
    assert!(!connection.is_usable());
    answer.send(()).unwrap();
    assert_withheld(connection, server);
}
