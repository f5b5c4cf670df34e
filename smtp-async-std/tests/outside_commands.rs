//! Commands written outside the crates (`smtp-proto/tests/outside_support/commands.rs`,
//! public API only) run on the async-std adapter over its mock, every delivery.

#[path = "../../smtp-proto/tests/outside_support/commands.rs"]
mod commands;

use commands::{Etrn, MyEhlo, MyMail, MyStartTls, Pipelined, SESSION, XTokenAuth};
use smtp_async_std::{Connection, MockStream};
use smtp_proto::command::{Greeting, LogicError};
use smtp_proto::testing::{Delivery, Script};

#[async_std::test]
async fn user_commands_run_a_whole_session_over_the_mock() {
    let script = Script::parse("outside.smtp", SESSION).unwrap();
    for delivery in [
        Delivery::Lines,
        Delivery::Bytes,
        Delivery::Blocks,
        Delivery::Random(7),
    ] {
        let mock = MockStream::from_script(&script, delivery);
        let handle = mock.handle();
        let mut c = Connection::with_mock(mock, script.client());
        c.send(Greeting).await.unwrap().unwrap();
        c.send(MyEhlo("client.example")).await.unwrap().unwrap();
        c.send(MyStartTls).await.unwrap().unwrap();
        assert!(c.session().is_tls());
        c.send(MyEhlo("client.example")).await.unwrap().unwrap();
        let mechanism = c.send(XTokenAuth::new("tok")).await.unwrap().unwrap();
        assert_eq!(c.session().authenticated(), Some(&mechanism));
        assert_eq!(
            c.send(Etrn("example.org"))
                .await
                .unwrap()
                .unwrap()
                .code()
                .get(),
            251
        );
        let refused = c
            .send(Pipelined::new(&["NOOP a", "NOOP b", "NOOP c"]))
            .await
            .unwrap();
        assert!(
            matches!(refused, Err(LogicError::Refused { .. })),
            "{refused:?}"
        );
        let mail = MyMail::new(
            "a@example.org",
            &["b@example.net", "c@example.net"],
            b"Hi\n.dot\n",
        );
        let report = c.send(mail).await.unwrap().unwrap();
        assert_eq!(report.refused.len(), 1);
        c.quit().await.unwrap();
        assert!(
            handle.failure().is_none(),
            "{delivery:?}: {:?}",
            handle.failure()
        );
        assert!(
            !handle.expects_write(),
            "{delivery:?}: {}",
            handle.remaining()
        );
    }
}
