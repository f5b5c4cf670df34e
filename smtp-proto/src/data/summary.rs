//! What a client must know about a whole body before it sends MAIL.

use super::canon::Canonicalizer;
use super::sink::Counter;
use super::{BodyPolicy, DataError};

/// The facts about a whole body that MAIL FROM needs: `SIZE=`, `BODY=`, and whether the
/// body can be sent at all.
///
/// Computed by the encoders' own canonicaliser writing into a counter, so
/// [`violation`](Self::violation) is exactly the error the encoders would return: one pass
/// over the body in cache-sized blocks, each scanned with `memchr` (NUL, then one match per
/// line end) and a vectorised CR count, plus one ASCII check of the whole body. The
/// `data/summary` benchmark measures it.
///
/// ```
/// use smtp_proto::data::{BodyPolicy, BodySummary, DataError};
///
/// let summary = BodySummary::of(b"Hi\n.\ncaf\xC3\xA9", BodyPolicy::default());
/// assert_eq!(summary.size(), 14); // "Hi\r\n.\r\ncaf\xC3\xA9\r\n"
/// assert_eq!(summary.bdat_size(), 12); // BDAT sends no final CRLF of its own
/// assert!(summary.has_8bit());
/// assert!(summary.is_valid());
///
/// let summary = BodySummary::of(b"a\0b", BodyPolicy::default());
/// assert_eq!(summary.violation(), Some(DataError::Nul { offset: 1 }));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BodySummary {
    canonical_size: u64,
    ends_with_line_end: bool,
    has_8bit: bool,
    violation: Option<DataError>,
}

impl BodySummary {
    /// Analyses `body` against `policy`.
    pub fn of(body: &[u8], policy: BodyPolicy) -> Self {
        let mut canon = Canonicalizer::new(policy, false);
        let mut count = Counter::default();
        let violation = canon
            .feed(body, &mut count)
            .and_then(|()| canon.finish(&mut count))
            .err();
        Self {
            canonical_size: count.0,
            ends_with_line_end: canon.is_at_line_start(),
            has_8bit: !body.is_ascii(),
            violation,
        }
    }

    /// The `SIZE=` value for a DATA transfer (RFC 1870 §3).
    ///
    /// RFC 1870 counts the octets sent after the 354 reply, CRLF pairs included, but neither
    /// the doubled dots nor the terminating dot: so this is the size after CRLF
    /// canonicalisation, before stuffing. The CRLF the encoder adds before the final dot,
    /// when the body does not end with one, is counted: RFC 5321 §4.1.1.4 makes that CRLF
    /// the terminator of the last line, part of the message the server stores, not of the
    /// end-of-data indicator. Meaningless when [`violation`](Self::violation) is `Some`.
    pub fn size(&self) -> u64 {
        if self.ends_with_line_end {
            self.canonical_size
        } else {
            self.canonical_size.saturating_add(2)
        }
    }

    /// The `SIZE=` value for a BDAT transfer (RFC 3030): the sum of the chunk sizes, which
    /// carry the canonical body unstuffed and with no CRLF added at the end.
    pub fn bdat_size(&self) -> u64 {
        self.canonical_size
    }

    /// Whether the body has octets above 127, so MAIL needs `BODY=8BITMIME` (RFC 6152).
    pub fn has_8bit(&self) -> bool {
        self.has_8bit
    }

    /// Whether the body can be sent as text under the policy.
    pub fn is_valid(&self) -> bool {
        self.violation.is_none()
    }

    /// The first violation of the policy, as the encoders would report it.
    pub fn violation(&self) -> Option<DataError> {
        self.violation
    }

    /// Whether the body, `len` octets long, is valid and already canonical (every line
    /// ends in CRLF): canonicalisation only ever adds octets, so the same length means
    /// the same octets.
    pub(crate) fn is_canonical(&self, len: usize) -> bool {
        self.violation.is_none() && self.canonical_size == len as u64
    }

    /// Whether the canonical body ends with a line end (or is empty).
    pub(crate) fn ends_with_line_end(&self) -> bool {
        self.ends_with_line_end
    }
}
