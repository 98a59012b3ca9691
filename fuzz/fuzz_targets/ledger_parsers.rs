//! What a mirror feeds `veedor verify`: checkpoints, signed notes, key strings, tile paths and
//! entry bundles. Never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veedor_ledger::{Checkpoint, TilePath, VerifierKey, decode_entry_bundle};

const KEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = Checkpoint::parse(&text);
    let _ = VerifierKey::parse(&text);
    if let Ok(key) = VerifierKey::parse(KEY) {
        let _ = key.verify(&text);
    }
    if let Ok(path) = TilePath::parse(&text) {
        assert_eq!(TilePath::parse(&path.to_string()).ok(), Some(path));
    }
    for width in [1u16, 17, 256] {
        if let Ok(path) = TilePath::entry_bundle(0, width) {
            let _ = decode_entry_bundle(&path, data);
        }
    }
});
