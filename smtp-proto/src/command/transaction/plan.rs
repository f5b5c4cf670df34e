//! Deciding a mail's parameters from envelope, body and EHLO data, before a byte is sent.

use std::num::NonZeroUsize;

use crate::client::{Protocol, Session};
use crate::command::LogicError;
use crate::data::{BdatMode, BodySummary};
use crate::response::Capability;
use crate::syntax::AddressEncoding;
use crate::syntax::esmtp::Body;

use super::job::Job;
use super::{Envelope, MailBody, MailReport, TransactionOptions};

/// How one mail is sent, decided once before its first MAIL.
#[derive(Debug)]
pub(crate) struct Plan {
    pub(crate) encoding: AddressEncoding,
    pub(crate) pipelined: bool,
    /// `Some` when the body goes by BDAT.
    pub(crate) bdat: Option<BdatMode>,
    pub(crate) chunk_size: NonZeroUsize,
    pub(crate) lmtp: bool,
    /// The most recipients per transaction (LIMITS RCPTMAX, RFC 9422).
    pub(crate) rcpt_max: usize,
    /// Whether the body can be sent more than once (not streamed).
    pub(crate) repeatable: bool,
    /// For a streamed body: whether 8-bit octets were declared.
    pub(crate) eight_bit: bool,
    /// For a whole text body: its summary, which spares the DATA encoding a body already
    /// in DATA form.
    pub(crate) summary: Option<BodySummary>,
}

/// Checks everything that can be checked before MAIL and completes the envelope's MAIL
/// parameters. `scratch` receives the MAIL line and every RCPT line, in envelope order, as
/// checked.
///
/// `previous` is the mail planned just before, whose lines `scratch` still holds: what this
/// mail shares with it is not computed again (the summary of a body with the very same
/// octets; the lines of an equal envelope, a bulk send's common case).
pub(crate) fn plan(
    envelope: Envelope,
    body: &MailBody,
    previous: Option<&Job>,
    session: &Session,
    options: &TransactionOptions,
    scratch: &mut Vec<u8>,
) -> Result<(Plan, MailReport), LogicError> {
    if !session.has_hello() {
        return Err(LogicError::WrongState {
            command: "MAIL",
            reason: "no EHLO, HELO or LHLO was accepted in this session",
        });
    }
    let mut envelope = envelope;
    let ehlo = session.ehlo();
    let offered = |keyword: &str| ehlo.is_some_and(|e| e.offers(keyword));
    let chunking = session.supports(Capability::Chunking);
    let unsupported = |capability| LogicError::Unsupported {
        command: "MAIL",
        capability,
    };

    let params = envelope.mail.params_mut();
    let mut bdat = None;
    let size;
    let mut eight_bit = false;
    let mut summarized = None;
    match body {
        MailBody::Bytes(bytes) => {
            let known = previous.and_then(|job| job.summary_if_same(body));
            let summary = known.unwrap_or_else(|| BodySummary::of(bytes, options.body_policy));
            if let Some(violation) = summary.violation() {
                return Err(LogicError::Body(violation));
            }
            if summary.has_8bit() {
                params.body = Some(Body::EightBitMime);
            } else if params.body == Some(Body::BinaryMime) {
                params.body = None;
            }
            if options.prefer_bdat && chunking {
                bdat = Some(BdatMode::Text(options.body_policy));
                size = Some(summary.bdat_size());
            } else {
                size = Some(summary.size());
            }
            summarized = Some(summary);
        }
        MailBody::Binary(bytes) => {
            params.body = Some(Body::BinaryMime);
            bdat = Some(BdatMode::Binary);
            size = u64::try_from(bytes.len()).ok();
        }
        MailBody::Streamed(declared) => {
            eight_bit = declared.eight_bit;
            if declared.eight_bit {
                params.body = Some(Body::EightBitMime);
            } else if params.body == Some(Body::BinaryMime) {
                params.body = None;
            }
            if options.prefer_bdat && chunking {
                bdat = Some(BdatMode::Text(options.body_policy));
            }
            size = declared.size_hint;
        }
    }

    params.size = None;
    if offered("SIZE") {
        if let (Some(size), Some(limit)) = (size, ehlo.and_then(|e| e.size_limit())) {
            if size > limit {
                return Err(LogicError::MessageTooLarge { size, limit });
            }
        }
        params.size = size;
    }

    // The MAIL parameters too: an `AUTH=` mailbox with a non-ASCII local part needs
    // SMTPUTF8 as the reverse path would (RFC 4954 §5, RFC 6531 §3.3).
    let needs_utf8 = envelope.mail.reverse_path().needs_smtputf8()
        || envelope.mail.params().needs_smtputf8()
        || envelope
            .recipients
            .iter()
            .any(|r| r.forward_path().needs_smtputf8());
    let declared_utf8 = matches!(body, MailBody::Streamed(declared) if declared.smtputf8);
    let params = envelope.mail.params_mut();
    if needs_utf8 || declared_utf8 {
        params.smtputf8 = true;
    }
    if let Some(missing) = params.first_missing_extension(offered) {
        return Err(unsupported(missing));
    }
    if params.require_tls && !session.is_tls() {
        return Err(requiretls_in_clear());
    }
    for rcpt in envelope.recipients.iter() {
        if let Some(missing) = rcpt.params().first_missing_extension(offered) {
            return Err(LogicError::Unsupported {
                command: "RCPT",
                capability: missing,
            });
        }
    }
    let encoding = if params.smtputf8 {
        AddressEncoding::Utf8
    } else {
        AddressEncoding::Ascii
    };

    // The lines are checked by encoding them; the first transaction then sends these very
    // lines (`Job::begin`). Equal commands encode to equal lines: those of an envelope equal
    // to the previous mail's (as that one was completed) are already there. (The encoding
    // follows from MAIL's SMTPUTF8 parameter, so equal MAIL commands share it too.)
    let same = previous.is_some_and(|job| {
        let sent = &job.report.envelope;
        sent.mail == envelope.mail && sent.recipients == envelope.recipients
    });
    if !same {
        scratch.clear();
        envelope.mail.encode(scratch, encoding)?;
        for rcpt in envelope.recipients.iter() {
            rcpt.encode(scratch, encoding)?;
        }
    }

    let rcpt_max = ehlo
        .and_then(|e| e.limits())
        .and_then(|l| l.rcpt_max)
        .and_then(|n| usize::try_from(n).ok())
        .filter(|&n| n > 0)
        .unwrap_or(usize::MAX);
    let repeatable = !matches!(body, MailBody::Streamed(_));
    if !repeatable && envelope.recipients.len() > rcpt_max {
        return Err(LogicError::WrongState {
            command: "RCPT",
            reason: "more recipients than the server's RCPTMAX, and a streamed body cannot be sent twice",
        });
    }
    let pipelined = options.pipelining && session.supports(Capability::Pipelining);
    let mut chunk_size = options.bdat_chunk_size;
    if !pipelined && bdat.is_some() {
        // Without PIPELINING each BDAT must wait for the reply to the one before (RFC 3030
        // §2, RFC 2920): a whole body goes as one chunk, a streamed one by DATA.
        match size.and_then(|s| usize::try_from(s).ok()) {
            Some(size) if repeatable => {
                chunk_size = NonZeroUsize::new(size).unwrap_or(NonZeroUsize::MIN);
            }
            _ => bdat = None,
        }
    }
    let plan = Plan {
        encoding,
        pipelined,
        bdat,
        chunk_size,
        lmtp: session.protocol() == Protocol::Lmtp,
        rcpt_max,
        repeatable,
        eight_bit,
        summary: summarized,
    };
    Ok((plan, MailReport::new(envelope)))
}

/// REQUIRETLS over a session without TLS (a server that offers it there breaks RFC 8689
/// §3): the message that asks to travel only over TLS would leave in clear.
pub(crate) fn requiretls_in_clear() -> LogicError {
    LogicError::WrongState {
        command: "MAIL",
        reason: "REQUIRETLS needs a TLS session (RFC 8689): the message would go in clear",
    }
}
