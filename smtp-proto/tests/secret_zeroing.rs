//! Secrets are zeroed before their memory is freed: every password and token, and every
//! base64 line that carried one, whether a SASL exchange runs alone or inside the client.
//!
//! This binary's allocator hands out zeroed blocks and looks into each block as it is freed
//! (a reallocation frees the old block too) for the secrets of these tests, raw and in
//! base64 at each of the three alignments a secret can have inside an encoded message. What
//! it cannot see: copies on the stack, and memory the OS or a TLS layer keeps.

// The allocator below needs `unsafe`; the crate itself forbids it.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

use smtp_proto::auth::{Credentials, Mechanism, SaslExchange, SaslParams, SaslResponse, Secret};
use smtp_proto::client::{Client, ClientConfig, Context, Output, ReplyKind};
use smtp_proto::command::{
    Authenticate, Cmd, Ehlo, Envelope, Greeting, MailBody, Noop, SendMail, Step,
};
use smtp_proto::data::BodySink;
use smtp_proto::error::ProtocolError;
use smtp_proto::response::Response;
use smtp_proto::syntax::ClientId;

/// One secret per test, so that tests running in parallel cannot blame each other.
const SECRETS: [&str; 18] = [
    "Zq8-plain-s3cr3t-9fW",
    "Zq8-login-s3cr3t-9fW",
    "Zq8.xoauth2.T0K3N-9fW",
    "Zq8.oauthbearer.T0K3N-9fW",
    "Zq8-cram-s3cr3t-9fW",
    "Zq8-scram-s3cr3t-9fW",
    "Zq8-client-plain-s3cr3t-9fW",
    "Zq8-client-login-s3cr3t-9fW",
    "Zq8-client-deferred-s3cr3t-9fW",
    "Zq8-secret-value-9fW",
    "Zq8-client-after-mail-s3cr3t-9fW",
    "Zq8-custom-s3cr3t-9fW",
    "Zq8-custom-refused-s3cr3t-9fW",
    "Zq8-custom-grouped-s3cr3t-9fW",
    "Zq8-custom-body-s3cr3t-9fW",
    "Zq8-server-scram-s3cr3t-9fW",
    "Zq8.oauthbearer.host.T0K3N-9fW",
    "Zq8-custom-piecewise-s3cr3t-9fW",
];

/// Bit `i` is set once a freed block held `SECRETS[i]` in some form.
static FOUND: AtomicU64 = AtomicU64::new(0);

/// How many scenarios run now: blocks are looked into only then, so that the rest of the
/// binary (a panic's backtrace above all) is not slowed down.
static RUNNING: AtomicUsize = AtomicUsize::new(0);

/// Each secret's forms (raw, and the base64 of its whole 3-octet groups at offsets 0, 1
/// and 2), with the secret's index. Computed once, before the allocator starts to look,
/// and never freed.
static FORMS: OnceLock<Vec<(usize, Vec<u8>)>> = OnceLock::new();

fn forms() -> &'static [(usize, Vec<u8>)] {
    FORMS.get_or_init(|| {
        let mut forms = Vec::new();
        for (index, secret) in SECRETS.iter().enumerate() {
            let secret = secret.as_bytes();
            forms.push((index, secret.to_vec()));
            for offset in 0..3 {
                let groups = (secret.len() - offset) / 3 * 3;
                let encoded = SaslResponse::new(secret[offset..offset + groups].to_vec())
                    .encode_base64()
                    .expose()
                    .as_bytes()
                    .to_vec();
                forms.push((index, encoded));
            }
        }
        #[cfg(feature = "sasl-scram")]
        for index in [5, 15] {
            forms.extend(scram_keys(SECRETS[index]).map(|key| (index, key.to_vec())));
        }
        #[cfg(feature = "sasl-scram")]
        forms.push((5, scram_proof(SECRETS[5])));
        forms
    })
}

/// The salt and iteration count the SCRAM test's server sends.
#[cfg(feature = "sasl-scram")]
const SCRAM_SALT: &[u8] = b"W22ZaJ0SNY7soEsUEjb6gQ==";
#[cfg(feature = "sasl-scram")]
const SCRAM_ITERATIONS: u32 = 16;
/// The client nonce of every exchange here; the SCRAM server adds `srv`.
const SCRAM_NONCE: &str = "rOprNGfwEbeRWgbNEkqO";

/// The keys a SCRAM-SHA-256 client derives from `password` (RFC 5802 §3): SaltedPassword,
/// ClientKey, StoredKey and ServerKey.
#[cfg(feature = "sasl-scram")]
fn scram_keys(password: &str) -> [[u8; 32]; 4] {
    use hmac::{Hmac, KeyInit, Mac};
    use sha2::{Digest, Sha256};
    let hmac = |key: &[u8], data: &[u8]| -> [u8; 32] {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
        mac.update(data);
        mac.finalize().into_bytes().into()
    };
    let salt = smtp_proto::auth::decode_base64(SCRAM_SALT).unwrap();
    let mut salted = [0; 32];
    pbkdf2::pbkdf2::<Hmac<Sha256>>(password.as_bytes(), &salt, SCRAM_ITERATIONS, &mut salted)
        .unwrap();
    let client_key = hmac(&salted, b"Client Key");
    let stored_key = Sha256::digest(client_key).into();
    [salted, client_key, stored_key, hmac(&salted, b"Server Key")]
}

/// The ClientProof (RFC 5802 §3) of `every_mechanism_zeroes_what_it_held`'s SCRAM exchange,
/// as its client-final-message carries it: base64. With StoredKey, which the server keeps,
/// it gives ClientKey away, so it is a secret too.
#[cfg(feature = "sasl-scram")]
fn scram_proof(password: &str) -> Vec<u8> {
    use hmac::{Hmac, KeyInit, Mac};
    use sha2::Sha256;
    let [_, client_key, stored_key, _] = scram_keys(password);
    let salt = std::str::from_utf8(SCRAM_SALT).unwrap();
    let auth_message = format!(
        "n=user,r={SCRAM_NONCE},r={SCRAM_NONCE}srv,s={salt},i={SCRAM_ITERATIONS},c=biws,r={SCRAM_NONCE}srv"
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(&stored_key).unwrap();
    mac.update(auth_message.as_bytes());
    let signature: [u8; 32] = mac.finalize().into_bytes().into();
    let proof: Vec<u8> = client_key
        .iter()
        .zip(signature)
        .map(|(k, s)| k ^ s)
        .collect();
    smtp_proto::auth::encode_base64(&proof).into_bytes()
}

struct Watching;

// The one unsafe item of this test: it forwards to the system allocator, asking for zeroed
// blocks so that every byte of a block is initialised when it is read back at `dealloc`.
unsafe impl GlobalAlloc for Watching {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if let Some(forms) = FORMS.get().filter(|_| RUNNING.load(Ordering::Relaxed) > 0) {
            // SAFETY: `ptr` is a live block of `layout.size()` bytes from `alloc`, not yet
            // freed, and zeroed there. (A value stored with padding may have left padding
            // bytes in it that are formally uninitialised; they are only compared here, in
            // a test binary, which is the usual way to look for leftovers of a secret.)
            let block = unsafe { std::slice::from_raw_parts(ptr, layout.size()) };
            for (index, form) in forms {
                if block.windows(form.len()).any(|w| w == form.as_slice()) {
                    FOUND.fetch_or(1 << index, Ordering::Relaxed);
                }
            }
        }
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Watching = Watching;

/// Runs `scenario` with `SECRETS[index]` and asserts that no freed block ever held it.
fn assert_zeroed(index: usize, scenario: impl FnOnce(&'static str)) {
    forms();
    RUNNING.fetch_add(1, Ordering::Relaxed);
    scenario(SECRETS[index]);
    RUNNING.fetch_sub(1, Ordering::Relaxed);
    assert_eq!(
        FOUND.load(Ordering::Relaxed) & (1 << index),
        0,
        "a freed block held secret {index} ({})",
        SECRETS[index]
    );
}

#[test]
fn the_allocator_sees_a_secret_that_is_not_zeroed() {
    // The check itself: a plain `String` copy of the secret is freed as it is.
    forms();
    RUNNING.fetch_add(1, Ordering::Relaxed);
    drop(std::hint::black_box(SECRETS[9].to_owned()));
    RUNNING.fetch_sub(1, Ordering::Relaxed);
    assert_ne!(FOUND.load(Ordering::Relaxed) & (1 << 9), 0);
}

#[test]
fn secret_and_its_base64_are_zeroed() {
    // Shares no index with the test above: a clone of a `Secret` is a `Secret`.
    assert_zeroed(0, |secret| {
        let value = Secret::new(secret);
        let copy = value.clone();
        drop(value);
        // The whole capacity is zeroed, also where a shorter length hides a secret.
        let mut hiding = String::with_capacity(3 + secret.len());
        hiding.push_str("abc");
        hiding.push_str(secret);
        hiding.truncate(3);
        assert_eq!(Secret::new(hiding).expose(), "abc");
        // Built in a buffer with room for all of it, as `SaslResponse::new` asks.
        let mut message = Vec::with_capacity(5 + secret.len());
        message.extend_from_slice(b"\0tim\0");
        message.extend_from_slice(copy.expose().as_bytes());
        let response = SaslResponse::new(message);
        let expected = 4 * (5 + secret.len()).div_ceil(3);
        assert_eq!(response.encode_base64().expose().len(), expected);
    });
}

/// Runs a whole exchange of `mechanism` as the SMTP layer would: each response is encoded
/// to base64, and everything is dropped at the end.
fn exchange(mechanism: Mechanism, credentials: Credentials, challenges: &[&[u8]]) {
    let params = SaslParams::new()
        .client_nonce(SCRAM_NONCE)
        .scram_iteration_bounds(1..=4096);
    exchange_with(&params, mechanism, credentials, challenges);
}

/// As [`exchange`], with these parameters.
fn exchange_with(
    params: &SaslParams,
    mechanism: Mechanism,
    credentials: Credentials,
    challenges: &[&[u8]],
) {
    let mut exchange = SaslExchange::new(&mechanism, &credentials, params).unwrap();
    drop(credentials);
    if let Some(initial) = exchange.initial_response() {
        assert!(!initial.encode_base64().is_empty());
    }
    for challenge in challenges {
        let response = exchange.step(challenge).unwrap();
        drop(response.encode_base64());
    }
}

#[test]
fn every_mechanism_zeroes_what_it_held() {
    assert_zeroed(1, |secret| {
        let credentials = Credentials::password("tim", secret);
        exchange(Mechanism::Login, credentials, &[b"Username:", b"Password:"]);
    });
    assert_zeroed(2, |token| {
        let credentials = Credentials::oauth2("tim@example.com", token);
        exchange(Mechanism::XOAuth2, credentials, &[b"{\"status\":\"400\"}"]);
    });
    assert_zeroed(3, |token| {
        let credentials = Credentials::oauth2("tim@example.com", token);
        exchange(
            Mechanism::OAuthBearer,
            credentials,
            &[b"{\"status\":\"invalid_token\"}"],
        );
    });
    // Host and port lengths that once filled the message's buffer before its last octets
    // (a 30-octet host with port 587, a 40-octet host, an authzid grown by escaping), so
    // that it grew and freed a copy of the token.
    for (host, port, user) in [
        (
            "smtp.mail.example-company.test",
            Some(587),
            "tim@example.com",
        ),
        (
            "smtp.mail.example-company.example.test",
            None,
            "tim@example.com",
        ),
        (
            "mx.example",
            Some(25),
            "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u",
        ),
    ] {
        assert_zeroed(16, |token| {
            let credentials = Credentials::oauth2(user, token);
            let mut params = SaslParams::new().host(host);
            if let Some(port) = port {
                params = params.port(port);
            }
            exchange_with(&params, Mechanism::OAuthBearer, credentials, &[]);
        });
    }
    #[cfg(feature = "sasl-cram-md5")]
    assert_zeroed(4, |secret| {
        let credentials = Credentials::password("tim", secret);
        exchange(
            Mechanism::CramMd5,
            credentials,
            &[b"<1896.697170952@postoffice.example>"],
        );
    });
    #[cfg(feature = "sasl-scram")]
    assert_zeroed(5, |secret| {
        // The derived keys and the proof are secrets too; the exchange is dropped while it
        // still holds ServerKey to check the server's signature with.
        let credentials = Credentials::password("user", secret);
        let salt = std::str::from_utf8(SCRAM_SALT).unwrap();
        let server_first = format!("r={SCRAM_NONCE}srv,s={salt},i={SCRAM_ITERATIONS}");
        exchange(
            Mechanism::ScramSha256,
            credentials,
            &[server_first.as_bytes()],
        );
    });
}

/// Drives `cmd` through `client` against `replies` (one read each), checking what is
/// written in place: copying it would make a copy that nobody zeroes.
fn drive<C: Cmd>(client: &mut Client, cmd: C, replies: &[&[u8]]) -> usize
where
    C::Output: std::fmt::Debug,
{
    let now = Instant::now();
    let mut replies = replies.iter();
    let mut transmits = 0;
    let mut ex = client.send(cmd);
    loop {
        match ex.poll_output(now).unwrap() {
            Output::Transmit(t) => {
                assert!(!t.bytes().is_empty());
                transmits += 1;
            }
            Output::NeedInput { .. } => ex.handle_input(replies.next().unwrap()),
            Output::Done(result) => {
                result.unwrap();
                return transmits;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}

/// A client past its greeting and EHLO, as if over implicit TLS.
fn ready() -> Client {
    ready_with(ClientConfig::default())
}

fn ready_with(config: ClientConfig) -> Client {
    let mut client = Client::new_tls(config);
    drive(&mut client, Greeting, &[b"220 mx.example ESMTP\r\n"]);
    let ehlo = Ehlo::new(ClientId::from_host_name("client.example").unwrap()).unwrap();
    let offer: &[u8] = b"250-mx.example\r\n250-PIPELINING\r\n250 AUTH PLAIN LOGIN\r\n";
    drive(&mut client, ehlo, &[offer]);
    client
}

#[test]
fn the_client_zeroes_the_lines_that_carried_a_secret() {
    // The AUTH line with its initial response, then a command after it that reuses the
    // buffer, then the client is dropped.
    assert_zeroed(6, |secret| {
        let mut client = ready();
        let auth = Authenticate::new(Credentials::password("tim", secret));
        assert_eq!(drive(&mut client, auth, &[b"235 2.7.0 ok\r\n"]), 1);
        drive(&mut client, Noop::default(), &[b"250 ok\r\n"]);
    });
    // LOGIN: the password answers a 334, on a line of its own.
    assert_zeroed(7, |secret| {
        let mut client = ready();
        let auth = Authenticate::new(Credentials::password("tim", secret))
            .preference(vec![Mechanism::Login]);
        let replies: [&[u8]; 3] = [
            b"334 VXNlcm5hbWU6\r\n",
            b"334 UGFzc3dvcmQ6\r\n",
            b"235 ok\r\n",
        ];
        assert_eq!(drive(&mut client, auth, &replies), 3);
    });
    // An initial response too long for the AUTH line waits for the empty 334.
    assert_zeroed(8, |secret| {
        let mut client = ready();
        let mut long = String::with_capacity(secret.len() + 400);
        long.push_str(secret);
        long.extend(std::iter::repeat_n('p', 400));
        let auth = Authenticate::new(Credentials::password("tim", Secret::new(long)));
        assert_eq!(drive(&mut client, auth, &[b"334 \r\n", b"235 ok\r\n"]), 2);
        drop(client);
    });
}

#[test]
fn a_secret_moved_by_compaction_leaves_no_copy_behind() {
    // A mail of 40 KiB goes out as one transmit; the AUTH line written after it is moved
    // to the front of the buffer when those 40 KiB are dropped.
    assert_zeroed(10, |secret| {
        let mut client = ready();
        let envelope = Envelope::new(
            "<a@example.org>".parse().unwrap(),
            ["<b@example.net>".parse().unwrap()],
        )
        .unwrap();
        let body = "Lorem ipsum dolor sit amet.\r\n".repeat(1400);
        let mail = SendMail::new(envelope, MailBody::bytes(body.into_bytes()));
        let replies: [&[u8]; 2] = [b"250 ok\r\n250 ok\r\n354 go\r\n", b"250 queued\r\n"];
        assert_eq!(drive(&mut client, mail, &replies), 2);
        let auth = Authenticate::new(Credentials::password("tim", secret));
        assert_eq!(drive(&mut client, auth, &[b"235 2.7.0 ok\r\n"]), 1);
    });
}

/// What [`XToken`] writes besides its secret line.
#[derive(Clone, Copy, PartialEq)]
enum After {
    /// Nothing.
    Nothing,
    /// A second line in the same piece, which the client refuses and rolls back.
    Broken,
    /// A second, longer secret line, pipelined after the first.
    Second,
    /// 4 KiB of message content once the secret line is answered.
    Body,
    /// The line written an octet at a time with no room reserved, the secret before a
    /// long tail: a buffer that grew under it would free a block holding the secret.
    Piecewise,
}

/// `X-TOKEN <secret>`, a command written outside the crate that sends a secret line.
struct XToken {
    secret: &'static str,
    after: After,
    replies: usize,
}

impl XToken {
    fn new(secret: &'static str, after: After) -> Self {
        Self {
            secret,
            after,
            replies: 0,
        }
    }
}

impl Cmd for XToken {
    type Output = ();

    fn start(&mut self, cx: &mut Context<'_>) -> Step<()> {
        if self.after == After::Piecewise {
            cx.secret(ReplyKind::Other, 8, |out| {
                let tail = [b'n'; 400];
                let line = [b"X-PIECE ", self.secret.as_bytes(), &tail, b"\r\n"].concat();
                for octet in line.iter() {
                    out.push(*octet);
                }
                let mut line = line;
                line.fill(0);
            });
            return Step::Continue;
        }
        cx.secret(ReplyKind::Other, 8, |out| {
            // Room for the whole line first, so that growing cannot copy the secret.
            out.reserve(64);
            out.extend_from_slice(b"X-TOKEN ");
            out.extend_from_slice(self.secret.as_bytes());
            if self.after == After::Broken {
                out.extend_from_slice(b"\r\nNOOP");
            }
            out.extend_from_slice(b"\r\n");
        });
        if self.after == After::Second {
            // Longer than the room left: the buffer must grow with the first still in it.
            cx.secret(ReplyKind::Other, 7, |out| {
                out.reserve(512);
                out.extend_from_slice(b"X-MORE ");
                out.extend_from_slice(self.secret.as_bytes());
                out.extend_from_slice(&[b'n'; 400]);
                out.extend_from_slice(b"\r\n");
            });
        }
        Step::Continue
    }

    fn on_reply(&mut self, _reply: Response, cx: &mut Context<'_>) -> Step<()> {
        self.replies += 1;
        if self.after == After::Body {
            cx.body(|body| body.put(&[b'x'; 4096]));
        }
        if self.after == After::Second && self.replies < 2 {
            return Step::Continue;
        }
        Step::Done(Ok(()))
    }
}

#[test]
fn secret_lines_of_custom_commands_are_zeroed_too() {
    assert_zeroed(11, |secret| {
        let mut client = ready();
        let token = XToken::new(secret, After::Nothing);
        assert_eq!(drive(&mut client, token, &[b"250 ok\r\n"]), 1);
        // A mail after it reuses the buffer: the line is zeroed before the buffer grows.
        let envelope = Envelope::new(
            "<a@example.org>".parse().unwrap(),
            ["<b@example.net>".parse().unwrap()],
        )
        .unwrap();
        let body = "x\r\n".repeat(1000).into_bytes();
        let mail = SendMail::new(envelope, MailBody::bytes(body));
        let replies: [&[u8]; 2] = [b"250 ok\r\n250 ok\r\n354 go\r\n", b"250 queued\r\n"];
        drive(&mut client, mail, &replies);
    });
    // A refused line is removed from the buffer, and zeroed with it.
    assert_zeroed(12, |secret| {
        let mut client = ready();
        let mut exchange = client.send(XToken::new(secret, After::Broken));
        let error = exchange.poll_output(Instant::now()).unwrap_err();
        assert!(matches!(error, ProtocolError::Misuse(_)), "{error:?}");
    });
    // A line written while the secret line is unsent, then a group cut between the two:
    // the second hand-out forgets the first.
    assert_zeroed(13, |secret| {
        let config = ClientConfig {
            max_group: std::num::NonZeroUsize::new(1),
            ..ClientConfig::default()
        };
        let mut client = ready_with(config);
        let token = XToken::new(secret, After::Second);
        let replies: [&[u8]; 2] = [b"250 ok\r\n", b"250 ok\r\n"];
        assert_eq!(drive(&mut client, token, &replies), 2);
    });
    // Message content right after the secret line grows the buffer.
    assert_zeroed(14, |secret| {
        let mut client = ready();
        let token = XToken::new(secret, After::Body);
        assert_eq!(drive(&mut client, token, &[b"250 ok\r\n"]), 2);
    });
    // A line written an octet at a time, with no room reserved by the command: the
    // client gave it room for the longest SASL line.
    assert_zeroed(17, |secret| {
        // The first line the client writes: no earlier line has grown its buffers.
        let mut client = Client::new_tls(ClientConfig::default());
        drive(&mut client, Greeting, &[b"220 mx.example ESMTP\r\n"]);
        let token = XToken::new(secret, After::Piecewise);
        assert_eq!(drive(&mut client, token, &[b"250 ok\r\n"]), 1);
    });
}

/// The keys a SCRAM server keeps for a user are zeroed when they are dropped.
///
/// A whole server exchange (lookup, server-first, proof, server-final) was tried here first
/// and found ServerKey in a freed block: not in the boxed exchange, which was clean, but in
/// the server's reply queue, in the last 32 bytes of an `Output` slot that the variant
/// pushed there does not use. A moved value's bytes stay on the stack, and a later enum
/// copied from there into the heap carries them along. That is the stack copy this file
/// cannot vouch for (above), surfacing through the heap, and where it surfaces depends on
/// the compiler; so the keys are boxed here directly, which leaves only their own block.
#[cfg(all(feature = "server", feature = "sasl-scram"))]
#[test]
fn the_servers_scram_keys_are_zeroed() {
    use smtp_proto::server::ScramKeys;

    assert_zeroed(15, |secret| {
        let salt = smtp_proto::auth::decode_base64(SCRAM_SALT).unwrap();
        let keys = ScramKeys::from_password(secret, &salt, SCRAM_ITERATIONS).unwrap();
        let stored = std::hint::black_box(Box::new(keys));
        let [_, _, stored_key, server_key] = scram_keys(secret);
        assert_eq!(
            (stored.stored_key(), stored.server_key()),
            (&stored_key, &server_key)
        );
        drop(stored);
    });
}
