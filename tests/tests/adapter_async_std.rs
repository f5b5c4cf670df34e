//! The shared adapter suite run on the futures-io adapter (async-std).

use smtp_tests::adapter::AsyncStd;
use smtp_tests::suite;

#[test]
fn async_std_sends_one_mail_in_plaintext() {
    suite::one_mail_plaintext::<AsyncStd>().unwrap();
}

#[test]
fn async_std_refuses_starttls_on_a_plaintext_connection_before_a_byte() {
    suite::starttls_without_tls_is_refused_before_a_byte::<AsyncStd>().unwrap();
}
