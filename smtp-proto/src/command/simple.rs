//! The commands without addresses: STARTTLS, DATA, BDAT, RSET, NOOP, HELP, VRFY, EXPN, QUIT.

use super::error::CommandError;
use super::line::{check_line, render};
use super::text::TextArgument;

macro_rules! bare {
    ($(#[$doc:meta])* $name:ident, $line:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct $name;

        impl $name {
            #[doc = concat!("Appends `", $line, "` and CRLF.")]
            pub fn encode(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(concat!($line, "\r\n").as_bytes());
            }
        }
    };
}

bare!(
    /// `STARTTLS`: upgrade to TLS (RFC 3207 §4).
    StartTls,
    "STARTTLS"
);
bare!(
    /// `DATA`: start the message body (RFC 5321 §4.1.1.4).
    Data,
    "DATA"
);
bare!(
    /// `RSET`: abort the mail transaction (RFC 5321 §4.1.1.5).
    Rset,
    "RSET"
);
bare!(
    /// `QUIT`: close the session (RFC 5321 §4.1.1.10).
    Quit,
    "QUIT"
);

/// `BDAT <size>[ LAST]`: announce a chunk of `size` octets (RFC 3030 §2).
///
/// Only the command line; the chunk itself is framed by the data module.
///
/// ```
/// use smtp_proto::command::Bdat;
/// let mut out = Vec::new();
/// Bdat { size: 86, last: true }.encode(&mut out);
/// assert_eq!(out, b"BDAT 86 LAST\r\n");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bdat {
    /// The exact number of octets in the chunk.
    pub size: u64,
    /// Whether this is the last chunk.
    pub last: bool,
}

impl Bdat {
    /// Appends the command line.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.line().as_ref());
    }

    /// The command line in a stack buffer, for framers that write into other buffers
    /// (the BDAT framer in [`crate::data`] writes it straight into its sink).
    pub fn line(&self) -> BdatLine {
        // "BDAT " + at most 20 digits + " LAST" + CRLF: 32 octets.
        let mut buf = [0u8; 32];
        let mut digits = [0u8; 20];
        let mut start = digits.len();
        let mut n = self.size;
        loop {
            start -= 1;
            if let Some(digit) = digits.get_mut(start) {
                *digit = b'0' + (n % 10) as u8;
            }
            n /= 10;
            if n == 0 || start == 0 {
                break;
            }
        }
        let digits = digits.get(start..).unwrap_or_default();
        let tail: &[u8] = if self.last { b" LAST\r\n" } else { b"\r\n" };
        let mut len = 0;
        for part in [b"BDAT ".as_slice(), digits, tail] {
            if let Some(dest) = buf.get_mut(len..len + part.len()) {
                dest.copy_from_slice(part);
                len += part.len();
            }
        }
        BdatLine { buf, len }
    }
}

/// A `BDAT` command line held on the stack; see [`Bdat::line`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BdatLine {
    buf: [u8; 32],
    len: usize,
}

impl AsRef<[u8]> for BdatLine {
    fn as_ref(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }
}

macro_rules! optional_arg {
    ($(#[$doc:meta])* $name:ident, $verb:literal, $field:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, Default, PartialEq, Eq)]
        pub struct $name {
            $field: Option<TextArgument>,
        }

        impl $name {
            /// The command with an optional ASCII argument that keeps the line within 512
            /// octets.
            pub fn new($field: Option<TextArgument>) -> Result<Self, CommandError> {
                if $field.as_ref().is_some_and(TextArgument::needs_smtputf8) {
                    return Err(CommandError::SmtpUtf8Required);
                }
                let cmd = $name { $field };
                check_line(&cmd.render(), 0)?;
                Ok(cmd)
            }

            /// The argument.
            pub fn $field(&self) -> Option<&TextArgument> {
                self.$field.as_ref()
            }

            fn render(&self) -> Vec<u8> {
                match &self.$field {
                    Some(a) => render($verb, &[a.as_str().as_bytes()]),
                    None => render($verb, &[]),
                }
            }

            /// Appends the command line.
            pub fn encode(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.render());
            }
        }
    };
}

optional_arg!(
    /// `NOOP[ <string>]` (RFC 5321 §4.1.1.9).
    Noop,
    "NOOP",
    argument
);
optional_arg!(
    /// `HELP[ <string>]` (RFC 5321 §4.1.1.8).
    Help,
    "HELP",
    topic
);

macro_rules! address_query {
    ($(#[$doc:meta])* $name:ident, $verb:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct $name {
            argument: TextArgument,
            smtputf8: bool,
        }

        impl $name {
            /// The command; `smtputf8` adds the SMTPUTF8 parameter (RFC 6531 §3.1 (6)),
            /// which a non-ASCII argument requires.
            pub fn new(argument: TextArgument, smtputf8: bool) -> Result<Self, CommandError> {
                if argument.needs_smtputf8() && !smtputf8 {
                    return Err(CommandError::SmtpUtf8ParameterMissing);
                }
                let cmd = $name { argument, smtputf8 };
                check_line(&cmd.render(), 0)?;
                Ok(cmd)
            }

            /// The argument.
            pub fn argument(&self) -> &TextArgument {
                &self.argument
            }

            /// The EHLO keywords needed: SMTPUTF8 when the parameter is sent.
            pub fn required_extensions(&self) -> &'static [&'static str] {
                if self.smtputf8 { &["SMTPUTF8"] } else { &[] }
            }

            fn render(&self) -> Vec<u8> {
                let arg = self.argument.as_str().as_bytes();
                if self.smtputf8 {
                    render($verb, &[arg, b"SMTPUTF8"])
                } else {
                    render($verb, &[arg])
                }
            }

            /// Appends the command line.
            pub fn encode(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.render());
            }
        }
    };
}

address_query!(
    /// `VRFY <string>[ SMTPUTF8]`: verify a user or mailbox (RFC 5321 §4.1.1.6).
    Vrfy,
    "VRFY"
);
address_query!(
    /// `EXPN <string>[ SMTPUTF8]`: expand a mailing list (RFC 5321 §4.1.1.7).
    Expn,
    "EXPN"
);
