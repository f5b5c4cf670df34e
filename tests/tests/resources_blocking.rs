//! File descriptors after every kind of failure, on the blocking adapter: 200 failures each,
//! `/proc/self/fd` counted before and after (`smtp_tests::resources`).

use smtp_tests::adapter::Blocking;

smtp_tests::resources_suite!(Blocking, [
    connect_refused => ConnectRefused,
    connect_timeout => ConnectTimeout,
    tls_handshake_fails => TlsHandshakeFails,
    tls_handshake_timeout => TlsHandshakeTimeout,
    greeting_timeout => GreetingTimeout,
    starttls_refused => StartTlsRefused,
    fatal_mid_mail => FatalMidMail,
    panicking_body_reader => PanickingBodyReader,
]);
