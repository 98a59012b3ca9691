//! The parsers take untrusted text from mirrors and files: they must return
//! an error, never panic, and what they accept must print back the same.

use proptest::prelude::*;
use veedor_ledger::{Checkpoint, SignerKey, TilePath, VerifierKey, decode_entry_bundle};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn tile_paths(text in "(tile/)?((entries|[0-9x]{1,3})/)?([0-9x]{1,4}/){0,3}[0-9]{0,4}(\\.p/[0-9]{0,4})?") {
        if let Ok(path) = TilePath::parse(&text) {
            prop_assert_eq!(path.to_string(), text);
        }
    }

    #[test]
    fn checkpoints(text in "[a-z/.+]{0,8}\n?[0-9]{0,3}\n?[A-Za-z0-9+/=]{0,46}\n?(.{0,4}\n)?") {
        if let Ok(checkpoint) = Checkpoint::parse(&text) {
            prop_assert_eq!(checkpoint.to_text(), text);
        }
    }

    #[test]
    fn notes(body in "\\PC{0,40}", separator in "\n{0,3}", lines in "((\u{2014} )?[A-Za-z+ ]{0,6} ?[A-Za-z0-9+/=]{0,12}\n?){0,3}") {
        let verifier = SignerKey::generate([3; 32], "k").map(|key| key.verifier_key());
        prop_assert!(verifier.is_ok());
        if let Ok(verifier) = verifier {
            let note = format!("{body}{separator}{lines}");
            // Random signatures never verify; the parser must just not panic.
            prop_assert!(verifier.verify_text(&note).is_err());
        }
    }

    #[test]
    fn keys(text in "(PRIVATE\\+KEY\\+)?[A-Za-z ]{0,6}\\+?[0-9a-f]{0,9}\\+?[A-Za-z0-9+/=]{0,48}") {
        if let Ok(key) = VerifierKey::parse(&text) {
            prop_assert_eq!(key.to_string(), text.clone());
        }
        if let Ok(key) = SignerKey::parse(&text) {
            prop_assert_eq!(key.to_key_string(), text);
        }
    }

    #[test]
    fn entry_bundles(bytes in proptest::collection::vec(any::<u8>(), 0..64), width in 1u16..=256) {
        let path = TilePath::entry_bundle(0, width);
        prop_assert!(path.is_ok());
        if let Ok(path) = path
            && let Ok(entries) = decode_entry_bundle(&path, &bytes)
        {
            prop_assert_eq!(entries.len(), usize::from(width));
            prop_assert_eq!(veedor_ledger::encode_entry_bundle(&entries).ok(), Some(bytes));
        }
    }
}
