//! The sans-IO server's session rules: limits, refusals with their exact replies, the
//! STARTTLS boundary, BDAT counting, AUTH exchanges, and split-invariance (proptest).
#![cfg(feature = "server")]

use proptest::prelude::*;
use smtp_proto::response::ReplyCode;
use smtp_proto::server::{
    Command, CommandError, Event, HelloKind, Output, Refusal, Reply, SaslCredentials, SaslError,
    SaslMechanism, Server, ServerConfig, ServerError,
};

fn reply(code: u16) -> Reply {
    Reply::new(ReplyCode::new(code).unwrap(), "x").unwrap()
}

/// A greeted server with the given limits.
fn server(config: ServerConfig) -> Server {
    let mut s = Server::new(config);
    s.reply(reply(220)).unwrap();
    assert_eq!(s.poll_output(), Output::Transmit(b"220 x\r\n".to_vec()));
    s
}

/// Polls until input or a reply is needed, answering nothing.
fn outputs(s: &mut Server) -> Vec<Output> {
    let mut out = Vec::new();
    loop {
        match s.poll_output() {
            o @ (Output::NeedInput | Output::NeedReply | Output::Close | Output::UpgradeTls) => {
                out.push(o);
                return out;
            }
            o => out.push(o),
        }
    }
}

fn transmit(text: &str) -> Output {
    Output::Transmit(text.as_bytes().to_vec())
}

#[test]
fn overlong_line_is_refused_with_500_without_buffering() {
    let mut s = server(ServerConfig {
        max_line_length: 16,
        ..ServerConfig::default()
    });
    s.handle_input(&[b'a'; 20]);
    let refusal = Refusal::Command(CommandError::LineTooLong { limit: 16 });
    assert_eq!(
        outputs(&mut s),
        [
            transmit("500 5.5.2 Line too long\r\n"),
            Output::Event(Event::Refused(refusal)),
            Output::NeedInput
        ]
    );
    // The rest of the line is skipped, the next line is a command again.
    s.handle_input(&[b'a'; 1000]);
    assert_eq!(outputs(&mut s), [Output::NeedInput]);
    s.handle_input(b"aaa\r\nNOOP\r\n");
    assert_eq!(
        outputs(&mut s),
        [
            Output::Event(Event::Command(Command::Noop)),
            Output::NeedReply
        ]
    );
    // The limit counts the CRLF: 16 octets are a command, 17 are refused, arriving whole.
    s.reply(reply(250)).unwrap();
    s.handle_input(b"NOOP 123456789\r\nNOOP 1234567890\r\n");
    let refusal = Refusal::Command(CommandError::LineTooLong { limit: 16 });
    assert_eq!(
        outputs(&mut s),
        [
            transmit("250 x\r\n"),
            Output::Event(Event::Command(Command::Noop)),
            Output::NeedReply
        ]
    );
    s.reply(reply(250)).unwrap();
    assert_eq!(
        outputs(&mut s),
        [
            transmit("250 x\r\n"),
            transmit("500 5.5.2 Line too long\r\n"),
            Output::Event(Event::Refused(refusal)),
            Output::NeedInput
        ]
    );
}

#[test]
fn refusals_carry_their_reply_codes() {
    let cases: [(&[u8], &str); 5] = [
        (b"HELLO\r\n", "500 5.5.2 Command not recognized\r\n"),
        (b"NOOP\n", "500 5.5.2 Bare LF not allowed\r\n"),
        (
            b"MAIL FROM:<a@b> FOO=\x00\r\n",
            "500 5.5.2 Command not recognized\r\n",
        ),
        (
            b"MAIL FROM:<a@b> SIZE=big\r\n",
            "555 5.5.4 Parameter not recognized\r\n",
        ),
        (
            b"RCPT TO:<a@b\r\n",
            "501 5.5.4 Syntax error in arguments\r\n",
        ),
    ];
    for (line, expected) in cases {
        let mut s = server(ServerConfig::default());
        s.handle_input(line);
        let out = outputs(&mut s);
        assert_eq!(out.first(), Some(&transmit(expected)), "{line:?}");
        assert!(matches!(out.get(1), Some(Output::Event(Event::Refused(_)))));
    }
}

#[test]
fn extension_verbs_go_to_the_application_and_others_stay_refused() {
    let mut s = server(ServerConfig {
        extensions: vec!["XPing".into(), "MAIL".into()],
        ..ServerConfig::default()
    });
    s.handle_input(b"xping hello  world\r\n");
    let ping = Command::Extension {
        verb: "XPING".into(),
        args: "hello  world".into(),
    };
    assert_eq!(
        outputs(&mut s),
        [Output::Event(Event::Command(ping)), Output::NeedReply]
    );
    s.reply("250 2.0.0 pong".parse().unwrap()).unwrap();
    assert_eq!(
        outputs(&mut s),
        [transmit("250 2.0.0 pong\r\n"), Output::NeedInput]
    );
    // A bare verb has empty arguments; an unlisted verb is still a 500; a listed verb the
    // server knows stays the server's (MAIL is parsed, not handed out).
    s.handle_input(b"XPING\r\n");
    let bare = Command::Extension {
        verb: "XPING".into(),
        args: String::new(),
    };
    assert_eq!(
        outputs(&mut s),
        [Output::Event(Event::Command(bare)), Output::NeedReply]
    );
    s.reply(reply(250)).unwrap();
    assert_eq!(outputs(&mut s), [transmit("250 x\r\n"), Output::NeedInput]);
    s.handle_input(b"XPONG\r\n");
    assert_eq!(
        outputs(&mut s).first(),
        Some(&transmit("500 5.5.2 Command not recognized\r\n"))
    );
    s.handle_input(b"MAIL FROM:<a@b.example>\r\n");
    assert!(matches!(
        outputs(&mut s).first(),
        Some(Output::Event(Event::Command(Command::Mail { .. })))
    ));
}

#[test]
fn bytes_pipelined_after_starttls_are_discarded() {
    let mut s = server(ServerConfig::default());
    s.handle_input(b"STARTTLS\r\nMAIL FROM:<evil@example.org>\r\n");
    assert_eq!(
        outputs(&mut s),
        [
            Output::Event(Event::Command(Command::StartTls)),
            Output::NeedReply
        ]
    );
    s.reply(reply(220)).unwrap();
    let refusal = Refusal::InjectedAfterStartTls { octets: 30 };
    assert_eq!(
        outputs(&mut s),
        [
            transmit("220 x\r\n"),
            Output::Event(Event::Refused(refusal)),
            Output::UpgradeTls
        ]
    );
    assert_eq!(s.tls_established(), Ok(()));
    assert_eq!(s.tls_established(), Err(ServerError::NotUpgrading));
    s.handle_input(b"QUIT\r\n");
    assert_eq!(
        outputs(&mut s),
        [
            Output::Event(Event::Command(Command::Quit)),
            Output::NeedReply
        ]
    );
    s.reply(reply(221)).unwrap();
    assert_eq!(outputs(&mut s), [transmit("221 x\r\n"), Output::Close]);
}

#[test]
fn the_upgrade_and_the_close_hold_until_done() {
    // UpgradeTls is asked for until the handshake is reported, and input meanwhile (a
    // plaintext line where TLS records belong) is not kept for after it.
    let mut s = server(ServerConfig::default());
    s.handle_input(b"STARTTLS\r\n");
    assert_eq!(outputs(&mut s).last(), Some(&Output::NeedReply));
    s.reply(reply(220)).unwrap();
    assert_eq!(outputs(&mut s), [transmit("220 x\r\n"), Output::UpgradeTls]);
    s.handle_input(b"NOOP\r\n");
    assert_eq!(s.poll_output(), Output::UpgradeTls);
    assert_eq!(s.poll_output(), Output::UpgradeTls);
    s.tls_established().unwrap();
    assert_eq!(s.poll_output(), Output::NeedInput);

    // The client's end of input closes the session, also with a command half read, and
    // nothing read after it counts.
    s.handle_input(b"NOOP\r\nRSET");
    assert_eq!(
        outputs(&mut s),
        [
            Output::Event(Event::Command(Command::Noop)),
            Output::NeedReply
        ]
    );
    s.reply(reply(250)).unwrap();
    s.handle_eof();
    assert_eq!(outputs(&mut s), [transmit("250 x\r\n"), Output::Close]);
    s.handle_input(b"\r\nQUIT\r\n");
    assert_eq!(s.poll_output(), Output::Close);
}

#[test]
fn reply_without_event_is_misuse() {
    let mut s = server(ServerConfig::default());
    assert_eq!(s.reply(reply(250)), Err(ServerError::NotAwaitingReply));
}

#[test]
fn bdat_chunk_is_counted_not_parsed() {
    let mut s = server(ServerConfig::default());
    s.handle_input(b"BDAT 7 LAST\r\nQUIT\r\n\r\nNOOP\r\n");
    assert_eq!(
        outputs(&mut s),
        [
            Output::Event(Event::MessageData(b"QUIT\r\n\r".to_vec())),
            Output::Event(Event::Command(Command::Bdat {
                size: 7,
                last: true
            })),
            Output::NeedReply
        ]
    );
    s.reply(reply(250)).unwrap();
    // The octet after the chunk is a bare LF: refused, then NOOP is read.
    let out = outputs(&mut s);
    assert_eq!(
        out.get(1),
        Some(&transmit("500 5.5.2 Bare LF not allowed\r\n"))
    );
    assert_eq!(
        out.get(3),
        Some(&Output::Event(Event::Command(Command::Noop)))
    );
}

#[test]
fn message_pieces_are_handed_out_as_they_arrive() {
    // A piece of a body is an event at once: NeedInput comes only once nothing is left.
    let mut s = server(ServerConfig::default());
    s.handle_input(b"DATA\r\n");
    outputs(&mut s);
    s.reply(reply(354)).unwrap();
    assert_eq!(outputs(&mut s), [transmit("354 x\r\n"), Output::NeedInput]);
    s.handle_input(b"Subject: a\r\n");
    assert_eq!(
        outputs(&mut s),
        [
            Output::Event(Event::MessageData(b"Subject: a\r\n".to_vec())),
            Output::NeedInput
        ]
    );
    s.handle_input(b".\r\nBDAT 6 LAST\r\nab");
    assert_eq!(
        outputs(&mut s),
        [Output::Event(Event::DataEnd), Output::NeedReply]
    );
    s.reply(reply(250)).unwrap();
    assert_eq!(
        outputs(&mut s),
        [
            transmit("250 x\r\n"),
            Output::Event(Event::MessageData(b"ab".to_vec())),
            Output::NeedInput
        ]
    );
    s.handle_input(b"cdef");
    assert_eq!(
        outputs(&mut s),
        [
            Output::Event(Event::MessageData(b"cdef".to_vec())),
            Output::Event(Event::Command(Command::Bdat {
                size: 6,
                last: true
            })),
            Output::NeedReply
        ]
    );
}

#[test]
fn message_over_the_limit_is_refused_with_552() {
    let mut s = server(ServerConfig {
        max_message_size: 4,
        ..ServerConfig::default()
    });
    s.handle_input(b"DATA\r\n");
    outputs(&mut s);
    s.reply(reply(354)).unwrap();
    s.handle_input(b"12345\r\n.\r\n");
    let out = outputs(&mut s);
    assert_eq!(
        out[1..],
        [
            transmit("552 5.3.4 Message too big\r\n"),
            Output::Event(Event::Refused(Refusal::MessageTooLarge { limit: 4 })),
            Output::NeedInput
        ]
    );
}

#[test]
fn a_transaction_left_over_the_limit_is_forgotten_by_the_next_one() {
    // BDAT chunks over the limit get 552 each; the client gives up with RSET or a new
    // EHLO (MAIL takes the same arm), and the next message is counted from zero, with no
    // further 552.
    for (reset, event) in [
        ("RSET", Command::Rset),
        (
            "EHLO c.example",
            Command::Hello {
                kind: HelloKind::Ehlo,
                client: "c.example".parse().unwrap(),
            },
        ),
    ] {
        let mut s = server(ServerConfig {
            max_message_size: 4,
            ..ServerConfig::default()
        });
        s.handle_input(b"BDAT 5\r\n12345");
        let refusal = Output::Event(Event::Refused(Refusal::MessageTooLarge { limit: 4 }));
        assert_eq!(
            outputs(&mut s),
            [
                transmit("552 5.3.4 Message too big\r\n"),
                refusal,
                Output::NeedInput
            ]
        );
        s.handle_input(format!("{reset}\r\n").as_bytes());
        assert_eq!(
            outputs(&mut s),
            [Output::Event(Event::Command(event)), Output::NeedReply],
            "{reset}"
        );
        s.reply(reply(250)).unwrap();
        s.handle_input(b"BDAT 4 LAST\r\n1234");
        assert_eq!(
            outputs(&mut s),
            [
                transmit("250 x\r\n"),
                Output::Event(Event::MessageData(b"1234".to_vec())),
                Output::Event(Event::Command(Command::Bdat {
                    size: 4,
                    last: true
                })),
                Output::NeedReply
            ],
            "{reset}"
        );
    }
}

#[test]
fn auth_login_and_cancel() {
    let mut s = server(ServerConfig::default());
    s.handle_input(b"AUTH LOGIN\r\ndGlt\r\n");
    let out = outputs(&mut s);
    assert_eq!(
        out[..2],
        [
            transmit("334 VXNlcm5hbWU6\r\n"),
            transmit("334 UGFzc3dvcmQ6\r\n")
        ]
    );
    s.handle_input(b"cHc=\r\n");
    let Some(Output::Event(Event::Authenticate(SaslCredentials::Password {
        mechanism,
        username,
        password,
        ..
    }))) = outputs(&mut s).into_iter().next()
    else {
        panic!("no credentials")
    };
    assert_eq!(
        (mechanism, username.as_str(), password.expose()),
        (SaslMechanism::Login, "tim", "pw")
    );
    // Refused: another AUTH may start (after a 235 it would get 503, RFC 4954 §4).
    s.reply(reply(535)).unwrap();
    s.handle_input(b"AUTH PLAIN\r\n*\r\n");
    let out = outputs(&mut s);
    assert_eq!(
        out[1..4],
        [
            transmit("334 \r\n"),
            transmit("501 5.7.0 Authentication cancelled\r\n"),
            Output::Event(Event::Refused(Refusal::Auth(SaslError::Cancelled))),
        ]
    );
}

/// Events and transmits of a scripted session, message pieces merged.
fn transcript(input: &[u8], split: usize) -> Vec<String> {
    let mut s = server(ServerConfig::default());
    let mut seen: Vec<String> = Vec::new();
    let mut data = Vec::new();
    for chunk in input.chunks(split.max(1)) {
        s.handle_input(chunk);
        loop {
            match s.poll_output() {
                Output::Event(Event::MessageData(d)) => data.extend(d),
                Output::Event(e) => {
                    let code = match &e {
                        Event::Command(Command::Data) => Some(354),
                        Event::Command(Command::Quit) => Some(221),
                        Event::Refused(_) => None,
                        _ => Some(250),
                    };
                    seen.push(format!("{e:?} after {:?}", std::mem::take(&mut data)));
                    if let Some(code) = code {
                        s.reply(reply(code)).unwrap();
                    }
                }
                Output::Transmit(t) => seen.push(String::from_utf8(t).unwrap()),
                Output::NeedInput | Output::Close => break,
                o => panic!("{o:?}"),
            }
        }
    }
    seen
}

proptest! {
    #[test]
    fn any_split_gives_the_same_session(body in "[a-z.\r\n]{0,60}", split in 1usize..20) {
        let mut input = b"EHLO x.example\r\nMAIL FROM:<a@b.example>\r\nDATA\r\n".to_vec();
        input.extend(body.replace('\n', "\r\n").replace("\r\r", "\r").as_bytes());
        input.extend(b"\r\n.\r\nBDAT 3\r\nabcBDAT 0 LAST\r\nQUIT\r\n");
        prop_assert_eq!(transcript(&input, split), transcript(&input, input.len()));
    }
}
