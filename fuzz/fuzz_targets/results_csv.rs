//! The result-file importer: never panics, on any bytes; rows it accepts are well formed, and it
//! accepts only files within the limits that end with a line break, with printable names, and
//! declared counts only of the sheet's model (for the Venezuelan election and the made-up one).
#![no_main]

use libfuzzer_sys::fuzz_target;
use veedor_formats::limits::{LINE_BYTES, NAME_CHARS};

fuzz_target!(|data: &[u8]| {
    for election in [common::election(), common::ruritania()] {
        check(data, election);
    }
});

fn check(data: &[u8], election: &veedor_core::Election) {
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
            for (id, _) in &row.record.declared_counts {
                assert!(election.sheet.count_index(id).is_some(), "{id}");
            }
        }
    }
}

#[path = "common.rs"]
mod common;
