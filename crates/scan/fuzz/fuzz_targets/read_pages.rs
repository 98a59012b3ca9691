//! Arbitrary bytes into `read_pages`: pages or an error, never a panic, never unbounded memory.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veedor_scan::{Limits, read_pages};

fuzz_target!(|bytes: &[u8]| {
    // Small limits keep each run fast and make the memory bound part of what is tested.
    let limits = Limits {
        max_side: 4_000,
        max_decoded_bytes: 64 * 1024 * 1024,
        max_pages: 8,
        ..Limits::default()
    };
    let _ = read_pages(bytes, &limits);
});
