//! The benchmarks are in `benches/`. What is here: the command line every throughput client
//! shares (`src/bin/throughput_client.rs`, ours; `src/bin/lettre_client.rs`,
//! `src/bin/mail_send_client.rs`), the same as the `smtp send` command's benchmark line,
//! so that `bench/throughput.sh` and `bench/compare_clients.sh` call them all the same way.

use std::error::Error;

/// `[send] --server HOST:PORT --count N --connections C --body-file F [--from ADDR]
/// [--to ADDR] [--runtime current|multi] [--tls none] [--json]`, plus the flags a client
/// names in `extra` (each with one value).
#[derive(Debug)]
pub struct ClientArgs {
    pub host: String,
    pub port: u16,
    /// Mails on each connection.
    pub count: usize,
    pub connections: usize,
    /// The message, sent as it is (header and body, CRLF lines).
    pub body: Vec<u8>,
    /// tokio's multi-thread runtime instead of the current-thread one (the default, as
    /// `throughput_client`'s).
    pub multi_thread: bool,
    /// The reverse path, without angle brackets.
    pub from: String,
    /// The one recipient, without angle brackets.
    pub to: String,
    /// The values of the client's own flags, in the order of `extra`'s names (`None`: not
    /// given).
    pub extra: Vec<Option<String>>,
}

impl ClientArgs {
    /// Parses the arguments after the program's name.
    pub fn parse(
        mut args: impl Iterator<Item = String>,
        extra: &[&str],
    ) -> Result<Self, Box<dyn Error>> {
        let (mut server, mut count, mut connections, mut body) = (None, 1, 1, None);
        let mut multi_thread = false;
        let (mut from, mut to) = ("a@example.org".to_owned(), "b@example.org".to_owned());
        let mut values = vec![None; extra.len()];
        while let Some(flag) = args.next() {
            let mut value = || args.next().ok_or(format!("{flag} needs a value"));
            match flag.as_str() {
                // The CLI's subcommand, so that the scripts can name any of the programs.
                "send" => {}
                "--server" => server = Some(value()?),
                "--count" => count = value()?.parse()?,
                "--connections" => connections = value()?.parse()?,
                "--body-file" => body = Some(std::fs::read(value()?)?),
                "--from" => from = value()?,
                "--to" => to = value()?,
                "--runtime" => {
                    multi_thread = match value()?.as_str() {
                        "current" => false,
                        "multi" => true,
                        other => return Err(format!("unknown runtime {other}").into()),
                    }
                }
                // The CLI's other flags of the benchmark's command line.
                "--tls" => match value()?.as_str() {
                    "none" => {}
                    other => return Err(format!("only --tls none, not {other}").into()),
                },
                "--json" => {}
                other => match extra.iter().position(|name| *name == other) {
                    Some(index) => {
                        if let Some(slot) = values.get_mut(index) {
                            *slot = Some(value()?);
                        }
                    }
                    None => return Err(format!("unknown argument {other}").into()),
                },
            }
        }
        let server = server.ok_or("--server HOST:PORT is required")?;
        let (host, port) = server.rsplit_once(':').ok_or("--server needs HOST:PORT")?;
        Ok(Self {
            host: host.to_owned(),
            port: port.parse()?,
            count,
            connections,
            body: body.ok_or("--body-file is required")?,
            multi_thread,
            from,
            to,
            extra: values,
        })
    }

    /// The tokio runtime `--runtime` asks for.
    pub fn runtime(&self) -> std::io::Result<tokio::runtime::Runtime> {
        if self.multi_thread {
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
        } else {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
        }
    }
}

/// The line every throughput client prints: `delivered=D failed=F seconds=S mails_per_s=R`.
pub fn report(delivered: usize, failed: usize, seconds: f64) -> String {
    format!(
        "delivered={delivered} failed={failed} seconds={seconds:.3} mails_per_s={:.0}",
        delivered as f64 / seconds
    )
}
