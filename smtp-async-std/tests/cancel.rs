//! Futures dropped mid-write: the rest of the transmit is lost, so the exchange fails and
//! the connection is dropped; nothing more is written after the cut, and a message cut
//! short is never reported delivered. A future dropped while waiting for a reply loses
//! nothing: `Mails::next` goes on where it stopped.
//!
//! The stream is one end of a Unix socket pair (a few hundred KiB of buffer, no
//! autotuning), the server a thread on the other end that stops reading after the 354.
//! The client's stream tells when a write blocks, and the future is dropped right then:
//! no timer decides where the cut falls.
#![cfg(unix)]

#[path = "../../smtp-blocking/tests/support/mod.rs"]
mod support;
mod watched;

use std::future::Future;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use async_io::{Async, Timer};
use futures_lite::FutureExt;
use smtp_async_std::{Connection, ConnectionConfig, Security};
use smtp_proto::command::{Envelope, MailBody, Noop, Outcome, RecipientStatus};
use smtp_proto::error::ProtocolError;
use support::Peer;
use watched::{Watched, cut_mid_write};

/// A connection set up against a peer thread, which then runs `then`.
async fn connected<T: Send + 'static>(
    then: impl FnOnce(Peer<UnixStream>) -> T + Send + 'static,
) -> (Connection, JoinHandle<T>, Arc<AtomicBool>) {
    let (client, server) = UnixStream::pair().unwrap();
    server
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let server = std::thread::spawn(move || {
        let mut peer = Peer::new(server);
        peer.greet_ehlo(&["PIPELINING"]);
        then(peer)
    });
    let config = ConnectionConfig::builder("mx.test")
        .security(Security::None)
        .client_id("client.test".parse().unwrap())
        .build()
        .unwrap();
    let blocked = Arc::new(AtomicBool::new(false));
    let client = Watched {
        stream: Async::new(client).unwrap(),
        blocked: blocked.clone(),
    };
    let connection = Connection::connect_with_stream(client, &config)
        .await
        .unwrap();
    (connection, server, blocked)
}

fn envelope() -> Envelope {
    Envelope::new(
        "<a@x.test>".parse().unwrap(),
        ["<b@y.test>".parse().unwrap()],
    )
    .unwrap()
}

/// 4 MB of numbered lines (no dot to stuff), far more than the socket holds: any hole in
/// what the server receives shows.
fn body() -> Vec<u8> {
    (0..40_000)
        .flat_map(|i| format!("{i:08} {}\r\n", "x".repeat(90)).into_bytes())
        .collect()
}

/// The server's part after the greeting: answers the envelope and DATA, stops reading
/// until `resume`, then reads everything to the end, answering an end of data with 250 (as
/// a real server would, whatever hole the message has). Returns the octets received after
/// the 354.
fn serve(resume: mpsc::Receiver<()>) -> impl FnOnce(Peer<UnixStream>) -> Vec<u8> + Send + 'static {
    move |mut peer| {
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n");
        peer.send("250 ok\r\n250 ok\r\n354 go\r\n");
        resume.recv().unwrap();
        let mut received = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = peer.stream.read(&mut buf).unwrap_or(0);
            if n == 0 {
                return received;
            }
            received.extend_from_slice(&buf[..n]);
            if received.ends_with(b"\r\n.\r\n") {
                peer.stream.write_all(b"250 queued\r\n").unwrap();
            }
        }
    }
}

/// `future`'s output, or `None` if `after` passed first (`future` is then dropped).
async fn within<T>(after: Duration, future: impl Future<Output = T>) -> Option<T> {
    async { Some(future.await) }
        .or(async {
            Timer::after(after).await;
            None
        })
        .await
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

#[async_std::test]
async fn a_next_dropped_mid_write_fails_the_mail_and_sends_nothing_more() {
    let (resume, resumed) = mpsc::channel();
    let (mut connection, server, blocked) = connected(serve(resumed)).await;
    let body = body();
    let mut results = connection.send_all_mails([(envelope(), MailBody::bytes(body.clone()))]);

    cut_mid_write(&blocked, results.next()).await;
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
    assert_cut_cleanly(&server.join().unwrap(), &body);
}

#[async_std::test]
async fn a_send_mail_dropped_mid_write_leaves_the_connection_unusable() {
    let (resume, resumed) = mpsc::channel();
    let (mut connection, server, blocked) = connected(serve(resumed)).await;
    let body = body();

    let mail = connection.send_mail(envelope(), MailBody::bytes(body.clone()));
    cut_mid_write(&blocked, mail).await;
    resume.send(()).unwrap();

    assert!(!connection.is_usable());
    let error = connection.send(Noop::default()).await.unwrap_err();
    assert_eq!(error.protocol(), Some(&ProtocolError::Unusable), "{error}");
    assert!(connection.into_inner().is_none());
    // No NOOP, no rest of the body: the server reads the start of the body, then the end.
    assert_cut_cleanly(&server.join().unwrap(), &body);
}

/// A `next` dropped while it waits for the verdict (a read) loses nothing: called again,
/// it reads on, and the connection stays usable.
#[async_std::test]
async fn a_next_dropped_while_reading_goes_on_where_it_stopped() {
    let (verdict, verdict_due) = mpsc::channel::<()>();
    let (mut connection, server, _) = connected(move |mut peer| {
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n");
        peer.send("250 ok\r\n250 ok\r\n354 go\r\n");
        peer.expect("hello\r\n.\r\n");
        verdict_due.recv().unwrap();
        peer.send("250 queued\r\n");
        peer.expect("NOOP\r\n");
        peer.send("250 ok\r\n");
    })
    .await;
    let mut results = connection.send_all_mails([(envelope(), MailBody::bytes(&b"hello\r\n"[..]))]);
    for _ in 0..3 {
        let waited = within(Duration::from_millis(50), results.next()).await;
        assert!(waited.is_none(), "no verdict yet: {waited:?}");
    }
    verdict.send(()).unwrap();
    let report = results.next().await.unwrap().unwrap().unwrap();
    assert_eq!(report.outcome(), Outcome::Delivered);
    assert!(results.next().await.is_none());
    drop(results);
    assert!(connection.is_usable());
    connection.send(Noop::default()).await.unwrap().unwrap();
    server.join().unwrap();
}

/// The `Stream` made by `unfold` keeps the `next` future it runs: a `next()` on it dropped
/// mid-write loses nothing, and the mail is delivered whole.
#[async_std::test]
async fn a_stream_of_results_resumes_a_write_cut_mid_way() {
    use futures_lite::{StreamExt, stream};

    let (resume, resumed) = mpsc::channel();
    let (mut connection, server, blocked) = connected(serve(resumed)).await;
    let body = body();
    {
        let mails = connection.send_all_mails([(envelope(), MailBody::bytes(body.clone()))]);
        let results = stream::unfold(mails, |mut mails| async move {
            mails.next().await.map(|result| (result, mails))
        });
        let mut results = std::pin::pin!(results);
        cut_mid_write(&blocked, results.next()).await;
        resume.send(()).unwrap();
        let report = results.next().await.unwrap().unwrap().unwrap();
        assert_eq!(report.outcome(), Outcome::Delivered);
        assert!(results.next().await.is_none());
    }
    assert!(connection.is_usable());
    drop(connection);
    let received = server.join().unwrap();
    assert_eq!(received.len(), body.len() + 3);
    assert!(received[..body.len()] == body[..], "a hole in the message");
    assert_eq!(&received[body.len()..], b".\r\n");
}
