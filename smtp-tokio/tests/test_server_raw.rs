//! The test server's strictness, seen by a hand-written client: the replies a client
//! that breaks the rules gets, byte for byte where it matters.
#![cfg(feature = "test-server")]

use std::time::Duration;

use smtp_tokio::test_server::{Fault, Stage, TestServer};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// A raw client: writes lines, reads whole (multiline) replies.
struct Raw {
    reader: BufReader<TcpStream>,
}

impl Raw {
    async fn connect(server: &TestServer) -> Self {
        let stream = TcpStream::connect(server.local_addr().unwrap())
            .await
            .unwrap();
        Self {
            reader: BufReader::new(stream),
        }
    }

    /// The next reply, its lines joined with `|`.
    async fn reply(&mut self) -> String {
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            let n = self.reader.read_line(&mut line).await.unwrap();
            assert!(n > 0, "closed after {lines:?}");
            let line = line.trim_end_matches("\r\n").to_owned();
            let more = line.as_bytes().get(3) == Some(&b'-');
            lines.push(line);
            if !more {
                return lines.join("|");
            }
        }
    }

    async fn send(&mut self, bytes: &str) {
        self.reader
            .get_mut()
            .write_all(bytes.as_bytes())
            .await
            .unwrap();
    }

    /// Sends one command line and returns the reply.
    async fn command(&mut self, line: &str) -> String {
        self.send(&format!("{line}\r\n")).await;
        self.reply().await
    }

    /// Whether the server closed the connection (reads to the end).
    async fn is_closed(&mut self) -> bool {
        let mut rest = String::new();
        let read = self.reader.read_line(&mut rest);
        matches!(
            tokio::time::timeout(Duration::from_secs(5), read).await,
            Ok(Ok(0))
        )
    }
}

#[tokio::test]
async fn commands_out_of_order_and_malformed_are_refused() {
    let server = TestServer::builder().spawn().await.unwrap();
    let mut c = Raw::connect(&server).await;
    assert_eq!(
        c.reply().await,
        "220 localhost ESMTP smtp-tokio test server"
    );
    assert_eq!(
        c.command("MAIL FROM:<a@x.test>").await,
        "503 5.5.1 Send EHLO first"
    );
    let ehlo = c.command("EHLO client.test").await;
    assert_eq!(
        ehlo,
        "250-localhost|250-PIPELINING|250-8BITMIME|250-SMTPUTF8|250-ENHANCEDSTATUSCODES|\
         250-CHUNKING|250-BINARYMIME|250-DSN|250 SIZE 10485760"
    );
    assert_eq!(c.command("LHLO client.test").await, "500 5.5.1 Say EHLO");
    assert_eq!(
        c.command("RCPT TO:<b@y.test>").await,
        "503 5.5.1 Need MAIL first"
    );
    assert_eq!(c.command("DATA").await, "503 5.5.1 Need MAIL first");
    assert_eq!(c.command("FOO").await, "500 5.5.2 Command not recognized");
    assert_eq!(
        c.command("MAIL FROM:<a@x.test> SIZE=99999999").await,
        "552 5.3.4 Message size exceeds fixed limit"
    );
    // The limit itself is allowed (RFC 1870 §4: larger than the limit is refused).
    assert_eq!(
        c.command("MAIL FROM:<a@x.test> SIZE=10485761").await,
        "552 5.3.4 Message size exceeds fixed limit"
    );
    assert_eq!(
        c.command("MAIL FROM:<a@x.test> SIZE=10485760").await,
        "250 2.1.0 Ok"
    );
    assert_eq!(c.command("RSET").await, "250 2.0.0 Ok");
    assert_eq!(
        c.command("MAIL FROM:<a@x.test> REQUIRETLS").await,
        "555 5.5.4 REQUIRETLS not offered"
    );
    assert_eq!(c.command("MAIL FROM:<a@x.test>").await, "250 2.1.0 Ok");
    assert_eq!(
        c.command("MAIL FROM:<a@x.test>").await,
        "503 5.5.1 Nested MAIL command"
    );
    assert_eq!(c.command("DATA").await, "554 5.5.1 No valid recipients");
    assert_eq!(
        c.command("AUTH PLAIN AGEAYg==").await,
        "502 5.5.1 AUTH not available"
    );
    assert_eq!(
        c.command("STARTTLS").await,
        "502 5.5.1 STARTTLS not available"
    );
    assert_eq!(
        c.command("NOOP\nRSET").await,
        "500 5.5.2 Bare LF not allowed"
    );
    // The bare LF ended a refused line; RSET after it was a line of its own.
    assert_eq!(c.reply().await, "250 2.0.0 Ok");
    assert_eq!(
        c.command("VRFY ann").await,
        "252 2.5.0 Cannot VRFY, will accept"
    );
    assert_eq!(c.command("QUIT").await, "221 2.0.0 Bye");
    assert!(c.is_closed().await);
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn a_message_over_the_size_limit_is_refused_and_not_recorded() {
    let server = TestServer::builder()
        .size(Some(100))
        .max_recipients(1)
        .enhanced_status_codes(false)
        .spawn()
        .await
        .unwrap();
    let mut c = Raw::connect(&server).await;
    c.reply().await;
    assert!(
        c.command("EHLO client.test")
            .await
            .ends_with("250 SIZE 100")
    );
    assert_eq!(c.command("MAIL FROM:<a@x.test>").await, "250 Ok");
    assert_eq!(c.command("RCPT TO:<b@y.test>").await, "250 Ok");
    assert_eq!(
        c.command("RCPT TO:<c@y.test>").await,
        "452 Too many recipients"
    );
    assert_eq!(
        c.command("DATA").await,
        "354 End data with <CR><LF>.<CR><LF>"
    );
    let big = "x".repeat(200);
    c.send(&format!("{big}\r\n.\r\n")).await;
    assert_eq!(c.reply().await, "552 5.3.4 Message too big");
    // The transaction is over: a new one starts clean.
    assert_eq!(c.command("RCPT TO:<b@y.test>").await, "503 Need MAIL first");
    assert_eq!(c.command("MAIL FROM:<a@x.test>").await, "250 Ok");
    assert_eq!(c.command("RCPT TO:<b@y.test>").await, "250 Ok");
    c.send("BDAT 5 LAST\r\nsmall").await;
    assert_eq!(c.reply().await, "250 Ok: queued as 1.1");
    let message = server.next_message().await;
    assert_eq!(message.data, b"small");
    assert_eq!(server.messages().len(), 1);
}

#[tokio::test]
async fn auth_on_plaintext_needs_tls_and_lines_are_redacted() {
    let server = TestServer::builder()
        .starttls(true)
        .auth("user", "pass")
        .spawn()
        .await
        .unwrap();
    let mut c = Raw::connect(&server).await;
    c.reply().await;
    let ehlo = c.command("EHLO client.test").await;
    assert!(
        ehlo.contains("250-STARTTLS") && !ehlo.contains("AUTH"),
        "{ehlo}"
    );
    // "\0user\0pass": refused without TLS, and never recorded.
    let reply = c.command("AUTH PLAIN AHVzZXIAcGFzcw==").await;
    assert_eq!(
        reply,
        "538 5.7.11 Encryption required for requested authentication mechanism"
    );
    assert_eq!(c.command("QUIT").await, "221 2.0.0 Bye");
    let session = server.next_session().await;
    assert_eq!(session.commands[1], "AUTH PLAIN <redacted>");
    assert!(session.auth.is_empty());
}

#[tokio::test]
async fn scripted_refusals_and_faults_at_the_hello() {
    let server = TestServer::builder()
        .refuse(Stage::Ehlo, "bad.test", "550 5.7.1 not you")
        .fault_times(Fault::Disconnect(Stage::Ehlo), 1)
        .spawn()
        .await
        .unwrap();
    let mut c = Raw::connect(&server).await;
    c.reply().await;
    c.send("EHLO good.test\r\n").await;
    assert!(c.is_closed().await, "the first EHLO closes the connection");
    let mut c = Raw::connect(&server).await;
    c.reply().await;
    assert_eq!(c.command("EHLO bad.test").await, "550 5.7.1 not you");
    assert!(
        c.command("HELO good.test")
            .await
            .starts_with("250 localhost")
    );
}

/// After a refused greeting every command but QUIT gets 503 (RFC 5321 §3.1), AUTH included.
#[tokio::test]
async fn a_refused_greeting_answers_503_until_quit() {
    let server = TestServer::builder()
        .refuse(Stage::Greeting, "", "554 5.3.2 not now")
        .spawn()
        .await
        .unwrap();
    let mut c = Raw::connect(&server).await;
    assert_eq!(c.reply().await, "554 5.3.2 not now");
    for line in [
        "EHLO c.test",
        "MAIL FROM:<a@x.test>",
        "AUTH PLAIN AGEAYg==",
        "NOOP",
    ] {
        assert_eq!(
            c.command(line).await,
            "503 5.5.1 No service here, only QUIT",
            "{line}"
        );
    }
    assert_eq!(c.command("QUIT").await, "221 2.0.0 Bye");
}

/// The configured host name is the one the server gives in its EHLO and HELO replies
/// and in its CRAM-MD5 challenges (RFC 2195 §2: `<nonce@hostname>`).
#[tokio::test]
async fn the_configured_hostname_answers_ehlo_and_names_cram_md5_challenges() {
    let server = TestServer::builder()
        .hostname("mx.example.test")
        .auth("ann", "pass")
        .mechanisms([smtp_proto::server::SaslMechanism::CramMd5])
        .allow_plaintext_auth(true)
        .spawn()
        .await
        .unwrap();
    let mut c = Raw::connect(&server).await;
    c.reply().await;
    let helo = c.command("HELO c.test").await;
    assert!(helo.starts_with("250 mx.example.test"), "{helo}");
    // EHLO last: after HELO no extension is in effect, AUTH included.
    let ehlo = c.command("EHLO c.test").await;
    assert!(ehlo.starts_with("250-mx.example.test"), "{ehlo}");
    let challenge = c.command("AUTH CRAM-MD5").await;
    let encoded = challenge.strip_prefix("334 ").expect(&challenge);
    let decoded = smtp_proto::auth::decode_base64(encoded.as_bytes()).unwrap();
    let decoded = String::from_utf8(decoded).unwrap();
    assert!(
        decoded.starts_with('<') && decoded.ends_with("@mx.example.test>"),
        "{decoded}"
    );
}
