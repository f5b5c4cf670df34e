//! The crate's own SASL client against the server, mechanism by mechanism: success, wrong
//! secrets, the bearer error challenge, a forged SCRAM signature, malformed responses.

use crate::auth::{Credentials, Mechanism, SaslError as ClientError, SaslExchange, SaslParams};
use crate::auth::{decode_base64, encode_base64};

use super::super::{
    Event, Output, Refusal, Reply, SaslCredentials, SaslError, SaslMechanism, Server, ServerConfig,
    ServerError,
};

#[cfg(feature = "sasl-scram")]
use super::super::ScramKeys;

const USER: &str = "user";
const PASSWORD: &str = "pencil";
const TOKEN: &str = "ya29.token";
const GOOGLE_ERROR: &[u8] =
    br#"{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}"#;

fn reply(text: &str) -> Reply {
    text.parse().unwrap()
}

fn server() -> Server {
    server_with(ServerConfig::default().mechanisms)
}

fn server_with(mechanisms: Vec<SaslMechanism>) -> Server {
    let mut server = Server::new(ServerConfig {
        nonce_seed: 42,
        hostname: "mx.test".into(),
        mechanisms,
        ..ServerConfig::default()
    });
    server.reply(reply("220 ready")).unwrap();
    assert!(matches!(server.poll_output(), Output::Transmit(_)));
    server
}

/// How the application side answers; `forge` alters the SCRAM server key.
#[derive(Default)]
struct App {
    #[cfg_attr(not(feature = "sasl-scram"), allow(dead_code))]
    forge: bool,
    events: Vec<String>,
}

impl App {
    /// Polls until input is needed, answering events; returns what was written.
    fn drive(&mut self, server: &mut Server) -> Vec<u8> {
        let mut written = Vec::new();
        loop {
            match server.poll_output() {
                Output::Transmit(bytes) => written.extend(bytes),
                Output::Event(event) => {
                    self.events.push(format!("{event:?}"));
                    self.answer(server, event);
                }
                Output::NeedInput | Output::Close => return written,
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    fn answer(&self, server: &mut Server, event: Event) {
        match event {
            Event::Authenticate(credentials) => {
                let valid = match &credentials {
                    SaslCredentials::OAuth2 { token, .. }
                    | SaslCredentials::OAuthBearer { token, .. } => token.expose() == TOKEN,
                    SaslCredentials::Scram { verified, .. } => *verified,
                    other => other.verify_password(PASSWORD),
                };
                match valid {
                    true => server.reply(reply("235 2.7.0 ok")).unwrap(),
                    false if credentials.mechanism().is_bearer() => {
                        server.sasl_error(GOOGLE_ERROR).unwrap();
                    }
                    false => server.reply(reply("535 5.7.8 no")).unwrap(),
                }
            }
            #[cfg(feature = "sasl-scram")]
            Event::ScramLookup { username, .. } if username == USER => {
                let keys = scram_keys(PASSWORD);
                let keys = if self.forge {
                    let mut forged = *keys.server_key();
                    forged[0] ^= 1;
                    let (salt, iterations) = (keys.salt().to_vec(), keys.iterations());
                    ScramKeys::new(salt, iterations, *keys.stored_key(), forged)
                } else {
                    keys
                };
                server.scram_keys(keys).unwrap();
            }
            Event::ScramLookup { .. } => server.reply(reply("535 5.7.8 unknown")).unwrap(),
            Event::SaslErrorAnswered(_) => server.reply(reply("535 5.7.8 bad token")).unwrap(),
            Event::Refused(_) => {}
            _ => server.reply(reply("250 ok")).unwrap(),
        }
    }
}

#[cfg(feature = "sasl-scram")]
fn scram_keys(password: &str) -> ScramKeys {
    ScramKeys::from_password(password, b"NaCl", 4096).unwrap()
}

/// What one AUTH exchange came to.
#[derive(Debug, PartialEq, Eq)]
enum End {
    /// The final reply code, and whether the client's `finish` accepted it.
    Reply(u16, Result<(), ClientError>),
    /// The client gave up on a challenge.
    Client(ClientError),
}

/// Runs our client's exchange against the server; `inline`: initial response on AUTH.
fn authenticate(
    mechanism: Mechanism,
    credentials: &Credentials,
    app: &mut App,
    inline: bool,
) -> (End, SaslExchange) {
    let params = SaslParams::new().client_nonce("fyko+d2lbbFgONRv9qkxdawL");
    let mut client = SaslExchange::new(&mechanism, credentials, &params).unwrap();
    let mut server = server();
    let line = crate::server::auth_line(&mut client, inline);
    let words = line.trim_end().split(' ').count();
    if !inline || !mechanism.is_client_first() {
        assert_eq!(words, 2, "no initial response: {line:?}");
    } else {
        assert_eq!(words, 3, "an initial response: {line:?}");
    }
    server.handle_input(line.as_bytes());
    loop {
        let written = String::from_utf8(app.drive(&mut server)).unwrap();
        let text = written.strip_suffix("\r\n").unwrap();
        assert!(!text.contains("\r\n"), "one reply at a time: {written:?}");
        let (code, rest) = text.split_at(3);
        match code {
            "334" => {
                let challenge = decode_base64(rest.trim_start().as_bytes()).unwrap();
                match client.step(&challenge) {
                    Ok(answer) => {
                        let answer = format!("{}\r\n", encode_base64(answer.as_bytes()));
                        server.handle_input(answer.as_bytes());
                    }
                    Err(error) => return (End::Client(error), client),
                }
            }
            "235" => {
                let finished = client.finish(None);
                return (End::Reply(235, finished), client);
            }
            other => return (End::Reply(other.parse().unwrap(), Ok(())), client),
        }
    }
}

fn password(pass: &str) -> Credentials {
    Credentials::password(USER, pass)
}

fn token(token: &str) -> Credentials {
    Credentials::oauth2(USER, token)
}

/// A mechanism, the kind of credentials it takes, and the right secret.
type Case = (Mechanism, fn(&str) -> Credentials, &'static str);

fn every_mechanism() -> Vec<Case> {
    let mut all: Vec<Case> = vec![
        (Mechanism::Plain, password, PASSWORD),
        (Mechanism::Login, password, PASSWORD),
        (Mechanism::XOAuth2, token, TOKEN),
        (Mechanism::OAuthBearer, token, TOKEN),
    ];
    if cfg!(feature = "sasl-cram-md5") {
        all.push((Mechanism::CramMd5, password, PASSWORD));
    }
    if cfg!(feature = "sasl-scram") {
        all.push((Mechanism::ScramSha256, password, PASSWORD));
    }
    all
}

#[test]
fn every_mechanism_authenticates_inline_and_after_an_empty_challenge() {
    for (mechanism, credentials, secret) in every_mechanism() {
        for inline in [true, false] {
            let mut app = App::default();
            let (end, _) = authenticate(mechanism.clone(), &credentials(secret), &mut app, inline);
            assert_eq!(end, End::Reply(235, Ok(())), "{mechanism} inline={inline}");
            let last = app.events.last().unwrap();
            assert!(last.starts_with("Authenticate("), "{mechanism}: {last}");
        }
    }
}

#[test]
fn wrong_secrets_get_535_and_bearer_tokens_the_error_challenge_first() {
    for (mechanism, credentials, _) in every_mechanism() {
        let mut app = App::default();
        let (end, client) = authenticate(mechanism.clone(), &credentials("wrong"), &mut app, true);
        assert_eq!(end, End::Reply(535, Ok(())), "{mechanism}");
        let bearer = matches!(mechanism, Mechanism::XOAuth2 | Mechanism::OAuthBearer);
        if bearer {
            // The client answered the JSON challenge (empty or ^A), then got the 535.
            let json = std::str::from_utf8(GOOGLE_ERROR).unwrap();
            assert_eq!(client.server_error(), Some(json), "{mechanism}");
            assert!(
                app.events.last().unwrap().starts_with("SaslErrorAnswered("),
                "{mechanism}: {:?}",
                app.events
            );
        } else {
            assert_eq!(client.server_error(), None);
        }
    }
}

#[cfg(feature = "sasl-scram")]
#[test]
fn a_forged_scram_server_signature_is_refused_by_the_client() {
    let mut app = App {
        forge: true,
        ..App::default()
    };
    let (end, _) = authenticate(Mechanism::ScramSha256, &password(PASSWORD), &mut app, true);
    assert_eq!(end, End::Client(ClientError::ServerSignatureMismatch));
    // The proof itself was right: the server got as far as signing.
    assert!(!app.events.iter().any(|e| e.starts_with("Authenticate(")));
}

#[cfg(feature = "sasl-scram")]
#[test]
fn an_unknown_scram_user_is_refused_at_the_lookup_and_the_session_goes_on() {
    let mut app = App::default();
    let credentials = Credentials::password("nobody", PASSWORD);
    let (end, _) = authenticate(Mechanism::ScramSha256, &credentials, &mut app, true);
    assert_eq!(end, End::Reply(535, Ok(())));
    assert_eq!(app.events.len(), 1, "{:?}", app.events);
}

/// Sends `lines` after the AUTH line and returns the server's last reply line.
fn malformed(auth: &str, lines: &[&str]) -> (String, Vec<String>) {
    let mut app = App::default();
    let mut server = server();
    server.handle_input(format!("{auth}\r\n").as_bytes());
    let mut written = app.drive(&mut server);
    for line in lines {
        server.handle_input(format!("{line}\r\n").as_bytes());
        written = app.drive(&mut server);
    }
    (String::from_utf8(written).unwrap(), app.events)
}

fn b64(text: &str) -> String {
    encode_base64(text.as_bytes())
}

#[test]
fn malformed_responses_get_501() {
    let bearer = |text: &str| format!("AUTH OAUTHBEARER {}", b64(text));
    let mut cases = vec![
        (bearer("n,,auth=Bearer t"), vec![]),
        (bearer("n,,\u{1}\u{1}"), vec![]),
        ("AUTH OAUTHBEARER".into(), vec!["!!".to_owned()]),
        ("AUTH OAUTHBEARER".into(), vec!["*".to_owned()]),
        // The error challenge answered with something else than ^A.
        (
            bearer("n,a=user,\u{1}auth=Bearer bad\u{1}\u{1}"),
            vec![b64("x")],
        ),
        (
            format!(
                "AUTH XOAUTH2 {}",
                b64("user=u\u{1}auth=Bearer bad\u{1}\u{1}")
            ),
            vec![b64("\u{1}")],
        ),
    ];
    if cfg!(feature = "sasl-cram-md5") {
        cases.push(("AUTH CRAM-MD5 =".into(), vec![]));
        cases.push(("AUTH CRAM-MD5".into(), vec![b64("user 1234")]));
    }
    if cfg!(feature = "sasl-scram") {
        cases.push((format!("AUTH SCRAM-SHA-256 {}", b64("n,,r=x")), vec![]));
        cases.push((
            format!("AUTH SCRAM-SHA-256 {}", b64("n,,n=user,r=abc")),
            vec![b64("c=biws,r=abc,p=QUJD")],
        ));
    }
    for (auth, lines) in cases {
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        let (written, events) = malformed(&auth, &lines);
        assert!(written.starts_with("501 "), "{auth} {lines:?}: {written:?}");
        assert!(
            events.last().unwrap().starts_with("Refused(Auth("),
            "{auth}: {events:?}"
        );
    }
}

#[test]
fn out_of_turn_calls_are_errors() {
    let mut server = server();
    assert_eq!(server.sasl_error(b"{}"), Err(ServerError::NotAwaitingReply));
    server.handle_input(format!("AUTH PLAIN {}\r\n", b64("\0u\0p")).as_bytes());
    assert!(matches!(
        server.poll_output(),
        Output::Event(Event::Authenticate(_))
    ));
    assert_eq!(server.sasl_error(b"{}"), Err(ServerError::NotBearerAuth));
    #[cfg(feature = "sasl-scram")]
    assert_eq!(
        server.scram_keys(scram_keys("p")),
        Err(ServerError::NotScramLookup)
    );
    server.reply(reply("535 no")).unwrap();
    assert_eq!(
        server.poll_output(),
        Output::Transmit(b"535 no\r\n".to_vec())
    );
}

/// The default configuration leaves them out; an application that lists them by hand does
/// not make this build run them, nor get a challenge it cannot follow up.
#[test]
fn mechanisms_this_build_lacks_are_504() {
    let configs = [
        ServerConfig::default().mechanisms,
        SaslMechanism::ALL.to_vec(),
    ];
    for (mechanisms, mechanism) in configs
        .iter()
        .flat_map(|m| SaslMechanism::ALL.map(|mechanism| (m, mechanism)))
    {
        let mut app = App::default();
        let mut server = server_with(mechanisms.clone());
        server.handle_input(format!("AUTH {mechanism}\r\n").as_bytes());
        let written = String::from_utf8(app.drive(&mut server)).unwrap();
        let events = app.events;
        if mechanism.is_supported() {
            assert!(written.starts_with("334 "), "{mechanism}: {written}");
        } else {
            assert!(written.starts_with("504 "), "{mechanism}: {written}");
            assert_eq!(
                events,
                [format!(
                    "{:?}",
                    Event::Refused(Refusal::Auth(SaslError::UnsupportedMechanism(
                        mechanism.to_string()
                    )))
                )]
            );
        }
    }
}

#[test]
fn mechanisms_left_out_of_the_config_are_504_before_any_challenge() {
    let mut server = Server::new(ServerConfig {
        mechanisms: vec![SaslMechanism::Plain],
        ..ServerConfig::default()
    });
    server.reply(reply("220 ready")).unwrap();
    let mut app = App::default();
    app.drive(&mut server);
    server.handle_input(b"AUTH LOGIN\r\nAUTH PLAIN\r\n");
    let written = String::from_utf8(app.drive(&mut server)).unwrap();
    assert_eq!(
        written,
        "504 5.5.4 Unrecognized authentication type\r\n334 \r\n"
    );
    assert_eq!(
        app.events,
        [format!(
            "{:?}",
            Event::Refused(Refusal::Auth(SaslError::UnsupportedMechanism(
                "LOGIN".into()
            )))
        )]
    );
}
