//! Finding a test's own message among everything the shared servers stored: by a unique
//! token, never by "the newest file" (tests run in parallel, runs append).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use super::Store;

/// One stored message.
#[derive(Clone, Debug)]
pub struct Stored {
    /// The file with the message (`.eml`, Maildir file, smtp-sink dump).
    pub path: PathBuf,
    /// Its bytes.
    pub content: Vec<u8>,
    /// The oracle's `.json` next to it (empty for the other stores).
    pub meta: String,
}

/// Where to look and since when.
#[derive(Clone, Debug)]
pub struct Finder {
    store: Store,
    since: SystemTime,
}

impl Finder {
    /// A finder for files of `store` written from now on (with a little slack for the
    /// file system's time granularity).
    pub fn new(store: Store) -> Self {
        let now = SystemTime::now();
        Self {
            store,
            since: now.checked_sub(Duration::from_secs(2)).unwrap_or(now),
        }
    }

    /// Every stored message that contains `token`, waiting up to `wait` for at least
    /// `count` of them (Postfix and Exim deliver after their 250).
    pub(crate) fn find(
        &self,
        token: &str,
        count: usize,
        wait: Duration,
    ) -> Result<Vec<Stored>, String> {
        let (dir, extension) = match &self.store {
            Store::Maildir(dir) | Store::SinkDump(dir) => (dir, None),
            Store::Oracle(dir) => (dir, Some("eml")),
            Store::None => return Err("this server keeps no mail".into()),
        };
        let deadline = Instant::now() + wait;
        loop {
            let found = self.scan(dir, extension, token.as_bytes())?;
            if found.len() >= count || Instant::now() >= deadline {
                if found.len() != count {
                    return Err(format!(
                        "{} message(s) with {token:?} in {}, expected {count}",
                        found.len(),
                        dir.display()
                    ));
                }
                return Ok(found);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The one stored message with `token`.
    pub fn find_one(&self, token: &str, wait: Duration) -> Result<Stored, String> {
        let mut found = self.find(token, 1, wait)?;
        found.pop().ok_or_else(|| "no message".to_owned())
    }

    fn scan(
        &self,
        dir: &Path,
        extension: Option<&str>,
        token: &[u8],
    ) -> Result<Vec<Stored>, String> {
        let mut found = Vec::new();
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            // A Maildir appears with the server's first delivery.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(found),
            Err(e) => return Err(format!("{}: {e}", dir.display())),
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if extension.is_some_and(|ext| path.extension().is_none_or(|e| e != ext)) {
                continue;
            }
            let recent = entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|modified| modified >= self.since);
            if !recent {
                continue;
            }
            // Tokens are in the header or the envelope: look at the start of each file only
            // (the oracles hold 5 MiB bodies). A file that vanished is skipped; none is
            // half-written (Maildir `new/` and the oracles' renames are atomic).
            if !head_contains(&path, token) {
                continue;
            }
            let Ok(content) = std::fs::read(&path) else {
                continue;
            };
            let meta = match extension {
                Some(_) => std::fs::read_to_string(path.with_extension("json"))
                    .map_err(|e| format!("{}: no .json: {e}", path.display()))?,
                None => String::new(),
            };
            found.push(Stored {
                path,
                content,
                meta,
            });
        }
        found.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(found)
    }
}

/// How much of each file [`Finder`] searches for a token.
const HEAD: u64 = 64 * 1024;

fn head_contains(path: &Path, token: &[u8]) -> bool {
    let mut head = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(HEAD).read_to_end(&mut head))
        .is_ok_and(|_| contains(&head, token))
}

/// Whether `needle` occurs in `haystack`.
pub(crate) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    find(haystack, needle).is_some()
}

/// Where `needle` first occurs in `haystack`.
pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, _) = needle.split_first()?;
    let mut start = 0;
    while let Some(offset) = haystack.get(start..)?.iter().position(|&b| b == first) {
        let at = start + offset;
        if haystack.get(at..at + needle.len())? == needle {
            return Some(at);
        }
        start = at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_needles() {
        assert_eq!(find(b"abcabd", b"abd"), Some(3));
        assert_eq!(find(b"abcab", b"abd"), None);
        assert_eq!(find(b"", b"a"), None);
        assert!(contains(b"X-Test-Id: t-1\r\n", b"t-1"));
    }
}
