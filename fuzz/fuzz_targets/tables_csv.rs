//! The table-list importer: never panics; it accepts only files within the limits that end with
//! a line break, with printable names.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veedor_formats::limits::{LINE_BYTES, NAME_CHARS};

fuzz_target!(|data: &[u8]| {
    if let Ok(rows) = veedor_formats::parse_tables(data, common::election()) {
        assert!(matches!(data.last(), Some(b'\n' | b'\r')), "accepted without a final line end");
        assert!(
            data.split(|&b| b == b'\n' || b == b'\r')
                .all(|line| line.len() <= LINE_BYTES)
        );
        for row in &rows {
            for (_, name) in &row.area_names {
                assert!(!name.chars().any(char::is_control), "{name:?}");
                assert!(name.chars().count() <= NAME_CHARS);
            }
        }
    }
});

#[path = "common.rs"]
mod common;
