//! Properties of the session setup against arbitrary server behaviour: credentials never
//! leave before TLS (unless plaintext is allowed), a required TLS is never skipped, and
//! nothing panics, whether replies arrive whole or byte by byte.

mod client_support;

use client_support::{Feed, TLS, fresh, run};
use proptest::prelude::*;
use smtp_proto::auth::Credentials;
use smtp_proto::command::{Authenticate, Establish, TlsPolicy};
use smtp_proto::syntax::ClientId;

/// Replies a server might send at any point, well-formed or not.
const REPLIES: &[&[u8]] = &[
    b"220 mx.example ESMTP\r\n",
    b"250-mx.example\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n",
    b"250-mx.example\r\n250 AUTH PLAIN LOGIN\r\n",
    b"250 mx.example\r\n",
    b"454 4.7.0 TLS not available\r\n",
    b"502 5.5.2 unrecognised\r\n",
    b"334 \r\n",
    b"334 VXNlcm5hbWU6\r\n",
    b"334 !!\r\n",
    b"235 2.7.0 ok\r\n",
    b"535 5.7.8 no\r\n",
    b"354 go ahead\r\n",
    b"421 bye\r\n",
    b"554 no\r\n",
    b"220 go\r\n250 AUTH PLAIN\r\n",
    b"garbage\r\n",
    b"250-unfinished",
];

fn read() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => prop::sample::select(REPLIES).prop_map(<[u8]>::to_vec),
        1 => prop::collection::vec(any::<u8>(), 0..40),
    ]
}

/// The replies of a successful setup with STARTTLS and AUTH PLAIN.
const GOOD: [&[u8]; 5] = [
    b"220 mx.example ESMTP\r\n",
    b"250-mx.example\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n",
    b"220 go\r\n",
    b"250-mx.example\r\n250 AUTH PLAIN\r\n",
    b"235 2.7.0 ok\r\n",
];

/// A successful script with each reply replaced by a random one now and then, and maybe
/// more replies after it; or reads at random.
fn script() -> impl Strategy<Value = Vec<Vec<u8>>> {
    let mutated = (
        prop::collection::vec((any::<u8>(), read()), GOOD.len()),
        prop::collection::vec(read(), 0..3),
    )
        .prop_map(|(slots, extra)| {
            let mut reads: Vec<Vec<u8>> = slots
                .into_iter()
                .zip(GOOD)
                .map(|((dice, random), good)| if dice < 200 { good.to_vec() } else { random })
                .collect();
            reads.extend(extra);
            reads
        });
    prop_oneof![mutated, prop::collection::vec(read(), 0..8)]
}

fn setup(policy: TlsPolicy) -> Establish {
    Establish::new(ClientId::localhost())
        .unwrap()
        .tls(policy)
        .authenticate(Authenticate::new(Credentials::password(
            "tim",
            "tanstaaftanstaaf",
        )))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn credentials_never_leave_before_tls(
        reads in script(),
        bytewise in any::<bool>(),
        implicit_tls in any::<bool>(),
        opportunistic in any::<bool>(),
    ) {
        let policy = if opportunistic { TlsPolicy::Opportunistic } else { TlsPolicy::Required };
        let feed = if bytewise { Feed::Bytewise } else { Feed::Whole };
        let reads: Vec<&[u8]> = reads.iter().map(Vec::as_slice).collect();
        let mut client = fresh(implicit_tls);
        let run = run(&mut client, setup(policy), &reads, feed);
        let plaintext = if implicit_tls {
            ""
        } else {
            run.written.split(TLS).next().unwrap_or_default()
        };
        prop_assert!(!plaintext.contains("AUTH"), "AUTH in plaintext: {:?}", run.written);
        // Only the setup's own commands go out in plaintext.
        for line in plaintext.split_terminator("\r\n") {
            let verb = line.split(' ').next().unwrap_or_default();
            prop_assert!(
                ["EHLO", "HELO", "STARTTLS", "QUIT"].contains(&verb),
                "unexpected plaintext line {line:?}"
            );
        }
        // At most one handshake, never with bytes already read after the 220.
        prop_assert!(run.written.matches(TLS).count() <= 1);
        if let Ok(Ok(done)) = &run.result {
            prop_assert!(done.tls || policy == TlsPolicy::Opportunistic);
            prop_assert!(done.authenticated.is_none() || done.tls);
        }
    }
}
