//! Transcripts: scripted SMTP conversations replayed against the core (feature `testing`).
//!
//! A transcript is a text file (`tests/transcripts/*.smtp`) that says, line by line, what
//! the caller does, what the server sends, the exact octets the client must write, and what
//! comes out. [`Script::parse`] reads one; [`Script::replay_all`] replays it against the core
//! [`Client`](crate::client::Client) on virtual time three ways ([`Delivery`]): each server
//! line as one read, one octet at a time, and each run of server lines as one read. The
//! outcome must not depend on how the network cut the octets. Adapters replay the same
//! files over their mock streams with [`Script::turns`] (or [`Script::io_events`]),
//! [`command`], the `render_*` functions and [`outcome_matches`].
//!
//! # The format
//!
//! One item per line; blank lines are ignored; the first two characters say what a line is.
//!
//! | line | meaning |
//! |---|---|
//! | `# text` | a comment; `# covers: ...` names the SECURITY.md class or RFC section; `# bug: ...` marks a known core bug (comment lines right after it continue the note): the file is skipped and counted |
//! | `% key=value ...` | a client setting, before the first action: `tls=implicit`, `protocol=lmtp`, `max-group=N`, `timeout=DUR` (every deadline), `timeout.greeting=DUR` (also `mail`, `rcpt`, `data-init`, `data-end`, `bdat`, `other`, `write`), `max-line-len=N`, `max-reply-len=N`, `max-lines=N` |
//! | `> name args` | the caller starts a command (see [`command`]); arguments are words, `key=value`, or `"quoted with spaces"` |
//! | `S: text` | the server sends `text` and CRLF |
//! | `S+ text` | the server sends `text` alone (no CRLF): a bare LF is `S+ 250 ok\n`, half a reply `S+ 25` |
//! | `C: text` | the client writes `text` and CRLF, exactly, next |
//! | `C+ text` | the client writes `text` alone, next |
//! | `L: text` | the next line of the client's redacted log ([`Transmit::redacted`](crate::client::Transmit::redacted)) is exactly `text`: the running command's log lines are checked in order from its first, the rest may go unchecked |
//! | `B: text` / `B+ text` | the caller hands this piece of a streamed body (with / without CRLF) |
//! | `! body-end` | the caller ends the streamed body |
//! | `! tls` | the TLS handshake the client asked for completes |
//! | `! eof` | the server closes the connection |
//! | `! cut` | the client's write fails here: the stream accepted the `C:` octets before it and none of the rest of that write (lost, not shown); the client then reads the `S:` lines that follow, up to a `! eof` that must come ([`Exchange::handle_write_error`](crate::client::Exchange::handle_write_error)) |
//! | `! wait 301s` or `@+301s` | virtual time passes (`ms`, `s`, `m`, `h`); `@301s` sets it (from the start) |
//! | `! deadline 300s` | the client now waits for input until this time (from the start) |
//! | `= words` | one line of the outcome of the running command, in order |
//! | `? words` | a fact about the session, between commands: `tls yes`, `hello ehlo`/`helo`/`none`, `authenticated PLAIN`/`none`, `transaction no`, `closed no`, `usable yes`, `protocol lmtp`, `greeting 220`, `supports PIPELINING yes` |
//!
//! Text after `S:`, `C:`, `B:` (and in action values) is taken exactly, with backslash
//! escapes: `\r`, `\n`, `\t`, `\0`, `\s` (space), `\\`, `\*`, `\}`, `\xHH`, and `\{TEXT*N}`
//! for `TEXT` repeated `N` times (no nesting). See [`unescape`].
//!
//! # Outcomes
//!
//! When a command finishes, its outcome is one or more lines of words, and the transcript's
//! `=` lines must match them all, in order: an expected line matches when its words are the
//! first words of the outcome line (`= fatal timeout` matches `fatal timeout greeting`).
//!
//! - a success: as the action renders it, `ok CODE` for a single reply;
//! - a refusal or other [`LogicError`](crate::command::LogicError):
//!   [`render_logic_error`], e.g. `refused 550 RCPT`, `no-mechanism`;
//! - a fatal [`ProtocolError`](crate::error::ProtocolError): [`render_protocol_error`], e.g.
//!   `fatal start-tls-injection`, `fatal timeout data-end`, `fatal service-closing 421`;
//! - after an error, the lines the command still reports ([`ScriptCmd::report`]).
//! - an argument the library refuses while the command is built ([`ActionError::Refused`]):
//!   `argument-refused KIND`, e.g. `argument-refused invalid-char` for a CR LF in an address.
//!
//! # How the engine replays
//!
//! Octets the client writes are collected; each `C:` line must match the next of them
//! exactly; at any other line none may be left unmatched. So the order of `C:` and `S:`
//! lines is itself checked: a pipelined group is all `C:` lines before all `S:` replies. A
//! server run is delivered as [`Delivery`] says, polling after each delivery as the driver's
//! rule demands. A command that finishes before the server octets of its run are all
//! delivered is an error of the transcript (put the `=` lines before them: what follows goes
//! to the idle client); after a fatal error the rest of the run and a following `! eof` are
//! dropped, as a dead connection reads nothing. Virtual time starts at the instant given to
//! [`Script::replay`]; a wait that reaches the awaited deadline calls `handle_timeout`.
//!
//! ```
//! use std::time::Instant;
//! use smtp_proto::testing::Script;
//!
//! let text = "\
//! ## covers: RFC 5321 §4.2: a code-only reply line is valid
//! > line XPING
//! C: XPING
//! S: 250
//! = ok 250
//! ? usable yes
//! ";
//! Script::parse("code-only.smtp", text)?.replay_all(Instant::now())?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod actions;
mod escape;
mod failure;
mod line;
mod mail;
mod parse;
mod render;
mod replay;
mod responder;
mod script;
mod session;
mod turns;

pub use actions::{ActionError, ScriptCmd, ScriptCommand, command};
pub use escape::{escape, unescape};
pub use failure::{Delivery, Failure};
pub use render::{render_logic_error, render_ok, render_protocol_error};
pub use responder::AutoResponder;
pub use script::{Action, Item, Line, ParseError, Script};
pub use turns::{IoEvent, Turn, outcome_matches};

#[cfg(test)]
mod tests;
