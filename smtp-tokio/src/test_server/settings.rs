//! The server's settings, fixed at spawn and shared by every session.

use smtp_proto::server::{Reply, SaslMechanism};

use super::pki::Pki;
use super::rules::Rules;

/// The largest message when SIZE is off: an unannounced limit keeps memory bounded.
pub(super) const UNANNOUNCED_SIZE_LIMIT: usize = 64 << 20;

/// The ESMTP extensions offered in the EHLO (LHLO) reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Capabilities {
    pub(super) pipelining: bool,
    pub(super) eight_bit_mime: bool,
    pub(super) smtputf8: bool,
    pub(super) enhanced_status_codes: bool,
    pub(super) chunking: bool,
    pub(super) binarymime: bool,
    pub(super) dsn: bool,
    pub(super) size: Option<u64>,
    pub(super) extra: Vec<String>,
}

impl Default for Capabilities {
    fn default() -> Self {
        Self {
            pipelining: true,
            eight_bit_mime: true,
            smtputf8: true,
            enhanced_status_codes: true,
            chunking: true,
            binarymime: true,
            dsn: true,
            size: Some(10 << 20),
            extra: Vec::new(),
        }
    }
}

/// Everything a session needs to know, validated at spawn.
#[derive(Debug)]
pub(super) struct Settings {
    pub(super) hostname: String,
    pub(super) greeting: String,
    pub(super) capabilities: Capabilities,
    pub(super) starttls: bool,
    pub(super) implicit_tls: bool,
    pub(super) passwords: Vec<(String, String)>,
    pub(super) tokens: Vec<(String, String)>,
    /// The AUTH mechanisms offered and run, in the order of the EHLO line.
    pub(super) mechanisms: Vec<SaslMechanism>,
    pub(super) allow_plaintext_auth: bool,
    pub(super) require_auth: bool,
    pub(super) lmtp: bool,
    pub(super) max_recipients: Option<usize>,
    pub(super) rules: Rules,
    pub(super) pki: Pki,
    /// Answers an event the server does not know (and stands in for a reply that
    /// cannot be built, which validation at spawn rules out).
    pub(super) fallback: Reply,
}

impl Settings {
    /// Whether AUTH is offered (and accepted) on a session, given its TLS state.
    pub(super) fn offers_auth(&self, tls: bool) -> bool {
        !self.mechanisms.is_empty() && (tls || self.allow_plaintext_auth)
    }

    /// The message size limit: SIZE's value, else an unannounced 64 MiB.
    pub(super) fn size_limit(&self) -> usize {
        self.capabilities
            .size
            .and_then(|s| usize::try_from(s).ok())
            .unwrap_or(UNANNOUNCED_SIZE_LIMIT)
    }

    /// Whether the EHLO reply on a session with this TLS state offers `keyword`.
    pub(super) fn offers(&self, keyword: &str, tls: bool) -> bool {
        self.keywords(tls).iter().any(|k| {
            k.split(' ')
                .next()
                .is_some_and(|w| w.eq_ignore_ascii_case(keyword))
        })
    }

    /// The EHLO (LHLO) reply's keyword lines (RFC 5321 §4.1.1.1).
    pub(super) fn keywords(&self, tls: bool) -> Vec<String> {
        let caps = &self.capabilities;
        let mut keywords = Vec::new();
        let mut offer = |on: bool, keyword: &str| {
            if on {
                keywords.push(keyword.to_owned());
            }
        };
        offer(caps.pipelining, "PIPELINING");
        offer(caps.eight_bit_mime, "8BITMIME");
        offer(caps.smtputf8, "SMTPUTF8");
        offer(caps.enhanced_status_codes, "ENHANCEDSTATUSCODES");
        offer(caps.chunking, "CHUNKING");
        offer(caps.binarymime && caps.chunking, "BINARYMIME");
        offer(caps.dsn, "DSN");
        offer(self.starttls && !tls, "STARTTLS");
        if let Some(size) = caps.size {
            keywords.push(format!("SIZE {size}"));
        }
        if self.offers_auth(tls) {
            let mut auth = String::from("AUTH");
            for mechanism in &self.mechanisms {
                auth.push(' ');
                auth.push_str(mechanism.name());
            }
            keywords.push(auth);
        }
        keywords.extend(caps.extra.iter().cloned());
        keywords
    }
}
