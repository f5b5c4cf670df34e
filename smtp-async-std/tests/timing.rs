//! Reply deadlines are about the server: a reply that arrived in time is not a timeout,
//! however long the caller took between two results of `Mails::next`.
//!
//! The server is a std thread (the blocking adapter's test support).

#[path = "../../smtp-blocking/tests/support/mod.rs"]
mod support;

use std::time::Duration;

use smtp_async_std::{Connection, ConnectionConfig, Security};
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

/// The server answers both mails at once; the caller takes longer than the reply deadline
/// over the first result. The second mail's replies were in the socket all that time: it
/// is delivered, not timed out (and not uncertain).
#[async_std::test]
async fn a_slow_caller_between_results_does_not_time_out_replies_already_received() {
    let (listener, port) = listener();
    let server = std::thread::spawn(move || {
        let mut peer = Peer::accept(&listener);
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
    });
    let builder = || {
        ConnectionConfig::builder("127.0.0.1")
            .port(port)
            .security(Security::None)
            .client_id("client.test".parse().unwrap())
    };
    let mut core = builder().build().unwrap().client_config();
    core.timeouts = Timeouts::uniform(Duration::from_secs(1));
    let config = builder().client_config(core).build().unwrap();
    let mut connection = Connection::connect(&config).await.unwrap();
    let mails = vec![
        (envelope(), MailBody::bytes(&b"one\r\n"[..])),
        (envelope(), MailBody::bytes(&b"two\r\n"[..])),
    ];
    let mut results = connection.send_all_mails(mails);
    let first = results.next().await.unwrap().unwrap().unwrap();
    assert_eq!(first.outcome(), Outcome::Delivered);
    // The caller is busy; the server answers the second mail meanwhile, in time.
    async_std::task::sleep(Duration::from_millis(2500)).await;
    let second = match results.next().await.expect("a second result") {
        Ok(report) => report.unwrap(),
        Err(error) => panic!(
            "the second mail failed although every reply was in time: {error}; reports: {:?}",
            error
                .reports()
                .iter()
                .map(|r| r.outcome())
                .collect::<Vec<_>>()
        ),
    };
    assert_eq!(second.outcome(), Outcome::Delivered);
    assert!(results.next().await.is_none());
    drop(results);
    drop(server.join().unwrap());
}
