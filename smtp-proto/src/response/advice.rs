//! What to do after a reply: retry advice from the reply code and enhanced status code.

use super::{EnhancedStatus, ReplyCode};

/// What a client should do after a reply, from its code (RFC 5321 §4.2.2, §4.2.3) and the
/// enhanced status code of its first line (RFC 3463 §3).
///
/// The enhanced status decides when it is present and its class agrees with the code's
/// first digit (RFC 3463 §2 requires that; a disagreeing one is ignored); otherwise, and for
/// subjects and details not in the table, the basic code decides. "4" and "5" below are the
/// class: a transient (4) variant of a row gives `RetryLater(scope)` unless stated.
///
/// | reply | advice |
/// |---|---|
/// | any `2yz`, `3yz` | [`None`](Self::None) |
/// | `X.1.1`-`X.1.6`, `X.1.9`, `X.1.10`: bad or moved mailbox, destination system, null MX | 5: `DoNotRetry(Recipient)` |
/// | `X.1.7`, `X.1.8`: bad sender address or sender system | 5: `DoNotRetry(Message)` |
/// | `X.2.2` mailbox full | 4: `RetryLater(Recipient)`, 5: `DoNotRetry(Recipient)` |
/// | `X.2.3` message larger than the mailbox accepts, `X.3.4` larger than the system accepts | 5: `FixMessage` |
/// | other `X.2.*`: mailbox status | 5: `DoNotRetry(Recipient)` |
/// | `X.3.1` system full, `X.3.2` not accepting messages, `X.4.5` congestion | `RetryLater(Session)` / 5: `DoNotRetry(Session)` |
/// | other `X.3.*`, `X.4.*`: mail system, network, routing | 5: `DoNotRetry(Message)` |
/// | `X.5.3` too many recipients (either class, RFC 5321 §4.5.3.1.10) | `RetryRemainingRecipients` |
/// | `X.5.1`, `X.5.2`, `X.5.4`, `X.5.5`: the command itself was wrong | `FixRequest` |
/// | `X.6.*`: message content or media | 5: `FixMessage` |
/// | `X.7.8` bad credentials, `X.7.12` password transition, `X.7.13` account disabled | 5: `FixCredentials` (4.7.8: `RetryLater(Session)`) |
/// | `X.7.0`, `X.7.9`, `X.7.10`, `X.7.11`, `X.7.14`: authentication or TLS required, mechanism too weak | 5: `FixConfiguration(Session)` |
/// | `X.7.1`, `X.7.2`: delivery or list expansion not authorized | 5: `FixConfiguration(Recipient)` |
/// | `X.7.17` mailbox owner changed, `X.7.18` domain owner changed (RRVS, RFC 7293) | 4: `RetryLater(Recipient)`, 5: `DoNotRetry(Recipient)` |
/// | `X.7.19` RRVS test cannot be completed (RFC 7293) | 4: `RetryLater(Recipient)`, 5: `FixConfiguration(Recipient)` (send it without RRVS, or with `;C`) |
/// | other `X.7.*`: security or policy (DKIM, SPF, DMARC, priority...) | 5: `FixConfiguration(Message)` |
/// | `421`: service closing | `RetryLater(Session)` whatever the enhanced code |
/// | `535`: credentials invalid (RFC 4954 §6) | `FixCredentials` whatever the enhanced code (Exchange answers a failed login `535 5.7.3`) |
/// | `450`: mailbox busy | `RetryLater(Recipient)` |
/// | `454` (TLS or auth temporarily unavailable), `432` | `RetryLater(Session)` |
/// | other `4yz` | `RetryLater(Message)` |
/// | `500`-`504`, `555`: unknown command, bad syntax or parameters, bad sequence | `FixRequest` |
/// | `530` auth required, `534` mechanism too weak, `538` encryption required | `FixConfiguration(Session)` |
/// | `521`: the host takes no mail at all (RFC 7504) | `DoNotRetry(Session)` |
/// | `550`, `551`, `553`, `556`: mailbox unavailable, not local, name not allowed, domain takes no mail | `DoNotRetry(Recipient)` |
/// | `552`: exceeded storage allocation | `FixMessage` |
/// | other `5yz` (`554`...) | `DoNotRetry(Message)` |
///
/// The advice reads the reply alone, not the command it answers. One case needs the
/// command: RFC 5321 §4.5.3.1.10 says a `552` *to RCPT* after an accepted recipient may
/// mean "too many recipients" and is to be treated as temporary. The advice cannot see
/// that; the mail transaction does: with
/// [`retry_too_many_recipients`](crate::command::TransactionOptions::retry_too_many_recipients)
/// it sends such recipients (a `552` without an enhanced code or with `X.5.3`) in a new
/// transaction, as it does after a `452`.
///
/// ```
/// use smtp_proto::response::{Response, RetryAdvice, Scope};
///
/// let advise = |wire: &[u8]| Response::parse(wire).unwrap().retry_advice();
/// assert_eq!(advise(b"550 5.1.1 No such user\r\n"), RetryAdvice::DoNotRetry(Scope::Recipient));
/// assert_eq!(advise(b"452 4.5.3 Too many recipients\r\n"), RetryAdvice::RetryRemainingRecipients);
/// assert_eq!(advise(b"535 5.7.8 Bad credentials\r\n"), RetryAdvice::FixCredentials);
/// assert_eq!(advise(b"421 Bye\r\n"), RetryAdvice::RetryLater(Scope::Session));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RetryAdvice {
    /// A positive reply: nothing to retry.
    None,
    /// A transient failure: the same request may succeed later.
    RetryLater(Scope),
    /// Too many recipients: the accepted ones stand; send the rest in a new transaction
    /// (RFC 5321 §4.5.3.1.10).
    RetryRemainingRecipients,
    /// A permanent failure: do not send this again.
    DoNotRetry(Scope),
    /// Authentication failed: the credentials must change (RFC 4954 §6).
    FixCredentials,
    /// A security or policy refusal: the configuration must change (authenticate, use TLS,
    /// a stronger mechanism, a permitted sender or relay).
    FixConfiguration(Scope),
    /// The message itself is refused (size, content, media): change the message.
    FixMessage,
    /// The command was refused as malformed or out of sequence: a client-side bug.
    FixRequest,
}

/// What a refusal applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Only this recipient; the others of the transaction are unaffected.
    Recipient,
    /// This message or transaction, for every recipient.
    Message,
    /// The whole session or server: other messages would fare the same now.
    Session,
}

pub(crate) fn advise(code: ReplyCode, status: Option<EnhancedStatus>) -> RetryAdvice {
    if code.is_positive() {
        return RetryAdvice::None;
    }
    // The code says it all: the server is closing, or the credentials were refused (a
    // server may pick another enhanced code for a failed login, Exchange's 5.7.3).
    match code.get() {
        421 => return RetryAdvice::RetryLater(Scope::Session),
        535 => return RetryAdvice::FixCredentials,
        _ => {}
    }
    let transient = code.is_transient();
    status
        .filter(|s| s.class() == code.first_digit())
        .and_then(|s| from_status(s, transient))
        .unwrap_or_else(|| from_code(code))
}

/// The enhanced status rows of the table; `None` leaves the decision to the basic code.
fn from_status(status: EnhancedStatus, transient: bool) -> Option<RetryAdvice> {
    use RetryAdvice::*;
    use Scope::*;
    let permanent = |advice: RetryAdvice, scope: Scope| {
        if transient { RetryLater(scope) } else { advice }
    };
    let advice = match (status.subject(), status.detail()) {
        (1, 1..=6 | 9 | 10) => permanent(DoNotRetry(Recipient), Recipient),
        (1, 7 | 8) => permanent(DoNotRetry(Message), Message),
        (2, 3) | (3, 4) => permanent(FixMessage, Message),
        (2, _) => permanent(DoNotRetry(Recipient), Recipient),
        (3, 1 | 2) | (4, 5) => permanent(DoNotRetry(Session), Session),
        (3 | 4, _) => permanent(DoNotRetry(Message), Message),
        (5, 3) => RetryRemainingRecipients,
        (5, 1 | 2 | 4 | 5) => FixRequest,
        (6, _) => permanent(FixMessage, Message),
        (7, 8 | 12 | 13) => permanent(FixCredentials, Session),
        (7, 0 | 9 | 10 | 11 | 14) => permanent(FixConfiguration(Session), Session),
        (7, 1 | 2) => permanent(FixConfiguration(Recipient), Recipient),
        (7, 17 | 18) => permanent(DoNotRetry(Recipient), Recipient),
        (7, 19) => permanent(FixConfiguration(Recipient), Recipient),
        (7, _) => permanent(FixConfiguration(Message), Message),
        _ => return Option::None,
    };
    // X.0.0 and the like say nothing more than the code: handled above by `_`.
    Some(advice)
}

/// The basic reply code rows of the table (RFC 5321 §4.2.2, §4.2.3, RFC 4954 §6).
fn from_code(code: ReplyCode) -> RetryAdvice {
    use RetryAdvice::*;
    use Scope::*;
    match code.get() {
        450 => RetryLater(Recipient),
        432 | 454 => RetryLater(Session),
        400..=499 => RetryLater(Message),
        500..=504 | 555 => FixRequest,
        530 | 534 | 538 => FixConfiguration(Session),
        521 => DoNotRetry(Session),
        550 | 551 | 553 | 556 => DoNotRetry(Recipient),
        552 => FixMessage,
        _ => DoNotRetry(Message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RetryAdvice::*;
    use Scope::*;

    fn advice(code: u16, status: &str) -> RetryAdvice {
        let status = (!status.is_empty()).then(|| status.parse().unwrap());
        advise(ReplyCode::new(code).unwrap(), status)
    }

    #[test]
    fn decision_table() {
        let table = [
            (250, "2.0.0", None),
            (354, "", None),
            (421, "4.7.0", RetryLater(Session)),
            (421, "", RetryLater(Session)),
            (550, "5.1.1", DoNotRetry(Recipient)),
            (450, "4.1.1", RetryLater(Recipient)),
            (553, "5.1.7", DoNotRetry(Message)),
            (452, "4.2.2", RetryLater(Recipient)),
            (552, "5.2.2", DoNotRetry(Recipient)),
            (552, "5.3.4", FixMessage),
            (552, "5.2.3", FixMessage),
            (452, "4.3.1", RetryLater(Session)),
            (451, "4.4.5", RetryLater(Session)),
            (554, "5.4.4", DoNotRetry(Message)),
            (452, "4.5.3", RetryRemainingRecipients),
            (552, "5.5.3", RetryRemainingRecipients),
            (501, "5.5.4", FixRequest),
            (554, "5.6.0", FixMessage),
            (535, "5.7.8", FixCredentials),
            (454, "4.7.8", RetryLater(Session)),
            (530, "5.7.0", FixConfiguration(Session)),
            (534, "5.7.9", FixConfiguration(Session)),
            (538, "5.7.11", FixConfiguration(Session)),
            (554, "5.7.1", FixConfiguration(Recipient)),
            (550, "5.7.26", FixConfiguration(Message)),
            (451, "4.7.26", RetryLater(Message)),
            (550, "5.7.17", DoNotRetry(Recipient)),
            (550, "5.7.18", DoNotRetry(Recipient)),
            (450, "4.7.17", RetryLater(Recipient)),
            (550, "5.7.19", FixConfiguration(Recipient)),
            (535, "5.7.3", FixCredentials),
            (535, "5.7.1", FixCredentials),
            (521, "", DoNotRetry(Session)),
            (521, "5.3.2", DoNotRetry(Session)),
            // The code alone decides without (or with a disagreeing) enhanced status.
            (550, "", DoNotRetry(Recipient)),
            (550, "4.2.2", DoNotRetry(Recipient)),
            (552, "", FixMessage),
            (554, "", DoNotRetry(Message)),
            (554, "5.0.0", DoNotRetry(Message)),
            (535, "", FixCredentials),
            (530, "", FixConfiguration(Session)),
            (500, "", FixRequest),
            (555, "", FixRequest),
            (450, "", RetryLater(Recipient)),
            (451, "4.0.0", RetryLater(Message)),
            (454, "", RetryLater(Session)),
            (452, "", RetryLater(Message)),
        ];
        for (code, status, expected) in table {
            assert_eq!(advice(code, status), expected, "{code} {status}");
        }
    }

    /// Every enhanced status row, each detail it names and both classes, under a code whose
    /// own row says something else: the row, not the code, must decide.
    #[test]
    fn every_enhanced_row_overrides_the_code() {
        let table = [
            // X.1.1-X.1.6, X.1.9, X.1.10 (554 alone: DoNotRetry(Message)).
            (554, "5.1.1", DoNotRetry(Recipient)),
            (554, "5.1.6", DoNotRetry(Recipient)),
            (554, "5.1.9", DoNotRetry(Recipient)),
            (554, "5.1.10", DoNotRetry(Recipient)),
            (451, "4.1.2", RetryLater(Recipient)),
            // X.1.7, X.1.8 (550 alone: DoNotRetry(Recipient); 450: RetryLater(Recipient)).
            (550, "5.1.7", DoNotRetry(Message)),
            (550, "5.1.8", DoNotRetry(Message)),
            (450, "4.1.8", RetryLater(Message)),
            // X.2.3, X.3.4.
            (554, "5.2.3", FixMessage),
            (554, "5.3.4", FixMessage),
            (450, "4.2.3", RetryLater(Message)),
            // Other X.2.*.
            (554, "5.2.0", DoNotRetry(Recipient)),
            (554, "5.2.4", DoNotRetry(Recipient)),
            (451, "4.2.1", RetryLater(Recipient)),
            // X.3.1, X.3.2, X.4.5.
            (554, "5.3.1", DoNotRetry(Session)),
            (554, "5.3.2", DoNotRetry(Session)),
            (554, "5.4.5", DoNotRetry(Session)),
            (451, "4.3.2", RetryLater(Session)),
            // Other X.3.*, X.4.*.
            (550, "5.3.0", DoNotRetry(Message)),
            (550, "5.4.4", DoNotRetry(Message)),
            (450, "4.4.1", RetryLater(Message)),
            // X.5.3 in either class.
            (554, "5.5.3", RetryRemainingRecipients),
            // X.5.1, X.5.2, X.5.4, X.5.5, in either class.
            (554, "5.5.1", FixRequest),
            (554, "5.5.2", FixRequest),
            (554, "5.5.4", FixRequest),
            (554, "5.5.5", FixRequest),
            (451, "4.5.1", FixRequest),
            // X.6.*.
            (550, "5.6.3", FixMessage),
            (450, "4.6.0", RetryLater(Message)),
            // X.7.8, X.7.12, X.7.13.
            (554, "5.7.8", FixCredentials),
            (554, "5.7.12", FixCredentials),
            (554, "5.7.13", FixCredentials),
            (451, "4.7.12", RetryLater(Session)),
            // X.7.0, X.7.9, X.7.10, X.7.11, X.7.14.
            (554, "5.7.0", FixConfiguration(Session)),
            (554, "5.7.9", FixConfiguration(Session)),
            (554, "5.7.10", FixConfiguration(Session)),
            (554, "5.7.11", FixConfiguration(Session)),
            (554, "5.7.14", FixConfiguration(Session)),
            (451, "4.7.0", RetryLater(Session)),
            // X.7.1, X.7.2.
            (554, "5.7.2", FixConfiguration(Recipient)),
            (451, "4.7.1", RetryLater(Recipient)),
            // Other X.7.*.
            (554, "5.7.26", FixConfiguration(Message)),
            (450, "4.7.26", RetryLater(Message)),
        ];
        for (code, status, expected) in table {
            assert_eq!(advice(code, status), expected, "{code} {status}");
            assert_ne!(advice(code, ""), expected, "{code} alone must differ");
        }
    }

    /// Details just outside a row, and subjects no row names, leave the decision to the
    /// code; so does a status whose class disagrees with it.
    #[test]
    fn unlisted_details_and_subjects_fall_back_to_the_code() {
        let table = [
            (550, "5.1.0", DoNotRetry(Recipient)),
            (554, "5.1.0", DoNotRetry(Message)),
            (554, "5.1.11", DoNotRetry(Message)),
            (550, "5.5.0", DoNotRetry(Recipient)),
            (550, "5.5.6", DoNotRetry(Recipient)),
            (554, "5.8.1", DoNotRetry(Message)),
            (550, "5.0.0", DoNotRetry(Recipient)),
            (535, "2.7.0", FixCredentials),
            (554, "4.1.1", DoNotRetry(Message)),
        ];
        for (code, status, expected) in table {
            assert_eq!(advice(code, status), expected, "{code} {status}");
        }
    }

    /// Every basic code row of the table, without an enhanced status.
    #[test]
    fn every_code_row() {
        let table = [
            (432, RetryLater(Session)),
            (454, RetryLater(Session)),
            (421, RetryLater(Session)),
            (451, RetryLater(Message)),
            (459, RetryLater(Message)),
            (400, RetryLater(Message)),
            (501, FixRequest),
            (502, FixRequest),
            (503, FixRequest),
            (504, FixRequest),
            (505, DoNotRetry(Message)),
            (534, FixConfiguration(Session)),
            (538, FixConfiguration(Session)),
            (551, DoNotRetry(Recipient)),
            (553, DoNotRetry(Recipient)),
            (556, DoNotRetry(Recipient)),
            (557, DoNotRetry(Message)),
            (559, DoNotRetry(Message)),
            (200, None),
            (334, None),
        ];
        for (code, expected) in table {
            assert_eq!(advice(code, ""), expected, "{code}");
        }
    }
}
