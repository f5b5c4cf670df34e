//! The one loop: a `match` on the core's output, with tokio doing the waiting.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use smtp_adapter::{Error, Phase, TlsInfo, WRITE_FAILURE_LINGER, log};
use smtp_proto::client::{Client, Exchange, Output};
use smtp_proto::command::{Cmd, LogicError};
use smtp_proto::error::ProtocolError;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt, ReadBuf};
use tokio::time::{Instant, Sleep, timeout_at};

use crate::stream::{Stream, Upgrader};

/// Octets read from the connection at once.
const READ_BUFFER: usize = 8 * 1024;
/// Octets of a streamed body read at once: the body's whole memory cost.
pub(crate) const BODY_BUFFER: usize = 16 * 1024;

/// The connection's IO half: the stream, the read buffer, the TLS step.
pub(crate) struct Io {
    /// `None` once a handshake consumed it and failed, or it was cancelled mid-way.
    pub(crate) stream: Option<Stream>,
    buf: Box<[u8]>,
    pub(crate) upgrader: Upgrader,
    pub(crate) tls: Option<TlsInfo>,
    /// Octets written so far (QUIT ignores errors once its line left).
    pub(crate) written: u64,
    /// While a transmit is being written (until it is written, timed out, or its failure
    /// handled): how many of its octets the stream accepted. Still set when
    /// [`drive`](Self::drive) is entered again: the future was dropped mid-write.
    writing: Option<usize>,
    timer: Timer,
}

/// Where [`Io::drive`] stopped.
pub(crate) enum Driven<T> {
    /// The command is done.
    Done(Result<T, LogicError>),
    /// The caller's pause condition held while the command waited for input.
    Paused,
}

impl Io {
    pub(crate) fn new(stream: Stream, upgrader: Upgrader, tls: Option<TlsInfo>) -> Self {
        Self {
            stream: Some(stream),
            buf: vec![0; READ_BUFFER].into_boxed_slice(),
            upgrader,
            tls,
            written: 0,
            writing: None,
            timer: Timer::default(),
        }
    }

    /// Runs `exchange` until it is done, or until `pause` holds when it needs input.
    ///
    /// Every error is fatal: the exchange is left unfinished, so the core refuses the
    /// client from then on; a future dropped mid-way leaves it so too.
    ///
    /// A future dropped mid-write is the one case where the same exchange may come back
    /// (`Mails::next` called again): the transmit was handed over by the core, so its
    /// rest is lost, and the stream may end in half a line. The exchange then fails as
    /// after a write error, without another octet written (see [`Self::interrupted`]).
    pub(crate) async fn drive<C: Cmd, R: AsyncRead + Unpin>(
        &mut self,
        exchange: &mut Exchange<'_, C>,
        body: &mut R,
        mut pause: impl FnMut(&mut C) -> bool,
    ) -> Result<Driven<C::Output>, Error> {
        let mut chunk: Vec<u8> = Vec::new();
        self.interrupted(exchange);
        loop {
            let output = match exchange.poll_output(now()) {
                Ok(output) => output,
                Err(error) => {
                    // A failed body, or any fatal error while the server still reads the
                    // message: what followed on this stream would be message content.
                    if matches!(error, ProtocolError::BodyAborted(_))
                        || exchange.may_be_in_mail_data()
                    {
                        self.abandon_message().await;
                    }
                    return Err(error.into());
                }
            };
            match output {
                Output::Transmit(transmit) => {
                    log::log_transmit(&transmit);
                    let deadline = Instant::from_std(transmit.write_deadline());
                    let stream = self.stream.as_mut().ok_or(ProtocolError::Unusable)?;
                    let bytes = transmit.bytes();
                    let tls = matches!(stream, Stream::Tls(_));
                    let accepted = self.writing.insert(0);
                    // The whole transmit before anything is read: a pipelined group leaves
                    // together. Counted, so that a failure tells how much may have left.
                    let write = async {
                        while let Some(rest) = bytes.get(*accepted..).filter(|r| !r.is_empty()) {
                            match stream.write(rest).await {
                                Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
                                Ok(n) => *accepted += n,
                                // rustls takes the plaintext, sends records of it, and on a
                                // socket error returns the error alone: any of `rest` may
                                // have left.
                                Err(error) => {
                                    if tls {
                                        *accepted += rest.len();
                                    }
                                    return Err(error);
                                }
                            }
                        }
                        stream.flush().await
                    };
                    let len = bytes.len() as u64;
                    match self.timer.run(deadline, write).await {
                        None => {
                            // What the stream accepted may have left; the rest did not, and
                            // the stream may end in half a line: nothing more goes on it. A
                            // reply that came before the server stopped reading (a 552) is
                            // read still, and tells more than the timeout.
                            let timeout = Error::Timeout {
                                phase: Phase::Write,
                            };
                            return self.write_stopped(exchange, timeout).await;
                        }
                        // `writing` stays set until the failure is handled: a future
                        // dropped while it lingers still leaves the stream to be dropped.
                        Some(Err(error)) => {
                            return self.write_stopped(exchange, Error::Io(error)).await;
                        }
                        Some(Ok(())) => {
                            self.writing = None;
                            self.written += len;
                        }
                    }
                }
                Output::NeedInput { deadline } => {
                    if pause(exchange.command_mut()) {
                        return Ok(Driven::Paused);
                    }
                    let read = if deadline <= now() {
                        // The deadline passed while nobody read (the caller paused between
                        // results, or dropped the future): what came meanwhile is read; only
                        // nothing is a timeout. The reactor runs first (a caller that blocked
                        // its thread kept it from marking the socket readable), and the one
                        // poll ignores the task's spent budget.
                        tokio::task::yield_now().await;
                        match tokio::task::unconstrained(async { self.try_read() }).await {
                            Poll::Pending => None,
                            Poll::Ready(read) => Some(read),
                        }
                    } else {
                        let stream = self.stream.as_mut().ok_or(ProtocolError::Unusable)?;
                        let read = stream.read(&mut self.buf);
                        self.timer.run(Instant::from_std(deadline), read).await
                    };
                    match read {
                        None => exchange.handle_timeout(now()),
                        Some(Ok(0)) => exchange.handle_eof(),
                        Some(Ok(n)) => {
                            let bytes = self.buf.get(..n).unwrap_or_default();
                            log::log_input(bytes);
                            exchange.handle_input(bytes);
                        }
                        Some(Err(error)) => return Err(Error::Io(error)),
                    }
                }
                Output::UpgradeTls => {
                    // Octets already received before the handshake (in any layer) would be
                    // taken for TLS-protected: the core fails with StartTlsInjection.
                    if let Some(bytes) = self.read_now() {
                        log::log_input(&bytes);
                        exchange.handle_input(&bytes);
                        continue;
                    }
                    let stream = self.stream.take().ok_or(ProtocolError::Unusable)?;
                    let (stream, info) = self.upgrader.handshake(stream).await?;
                    self.stream = Some(stream);
                    self.tls = info;
                    exchange.tls_established();
                }
                Output::NeedBody => {
                    // Replies already here go first: a refusal read now may spare the body.
                    // One read, then a poll: a fatal error ends the exchange before the
                    // next read, so a flood is not read on.
                    if let Some(bytes) = self.read_now() {
                        log::log_input(&bytes);
                        exchange.handle_input(&bytes);
                        continue;
                    }
                    chunk.resize(BODY_BUFFER, 0);
                    let read = match body.read(&mut chunk).await {
                        Ok(read) => read,
                        Err(error) => {
                            self.abandon_message().await;
                            return Err(Error::Body(error));
                        }
                    };
                    match read {
                        0 => exchange.handle_body_end(),
                        n => exchange.handle_body(chunk.get(..n).unwrap_or_default()),
                    }
                }
                Output::Done(result) => return Ok(Driven::Done(result)),
            }
        }
    }

    /// The stream, unless a write on it was cut short (its future dropped): it may end in
    /// half a line.
    pub(crate) fn into_stream(self) -> Option<Stream> {
        if self.writing.is_some() {
            return None;
        }
        self.stream
    }

    /// The last transmit's write never finished (its future was dropped): the core
    /// learns how much of it the stream accepted (an end of data among those octets may
    /// have arrived: uncertain; the rest never left), and the stream is dropped, since
    /// nothing can complete the line it may end in. The next
    /// poll then fails the exchange ([`ProtocolError::WriteFailed`], or the command's
    /// result if its replies had finished it); a new exchange on this client is refused
    /// anyway (the dropped one left it busy).
    fn interrupted<C: Cmd>(&mut self, exchange: &mut Exchange<'_, C>) {
        if let Some(accepted) = self.writing.take() {
            tracing::debug!("a write was cancelled mid-transmit: the connection is dropped");
            self.stream = None;
            exchange.handle_write_error(accepted);
        }
    }

    /// The write failed or timed out (`cause`): the core learns how much of the transmit
    /// may have left, then what the server sent before it closed or stopped reading is read,
    /// for a short while (a refusal followed by a close or a stall is a refusal, not an IO
    /// error or a timeout; over TLS the records may still be on their way).
    async fn write_stopped<C: Cmd>(
        &mut self,
        exchange: &mut Exchange<'_, C>,
        cause: Error,
    ) -> Result<Driven<C::Output>, Error> {
        exchange.handle_write_error(self.writing.unwrap_or(usize::MAX));
        let until = Instant::now() + WRITE_FAILURE_LINGER;
        while let Some(stream) = self.stream.as_mut() {
            match timeout_at(until, stream.read(&mut self.buf)).await {
                Ok(Ok(n)) if n > 0 => {
                    let bytes = self.buf.get(..n).unwrap_or_default();
                    log::log_input(bytes);
                    exchange.handle_input(bytes);
                }
                _ => break,
            }
        }
        exchange.handle_eof();
        self.stream = None;
        self.writing = None;
        match exchange.poll_output(now()) {
            Ok(Output::Done(result)) => Ok(Driven::Done(result)),
            // What the server said before it closed (a 421, a reply that cannot answer
            // what was sent) tells more than the write's own error.
            Err(protocol) if protocol != ProtocolError::WriteFailed => {
                Err(Error::Protocol(protocol))
            }
            _ => Err(cause),
        }
    }

    /// Reads what the server sent while no command ran (a 421, a close) without waiting,
    /// and hands it to the client, whose next exchange then reports it before writing.
    /// Before the greeting nothing is idle: the first command awaits it.
    pub(crate) fn poll_idle(&mut self, client: &mut Client) {
        if !client.is_usable() || client.session().greeting().is_none() {
            return;
        }
        // No further than a reply may be long and one buffer more: a flood has failed the
        // client by then (SECURITY.md), and the next command reports it.
        let mut budget = client.config().reply_limits.max_reply_len() + READ_BUFFER;
        while budget > 0 {
            match self.try_read() {
                Poll::Ready(Ok(0)) | Poll::Ready(Err(_)) => {
                    client.handle_eof();
                    return;
                }
                Poll::Ready(Ok(n)) => {
                    budget = budget.saturating_sub(n);
                    let bytes = self.buf.get(..n).unwrap_or_default();
                    log::log_input(bytes);
                    client.handle_input(bytes);
                }
                Poll::Pending => return,
            }
        }
    }

    /// The octets readable right now, if any (an error or EOF counts as none: the next
    /// blocking read reports it).
    fn read_now(&mut self) -> Option<Vec<u8>> {
        match self.try_read() {
            Poll::Ready(Ok(n)) if n > 0 => self.buf.get(..n).map(<[u8]>::to_vec),
            _ => None,
        }
    }

    /// One read attempt that never waits.
    fn try_read(&mut self) -> Poll<std::io::Result<usize>> {
        let Some(stream) = self.stream.as_mut() else {
            return Poll::Ready(Ok(0));
        };
        let mut cx = Context::from_waker(Waker::noop());
        let mut buf = ReadBuf::new(&mut self.buf);
        match Pin::new(stream).poll_read(&mut cx, &mut buf) {
            Poll::Ready(Ok(())) => Poll::Ready(Ok(buf.filled().len())),
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            Poll::Pending => Poll::Pending,
        }
    }

    /// Ends the connection now, after its message's body failed part way (invalid, or its
    /// source broke): the server may be reading the body, and anything written later (through
    /// `into_inner`) would be taken for more of it. The server sees the connection end
    /// instead of the end of data, and delivers nothing (SECURITY.md, body smuggling).
    async fn abandon_message(&mut self) {
        // Out of `self` first: a future dropped during the shutdown leaves no stream behind.
        if let Some(mut stream) = self.stream.take() {
            let close = stream.shutdown();
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), close).await;
        }
    }

    /// Closes the stream's write side, briefly: the peer may be gone already.
    pub(crate) async fn shutdown(&mut self) {
        if let Some(stream) = self.stream.as_mut() {
            let close = stream.shutdown();
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), close).await;
        }
    }
}

/// The connection's one timer, reused for every deadline: creating, registering and
/// removing a tokio timer for every read and write cost more than the rest of the adapter's
/// work per mail.
///
/// A wait that completes at once never touches the timer. Otherwise the timer may stay set
/// to an earlier deadline than the one asked for (deadlines mostly move later, and moving
/// the timer costs as much as a new one): it then fires early, and is moved only then. So
/// a wait never ends before its deadline, and ends at it (the timer's resolution aside).
#[derive(Default)]
struct Timer(Option<Pin<Box<Sleep>>>);

impl Timer {
    /// Runs `future` until `deadline`: its output, or `None` if the deadline came first.
    async fn run<F: Future>(&mut self, deadline: Instant, future: F) -> Option<F::Output> {
        let mut future = std::pin::pin!(future);
        std::future::poll_fn(|cx| {
            if let Poll::Ready(output) = future.as_mut().poll(cx) {
                return Poll::Ready(Some(output));
            }
            // Created on the first wait, in the runtime that runs the connection.
            let sleep = self
                .0
                .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
            if sleep.deadline() > deadline {
                sleep.as_mut().reset(deadline);
            }
            loop {
                match sleep.as_mut().poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(()) if Instant::now() >= deadline => return Poll::Ready(None),
                    // An earlier deadline's timer: now it is worth moving.
                    Poll::Ready(()) => sleep.as_mut().reset(deadline),
                }
            }
        })
        .await
    }
}

/// The time the core is given: tokio's clock (virtual under paused test time).
fn now() -> std::time::Instant {
    Instant::now().into_std()
}
