//! A user's own command tested in-process: the test server answers a verb it does not know
//! when told to (`TestServerBuilder::answer`), and still refuses every other.
#![cfg(feature = "test-server")]

use smtp_proto::client::{Context, ReplyKind, Session};
use smtp_proto::command::{Cmd, LogicError, Step};
use smtp_proto::response::Response;
use smtp_tokio::Connection;
use smtp_tokio::test_server::{TestServer, TestServerError};

/// `XPING [word]`: needs the server to announce XPING; 250 is the answer.
struct XPing(&'static str);

impl Cmd for XPing {
    type Output = Response;

    fn check(&self, session: &Session) -> Result<(), LogicError> {
        match session.ehlo() {
            Some(ehlo) if ehlo.offers("XPING") => Ok(()),
            _ => Err(LogicError::Unsupported {
                command: "XPING",
                capability: "XPING",
            }),
        }
    }

    fn start(&mut self, cx: &mut Context<'_>) -> Step<Response> {
        let word = self.0;
        cx.command(ReplyKind::Other, |line| {
            line.extend_from_slice(format!("XPING {word}\r\n").as_bytes());
        });
        Step::Continue
    }

    fn on_reply(&mut self, reply: Response, _cx: &mut Context<'_>) -> Step<Response> {
        Step::completion("XPING", reply)
    }
}

#[tokio::test]
async fn a_custom_command_gets_the_configured_answer() {
    let server = TestServer::builder()
        .capability("XPING")
        .answer("xping", "250 2.0.0 pong")
        .spawn()
        .await
        .unwrap();
    let config = server.client_config().build().unwrap();
    let mut connection = Connection::connect(&config).await.unwrap();
    let reply = connection.send(XPing("hello")).await.unwrap().unwrap();
    assert_eq!(reply.to_string(), "250 2.0.0 pong");
    connection.quit().await.unwrap();
    let session = server.next_session().await;
    assert!(
        session.commands.iter().any(|line| line == "XPING hello"),
        "{:?}",
        session.commands
    );
}

#[tokio::test]
async fn without_an_answer_the_verb_is_unknown_and_without_the_keyword_nothing_is_sent() {
    let server = TestServer::builder()
        .capability("XPING")
        .spawn()
        .await
        .unwrap();
    let config = server.client_config().build().unwrap();
    let mut connection = Connection::connect(&config).await.unwrap();
    let refused = connection.send(XPing("hello")).await.unwrap().unwrap_err();
    let LogicError::Refused { response, .. } = refused else {
        panic!("{refused:?}");
    };
    assert_eq!(response.code().get(), 500);
    connection.quit().await.unwrap();

    let server = TestServer::builder()
        .answer("XPING", "250 pong")
        .spawn()
        .await
        .unwrap();
    let config = server.client_config().build().unwrap();
    let mut connection = Connection::connect(&config).await.unwrap();
    let refused = connection.send(XPing("hello")).await.unwrap().unwrap_err();
    assert!(
        matches!(refused, LogicError::Unsupported { .. }),
        "{refused:?}"
    );
}

#[tokio::test]
async fn answers_for_the_servers_own_verbs_or_bad_replies_are_refused_at_spawn() {
    for (verb, reply) in [
        ("MAIL", "250 ok"),
        ("auth", "235 ok"),
        ("X PING", "250 ok"),
        ("", "250 ok"),
        ("XPING", "25 ok"),
    ] {
        let error = TestServer::builder().answer(verb, reply).spawn().await;
        assert!(
            matches!(error, Err(TestServerError::Config(_))),
            "{verb:?} {reply:?}"
        );
    }
}
