//! Binding, the accept loop, and the two ways to run it: a task on the caller's runtime
//! or a thread with its own.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::net::TcpListener;
#[cfg(unix)]
use tokio::net::UnixListener;
use tokio::sync::oneshot;
use tokio::task::JoinSet;

use super::TestServerError;
use super::record::Store;
use super::session;
use super::settings::Settings;

/// A bound listener, not yet registered with a runtime.
#[derive(Debug)]
pub(super) enum Bound {
    Tcp(std::net::TcpListener),
    #[cfg(unix)]
    Unix(std::os::unix::net::UnixListener),
}

/// Where the server listens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Address {
    Tcp(SocketAddr),
    Unix(PathBuf),
}

impl Bound {
    /// Binds 127.0.0.1 on an ephemeral port, or the Unix socket at `unix`.
    pub(super) fn bind(unix: Option<&PathBuf>) -> Result<(Self, Address), TestServerError> {
        let bound = match unix {
            #[cfg(unix)]
            Some(path) => {
                let listener =
                    std::os::unix::net::UnixListener::bind(path).map_err(TestServerError::Bind)?;
                (Self::Unix(listener), Address::Unix(path.clone()))
            }
            #[cfg(not(unix))]
            Some(_) => {
                let why = "Unix sockets are not available on this system";
                return Err(TestServerError::Config(why.into()));
            }
            None => {
                let listener = std::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0))
                    .map_err(TestServerError::Bind)?;
                let address = listener.local_addr().map_err(TestServerError::Bind)?;
                (Self::Tcp(listener), Address::Tcp(address))
            }
        };
        match &bound.0 {
            Self::Tcp(l) => l.set_nonblocking(true),
            #[cfg(unix)]
            Self::Unix(l) => l.set_nonblocking(true),
        }
        .map_err(TestServerError::Bind)?;
        Ok(bound)
    }

    /// Registers the listener with the current runtime.
    fn register(self) -> std::io::Result<Listener> {
        Ok(match self {
            Self::Tcp(l) => Listener::Tcp(TcpListener::from_std(l)?),
            #[cfg(unix)]
            Self::Unix(l) => Listener::Unix(UnixListener::from_std(l)?),
        })
    }
}

enum Listener {
    Tcp(TcpListener),
    #[cfg(unix)]
    Unix(UnixListener),
}

/// Accepts connections and runs a session for each until dropped; dropping it ends
/// every session (they live in its `JoinSet`).
async fn accept_loop(listener: Listener, settings: Arc<Settings>, store: Arc<Store>) {
    let mut sessions = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            accepted = accept(&listener) => accepted,
            Some(_) = sessions.join_next(), if !sessions.is_empty() => continue,
        };
        match accepted {
            Ok((stream, peer)) => {
                sessions.spawn(session::run(settings.clone(), store.clone(), stream, peer));
            }
            Err(e) => {
                tracing::debug!("test server: accept failed: {e}");
                // A burst of failures (EMFILE) must not spin the loop.
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        }
    }
}

type Accepted = (Box<dyn session::Io>, Option<SocketAddr>);

async fn accept(listener: &Listener) -> std::io::Result<Accepted> {
    Ok(match listener {
        Listener::Tcp(l) => {
            let (stream, peer) = l.accept().await?;
            let _ = stream.set_nodelay(true);
            (Box::new(stream), Some(peer))
        }
        #[cfg(unix)]
        Listener::Unix(l) => (Box::new(l.accept().await?.0), None),
    })
}

/// What keeps the server running; dropping it stops the server.
#[derive(Debug)]
pub(super) enum Runner {
    Task(tokio::task::JoinHandle<()>),
    Thread {
        stop: Option<oneshot::Sender<()>>,
        thread: Option<std::thread::JoinHandle<()>>,
    },
}

impl Runner {
    /// Runs the accept loop as a task of the current tokio runtime.
    pub(super) fn spawn(
        bound: Bound,
        settings: Arc<Settings>,
        store: Arc<Store>,
    ) -> Result<Self, TestServerError> {
        let listener = bound.register().map_err(TestServerError::Bind)?;
        Ok(Self::Task(tokio::spawn(accept_loop(
            listener, settings, store,
        ))))
    }

    /// Runs the accept loop on a new thread with a current-thread runtime.
    pub(super) fn spawn_thread(
        bound: Bound,
        settings: Arc<Settings>,
        store: Arc<Store>,
    ) -> Result<Self, TestServerError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(TestServerError::Runtime)?;
        let listener = {
            let _context = runtime.enter();
            bound.register().map_err(TestServerError::Bind)?
        };
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("smtp-test-server".into())
            .spawn(move || {
                runtime.block_on(async move {
                    tokio::select! {
                        () = accept_loop(listener, settings, store) => {}
                        _ = stopped => {}
                    }
                });
            })
            .map_err(TestServerError::Runtime)?;
        Ok(Self::Thread {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        match self {
            Self::Task(task) => task.abort(),
            Self::Thread { stop, thread } => {
                if let Some(stop) = stop.take() {
                    let _ = stop.send(());
                }
                if let Some(thread) = thread.take() {
                    let _ = thread.join();
                }
            }
        }
    }
}
