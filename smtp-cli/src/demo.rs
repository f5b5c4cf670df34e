//! `smtp demo`: one mail transaction, offline, through the sans-IO core.
//!
//! The server side is a script of replies (what Postfix answers); the client side is the
//! real thing: every `C:` line below is produced by `smtp_proto`'s command and body
//! encoders, every `S:` line is parsed back into a typed reply by its `ReplyParser`.

use std::error::Error;

use smtp_proto::command::{Data, Ehlo, Mail, Quit, Rcpt};
use smtp_proto::data::{BodyPolicy, BodySummary, encode_data};
use smtp_proto::response::{BytesMut, Capability, EhloData, ReplyParser, Response};
use smtp_proto::syntax::esmtp::{Body, MailParameters, RcptParameters};
use smtp_proto::syntax::{AddressEncoding, ClientId, ForwardPath, ReversePath};

const BODY: &[u8] = b"From: demo@example.org\nTo: alice@example.com\nSubject: caf\xc3\xa9\n\n\
Lines that start with a dot are stuffed:\n.like this one\n";

/// `smtp demo`: exit 0 when the scripted session completed, 2 otherwise.
pub(crate) fn main(_runtime: crate::args::Runtime) -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("smtp demo: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

/// Runs the scripted session and prints its transcript.
fn run() -> Result<(), Box<dyn Error>> {
    let mut server = Script::default();
    let greeting = server.reply(b"220 mx.example ESMTP Postfix\r\n")?;
    check(&greeting, 220)?;

    client(|w| Ehlo::new(ClientId::localhost()).map(|c| c.encode(w)))?;
    let ehlo = server.reply(
        b"250-mx.example\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-8BITMIME\r\n\
          250-ENHANCEDSTATUSCODES\r\n250 SMTPUTF8\r\n",
    )?;
    let ehlo = EhloData::try_from(ehlo)?;
    let keywords: Vec<&str> = ehlo.keywords().map(|k| k.name()).collect();
    println!("   server {} offers {}", ehlo.domain(), keywords.join(", "));

    let summary = BodySummary::of(BODY, BodyPolicy::default());
    let mut params = MailParameters::new();
    if ehlo.supports(Capability::Size) {
        params.size = Some(summary.size());
    }
    if summary.has_8bit() && ehlo.supports(Capability::EightBitMime) {
        params.body = Some(Body::EightBitMime);
    }
    let from: ReversePath = "<demo@example.org>".parse()?;
    let to: ForwardPath = "<alice@example.com>".parse()?;
    client(|w| Mail::new(from, params).encode(w, AddressEncoding::Ascii))?;
    check(&server.reply(b"250 2.1.0 Ok\r\n")?, 250)?;
    client(|w| Rcpt::new(to, RcptParameters::new()).encode(w, AddressEncoding::Ascii))?;
    check(&server.reply(b"250 2.1.5 Ok\r\n")?, 250)?;
    client(|w| {
        Data.encode(w);
        Ok::<_, std::convert::Infallible>(())
    })?;
    check(
        &server.reply(b"354 End data with <CR><LF>.<CR><LF>\r\n")?,
        354,
    )?;
    client(|w| encode_data(BODY, BodyPolicy::default(), w))?;
    let verdict = server.reply(b"250 2.0.0 Ok: queued as 4F2A\r\n")?;
    check(&verdict, 250)?;
    client(|w| {
        Quit.encode(w);
        Ok::<_, std::convert::Infallible>(())
    })?;
    check(&server.reply(b"221 2.0.0 Bye\r\n")?, 221)?;
    println!("   outcome: delivered ({verdict})");
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_scripted_session_completes() {
        super::run().unwrap();
    }
}

/// Encodes what the client sends and prints it, one `C:` line per wire line.
fn client<E: Error + 'static>(
    encode: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
) -> Result<(), Box<dyn Error>> {
    let mut wire = Vec::new();
    encode(&mut wire)?;
    for line in wire.split_inclusive(|&b| b == b'\n') {
        println!("C: {}", String::from_utf8_lossy(line).trim_end());
    }
    Ok(())
}

/// The scripted server: replies are fed to the real parser in two halves, as a network
/// might split them.
#[derive(Default)]
struct Script {
    parser: ReplyParser,
    buf: BytesMut,
}

impl Script {
    fn reply(&mut self, bytes: &[u8]) -> Result<Response, Box<dyn Error>> {
        let (first, second) = bytes.split_at(bytes.len() / 2);
        self.buf.extend_from_slice(first);
        if let Some(early) = self.parser.parse(&mut self.buf)? {
            return Err(format!("reply complete too early: {early}").into());
        }
        self.buf.extend_from_slice(second);
        let reply = self
            .parser
            .parse(&mut self.buf)?
            .ok_or("incomplete reply")?;
        for line in reply.as_bytes().split_inclusive(|&b| b == b'\n') {
            println!("S: {}", String::from_utf8_lossy(line).trim_end());
        }
        Ok(reply)
    }
}

fn check(reply: &Response, code: u16) -> Result<(), Box<dyn Error>> {
    if u16::from(reply.code()) == code {
        Ok(())
    } else {
        Err(format!("expected {code}, got {reply}").into())
    }
}
