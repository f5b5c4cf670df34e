//! DATA and BDAT targets: differential against a byte-at-a-time reference canonicaliser,
//! with a strict RFC 5321 decoder and a BDAT frame parser checking the wire bytes.

use std::num::NonZeroUsize;

use crate::data::{
    BdatEncoder, BdatMode, BodyPolicy, BodySummary, DataEncoder, DataError, encode_data,
};

/// DATA encoder target.
///
/// Input: a flags octet (strict, 7-bit, line limit), a seed octet for chunk boundaries,
/// then the body. In lenient and strict mode, whole and chunked (seeded sizes, and one
/// octet at a time) encodings must equal the reference's bytes and error; a successful
/// output must decode, with a strict decoder, to the canonical body and end exactly at the
/// one end-of-data marker; a failed one must hold no end-of-data marker at all; and
/// [`BodySummary`] must agree.
pub fn data_encoder(data: &[u8]) {
    let (flags, seed, body) = header(data);
    let base = policy(flags, seed);
    for policy in [base, base.strict()] {
        let (expected, error) = reference(body, policy, true);
        let whole = encode_whole(body, policy);
        assert_eq!(whole, (expected.clone(), error), "whole body");
        assert_eq!(encode_chunked(body, policy, seed), whole, "seeded chunks");
        assert_eq!(encode_chunked(body, policy, 0), whole, "1-octet chunks");
        let decoded = decode_data(&whole.0);
        match error {
            None => {
                let (canonical, _) = reference(body, policy, false);
                assert_eq!(
                    decoded,
                    Some(with_line_end(canonical.clone())),
                    "round trip"
                );
                let summary = BodySummary::of(body, policy);
                assert_eq!(summary.violation(), None);
                assert_eq!(summary.bdat_size(), canonical.len() as u64);
                assert_eq!(summary.size(), with_line_end(canonical).len() as u64);
                assert_eq!(summary.has_8bit(), !body.is_ascii());
            }
            Some(error) => {
                assert_eq!(decoded, None, "end of data after {error}");
                assert_eq!(BodySummary::of(body, policy).violation(), Some(error));
            }
        }
    }
}

/// BDAT framing target.
///
/// Input: a flags octet, a chunk-size octet (1 to 32), a seed octet, then the body. In
/// lenient, strict and binary mode, framed whole, in seeded chunks, and in seeded chunks
/// with a [`BdatEncoder::flush`] after each: the bytes must parse as `BDAT` commands whose
/// counts match their payloads (full-sized but the last, unless flushed), with exactly one
/// `LAST`, at the end, and payloads concatenating to the reference canonical body (or the
/// raw body); the same bytes however the input is split. A failed framing must report the
/// reference's error, leave the output as it was, and have written no `LAST` and only a
/// prefix of the canonical body.
pub fn bdat(data: &[u8]) {
    let (flags, rest) = data.split_first().unwrap_or((&0, &[]));
    let (size, rest) = rest.split_first().unwrap_or((&0, &[]));
    let (seed, body) = rest.split_first().unwrap_or((&0, &[]));
    let size = NonZeroUsize::new(usize::from(size % 32) + 1).unwrap_or(NonZeroUsize::MIN);
    let base = policy(*flags, *seed);
    for mode in [
        BdatMode::Text(base),
        BdatMode::Text(base.strict()),
        BdatMode::Binary,
    ] {
        let (canonical, error) = match mode {
            BdatMode::Text(policy) => reference(body, policy, false),
            _ => (body.to_vec(), None),
        };
        let whole = frame(body, size, mode, None, false);
        let seeded = frame(body, size, mode, Some(*seed), false);
        let flushed = frame(body, size, mode, Some(*seed), true);
        assert_eq!(whole.1, error, "whole body");
        assert_eq!(seeded.1, error, "seeded chunks");
        assert_eq!(flushed.1, error, "flushed chunks");
        if error.is_none() {
            // How much was framed before an error depends on the split; the rest does not.
            assert_eq!(seeded.0, whole.0, "seeded chunks");
        }
        for (wire, exact) in [(whole.0, true), (seeded.0, true), (flushed.0, false)] {
            let (payload, last) = parse_bdat(&wire, size.get(), exact);
            match error {
                None => {
                    assert!(last, "no LAST");
                    assert_eq!(payload, canonical);
                }
                Some(_) => {
                    assert!(!last, "LAST after an error");
                    assert!(canonical.starts_with(&payload), "payload beyond the error");
                }
            }
        }
    }
}

fn header(data: &[u8]) -> (u8, u8, &[u8]) {
    let (flags, rest) = data.split_first().unwrap_or((&0, &[]));
    let (seed, body) = rest.split_first().unwrap_or((&0, &[]));
    (*flags, *seed, body)
}

/// Flags: bit 0 strict, bit 1 7-bit, bits 2-3 line limit (998, none, small, 998).
fn policy(flags: u8, seed: u8) -> BodyPolicy {
    let mut policy = BodyPolicy::default();
    if flags & 1 != 0 {
        policy = policy.strict();
    }
    if flags & 2 != 0 {
        policy = policy.seven_bit();
    }
    match (flags >> 2) & 3 {
        1 => policy.without_line_limit(),
        2 => policy.with_max_line_length(usize::from(seed % 8)),
        _ => policy,
    }
}

fn encode_whole(body: &[u8], policy: BodyPolicy) -> (Vec<u8>, Option<DataError>) {
    let mut out = Vec::new();
    let error = encode_data(body, policy, &mut out).err();
    (out, error)
}

/// Encodes in chunks: seeded sizes (0 to 7 octets), or one octet at a time for seed 0.
fn encode_chunked(body: &[u8], policy: BodyPolicy, seed: u8) -> (Vec<u8>, Option<DataError>) {
    let mut out = Vec::new();
    let mut encoder = DataEncoder::new(policy);
    for chunk in Chunks::new(body, seed) {
        if let Err(error) = encoder.encode(chunk, &mut out) {
            assert_eq!(
                encoder.encode(b"x\r\n.\r\n", &mut out),
                Err(error),
                "sticky"
            );
            assert_eq!(encoder.finish(&mut out), Err(error), "sticky finish");
            return (out, Some(error));
        }
    }
    let error = encoder.finish(&mut out).err();
    (out, error)
}

fn frame(
    body: &[u8],
    size: NonZeroUsize,
    mode: BdatMode,
    seed: Option<u8>,
    flush: bool,
) -> (Vec<u8>, Option<DataError>) {
    let mut out = Vec::new();
    let mut framer = BdatEncoder::new(size, mode);
    let chunks: Box<dyn Iterator<Item = &[u8]>> = match seed {
        Some(seed) => Box::new(Chunks::new(body, seed)),
        None => Box::new(std::iter::once(body)),
    };
    for chunk in chunks {
        let before = out.len();
        if let Err(error) = framer.encode(chunk, &mut out) {
            assert_eq!(out.len(), before, "output grew on error");
            assert_eq!(framer.finish(&mut out), Err(error), "sticky finish");
            assert_eq!(out.len(), before, "output grew on error");
            return (out, Some(error));
        }
        if flush {
            assert_eq!(framer.flush(&mut out), Ok(()));
        }
    }
    let before = out.len();
    let error = framer.finish(&mut out).err();
    if error.is_some() {
        assert_eq!(out.len(), before, "output grew on error");
    }
    (out, error)
}

/// Input chunks of seeded sizes 0 to 7 (seed 0: every chunk one octet).
struct Chunks<'a> {
    rest: &'a [u8],
    state: u32,
}

impl<'a> Chunks<'a> {
    fn new(body: &'a [u8], seed: u8) -> Self {
        Self {
            rest: body,
            state: u32::from(seed),
        }
    }
}

impl<'a> Iterator for Chunks<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        let len = if self.state == 0 {
            1
        } else {
            self.state = self.state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            ((self.state >> 16) % 8) as usize
        };
        let (chunk, rest) = self.rest.split_at(len.min(self.rest.len()));
        self.rest = rest;
        Some(chunk)
    }
}

/// The canonicaliser written the obvious way, one octet at a time: the encoding of every
/// octet before the first violation (stuffed if `stuff`, with the end-of-data marker when
/// there is no violation), and that violation.
fn reference(body: &[u8], policy: BodyPolicy, stuff: bool) -> (Vec<u8>, Option<DataError>) {
    let limit = policy.max_line_length().unwrap_or(usize::MAX);
    let mut out = Vec::new();
    let mut pending_cr = false;
    let mut line_len = 0usize;
    let mut at_line_start = true;
    let newline = |out: &mut Vec<u8>, line_len: &mut usize, at_line_start: &mut bool| {
        out.extend_from_slice(b"\r\n");
        *line_len = 0;
        *at_line_start = true;
    };
    for (offset, &octet) in (0u64..).zip(body) {
        if pending_cr {
            pending_cr = false;
            if octet == b'\n' {
                newline(&mut out, &mut line_len, &mut at_line_start);
                continue;
            }
            if policy.is_strict() {
                let offset = offset.saturating_sub(1);
                return (out, Some(DataError::BareCr { offset }));
            }
            newline(&mut out, &mut line_len, &mut at_line_start);
        }
        match octet {
            b'\r' => pending_cr = true,
            b'\n' if policy.is_strict() => return (out, Some(DataError::BareLf { offset })),
            b'\n' => newline(&mut out, &mut line_len, &mut at_line_start),
            0 => return (out, Some(DataError::Nul { offset })),
            _ => {
                if !octet.is_ascii() && !policy.allows_8bit() {
                    return (out, Some(DataError::EightBit { offset, octet }));
                }
                if line_len == limit {
                    return (out, Some(DataError::LineTooLong { offset, limit }));
                }
                if at_line_start && stuff && octet == b'.' {
                    out.push(b'.');
                }
                out.push(octet);
                line_len += 1;
                at_line_start = false;
            }
        }
    }
    if pending_cr {
        if policy.is_strict() {
            let offset = (body.len() as u64).saturating_sub(1);
            return (out, Some(DataError::BareCr { offset }));
        }
        newline(&mut out, &mut line_len, &mut at_line_start);
    }
    if stuff {
        if !at_line_start {
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b".\r\n");
    }
    (out, None)
}

/// `body` as a receiver stores it: every line ended by CRLF.
fn with_line_end(mut body: Vec<u8>) -> Vec<u8> {
    if !body.is_empty() && !body.ends_with(b"\r\n") {
        body.extend_from_slice(b"\r\n");
    }
    body
}

/// A strict RFC 5321 §4.5.2 receiver: lines split on CRLF (a CR or LF inside a line is an
/// assertion failure), one leading dot dropped (a single dot must be doubled), the data
/// ending at the lone `.` line, which must be the last octets. `None`: no end of data.
fn decode_data(wire: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    let mut rest = wire;
    loop {
        let end = memchr::memmem::find(rest, b"\r\n")?;
        let (line, tail) = rest.split_at(end);
        let tail = tail.get(2..).unwrap_or_default();
        assert!(
            !line.contains(&b'\r') && !line.contains(&b'\n'),
            "bare CR/LF"
        );
        if line == b"." {
            assert!(tail.is_empty(), "octets after the end of data");
            return Some(body);
        }
        let line = match line.strip_prefix(b".") {
            Some(unstuffed) => {
                assert!(unstuffed.starts_with(b"."), "unstuffed leading dot");
                unstuffed
            }
            None => line,
        };
        body.extend_from_slice(line);
        body.extend_from_slice(b"\r\n");
        rest = tail;
    }
}

/// Parses `BDAT <n>[ LAST]` CRLF frames: every count is exact, at most `size`, every chunk
/// but the last is `size` long (if `exact`; else not empty), nothing follows `LAST`.
/// Returns the payloads and whether `LAST` was seen.
fn parse_bdat(wire: &[u8], size: usize, exact: bool) -> (Vec<u8>, bool) {
    let mut payload = Vec::new();
    let mut rest = wire;
    while !rest.is_empty() {
        let end = memchr::memmem::find(rest, b"\r\n");
        assert!(end.is_some(), "unterminated BDAT line in {rest:?}");
        let end = end.unwrap_or_default();
        let (line, tail) = rest.split_at(end);
        let tail = tail.get(2..).unwrap_or_default();
        let line = std::str::from_utf8(line).unwrap_or_default();
        let (count, last) = match line.strip_suffix(" LAST") {
            Some(count) => (count, true),
            None => (line, false),
        };
        let count = count
            .strip_prefix("BDAT ")
            .and_then(|n| n.parse::<usize>().ok());
        assert!(count.is_some(), "malformed BDAT line {line:?}");
        let count = count.unwrap_or_default();
        assert!(count <= size, "chunk over the size");
        assert!(tail.len() >= count, "count beyond the output");
        let (chunk, tail) = tail.split_at(count);
        payload.extend_from_slice(chunk);
        if last {
            assert!(tail.is_empty(), "output after LAST");
            assert!(
                !exact || count > 0 || payload.is_empty(),
                "needless BDAT 0 LAST"
            );
            return (payload, true);
        }
        if exact {
            assert_eq!(count, size, "short chunk before LAST");
        } else {
            assert!(count > 0, "empty chunk before LAST");
        }
        rest = tail;
    }
    (payload, false)
}
