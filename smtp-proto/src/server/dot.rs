//! Undoing dot-stuffing after DATA (RFC 5321 §4.5.2), streaming and split-tolerant.

/// Where the decoder is within a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// At the start of a line (the first line of the body included).
    LineStart,
    /// A `.` at the start of a line, held back.
    Dot,
    /// `.` then CR at the start of a line: the end marker if LF follows.
    DotCr,
    /// Inside a line.
    Text,
    /// After a CR inside a line.
    Cr,
}

/// A streaming decoder of a dot-stuffed body: removes the leading `.` of stuffed lines and
/// stops at the end-of-data line `.` CRLF (RFC 5321 §4.5.2).
///
/// Only CRLF ends a line; a bare CR or LF is message content. Input may be split anywhere:
/// the decoder keeps a few bits of state, never a buffer.
///
/// ```
/// use smtp_proto::server::DotDecoder;
/// let mut dec = DotDecoder::new();
/// let mut out = Vec::new();
/// let (used, ended) = dec.decode(b"..hi\r\n.\r\nQUIT\r\n", &mut out);
/// assert_eq!((used, ended, &out[..]), (9, true, &b".hi\r\n"[..]));
/// ```
#[derive(Clone, Debug)]
pub struct DotDecoder {
    state: State,
    ended: bool,
}

impl Default for DotDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl DotDecoder {
    /// A decoder at the start of the body.
    pub fn new() -> Self {
        Self {
            state: State::LineStart,
            ended: false,
        }
    }

    /// Whether the end-of-data line was seen.
    pub fn is_ended(&self) -> bool {
        self.ended
    }

    /// Decodes `input`, appending the message bytes to `out`; returns how many input bytes
    /// were used and whether the end marker was reached (bytes after it are not used).
    pub fn decode(&mut self, input: &[u8], out: &mut Vec<u8>) -> (usize, bool) {
        if self.ended {
            return (0, true);
        }
        for (i, &byte) in input.iter().enumerate() {
            self.state = match (self.state, byte) {
                (State::LineStart, b'.') => State::Dot,
                (State::DotCr, b'\n') => {
                    self.ended = true;
                    return (i + 1, true);
                }
                // The held dot was stuffing (or a client's mistake): dropped either way.
                (State::DotCr, b'\r') => {
                    out.push(b'\r');
                    out.push(b'\r');
                    State::Cr
                }
                (State::DotCr, other) => {
                    out.push(b'\r');
                    out.push(other);
                    State::Text
                }
                (State::Dot, b'\r') => State::DotCr,
                (State::Cr, b'\n') => {
                    out.push(b'\n');
                    State::LineStart
                }
                (_, b'\r') => {
                    out.push(b'\r');
                    State::Cr
                }
                (_, other) => {
                    out.push(other);
                    State::Text
                }
            };
        }
        (input.len(), false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(input: &[u8]) -> (Vec<u8>, usize, bool) {
        let mut out = Vec::new();
        let (used, ended) = DotDecoder::new().decode(input, &mut out);
        (out, used, ended)
    }

    #[test]
    fn empty_body_is_only_the_marker() {
        assert_eq!(decode_all(b".\r\n"), (vec![], 3, true));
    }

    #[test]
    fn stuffed_lines_lose_one_dot() {
        let (out, _, ended) = decode_all(b"a\r\n..\r\n...x\r\n.\r\n");
        assert!(ended);
        assert_eq!(out, b"a\r\n.\r\n..x\r\n");
    }

    #[test]
    fn bare_lf_dot_is_not_the_end() {
        let (out, used, ended) = decode_all(b"a\n.\nb");
        assert!(!ended);
        assert_eq!((out, used), (b"a\n.\nb".to_vec(), 5));
    }

    #[test]
    fn split_anywhere_gives_the_same_bytes() {
        let input = b"x\r\n..y\r\n.\r\r\n.\r\nrest";
        let (whole, used, _) = decode_all(input);
        let mut dec = DotDecoder::new();
        let mut out = Vec::new();
        let mut total = 0;
        for b in input.chunks(1) {
            let (n, ended) = dec.decode(b, &mut out);
            assert_eq!(dec.is_ended(), ended);
            total += n;
            if ended {
                break;
            }
        }
        assert_eq!((&out, total), (&whole, used));
        // Once ended, the decoder takes nothing more.
        assert_eq!(dec.decode(b"more\r\n", &mut out), (0, true));
        assert_eq!((dec.is_ended(), out), (true, whole));
    }
}
