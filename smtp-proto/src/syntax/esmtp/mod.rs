//! ESMTP keywords, values and parameters (RFC 5321 §4.1.2), xtext (RFC 3461 §4).
