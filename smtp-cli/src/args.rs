//! The command line as clap parses it (CLI.md "Commands"); [`crate::plan`] validates it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// `smtp`: probe an SMTP server, send mail, or run an offline demo.
#[derive(Debug, Parser)]
#[command(name = "smtp", version, about)]
pub(crate) struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The three commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Starts an in-process loopback SMTP server and runs a full session through it.
    Demo(DemoArgs),
    /// Greeting, EHLO capabilities and TLS details; sends no mail.
    // Negative numbers are values, so that `--timeout -1` is refused naming `--timeout`.
    #[command(allow_negative_numbers = true)]
    Probe(ConnectionArgs),
    /// Sends a message (or `--count` of them) and reports each recipient's verdict.
    #[command(allow_negative_numbers = true)]
    Send(SendArgs),
}

/// Options of `smtp demo`.
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Which adapter drives the session.
    #[arg(long, value_enum, default_value_t = Runtime::Tokio)]
    pub(crate) runtime: Runtime,
}

/// Which adapter crate drives the session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Runtime {
    /// smtp-tokio.
    Tokio,
    /// smtp-async-std (futures-io).
    AsyncStd,
    /// smtp-blocking (std sockets, one thread per connection).
    Blocking,
}

/// `--tls MODE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum TlsMode {
    /// Plaintext.
    None,
    /// STARTTLS required: fail if not offered, refused, or if the handshake fails.
    Starttls,
    /// STARTTLS when offered; a refusal continues in plaintext, a handshake failure is fatal.
    Opportunistic,
    /// TLS from the first byte.
    Implicit,
}

/// `--chunking MODE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Chunking {
    /// BDAT when CHUNKING is offered.
    Auto,
    /// Never BDAT.
    Never,
    /// BDAT, failing if CHUNKING is not offered.
    Always,
}

/// `--dsn-ret`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum DsnRet {
    /// The whole message.
    Full,
    /// Headers only.
    Hdrs,
}

/// The CONNECTION options of `probe` and `send`.
#[derive(Debug, Args)]
pub(crate) struct ConnectionArgs {
    /// Where to connect: `HOST[:PORT]`, `[IPv6]:PORT`, or `unix:PATH` (LMTP).
    #[arg(
        long,
        default_value = "localhost",
        help = "HOST[:PORT], [IPv6]:PORT, or unix:PATH (LMTP); port 465 with --tls implicit, 24 with --lmtp, else 25"
    )]
    pub(crate) server: String,
    /// The TLS mode (default `starttls`, `none` for a Unix socket).
    #[arg(
        long,
        value_enum,
        help = "none, starttls, opportunistic or implicit [default: starttls; none for unix:PATH]"
    )]
    pub(crate) tls: Option<TlsMode>,
    /// Trust the certificates in this PEM file instead of the system roots.
    #[arg(long, value_name = "PEM")]
    pub(crate) ca_file: Option<PathBuf>,
    /// The name to verify in the server certificate (default: the host of --server).
    #[arg(long, value_name = "NAME")]
    pub(crate) tls_name: Option<String>,
    /// Accept any certificate (AUTH then also needs --allow-plaintext-auth).
    #[arg(long)]
    pub(crate) insecure_skip_verify: bool,
    /// EHLO/LHLO identity: a domain or an address literal like `[127.0.0.1]`.
    #[arg(
        long,
        value_name = "NAME",
        help = "EHLO/LHLO identity: a domain or an address literal like [127.0.0.1] \
                [default: the machine's fully qualified host name, else the local address]"
    )]
    pub(crate) helo: Option<String>,
    /// Speak LMTP (RFC 2033).
    #[arg(long)]
    pub(crate) lmtp: bool,
    /// Authenticate as USER.
    #[arg(long)]
    pub(crate) user: Option<String>,
    /// The environment variable holding the password.
    #[arg(long, value_name = "VAR", conflicts_with = "password_file")]
    pub(crate) password_env: Option<String>,
    /// The file holding the password (one trailing line end is ignored).
    #[arg(long, value_name = "PATH")]
    pub(crate) password_file: Option<PathBuf>,
    /// The environment variable holding an OAuth bearer token.
    #[arg(long, value_name = "VAR")]
    pub(crate) oauth_token_env: Option<String>,
    /// Allowed SASL mechanisms, in preference order (comma-separated): plain, login,
    /// xoauth2, oauthbearer, cram-md5, scram-sha-256; the first one the post-TLS EHLO
    /// offers is used, no other after a failure [default: with a token
    /// oauthbearer,xoauth2, else scram-sha-256,plain,login].
    #[arg(long, value_name = "MECH[,MECH...]")]
    pub(crate) auth: Option<String>,
    /// Permit AUTH on a connection that is not TLS-protected.
    #[arg(long)]
    pub(crate) allow_plaintext_auth: bool,
    /// One timeout in decimal seconds for every phase.
    #[arg(long, value_name = "SECS")]
    pub(crate) timeout: Option<String>,
    /// Which adapter drives the session.
    #[arg(long, value_enum, default_value_t = Runtime::Tokio)]
    pub(crate) runtime: Runtime,
    /// Never pipeline.
    #[arg(long)]
    pub(crate) no_pipelining: bool,
    /// auto, never or always.
    #[arg(long, value_enum, default_value_t = Chunking::Auto)]
    pub(crate) chunking: Chunking,
    /// One JSON document on stdout.
    #[arg(long)]
    pub(crate) json: bool,
    /// The wire transcript on stderr, credentials redacted (with several connections,
    /// each line starts with its connection's number: #1, #2...).
    #[arg(short, long)]
    pub(crate) verbose: bool,
}

/// Options of `smtp send`.
#[derive(Debug, Args)]
pub(crate) struct SendArgs {
    /// Where to connect and how.
    #[command(flatten)]
    pub(crate) connection: ConnectionArgs,
    /// The reverse path ('' is the null path <>).
    #[arg(long, value_name = "ADDR")]
    pub(crate) from: String,
    /// A recipient (repeat for more).
    #[arg(long, value_name = "ADDR", required = true)]
    pub(crate) to: Vec<String>,
    /// The message (headers and body) as bytes; - is stdin.
    #[arg(long, value_name = "PATH")]
    pub(crate) body_file: Option<PathBuf>,
    /// Send the message N times over each connection.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub(crate) count: u64,
    /// Open C connections in parallel.
    #[arg(long, value_name = "C", default_value_t = 1)]
    pub(crate) connections: u32,
    /// Declare BODY=8BITMIME [default: declared when the body has 8-bit octets].
    #[arg(long = "8bitmime", conflicts_with = "binarymime")]
    pub(crate) eight_bit_mime: bool,
    /// Declare BODY=BINARYMIME (sent unchanged over BDAT).
    #[arg(long)]
    pub(crate) binarymime: bool,
    /// Declare SMTPUTF8 [default: declared when an address is not ASCII].
    #[arg(long)]
    pub(crate) smtputf8: bool,
    /// DSN RET (RFC 3461).
    #[arg(long, value_enum)]
    pub(crate) dsn_ret: Option<DsnRet>,
    /// DSN ENVID (RFC 3461).
    #[arg(long, value_name = "ID")]
    pub(crate) dsn_envid: Option<String>,
    /// DSN NOTIFY: never, or a list of success, failure, delay.
    #[arg(long, value_name = "LIST")]
    pub(crate) dsn_notify: Option<String>,
    /// REQUIRETLS (RFC 8689).
    #[arg(long)]
    pub(crate) requiretls: bool,
}
