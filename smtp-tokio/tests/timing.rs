//! Reply deadlines are about the server: a reply that arrived in time is not a timeout,
//! however long the caller took between two results of `Mails::next`.

mod support;

use std::time::Duration;

use smtp_proto::command::{Envelope, MailBody, Outcome};
use support::{Peer, connected};
use tokio::io::DuplexStream;

fn envelope() -> Envelope {
    Envelope::new(
        "<a@x.test>".parse().unwrap(),
        ["<b@y.test>".parse().unwrap()],
    )
    .unwrap()
}

/// Two one-line mails.
fn two_mails() -> [(Envelope, MailBody); 2] {
    [
        (envelope(), MailBody::bytes(&b"one\r\n"[..])),
        (envelope(), MailBody::bytes(&b"two\r\n"[..])),
    ]
}

/// The server's side of `two_mails`, every reply sent as soon as it can be.
async fn serve_two_mails(mut peer: Peer<DuplexStream>) -> Peer<DuplexStream> {
    peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n")
        .await;
    peer.send("250 ok\r\n250 ok\r\n354 go\r\n").await;
    // The second mail rides with the first one's end of data.
    peer.expect("one\r\n.\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n")
        .await;
    peer.send("250 first queued\r\n").await;
    peer.send("250 ok\r\n250 ok\r\n354 go\r\n").await;
    peer.expect("two\r\n.\r\n").await;
    peer.send("250 second queued\r\n").await;
    peer
}

/// The second mail's result: delivered, since every reply was in time.
fn assert_delivered(result: smtp_tokio::MailResult) {
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

/// The server answers both mails at once; the caller takes 11 minutes over the first
/// result. The second mail's replies have been waiting in the stream all that time: the
/// mail is delivered, not timed out (and not uncertain).
#[tokio::test(start_paused = true)]
async fn a_slow_caller_between_results_does_not_time_out_replies_already_received() {
    let (mut connection, peer) = connected(64 * 1024, &["PIPELINING"]).await;
    let server = tokio::spawn(serve_two_mails(peer));
    let mut results = connection.send_all_mails(two_mails());
    let first = results.next().await.unwrap().unwrap().unwrap();
    assert_eq!(first.outcome(), Outcome::Delivered);
    // The caller is busy (a slow database, say); the server answered long ago.
    tokio::time::sleep(Duration::from_secs(11 * 60)).await;
    assert_delivered(results.next().await.expect("a second result"));
    assert!(results.next().await.is_none());
    drop(results);
    drop(server);
}

/// The slow caller of the test above, whose task also did tokio work of its own (channel
/// receives, socket writes, ...) before it asked for the next result, and spent the task's
/// cooperative budget for this poll doing so. The second mail's replies have been in the
/// stream all along; a read that cannot wait gets `Pending` from tokio for the spent budget
/// alone, not because nothing arrived, and that must not be taken for a timeout (the mail
/// comes out `Uncertain` although its 250 is in the stream).
#[tokio::test(start_paused = true)]
async fn a_spent_cooperative_budget_is_not_a_timeout_of_replies_already_received() {
    let (mut connection, peer) = connected(64 * 1024, &["PIPELINING"]).await;
    let server = tokio::spawn(serve_two_mails(peer));
    let mut results = connection.send_all_mails(two_mails());
    let first = results.next().await.unwrap().unwrap().unwrap();
    assert_eq!(first.outcome(), Outcome::Delivered);
    tokio::time::sleep(Duration::from_secs(11 * 60)).await;
    // Other tokio work of the caller's task, all of it ready, up to the end of its budget.
    while tokio::task::coop::has_budget_remaining() {
        tokio::task::consume_budget().await;
    }
    assert_delivered(results.next().await.expect("a second result"));
    assert!(results.next().await.is_none());
    drop(results);
    drop(server);
}

/// The slow caller over a real socket on a current-thread runtime (`#[tokio::test]`'s
/// own), busy without yielding (a synchronous database call, say) for longer than the
/// reply deadline. The server answered the second mail in time, and its replies are in
/// the socket; but tokio learns that a socket is readable only when its reactor runs, and
/// nothing ran it meanwhile: a read that never waits gets `Pending`, which must not be
/// taken for a timeout.
#[tokio::test]
async fn a_busy_caller_on_a_current_thread_runtime_does_not_time_out_replies_already_received() {
    use std::io::{BufRead, BufReader, Write};

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut writer = stream;
        // A client gone early (the failure under test) ends the server quietly.
        let mut expect = |lines: &[&str]| {
            lines.iter().all(|expected| {
                let mut line = String::new();
                reader.read_line(&mut line).is_ok() && line == *expected
            })
        };
        let envelope = [
            "MAIL FROM:<a@x.test>\r\n",
            "RCPT TO:<b@y.test>\r\n",
            "DATA\r\n",
        ];
        let _ = writer.write_all(b"220 mx.test ESMTP\r\n");
        if expect(&["EHLO client.test\r\n"]) {
            let _ = writer.write_all(b"250-mx.test\r\n250 PIPELINING\r\n");
        }
        if expect(&envelope) {
            let _ = writer.write_all(b"250 ok\r\n250 ok\r\n354 go\r\n");
        }
        if expect(&["one\r\n", ".\r\n"]) && expect(&envelope) {
            let _ = writer.write_all(b"250 first queued\r\n");
            std::thread::sleep(Duration::from_millis(100));
            let _ = writer.write_all(b"250 ok\r\n250 ok\r\n354 go\r\n");
        }
        if expect(&["two\r\n", ".\r\n"]) {
            let _ = writer.write_all(b"250 second queued\r\n");
        }
        reader
    });
    let builder = || {
        smtp_tokio::ConnectionConfig::builder("127.0.0.1")
            .port(port)
            .security(smtp_tokio::Security::None)
            .client_id("client.test".parse().unwrap())
    };
    let mut core = builder().build().unwrap().client_config();
    core.timeouts = smtp_proto::client::Timeouts::uniform(Duration::from_secs(2));
    let config = builder().client_config(core).build().unwrap();
    let mut connection = smtp_tokio::Connection::connect(&config).await.unwrap();
    let mut results = connection.send_all_mails(two_mails());
    let first = results.next().await.unwrap().unwrap().unwrap();
    assert_eq!(first.outcome(), Outcome::Delivered);
    // Busy without yielding; the server answers the second mail meanwhile, in time.
    std::thread::sleep(Duration::from_millis(3000));
    assert_delivered(results.next().await.expect("a second result"));
    assert!(results.next().await.is_none());
    drop(results);
    drop(server.join().unwrap());
}
