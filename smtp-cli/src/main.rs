//! The `smtp` command (contract: the workspace's CLI design). Placeholder until its issue.

fn main() {}
