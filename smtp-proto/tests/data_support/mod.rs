//! Shared by the `data_*` tests (included with `#[path]`): an independent reference
//! canonicaliser, a strict RFC 5321 DATA decoder, a BDAT frame parser, chunked drivers.
#![allow(dead_code)]

use proptest::prelude::*;
use smtp_proto::data::{BdatEncoder, BdatMode, BodyPolicy, DataEncoder, DataError};
use std::num::NonZeroUsize;

/// Canonical form of `body` (CRLF line ends), or the first violation, octet by octet.
pub(crate) fn canonical(body: &[u8], policy: BodyPolicy) -> Result<Vec<u8>, DataError> {
    let limit = policy.max_line_length().unwrap_or(usize::MAX);
    let strict = policy.is_strict();
    let mut out = Vec::new();
    let mut line = 0usize;
    let mut i = 0usize;
    while i < body.len() {
        let b = body[i];
        let offset = i as u64;
        match b {
            b'\r' if body.get(i + 1) == Some(&b'\n') => {
                out.extend_from_slice(b"\r\n");
                line = 0;
                i += 2;
                continue;
            }
            b'\r' if strict => return Err(DataError::BareCr { offset }),
            b'\n' if strict => return Err(DataError::BareLf { offset }),
            b'\r' | b'\n' => {
                out.extend_from_slice(b"\r\n");
                line = 0;
            }
            0 => return Err(DataError::Nul { offset }),
            _ if b >= 0x80 && !policy.allows_8bit() => {
                return Err(DataError::EightBit { offset, octet: b });
            }
            _ if line == limit => return Err(DataError::LineTooLong { offset, limit }),
            _ => {
                out.push(b);
                line += 1;
            }
        }
        i += 1;
    }
    Ok(out)
}

/// What a receiver stores: the canonical body with every line ended by CRLF.
pub(crate) fn stored(mut canonical: Vec<u8>) -> Vec<u8> {
    if !canonical.is_empty() && !canonical.ends_with(b"\r\n") {
        canonical.extend_from_slice(b"\r\n");
    }
    canonical
}

/// Strict RFC 5321 §4.5.2 receiver: split on CRLF, drop one leading dot, stop at the lone
/// `.` line. Returns the message and the offset just after the end of data, or `None` if
/// the wire holds no end of data. Panics on a bare CR/LF or an unstuffed leading dot.
pub(crate) fn decode(wire: &[u8]) -> Option<(Vec<u8>, usize)> {
    let mut message = Vec::new();
    let mut pos = 0;
    while let Some(len) = wire[pos..].windows(2).position(|w| w == b"\r\n") {
        let line = &wire[pos..pos + len];
        pos += len + 2;
        assert!(
            !line.contains(&b'\r') && !line.contains(&b'\n'),
            "bare CR/LF in {line:?}"
        );
        if line == b"." {
            return Some((message, pos));
        }
        let line = match line.strip_prefix(b".") {
            Some(rest) => {
                assert!(rest.starts_with(b"."), "unstuffed dot line {line:?}");
                rest
            }
            None => line,
        };
        message.extend_from_slice(line);
        message.extend_from_slice(b"\r\n");
    }
    None
}

/// Encodes `body` for DATA, split at `splits` (offsets, clamped), returning what was written.
pub(crate) fn encode_split(
    body: &[u8],
    policy: BodyPolicy,
    splits: &[usize],
) -> (Vec<u8>, Result<(), DataError>) {
    let mut out = Vec::new();
    let mut encoder = DataEncoder::new(policy);
    let mut start = 0;
    for &split in splits.iter().chain(std::iter::once(&body.len())) {
        let split = split.clamp(start, body.len());
        if let Err(e) = encoder.encode(&body[start..split], &mut out) {
            return (out, Err(e));
        }
        start = split;
    }
    let result = encoder.finish(&mut out);
    (out, result)
}

/// Encodes `body` one octet at a time.
pub(crate) fn encode_bytewise(body: &[u8], policy: BodyPolicy) -> (Vec<u8>, Result<(), DataError>) {
    let splits: Vec<usize> = (1..body.len()).collect();
    encode_split(body, policy, &splits)
}

/// Frames `body` with BDAT, split at `splits` (offsets, clamped).
pub(crate) fn frame_split(
    body: &[u8],
    size: usize,
    mode: BdatMode,
    splits: &[usize],
) -> (Vec<u8>, Result<(), DataError>) {
    let mut out = Vec::new();
    let mut framer = BdatEncoder::new(NonZeroUsize::new(size).unwrap(), mode);
    let mut start = 0;
    for &split in splits.iter().chain(std::iter::once(&body.len())) {
        let split = split.clamp(start, body.len());
        if let Err(e) = framer.encode(&body[start..split], &mut out) {
            return (out, Err(e));
        }
        start = split;
    }
    let result = framer.finish(&mut out);
    (out, result)
}

/// One parsed BDAT frame.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Frame {
    /// The size in the command line.
    pub(crate) count: usize,
    /// Whether the command line says LAST.
    pub(crate) last: bool,
    /// The octets that followed the command line.
    pub(crate) payload: Vec<u8>,
}

/// Parses `BDAT <n>[ LAST]\r\n` + n octets frames, panicking on anything else.
pub(crate) fn parse_frames(wire: &[u8]) -> Vec<Frame> {
    let mut frames = Vec::new();
    let mut pos = 0;
    while pos < wire.len() {
        let len = wire[pos..]
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("CRLF");
        let line = std::str::from_utf8(&wire[pos..pos + len]).unwrap();
        pos += len + 2;
        let line = line.strip_prefix("BDAT ").expect("BDAT");
        let (count, last) = match line.strip_suffix(" LAST") {
            Some(count) => (count, true),
            None => (line, false),
        };
        let count: usize = count.parse().unwrap();
        frames.push(Frame {
            count,
            last,
            payload: wire[pos..pos + count].to_vec(),
        });
        pos += count;
    }
    frames
}

/// The payloads of `frames`, concatenated.
pub(crate) fn payload(frames: &[Frame]) -> Vec<u8> {
    frames.iter().flat_map(|f| f.payload.clone()).collect()
}

/// Dot-stuffs canonical text: a `.` starting a line (the first included) is doubled.
pub(crate) fn stuff(canonical: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut at_line_start = true;
    for (i, &b) in canonical.iter().enumerate() {
        if at_line_start && b == b'.' {
            out.push(b'.');
        }
        out.push(b);
        at_line_start = b == b'\n' && i > 0 && canonical[i - 1] == b'\r';
    }
    out
}

/// What a DATA encoder must have written when it fails at `offset`: the stuffed encoding
/// of every octet before it (a CR just before it is bare: CRLF), without end of data.
pub(crate) fn partial(body: &[u8], offset: u64) -> Vec<u8> {
    let lenient = BodyPolicy::default().without_line_limit();
    stuff(&canonical(&body[..offset as usize], lenient).unwrap())
}

/// Short bodies built from the octets that matter: CR, LF, dots, the end-of-data
/// sequence, NUL and a UTF-8 letter.
pub(crate) fn body_strategy() -> impl Strategy<Value = Vec<u8>> {
    let atom = prop_oneof![
        4 => proptest::collection::vec(b'a'..=b'e', 0..6),
        3 => Just(b"\r\n".to_vec()),
        2 => Just(b".".to_vec()),
        1 => Just(b"\r".to_vec()),
        1 => Just(b"\n".to_vec()),
        1 => Just(b"\r\n.\r\n".to_vec()),
        1 => Just(vec![0u8]),
        1 => Just(vec![0xC3, 0xA9]),
    ];
    proptest::collection::vec(atom, 0..24).prop_map(|atoms| atoms.concat())
}
