//! The DATA body encoder: canonicalisation, dot-stuffing and the end-of-data marker.

use super::canon::Canonicalizer;
use super::{BodyPolicy, BodySink, DataError};

/// The end-of-data marker that follows a body ending in CRLF (RFC 5321 §4.1.1.4).
pub const END_OF_DATA: &[u8] = b".\r\n";

/// Streaming encoder of a DATA body (RFC 5321 §4.1.1.4, §4.5.2).
///
/// Feed the body in chunks split anywhere (between CR and LF too) with
/// [`encode`](Self::encode), then call [`finish`](Self::finish) once. The output is the
/// exact bytes to send after the `354` reply:
///
/// - every line ends in CRLF: a bare CR or bare LF becomes CRLF, or is an error with
///   [`BodyPolicy::strict`];
/// - a line starting with `.` gets a second `.` (RFC 5321 §4.5.2), the first line included;
/// - the end-of-data marker `.` CRLF is written exactly once, by `finish`, preceded by CRLF
///   only when the body did not already end with a line end (no empty line is added).
///
/// So no input, however split, can end the data early: a lone `.` line in the body is
/// sent as `..` (the SMTP smuggling class, CVE-2023-51764/51765/51766).
///
/// # Errors and what the output holds
///
/// NUL, a line over the limit, an 8-bit octet in a 7-bit body, and in strict mode a bare CR
/// or LF are a [`DataError`] carrying the offset of the offending octet. When `encode` or
/// `finish` returns an error, `out` has gained the encoding of every body octet before the
/// offending one and nothing more: never the terminator of the offending line (a CR whose
/// LF was awaited is not written) and never the end-of-data marker. The encoder then
/// returns the same error for all further input and from `finish`. The client must abort:
/// close the connection, since DATA has no other way to cancel a body.
///
/// ```
/// use smtp_proto::data::{BodyPolicy, DataEncoder, DataError};
///
/// let mut out = Vec::new();
/// let mut encoder = DataEncoder::new(BodyPolicy::default());
/// encoder.encode(b".hidden\n.\r", &mut out)?;
/// encoder.encode(b"\nbye", &mut out)?;
/// encoder.finish(&mut out)?;
/// assert_eq!(out, b"..hidden\r\n..\r\nbye\r\n.\r\n");
///
/// let mut out = Vec::new();
/// let mut strict = DataEncoder::new(BodyPolicy::default().strict());
/// let error = strict.encode(b"a\r\n.\n", &mut out).unwrap_err();
/// assert_eq!(error, DataError::BareLf { offset: 4 });
/// assert_eq!(out, b"a\r\n.."); // no terminator for the offending line
/// assert!(strict.finish(&mut out).is_err());
/// # Ok::<(), DataError>(())
/// ```
#[derive(Debug)]
pub struct DataEncoder {
    canon: Canonicalizer,
}

impl DataEncoder {
    /// An encoder at the start of a body, held to `policy`.
    pub fn new(policy: BodyPolicy) -> Self {
        Self {
            canon: Canonicalizer::new(policy, true),
        }
    }

    /// Encodes the next chunk of the body, appending to `out`.
    ///
    /// A CR at the end of `chunk` is held back until the next octet shows whether it is
    /// part of a CRLF. See the type's docs for what `out` holds on error.
    pub fn encode<S: BodySink + ?Sized>(
        &mut self,
        chunk: &[u8],
        out: &mut S,
    ) -> Result<(), DataError> {
        // Canonical text grows by the stuffed dots and converted line ends only.
        out.reserve(
            chunk
                .len()
                .saturating_add(chunk.len() / 32)
                .saturating_add(8),
        );
        self.canon.feed(chunk, out)
    }

    /// Ends the body: resolves a held CR, then writes the end-of-data marker.
    ///
    /// Consuming the encoder makes "exactly one marker" a compile-time fact. On error (a
    /// held CR is bare in strict mode, or an earlier error) nothing of the marker is written.
    pub fn finish<S: BodySink + ?Sized>(mut self, out: &mut S) -> Result<(), DataError> {
        self.canon.finish(out)?;
        if !self.canon.is_at_line_start() {
            out.put(b"\r\n");
        }
        out.put(END_OF_DATA);
        Ok(())
    }
}

/// Encodes a whole DATA body into `out`, end-of-data marker included.
///
/// The same as one [`DataEncoder::encode`] and [`DataEncoder::finish`]; on error `out`
/// holds what the encoder's docs say and the marker is not written.
///
/// ```
/// use smtp_proto::data::{encode_data, BodyPolicy};
///
/// let mut out = Vec::new();
/// encode_data(b"Subject: x\n\n.\n", BodyPolicy::default(), &mut out)?;
/// assert_eq!(out, b"Subject: x\r\n\r\n..\r\n.\r\n");
/// # Ok::<(), smtp_proto::data::DataError>(())
/// ```
pub fn encode_data<S: BodySink + ?Sized>(
    body: &[u8],
    policy: BodyPolicy,
    out: &mut S,
) -> Result<(), DataError> {
    let mut encoder = DataEncoder::new(policy);
    encoder.encode(body, out)?;
    encoder.finish(out)
}
