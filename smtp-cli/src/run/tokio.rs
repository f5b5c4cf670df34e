//! The session on smtp-tokio: one task per connection.

use std::sync::Arc;

use smtp_tokio::Connection;
use tracing::Instrument as _;

use crate::failure::{Failure, Kind};
use crate::plan::Plan;
use crate::report::SessionReport;
use crate::session::Session;

/// Runs every connection of `plan` and returns their reports.
pub(crate) fn run(plan: &Arc<Plan>, connections: u32) -> Vec<SessionReport> {
    // One connection needs no second thread: a current-thread runtime has no cross-thread
    // wake-ups on the throughput path.
    let runtime = if connections == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
    };
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(error) => {
            return vec![super::failed(
                plan,
                Failure::new(Kind::Io, error.to_string()),
            )];
        }
    };
    runtime.block_on(async {
        let tasks: Vec<_> = (0..connections)
            .map(|index| {
                let plan = Arc::clone(plan);
                let span = super::connection_span(index, connections);
                tokio::spawn(async move { session(&plan).await }.instrument(span))
            })
            .collect();
        let mut reports = Vec::with_capacity(tasks.len());
        for task in tasks {
            reports.push(task.await.unwrap_or_else(|error| {
                super::failed(plan, Failure::new(Kind::Io, error.to_string()))
            }));
        }
        reports
    })
}

async fn session(plan: &Plan) -> SessionReport {
    let mut session = Session::new(plan);
    let (mut connection, local) = match Connection::connect_without_setup(&plan.config).await {
        Ok(opened) => opened,
        Err(error) => {
            session.connect_failed(&error);
            return session.into_report();
        }
    };
    let Some(setup) = session.setup_command(local) else {
        return session.into_report();
    };
    let sent = connection.send_with_body(setup, tokio::io::empty()).await;
    if !session.set_up(
        &sent.result,
        &sent.command,
        connection.tls_info(),
        connection.session(),
    ) {
        if connection.is_usable() {
            let _ = connection.quit().await;
        }
        return session.into_report();
    }
    match session.auth_command(connection.session()) {
        Err(()) => {
            let _ = connection.quit().await;
            return session.into_report();
        }
        Ok(None) => {}
        Ok(Some(command)) => {
            let sent = connection.send_with_body(command, tokio::io::empty()).await;
            if !session.authenticated(&sent.result, &sent.command) {
                if connection.is_usable() {
                    let _ = connection.quit().await;
                }
                return session.into_report();
            }
        }
    }
    if let Some(mails) = session.mails() {
        let mut results = connection.send_all_mails(mails);
        while let Some(result) = results.next().await {
            if !session.mail_done(result) {
                return session.into_report();
            }
        }
    }
    let _ = connection.quit().await;
    session.into_report()
}
