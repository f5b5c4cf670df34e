//! An in-process loopback SMTP and LMTP server for tests (feature `test-server`).
