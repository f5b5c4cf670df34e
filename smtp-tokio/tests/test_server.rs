//! The real client against the test server: TLS, AUTH, pipelining, BDAT, refusals, LMTP,
//! faults, recording, concurrency and the threaded server.
#![cfg(feature = "test-server")]

use std::time::Duration;

use smtp_proto::auth::{Credentials, Mechanism};
use smtp_proto::command::{Envelope, MailBody, Outcome, RecipientStatus};
use smtp_tokio::Connection;
use smtp_tokio::test_server::{SessionEnd, Stage, TestServer};

fn envelope(to: &[&str]) -> Envelope {
    Envelope::new(
        "<app@example.org>".parse().unwrap(),
        to.iter().map(|t| format!("<{t}>").parse().unwrap()),
    )
    .unwrap()
}

fn no_bdat() -> smtp_proto::command::TransactionOptions {
    smtp_proto::command::TransactionOptions {
        prefer_bdat: false,
        ..Default::default()
    }
}

#[tokio::test]
async fn starttls_auth_and_pipelined_data() {
    let server = TestServer::builder()
        .starttls(true)
        .auth("user", "pass")
        .spawn()
        .await
        .unwrap();
    let config = server
        .client_config()
        .credentials(Credentials::password("user", "pass"))
        .transaction_options(no_bdat())
        .build()
        .unwrap();
    let mut connection = Connection::connect(&config).await.unwrap();
    let established = connection.established().unwrap();
    assert!(established.tls);
    assert_eq!(established.authenticated, Some(Mechanism::Plain));
    let body = MailBody::bytes(&b"Subject: hi\r\n\r\n.leading dot\r\n..two\r\n"[..]);
    let report = connection
        .send_mail(envelope(&["ann@example.net", "bob@example.net"]), body)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.outcome(), Outcome::Delivered);
    connection.quit().await.unwrap();

    let message = server.next_message().await;
    assert_eq!(
        message.data,
        b"Subject: hi\r\n\r\n.leading dot\r\n..two\r\n"
    );
    assert!(!message.bdat && message.tls);
    assert_eq!(message.authenticated.as_deref(), Some("user"));
    assert_eq!(
        message.recipient_addresses(),
        ["ann@example.net", "bob@example.net"]
    );
    assert_eq!(message.reverse_path.to_string(), "<app@example.org>");
    assert!(message.verdict.unwrap().code().is_positive_completion());
    let session = server.next_session().await;
    assert_eq!(session.end, Some(SessionEnd::Quit));
    assert!(session.tls);
    assert_eq!(session.authenticated(), Some("user"));
    assert!(
        session
            .commands
            .contains(&"AUTH PLAIN <redacted>".to_owned())
    );
    assert!(session.commands.iter().all(|c| !c.contains("dXNlcg")));
    // MAIL, RCPT, RCPT and DATA came in one pipelined group.
    let mail = session
        .commands
        .iter()
        .position(|c| c.starts_with("MAIL"))
        .unwrap();
    assert_eq!(session.commands[mail + 3], "DATA");
}

#[tokio::test]
async fn bdat_and_a_refused_recipient_make_a_partial_delivery() {
    let server = TestServer::builder()
        .refuse(Stage::Rcpt, "bob@", "550 5.1.1 no such user")
        .spawn()
        .await
        .unwrap();
    let config = server.client_config().build().unwrap();
    let mut connection = Connection::connect(&config).await.unwrap();
    let body = MailBody::bytes(&b"Subject: hi\r\n\r\nbody\r\n"[..]);
    let report = connection
        .send_mail(envelope(&["ann@example.net", "bob@example.net"]), body)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.outcome(), Outcome::Partial);
    let statuses: Vec<_> = report.recipients().map(|(_, r)| r.status()).collect();
    assert_eq!(
        statuses,
        [RecipientStatus::Delivered, RecipientStatus::Refused]
    );
    connection.quit().await.unwrap();
    let message = server.next_message().await;
    assert!(message.bdat);
    assert_eq!(message.data, b"Subject: hi\r\n\r\nbody\r\n");
    assert_eq!(message.recipient_addresses(), ["ann@example.net"]);
}

#[test]
fn spawn_thread_serves_a_client_on_another_runtime() {
    let server = TestServer::builder().spawn_thread().unwrap();
    let config = server.client_config().build().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let body = MailBody::bytes(&b"Subject: t\r\n\r\nthreaded\r\n"[..]);
    let result = runtime.block_on(smtp_tokio::connect_send_quit(
        &config,
        envelope(&["ann@example.net"]),
        body,
    ));
    assert_eq!(result.unwrap().unwrap().outcome(), Outcome::Delivered);
    let message = server
        .next_message_blocking(Duration::from_secs(10))
        .unwrap();
    assert_eq!(message.data, b"Subject: t\r\n\r\nthreaded\r\n");
}

#[tokio::test]
async fn refusals_at_mail_data_and_end_of_data() {
    let server = TestServer::builder()
        .refuse(Stage::Mail, "spammer@", "550 5.7.1 go away")
        .refuse(Stage::Data, "nodata@", "554 5.6.0 no data for you")
        .refuse(Stage::DataEnd, "", "552 5.3.4 too much")
        .chunking(false)
        .spawn()
        .await
        .unwrap();
    let config = server.client_config().build().unwrap();
    let mut connection = Connection::connect(&config).await.unwrap();
    let from = |from: &str| {
        Envelope::new(
            format!("<{from}>").parse().unwrap(),
            ["<ann@example.net>".parse().unwrap()],
        )
        .unwrap()
    };
    let mut code_of = async |envelope| {
        let body = MailBody::bytes(&b"Subject: r\r\n\r\nx\r\n"[..]);
        let report = connection.send_mail(envelope, body).await.unwrap().unwrap();
        assert_eq!(report.outcome(), Outcome::Rejected);
        let t = &report.transactions()[0];
        let mail = t.mail_reply().unwrap();
        let reply = if mail.code().is_negative() {
            mail
        } else {
            t.final_reply().unwrap()
        };
        reply.code().get()
    };
    assert_eq!(code_of(from("spammer@x.test")).await, 550);
    assert_eq!(code_of(from("nodata@x.test")).await, 554);
    assert_eq!(code_of(from("fine@x.test")).await, 552);
    // Only the last one reached the end of data, and was refused there.
    let messages = server.messages();
    assert_eq!(messages.len(), 1);
    assert!(!messages[0].is_accepted());
    assert_eq!(messages[0].verdict.as_ref().unwrap().code().get(), 552);
}

#[tokio::test]
async fn send_all_mails_pipelines_and_several_clients_run_at_once() {
    let server = TestServer::builder().spawn().await.unwrap();
    let config = server.client_config().build().unwrap();
    let mut tasks = Vec::new();
    for client in 0..6 {
        let config = config.clone();
        tasks.push(tokio::spawn(async move {
            let mut connection = Connection::connect(&config).await.unwrap();
            let mails = (0..3).map(|n| {
                let body = format!("Subject: {client}/{n}\r\n\r\nbody\r\n");
                (envelope(&["ann@example.net"]), MailBody::bytes(body))
            });
            let mut results = connection.send_all_mails(mails.collect::<Vec<_>>());
            let mut delivered = 0;
            while let Some(result) = results.next().await {
                assert_eq!(result.unwrap().unwrap().outcome(), Outcome::Delivered);
                delivered += 1;
            }
            drop(results);
            connection.quit().await.unwrap();
            delivered
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), 3);
    }
    let mut subjects = Vec::new();
    for _ in 0..18 {
        let message = server.next_message().await;
        subjects.push(String::from_utf8(message.data).unwrap());
    }
    subjects.sort();
    subjects.dedup();
    assert_eq!(subjects.len(), 18);
    let sessions = server.sessions();
    assert_eq!(sessions.len(), 6);
    assert!(sessions.iter().all(|s| s.messages == 3));
}

#[tokio::test]
async fn capabilities_follow_the_builder() {
    let server = TestServer::builder()
        .pipelining(false)
        .chunking(false)
        .smtputf8(false)
        .dsn(false)
        .size(Some(1000))
        .capability("XFOO bar")
        .hostname("mx.test")
        .spawn()
        .await
        .unwrap();
    let config = server.client_config().build().unwrap();
    let mut connection = Connection::connect(&config).await.unwrap();
    let ehlo = connection.session().ehlo().unwrap();
    assert_eq!(ehlo.domain(), "mx.test");
    for absent in ["PIPELINING", "CHUNKING", "SMTPUTF8", "DSN"] {
        assert!(!ehlo.offers(absent), "{absent}");
    }
    for present in ["8BITMIME", "ENHANCEDSTATUSCODES", "XFOO"] {
        assert!(ehlo.offers(present), "{present}");
    }
    assert_eq!(ehlo.size_limit(), Some(1000));
    let big = MailBody::bytes(vec![b'x'; 2000]);
    let result = connection
        .send_mail(envelope(&["ann@example.net"]), big)
        .await;
    assert!(!matches!(result, Ok(Ok(ref r)) if r.outcome() == Outcome::Delivered));
    let small = MailBody::bytes(&b"Subject: s\r\n\r\nsmall\r\n"[..]);
    let report = connection
        .send_mail(envelope(&["ann@example.net"]), small)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.outcome(), Outcome::Delivered);
    connection.quit().await.unwrap();
    let session = server.next_session().await;
    // Without PIPELINING each command went alone: nothing to assert on timing, but
    // the transcript holds MAIL, RCPT, DATA in order.
    let verbs: Vec<_> = session.commands.iter().map(|c| &c[..4]).collect();
    assert!(
        verbs.windows(3).any(|w| w == ["MAIL", "RCPT", "DATA"]),
        "{verbs:?}"
    );
}

#[tokio::test]
async fn a_refused_greeting_allows_only_quit() {
    let server = TestServer::builder()
        .refuse(Stage::Greeting, "", "554 5.3.2 not now")
        .spawn()
        .await
        .unwrap();
    let config = server.client_config().build().unwrap();
    let error = Connection::connect(&config).await.unwrap_err();
    assert!(matches!(error, smtp_tokio::Error::Refused(_)), "{error}");
}

#[tokio::test]
async fn bdat_chunks_are_concatenated_and_a_data_refusal_hits_the_first() {
    let server = TestServer::builder()
        .refuse(Stage::Data, "nodata@", "554 5.6.0 not from you")
        .spawn()
        .await
        .unwrap();
    let options = smtp_proto::command::TransactionOptions {
        bdat_chunk_size: std::num::NonZeroUsize::new(8).unwrap(),
        ..Default::default()
    };
    let config = server
        .client_config()
        .transaction_options(options)
        .build()
        .unwrap();
    let mut connection = Connection::connect(&config).await.unwrap();
    let body: &[u8] = b"Subject: chunks\r\n\r\nmore than eight octets\r\n";
    let from = |from: &str| {
        Envelope::new(
            format!("<{from}>").parse().unwrap(),
            ["<ann@example.net>".parse().unwrap()],
        )
        .unwrap()
    };
    let report = connection
        .send_mail(from("nodata@x.test"), MailBody::bytes(body))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.outcome(), Outcome::Rejected);
    let report = connection
        .send_mail(from("fine@x.test"), MailBody::bytes(body))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.outcome(), Outcome::Delivered);
    connection.quit().await.unwrap();
    let message = server.next_message().await;
    assert!(message.bdat);
    assert_eq!(message.data, body);
    assert_eq!(message.reverse_path.to_string(), "<fine@x.test>");
    assert_eq!(server.messages().len(), 1);
    let session = server.next_session().await;
    let fine = session
        .commands
        .iter()
        .position(|c| c.contains("<fine@"))
        .unwrap();
    let chunks: Vec<_> = session.commands[fine..]
        .iter()
        .filter(|c| c.starts_with("BDAT"))
        .collect();
    assert_eq!(chunks.len(), body.len().div_ceil(8), "{chunks:?}");
    assert!(chunks.last().unwrap().ends_with(" LAST"));
}
