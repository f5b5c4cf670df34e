//! The command lines a [`Server`] received, kept on request with credentials redacted.

use super::Server;

/// What replaces a SASL response or an AUTH initial response in the kept lines.
const REDACTED: &str = "<redacted>";

impl Server {
    /// Keeps every command line received from now on (without CRLF, lossy UTF-8), for
    /// [`Server::take_lines`]: a test server's transcript. AUTH initial responses and SASL
    /// response lines are replaced by `<redacted>`, so no credential is ever kept; message
    /// bodies (DATA, BDAT chunks) are not lines.
    ///
    /// ```
    /// use smtp_proto::response::ReplyCode;
    /// use smtp_proto::server::{Reply, Server, ServerConfig};
    /// let mut server = Server::new(ServerConfig::default()).keep_lines();
    /// server.reply(Reply::new(ReplyCode::SERVICE_READY, "ready")?)?;
    /// server.handle_input(b"NOOP\r\nAUTH PLAIN AHRpbQBzZWNyZXQ=\r\n");
    /// while !matches!(server.poll_output(), smtp_proto::server::Output::NeedReply) {}
    /// server.reply(Reply::new(ReplyCode::OK, "ok")?)?;
    /// while !matches!(server.poll_output(), smtp_proto::server::Output::NeedReply) {}
    /// assert_eq!(server.take_lines(), ["NOOP", "AUTH PLAIN <redacted>"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn keep_lines(mut self) -> Self {
        self.lines = Some(Vec::new());
        self
    }

    /// The command lines kept since the last call (empty unless [`Server::keep_lines`]).
    pub fn take_lines(&mut self) -> Vec<String> {
        self.lines.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// Keeps `line` (CRLF included, as read) if lines are kept; `sasl` when it is a SASL
    /// response.
    pub(super) fn keep_line(&mut self, line: &[u8], sasl: bool) {
        let Some(lines) = self.lines.as_mut() else {
            return;
        };
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let text = String::from_utf8_lossy(line);
        lines.push(if sasl {
            REDACTED.to_owned()
        } else {
            redact_auth(&text)
        });
    }
}

/// `AUTH mechanism initial-response` keeps only the verb and the mechanism.
fn redact_auth(text: &str) -> String {
    let mut words = text.splitn(3, ' ');
    match (words.next(), words.next(), words.next()) {
        (Some(verb), Some(mechanism), rest) if verb.eq_ignore_ascii_case("AUTH") => match rest {
            Some(_) => format!("{verb} {mechanism} {REDACTED}"),
            None => format!("{verb} {mechanism}"),
        },
        _ => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::{Output, Reply, ServerConfig};
    use super::*;

    #[test]
    fn sasl_responses_are_kept_redacted_and_lines_only_on_request() {
        let mut server = Server::new(ServerConfig::default()).keep_lines();
        server.reply("220 ready".parse::<Reply>().unwrap()).unwrap();
        server.handle_input(b"AUTH LOGIN\r\ndGlt\r\nc2VjcmV0\r\nnoop x\n");
        while !matches!(server.poll_output(), Output::NeedReply | Output::NeedInput) {}
        assert_eq!(
            server.take_lines(),
            ["AUTH LOGIN", "<redacted>", "<redacted>"]
        );
        server.reply("535 no".parse::<Reply>().unwrap()).unwrap();
        while !matches!(server.poll_output(), Output::NeedReply | Output::NeedInput) {}
        // A line ending in a bare LF is kept (and refused by the server).
        assert_eq!(server.take_lines(), ["noop x"]);
        assert!(server.take_lines().is_empty());

        let mut quiet = Server::new(ServerConfig::default());
        quiet.reply("220 ready".parse::<Reply>().unwrap()).unwrap();
        quiet.handle_input(b"NOOP\r\n");
        while !matches!(quiet.poll_output(), Output::NeedReply | Output::NeedInput) {}
        assert!(quiet.take_lines().is_empty());
    }

    #[test]
    fn auth_responses_are_redacted_and_other_lines_kept() {
        assert_eq!(redact_auth("AUTH LOGIN"), "AUTH LOGIN");
        assert_eq!(redact_auth("auth plain AHRpbQ=="), "auth plain <redacted>");
        assert_eq!(redact_auth("MAIL FROM:<a@b>"), "MAIL FROM:<a@b>");
        assert_eq!(redact_auth("AUTHX y z"), "AUTHX y z");
    }
}
