//! The servers of `tests/servers` by name: their ports, and where their mail lands.

use std::path::PathBuf;

use super::Servers;

/// One listener set of `tests/servers` (see its README's table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Postfix 3.7: 2525 (smtp, STARTTLS offered), 2527 (implicit TLS).
    Postfix,
    /// Postfix submission 2526: STARTTLS before MAIL, AUTH only after it.
    PostfixSubmission,
    /// Exim 4.96: 2528 (STARTTLS offered), 2529 (implicit TLS).
    Exim,
    /// aiosmtpd 1.4.6, the byte-exact oracle: 2530 (STARTTLS offered), 2531 (implicit).
    Aiosmtpd,
    /// aiosmtpd 2532: STARTTLS and AUTH required, no PIPELINING.
    AiosmtpdStrict,
    /// nodemailer smtp-server 3.21: 2533 (STARTTLS offered), 2534 (implicit TLS).
    SmtpServer,
    /// Postfix's smtp-sink 2537: every extension it knows, fake AUTH, no TLS.
    SmtpSink,
    /// smtp-sink 2538: EHLO refused, HELO only.
    SmtpSinkNoEsmtp,
    /// smtp-sink 2539: no extension at all, an empty last EHLO line.
    SmtpSinkBare,
    /// OpenSMTPD 2536: announces STARTTLS, every handshake fails.
    OpenSmtpdBrokenTls,
}

impl Target {
    /// The server's name in `tests/servers`.
    pub fn name(self) -> &'static str {
        match self {
            Target::Postfix | Target::PostfixSubmission => "postfix",
            Target::Exim => "exim",
            Target::Aiosmtpd | Target::AiosmtpdStrict => "aiosmtpd",
            Target::SmtpServer => "smtp-server",
            Target::SmtpSink => "smtp-sink",
            Target::SmtpSinkNoEsmtp => "smtp-sink-noesmtp",
            Target::SmtpSinkBare => "smtp-sink-bare",
            Target::OpenSmtpdBrokenTls => "opensmtpd",
        }
    }

    /// The port that speaks plaintext first (and offers STARTTLS where the server can).
    pub fn port(self) -> u16 {
        match self {
            Target::Postfix => 2525,
            Target::PostfixSubmission => 2526,
            Target::Exim => 2528,
            Target::Aiosmtpd => 2530,
            Target::AiosmtpdStrict => 2532,
            Target::SmtpServer => 2533,
            Target::OpenSmtpdBrokenTls => 2536,
            Target::SmtpSink => 2537,
            Target::SmtpSinkNoEsmtp => 2538,
            Target::SmtpSinkBare => 2539,
        }
    }

    /// The implicit-TLS port, if the server has one.
    pub fn implicit_tls_port(self) -> Option<u16> {
        match self {
            Target::Postfix => Some(2527),
            Target::Exim => Some(2529),
            Target::Aiosmtpd => Some(2531),
            Target::SmtpServer => Some(2534),
            _ => None,
        }
    }

    /// Where accepted mail lands.
    pub fn store(self, servers: &Servers) -> Store {
        match self {
            Target::Postfix | Target::PostfixSubmission => {
                Store::Maildir(servers.var("postfix/mail/Maildir/new"))
            }
            Target::Exim => Store::Maildir(servers.var("exim/mail/Maildir/new")),
            Target::Aiosmtpd | Target::AiosmtpdStrict => {
                Store::Oracle(servers.var("aiosmtpd/mail"))
            }
            Target::SmtpServer => Store::Oracle(servers.var("smtp-server/mail")),
            Target::SmtpSink | Target::SmtpSinkNoEsmtp | Target::SmtpSinkBare => {
                Store::SinkDump(servers.var(&format!("{}/mail", self.name())))
            }
            Target::OpenSmtpdBrokenTls => Store::None,
        }
    }

    /// Whether the server answers `reject…`/`tempfail…` addresses (smtp-sink does not).
    pub fn has_magic_addresses(self) -> bool {
        matches!(
            self,
            Target::Postfix | Target::Exim | Target::Aiosmtpd | Target::SmtpServer
        )
    }

    /// The code for a `tempfail…` recipient: Exim's `defer` always says 451.
    pub fn tempfail_code(self) -> u16 {
        if self == Target::Exim { 451 } else { 450 }
    }
}

/// Where a server keeps what it accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Store {
    /// A Maildir `new/` folder, one file per delivery, LF line ends, headers added; the
    /// MTA delivers after its 250, so a reader polls.
    Maildir(PathBuf),
    /// `NNNNNN.json` + `NNNNNN.eml`, written before the 250; the `.eml` is byte-exact.
    Oracle(PathBuf),
    /// smtp-sink's `-d` dumps: `X-…-Args` headers, then the message with LF line ends.
    SinkDump(PathBuf),
    /// Nothing is kept.
    None,
}
