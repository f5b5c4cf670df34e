//! [`SmtpAdapter`]: what every adapter offers the shared suites, whatever its runtime.

use std::future::Future;

use std::net::SocketAddr;

use smtp_adapter::{ConnectionConfig, Error, TlsInfo};
use smtp_proto::client::Session;
use smtp_proto::command::{
    Cmd, Envelope, Established, LogicError, MailBody, MailReport, StreamedBody,
};

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

    /// `Connection::send_mail_streamed`, the body read from `body` (which hands out its
    /// bytes in the pieces it was built with).
    async fn send_mail_streamed(
        connection: &mut Self::Connection,
        envelope: Envelope,
        body: Pieces,
        declaration: StreamedBody,
    ) -> Result<Result<MailReport, LogicError>, Error>;

    /// `Connection::send_all_mails`, every result collected in order.
    async fn send_all_mails(
        connection: &mut Self::Connection,
        mails: Vec<(Envelope, MailBody)>,
    ) -> Vec<Result<Result<MailReport, LogicError>, Error>>;

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

    async fn send_mail_streamed(
        connection: &mut Self::Connection,
        envelope: Envelope,
        body: Pieces,
        declaration: StreamedBody,
    ) -> Result<Result<MailReport, LogicError>, Error> {
        connection
            .send_mail_streamed(envelope, body, declaration)
            .await
    }

    async fn send_all_mails(
        connection: &mut Self::Connection,
        mails: Vec<(Envelope, MailBody)>,
    ) -> Vec<Result<Result<MailReport, LogicError>, Error>> {
        let mut results = Vec::new();
        let mut mails = connection.send_all_mails(mails);
        while let Some(result) = mails.next().await {
            results.push(result);
        }
        results
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

    async fn send_mail_streamed(
        connection: &mut Self::Connection,
        envelope: Envelope,
        body: Pieces,
        declaration: StreamedBody,
    ) -> Result<Result<MailReport, LogicError>, Error> {
        connection.send_mail_streamed(envelope, body, declaration)
    }

    async fn send_all_mails(
        connection: &mut Self::Connection,
        mails: Vec<(Envelope, MailBody)>,
    ) -> Vec<Result<Result<MailReport, LogicError>, Error>> {
        connection.send_all_mails(mails).collect()
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

    async fn send_mail_streamed(
        connection: &mut Self::Connection,
        envelope: Envelope,
        body: Pieces,
        declaration: StreamedBody,
    ) -> Result<Result<MailReport, LogicError>, Error> {
        connection
            .send_mail_streamed(envelope, body, declaration)
            .await
    }

    async fn send_all_mails(
        connection: &mut Self::Connection,
        mails: Vec<(Envelope, MailBody)>,
    ) -> Vec<Result<Result<MailReport, LogicError>, Error>> {
        let mut results = Vec::new();
        let mut mails = connection.send_all_mails(mails);
        while let Some(result) = mails.next().await {
            results.push(result);
        }
        results
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

/// A body source that hands out its bytes in pieces of the sizes given, in turn (then the
/// sizes again from the first): a caller writing CR and LF, or a dot and its line, in
/// different reads. Every runtime's reader trait, always ready.
#[derive(Clone, Debug)]
pub struct Pieces {
    bytes: Vec<u8>,
    at: usize,
    sizes: Vec<usize>,
    turn: usize,
    fail_at: Option<usize>,
    panic_at: Option<usize>,
}

impl Pieces {
    /// `bytes` in pieces of `sizes` (zeros are skipped; an empty list means one piece).
    pub fn new(bytes: Vec<u8>, sizes: &[usize]) -> Self {
        let mut sizes: Vec<usize> = sizes.iter().copied().filter(|&s| s > 0).collect();
        if sizes.is_empty() {
            sizes.push(usize::MAX);
        }
        Self {
            bytes,
            at: 0,
            sizes,
            turn: 0,
            fail_at: None,
            panic_at: None,
        }
    }

    /// The same source, failing with an IO error once `at` octets were handed out.
    pub fn failing_at(mut self, at: usize) -> Self {
        self.fail_at = Some(at);
        self
    }

    /// The same source, panicking once `at` octets were handed out (a caller's reader
    /// with a bug).
    pub fn panicking_at(mut self, at: usize) -> Self {
        self.panic_at = Some(at);
        self
    }

    fn next_piece(&mut self, room: usize) -> &[u8] {
        if self.panic_at.is_some_and(|at| self.at >= at) {
            panic!("the body source panicked");
        }
        let size = self.sizes[self.turn % self.sizes.len()];
        self.turn += 1;
        let start = self.at;
        let end = start.saturating_add(size.min(room)).min(self.bytes.len());
        self.at = end;
        &self.bytes[start..end]
    }
}

impl std::io::Read for Pieces {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.fail_at.is_some_and(|at| self.at >= at) {
            return Err(std::io::Error::other("the body source failed"));
        }
        let piece = self.next_piece(buf.len());
        let n = piece.len();
        buf[..n].copy_from_slice(piece);
        Ok(n)
    }
}

impl tokio::io::AsyncRead for Pieces {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let this = self.get_mut();
        if this.fail_at.is_some_and(|at| this.at >= at) {
            return std::task::Poll::Ready(Err(std::io::Error::other("the body source failed")));
        }
        let piece = this.next_piece(buf.remaining());
        buf.put_slice(piece);
        std::task::Poll::Ready(Ok(()))
    }
}

impl futures_lite::AsyncRead for Pieces {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &mut [u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::task::Poll::Ready(std::io::Read::read(self.get_mut(), buf))
    }
}
