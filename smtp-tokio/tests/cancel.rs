//! Futures dropped mid-write: the rest of the transmit is lost, so the exchange fails and
//! the connection is dropped; nothing more is written after the cut, and a message cut
//! short is never reported delivered. A future dropped while waiting for a reply loses
//! nothing: `Mails::next` goes on where it stopped.
//!
//! The stream is an in-memory pipe smaller than one transmit, and time is paused: a
//! `timeout` expires only once every task waits, which here means that the client's write
//! is blocked on a full pipe (the server has stopped reading).

mod support;

use std::time::Duration;

use smtp_proto::command::{Envelope, MailBody, Noop, Outcome, RecipientStatus};
use smtp_proto::error::ProtocolError;
use support::{connected, serve_after_354};
use tokio::sync::oneshot;
use tokio::time::timeout;

/// The pipe's capacity: far less than one transmit of body (up to 64 KiB).
const PIPE: usize = 4 * 1024;

fn envelope() -> Envelope {
    Envelope::new(
        "<a@x.test>".parse().unwrap(),
        ["<b@y.test>".parse().unwrap()],
    )
    .unwrap()
}

/// 1 MB of numbered lines (no dot to stuff): any hole in what the server receives shows.
fn body() -> Vec<u8> {
    (0..10_000)
        .flat_map(|i| format!("{i:08} {}\r\n", "x".repeat(90)).into_bytes())
        .collect()
}

/// What the server received is the start of the body: no hole, no end of data.
fn assert_cut_cleanly(received: &[u8], body: &[u8]) {
    assert!(
        received.len() < body.len(),
        "{} octets received",
        received.len()
    );
    assert!(
        received == &body[..received.len()],
        "the server received a message with a hole"
    );
}

#[tokio::test(start_paused = true)]
async fn a_next_dropped_mid_write_fails_the_mail_and_sends_nothing_more() {
    let (mut connection, peer) = connected(PIPE, &["PIPELINING"]).await;
    let (resume, resumed) = oneshot::channel();
    let server = serve_after_354(peer, resumed, true);
    let body = body();
    let mut results = connection.send_all_mails([(envelope(), MailBody::bytes(body.clone()))]);

    // Expires only when the client is stuck: in the body's write, on a full pipe.
    let cut = timeout(Duration::from_secs(1), results.next()).await;
    assert!(cut.is_err(), "the write should have blocked: {cut:?}");
    resume.send(()).unwrap();

    let error = results.next().await.expect("a result").unwrap_err();
    assert_eq!(
        error.protocol(),
        Some(&ProtocolError::WriteFailed),
        "{error}"
    );
    let report = error.reports().first().expect("the mail's report");
    assert_eq!(report.outcome(), Outcome::NotSent);
    let (_, recipient) = report.recipients().next().unwrap();
    assert!(recipient.is_accepted());
    assert_eq!(recipient.status(), RecipientStatus::NotAttempted);
    assert!(results.next().await.is_none());
    drop(results);

    assert!(!connection.is_usable());
    let error = connection.send(Noop::default()).await.unwrap_err();
    assert_eq!(error.protocol(), Some(&ProtocolError::Unusable), "{error}");
    // The stream was dropped when the cut was found, before the server read on.
    assert!(connection.into_inner().is_none());
    assert_cut_cleanly(&server.await.unwrap(), &body);
}

#[tokio::test(start_paused = true)]
async fn a_send_mail_dropped_mid_write_leaves_the_connection_unusable() {
    let (mut connection, peer) = connected(PIPE, &["PIPELINING"]).await;
    let (resume, resumed) = oneshot::channel();
    let server = serve_after_354(peer, resumed, true);
    let body = body();

    let cut = timeout(
        Duration::from_secs(1),
        connection.send_mail(envelope(), MailBody::bytes(body.clone())),
    )
    .await;
    assert!(cut.is_err(), "the write should have blocked: {cut:?}");
    resume.send(()).unwrap();

    assert!(!connection.is_usable());
    let error = connection.send(Noop::default()).await.unwrap_err();
    assert_eq!(error.protocol(), Some(&ProtocolError::Unusable), "{error}");
    assert!(!connection.is_usable());
    assert!(connection.into_inner().is_none());
    // No NOOP, no rest of the body: the server reads the start of the body, then the end.
    assert_cut_cleanly(&server.await.unwrap(), &body);
}

/// A `next` dropped while it waits for the verdict (a read) loses nothing: called again,
/// it reads on, and the connection stays usable.
#[tokio::test(start_paused = true)]
async fn a_next_dropped_while_reading_goes_on_where_it_stopped() {
    let (mut connection, mut peer) = connected(PIPE, &["PIPELINING"]).await;
    let (verdict, verdict_due) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n")
            .await;
        peer.send("250 ok\r\n250 ok\r\n354 go\r\n").await;
        peer.expect("hello\r\n.\r\n").await;
        verdict_due.await.unwrap();
        peer.send("250 queued\r\n").await;
        peer.expect("NOOP\r\n").await;
        peer.send("250 ok\r\n").await;
    });
    let mut results = connection.send_all_mails([(envelope(), MailBody::bytes(&b"hello\r\n"[..]))]);
    for _ in 0..3 {
        let waited = timeout(Duration::from_secs(1), results.next()).await;
        assert!(waited.is_err(), "no verdict yet: {waited:?}");
    }
    verdict.send(()).unwrap();
    let report = results.next().await.unwrap().unwrap().unwrap();
    assert_eq!(report.outcome(), Outcome::Delivered);
    assert!(results.next().await.is_none());
    drop(results);
    assert!(connection.is_usable());
    connection.send(Noop::default()).await.unwrap().unwrap();
    server.await.unwrap();
}

/// The `Stream` made by `unfold` keeps the `next` future it runs: a `next()` on it dropped
/// mid-write loses nothing, and the mail is delivered whole.
#[tokio::test(start_paused = true)]
async fn a_stream_of_results_resumes_a_write_cut_mid_way() {
    use futures_lite::{StreamExt, stream};

    let (mut connection, peer) = connected(PIPE, &["PIPELINING"]).await;
    let (resume, resumed) = oneshot::channel();
    let server = serve_after_354(peer, resumed, true);
    let body = body();
    {
        let mails = connection.send_all_mails([(envelope(), MailBody::bytes(body.clone()))]);
        let results = stream::unfold(mails, |mut mails| async move {
            mails.next().await.map(|result| (result, mails))
        });
        let mut results = std::pin::pin!(results);
        let cut = timeout(Duration::from_secs(1), results.next()).await;
        assert!(cut.is_err(), "the write should have blocked: {cut:?}");
        resume.send(()).unwrap();
        let report = results.next().await.unwrap().unwrap().unwrap();
        assert_eq!(report.outcome(), Outcome::Delivered);
        assert!(results.next().await.is_none());
    }
    assert!(connection.is_usable());
    drop(connection);
    let received = server.await.unwrap();
    assert_eq!(received.len(), body.len() + 3);
    assert!(received[..body.len()] == body[..], "a hole in the message");
    assert_eq!(&received[body.len()..], b".\r\n");
}
