//! ESMTP parameters: keywords, values and raw parameters (RFC 5321 §4.1.2), xtext
//! (RFC 3461 §4), and the typed parameters of MAIL and RCPT with their wire order,
//! line-length allowances and required extensions.
//!
//! Every type validates at construction (`FromStr` / `TryFrom`, precise [`EsmtpError`]s),
//! knows whether it needs SMTPUTF8, and displays in a form that parses back to the same
//! value. The `from_unchecked` constructors skip the grammar but still refuse control
//! characters, so no CR, LF or NUL can reach a command line through them.

mod auth;
mod datetime;
mod error;
mod keyword;
mod orcpt;
mod param;
mod param_ref;
mod parameter;
mod params;
mod rcpt_params;
mod rcpt_values;
mod value;
mod values;
mod xtext;

pub use auth::AuthSubmitter;
pub use datetime::DateTime;
pub use error::EsmtpError;
pub use keyword::EsmtpKeyword;
pub use orcpt::{ORCPT_MAX_LEN, OriginalRecipient};
pub use param::EsmtpParam;
pub use parameter::{MailParameter, RcptParameter};
pub use params::{MailParameters, allowance};
pub use rcpt_params::RcptParameters;
pub use rcpt_values::{Notify, NotifyOn, Rrvs, RrvsAction};
pub use value::EsmtpValue;
pub use values::{Body, ByMode, DeliverBy, FutureRelease, HoldFor, MtPriority, Ret};
pub use xtext::{ENVID_MAX_LEN, EnvId, decode_xtext, encode_xtext, is_xchar, xtext_encoded_len};
