//! An in-memory server that accepts everything: for benchmarks, allocation counts and
//! downstream tests that need a fast, well-behaved peer rather than a script.

/// Answers every command line the client writes, in order, without allocating once warm:
/// 220 greeting, the given EHLO reply, 250 to MAIL/RCPT/RSET/NOOP and the rest, 354 to DATA,
/// 250 to the end of data and to each BDAT chunk, 221 to QUIT.
///
/// It reads the client's octets as a server would: lines, a dot-stuffed body after 354,
/// counted BDAT chunks.
///
/// ```
/// use smtp_proto::testing::AutoResponder;
///
/// let mut server = AutoResponder::new(b"250-mx.example\r\n250 PIPELINING\r\n");
/// let mut replies = Vec::new();
/// server.greet(&mut replies);
/// server.read(b"EHLO me\r\nMAIL FROM:<>\r\nRCPT TO:<a@b.example>\r\nDATA\r\nhi\r\n.\r\n", &mut replies);
/// assert_eq!(
///     replies,
///     b"220 mx.example ESMTP\r\n250-mx.example\r\n250 PIPELINING\r\n250 2.1.0 ok\r\n\
///       250 2.1.5 ok\r\n354 go ahead\r\n250 2.0.0 queued\r\n"
/// );
/// ```
#[derive(Debug, Clone)]
pub struct AutoResponder {
    ehlo: Vec<u8>,
    state: State,
    /// A line cut by a read boundary.
    partial: Vec<u8>,
    /// Messages accepted so far.
    messages: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Commands,
    Data,
    Chunk { remaining: u64, last: bool },
}

impl AutoResponder {
    /// A server whose EHLO reply is `ehlo` (complete, CRLF-terminated lines).
    pub fn new(ehlo: &[u8]) -> Self {
        Self {
            ehlo: ehlo.to_vec(),
            state: State::Commands,
            partial: Vec::with_capacity(1024),
            messages: 0,
        }
    }

    /// Appends the greeting.
    pub fn greet(&self, replies: &mut Vec<u8>) {
        replies.extend_from_slice(b"220 mx.example ESMTP\r\n");
    }

    /// How many messages were accepted (end of data or BDAT LAST).
    pub fn messages(&self) -> u64 {
        self.messages
    }

    /// Reads octets the client wrote, appending the replies they call for.
    pub fn read(&mut self, mut bytes: &[u8], replies: &mut Vec<u8>) {
        while !bytes.is_empty() {
            if let State::Chunk { remaining, last } = self.state {
                let take = usize::try_from(remaining)
                    .unwrap_or(usize::MAX)
                    .min(bytes.len());
                bytes = bytes.get(take..).unwrap_or_default();
                let remaining = remaining - take as u64;
                self.state = State::Chunk { remaining, last };
                if remaining == 0 {
                    self.state = State::Commands;
                    if last {
                        self.messages += 1;
                        replies.extend_from_slice(b"250 2.0.0 queued\r\n");
                    } else {
                        replies.extend_from_slice(b"250 2.0.0 chunk ok\r\n");
                    }
                }
                continue;
            }
            let (line, rest) = match memchr::memchr(b'\n', bytes) {
                Some(end) => bytes.split_at(end + 1),
                None => {
                    self.partial.extend_from_slice(bytes);
                    return;
                }
            };
            bytes = rest;
            if self.partial.is_empty() {
                self.line(line, replies);
            } else {
                let mut whole = std::mem::take(&mut self.partial);
                whole.extend_from_slice(line);
                self.line(&whole, replies);
                whole.clear();
                self.partial = whole;
            }
        }
    }

    fn line(&mut self, line: &[u8], replies: &mut Vec<u8>) {
        if self.state == State::Data {
            if line == b".\r\n" {
                self.state = State::Commands;
                self.messages += 1;
                replies.extend_from_slice(b"250 2.0.0 queued\r\n");
            }
            return;
        }
        let verb = line.get(..4).unwrap_or_default().to_ascii_uppercase();
        match &verb[..] {
            b"EHLO" | b"LHLO" => replies.extend_from_slice(&self.ehlo),
            b"MAIL" => replies.extend_from_slice(b"250 2.1.0 ok\r\n"),
            b"RCPT" => replies.extend_from_slice(b"250 2.1.5 ok\r\n"),
            b"DATA" => {
                self.state = State::Data;
                replies.extend_from_slice(b"354 go ahead\r\n");
            }
            b"BDAT" => {
                let mut words = line.split(|&b| b == b' ' || b == b'\r' || b == b'\n');
                let size = words
                    .nth(1)
                    .and_then(|w| std::str::from_utf8(w).ok())
                    .and_then(|w| w.parse().ok())
                    .unwrap_or(0);
                let last = words.any(|w| w.eq_ignore_ascii_case(b"LAST"));
                if size > 0 {
                    self.state = State::Chunk {
                        remaining: size,
                        last,
                    };
                } else if last {
                    self.messages += 1;
                    replies.extend_from_slice(b"250 2.0.0 queued\r\n");
                } else {
                    replies.extend_from_slice(b"250 2.0.0 chunk ok\r\n");
                }
            }
            b"QUIT" => replies.extend_from_slice(b"221 2.0.0 bye\r\n"),
            _ => replies.extend_from_slice(b"250 2.0.0 ok\r\n"),
        }
    }
}
