//! The SASL side of the server target: answers that are not replies, and round trips of
//! the crate's own client against the server.
//!
//! [`round_trip`] takes a user name and a secret from the stream ([`credentials`]: the
//! first two words of its first line, so that the same input that holds an SMTP session
//! also names credentials) and a mechanism from the seed, and asserts that the client and the server agree: the right
//! secret gets 235 and the client's `finish` succeeds (for SCRAM: the server verified the
//! proof and the client the server's signature), a wrong one gets 535 (bearer tokens after
//! the error challenge, which the client answers). User names go through the GS2 and SCRAM
//! escaping and back unchanged. Credentials the client refuses to send are skipped. When
//! the seed offers TLS (bit 6), the server requires it for AUTH: the client's AUTH line is
//! refused with 538 before any challenge, then goes again after STARTTLS and the
//! handshake, and the exchange runs as without TLS (RFC 4954 §6).

use crate::auth::{Credentials, Mechanism, SaslExchange, SaslParams};
use crate::auth::{decode_base64, encode_base64};
use crate::server::{AuthGate, Command, Event, Output, Refusal, Reply, SaslCredentials};
use crate::server::{Server, ServerConfig};

/// The error challenge the target sends for a refused bearer token.
const BEARER_ERROR: &[u8] = br#"{"status":"401","schemes":"bearer"}"#;

/// At most this many challenges per exchange; more is a finding.
const MAX_STEPS: usize = 8;

/// How the target answers an event that awaits one.
pub(super) enum Answer {
    /// A reply.
    Reply(Reply),
    /// The bearer error challenge.
    SaslError,
    /// SCRAM keys for the password `pencil`.
    ScramKeys,
}

impl Answer {
    /// Hands the answer to the server; none may be refused.
    pub(super) fn give(self, server: &mut Server) {
        match self {
            Self::Reply(reply) => assert_eq!(server.reply(reply), Ok(())),
            Self::SaslError => assert_eq!(server.sasl_error(BEARER_ERROR), Ok(())),
            Self::ScramKeys => give_keys(server, "pencil"),
        }
    }
}

#[cfg(feature = "sasl-scram")]
fn give_keys(server: &mut Server, password: &str) {
    let keys = crate::server::ScramKeys::from_password(password, b"salt", 1);
    assert!(keys.is_ok(), "keys for {password:?}");
    if let Ok(keys) = keys {
        assert_eq!(server.scram_keys(keys), Ok(()));
    }
}

/// Without the feature no SCRAM exchange starts, so no lookup asks for keys.
#[cfg(not(feature = "sasl-scram"))]
fn give_keys(_: &mut Server, _: &str) {}

/// The user name and the secret a stream names: the first two words (split at SP) of its
/// first line (up to LF, a CR before it dropped). Bytes a mechanism refuses (controls)
/// make the client refuse the exchange, which is then skipped.
pub(super) fn credentials(stream: &[u8]) -> (String, String) {
    let line = stream.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut words = line.splitn(3, |&b| b == b' ');
    let mut word = || String::from_utf8_lossy(words.next().unwrap_or_default()).into_owned();
    (word(), word())
}

/// See the module docs.
pub(super) fn round_trip(seed: u8, stream: &[u8]) {
    let (user, secret) = credentials(stream);
    let mechanisms = [
        Mechanism::Plain,
        Mechanism::Login,
        Mechanism::XOAuth2,
        Mechanism::OAuthBearer,
        Mechanism::CramMd5,
        Mechanism::ScramSha256,
    ];
    let Some(mechanism) = mechanisms.get(usize::from(seed % 6)) else {
        return;
    };
    if !mechanism.is_supported() {
        return;
    }
    let inline = seed & 0x80 == 0;
    let tls = super::Tls::offered(seed) == super::Tls::Offered;
    // The wrong secret differs in its first character, so it stays a b64token (no `=` in
    // the middle) whenever the right one is.
    for (presented, right) in [(secret.clone(), true), (format!("x{secret}"), false)] {
        let bearer = matches!(mechanism, Mechanism::XOAuth2 | Mechanism::OAuthBearer);
        let credentials = if bearer {
            Credentials::oauth2(user.clone(), presented)
        } else {
            Credentials::password(user.clone(), presented)
        };
        let params = SaslParams::new()
            .client_nonce("fuzz+nonce")
            .scram_iteration_bounds(1..=1);
        // A token that is not an RFC 6750 b64token is refused by the client: no exchange.
        let Ok(client) = SaslExchange::new(mechanism, &credentials, &params) else {
            continue;
        };
        let (code, finished, client) = exchange(client, seed, inline, tls, (&user, &secret));
        if right {
            assert_eq!((code, finished), (235, Ok(())), "{mechanism} {user:?}");
        } else {
            assert_eq!(code, 535, "{mechanism} {user:?} with a wrong secret");
            assert_eq!(client.server_error().is_some(), bearer, "{mechanism}");
        }
    }
}

/// Runs one exchange (after 538 and a handshake when `tls`); the final reply code, the
/// client's `finish` on 235, the client.
fn exchange(
    mut client: SaslExchange,
    seed: u8,
    inline: bool,
    tls: bool,
    expected: (&str, &str),
) -> (u16, Result<(), crate::auth::SaslError>, SaslExchange) {
    let mut server = Server::new(ServerConfig {
        nonce_seed: u64::from(seed),
        auth_requires_tls: tls,
        ..ServerConfig::default()
    });
    assert_eq!(server.reply(fixed("220 fuzz")), Ok(()));
    let line = crate::server::auth_line(&mut client, inline);
    // The greeting is read with the first reply, or before the handshake.
    let mut first = !tls;
    if tls {
        start_tls(&mut server, line.as_bytes());
    }
    server.handle_input(line.as_bytes());
    for step in 0.. {
        assert!(step < MAX_STEPS, "more than {MAX_STEPS} challenges");
        let written = answer_all(&mut server, expected);
        let text = String::from_utf8_lossy(&written).into_owned();
        let text = if first {
            first = false;
            text.strip_prefix("220 fuzz\r\n")
                .unwrap_or(&text)
                .to_owned()
        } else {
            text
        };
        let (code, rest) = text.split_at_checked(3).unwrap_or(("", ""));
        match code {
            "334" => {
                let challenge = decode_base64(rest.trim().as_bytes());
                assert!(challenge.is_ok(), "334 not base64: {text:?}");
                let answer = client.step(&challenge.unwrap_or_default());
                assert!(answer.is_ok(), "client refused {text:?}: {answer:?}");
                let answer = answer
                    .map(|a| encode_base64(a.as_bytes()))
                    .unwrap_or_default();
                server.handle_input(format!("{answer}\r\n").as_bytes());
            }
            "235" => {
                let finished = client.finish(None);
                return (235, finished, client);
            }
            _ => return (code.parse().unwrap_or_default(), Ok(()), client),
        }
    }
    (0, Ok(()), client)
}

/// Before TLS, `line` is refused with 538 before any challenge; then STARTTLS, answered
/// 220, and the handshake.
fn start_tls(server: &mut Server, line: &[u8]) {
    server.handle_input(line);
    server.handle_input(b"STARTTLS\r\n");
    let mut written = Vec::new();
    let mut refused = false;
    loop {
        match server.poll_output() {
            Output::Transmit(bytes) => written.extend(bytes),
            Output::Event(Event::Refused(Refusal::AuthNotAllowed(gate))) => {
                assert_eq!(gate, AuthGate::EncryptionRequired, "AUTH before TLS");
                refused = true;
            }
            Output::Event(Event::Command(Command::StartTls)) => {}
            Output::NeedReply => assert_eq!(server.reply(fixed("220 go")), Ok(())),
            other => {
                assert_eq!(other, Output::UpgradeTls, "before the handshake");
                break;
            }
        }
    }
    let text = String::from_utf8_lossy(&written);
    assert!(refused, "AUTH before TLS not refused: {text:?}");
    let expected = concat!(
        "220 fuzz\r\n",
        "538 5.7.11 Encryption required for requested authentication mechanism\r\n",
        "220 go\r\n",
    );
    assert_eq!(text, expected, "AUTH before TLS");
    assert_eq!(server.tls_established(), Ok(()), "after UpgradeTls");
}

/// Polls until input is needed, answering as the application holding `expected` would.
fn answer_all(server: &mut Server, (user, secret): (&str, &str)) -> Vec<u8> {
    let mut written = Vec::new();
    loop {
        match server.poll_output() {
            Output::Transmit(bytes) => written.extend(bytes),
            Output::Event(Event::Authenticate(credentials)) => {
                let valid = credentials.username() == user
                    && match &credentials {
                        SaslCredentials::OAuth2 { token, .. }
                        | SaslCredentials::OAuthBearer { token, .. } => token.expose() == secret,
                        SaslCredentials::Scram { verified, .. } => *verified,
                        other => other.verify_password(secret),
                    };
                if valid {
                    assert_eq!(server.reply(fixed("235 ok")), Ok(()));
                } else if credentials.mechanism().is_bearer() {
                    assert_eq!(server.sasl_error(BEARER_ERROR), Ok(()));
                } else {
                    assert_eq!(server.reply(fixed("535 no")), Ok(()));
                }
            }
            Output::Event(Event::ScramLookup { username, .. }) => {
                assert_eq!(username, user, "SCRAM user name changed on the way");
                give_keys(server, secret);
            }
            Output::Event(Event::SaslErrorAnswered(_)) => {
                assert_eq!(server.reply(fixed("535 no")), Ok(()));
            }
            // A refusal wrote its reply: the exchange ends there, and the caller says why.
            Output::Event(event) => {
                assert!(matches!(event, Event::Refused(_)), "unexpected {event:?}");
            }
            Output::NeedInput => return written,
            other => {
                assert_eq!(other, Output::Close, "unexpected output");
                return written;
            }
        }
    }
}

fn fixed(text: &str) -> Reply {
    text.parse()
        .unwrap_or_else(|_| Reply::fixed(554, (5, 0, 0), "unparsable"))
}
