//! Cross-crate tests for the SMTP workspace; the tests themselves live in `tests/tests/`.
