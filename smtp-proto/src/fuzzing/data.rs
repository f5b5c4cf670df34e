/// DATA encoder target: placeholder until the encoder lands.
pub fn data_encoder(_data: &[u8]) {}

/// BDAT framing target: placeholder until the framing lands.
pub fn bdat(_data: &[u8]) {}
