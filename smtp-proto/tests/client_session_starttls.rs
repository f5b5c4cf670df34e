//! STARTTLS as a command through the driver: the upgrade, its checks, refusals and
//! response injection (CVE-2021-22947 class).

mod client_support;

use client_support::{Feed, TLS, ehlo_cmd, ready, run, run_both};
use smtp_proto::auth::{Credentials, Mechanism};
use smtp_proto::client::{Client, Output};
use smtp_proto::command::{
    Authenticate, Chain, CmdExt, Envelope, LogicError, MailBody, Noop, Rset, Select, SendMail,
    StartTls,
};
use smtp_proto::error::ProtocolError;
use smtp_proto::response::{Capability, Response};

const EHLO: &str = "250-mx.example\r\n250 STARTTLS\r\n";
const BARE: &str = "250-mx.example\r\n250 PIPELINING\r\n";

fn plain() -> Client {
    ready(EHLO, false)
}

fn bare() -> Client {
    ready(BARE, false)
}

#[test]
fn starttls_220_upgrades_then_finishes_and_forgets_ehlo() {
    let mut client = plain();
    let run = run(
        &mut client,
        StartTls,
        &[b"220 2.0.0 go ahead\r\n"],
        Feed::Bytewise,
    );
    assert_eq!(run.written, format!("STARTTLS\r\n{TLS}"));
    run.ok();
    let session = client.session();
    assert!(session.is_tls());
    assert!(session.ehlo().is_none());
    assert!(client.is_usable());
}

#[test]
fn starttls_not_offered_is_refused_before_a_byte() {
    let run = run_both(bare, || StartTls, &[]);
    assert_eq!(run.written, "");
    assert_eq!(
        run.refused(),
        LogicError::Unsupported {
            command: "STARTTLS",
            capability: "STARTTLS"
        }
    );
}

#[test]
fn starttls_on_tls_is_refused_before_a_byte() {
    let run = run_both(|| ready(EHLO, true), || StartTls, &[]);
    assert_eq!(run.written, "");
    assert!(matches!(
        run.refused(),
        LogicError::WrongState {
            command: "STARTTLS",
            ..
        }
    ));
}

/// A client made without TLS (an adapter configured for plaintext only) has no handshake
/// to run after a 220, so STARTTLS is refused before its line, alone or inside a
/// composite, and the server is never left waiting for a handshake.
#[test]
fn starttls_without_tls_is_refused_before_a_byte() {
    let alone = run_both(|| plain().without_tls(), || StartTls, &[]);
    assert_eq!(alone.written, "");
    assert_eq!(
        alone.refused(),
        LogicError::WrongState {
            command: "STARTTLS",
            reason: "this connection was set up without TLS",
        }
    );
    assert!(!plain().without_tls().session().can_start_tls());
    assert!(plain().session().can_start_tls());

    let mut client = plain().without_tls();
    let chained = run(
        &mut client,
        Noop::default().then(StartTls),
        &[b"250 ok\r\n"],
        Feed::Whole,
    );
    assert_eq!(chained.written, "NOOP\r\n");
    assert!(matches!(
        chained.refused(),
        LogicError::WrongState {
            command: "STARTTLS",
            ..
        }
    ));
    assert!(!client.session().is_tls() && client.is_usable());
}

#[test]
fn starttls_refusal_is_a_logic_error_and_stays_plaintext() {
    let mut client = plain();
    let run = run(
        &mut client,
        StartTls,
        &[b"454 4.7.0 TLS not available\r\n"],
        Feed::Whole,
    );
    assert_eq!(run.written, "STARTTLS\r\n");
    assert!(matches!(
        run.refused(),
        LogicError::Refused {
            command: "STARTTLS",
            ..
        }
    ));
    assert!(!client.session().is_tls());
    assert!(client.is_usable());
}

#[test]
fn starttls_other_positive_reply_is_fatal() {
    let run = run_both(plain, || StartTls, &[b"250 sure\r\n"]);
    assert!(matches!(
        run.fatal(),
        ProtocolError::ImpossibleReply {
            command: "STARTTLS",
            ..
        }
    ));
}

#[test]
fn starttls_injection_in_the_same_read_is_fatal_and_nothing_follows() {
    let mut client = plain();
    let injected: &[u8] = b"220 go ahead\r\n250-evil\r\n250 AUTH PLAIN\r\n";
    let run = run(&mut client, StartTls, &[injected], Feed::Whole);
    assert_eq!(run.written, "STARTTLS\r\n");
    assert_eq!(run.fatal(), ProtocolError::StartTlsInjection);
    assert!(!client.is_usable());
}

#[test]
fn starttls_injection_after_the_220_is_fatal() {
    // The 220 alone, then bytes before the handshake: the driver refuses them.
    let mut client = plain();
    let mut ex = client.send(StartTls);
    let now = std::time::Instant::now();
    assert!(matches!(ex.poll_output(now), Ok(Output::Transmit(_))));
    let _ = ex.poll_output(now);
    ex.handle_input(b"220 go\r\n");
    assert!(matches!(ex.poll_output(now), Ok(Output::UpgradeTls)));
    ex.handle_input(b"250 injected\r\n");
    assert_eq!(
        ex.poll_output(now).unwrap_err(),
        ProtocolError::StartTlsInjection
    );
}

/// The EHLO of a plaintext session that offers PIPELINING, AUTH PLAIN and STARTTLS.
const EHLO_PLAIN: &str = "250-mx.example\r\n250-PIPELINING\r\n250-AUTH PLAIN\r\n250 STARTTLS\r\n";

/// RFC 3207 §4.2: after TLS the client MUST discard what it knew from before (the EHLO
/// list) and SHOULD send EHLO first. A composite starts its next command on STARTTLS's 220,
/// before the handshake: the session it sees has no EHLO data already, so a mail (which
/// needs a hello) is refused before a byte of it is written, not planned from the
/// plaintext EHLO's PIPELINING and sent over TLS without EHLO.
#[test]
fn a_mail_after_starttls_in_a_composite_needs_a_new_ehlo() {
    let mut client = ready(EHLO_PLAIN, false);
    let envelope = Envelope::new(
        "<a@example.org>".parse().unwrap(),
        ["<b@example.net>".parse().unwrap()],
    )
    .unwrap();
    let cmd = StartTls.then(SendMail::new(envelope, MailBody::bytes(&b"hi\r\n"[..])));
    let run = run(
        &mut client,
        cmd,
        &[
            b"220 go\r\n",
            b"250 ok\r\n250 ok\r\n354 go\r\n",
            b"250 queued\r\n",
        ],
        Feed::Whole,
    );
    assert_eq!(run.written, format!("STARTTLS\r\n{TLS}"));
    assert!(matches!(
        run.refused(),
        LogicError::WrongState {
            command: "MAIL",
            ..
        }
    ));
    let session = client.session();
    assert!(session.is_tls() && !session.has_hello() && !session.in_transaction());
    assert!(client.is_usable());
}

/// RFC 3207 §4.2 and RFC 4954 §4: the same for AUTH, whose mechanism would have come from
/// the plaintext EHLO's AUTH list, its credentials the first line inside TLS. With no EHLO
/// data there is no mechanism to choose, with or without `allow_plaintext` (the session
/// counts as TLS from the 220 on), and nothing is written after STARTTLS.
#[test]
fn auth_after_starttls_in_a_composite_needs_a_new_ehlo() {
    let mut client = ready(EHLO_PLAIN, false);
    let auth = Authenticate::new(Credentials::password("tim", "secret")).allow_plaintext(true);
    let allowed = run(
        &mut client,
        StartTls.then(auth),
        &[b"220 go\r\n", b"235 ok\r\n"],
        Feed::Whole,
    );
    assert_eq!(allowed.written, format!("STARTTLS\r\n{TLS}"));
    assert_eq!(allowed.refused(), LogicError::NoMechanism);
    assert!(client.session().authenticated().is_none());

    let mut client = ready(EHLO_PLAIN, false);
    let auth = Authenticate::new(Credentials::password("tim", "secret"));
    let run = run(
        &mut client,
        StartTls.then(auth),
        &[b"220 go\r\n", b"235 ok\r\n"],
        Feed::Whole,
    );
    assert_eq!(run.written, format!("STARTTLS\r\n{TLS}"));
    assert_eq!(run.refused(), LogicError::NoMechanism);
}

/// RFC 3207 §4.2: the way that works, a chain with EHLO first inside TLS: AUTH chooses from
/// the new EHLO data (PLAIN there, where the plaintext EHLO offered none).
#[test]
fn a_chain_after_starttls_authenticates_from_the_new_ehlo() {
    let chain = || {
        Chain::new(vec![
            StartTls.map(|()| None).boxed(),
            ehlo_cmd().map(|_| None).boxed(),
            Authenticate::new(Credentials::password("tim", "secret"))
                .map(Some)
                .boxed(),
        ])
    };
    let run = run_both(
        || ready("250-mx.example\r\n250 STARTTLS\r\n", false),
        chain,
        &[
            b"220 go\r\n",
            b"250-mx.example\r\n250 AUTH PLAIN\r\n",
            b"235 ok\r\n",
        ],
    );
    assert!(
        run.written.starts_with(&format!(
            "STARTTLS\r\n{TLS}EHLO client.example\r\nAUTH PLAIN "
        )),
        "{:?}",
        run.written
    );
    assert_eq!(run.ok(), [None, None, Some(Mechanism::Plain)]);
}

/// RFC 3207 §4.2: a `Select` started after STARTTLS chooses by the session inside TLS, in
/// which nothing is offered until EHLO.
#[test]
fn a_select_after_starttls_sees_no_capability() {
    let reply_code = |r: Response| r.code().get();
    let cmd = || {
        StartTls.then(Select::if_supports(
            Capability::Pipelining,
            Noop::default().map(reply_code),
            Rset.map(reply_code),
        ))
    };
    let run = run_both(
        || ready(EHLO_PLAIN, false),
        cmd,
        &[b"220 go\r\n", b"250 reset\r\n"],
    );
    assert_eq!(run.written, format!("STARTTLS\r\n{TLS}RSET\r\n"));
    assert_eq!(run.ok(), ((), 250));
}

/// From the 220 on the session counts as TLS, as it will be before anything else leaves:
/// a second STARTTLS in the same composite is out of place (`WrongState`, RFC 3207 §4.2),
/// not unsupported, and a `Select` on `is_tls` takes the TLS branch.
#[test]
fn a_command_after_starttls_in_a_composite_sees_tls() {
    let twice = run_both(
        || ready(EHLO_PLAIN, false),
        || StartTls.then(StartTls),
        &[b"220 go\r\n"],
    );
    assert_eq!(twice.written, format!("STARTTLS\r\n{TLS}"));
    assert!(matches!(
        twice.refused(),
        LogicError::WrongState {
            command: "STARTTLS",
            reason: "the connection is already TLS (RFC 3207 §4.2)",
        }
    ));

    let reply_code = |r: Response| r.code().get();
    let mut client = ready(EHLO_PLAIN, false);
    let select = Select::new(
        |session| session.is_tls(),
        Noop::default().map(reply_code),
        Rset.map(reply_code),
    );
    let run = run(
        &mut client,
        StartTls.then(select),
        &[b"220 go\r\n", b"250 ok\r\n"],
        Feed::Whole,
    );
    assert_eq!(run.written, format!("STARTTLS\r\n{TLS}NOOP\r\n"));
    assert_eq!(run.ok(), ((), 250));
    assert!(client.session().is_tls());
}
