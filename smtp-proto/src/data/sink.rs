//! Where encoders write: the caller's growable buffer, or the client's tagged outbox.

/// A growable byte buffer an encoder appends to (`Vec<u8>`, `bytes::BytesMut`, the
/// client's [`BodyWriter`](crate::client::BodyWriter)).
///
/// Encoders only append: what the buffer held before a call is never touched, so the
/// caller may keep unsent bytes in it and reuse it across calls without reallocation.
/// ([`truncate`](Self::truncate) only ever drops octets appended by the same call.)
pub trait BodySink {
    /// Appends `bytes`.
    fn put(&mut self, bytes: &[u8]);

    /// Appends a command line that an encoder writes among the body octets: the
    /// `BDAT <n>[ LAST]` line before each chunk (RFC 3030 §2).
    ///
    /// The octets on the wire are the same as with [`put`](Self::put), which is what the
    /// default does. A sink that records what its pieces are overrides it: the client's
    /// [`BodyWriter`](crate::client::BodyWriter) tags the line as a command, so that logs
    /// show `BDAT 1024 LAST` and then the chunk as its size, not one body with the framing
    /// counted in.
    fn put_command(&mut self, line: &[u8]) {
        self.put(line);
    }

    /// Makes room for at least `additional` more octets (a hint: one growth per call
    /// instead of several).
    fn reserve(&mut self, additional: usize);

    /// The number of octets held (the encoders use it only as a mark to
    /// [`truncate`](Self::truncate) back to, so a sink lending out only its tail may count
    /// from where that tail starts).
    fn len(&self) -> usize;

    /// Whether no octet is held.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Shortens to `len` octets: the fast path's rollback when it finds a bare CR.
    fn truncate(&mut self, len: usize);
}

impl BodySink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }

    fn reserve(&mut self, additional: usize) {
        Vec::reserve(self, additional);
    }

    fn len(&self) -> usize {
        Vec::len(self)
    }

    fn truncate(&mut self, len: usize) {
        Vec::truncate(self, len);
    }
}

impl BodySink for bytes::BytesMut {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }

    fn reserve(&mut self, additional: usize) {
        bytes::BytesMut::reserve(self, additional);
    }

    fn len(&self) -> usize {
        bytes::BytesMut::len(self)
    }

    fn truncate(&mut self, len: usize) {
        bytes::BytesMut::truncate(self, len);
    }
}

/// Counts what would be written, for [`BodySummary`](super::BodySummary).
#[derive(Debug, Default)]
pub(crate) struct Counter(pub(crate) u64);

impl BodySink for Counter {
    fn put(&mut self, bytes: &[u8]) {
        self.0 = self.0.saturating_add(bytes.len() as u64);
    }

    fn reserve(&mut self, _additional: usize) {}

    fn len(&self) -> usize {
        usize::try_from(self.0).unwrap_or(usize::MAX)
    }

    fn truncate(&mut self, len: usize) {
        self.0 = self.0.min(len as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Appends through the trait only, so that the inherent methods of the same names
    /// cannot stand in for the implementations under test.
    fn put_then_truncate<S: BodySink>(sink: &mut S) -> (bool, usize, bool, usize) {
        let was_empty = BodySink::is_empty(sink);
        sink.put(b"MAIL");
        sink.put_command(b"BDAT 3\r\n");
        let len = BodySink::len(sink);
        let is_empty = BodySink::is_empty(sink);
        BodySink::truncate(sink, 4);
        (was_empty, len, is_empty, BodySink::len(sink))
    }

    #[test]
    fn a_vec_sink_appends_counts_and_truncates() {
        let mut sink = Vec::new();
        assert_eq!(put_then_truncate(&mut sink), (true, 12, false, 4));
        assert_eq!(sink, b"MAIL");
    }

    #[test]
    fn a_bytes_mut_sink_appends_counts_and_truncates() {
        let mut sink = bytes::BytesMut::new();
        assert_eq!(put_then_truncate(&mut sink), (true, 12, false, 4));
        assert_eq!(&sink[..], b"MAIL");
    }

    /// `reserve` is only a hint, but a growable buffer takes it: one growth per call.
    #[test]
    fn growable_sinks_reserve_what_they_are_asked() {
        let mut vec = Vec::new();
        BodySink::reserve(&mut vec, 100);
        assert!(vec.capacity() >= 100);
        let mut bytes = bytes::BytesMut::new();
        BodySink::reserve(&mut bytes, 100);
        assert!(bytes.capacity() >= 100);
    }

    #[test]
    fn a_counter_counts_and_truncates_without_storing() {
        let mut sink = Counter::default();
        assert_eq!(put_then_truncate(&mut sink), (true, 12, false, 4));
        assert_eq!(sink.0, 4);
        // Truncating never grows the count.
        sink.truncate(10);
        assert_eq!(sink.0, 4);
    }
}
