//! Commands written outside the crates (`smtp-proto/tests/outside_support/commands.rs`,
//! public API only) run on the blocking adapter over its mock, every delivery.

#[path = "../../smtp-proto/tests/outside_support/commands.rs"]
mod commands;

use commands::{Etrn, MyEhlo, MyMail, MyStartTls, Pipelined, SESSION, XTokenAuth};
use smtp_blocking::{Connection, MockStream};
use smtp_proto::command::{Greeting, LogicError};
use smtp_proto::testing::{Delivery, Script};

#[test]
fn user_commands_run_a_whole_session_over_the_mock() {
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
        c.send(Greeting).unwrap().unwrap();
        c.send(MyEhlo("client.example")).unwrap().unwrap();
        c.send(MyStartTls).unwrap().unwrap();
        assert!(c.session().is_tls());
        c.send(MyEhlo("client.example")).unwrap().unwrap();
        let mechanism = c.send(XTokenAuth::new("tok")).unwrap().unwrap();
        assert_eq!(c.session().authenticated(), Some(&mechanism));
        assert_eq!(
            c.send(Etrn("example.org")).unwrap().unwrap().code().get(),
            251
        );
        let refused = c
            .send(Pipelined::new(&["NOOP a", "NOOP b", "NOOP c"]))
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
        let report = c.send(mail).unwrap().unwrap();
        assert_eq!(report.refused.len(), 1);
        c.quit().unwrap();
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

/// A user's streamed BDAT command, fed through `send_with_body` with the group limit of
/// the blocking adapter (`max-group`): MAIL and RCPT are answered before the chunks leave,
/// the chunks before the last is asked for.
#[test]
fn a_user_bdat_command_streams_its_body() {
    let text = "\
% max-group=64
> greeting
S: 220 mx.example ESMTP
> custom MyEhlo
C: EHLO client.example
S: 250-mx.example
S: 250-PIPELINING
S: 250 CHUNKING
> custom MyBdat
C: MAIL FROM:<a@example.org>
C: RCPT TO:<b@example.net>
S: 250 ok
S: 250 ok
C+ BDAT 8\\r\\nline oneBDAT 8\\r\\n\\r\\nline t
S: 250 chunk
S: 250 chunk
C+ BDAT 5 LAST\\r\\nwo\\r\\n.
S: 250 queued
";
    let script = Script::parse("bdat.smtp", text).unwrap();
    for delivery in [Delivery::Lines, Delivery::Bytes, Delivery::Blocks] {
        let mock = MockStream::from_script(&script, delivery);
        let handle = mock.handle();
        let mut c = Connection::with_mock(mock, script.client());
        c.send(Greeting).unwrap().unwrap();
        c.send(MyEhlo("client.example")).unwrap().unwrap();
        let body: &[u8] = b"line one\nline two\n.";
        let sent = c.send_with_body(
            commands::MyBdat::new("a@example.org", "b@example.net", 8),
            body,
        );
        let verdict = sent.result.unwrap().unwrap();
        assert_eq!(verdict.code().get(), 250, "{delivery:?}");
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
        assert!(!c.session().in_transaction());
    }
}
