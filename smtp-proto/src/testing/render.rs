//! Outcomes as words: what `=` lines are compared with.
//!
//! Each outcome is one or more lines of space-separated words. An expected line matches
//! when its words are the first words of the rendered line, so `= fatal timeout` accepts
//! `fatal timeout greeting` and `= refused 550` accepts `refused 550 RCPT`. Variant names
//! are written in kebab case (`StartTlsInjection` is `start-tls-injection`).

use std::fmt::Debug;

use crate::client::Client;
use crate::command::LogicError;
use crate::error::ProtocolError;
use crate::response::Response;

/// `ok CODE`: a command's successful reply.
pub fn render_ok(response: &Response) -> String {
    format!("ok {}", response.code().get())
}

/// `refused CODE COMMAND`, `no-mechanism`, `message-too-large SIZE LIMIT`, ...
///
/// ```
/// use smtp_proto::command::LogicError;
/// use smtp_proto::response::Response;
/// use smtp_proto::testing::render_logic_error;
///
/// let reply = Response::parse(b"550 5.1.1 no such user\r\n")?;
/// let error = LogicError::refused("RCPT", reply);
/// assert_eq!(render_logic_error(&error), "refused 550 RCPT");
/// assert_eq!(render_logic_error(&LogicError::NoMechanism), "no-mechanism");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn render_logic_error(error: &LogicError) -> String {
    let mut words = vec![variant(error)];
    match error {
        LogicError::Refused { command, response } => {
            words.push(response.code().get().to_string());
            words.push((*command).to_owned());
        }
        LogicError::Unsupported {
            command,
            capability,
        } => {
            words.push((*capability).to_owned());
            words.push((*command).to_owned());
        }
        LogicError::Invalid(inner) => words.push(variant(inner)),
        LogicError::Body(inner) => words.push(variant(inner)),
        LogicError::Sasl(inner) => words.push(variant(inner)),
        LogicError::MessageTooLarge { size, limit } => {
            words.push(size.to_string());
            words.push(limit.to_string());
        }
        LogicError::WrongState { command, .. } => words.push((*command).to_owned()),
        _ => {}
    }
    words.join(" ")
}

/// `fatal VARIANT details`: `fatal timeout greeting`, `fatal truncated-reply mail`,
/// `fatal service-closing 421`, `fatal malformed-reply code-mismatch`,
/// `fatal impossible-reply RCPT 354`, `fatal sasl PLAIN malformed-challenge`.
///
/// ```
/// use smtp_proto::client::ReplyKind;
/// use smtp_proto::error::ProtocolError;
/// use smtp_proto::testing::render_protocol_error;
///
/// let error = ProtocolError::Timeout(ReplyKind::DataEnd);
/// assert_eq!(render_protocol_error(&error), "fatal timeout data-end");
/// let error = ProtocolError::TruncatedReply(ReplyKind::Mail);
/// assert_eq!(render_protocol_error(&error), "fatal truncated-reply mail");
/// let error = ProtocolError::StartTlsInjection;
/// assert_eq!(render_protocol_error(&error), "fatal start-tls-injection");
/// ```
pub fn render_protocol_error(error: &ProtocolError) -> String {
    let mut words = vec!["fatal".to_owned(), variant(error)];
    match error {
        ProtocolError::MalformedReply(inner) => words.push(variant(inner)),
        ProtocolError::Timeout(kind)
        | ProtocolError::UnexpectedEof(kind)
        | ProtocolError::TruncatedReply(kind) => words.push(variant(kind)),
        ProtocolError::ServiceClosing(response)
        | ProtocolError::UnexpectedReply(response)
        | ProtocolError::StartTlsUnavailable(Some(response)) => {
            words.push(response.code().get().to_string())
        }
        ProtocolError::ImpossibleReply { command, response } => {
            words.push((*command).to_owned());
            words.push(response.code().get().to_string());
        }
        ProtocolError::Sasl { mechanism, error } => {
            words.push(mechanism.to_string());
            words.push(variant(error));
        }
        ProtocolError::TooManyChallenges(limit) => words.push(limit.to_string()),
        ProtocolError::BodyAborted(inner) => words.push(variant(inner)),
        _ => {}
    }
    words.join(" ")
}

/// The name of an enum value from its `Debug`, in kebab case: `DataEnd` is `data-end`.
pub(crate) fn variant(value: &impl Debug) -> String {
    let debug = format!("{value:?}");
    let name = debug
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .next()
        .unwrap_or_default();
    kebab(name)
}

fn kebab(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let previous = i.checked_sub(1).and_then(|p| chars.get(p));
        let next = chars.get(i + 1);
        let boundary = c.is_uppercase()
            && previous.is_some_and(|p| p.is_lowercase() || p.is_ascii_digit())
            || c.is_uppercase()
                && previous.is_some_and(|p| p.is_uppercase())
                && next.is_some_and(|n| n.is_lowercase());
        if boundary {
            out.push('-');
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// Whether `expected` words are the first words of `rendered`.
pub(crate) fn matches(expected: &[String], rendered: &str) -> bool {
    let mut actual = rendered.split_whitespace();
    expected
        .iter()
        .all(|word| actual.next() == Some(word.as_str()))
}

/// The session fact a `?` line asks about, rendered the same way, or `None` for an
/// unknown question: `tls yes`, `hello ehlo`, `authenticated PLAIN`, `supports SIZE no`.
pub(crate) fn session_fact(client: &Client, question: &[String]) -> Option<String> {
    let session = client.session();
    let yes = |b: bool| if b { "yes" } else { "no" };
    let key = question.first()?.as_str();
    let answer = match key {
        "tls" => yes(session.is_tls()).to_owned(),
        "usable" => yes(client.is_usable()).to_owned(),
        "closed" => yes(session.is_closed()).to_owned(),
        "transaction" => yes(session.in_transaction()).to_owned(),
        "mail-data" => yes(session.in_mail_data()).to_owned(),
        "hello" => match (session.ehlo().is_some(), session.is_helo()) {
            (true, _) => "ehlo",
            (false, true) => "helo",
            (false, false) => "none",
        }
        .to_owned(),
        "authenticated" => session
            .authenticated()
            .map_or_else(|| "none".to_owned(), ToString::to_string),
        "protocol" => variant(&session.protocol()),
        "greeting" => session
            .greeting()
            .map_or_else(|| "none".to_owned(), |r| r.code().get().to_string()),
        "supports" => {
            let keyword = question.get(1)?;
            let offered = session
                .ehlo()
                .is_some_and(|ehlo| ehlo.params(keyword).is_some());
            return Some(format!("supports {keyword} {}", yes(offered)));
        }
        _ => return None,
    };
    Some(format!("{key} {answer}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kebab_case_of_variant_names() {
        assert_eq!(kebab("StartTlsInjection"), "start-tls-injection");
        assert_eq!(kebab("DataEnd"), "data-end");
        assert_eq!(kebab("Timeout"), "timeout");
        assert_eq!(kebab("XOAuth2"), "xo-auth2");
        assert_eq!(kebab("BdatLast"), "bdat-last");
    }

    #[test]
    fn prefix_words_match() {
        let rendered = "fatal timeout greeting";
        let words = |s: &str| s.split(' ').map(str::to_owned).collect::<Vec<_>>();
        assert!(matches(&words("fatal timeout"), rendered));
        assert!(matches(&words("fatal timeout greeting"), rendered));
        assert!(!matches(&words("fatal timeout mail"), rendered));
        assert!(!matches(&words("fatal timeout greeting x"), rendered));
    }
}
