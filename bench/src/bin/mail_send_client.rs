//! `throughput_client`'s session with Stalwart's mail-send 0.7 (tokio, no TLS): C tokio
//! tasks, each `SmtpClientBuilder::new(host, port)?.implicit_tls(false).connect_plain()`
//! (greeting, EHLO), `send` of N copies of the same raw message (a `Message` with the
//! same reverse path and one recipient, its body borrowed), then QUIT. For
//! `bench/compare_clients.sh`.
//!
//!   mail_send_client [send] --server HOST:PORT --count N --connections C --body-file F
//!                    [--nodelay on|off] [--runtime current|multi] [--from ADDR] [--to ADDR]
//!
//! mail-send leaves Nagle's algorithm on and writes the end of data (CRLF . CRLF) apart
//! from the body, so the server's delayed ACK holds every mail for about 40 ms.
//! `--nodelay on` sets TCP_NODELAY, as ours does, on the connected client's socket (the
//! `stream` field of `SmtpClient` is public) before the first mail.
//!
//! Prints `delivered=D failed=F seconds=S mails_per_s=R`; exits 0 only if every mail was
//! delivered (mail-send reports a refusal as an error, which ends the run).
// A benchmark reports on stdout.
#![allow(clippy::print_stdout)]

use std::error::Error;
use std::sync::Arc;
use std::time::Instant;

use mail_send::SmtpClientBuilder;
use mail_send::smtp::message::Message;
use smtp_bench::{ClientArgs, report};

type BoxError = Box<dyn Error + Send + Sync>;

fn main() -> Result<(), Box<dyn Error>> {
    let args = ClientArgs::parse(std::env::args().skip(1), &["--nodelay"])?;
    let nodelay = match args.extra.first().cloned().flatten().as_deref() {
        None | Some("off") => false,
        Some("on") => true,
        Some(other) => return Err(format!("--nodelay on|off, not {other}").into()),
    };
    let runtime = args.runtime()?;
    let started = Instant::now();
    let delivered = runtime
        .block_on(run(&args, nodelay))
        .map_err(|error| error.to_string())?;
    let seconds = started.elapsed().as_secs_f64();
    println!("{}", report(delivered, 0, seconds));
    Ok(())
}

async fn run(args: &ClientArgs, nodelay: bool) -> Result<usize, BoxError> {
    // The builder's defaults (EHLO with the host name, a one-hour timeout per command);
    // `new` builds a rustls connector too, unused without TLS.
    let builder =
        Arc::new(SmtpClientBuilder::new(args.host.clone(), args.port)?.implicit_tls(false));
    let (from, to): (Arc<str>, Arc<str>) = (args.from.as_str().into(), args.to.as_str().into());
    let body: Arc<[u8]> = args.body.as_slice().into();
    let mut tasks = Vec::with_capacity(args.connections);
    for _ in 0..args.connections {
        let (builder, from, to, body) = (builder.clone(), from.clone(), to.clone(), body.clone());
        let count = args.count;
        tasks.push(tokio::spawn(async move {
            let mut client = builder.connect_plain().await?;
            if nodelay {
                client.stream.set_nodelay(true)?;
            }
            for _ in 0..count {
                client.send(Message::new(&*from, [&*to], &*body)).await?;
            }
            client.quit().await?;
            Ok::<_, BoxError>(count)
        }));
    }
    let mut delivered = 0;
    for task in tasks {
        delivered += task.await??;
    }
    Ok(delivered)
}
