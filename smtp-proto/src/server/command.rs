//! Parsing one command line into a typed [`Command`] (RFC 5321 §4.1.1, §4.1.2).

use crate::syntax::esmtp::{EsmtpError, MailParameters, RcptParameters};
use crate::syntax::{AddressError, ClientId, ForwardPath, ReversePath};

/// Which greeting a client sent (RFC 5321 §4.1.1.1, RFC 2033 §4.1 for LHLO).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HelloKind {
    /// `EHLO`: extended SMTP.
    Ehlo,
    /// `HELO`: plain SMTP.
    Helo,
    /// `LHLO`: LMTP.
    Lhlo,
}

/// A client command the application answers with a [`Reply`](super::Reply).
///
/// AUTH is not here: the [`Server`](super::Server) runs the SASL exchange itself and hands
/// over [`SaslCredentials`](super::SaslCredentials) instead.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// `EHLO`, `HELO` or `LHLO` with the client's identity (RFC 5321 §4.1.1.1).
    Hello {
        /// The verb used.
        kind: HelloKind,
        /// The domain or address literal the client named.
        client: ClientId,
    },
    /// `STARTTLS` (RFC 3207 §4).
    StartTls,
    /// `MAIL FROM:<path> [params]` (RFC 5321 §4.1.1.2).
    Mail {
        /// The reverse path, possibly null.
        from: ReversePath,
        /// The ESMTP parameters, typed where known (boxed: they are large and rare).
        params: Box<MailParameters>,
    },
    /// `RCPT TO:<path> [params]` (RFC 5321 §4.1.1.3).
    Rcpt {
        /// The forward path.
        to: ForwardPath,
        /// The ESMTP parameters, typed where known (boxed: they are large and rare).
        params: Box<RcptParameters>,
    },
    /// `DATA` (RFC 5321 §4.1.1.4); a 354 reply starts the body.
    Data,
    /// `BDAT n [LAST]` (RFC 3030 §2), reported once its `size` octets have been read.
    Bdat {
        /// The chunk's octet count.
        size: u64,
        /// Whether this is the last chunk.
        last: bool,
    },
    /// `RSET` (RFC 5321 §4.1.1.5).
    Rset,
    /// `NOOP [string]` (RFC 5321 §4.1.1.9).
    Noop,
    /// `VRFY string` (RFC 5321 §4.1.1.6).
    Vrfy(String),
    /// `QUIT` (RFC 5321 §4.1.1.10).
    Quit,
    /// A verb this server does not know that the application answers itself, listed in
    /// [`ServerConfig::extensions`](super::ServerConfig::extensions) (an `XFOO` or ETRN
    /// under test). Never produced by [`parse_command`], which refuses unknown verbs.
    Extension {
        /// The verb, upper-cased.
        verb: String,
        /// What follows the verb and its space, as sent (may be empty).
        args: String,
    },
}

/// A command line the server refuses; [`CommandError::reply_code`] says how.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// The line exceeds the configured limit (RFC 5321 §4.5.3.1.4: 512 plus ESMTP allowance).
    #[error("command line longer than {limit} octets")]
    LineTooLong {
        /// The limit in octets, CRLF included.
        limit: usize,
    },
    /// Not UTF-8, or a NUL or other control byte.
    #[error("command line has a control or non-UTF-8 byte at offset {at}")]
    BadByte {
        /// Byte offset.
        at: usize,
    },
    /// The verb is not one this server knows.
    #[error("unknown command {verb:?}")]
    Unknown {
        /// The verb as sent (truncated to 16 characters).
        verb: String,
    },
    /// The arguments do not follow the command's syntax.
    #[error("syntax error in {verb} arguments: {reason}")]
    Syntax {
        /// The verb.
        verb: &'static str,
        /// What was wrong.
        reason: &'static str,
    },
    /// The path does not parse (RFC 5321 §4.1.2).
    #[error("bad path or domain: {0}")]
    Address(#[from] AddressError),
    /// An ESMTP parameter does not parse (RFC 5321 §4.1.2).
    #[error("bad parameter: {0}")]
    Parameter(#[from] EsmtpError),
}

impl CommandError {
    /// The reply code the server answers with: 500 for unknown commands and overlong lines,
    /// 555 for unrecognised MAIL/RCPT parameters, 501 for other argument errors.
    pub fn reply_code(&self) -> u16 {
        match self {
            Self::LineTooLong { .. } | Self::Unknown { .. } | Self::BadByte { .. } => 500,
            Self::Parameter(_) => 555,
            _ => 501,
        }
    }
}

/// Parses one command line without its CRLF (RFC 5321 §4.1.1).
///
/// Verbs are case-insensitive; `MAIL FROM:` and `RCPT TO:` take no space before the path
/// (RFC 5321 §4.1.1.2). AUTH is parsed by [`super::parse_auth`].
///
/// ```
/// use smtp_proto::server::{Command, parse_command};
/// let cmd = parse_command(b"MAIL FROM:<a@example.org> SIZE=100")?;
/// let Command::Mail { from, params } = cmd else { panic!() };
/// assert_eq!(from.to_string(), "<a@example.org>");
/// assert_eq!(params.size, Some(100));
/// # Ok::<(), smtp_proto::server::CommandError>(())
/// ```
pub fn parse_command(line: &[u8]) -> Result<Command, CommandError> {
    let text = line_text(line)?;
    let (verb, rest) = split_verb(text);
    let upper = verb.to_ascii_uppercase();
    match upper.as_str() {
        "EHLO" => hello(HelloKind::Ehlo, "EHLO", rest),
        "HELO" => hello(HelloKind::Helo, "HELO", rest),
        "LHLO" => hello(HelloKind::Lhlo, "LHLO", rest),
        "STARTTLS" => bare(Command::StartTls, "STARTTLS", rest),
        "MAIL" => mail(rest),
        "RCPT" => rcpt(rest),
        "DATA" => bare(Command::Data, "DATA", rest),
        "BDAT" => bdat(rest),
        "RSET" => bare(Command::Rset, "RSET", rest),
        "NOOP" => Ok(Command::Noop),
        "VRFY" => vrfy(rest),
        "QUIT" => bare(Command::Quit, "QUIT", rest),
        _ => Err(CommandError::Unknown {
            verb: verb.chars().take(16).collect(),
        }),
    }
}

/// Checks the line is UTF-8 without control bytes (tab aside).
pub(crate) fn line_text(line: &[u8]) -> Result<&str, CommandError> {
    let bad = |at| CommandError::BadByte { at };
    let text = std::str::from_utf8(line).map_err(|e| bad(e.valid_up_to()))?;
    match text
        .bytes()
        .position(|b| b.is_ascii_control() && b != b'\t')
    {
        Some(at) => Err(bad(at)),
        None => Ok(text),
    }
}

/// Splits the verb from its arguments at the first space.
pub(crate) fn split_verb(text: &str) -> (&str, &str) {
    text.split_once(' ').unwrap_or((text, ""))
}

fn syntax(verb: &'static str, reason: &'static str) -> CommandError {
    CommandError::Syntax { verb, reason }
}

fn bare(cmd: Command, verb: &'static str, rest: &str) -> Result<Command, CommandError> {
    if rest.trim_end().is_empty() {
        Ok(cmd)
    } else {
        Err(syntax(verb, "takes no argument"))
    }
}

fn hello(kind: HelloKind, verb: &'static str, rest: &str) -> Result<Command, CommandError> {
    let arg = rest.trim_end();
    if arg.is_empty() {
        return Err(syntax(verb, "missing domain"));
    }
    Ok(Command::Hello {
        kind,
        client: arg.parse()?,
    })
}

fn vrfy(rest: &str) -> Result<Command, CommandError> {
    match rest.trim_end() {
        "" => Err(syntax("VRFY", "missing argument")),
        arg => Ok(Command::Vrfy(arg.to_owned())),
    }
}

/// Splits `<path>` from the parameters after it.
fn path_and_params<'a>(
    rest: &'a str,
    prefix: &str,
    verb: &'static str,
) -> Result<(&'a str, &'a str), CommandError> {
    let head = rest
        .get(..prefix.len())
        .filter(|h| h.eq_ignore_ascii_case(prefix));
    let tail = match (head, rest.get(prefix.len()..)) {
        (Some(_), Some(tail)) => tail,
        _ => return Err(syntax(verb, "expected FROM:/TO: and a path")),
    };
    let end = path_end(tail).ok_or(syntax(verb, "path without closing '>'"))?;
    let (path, params) = tail.split_at(end + 1);
    match params.strip_prefix(' ') {
        Some(p) => Ok((path, p.trim_end())),
        None if params.trim_end().is_empty() => Ok((path, "")),
        None => Err(syntax(verb, "expected a space after the path")),
    }
}

/// The offset of the `>` that closes the path: the first one after the local part, which
/// may be a quoted string holding `>` (`"a>b"@x.test`, RFC 5321 §4.1.2; a backslash escapes
/// the next octet). Only a local part opens a quoted string: a `"` elsewhere (a general
/// address literal may hold one, §4.1.3) is an ordinary octet.
fn path_end(tail: &str) -> Option<usize> {
    let bytes = tail.as_bytes();
    // The local part starts after `<`, and after a source route (`<@a,@b:`), which holds
    // no `>` (RFC 5321 §4.1.2 A-d-l).
    let mut start = usize::from(bytes.first() == Some(&b'<'));
    if bytes.get(start) == Some(&b'@') {
        let first_close = tail.find('>')?;
        start = tail
            .get(..first_close)?
            .find(':')
            .map_or(start, |colon| colon + 1);
    }
    let mut after_local = start;
    if bytes.get(start) == Some(&b'"') {
        after_local += 1;
        loop {
            match bytes.get(after_local)? {
                b'\\' => after_local += 2,
                b'"' => break after_local += 1,
                _ => after_local += 1,
            }
        }
    }
    tail.get(after_local..)?.find('>').map(|i| after_local + i)
}

#[cfg(test)]
mod path_end_tests {
    use super::path_end;

    #[test]
    fn the_path_ends_at_the_first_bracket_after_the_local_part() {
        for (tail, end) in [
            ("<a@x.test>", Some(9)),
            ("<> SIZE=1", Some(1)),
            (r#"<"a>b"@x.test> SIZE=1"#, Some(13)),
            (r#"<"a\"> b"@x.test>"#, Some(16)),
            (r#"<"ab\"x">"#, Some(8)),
            (r#"<"a>">"#, Some(5)),
            (r#"<a@[x-tag:a"b]> SIZE=1"#, Some(14)),
            (r#"<@r1,@r2:"a>b"@x.test>"#, Some(21)),
            ("<@r1>", Some(4)),
            (r#"<"a>b@x.test"#, None),
            (r#"<"a\"#, None),
            ("<a@x.test", None),
        ] {
            assert_eq!(path_end(tail), end, "{tail}");
        }
    }

    /// A path the crate's own client writes is one its server reads.
    #[test]
    fn a_quote_in_a_general_address_literal_is_an_ordinary_octet() {
        use super::{Command, parse_command};
        let mailbox: crate::syntax::Mailbox = "a@[x-tag:a\"b]".parse().unwrap();
        let line = format!("MAIL FROM:<{mailbox}> SIZE=10");
        let Ok(Command::Mail { from, params }) = parse_command(line.as_bytes()) else {
            panic!("{line} refused");
        };
        assert_eq!(from.to_string(), format!("<{mailbox}>"));
        assert_eq!(params.size, Some(10));
    }
}

fn mail(rest: &str) -> Result<Command, CommandError> {
    let (path, params) = path_and_params(rest, "FROM:", "MAIL")?;
    Ok(Command::Mail {
        from: path.parse()?,
        params: Box::new(params.parse()?),
    })
}

fn rcpt(rest: &str) -> Result<Command, CommandError> {
    let (path, params) = path_and_params(rest, "TO:", "RCPT")?;
    Ok(Command::Rcpt {
        to: path.parse()?,
        params: Box::new(params.parse()?),
    })
}

fn bdat(rest: &str) -> Result<Command, CommandError> {
    let mut words = rest.trim_end().split(' ');
    let size = words
        .next()
        .filter(|w| !w.is_empty() && w.len() <= 19 && w.bytes().all(|b| b.is_ascii_digit()));
    let size = size
        .and_then(|w| w.parse().ok())
        .ok_or(syntax("BDAT", "expected a chunk size"))?;
    let last = match words.next() {
        None => false,
        Some(w) if w.eq_ignore_ascii_case("LAST") => true,
        Some(_) => return Err(syntax("BDAT", "expected LAST or nothing after the size")),
    };
    match words.next() {
        None => Ok(Command::Bdat { size, last }),
        Some(_) => Err(syntax("BDAT", "too many arguments")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_verbs_any_case() {
        assert_eq!(parse_command(b"quit").unwrap(), Command::Quit);
        assert_eq!(parse_command(b"Data").unwrap(), Command::Data);
        assert_eq!(parse_command(b"NOOP hello").unwrap(), Command::Noop);
        assert_eq!(
            parse_command(b"BDAT 10 last").unwrap(),
            Command::Bdat {
                size: 10,
                last: true
            }
        );
    }

    #[test]
    fn rejections_are_typed() {
        assert!(matches!(
            parse_command(b"FOO"),
            Err(CommandError::Unknown { .. })
        ));
        assert!(matches!(
            parse_command(b"DATA x"),
            Err(CommandError::Syntax { verb: "DATA", .. })
        ));
        assert_eq!(
            parse_command(b"vrfy Smith ").unwrap(),
            Command::Vrfy("Smith".into())
        );
        for line in ["VRFY", "VRFY ", "VRFY  "] {
            let error = parse_command(line.as_bytes()).unwrap_err();
            let (verb, reason) = ("VRFY", "missing argument");
            assert_eq!(error, CommandError::Syntax { verb, reason }, "{line:?}");
        }
        for verb in ["EHLO", "HELO", "LHLO"] {
            let error = parse_command(format!("{verb} ").as_bytes()).unwrap_err();
            let reason = "missing domain";
            assert_eq!(error, CommandError::Syntax { verb, reason }, "{verb}");
        }
        assert!(matches!(
            parse_command(b"MAIL FROM:<a@b> X=\x01"),
            Err(CommandError::BadByte { at: 18 })
        ));
        assert!(matches!(
            parse_command(b"MAIL FROM:<a@@b>"),
            Err(CommandError::Address(_))
        ));
        assert!(matches!(
            parse_command(b"MAIL FROM:<a@b> SIZE=x"),
            Err(CommandError::Parameter(_))
        ));
        // chunk-size is 1*DIGIT (RFC 3030 §2), at most 19 of them so that it fits a u64;
        // then LAST or nothing.
        assert_eq!(
            parse_command(b"BDAT 9999999999999999999 LAST").unwrap(),
            Command::Bdat {
                size: 9_999_999_999_999_999_999,
                last: true
            }
        );
        let size = "expected a chunk size";
        let after = "expected LAST or nothing after the size";
        for (line, reason) in [
            ("BDAT -1", size),
            ("BDAT +5", size),
            ("BDAT", size),
            ("BDAT 00000000000000000001", size),
            ("BDAT 5 LASTING", after),
            ("BDAT 5 LAST LAST", "too many arguments"),
        ] {
            let error = parse_command(line.as_bytes()).unwrap_err();
            let verb = "BDAT";
            assert_eq!(error, CommandError::Syntax { verb, reason }, "{line}");
        }
        assert!(matches!(
            parse_command(b"RCPT TO:<a@b>X"),
            Err(CommandError::Syntax { verb: "RCPT", .. })
        ));
    }

    #[test]
    fn null_reverse_path_and_rcpt_params() {
        let Command::Mail { from, .. } = parse_command(b"MAIL FROM:<>").unwrap() else {
            panic!()
        };
        assert!(from.is_null());
        let Command::Rcpt { to, params } =
            parse_command(b"rcpt to:<b@example.net> NOTIFY=NEVER").unwrap()
        else {
            panic!()
        };
        assert_eq!(to.to_string(), "<b@example.net>");
        assert!(!params.is_empty());
    }
}
