//! A server that keeps challenging (SECURITY.md "AUTH exchanges": a bounded number of 334
//! challenges; "credentials"): AUTH LOGIN inside TLS, and every line the client writes is
//! answered with another 334.
//!
//! The core bounds an exchange at [`DEFAULT_MAX_CHALLENGES`] 334s
//! ([`ProtocolError::TooManyChallenges`]), but LOGIN stops sooner: it answers two prompts
//! (username, then password) and fails the exchange on a third
//! ([`SaslError::UnexpectedChallenge`]), or as soon as a prompt plainly asks for the field
//! not due ([`SaslError::LoginPromptMismatch`]: a "Username:" prompt where the password is
//! due). So the client writes at most two lines after `AUTH LOGIN`, and the password once.

use base64::Engine as _;
use smtp_proto::auth::{Mechanism, SaslError};
use smtp_proto::client::Timeouts;
use smtp_proto::command::{DEFAULT_MAX_CHALLENGES, MailBody};
use smtp_proto::error::ProtocolError;

use super::{
    BODY, PASSWORD, PATIENT, TestPki, USER, attempt, check_no_credentials, config,
    greeting_and_ehlo, setup_error,
};
use crate::adapter::SmtpAdapter;
use crate::server::{Played, ScriptedServer, Step, expect, send};

/// `Username:` in base64: the challenge the server repeats in the first run.
const USERNAME_PROMPT: &str = "334 VXNlcm5hbWU6\r\n";
/// `Prompt:` in base64: a challenge that asks for neither field, repeated in the second run.
const NEUTRAL_PROMPT: &str = "334 UHJvbXB0Og==\r\n";

/// Two runs, each answering every client line with another 334:
///
/// - `334 VXNlcm5hbWU6` ("Username:") every time: the client answers the first with the
///   username, then fails with `Sasl { LOGIN, LoginPromptMismatch }` at the second (a user
///   name prompt where the password is due); the password never crossed, in any form;
/// - `334 UHJvbXB0Og==` ("Prompt:") every time: the client answers with the username, then
///   the password, then fails with `Sasl { LOGIN, UnexpectedChallenge { step: 3 } }` at the
///   third; the base64 password crossed exactly once, inside TLS.
///
/// Either way the client wrote nothing after its last answer (no `*` cancel, no QUIT), and
/// fewer lines than the core's bound of [`DEFAULT_MAX_CHALLENGES`] challenges.
pub fn endless_auth_challenges_are_bounded<A: SmtpAdapter>() -> Result<(), String> {
    let name = A::NAME;
    let pki = TestPki::new()?;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let (user, password) = (b64(USER), b64(PASSWORD));

    let played = challenged::<A>(
        &pki,
        USERNAME_PROMPT,
        &[&user],
        SaslError::LoginPromptMismatch {
            asked: "username",
            expected: "password",
        },
    )
    .map_err(|e| format!("{name}: repeated Username: prompts: {e}"))?;
    if count(&played.decrypted, password.as_bytes()) != 0 {
        return Err(format!("{name}: the password answered a Username: prompt"));
    }

    let played = challenged::<A>(
        &pki,
        NEUTRAL_PROMPT,
        &[&user, &password],
        SaslError::UnexpectedChallenge {
            mechanism: Mechanism::Login,
            step: 3,
        },
    )
    .map_err(|e| format!("{name}: repeated neutral prompts: {e}"))?;
    if count(&played.decrypted, password.as_bytes()) != 1 {
        return Err(format!(
            "{name}: the base64 password crossed {} times",
            count(&played.decrypted, password.as_bytes())
        ));
    }
    Ok(())
}

/// The STARTTLS setup with only `AUTH LOGIN` offered inside TLS; the server answers
/// `AUTH LOGIN` and each of the `answers` with `prompt`, then reads whatever else comes.
/// The setup must fail with `Sasl { LOGIN, error }`, and the client must have written, inside
/// TLS, its EHLO, `AUTH LOGIN` and the answers, nothing more.
fn challenged<A: SmtpAdapter>(
    pki: &TestPki,
    prompt: &str,
    answers: &[&str],
    error: SaslError,
) -> Result<Played, String> {
    let mut steps = greeting_and_ehlo();
    steps.extend([
        expect("STARTTLS\r\n"),
        send("220 2.0.0 go ahead\r\n"),
        Step::StartTls(pki.good.clone()),
        expect("EHLO client.test\r\n"),
        send("250-mx.test\r\n250 AUTH LOGIN\r\n"),
        expect("AUTH LOGIN\r\n"),
        send(prompt),
    ]);
    for answer in answers {
        steps.extend([expect(&format!("{answer}\r\n")), send(prompt)]);
    }
    // A client that answered once more would be recorded here (and left waiting).
    steps.push(Step::Drain);
    let server = ScriptedServer::start(steps).map_err(|e| e.to_string())?;
    let config = config(server.address().port(), pki, Timeouts::uniform(PATIENT))?;
    let (attempt, _) = attempt::<A>(&config, MailBody::bytes(BODY))?;
    let played = server.played()?;
    // Nothing in plaintext (the password above all); inside TLS it is checked by the caller.
    check_no_credentials(&played)?;
    played
        .result
        .clone()
        .map_err(|e| format!("the server's script failed: {e}"))?;
    let failure = setup_error(attempt, "")?;
    let expected = ProtocolError::Sasl {
        mechanism: Mechanism::Login,
        error,
    };
    if failure.protocol() != Some(&expected) {
        return Err(format!("expected {expected:?}, got {failure:?}"));
    }
    // The lines after AUTH LOGIN, one per 334 answered: within the core's bound.
    let auth = b"AUTH LOGIN\r\n";
    let after = played
        .decrypted
        .windows(auth.len())
        .position(|w| w == auth)
        .and_then(|at| played.decrypted.get(at + auth.len()..))
        .ok_or("the client never wrote AUTH LOGIN inside TLS")?;
    let answered = count(after, b"\r\n");
    if u32::try_from(answered).map_or(true, |n| n > DEFAULT_MAX_CHALLENGES) {
        return Err(format!(
            "{answered} lines after AUTH LOGIN, more than the bound of \
             {DEFAULT_MAX_CHALLENGES} challenges"
        ));
    }
    let lines: String = answers.iter().map(|a| format!("{a}\r\n")).collect();
    let written = format!("EHLO client.test\r\nAUTH LOGIN\r\n{lines}");
    if played.decrypted != written.as_bytes() {
        return Err(format!(
            "the client wrote {:?} inside TLS, expected exactly {written:?}",
            String::from_utf8_lossy(&played.decrypted)
        ));
    }
    Ok(played)
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}
