//! DATA for a whole body whose summary is known: a body already in DATA form is copied.

use super::{BodyPolicy, BodySink, BodySummary, DataError, END_OF_DATA, encode_data};

/// [`encode_data`] for a whole `body` whose [`BodySummary`] under `policy` is `summary`
/// (computed before MAIL anyway): exactly the same output and errors, but a body that is
/// already in DATA form (valid, every line ending in CRLF, no line starting with a dot) is
/// copied as it is, without the canonicaliser's passes over it. Most messages are such
/// bodies, so the summary's pass is the only one over them (RFC 5321 §4.5.2).
pub(crate) fn encode_data_summarized<S: BodySink + ?Sized>(
    body: &[u8],
    summary: &BodySummary,
    policy: BodyPolicy,
    out: &mut S,
) -> Result<(), DataError> {
    if !is_data_form(body, summary) {
        return encode_data(body, policy, out);
    }
    out.reserve(body.len().saturating_add(5));
    out.put(body);
    if !summary.ends_with_line_end() {
        out.put(b"\r\n");
    }
    out.put(END_OF_DATA);
    Ok(())
}

/// Whether `body` (whose summary is `summary`) is already in DATA form: valid, every line
/// ending in CRLF, no line starting with a dot. It is then sent as it is, followed by CRLF
/// if it does not end with one ([`BodySummary::ends_with_line_end`]) and the end of data.
pub(crate) fn is_data_form(body: &[u8], summary: &BodySummary) -> bool {
    summary.is_canonical(body.len()) && !starts_a_line_with_dot(body)
}

/// Whether a line of `body` starts with a dot, which DATA must double. Dots are searched
/// rather than line ends: base64 parts have none, and a `memmem` searcher costs more to
/// build than this whole search in a small message.
fn starts_a_line_with_dot(body: &[u8]) -> bool {
    memchr::memchr_iter(b'.', body).any(|at| at == 0 || body.get(at - 1) == Some(&b'\n'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn both(
        body: &[u8],
        policy: BodyPolicy,
    ) -> (Result<Vec<u8>, DataError>, Result<Vec<u8>, DataError>) {
        let mut plain = Vec::new();
        let plain = encode_data(body, policy, &mut plain).map(|()| plain);
        let summary = BodySummary::of(body, policy);
        let mut copied = Vec::new();
        let copied = encode_data_summarized(body, &summary, policy, &mut copied).map(|()| copied);
        (plain, copied)
    }

    #[test]
    fn copies_a_canonical_body_and_ends_it() {
        let summary = BodySummary::of(b"a\r\nb\r\n", BodyPolicy::default());
        let mut out = Vec::new();
        encode_data_summarized(b"a\r\nb\r\n", &summary, BodyPolicy::default(), &mut out).unwrap();
        assert_eq!(out, b"a\r\nb\r\n.\r\n");
        let summary = BodySummary::of(b"a\r\nb", BodyPolicy::default());
        let mut out = Vec::new();
        encode_data_summarized(b"a\r\nb", &summary, BodyPolicy::default(), &mut out).unwrap();
        assert_eq!(out, b"a\r\nb\r\n.\r\n");
    }

    /// Each `put`, so that a copy in one piece can be told from the encoder's line runs.
    #[derive(Default)]
    struct Puts(Vec<Vec<u8>>);

    impl BodySink for Puts {
        fn put(&mut self, bytes: &[u8]) {
            self.0.push(bytes.to_vec());
        }

        fn reserve(&mut self, _additional: usize) {}

        fn len(&self) -> usize {
            self.0.iter().map(Vec::len).sum()
        }

        fn truncate(&mut self, _len: usize) {
            panic!("a body in DATA form is never rolled back")
        }
    }

    /// The point of the summary: a body already in DATA form is not canonicalised again
    /// (the canonicaliser writes at least one piece per 16 KiB block) but handed over
    /// whole, then the end-of-data marker.
    #[test]
    fn a_body_in_data_form_is_put_in_one_piece() {
        let body = b"Subject: hi\r\n\r\nline of text\r\n".repeat(2000);
        let summary = BodySummary::of(&body, BodyPolicy::default());
        let mut out = Puts::default();
        encode_data_summarized(&body, &summary, BodyPolicy::default(), &mut out).unwrap();
        assert_eq!(out.0, [&body[..], END_OF_DATA]);
    }

    #[test]
    fn encodes_what_is_not_in_data_form() {
        for (body, expected) in [
            (&b".a\r\n"[..], &b"..a\r\n.\r\n"[..]),
            (b"a\r\n.\r\n", b"a\r\n..\r\n.\r\n"),
            (b"a\nb\n", b"a\r\nb\r\n.\r\n"),
            (b"a\rb\r\n", b"a\r\nb\r\n.\r\n"),
            (b"", b".\r\n"),
        ] {
            let (plain, copied) = both(body, BodyPolicy::default());
            assert_eq!(
                copied.as_deref(),
                Ok(expected),
                "{:?}",
                body.escape_ascii().to_string()
            );
            assert_eq!(plain, copied);
        }
    }

    #[test]
    fn refuses_what_the_encoder_refuses() {
        let (plain, copied) = both(b"a\0b\r\n", BodyPolicy::default());
        assert_eq!(copied, Err(DataError::Nul { offset: 1 }));
        assert_eq!(plain, copied);
        let (plain, copied) = both(b"a\nb", BodyPolicy::default().strict());
        assert_eq!(copied, Err(DataError::BareLf { offset: 1 }));
        assert_eq!(plain, copied);
    }

    proptest! {
        #[test]
        fn same_as_encode_data(
            body in prop::collection::vec(prop::sample::select(b"ab.\r\n\0\xc3 ".to_vec()), 0..300),
            strict in any::<bool>(),
            limit in prop::option::of(1usize..12),
        ) {
            let mut policy = if strict { BodyPolicy::default().strict() } else { BodyPolicy::default() };
            if let Some(limit) = limit {
                policy = policy.with_max_line_length(limit);
            }
            let (plain, copied) = both(&body, policy);
            prop_assert_eq!(plain, copied);
        }

        /// CRLF lines, so that most bodies are copied.
        #[test]
        fn same_as_encode_data_for_lines(
            lines in prop::collection::vec(
                prop::collection::vec(prop::sample::select(b"ab. \xc3".to_vec()), 0..12),
                0..12,
            ),
            end in any::<bool>(),
        ) {
            let mut body = lines.join(&b"\r\n"[..]);
            if end {
                body.extend_from_slice(b"\r\n");
            }
            let (plain, copied) = both(&body, BodyPolicy::default());
            prop_assert_eq!(plain, copied);
        }
    }
}
