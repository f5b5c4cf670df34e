//! [`Connection`]: a socket, the core client and one loop.

use std::io::Read;
use std::net::SocketAddr;

use smtp_adapter::{ConnectionConfig, Error, Security, TlsInfo, log};
use smtp_proto::client::{Client, Session};
use smtp_proto::command::{Cmd, Established, LogicError, Quit, TransactionOptions};
use smtp_proto::error::ProtocolError;

use crate::connect;
use crate::drive::{Driven, Io};
use crate::stream::{Stream, Transport, Upgrader};

pub use smtp_adapter::DEFAULT_MAX_GROUP;

/// An SMTP (or LMTP) connection on blocking std sockets: the stream, the sans-IO core
/// client, a read buffer, and one loop that runs any [`Cmd`].
///
/// Results have two levels: `Err(Error)` means the connection is dead (`?` it away);
/// `Ok(Err(LogicError))` is the server's refusal, to be looked at, with the connection
/// still usable.
pub struct Connection {
    pub(crate) io: Io,
    pub(crate) client: Client,
    established: Option<Established>,
    pub(crate) options: TransactionOptions,
}

/// A command's end as [`Connection::send_with_body`] returns it.
#[derive(Debug)]
#[non_exhaustive]
pub struct Sent<C: Cmd> {
    /// What [`Connection::send`] returns.
    pub result: Result<Result<C::Output, LogicError>, Error>,
    /// The command, for what it recorded (a mail report after a fatal error).
    pub command: C,
    /// After a fatal error: the command's result if it had finished first (a mail whose
    /// verdict was a 421).
    pub finished: Option<Result<C::Output, LogicError>>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("stream", &self.io.stream)
            .field("session", self.client.session())
            .field("usable", &self.is_usable())
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// Connects as `config` says and sets the session up: resolves the host (an address
    /// literal is its address) and tries every address in order within the connect timeout
    /// (TCP_NODELAY set), or opens the Unix socket; implicit TLS if configured; then greeting, EHLO, STARTTLS, AUTH
    /// ([`Establish`](smtp_proto::command::Establish), whose output
    /// [`established`](Self::established) keeps).
    ///
    /// A refused setup (greeting, EHLO, AUTH) is [`Error::Refused`].
    pub fn connect(config: &ConnectionConfig) -> Result<Self, Error> {
        let (stream, local) = connect::open(config)?;
        Self::open(stream, upgrader(config)?, local, config)
    }

    /// Sets the session up over a stream the caller opened (a proxy, a tunnel, a test
    /// pipe): as [`connect`](Self::connect) after the connection step, STARTTLS included.
    /// Deadlines are enforced on a `TcpStream` or `UnixStream`; any other stream keeps
    /// the timeouts it has.
    pub fn connect_with_stream<S: Transport>(
        stream: S,
        config: &ConnectionConfig,
    ) -> Result<Self, Error> {
        let stream = Stream::Plain(Box::new(stream));
        Self::open(stream, upgrader(config)?, None, config)
    }

    /// Connects as [`connect`](Self::connect) does (resolution, every address within the
    /// connect timeout, implicit TLS when configured) but runs no command: the first
    /// [`send`](Self::send) must be the setup, the configured one
    /// ([`ConnectionConfig::establish`]) or the caller's own greeting, EHLO, STARTTLS and
    /// AUTH one by one.
    ///
    /// Nothing is lost when the setup fails: the connection still exists, so
    /// [`session`](Self::session) keeps the greeting (a refusal or 421 included) and the
    /// session's EHLO data, and [`tls_info`](Self::tls_info) the TLS negotiated, however far
    /// the setup got (RFC 5321 §3.1, §4.1.1.1). The session forgets the plaintext EHLO at
    /// STARTTLS's 220 (RFC 3207 §4.2): after a handshake that then failed, it is in the
    /// setup's [`Establish::last_hello`](smtp_proto::command::Establish::last_hello), when
    /// the setup is sent by reference as below.
    /// [`established`](Self::established) stays `None`: the setup's output is the caller's.
    /// Returns the connection and, for TCP, the local address
    /// ([`ConnectionConfig::establish`] names the client after it when nothing else names
    /// it, as `connect` does).
    ///
    /// ```no_run
    /// use smtp_blocking::{Connection, ConnectionConfig, Error};
    ///
    /// # fn demo() -> Result<(), Error> {
    /// let config = ConnectionConfig::builder("mx.example.org").build()?;
    /// let (mut connection, local) = Connection::connect_without_setup(&config)?;
    /// let mut setup = config.establish(local)?;
    /// match connection.send(&mut setup) {
    ///     Ok(Ok(established)) => println!("EHLO: {:?}", established.ehlo()),
    ///     Ok(Err(refusal)) => println!("refused: {refusal}"),
    ///     Err(error) => println!("failed: {error}"),
    /// }
    /// // However the setup ended, what it received is still there.
    /// println!("greeting: {:?}", connection.session().greeting());
    /// println!("last hello: {:?}", setup.last_hello());
    /// # Ok(())
    /// # }
    /// ```
    pub fn connect_without_setup(
        config: &ConnectionConfig,
    ) -> Result<(Self, Option<SocketAddr>), Error> {
        let (stream, local) = connect::open(config)?;
        let connection = Self::opened(stream, upgrader(config)?, config)?;
        Ok((connection, local))
    }

    pub(crate) fn open(
        stream: Stream,
        upgrader: Upgrader,
        local: Option<SocketAddr>,
        config: &ConnectionConfig,
    ) -> Result<Self, Error> {
        let mut connection = Self::opened(stream, upgrader, config)?;
        let setup = config.establish(local)?;
        match connection.send(setup)? {
            Ok(established) => {
                connection.established = Some(established);
                Ok(connection)
            }
            Err(refusal) => {
                connection.io.shutdown();
                Err(Error::Refused(refusal))
            }
        }
    }

    /// The connection up to its first command: implicit TLS if configured, the client,
    /// the configured transaction options.
    fn opened(
        stream: Stream,
        upgrader: Upgrader,
        config: &ConnectionConfig,
    ) -> Result<Self, Error> {
        let mut io = Io::new(stream, upgrader, None);
        let implicit = config.security() == Security::ImplicitTls;
        if implicit {
            let stream = io.stream.take().ok_or(ProtocolError::Unusable)?;
            let (stream, info) = io.upgrader.handshake(stream)?;
            io.stream = Some(stream);
            io.tls = info;
        }
        let mut connection = Self::from_parts(io, config.new_client(implicit));
        connection.options = config.transaction_options();
        Ok(connection)
    }

    pub(crate) fn from_parts(io: Io, client: Client) -> Self {
        Self {
            io,
            client,
            established: None,
            options: TransactionOptions::default(),
        }
    }

    /// Runs `cmd` and returns its result: the output, the server's refusal, or the fatal
    /// error that ended the connection.
    ///
    /// Anything the server sent while the connection sat idle (a 421, a close) is
    /// reported first, before a byte of `cmd` is written. A command that asks for a
    /// streamed body gets an empty one (see [`send_with_body`](Self::send_with_body)).
    pub fn send<C: Cmd>(&mut self, cmd: C) -> Result<Result<C::Output, LogicError>, Error> {
        self.send_with_body(cmd, std::io::empty()).result
    }

    /// Runs `cmd`, feeding the body it asks for from `body` through a fixed buffer, and
    /// gives the command back with its result.
    pub fn send_with_body<C: Cmd, R: Read>(&mut self, cmd: C, mut body: R) -> Sent<C> {
        self.io.poll_idle(&mut self.client);
        let span = log::command_span(log::command_name::<C>());
        let (io, client) = (&mut self.io, &mut self.client);
        let _entered = span.enter();
        let mut exchange = client.send(cmd);
        let result = match io.drive(&mut exchange, &mut body, |_| false) {
            Ok(Driven::Done(result)) => Ok(result),
            Ok(Driven::Paused) => Err(Error::Protocol(ProtocolError::Misuse("paused"))),
            Err(error) => Err(error),
        };
        let finished = match result {
            Err(_) => exchange.take_result(),
            Ok(_) => None,
        };
        log::record_outcome(&span, &result, exchange.last_reply_code());
        Sent {
            result,
            command: exchange.into_command(),
            finished,
        }
    }

    /// Reads what the server sent while the connection sat idle, without waiting: after
    /// it, [`is_usable`](Self::is_usable) reflects a 421 or a close. (Every `send` does
    /// this first.)
    pub fn poll_idle(&mut self) {
        self.io.poll_idle(&mut self.client);
    }

    /// Sends QUIT and closes the connection. A failed or missing QUIT reply changes
    /// nothing that happened before: once the QUIT line was written, errors are ignored.
    /// While the server reads message content ([`Session::in_mail_data`]), QUIT would be
    /// part of it: the connection is closed without it, and the server drops the message.
    ///
    /// [`Session::in_mail_data`]: smtp_proto::client::Session::in_mail_data
    pub fn quit(mut self) -> Result<(), Error> {
        let before = self.io.written;
        let result = self.send(Quit);
        self.io.shutdown();
        match result {
            Err(_) if self.io.written > before => Ok(()),
            Err(error) => Err(error),
            Ok(_) => Ok(()),
        }
    }

    /// The stream, for the caller to go on with: none after the TLS handshake failed, or
    /// after a write was cut short (timed out or failed), since the stream may then end in
    /// half a line; none either after a message's body failed part way (invalid, or its
    /// source broke), which closes the connection at once.
    ///
    /// None either while the server may be reading message content
    /// ([`Client::may_be_in_mail_data`](smtp_proto::client::Client::may_be_in_mail_data):
    /// after DATA's 354 and before the end of data, or with DATA's reply still due, as when
    /// a message was interrupted there): whatever the caller wrote on it would become part of
    /// the message.
    pub fn into_inner(self) -> Option<Stream> {
        if self.client.may_be_in_mail_data() {
            return None;
        }
        self.io.stream
    }

    /// Whether another command may run: no fatal error, no abandoned command, not closed
    /// (as last seen: see [`poll_idle`](Self::poll_idle)).
    pub fn is_usable(&self) -> bool {
        self.io.stream.is_some() && self.client.is_usable()
    }

    /// What the TLS handshake negotiated, if the connection is TLS.
    pub fn tls_info(&self) -> Option<&TlsInfo> {
        self.io.tls.as_ref()
    }

    /// What the session setup established (greeting, EHLO data, TLS, mechanism).
    pub fn established(&self) -> Option<&Established> {
        self.established.as_ref()
    }

    /// The session as the core sees it (EHLO data, TLS, authentication, transaction).
    pub fn session(&self) -> &Session {
        self.client.session()
    }

    /// The options mails are sent with (from the configuration).
    pub fn transaction_options(&self) -> TransactionOptions {
        self.options
    }

    /// Changes the options later mails are sent with.
    pub fn set_transaction_options(&mut self, options: TransactionOptions) {
        self.options = options;
    }
}

/// The TLS step the configuration asks for (the rustls configuration is built here, so a
/// bad root file fails before the connection is used).
fn upgrader(config: &ConnectionConfig) -> Result<Upgrader, Error> {
    if config.security() == Security::None {
        return Ok(Upgrader::Unavailable);
    }
    // The configured name, else the host; a Unix socket has no host to fall back on.
    let host = config.tls_server_name().unwrap_or("localhost");
    Ok(Upgrader::Rustls {
        config: config.tls().client_config()?,
        server_name: config.tls().server_name_for(host)?,
        timeout: config.tls_timeout(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::num::NonZeroUsize;

    #[test]
    fn groups_are_split_unless_configured() {
        let config = ConnectionConfig::builder("mx.test").build().unwrap();
        let client = config.new_client(false);
        assert_eq!(client.config().max_group, Some(DEFAULT_MAX_GROUP));
        assert!(!client.session().is_tls());
        let mut core = config.client_config();
        core.max_group = NonZeroUsize::new(512);
        let config = ConnectionConfig::builder("mx.test")
            .client_config(core)
            .build()
            .unwrap();
        let client = config.new_client(true);
        assert_eq!(client.config().max_group, NonZeroUsize::new(512));
        assert!(client.session().is_tls());
        let lmtp = ConnectionConfig::unix("/run/lmtp").build().unwrap();
        let client = lmtp.new_client(false);
        assert_eq!(
            client.session().protocol(),
            smtp_proto::client::Protocol::Lmtp
        );
    }

    fn is_send<T: Send>(_: &T) {}

    /// A connection can move to another thread.
    #[test]
    fn connections_are_send() {
        fn check(connection: &Connection) {
            is_send(connection);
        }
        let _ = check;
    }
}
