//! The AUTH settings of a [`TestServerBuilder`]: users, tokens, mechanisms, TLS rules.

use smtp_proto::server::SaslMechanism;

use super::TestServerBuilder;

impl TestServerBuilder {
    /// Accepts this user and password (RFC 4954) with AUTH PLAIN and LOGIN, and with
    /// CRAM-MD5 and SCRAM-SHA-256 when [`mechanisms`](Self::mechanisms) offers them; may
    /// be called for several users, and for one user several times (any of the passwords
    /// is accepted; SCRAM, whose keys come from one password, uses the first). AUTH is
    /// offered only under TLS unless
    /// [`allow_plaintext_auth`](Self::allow_plaintext_auth).
    pub fn auth(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.passwords.push((user.into(), password.into()));
        self
    }

    /// Accepts this user and bearer token with AUTH XOAUTH2 (and OAUTHBEARER, when
    /// offered). A wrong token gets Google's error challenge,
    /// `334 {"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}` in
    /// base64; after the client's empty answer, `535 5.7.8`
    /// ([`AuthRecord::error_answered`](crate::test_server::AuthRecord::error_answered) says whether
    /// it answered).
    pub fn xoauth2(mut self, user: impl Into<String>, token: impl Into<String>) -> Self {
        self.tokens.push((user.into(), token.into()));
        self.bearer.push(SaslMechanism::XOAuth2);
        self
    }

    /// Accepts this user (the GS2 authorization identity, or none) and bearer token with
    /// AUTH OAUTHBEARER (RFC 7628), and with XOAUTH2 when offered. A wrong token gets the
    /// error challenge (`{"status":"invalid_token",...}`, RFC 7628 §3.2.2); after the
    /// client's `^A` answer, `535 5.7.8`.
    pub fn oauthbearer(mut self, user: impl Into<String>, token: impl Into<String>) -> Self {
        self.tokens.push((user.into(), token.into()));
        self.bearer.push(SaslMechanism::OAuthBearer);
        self
    }

    /// Offers exactly these AUTH mechanisms, in this order, instead of the defaults (see
    /// the type's docs): for example `[SaslMechanism::ScramSha256, SaslMechanism::Plain]`.
    /// Passwords serve PLAIN, LOGIN, CRAM-MD5 and SCRAM-SHA-256 (salted and iterated 4096
    /// times, RFC 7677 §4), tokens XOAUTH2 and OAUTHBEARER. A mechanism this build of
    /// `smtp-proto` lacks (its features `sasl-cram-md5`, `sasl-scram`) makes
    /// [`spawn`](Self::spawn) fail.
    ///
    /// ```
    /// use smtp_proto::auth::{Credentials, Mechanism};
    /// use smtp_proto::server::SaslMechanism;
    /// use smtp_tokio::test_server::TestServer;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let server = TestServer::builder()
    ///     .implicit_tls(true)
    ///     .auth("app", "secret")
    ///     .mechanisms([SaslMechanism::ScramSha256, SaslMechanism::CramMd5])
    ///     .spawn()
    ///     .await?;
    /// let config = server
    ///     .client_config()
    ///     .credentials(Credentials::password("app", "secret"))
    ///     .build()?;
    /// let connection = smtp_tokio::Connection::connect(&config).await?;
    /// // The client's default preference picks SCRAM, and verified the server's signature.
    /// let established = connection.established().unwrap();
    /// assert_eq!(established.authenticated, Some(Mechanism::ScramSha256));
    /// connection.quit().await?;
    /// let record = &server.sessions()[0].auth[0];
    /// assert_eq!((record.mechanism, record.user.as_str()), (SaslMechanism::ScramSha256, "app"));
    /// # Ok(())
    /// # }
    /// ```
    pub fn mechanisms(mut self, mechanisms: impl IntoIterator<Item = SaslMechanism>) -> Self {
        self.mechanisms = Some(mechanisms.into_iter().collect());
        self
    }

    /// Offers and accepts AUTH without TLS (default off: 538 5.7.11, RFC 4954 §4).
    pub fn allow_plaintext_auth(mut self, on: bool) -> Self {
        self.allow_plaintext_auth = on;
        self
    }

    /// Refuses MAIL before a successful AUTH with `530 5.7.0` (RFC 4954 §6).
    pub fn require_auth(mut self, on: bool) -> Self {
        self.require_auth = on;
        self
    }
}
