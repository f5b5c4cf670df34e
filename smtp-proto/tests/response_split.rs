//! Property: a sequence of valid replies parses to the same replies however it is split,
//! and to what was generated.

use bytes::BytesMut;
use proptest::prelude::*;
use smtp_proto::response::{ReplyParser, Response};

/// One generated reply: its code, its lines' text, and whether each line ends in a bare LF.
#[derive(Clone, Debug)]
struct Model {
    code: u16,
    lines: Vec<(Vec<u8>, bool)>,
}

fn code() -> impl Strategy<Value = u16> {
    (2u16..=5, 0u16..=5, 0u16..=9).prop_map(|(a, b, c)| a * 100 + b * 10 + c)
}

fn text() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(Vec::new()),
        "[ -~]{0,40}".prop_map(String::into_bytes),
        "[245]\\.[0-9]{1,3}\\.[0-9]{1,3} [ -~]{0,20}".prop_map(String::into_bytes),
        // Any byte but LF, CR included (kept as text unless it ends the line).
        proptest::collection::vec(any::<u8>().prop_filter("no LF", |b| *b != b'\n'), 0..20)
            .prop_map(|mut v| {
                if v.last() == Some(&b'\r') {
                    v.push(b'.');
                }
                v
            }),
    ]
}

fn model() -> impl Strategy<Value = Model> {
    (
        code(),
        proptest::collection::vec((text(), any::<bool>()), 1..6),
    )
        .prop_map(|(code, lines)| Model { code, lines })
}

fn wire(models: &[Model]) -> Vec<u8> {
    let mut out = Vec::new();
    for m in models {
        for (i, (text, lf_only)) in m.lines.iter().enumerate() {
            let last = i + 1 == m.lines.len();
            out.extend_from_slice(m.code.to_string().as_bytes());
            // A final line with empty text may be code-only (`250\r\n`).
            if !(last && text.is_empty() && *lf_only) {
                out.push(if last { b' ' } else { b'-' });
            }
            out.extend_from_slice(text);
            out.extend_from_slice(if *lf_only { b"\n" } else { b"\r\n" });
        }
    }
    out
}

fn feed(input: &[u8], cuts: &[usize]) -> (Vec<Response>, usize) {
    let mut parser = ReplyParser::new();
    let mut buf = BytesMut::new();
    let mut replies = Vec::new();
    let mut start = 0;
    for &end in cuts.iter().chain(std::iter::once(&input.len())) {
        let end = end.clamp(start, input.len());
        buf.extend_from_slice(&input[start..end]);
        start = end;
        while let Some(reply) = parser.parse(&mut buf).unwrap() {
            replies.push(reply);
        }
    }
    (replies, buf.len())
}

proptest! {
    #[test]
    fn any_split_gives_the_same_replies(
        models in proptest::collection::vec(model(), 1..8),
        mut cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..12),
    ) {
        let input = wire(&models);
        let mut cuts: Vec<usize> = cuts.drain(..).map(|i| i.index(input.len() + 1)).collect();
        cuts.sort_unstable();
        let (whole, left) = feed(&input, &[]);
        prop_assert_eq!(left, 0);
        let (split, left) = feed(&input, &cuts);
        prop_assert_eq!(left, 0);
        let every: Vec<usize> = (1..input.len()).collect();
        let (bytes, _) = feed(&input, &every);
        prop_assert_eq!(&whole, &split);
        prop_assert_eq!(&whole, &bytes);

        // And it is what was generated.
        prop_assert_eq!(whole.len(), models.len());
        for (reply, m) in whole.iter().zip(&models) {
            prop_assert_eq!(reply.code().get(), m.code);
            let texts: Vec<&[u8]> = reply.text_lines().collect();
            let expected: Vec<&[u8]> = m.lines.iter().map(|(t, _)| t.as_slice()).collect();
            prop_assert_eq!(texts, expected);
            for line in reply.lines() {
                if let Some(status) = line.enhanced_status() {
                    let shown = status.to_string();
                    prop_assert!(line.text().starts_with(&shown.as_bytes()[..2]));
                }
            }
        }
    }
}
