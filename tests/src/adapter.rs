//! [`SmtpAdapter`]: what every adapter offers the shared suites, whatever its runtime.

use std::future::Future;

use std::net::SocketAddr;

use smtp_adapter::{ConnectionConfig, Error, TlsInfo};
use smtp_proto::client::Session;
use smtp_proto::command::{Cmd, Envelope, Established, LogicError, MailBody, MailReport};

/// One adapter (tokio, futures-io, blocking) as the interop and hostile suites see it.
///
/// The methods mirror the adapters' own names (`Connection::connect`, `send`,
/// `send_mail`, `quit`, ...), so an implementation is a few lines of forwarding. Methods
/// are `async` so that one suite serves every runtime: a blocking adapter does its work in
/// the body of the `async fn` and is driven by any executor in [`block_on`](Self::block_on).
/// The suites never spawn tasks: each test is one future run by `block_on`, and servers run
/// on their own threads.
// The suites run each future with `block_on` on the adapter's own runtime, so a `Send`
// bound on the returned futures would only exclude adapters.
#[allow(async_fn_in_trait)]
pub trait SmtpAdapter {
    /// The adapter's name in test output (`tokio`, `async-std`, `blocking`).
    const NAME: &'static str;
    /// The adapter's connection type.
    type Connection;

    /// Runs `future` to completion on the adapter's runtime (with IO and timers enabled).
    fn block_on<F: Future>(future: F) -> F::Output;

    /// `Connection::connect`: open, TLS as configured, greeting, EHLO, STARTTLS, AUTH.
    async fn connect(config: &ConnectionConfig) -> Result<Self::Connection, Error>;

    /// `Connection::connect_without_setup`: the transport only; the setup is the caller's
    /// first `send`.
    async fn connect_without_setup(
        config: &ConnectionConfig,
    ) -> Result<(Self::Connection, Option<SocketAddr>), Error>;

    /// `Connection::connect_with_stream` over a TCP socket the test connected itself (to
    /// fix its buffer sizes), adopted by the adapter's runtime.
    async fn connect_with_socket(
        socket: std::net::TcpStream,
        config: &ConnectionConfig,
    ) -> Result<Self::Connection, Error>;

    /// `Connection::send` with any command.
    async fn send<C: Cmd + Send>(
        connection: &mut Self::Connection,
        cmd: C,
    ) -> Result<Result<C::Output, LogicError>, Error>
    where
        C::Output: Send;

    /// `Connection::send_mail`.
    async fn send_mail(
        connection: &mut Self::Connection,
        envelope: Envelope,
        body: MailBody,
    ) -> Result<Result<MailReport, LogicError>, Error>;

    /// `Connection::quit`.
    async fn quit(connection: Self::Connection) -> Result<(), Error>;

    /// `Connection::established`.
    fn established(connection: &Self::Connection) -> Option<&Established>;

    /// `Connection::session`.
    fn session(connection: &Self::Connection) -> &Session;

    /// `Connection::tls_info`.
    fn tls_info(connection: &Self::Connection) -> Option<&TlsInfo>;

    /// `Connection::is_usable`.
    fn is_usable(connection: &Self::Connection) -> bool;
}

/// The tokio adapter (`smtp-tokio`).
#[derive(Debug)]
pub struct Tokio;

impl SmtpAdapter for Tokio {
    const NAME: &'static str = "tokio";
    type Connection = smtp_tokio::Connection;

    fn block_on<F: Future>(future: F) -> F::Output {
        match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime.block_on(future),
            Err(error) => panic!("cannot start a tokio runtime: {error}"),
        }
    }

    async fn connect(config: &ConnectionConfig) -> Result<Self::Connection, Error> {
        smtp_tokio::Connection::connect(config).await
    }

    async fn connect_without_setup(
        config: &ConnectionConfig,
    ) -> Result<(Self::Connection, Option<SocketAddr>), Error> {
        smtp_tokio::Connection::connect_without_setup(config).await
    }

    async fn connect_with_socket(
        socket: std::net::TcpStream,
        config: &ConnectionConfig,
    ) -> Result<Self::Connection, Error> {
        socket.set_nonblocking(true).map_err(Error::Io)?;
        let socket = tokio::net::TcpStream::from_std(socket).map_err(Error::Io)?;
        smtp_tokio::Connection::connect_with_stream(socket, config).await
    }

    async fn send<C: Cmd + Send>(
        connection: &mut Self::Connection,
        cmd: C,
    ) -> Result<Result<C::Output, LogicError>, Error>
    where
        C::Output: Send,
    {
        connection.send(cmd).await
    }

    async fn send_mail(
        connection: &mut Self::Connection,
        envelope: Envelope,
        body: MailBody,
    ) -> Result<Result<MailReport, LogicError>, Error> {
        connection.send_mail(envelope, body).await
    }

    async fn quit(connection: Self::Connection) -> Result<(), Error> {
        connection.quit().await
    }

    fn established(connection: &Self::Connection) -> Option<&Established> {
        connection.established()
    }

    fn session(connection: &Self::Connection) -> &Session {
        connection.session()
    }

    fn tls_info(connection: &Self::Connection) -> Option<&TlsInfo> {
        connection.tls_info()
    }

    fn is_usable(connection: &Self::Connection) -> bool {
        connection.is_usable()
    }
}

/// The blocking adapter (`smtp-blocking`): each method does its work synchronously in the
/// body of the `async fn`, and [`block_on`](SmtpAdapter::block_on) is futures-lite's
/// (which parks the thread if a suite's own future ever waits).
#[derive(Debug)]
pub struct Blocking;

impl SmtpAdapter for Blocking {
    const NAME: &'static str = "blocking";
    type Connection = smtp_blocking::Connection;

    fn block_on<F: Future>(future: F) -> F::Output {
        futures_lite::future::block_on(future)
    }

    async fn connect(config: &ConnectionConfig) -> Result<Self::Connection, Error> {
        smtp_blocking::Connection::connect(config)
    }

    async fn connect_without_setup(
        config: &ConnectionConfig,
    ) -> Result<(Self::Connection, Option<SocketAddr>), Error> {
        smtp_blocking::Connection::connect_without_setup(config)
    }

    async fn connect_with_socket(
        socket: std::net::TcpStream,
        config: &ConnectionConfig,
    ) -> Result<Self::Connection, Error> {
        smtp_blocking::Connection::connect_with_stream(socket, config)
    }

    async fn send<C: Cmd + Send>(
        connection: &mut Self::Connection,
        cmd: C,
    ) -> Result<Result<C::Output, LogicError>, Error>
    where
        C::Output: Send,
    {
        connection.send(cmd)
    }

    async fn send_mail(
        connection: &mut Self::Connection,
        envelope: Envelope,
        body: MailBody,
    ) -> Result<Result<MailReport, LogicError>, Error> {
        connection.send_mail(envelope, body)
    }

    async fn quit(connection: Self::Connection) -> Result<(), Error> {
        connection.quit()
    }

    fn established(connection: &Self::Connection) -> Option<&Established> {
        connection.established()
    }

    fn session(connection: &Self::Connection) -> &Session {
        connection.session()
    }

    fn tls_info(connection: &Self::Connection) -> Option<&TlsInfo> {
        connection.tls_info()
    }

    fn is_usable(connection: &Self::Connection) -> bool {
        connection.is_usable()
    }
}

/// The futures-io adapter (`smtp-async-std`), run on async-std's executor.
#[derive(Debug)]
pub struct AsyncStd;

impl SmtpAdapter for AsyncStd {
    const NAME: &'static str = "async-std";
    type Connection = smtp_async_std::Connection;

    fn block_on<F: Future>(future: F) -> F::Output {
        async_std::task::block_on(future)
    }

    async fn connect(config: &ConnectionConfig) -> Result<Self::Connection, Error> {
        smtp_async_std::Connection::connect(config).await
    }

    async fn connect_without_setup(
        config: &ConnectionConfig,
    ) -> Result<(Self::Connection, Option<SocketAddr>), Error> {
        smtp_async_std::Connection::connect_without_setup(config).await
    }

    async fn connect_with_socket(
        socket: std::net::TcpStream,
        config: &ConnectionConfig,
    ) -> Result<Self::Connection, Error> {
        let socket = async_std::net::TcpStream::from(socket);
        smtp_async_std::Connection::connect_with_stream(socket, config).await
    }

    async fn send<C: Cmd + Send>(
        connection: &mut Self::Connection,
        cmd: C,
    ) -> Result<Result<C::Output, LogicError>, Error>
    where
        C::Output: Send,
    {
        connection.send(cmd).await
    }

    async fn send_mail(
        connection: &mut Self::Connection,
        envelope: Envelope,
        body: MailBody,
    ) -> Result<Result<MailReport, LogicError>, Error> {
        connection.send_mail(envelope, body).await
    }

    async fn quit(connection: Self::Connection) -> Result<(), Error> {
        connection.quit().await
    }

    fn established(connection: &Self::Connection) -> Option<&Established> {
        connection.established()
    }

    fn session(connection: &Self::Connection) -> &Session {
        connection.session()
    }

    fn tls_info(connection: &Self::Connection) -> Option<&TlsInfo> {
        connection.tls_info()
    }

    fn is_usable(connection: &Self::Connection) -> bool {
        connection.is_usable()
    }
}
