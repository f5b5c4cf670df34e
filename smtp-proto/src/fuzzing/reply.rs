/// Reply parser target: placeholder until the parser lands.
pub fn reply(_data: &[u8]) {}

/// EHLO parser target: placeholder until the parser lands.
pub fn ehlo(_data: &[u8]) {}
