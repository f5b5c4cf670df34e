//! Parsed options -> a validated [`Plan`]: every usage error (CLI.md exit status 64) is
//! found here, before anything is connected or sent.

use std::str::FromStr;
use std::time::Duration;

use smtp_adapter::ConnectionConfig;
use smtp_proto::auth::{Credentials, Mechanism};
use smtp_proto::command::{Envelope, Mail, MailBody, Rcpt};
use smtp_proto::syntax::esmtp::{Body, MailParameters, Notify, RcptParameter, RcptParameters, Ret};
use smtp_proto::syntax::{AddressEncoding, AddressError, ClientId, ForwardPath, ReversePath};

use crate::args::{Chunking, ConnectionArgs, DsnRet, Runtime, SendArgs, TlsMode};
use crate::{body, config};

/// A usage error: a bad option, address or file (exit 64, `error.kind` `usage`).
#[derive(Debug)]
pub(crate) struct UsageError(pub(crate) String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Builds a [`UsageError`] from anything displayable.
pub(crate) fn usage(message: impl Into<String>) -> UsageError {
    UsageError(message.into())
}

/// Everything a session needs, validated.
pub(crate) struct Plan {
    /// The adapter configuration (no credentials: AUTH runs as its own command, so that
    /// greeting, EHLO and TLS are known when it fails).
    pub(crate) config: ConnectionConfig,
    /// Which adapter drives the session.
    pub(crate) runtime: Runtime,
    /// The `--tls` mode (the adapter runs STARTTLS opportunistically; the CLI enforces
    /// `starttls` itself after the setup, before any credential or mail).
    pub(crate) tls_mode: TlsMode,
    /// `--insecure-skip-verify`.
    pub(crate) insecure: bool,
    /// `--chunking`.
    pub(crate) chunking: Chunking,
    /// AUTH, when credentials were given.
    pub(crate) auth: Option<AuthPlan>,
    /// The mail, for `send`.
    pub(crate) mail: Option<MailPlan>,
    /// LMTP (`--lmtp`, or a Unix socket).
    pub(crate) lmtp: bool,
    /// `-v`.
    pub(crate) verbose: bool,
}

/// The AUTH step.
pub(crate) struct AuthPlan {
    /// User and password or token.
    pub(crate) credentials: Credentials,
    /// Allowed mechanisms, most preferred first.
    pub(crate) mechanisms: Vec<Mechanism>,
    /// `--allow-plaintext-auth`.
    pub(crate) allow_plaintext: bool,
}

/// The message and how often to send it.
pub(crate) struct MailPlan {
    /// Reverse path, forward paths and parameters.
    pub(crate) envelope: Envelope,
    /// Built once, shared by every copy.
    pub(crate) body: MailBody,
    /// `--count`.
    pub(crate) count: u64,
    /// `--connections`.
    pub(crate) connections: u32,
}

/// Validates `probe` options.
pub(crate) fn probe(args: &ConnectionArgs) -> Result<Plan, UsageError> {
    connection(args)
}

/// Validates `send` options: addresses, DSN values, the body.
pub(crate) fn send(args: &SendArgs) -> Result<Plan, UsageError> {
    let mut plan = connection(&args.connection)?;
    if args.count == 0 {
        return Err(usage("--count must be at least 1"));
    }
    if args.connections == 0 {
        return Err(usage("--connections must be at least 1"));
    }
    if args.requiretls && plan.tls_mode == TlsMode::None {
        // RFC 8689: the message asks to travel only over TLS; a plaintext session would
        // refuse it before MAIL anyway.
        return Err(usage(
            "--requiretls needs TLS: --tls starttls, opportunistic or implicit",
        ));
    }
    let from = reverse_path(&args.from)?;
    let mut params = MailParameters::new();
    // CLI.md: SMTPUTF8 is declared by default "when an address is not ASCII", a domain
    // included (the generated message carries the addresses in its header as given).
    params.smtputf8 =
        args.smtputf8 || !args.from.is_ascii() || args.to.iter().any(|to| !to.is_ascii());
    params.require_tls = args.requiretls;
    if args.eight_bit_mime {
        params.body = Some(Body::EightBitMime);
    }
    params.ret = args.dsn_ret.map(|ret| match ret {
        DsnRet::Full => Ret::Full,
        DsnRet::Hdrs => Ret::Hdrs,
    });
    if let Some(id) = &args.dsn_envid {
        params.envid = Some(
            id.parse()
                .map_err(|e| usage(format!("--dsn-envid {id:?}: {e}")))?,
        );
    }
    let mut rcpt_params = RcptParameters::new();
    if let Some(notify) = &args.dsn_notify {
        let value: Notify = notify
            .parse()
            .map_err(|e| usage(format!("--dsn-notify {notify:?}: {e}")))?;
        rcpt_params
            .insert(RcptParameter::Notify(value))
            .map_err(|e| usage(format!("--dsn-notify: {e}")))?;
    }
    let mail = Mail::new(from, params);
    mail.check(AddressEncoding::Utf8)
        .map_err(|e| usage(format!("--from {:?}: {e}", args.from)))?;
    let mut recipients = Vec::with_capacity(args.to.len());
    for to in &args.to {
        let rcpt = Rcpt::new(forward_path(to)?, rcpt_params.clone());
        rcpt.check(AddressEncoding::Utf8)
            .map_err(|e| usage(format!("--to {to:?}: {e}")))?;
        recipients.push(rcpt);
    }
    let recipients =
        vec1::Vec1::try_from_vec(recipients).map_err(|_| usage("at least one --to is needed"))?;
    let envelope = Envelope::from_commands(mail, recipients);
    let bytes = body::load(
        args.body_file.as_deref(),
        args.binarymime,
        &args.from,
        &args.to,
    )?;
    let body = if args.binarymime {
        if plan.chunking == Chunking::Never {
            return Err(usage(
                "--binarymime needs BDAT, which --chunking never forbids",
            ));
        }
        MailBody::Binary(bytes)
    } else {
        body::check(&bytes)?;
        MailBody::Bytes(bytes)
    };
    plan.mail = Some(MailPlan {
        envelope,
        body,
        count: args.count,
        connections: args.connections,
    });
    Ok(plan)
}

fn connection(args: &ConnectionArgs) -> Result<Plan, UsageError> {
    let timeout = args.timeout.as_deref().map(seconds).transpose()?;
    let helo = args
        .helo
        .as_deref()
        .map(|name| {
            name.parse::<ClientId>()
                .map_err(|e| usage(format!("--helo {name:?}: {e}")))
        })
        .transpose()?;
    let auth = auth(args)?;
    let (config, tls_mode) = config::build(args, helo, timeout)?;
    Ok(Plan {
        config,
        runtime: args.runtime,
        tls_mode,
        insecure: args.insecure_skip_verify,
        chunking: args.chunking,
        auth,
        mail: None,
        lmtp: args.lmtp || args.server.starts_with("unix:"),
        verbose: args.verbose,
    })
}

/// `--timeout SECS`: decimal seconds, positive and finite, at least a nanosecond (the
/// adapters refuse a zero timeout).
fn seconds(text: &str) -> Result<Duration, UsageError> {
    text.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0)
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .filter(|d| !d.is_zero())
        .ok_or_else(|| {
            usage(format!(
                "--timeout {text:?}: not a positive number of seconds"
            ))
        })
}

/// A secret from the environment variable `var`, named by `option` in the usage error: a
/// value that is not UTF-8 is refused without being shown (it is a secret).
fn secret_env(option: &str, var: &str) -> Result<String, UsageError> {
    std::env::var(var).map_err(|error| match error {
        std::env::VarError::NotPresent => usage(format!("{option} {var}: not set")),
        std::env::VarError::NotUnicode(_) => usage(format!("{option} {var}: not valid UTF-8")),
    })
}

/// A credential field with a control character can never be sent (SASL refuses them, and
/// a CR LF would be a second command): a usage error, found before connecting. Only the
/// field and the position are named, never the value.
fn no_controls(what: &str, value: &str) -> Result<(), UsageError> {
    match value.chars().position(char::is_control) {
        Some(position) => Err(usage(format!(
            "{what} has a control character (at character {position})"
        ))),
        None => Ok(()),
    }
}

fn auth(args: &ConnectionArgs) -> Result<Option<AuthPlan>, UsageError> {
    let password = match (&args.password_env, &args.password_file) {
        (Some(var), _) => Some(secret_env("--password-env", var)?),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| usage(format!("--password-file {}: {e}", path.display())))?;
            let text = text.strip_suffix('\n').unwrap_or(&text);
            Some(text.strip_suffix('\r').unwrap_or(text).to_owned())
        }
        (None, None) => None,
    };
    let token = args
        .oauth_token_env
        .as_deref()
        .map(|var| secret_env("--oauth-token-env", var))
        .transpose()?;
    let Some(user) = args.user.clone() else {
        if password.is_some() || token.is_some() || args.auth.is_some() {
            return Err(usage("a password, token or --auth needs --user"));
        }
        return Ok(None);
    };
    no_controls("--user", &user)?;
    if let Some(password) = &password {
        no_controls("the password", password)?;
    }
    if let Some(token) = &token {
        no_controls("the OAuth token", token)?;
    }
    let (credentials, default) = match (password, token) {
        (Some(_), Some(_)) => {
            return Err(usage("give a password or an OAuth token, not both"));
        }
        (Some(password), None) => (
            Credentials::password(user, password),
            vec![Mechanism::ScramSha256, Mechanism::Plain, Mechanism::Login],
        ),
        (None, Some(token)) => (
            Credentials::oauth2(user, token),
            vec![Mechanism::OAuthBearer, Mechanism::XOAuth2],
        ),
        (None, None) => {
            return Err(usage(
                "--user needs --password-env, --password-file or --oauth-token-env",
            ));
        }
    };
    let mechanisms = match &args.auth {
        None => default,
        Some(list) => list
            .split(',')
            .map(mechanism)
            .collect::<Result<Vec<_>, _>>()?,
    };
    // A mechanism that cannot use the credentials would be chosen and then fail, and no
    // other is tried after a failure: refuse it here, before connecting.
    if let Some(unfit) = mechanisms.iter().find(|m| !credentials.fits(m)) {
        let needs = match credentials {
            Credentials::OAuth2 { .. } => "a password, not an OAuth token",
            _ => "an OAuth token, not a password",
        };
        return Err(usage(format!(
            "--auth {}: {} needs {needs}",
            unfit.as_str().to_ascii_lowercase(),
            unfit.as_str()
        )));
    }
    Ok(Some(AuthPlan {
        credentials,
        mechanisms,
        allow_plaintext: args.allow_plaintext_auth,
    }))
}

fn mechanism(name: &str) -> Result<Mechanism, UsageError> {
    match name.parse::<Mechanism>() {
        Ok(m) if m.is_supported() => Ok(m),
        _ => Err(usage(format!(
            "--auth {name:?}: not one of plain, login, xoauth2, oauthbearer, cram-md5, scram-sha-256"
        ))),
    }
}

/// `--from`: a mailbox with or without angle brackets; `''` is the null path.
fn reverse_path(text: &str) -> Result<ReversePath, UsageError> {
    address(text, "--from")
}

fn forward_path(text: &str) -> Result<ForwardPath, UsageError> {
    address(text, "--to")
}

/// A path as typed, with or without its angle brackets. An error in one typed without
/// them is reported at its offset in what was typed, not in the bracketed form.
fn address<P>(text: &str, option: &str) -> Result<P, UsageError>
where
    P: FromStr<Err = AddressError>,
{
    let parsed = if text.starts_with('<') {
        text.parse()
    } else {
        format!("<{text}>")
            .parse()
            .map_err(|e: AddressError| e.map_offset(|at| at.saturating_sub(1).min(text.len())))
    };
    parsed.map_err(|e| usage(format!("{option} {text:?}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_take_brackets_or_not() {
        assert!(reverse_path("").unwrap().is_null());
        assert_eq!(
            reverse_path("a@b.example").unwrap().to_string(),
            "<a@b.example>"
        );
        assert_eq!(
            forward_path("<a@b.example>").unwrap().to_string(),
            "<a@b.example>"
        );
        assert!(forward_path("").is_err());
        assert!(forward_path("no at sign").is_err());
    }

    #[test]
    fn timeouts_are_positive_decimal_seconds() {
        assert_eq!(seconds("1.5").unwrap(), Duration::from_millis(1500));
        assert_eq!(seconds("0.000000001").unwrap(), Duration::from_nanos(1));
        for bad in ["0", "-1", "inf", "NaN", "x", "", "0.0000000001"] {
            assert!(seconds(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn mechanisms_are_the_six_supported() {
        assert_eq!(mechanism("scram-sha-256").unwrap(), Mechanism::ScramSha256);
        assert_eq!(mechanism("PLAIN").unwrap(), Mechanism::Plain);
        assert!(mechanism("gssapi").is_err());
        assert!(mechanism("").is_err());
    }
}
