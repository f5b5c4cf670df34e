//! MAIL and RCPT parameters borrowed from their [`MailParameters`](super::MailParameters)
//! and [`RcptParameters`](super::RcptParameters), so that a MAIL or RCPT line is written
//! and measured without cloning a value or allocating.

use std::fmt::{self, Write as _};

use super::auth::AuthSubmitter;
use super::orcpt::OriginalRecipient;
use super::parameter::{MailParameter, RcptParameter};
use super::rcpt_values::{Notify, Rrvs};
use super::values::{Body, DeliverBy, FutureRelease, MtPriority, Ret};
use super::xtext::EnvId;
use crate::syntax::AddressEncoding;
use crate::syntax::address_literal::{Counter, VecWriter};

/// [`MailParameter`] by reference: the same variants, the values borrowed.
#[derive(Clone, Copy, Debug)]
pub(super) enum MailParamRef<'a> {
    Size(u64),
    Body(Body),
    SmtpUtf8,
    Ret(Ret),
    EnvId(&'a EnvId),
    Auth(&'a AuthSubmitter),
    RequireTls,
    MtPriority(MtPriority),
    FutureRelease(&'a FutureRelease),
    DeliverBy(DeliverBy),
}

impl MailParamRef<'_> {
    /// The keyword, upper-case.
    pub(super) fn keyword(self) -> &'static str {
        match self {
            Self::Size(_) => "SIZE",
            Self::Body(_) => "BODY",
            Self::SmtpUtf8 => "SMTPUTF8",
            Self::Ret(_) => "RET",
            Self::EnvId(_) => "ENVID",
            Self::Auth(_) => "AUTH",
            Self::RequireTls => "REQUIRETLS",
            Self::MtPriority(_) => "MT-PRIORITY",
            Self::FutureRelease(f) => f.keyword(),
            Self::DeliverBy(_) => "BY",
        }
    }

    /// Appends `KEYWORD[=value]`.
    pub(super) fn write_to(self, out: &mut Vec<u8>, enc: AddressEncoding) {
        out.extend_from_slice(self.keyword().as_bytes());
        match self {
            Self::SmtpUtf8 | Self::RequireTls => {}
            Self::EnvId(e) => {
                out.push(b'=');
                e.write_to(out);
            }
            Self::Auth(a) => {
                out.push(b'=');
                a.write_to(out, enc);
            }
            _ => {
                out.push(b'=');
                // Writing into a `Vec` cannot fail.
                let _ = self.write_plain_value(&mut VecWriter(out));
            }
        }
    }

    /// The number of octets [`write_to`](Self::write_to) appends.
    pub(super) fn encoded_len(self, enc: AddressEncoding) -> usize {
        let value = match self {
            Self::SmtpUtf8 | Self::RequireTls => return self.keyword().len(),
            Self::EnvId(e) => e.encoded_len(),
            Self::Auth(a) => a.encoded_len(enc),
            _ => {
                let mut count = Counter(0);
                // Counting cannot fail.
                let _ = self.write_plain_value(&mut count);
                count.0
            }
        };
        self.keyword().len() + 1 + value
    }

    /// Writes a value that needs no encoding: numbers, keywords, times.
    fn write_plain_value(self, w: &mut impl fmt::Write) -> fmt::Result {
        match self {
            Self::Size(n) => write!(w, "{n}"),
            Self::Body(b) => w.write_str(b.as_str()),
            Self::Ret(r) => w.write_str(r.as_str()),
            Self::MtPriority(p) => write!(w, "{p}"),
            Self::FutureRelease(f) => write!(w, "{f}"),
            Self::DeliverBy(b) => write!(w, "{b}"),
            Self::SmtpUtf8 | Self::RequireTls | Self::EnvId(_) | Self::Auth(_) => Ok(()),
        }
    }

    /// The owned parameter.
    pub(super) fn to_owned(self) -> MailParameter {
        match self {
            Self::Size(n) => MailParameter::Size(n),
            Self::Body(b) => MailParameter::Body(b),
            Self::SmtpUtf8 => MailParameter::SmtpUtf8,
            Self::Ret(r) => MailParameter::Ret(r),
            Self::EnvId(e) => MailParameter::EnvId(e.clone()),
            Self::Auth(a) => MailParameter::Auth(a.clone()),
            Self::RequireTls => MailParameter::RequireTls,
            Self::MtPriority(p) => MailParameter::MtPriority(p),
            Self::FutureRelease(f) => MailParameter::FutureRelease(f.clone()),
            Self::DeliverBy(b) => MailParameter::DeliverBy(b),
        }
    }
}

impl MailParameter {
    /// The parameter by reference.
    pub(super) fn as_ref(&self) -> MailParamRef<'_> {
        match self {
            Self::Size(n) => MailParamRef::Size(*n),
            Self::Body(b) => MailParamRef::Body(*b),
            Self::SmtpUtf8 => MailParamRef::SmtpUtf8,
            Self::Ret(r) => MailParamRef::Ret(*r),
            Self::EnvId(e) => MailParamRef::EnvId(e),
            Self::Auth(a) => MailParamRef::Auth(a),
            Self::RequireTls => MailParamRef::RequireTls,
            Self::MtPriority(p) => MailParamRef::MtPriority(*p),
            Self::FutureRelease(f) => MailParamRef::FutureRelease(f),
            Self::DeliverBy(b) => MailParamRef::DeliverBy(*b),
        }
    }
}

/// [`RcptParameter`] by reference.
#[derive(Clone, Copy, Debug)]
pub(super) enum RcptParamRef<'a> {
    Notify(Notify),
    Orcpt(&'a OriginalRecipient),
    Rrvs(&'a Rrvs),
}

impl RcptParamRef<'_> {
    /// The keyword, upper-case.
    pub(super) fn keyword(self) -> &'static str {
        match self {
            Self::Notify(_) => "NOTIFY",
            Self::Orcpt(_) => "ORCPT",
            Self::Rrvs(_) => "RRVS",
        }
    }

    /// Appends `KEYWORD=value`; `enc` picks the ORCPT `utf-8` form.
    pub(super) fn write_to(self, out: &mut Vec<u8>, enc: AddressEncoding) {
        out.extend_from_slice(self.keyword().as_bytes());
        out.push(b'=');
        // Writing into a `Vec` cannot fail.
        let _ = match self {
            Self::Notify(n) => write!(VecWriter(out), "{n}"),
            Self::Orcpt(o) => {
                o.write_to(out, enc);
                Ok(())
            }
            Self::Rrvs(r) => write!(VecWriter(out), "{r}"),
        };
    }

    /// The number of octets [`write_to`](Self::write_to) appends.
    pub(super) fn encoded_len(self, enc: AddressEncoding) -> usize {
        let mut count = Counter(0);
        // Counting cannot fail.
        let _ = match self {
            Self::Notify(n) => write!(count, "{n}"),
            Self::Orcpt(o) => {
                count.0 = o.encoded_len(enc);
                Ok(())
            }
            Self::Rrvs(r) => write!(count, "{r}"),
        };
        self.keyword().len() + 1 + count.0
    }

    /// The owned parameter.
    pub(super) fn to_owned(self) -> RcptParameter {
        match self {
            Self::Notify(n) => RcptParameter::Notify(n),
            Self::Orcpt(o) => RcptParameter::Orcpt(o.clone()),
            Self::Rrvs(r) => RcptParameter::Rrvs(r.clone()),
        }
    }
}

impl RcptParameter {
    /// The parameter by reference.
    pub(super) fn as_ref(&self) -> RcptParamRef<'_> {
        match self {
            Self::Notify(n) => RcptParamRef::Notify(*n),
            Self::Orcpt(o) => RcptParamRef::Orcpt(o),
            Self::Rrvs(r) => RcptParamRef::Rrvs(r),
        }
    }
}
