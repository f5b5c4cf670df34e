//! The session on smtp-blocking: one thread per connection.

use std::sync::Arc;

use smtp_blocking::Connection;

use crate::failure::{Failure, Kind};
use crate::plan::Plan;
use crate::report::SessionReport;
use crate::session::Session;

/// Runs every connection of `plan` and returns their reports.
pub(crate) fn run(plan: &Arc<Plan>, connections: u32) -> Vec<SessionReport> {
    if connections == 1 {
        return vec![session(plan)];
    }
    std::thread::scope(|scope| {
        // A thread the system refuses (too many, out of memory) is that connection's
        // failure, reported like any other: never a panic.
        let threads: Vec<_> = (0..connections)
            .map(|index| {
                std::thread::Builder::new().spawn_scoped(scope, move || {
                    let _span = super::connection_span(index, connections).entered();
                    session(plan)
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|thread| match thread {
                Ok(thread) => thread.join().unwrap_or_else(|_| {
                    super::failed(plan, Failure::new(Kind::Io, "a connection thread panicked"))
                }),
                Err(error) => super::failed(
                    plan,
                    Failure::new(
                        Kind::Io,
                        format!("cannot start a connection thread: {error}"),
                    ),
                ),
            })
            .collect()
    })
}

fn session(plan: &Plan) -> SessionReport {
    let mut session = Session::new(plan);
    let (mut connection, local) = match Connection::connect_without_setup(&plan.config) {
        Ok(opened) => opened,
        Err(error) => {
            session.connect_failed(&error);
            return session.into_report();
        }
    };
    let Some(setup) = session.setup_command(local) else {
        return session.into_report();
    };
    let sent = connection.send_with_body(setup, std::io::empty());
    if !session.set_up(
        &sent.result,
        &sent.command,
        connection.tls_info(),
        connection.session(),
    ) {
        if connection.is_usable() {
            let _ = connection.quit();
        }
        return session.into_report();
    }
    match session.auth_command(connection.session()) {
        Err(()) => {
            let _ = connection.quit();
            return session.into_report();
        }
        Ok(None) => {}
        Ok(Some(command)) => {
            let sent = connection.send_with_body(command, std::io::empty());
            if !session.authenticated(&sent.result, &sent.command) {
                if connection.is_usable() {
                    let _ = connection.quit();
                }
                return session.into_report();
            }
        }
    }
    if let Some(mails) = session.mails() {
        for result in connection.send_all_mails(mails) {
            if !session.mail_done(result) {
                return session.into_report();
            }
        }
    }
    let _ = connection.quit();
    session.into_report()
}
