//! The registry importer: never panics; every voter it accepts is found.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veedor_core::TableKey;

fuzz_target!(|data: &[u8]| {
    let election = common::election();
    let result = veedor_formats::parse_registry(data, election, 16, |table| {
        (table.number.get() < 5).then(|| TableKey::new(u32::from(table.number.get())))
    });
    if let Ok(registry) = result {
        for index in 0..registry.len() {
            let (voter, key) = registry.voter_at(index).expect("in range");
            assert_eq!(registry.lookup(voter), Some(key));
        }
    }
});

#[path = "common.rs"]
mod common;
