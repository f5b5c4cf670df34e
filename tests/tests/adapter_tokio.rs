//! The shared adapter suite run on the tokio adapter.

use smtp_tests::adapter::Tokio;
use smtp_tests::suite;

#[test]
fn tokio_sends_one_mail_in_plaintext() {
    suite::one_mail_plaintext::<Tokio>().unwrap();
}
