//! Inclusion and consistency proofs, verified with the algorithms of RFC 9162,
//! sections 2.1.3.2 and 2.1.4.2 (which verify the proofs of RFC 6962).

use crate::Error;
use crate::hash::{Hash, node_hash};

/// Proof that the entry at `index` is in the tree of size `size`: the
/// sibling hashes from the leaf up to the root (RFC 6962, section 2.1.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InclusionProof {
    /// The entry's index.
    pub index: u64,
    /// The tree size the proof is for.
    pub size: u64,
    /// The audit path, leaf end first.
    pub path: Vec<Hash>,
}

impl InclusionProof {
    /// Checks that the entry with leaf hash `leaf_hash` is at `self.index` in
    /// the tree of size `self.size` whose root is `root`.
    ///
    /// # Errors
    /// [`Error::IndexOutOfRange`] or [`Error::InclusionProofInvalid`].
    pub fn verify(&self, leaf_hash: &Hash, root: &Hash) -> Result<(), Error> {
        verify_inclusion(leaf_hash, self.index, self.size, &self.path, root)
    }
}

/// Proof that the tree of size `old_size` is a prefix of the tree of size
/// `new_size` (RFC 6962, section 2.1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsistencyProof {
    /// The older tree's size.
    pub old_size: u64,
    /// The newer tree's size.
    pub new_size: u64,
    /// The proof's hashes, as RFC 6962 orders them.
    pub path: Vec<Hash>,
}

impl ConsistencyProof {
    /// Checks that the tree of size `self.old_size` and root `old_root` is a
    /// prefix of the tree of size `self.new_size` and root `new_root`.
    ///
    /// # Errors
    /// [`Error::SizesOutOfOrder`] or [`Error::ConsistencyProofInvalid`].
    pub fn verify(&self, old_root: &Hash, new_root: &Hash) -> Result<(), Error> {
        verify_consistency(self.old_size, self.new_size, &self.path, old_root, new_root)
    }
}

/// Verifies an inclusion proof (RFC 9162, section 2.1.3.2).
///
/// # Errors
/// [`Error::IndexOutOfRange`] if `index >= size`;
/// [`Error::InclusionProofInvalid`] if the proof has the wrong length or does
/// not lead to `root`.
pub fn verify_inclusion(
    leaf_hash: &Hash,
    index: u64,
    size: u64,
    path: &[Hash],
    root: &Hash,
) -> Result<(), Error> {
    if index >= size {
        return Err(Error::IndexOutOfRange { index, size });
    }
    let mut position = index;
    let mut last = size - 1;
    let mut computed = *leaf_hash;
    for sibling in path {
        if last == 0 {
            return Err(Error::InclusionProofInvalid {
                reason: "the proof is too long for the tree size",
            });
        }
        if position & 1 == 1 || position == last {
            computed = node_hash(sibling, &computed);
            // A right edge without a right sibling: climb until the node is
            // a right child again.
            while position & 1 == 0 && position != 0 {
                position >>= 1;
                last >>= 1;
            }
        } else {
            computed = node_hash(&computed, sibling);
        }
        position >>= 1;
        last >>= 1;
    }
    if last != 0 {
        return Err(Error::InclusionProofInvalid {
            reason: "the proof is too short for the tree size",
        });
    }
    if computed != *root {
        return Err(Error::InclusionProofInvalid {
            reason: "the computed root differs from the expected root",
        });
    }
    Ok(())
}

/// Verifies a consistency proof (RFC 9162, section 2.1.4.2). A tree is
/// consistent with itself (empty proof, equal roots) and every tree with the
/// empty tree (empty proof).
///
/// # Errors
/// [`Error::SizesOutOfOrder`] if `old_size > new_size`;
/// [`Error::ConsistencyProofInvalid`] otherwise when the proof fails.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    path: &[Hash],
    old_root: &Hash,
    new_root: &Hash,
) -> Result<(), Error> {
    let invalid = |reason| Err(Error::ConsistencyProofInvalid { reason });
    if old_size > new_size {
        return Err(Error::SizesOutOfOrder { old_size, new_size });
    }
    if old_size == new_size {
        if !path.is_empty() {
            return invalid("the proof between equal sizes must be empty");
        }
        if old_root != new_root {
            return invalid("the roots of equal sizes differ");
        }
        return Ok(());
    }
    if old_size == 0 {
        if !path.is_empty() {
            return invalid("the proof from the empty tree must be empty");
        }
        return Ok(());
    }
    let Some((first, rest)) = path.split_first() else {
        return invalid("the proof is empty");
    };
    // When the old tree is a complete subtree, its root is the proof's
    // implicit first element.
    let (start, rest) = if old_size.is_power_of_two() {
        (old_root, path)
    } else {
        (first, rest)
    };
    let mut old_position = old_size - 1;
    let mut new_position = new_size - 1;
    while old_position & 1 == 1 {
        old_position >>= 1;
        new_position >>= 1;
    }
    let mut old_computed = *start;
    let mut new_computed = *start;
    for hash in rest {
        if new_position == 0 {
            return invalid("the proof is too long for the tree sizes");
        }
        if old_position & 1 == 1 || old_position == new_position {
            old_computed = node_hash(hash, &old_computed);
            new_computed = node_hash(hash, &new_computed);
            while old_position & 1 == 0 && old_position != 0 {
                old_position >>= 1;
                new_position >>= 1;
            }
        } else {
            new_computed = node_hash(&new_computed, hash);
        }
        old_position >>= 1;
        new_position >>= 1;
    }
    if new_position != 0 {
        return invalid("the proof is too short for the tree sizes");
    }
    if old_computed != *old_root {
        return invalid("the computed old root differs from the expected old root");
    }
    if new_computed != *new_root {
        return invalid("the computed new root differs from the expected new root");
    }
    Ok(())
}
