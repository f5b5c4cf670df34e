//! The crate's own client against the sans-IO server, in memory, end to end: the message
//! bytes the server decodes equal the original body canonicalised, over DATA and BDAT, with
//! AUTH PLAIN and LOGIN decoded into typed credentials.
#![cfg(feature = "server")]

use std::time::{Duration, Instant};

use smtp_proto::auth::{Credentials, Mechanism};
use smtp_proto::client::{Client, ClientConfig, Output};
use smtp_proto::command::{
    Authenticate, Cmd, Envelope, Establish, LogicError, MailBody, Quit, SendMail, TlsPolicy,
};
use smtp_proto::response::ReplyCode;
use smtp_proto::server::{
    Command, Event, Output as ServerOutput, Reply, SaslCredentials, Server, ServerConfig,
};
use smtp_proto::syntax::ClientId;

/// The application side of the test server: what it offers and what it saw.
struct App {
    server: Server,
    extensions: Vec<&'static str>,
    to_client: Vec<u8>,
    commands: Vec<Command>,
    credentials: Vec<SaslCredentials>,
    body: Vec<u8>,
    messages: Vec<Vec<u8>>,
}

impl App {
    fn new(extensions: &[&'static str]) -> Self {
        let mut app = App {
            server: Server::new(ServerConfig::default()),
            extensions: extensions.to_vec(),
            to_client: Vec::new(),
            commands: Vec::new(),
            credentials: Vec::new(),
            body: Vec::new(),
            messages: Vec::new(),
        };
        app.server.reply(reply(220, "test ESMTP")).unwrap();
        app.drive();
        app
    }

    fn drive(&mut self) {
        loop {
            match self.server.poll_output() {
                ServerOutput::Transmit(bytes) => self.to_client.extend(bytes),
                ServerOutput::Event(event) => self.answer(event),
                ServerOutput::NeedInput | ServerOutput::Close => return,
                other => panic!("unexpected server output {other:?}"),
            }
        }
    }

    fn answer(&mut self, event: Event) {
        let answer = match event {
            Event::Command(cmd) => {
                let answer = match &cmd {
                    Command::Hello { .. } => self.ehlo(),
                    Command::Data => reply(354, "go ahead"),
                    Command::Bdat { last: true, .. } => {
                        self.messages.push(std::mem::take(&mut self.body));
                        reply(250, "queued")
                    }
                    Command::Quit => reply(221, "bye"),
                    _ => reply(250, "ok"),
                };
                self.commands.push(cmd);
                answer
            }
            Event::MessageData(bytes) => return self.body.extend(bytes),
            Event::DataEnd => {
                self.messages.push(std::mem::take(&mut self.body));
                reply(250, "queued")
            }
            Event::Authenticate(creds) => {
                self.credentials.push(creds);
                reply(235, "welcome")
            }
            other => panic!("unexpected event {other:?}"),
        };
        self.server.reply(answer).unwrap();
    }

    fn ehlo(&self) -> Reply {
        let mut r = Reply::new(ReplyCode::OK, "test.example").unwrap();
        for ext in &self.extensions {
            r = r.with_line(ext).unwrap();
        }
        r
    }
}

fn reply(code: u16, text: &str) -> Reply {
    Reply::new(ReplyCode::new(code).unwrap(), text).unwrap()
}

/// Runs one client exchange against the app, bytes handed over in both directions.
fn run<C: Cmd>(client: &mut Client, app: &mut App, cmd: C) -> Result<C::Output, LogicError> {
    let now = Instant::now();
    let mut exchange = client.send(cmd);
    for _ in 0..10_000 {
        match exchange.poll_output(now).unwrap() {
            Output::Transmit(t) => {
                app.server.handle_input(t.bytes());
                app.drive();
            }
            Output::NeedInput { deadline } => {
                assert!(deadline > now + Duration::from_secs(1));
                assert!(!app.to_client.is_empty(), "client waits, server silent");
                exchange.handle_input(&std::mem::take(&mut app.to_client));
            }
            Output::NeedBody => exchange.handle_body_end(),
            Output::Done(result) => return result,
            Output::UpgradeTls => panic!("no TLS here"),
        }
    }
    panic!("exchange did not end");
}

fn send(extensions: &[&'static str], auth: Option<Authenticate>, body: &[u8]) -> App {
    let mut app = App::new(extensions);
    let mut client = Client::new(ClientConfig::default());
    let mut setup = Establish::new(ClientId::localhost())
        .unwrap()
        .tls(TlsPolicy::Disabled);
    if let Some(auth) = auth {
        setup = setup.authenticate(auth);
    }
    run(&mut client, &mut app, setup).unwrap();
    let envelope = Envelope::new(
        "<me@example.org>".parse().unwrap(),
        [
            "<you@example.net>".parse().unwrap(),
            "<them@example.net>".parse().unwrap(),
        ],
    )
    .unwrap();
    let mail = SendMail::new(envelope, MailBody::bytes(body.to_vec()));
    let report = run(&mut client, &mut app, mail).unwrap();
    assert_eq!(report.delivered_count(), 2);
    run(&mut client, &mut app, Quit).unwrap();
    assert_eq!(app.server.poll_output(), ServerOutput::Close);
    app
}

const BODY: &[u8] = b"Subject: dots\n\n.leading dot\r\n..two\nbare\rcr\n.\nend";
const CANONICAL: &[u8] =
    b"Subject: dots\r\n\r\n.leading dot\r\n..two\r\nbare\r\ncr\r\n.\r\nend\r\n";

#[test]
fn data_path_decodes_the_canonical_body() {
    let app = send(
        &["PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES"],
        None,
        BODY,
    );
    assert_eq!(app.messages, [CANONICAL.to_vec()]);
    assert!(app.commands.contains(&Command::Data));
    let paths: Vec<String> = app
        .commands
        .iter()
        .filter_map(|c| match c {
            Command::Mail { from, .. } => Some(from.to_string()),
            Command::Rcpt { to, .. } => Some(to.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(
        paths,
        [
            "<me@example.org>",
            "<you@example.net>",
            "<them@example.net>"
        ]
    );
}

#[test]
fn bdat_path_reads_counted_chunks() {
    let app = send(&["CHUNKING", "PIPELINING", "SIZE 100000"], None, BODY);
    // BDAT needs no end-of-data line, so the client adds no final CRLF (RFC 3030 §2).
    let canonical = CANONICAL.strip_suffix(b"\r\n").unwrap();
    assert_eq!(app.messages, [canonical.to_vec()]);
    assert!(
        app.commands
            .iter()
            .any(|c| matches!(c, Command::Bdat { last: true, .. }))
    );
    assert!(!app.commands.contains(&Command::Data));
    let Some(Command::Mail { params, .. }) = app
        .commands
        .iter()
        .find(|c| matches!(c, Command::Mail { .. }))
    else {
        panic!("no MAIL")
    };
    assert_eq!(params.size, Some(canonical.len() as u64));
}

#[test]
fn empty_body_over_data() {
    let app = send(&[], None, b"");
    assert_eq!(app.messages, [Vec::<u8>::new()]);
}

#[test]
fn auth_plain_and_login_credentials_are_typed() {
    for (offer, mechanism) in [
        ("AUTH PLAIN", Mechanism::Plain),
        ("AUTH LOGIN", Mechanism::Login),
    ] {
        let auth = Authenticate::new(Credentials::password("tim", "s3cret"))
            .preference(vec![mechanism.clone()])
            .allow_plaintext(true);
        let app = send(&[offer], Some(auth), b"hi\r\n");
        let [
            SaslCredentials::Password {
                username, password, ..
            },
        ] = app.credentials.as_slice()
        else {
            panic!("{mechanism:?}: {:?}", app.credentials)
        };
        assert_eq!((username.as_str(), password.expose()), ("tim", "s3cret"));
    }
}

#[test]
fn auth_xoauth2_token_is_typed() {
    let auth = Authenticate::new(Credentials::oauth2("tim@example.org", "ya29.token"))
        .preference(vec![Mechanism::XOAuth2])
        .allow_plaintext(true);
    let app = send(&["AUTH XOAUTH2"], Some(auth), b"hi\r\n");
    let [SaslCredentials::OAuth2 { user, token }] = app.credentials.as_slice() else {
        panic!("{:?}", app.credentials)
    };
    assert_eq!(
        (user.as_str(), token.expose()),
        ("tim@example.org", "ya29.token")
    );
    assert_eq!(app.messages, [b"hi\r\n".to_vec()]);
}

/// A streamed body with a group limit (an adapter that cannot read while it writes): while
/// written octets are held back for replies, the client reads before it asks for the next
/// piece, so what it holds stays within a group, a piece and a chunk however long the body
/// (8 MiB here); over BDAT, each chunk's reply is taken as soon as that chunk has left.
#[test]
fn a_streamed_body_with_a_group_limit_is_held_in_bounded_memory() {
    const GROUP: usize = 16 * 1024;
    const CHUNK: usize = 4 * 1024;
    const PIECES: usize = 8 * 1024;
    let piece = [&[b'x'; 78][..], b"\r\n"].concat().repeat(13);
    for extensions in [&["PIPELINING", "CHUNKING"][..], &["PIPELINING"]] {
        let mut app = App::new(extensions);
        let config = ClientConfig {
            max_group: std::num::NonZeroUsize::new(GROUP),
            ..ClientConfig::default()
        };
        let mut client = Client::new(config);
        let setup = Establish::new(ClientId::localhost())
            .unwrap()
            .tls(TlsPolicy::Disabled);
        run(&mut client, &mut app, setup).unwrap();
        let envelope = Envelope::new(
            "<me@example.org>".parse().unwrap(),
            ["<you@example.net>".parse().unwrap()],
        )
        .unwrap();
        let options = smtp_proto::command::TransactionOptions {
            bdat_chunk_size: std::num::NonZeroUsize::new(CHUNK).unwrap(),
            ..Default::default()
        };
        let body = MailBody::Streamed(smtp_proto::command::StreamedBody::default());
        let mail = SendMail::with_options(envelope, body, options);

        let now = Instant::now();
        let mut exchange = client.send(mail);
        let (mut given, mut sent, mut held, mut pieces) = (0, 0, 0, 0);
        let report = loop {
            match exchange.poll_output(now).unwrap() {
                Output::Transmit(t) => {
                    sent += t
                        .tags()
                        .filter(|(tag, _)| *tag == smtp_proto::client::TransmitTag::Body)
                        .map(|(_, len)| len)
                        .sum::<usize>();
                    app.server.handle_input(t.bytes());
                    app.drive();
                }
                Output::NeedInput { .. } => {
                    assert!(!app.to_client.is_empty(), "client waits, server silent");
                    exchange.handle_input(&std::mem::take(&mut app.to_client));
                }
                Output::NeedBody if pieces < PIECES => {
                    pieces += 1;
                    given += piece.len();
                    exchange.handle_body(&piece);
                }
                Output::NeedBody => exchange.handle_body_end(),
                Output::Done(result) => break result.unwrap(),
                Output::UpgradeTls => panic!("no TLS here"),
            }
            held = held.max(given.saturating_sub(sent));
        };
        assert_eq!(report.delivered_count(), 1, "{extensions:?}");
        assert!(
            held <= GROUP + CHUNK + piece.len(),
            "{extensions:?}: held up to {held} octets of the body"
        );
        let message = app.messages.last().unwrap();
        assert_eq!(message.len(), PIECES * piece.len(), "{extensions:?}");
    }
}
