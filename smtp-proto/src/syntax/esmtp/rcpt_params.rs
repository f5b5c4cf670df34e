//! The parameter list of RCPT, in a deterministic wire order with its line-length allowance.

use std::fmt;
use std::str::FromStr;

use super::error::EsmtpError;
use super::orcpt::OriginalRecipient;
use super::param::{EsmtpParam, shift};
use super::param_ref::RcptParamRef;
use super::parameter::RcptParameter;
use super::params::{allowance, push_extra, split_params, unique_extensions};
use super::rcpt_values::{Notify, Rrvs};
use crate::syntax::AddressEncoding;

/// The parameters of a RCPT command (RFC 5321 §4.1.1.3).
///
/// Wire order: NOTIFY, ORCPT, RRVS, then the extra raw parameters in push order. The line
/// allowance is 500 octets when NOTIFY or ORCPT is present (RFC 3461 §4) plus, for RRVS
/// (RFC 7293, no figure relied upon), its own length with the separating space.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RcptParameters {
    /// `NOTIFY` (RFC 3461 §4.1).
    pub notify: Option<Notify>,
    /// `ORCPT` (RFC 3461 §4.2).
    pub orcpt: Option<OriginalRecipient>,
    /// `RRVS` (RFC 7293).
    pub rrvs: Option<Rrvs>,
    extra: Vec<EsmtpParam>,
}

impl RcptParameters {
    /// No parameters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a typed parameter; [`EsmtpError::Duplicate`] if it is set already.
    pub fn insert(&mut self, param: RcptParameter) -> Result<(), EsmtpError> {
        let dup = EsmtpError::Duplicate {
            keyword: param.keyword().to_owned(),
        };
        match param {
            RcptParameter::Notify(_) if self.notify.is_some() => return Err(dup),
            RcptParameter::Orcpt(_) if self.orcpt.is_some() => return Err(dup),
            RcptParameter::Rrvs(_) if self.rrvs.is_some() => return Err(dup),
            RcptParameter::Notify(n) => self.notify = Some(n),
            RcptParameter::Orcpt(o) => self.orcpt = Some(o),
            RcptParameter::Rrvs(r) => self.rrvs = Some(r),
        }
        Ok(())
    }

    /// Adds a parameter of an extension without a typed form (see
    /// [`MailParameters::push_extra`](super::MailParameters::push_extra)).
    pub fn push_extra(&mut self, param: EsmtpParam) -> Result<(), EsmtpError> {
        push_extra(&mut self.extra, param, RcptParameter::is_typed_keyword)
    }

    /// The extra raw parameters.
    pub fn extra(&self) -> &[EsmtpParam] {
        &self.extra
    }

    /// The typed parameters present, in wire order.
    pub fn typed(&self) -> Vec<RcptParameter> {
        self.typed_refs().map(RcptParamRef::to_owned).collect()
    }

    /// The typed parameters present, in wire order, borrowed (no clone, no allocation).
    fn typed_refs(&self) -> impl Iterator<Item = RcptParamRef<'_>> {
        [
            self.notify.map(RcptParamRef::Notify),
            self.orcpt.as_ref().map(RcptParamRef::Orcpt),
            self.rrvs.as_ref().map(RcptParamRef::Rrvs),
        ]
        .into_iter()
        .flatten()
    }

    /// The first EHLO keyword, in wire order, that a present typed parameter needs and
    /// `offered` says the server lacks (DSN for NOTIFY and ORCPT, RRVS); allocates nothing.
    pub fn first_missing_extension(&self, offered: impl Fn(&str) -> bool) -> Option<&'static str> {
        let needs: [(bool, &'static str); 2] = [
            (self.notify.is_some() || self.orcpt.is_some(), "DSN"),
            (self.rrvs.is_some(), "RRVS"),
        ];
        needs
            .iter()
            .find(|(present, keyword)| *present && !offered(keyword))
            .map(|(_, keyword)| *keyword)
    }

    /// Whether no parameter is present.
    pub fn is_empty(&self) -> bool {
        self.typed_refs().next().is_none() && self.extra.is_empty()
    }

    /// Every EHLO keyword the present typed parameters require, without repeats.
    pub fn required_extensions(&self) -> Vec<&'static str> {
        unique_extensions(self.typed().iter().map(RcptParameter::required_extensions))
    }

    /// Whether an extra parameter carries non-ASCII text.
    pub fn needs_smtputf8(&self) -> bool {
        self.extra.iter().any(EsmtpParam::needs_smtputf8)
    }

    /// The octets the present parameters add to the 512-octet line limit.
    pub fn line_allowance(&self, enc: AddressEncoding) -> usize {
        let dsn = if self.notify.is_some() || self.orcpt.is_some() {
            allowance::NOTIFY_ORCPT
        } else {
            0
        };
        dsn + self
            .rrvs
            .as_ref()
            .map_or(0, |r| 1 + RcptParamRef::Rrvs(r).encoded_len(enc))
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

    /// The number of octets [`RcptParameters::write_to`] appends.
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

impl FromStr for RcptParameters {
    type Err = EsmtpError;

    /// Parses space-separated parameters; typed keywords become typed parameters. Error
    /// positions are offsets into `s`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut params = RcptParameters::new();
        for (offset, p) in split_params(s) {
            let p = p?;
            if RcptParameter::is_typed_keyword(p.keyword().as_str()) {
                params.insert(RcptParameter::from_param(&p).map_err(|e| shift(e, offset))?)?;
            } else {
                params.push_extra(p)?;
            }
        }
        Ok(params)
    }
}

impl fmt::Display for RcptParameters {
    /// The parameters in wire order (ASCII ORCPT form), separated by single spaces.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::new();
        self.write_to(&mut out, AddressEncoding::Ascii);
        f.write_str(String::from_utf8_lossy(out.get(1..).unwrap_or_default()).as_ref())
    }
}
