//! The parameter list of MAIL, in a deterministic wire order with its line-length
//! allowances (shared helpers for RCPT too).

use std::fmt;
use std::str::FromStr;

use super::auth::AuthSubmitter;
use super::error::EsmtpError;
use super::param::{EsmtpParam, shift};
use super::param_ref::MailParamRef;
use super::parameter::MailParameter;
use super::values::{Body, DeliverBy, FutureRelease, MtPriority, Ret};
use super::xtext::EnvId;
use crate::syntax::AddressEncoding;

/// Octets each extension adds to the 512-octet MAIL line when its parameter is present.
pub mod allowance {
    /// SIZE: RFC 1870 §3 (5).
    pub const SIZE: usize = 26;
    /// BODY: 16 octets, the length of its longest form `" BODY=BINARYMIME"` (RFC 6152 §2,
    /// RFC 3030 §3).
    pub const BODY: usize = 16;
    /// SMTPUTF8: RFC 6531 §3.1 (5).
    pub const SMTPUTF8: usize = 10;
    /// RET and ENVID together on MAIL: RFC 3461 §4.
    pub const RET_ENVID: usize = 100;
    /// AUTH: RFC 4954 §5.
    pub const AUTH: usize = 500;
    /// BY: RFC 2852 §4; 17 octets is `" BY="`, a signed 9-digit time and `";RT"`.
    pub const BY: usize = 17;
    /// NOTIFY and ORCPT together on RCPT: RFC 3461 §4.
    pub const NOTIFY_ORCPT: usize = 500;
}

/// The parameters of a MAIL command (RFC 5321 §4.1.1.2).
///
/// Wire order is fixed, whatever the order of construction: SIZE, BODY, SMTPUTF8, RET,
/// ENVID, AUTH, REQUIRETLS, MT-PRIORITY, HOLDFOR/HOLDUNTIL, BY, then the extra raw
/// parameters in the order they were pushed.
///
/// The line allowance ([`MailParameters::line_allowance`]) is the sum, over the extensions
/// whose parameter is present, of the octets their RFC adds to the 512-octet limit (see
/// [`allowance`]). REQUIRETLS (RFC 8689), MT-PRIORITY (RFC 6710) and FUTURERELEASE
/// (RFC 4865) state no figure this crate relies on: each is granted exactly its own
/// length (with the separating space), so it never eats into the room of the path.
/// Extra raw parameters get no allowance.
///
/// ```
/// use smtp_proto::syntax::esmtp::{Body, MailParameters};
/// let mut p = MailParameters::new();
/// p.body = Some(Body::EightBitMime);
/// p.size = Some(1000);
/// assert_eq!(p.to_string(), "SIZE=1000 BODY=8BITMIME");
/// assert_eq!(p.line_allowance(smtp_proto::syntax::AddressEncoding::Ascii), 26 + 16);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MailParameters {
    /// `SIZE` (RFC 1870).
    pub size: Option<u64>,
    /// `BODY` (RFC 6152, RFC 3030).
    pub body: Option<Body>,
    /// `SMTPUTF8` (RFC 6531).
    pub smtputf8: bool,
    /// `RET` (RFC 3461).
    pub ret: Option<Ret>,
    /// `ENVID` (RFC 3461).
    pub envid: Option<EnvId>,
    /// `AUTH` (RFC 4954 §5).
    pub auth: Option<AuthSubmitter>,
    /// `REQUIRETLS` (RFC 8689).
    pub require_tls: bool,
    /// `MT-PRIORITY` (RFC 6710).
    pub mt_priority: Option<MtPriority>,
    /// `HOLDFOR` / `HOLDUNTIL` (RFC 4865).
    pub future_release: Option<FutureRelease>,
    /// `BY` (RFC 2852).
    pub deliver_by: Option<DeliverBy>,
    extra: Vec<EsmtpParam>,
}

impl MailParameters {
    /// No parameters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a typed parameter; [`EsmtpError::Duplicate`] if it is set already.
    pub fn insert(&mut self, param: MailParameter) -> Result<(), EsmtpError> {
        let dup = || EsmtpError::Duplicate {
            keyword: param.keyword().to_owned(),
        };
        fn set<T>(
            slot: &mut Option<T>,
            v: T,
            dup: impl Fn() -> EsmtpError,
        ) -> Result<(), EsmtpError> {
            if slot.is_some() {
                return Err(dup());
            }
            *slot = Some(v);
            Ok(())
        }
        match param.clone() {
            MailParameter::Size(n) => set(&mut self.size, n, dup),
            MailParameter::Body(b) => set(&mut self.body, b, dup),
            MailParameter::Ret(r) => set(&mut self.ret, r, dup),
            MailParameter::EnvId(e) => set(&mut self.envid, e, dup),
            MailParameter::Auth(a) => set(&mut self.auth, a, dup),
            MailParameter::MtPriority(p) => set(&mut self.mt_priority, p, dup),
            MailParameter::FutureRelease(f) => set(&mut self.future_release, f, dup),
            MailParameter::DeliverBy(b) => set(&mut self.deliver_by, b, dup),
            MailParameter::SmtpUtf8 if self.smtputf8 => Err(dup()),
            MailParameter::SmtpUtf8 => {
                self.smtputf8 = true;
                Ok(())
            }
            MailParameter::RequireTls if self.require_tls => Err(dup()),
            MailParameter::RequireTls => {
                self.require_tls = true;
                Ok(())
            }
        }
    }

    /// Adds a parameter of an extension without a typed form, written after the typed ones.
    ///
    /// Refuses a keyword that has a typed form ([`EsmtpError::ReservedKeyword`]) or that is
    /// already present ([`EsmtpError::Duplicate`]).
    pub fn push_extra(&mut self, param: EsmtpParam) -> Result<(), EsmtpError> {
        push_extra(&mut self.extra, param, MailParameter::is_typed_keyword)
    }

    /// The extra raw parameters.
    pub fn extra(&self) -> &[EsmtpParam] {
        &self.extra
    }

    /// The typed parameters present, in wire order.
    pub fn typed(&self) -> Vec<MailParameter> {
        self.typed_refs().map(MailParamRef::to_owned).collect()
    }

    /// The typed parameters present, in wire order, borrowed: what the MAIL line is
    /// written from, without a clone or an allocation.
    fn typed_refs(&self) -> impl Iterator<Item = MailParamRef<'_>> {
        [
            self.size.map(MailParamRef::Size),
            self.body.map(MailParamRef::Body),
            self.smtputf8.then_some(MailParamRef::SmtpUtf8),
            self.ret.map(MailParamRef::Ret),
            self.envid.as_ref().map(MailParamRef::EnvId),
            self.auth.as_ref().map(MailParamRef::Auth),
            self.require_tls.then_some(MailParamRef::RequireTls),
            self.mt_priority.map(MailParamRef::MtPriority),
            self.future_release
                .as_ref()
                .map(MailParamRef::FutureRelease),
            self.deliver_by.map(MailParamRef::DeliverBy),
        ]
        .into_iter()
        .flatten()
    }

    /// Whether no parameter is present.
    pub fn is_empty(&self) -> bool {
        self.typed_refs().next().is_none() && self.extra.is_empty()
    }

    /// Every EHLO keyword the present typed parameters require, without repeats.
    pub fn required_extensions(&self) -> Vec<&'static str> {
        unique_extensions(self.typed().iter().map(MailParameter::required_extensions))
    }

    /// The first EHLO keyword, in wire order, that a present typed parameter needs and
    /// `offered` says the server lacks; `None` when everything needed is offered. The
    /// client's check before MAIL: unlike [`required_extensions`](Self::required_extensions)
    /// it allocates nothing.
    pub fn first_missing_extension(&self, offered: impl Fn(&str) -> bool) -> Option<&'static str> {
        let body: &'static [&'static str] = match self.body {
            Some(Body::BinaryMime) => &["BINARYMIME", "CHUNKING"],
            Some(_) => &["8BITMIME"],
            None => &[],
        };
        let needs: [(bool, &'static [&'static str]); 9] = [
            (self.size.is_some(), &["SIZE"]),
            (true, body),
            (self.smtputf8, &["SMTPUTF8"]),
            (self.ret.is_some() || self.envid.is_some(), &["DSN"]),
            (self.auth.is_some(), &["AUTH"]),
            (self.require_tls, &["REQUIRETLS"]),
            (self.mt_priority.is_some(), &["MT-PRIORITY"]),
            (self.future_release.is_some(), &["FUTURERELEASE"]),
            (self.deliver_by.is_some(), &["DELIVERBY"]),
        ];
        needs
            .iter()
            .filter(|(present, _)| *present)
            .flat_map(|(_, keywords)| keywords.iter())
            .find(|keyword| !offered(keyword))
            .copied()
    }

    /// Whether the parameters need SMTPUTF8: an `AUTH=` mailbox with a non-ASCII local part
    /// ([`AuthSubmitter::needs_smtputf8`]) or an extra parameter carrying non-ASCII text. No
    /// other typed parameter needs it.
    pub fn needs_smtputf8(&self) -> bool {
        self.auth
            .as_ref()
            .is_some_and(AuthSubmitter::needs_smtputf8)
            || self.extra.iter().any(EsmtpParam::needs_smtputf8)
    }

    /// The octets the present parameters add to the 512-octet line limit (see the type docs).
    pub fn line_allowance(&self, enc: AddressEncoding) -> usize {
        let own = |p: MailParamRef<'_>| 1 + p.encoded_len(enc);
        let mut total = 0;
        total += self.size.map_or(0, |_| allowance::SIZE);
        total += self.body.map_or(0, |_| allowance::BODY);
        total += if self.smtputf8 {
            allowance::SMTPUTF8
        } else {
            0
        };
        total += if self.ret.is_some() || self.envid.is_some() {
            allowance::RET_ENVID
        } else {
            0
        };
        total += self.auth.as_ref().map_or(0, |_| allowance::AUTH);
        total += if self.require_tls {
            own(MailParamRef::RequireTls)
        } else {
            0
        };
        total += self
            .mt_priority
            .map_or(0, |p| own(MailParamRef::MtPriority(p)));
        total += self
            .future_release
            .as_ref()
            .map_or(0, |f| own(MailParamRef::FutureRelease(f)));
        total += self.deliver_by.map_or(0, |_| allowance::BY);
        total
    }

    /// Appends every parameter, each preceded by one space.
    pub fn write_to(&self, out: &mut Vec<u8>, enc: AddressEncoding) {
        for p in self.typed_refs() {
            out.push(b' ');
            p.write_to(out, enc);
        }
        for p in &self.extra {
            out.push(b' ');
            p.write_to(out);
        }
    }

    /// The number of octets [`MailParameters::write_to`] appends.
    pub fn encoded_len(&self, enc: AddressEncoding) -> usize {
        self.typed_refs()
            .map(|p| 1 + p.encoded_len(enc))
            .sum::<usize>()
            + self
                .extra
                .iter()
                .map(|p| 1 + p.encoded_len())
                .sum::<usize>()
    }
}

pub(super) fn push_extra(
    extra: &mut Vec<EsmtpParam>,
    param: EsmtpParam,
    is_typed: fn(&str) -> bool,
) -> Result<(), EsmtpError> {
    let keyword = param.keyword();
    if is_typed(keyword.as_str()) {
        return Err(EsmtpError::ReservedKeyword {
            keyword: keyword.to_string(),
        });
    }
    if extra.iter().any(|p| p.keyword() == keyword) {
        return Err(EsmtpError::Duplicate {
            keyword: keyword.to_string(),
        });
    }
    extra.push(param);
    Ok(())
}

/// Splits `esmtp-param *(SP esmtp-param)`, each with its offset in `s` (its syntax errors
/// are shifted there already); the empty string is the empty list.
pub(super) fn split_params(
    s: &str,
) -> impl Iterator<Item = (usize, Result<EsmtpParam, EsmtpError>)> + '_ {
    let mut next = 0;
    s.split(' ')
        .filter(move |_| !s.is_empty())
        .map(move |item| {
            let offset = next;
            next += item.len() + 1;
            (offset, item.parse().map_err(|e| shift(e, offset)))
        })
}

impl FromStr for MailParameters {
    type Err = EsmtpError;

    /// Parses space-separated parameters; typed keywords become typed parameters. Error
    /// positions are offsets into `s`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut params = MailParameters::new();
        for (offset, p) in split_params(s) {
            let p = p?;
            if MailParameter::is_typed_keyword(p.keyword().as_str()) {
                params.insert(MailParameter::from_param(&p).map_err(|e| shift(e, offset))?)?;
            } else {
                params.push_extra(p)?;
            }
        }
        Ok(params)
    }
}

impl fmt::Display for MailParameters {
    /// The parameters in wire order, separated by single spaces (no leading space).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::new();
        self.write_to(&mut out, AddressEncoding::Utf8);
        f.write_str(String::from_utf8_lossy(out.get(1..).unwrap_or_default()).as_ref())
    }
}

/// The union of the parameters' required EHLO keywords, in order, without repeats.
pub(super) fn unique_extensions<'a>(
    per_parameter: impl Iterator<Item = &'a [&'static str]>,
) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for ext in per_parameter.flatten() {
        if !out.contains(ext) {
            out.push(ext);
        }
    }
    out
}
