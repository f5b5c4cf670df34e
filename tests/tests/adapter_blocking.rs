//! The shared adapter suite run on the blocking adapter.

use smtp_tests::adapter::Blocking;
use smtp_tests::suite;

#[test]
fn blocking_sends_one_mail_in_plaintext() {
    suite::one_mail_plaintext::<Blocking>().unwrap();
}

#[test]
fn blocking_refuses_starttls_on_a_plaintext_connection_before_a_byte() {
    suite::starttls_without_tls_is_refused_before_a_byte::<Blocking>().unwrap();
}
