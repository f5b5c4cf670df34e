//! Streams a generated body through `send_mail_streamed` and the same octets through a
//! plain loopback socket, and reports throughput and the client's peak RSS growth:
//! `cargo run --release -p smtp-tokio --example stream_bench -- [HOST:PORT] [MIB]`
//! (default `127.0.0.1:2537`, an smtp-sink, and 100 MiB). `bench/stream.sh` runs it.
//!
//! `stream_bench whole [MIB]` instead sends the body as one `MailBody::Bytes` (built before
//! the peak is reset) to the in-process bulk sink only: what the client holds beside the
//! caller's body while it sends it, and how fast.
//!
//! The body comes from an `AsyncRead` that generates 78-octet lines (never a file in
//! memory), so the RSS growth is what the client keeps while streaming. The peak is reset
//! first (`/proc/self/clear_refs`), then read from `VmHWM` after the mail.
// An example reports on stdout.
#![allow(clippy::print_stdout)]

use std::error::Error;
use std::io::Read;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use smtp_proto::command::{Envelope, MailBody, Outcome, StreamedBody};
use smtp_tokio::{Connection, ConnectionConfig, Security};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt, ReadBuf};

/// One body line: 76 octets of text and CRLF (no leading dot, nothing to stuff).
const LINE: &[u8] =
    b"The quick brown fox jumps over the lazy dog; 0123456789 ABCDEFGHIJKLMNOPQRST\r\n";
/// The read buffer of the raw copy: the adapter's own body buffer (16 KiB).
const CHUNK: usize = 16 * 1024;

/// An endless supply of [`LINE`]s, cut after `left` octets.
struct Generator {
    pattern: Vec<u8>,
    offset: usize,
    left: u64,
}

impl Generator {
    fn new(size: u64) -> Self {
        Self {
            pattern: LINE.repeat(1024),
            offset: 0,
            left: size,
        }
    }
}

impl AsyncRead for Generator {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        let available = this.pattern.len() - this.offset;
        let n = buf
            .remaining()
            .min(available)
            .min(usize::try_from(this.left).unwrap_or(usize::MAX));
        buf.put_slice(&this.pattern[this.offset..this.offset + n]);
        this.offset = (this.offset + n) % LINE.len();
        this.left -= n as u64;
        Poll::Ready(Ok(()))
    }
}

/// A `/proc/self/status` field in KiB.
fn status_kib(field: &str) -> Result<u64, Box<dyn Error>> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .ok_or("no such status field")?;
    let value = line.split_whitespace().nth(1).ok_or("no value")?;
    Ok(value.parse()?)
}

/// This process's user plus system CPU time (`/proc/self/stat`, in clock ticks of 10 ms).
fn cpu_time() -> Result<Duration, Box<dyn Error>> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    // The fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').ok_or("malformed stat")?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| -> Result<u64, Box<dyn Error>> {
        Ok(fields.get(i).ok_or("short stat")?.parse()?)
    };
    // utime and stime are fields 14 and 15 of the line: 11 and 12 after the name.
    Ok(Duration::from_millis((ticks(11)? + ticks(12)?) * 10))
}

fn mib_per_s(size: u64, elapsed: Duration) -> f64 {
    size as f64 / (1024.0 * 1024.0) / elapsed.as_secs_f64()
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("whole") {
        let mib: u64 = args.get(1).map_or(Ok(100), |m| m.parse())?;
        return whole(mib * 1024 * 1024).await;
    }
    let address = args.first().map_or("127.0.0.1:2537", String::as_str);
    let mib: u64 = args.get(1).map_or(Ok(100), |m| m.parse())?;
    let size = mib * 1024 * 1024;
    let (host, port) = address.rsplit_once(':').ok_or("HOST:PORT expected")?;
    let config = ConnectionConfig::builder(host)
        .port(port.parse()?)
        .security(Security::None)
        .client_id("bench.test".parse()?)
        .build()?;
    let envelope = Envelope::new("<bench@x.test>".parse()?, ["<sink@y.test>".parse()?])?;
    let generator = Generator::new(size);

    // Reset the peak RSS to the current RSS (Linux 4.0+), then stream.
    std::fs::write("/proc/self/clear_refs", "5")?;
    let before = status_kib("VmHWM:")?;
    let mut connection = Connection::connect(&config).await?;
    let start = Instant::now();
    let cpu_start = cpu_time()?;
    let report = connection
        .send_mail_streamed(envelope, generator, StreamedBody::default())
        .await??;
    let smtp = start.elapsed();
    let cpu = cpu_time()? - cpu_start;
    connection.quit().await?;
    let after = status_kib("VmHWM:")?;
    if report.outcome() != Outcome::Delivered {
        return Err(format!("the sink did not accept the mail: {:?}", report.outcome()).into());
    }

    let raw = raw_copy(size).await?;
    let cpu_start = cpu_time()?;
    let fast = to_bulk_sink(size, None).await?;
    let fast_cpu = cpu_time()? - cpu_start;
    println!(
        "smtp_mib_s={:.1} smtp_bulk_sink_mib_s={:.1} raw_mib_s={:.1} smtp_s={:.3} \
         smtp_client_cpu_s={:.2} bulk_cpu_s={:.2} raw_s={:.3} rss_before_kib={before} rss_peak_growth_kib={}",
        mib_per_s(size, smtp),
        mib_per_s(size, fast),
        mib_per_s(size, raw),
        smtp.as_secs_f64(),
        cpu.as_secs_f64(),
        fast_cpu.as_secs_f64(),
        raw.as_secs_f64(),
        after.saturating_sub(before),
    );
    Ok(())
}

/// `whole` mode: the body as one `MailBody::Bytes`, to the bulk sink.
async fn whole(size: u64) -> Result<(), Box<dyn Error>> {
    let mut body = Vec::with_capacity(usize::try_from(size)?);
    Generator::new(size).read_to_end(&mut body).await?;
    let body = smtp_proto::response::Bytes::from(body);
    std::fs::write("/proc/self/clear_refs", "5")?;
    let before = status_kib("VmHWM:")?;
    let cpu_start = cpu_time()?;
    let elapsed = to_bulk_sink(size, Some(body)).await?;
    let cpu = cpu_time()? - cpu_start;
    let after = status_kib("VmHWM:")?;
    println!(
        "whole_bulk_sink_mib_s={:.1} whole_s={:.3} whole_cpu_s={:.2} rss_before_kib={before} \
         rss_peak_growth_kib={}",
        mib_per_s(size, elapsed),
        elapsed.as_secs_f64(),
        cpu.as_secs_f64(),
        after.saturating_sub(before),
    );
    Ok(())
}

/// The same mail to an SMTP server in a thread of this process that reads in 64 KiB
/// blocks and only looks for the end of data: the client's own ceiling, where smtp-sink
/// (which reads line by line) may be the limit. `whole`: the body as one `Bytes` instead
/// of streamed from the generator.
async fn to_bulk_sink(
    size: u64,
    whole: Option<smtp_proto::response::Bytes>,
) -> Result<Duration, Box<dyn Error>> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let sink = std::thread::spawn(move || bulk_sink(&listener));
    let config = ConnectionConfig::builder("127.0.0.1")
        .port(port)
        .security(Security::None)
        .client_id("bench.test".parse()?)
        .build()?;
    let envelope = Envelope::new("<bench@x.test>".parse()?, ["<sink@y.test>".parse()?])?;
    let mut connection = Connection::connect(&config).await?;
    let start = Instant::now();
    let report = match whole {
        Some(body) => {
            connection
                .send_mail(envelope, MailBody::Bytes(body))
                .await??
        }
        None => {
            connection
                .send_mail_streamed(envelope, Generator::new(size), StreamedBody::default())
                .await??
        }
    };
    let elapsed = start.elapsed();
    connection.quit().await?;
    sink.join().map_err(|_| "the sink thread panicked")??;
    if report.outcome() != Outcome::Delivered {
        return Err("the bulk sink did not accept the mail".into());
    }
    Ok(elapsed)
}

/// One session: greeting, EHLO with PIPELINING, one pipelined MAIL/RCPT/DATA, a body
/// read in bulk up to CRLF.CRLF (looked for only at the end of each read), QUIT.
fn bulk_sink(listener: &std::net::TcpListener) -> std::io::Result<()> {
    use std::io::Write;
    let (mut socket, _) = listener.accept()?;
    let mut buf = vec![0u8; 64 * 1024];
    // The client waits for a reply after each of these, so what it sent so far always
    // ends with the awaited line; and a dot-stuffed body holds CRLF.CRLF only at its end.
    let mut tail: Vec<u8> = Vec::new();
    let mut read_until = |socket: &mut std::net::TcpStream, end: &[u8]| -> std::io::Result<()> {
        loop {
            match socket.read(&mut buf)? {
                0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
                n => tail.extend_from_slice(&buf[n.saturating_sub(end.len())..n]),
            }
            if tail.ends_with(end) {
                tail.clear();
                return Ok(());
            }
            let keep = tail.len().saturating_sub(end.len());
            tail.drain(..keep);
        }
    };
    socket.write_all(b"220 bulk.sink ESMTP\r\n")?;
    read_until(&mut socket, b"\r\n")?;
    socket.write_all(b"250-bulk.sink\r\n250-8BITMIME\r\n250 PIPELINING\r\n")?;
    read_until(&mut socket, b"DATA\r\n")?;
    socket.write_all(b"250 ok\r\n250 ok\r\n354 go\r\n")?;
    read_until(&mut socket, b"\r\n.\r\n")?;
    socket.write_all(b"250 queued\r\n")?;
    read_until(&mut socket, b"QUIT\r\n")?;
    socket.write_all(b"221 bye\r\n")
}

/// The same generated octets written to a loopback socket whose other end (a thread)
/// discards them: the floor the SMTP path is compared with.
async fn raw_copy(size: u64) -> Result<Duration, Box<dyn Error>> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let address = listener.local_addr()?;
    let sink = std::thread::spawn(move || -> std::io::Result<u64> {
        let (mut socket, _) = listener.accept()?;
        let mut buf = vec![0u8; 64 * 1024];
        let mut total = 0;
        loop {
            match socket.read(&mut buf)? {
                0 => return Ok(total),
                n => total += n as u64,
            }
        }
    });
    let mut stream = tokio::net::TcpStream::connect(address).await?;
    stream.set_nodelay(true)?;
    let mut generator = Generator::new(size);
    let mut chunk = vec![0u8; CHUNK];
    let start = Instant::now();
    loop {
        let n = generator.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        stream.write_all(&chunk[..n]).await?;
    }
    stream.shutdown().await?;
    let received = sink.join().map_err(|_| "the sink thread panicked")??;
    let elapsed = start.elapsed();
    if received != size {
        return Err(format!("the sink got {received} of {size} octets").into());
    }
    Ok(elapsed)
}
