/// Syntax round-trip target: placeholder until the syntax types land.
pub fn syntax(_data: &[u8]) {}
