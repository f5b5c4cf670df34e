//! Where a connection goes: a host written as an RFC 5321 address literal (§4.1.3,
//! `[127.0.0.1]`, `[IPv6:::1]`) is connected to at its address, without a name lookup, and
//! its certificate is verified against that address; and a connect budget that runs out is
//! `Error::Timeout` in the connect phase, whether the resolver or the last address spent it.
//!
//! The same tests, with the same names, are in smtp-blocking and smtp-tokio. The servers are
//! std threads (the blocking adapter's test support).

#[path = "../../smtp-blocking/tests/support/mod.rs"]
mod support;

use std::io::Read;
use std::net::TcpListener;
use std::time::Duration;

use smtp_async_std::{Connection, ConnectionConfig, Error, Phase, Security, TlsConfig};
use support::{Peer, TestPki, accept_tls, listener};

/// Connects to `host` on `listener`'s port, plaintext, and quits.
async fn connect_and_quit(host: &str, listener: TcpListener) {
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let mut peer = Peer::accept(&listener);
        peer.greet_ehlo(&[]);
        peer.expect("QUIT\r\n");
        peer.send("221 bye\r\n");
    });
    let config = ConnectionConfig::builder(host)
        .port(port)
        .security(Security::None)
        .client_id("client.test".parse().unwrap())
        .build()
        .unwrap();
    let connection = Connection::connect(&config).await.unwrap();
    connection.quit().await.unwrap();
    server.join().unwrap();
}

#[async_std::test]
async fn an_ipv4_address_literal_host_connects() {
    let (listener, _) = listener();
    connect_and_quit("[127.0.0.1]", listener).await;
}

/// Skipped (with a note on stderr) where IPv6 loopback is unavailable: binding `[::1]`
/// fails in some CI containers.
#[async_std::test]
async fn an_ipv6_address_literal_host_connects() {
    let Ok(listener) = TcpListener::bind("[::1]:0") else {
        eprintln!("skipped: cannot bind the IPv6 loopback address ::1");
        return;
    };
    connect_and_quit("[IPv6:::1]", listener).await;
}

/// Without a configured server name, the certificate is checked against the literal's
/// address (an IP address SAN), as rustls' `ServerName::IpAddress`.
#[async_std::test]
async fn an_address_literal_host_is_verified_as_its_address() {
    let pki = TestPki::new();
    let (listener, port) = listener();
    let server_config = pki.server.clone();
    let server = std::thread::spawn(move || {
        let (socket, _) = listener.accept().unwrap();
        let mut peer = Peer::new(accept_tls(&server_config, socket));
        peer.greet_ehlo(&[]);
        peer.expect("QUIT\r\n");
        peer.send("221 bye\r\n");
        let mut rest = Vec::new();
        peer.stream.read_to_end(&mut rest).unwrap();
    });
    let tls = TlsConfig::new()
        .root_certificates_pem(pki.ca_pem.as_bytes())
        .unwrap();
    let config = ConnectionConfig::builder("[127.0.0.1]")
        .port(port)
        .security(Security::ImplicitTls)
        .tls(tls)
        .client_id("client.test".parse().unwrap())
        .build()
        .unwrap();
    let connection = Connection::connect(&config).await.unwrap();
    assert!(connection.session().is_tls());
    connection.quit().await.unwrap();
    server.join().unwrap();
}

/// A budget of 1 ns (zero is refused by `build()`) is spent before anything is tried:
/// after the resolver for a name or address, before the only attempt for a literal.
#[async_std::test]
async fn a_connect_budget_that_runs_out_is_a_connect_timeout() {
    let (_listener, port) = listener();
    for host in ["127.0.0.1", "[127.0.0.1]", "localhost"] {
        let config = ConnectionConfig::builder(host)
            .port(port)
            .security(Security::None)
            .connect_timeout(Duration::from_nanos(1))
            .build()
            .unwrap();
        let error = Connection::connect(&config).await.unwrap_err();
        assert!(
            matches!(
                error,
                Error::Timeout {
                    phase: Phase::Connect
                }
            ),
            "{host}: {error:?}"
        );
    }
}
