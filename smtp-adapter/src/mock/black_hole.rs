//! A loopback address that never answers a connection attempt, for the connect deadline
//! tests.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

/// How long a connection attempt that fills the accept queue may take before the queue
/// is taken to be full: loopback connects that are answered take microseconds.
const FILLED: Duration = Duration::from_millis(200);

/// Connections tried at most: more than any accept queue std's listener asks for (128).
const MAX_FILLERS: usize = 1024;

/// A loopback listener whose accept queue is full, so the kernel drops each further SYN
/// (Linux does; the attempt hangs as it would against a black-holed address) until this
/// is dropped.
#[derive(Debug)]
pub struct BlackHole {
    address: SocketAddr,
    _listener: TcpListener,
    _queued: Vec<TcpStream>,
}

impl BlackHole {
    /// Opens a listener on 127.0.0.1 and fills its accept queue; `Unsupported` if every
    /// one of 1024 connection attempts is answered.
    pub fn new() -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let address = listener.local_addr()?;
        let mut queued = Vec::new();
        while queued.len() < MAX_FILLERS {
            match TcpStream::connect_timeout(&address, FILLED) {
                Ok(stream) => queued.push(stream),
                Err(error) if error.kind() == io::ErrorKind::TimedOut => {
                    return Ok(Self {
                        address,
                        _listener: listener,
                        _queued: queued,
                    });
                }
                Err(error) => return Err(error),
            }
        }
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "the listener's accept queue never filled",
        ))
    }

    /// The address whose connection attempts hang.
    pub fn address(&self) -> SocketAddr {
        self.address
    }
}
