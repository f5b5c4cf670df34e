//! The AUTH exchange of a [`Server`] (RFC 4954 §4): challenges, responses, credentials.

use super::super::event::{Event, Output};
use super::super::sasl::{
    SaslCredentials, SaslError, SaslMechanism, decode_plain, decode_response, decode_xoauth2,
    login_text,
};
use super::{Awaiting, Mode, SaslStep, Server};

impl Server {
    pub(super) fn auth_start(&mut self, mechanism: SaslMechanism, initial: Option<Vec<u8>>) {
        let (step, challenge): (SaslStep, &[u8]) = match (mechanism, initial) {
            (SaslMechanism::Plain, Some(blob)) => return self.credentials(decode_plain(&blob)),
            (SaslMechanism::XOAuth2, Some(blob)) => return self.credentials(decode_xoauth2(&blob)),
            (SaslMechanism::Login, Some(user)) => match login_text(user) {
                Ok(user) => (SaslStep::LoginPassword(user), b"334 UGFzc3dvcmQ6\r\n"),
                Err(e) => return self.refuse_line(e.into()),
            },
            (SaslMechanism::Plain, None) => (SaslStep::Plain, b"334 \r\n"),
            (SaslMechanism::XOAuth2, None) => (SaslStep::XOAuth2, b"334 \r\n"),
            (SaslMechanism::Login, None) => (SaslStep::LoginUser, b"334 VXNlcm5hbWU6\r\n"),
        };
        self.queue.push_back(Output::Transmit(challenge.to_vec()));
        self.mode = Mode::Sasl(step);
    }

    pub(super) fn sasl_response(&mut self, step: SaslStep, line: &[u8]) {
        let blob = match std::str::from_utf8(line)
            .map_err(|_| SaslError::Base64)
            .and_then(decode_response)
        {
            Ok(blob) => blob,
            Err(e) => return self.refuse_line(e.into()),
        };
        match step {
            SaslStep::Plain => self.credentials(decode_plain(&blob)),
            SaslStep::XOAuth2 => self.credentials(decode_xoauth2(&blob)),
            SaslStep::LoginUser => match login_text(blob) {
                Ok(user) => {
                    self.queue
                        .push_back(Output::Transmit(b"334 UGFzc3dvcmQ6\r\n".to_vec()));
                    self.mode = Mode::Sasl(SaslStep::LoginPassword(user));
                }
                Err(e) => self.refuse_line(e.into()),
            },
            SaslStep::LoginPassword(username) => {
                self.credentials(login_text(blob).map(|password| SaslCredentials::Password {
                    mechanism: SaslMechanism::Login,
                    authzid: String::new(),
                    username,
                    password: password.into(),
                }))
            }
        }
    }

    pub(super) fn credentials(&mut self, creds: Result<SaslCredentials, SaslError>) {
        match creds {
            Ok(creds) => self.emit(Event::Authenticate(creds), Awaiting::Other),
            Err(e) => self.refuse_line(e.into()),
        }
    }
}
