//! The envelope: who the mail is from and to, with the caller's ESMTP parameters.

use vec1::Vec1;

use crate::command::{Mail, Rcpt};
use crate::syntax::esmtp::{MailParameters, RcptParameters};
use crate::syntax::{ForwardPath, ReversePath};

/// The reverse path, at least one forward path, and their ESMTP parameters
/// (RFC 5321 §2.3.1).
///
/// The client adds what it derives from the body and the server (`SIZE`, `BODY`,
/// `SMTPUTF8`) itself; every other parameter set here (DSN's `RET`/`ENVID`/`NOTIFY`/`ORCPT`,
/// `REQUIRETLS`, `MT-PRIORITY`, `HOLDFOR`/`HOLDUNTIL`, `BY`, `RRVS`) is sent only if the
/// server offers its extension, and is otherwise an error before a byte is written, never
/// silently dropped.
///
/// ```
/// use smtp_proto::command::Envelope;
///
/// let envelope = Envelope::new(
///     "<sender@example.org>".parse()?,
///     ["<a@example.net>".parse()?, "<b@example.net>".parse()?],
/// )?;
/// assert_eq!(envelope.recipients().len(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    pub(crate) mail: Mail,
    pub(crate) recipients: Vec1<Rcpt>,
}

/// An envelope needs at least one recipient.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("an envelope needs at least one recipient")]
pub struct NoRecipients;

impl Envelope {
    /// An envelope without parameters.
    pub fn new(
        from: ReversePath,
        to: impl IntoIterator<Item = ForwardPath>,
    ) -> Result<Self, NoRecipients> {
        let recipients: Vec<Rcpt> = to
            .into_iter()
            .map(|path| Rcpt::new(path, RcptParameters::new()))
            .collect();
        Ok(Self {
            mail: Mail::new(from, MailParameters::new()),
            recipients: Vec1::try_from_vec(recipients).map_err(|_| NoRecipients)?,
        })
    }

    /// An envelope from prepared commands, each with its own parameters.
    pub fn from_commands(mail: Mail, recipients: Vec1<Rcpt>) -> Self {
        Self { mail, recipients }
    }

    /// Sets the MAIL parameters. `SIZE` and `BODY` are decided by the client from the
    /// body; `SMTPUTF8` set here is kept (set it for a message with UTF-8 header fields,
    /// RFC 6532), and added by the client when an address needs it.
    pub fn with_mail_parameters(mut self, params: MailParameters) -> Self {
        self.mail = Mail::new(self.mail.reverse_path().clone(), params);
        self
    }

    /// Adds a recipient with its parameters.
    pub fn push_recipient(&mut self, path: ForwardPath, params: RcptParameters) {
        self.recipients.push(Rcpt::new(path, params));
    }

    /// The reverse path.
    pub fn from(&self) -> &ReversePath {
        self.mail.reverse_path()
    }

    /// The MAIL command as the caller set it up.
    pub fn mail(&self) -> &Mail {
        &self.mail
    }

    /// The recipients, in order.
    pub fn recipients(&self) -> &[Rcpt] {
        &self.recipients
    }
}
