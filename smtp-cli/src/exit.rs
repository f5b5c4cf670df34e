//! The exit status (CLI.md "Exit status"): it follows the outcome alone, except that a
//! usage error exits 64.

use std::process::ExitCode;

use crate::failure::Kind;
use crate::report::{Outcome, RunReport};

/// 0 delivered (probe: completed), 1 partial or rejected, 2 error, 3 uncertain; 64 for an
/// error of kind `usage` found only once connected (a command the core cannot encode).
pub(crate) fn status(run: &RunReport) -> ExitCode {
    if run.error.as_ref().is_some_and(|e| e.kind == Kind::Usage) {
        return usage();
    }
    ExitCode::from(code(run.outcome))
}

/// 64: a bad option, address or file; nothing was sent.
pub(crate) fn usage() -> ExitCode {
    ExitCode::from(64)
}

fn code(outcome: Option<Outcome>) -> u8 {
    match outcome {
        None | Some(Outcome::Delivered) => 0,
        Some(Outcome::Partial | Outcome::Rejected) => 1,
        Some(Outcome::Error) => 2,
        Some(Outcome::Uncertain) => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_the_outcome() {
        assert_eq!(code(None), 0);
        assert_eq!(code(Some(Outcome::Delivered)), 0);
        assert_eq!(code(Some(Outcome::Partial)), 1);
        assert_eq!(code(Some(Outcome::Rejected)), 1);
        assert_eq!(code(Some(Outcome::Error)), 2);
        assert_eq!(code(Some(Outcome::Uncertain)), 3);
    }
}
