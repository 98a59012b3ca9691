//! The QR payload codec: never panics; whatever parses writes back byte for byte.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veedor_formats::Ve2024Payload;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(payload) = Ve2024Payload::parse(text) {
            assert_eq!(payload.to_string(), text);
            assert_eq!(Ve2024Payload::from_record(&payload.to_record()), Some(payload));
        }
    }
    let _ = veedor_formats::parse_payload_lines(data, common::election());
});

#[path = "common.rs"]
mod common;
