//! The shared adapter suite run on the blocking adapter.

use smtp_tests::adapter::Blocking;
use smtp_tests::suite;

#[test]
fn blocking_sends_one_mail_in_plaintext() {
    suite::one_mail_plaintext::<Blocking>().unwrap();
}
