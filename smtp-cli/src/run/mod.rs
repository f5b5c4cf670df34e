//! Runs a [`Plan`] on the adapter `--runtime` names; each runner is the same session
//! shape ([`crate::session`]) over its adapter's IO.

use std::sync::Arc;
use std::time::Instant;

use crate::args::Runtime;
use crate::failure::Failure;
use crate::plan::Plan;
use crate::report::{RunReport, SessionReport};
use crate::session::Session;

mod async_std;
mod blocking;
mod tokio;

/// Runs `plan`: every connection in parallel, reports merged.
pub(crate) fn run(plan: Plan) -> RunReport {
    let probe = plan.mail.is_none();
    let connections = plan.mail.as_ref().map_or(1, |m| m.connections);
    let plan = Arc::new(plan);
    let start = Instant::now();
    let reports = match plan.runtime {
        Runtime::Tokio => tokio::run(&plan, connections),
        Runtime::AsyncStd => async_std::run(&plan, connections),
        Runtime::Blocking => blocking::run(&plan, connections),
    };
    RunReport::merge(probe, reports, start.elapsed().as_secs_f64())
}

/// The span connection `index` (from 0) of `connections` runs in: with more than one,
/// the `-v` transcript marks each line with its connection's number (`#1`, `#2`...).
fn connection_span(index: u32, connections: u32) -> tracing::Span {
    if connections > 1 {
        tracing::trace_span!(target: "smtp::wire", "connection", number = index + 1)
    } else {
        tracing::Span::none()
    }
}

/// The report of a connection that could not even be attempted.
fn failed(plan: &Plan, failure: Failure) -> SessionReport {
    let mut session = Session::new(plan);
    let counts = plan.mail.is_some();
    session.report.fail(failure, counts);
    session.into_report()
}
