//! SHA-256 hashes and the RFC 6962 leaf and node hashes.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest as _, Sha256};

use crate::Error;

/// Length of a SHA-256 hash in bytes.
pub const HASH_SIZE: usize = 32;

/// The root of the empty tree: SHA-256 of no bytes (RFC 6962, section 2.1).
pub const EMPTY_ROOT: Hash = Hash([
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
]);

/// A SHA-256 hash: a leaf hash, an interior node or a tree root.
///
/// `Display` gives lower-case hex; [`Hash::to_base64`] gives the standard
/// base64 that checkpoints use.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, std::hash::Hash, Default)]
pub struct Hash(pub [u8; HASH_SIZE]);

impl Hash {
    /// The hash's bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; HASH_SIZE] {
        &self.0
    }

    /// Lower-case hex, as `Display` writes it.
    #[must_use]
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Standard base64 with padding (RFC 4648, section 4), as in checkpoints.
    #[must_use]
    pub fn to_base64(&self) -> String {
        BASE64.encode(self.0)
    }

    /// Parses 64 hex digits (either case).
    ///
    /// # Errors
    /// [`Error::InvalidHash`] if the text is not 32 bytes of hex.
    pub fn from_hex(text: &str) -> Result<Self, Error> {
        let mut bytes = [0u8; HASH_SIZE];
        hex::decode_to_slice(text, &mut bytes).map_err(|_| Error::InvalidHash {
            text: text.to_owned(),
            reason: "expected 64 hex digits",
        })?;
        Ok(Self(bytes))
    }

    /// Parses standard, padded base64 of 32 bytes. Only the canonical
    /// encoding is accepted, so that one hash has one text.
    ///
    /// # Errors
    /// [`Error::InvalidHash`] if the text is not canonical base64 of 32 bytes.
    pub fn from_base64(text: &str) -> Result<Self, Error> {
        let bytes = BASE64.decode(text).map_err(|_| Error::InvalidHash {
            text: text.to_owned(),
            reason: "expected standard base64",
        })?;
        let array: [u8; HASH_SIZE] = bytes.try_into().map_err(|_| Error::InvalidHash {
            text: text.to_owned(),
            reason: "expected 32 bytes",
        })?;
        Ok(Self(array))
    }

    /// Reads the hashes of a tile: `bytes.len()` must be a multiple of 32.
    pub(crate) fn from_tile_bytes(bytes: &[u8]) -> Option<Vec<Self>> {
        if !bytes.len().is_multiple_of(HASH_SIZE) {
            return None;
        }
        Some(
            bytes
                .chunks_exact(HASH_SIZE)
                .map(|chunk| {
                    let mut array = [0u8; HASH_SIZE];
                    array.copy_from_slice(chunk);
                    Self(array)
                })
                .collect(),
        )
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(formatter, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "Hash({self})")
    }
}

impl From<[u8; HASH_SIZE]> for Hash {
    fn from(bytes: [u8; HASH_SIZE]) -> Self {
        Self(bytes)
    }
}

impl AsRef<[u8]> for Hash {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// The RFC 6962 leaf hash of a log entry: `SHA-256(0x00 || entry)`.
#[must_use]
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x00]);
    hasher.update(entry);
    Hash(hasher.finalize().into())
}

/// The RFC 6962 interior node hash: `SHA-256(0x01 || left || right)`.
#[must_use]
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x01]);
    hasher.update(left.0);
    hasher.update(right.0);
    Hash(hasher.finalize().into())
}

/// The RFC 6962 Merkle tree hash of a sequence of subtree hashes, each taken
/// as a complete subtree of one height (so they are not hashed again as
/// leaves). A tile's hashes give the hash of the subtree the tile spans.
/// Panics never; an empty slice gives [`EMPTY_ROOT`].
pub(crate) fn hash_of_subtrees(hashes: &[Hash]) -> Hash {
    match hashes {
        [] => EMPTY_ROOT,
        [single] => *single,
        _ => {
            let split = largest_power_of_two_below(hashes.len());
            let (left, right) = hashes.split_at(split);
            node_hash(&hash_of_subtrees(left), &hash_of_subtrees(right))
        }
    }
}

/// The largest power of two strictly smaller than `n`, for `n >= 2`
/// (the split point `k` of RFC 6962, section 2.1).
pub(crate) fn largest_power_of_two_below(n: usize) -> usize {
    debug_assert!(n >= 2);
    1 << (usize::BITS - 1 - (n - 1).leading_zeros())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_root_is_sha256_of_nothing() {
        // RFC 6962, section 2.1: MTH({}) = SHA-256().
        let digest: [u8; 32] = Sha256::digest([]).into();
        assert_eq!(EMPTY_ROOT, Hash(digest));
        assert_eq!(
            EMPTY_ROOT.to_string(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn split_points() {
        for (n, k) in [
            (2, 1),
            (3, 2),
            (4, 2),
            (5, 4),
            (8, 4),
            (9, 8),
            (256, 128),
            (257, 256),
        ] {
            assert_eq!(largest_power_of_two_below(n), k, "n = {n}");
        }
    }

    #[test]
    fn hex_and_base64_round_trip() -> Result<(), Error> {
        let hash = leaf_hash(b"hello world");
        assert_eq!(Hash::from_hex(&hash.to_hex())?, hash);
        assert_eq!(Hash::from_base64(&hash.to_base64())?, hash);
        // Go's tlog tests (sumdb/tlog/note_test.go, TestFormatTree): the
        // record hash of "hello world" in base64.
        assert_eq!(
            hash.to_base64(),
            "TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0="
        );
        assert!(Hash::from_base64("TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBTOOBIG=").is_err());
        assert!(Hash::from_hex("abcd").is_err());
        Ok(())
    }
}
