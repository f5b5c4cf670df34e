//! XCLIENT and XFORWARD, Postfix's attribute-passing commands (Postfix XCLIENT_README,
//! XFORWARD_README): `XCLIENT 1*( SP name=xtext )`.

use super::cmd::{Cmd, Step};
use super::error::CommandError;
use super::line::{check_line, validate_text};
use crate::client::{Context, ReplyKind, Session};
use crate::error::LogicError;
use crate::response::{Capability, EhloData, Response};
use crate::syntax::esmtp::encode_xtext;

/// An XCLIENT or XFORWARD attribute value.
///
/// A value is written as xtext; the two special values are written literally. A literal
/// value spelled like a special one is refused, since the server could not tell them apart.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum XattrValue {
    /// A value: not empty, no control characters; xtext-encoded on the wire.
    Value(String),
    /// `[UNAVAILABLE]`: the information is not available.
    Unavailable,
    /// `[TEMPUNAVAIL]`: the information is temporarily unavailable.
    TempUnavailable,
}

impl XattrValue {
    fn validate(&self) -> Result<(), CommandError> {
        match self {
            XattrValue::Value(v) if v.eq_ignore_ascii_case("[UNAVAILABLE]") => {
                Err(CommandError::ReservedValue {
                    value: "[UNAVAILABLE]",
                })
            }
            XattrValue::Value(v) if v.eq_ignore_ascii_case("[TEMPUNAVAIL]") => {
                Err(CommandError::ReservedValue {
                    value: "[TEMPUNAVAIL]",
                })
            }
            XattrValue::Value(v) => validate_text(v, "attribute value"),
            _ => Ok(()),
        }
    }

    fn write_to(&self, out: &mut Vec<u8>) {
        match self {
            XattrValue::Value(v) => encode_xtext(v.as_bytes(), out),
            XattrValue::Unavailable => out.extend_from_slice(b"[UNAVAILABLE]"),
            XattrValue::TempUnavailable => out.extend_from_slice(b"[TEMPUNAVAIL]"),
        }
    }
}

macro_rules! attributes {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
        }

        impl $name {
            /// The attribute name as written.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }
    };
}

attributes!(
    /// An attribute of XCLIENT.
    XclientAttribute {
        /// `NAME`: the client host name.
        Name => "NAME",
        /// `ADDR`: the client address.
        Addr => "ADDR",
        /// `PORT`: the client port.
        Port => "PORT",
        /// `PROTO`: SMTP or ESMTP.
        Proto => "PROTO",
        /// `HELO`: the HELO/EHLO argument.
        Helo => "HELO",
        /// `LOGIN`: the SASL login name.
        Login => "LOGIN",
        /// `DESTADDR`: the server address.
        DestAddr => "DESTADDR",
        /// `DESTPORT`: the server port.
        DestPort => "DESTPORT",
    }
);

attributes!(
    /// An attribute of XFORWARD.
    XforwardAttribute {
        /// `NAME`: the client host name.
        Name => "NAME",
        /// `ADDR`: the client address.
        Addr => "ADDR",
        /// `PORT`: the client port.
        Port => "PORT",
        /// `PROTO`: the protocol the client used.
        Proto => "PROTO",
        /// `HELO`: the HELO/EHLO argument.
        Helo => "HELO",
        /// `IDENT`: the local message identifier.
        Ident => "IDENT",
        /// `SOURCE`: LOCAL or REMOTE.
        Source => "SOURCE",
    }
);

/// Validates and renders `VERB name=value ...` CRLF within 512 octets.
fn build<A: Copy + PartialEq>(
    verb: &str,
    attrs: &[(A, XattrValue)],
    name: fn(A) -> &'static str,
) -> Result<Vec<u8>, CommandError> {
    if attrs.is_empty() {
        return Err(CommandError::Empty {
            what: "attribute list",
        });
    }
    let mut line = verb.as_bytes().to_vec();
    for (i, (attr, value)) in attrs.iter().enumerate() {
        if attrs.iter().take(i).any(|(a, _)| a == attr) {
            return Err(CommandError::DuplicateAttribute { name: name(*attr) });
        }
        value.validate()?;
        line.push(b' ');
        line.extend_from_slice(name(*attr).as_bytes());
        line.push(b'=');
        value.write_to(&mut line);
    }
    line.extend_from_slice(b"\r\n");
    check_line(&line, 0)?;
    Ok(line)
}

macro_rules! attribute_command {
    ($(#[$doc:meta])* $name:ident, $attr:ident, $verb:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct $name {
            line: Vec<u8>,
            attrs: Vec<($attr, XattrValue)>,
        }

        impl $name {
            /// The command; refuses an empty list, a repeated attribute, an invalid value
            /// and a line over 512 octets (send several commands instead, as the README
            /// allows).
            pub fn new(attrs: Vec<($attr, XattrValue)>) -> Result<Self, CommandError> {
                let line = build($verb, &attrs, $attr::as_str)?;
                Ok($name { line, attrs })
            }

            /// The attributes, in wire order.
            pub fn attributes(&self) -> &[($attr, XattrValue)] {
                &self.attrs
            }

            /// Appends the command line.
            pub fn encode(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.line);
            }
        }
    };
}

attribute_command!(
    /// `XCLIENT name=value ...`: override the client attributes the server sees
    /// (Postfix XCLIENT_README). Attribute values are xtext (RFC 3461 §4).
    ///
    /// ```
    /// use smtp_proto::command::{Xclient, XclientAttribute as A, XattrValue as V};
    /// let x = Xclient::new(vec![
    ///     (A::Name, V::Unavailable),
    ///     (A::Addr, V::Value("168.100.189.2".into())),
    ///     (A::Login, V::Value("wietse+x".into())),
    /// ]).unwrap();
    /// let mut out = Vec::new();
    /// x.encode(&mut out);
    /// assert_eq!(out, b"XCLIENT NAME=[UNAVAILABLE] ADDR=168.100.189.2 LOGIN=wietse+2Bx\r\n");
    /// ```
    Xclient,
    XclientAttribute,
    "XCLIENT"
);

attribute_command!(
    /// `XFORWARD name=value ...`: pass the original client attributes for logging
    /// (Postfix XFORWARD_README). Attribute values are xtext (RFC 3461 §4).
    Xforward,
    XforwardAttribute,
    "XFORWARD"
);

/// Refuses a command the server does not offer, or an attribute it does not list, before
/// a byte is written (Postfix answers an unknown attribute with 501).
fn check_offered<'s, A: Copy>(
    command: &'static str,
    capability: Capability,
    attrs: &[(A, XattrValue)],
    name: fn(A) -> &'static str,
    session: &'s Session,
    offered: fn(&'s EhloData) -> Box<dyn Iterator<Item = &'s str> + 's>,
) -> Result<(), LogicError> {
    let Some(ehlo) = session.ehlo().filter(|ehlo| ehlo.supports(capability)) else {
        return Err(LogicError::Unsupported {
            command,
            capability: capability.keyword(),
        });
    };
    for (attr, _) in attrs {
        if !offered(ehlo).any(|n| n.eq_ignore_ascii_case(name(*attr))) {
            return Err(LogicError::Unsupported {
                command,
                capability: name(*attr),
            });
        }
    }
    Ok(())
}

/// XCLIENT as a command: checked against the EHLO `XCLIENT` line (the command and each
/// attribute must be offered), then the server answers with a new greeting, `220`.
///
/// The 220 (any 2xx) starts the session over: the driver forgets the EHLO data, HELO and
/// authentication ([`Context::reset_session`]), so **EHLO must be sent again** before
/// anything else (Postfix XCLIENT_README). Chain it with [`CmdExt::then`]:
/// `xclient.then(ehlo)` runs both and yields both outputs. A refusal is
/// [`LogicError::Refused`].
///
/// [`CmdExt::then`]: super::CmdExt::then
impl Cmd for Xclient {
    type Output = Response;

    fn check(&self, session: &Session) -> Result<(), LogicError> {
        check_offered(
            "XCLIENT",
            Capability::XClient,
            self.attributes(),
            XclientAttribute::as_str,
            session,
            |ehlo| Box::new(ehlo.xclient_attributes()),
        )
    }

    fn start(&mut self, cx: &mut Context<'_>) -> Step<Response> {
        cx.command(ReplyKind::Other, |out| self.encode(out));
        Step::Continue
    }

    fn on_reply(&mut self, reply: Response, cx: &mut Context<'_>) -> Step<Response> {
        let step = Step::completion("XCLIENT", reply);
        if let Step::Done(Ok(_)) = step {
            cx.reset_session();
        }
        step
    }
}

/// XFORWARD as a command: checked against the EHLO `XFORWARD` line (the command and each
/// attribute must be offered); the server answers 250 and the session goes on.
impl Cmd for Xforward {
    type Output = Response;

    fn check(&self, session: &Session) -> Result<(), LogicError> {
        check_offered(
            "XFORWARD",
            Capability::XForward,
            self.attributes(),
            XforwardAttribute::as_str,
            session,
            |ehlo| Box::new(ehlo.xforward_attributes()),
        )
    }

    fn start(&mut self, cx: &mut Context<'_>) -> Step<Response> {
        cx.command(ReplyKind::Other, |out| self.encode(out));
        Step::Continue
    }

    fn on_reply(&mut self, reply: Response, _cx: &mut Context<'_>) -> Step<Response> {
        Step::completion("XFORWARD", reply)
    }
}
