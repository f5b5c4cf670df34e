//! BDAT framing (RFC 3030 CHUNKING): a body cut into counted chunks.

use std::num::NonZeroUsize;

use super::canon::Canonicalizer;
use super::{BodyPolicy, BodySink, DataError};
use crate::command::Bdat;

/// How a BDAT body is treated (RFC 3030 §2, §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BdatMode {
    /// A text body (`BODY=7BIT` or `BODY=8BITMIME`): canonicalised as for DATA (CRLF line
    /// ends, NUL and line-length rules, strict option) but never dot-stuffed.
    Text(BodyPolicy),
    /// `BODY=BINARYMIME` (RFC 3030 §3): every octet passes unchanged.
    Binary,
}

/// Streaming BDAT framer (RFC 3030 §2).
///
/// Cuts the (canonical) body into chunks of the caller's size, each written as
/// `BDAT <n>` CRLF followed by exactly n octets; the last chunk is `BDAT <n> LAST`. The
/// counts are of the octets actually sent, so in text mode they are counted after
/// canonicalisation (a bare LF grows into CRLF), and a CR ending an input chunk is held
/// until the next octet shows whether it is bare.
///
/// Each `BDAT` line goes to the sink through [`BodySink::put_command`] and each chunk
/// through [`BodySink::put`], so a sink that tags its pieces (the client's outbox) can log
/// the lines as commands and the chunks as their sizes.
///
/// A full chunk is written only once the body is known to go on past it, so the final
/// chunk always carries `LAST` and `BDAT 0 LAST` is written only for an empty body or
/// after [`flush`](Self::flush). At most one chunk plus one canonicalised input chunk is
/// buffered.
///
/// # Errors and what the output holds
///
/// In text mode, the violations of [`DataError`] (NUL, line length, 8-bit in a 7-bit body,
/// bare CR/LF in strict mode). When [`encode`](Self::encode) or [`finish`](Self::finish)
/// returns an error, `out` is exactly as it was before the call: no chunk holding the
/// offending line's terminator, and no `LAST`, is ever written. The framer then returns the
/// same error for everything. The client sends no further chunk and resets with RSET.
///
/// ```
/// use std::num::NonZeroUsize;
/// use smtp_proto::data::{BdatEncoder, BdatMode, BodyPolicy};
///
/// let size = NonZeroUsize::new(4).unwrap();
/// let mut framer = BdatEncoder::new(size, BdatMode::Text(BodyPolicy::default()));
/// let mut out = Vec::new();
/// framer.encode(b"ab\ncd\r", &mut out)?;
/// assert_eq!(out, b"BDAT 4\r\nab\r\n"); // "cd" and the CR wait
/// framer.encode(b"\n.", &mut out)?;
/// framer.finish(&mut out)?;
/// assert_eq!(out, b"BDAT 4\r\nab\r\nBDAT 4\r\ncd\r\nBDAT 1 LAST\r\n.".as_slice());
/// # Ok::<(), smtp_proto::data::DataError>(())
/// ```
#[derive(Debug)]
pub struct BdatEncoder {
    chunk_size: NonZeroUsize,
    /// `None` in binary mode.
    canon: Option<Canonicalizer>,
    /// Canonical octets not yet framed.
    staged: Vec<u8>,
    error: Option<DataError>,
    /// Chunks written so far (each expects one reply).
    chunks: u64,
}

impl BdatEncoder {
    /// A framer writing chunks of `chunk_size` octets (the last may be shorter).
    pub fn new(chunk_size: NonZeroUsize, mode: BdatMode) -> Self {
        let canon = match mode {
            BdatMode::Text(policy) => Some(Canonicalizer::new(policy, false)),
            BdatMode::Binary => None,
        };
        Self {
            chunk_size,
            canon,
            staged: Vec::new(),
            error: None,
            chunks: 0,
        }
    }

    /// Takes the next piece of the body, appending every chunk it completes to `out`.
    pub fn encode<S: BodySink + ?Sized>(
        &mut self,
        input: &[u8],
        out: &mut S,
    ) -> Result<(), DataError> {
        self.stage(input)?;
        self.write_full_chunks(out);
        Ok(())
    }

    /// Writes every octet taken so far (canonicalised) as a chunk without `LAST`, even a
    /// short one: for a source that stalls, so that what it gave can leave now.
    ///
    /// A CR at the end of the input so far stays held, since its canonical form is not yet
    /// known. Nothing is written when nothing is staged. After a flush, [`finish`](Self::finish)
    /// may have nothing left to send and writes `BDAT 0 LAST`, the RFC 3030 §2 way to end a
    /// body whose length was not known in advance.
    pub fn flush<S: BodySink + ?Sized>(&mut self, out: &mut S) -> Result<(), DataError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        self.write_full_chunks(out);
        if !self.staged.is_empty() {
            write_bdat_command(self.staged.len(), false, out);
            self.chunks += 1;
            out.put(&self.staged);
            self.staged.clear();
        }
        Ok(())
    }

    /// Ends the body: writes the remaining chunks, the last with `LAST`.
    pub fn finish<S: BodySink + ?Sized>(self, out: &mut S) -> Result<(), DataError> {
        self.finish_counted(out).map(|_| ())
    }

    /// Chunks written so far; each is answered by one reply (RFC 3030 §2).
    pub fn chunks_written(&self) -> u64 {
        self.chunks
    }

    /// As [`finish`](Self::finish), returning how many chunks this call wrote (at least
    /// one: the `LAST` chunk), so that a client knows how many replies to expect.
    pub fn finish_counted<S: BodySink + ?Sized>(mut self, out: &mut S) -> Result<u64, DataError> {
        let before = self.chunks;
        if let Some(error) = self.error {
            return Err(error);
        }
        if let Some(canon) = &mut self.canon {
            canon.finish(&mut self.staged)?;
        }
        self.write_full_chunks(out);
        write_bdat_command(self.staged.len(), true, out);
        out.put(&self.staged);
        Ok(self.chunks - before + 1)
    }

    fn stage(&mut self, input: &[u8]) -> Result<(), DataError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let result = match &mut self.canon {
            Some(canon) => canon.feed(input, &mut self.staged),
            None => {
                self.staged.extend_from_slice(input);
                Ok(())
            }
        };
        if let Err(error) = result {
            self.error = Some(error);
            // Octets before the violation are never sent: no chunk is written after it.
            self.staged = Vec::new();
        }
        result
    }

    /// Writes full chunks while more octets follow them, keeping the last (possibly full)
    /// one for `finish` or the next call.
    fn write_full_chunks<S: BodySink + ?Sized>(&mut self, out: &mut S) {
        let size = self.chunk_size.get();
        let mut rest = self.staged.as_slice();
        if rest.len() <= size {
            return;
        }
        out.reserve(rest.len().saturating_add(16 * (rest.len() / size)));
        while rest.len() > size {
            let (chunk, tail) = rest.split_at(size);
            write_bdat_command(size, false, out);
            self.chunks += 1;
            out.put(chunk);
            rest = tail;
        }
        let framed = self.staged.len().saturating_sub(rest.len());
        self.staged.drain(..framed);
    }
}

/// Writes `BDAT <size>[ LAST]` CRLF (RFC 3030 §2) with the command module's encoder, as a
/// command line ([`BodySink::put_command`]): it is a command, the octets after it are not.
fn write_bdat_command<S: BodySink + ?Sized>(size: usize, last: bool, out: &mut S) {
    let size = u64::try_from(size).unwrap_or(u64::MAX);
    out.put_command(Bdat { size, last }.line().as_ref());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(size: usize, last: bool) -> Vec<u8> {
        let mut out = Vec::new();
        write_bdat_command(size, last, &mut out);
        out
    }

    /// What a sink was told: `(true, line)` for [`BodySink::put_command`].
    #[derive(Default)]
    struct Calls(Vec<(bool, Vec<u8>)>, usize);

    impl BodySink for Calls {
        fn put(&mut self, bytes: &[u8]) {
            self.1 += bytes.len();
            self.0.push((false, bytes.to_vec()));
        }

        fn put_command(&mut self, line: &[u8]) {
            self.1 += line.len();
            self.0.push((true, line.to_vec()));
        }

        fn reserve(&mut self, _additional: usize) {}

        fn len(&self) -> usize {
            self.1
        }

        fn truncate(&mut self, _len: usize) {
            panic!("the framer never takes back what it wrote")
        }
    }

    /// Every `BDAT` line, and nothing else, goes through `put_command`: a tagging sink can
    /// tell the command from the chunk, `BDAT 0 LAST` after a flush included.
    #[test]
    fn lines_are_put_as_commands_and_chunks_as_octets() {
        let mut framer = BdatEncoder::new(NonZeroUsize::new(4).unwrap(), BdatMode::Binary);
        let mut calls = Calls::default();
        framer.encode(b"0123456789", &mut calls).unwrap();
        framer.flush(&mut calls).unwrap();
        framer.finish(&mut calls).unwrap();
        let calls: Vec<(bool, &[u8])> = calls.0.iter().map(|(c, b)| (*c, &b[..])).collect();
        assert_eq!(
            calls,
            [
                (true, &b"BDAT 4\r\n"[..]),
                (false, b"0123"),
                (true, b"BDAT 4\r\n"),
                (false, b"4567"),
                (true, b"BDAT 2\r\n"),
                (false, b"89"),
                (true, b"BDAT 0 LAST\r\n"),
                (false, b""),
            ]
        );
    }

    #[test]
    fn command_lines() {
        assert_eq!(command(0, true), b"BDAT 0 LAST\r\n");
        assert_eq!(command(7, false), b"BDAT 7\r\n");
        assert_eq!(command(1_000_000, false), b"BDAT 1000000\r\n");
        assert_eq!(
            command(usize::MAX, true),
            format!("BDAT {} LAST\r\n", usize::MAX).into_bytes()
        );
    }
}
