//! Tests of the reply parser's internals: the line-end search, and the fast path for one
//! more byte against the scanner alone.

use proptest::prelude::*;

use super::*;

/// Reply lines, mostly valid, with broken codes, separators, text and line ends mixed
/// in, so that generated input reaches every branch of both paths.
fn line() -> impl Strategy<Value = Vec<u8>> {
    let code = prop::sample::select(vec![
        &b"250"[..],
        b"250",
        b"250",
        b"550",
        b"25",
        b"2x0",
        b"199",
        b"",
    ]);
    let separator = prop::sample::select(vec![&b"-"[..], b"-", b" ", b"", b"\r", b"x"]);
    let text = prop::collection::vec(
        prop_oneof![8 => b'a'..=b'z', 1 => Just(b'\r'), 1 => any::<u8>()],
        0..12,
    );
    let end = prop::sample::select(vec![&b"\r\n"[..], b"\r\n", b"\n", b"\r", b""]);
    (code, separator, text, end)
        .prop_map(|(code, separator, text, end)| [code, separator, &text, end].concat())
}

fn limits() -> impl Strategy<Value = ReplyLimits> {
    (5usize..60, 5usize..300, 1usize..8).prop_map(|(line, reply, lines)| {
        ReplyLimits::DEFAULT
            .with_max_line_len(line)
            .with_max_reply_len(reply)
            .with_max_lines(lines)
    })
}

/// Feeds `input` in pieces ending at `cuts`: every reply, then the error or the bytes left.
fn outcome(
    input: &[u8],
    cuts: &[usize],
    limits: ReplyLimits,
) -> (Vec<Response>, Result<usize, ReplyError>) {
    let mut parser = ReplyParser::with_limits(limits);
    let mut buf = BytesMut::new();
    let mut replies = Vec::new();
    let mut start = 0;
    for &end in cuts.iter().chain(std::iter::once(&input.len())) {
        buf.extend_from_slice(input.get(start..end.max(start)).unwrap_or_default());
        start = end.max(start);
        loop {
            match parser.parse(&mut buf) {
                Ok(Some(reply)) => replies.push(reply),
                Ok(None) => break,
                Err(error) => return (replies, Err(error)),
            }
        }
    }
    (replies, Ok(buf.len()))
}

proptest! {
    /// Whole lines go through `whole_lines`, lines that arrive in pieces through the
    /// general scan: both give the same replies and the same error, valid input or not, at
    /// any limits.
    #[test]
    fn whole_lines_agree_with_the_scan(
        lines in prop::collection::vec(line(), 0..12),
        limits in prop_oneof![Just(ReplyLimits::DEFAULT), limits()],
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..4),
    ) {
        let input = lines.concat();
        let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(input.len() + 1)).collect();
        cuts.sort_unstable();
        let every: Vec<usize> = (1..input.len()).collect();
        let bytes = outcome(&input, &every, limits);
        prop_assert_eq!(&outcome(&input, &[], limits), &bytes);
        prop_assert_eq!(&outcome(&input, &cuts, limits), &bytes);
    }

    /// `parse`'s fast path for one more byte answers exactly what the full scan
    /// answers, at every byte, valid input or not, at any limits.
    #[test]
    fn the_fast_path_agrees_with_the_scan_at_every_byte(
        lines in prop::collection::vec(line(), 0..12),
        limits in prop_oneof![Just(ReplyLimits::DEFAULT), limits()],
    ) {
        let input = lines.concat();
        let mut fast = (ReplyParser::with_limits(limits), BytesMut::new());
        let mut slow = (ReplyParser::with_limits(limits), BytesMut::new());
        for &byte in &input {
            fast.1.extend_from_slice(&[byte]);
            slow.1.extend_from_slice(&[byte]);
            loop {
                let got = fast.0.parse(&mut fast.1);
                let expected = slow.0.parse_slow(&mut slow.1);
                prop_assert_eq!(&got, &expected);
                prop_assert_eq!(&fast.1, &slow.1);
                if !matches!(got, Ok(Some(_))) {
                    break;
                }
            }
        }
    }
}

#[test]
fn finds_the_first_line_end_anywhere() {
    for len in 0..200usize {
        for lf in (0..len).step_by(7).chain([len.saturating_sub(1)]) {
            let mut window = vec![b'x'; len];
            if let Some(b) = window.get_mut(lf) {
                *b = b'\n';
            }
            if let Some(b) = window.get_mut(lf + 3) {
                *b = b'\n';
            }
            let expected = window.iter().position(|&b| b == b'\n');
            assert_eq!(find_line_end(&window), expected, "len {len} lf {lf}");
        }
        assert_eq!(find_line_end(&vec![0x8a; len]), None);
        assert_eq!(find_line_end(&vec![0x0b; len]), None);
    }
}

#[test]
fn the_limits_given_are_the_limits_in_force() {
    let limits = ReplyLimits::DEFAULT
        .with_max_line_len(100)
        .with_max_reply_len(1000)
        .with_max_lines(5);
    assert_eq!(ReplyParser::with_limits(limits).limits(), limits);
    assert_eq!(ReplyParser::new().limits(), ReplyLimits::DEFAULT);
}

/// A buffer shorter than what was scanned (the caller replaced it) starts the parser over:
/// nothing of the old, unfinished reply leaks into the new one.
#[test]
fn a_buffer_shorter_than_the_scan_starts_over() {
    let mut parser = ReplyParser::new();
    let mut buf = BytesMut::from(&b"250-first line\r\n250-sec"[..]);
    assert_eq!(parser.parse(&mut buf), Ok(None));
    buf.clear();
    buf.extend_from_slice(b"554 no\r\n");
    let reply = parser.parse(&mut buf).unwrap().unwrap();
    assert_eq!(reply.code().get(), 554);
    assert_eq!(reply.line_count(), 1);
    assert!(buf.is_empty());
}

/// One byte at a time, a bad separator is refused at the byte that is bad, even when it is
/// a digit (which the fast path takes inside a code), on any line.
#[test]
fn a_digit_where_the_separator_goes_is_refused_at_once() {
    for input in [
        &b"2500"[..],
        b"250-a\r\n2500",
        b"250-abc\r\n250-defgh\r\n2509",
    ] {
        let mut parser = ReplyParser::new();
        let mut buf = BytesMut::new();
        let (last, head) = input.split_last().unwrap();
        for &byte in head {
            buf.extend_from_slice(&[byte]);
            assert_eq!(parser.parse(&mut buf), Ok(None));
        }
        buf.extend_from_slice(&[*last]);
        assert!(
            matches!(parser.parse(&mut buf), Err(ReplyError::BadSeparator { byte, .. }) if byte == *last),
            "{}",
            String::from_utf8_lossy(input)
        );
    }
}

/// A reply exactly as long as the limit is taken, its last line the shortest there is (a
/// code and a bare LF, ending right at the limit); one octet less of limit refuses it as
/// soon as the first line ends, since no further line could fit.
#[test]
fn a_reply_that_ends_right_at_the_limit_fits() {
    let input = b"250-a\r\n250\n";
    for feed in [input.len(), 1] {
        let exact = ReplyLimits::DEFAULT.with_max_reply_len(input.len());
        let mut parser = ReplyParser::with_limits(exact);
        let mut buf = BytesMut::new();
        let mut replies = Vec::new();
        for piece in input.chunks(feed) {
            buf.extend_from_slice(piece);
            if let Some(reply) = parser.parse(&mut buf).unwrap() {
                replies.push(reply);
            }
        }
        assert_eq!(replies.len(), 1);
        assert_eq!(replies[0].line_count(), 2);
        let short = ReplyLimits::DEFAULT.with_max_reply_len(input.len() - 1);
        let mut parser = ReplyParser::with_limits(short);
        let mut buf = BytesMut::from(&input[..7]);
        assert!(matches!(
            parser.parse(&mut buf),
            Err(ReplyError::ReplyTooLong { .. })
        ));
    }
}

/// The same limit for a further line taken whole (`whole_lines`): refused as soon as the
/// line ends if no line can follow it, taken if the shortest last line still fits.
#[test]
fn a_further_line_taken_whole_is_refused_when_no_line_can_follow() {
    let head = b"250-a\r\n250-b\r\n";
    let fits = ReplyLimits::DEFAULT.with_max_reply_len(head.len() + HEADER_LEN);
    let mut parser = ReplyParser::with_limits(fits);
    let mut buf = BytesMut::from(&head[..]);
    assert_eq!(parser.parse(&mut buf), Ok(None));
    buf.extend_from_slice(b"250\n");
    assert_eq!(parser.parse(&mut buf).unwrap().unwrap().line_count(), 3);

    let short = ReplyLimits::DEFAULT.with_max_reply_len(head.len() + HEADER_LEN - 1);
    let mut parser = ReplyParser::with_limits(short);
    let mut buf = BytesMut::from(&head[..]);
    assert_eq!(
        parser.parse(&mut buf),
        Err(ReplyError::ReplyTooLong {
            limit: head.len() + HEADER_LEN - 1
        })
    );
}

/// `whole_lines` takes every line after the first of a reply buffered whole, the last one
/// included, and none of a reply arriving one byte at a time (it is only an optimisation:
/// the property tests above show it changes no answer, this that it runs).
#[test]
fn whole_lines_takes_every_further_line_of_whole_input_and_none_byte_by_byte() {
    let mut input = Vec::new();
    for i in 0..63 {
        input.extend_from_slice(format!("250-2.0.0 line {i:02}\r\n").as_bytes());
    }
    input.extend_from_slice(b"250 2.0.0 end\r\n");
    let mut parser = ReplyParser::new();
    let mut buf = BytesMut::from(&input[..]);
    assert_eq!(parser.parse(&mut buf).unwrap().unwrap().line_count(), 64);
    assert_eq!(parser.whole_lines_taken, 63);
    let mut parser = ReplyParser::new();
    let mut buf = BytesMut::new();
    for &byte in &input {
        buf.extend_from_slice(&[byte]);
        let _ = parser.parse(&mut buf).unwrap();
    }
    assert!(buf.is_empty());
    assert_eq!(parser.whole_lines_taken, 0);
}
