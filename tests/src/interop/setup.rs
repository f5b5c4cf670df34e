//! What every case needs: configurations for the servers, unique tokens, envelopes,
//! messages, and checks that say what went wrong.

use std::collections::hash_map::RandomState;
use std::fmt::Display;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use smtp_adapter::{ConnectionConfig, ConnectionConfigBuilder, Security, TlsConfig};
use smtp_proto::client::Timeouts;
use smtp_proto::command::{Envelope, MailReport, Outcome, RecipientStatus};
use smtp_proto::response::Response;

use super::Servers;

/// The EHLO name of every interop client.
pub(crate) const CLIENT_ID: &str = "interop.localhost";

/// Every reply deadline of the suite: long enough for a 5 MiB body on a busy machine,
/// short enough that a hang fails the test instead of the run.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(30);

/// A token no other test (of this run or another) uses: 16 hex digits after `it`, short
/// enough for a local part next to a prefix.
pub fn token() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.write_u32(std::process::id());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    hasher.write_u128(nanos);
    format!("it{:016x}", hasher.finish())
}

/// `.or_fail("what")?`: a library error as the case's `Err(String)`, with context.
pub(crate) trait OrFail<T> {
    /// `Err(e)` becomes `"what: e"`.
    fn or_fail(self, what: &str) -> Result<T, String>;
}

impl<T, E: Display> OrFail<T> for Result<T, E> {
    fn or_fail(self, what: &str) -> Result<T, String> {
        self.map_err(|e| format!("{what}: {e}"))
    }
}

/// `ensure!(condition, "format", args)`: `Err(format!(...))` unless the condition holds.
macro_rules! ensure {
    ($condition:expr, $($message:tt)+) => {
        if !$condition {
            return Err(format!($($message)+));
        }
    };
}
pub(crate) use ensure;

/// A configuration for 127.0.0.1:`port`: the suite's identity and deadlines, and for any
/// TLS the private CA as the only root with `localhost` as the verified name.
pub(crate) fn builder(
    servers: &Servers,
    port: u16,
    security: Security,
) -> Result<ConnectionConfigBuilder, String> {
    let builder = ConnectionConfig::builder("127.0.0.1")
        .port(port)
        .security(security)
        .client_id(CLIENT_ID.parse().or_fail("client id")?)
        .connect_timeout(Duration::from_secs(5))
        .tls_timeout(Duration::from_secs(10))
        .timeouts(Timeouts::uniform(TIMEOUT));
    Ok(match security {
        Security::None => builder,
        _ => builder.tls(tls(servers)?),
    })
}

/// Trusts only the test CA and verifies the name `localhost`.
pub(crate) fn tls(servers: &Servers) -> Result<TlsConfig, String> {
    let pem = std::fs::read(servers.ca_path()).or_fail("reading the test CA")?;
    Ok(TlsConfig::new()
        .root_certificates_pem(&pem)
        .or_fail("the test CA")?
        .server_name("localhost"))
}

/// An envelope from `from` to every `to` (addresses without angle brackets).
pub(crate) fn envelope<S: AsRef<str>>(from: &str, to: &[S]) -> Result<Envelope, String> {
    let from = format!("<{from}>").parse().or_fail("reverse path")?;
    let to = to
        .iter()
        .map(|a| format!("<{}>", a.as_ref()).parse().or_fail("forward path"))
        .collect::<Result<Vec<_>, _>>()?;
    Envelope::new(from, to).or_fail("envelope")
}

/// A small message whose header carries the token (`X-Test-Id`), with LF line ends.
pub(crate) fn message(test: &str, token: &str, body: &str) -> Vec<u8> {
    format!(
        "From: <sender-{token}@example.org>\nTo: <rcpt-{token}@example.net>\n\
         Subject: interop {test} {token}\nX-Test-Id: {token}\n\
         Message-ID: <{token}@interop.localhost>\n\n{body}"
    )
    .into_bytes()
}

/// `Err` unless every recipient was delivered.
pub(crate) fn expect_delivered(report: &MailReport) -> Result<(), String> {
    ensure!(
        report.outcome() == Outcome::Delivered,
        "outcome {:?}, expected Delivered: {}",
        report.outcome(),
        describe(report)
    );
    Ok(())
}

/// `Err` unless every recipient has `status` and the deciding reply (RCPT's for refused,
/// the data reply otherwise) has `code`.
pub(crate) fn expect_all(
    report: &MailReport,
    status: RecipientStatus,
    code: u16,
) -> Result<(), String> {
    for (path, recipient) in report.recipients() {
        let reply = match status {
            RecipientStatus::Refused => recipient.rcpt_reply(),
            _ => recipient.data_reply(),
        };
        ensure!(
            recipient.status() == status && reply.map(code_of) == Some(code),
            "{path}: {:?} with {:?}, expected {status:?} with {code}: {}",
            recipient.status(),
            reply.map(ToString::to_string),
            describe(report)
        );
    }
    Ok(())
}

/// One line per recipient: status and replies, for failure messages.
pub(crate) fn describe(report: &MailReport) -> String {
    let mut text = String::new();
    for (path, recipient) in report.recipients() {
        let reply = |r: Option<&Response>| r.map_or("-".to_owned(), ToString::to_string);
        text.push_str(&format!(
            "\n  {path}: {:?} rcpt={} data={}",
            recipient.status(),
            reply(recipient.rcpt_reply()),
            reply(recipient.data_reply())
        ));
    }
    text
}

/// The reply code as a number.
pub(crate) fn code_of(response: &Response) -> u16 {
    response.code().get()
}
