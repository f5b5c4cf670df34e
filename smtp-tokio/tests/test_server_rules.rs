//! Rules of the RFCs that the test server keeps where a client could not tell by itself:
//! LMTP's reply counts, when AUTH may start, what STARTTLS forgets, parameters and paths.
//! Seen from a raw client, byte for byte.
#![cfg(feature = "test-server")]

use std::sync::Arc;
use std::time::Duration;

use smtp_proto::auth::Credentials;
use smtp_proto::syntax::ReversePath;
use smtp_tokio::test_server::{Fault, SessionEnd, Stage, TestServer, TestServerBuilder};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// A raw client over TCP or TLS.
struct Raw<S>(BufReader<S>);

impl<S: AsyncRead + AsyncWrite + Unpin> Raw<S> {
    /// The next reply, lines joined by `|`; `None` on EOF or after 3 s of silence.
    async fn try_reply(&mut self) -> Option<String> {
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            let read = self.0.read_line(&mut line);
            match tokio::time::timeout(Duration::from_secs(3), read).await {
                Ok(Ok(n)) if n > 0 => {}
                _ => return None,
            }
            let line = line.trim_end().to_owned();
            let more = line.as_bytes().get(3) == Some(&b'-');
            lines.push(line);
            if !more {
                return Some(lines.join("|"));
            }
        }
    }

    /// Sends these bytes as they are and returns the reply.
    async fn send(&mut self, bytes: &str) -> String {
        self.0.get_mut().write_all(bytes.as_bytes()).await.unwrap();
        self.try_reply().await.expect("a reply")
    }

    /// Sends one line (CRLF added) and returns the reply.
    async fn command(&mut self, line: &str) -> String {
        self.send(&format!("{line}\r\n")).await
    }
}

/// Spawns the server, connects, reads the greeting and sends `hello`.
async fn open(builder: TestServerBuilder, hello: &str) -> (TestServer, Raw<TcpStream>) {
    let server = builder.spawn().await.unwrap();
    let stream = TcpStream::connect(server.local_addr().unwrap())
        .await
        .unwrap();
    let mut c = Raw(BufReader::new(stream));
    c.try_reply().await.unwrap();
    c.command(hello).await;
    (server, c)
}

/// `AUTH PLAIN` for `ann` with password `pw`.
const PLAIN_ANN: &str = "AUTH PLAIN AGFubgBwdw==";

/// RFC 2033 §4.2: one reply per accepted recipient to the end of the message, a refusal
/// for size included; with one 552 the client would wait for ever for the second.
#[tokio::test]
async fn lmtp_refuses_an_oversized_message_once_per_recipient() {
    for bdat in [false, true] {
        let builder = TestServer::builder().lmtp(true).size(Some(100));
        let (_server, mut c) = open(builder, "LHLO c.test").await;
        for line in [
            "MAIL FROM:<a@x.test>",
            "RCPT TO:<b@y.test>",
            "RCPT TO:<c@y.test>",
        ] {
            c.command(line).await;
        }
        let body = "x".repeat(200);
        let first = if bdat {
            c.send(&format!("BDAT 200 LAST\r\n{body}")).await
        } else {
            assert!(c.command("DATA").await.starts_with("354"));
            c.command(&format!("{body}\r\n.")).await
        };
        assert_eq!(first, "552 5.3.4 Message too big", "bdat {bdat}");
        assert_eq!(
            c.try_reply().await.as_deref(),
            Some("552 5.3.4 Message too big"),
            "bdat {bdat}"
        );
        // The transaction is over: a new one may start, and nothing else was queued.
        assert_eq!(c.command("MAIL FROM:<a@x.test>").await, "250 2.1.0 Ok");
    }
}

/// `Fault::DisconnectAfterVerdict` sends the verdict, then closes: in LMTP the verdict
/// is one reply per recipient.
#[tokio::test]
async fn lmtp_disconnect_after_verdict_sends_every_verdict() {
    let builder = TestServer::builder()
        .lmtp(true)
        .fault(Fault::DisconnectAfterVerdict);
    let (_server, mut c) = open(builder, "LHLO c.test").await;
    for line in [
        "MAIL FROM:<a@x.test>",
        "RCPT TO:<b@y.test>",
        "RCPT TO:<c@y.test>",
        "DATA",
    ] {
        c.command(line).await;
    }
    assert_eq!(c.command("hi\r\n.").await, "250 2.1.5 <b@y.test> delivered");
    assert_eq!(
        c.try_reply().await.as_deref(),
        Some("250 2.1.5 <c@y.test> delivered")
    );
    assert_eq!(c.try_reply().await, None, "closed after the last verdict");
}

/// RFC 2033 §4.2: with no successful RCPT, "the DATA command MUST fail with a 503 reply
/// code" (SMTP's 554 stays for SMTP).
#[tokio::test]
async fn lmtp_data_without_an_accepted_recipient_is_503() {
    let builder = TestServer::builder()
        .lmtp(true)
        .refuse(Stage::Rcpt, "", "550 5.1.1 no");
    let (_server, mut c) = open(builder, "LHLO c.test").await;
    c.command("MAIL FROM:<a@x.test>").await;
    assert_eq!(c.command("RCPT TO:<b@y.test>").await, "550 5.1.1 no");
    assert_eq!(c.command("DATA").await, "503 5.5.1 No valid recipients");
}

/// RFC 4954 §4: "The AUTH command is not permitted during a mail transaction" (503), and
/// after a successful AUTH "a server MUST reject any further AUTH commands with a 503".
#[tokio::test]
async fn auth_during_a_transaction_or_twice_is_503() {
    let builder = TestServer::builder()
        .auth("ann", "pw")
        .allow_plaintext_auth(true);
    let (_server, mut c) = open(builder, "EHLO c.test").await;
    assert_eq!(c.command("MAIL FROM:<a@x.test>").await, "250 2.1.0 Ok");
    assert_eq!(
        c.command(PLAIN_ANN).await,
        "503 5.5.1 AUTH not permitted during a mail transaction"
    );
    assert_eq!(c.command("RSET").await, "250 2.0.0 Ok");
    assert_eq!(
        c.command(PLAIN_ANN).await,
        "235 2.7.0 Authentication successful"
    );
    assert_eq!(
        c.command(PLAIN_ANN).await,
        "503 5.5.1 Already authenticated"
    );
    assert_eq!(
        c.command("AUTH LOGIN").await,
        "503 5.5.1 Already authenticated"
    );
}

/// RFC 4954 §6 (538) and SECURITY.md: without TLS, AUTH is refused before the first
/// challenge, so that LOGIN never asks for a user name and password in clear.
#[tokio::test]
async fn auth_without_tls_is_refused_before_any_challenge() {
    let builder = TestServer::builder().starttls(true).auth("ann", "pw");
    let (server, mut c) = open(builder, "EHLO c.test").await;
    for line in ["AUTH LOGIN", "AUTH PLAIN", PLAIN_ANN] {
        assert_eq!(
            c.command(line).await,
            "538 5.7.11 Encryption required for requested authentication mechanism",
            "{line}"
        );
    }
    c.command("QUIT").await;
    assert!(server.next_session().await.auth.is_empty());
}

/// A refused greeting: only QUIT is served (RFC 5321 §3.1), AUTH included, without a
/// challenge first.
#[tokio::test]
async fn auth_after_a_refused_greeting_gets_no_challenge() {
    let server = TestServer::builder()
        .auth("ann", "pw")
        .allow_plaintext_auth(true)
        .refuse(Stage::Greeting, "", "554 5.3.2 not now")
        .spawn()
        .await
        .unwrap();
    let stream = TcpStream::connect(server.local_addr().unwrap())
        .await
        .unwrap();
    let mut c = Raw(BufReader::new(stream));
    assert_eq!(c.try_reply().await.as_deref(), Some("554 5.3.2 not now"));
    assert_eq!(
        c.command("AUTH LOGIN").await,
        "503 5.5.1 No service here, only QUIT"
    );
}

/// RFC 3207 §4.2: after the handshake the server "MUST discard any knowledge obtained
/// from the client ... which was not obtained from the TLS negotiation itself": an AUTH
/// in clear does not carry over, and AUTH may run again.
#[tokio::test]
async fn starttls_forgets_a_plaintext_authentication() {
    use tokio_rustls::rustls;
    for auth_again in [false, true] {
        let builder = TestServer::builder()
            .starttls(true)
            .auth("ann", "pw")
            .allow_plaintext_auth(true);
        let (server, mut c) = open(builder, "EHLO c.test").await;
        assert_eq!(
            c.command(PLAIN_ANN).await,
            "235 2.7.0 Authentication successful"
        );
        assert!(c.command("STARTTLS").await.starts_with("220"));
        let mut roots = rustls::RootCertStore::empty();
        roots.add(server.ca_certificate().clone()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(name, c.0.into_inner())
            .await
            .unwrap();
        let mut c = Raw(BufReader::new(tls));
        c.command("EHLO c.test").await;
        if auth_again {
            assert_eq!(
                c.command(PLAIN_ANN).await,
                "235 2.7.0 Authentication successful"
            );
        }
        for line in [
            "MAIL FROM:<a@x.test>",
            "RCPT TO:<b@y.test>",
            "DATA",
            "hi\r\n.",
        ] {
            c.command(line).await;
        }
        let message = server.next_message().await;
        assert!(message.tls);
        let expected = auth_again.then(|| "ann".to_owned());
        assert_eq!(message.authenticated, expected, "auth again: {auth_again}");
    }
}

/// RFC 4954 §4: a SASL response may be as long as the mechanism needs; the client sends
/// up to 12288 octets, so the server's 4096-octet command limit must not apply to it.
#[tokio::test]
async fn a_long_sasl_response_is_accepted() {
    let token = "t".repeat(4000);
    let server = TestServer::builder()
        .xoauth2("ann@x.test", token.clone())
        .allow_plaintext_auth(true)
        .spawn()
        .await
        .unwrap();
    let config = server
        .client_config()
        .credentials(Credentials::oauth2("ann@x.test", token))
        .build()
        .unwrap();
    let connection = smtp_tokio::Connection::connect(&config).await;
    assert!(connection.is_ok(), "{:?}", connection.err());
}

/// RFC 5321 §4.1.2: a quoted local part may hold `>`; the path ends at the `>` outside it.
#[tokio::test]
async fn a_quoted_local_part_holding_a_closing_bracket_is_one_path() {
    let path: ReversePath = r#"<"a>b\"c"@x.test>"#.parse().unwrap();
    let (server, mut c) = open(TestServer::builder(), "EHLO c.test").await;
    assert_eq!(
        c.command(&format!("MAIL FROM:{path} SIZE=10")).await,
        "250 2.1.0 Ok"
    );
    for line in ["RCPT TO:<b@y.test>", "DATA", "hi\r\n."] {
        c.command(line).await;
    }
    let message = server.next_message().await;
    assert_eq!(message.reverse_path, path);
    assert_eq!(message.mail_parameters.size, Some(10));
}

/// RFC 5321 §4.1.1.11: a parameter the server does not know gets 555, unless the EHLO
/// reply offers a keyword of its name (`capability`), which lets a client test its own.
#[tokio::test]
async fn an_unoffered_unknown_parameter_is_555() {
    let (_server, mut c) = open(TestServer::builder(), "EHLO c.test").await;
    assert_eq!(
        c.command("MAIL FROM:<a@x.test> XSHORT=1").await,
        "555 5.5.4 XSHORT not offered"
    );
    assert_eq!(c.command("MAIL FROM:<a@x.test>").await, "250 2.1.0 Ok");
    assert_eq!(
        c.command("RCPT TO:<b@y.test> XLONG").await,
        "555 5.5.4 XLONG not offered"
    );
    let builder = TestServer::builder().capability("XSHORT");
    let (_server, mut c) = open(builder, "EHLO c.test").await;
    assert_eq!(
        c.command("MAIL FROM:<a@x.test> XSHORT=1").await,
        "250 2.1.0 Ok"
    );
}

/// `SessionEnd::ServiceClosing`: "the server sent a 421 (a fault or a refusal)", a
/// refusal rule at the end of data included.
#[tokio::test]
async fn a_421_refusal_at_the_end_of_data_is_recorded_as_service_closing() {
    let builder = TestServer::builder().refuse(Stage::DataEnd, "", "421 4.3.2 going down");
    let (server, mut c) = open(builder, "EHLO c.test").await;
    for line in ["MAIL FROM:<a@x.test>", "RCPT TO:<b@y.test>", "DATA"] {
        c.command(line).await;
    }
    assert_eq!(c.command("hi\r\n.").await, "421 4.3.2 going down");
    assert_eq!(
        server.next_session().await.end,
        Some(SessionEnd::ServiceClosing)
    );
}

/// RFC 5321 §4.1.1.1: after HELO no service extension is in effect, so a parameter (555),
/// BDAT, STARTTLS or AUTH (502) that EHLO would have allowed is refused.
#[tokio::test]
async fn after_helo_no_extension_is_in_effect() {
    let builder = TestServer::builder()
        .eight_bit_mime(true)
        .chunking(true)
        .starttls(true)
        .auth("ann", "pw")
        .allow_plaintext_auth(true)
        .size(Some(1000));
    let (_server, mut c) = open(builder, "HELO c.test").await;
    assert_eq!(
        c.command("STARTTLS").await,
        "502 5.5.1 STARTTLS not available"
    );
    assert_eq!(c.command(PLAIN_ANN).await, "502 5.5.1 AUTH not available");
    assert_eq!(
        c.command("MAIL FROM:<a@x.test> BODY=8BITMIME").await,
        "555 5.5.4 8BITMIME not offered"
    );
    assert_eq!(
        c.command("MAIL FROM:<a@x.test> SIZE=10").await,
        "555 5.5.4 SIZE not offered"
    );
    assert_eq!(c.command("MAIL FROM:<a@x.test>").await, "250 2.1.0 Ok");
    assert_eq!(c.command("RCPT TO:<b@y.test>").await, "250 2.1.5 Ok");
    assert_eq!(
        c.send("BDAT 2 LAST\r\nhi").await,
        "502 5.5.1 CHUNKING not offered"
    );
    // The same server after EHLO takes them.
    let builder = TestServer::builder()
        .eight_bit_mime(true)
        .chunking(true)
        .size(Some(1000));
    let (_server, mut c) = open(builder, "EHLO c.test").await;
    assert_eq!(
        c.command("MAIL FROM:<a@x.test> BODY=8BITMIME SIZE=10")
            .await,
        "250 2.1.0 Ok"
    );
    assert_eq!(c.command("RCPT TO:<b@y.test>").await, "250 2.1.5 Ok");
    assert_eq!(
        c.send("BDAT 2 LAST\r\nhi").await,
        "250 2.0.0 Ok: queued as 1.1"
    );
}

/// `Fault::DisconnectAfterVerdict` closes right after the verdict: a line the client
/// pipelined after the end of data gets no reply (the core would refuse this one with 500).
#[tokio::test]
async fn nothing_is_written_between_the_verdict_and_the_close() {
    let builder = TestServer::builder().fault(Fault::DisconnectAfterVerdict);
    let (_server, mut c) = open(builder, "EHLO c.test").await;
    for line in ["MAIL FROM:<a@x.test>", "RCPT TO:<b@y.test>", "DATA"] {
        c.command(line).await;
    }
    let verdict = c.send("hi\r\n.\r\nBOGUS\r\n").await;
    assert!(verdict.starts_with("250"), "{verdict}");
    assert_eq!(c.try_reply().await, None, "closed right after the verdict");
}
