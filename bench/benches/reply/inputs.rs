//! The inputs shared by `benches/reply.rs` and `examples/instructions.rs`.

/// A one-line reply.
pub const ONE_LINE: &[u8] = b"250 2.1.5 Recipient <someone@example.com> OK\r\n";

/// A 12-line EHLO reply.
pub const EHLO_12: &[u8] = b"250-mx.example.com Hello client.example.org [192.0.2.1]\r\n\
250-PIPELINING\r\n\
250-SIZE 35882577\r\n\
250-ETRN\r\n\
250-STARTTLS\r\n\
250-AUTH PLAIN LOGIN XOAUTH2 OAUTHBEARER\r\n\
250-ENHANCEDSTATUSCODES\r\n\
250-8BITMIME\r\n\
250-DSN\r\n\
250-SMTPUTF8\r\n\
250-CHUNKING\r\n\
250 HELP\r\n";

/// 64 lines; Stalwart's receiver keeps at most 4096 bytes of text, so lines are short.
pub fn multiline_64() -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..63 {
        out.extend_from_slice(format!("250-2.0.0 line {i:02} of a long help text\r\n").as_bytes());
    }
    out.extend_from_slice(b"250 2.0.0 end of the help text\r\n");
    out
}
