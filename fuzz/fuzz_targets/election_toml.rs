//! The election file: never panics; what it accepts fits the log's first entry and has
//! printable names.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veedor_formats::limits::{ELECTION_FILE_BYTES, NAME_CHARS};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(election) = veedor_formats::parse_election(text) {
            assert!(text.len() <= ELECTION_FILE_BYTES);
            for candidate in &election.candidates {
                assert!(!candidate.name.chars().any(char::is_control));
                assert!(candidate.name.chars().count() <= NAME_CHARS);
            }
        }
    }
});
