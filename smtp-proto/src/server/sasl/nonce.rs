//! Challenge nonces without randomness: the core draws none, so they come from a seed the
//! application picks per session and a counter.
//!
//! Good enough for a test server, where they only have to differ between exchanges; a
//! production server needs nonces an attacker cannot predict (RFC 5802 §9, RFC 2195 §2),
//! which means a seed from a secure random source for every session.

/// The nonce source of one session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Nonces {
    seed: u64,
    counter: u64,
}

/// The characters of a SCRAM server nonce: printable, no `,` (RFC 5802 §7 `nonce`).
#[cfg_attr(not(feature = "sasl-scram"), allow(dead_code))]
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

impl Nonces {
    pub(crate) fn new(seed: u64) -> Self {
        Self { seed, counter: 0 }
    }

    /// The next 64 bits: SplitMix64 over seed and counter, so consecutive nonces of a
    /// session, and the same counter under different seeds, look unrelated.
    fn next(&mut self) -> u64 {
        self.counter = self.counter.wrapping_add(1);
        let mut z = self
            .seed
            .wrapping_add(self.counter.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A CRAM-MD5 challenge in `msg-id` form, `<nonce.counter@host>` (RFC 2195 §2 has a
    /// random number and a timestamp; the counter stands in for the clock).
    #[cfg_attr(not(feature = "sasl-cram-md5"), allow(dead_code))]
    pub(crate) fn cram_md5_challenge(&mut self, host: &str) -> String {
        let nonce = self.next();
        format!("<{nonce}.{}@{host}>", self.counter)
    }

    /// The server's part of a SCRAM nonce: 22 characters of [`ALPHABET`] (128 bits).
    #[cfg_attr(not(feature = "sasl-scram"), allow(dead_code))]
    pub(crate) fn scram_nonce(&mut self) -> String {
        let bits = [self.next(), self.next()];
        (0..22)
            .map(|i| {
                let word = bits.get(i / 11).copied().unwrap_or_default();
                let index = (word >> ((i % 11) * 6)) & 63;
                ALPHABET
                    .get(usize::try_from(index).unwrap_or_default())
                    .copied()
                    .map_or('A', char::from)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_differ_per_exchange_and_per_seed_and_repeat_per_seed() {
        let mut a = Nonces::new(7);
        let first = a.cram_md5_challenge("mx.test");
        let second = a.cram_md5_challenge("mx.test");
        assert_ne!(first, second);
        assert!(
            first.starts_with('<') && first.ends_with(".1@mx.test>"),
            "{first}"
        );
        assert!(second.ends_with(".2@mx.test>"), "{second}");
        assert_eq!(Nonces::new(7).cram_md5_challenge("mx.test"), first);
        assert_ne!(Nonces::new(8).cram_md5_challenge("mx.test"), first);

        let scram = Nonces::new(7).scram_nonce();
        assert_eq!(scram.len(), 22);
        assert!(scram.bytes().all(|b| ALPHABET.contains(&b)), "{scram}");
        assert_ne!(scram, Nonces::new(9).scram_nonce());
    }

    /// The mixer is SplitMix64: its first three outputs for seed 0 as the reference
    /// implementation gives them; and the nonces are read from those bits, six at a time
    /// from the low end.
    #[test]
    fn nonces_are_splitmix64_outputs() {
        let mut nonces = Nonces::new(0);
        assert_eq!(
            [nonces.next(), nonces.next(), nonces.next()],
            [
                0xE220_A839_7B1D_CDAF,
                0x6E78_9E6A_A1B9_65F4,
                0x06C4_5D18_8009_454F
            ]
        );
        assert_eq!(
            Nonces::new(0).cram_md5_challenge("mx.test"),
            "<16294208416658607535.1@mx.test>"
        );
        // 0xE220A8397B1DCDAF's low six bits are 0b101111, the 48th character: `v`.
        assert_eq!(Nonces::new(0).scram_nonce(), "v2cH7lDqgIO0XWuhqmn45G");
    }
}
