//! The shared adapter suite run on the futures-io adapter (async-std).

use smtp_tests::adapter::AsyncStd;
use smtp_tests::suite;

#[test]
fn async_std_sends_one_mail_in_plaintext() {
    suite::one_mail_plaintext::<AsyncStd>().unwrap();
}
