//! Where encoders write: the caller's growable buffer.

/// A growable byte buffer an encoder appends to (`Vec<u8>`, `bytes::BytesMut`).
///
/// Encoders only append: what the buffer held before a call is never touched, so the
/// caller may keep unsent bytes in it and reuse it across calls without reallocation.
pub trait BodySink {
    /// Appends `bytes`.
    fn put(&mut self, bytes: &[u8]);

    /// Makes room for at least `additional` more octets (a hint: one growth per call
    /// instead of several).
    fn reserve(&mut self, additional: usize);
}

impl BodySink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }

    fn reserve(&mut self, additional: usize) {
        Vec::reserve(self, additional);
    }
}

impl BodySink for bytes::BytesMut {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }

    fn reserve(&mut self, additional: usize) {
        bytes::BytesMut::reserve(self, additional);
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
}
