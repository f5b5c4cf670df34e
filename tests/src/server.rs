//! A scripted SMTP server on a std thread: no runtime, so every adapter's suite can use it.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::thread::JoinHandle;
use std::time::Duration;

/// One step of the server's side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Send these octets (the script writes the CRLFs), in one write.
    Send(String),
    /// The client must write exactly these octets next.
    Expect(String),
    /// Close the connection.
    Close,
}

/// A server on 127.0.0.1 that accepts one connection and plays its steps.
#[derive(Debug)]
pub struct ScriptedServer {
    address: SocketAddr,
    thread: JoinHandle<Result<(), String>>,
}

impl ScriptedServer {
    /// Listens on an ephemeral loopback port and plays `steps` on the first connection.
    pub fn start(steps: Vec<Step>) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let address = listener.local_addr()?;
        let thread = std::thread::spawn(move || play(&listener, &steps));
        Ok(Self { address, thread })
    }

    /// Where it listens.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Waits for the script's end: `Err` says which step the client did not match.
    pub fn finish(self) -> Result<(), String> {
        self.thread
            .join()
            .map_err(|_| "the server thread panicked".to_owned())?
    }
}

fn play(listener: &TcpListener, steps: &[Step]) -> Result<(), String> {
    let (mut socket, _) = listener.accept().map_err(|e| format!("accept: {e}"))?;
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    let mut pending: Vec<u8> = Vec::new();
    for (index, step) in steps.iter().enumerate() {
        match step {
            Step::Send(text) => socket
                .write_all(text.as_bytes())
                .map_err(|e| format!("step {index}: write: {e}"))?,
            Step::Expect(text) => {
                let expected = text.as_bytes();
                while pending.len() < expected.len() {
                    let mut buf = [0u8; 4096];
                    let n = socket
                        .read(&mut buf)
                        .map_err(|e| format!("step {index}: read: {e}"))?;
                    if n == 0 {
                        return Err(format!(
                            "step {index}: the client closed; expected {text:?}, got {:?}",
                            String::from_utf8_lossy(&pending)
                        ));
                    }
                    pending.extend_from_slice(buf.get(..n).unwrap_or_default());
                }
                let got: Vec<u8> = pending.drain(..expected.len()).collect();
                if got != expected {
                    return Err(format!(
                        "step {index}: expected {text:?}, the client wrote {:?}",
                        String::from_utf8_lossy(&got)
                    ));
                }
            }
            Step::Close => return Ok(()),
        }
    }
    Ok(())
}

/// `Step::Send(text)`.
pub fn send(text: &str) -> Step {
    Step::Send(text.to_owned())
}

/// `Step::Expect(text)`.
pub fn expect(text: &str) -> Step {
    Step::Expect(text.to_owned())
}
