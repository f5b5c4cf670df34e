//! Faults before any mail: the greeting and the hello.

use smtp_adapter::Error;

use super::{code_of, connect_only, ensure, is_eof, is_service_closing};
use crate::adapter::SmtpAdapter;
use crate::interop::Servers;

/// `-f CONNECT`: a 500 greeting refuses the session.
pub fn fault_greeting_refused<A: SmtpAdapter>(
    servers: &Servers,
    _test: &str,
) -> Result<(), String> {
    match connect_only::<A>(servers, &["-f", "CONNECT"])? {
        Err(Error::Refused(refusal)) => {
            let code = refusal.response().map(code_of);
            ensure!(
                code == Some(500),
                "greeting refused with {code:?}, expected 500"
            );
            Ok(())
        }
        other => Err(format!("expected the greeting refused, got {other:?}")),
    }
}

/// `-Q CONNECT`: a 421 greeting is the fatal service-closing error.
pub fn fault_421_at_greeting<A: SmtpAdapter>(servers: &Servers, _test: &str) -> Result<(), String> {
    match connect_only::<A>(servers, &["-Q", "CONNECT"])? {
        Err(error) if is_service_closing(&error) => Ok(()),
        other => Err(format!("expected service closing (421), got {other:?}")),
    }
}

/// `-q CONNECT`: the server closes without a greeting: fatal.
pub fn fault_disconnect_at_greeting<A: SmtpAdapter>(
    servers: &Servers,
    _test: &str,
) -> Result<(), String> {
    match connect_only::<A>(servers, &["-q", "CONNECT"])? {
        Err(error) if is_eof(&error) => Ok(()),
        other => Err(format!("expected the connection closed, got {other:?}")),
    }
}

/// `-f EHLO,HELO`: EHLO refused, and HELO (the fallback) refused too: the setup is
/// refused with HELO's reply.
pub fn fault_hello_refused<A: SmtpAdapter>(servers: &Servers, _test: &str) -> Result<(), String> {
    match connect_only::<A>(servers, &["-f", "EHLO,HELO"])? {
        Err(Error::Refused(refusal)) => {
            let code = refusal.response().map(code_of);
            ensure!(
                code == Some(500),
                "hello refused with {code:?}, expected 500"
            );
            Ok(())
        }
        other => Err(format!("expected the hello refused, got {other:?}")),
    }
}

/// `-Q EHLO`: 421 to EHLO is fatal service-closing (no HELO fallback after a 421).
pub fn fault_421_at_ehlo<A: SmtpAdapter>(servers: &Servers, _test: &str) -> Result<(), String> {
    match connect_only::<A>(servers, &["-Q", "EHLO"])? {
        Err(error) if is_service_closing(&error) => Ok(()),
        other => Err(format!("expected service closing (421), got {other:?}")),
    }
}
