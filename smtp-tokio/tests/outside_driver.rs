//! The sans-IO core driven by hand, as the `smtp_proto::client` docs show, over a blocking
//! `std::net::TcpStream` to the in-process test server (in its own thread): the loop below
//! is the docs' loop, with a body source for `NeedBody`; the commands include one written
//! outside the crates (`smtp-proto/tests/outside_support/commands.rs`).
#![cfg(feature = "test-server")]

#[path = "../../smtp-proto/tests/outside_support/commands.rs"]
mod commands;

use std::error::Error;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use smtp_proto::client::{Client, ClientConfig, Exchange, Output};
use smtp_proto::command::{
    Cmd, Envelope, Establish, LogicError, MailBody, Outcome, Quit, SendMail, StreamedBody,
    TlsPolicy,
};
use smtp_proto::syntax::ClientId;
use smtp_tokio::test_server::TestServer;

type Outcome2<T> = Result<Result<T, LogicError>, Box<dyn Error>>;

/// The docs' loop; `body` feeds `NeedBody` in pieces of `piece` octets.
fn run<C: Cmd>(
    stream: &mut TcpStream,
    mut exchange: Exchange<'_, C>,
    mut body: &[u8],
    piece: usize,
) -> Outcome2<C::Output> {
    let mut buf = [0; 8192];
    // The time left before `deadline`; none once it passed: then nothing may wait.
    let left = |deadline: Instant| {
        Some(deadline.saturating_duration_since(Instant::now())).filter(|d| !d.is_zero())
    };
    loop {
        match exchange.poll_output(Instant::now())? {
            Output::Transmit(transmit) => {
                let mut accepted = 0;
                while let Some(rest) = transmit.bytes().get(accepted..).filter(|r| !r.is_empty()) {
                    let written = match left(transmit.write_deadline()) {
                        Some(wait) => stream
                            .set_write_timeout(Some(wait))
                            .and_then(|()| stream.write(rest)),
                        None => Err(ErrorKind::TimedOut.into()),
                    };
                    match written {
                        Ok(n) if n > 0 => accepted += n,
                        _ => {
                            exchange.handle_write_error(accepted);
                            exchange.handle_eof();
                            break;
                        }
                    }
                }
            }
            Output::NeedInput { deadline } => {
                let read = match left(deadline) {
                    Some(wait) => stream
                        .set_read_timeout(Some(wait))
                        .and_then(|()| stream.read(&mut buf)),
                    None => stream.set_nonblocking(true).and_then(|()| {
                        let read = stream.read(&mut buf);
                        stream.set_nonblocking(false)?;
                        read
                    }),
                };
                match read {
                    Ok(0) => exchange.handle_eof(),
                    Ok(n) => exchange.handle_input(&buf[..n]),
                    Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                        exchange.handle_timeout(Instant::now())
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            Output::UpgradeTls => return Err("no TLS in this loop".into()),
            Output::NeedBody => {
                if body.is_empty() {
                    exchange.handle_body_end();
                } else {
                    let (now, rest) = body.split_at(piece.min(body.len()));
                    exchange.handle_body(now);
                    body = rest;
                }
            }
            Output::Done(result) => return Ok(result),
        }
    }
}

fn connect(server: &TestServer) -> (TcpStream, Client) {
    let stream = TcpStream::connect(server.local_addr().unwrap()).unwrap();
    stream.set_nodelay(true).unwrap();
    (stream, Client::new(ClientConfig::default()))
}

#[test]
fn a_hand_written_loop_sends_mail_through_the_test_server() {
    let server = TestServer::builder()
        .capability("ETRN")
        .answer("ETRN", "250 queuing started")
        .spawn_thread()
        .unwrap();
    let (mut stream, mut client) = connect(&server);
    let setup = Establish::new(ClientId::localhost())
        .unwrap()
        .tls(TlsPolicy::Disabled);
    run(&mut stream, client.send(setup), b"", 1)
        .unwrap()
        .unwrap();

    let envelope = Envelope::new(
        "<me@example.org>".parse().unwrap(),
        ["<you@example.net>".parse().unwrap()],
    )
    .unwrap();
    let body = MailBody::bytes(&b"Subject: hello\r\n\r\n.Hi.\r\n"[..]);
    let report = run(
        &mut stream,
        client.send(SendMail::new(envelope, body)),
        b"",
        1,
    )
    .unwrap()
    .unwrap();
    assert_eq!(report.outcome(), Outcome::Delivered);

    // A streamed body, handed over in small pieces through NeedBody.
    let envelope = Envelope::new(
        "<me@example.org>".parse().unwrap(),
        ["<you@example.net>".parse().unwrap()],
    )
    .unwrap();
    let streamed = SendMail::new(envelope, MailBody::Streamed(StreamedBody::default()));
    let text = b"Subject: streamed\r\n\r\nline one\r\n.line two\r\n";
    let report = run(&mut stream, client.send(streamed), text, 7)
        .unwrap()
        .unwrap();
    assert_eq!(report.outcome(), Outcome::Delivered);

    let reply = run(
        &mut stream,
        client.send(commands::Etrn("example.org")),
        b"",
        1,
    )
    .unwrap()
    .unwrap();
    assert_eq!(reply.code().get(), 250);

    let mail = commands::MyMail::new(
        "me@example.org",
        &["you@example.net"],
        b"Subject: mine\n\nx\n",
    );
    run(&mut stream, client.send(mail), b"", 1)
        .unwrap()
        .unwrap();
    run(&mut stream, client.send(Quit), b"", 1)
        .unwrap()
        .unwrap();

    let messages: Vec<_> = (0..3)
        .map(|_| {
            server
                .next_message_blocking(Duration::from_secs(10))
                .unwrap()
        })
        .collect();
    assert_eq!(messages[0].data, b"Subject: hello\r\n\r\n.Hi.\r\n");
    assert_eq!(messages[1].data, text);
    assert_eq!(messages[2].data, b"Subject: mine\r\n\r\nx\r\n");
}

/// The user's own greeting-less setup over a real TLS upgrade: EHLO, STARTTLS, EHLO and a
/// vendor command, each written outside the crates, on a tokio connection to the test
/// server with STARTTLS.
#[tokio::test]
async fn user_commands_set_up_tls_against_the_test_server() {
    let server = TestServer::builder()
        .starttls(true)
        .capability("ETRN")
        .answer("ETRN", "250 queuing started")
        .spawn()
        .await
        .unwrap();
    let config = server.client_config().build().unwrap();
    let (mut c, _) = smtp_tokio::Connection::connect_without_setup(&config)
        .await
        .unwrap();
    c.send(smtp_proto::command::Greeting)
        .await
        .unwrap()
        .unwrap();
    c.send(commands::MyEhlo("client.example"))
        .await
        .unwrap()
        .unwrap();
    let refused = c.send(commands::Etrn("x.example")).await.unwrap();
    assert!(matches!(refused, Err(LogicError::Unsupported { .. })) || refused.is_ok());
    c.send(commands::MyStartTls).await.unwrap().unwrap();
    assert!(c.tls_info().is_some() && c.session().is_tls());
    c.send(commands::MyEhlo("client.example"))
        .await
        .unwrap()
        .unwrap();
    let reply = c.send(commands::Etrn("x.example")).await.unwrap().unwrap();
    assert_eq!(reply.code().get(), 250);
    c.quit().await.unwrap();
    let session = server.next_session().await;
    assert!(session.tls, "{session:?}");
}
