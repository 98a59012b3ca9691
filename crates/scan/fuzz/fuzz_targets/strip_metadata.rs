//! Arbitrary bytes into `strip_metadata` (what every published scan goes through): a stripped
//! file or an error, never a panic; and what it accepts it accepts again unchanged, since a
//! stripped file that would lose more on a second pass still carried something.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veedor_scan::{Limits, strip_metadata};

fuzz_target!(|bytes: &[u8]| {
    let limits = Limits {
        max_side: 4_000,
        max_decoded_bytes: 64 * 1024 * 1024,
        max_pages: 8,
        ..Limits::default()
    };
    if let Ok(stripped) = strip_metadata(bytes, &limits) {
        let again = strip_metadata(&stripped, &limits);
        assert_eq!(again.as_deref().ok(), Some(stripped.as_slice()), "stripping is idempotent");
    }
});
