//! CONNECTION options -> [`smtp_adapter::ConnectionConfig`].

use std::time::Duration;

use smtp_adapter::{ConnectionConfig, Security, TlsConfig};
use smtp_proto::client::Timeouts;
use smtp_proto::command::TransactionOptions;
use smtp_proto::syntax::ClientId;

use crate::args::{Chunking, ConnectionArgs, TlsMode};
use crate::plan::{UsageError, usage};

/// The adapter configuration and the effective `--tls` mode.
///
/// `starttls` is run by the adapter as opportunistic and enforced by the CLI right after
/// the setup (before any credential or mail byte): the setup then completes and its
/// greeting and EHLO can be reported, while nothing is sent on a stripped connection.
pub(crate) fn build(
    args: &ConnectionArgs,
    helo: Option<ClientId>,
    timeout: Option<Duration>,
) -> Result<(ConnectionConfig, TlsMode), UsageError> {
    let target = Target::parse(&args.server)?;
    let mode = args.tls.unwrap_or(match target {
        Target::Unix(_) => TlsMode::None,
        Target::Tcp { .. } => TlsMode::Starttls,
    });
    let security = match mode {
        TlsMode::None => Security::None,
        TlsMode::Starttls | TlsMode::Opportunistic => Security::StartTlsOpportunistic,
        TlsMode::Implicit => Security::ImplicitTls,
    };
    let mut builder = match &target {
        Target::Unix(path) => ConnectionConfig::unix(path.clone()),
        Target::Tcp { host, port } => {
            let default = match mode {
                TlsMode::Implicit => 465,
                _ if args.lmtp => 24,
                _ => 25,
            };
            ConnectionConfig::builder(host.clone())
                .port(port.unwrap_or(default))
                .lmtp(args.lmtp)
        }
    };
    let tls = tls(args)?;
    if let Some(name) = args.tls_name.as_deref().filter(|_| mode != TlsMode::None) {
        // Checked here so that the message names the option at fault, not `--server`.
        tls.server_name_for(name).map_err(|e| match e {
            smtp_adapter::Error::Config(why) => usage(format!("--tls-name: {why}")),
            other => usage(format!("--tls-name: {other}")),
        })?;
    }
    builder = builder.security(security).tls(tls);
    if let Some(helo) = helo {
        builder = builder.client_id(helo);
    }
    if let Some(timeout) = timeout {
        builder = builder
            .timeouts(Timeouts::uniform(timeout))
            .connect_timeout(timeout)
            .tls_timeout(timeout);
    }
    let options = TransactionOptions {
        prefer_bdat: args.chunking != Chunking::Never,
        pipelining: !args.no_pipelining,
        ..TransactionOptions::default()
    };
    let config = builder
        .transaction_options(options)
        .build()
        .map_err(|e| usage(format!("--server {:?}: {e}", args.server)))?;
    if mode != TlsMode::None {
        // Loads the roots now (once; connections share it): a missing trust store is a
        // usage error found before connecting.
        config
            .tls()
            .client_config()
            .map_err(|e| usage(format!("TLS: {e}")))?;
    }
    Ok((config, mode))
}

fn tls(args: &ConnectionArgs) -> Result<TlsConfig, UsageError> {
    let mut tls = TlsConfig::new();
    if let Some(path) = &args.ca_file {
        let pem =
            std::fs::read(path).map_err(|e| usage(format!("--ca-file {}: {e}", path.display())))?;
        tls = tls
            .root_certificates_pem(&pem)
            .map_err(|e| usage(format!("--ca-file {}: {e}", path.display())))?;
    }
    if let Some(name) = &args.tls_name {
        tls = tls.server_name(name.clone());
    }
    if args.insecure_skip_verify {
        tls = tls.dangerous_skip_verification();
    }
    Ok(tls)
}

/// Where `--server` points.
#[derive(Debug, PartialEq, Eq)]
enum Target {
    Tcp { host: String, port: Option<u16> },
    Unix(std::path::PathBuf),
}

impl Target {
    /// `HOST`, `HOST:PORT`, `[IPv6]`, `[IPv6]:PORT`, a bare IPv6 address, `unix:PATH`.
    fn parse(text: &str) -> Result<Self, UsageError> {
        let bad = |why: &str| usage(format!("--server {text:?}: {why}"));
        if let Some(path) = text.strip_prefix("unix:") {
            if path.is_empty() {
                return Err(bad("empty socket path"));
            }
            return Ok(Target::Unix(path.into()));
        }
        let (host, port) = if let Some(rest) = text.strip_prefix('[') {
            let (host, after) = rest.split_once(']').ok_or_else(|| bad("no closing ]"))?;
            if host.parse::<std::net::Ipv6Addr>().is_err() {
                return Err(bad("not an IPv6 address in brackets"));
            }
            match after {
                "" => (host, None),
                _ => (
                    host,
                    Some(after.strip_prefix(':').ok_or_else(|| bad("junk after ]"))?),
                ),
            }
        } else if text.matches(':').count() > 1 {
            if text.parse::<std::net::Ipv6Addr>().is_err() {
                return Err(bad("an IPv6 address with a port needs brackets"));
            }
            (text, None)
        } else {
            match text.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (text, None),
            }
        };
        if host.is_empty() {
            return Err(bad("empty host"));
        }
        let port = port
            .map(|p| {
                p.parse::<u16>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| bad("bad port"))
            })
            .transpose()?;
        Ok(Target::Tcp {
            host: host.to_owned(),
            port,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    use crate::args::{Cli, Command};

    /// The configuration `smtp probe ARGS` builds.
    fn probe(args: &[&str]) -> (ConnectionConfig, TlsMode) {
        let cli = Cli::try_parse_from([&["smtp", "probe"][..], args].concat()).unwrap();
        let Command::Probe(args) = cli.command else {
            panic!("not probe");
        };
        build(&args, None, None).unwrap()
    }

    #[test]
    fn default_ports_and_modes_follow_the_contract() {
        let insecure = "--insecure-skip-verify";
        let (config, mode) = probe(&["--server", "mx.example", insecure]);
        assert_eq!((config.port(), mode), (Some(25), TlsMode::Starttls));
        assert_eq!(config.security(), Security::StartTlsOpportunistic);
        let (config, _) = probe(&["--server", "mx.example", "--tls", "implicit", insecure]);
        assert_eq!(
            (config.port(), config.security()),
            (Some(465), Security::ImplicitTls)
        );
        let (config, _) = probe(&["--server", "mx.example", "--lmtp", "--tls", "none"]);
        assert_eq!(
            (config.port(), config.security()),
            (Some(24), Security::None)
        );
        let (config, mode) = probe(&["--server", "unix:/run/lmtp"]);
        assert_eq!((config.port(), mode), (None, TlsMode::None));
        let (config, _) = probe(&["--server", "[::1]:2525", "--tls", "none"]);
        assert_eq!((config.host(), config.port()), (Some("::1"), Some(2525)));
    }

    #[test]
    fn one_timeout_for_every_phase() {
        let cli = Cli::try_parse_from(["smtp", "probe", "--tls", "none"]).unwrap();
        let Command::Probe(args) = cli.command else {
            panic!("not probe");
        };
        let second = Duration::from_millis(1500);
        let (config, _) = build(&args, None, Some(second)).unwrap();
        assert_eq!(config.connect_timeout(), second);
        assert_eq!(config.tls_timeout(), second);
        assert_eq!(config.client_config().timeouts, Timeouts::uniform(second));
    }

    fn tcp(host: &str, port: Option<u16>) -> Target {
        Target::Tcp {
            host: host.into(),
            port,
        }
    }

    #[test]
    fn server_forms() {
        assert_eq!(
            Target::parse("mx.example").unwrap(),
            tcp("mx.example", None)
        );
        assert_eq!(
            Target::parse("127.0.0.1:2525").unwrap(),
            tcp("127.0.0.1", Some(2525))
        );
        assert_eq!(Target::parse("[::1]:25").unwrap(), tcp("::1", Some(25)));
        assert_eq!(Target::parse("[::1]").unwrap(), tcp("::1", None));
        assert_eq!(Target::parse("::1").unwrap(), tcp("::1", None));
        assert_eq!(
            Target::parse("unix:/run/lmtp").unwrap(),
            Target::Unix("/run/lmtp".into())
        );
        for bad in [
            "", ":25", "mx:0", "mx:x", "[mx]:25", "[::1", "[::1]x", "unix:", "a:b:c",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }
}
