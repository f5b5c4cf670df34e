//! MAIL (RFC 5321 §4.1.1.2) and RCPT (RFC 5321 §4.1.1.3) with their ESMTP parameters.

use super::error::CommandError;
use super::line::check_line;
use crate::syntax::esmtp::{MailParameters, RcptParameters};
use crate::syntax::{AddressEncoding, ForwardPath, ReversePath};

/// `MAIL FROM:<reverse-path>[ params]`: start a mail transaction (RFC 5321 §4.1.1.2).
///
/// [`AddressEncoding::Utf8`] means SMTPUTF8 is in use for this transaction; the
/// [`MailParameters::smtputf8`] flag then must be set if anything non-ASCII is written
/// (RFC 6531 §3.4), or if an `AUTH=` mailbox has a non-ASCII local part (written as
/// xtext, but an addr-spec only SMTPUTF8 allows, RFC 4954 §5). [`Mail::check`] says,
/// before a byte is written, whether the line is within 512 octets plus the allowances of
/// its parameters and is consistent with the encoding; [`Mail::encode`] checks the same
/// and writes exactly that line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mail {
    reverse_path: ReversePath,
    params: MailParameters,
}

impl Mail {
    /// The command; see [`Mail::check`] for what can still be refused.
    pub fn new(reverse_path: ReversePath, params: MailParameters) -> Self {
        Mail {
            reverse_path,
            params,
        }
    }

    /// The reverse path.
    pub fn reverse_path(&self) -> &ReversePath {
        &self.reverse_path
    }

    /// The parameters.
    pub fn params(&self) -> &MailParameters {
        &self.params
    }

    /// The parameters, for the transaction's own `SIZE`, `BODY` and `SMTPUTF8`.
    pub(crate) fn params_mut(&mut self) -> &mut MailParameters {
        &mut self.params
    }

    /// The EHLO keywords the parameters need, without repeats.
    pub fn required_extensions(&self) -> Vec<&'static str> {
        self.params.required_extensions()
    }

    /// Whether the command can be written under `enc`: [`CommandError::SmtpUtf8Required`],
    /// [`CommandError::SmtpUtf8ParameterMissing`] or [`CommandError::LineTooLong`].
    pub fn check(&self, enc: AddressEncoding) -> Result<(), CommandError> {
        self.encode(&mut Vec::with_capacity(self.encoded_len(enc)), enc)
    }

    /// Checks the line as [`Mail::check`] does, then appends it; on error nothing is
    /// written. This is the only way to write the command, so that no line reaches the wire
    /// unchecked.
    pub fn encode(&self, out: &mut Vec<u8>, enc: AddressEncoding) -> Result<(), CommandError> {
        let line = Line {
            needs_smtputf8: self.reverse_path.needs_smtputf8() || self.params.needs_smtputf8(),
            smtputf8_param: Some(self.params.smtputf8),
            allowance: self.params.line_allowance(enc),
        };
        line.write_checked(out, enc, |out| {
            out.extend_from_slice(b"MAIL FROM:");
            self.reverse_path.write_to(out, enc);
            self.params.write_to(out, enc);
        })
    }

    /// The length of the line, CRLF included.
    pub fn encoded_len(&self, enc: AddressEncoding) -> usize {
        b"MAIL FROM:\r\n".len() + self.reverse_path.encoded_len(enc) + self.params.encoded_len(enc)
    }
}

/// `RCPT TO:<forward-path>[ params]`: add a recipient (RFC 5321 §4.1.1.3).
///
/// A non-ASCII mailbox needs [`AddressEncoding::Utf8`], i.e. a transaction started with
/// SMTPUTF8 (RFC 6531 §3.4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rcpt {
    forward_path: ForwardPath,
    params: RcptParameters,
}

impl Rcpt {
    /// The command; see [`Rcpt::check`] for what can still be refused.
    pub fn new(forward_path: ForwardPath, params: RcptParameters) -> Self {
        Rcpt {
            forward_path,
            params,
        }
    }

    /// The forward path.
    pub fn forward_path(&self) -> &ForwardPath {
        &self.forward_path
    }

    /// The parameters.
    pub fn params(&self) -> &RcptParameters {
        &self.params
    }

    /// The EHLO keywords the parameters need, without repeats.
    pub fn required_extensions(&self) -> Vec<&'static str> {
        self.params.required_extensions()
    }

    /// Whether the command can be written under `enc`: [`CommandError::SmtpUtf8Required`]
    /// or [`CommandError::LineTooLong`].
    pub fn check(&self, enc: AddressEncoding) -> Result<(), CommandError> {
        self.encode(&mut Vec::with_capacity(self.encoded_len(enc)), enc)
    }

    /// Checks the line as [`Rcpt::check`] does, then appends it; on error nothing is
    /// written. This is the only way to write the command, so that no line reaches the wire
    /// unchecked.
    pub fn encode(&self, out: &mut Vec<u8>, enc: AddressEncoding) -> Result<(), CommandError> {
        let line = Line {
            needs_smtputf8: self.forward_path.needs_smtputf8() || self.params.needs_smtputf8(),
            // RCPT has no SMTPUTF8 parameter: the one on MAIL covers the transaction.
            smtputf8_param: None,
            allowance: self.params.line_allowance(enc),
        };
        line.write_checked(out, enc, |out| {
            out.extend_from_slice(b"RCPT TO:");
            self.forward_path.write_to(out, enc);
            self.params.write_to(out, enc);
        })
    }

    /// The length of the line, CRLF included.
    pub fn encoded_len(&self, enc: AddressEncoding) -> usize {
        b"RCPT TO:\r\n".len() + self.forward_path.encoded_len(enc) + self.params.encoded_len(enc)
    }
}

/// What MAIL and RCPT share: the SMTPUTF8 rules and the length and control checks of one
/// line written straight into the caller's buffer (no temporary line), rolled back on error.
struct Line {
    needs_smtputf8: bool,
    /// `Some(set)` for MAIL, whose SMTPUTF8 parameter must announce non-ASCII content.
    smtputf8_param: Option<bool>,
    allowance: usize,
}

impl Line {
    fn write_checked(
        &self,
        out: &mut Vec<u8>,
        enc: AddressEncoding,
        write: impl FnOnce(&mut Vec<u8>),
    ) -> Result<(), CommandError> {
        if self.needs_smtputf8 {
            if enc == AddressEncoding::Ascii {
                return Err(CommandError::SmtpUtf8Required);
            }
            // An `AUTH=` mailbox with a non-ASCII local part is written as xtext, so the
            // line scan below would not see what needs SMTPUTF8.
            if self.smtputf8_param == Some(false) {
                return Err(CommandError::SmtpUtf8ParameterMissing);
            }
        }
        let start = out.len();
        write(out);
        out.extend_from_slice(b"\r\n");
        let result = self.check(out.get(start..).unwrap_or_default(), enc);
        if result.is_err() {
            out.truncate(start);
        }
        result
    }

    fn check(&self, line: &[u8], enc: AddressEncoding) -> Result<(), CommandError> {
        // Values built with `from_unchecked` may carry UTF-8 that no flag announced.
        if !line.is_ascii() {
            if enc == AddressEncoding::Ascii {
                return Err(CommandError::SmtpUtf8Required);
            }
            if self.smtputf8_param == Some(false) {
                return Err(CommandError::SmtpUtf8ParameterMissing);
            }
        }
        check_line(line, self.allowance)
    }
}
