//! Client transactions in memory: mails per second through one long `SendMails` exchange
//! against `AutoResponder`, and heap allocations per mail, in the steady state.
//!
//! Four cases: 1 and 100 recipients, over DATA and over BDAT (the server offers PIPELINING,
//! SIZE, 8BITMIME and CHUNKING in every case; DATA is chosen with `prefer_bdat: false`).
//! Each mail is a fresh clone of a prepared envelope and body, as a caller's source would
//! produce it, so the clone is part of the cost. Run:
//! `cargo bench --manifest-path bench/Cargo.toml --bench client`

// The counting allocator is the one unsafe item: it only forwards to the system allocator.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group};
use smtp_proto::client::{Client, ClientConfig, Exchange, Output};
use smtp_proto::command::{
    Cmd, Envelope, Establish, MailBody, SendMails, TlsPolicy, TransactionOptions,
};
use smtp_proto::syntax::{ClientId, ForwardPath};
use smtp_proto::testing::AutoResponder;

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const EHLO: &[u8] = b"250-mx.example\r\n250-PIPELINING\r\n250-SIZE 10000000\r\n\
    250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250 CHUNKING\r\n";

/// A 500-octet notification-style message.
fn body() -> MailBody {
    let mut text = b"From: <sender@example.org>\r\nTo: <rcpt@example.net>\r\n\
        Subject: Your order has shipped\r\nMessage-ID: <1234@example.org>\r\n\r\n"
        .to_vec();
    while text.len() < 500 {
        text.extend_from_slice(b"Your parcel is on its way and should arrive soon.\r\n");
    }
    MailBody::bytes(text)
}

/// One benchmark case: the recipients and the transfer.
#[derive(Clone, Copy)]
struct Case {
    recipients: usize,
    bdat: bool,
}

impl Case {
    const ALL: [Case; 4] = [
        Case {
            recipients: 1,
            bdat: false,
        },
        Case {
            recipients: 100,
            bdat: false,
        },
        Case {
            recipients: 1,
            bdat: true,
        },
        Case {
            recipients: 100,
            bdat: true,
        },
    ];

    fn name(self) -> String {
        let transfer = if self.bdat { "bdat" } else { "data" };
        format!("{transfer}_{}rcpt", self.recipients)
    }

    fn mails(self) -> impl Iterator<Item = (Envelope, MailBody)> {
        let to: Vec<ForwardPath> = (0..self.recipients)
            .map(|i| format!("<rcpt{i}@example.net>").parse().unwrap())
            .collect();
        let envelope = Envelope::new("<sender@example.org>".parse().unwrap(), to).unwrap();
        let body = body();
        std::iter::repeat_with(move || (envelope.clone(), body.clone()))
    }

    fn options(self) -> TransactionOptions {
        TransactionOptions {
            prefer_bdat: self.bdat,
            ..TransactionOptions::default()
        }
    }
}

/// The in-memory connection: the server and the replies it owes.
struct Wire {
    server: AutoResponder,
    replies: Vec<u8>,
    scratch: Vec<u8>,
}

impl Wire {
    /// A client after the greeting and EHLO.
    fn open() -> (Client, Wire) {
        let mut wire = Wire {
            server: AutoResponder::new(EHLO),
            replies: Vec::with_capacity(1 << 16),
            scratch: Vec::with_capacity(1 << 16),
        };
        wire.server.greet(&mut wire.replies);
        let mut client = Client::new(ClientConfig::default());
        let setup = Establish::new(ClientId::localhost())
            .unwrap()
            .tls(TlsPolicy::Disabled);
        let mut ex = client.send(setup);
        let now = Instant::now();
        loop {
            match ex.poll_output(now).unwrap() {
                Output::Transmit(t) => wire.server.read(t.bytes(), &mut wire.replies),
                Output::NeedInput { .. } => wire.deliver(&mut ex),
                Output::Done(result) => {
                    result.unwrap();
                    break;
                }
                _ => panic!("unexpected output during setup"),
            }
        }
        (client, wire)
    }

    /// Hands the server's replies to the client as one read.
    fn deliver<C: Cmd>(&mut self, ex: &mut Exchange<'_, C>) {
        self.scratch.clear();
        self.scratch.append(&mut self.replies);
        ex.handle_input(&self.scratch);
    }

    /// Runs the exchange until `count` more mails were delivered to every recipient.
    fn pump<I>(&mut self, ex: &mut Exchange<'_, SendMails<I>>, count: u64, recipients: usize)
    where
        I: Iterator<Item = (Envelope, MailBody)>,
    {
        let now = Instant::now();
        let mut finished = 0;
        while finished < count {
            match ex.poll_output(now).unwrap() {
                Output::Transmit(t) => self.server.read(t.bytes(), &mut self.replies),
                Output::NeedInput { .. } => {
                    self.deliver(ex);
                    while let Some(report) = ex.command_mut().pop_finished() {
                        assert_eq!(report.unwrap().delivered_count(), recipients);
                        finished += 1;
                    }
                }
                _ => panic!("unexpected output in the steady state"),
            }
        }
    }
}

/// Heap allocations per mail in the steady state, and of those the caller's clone of the
/// envelope and body.
fn allocations(case: Case) -> (f64, f64) {
    const WARM: u64 = 100;
    const MEASURED: u64 = 2_000;
    let (mut client, mut wire) = Wire::open();
    let mut ex = client.send(SendMails::new(case.mails(), case.options()));
    wire.pump(&mut ex, WARM, case.recipients);
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    wire.pump(&mut ex, MEASURED, case.recipients);
    let total = ALLOCATIONS.load(Ordering::Relaxed) - before;
    let mut source = case.mails();
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for _ in 0..MEASURED {
        black_box(source.next());
    }
    let clones = ALLOCATIONS.load(Ordering::Relaxed) - before;
    (
        total as f64 / MEASURED as f64,
        clones as f64 / MEASURED as f64,
    )
}

fn transactions(c: &mut Criterion) {
    let mut group = c.benchmark_group("client");
    group.throughput(Throughput::Elements(1));
    for case in Case::ALL {
        let (mut client, mut wire) = Wire::open();
        let mut ex = client.send(SendMails::new(case.mails(), case.options()));
        wire.pump(&mut ex, 100, case.recipients);
        group.bench_function(case.name(), |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                wire.pump(&mut ex, iters, case.recipients);
                start.elapsed()
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(5));
    targets = transactions
}

fn main() {
    println!("allocations per mail (steady state; of which the caller's envelope+body clone):");
    for case in Case::ALL {
        let (total, clones) = allocations(case);
        println!("  {:<14} {total:>8.2}  ({clones:.2})", case.name());
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
