//! AUTH against the test server (PLAIN, LOGIN, XOAUTH2, plaintext rules), and its
//! configuration errors and thread-safety.
#![cfg(feature = "test-server")]

use smtp_proto::auth::{Credentials, Mechanism};
use smtp_proto::command::{Envelope, MailBody, Outcome};
use smtp_tokio::Connection;
use smtp_tokio::test_server::{Stage, TestServer};

fn envelope(to: &[&str]) -> Envelope {
    Envelope::new(
        "<app@example.org>".parse().unwrap(),
        to.iter().map(|t| format!("<{t}>").parse().unwrap()),
    )
    .unwrap()
}

#[tokio::test]
async fn login_and_xoauth2_are_accepted_and_recorded() {
    let server = TestServer::builder()
        .implicit_tls(true)
        .auth("user", "pass")
        .xoauth2("ann@example.org", "ya29.token")
        .spawn()
        .await
        .unwrap();
    let login = server
        .client_config()
        .credentials(Credentials::password("user", "pass"))
        .mechanisms(vec![Mechanism::Login])
        .build()
        .unwrap();
    let connection = Connection::connect(&login).await.unwrap();
    assert_eq!(
        connection.established().unwrap().authenticated,
        Some(Mechanism::Login)
    );
    connection.quit().await.unwrap();
    let oauth = server
        .client_config()
        .credentials(Credentials::oauth2("ann@example.org", "ya29.token"))
        .build()
        .unwrap();
    let connection = Connection::connect(&oauth).await.unwrap();
    assert_eq!(
        connection.established().unwrap().authenticated,
        Some(Mechanism::XOAuth2)
    );
    connection.quit().await.unwrap();
    let wrong = server
        .client_config()
        .credentials(Credentials::password("user", "wrong"))
        .build()
        .unwrap();
    let error = Connection::connect(&wrong).await.unwrap_err();
    assert!(matches!(error, smtp_tokio::Error::Refused(_)), "{error}");

    let sessions = server.sessions();
    assert_eq!(sessions.len(), 3);
    assert!(sessions.iter().all(|s| s.tls));
    assert_eq!(sessions[0].commands[1], "AUTH LOGIN");
    assert_eq!(sessions[0].commands[2..4], ["<redacted>", "<redacted>"]);
    assert_eq!(sessions[1].authenticated(), Some("ann@example.org"));
    assert_eq!(sessions[2].authenticated(), None);
    assert!(!sessions[2].auth[0].accepted);
    let all = sessions
        .iter()
        .flat_map(|s| &s.commands)
        .collect::<Vec<_>>();
    assert!(
        all.iter()
            .all(|c| !c.contains("dXNlcg") && !c.contains("eWEy"))
    );
}

#[tokio::test]
async fn auth_without_tls_is_refused_unless_allowed() {
    let server = TestServer::builder()
        .auth("user", "pass")
        .require_auth(true)
        .spawn()
        .await
        .unwrap();
    // The client sees no AUTH offered on plaintext and sends no credential.
    let config = server
        .client_config()
        .credentials(Credentials::password("user", "pass"))
        .allow_plaintext_auth(true)
        .build()
        .unwrap();
    assert!(Connection::connect(&config).await.is_err());
    let config = server.client_config().build().unwrap();
    let mut connection = Connection::connect(&config).await.unwrap();
    let refusal = connection
        .send_mail(
            envelope(&["ann@example.net"]),
            MailBody::bytes(&b"x\r\n"[..]),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(refusal.outcome(), Outcome::Rejected);
    let mail = refusal.transactions()[0].mail_reply().unwrap();
    assert_eq!(mail.code().get(), 530);

    let server = TestServer::builder()
        .auth("user", "pass")
        .allow_plaintext_auth(true)
        .spawn()
        .await
        .unwrap();
    let config = server
        .client_config()
        .credentials(Credentials::password("user", "pass"))
        .build()
        .unwrap();
    let connection = Connection::connect(&config).await.unwrap();
    assert!(!connection.established().unwrap().tls);
    assert_eq!(
        connection.established().unwrap().authenticated,
        Some(Mechanism::Plain)
    );
}

#[test]
fn the_server_and_its_records_can_be_shared_across_threads() {
    fn shareable<T: Send + Sync + 'static>() {}
    shareable::<TestServer>();
    shareable::<smtp_tokio::test_server::Message>();
    shareable::<smtp_tokio::test_server::SessionRecord>();
    shareable::<smtp_tokio::test_server::TestServerBuilder>();
}

#[tokio::test]
async fn a_bad_refusal_reply_fails_the_spawn() {
    let error = TestServer::builder()
        .refuse(Stage::Rcpt, "", "no code here")
        .spawn()
        .await
        .unwrap_err();
    assert!(
        matches!(error, smtp_tokio::test_server::TestServerError::Config(ref m) if m.contains("no code here")),
        "{error}"
    );
    let error = TestServer::builder()
        .hostname("bad\r\nname")
        .spawn_thread()
        .unwrap_err();
    assert!(error.to_string().contains("hostname"), "{error}");
}

#[tokio::test]
async fn the_certificate_is_valid_for_every_loopback_name_under_the_exposed_ca() {
    let server = TestServer::builder().starttls(true).spawn().await.unwrap();
    assert!(server.ca_pem().starts_with("-----BEGIN CERTIFICATE-----"));
    assert!(!server.ca_certificate().is_empty());
    for name in ["localhost", "127.0.0.1", "::1"] {
        let tls = smtp_tokio::TlsConfig::new()
            .root_certificates_pem(server.ca_pem().as_bytes())
            .unwrap()
            .server_name(name);
        let config = server.client_config().tls(tls).build().unwrap();
        let connection = Connection::connect(&config).await.unwrap();
        let info = connection.tls_info().unwrap();
        assert_eq!(info.peer_certificates.len(), 1, "{name}");
        connection.quit().await.unwrap();
    }
    // Another name is refused: the certificate is checked, not waved through.
    let tls = server.tls_config().server_name("mx.example.org");
    let config = server.client_config().tls(tls).build().unwrap();
    let error = Connection::connect(&config).await.unwrap_err();
    assert!(matches!(error, smtp_tokio::Error::Tls { .. }), "{error}");
}
