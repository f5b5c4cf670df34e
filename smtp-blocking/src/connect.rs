//! Opening the transport: every address of the host (or the one of an address literal) in
//! order, within the connect timeout.

use std::io;
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Instant;

use smtp_adapter::{ConnectionConfig, Endpoint, Error, Phase};
use smtp_proto::client::deadline_after;
use socket2::{Domain, Protocol, Socket, Type};

use crate::stream::{Stream, is_timeout};

/// Opens the configured endpoint; returns the stream and, for TCP, the local address.
pub(crate) fn open(config: &ConnectionConfig) -> Result<(Stream, Option<SocketAddr>), Error> {
    let deadline = deadline_after(Instant::now(), config.connect_timeout());
    match config.endpoint() {
        Endpoint::Tcp { host, port } => {
            // An address literal is its address; std's resolver cannot be timed out: the
            // deadline is checked after it.
            let addresses: Vec<SocketAddr> = match config.literal_address() {
                Some(ip) => vec![SocketAddr::new(ip, *port)],
                None => match (host.as_str(), *port).to_socket_addrs() {
                    Err(source) => {
                        return Err(Error::Resolve {
                            host: host.clone(),
                            source,
                        });
                    }
                    Ok(addresses) => addresses.collect(),
                },
            };
            if Instant::now() >= deadline {
                return Err(Error::Timeout {
                    phase: Phase::Connect,
                });
            }
            let stream = connect_addresses(host, &addresses, config.bind_address(), deadline)?;
            let local = stream.local_addr().ok();
            Ok((Stream::Plain(Box::new(stream)), local))
        }
        Endpoint::Unix(path) => open_unix(path, deadline),
        _ => Err(Error::Config("unsupported endpoint".into())),
    }
}

/// Connects to a local socket without blocking: a listener whose backlog is full would
/// make a blocking `connect(2)` wait with no limit, where a non-blocking one fails at once
/// (`EAGAIN` on Linux), as it does in the async adapters. A local connect otherwise
/// completes at once; the deadline is checked before it.
#[cfg(unix)]
fn open_unix(
    path: &std::path::Path,
    deadline: Instant,
) -> Result<(Stream, Option<SocketAddr>), Error> {
    let failed = |source| Error::ConnectUnix {
        path: path.to_path_buf(),
        source,
    };
    if Instant::now() >= deadline {
        return Err(Error::Timeout {
            phase: Phase::Connect,
        });
    }
    let address = socket2::SockAddr::unix(path).map_err(failed)?;
    let socket = Socket::new(Domain::UNIX, Type::STREAM, None).map_err(failed)?;
    socket.set_nonblocking(true).map_err(failed)?;
    socket.connect(&address).map_err(failed)?;
    socket.set_nonblocking(false).map_err(failed)?;
    let stream = std::os::unix::net::UnixStream::from(socket);
    Ok((Stream::Plain(Box::new(stream)), None))
}

#[cfg(not(unix))]
fn open_unix(
    _path: &std::path::Path,
    _deadline: Instant,
) -> Result<(Stream, Option<SocketAddr>), Error> {
    Err(Error::Config(
        "Unix sockets are not available on this system".into(),
    ))
}

/// Tries each address in order; each attempt gets an equal share of the time left, so
/// one black-holed address cannot use up the budget of those after it. TCP_NODELAY is set:
/// a pipelined group is one write and must leave at once.
///
/// The last attempt gets all the time left: when it runs out of time (or none is left to
/// start it) the connect budget is spent, [`Error::Timeout`] in the connect phase, as in
/// every adapter; otherwise [`Error::Connect`] lists each address with its error.
pub(crate) fn connect_addresses(
    host: &str,
    addresses: &[SocketAddr],
    bind: Option<IpAddr>,
    deadline: Instant,
) -> Result<TcpStream, Error> {
    let mut attempts = Vec::with_capacity(addresses.len());
    for (index, &address) in addresses.iter().enumerate() {
        let left = u32::try_from(addresses.len() - index).unwrap_or(u32::MAX);
        let share = deadline.saturating_duration_since(Instant::now()) / left;
        if share.is_zero() {
            attempts.push((address, io::Error::from(io::ErrorKind::TimedOut)));
            continue;
        }
        match connect_one(address, bind, share) {
            Ok(stream) => return Ok(stream),
            // socket2 says `TimedOut`; a `WouldBlock` would mean the same.
            Err(error) if is_timeout(&error) => attempts.push((
                address,
                io::Error::new(io::ErrorKind::TimedOut, "connection attempt timed out"),
            )),
            Err(error) => attempts.push((address, error)),
        }
    }
    // The last attempt had all the time left: when it ran out, so did the budget.
    let spent = |(_, error): &(SocketAddr, io::Error)| error.kind() == io::ErrorKind::TimedOut;
    if attempts.last().is_some_and(spent) {
        return Err(Error::Timeout {
            phase: Phase::Connect,
        });
    }
    Err(Error::Connect {
        host: host.to_owned(),
        attempts,
    })
}

fn connect_one(
    address: SocketAddr,
    bind: Option<IpAddr>,
    timeout: std::time::Duration,
) -> io::Result<TcpStream> {
    let socket = Socket::new(
        Domain::for_address(address),
        Type::STREAM,
        Some(Protocol::TCP),
    )?;
    if let Some(local) = bind {
        if local.is_ipv4() != address.is_ipv4() {
            return Err(io::Error::new(
                io::ErrorKind::AddrNotAvailable,
                format!("the bind address {local} is of the other address family"),
            ));
        }
        socket.bind(&SocketAddr::new(local, 0).into())?;
    }
    socket.set_tcp_nodelay(true)?;
    socket.connect_timeout(&address.into(), timeout)?;
    Ok(socket.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use smtp_adapter::mock::BlackHole;
    use std::net::TcpListener;
    use std::time::Duration;

    #[test]
    fn falls_back_to_the_next_address() {
        let closed = TcpListener::bind("127.0.0.1:0").unwrap();
        let refused = closed.local_addr().unwrap();
        drop(closed);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let open = listener.local_addr().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        let stream = connect_addresses("test", &[refused, open], None, deadline).unwrap();
        assert_eq!(stream.peer_addr().unwrap(), open);
        assert!(stream.nodelay().unwrap(), "TCP_NODELAY must be set");
    }

    #[test]
    fn every_failed_address_is_reported() {
        let closed = TcpListener::bind("127.0.0.1:0").unwrap();
        let refused = closed.local_addr().unwrap();
        drop(closed);
        let v6 = SocketAddr::from(([0, 0, 0, 0, 0, 0, 0, 1], refused.port()));
        let deadline = Instant::now() + Duration::from_secs(10);
        let bind = Some(IpAddr::from([127, 0, 0, 1]));
        let error = connect_addresses("mx.test", &[refused, v6], bind, deadline).unwrap_err();
        let Error::Connect { host, attempts } = &error else {
            panic!("expected a connect error, got {error}");
        };
        assert_eq!(host, "mx.test");
        assert_eq!(attempts.len(), 2);
        assert_eq!(attempts[0].0, refused);
        assert_eq!(attempts[0].1.kind(), io::ErrorKind::ConnectionRefused);
        assert_eq!(attempts[1].1.kind(), io::ErrorKind::AddrNotAvailable);
    }

    #[test]
    fn a_black_holed_address_gets_only_its_share_of_the_time() {
        let hole = BlackHole::new().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let open = listener.local_addr().unwrap();
        let budget = Duration::from_secs(1);
        // The hole gets half the budget, and the open address the rest.
        let addresses = [hole.address(), open];
        let deadline = Instant::now() + budget;
        let stream = connect_addresses("test", &addresses, None, deadline).unwrap();
        assert_eq!(stream.peer_addr().unwrap(), open);
        // Two holes, from a bound socket: the second gets all that is left.
        let start = Instant::now();
        let addresses = [hole.address(), hole.address()];
        let bind = Some(IpAddr::from([127, 0, 0, 1]));
        let error = connect_addresses("mx.test", &addresses, bind, start + budget).unwrap_err();
        let waited = start.elapsed();
        assert!(
            matches!(
                error,
                Error::Timeout {
                    phase: Phase::Connect
                }
            ),
            "{error}"
        );
        assert!(waited >= budget * 9 / 10, "gave up after {waited:?}");
    }

    #[test]
    fn binds_the_local_address() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let open = listener.local_addr().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        let local = IpAddr::from([127, 0, 0, 1]);
        let stream = connect_addresses("test", &[open], Some(local), deadline).unwrap();
        assert_eq!(stream.peer_addr().unwrap(), open);
        assert_eq!(stream.local_addr().unwrap().ip(), local);
    }

    #[test]
    fn a_spent_budget_tries_nothing() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let open = listener.local_addr().unwrap();
        let error = connect_addresses("mx.test", &[open], None, Instant::now()).unwrap_err();
        assert!(
            matches!(
                error,
                Error::Timeout {
                    phase: Phase::Connect
                }
            ),
            "{error}"
        );
    }

    /// Addresses that time out on their share are listed when a later one is refused
    /// with time left: the budget was not spent.
    #[test]
    fn a_refusal_after_a_timed_out_address_is_a_connect_error() {
        let hole = BlackHole::new().unwrap();
        let closed = TcpListener::bind("127.0.0.1:0").unwrap();
        let refused = closed.local_addr().unwrap();
        drop(closed);
        let deadline = Instant::now() + Duration::from_secs(1);
        let addresses = [hole.address(), refused];
        let error = connect_addresses("mx.test", &addresses, None, deadline).unwrap_err();
        let Error::Connect { attempts, .. } = &error else {
            panic!("expected a connect error, got {error}");
        };
        assert_eq!(attempts[0].1.kind(), io::ErrorKind::TimedOut);
        assert_eq!(attempts[1].1.kind(), io::ErrorKind::ConnectionRefused);
    }

    /// A missing socket file and one nobody listens on are connect errors naming the path.
    #[cfg(unix)]
    #[test]
    fn a_unix_socket_nobody_listens_on_is_a_connect_error() {
        let dir = std::env::temp_dir().join(format!("smtp-blocking-unix-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("gone.sock");
        let _ = std::fs::remove_file(&path);
        let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        drop(listener);
        for (path, kind) in [
            (path.clone(), io::ErrorKind::ConnectionRefused),
            (dir.join("missing.sock"), io::ErrorKind::NotFound),
        ] {
            let Err(error) = open_unix(&path, Instant::now() + Duration::from_secs(10)) else {
                panic!("connected to {}", path.display());
            };
            let Error::ConnectUnix {
                path: reported,
                source,
            } = &error
            else {
                panic!("expected a connect error, got {error}");
            };
            assert_eq!(reported, &path);
            assert_eq!(source.kind(), kind);
            assert!(error.to_string().contains(&path.display().to_string()));
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
