//! veedor's transparency log: every accepted acta copy is one entry of an
//! append-only Merkle tree, published as static tiles with a signed checkpoint.
//!
//! This crate implements, without any I/O:
//!
//! - the Merkle tree of [RFC 6962, section 2.1] (SHA-256, leaf hash
//!   `H(0x00 || entry)`, node hash `H(0x01 || left || right)`), with inclusion
//!   and consistency proofs generated as in RFC 6962 section 2.1.1 and 2.1.2 and
//!   verified with the algorithms of [RFC 9162, section 2.1.3.2 and 2.1.4.2]
//!   ([`MerkleLog`], [`InclusionProof`], [`ConsistencyProof`]);
//! - the static tile layout of [C2SP tlog-tiles] (hash tiles of height 8,
//!   partial tiles, entry bundles), and its verification against a checkpoint
//!   ([`TilePath`], [`MerkleLog::tiles`], [`verify_mirror`]);
//! - checkpoints as in [C2SP tlog-checkpoint] ([`Checkpoint`]);
//! - Ed25519 signed notes as in [C2SP signed-note], with the key strings of
//!   Go's `golang.org/x/mod/sumdb/note` package ([`SignerKey`], [`VerifierKey`]).
//!
//! Randomness comes from the caller: [`SignerKey::generate`] takes the 32 seed
//! bytes.
//!
//! ```
//! use veedor_ledger::{Checkpoint, MerkleLog, SignerKey, leaf_hash};
//!
//! let mut log = MerkleLog::new();
//! let index = log.append(b"acta 1");
//! log.append(b"acta 2");
//!
//! // The log signs a checkpoint after each batch.
//! let signer = SignerKey::generate([7; 32], "veedor.example/ve2024")?;
//! let checkpoint = Checkpoint::new("veedor.example/ve2024", log.size(), log.root())?;
//! let note = signer.sign(&checkpoint)?;
//!
//! // Anyone with the verifier key checks it and proves an entry is in it.
//! let verifier = signer.verifier_key().to_string();
//! let verified = veedor_ledger::VerifierKey::parse(&verifier)?.verify(&note)?;
//! let proof = log.inclusion_proof(index, verified.size)?;
//! proof.verify(&leaf_hash(b"acta 1"), &verified.root)?;
//!
//! // The static mirror: hash tiles and entry bundles, by C2SP path.
//! let tiles: Vec<String> = log.tiles(log.size())?.map(|(path, _)| path.to_string()).collect();
//! assert_eq!(tiles, ["tile/0/000.p/2"]);
//! # Ok::<(), veedor_ledger::Error>(())
//! ```
//!
//! [RFC 6962, section 2.1]: https://www.rfc-editor.org/rfc/rfc6962#section-2.1
//! [RFC 9162, section 2.1.3.2 and 2.1.4.2]: https://www.rfc-editor.org/rfc/rfc9162#section-2.1.3.2
//! [C2SP tlog-tiles]: https://c2sp.org/tlog-tiles
//! [C2SP tlog-checkpoint]: https://c2sp.org/tlog-checkpoint
//! [C2SP signed-note]: https://c2sp.org/signed-note
#![deny(missing_docs)]

mod checkpoint;
mod error;
mod hash;
mod mirror;
mod note;
mod proof;
mod tile;
mod tree;

pub use checkpoint::Checkpoint;
pub use error::Error;
pub use hash::{EMPTY_ROOT, HASH_SIZE, Hash, leaf_hash, node_hash};
pub use mirror::{MirrorReport, root_from_tiles, verify_mirror};
pub use note::{MAX_SIGNATURES, SignerKey, VerifierKey, is_valid_key_name, key_id};
pub use proof::{ConsistencyProof, InclusionProof, verify_consistency, verify_inclusion};
pub use tile::{
    TILE_HEIGHT, TILE_WIDTH, TileKind, TilePath, decode_entry_bundle, encode_entry_bundle,
    encode_tile_index, entry_bundle_paths, hash_tile_paths,
};
pub use tree::MerkleLog;
