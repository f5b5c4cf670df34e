//! Reply deadlines are about the server: a reply that arrived in time is not a timeout,
//! however long the caller took between two results of `Mails`.

mod support;

use std::time::Duration;

use smtp_blocking::{Connection, ConnectionConfig, Security};
use smtp_proto::client::Timeouts;
use smtp_proto::command::{Envelope, MailBody, Outcome};
use support::{Peer, listener};

fn envelope() -> Envelope {
    Envelope::new(
        "<a@x.test>".parse().unwrap(),
        ["<b@y.test>".parse().unwrap()],
    )
    .unwrap()
}

/// Two one-line mails.
fn two_mails() -> Vec<(Envelope, MailBody)> {
    vec![
        (envelope(), MailBody::bytes(&b"one\r\n"[..])),
        (envelope(), MailBody::bytes(&b"two\r\n"[..])),
    ]
}

/// The server's side of `two_mails`: the second mail's replies go out 100 ms after the
/// first's verdict, while the caller is away.
fn serve_two_mails(listener: &std::net::TcpListener) -> Peer<std::net::TcpStream> {
    let mut peer = Peer::accept(listener);
    peer.greet_ehlo(&["PIPELINING"]);
    peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n");
    peer.send("250 ok\r\n250 ok\r\n354 go\r\n");
    peer.expect("one\r\n.\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n");
    peer.send("250 first queued\r\n");
    std::thread::sleep(Duration::from_millis(100));
    peer.send("250 ok\r\n250 ok\r\n354 go\r\n");
    peer.expect("two\r\n.\r\n");
    peer.send("250 second queued\r\n");
    peer
}

/// The second mail's result: delivered, since every reply was in time.
fn assert_delivered(result: smtp_blocking::MailResult) {
    match result {
        Ok(report) => assert_eq!(report.unwrap().outcome(), Outcome::Delivered),
        Err(error) => panic!(
            "the second mail failed although every reply was in time: {error}; reports: {:?}",
            error
                .reports()
                .iter()
                .map(|r| r.outcome())
                .collect::<Vec<_>>()
        ),
    }
}

/// The server answers both mails at once; the caller takes longer than the reply deadline
/// over the first result. The second mail's replies were in the socket all that time: it
/// is delivered, not timed out (and not uncertain).
#[test]
fn a_slow_caller_between_results_does_not_time_out_replies_already_received() {
    let (listener, port) = listener();
    let server = std::thread::spawn(move || serve_two_mails(&listener));
    let builder = || {
        ConnectionConfig::builder("127.0.0.1")
            .port(port)
            .security(Security::None)
            .client_id("client.test".parse().unwrap())
    };
    let mut core = builder().build().unwrap().client_config();
    core.timeouts = Timeouts::uniform(Duration::from_secs(1));
    let config = builder().client_config(core).build().unwrap();
    let mut connection = Connection::connect(&config).unwrap();
    let mut results = connection.send_all_mails(two_mails());
    let first = results.next().unwrap().unwrap().unwrap();
    assert_eq!(first.outcome(), Outcome::Delivered);
    // The caller is busy; the server answers the second mail meanwhile, in time.
    std::thread::sleep(Duration::from_millis(2500));
    assert_delivered(results.next().expect("a second result"));
    assert!(results.next().is_none());
    drop(results);
    drop(server.join().unwrap());
}

/// The slow caller of the test above over a stream the adapter does not know (the
/// caller's own tunnel: any `Read + Write`, with the read timeout its owner gave it). The
/// reply that came while the caller was away is in the stream, readable at once: it is no
/// timeout here either (`Output::NeedInput`: "What arrived while nobody read counts").
#[test]
fn a_slow_caller_over_the_callers_own_stream_does_not_time_out_replies_already_received() {
    use std::io::{Read, Write};

    struct Opaque(std::net::TcpStream);
    impl Read for Opaque {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.0.read(buf)
        }
    }
    impl Write for Opaque {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.write(buf)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            self.0.flush()
        }
    }

    let (listener, port) = listener();
    let server = std::thread::spawn(move || serve_two_mails(&listener));
    let builder = || {
        ConnectionConfig::builder("127.0.0.1")
            .port(port)
            .security(Security::None)
            .client_id("client.test".parse().unwrap())
    };
    let mut core = builder().build().unwrap().client_config();
    core.timeouts = Timeouts::uniform(Duration::from_secs(2));
    let config = builder().client_config(core).build().unwrap();
    let socket = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    // The owner's own bound on every read.
    socket
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut connection = Connection::connect_with_stream(Opaque(socket), &config).unwrap();
    let mut results = connection.send_all_mails(two_mails());
    let first = results.next().unwrap().unwrap().unwrap();
    assert_eq!(first.outcome(), Outcome::Delivered);
    // The caller is busy; the server answers the second mail meanwhile, in time.
    std::thread::sleep(Duration::from_millis(3000));
    assert_delivered(results.next().expect("a second result"));
    assert!(results.next().is_none());
    drop(results);
    drop(server.join().unwrap());
}
