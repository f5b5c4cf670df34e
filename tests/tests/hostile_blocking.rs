//! The hostile-server suite (SECURITY.md) over real loopback sockets, on the blocking adapter.

use smtp_tests::adapter::Blocking;

smtp_tests::hostile_suite!(Blocking);
