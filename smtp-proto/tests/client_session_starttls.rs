//! STARTTLS as a command through the driver: the upgrade, its checks, refusals and
//! response injection (CVE-2021-22947 class).

mod client_support;

use client_support::{Feed, TLS, ready, run, run_both};
use smtp_proto::client::{Client, Output};
use smtp_proto::command::{LogicError, StartTls};
use smtp_proto::error::ProtocolError;

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
