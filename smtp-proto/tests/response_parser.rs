//! The reply parser: RFC 5321 known answers, every fatal error, and the limits at their
//! boundaries.

use bytes::BytesMut;
use smtp_proto::response::{ReplyError, ReplyLimits, ReplyParser, Response};

/// Parses every complete reply in `input`, fed whole.
fn parse_all(input: &[u8]) -> Result<Vec<Response>, ReplyError> {
    let mut parser = ReplyParser::new();
    let mut buf = BytesMut::from(input);
    let mut replies = Vec::new();
    while let Some(reply) = parser.parse(&mut buf)? {
        replies.push(reply);
    }
    assert!(buf.is_empty(), "left over: {:?}", buf);
    Ok(replies)
}

fn error_of(input: &[u8]) -> ReplyError {
    parse_all(input).unwrap_err()
}

fn summary(reply: &Response) -> (u16, Vec<String>) {
    let lines = reply.text_lossy_lines().map(|t| t.into_owned()).collect();
    (reply.code().get(), lines)
}

#[test]
fn rfc_5321_appendix_d1_server_replies() {
    // The server side of RFC 5321 Appendix D.1, a typical SMTP transaction scenario.
    let replies = parse_all(
        b"220 foo.com Simple Mail Transfer Service Ready\r\n\
          250-foo.com greets bar.com\r\n250-8BITMIME\r\n250-SIZE\r\n250-DSN\r\n250 HELP\r\n\
          250 OK\r\n250 OK\r\n550 No such user here\r\n250 OK\r\n\
          354 Start mail input; end with <CRLF>.<CRLF>\r\n250 OK\r\n\
          221 foo.com Service closing transmission channel\r\n",
    )
    .unwrap();
    let got: Vec<_> = replies.iter().map(summary).collect();
    let want: Vec<(u16, Vec<String>)> = [
        (220, vec!["foo.com Simple Mail Transfer Service Ready"]),
        (
            250,
            vec!["foo.com greets bar.com", "8BITMIME", "SIZE", "DSN", "HELP"],
        ),
        (250, vec!["OK"]),
        (250, vec!["OK"]),
        (550, vec!["No such user here"]),
        (250, vec!["OK"]),
        (354, vec!["Start mail input; end with <CRLF>.<CRLF>"]),
        (250, vec!["OK"]),
        (221, vec!["foo.com Service closing transmission channel"]),
    ]
    .into_iter()
    .map(|(c, l)| (c, l.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(got, want);
    assert!(replies[4].is_permanent());
    assert!(replies[6].is_positive_intermediate());
}

#[test]
fn rfc_5321_appendix_d3_relay_and_d4_verify() {
    // D.3 (relayed mail) and D.4 (verifying and sending), server replies.
    let replies = parse_all(
        b"251 User not local; will forward to <Postel@USC.edu>\r\n\
          553 User ambiguous\r\n\
          250 Fred Foonly <Fonly@foo.com>\r\n\
          551 User not local; please try <Mock@CS.Stanford.edu>\r\n",
    )
    .unwrap();
    let codes: Vec<u16> = replies.iter().map(|r| r.code().get()).collect();
    assert_eq!(codes, [251, 553, 250, 551]);
}

#[test]
fn rfc_2034_and_3463_enhanced_status_per_line() {
    // RFC 2034 §9 examples.
    let replies = parse_all(
        b"250 2.1.0 Originator <ned@ymir.claremont.edu> ok\r\n\
          550 5.1.1 Mailbox \"nosuchuser\" does not exist\r\n\
          551-5.7.1 Forwarding to remote hosts disabled\r\n\
          551 5.7.1 Select another host to act as your forwarder\r\n\
          354 Send message, ending in CRLF.CRLF.\r\n\
          250 2.6.0 Message accepted\r\n",
    )
    .unwrap();
    let status: Vec<String> = replies
        .iter()
        .flat_map(|r| {
            r.lines().map(|l| {
                l.enhanced_status()
                    .map(|s| s.to_string())
                    .unwrap_or_default()
            })
        })
        .collect();
    assert_eq!(status, ["2.1.0", "5.1.1", "5.7.1", "5.7.1", "", "2.6.0"]);
    assert_eq!(
        replies[2].line(1).unwrap().message(),
        b"Select another host to act as your forwarder"
    );
    assert_eq!(
        replies[0].first_line().message(),
        b"Originator <ned@ymir.claremont.edu> ok"
    );
}

#[test]
fn code_only_empty_text_and_lf_only_lines() {
    let replies = parse_all(b"250\r\n250 \r\n250\n251-a\n251 b\r\n252-\r\n252\r\n").unwrap();
    let got: Vec<_> = replies.iter().map(summary).collect();
    assert_eq!(
        got,
        [
            (250, vec![String::new()]),
            (250, vec![String::new()]),
            (250, vec![String::new()]),
            (251, vec!["a".into(), "b".into()]),
            (252, vec![String::new(), String::new()]),
        ]
    );
    // Bytes other than LF are kept as text, a CR included.
    let odd = parse_all(b"250 a\rb\x00c\xff\r\r\n").unwrap();
    assert_eq!(odd[0].first_line().text(), b"a\rb\x00c\xff\r");
}

#[test]
fn one_reply_at_a_time_and_the_rest_stays() {
    let mut parser = ReplyParser::new();
    let mut buf = BytesMut::from(&b"250 a\r\n354 b\r\n221"[..]);
    assert_eq!(
        parser.parse(&mut buf).unwrap().unwrap().as_bytes(),
        b"250 a\r\n"
    );
    assert_eq!(
        parser.parse(&mut buf).unwrap().unwrap().as_bytes(),
        b"354 b\r\n"
    );
    assert!(parser.parse(&mut buf).unwrap().is_none());
    assert_eq!(&buf[..], b"221");
}

#[test]
fn every_fatal_error_with_its_variant() {
    use ReplyError::*;
    let cases: &[(&[u8], ReplyError)] = &[
        (
            b"2x0 oops\r\n",
            NotDigit {
                line: 1,
                position: 1,
                byte: b'x',
            },
        ),
        (
            b"ok\r\n",
            NotDigit {
                line: 1,
                position: 0,
                byte: b'o',
            },
        ),
        (
            b"25\r\n",
            NotDigit {
                line: 1,
                position: 2,
                byte: b'\r',
            },
        ),
        (
            b"250-a\r\n25\n",
            NotDigit {
                line: 2,
                position: 2,
                byte: b'\n',
            },
        ),
        (
            b"\r\n",
            NotDigit {
                line: 1,
                position: 0,
                byte: b'\r',
            },
        ),
        (b"150 x\r\n", CodeOutOfRange { line: 1, code: 150 }),
        (b"650 x\r\n", CodeOutOfRange { line: 1, code: 650 }),
        (b"260 x\r\n", CodeOutOfRange { line: 1, code: 260 }),
        (b"250-a\r\n199 b\r\n", CodeOutOfRange { line: 2, code: 199 }),
        (
            b"250_x\r\n",
            BadSeparator {
                line: 1,
                byte: b'_',
            },
        ),
        (
            b"250\tx\r\n",
            BadSeparator {
                line: 1,
                byte: b'\t',
            },
        ),
        (
            b"250\rx\r\n",
            BadSeparator {
                line: 1,
                byte: b'x',
            },
        ),
        (
            b"250-a\r\n251 b\r\n",
            CodeMismatch {
                line: 2,
                expected: 250,
                found: 251,
            },
        ),
        (
            b"250-a\r\n250-b\r\n550 c\r\n",
            CodeMismatch {
                line: 3,
                expected: 250,
                found: 550,
            },
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(
            &error_of(input),
            expected,
            "{}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn errors_are_raised_before_the_line_ends_and_stay() {
    let mut parser = ReplyParser::new();
    let mut buf = BytesMut::from(&b"25x"[..]);
    let error = parser.parse(&mut buf).unwrap_err();
    assert!(matches!(error, ReplyError::NotDigit { position: 2, .. }));
    buf.extend_from_slice(b" ok\r\n250 fine\r\n");
    assert_eq!(
        parser.parse(&mut buf),
        Err(error),
        "the parser stays failed"
    );
}

fn line_of(len: usize, separator: u8) -> Vec<u8> {
    // `250` + separator + text + CRLF is `len` bytes.
    let mut line = b"250".to_vec();
    line.push(separator);
    line.resize(len - 2, b'x');
    line.extend_from_slice(b"\r\n");
    line
}

#[test]
fn line_limit_at_the_boundary_and_beyond() {
    let limit = ReplyLimits::DEFAULT.max_line_len();
    assert_eq!(limit, 8192);
    let ok = parse_all(&line_of(limit, b' ')).unwrap();
    assert_eq!(ok[0].as_bytes().len(), limit);
    assert_eq!(
        error_of(&line_of(limit + 1, b' ')),
        ReplyError::LineTooLong { line: 1, limit }
    );
    // Raised as soon as `limit` bytes without a line end are buffered, long before the
    // line ends; one byte fewer is still "need more".
    let mut parser = ReplyParser::new();
    let mut buf = BytesMut::from(&line_of(limit + 1000, b' ')[..limit - 1]);
    assert_eq!(parser.parse(&mut buf), Ok(None));
    buf.extend_from_slice(b"x");
    assert_eq!(
        parser.parse(&mut buf),
        Err(ReplyError::LineTooLong { line: 1, limit })
    );
    // A smaller configured limit, on a continuation line.
    let mut parser = ReplyParser::with_limits(ReplyLimits::DEFAULT.with_max_line_len(512));
    let mut input = line_of(512, b'-');
    input.extend_from_slice(&line_of(513, b' '));
    let mut buf = BytesMut::from(&input[..]);
    assert_eq!(
        parser.parse(&mut buf),
        Err(ReplyError::LineTooLong {
            line: 2,
            limit: 512
        })
    );
}

#[test]
fn reply_limit_at_the_boundary_and_beyond() {
    let limit = ReplyLimits::DEFAULT.max_reply_len();
    assert_eq!(limit, 65536);
    // Eight lines of 8192 bytes: exactly 64 KiB.
    let mut input = Vec::new();
    for _ in 0..7 {
        input.extend_from_slice(&line_of(8192, b'-'));
    }
    input.extend_from_slice(&line_of(8192, b' '));
    assert_eq!(parse_all(&input).unwrap()[0].as_bytes().len(), limit);
    // One byte more in the last line.
    input.truncate(7 * 8192);
    input.extend_from_slice(&line_of(8187, b'-'));
    input.extend_from_slice(b"250 \r\n");
    assert_eq!(input.len(), limit + 1);
    assert_eq!(error_of(&input), ReplyError::ReplyTooLong { limit });
    // Raised once the reply has used its budget without ending, not at the next line end.
    let mut parser = ReplyParser::new();
    let mut buf = BytesMut::from(&input[..limit - 1]);
    assert_eq!(parser.parse(&mut buf), Ok(None));
    buf.extend_from_slice(&input[limit - 1..limit]);
    assert_eq!(
        parser.parse(&mut buf),
        Err(ReplyError::ReplyTooLong { limit })
    );
}

#[test]
fn line_count_limit_at_the_boundary_and_beyond() {
    let limit = ReplyLimits::DEFAULT.max_lines();
    assert_eq!(limit, 1000);
    let reply = |lines: usize| {
        let mut input = b"250-a\r\n".repeat(lines - 1);
        input.extend_from_slice(b"250 z\r\n");
        input
    };
    assert_eq!(parse_all(&reply(limit)).unwrap()[0].line_count(), limit);
    // The 1000th line says more follow: refused right there, before line 1001 arrives.
    let over = reply(limit + 1);
    let mut parser = ReplyParser::new();
    let mut buf = BytesMut::from(&over[..7 * (limit - 1) + 4]);
    assert_eq!(
        parser.parse(&mut buf),
        Err(ReplyError::TooManyLines { limit })
    );
    let small = ReplyLimits::DEFAULT.with_max_lines(3);
    let mut parser = ReplyParser::with_limits(small);
    let mut buf = BytesMut::from(&reply(4)[..]);
    assert_eq!(
        parser.parse(&mut buf),
        Err(ReplyError::TooManyLines { limit: 3 })
    );
    let mut parser = ReplyParser::with_limits(small);
    let mut buf = BytesMut::from(&reply(3)[..]);
    assert_eq!(parser.parse(&mut buf).unwrap().unwrap().line_count(), 3);
}

#[test]
fn parse_one_reply() {
    use smtp_proto::response::ParseResponseError;
    assert_eq!(
        Response::parse(b"250 a"),
        Err(ParseResponseError::Incomplete)
    );
    assert_eq!(
        Response::parse(b"250 a\r\n2"),
        Err(ParseResponseError::TrailingBytes(1))
    );
    assert!(matches!(
        Response::parse(b"2"),
        Err(ParseResponseError::Incomplete)
    ));
    assert!(matches!(
        Response::parse(b"x"),
        Err(ParseResponseError::Invalid(ReplyError::NotDigit { .. }))
    ));
}

/// A reply's class predicates are its code's: each class answers yes to its own and no to
/// every other.
#[test]
fn reply_predicates_follow_the_code() {
    // positive, completion, intermediate, negative, transient, permanent.
    let table: [(&[u8], [bool; 6]); 4] = [
        (b"250 Ok\r\n", [true, true, false, false, false, false]),
        (
            b"354 Go ahead\r\n",
            [true, false, true, false, false, false],
        ),
        (b"451 Later\r\n", [false, false, false, true, true, false]),
        (b"550 No\r\n", [false, false, false, true, false, true]),
    ];
    for (wire, expected) in table {
        let reply = Response::parse(wire).unwrap();
        let found = [
            reply.is_positive(),
            reply.is_positive_completion(),
            reply.is_positive_intermediate(),
            reply.is_negative(),
            reply.is_transient(),
            reply.is_permanent(),
        ];
        assert_eq!(found, expected, "{reply}");
    }
}

/// `enhanced_status` is the first line's; `to_bytes` and `as_bytes` are the reply as sent.
#[test]
fn first_lines_status_and_the_raw_bytes() {
    use smtp_proto::response::EnhancedStatus;
    let wire = b"550-5.1.1 No such user\r\n550 5.7.1 Denied\r\n";
    let reply = Response::parse(wire).unwrap();
    assert_eq!(reply.enhanced_status(), EnhancedStatus::new(5, 1, 1).ok());
    assert_eq!(reply.to_bytes(), &wire[..]);
    assert_eq!(reply.as_bytes(), wire);
    // A status on a later line only is not the reply's.
    let reply = Response::parse(b"550-No such user\r\n550 5.1.1 Denied\r\n").unwrap();
    assert_eq!(reply.enhanced_status(), None);
    assert_eq!(
        reply.line(1).unwrap().enhanced_status(),
        EnhancedStatus::new(5, 1, 1).ok()
    );
}

/// Each line's `text_bytes` is its `text`, a slice of the reply's bytes; empty text and a
/// code-only line give empty slices.
#[test]
fn text_bytes_is_the_text_shared() {
    let reply = Response::parse(b"250-first line\r\n250-\r\n250-2.1.0 x\r\n250\r\n").unwrap();
    let texts: Vec<_> = reply.lines().map(|line| line.text_bytes()).collect();
    assert_eq!(texts, [&b"first line"[..], b"", b"2.1.0 x", b""]);
    for line in reply.lines() {
        assert_eq!(line.text_bytes(), line.text());
    }
    let shared = reply.first_line().text_bytes();
    let raw = reply.as_bytes().as_ptr_range();
    assert!(
        raw.contains(&shared.as_ptr()),
        "a slice of the reply, not a copy"
    );
}

/// `lines()` knows how many lines are left, before and while it is read.
#[test]
fn lines_is_exact_size() {
    let reply = Response::parse(b"250-a\r\n250-b\r\n250 c\r\n").unwrap();
    let mut lines = reply.lines();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines.size_hint(), (3, Some(3)));
    lines.next();
    assert_eq!(lines.size_hint(), (2, Some(2)));
    lines.by_ref().for_each(drop);
    assert_eq!(lines.size_hint(), (0, Some(0)));
}
