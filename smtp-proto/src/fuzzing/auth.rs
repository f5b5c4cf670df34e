/// SASL challenge decoders target: placeholder until the mechanisms land.
pub fn sasl(_data: &[u8]) {}
