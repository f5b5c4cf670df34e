//! RFC 5321 §4.1.2 as types: domains, address literals, local parts, mailboxes, paths,
//! the EHLO client identity and ESMTP parameters.

pub mod esmtp;
