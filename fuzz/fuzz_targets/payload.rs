//! The QR payload codecs (Venezuela's, and Brazil's reports through a payload file): never panic; whatever parses writes back byte for byte. A payload file
//! is accepted only when its last line ends with a line break.
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
    for election in [common::election(), common::brazil()] {
        if veedor_formats::parse_payload_lines(data, election).is_ok() {
            assert!(matches!(data.last(), Some(b'\n' | b'\r')), "accepted without a final line end");
        }
    }
});

#[path = "common.rs"]
mod common;
