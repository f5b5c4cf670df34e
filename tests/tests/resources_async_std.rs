//! File descriptors after every kind of failure, on the async_std adapter: 200 failures each,
//! `/proc/self/fd` counted before and after (`smtp_tests::resources`).

use smtp_tests::adapter::AsyncStd;

smtp_tests::resources_suite!(AsyncStd, [
    connect_refused => ConnectRefused,
    connect_timeout => ConnectTimeout,
    tls_handshake_fails => TlsHandshakeFails,
    tls_handshake_timeout => TlsHandshakeTimeout,
    greeting_timeout => GreetingTimeout,
    starttls_refused => StartTlsRefused,
    fatal_mid_mail => FatalMidMail,
    dropped_while_reading => DroppedWhileReading,
    dropped_while_writing => DroppedWhileWriting,
    panicking_body_reader => PanickingBodyReader,
]);
