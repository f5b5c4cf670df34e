//! Where a connection goes: a host written as an RFC 5321 address literal (§4.1.3,
//! `[127.0.0.1]`, `[IPv6:::1]`) is connected to at its address, without a name lookup, and
//! its certificate is verified against that address; and a connect budget that runs out is
//! `Error::Timeout` in the connect phase, whether the resolver or the last address spent it.
//!
//! The same tests, with the same names, are in smtp-blocking and smtp-async-std.

mod support;

use std::time::Duration;

use smtp_tokio::{Connection, ConnectionConfig, Error, Phase, Security, TlsConfig};
use support::{Peer, TestPki};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

/// Connects to `host` on `listener`'s port, plaintext, and quits.
async fn connect_and_quit(host: &str, listener: TcpListener) {
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let mut peer = Peer::new(socket);
        peer.greet_ehlo(&[]).await;
        peer.expect("QUIT\r\n").await;
        peer.send("221 bye\r\n").await;
    });
    let config = ConnectionConfig::builder(host)
        .port(port)
        .security(Security::None)
        .client_id("client.test".parse().unwrap())
        .build()
        .unwrap();
    let connection = Connection::connect(&config).await.unwrap();
    connection.quit().await.unwrap();
    server.await.unwrap();
}

#[tokio::test]
async fn an_ipv4_address_literal_host_connects() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    connect_and_quit("[127.0.0.1]", listener).await;
}

/// Skipped (with a note on stderr) where IPv6 loopback is unavailable: binding `[::1]`
/// fails in some CI containers.
#[tokio::test]
async fn an_ipv6_address_literal_host_connects() {
    let Ok(listener) = TcpListener::bind("[::1]:0").await else {
        eprintln!("skipped: cannot bind the IPv6 loopback address ::1");
        return;
    };
    connect_and_quit("[IPv6:::1]", listener).await;
}

/// Without a configured server name, the certificate is checked against the literal's
/// address (an IP address SAN), as rustls' `ServerName::IpAddress`.
#[tokio::test]
async fn an_address_literal_host_is_verified_as_its_address() {
    let pki = TestPki::new();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let acceptor = pki.acceptor.clone();
    let server = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let mut peer = Peer::new(acceptor.accept(socket).await.unwrap());
        peer.greet_ehlo(&[]).await;
        peer.expect("QUIT\r\n").await;
        peer.send("221 bye\r\n").await;
        let mut rest = Vec::new();
        let _ = peer.into_inner().read_to_end(&mut rest).await;
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
    server.await.unwrap();
}

/// A budget of 1 ns (zero is refused by `build()`) is spent before anything is tried:
/// after the resolver for a name or address, before the only attempt for a literal.
#[tokio::test]
async fn a_connect_budget_that_runs_out_is_a_connect_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
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
