//! The line grammar of transcripts: items, directives, actions, durations.

use std::time::Duration;

use super::escape::unescape;
use super::script::{Action, Item};

pub(crate) fn parse_item(raw: &str) -> Result<Item, String> {
    let (prefix, rest) = match (raw.get(..2), raw.get(2..)) {
        (Some(prefix), Some(rest)) => (prefix, rest),
        _ => (raw, ""),
    };
    let text = || match rest {
        "" => Ok(Vec::new()),
        _ => rest
            .strip_prefix(' ')
            .ok_or_else(|| format!("a space must follow {prefix:?}"))
            .and_then(unescape),
    };
    let line = || {
        text().map(|mut bytes| {
            bytes.extend_from_slice(b"\r\n");
            bytes
        })
    };
    let raw_bytes = || {
        text().and_then(|bytes| match bytes.is_empty() {
            true => Err(format!("{prefix:?} needs octets")),
            false => Ok(bytes),
        })
    };
    Ok(match prefix {
        "S:" => Item::Server(line()?),
        "S+" => Item::Server(raw_bytes()?),
        "C:" => Item::Client(line()?),
        "C+" => Item::Client(raw_bytes()?),
        "B:" => Item::Body(line()?),
        "L:" => Item::Log(rest.strip_prefix(' ').unwrap_or(rest).to_owned()),
        "B+" => Item::Body(raw_bytes()?),
        "> " => Item::Action(parse_action(rest)?),
        "= " => Item::Expect(words(rest)?),
        "? " => Item::Check(words(rest)?),
        "! " => parse_directive(rest)?,
        _ if raw.starts_with("@+") => Item::Wait(parse_duration(raw.get(2..).unwrap_or_default())?),
        _ if raw.starts_with('@') => Item::At(parse_duration(raw.get(1..).unwrap_or_default())?),
        _ => return Err(format!("unknown line {raw:?}")),
    })
}

fn words(rest: &str) -> Result<Vec<String>, String> {
    let words: Vec<String> = rest.split_whitespace().map(str::to_owned).collect();
    match words.is_empty() {
        true => Err("an outcome or check needs words".into()),
        false => Ok(words),
    }
}

fn parse_directive(rest: &str) -> Result<Item, String> {
    let mut words = rest.split_whitespace();
    let item = match (words.next(), words.next()) {
        (Some("eof"), None) => Item::Eof,
        (Some("cut"), None) => Item::Cut,
        (Some("tls"), None) => Item::Tls,
        (Some("body-end"), None) => Item::BodyEnd,
        (Some("wait"), Some(d)) => Item::Wait(parse_duration(d)?),
        (Some("deadline"), Some(d)) => Item::Deadline(parse_duration(d)?),
        _ => return Err(format!("unknown directive {rest:?}")),
    };
    match words.next() {
        Some(extra) => Err(format!("unexpected {extra:?} after the directive")),
        None => Ok(item),
    }
}

/// `name positional key=value key="quoted value"`.
fn parse_action(rest: &str) -> Result<Action, String> {
    let mut tokens = tokenize(rest)?.into_iter();
    let name = tokens.next().ok_or("an action needs a name")?;
    let mut action = Action {
        name,
        positional: Vec::new(),
        named: Vec::new(),
    };
    for token in tokens {
        match token.split_once('=') {
            Some((key, value)) if !key.is_empty() && !key.contains(['<', '"']) => action
                .named
                .push((key.to_owned(), unescape(value.trim_matches('"'))?)),
            _ => action.positional.push(unescape(token.trim_matches('"'))?),
        }
    }
    Ok(action)
}

/// Splits on spaces outside double quotes (quotes kept, for the caller to strip).
fn tokenize(rest: &str) -> Result<Vec<String>, String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut escaped = false;
    for c in rest.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => quoted = !quoted,
            ' ' if !quoted => {
                if !current.is_empty() {
                    tokens.push(std::mem::take(&mut current));
                }
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if quoted {
        return Err("unterminated quote".into());
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    Ok(tokens)
}

/// `300s`, `2m`, `150ms`, `1h`.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("bad duration {text:?}"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n.saturating_mul(60))),
        "h" => Ok(Duration::from_secs(n.saturating_mul(3600))),
        _ => Err(format!("duration {text:?} needs a unit: ms, s, m or h")),
    }
}

pub(crate) fn parse_choice(value: &str, yes: &str, no: &str) -> Result<bool, String> {
    match value {
        v if v == yes => Ok(true),
        v if v == no => Ok(false),
        _ => Err(format!("expected {yes} or {no}, not {value:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Script;

    #[test]
    fn lines_and_settings() {
        let text = "# covers: RFC 5321 §4.2\n# bug: nothing\n# more\n% timeout=10s protocol=lmtp\n\
                    > ehlo client.example\nC: EHLO client.example\nS: 250-a\nS+ 250 b\\n\n\
                    @+11s\n! eof\n= fatal timeout hello\n";
        let script = Script::parse("t", text).unwrap();
        assert_eq!(script.bug(), Some("nothing more"));
        assert_eq!(script.covers(), ["RFC 5321 §4.2"]);
        assert_eq!(script.config().timeouts.mail, Duration::from_secs(10));
        let items: Vec<_> = script.lines().iter().map(|l| l.item.clone()).collect();
        assert_eq!(items.get(2), Some(&Item::Server(b"250-a\r\n".to_vec())));
        assert_eq!(items.get(3), Some(&Item::Server(b"250 b\n".to_vec())));
        assert_eq!(items.get(4), Some(&Item::Wait(Duration::from_secs(11))));
        assert_eq!(script.lines().get(3).map(|l| l.number), Some(8));
    }

    #[test]
    fn actions_take_positional_and_named_values() {
        let Item::Action(action) =
            parse_item(r#"> send_mail from=<a@x> to=<b@y>,<c@y> body="Hi\r\nthere" extra"#)
                .unwrap()
        else {
            panic!()
        };
        assert_eq!(action.name, "send_mail");
        assert_eq!(action.value("body"), Some(&b"Hi\r\nthere"[..]));
        assert_eq!(action.text("to").as_deref(), Some("<b@y>,<c@y>"));
        assert_eq!(action.arg(0).as_deref(), Some("extra"));
    }

    #[test]
    fn errors_name_the_line() {
        let error = Script::parse("x.smtp", "S: ok\nQ: what\n").unwrap_err();
        assert_eq!(error.to_string(), "x.smtp:2: unknown line \"Q: what\"");
        assert!(Script::parse("x", "S+\n").is_err());
        assert!(Script::parse("x", "> noop\n% timeout=1s\n").is_err());
        assert!(Script::parse("x", "! wait 5\n").is_err());
    }
}
