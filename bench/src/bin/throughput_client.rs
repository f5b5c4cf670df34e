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

use smtp_bench::{ClientArgs, report};
use smtp_proto::command::{Envelope, MailBody, Outcome};
use smtp_proto::response::Bytes;
use smtp_tokio::{Connection, ConnectionConfig, Security};

fn main() -> Result<(), Box<dyn Error>> {
    let args = ClientArgs::parse(std::env::args().skip(1), &[])?;
    let runtime = args.runtime()?;
    let started = Instant::now();
    let (delivered, failed) = runtime.block_on(run(&args))?;
    let seconds = started.elapsed().as_secs_f64();
    println!("{}", report(delivered, failed, seconds));
    if failed > 0 {
        return Err(format!("{failed} mails not delivered").into());
    }
    Ok(())
}

async fn run(args: &ClientArgs) -> Result<(usize, usize), Box<dyn Error>> {
    let config = ConnectionConfig::builder(args.host.clone())
        .port(args.port)
        .security(Security::None)
        .build()?;
    let envelope = Envelope::new(
        format!("<{}>", args.from).parse()?,
        [format!("<{}>", args.to).parse()?],
    )?;
    let body = Bytes::from(args.body.clone());
    let mut tasks = Vec::with_capacity(args.connections);
    for _ in 0..args.connections {
        let (config, envelope, body) = (config.clone(), envelope.clone(), body.clone());
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
