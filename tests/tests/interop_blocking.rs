//! The interop suite (tests/src/interop) against the real servers of tests/servers, on the
//! blocking adapter. Skips without `SMTP_TEST_SERVERS`; fails then if `SMTP_REQUIRE_SERVERS=1`.

smtp_tests::interop_tests!(smtp_tests::adapter::Blocking);
