//! The reply-flood memory bound on the tokio adapter: alone in its binary, so that the
//! counting allocator sees only this test (and its server thread, which allocates nothing
//! while it floods).

use smtp_tests::adapter::Tokio;
use smtp_tests::hostile::heap::{CountingAllocator, flood_stays_within_the_heap_bound};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

#[test]
fn a_1_gib_reply_line_fails_at_the_line_limit_within_256_kib_of_heap() {
    flood_stays_within_the_heap_bound::<Tokio>();
}
