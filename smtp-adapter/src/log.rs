//! Tracing helpers: a span per command, wire logs that never show a secret.
//!
//! Wire logs are at `trace` level under the target `smtp::wire`; what the client writes is
//! logged only through [`Transmit::redacted`], so credentials and message content never
//! reach a log. Command spans are at `debug` level, named `smtp.command`, with the
//! command's type name and, when it ends, its outcome and reply code.

use smtp_proto::client::Transmit;
use smtp_proto::command::LogicError;
use tracing::Span;
use tracing::field::Empty;

use crate::Error;

/// The short name of a command type: `Noop` for `smtp_proto::command::simple::Noop`,
/// `SendMails` for `SendMails<Once<(Envelope, MailBody)>>`.
///
/// ```
/// struct Probe;
/// assert_eq!(smtp_adapter::log::command_name::<Probe>(), "Probe");
/// assert_eq!(smtp_adapter::log::command_name::<Vec<u8>>(), "Vec");
/// ```
pub fn command_name<C: ?Sized>() -> &'static str {
    let full = std::any::type_name::<C>();
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base)
}

/// The span one command runs in: `smtp.command{command=Noop}`; its `outcome` and `code`
/// are filled by [`record_outcome`].
pub fn command_span(command: &'static str) -> Span {
    tracing::debug_span!("smtp.command", command, outcome = Empty, code = Empty)
}

/// Logs what the client writes, redacted.
pub fn log_transmit(transmit: &Transmit<'_>) {
    tracing::trace!(target: "smtp::wire", "C: {}", transmit.redacted());
}

/// Logs what the server sent (escaped, at most 512 octets shown).
pub fn log_input(bytes: &[u8]) {
    if tracing::enabled!(target: "smtp::wire", tracing::Level::TRACE) {
        let shown = bytes.get(..512).unwrap_or(bytes);
        let more = bytes.len() - shown.len();
        tracing::trace!(target: "smtp::wire", "S: {}{}", shown.escape_ascii(),
            if more > 0 { format!(" [{more} more octets]") } else { String::new() });
    }
}

/// Records a command's end in `span`: `ok` with the last reply's code
/// ([`Exchange::last_reply_code`](smtp_proto::client::Exchange::last_reply_code)),
/// `refused` with the refusal's code, or `fatal`.
pub fn record_outcome<T>(
    span: &Span,
    result: &Result<Result<T, LogicError>, Error>,
    last_code: Option<smtp_proto::response::ReplyCode>,
) {
    match result {
        Ok(Ok(_)) => {
            span.record("outcome", "ok");
            if let Some(code) = last_code {
                span.record("code", code.get());
            }
        }
        Ok(Err(refusal)) => {
            span.record("outcome", "refused");
            if let Some(reply) = refusal.response() {
                span.record("code", reply.code().get());
            }
            tracing::debug!(parent: span, "{refusal}");
        }
        Err(error) => {
            span.record("outcome", "fatal");
            if let Some(reply) = error.protocol().and_then(|p| p.response()) {
                span.record("code", reply.code().get());
            }
            tracing::debug!(parent: span, "{error}");
        }
    }
}
