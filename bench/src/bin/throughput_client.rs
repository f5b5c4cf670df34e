//! What `smtp send --count N --connections C --tls none` does, without the CLI: C tokio
//! tasks, each `Connection::connect` (plaintext), `send_all_mails` of N mails with the same
//! body, then QUIT. `bench/throughput.sh` runs it until the CLI exists
//! (`SMTP_CLIENT_CMD` selects the client there).
//!
//!   throughput_client [send] --server HOST:PORT --count N --connections C --body-file F
//!                     [--runtime current|multi] [--from ADDR] [--to ADDR]
//!
//! Prints one line: `delivered=D failed=F seconds=S mails_per_s=R`. The process exits 0
//! only if every mail was delivered. The default runtime is the one the CLI should use
//! (see notes/benchmarks.md); `--runtime` compares the two flavours.
// A benchmark reports on stdout.
#![allow(clippy::print_stdout)]

use std::error::Error;
use std::time::Instant;

use smtp_proto::command::{Envelope, MailBody, Outcome};
use smtp_proto::response::Bytes;
use smtp_tokio::{Connection, ConnectionConfig, Security};

struct Args {
    host: String,
    port: u16,
    count: usize,
    connections: usize,
    body: Bytes,
    multi_thread: bool,
    from: String,
    to: String,
}

fn main() -> Result<(), Box<dyn Error>> {
    let args = parse(std::env::args().skip(1))?;
    let runtime = if args.multi_thread {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    };
    let started = Instant::now();
    let (delivered, failed) = runtime.block_on(run(&args))?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "delivered={delivered} failed={failed} seconds={seconds:.3} mails_per_s={:.0}",
        delivered as f64 / seconds
    );
    if failed > 0 {
        return Err(format!("{failed} mails not delivered").into());
    }
    Ok(())
}

async fn run(args: &Args) -> Result<(usize, usize), Box<dyn Error>> {
    let config = ConnectionConfig::builder(args.host.clone())
        .port(args.port)
        .security(Security::None)
        .build()?;
    let envelope = Envelope::new(args.from.parse()?, [args.to.parse()?])?;
    let mut tasks = Vec::with_capacity(args.connections);
    for _ in 0..args.connections {
        let (config, envelope, body) = (config.clone(), envelope.clone(), args.body.clone());
        let count = args.count;
        tasks.push(tokio::spawn(async move {
            connection(config, envelope, body, count).await
        }));
    }
    let (mut delivered, mut failed) = (0, 0);
    for task in tasks {
        let (ok, bad) = task.await??;
        delivered += ok;
        failed += bad;
    }
    Ok((delivered, failed))
}

/// One connection's whole life: connect, N mails, QUIT.
async fn connection(
    config: ConnectionConfig,
    envelope: Envelope,
    body: Bytes,
    count: usize,
) -> Result<(usize, usize), smtp_tokio::Error> {
    let mut connection = Connection::connect(&config).await?;
    let mails = (0..count).map(|_| (envelope.clone(), MailBody::bytes(body.clone())));
    let (mut delivered, mut failed) = (0, 0);
    let mut results = connection.send_all_mails(mails);
    while let Some(result) = results.next().await {
        match result {
            Ok(Ok(report)) if report.outcome() == Outcome::Delivered => delivered += 1,
            Ok(_) => failed += 1,
            Err(error) => return Err(error),
        }
    }
    drop(results);
    connection.quit().await?;
    Ok((delivered, failed))
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, Box<dyn Error>> {
    let (mut server, mut count, mut connections, mut body) = (None, 1, 1, None);
    let (mut multi_thread, mut from, mut to) = (
        false,
        "<a@example.org>".to_owned(),
        "<b@example.org>".to_owned(),
    );
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            // The CLI's subcommand, so that `SMTP_CLIENT_CMD` can name either program.
            "send" => {}
            "--server" => server = Some(value()?),
            "--count" => count = value()?.parse()?,
            "--connections" => connections = value()?.parse()?,
            "--body-file" => body = Some(Bytes::from(std::fs::read(value()?)?)),
            "--from" => from = format!("<{}>", value()?),
            "--to" => to = format!("<{}>", value()?),
            "--runtime" => {
                multi_thread = match value()?.as_str() {
                    "current" => false,
                    "multi" => true,
                    other => return Err(format!("unknown runtime {other}").into()),
                }
            }
            // The CLI's other flags of the benchmark's command line (--tls none, --json).
            "--tls" => drop(value()?),
            "--json" => {}
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let server = server.ok_or("--server HOST:PORT is required")?;
    let (host, port) = server.rsplit_once(':').ok_or("--server needs HOST:PORT")?;
    Ok(Args {
        host: host.to_owned(),
        port: port.parse()?,
        count,
        connections,
        body: body.ok_or("--body-file is required")?,
        multi_thread,
        from,
        to,
    })
}
