//! A private smtp-sink per test (fault flags, LMTP, a Unix socket), on the ports
//! `tests/servers` leaves free for that (2542–2599), killed by its own PID when dropped.

use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

/// The first and last port the tests may use for their own servers.
const PORTS: (u16, u16) = (2542, 2599);
static NEXT_PORT: AtomicU16 = AtomicU16::new(PORTS.0);

/// One running smtp-sink, with a private dump folder.
#[derive(Debug)]
pub struct Sink {
    child: Child,
    dir: PathBuf,
    port: Option<u16>,
    socket: Option<PathBuf>,
}

impl Sink {
    /// Starts `smtp-sink [FLAGS] 127.0.0.1:PORT` on the next free test port. Every
    /// transaction is dumped into [`dump_dir`](Self::dump_dir).
    pub fn start(token: &str, flags: &[&str]) -> Result<Self, String> {
        let dir = private_dir(token)?;
        loop {
            let port = NEXT_PORT.fetch_add(1, Ordering::Relaxed);
            if port > PORTS.1 {
                return Err(format!("no free port left in {}–{}", PORTS.0, PORTS.1));
            }
            // Another helper's server may hold the port: probe before spawning.
            if TcpListener::bind(("127.0.0.1", port)).is_err() {
                continue;
            }
            let mut child = spawn(&dir, token, flags, &format!("127.0.0.1:{port}"))?;
            // Ready when *this* child holds the listener: a connect alone could reach a
            // server another process started on the port in the meantime.
            let pid = child.id();
            if wait_ready(&mut child, || listens(pid, port))? {
                return Ok(Self {
                    child,
                    dir,
                    port: Some(port),
                    socket: None,
                });
            }
        }
    }

    /// Starts `smtp-sink [FLAGS] unix:PATH` on a socket in its private folder.
    pub fn start_unix(token: &str, flags: &[&str]) -> Result<Self, String> {
        let dir = private_dir(token)?;
        let socket = dir.join("lmtp.sock");
        let mut child = spawn(&dir, token, flags, &format!("unix:{}", socket.display()))?;
        let ready = wait_ready(&mut child, || {
            std::os::unix::net::UnixStream::connect(&socket).is_ok()
        })?;
        if !ready {
            return Err(format!("smtp-sink did not listen on {}", socket.display()));
        }
        Ok(Self {
            child,
            dir,
            port: None,
            socket: Some(socket),
        })
    }

    /// The TCP port (`None` for a Unix socket).
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The Unix socket (`None` for TCP).
    pub fn socket(&self) -> Option<&Path> {
        self.socket.as_deref()
    }

    /// Where the transactions are dumped.
    pub fn dump_dir(&self) -> PathBuf {
        self.dir.join("mail")
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A fresh folder that smtp-sink, running as `postfix`, can write its dumps into.
fn private_dir(token: &str) -> Result<PathBuf, String> {
    let dir = std::env::temp_dir().join(format!("smtp-interop-{token}"));
    let mail = dir.join("mail");
    std::fs::create_dir_all(&mail).map_err(|e| format!("{}: {e}", mail.display()))?;
    for path in [&dir, &mail] {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o777))
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(dir)
}

fn spawn(dir: &Path, token: &str, flags: &[&str], endpoint: &str) -> Result<Child, String> {
    let program = ["/usr/sbin/smtp-sink", "/usr/bin/smtp-sink"]
        .into_iter()
        .find(|p| Path::new(p).is_file())
        .ok_or("smtp-sink is not installed (the postfix package; tests/servers/install.sh)")?;
    let dump = format!("{}/mail/%Y%m%d%H%M%S.", dir.display());
    let name = format!("{}.localhost", token.get(..40).unwrap_or(token));
    Command::new(program)
        .args(["-u", "postfix", "-h", &name, "-d", &dump])
        .args(flags)
        .args([endpoint, "16"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {program}: {e}"))
}

/// Whether process `pid` holds the listening socket on 127.0.0.1:`port` (Linux procfs:
/// the socket's inode in `/proc/net/tcp` among the process's open files).
fn listens(pid: u32, port: u16) -> bool {
    let Ok(table) = std::fs::read_to_string("/proc/net/tcp") else {
        return false;
    };
    let local = format!("0100007F:{port:04X}");
    let inodes: Vec<String> = table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // local_address, st (0A = LISTEN), inode.
            match (fields.get(1), fields.get(3), fields.get(9)) {
                (Some(&address), Some(&"0A"), Some(&inode)) if address == local => {
                    Some(format!("socket:[{inode}]"))
                }
                _ => None,
            }
        })
        .collect();
    if inodes.is_empty() {
        return false;
    }
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    fds.flatten().any(|fd| {
        std::fs::read_link(fd.path()).is_ok_and(|target| {
            inodes
                .iter()
                .any(|inode| target.as_os_str() == inode.as_str())
        })
    })
}

/// Polls `ready` until it holds (`true`), or the child exits (`false`: the port was
/// taken after all), for at most 5 s.
fn wait_ready(child: &mut Child, mut ready: impl FnMut() -> bool) -> Result<bool, String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if ready() {
            return Ok(true);
        }
        match child.try_wait() {
            Ok(Some(_)) => return Ok(false),
            Ok(None) => {}
            Err(e) => return Err(format!("smtp-sink: {e}")),
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err("smtp-sink did not start listening within 5 s".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
