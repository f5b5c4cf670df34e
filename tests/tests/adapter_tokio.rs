//! The shared adapter suite run on the tokio adapter.

use smtp_tests::adapter::Tokio;
use smtp_tests::suite;

#[test]
fn tokio_sends_one_mail_in_plaintext() {
    suite::one_mail_plaintext::<Tokio>().unwrap();
}

#[test]
fn tokio_refuses_starttls_on_a_plaintext_connection_before_a_byte() {
    suite::starttls_without_tls_is_refused_before_a_byte::<Tokio>().unwrap();
}
