//! What the server is told to do besides accepting: refusals by stage and address
//! pattern, and scripted faults.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use smtp_proto::server::Reply;

/// A point of the session where a refusal or a fault can hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Stage {
    /// The greeting, before the client sent anything (RFC 5321 §4.3.1).
    Greeting,
    /// EHLO, HELO or LHLO (RFC 5321 §4.1.1.1, RFC 2033 §4.1).
    Ehlo,
    /// STARTTLS (RFC 3207 §4).
    StartTls,
    /// AUTH, once the client presented its credentials (RFC 4954 §4).
    Auth,
    /// MAIL FROM (RFC 5321 §4.1.1.2).
    Mail,
    /// RCPT TO (RFC 5321 §4.1.1.3).
    Rcpt,
    /// DATA, or the first BDAT chunk of a message (RFC 5321 §4.1.1.4, RFC 3030 §2).
    Data,
    /// The end of data (the `.` line) or BDAT LAST: the verdict on the message.
    DataEnd,
}

/// A scripted misbehaviour, for testing a client's error paths.
///
/// Added with [`TestServerBuilder::fault`](super::TestServerBuilder::fault) a fault hits
/// every time its stage comes; with
/// [`TestServerBuilder::fault_times`](super::TestServerBuilder::fault_times) only the
/// first `n` times, across all sessions (so "421 at the first RCPT, then accept" tests a
/// retry). [`Fault::SlowReplies`] counts once per session it slows down.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Reply `421 4.3.2` at this stage and close the connection (RFC 5321 §3.8).
    ServiceClosing(Stage),
    /// Close the connection after the end of data without any verdict: the client cannot
    /// know whether the message was taken (its report must say uncertain). The same as
    /// `Disconnect(Stage::DataEnd)`.
    DisconnectBeforeVerdict,
    /// Send the verdict (normally `250`) after the end of data, then close the connection
    /// without waiting for QUIT.
    DisconnectAfterVerdict,
    /// Close the connection at this stage without a reply (an unexpected end of input for
    /// the client).
    Disconnect(Stage),
    /// Never answer at this stage: the server keeps reading and discarding until the
    /// client gives up and closes (its reply deadline must fire).
    Silence(Stage),
    /// Wait this long before each reply of the session.
    SlowReplies(Duration),
    /// Sign the SCRAM-SHA-256 server-final-message (`v=`) with a wrong `ServerKey`: an
    /// impostor that stole the stored key but not the server key (RFC 5802 §9). The
    /// client proof still verifies; the client must refuse the signature and end the
    /// exchange.
    ForgedScramSignature,
    /// Write these bytes right after the `220` to STARTTLS, in the same write, before the
    /// handshake: the response injection a client must detect (RFC 3207 §4,
    /// CVE-2011-0411). Typical: `b"250-forged\r\n250 AUTH PLAIN\r\n"`.
    InjectAfterStartTls(Vec<u8>),
}

/// Which addresses a refusal applies to: a substring (ASCII case-insensitive) of the
/// address without angle brackets, or a predicate.
///
/// The empty string matches every address (and the stages without one).
///
/// ```
/// use smtp_tokio::test_server::Pattern;
/// assert!(Pattern::from("BOB@").matches("bob@example.org"));
/// assert!(!Pattern::from("bob@").matches("alice@example.org"));
/// let pattern = Pattern::from_fn(|address| address.ends_with(".invalid"));
/// assert!(pattern.matches("x@host.invalid"));
/// ```
#[derive(Clone)]
pub struct Pattern {
    predicate: Arc<dyn Fn(&str) -> bool + Send + Sync>,
    description: String,
}

impl Pattern {
    /// A pattern matching the addresses for which `predicate` is true.
    pub fn from_fn(predicate: impl Fn(&str) -> bool + Send + Sync + 'static) -> Self {
        Self {
            predicate: Arc::new(predicate),
            description: "<predicate>".into(),
        }
    }

    /// Whether `address` (without angle brackets) matches.
    pub fn matches(&self, address: &str) -> bool {
        (self.predicate)(address)
    }
}

impl From<&str> for Pattern {
    fn from(needle: &str) -> Self {
        let lower = needle.to_ascii_lowercase();
        Self {
            description: format!("{needle:?}"),
            predicate: Arc::new(move |address: &str| address.to_ascii_lowercase().contains(&lower)),
        }
    }
}

impl From<String> for Pattern {
    fn from(needle: String) -> Self {
        Self::from(needle.as_str())
    }
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pattern({})", self.description)
    }
}

/// One refusal rule: at `stage`, for addresses matching `pattern`, answer `reply`.
#[derive(Clone, Debug)]
pub(super) struct RefusalRule {
    pub(super) stage: Stage,
    pub(super) pattern: Pattern,
    pub(super) reply: Reply,
}

/// A fault and how many more times it may fire (`None`: always).
#[derive(Debug)]
pub(super) struct FaultRule {
    pub(super) fault: Fault,
    remaining: Option<AtomicUsize>,
}

impl FaultRule {
    pub(super) fn new(fault: Fault, times: Option<usize>) -> Self {
        Self {
            fault,
            remaining: times.map(AtomicUsize::new),
        }
    }

    /// Whether the fault fires now; counts the firing.
    pub(super) fn fire(&self) -> bool {
        match &self.remaining {
            None => true,
            Some(remaining) => remaining
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok(),
        }
    }
}

/// The refusals and faults of a server.
#[derive(Debug, Default)]
pub(super) struct Rules {
    pub(super) refusals: Vec<RefusalRule>,
    pub(super) faults: Vec<FaultRule>,
    /// Verbs the server does not know, upper-cased, with their fixed answer.
    pub(super) answers: Vec<(String, Reply)>,
}

/// What a fault makes the session do at a stage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Hit {
    ServiceClosing,
    Silence,
    Disconnect,
}

impl Rules {
    /// The answer to an extension verb (upper-cased), if one was configured.
    pub(super) fn answer(&self, verb: &str) -> Option<&Reply> {
        self.answers
            .iter()
            .find(|(known, _)| known == verb)
            .map(|(_, reply)| reply)
    }

    /// The reply of the first refusal at `stage` matching any of `addresses` (`[""]` for
    /// a stage without an address).
    pub(super) fn refusal<'a>(
        &self,
        stage: Stage,
        addresses: impl Iterator<Item = &'a str> + Clone,
    ) -> Option<Reply> {
        self.refusals
            .iter()
            .filter(|rule| rule.stage == stage)
            .find(|rule| addresses.clone().any(|a| rule.pattern.matches(a)))
            .map(|rule| rule.reply.clone())
    }

    /// The first stage fault that fires at `stage`.
    pub(super) fn hit(&self, stage: Stage) -> Option<Hit> {
        self.faults.iter().find_map(|rule| {
            let hit = match rule.fault {
                Fault::ServiceClosing(s) if s == stage => Hit::ServiceClosing,
                Fault::Silence(s) if s == stage => Hit::Silence,
                Fault::Disconnect(s) if s == stage => Hit::Disconnect,
                Fault::DisconnectBeforeVerdict if stage == Stage::DataEnd => Hit::Disconnect,
                _ => return None,
            };
            rule.fire().then_some(hit)
        })
    }

    /// Whether a fault matching `wanted` fires now.
    pub(super) fn fires(&self, wanted: impl Fn(&Fault) -> bool) -> Option<&Fault> {
        self.faults
            .iter()
            .find(|rule| wanted(&rule.fault) && rule.fire())
            .map(|rule| &rule.fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limited_faults_fire_the_given_number_of_times() {
        let rule = FaultRule::new(Fault::DisconnectBeforeVerdict, Some(2));
        assert_eq!([rule.fire(), rule.fire(), rule.fire()], [true, true, false]);
        let always = FaultRule::new(Fault::DisconnectBeforeVerdict, None);
        assert!((0..5).all(|_| always.fire()));
    }

    #[test]
    fn refusals_match_by_stage_and_pattern() {
        let reply: Reply = "550 5.1.1 no".parse().unwrap();
        let rules = Rules {
            refusals: vec![RefusalRule {
                stage: Stage::Rcpt,
                pattern: "bob@".into(),
                reply: reply.clone(),
            }],
            faults: Vec::new(),
            answers: Vec::new(),
        };
        let at = |stage, address: &'static str| rules.refusal(stage, [address].into_iter());
        assert_eq!(at(Stage::Rcpt, "Bob@x.test"), Some(reply));
        assert_eq!(at(Stage::Rcpt, "ann@x.test"), None);
        assert_eq!(at(Stage::Mail, "bob@x.test"), None);
    }
}
