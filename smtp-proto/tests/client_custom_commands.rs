//! The extensibility proof: commands written outside the crate, with the public API only,
//! run through the driver exactly like the built-ins: a re-implemented EHLO (whose effect
//! the built-in STARTTLS then relies on) and a vendor command with a multi-step exchange.

mod client_support;

use client_support::{Feed, TLS, fresh, greet, ready, run, run_both};
use smtp_proto::client::{Client, Context, ReplyKind, Session};
use smtp_proto::command::{Chain, Cmd, CmdExt, LogicError, StartTls, Step};
use smtp_proto::error::ProtocolError;
use smtp_proto::response::{Capability, EhloData, Response};

/// EHLO, written from scratch: the line, the EHLO data stored through the public effect.
struct MyEhlo(&'static str);

impl Cmd for MyEhlo {
    type Output = EhloData;

    fn start(&mut self, cx: &mut Context<'_>) -> Step<EhloData> {
        let name = self.0;
        cx.command(ReplyKind::Hello, |out| {
            out.extend_from_slice(b"EHLO ");
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b"\r\n");
        });
        Step::Continue
    }

    fn on_reply(&mut self, reply: Response, cx: &mut Context<'_>) -> Step<EhloData> {
        if !reply.is_positive_completion() {
            return Step::Done(Err(LogicError::refused("EHLO", reply)));
        }
        match EhloData::try_from(reply) {
            Ok(ehlo) => {
                cx.store_ehlo(ehlo.clone());
                Step::Done(Ok(ehlo))
            }
            Err(_) => Step::Fatal(ProtocolError::Misuse("unreachable: checked positive")),
        }
    }
}

/// `X-CHALLENGE`: the server answers 335 with a nonce, the client writes `X-ANSWER` with
/// the nonce reversed, and the server concludes with 250.
#[derive(Default)]
struct XChallenge {
    answered: bool,
}

impl Cmd for XChallenge {
    type Output = Response;

    fn check(&self, session: &Session) -> Result<(), LogicError> {
        let offered = session
            .ehlo()
            .is_some_and(|ehlo| ehlo.params("X-CHALLENGE").is_some());
        if offered {
            Ok(())
        } else {
            Err(LogicError::Unsupported {
                command: "X-CHALLENGE",
                capability: "X-CHALLENGE",
            })
        }
    }

    fn start(&mut self, cx: &mut Context<'_>) -> Step<Response> {
        cx.command(ReplyKind::Other, |out| {
            out.extend_from_slice(b"X-CHALLENGE\r\n")
        });
        Step::Continue
    }

    fn on_reply(&mut self, reply: Response, cx: &mut Context<'_>) -> Step<Response> {
        match (self.answered, reply.code().get()) {
            (false, 335) => {
                let nonce: Vec<u8> = reply.first_line().text().iter().rev().copied().collect();
                cx.command(ReplyKind::Other, |out| {
                    out.extend_from_slice(b"X-ANSWER ");
                    out.extend_from_slice(&nonce);
                    out.extend_from_slice(b"\r\n");
                });
                self.answered = true;
                Step::Continue
            }
            (true, 250) => Step::Done(Ok(reply)),
            (_, code) if code >= 400 => Step::Done(Err(LogicError::refused("X-CHALLENGE", reply))),
            _ => Step::Fatal(ProtocolError::ImpossibleReply {
                command: "X-CHALLENGE",
                response: reply,
            }),
        }
    }
}

const EHLO: &[u8] = b"250-mx.example\r\n250-STARTTLS\r\n250 X-CHALLENGE v1\r\n";

fn greeted() -> Client {
    let mut client = fresh(false);
    greet(&mut client);
    client
}

#[test]
fn custom_ehlo_stores_data_the_built_ins_use() {
    let mut client = greeted();
    let run = run(
        &mut client,
        MyEhlo("client.example"),
        &[EHLO],
        Feed::Bytewise,
    );
    assert_eq!(run.written, "EHLO client.example\r\n");
    assert_eq!(run.ok().params("X-CHALLENGE"), Some(&b"v1"[..]));
    assert!(client.session().supports(Capability::StartTls));
    // The built-in STARTTLS's check sees what the custom EHLO stored.
    let tls = client_support::run(&mut client, StartTls, &[b"220 go\r\n"], Feed::Whole);
    assert_eq!(tls.written, format!("STARTTLS\r\n{TLS}"));
    tls.ok();
    assert!(client.session().is_tls() && client.session().ehlo().is_none());
}

#[test]
fn vendor_command_with_a_second_line() {
    let ready = || ready(std::str::from_utf8(EHLO).unwrap(), false);
    let run = run_both(
        ready,
        XChallenge::default,
        &[b"335 abc123\r\n", b"250 welcome\r\n"],
    );
    assert_eq!(run.written, "X-CHALLENGE\r\nX-ANSWER 321cba\r\n");
    assert_eq!(run.ok().code().get(), 250);

    let run = run_both(
        ready,
        XChallenge::default,
        &[b"335 abc\r\n", b"535 wrong\r\n"],
    );
    assert!(matches!(
        run.refused(),
        LogicError::Refused {
            command: "X-CHALLENGE",
            ..
        }
    ));
    let run = run_both(ready, XChallenge::default, &[b"250 too early\r\n"]);
    assert!(matches!(run.fatal(), ProtocolError::ImpossibleReply { .. }));
}

#[test]
fn vendor_command_is_checked_before_a_byte() {
    let run = run_both(|| ready("250 mx\r\n", false), XChallenge::default, &[]);
    assert_eq!(run.written, "");
    assert!(matches!(
        run.refused(),
        LogicError::Unsupported {
            capability: "X-CHALLENGE",
            ..
        }
    ));
}

#[test]
fn custom_commands_compose_with_the_built_in_combinators() {
    let chain = || {
        Chain::new(vec![
            MyEhlo("client.example").map(|_| 0u16).boxed(),
            XChallenge::default().map(|r| r.code().get()).boxed(),
        ])
    };
    let run = run_both(greeted, chain, &[EHLO, b"335 xy\r\n", b"250 ok\r\n"]);
    assert_eq!(
        run.written,
        "EHLO client.example\r\nX-CHALLENGE\r\nX-ANSWER yx\r\n"
    );
    assert_eq!(run.ok(), [0, 250]);
}

/// A custom command cannot fake the effects: an upgrade outside a 220 to STARTTLS is
/// refused by the driver.
struct FakeTls;
impl Cmd for FakeTls {
    type Output = ();
    fn start(&mut self, cx: &mut Context<'_>) -> Step<()> {
        cx.command(ReplyKind::Other, |out| out.extend_from_slice(b"X-TLS\r\n"));
        Step::Continue
    }
    fn on_reply(&mut self, _: Response, cx: &mut Context<'_>) -> Step<()> {
        cx.upgrade_tls();
        Step::Done(Ok(()))
    }
}

#[test]
fn custom_commands_cannot_fake_effects() {
    let run = run_both(|| ready("250 mx\r\n", false), || FakeTls, &[b"220 go\r\n"]);
    assert_eq!(run.written, "X-TLS\r\n");
    assert!(matches!(run.fatal(), ProtocolError::Misuse(_)));
}
