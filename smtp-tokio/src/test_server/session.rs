//! One connection: the IO loop around the sans-IO [`Server`] and the [`Handler`].

use std::hash::{BuildHasher, RandomState};
use std::net::SocketAddr;
use std::sync::Arc;

use smtp_proto::server::{Output, Reply, Server, ServerConfig};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::handler::{Action, Handler};
use super::record::{SessionEnd, Store};
use super::rules::Fault;
use super::settings::Settings;

/// A byte stream a session runs over: TCP, Unix, or TLS over either.
pub(super) trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

type BoxIo = Box<dyn Io>;

/// Runs one session to its end and records how it ended.
pub(super) async fn run(
    settings: Arc<Settings>,
    store: Arc<Store>,
    stream: BoxIo,
    peer: Option<SocketAddr>,
) {
    let id = store.open_session(peer);
    tracing::debug!(session = id, ?peer, "test server: session opened");
    let end = serve(settings, store.clone(), stream, id).await;
    tracing::debug!(session = id, ?end, "test server: session ended");
    store.end_session(id, end);
}

async fn serve(
    settings: Arc<Settings>,
    store: Arc<Store>,
    mut stream: BoxIo,
    id: u64,
) -> SessionEnd {
    if settings.implicit_tls {
        match settings.pki.acceptor.accept(stream).await {
            Ok(tls) => stream = Box::new(tls),
            Err(e) => return SessionEnd::Tls(e.to_string()),
        }
        store.update(id, |r| r.tls = true);
    }
    let slow = settings
        .rules
        .fires(|f| matches!(f, Fault::SlowReplies(_)))
        .and_then(|f| match f {
            Fault::SlowReplies(delay) => Some(*delay),
            _ => None,
        });
    let config = ServerConfig {
        max_message_size: settings.size_limit(),
        // No mechanism: AUTH is refused with 502; without TLS, with 538 unless allowed.
        mechanisms: settings.mechanisms.clone(),
        auth_requires_tls: !settings.allow_plaintext_auth,
        hostname: settings.hostname.clone(),
        // Fresh per session and process: std's hasher keys are random per process.
        nonce_seed: RandomState::new().hash_one(id),
        extensions: settings
            .rules
            .answers
            .iter()
            .map(|(verb, _)| verb.clone())
            .collect(),
        ..ServerConfig::default()
    };
    let mut server = Server::new(config).keep_lines();
    if settings.implicit_tls {
        server = server.implicit_tls();
    }
    let mut handler = Handler::new(settings.clone(), store.clone(), id, settings.implicit_tls);
    let mut greeted = false;
    // How many replies of the verdict are left to write before the connection closes
    // (`Fault::DisconnectAfterVerdict`: in LMTP, one per recipient).
    let mut closing: Option<usize> = None;
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let output = server.poll_output();
        let lines = server.take_lines();
        if !lines.is_empty() {
            store.update(id, |r| r.commands.extend(lines));
        }
        let action = match output {
            Output::Transmit(mut bytes) => {
                if let Some(delay) = slow {
                    tokio::time::sleep(delay).await;
                }
                if let Some(extra) = handler.inject.take() {
                    bytes.extend_from_slice(&extra);
                }
                if let Err(e) = write(&mut stream, &bytes).await {
                    return SessionEnd::Io(e.to_string());
                }
                if let Some(left) = closing.as_mut() {
                    *left = left.saturating_sub(1);
                    if *left == 0 {
                        let _ = stream.shutdown().await;
                        return SessionEnd::Disconnected;
                    }
                }
                continue;
            }
            Output::Event(event) => handler.event(event),
            Output::NeedReply if !greeted => {
                greeted = true;
                handler.greeting()
            }
            // An event the handler did not answer: never leave the client hanging.
            Output::NeedReply => Action::Answer(vec![settings.fallback.clone()]),
            Output::NeedInput => {
                match stream.read(&mut buf).await {
                    Ok(0) => server.handle_eof(),
                    Ok(n) => server.handle_input(buf.get(..n).unwrap_or_default()),
                    Err(e) => return SessionEnd::Io(e.to_string()),
                }
                continue;
            }
            Output::UpgradeTls => {
                match settings.pki.acceptor.accept(stream).await {
                    Ok(tls) => stream = Box::new(tls),
                    Err(e) => return SessionEnd::Tls(e.to_string()),
                }
                if server.tls_established().is_err() {
                    return SessionEnd::Tls("upgrade out of turn".into());
                }
                handler.tls_established();
                continue;
            }
            Output::Close => {
                let _ = stream.shutdown().await;
                return handler.end.take().unwrap_or(SessionEnd::ClientClosed);
            }
            _ => return SessionEnd::Io("unknown output of the server core".into()),
        };
        match action {
            Action::Nothing => {}
            Action::Answer(replies) => {
                // The core writes each reply of an answer as one transmit, before anything
                // else: the verdict is the next `replies.len()` transmits.
                if handler.disconnect_after_reply {
                    closing = Some(replies.len());
                }
                if let Err(e) = answer(&mut server, replies) {
                    return SessionEnd::Io(e);
                }
            }
            Action::SaslError(error) => {
                if let Err(e) = server.sasl_error(&error) {
                    return SessionEnd::Io(e.to_string());
                }
            }
            Action::ScramKeys(keys) => {
                if let Err(e) = server.scram_keys(keys) {
                    return SessionEnd::Io(e.to_string());
                }
            }
            Action::Silence => return silence(&mut stream, &mut buf).await,
            Action::Disconnect => {
                let _ = stream.shutdown().await;
                return SessionEnd::Disconnected;
            }
        }
    }
}

fn answer(server: &mut Server, mut replies: Vec<Reply>) -> Result<(), String> {
    let result = match (replies.len(), replies.pop()) {
        (1, Some(reply)) => server.reply(reply),
        (_, Some(last)) => {
            replies.push(last);
            server.reply_many(replies)
        }
        (_, None) => return Err("no reply to send".into()),
    };
    result.map_err(|e| e.to_string())
}

async fn write(stream: &mut BoxIo, bytes: &[u8]) -> std::io::Result<()> {
    stream.write_all(bytes).await?;
    stream.flush().await
}

/// Reads and discards until the client closes: a server that never answers.
async fn silence(stream: &mut BoxIo, buf: &mut [u8]) -> SessionEnd {
    loop {
        match stream.read(buf).await {
            Ok(0) => return SessionEnd::ClientClosed,
            Ok(_) => {}
            Err(e) => return SessionEnd::Io(e.to_string()),
        }
    }
}
