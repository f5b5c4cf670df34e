//! TEMPORARY stand-ins for the address types of the `syntax` branch (replaced on merge).
#![allow(missing_docs, dead_code, unreachable_pub)]

use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AddressEncoding {
    Ascii,
    Utf8,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Mailbox(String);

impl Mailbox {
    pub fn needs_smtputf8(&self) -> bool {
        self.0.split('@').next().is_some_and(|l| !l.is_ascii())
    }
    pub fn write_to(&self, out: &mut Vec<u8>, _enc: AddressEncoding) {
        out.extend_from_slice(self.0.as_bytes());
    }
    pub fn encoded_len(&self, _enc: AddressEncoding) -> usize {
        self.0.len()
    }
}

impl FromStr for Mailbox {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        let ok = s.contains('@')
            && s.chars()
                .all(|c| c > ' ' && c != '\x7f' && c != '<' && c != '>');
        if ok {
            Ok(Mailbox(s.to_owned()))
        } else {
            Err(())
        }
    }
}

impl fmt::Display for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ReversePath(Option<Mailbox>);
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ForwardPath(Mailbox);

macro_rules! path {
    ($t:ident) => {
        impl $t {
            pub fn needs_smtputf8(&self) -> bool {
                let m: Option<&Mailbox> = self.inner();
                m.is_some_and(Mailbox::needs_smtputf8)
            }
            pub fn write_to(&self, out: &mut Vec<u8>, enc: AddressEncoding) {
                out.push(b'<');
                if let Some(m) = self.inner() {
                    m.write_to(out, enc);
                }
                out.push(b'>');
            }
            pub fn encoded_len(&self, enc: AddressEncoding) -> usize {
                2 + self.inner().map_or(0, |m| m.encoded_len(enc))
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut v = Vec::new();
                self.write_to(&mut v, AddressEncoding::Utf8);
                f.write_str(&String::from_utf8_lossy(&v))
            }
        }
    };
}
path!(ReversePath);
path!(ForwardPath);

impl ReversePath {
    fn inner(&self) -> Option<&Mailbox> {
        self.0.as_ref()
    }
}
impl ForwardPath {
    fn inner(&self) -> Option<&Mailbox> {
        Some(&self.0)
    }
}
impl FromStr for ReversePath {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        let inner = s
            .strip_prefix('<')
            .and_then(|s| s.strip_suffix('>'))
            .ok_or(())?;
        if inner.is_empty() {
            Ok(ReversePath(None))
        } else {
            Ok(ReversePath(Some(inner.parse()?)))
        }
    }
}
impl FromStr for ForwardPath {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        let inner = s
            .strip_prefix('<')
            .and_then(|s| s.strip_suffix('>'))
            .ok_or(())?;
        Ok(ForwardPath(inner.parse()?))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ClientId(String);
impl ClientId {
    pub fn write_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.0.as_bytes());
    }
    pub fn encoded_len(&self) -> usize {
        self.0.len()
    }
}
impl FromStr for ClientId {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        if !s.is_empty() && s.bytes().all(|b| b > b' ' && b < 0x7f) {
            Ok(ClientId(s.to_owned()))
        } else {
            Err(())
        }
    }
}
impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
