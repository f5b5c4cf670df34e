//! The EHLO keywords this crate knows: the IANA "SMTP Service Extensions" registry plus
//! widely deployed unregistered ones.

use std::fmt;

macro_rules! capabilities {
    ($($(#[$doc:meta])* $name:ident = $keyword:literal,)*) => {
        /// An SMTP service extension announced in the EHLO or LHLO reply (RFC 5321
        /// §4.1.1.1, the IANA "SMTP Service Extensions" registry).
        ///
        /// Test for one with [`EhloData::supports`](super::EhloData::supports); keywords
        /// not listed here stay available through [`EhloData::params`](super::EhloData::params).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Capability {
            $($(#[$doc])* $name,)*
        }

        impl Capability {
            /// Every known capability, in declaration order.
            pub const ALL: &'static [Capability] = &[$(Capability::$name,)*];

            /// The EHLO keyword, upper case.
            pub const fn keyword(self) -> &'static str {
                match self {
                    $(Capability::$name => $keyword,)*
                }
            }

        }
    };
}

impl Capability {
    /// The capability for an EHLO keyword, compared ignoring ASCII case.
    pub fn from_keyword(keyword: &[u8]) -> Option<Self> {
        // Keywords are short: upper-case into a stack buffer, then one `match`.
        let mut upper = [0u8; 24];
        let slot = upper.get_mut(..keyword.len())?;
        for (dst, src) in slot.iter_mut().zip(keyword) {
            *dst = src.to_ascii_uppercase();
        }
        Self::from_upper(slot)
    }

    /// The capability for an upper-case keyword: one `match` on byte strings, which
    /// compiles to a dispatch on the length.
    pub(crate) fn from_upper(keyword: &[u8]) -> Option<Self> {
        use Capability::*;
        Some(match keyword {
            b"SIZE" => Size,
            b"AUTH" => Auth,
            b"PIPELINING" => Pipelining,
            b"8BITMIME" => EightBitMime,
            b"BINARYMIME" => BinaryMime,
            b"CHUNKING" => Chunking,
            b"SMTPUTF8" => SmtpUtf8,
            b"DSN" => Dsn,
            b"ENHANCEDSTATUSCODES" => EnhancedStatusCodes,
            b"STARTTLS" => StartTls,
            b"REQUIRETLS" => RequireTls,
            b"MT-PRIORITY" => MtPriority,
            b"FUTURERELEASE" => FutureRelease,
            b"DELIVERBY" => DeliverBy,
            b"RRVS" => Rrvs,
            b"LIMITS" => Limits,
            b"ETRN" => Etrn,
            b"VRFY" => Vrfy,
            b"EXPN" => Expn,
            b"HELP" => Help,
            b"PRDR" => Prdr,
            b"XCLIENT" => XClient,
            b"XFORWARD" => XForward,
            b"ATRN" => Atrn,
            b"BURL" => Burl,
            b"CHECKPOINT" => Checkpoint,
            b"CONNEG" => Conneg,
            b"CONPERM" => Conperm,
            b"NO-SOLICITING" => NoSoliciting,
            b"SUBMITTER" => Submitter,
            b"MTRK" => Mtrk,
            b"UTF8SMTP" => Utf8Smtp,
            b"VERB" => Verb,
            b"ONEX" => Onex,
            b"TURN" => Turn,
            b"SEND" => Send,
            b"SOML" => Soml,
            b"SAML" => Saml,
            b"PIPECONNECT" => PipeConnect,
            _ => return None,
        })
    }
}

capabilities! {
    /// `SIZE [limit]`: message size declaration (RFC 1870).
    Size = "SIZE",
    /// `AUTH mechanisms...`: SMTP authentication (RFC 4954); also the old `AUTH=` form.
    Auth = "AUTH",
    /// `PIPELINING`: command pipelining (RFC 2920).
    Pipelining = "PIPELINING",
    /// `8BITMIME`: 8-bit MIME transport (RFC 6152).
    EightBitMime = "8BITMIME",
    /// `BINARYMIME`: binary MIME with BDAT (RFC 3030).
    BinaryMime = "BINARYMIME",
    /// `CHUNKING`: the BDAT command (RFC 3030).
    Chunking = "CHUNKING",
    /// `SMTPUTF8`: internationalized email addresses (RFC 6531).
    SmtpUtf8 = "SMTPUTF8",
    /// `DSN`: delivery status notifications (RFC 3461).
    Dsn = "DSN",
    /// `ENHANCEDSTATUSCODES`: enhanced status codes in replies (RFC 2034).
    EnhancedStatusCodes = "ENHANCEDSTATUSCODES",
    /// `STARTTLS`: TLS upgrade (RFC 3207).
    StartTls = "STARTTLS",
    /// `REQUIRETLS`: the REQUIRETLS MAIL parameter (RFC 8689).
    RequireTls = "REQUIRETLS",
    /// `MT-PRIORITY [policy]`: message priorities (RFC 6710).
    MtPriority = "MT-PRIORITY",
    /// `FUTURERELEASE interval datetime`: future message release (RFC 4865).
    FutureRelease = "FUTURERELEASE",
    /// `DELIVERBY [min-by-time]`: deliver-by (RFC 2852).
    DeliverBy = "DELIVERBY",
    /// `RRVS`: require recipient valid since (RFC 7293).
    Rrvs = "RRVS",
    /// `LIMITS name=value...`: server limits (RFC 9422).
    Limits = "LIMITS",
    /// `ETRN`: remote message queue starting (RFC 1985).
    Etrn = "ETRN",
    /// `VRFY`: verify a mailbox (RFC 5321 §3.5).
    Vrfy = "VRFY",
    /// `EXPN`: expand a mailing list (RFC 5321 §3.5).
    Expn = "EXPN",
    /// `HELP`: help text (RFC 5321 §4.1.1.8).
    Help = "HELP",
    /// `PRDR`: per-recipient data responses (draft-hall-prdr).
    Prdr = "PRDR",
    /// `XCLIENT attributes...`: Postfix's client attribute override (unregistered).
    XClient = "XCLIENT",
    /// `XFORWARD attributes...`: Postfix's forwarded client attributes (unregistered).
    XForward = "XFORWARD",
    /// `ATRN`: authenticated TURN (RFC 2645).
    Atrn = "ATRN",
    /// `BURL [imap...]`: message composition by reference (RFC 4468).
    Burl = "BURL",
    /// `CHECKPOINT`: checkpoint and restart (RFC 1845).
    Checkpoint = "CHECKPOINT",
    /// `CONNEG`: content negotiation (RFC 4141).
    Conneg = "CONNEG",
    /// `CONPERM`: content conversion permission (RFC 4141).
    Conperm = "CONPERM",
    /// `NO-SOLICITING [keywords]`: solicitation class keywords (RFC 3865).
    NoSoliciting = "NO-SOLICITING",
    /// `SUBMITTER`: responsible submitter (RFC 4405).
    Submitter = "SUBMITTER",
    /// `MTRK`: message tracking (RFC 3885).
    Mtrk = "MTRK",
    /// `UTF8SMTP`: the experimental predecessor of SMTPUTF8 (RFC 5336, obsolete).
    Utf8Smtp = "UTF8SMTP",
    /// `VERB`: verbose mode (registered, Sendmail).
    Verb = "VERB",
    /// `ONEX`: one message transaction only (registered, Sendmail).
    Onex = "ONEX",
    /// `TURN`: reverse the roles (RFC 821, deprecated).
    Turn = "TURN",
    /// `SEND`: send to terminal (RFC 821, deprecated).
    Send = "SEND",
    /// `SOML`: send or mail (RFC 821, deprecated).
    Soml = "SOML",
    /// `SAML`: send and mail (RFC 821, deprecated).
    Saml = "SAML",
    /// `PIPECONNECT`: Exim's early pipelining of the greeting (unregistered).
    PipeConnect = "PIPECONNECT",
}

impl Capability {
    /// The bit of this capability in [`EhloData`](super::EhloData)'s set.
    pub(crate) const fn bit(self) -> u64 {
        1 << (self as u32)
    }
}

/// Packs an upper-case keyword of at most 8 bytes into a `u64` (little-endian, zero-padded).
///
/// Only evaluated at compile time (the constants below), where an out-of-range index would
/// fail the build rather than panic.
#[allow(clippy::indexing_slicing)]
const fn pack(keyword: &[u8]) -> u64 {
    let mut packed = 0u64;
    let mut i = 0;
    while i < keyword.len() && i < 8 {
        packed |= (keyword[i] as u64) << (8 * i);
        i += 1;
    }
    packed
}

impl Capability {
    const SIZE: u64 = pack(b"SIZE");
    const AUTH: u64 = pack(b"AUTH");
    const EIGHTBITMIME: u64 = pack(b"8BITMIME");
    const CHUNKING: u64 = pack(b"CHUNKING");
    const SMTPUTF8: u64 = pack(b"SMTPUTF8");
    const DSN: u64 = pack(b"DSN");
    const STARTTLS: u64 = pack(b"STARTTLS");
    const RRVS: u64 = pack(b"RRVS");
    const LIMITS: u64 = pack(b"LIMITS");
    const ETRN: u64 = pack(b"ETRN");
    const VRFY: u64 = pack(b"VRFY");
    const EXPN: u64 = pack(b"EXPN");
    const HELP: u64 = pack(b"HELP");
    const PRDR: u64 = pack(b"PRDR");
    const XCLIENT: u64 = pack(b"XCLIENT");
    const XFORWARD: u64 = pack(b"XFORWARD");
    const ATRN: u64 = pack(b"ATRN");
    const BURL: u64 = pack(b"BURL");
    const CONNEG: u64 = pack(b"CONNEG");
    const CONPERM: u64 = pack(b"CONPERM");
    const MTRK: u64 = pack(b"MTRK");
    const UTF8SMTP: u64 = pack(b"UTF8SMTP");
    const VERB: u64 = pack(b"VERB");
    const ONEX: u64 = pack(b"ONEX");
    const TURN: u64 = pack(b"TURN");
    const SEND: u64 = pack(b"SEND");
    const SOML: u64 = pack(b"SOML");
    const SAML: u64 = pack(b"SAML");
    // The longer keywords, by their first eight bytes (all distinct from the above).
    const PIPELINING: u64 = pack(b"PIPELINING");
    const BINARYMIME: u64 = pack(b"BINARYMIME");
    const ENHANCEDSTATUSCODES: u64 = pack(b"ENHANCEDSTATUSCODES");
    const REQUIRETLS: u64 = pack(b"REQUIRETLS");
    const MTPRIORITY: u64 = pack(b"MT-PRIORITY");
    const FUTURERELEASE: u64 = pack(b"FUTURERELEASE");
    const DELIVERBY: u64 = pack(b"DELIVERBY");
    const CHECKPOINT: u64 = pack(b"CHECKPOINT");
    const NOSOLICITING: u64 = pack(b"NO-SOLICITING");
    const SUBMITTER: u64 = pack(b"SUBMITTER");
    const PIPECONNECT: u64 = pack(b"PIPECONNECT");

    /// The capability whose keyword's first (at most) 8 bytes, packed by [`pack`], are
    /// `packed` (upper case): one `match` on integers, the EHLO reader's hot path. The
    /// caller checks the keyword's length and, past 8 bytes, its tail.
    pub(crate) fn from_packed(packed: u64) -> Option<Self> {
        use Capability::*;
        match packed {
            Self::SIZE => Some(Size),
            Self::AUTH => Some(Auth),
            Self::EIGHTBITMIME => Some(EightBitMime),
            Self::CHUNKING => Some(Chunking),
            Self::SMTPUTF8 => Some(SmtpUtf8),
            Self::DSN => Some(Dsn),
            Self::STARTTLS => Some(StartTls),
            Self::RRVS => Some(Rrvs),
            Self::LIMITS => Some(Limits),
            Self::ETRN => Some(Etrn),
            Self::VRFY => Some(Vrfy),
            Self::EXPN => Some(Expn),
            Self::HELP => Some(Help),
            Self::PRDR => Some(Prdr),
            Self::XCLIENT => Some(XClient),
            Self::XFORWARD => Some(XForward),
            Self::ATRN => Some(Atrn),
            Self::BURL => Some(Burl),
            Self::CONNEG => Some(Conneg),
            Self::CONPERM => Some(Conperm),
            Self::MTRK => Some(Mtrk),
            Self::UTF8SMTP => Some(Utf8Smtp),
            Self::VERB => Some(Verb),
            Self::ONEX => Some(Onex),
            Self::TURN => Some(Turn),
            Self::SEND => Some(Send),
            Self::SOML => Some(Soml),
            Self::SAML => Some(Saml),
            Self::PIPELINING => Some(Pipelining),
            Self::BINARYMIME => Some(BinaryMime),
            Self::ENHANCEDSTATUSCODES => Some(EnhancedStatusCodes),
            Self::REQUIRETLS => Some(RequireTls),
            Self::MTPRIORITY => Some(MtPriority),
            Self::FUTURERELEASE => Some(FutureRelease),
            Self::DELIVERBY => Some(DeliverBy),
            Self::CHECKPOINT => Some(Checkpoint),
            Self::NOSOLICITING => Some(NoSoliciting),
            Self::SUBMITTER => Some(Submitter),
            Self::PIPECONNECT => Some(PipeConnect),
            _ => None,
        }
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.keyword())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_round_trip_ignoring_case() {
        assert!(Capability::ALL.len() <= 64, "the set is a u64");
        for &cap in Capability::ALL {
            assert_eq!(
                Capability::from_keyword(cap.keyword().as_bytes()),
                Some(cap)
            );
            let lower = cap.keyword().to_ascii_lowercase();
            assert_eq!(Capability::from_keyword(lower.as_bytes()), Some(cap));
        }
        assert_eq!(Capability::from_keyword(b"X-FOO"), None);
        assert_eq!(Capability::from_keyword(b""), None);
        assert_eq!(Capability::from_keyword(&[b'A'; 40]), None);
    }
}
