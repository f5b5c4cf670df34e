//! The hostile-server suite (SECURITY.md) over real loopback sockets, on the tokio adapter.

use smtp_tests::adapter::Tokio;

smtp_tests::hostile_suite!(Tokio);
