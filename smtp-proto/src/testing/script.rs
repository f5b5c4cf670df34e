//! A transcript file parsed into its lines: what each side sends, what the caller does, and
//! what must come out.

use std::fmt;
use std::num::NonZeroUsize;
use std::time::Duration;

use crate::client::{Client, ClientConfig, Protocol};

use super::parse::{parse_choice, parse_duration, parse_item};

/// One parsed transcript: its configuration and its lines, in order.
///
/// See the [module docs](super) for the format.
#[derive(Clone, Debug)]
pub struct Script {
    name: String,
    lines: Vec<Line>,
    config: ClientConfig,
    implicit_tls: bool,
    protocol: Protocol,
    bug: Option<String>,
    covers: Vec<String>,
}

/// One meaningful line of a transcript, with its line number (from 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// The line number in the file, from 1.
    pub number: usize,
    /// What the line says.
    pub item: Item,
}

/// What a transcript line says.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Item {
    /// `S: text` (CRLF appended) or `S+ raw` (nothing appended): octets the server sends.
    Server(Vec<u8>),
    /// `C: text` or `C+ raw`: octets the client must write next, exactly.
    Client(Vec<u8>),
    /// `L: text`: the next line of the client's redacted transmit log, exactly (optional
    /// checks: log lines no `L:` line asks for are not compared).
    Log(String),
    /// `B: text` or `B+ raw`: the next piece of a streamed body, handed to the client.
    Body(Vec<u8>),
    /// `! body-end`: the streamed body is complete.
    BodyEnd,
    /// `> name args`: the caller starts a command.
    Action(Action),
    /// `= words`: one line of the expected outcome of the running command.
    Expect(Vec<String>),
    /// `? words`: a fact about the session between commands (`? tls yes`).
    Check(Vec<String>),
    /// `! eof`: the server closes the connection.
    Eof,
    /// `! cut`: the client's write fails here. The stream accepted the `C:` octets before
    /// this line and none of the rest of that write; the server octets after it are what
    /// the client still reads, up to a `! eof` (the transmit's rest is lost and not shown).
    Cut,
    /// `! tls`: the TLS handshake the client asked for completed.
    Tls,
    /// `! wait 30s` or `@+30s`: virtual time advances.
    Wait(Duration),
    /// `@300s`: virtual time is now this long after the start.
    At(Duration),
    /// `! deadline 300s`: the client waits for input until this time after the start.
    Deadline(Duration),
}

/// An API action: `> name positional key=value ...`, values in transcript escapes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Action {
    /// The action's name (`ehlo`, `send_mail`, ...).
    pub name: String,
    /// Arguments without `=`, in order.
    pub positional: Vec<Vec<u8>>,
    /// `key=value` arguments, in order.
    pub named: Vec<(String, Vec<u8>)>,
}

impl Action {
    /// The value of `key`, if given.
    pub fn value(&self, key: &str) -> Option<&[u8]> {
        self.named
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_slice())
    }

    /// The value of `key` as text.
    pub fn text(&self, key: &str) -> Option<String> {
        self.value(key)
            .map(|v| String::from_utf8_lossy(v).into_owned())
    }

    /// The positional argument at `index` as text.
    pub fn arg(&self, index: usize) -> Option<String> {
        self.positional
            .get(index)
            .map(|v| String::from_utf8_lossy(v).into_owned())
    }
}

/// A transcript that cannot be parsed: where and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// The transcript's name.
    pub name: String,
    /// The line number, from 1.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.name, self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

impl Script {
    /// Parses a transcript; `name` (the file name) appears in every error.
    ///
    /// ```
    /// use smtp_proto::testing::Script;
    ///
    /// let script = Script::parse("noop.smtp", "> line NOOP\nC: NOOP\nS: 250 ok\n= ok 250\n")?;
    /// assert_eq!(script.lines().len(), 4);
    /// # Ok::<(), smtp_proto::testing::ParseError>(())
    /// ```
    pub fn parse(name: &str, text: &str) -> Result<Self, ParseError> {
        let mut script = Script {
            name: name.to_owned(),
            lines: Vec::new(),
            config: ClientConfig::default(),
            implicit_tls: false,
            protocol: Protocol::Smtp,
            bug: None,
            covers: Vec::new(),
        };
        let mut in_bug = false;
        for (index, raw) in text.lines().enumerate() {
            let number = index + 1;
            let error = |message: String| ParseError {
                name: name.to_owned(),
                line: number,
                message,
            };
            let raw = raw.strip_suffix('\r').unwrap_or(raw);
            if let Some(comment) = raw.strip_prefix('#') {
                in_bug = script.comment(comment.trim(), in_bug);
                continue;
            }
            in_bug = false;
            if raw.trim().is_empty() {
                continue;
            }
            if let Some(setting) = raw.strip_prefix("% ") {
                if script
                    .lines
                    .iter()
                    .any(|l| matches!(l.item, Item::Action(_)))
                {
                    return Err(error(
                        "settings (%) must come before the first action".into(),
                    ));
                }
                script.setting(setting).map_err(error)?;
                continue;
            }
            let item = parse_item(raw).map_err(error)?;
            script.lines.push(Line { number, item });
        }
        Ok(script)
    }

    /// Takes a comment; returns whether it belongs to a `# bug:` note, whose following
    /// comment lines continue it.
    fn comment(&mut self, text: &str, in_bug: bool) -> bool {
        if let Some(bug) = text.strip_prefix("bug:") {
            self.bug = Some(bug.trim().to_owned());
            true
        } else if let Some(covers) = text.strip_prefix("covers:") {
            self.covers.push(covers.trim().to_owned());
            false
        } else if let (true, Some(bug)) = (in_bug, self.bug.as_mut()) {
            bug.push(' ');
            bug.push_str(text);
            true
        } else {
            false
        }
    }

    fn setting(&mut self, setting: &str) -> Result<(), String> {
        for word in setting.split_whitespace() {
            let (key, value) = word
                .split_once('=')
                .ok_or_else(|| format!("setting {word:?} is not key=value"))?;
            let number = || {
                value
                    .parse::<usize>()
                    .map_err(|_| format!("{key} needs a number, not {value:?}"))
            };
            let timeouts = &mut self.config.timeouts;
            match key {
                "tls" => self.implicit_tls = parse_choice(value, "implicit", "plain")?,
                "protocol" => {
                    let lmtp = parse_choice(value, "lmtp", "smtp")?;
                    self.protocol = if lmtp { Protocol::Lmtp } else { Protocol::Smtp };
                }
                "max-group" => self.config.max_group = NonZeroUsize::new(number()?),
                "max-line-len" => {
                    self.config.reply_limits = self.config.reply_limits.with_max_line_len(number()?)
                }
                "max-reply-len" => {
                    self.config.reply_limits =
                        self.config.reply_limits.with_max_reply_len(number()?)
                }
                "max-lines" => {
                    self.config.reply_limits = self.config.reply_limits.with_max_lines(number()?)
                }
                "timeout" => *timeouts = crate::client::Timeouts::uniform(parse_duration(value)?),
                "timeout.greeting" => timeouts.greeting = parse_duration(value)?,
                "timeout.mail" => timeouts.mail = parse_duration(value)?,
                "timeout.rcpt" => timeouts.rcpt = parse_duration(value)?,
                "timeout.data-init" => timeouts.data_init = parse_duration(value)?,
                "timeout.data-end" => timeouts.data_end = parse_duration(value)?,
                "timeout.bdat" => timeouts.bdat = parse_duration(value)?,
                "timeout.other" => timeouts.other = parse_duration(value)?,
                "timeout.write" => timeouts.write = parse_duration(value)?,
                _ => return Err(format!("unknown setting {key:?}")),
            }
        }
        Ok(())
    }

    /// The transcript's name, as given to [`parse`](Self::parse).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The meaningful lines (comments, blank lines and settings removed).
    pub fn lines(&self) -> &[Line] {
        &self.lines
    }

    /// The client configuration from the `%` settings.
    pub fn config(&self) -> ClientConfig {
        self.config
    }

    /// A fresh client as the settings describe it (implicit TLS, LMTP).
    pub fn client(&self) -> Client {
        let client = if self.implicit_tls {
            Client::new_tls(self.config)
        } else {
            Client::new(self.config)
        };
        client.with_protocol(self.protocol)
    }

    /// The `# bug:` note: the transcript shows a known core bug and is skipped.
    pub fn bug(&self) -> Option<&str> {
        self.bug.as_deref()
    }

    /// The `# covers:` notes (SECURITY.md class, RFC section).
    pub fn covers(&self) -> &[String] {
        &self.covers
    }
}
