//! Log entries as `veedor verify` reads them from a mirror: never panics; what parses encodes
//! back to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veedor_formats::LogEntry;

fuzz_target!(|data: &[u8]| {
    if let Ok(entry) = LogEntry::parse(data) {
        assert_eq!(entry.encode(), data);
        let _ = entry.to_copy(9);
    }
    let _ = veedor_formats::log_entry::parse_election_entry(data);
});
