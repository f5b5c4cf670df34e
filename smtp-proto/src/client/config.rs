//! What the driver is configured with: reply deadlines, reply limits, group size.

use std::fmt;
use std::num::NonZeroUsize;
use std::time::{Duration, Instant};

use crate::response::ReplyLimits;

/// What a reply answers, for its deadline and for error messages.
///
/// A command declares the kind of every line it writes; the driver uses it to pick the
/// reply deadline (RFC 5321 §4.5.3.2) and to validate effects (an upgrade only after a 220 to
/// a [`ReplyKind::StartTls`] line, EHLO data only from a [`ReplyKind::Hello`] reply).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReplyKind {
    /// The server's greeting (§4.5.3.2.1: 5 minutes).
    Greeting,
    /// EHLO, HELO or LHLO.
    Hello,
    /// STARTTLS.
    StartTls,
    /// AUTH and its SASL continuation lines.
    Auth,
    /// MAIL (§4.5.3.2.2: 5 minutes).
    Mail,
    /// RCPT (§4.5.3.2.3: 5 minutes).
    Rcpt,
    /// DATA, its 354 (§4.5.3.2.4: 2 minutes).
    Data,
    /// The end of data, the final verdict (§4.5.3.2.6: 10 minutes); in LMTP one per
    /// accepted recipient.
    DataEnd,
    /// A BDAT chunk other than the last (RFC 3030; 3 minutes, as a data block).
    Bdat,
    /// BDAT LAST: the final verdict (10 minutes, as the end of data).
    BdatLast,
    /// Every other command (RSET, NOOP, VRFY, EXPN, HELP, QUIT, XCLIENT, vendor commands).
    Other,
}

impl fmt::Display for ReplyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ReplyKind::Greeting => "the greeting",
            ReplyKind::Hello => "EHLO/HELO/LHLO",
            ReplyKind::StartTls => "STARTTLS",
            ReplyKind::Auth => "AUTH",
            ReplyKind::Mail => "MAIL",
            ReplyKind::Rcpt => "RCPT",
            ReplyKind::Data => "DATA",
            ReplyKind::DataEnd => "the end of data",
            ReplyKind::Bdat => "BDAT",
            ReplyKind::BdatLast => "BDAT LAST",
            ReplyKind::Other => "the command",
        })
    }
}

/// Reply and write deadlines; defaults from RFC 5321 §4.5.3.2 and RFC 3030.
///
/// Each reply deadline runs from the moment the reply is the next one awaited (for a
/// pipelined group, when the reply before it arrived) and is fixed then: a server dripping
/// one byte at a time cannot stretch it, only complete replies move on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// The greeting: 5 minutes.
    pub greeting: Duration,
    /// MAIL: 5 minutes.
    pub mail: Duration,
    /// RCPT: 5 minutes.
    pub rcpt: Duration,
    /// DATA's 354: 2 minutes.
    pub data_init: Duration,
    /// The verdict after the end of data or BDAT LAST: 10 minutes.
    pub data_end: Duration,
    /// A BDAT chunk other than the last: 3 minutes.
    pub bdat: Duration,
    /// Every other command: 5 minutes.
    pub other: Duration,
    /// Writing one transmit (a data block, RFC 5321 §4.5.3.2.5): 3 minutes; the adapter
    /// enforces it with the deadline carried by each transmit.
    pub write: Duration,
}

impl Timeouts {
    /// The RFC defaults.
    pub const RFC5321: Self = Self {
        greeting: Duration::from_secs(300),
        mail: Duration::from_secs(300),
        rcpt: Duration::from_secs(300),
        data_init: Duration::from_secs(120),
        data_end: Duration::from_secs(600),
        bdat: Duration::from_secs(180),
        other: Duration::from_secs(300),
        write: Duration::from_secs(180),
    };

    /// Every deadline set to `timeout` (for tests and impatient tools).
    pub const fn uniform(timeout: Duration) -> Self {
        Self {
            greeting: timeout,
            mail: timeout,
            rcpt: timeout,
            data_init: timeout,
            data_end: timeout,
            bdat: timeout,
            other: timeout,
            write: timeout,
        }
    }

    /// The reply deadline for a reply of `kind`.
    pub fn reply(&self, kind: ReplyKind) -> Duration {
        match kind {
            ReplyKind::Greeting => self.greeting,
            ReplyKind::Mail => self.mail,
            ReplyKind::Rcpt => self.rcpt,
            ReplyKind::Data => self.data_init,
            ReplyKind::DataEnd | ReplyKind::BdatLast => self.data_end,
            ReplyKind::Bdat => self.bdat,
            ReplyKind::Hello | ReplyKind::StartTls | ReplyKind::Auth | ReplyKind::Other => {
                self.other
            }
        }
    }
}

impl Default for Timeouts {
    fn default() -> Self {
        Self::RFC5321
    }
}

/// `now + wait`, or a moment some 136 years on when that instant cannot be represented:
/// a timeout of [`Duration::MAX`] means "no deadline", never a panic. The driver fixes
/// every deadline with it; adapters use it for theirs (connect, TLS handshake).
///
/// ```
/// use std::time::{Duration, Instant};
/// use smtp_proto::client::deadline_after;
///
/// let now = Instant::now();
/// assert_eq!(deadline_after(now, Duration::from_secs(5)), now + Duration::from_secs(5));
/// assert!(deadline_after(now, Duration::MAX) > now + Duration::from_secs(100 * 365 * 86_400));
/// ```
pub fn deadline_after(now: Instant, wait: Duration) -> Instant {
    now.checked_add(wait)
        .or_else(|| now.checked_add(Duration::from_secs(u64::from(u32::MAX))))
        .unwrap_or(now)
}

/// How the driver runs: deadlines, reply limits, and group splitting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClientConfig {
    /// Reply and write deadlines.
    pub timeouts: Timeouts,
    /// Limits on each reply (lines, line length, total size).
    pub reply_limits: ReplyLimits,
    /// For adapters that cannot read while they write (the blocking one): the largest
    /// transmit that is written before every reply it asks for has been read
    /// (RFC 2920 §3.1's deadlock rule). `None`, the default, sends each group whole. A single
    /// line or body piece larger than this still goes in one transmit. While written octets
    /// are held back for replies, no further piece of a streamed body is asked for
    /// ([`Output::NeedBody`](super::Output::NeedBody) waits): what the client holds stays
    /// within one group, one piece and one chunk, however long the body.
    pub max_group: Option<NonZeroUsize>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ProtocolError;

    /// Each kind names its command in the fatal errors, and picks its RFC 5321 deadline.
    #[test]
    fn each_kind_names_its_command_and_picks_its_deadline() {
        let minutes = |m: u64| Duration::from_secs(60 * m);
        for (kind, name, deadline) in [
            (ReplyKind::Greeting, "the greeting", minutes(5)),
            (ReplyKind::Hello, "EHLO/HELO/LHLO", minutes(5)),
            (ReplyKind::StartTls, "STARTTLS", minutes(5)),
            (ReplyKind::Auth, "AUTH", minutes(5)),
            (ReplyKind::Mail, "MAIL", minutes(5)),
            (ReplyKind::Rcpt, "RCPT", minutes(5)),
            (ReplyKind::Data, "DATA", minutes(2)),
            (ReplyKind::DataEnd, "the end of data", minutes(10)),
            (ReplyKind::Bdat, "BDAT", minutes(3)),
            (ReplyKind::BdatLast, "BDAT LAST", minutes(10)),
            (ReplyKind::Other, "the command", minutes(5)),
        ] {
            assert_eq!(kind.to_string(), name);
            assert_eq!(Timeouts::RFC5321.reply(kind), deadline, "{name}");
            assert_eq!(
                ProtocolError::Timeout(kind).to_string(),
                format!("timed out waiting for the reply to {name}")
            );
        }
        assert_eq!(Timeouts::default(), Timeouts::RFC5321);
        assert_eq!(Timeouts::RFC5321.write, minutes(3));
        let uniform = Timeouts::uniform(Duration::from_secs(7));
        assert_eq!(uniform.write, Duration::from_secs(7));
        assert_eq!(uniform.reply(ReplyKind::DataEnd), Duration::from_secs(7));
    }
}
