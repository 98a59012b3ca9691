//! The result-file importer: never panics, on any bytes; rows it accepts are well formed.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let election = common::election();
    if let Ok(file) = veedor_formats::parse_results(data, election) {
        for row in &file.rows {
            assert_eq!(row.record.counts.values().len(), election.candidates.len());
            assert!(row.line >= 2);
        }
    }
});

#[path = "common.rs"]
mod common;
