//! The result-file importer: never panics, on any bytes; rows it accepts are well formed, and it
//! accepts only files within the limits that end with a line break, with printable names.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veedor_formats::limits::{LINE_BYTES, NAME_CHARS};

fuzz_target!(|data: &[u8]| {
    let election = common::election();
    if let Ok(file) = veedor_formats::parse_results(data, election) {
        assert!(matches!(data.last(), Some(b'\n' | b'\r')), "accepted without a final line end");
        assert!(
            data.split(|&b| b == b'\n' || b == b'\r')
                .all(|line| line.len() <= LINE_BYTES)
        );
        for row in &file.rows {
            assert_eq!(row.record.counts.values().len(), election.candidates.len());
            assert!(row.line >= 2);
            for (_, name) in &row.area_names {
                assert!(!name.chars().any(char::is_control), "{name:?}");
                assert!(name.chars().count() <= NAME_CHARS);
            }
        }
    }
});

#[path = "common.rs"]
mod common;
