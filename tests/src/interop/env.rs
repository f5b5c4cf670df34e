//! Where the servers are, whether to skip, and the runner every generated test calls.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Once;

use crate::adapter::SmtpAdapter;

/// The variable `.ci/run` exports once every server of `tests/servers` answered.
pub const SERVERS_VAR: &str = "SMTP_TEST_SERVERS";
/// Set to `1` (CI does) to make a missing [`SERVERS_VAR`] a failure instead of a skip.
pub const REQUIRE_VAR: &str = "SMTP_REQUIRE_SERVERS";

/// The running test servers: the `tests/servers` folder named by `SMTP_TEST_SERVERS`.
#[derive(Clone, Debug)]
pub struct Servers {
    root: PathBuf,
    user: String,
    password: String,
    token: String,
}

impl Servers {
    /// The servers from the environment: `Ok(None)` means skip, `Err` means fail
    /// (`SMTP_REQUIRE_SERVERS=1` without servers, or a folder without its CA).
    pub fn from_env() -> Result<Option<Self>, String> {
        let required = std::env::var(REQUIRE_VAR).is_ok_and(|v| v == "1");
        let root = match std::env::var_os(SERVERS_VAR) {
            Some(root) if !root.is_empty() => PathBuf::from(root),
            _ if required => {
                return Err(format!(
                    "{REQUIRE_VAR}=1 but {SERVERS_VAR} is not set: the interop tests must \
                     not skip (start tests/servers, see tests/servers/README.md)"
                ));
            }
            _ => return Ok(None),
        };
        let servers = Self {
            user: env_or("SMTP_TEST_USER", "testuser"),
            password: env_or("SMTP_TEST_PASS", "testpass"),
            token: env_or("SMTP_TEST_TOKEN", "testtoken"),
            root,
        };
        if !servers.ca_path().is_file() {
            return Err(format!(
                "{SERVERS_VAR}={} has no tls/ca.pem: not a started tests/servers folder",
                servers.root.display()
            ));
        }
        Ok(Some(servers))
    }

    /// The `tests/servers` folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The private CA that signed every server's certificate.
    pub fn ca_path(&self) -> PathBuf {
        self.root.join("tls/ca.pem")
    }

    /// `$SMTP_TEST_SERVERS/var/NAME/...`: where a server keeps its state and mail.
    pub fn var(&self, relative: &str) -> PathBuf {
        self.root.join("var").join(relative)
    }

    /// The AUTH user name (`testuser`).
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The AUTH password (`testpass`).
    pub fn password(&self) -> &str {
        &self.password
    }

    /// The XOAUTH2 bearer token (`testtoken`, smtp-server only).
    pub fn bearer_token(&self) -> &str {
        &self.token
    }
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// Runs one interop test on adapter `A`: skips with a notice (printed once per test binary)
/// when no servers are configured, panics with the test's error otherwise.
pub fn run<A: SmtpAdapter>(name: &str, test: impl FnOnce(&Servers) -> Result<(), String>) {
    let servers = match Servers::from_env() {
        Ok(Some(servers)) => servers,
        Ok(None) => {
            notice_skip();
            return;
        }
        Err(error) => panic!("{name} ({}): {error}", A::NAME),
    };
    if let Err(error) = test(&servers) {
        panic!("{name} ({}): {error}", A::NAME);
    }
}

/// The harness captures `eprintln!` of passing tests; a direct write to stderr is not
/// captured, so the skip is visible in every `cargo test` run.
fn notice_skip() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = writeln!(
            std::io::stderr(),
            "interop: {SERVERS_VAR} not set, skipping the interop tests \
             (start tests/servers, see tests/servers/README.md)"
        );
    });
}
