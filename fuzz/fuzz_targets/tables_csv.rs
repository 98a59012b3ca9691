//! The table-list importer: never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = veedor_formats::parse_tables(data, common::election());
});

#[path = "common.rs"]
mod common;
