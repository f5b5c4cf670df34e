//! LMTP's answer to the end of a message: one reply per accepted recipient.

use super::super::event::{Output, ServerError};
use super::super::reply::Reply;
use super::{Awaiting, Mode, Server};

impl Server {
    /// Answers the end of a message (the end-of-data line, or BDAT LAST) with one reply per
    /// accepted recipient, in RCPT order: LMTP's answer (RFC 2033 §4.2). A 421 among them
    /// closes the session.
    pub fn reply_many(
        &mut self,
        replies: impl IntoIterator<Item = Reply>,
    ) -> Result<(), ServerError> {
        match self.awaiting {
            None => return Err(ServerError::NotAwaitingReply),
            Some(Awaiting::MessageEnd) => {}
            Some(_) => return Err(ServerError::NotMessageEnd),
        }
        let mut any = false;
        for reply in replies {
            any = true;
            if reply.code().get() == 421 {
                self.mode = Mode::Closed;
            }
            self.queue.push_back(Output::Transmit(reply.to_bytes()));
        }
        if !any {
            return Err(ServerError::NoReplies);
        }
        self.awaiting = None;
        self.end_transaction();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::{Command, Event, Output, Reply, Server, ServerConfig, ServerError};

    fn reply(text: &str) -> Reply {
        text.parse().unwrap()
    }

    /// Answers commands (354 to DATA, 250 else) until the end of a message or input.
    fn run(server: &mut Server) {
        loop {
            match server.poll_output() {
                Output::Event(Event::Command(Command::Data)) => {
                    server.reply(reply("354 go")).unwrap();
                }
                Output::Event(Event::DataEnd | Event::Command(Command::Bdat { .. })) => return,
                Output::Event(Event::Command(_)) => server.reply(reply("250 ok")).unwrap(),
                Output::Transmit(_) | Output::Event(_) => {}
                _ => return,
            }
        }
    }

    #[test]
    fn one_reply_per_recipient_at_the_end_of_data_only() {
        let mut server = Server::new(ServerConfig::default());
        server.reply(reply("220 lmtp")).unwrap();
        run(&mut server);
        server.handle_input(b"NOOP\r\n");
        assert_eq!(
            server.poll_output(),
            Output::Event(Event::Command(Command::Noop))
        );
        assert_eq!(
            server.reply_many([reply("250 a")]),
            Err(ServerError::NotMessageEnd)
        );
        server.reply(reply("250 ok")).unwrap();
        server.handle_input(b"DATA\r\nhi\r\n.\r\n");
        run(&mut server);
        assert_eq!(server.reply_many([]), Err(ServerError::NoReplies));
        server
            .reply_many([reply("250 2.1.5 a ok"), reply("452 4.2.2 b full")])
            .unwrap();
        let mut out = Vec::new();
        let after = loop {
            match server.poll_output() {
                Output::Transmit(bytes) => out.extend(bytes),
                other => break other,
            }
        };
        assert_eq!(out, b"250 2.1.5 a ok\r\n452 4.2.2 b full\r\n");
        // Without a 421 among them, the session goes on.
        assert_eq!(after, Output::NeedInput);
        assert_eq!(
            server.reply_many([reply("250 x")]),
            Err(ServerError::NotAwaitingReply)
        );
    }

    #[test]
    fn bdat_last_takes_several_replies_and_a_421_closes() {
        let mut server = Server::new(ServerConfig::default());
        server.reply(reply("220 lmtp")).unwrap();
        run(&mut server);
        server.handle_input(b"BDAT 3 LAST\r\nabc");
        run(&mut server);
        server
            .reply_many([reply("250 a"), reply("421 4.3.2 bye")])
            .unwrap();
        assert!(matches!(server.poll_output(), Output::Transmit(_)));
        assert!(matches!(server.poll_output(), Output::Transmit(_)));
        assert_eq!(server.poll_output(), Output::Close);
    }
}
