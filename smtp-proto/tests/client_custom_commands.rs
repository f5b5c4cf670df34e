//! The extensibility proof: commands written outside the crate, with the public API only,
//! run through the driver exactly like the built-ins: a re-implemented EHLO (whose effect
//! the built-in STARTTLS then relies on) and a vendor command with a multi-step exchange.

mod client_support;

use client_support::{Feed, TLS, fresh, greet, ready, run, run_both};
use smtp_proto::auth::Mechanism;
use smtp_proto::client::{Client, Context, ReplyKind, Session};
use smtp_proto::command::{Chain, Cmd, CmdExt, LogicError, StartTls, Step};
use smtp_proto::data::BodySink;
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

/// A custom command that writes `lines` at once, each expecting one reply of its kind, and
/// applies `effect` in the first reply.
struct Faker {
    lines: Lines,
    effect: fn(&mut Context<'_>),
}

impl Cmd for Faker {
    type Output = ();
    fn start(&mut self, cx: &mut Context<'_>) -> Step<()> {
        for (kind, line) in self.lines {
            cx.command(*kind, |out| out.extend_from_slice(line.as_bytes()));
        }
        Step::Continue
    }
    fn on_reply(&mut self, _: Response, cx: &mut Context<'_>) -> Step<()> {
        (self.effect)(cx);
        Step::Done(Ok(()))
    }
}

/// The lines a [`Faker`] writes.
type Lines = &'static [(ReplyKind, &'static str)];

const STARTTLS: Lines = &[(ReplyKind::StartTls, "STARTTLS\r\n")];
const HELLO: Lines = &[(ReplyKind::Hello, "EHLO client.example\r\n")];
const AUTH: Lines = &[(ReplyKind::Auth, "AUTH X-TOKEN\r\n")];
const OTHER: Lines = &[(ReplyKind::Other, "X-TLS\r\n")];

fn upgrade(cx: &mut Context<'_>) {
    cx.upgrade_tls();
}

fn store_ehlo(cx: &mut Context<'_>) {
    cx.store_ehlo(EhloData::try_from(Response::parse(EHLO).unwrap()).unwrap());
}

fn store_helo(cx: &mut Context<'_>) {
    cx.store_helo();
}

fn authenticated(cx: &mut Context<'_>) {
    cx.authenticated(Mechanism::Plain);
}

/// Runs a [`Faker`] on a client past EHLO (implicit TLS if `tls`) whose first reply is
/// `reply`, whole and byte by byte.
fn fake(
    tls: bool,
    lines: Lines,
    effect: fn(&mut Context<'_>),
    reply: &[u8],
) -> Result<(), ProtocolError> {
    let run = run_both(
        || ready("250 mx\r\n", tls),
        || Faker { lines, effect },
        &[reply],
    );
    let written: String = lines.iter().map(|(_, line)| *line).collect();
    assert!(run.written.starts_with(&written), "{}", run.written);
    run.result.map(|done| done.unwrap())
}

/// A custom command cannot fake the effects: each is allowed in one kind of reply to one
/// kind of line, and the driver refuses it anywhere else. Every refused case differs from
/// an allowed one in one thing.
#[test]
fn custom_commands_cannot_fake_effects() {
    use ProtocolError::Misuse;
    let tls = Err(Misuse("TLS upgrade outside a 220 reply to STARTTLS"));
    assert_eq!(fake(false, STARTTLS, upgrade, b"220 go\r\n"), Ok(()));
    assert_eq!(fake(false, OTHER, upgrade, b"220 go\r\n"), tls);
    assert_eq!(fake(false, STARTTLS, upgrade, b"250 go\r\n"), tls);
    assert_eq!(fake(true, STARTTLS, upgrade, b"220 go\r\n"), tls);
    let pipelined = &[
        (ReplyKind::StartTls, "STARTTLS\r\n"),
        (ReplyKind::Other, "NOOP\r\n"),
    ];
    assert_eq!(fake(false, pipelined, upgrade, b"220 go\r\n"), tls);
    let unsent = |cx: &mut Context<'_>| {
        cx.body(|out| out.put(b"in clear"));
        cx.upgrade_tls();
    };
    assert_eq!(fake(false, STARTTLS, unsent, b"220 go\r\n"), tls);
    // Bytes after the 220 are only seen when they arrive with it.
    let mut client = ready("250 mx\r\n", false);
    let faker = Faker {
        lines: STARTTLS,
        effect: upgrade,
    };
    let run = run(
        &mut client,
        faker,
        &[b"220 go\r\n250 injected\r\n"],
        Feed::Whole,
    );
    assert_eq!(run.written, "STARTTLS\r\n");
    assert_eq!(run.fatal(), ProtocolError::StartTlsInjection);

    let ehlo = Err(Misuse("EHLO data stored outside a reply to EHLO"));
    assert_eq!(fake(false, HELLO, store_ehlo, b"250 ok\r\n"), Ok(()));
    assert_eq!(fake(false, OTHER, store_ehlo, b"250 ok\r\n"), ehlo);
    assert_eq!(fake(false, HELLO, store_ehlo, b"550 no\r\n"), ehlo);
    let helo = Err(Misuse("HELO stored outside a reply to HELO"));
    assert_eq!(fake(false, HELLO, store_helo, b"250 ok\r\n"), Ok(()));
    assert_eq!(fake(false, OTHER, store_helo, b"250 ok\r\n"), helo);
    assert_eq!(fake(false, HELLO, store_helo, b"450 later\r\n"), helo);
    let auth = Err(Misuse("authenticated outside a 235 reply to AUTH"));
    assert_eq!(fake(false, AUTH, authenticated, b"235 ok\r\n"), Ok(()));
    assert_eq!(fake(false, OTHER, authenticated, b"235 ok\r\n"), auth);
    assert_eq!(fake(false, AUTH, authenticated, b"250 ok\r\n"), auth);
}
