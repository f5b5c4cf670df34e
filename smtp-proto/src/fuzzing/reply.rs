use std::collections::BTreeSet;

use bytes::BytesMut;

use crate::response::{Capability, EhloData, ReplyError, ReplyLimits, ReplyParser, Response};

/// What a stream of replies parsed to: the replies, the error that ended it, the bytes left.
type Outcome = (Vec<Response>, Option<ReplyError>, Vec<u8>);

/// Feeds `input` to a fresh parser in the given chunks, taking every reply after each.
fn run(limits: ReplyLimits, input: &[u8], chunks: impl Iterator<Item = usize>) -> Outcome {
    let mut parser = ReplyParser::with_limits(limits);
    let mut buf = BytesMut::new();
    let mut replies = Vec::new();
    let mut rest = input;
    for size in chunks.chain(std::iter::once(usize::MAX)) {
        let (chunk, tail) = rest.split_at(size.min(rest.len()));
        rest = tail;
        buf.extend_from_slice(chunk);
        loop {
            match parser.parse(&mut buf) {
                Ok(Some(reply)) => replies.push(reply),
                Ok(None) => break,
                // Where an error is found depends on what had arrived: no bytes kept.
                Err(error) => return (replies, Some(error), Vec::new()),
            }
        }
        if rest.is_empty() {
            break;
        }
    }
    (replies, None, buf.to_vec())
}

/// Reply parser target: a stream of replies parses the same whole, split at a point taken
/// from the input, and one byte at a time; every reply is within the limits, the replies
/// are exactly the consumed input, and `Display` stays one short line.
///
/// The first byte picks the limits (small ones reach the limit errors with small inputs),
/// the next two the split point; the rest is the server's bytes.
pub fn reply(data: &[u8]) {
    let [mode, s0, s1, input @ ..] = data else {
        return;
    };
    let limits = if mode & 1 == 0 {
        ReplyLimits::DEFAULT
    } else {
        ReplyLimits::DEFAULT
            .with_max_line_len(usize::from(mode >> 1) + 5)
            .with_max_reply_len(usize::from(*s0) * 2 + 5)
            .with_max_lines(usize::from(mode >> 4) + 1)
    };
    let split = usize::from(u16::from_le_bytes([*s0, *s1])) % (input.len() + 1);
    let whole = run(limits, input, std::iter::empty());
    let halves = run(limits, input, [split].into_iter());
    let bytes = run(limits, input, std::iter::repeat_n(1, input.len()));
    assert_eq!(whole, halves, "split at {split} changed the result");
    assert_eq!(whole, bytes, "byte-at-a-time changed the result");

    let (replies, error, left) = whole;
    let consumed: usize = replies.iter().map(|r| r.as_bytes().len()).sum();
    let mut offset = 0;
    for reply in &replies {
        let raw = reply.as_bytes();
        assert_eq!(input.get(offset..offset + raw.len()), Some(raw));
        offset += raw.len();
        assert!(raw.len() <= limits.max_reply_len());
        assert!(reply.line_count() <= limits.max_lines());
        assert!(raw.ends_with(b"\n"));
        for line in reply.lines() {
            assert!(!line.text().contains(&b'\n'));
            assert!(line.message().len() <= line.text().len());
            if let Some(status) = line.enhanced_status() {
                // Leading zeros (`2.01.0`) are valid (RFC 3463 §2) but not displayed.
                assert!(line.text().starts_with(&[b'0' + status.class(), b'.']));
                assert_eq!(status.to_string().parse(), Ok(status));
            }
        }
        let shown = reply.to_string();
        assert!(!shown.contains(['\r', '\n', '\u{1b}']));
        assert!(shown.len() < 4 * crate::response::DISPLAY_MAX_TEXT + 64);
        let _ = reply.retry_advice();
    }
    if error.is_none() {
        assert_eq!(input.get(consumed..), Some(left.as_slice()));
    }
}

/// EHLO target: parses the input as one reply and reads it as EHLO data; every line after
/// the first that starts with a keyword (checked independently here) is in the keyword map,
/// in order; known keywords are supported; AUTH mechanisms are upper case and unique.
pub fn ehlo(data: &[u8]) {
    let mut buf = BytesMut::from(data);
    let Ok(Some(reply)) = ReplyParser::new().parse(&mut buf) else {
        return;
    };
    let Ok(ehlo) = EhloData::from_response(&reply) else {
        assert!(!reply.is_positive_completion());
        return;
    };
    let expected: Vec<&[u8]> = reply.text_lines().skip(1).filter_map(keyword_of).collect();
    let found: Vec<&[u8]> = ehlo.keywords().map(|k| k.name().as_bytes()).collect();
    assert_eq!(expected, found);
    for keyword in ehlo.keywords() {
        assert!(ehlo.params(keyword.name()).is_some());
        if let Some(capability) = keyword.capability() {
            assert!(ehlo.supports(capability));
        }
    }
    // The typed set (built by a fast path) is exactly what the keyword map names.
    let from_map: BTreeSet<Capability> = ehlo.keywords().filter_map(|k| k.capability()).collect();
    let typed: BTreeSet<Capability> = ehlo.capabilities().collect();
    assert_eq!(from_map, typed);
    let mechanisms: Vec<&str> = ehlo.auth_mechanisms().collect();
    for (i, m) in mechanisms.iter().enumerate() {
        assert!(!m.is_empty() && m.len() <= 20);
        assert_eq!(m.to_ascii_uppercase(), *m);
        assert!(!mechanisms.get(..i).unwrap_or_default().contains(m));
        assert!(ehlo.supports(Capability::Auth));
    }
    assert!(ehlo.size_limit() != Some(0));
    let _ = (
        ehlo.domain(),
        ehlo.greeting(),
        ehlo.limits(),
        ehlo.future_release(),
    );
    let _ = (ehlo.deliver_by_min_time(), ehlo.mt_priority_policy());
    let _ = (
        ehlo.xclient_attributes().count(),
        ehlo.xforward_attributes().count(),
    );
    let _ = ehlo.capabilities().count();
}

/// The keyword a line starts with, by a second, independent reading of RFC 5321
/// §4.1.1.1's `ehlo-keyword`: skip blanks, take `[A-Za-z0-9-]+` starting alphanumeric,
/// delimited by the end, a blank or `=`.
fn keyword_of(text: &[u8]) -> Option<&[u8]> {
    let start = text
        .iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count();
    let text = text.get(start..)?;
    let len = text
        .iter()
        .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'-')
        .count();
    let keyword = text.get(..len)?;
    let valid_start = keyword.first().is_some_and(u8::is_ascii_alphanumeric);
    let valid_end = matches!(text.get(len), None | Some(b' ' | b'\t' | b'='));
    (valid_start && valid_end).then_some(keyword)
}
