//! What a command sees while it runs: the session, its writes, and the typed effects.

use std::collections::VecDeque;
use std::time::Instant;

use crate::auth::Mechanism;
use crate::error::ProtocolError;
use crate::response::{EhloData, ReplyCode};

use super::outbox::{BodyWriter, Outbox, TransmitTag};
use super::{ReplyKind, Session};

/// The position of a reply expected to output not written yet
/// ([`Context::expect_reply_later`]): after every position there is.
pub(crate) const UNWRITTEN: u64 = u64::MAX;

/// A reply the driver waits for.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Awaited {
    pub(crate) kind: ReplyKind,
    /// The reply can only come once the outbox was handed out up to here.
    pub(crate) after: u64,
    /// Fixed when the reply becomes the next one awaited.
    pub(crate) deadline: Option<Instant>,
}

/// Requests a command made that the driver turns into outputs.
#[derive(Debug, Default)]
pub(crate) struct Requests {
    pub(crate) body: bool,
    /// The command writes more once what it wrote is (nearly) all handed out.
    pub(crate) writable: bool,
    pub(crate) upgrade: Upgrade,
    pub(crate) close: bool,
    /// A command line was refused (not written) because mail data is due: the command
    /// it names ends the exchange with [`LogicError::WrongState`].
    pub(crate) refused: Option<&'static str>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Upgrade {
    #[default]
    None,
    Requested,
    Handshaking,
}

/// The command's view of the client while it runs: read the [`Session`], write lines, ask
/// for body, apply effects.
///
/// Every line written with [`command`](Self::command) or [`secret`](Self::secret) must be
/// one CRLF-terminated line with no other CR, LF or NUL; the driver checks, so that no bug in
/// a command (built in or not) can inject a second command. Each such line expects exactly
/// one reply, strictly in order.
///
/// Effects are validated: an effect the session state does not allow (an upgrade that is not
/// a 220 to STARTTLS, EHLO data from a reply that is not to EHLO) is the fatal
/// [`ProtocolError::Misuse`], or [`ProtocolError::StartTlsInjection`] for an upgrade with
/// bytes already received.
#[derive(Debug)]
pub struct Context<'a> {
    pub(crate) session: &'a mut Session,
    pub(crate) outbox: &'a mut Outbox,
    pub(crate) awaited: &'a mut VecDeque<Awaited>,
    pub(crate) requests: &'a mut Requests,
    pub(crate) fatal: &'a mut Option<ProtocolError>,
    /// The reply being handled, if the command is in `on_reply`.
    pub(crate) current: Option<(ReplyKind, ReplyCode)>,
    /// Whether the receive buffer is empty after the current reply.
    pub(crate) input_empty: bool,
}

impl Context<'_> {
    /// The session as it stands.
    pub fn session(&self) -> &Session {
        self.session
    }

    /// Writes one command line (CRLF included) that expects one reply of `kind`.
    ///
    /// The closure gets an empty buffer of its own (what was written before is out of its
    /// reach). A closure that writes nothing (an encoder that refused its input) expects
    /// nothing.
    /// A line that is not exactly one CRLF-terminated line without NUL is removed and the
    /// connection fails with [`ProtocolError::Misuse`]. While the server reads mail data
    /// ([`Session::in_mail_data`]) a line of any kind but [`ReplyKind::DataEnd`] is removed
    /// too, and the exchange ends with
    /// [`LogicError::WrongState`](crate::command::LogicError::WrongState) for it: the
    /// server would take it as message content (RFC 5321 §4.1.1.4).
    pub fn command<R>(&mut self, kind: ReplyKind, write: impl FnOnce(&mut Vec<u8>) -> R) -> R {
        self.line(kind, TransmitTag::Command, 0, write)
    }

    /// Writes a line that carries a secret (AUTH with an initial response, a SASL response):
    /// only its first `shown` octets (`AUTH PLAIN`) ever appear in a log. Otherwise as
    /// [`command`](Self::command).
    pub fn secret<R>(
        &mut self,
        kind: ReplyKind,
        shown: usize,
        write: impl FnOnce(&mut Vec<u8>) -> R,
    ) -> R {
        self.line(kind, TransmitTag::Secret, shown, write)
    }

    fn line<R>(
        &mut self,
        kind: ReplyKind,
        tag: TransmitTag,
        shown: usize,
        write: impl FnOnce(&mut Vec<u8>) -> R,
    ) -> R {
        let (result, range) = self.outbox.write(tag, shown, write);
        if range.is_empty() {
            return result;
        }
        let from = range.start;
        if !is_one_line(self.outbox.bytes(range.clone())) {
            self.outbox.roll_back(from);
            self.fail(ProtocolError::Misuse(
                "a command line must be one CRLF-terminated line without NUL",
            ));
            return result;
        }
        if self.data_reply_due() {
            self.outbox.roll_back(from);
            self.fail(ProtocolError::Misuse(
                "a command line after DATA, before its reply: DATA ends a pipelined group \
                 (RFC 2920 §3.1), and after its 354 the line would be message content",
            ));
            return result;
        }
        if self.session.in_mail_data && kind != ReplyKind::DataEnd {
            // The server would take the line as message content (RFC 5321 §4.1.1.4).
            let command = verb(self.outbox.bytes(range));
            self.outbox.roll_back(from);
            self.requests.refused.get_or_insert(command);
            return result;
        }
        self.expect_reply(kind);
        result
    }

    /// Writes message content (a DATA body, BDAT chunks with their lines) through a
    /// [`BodySink`](crate::data::BodySink): no reply is expected for it, and logs show only
    /// its size, except for the lines written with
    /// [`put_command`](crate::data::BodySink::put_command) (the `BDAT` lines the
    /// [`BdatEncoder`](crate::data::BdatEncoder) writes), which they show as commands.
    ///
    /// Message content written while DATA's reply is due is removed and the connection
    /// fails with [`ProtocolError::Misuse`]: should DATA be refused, the server would read
    /// it as commands (RFC 2920 §3.1).
    pub fn body<R>(&mut self, write: impl FnOnce(&mut BodyWriter<'_>) -> R) -> R {
        let from = self.outbox.buffered();
        let result = self.outbox.write_body(write);
        if self.data_reply_due() && self.outbox.buffered() > from {
            self.outbox.roll_back(from);
            self.fail(ProtocolError::Misuse(
                "message content before DATA's reply: a refused DATA would leave it to be \
                 read as commands (RFC 2920 §3.1)",
            ));
        }
        result
    }

    /// Whether the last reply awaited is DATA's: nothing may follow DATA in its group.
    fn data_reply_due(&self) -> bool {
        self.awaited
            .back()
            .is_some_and(|last| last.kind == ReplyKind::Data)
    }

    /// Expects one more reply of `kind` after what was written so far: the greeting, a
    /// reply to a BDAT chunk written with [`body`](Self::body), LMTP's per-recipient replies
    /// to the end of data. Expecting [`ReplyKind::DataEnd`] says the end of data was
    /// written: the session is no longer [in mail data](Session::in_mail_data).
    pub fn expect_reply(&mut self, kind: ReplyKind) {
        if self.awaits_unwritten() {
            self.fail(ProtocolError::Misuse(
                "a reply expected after one to output not written yet",
            ));
            return;
        }
        self.data_end(kind);
        self.awaited.push_back(Awaited {
            kind,
            after: self.outbox.written(),
            deadline: None,
        });
    }

    /// Expects one more reply of `kind` that can come once the output up to `at` was handed
    /// out: for a reply to something written earlier in the same write, the replies to the
    /// BDAT chunks of one [`body`](Self::body) write, each due once its own chunk has left
    /// (with a group limit the first chunk may leave, and be answered, before the rest).
    /// `at` comes from [`position`](Self::position) or [`BodyWriter::position`] and must
    /// not stand before the point of the reply awaited before it (replies come in order)
    /// nor after what was written; otherwise the connection fails with
    /// [`ProtocolError::Misuse`].
    ///
    /// [`BodyWriter::position`]: super::BodyWriter::position
    pub fn expect_reply_at(&mut self, kind: ReplyKind, at: super::Position) {
        let earliest = self.awaited.back().map_or(0, |last| last.after);
        if at.0 < earliest || at.0 > self.outbox.written() {
            self.fail(ProtocolError::Misuse(
                "a reply expected before the one awaited before it, or after what was written",
            ));
            return;
        }
        self.data_end(kind);
        self.awaited.push_back(Awaited {
            kind,
            after: at.0,
            deadline: None,
        });
    }

    /// Expects one more reply of `kind` to output not all written yet: the verdict on a body
    /// the command writes a block at a time ([`request_writable`](Self::request_writable)).
    /// It is due once [`end_output`](Self::end_output) marks where that output ends. Until
    /// then it can only come after a failed write (the server answered, then the connection
    /// broke), and then only as a refusal; a reply before that, the connection intact, is
    /// the fatal [`ProtocolError::UnexpectedReply`], as for any reply not yet due. Nothing
    /// else may be expected before `end_output`.
    ///
    /// Expected this way rather than at the end, a refusal sent in the middle of a large
    /// body, before the server closed or stopped reading, is the mail's verdict instead of
    /// lost behind the write's error.
    pub fn expect_reply_later(&mut self, kind: ReplyKind) {
        self.awaited.push_back(Awaited {
            kind,
            after: UNWRITTEN,
            deadline: None,
        });
    }

    /// The output that the replies expected with
    /// [`expect_reply_later`](Self::expect_reply_later) answer ends here: they are due once
    /// it has left. For [`ReplyKind::DataEnd`] this says the end of data was written, as
    /// [`expect_reply`](Self::expect_reply) does.
    pub fn end_output(&mut self) {
        let at = self.outbox.written();
        let mut data_end = false;
        for awaited in self.awaited.iter_mut().filter(|a| a.after == UNWRITTEN) {
            awaited.after = at;
            data_end |= awaited.kind == ReplyKind::DataEnd;
        }
        if data_end {
            self.data_end(ReplyKind::DataEnd);
        }
    }

    /// Whether a reply to output not written yet is awaited.
    fn awaits_unwritten(&self) -> bool {
        self.awaited
            .back()
            .is_some_and(|last| last.after == UNWRITTEN)
    }

    /// A reply to the end of data is expected: the end of data was written, the server
    /// reads commands again.
    fn data_end(&mut self, kind: ReplyKind) {
        if kind == ReplyKind::DataEnd {
            self.session.in_mail_data = false;
        }
    }

    /// Where the next octet written will stand in the connection's output: record it
    /// after writing something whose arrival matters (the end of data), and compare it
    /// with the position [`Cmd::on_failure`](crate::command::Cmd::on_failure) reports.
    pub fn position(&self) -> super::Position {
        super::Position(self.outbox.written())
    }

    /// How many replies are still awaited (the current one not included).
    pub fn replies_awaited(&self) -> usize {
        self.awaited.len()
    }

    /// Asks the caller for the next piece of the body ([`crate::command::Cmd::on_body`]).
    /// A command that finishes withdraws its request: the caller is asked for no more of
    /// the body (a refusal read before the body's end spares the rest).
    pub fn request_body(&mut self) {
        self.requests.body = true;
    }

    /// Asks to write more once less than a data block of what was written is still unsent
    /// ([`Cmd::on_writable`](crate::command::Cmd::on_writable), called from the next
    /// [`poll_output`](super::Exchange::poll_output)): a command with a large output in
    /// memory (a whole body) writes it a block at a time, so that the client never holds a
    /// copy of all of it. Asked for again from `on_writable`, something must have been
    /// written there, else the connection fails with [`ProtocolError::Misuse`]. Withdrawn
    /// like a body request when the command finishes.
    pub fn request_writable(&mut self) {
        self.requests.writable = true;
    }

    /// Withdraws a body or write request: the command that made it finished (inside a
    /// composite).
    pub(crate) fn withdraw_body_request(&mut self) {
        self.requests.body = false;
        self.requests.writable = false;
    }

    /// Effect: the session's EHLO (or LHLO) data; only from a positive reply to a
    /// [`ReplyKind::Hello`] line.
    pub fn store_ehlo(&mut self, ehlo: EhloData) {
        if self.replying_to(ReplyKind::Hello, 2) {
            self.session.ehlo = Some(ehlo);
            self.session.helo_only = false;
        } else {
            self.fail(ProtocolError::Misuse(
                "EHLO data stored outside a reply to EHLO",
            ));
        }
    }

    /// Effect: the session was opened with HELO (no extensions); only from a positive reply
    /// to a [`ReplyKind::Hello`] line.
    pub fn store_helo(&mut self) {
        if self.replying_to(ReplyKind::Hello, 2) {
            self.session.ehlo = None;
            self.session.helo_only = true;
        } else {
            self.fail(ProtocolError::Misuse("HELO stored outside a reply to HELO"));
        }
    }

    /// Effect: switch to TLS now (RFC 3207). Only in the 220 reply to a
    /// [`ReplyKind::StartTls`] line, with nothing else awaited or unsent; bytes already
    /// received are the fatal [`ProtocolError::StartTlsInjection`]. Lines written after this
    /// call leave over TLS.
    ///
    /// The session forgets its EHLO (or HELO) data, authentication and transaction, and
    /// counts as TLS ([`Session::is_tls`]), at once, not after the handshake (RFC 3207
    /// §4.2): a command a composite starts after this one (`StartTls.then(..)`, a
    /// [`Chain`](crate::command::Chain)) is checked and started before the handshake, and
    /// must see the session it will run in, in which only a new EHLO can come first and
    /// another STARTTLS is out of place. Nothing it writes leaves before the handshake
    /// succeeded; if it fails, the connection is over.
    pub fn upgrade_tls(&mut self) {
        let is_220 = matches!(self.current, Some((ReplyKind::StartTls, code)) if code.get() == 220);
        if !is_220 || !self.awaited.is_empty() || self.outbox.has_unsent() || self.session.tls {
            self.fail(ProtocolError::Misuse(
                "TLS upgrade outside a 220 reply to STARTTLS",
            ));
        } else if !self.input_empty {
            self.fail(ProtocolError::StartTlsInjection);
        } else {
            self.requests.upgrade = Upgrade::Requested;
            self.session.tls = true;
            self.session.ehlo = None;
            self.session.helo_only = false;
            self.session.authenticated = None;
            self.session.in_transaction = false;
            self.session.in_mail_data = false;
        }
    }

    /// Effect: the session authenticated with `mechanism`; only in a 235 reply to a
    /// [`ReplyKind::Auth`] line.
    pub fn authenticated(&mut self, mechanism: Mechanism) {
        if matches!(self.current, Some((ReplyKind::Auth, code)) if code.get() == 235) {
            self.session.authenticated = Some(mechanism);
        } else {
            self.fail(ProtocolError::Misuse(
                "authenticated outside a 235 reply to AUTH",
            ));
        }
    }

    /// Effect: the mail transaction is over (RSET, a refused MAIL, a finished message: in
    /// LMTP, the end of data written after a 354 with no recipient accepted, which no
    /// reply answers).
    pub fn reset_transaction(&mut self) {
        self.session.in_transaction = false;
        self.session.in_mail_data = false;
    }

    /// Effect: the session starts over (XCLIENT's 220, RFC 5321 §4.1.4 after a new
    /// greeting): EHLO data, HELO, authentication and transaction are forgotten, so EHLO
    /// must be sent again.
    pub fn reset_session(&mut self) {
        self.session.ehlo = None;
        self.session.helo_only = false;
        self.session.authenticated = None;
        self.session.in_transaction = false;
        self.session.in_mail_data = false;
    }

    /// Effect: the session ends with this command (QUIT, or QUIT after a refused
    /// greeting). Once what was written is handed out, the exchange finishes without waiting
    /// for outstanding replies, and the client takes no further command.
    pub fn close(&mut self) {
        self.requests.close = true;
    }

    /// Whether a command of this exchange called [`close`](Self::close): composites stop
    /// there, since nothing may follow QUIT.
    pub fn is_closing(&self) -> bool {
        self.requests.close
    }

    fn replying_to(&self, kind: ReplyKind, class: u16) -> bool {
        matches!(self.current, Some((k, code)) if k == kind && code.get() / 100 == class)
    }

    fn fail(&mut self, error: ProtocolError) {
        if self.fatal.is_none() {
            *self.fatal = Some(error);
        }
    }
}

/// The command a line starts with, for the refusal of a line written while mail data is
/// due; `command` for one that is not an RFC 5321 or extension verb this crate writes.
fn verb(line: &[u8]) -> &'static str {
    const VERBS: [&str; 17] = [
        "EHLO", "HELO", "LHLO", "STARTTLS", "AUTH", "MAIL", "RCPT", "DATA", "BDAT", "RSET", "NOOP",
        "VRFY", "EXPN", "HELP", "QUIT", "XCLIENT", "XFORWARD",
    ];
    let word = line
        .split(|&b| b == b' ' || b == b'\r')
        .next()
        .unwrap_or_default();
    VERBS
        .into_iter()
        .find(|verb| verb.as_bytes().eq_ignore_ascii_case(word))
        .unwrap_or("command")
}

/// Exactly one line: ends with CRLF, no other CR or LF, no NUL.
fn is_one_line(bytes: &[u8]) -> bool {
    match bytes.strip_suffix(b"\r\n") {
        Some(body) => memchr::memchr3(b'\r', b'\n', 0, body).is_none(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_means_one_final_crlf_and_no_nul() {
        assert!(is_one_line(b"MAIL FROM:<a@example.org>\r\n"));
        assert!(is_one_line(b"\r\n"));
        assert!(!is_one_line(b"NOOP"));
        assert!(!is_one_line(b"NOOP\n"));
        for bad in [
            &b"NO\rOP\r\n"[..],
            b"NO\nOP\r\n",
            b"NO\0OP\r\n",
            b"NOOP\r\n\r\n",
        ] {
            assert!(!is_one_line(bad), "{}", bad.escape_ascii());
        }
        let long = [&[b'x'; 100][..], b"\r\n"].concat();
        assert!(is_one_line(&long));
        let mut injected = long.clone();
        injected[70] = b'\n';
        assert!(!is_one_line(&injected));
    }
}
