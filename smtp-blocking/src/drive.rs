//! The one loop: a `match` on the core's output, with socket timeouts doing the waiting.

use std::io::{self, Read, Write};
use std::task::Poll;
use std::time::{Duration, Instant};

use smtp_adapter::{Error, Phase, TlsInfo, WRITE_FAILURE_LINGER, log};
use smtp_proto::client::{Client, Exchange, Output};
use smtp_proto::command::{Cmd, LogicError};
use smtp_proto::error::ProtocolError;

use crate::stream::{Stream, Upgrader, is_timeout};

/// Octets read from the connection at once.
const READ_BUFFER: usize = 8 * 1024;
/// Octets of a streamed body read at once: the body's whole memory cost.
pub(crate) const BODY_BUFFER: usize = 16 * 1024;

/// The connection's IO half: the stream, the read buffer, the TLS step, the clock.
pub(crate) struct Io {
    /// `None` once a handshake consumed it and failed.
    pub(crate) stream: Option<Stream>,
    buf: Box<[u8]>,
    pub(crate) upgrader: Upgrader,
    pub(crate) tls: Option<TlsInfo>,
    /// Octets written so far (QUIT ignores errors once its line left).
    pub(crate) written: u64,
    clock: Clock,
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
            clock: Clock::of(&upgrader),
            upgrader,
            tls,
            written: 0,
        }
    }

    /// Runs `exchange` until it is done, or until `pause` holds when it needs input.
    ///
    /// Every error is fatal: the exchange is left unfinished, so the core refuses the
    /// client from then on.
    pub(crate) fn drive<C: Cmd, R: Read>(
        &mut self,
        exchange: &mut Exchange<'_, C>,
        body: &mut R,
        mut pause: impl FnMut(&mut C) -> bool,
    ) -> Result<Driven<C::Output>, Error> {
        let mut chunk: Vec<u8> = Vec::new();
        loop {
            let output = match exchange.poll_output(self.now()) {
                Ok(output) => output,
                Err(error) => {
                    // A failed body, or any fatal error while the server still reads the
                    // message: what followed on this stream would be message content.
                    if matches!(error, ProtocolError::BodyAborted(_))
                        || exchange.may_be_in_mail_data()
                    {
                        self.abandon_message();
                    }
                    return Err(error.into());
                }
            };
            match output {
                Output::Transmit(transmit) => {
                    log::log_transmit(&transmit);
                    let deadline = transmit.write_deadline();
                    // The whole transmit before anything is read: a pipelined group leaves
                    // together (the core keeps it under `max_group`, so replies never back
                    // up). Counted, so that a failure tells how much may have left.
                    let len = transmit.bytes().len() as u64;
                    let mut accepted = 0;
                    match self.write_all(transmit.bytes(), deadline, &mut accepted) {
                        Err(error) if is_timeout(&error) => {
                            // What the stream accepted may have left; the rest did not, and
                            // the stream may end in half a line: nothing more goes on it. A
                            // reply that came before the server stopped reading (a 552) is
                            // read still, and tells more than the timeout.
                            let timeout = Error::Timeout {
                                phase: Phase::Write,
                            };
                            return self.write_stopped(exchange, timeout, accepted);
                        }
                        Err(error) => {
                            return self.write_stopped(exchange, Error::Io(error), accepted);
                        }
                        Ok(()) => self.written += len,
                    }
                }
                Output::NeedInput { deadline } => {
                    if pause(exchange.command_mut()) {
                        return Ok(Driven::Paused);
                    }
                    let wait = deadline.saturating_duration_since(self.now());
                    let read = if wait.is_zero() {
                        // The deadline passed while nobody read (the caller paused between
                        // results): what came meanwhile is read; only nothing is a timeout.
                        self.read_late()
                    } else {
                        let stream = self.stream.as_mut().ok_or(ProtocolError::Unusable)?;
                        stream.read_within(&mut self.buf, wait)
                    };
                    match read {
                        Err(error) if is_timeout(&error) => exchange.handle_timeout(self.now()),
                        Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                        Ok(0) => exchange.handle_eof(),
                        Ok(n) => {
                            let bytes = self.buf.get(..n).unwrap_or_default();
                            log::log_input(bytes);
                            exchange.handle_input(bytes);
                        }
                        Err(error) => return Err(Error::Io(error)),
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
                    let (stream, info) = self.upgrader.handshake(stream)?;
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
                    let read = match read_body(body, &mut chunk) {
                        Ok(read) => read,
                        Err(error) => {
                            self.abandon_message();
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

    /// Writes `bytes` whole before `deadline`: each socket wait gets the time left, so a
    /// server reading a byte at a time cannot stretch it.
    fn write_all(
        &mut self,
        mut bytes: &[u8],
        deadline: Instant,
        accepted: &mut usize,
    ) -> io::Result<()> {
        let stream = self
            .stream
            .as_mut()
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotConnected))?;
        if stream.is_tls() {
            return stream.write_all_tls(bytes, deadline, accepted);
        }
        let limit = stream.write_limit();
        while !bytes.is_empty() {
            let left = deadline.saturating_duration_since(self.clock.now());
            if left.is_zero() {
                return Err(io::ErrorKind::TimedOut.into());
            }
            stream.set_write_timeout(left)?;
            match stream.write(bytes.get(..limit).unwrap_or(bytes)) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    *accepted += n;
                    bytes = bytes.get(n..).unwrap_or_default();
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
        stream.flush()
    }

    /// A write failed or timed out (`cause`) after the stream accepted `accepted` octets of
    /// the transmit: the core learns how much may have left, then what the server sent
    /// before it closed or stopped reading is read, for a short while (a refusal followed by
    /// a close or a stall is a refusal, not an IO error or a timeout; over TLS the records
    /// may still be on their way).
    fn write_stopped<C: Cmd>(
        &mut self,
        exchange: &mut Exchange<'_, C>,
        cause: Error,
        accepted: usize,
    ) -> Result<Driven<C::Output>, Error> {
        exchange.handle_write_error(accepted);
        let until = self.now() + WRITE_FAILURE_LINGER;
        loop {
            let wait = until.saturating_duration_since(self.now());
            let Some(stream) = self.stream.as_mut() else {
                break;
            };
            match stream.read_received(&mut self.buf, wait) {
                Ok(n) if n > 0 => {
                    let bytes = self.buf.get(..n).unwrap_or_default();
                    log::log_input(bytes);
                    exchange.handle_input(bytes);
                    if wait.is_zero() {
                        break;
                    }
                }
                _ => break,
            }
        }
        exchange.handle_eof();
        self.stream = None;
        match exchange.poll_output(self.now()) {
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

    /// A read after the deadline passed: what came meanwhile, without waiting (`TimedOut`
    /// when nothing did). A transport that cannot read without waiting gets one read under
    /// the timeouts its owner set, as before the deadline.
    fn read_late(&mut self) -> io::Result<usize> {
        let stream = self
            .stream
            .as_mut()
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotConnected))?;
        match stream.read_ready(&mut self.buf) {
            Err(error) if error.kind() == io::ErrorKind::Unsupported => stream.read(&mut self.buf),
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                Err(io::ErrorKind::TimedOut.into())
            }
            other => other,
        }
    }

    /// One read attempt that never waits (a transport that cannot read without waiting
    /// is never tried: nothing is readable as far as this knows).
    fn try_read(&mut self) -> Poll<io::Result<usize>> {
        let Some(stream) = self.stream.as_mut() else {
            return Poll::Ready(Ok(0));
        };
        match stream.read_ready(&mut self.buf) {
            Err(error) if error.kind() == io::ErrorKind::Unsupported => Poll::Pending,
            Err(error) if is_timeout(&error) => Poll::Pending,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => Poll::Pending,
            other => Poll::Ready(other),
        }
    }

    /// Ends the connection now, after its message's body failed part way (invalid, or its
    /// source broke): the server may be reading the body, and anything written later (through
    /// `into_inner`) would be taken for more of it. The server sees the connection end
    /// instead of the end of data, and delivers nothing (SECURITY.md, body smuggling).
    fn abandon_message(&mut self) {
        self.shutdown();
        self.stream = None;
    }

    /// Closes the stream's write side, briefly: the peer may be gone already.
    pub(crate) fn shutdown(&mut self) {
        if let Some(stream) = self.stream.as_mut() {
            let _ = stream.set_write_timeout(Duration::from_secs(5));
            let _ = stream.shutdown();
        }
    }

    /// The time the core is given: the system clock, or the mock's virtual one.
    fn now(&self) -> Instant {
        self.clock.now()
    }
}

/// One read of the body source (an interrupted read is tried again).
fn read_body<R: Read>(body: &mut R, chunk: &mut [u8]) -> io::Result<usize> {
    loop {
        match body.read(chunk) {
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

/// Where the core's `now` comes from.
enum Clock {
    System,
    /// The mock's virtual time: waits in the script pass at once.
    #[cfg(feature = "mock")]
    Mock(crate::mock::MockHandle),
}

impl Clock {
    fn of(upgrader: &Upgrader) -> Self {
        match upgrader {
            #[cfg(feature = "mock")]
            Upgrader::Mock(handle) => Clock::Mock(handle.clone()),
            _ => Clock::System,
        }
    }

    fn now(&self) -> Instant {
        match self {
            Clock::System => Instant::now(),
            #[cfg(feature = "mock")]
            Clock::Mock(handle) => handle.now(),
        }
    }
}
