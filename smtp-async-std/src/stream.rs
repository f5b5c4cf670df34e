//! The byte stream under a connection: plain or TLS, over any transport, and the TLS step.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_io::{AsyncRead, AsyncWrite};
use futures_rustls::TlsConnector;
use futures_rustls::client::TlsStream;
use smtp_adapter::rustls::pki_types::ServerName;
use smtp_adapter::{Error, Phase, TlsInfo};

use crate::drive::{Clock, timeout_at};

/// Any futures-io byte stream a connection can run over: async-std's or smol's TCP and
/// Unix sockets, an in-memory pipe, a tunnel the caller brings.
pub trait Transport: AsyncRead + AsyncWrite + Unpin + Send + 'static {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Transport for T {}

/// A transport behind a box, so that one connection type serves every transport.
pub type BoxedTransport = Box<dyn Transport>;

/// The connection's stream: the transport as it is, or TLS over it.
#[non_exhaustive]
pub enum Stream {
    /// No TLS (yet).
    Plain(BoxedTransport),
    /// TLS over the transport (implicit, or after STARTTLS).
    Tls(Box<TlsStream<BoxedTransport>>),
}

impl fmt::Debug for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stream::Plain(_) => "Stream::Plain",
            Stream::Tls(_) => "Stream::Tls",
        })
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_close(cx),
            Stream::Tls(s) => Pin::new(s).poll_close(cx),
        }
    }
}

/// How the connection switches to TLS: the one step that differs between a real
/// connection and the mock.
pub(crate) enum Upgrader {
    /// futures-rustls.
    Rustls {
        connector: TlsConnector,
        server_name: ServerName<'static>,
        timeout: Duration,
    },
    /// No TLS configured (plaintext by choice).
    Unavailable,
    /// The mock's handshake: the script says `! tls`; the stream stays as it is.
    #[cfg(feature = "mock")]
    Mock(crate::mock::MockHandle),
}

impl Upgrader {
    /// Runs the handshake on `stream` (which must be plain).
    pub(crate) async fn handshake(
        &self,
        stream: Stream,
    ) -> Result<(Stream, Option<TlsInfo>), Error> {
        let transport = match stream {
            Stream::Plain(transport) => transport,
            Stream::Tls(_) => return Err(Error::Config("TLS is already established".into())),
        };
        match self {
            Upgrader::Rustls {
                connector,
                server_name,
                timeout,
            } => {
                let handshake = connector.connect(server_name.clone(), transport);
                let deadline = smtp_proto::client::deadline_after(Instant::now(), *timeout);
                match timeout_at(&Clock::System, deadline, handshake).await {
                    Err(_) => Err(Error::Timeout {
                        phase: Phase::TlsHandshake,
                    }),
                    Ok(Err(source)) => Err(Error::Tls {
                        server_name: server_name.to_str().into_owned(),
                        source,
                    }),
                    Ok(Ok(tls)) => {
                        let info = TlsInfo::from_connection(tls.get_ref().1);
                        Ok((Stream::Tls(Box::new(tls)), Some(info)))
                    }
                }
            }
            Upgrader::Unavailable => Err(Error::Config(
                "the server agreed to TLS, but the connection has no TLS configuration".into(),
            )),
            #[cfg(feature = "mock")]
            Upgrader::Mock(handle) => match handle.handshake() {
                Ok(()) => Ok((Stream::Plain(transport), None)),
                Err(error) => Err(Error::Tls {
                    server_name: "mock".into(),
                    source: io::Error::other(error),
                }),
            },
        }
    }
}
