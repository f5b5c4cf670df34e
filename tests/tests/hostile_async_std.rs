//! The hostile-server suite (SECURITY.md) over real loopback sockets, on the async_std adapter.

use smtp_tests::adapter::AsyncStd;

smtp_tests::hostile_suite!(AsyncStd);
