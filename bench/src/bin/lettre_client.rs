//! `throughput_client`'s session with lettre 0.11 (tokio, no TLS): C tokio tasks, each
//! sending N copies of the same raw message (`send_raw` with one `Envelope`, one
//! recipient), then QUIT. For `bench/compare_clients.sh`.
//!
//!   lettre_client [send] --server HOST:PORT --count N --connections C --body-file F
//!                 [--api transport|connection] [--nodelay on|off]
//!                 [--runtime current|multi] [--from ADDR] [--to ADDR]
//!
//! `--api transport` (the default): what lettre's documentation shows,
//! `AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host).port(p)` with its
//! connection pool (`max_size` C), every task calling `send_raw` in a loop, then
//! `shutdown` (QUIT on the pooled connections). The pool checks a connection with NOOP
//! each time it hands it out, and returns it to the pool from a spawned task.
//!
//! `--api connection`: lettre's lower-level `AsyncSmtpConnection` (public), one per task,
//! `connect_tokio1`, `send(&envelope, body)` N times, `quit`: no pool, no NOOP.
//!
//! lettre 0.11.23 leaves Nagle's algorithm on (no `set_nodelay` in the crate; lettre
//! PR 1159, merged after that release, sets it), and it writes the end of data (CRLF . CRLF)
//! apart from the body: the server's delayed ACK then holds every mail for about 40 ms.
//! `--nodelay on` (with `--api connection` only) connects the `TcpStream` itself, sets
//! TCP_NODELAY as ours does, and hands it to `AsyncSmtpConnection::connect_with_transport`
//! (public too): what a user who found the stall can write with this release.
//!
//! Prints `delivered=D failed=F seconds=S mails_per_s=R`; exits 0 only if every mail was
//! delivered (lettre reports a refusal as an error, which ends the run).
// A benchmark reports on stdout.
#![allow(clippy::print_stdout)]

use std::error::Error;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use smtp_bench::{ClientArgs, report};

type BoxError = Box<dyn Error + Send + Sync>;

/// lettre's default command timeout (`AsyncSmtpTransportBuilder`: 60 s, used to connect).
const TIMEOUT: Duration = Duration::from_secs(60);

fn main() -> Result<(), Box<dyn Error>> {
    let args = ClientArgs::parse(std::env::args().skip(1), &["--api", "--nodelay"])?;
    let pooled = match args.extra.first().cloned().flatten().as_deref() {
        None | Some("transport") => true,
        Some("connection") => false,
        Some(other) => return Err(format!("unknown --api {other}").into()),
    };
    let nodelay = match args.extra.get(1).cloned().flatten().as_deref() {
        None | Some("off") => false,
        Some("on") if !pooled => true,
        Some("on") => return Err("--nodelay on needs --api connection".into()),
        Some(other) => return Err(format!("--nodelay on|off, not {other}").into()),
    };
    let runtime = args.runtime()?;
    let started = Instant::now();
    let delivered = runtime
        .block_on(async {
            if pooled {
                transport(&args).await
            } else {
                connections(&args, nodelay).await
            }
        })
        .map_err(|error| error.to_string())?;
    let seconds = started.elapsed().as_secs_f64();
    println!("{}", report(delivered, 0, seconds));
    Ok(())
}

/// The transport with its pool, shared by C tasks.
async fn transport(args: &ClientArgs) -> Result<usize, BoxError> {
    let mailer = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(args.host.as_str())
        .port(args.port)
        .pool_config(PoolConfig::new().max_size(u32::try_from(args.connections)?))
        .build();
    let envelope = Arc::new(Envelope::new(
        Some(args.from.parse()?),
        vec![args.to.parse()?],
    )?);
    let body: Arc<[u8]> = args.body.as_slice().into();
    let mut tasks = Vec::with_capacity(args.connections);
    for _ in 0..args.connections {
        let (mailer, envelope, body) = (mailer.clone(), envelope.clone(), body.clone());
        let count = args.count;
        tasks.push(tokio::spawn(async move {
            for _ in 0..count {
                mailer.send_raw(&envelope, &body).await?;
            }
            Ok::<_, lettre::transport::smtp::Error>(count)
        }));
    }
    let mut delivered = 0;
    for task in tasks {
        delivered += task.await??;
    }
    mailer.shutdown().await;
    Ok(delivered)
}

/// One `AsyncSmtpConnection` per task.
async fn connections(args: &ClientArgs, nodelay: bool) -> Result<usize, BoxError> {
    let envelope = Arc::new(Envelope::new(
        Some(args.from.parse()?),
        vec![args.to.parse()?],
    )?);
    let body: Arc<[u8]> = args.body.as_slice().into();
    let mut tasks = Vec::with_capacity(args.connections);
    for _ in 0..args.connections {
        let (host, port) = (args.host.clone(), args.port);
        let (envelope, body, count) = (envelope.clone(), body.clone(), args.count);
        tasks.push(tokio::spawn(async move {
            let mut connection = if nodelay {
                let stream = tokio::time::timeout(
                    TIMEOUT,
                    tokio::net::TcpStream::connect((host.as_str(), port)),
                )
                .await??;
                stream.set_nodelay(true)?;
                AsyncSmtpConnection::connect_with_transport(Box::new(stream), &ClientId::default())
                    .await?
            } else {
                AsyncSmtpConnection::connect_tokio1(
                    (host.as_str(), port),
                    Some(TIMEOUT),
                    &ClientId::default(),
                    None,
                    None,
                )
                .await?
            };
            for _ in 0..count {
                connection.send(&envelope, &body).await?;
            }
            connection.quit().await?;
            Ok::<_, BoxError>(count)
        }));
    }
    let mut delivered = 0;
    for task in tasks {
        delivered += task.await??;
    }
    Ok(delivered)
}
