//! One typed MAIL or RCPT parameter: keyword, value, required extension.

use std::fmt;
use std::str::FromStr;

use super::auth::AuthSubmitter;
use super::error::EsmtpError;
use super::orcpt::OriginalRecipient;
use super::param::{EsmtpParam, shift};
use super::rcpt_values::{Notify, Rrvs};
use super::values::{Body, DeliverBy, FutureRelease, MtPriority, Ret};
use super::xtext::EnvId;
use crate::syntax::AddressEncoding;

/// Where a parameter's value starts in its text: after the keyword and `=`.
fn value_offset(param: &EsmtpParam) -> usize {
    param.keyword().as_str().len() + 1
}

/// A MAIL parameter this crate knows (RFC 5321 §4.1.1.2 `Mail-parameters`).
///
/// [`FromStr`] parses one `keyword[=value]`; [`fmt::Display`] writes it back
/// (with the [`AddressEncoding::Utf8`] form of an AUTH mailbox).
///
/// ```
/// use smtp_proto::syntax::esmtp::MailParameter;
/// let p: MailParameter = "body=8bitmime".parse().unwrap();
/// assert_eq!(p.to_string(), "BODY=8BITMIME");
/// assert_eq!(p.required_extensions(), ["8BITMIME"]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MailParameter {
    /// `SIZE=n`: the message size in octets (RFC 1870 §3).
    Size(u64),
    /// `BODY=...` (RFC 6152 §2, RFC 3030 §3).
    Body(Body),
    /// `SMTPUTF8` (RFC 6531 §3.4).
    SmtpUtf8,
    /// `RET=FULL|HDRS` (RFC 3461 §4.3).
    Ret(Ret),
    /// `ENVID=xtext` (RFC 3461 §4.4).
    EnvId(EnvId),
    /// `AUTH=xtext` (RFC 4954 §5).
    Auth(AuthSubmitter),
    /// `REQUIRETLS` (RFC 8689 §4.1).
    RequireTls,
    /// `MT-PRIORITY=n` (RFC 6710 §3).
    MtPriority(MtPriority),
    /// `HOLDFOR=n` or `HOLDUNTIL=date-time` (RFC 4865 §3).
    FutureRelease(FutureRelease),
    /// `BY=time;mode[T]` (RFC 2852 §4).
    DeliverBy(DeliverBy),
}

impl MailParameter {
    /// The keyword, upper-case.
    pub fn keyword(&self) -> &'static str {
        self.as_ref().keyword()
    }

    /// The EHLO keywords the server must offer before this parameter may be sent.
    ///
    /// BODY=BINARYMIME needs CHUNKING too, since such a body can only go by BDAT
    /// (RFC 3030 §3).
    pub fn required_extensions(&self) -> &'static [&'static str] {
        match self {
            MailParameter::Size(_) => &["SIZE"],
            MailParameter::Body(Body::BinaryMime) => &["BINARYMIME", "CHUNKING"],
            MailParameter::Body(_) => &["8BITMIME"],
            MailParameter::SmtpUtf8 => &["SMTPUTF8"],
            MailParameter::Ret(_) | MailParameter::EnvId(_) => &["DSN"],
            MailParameter::Auth(_) => &["AUTH"],
            MailParameter::RequireTls => &["REQUIRETLS"],
            MailParameter::MtPriority(_) => &["MT-PRIORITY"],
            MailParameter::FutureRelease(_) => &["FUTURERELEASE"],
            MailParameter::DeliverBy(_) => &["DELIVERBY"],
        }
    }

    /// Whether the parameter needs SMTPUTF8 to be sent: only `AUTH=` with a mailbox whose
    /// local part is non-ASCII ([`AuthSubmitter::needs_smtputf8`]); every other value has an
    /// ASCII form.
    pub fn needs_smtputf8(&self) -> bool {
        match self {
            MailParameter::Auth(a) => a.needs_smtputf8(),
            _ => false,
        }
    }

    /// Appends `KEYWORD[=value]`.
    pub fn write_to(&self, out: &mut Vec<u8>, enc: AddressEncoding) {
        self.as_ref().write_to(out, enc);
    }

    /// The number of octets [`MailParameter::write_to`] appends.
    pub fn encoded_len(&self, enc: AddressEncoding) -> usize {
        self.as_ref().encoded_len(enc)
    }

    /// The typed form of a raw parameter; [`EsmtpError::UnknownKeyword`] for any other.
    ///
    /// Error positions are offsets into the parameter as written (`KEYWORD=value`).
    pub fn from_param(param: &EsmtpParam) -> Result<Self, EsmtpError> {
        Self::from_param_value(param).map_err(|e| shift(e, value_offset(param)))
    }

    fn from_param_value(param: &EsmtpParam) -> Result<Self, EsmtpError> {
        let k = param.keyword();
        let v = param.value().map(|v| v.as_str());
        let need = |keyword: &'static str| v.ok_or(EsmtpError::MissingValue { keyword });
        let none = |keyword: &'static str, p: MailParameter| match v {
            Some(_) => Err(EsmtpError::UnexpectedValue { keyword }),
            None => Ok(p),
        };
        if k.is("SIZE") {
            parse_size(need("SIZE")?).map(MailParameter::Size)
        } else if k.is("BODY") {
            need("BODY")?.parse().map(MailParameter::Body)
        } else if k.is("SMTPUTF8") {
            none("SMTPUTF8", MailParameter::SmtpUtf8)
        } else if k.is("RET") {
            need("RET")?.parse().map(MailParameter::Ret)
        } else if k.is("ENVID") {
            need("ENVID")?.parse().map(MailParameter::EnvId)
        } else if k.is("AUTH") {
            need("AUTH")?.parse().map(MailParameter::Auth)
        } else if k.is("REQUIRETLS") {
            none("REQUIRETLS", MailParameter::RequireTls)
        } else if k.is("MT-PRIORITY") {
            need("MT-PRIORITY")?.parse().map(MailParameter::MtPriority)
        } else if k.is("HOLDFOR") {
            FutureRelease::parse_for(need("HOLDFOR")?).map(MailParameter::FutureRelease)
        } else if k.is("HOLDUNTIL") {
            FutureRelease::parse_until(need("HOLDUNTIL")?).map(MailParameter::FutureRelease)
        } else if k.is("BY") {
            need("BY")?.parse().map(MailParameter::DeliverBy)
        } else {
            Err(EsmtpError::UnknownKeyword {
                keyword: k.to_string(),
            })
        }
    }

    /// Whether `keyword` names one of the typed MAIL parameters.
    pub fn is_typed_keyword(keyword: &str) -> bool {
        [
            "SIZE",
            "BODY",
            "SMTPUTF8",
            "RET",
            "ENVID",
            "AUTH",
            "REQUIRETLS",
            "MT-PRIORITY",
            "HOLDFOR",
            "HOLDUNTIL",
            "BY",
        ]
        .iter()
        .any(|k| k.eq_ignore_ascii_case(keyword))
    }
}

/// `size-value = 1*20DIGIT` (RFC 1870 §3), within u64.
fn parse_size(s: &str) -> Result<u64, EsmtpError> {
    if s.is_empty() || s.len() > 20 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(EsmtpError::invalid_value(
            "SIZE",
            s,
            "not 1 to 20 decimal digits",
        ));
    }
    s.parse()
        .map_err(|_| EsmtpError::invalid_value("SIZE", s, "larger than 2^64-1"))
}

impl FromStr for MailParameter {
    type Err = EsmtpError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MailParameter::from_param(&s.parse()?)
    }
}

impl fmt::Display for MailParameter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::new();
        self.write_to(&mut out, AddressEncoding::Utf8);
        f.write_str(&String::from_utf8_lossy(&out))
    }
}

/// A RCPT parameter this crate knows (RFC 5321 §4.1.1.3 `Rcpt-parameters`).
///
/// ```
/// use smtp_proto::syntax::esmtp::RcptParameter;
/// let p: RcptParameter = "NOTIFY=FAILURE,DELAY".parse().unwrap();
/// assert_eq!(p.required_extensions(), ["DSN"]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RcptParameter {
    /// `NOTIFY=...` (RFC 3461 §4.1).
    Notify(Notify),
    /// `ORCPT=addr-type;address` (RFC 3461 §4.2, RFC 6533 §3).
    Orcpt(OriginalRecipient),
    /// `RRVS=date-time[;C|;R]` (RFC 7293 §3.1).
    Rrvs(Rrvs),
}

impl RcptParameter {
    /// The keyword, upper-case.
    pub fn keyword(&self) -> &'static str {
        self.as_ref().keyword()
    }

    /// The EHLO keywords the server must offer before this parameter may be sent.
    pub fn required_extensions(&self) -> &'static [&'static str] {
        match self {
            RcptParameter::Notify(_) | RcptParameter::Orcpt(_) => &["DSN"],
            RcptParameter::Rrvs(_) => &["RRVS"],
        }
    }

    /// Whether the parameter needs SMTPUTF8: never, ORCPT has an ASCII form.
    pub fn needs_smtputf8(&self) -> bool {
        false
    }

    /// Appends `KEYWORD=value`; `enc` picks the ORCPT `utf-8` form.
    pub fn write_to(&self, out: &mut Vec<u8>, enc: AddressEncoding) {
        self.as_ref().write_to(out, enc);
    }

    /// The number of octets [`RcptParameter::write_to`] appends.
    pub fn encoded_len(&self, enc: AddressEncoding) -> usize {
        self.as_ref().encoded_len(enc)
    }

    /// The typed form of a raw parameter; [`EsmtpError::UnknownKeyword`] for any other.
    ///
    /// Error positions are offsets into the parameter as written (`KEYWORD=value`).
    pub fn from_param(param: &EsmtpParam) -> Result<Self, EsmtpError> {
        Self::from_param_value(param).map_err(|e| shift(e, value_offset(param)))
    }

    fn from_param_value(param: &EsmtpParam) -> Result<Self, EsmtpError> {
        let k = param.keyword();
        let v = param.value().map(|v| v.as_str());
        let need = |keyword: &'static str| v.ok_or(EsmtpError::MissingValue { keyword });
        if k.is("NOTIFY") {
            need("NOTIFY")?.parse().map(RcptParameter::Notify)
        } else if k.is("ORCPT") {
            need("ORCPT")?.parse().map(RcptParameter::Orcpt)
        } else if k.is("RRVS") {
            need("RRVS")?.parse().map(RcptParameter::Rrvs)
        } else {
            Err(EsmtpError::UnknownKeyword {
                keyword: k.to_string(),
            })
        }
    }

    /// Whether `keyword` names one of the typed RCPT parameters.
    pub fn is_typed_keyword(keyword: &str) -> bool {
        ["NOTIFY", "ORCPT", "RRVS"]
            .iter()
            .any(|k| k.eq_ignore_ascii_case(keyword))
    }
}

impl FromStr for RcptParameter {
    type Err = EsmtpError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RcptParameter::from_param(&s.parse()?)
    }
}

impl fmt::Display for RcptParameter {
    /// The ASCII form (ORCPT `utf-8` addresses as `\x{HEX}`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::new();
        self.write_to(&mut out, AddressEncoding::Ascii);
        f.write_str(&String::from_utf8_lossy(&out))
    }
}
