//! The registry importer: never panics; every voter it accepts is found; it accepts only files
//! whose lines are within the limit and whose last line ends with a line break.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veedor_core::TableKey;
use veedor_formats::limits::REGISTRY_LINE_BYTES;

fuzz_target!(|data: &[u8]| {
    let election = common::election();
    let result = veedor_formats::parse_registry(data, election, 16, |table| {
        (table.number.get() < 5).then(|| TableKey::new(u32::from(table.number.get())))
    });
    if let Ok(registry) = result {
        assert!(matches!(data.last(), Some(b'\n' | b'\r')), "accepted without a final line end");
        assert!(
            data.split(|&b| b == b'\n' || b == b'\r')
                .all(|line| line.len() <= REGISTRY_LINE_BYTES)
        );
        for index in 0..registry.len() {
            let (voter, key) = registry.voter_at(index).expect("in range");
            assert_eq!(registry.lookup(voter), Some(key));
        }
    }
});

#[path = "common.rs"]
mod common;
