//! Log entries as `veedor verify` reads them from a mirror: never panics; what parses encodes
//! back to the same bytes. Acta copies (versions 1 and 2), the election entry, the registry
//! entry (`veedor/registry/1`, and `/2` with lanes) with its lookup cost, and a coordinator's
//! decision (`veedor/decision/1`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use veedor_formats::{DecisionEntry, LogEntry};
use veedor_formats::lookup::{LookupKdf, RegistryEntry};

fuzz_target!(|data: &[u8]| {
    if let Ok(entry) = LogEntry::parse(data) {
        assert_eq!(entry.encode(), data);
        let _ = entry.to_copy(9);
    }
    let _ = veedor_formats::log_entry::parse_election_entry(data);
    if let Ok(entry) = RegistryEntry::parse(data) {
        assert!(RegistryEntry::is_one(data));
        assert_eq!(RegistryEntry::parse(&entry.encode()), Ok(entry));
    }
    if let Ok(entry) = DecisionEntry::parse(data, 9) {
        assert!(DecisionEntry::is_one(data));
        assert_eq!(DecisionEntry::parse(&entry.encode(9), 9), Ok(entry));
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = LookupKdf::parse(text);
    }
});
