//! `Connection::connect_without_setup`: the setup runs as the first `send`, and however it
//! ends, what it received stays readable in the session (RFC 5321 §3.1, §4.1.1.1).
#![cfg(feature = "async-std")]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::thread::JoinHandle;
use std::time::Duration;

use smtp_async_std::{Connection, ConnectionConfig, Security};
use smtp_proto::client::{ReplyKind, Session};
use smtp_proto::command::LogicError;
use smtp_proto::error::ProtocolError;

/// A one-connection scripted server on an ephemeral loopback port: it sends the first
/// step's octets, then for each further step reads one line that must start with the
/// step's verb and answers with its octets; after the last step it closes. The thread
/// returns the lines read.
fn script(steps: Vec<(&'static str, &'static str)>) -> (u16, JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut writer = stream.try_clone().unwrap();
        let mut reader = BufReader::new(stream);
        let mut lines = Vec::new();
        for (verb, reply) in steps {
            if !verb.is_empty() {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                assert!(line.starts_with(verb), "expected {verb}, got {line:?}");
                lines.push(line);
            }
            writer.write_all(reply.as_bytes()).unwrap();
        }
        lines
    });
    (port, server)
}

fn config(port: u16) -> ConnectionConfig {
    ConnectionConfig::builder("127.0.0.1")
        .port(port)
        .security(Security::None)
        .client_id("client.test".parse().unwrap())
        .build()
        .unwrap()
}

/// Greeting, then EHLO and the HELO fallback refused.
fn refused_hello() -> Vec<(&'static str, &'static str)> {
    vec![
        ("", "220 tiny.test ESMTP\r\n"),
        ("EHLO client.test", "550 5.7.1 no EHLO for you\r\n"),
        ("HELO client.test", "550 5.7.1 nor HELO\r\n"),
        ("QUIT", "221 2.0.0 bye\r\n"),
    ]
}

/// Greeting, then the EHLO reply cut off after its first line.
fn cut_hello() -> Vec<(&'static str, &'static str)> {
    vec![
        ("", "220 tiny.test ESMTP\r\n"),
        ("EHLO client.test", "250-tiny.test\r\n250-PIPELI"),
    ]
}

fn assert_greeting(session: &Session) {
    let greeting = session.greeting().expect("the greeting is kept");
    assert_eq!(greeting.code().get(), 220);
    assert_eq!(greeting.to_string(), "220 tiny.test ESMTP");
}

#[async_std::test]
async fn a_refused_hello_leaves_the_greeting_readable() {
    let (port, server) = script(refused_hello());
    let config = config(port);
    let (mut connection, local) = Connection::connect_without_setup(&config).await.unwrap();
    assert!(local.is_some(), "TCP has a local address");
    assert!(
        connection.session().greeting().is_none(),
        "nothing read yet"
    );
    let result = connection.send(config.establish(local).unwrap()).await;
    let Ok(Err(LogicError::Refused { command, response })) = result else {
        panic!("expected HELO refused, got {result:?}");
    };
    assert_eq!((command, response.code().get()), ("HELO", 550));
    assert_greeting(connection.session());
    assert!(connection.session().ehlo().is_none());
    assert!(connection.established().is_none());
    assert!(connection.tls_info().is_none());
    assert!(
        connection.is_usable(),
        "a refusal leaves the connection usable"
    );
    connection.quit().await.unwrap();
    assert_eq!(server.join().unwrap().len(), 3);
}

#[async_std::test]
async fn a_hello_cut_off_keeps_the_greeting() {
    let (port, server) = script(cut_hello());
    let config = config(port);
    let (mut connection, local) = Connection::connect_without_setup(&config).await.unwrap();
    let result = connection.send(config.establish(local).unwrap()).await;
    let error = result.unwrap_err();
    assert_eq!(
        error.protocol(),
        Some(&ProtocolError::TruncatedReply(ReplyKind::Hello))
    );
    assert_greeting(connection.session());
    assert!(!connection.is_usable());
    server.join().unwrap();
}
