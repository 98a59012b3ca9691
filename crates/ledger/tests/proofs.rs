//! Property tests: every proof the log generates verifies, and a corrupted
//! one does not.

use std::sync::OnceLock;

use proptest::prelude::*;
use veedor_ledger::{Hash, MerkleLog, leaf_hash, verify_consistency, verify_inclusion};

/// Large enough to cross two tile boundaries (256, 512).
const LOG_SIZE: u64 = 700;

fn log() -> &'static MerkleLog {
    static LOG: OnceLock<MerkleLog> = OnceLock::new();
    LOG.get_or_init(|| crate::support::log_of(LOG_SIZE).1)
}

fn flip(path: &[Hash], position: usize, bit: u8) -> Vec<Hash> {
    let mut wrong = path.to_vec();
    let hash = &mut wrong[position % path.len()];
    hash.0[usize::from(bit) % 32] ^= 1 << (bit % 8);
    wrong
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn inclusion_proofs_verify(size in 1..=LOG_SIZE, index in any::<u64>(), position in any::<usize>(), bit in any::<u8>()) {
        let log = log();
        let index = index % size;
        let root = log.root_at(size)?;
        let leaf = log.leaf_hash_at(index).unwrap_or_default();
        let proof = log.inclusion_proof(index, size)?;
        prop_assert!(proof.verify(&leaf, &root).is_ok());

        // Corruptions.
        if !proof.path.is_empty() {
            let wrong = flip(&proof.path, position, bit);
            prop_assert!(verify_inclusion(&leaf, index, size, &wrong, &root).is_err());
            let shorter = &proof.path[..proof.path.len() - 1];
            prop_assert!(verify_inclusion(&leaf, index, size, shorter, &root).is_err());
        }
        let longer = [proof.path.as_slice(), &[root]].concat();
        prop_assert!(verify_inclusion(&leaf, index, size, &longer, &root).is_err());
        prop_assert!(verify_inclusion(&leaf_hash(b"another entry"), index, size, &proof.path, &root).is_err());
        if size > 1 {
            let other_index = (index + 1) % size;
            prop_assert!(verify_inclusion(&leaf, other_index, size, &proof.path, &root).is_err());
            let other_leaf = log.leaf_hash_at(other_index).unwrap_or_default();
            prop_assert!(verify_inclusion(&other_leaf, index, size, &proof.path, &root).is_err());
            let other_root = log.root_at(size - 1)?;
            prop_assert!(verify_inclusion(&leaf, index, size, &proof.path, &other_root).is_err());
        }
        prop_assert!(verify_inclusion(&leaf, size, size, &proof.path, &root).is_err());
    }

    #[test]
    fn consistency_proofs_verify(new_size in 0..=LOG_SIZE, old_size in any::<u64>(), position in any::<usize>(), bit in any::<u8>()) {
        let log = log();
        let old_size = old_size % (new_size + 1);
        let (old_root, new_root) = (log.root_at(old_size)?, log.root_at(new_size)?);
        let proof = log.consistency_proof(old_size, new_size)?;
        prop_assert!(proof.verify(&old_root, &new_root).is_ok());
        prop_assert_eq!(proof.path.is_empty(), old_size == 0 || old_size == new_size);

        if !proof.path.is_empty() {
            let wrong = flip(&proof.path, position, bit);
            prop_assert!(verify_consistency(old_size, new_size, &wrong, &old_root, &new_root).is_err());
            let shorter = &proof.path[..proof.path.len() - 1];
            prop_assert!(verify_consistency(old_size, new_size, shorter, &old_root, &new_root).is_err());
            let longer = [proof.path.as_slice(), &[new_root]].concat();
            prop_assert!(verify_consistency(old_size, new_size, &longer, &old_root, &new_root).is_err());
            prop_assert!(verify_consistency(old_size, new_size, &proof.path, &new_root, &old_root).is_err());
            let wrong_old = leaf_hash(b"another tree");
            prop_assert!(verify_consistency(old_size, new_size, &proof.path, &wrong_old, &new_root).is_err());
            prop_assert!(verify_consistency(old_size, new_size, &proof.path, &old_root, &wrong_old).is_err());
            prop_assert!(verify_consistency(old_size + 1, new_size, &proof.path, &old_root, &new_root).is_err());
            prop_assert!(verify_consistency(old_size - 1, new_size, &proof.path, &old_root, &new_root).is_err());
        }
        if old_size > 0 && old_size < new_size {
            // A log that was rewritten: the same sizes, another old tree.
            let rewritten = {
                let mut leaves = log.leaf_hashes()[..usize::try_from(new_size).unwrap_or(0)].to_vec();
                leaves[usize::try_from(old_size - 1).unwrap_or(0)] = leaf_hash(b"rewritten");
                MerkleLog::from_leaf_hashes(leaves)
            };
            let rewritten_proof = rewritten.consistency_proof(old_size, new_size)?;
            prop_assert!(rewritten_proof.verify(&old_root, &rewritten.root()).is_err());
        }
    }
}
