//! Reply deadlines are about the server: a reply that arrived in time is not a timeout,
//! however long the caller took between two results of `Mails::next`.

mod support;

use std::time::Duration;

use smtp_proto::command::{Envelope, MailBody, Outcome};
use support::connected;

fn envelope() -> Envelope {
    Envelope::new(
        "<a@x.test>".parse().unwrap(),
        ["<b@y.test>".parse().unwrap()],
    )
    .unwrap()
}

/// The server answers both mails at once; the caller takes 11 minutes over the first
/// result. The second mail's replies have been waiting in the stream all that time: the
/// mail is delivered, not timed out (and not uncertain).
#[tokio::test(start_paused = true)]
async fn a_slow_caller_between_results_does_not_time_out_replies_already_received() {
    let (mut connection, mut peer) = connected(64 * 1024, &["PIPELINING"]).await;
    let server = tokio::spawn(async move {
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
    });
    let mails = [
        (envelope(), MailBody::bytes(&b"one\r\n"[..])),
        (envelope(), MailBody::bytes(&b"two\r\n"[..])),
    ];
    let mut results = connection.send_all_mails(mails);
    let first = results.next().await.unwrap().unwrap().unwrap();
    assert_eq!(first.outcome(), Outcome::Delivered);
    // The caller is busy (a slow database, say); the server answered long ago.
    tokio::time::sleep(Duration::from_secs(11 * 60)).await;
    let second = results.next().await.expect("a second result");
    let second = match second {
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
    drop(server);
}
