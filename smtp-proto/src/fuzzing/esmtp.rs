/// ESMTP parameter and xtext round-trip target: placeholder until the types land.
pub fn esmtp(_data: &[u8]) {}
