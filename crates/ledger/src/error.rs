//! The crate's one error type.

use crate::tile::TilePath;

/// Everything that can go wrong in the ledger: bad arguments, proofs that do
/// not verify, malformed or tampered tiles, checkpoints, notes and keys.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An entry index at or beyond the tree size.
    #[error("entry index {index} is not in a tree of size {size}")]
    IndexOutOfRange {
        /// The index asked for.
        index: u64,
        /// The tree size it was asked in.
        size: u64,
    },
    /// A tree size larger than the log holds.
    #[error("tree size {size} is larger than the log, which holds {log_size} entries")]
    SizeBeyondLog {
        /// The size asked for.
        size: u64,
        /// The log's size.
        log_size: u64,
    },
    /// A consistency proof asked or checked from a larger to a smaller tree.
    #[error("old tree size {old_size} is larger than new tree size {new_size}")]
    SizesOutOfOrder {
        /// The older tree's size.
        old_size: u64,
        /// The newer tree's size.
        new_size: u64,
    },
    /// An inclusion proof that does not verify.
    #[error("inclusion proof does not verify: {reason}")]
    InclusionProofInvalid {
        /// What did not match.
        reason: &'static str,
    },
    /// A consistency proof that does not verify.
    #[error("consistency proof does not verify: {reason}")]
    ConsistencyProofInvalid {
        /// What did not match.
        reason: &'static str,
    },
    /// A hash in hex or base64 that does not decode to 32 bytes.
    #[error("invalid hash {text:?}: {reason}")]
    InvalidHash {
        /// The text given.
        text: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Fewer entries than the tree size asks for.
    #[error("{available} entries given, the tree size needs {needed}")]
    EntriesMissing {
        /// Entries given.
        available: u64,
        /// Entries needed.
        needed: u64,
    },
    /// An entry too long for an entry bundle's uint16 length prefix.
    #[error("entry {index} is {length} bytes long, an entry bundle holds at most 65535")]
    EntryTooLong {
        /// The entry's index in the log.
        index: u64,
        /// Its length in bytes.
        length: usize,
    },
    /// An entry given for a bundle whose hash is not the log's leaf hash.
    #[error("entry {index} does not hash to the log's leaf hash at that index")]
    EntryNotInLog {
        /// The entry's index in the log.
        index: u64,
    },
    /// A tile path that is not of the C2SP tlog-tiles form.
    #[error("invalid tile path {path:?}: {reason}")]
    InvalidTilePath {
        /// The path given.
        path: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Tile or entry-bundle coordinates that do not exist.
    #[error("invalid tile: {reason}")]
    InvalidTile {
        /// What is wrong.
        reason: &'static str,
    },
    /// An entry bundle that does not parse.
    #[error("entry bundle {path} is malformed: {reason}")]
    MalformedEntryBundle {
        /// The bundle's path.
        path: TilePath,
        /// What is wrong with it.
        reason: String,
    },
    /// A tile or entry bundle the tree size needs that the mirror lacks.
    #[error("{path} is missing")]
    MissingTile {
        /// The missing path.
        path: TilePath,
    },
    /// A hash tile whose length is not its width times 32 bytes.
    #[error("tile {path} is {actual} bytes long, expected {expected}")]
    TileSize {
        /// The tile's path.
        path: TilePath,
        /// The length its width asks for.
        expected: usize,
        /// Its length.
        actual: usize,
    },
    /// A hash tile whose hashes differ from those the tree commits to.
    #[error("tile {path} is wrong: its hashes differ from those the checkpoint commits to")]
    TileMismatch {
        /// The wrong tile.
        path: TilePath,
    },
    /// The tiles on the tree's right edge do not hash to the checkpoint's
    /// root, and the entries do not tell which of them is wrong.
    #[error("the tiles on the right edge of the tree ({}) do not hash to the checkpoint's root {expected}; computed {computed}", join_paths(.paths))]
    RootMismatch {
        /// The right-edge tiles, one of which at least is wrong.
        paths: Vec<TilePath>,
        /// The checkpoint's root.
        expected: crate::Hash,
        /// The root the tiles give.
        computed: crate::Hash,
    },
    /// An entry in a bundle that does not hash to its leaf hash in the
    /// (verified) level-0 tile.
    #[error(
        "entry bundle {path} is wrong: entry {index} does not hash to its leaf hash in the verified level-0 tile"
    )]
    BundleMismatch {
        /// The wrong bundle.
        path: TilePath,
        /// The index in the log of the first wrong entry.
        index: u64,
    },
    /// A checkpoint text that breaks C2SP tlog-checkpoint.
    #[error("malformed checkpoint, line {line}: {reason}")]
    MalformedCheckpoint {
        /// The 1-based line number.
        line: usize,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A key name that breaks C2SP signed-note's rules.
    #[error("invalid key name {name:?}: it must be non-empty, without spaces or '+'")]
    InvalidKeyName {
        /// The name given.
        name: String,
    },
    /// A verifier or signer key string that does not parse.
    #[error("malformed {kind} key: {reason}")]
    MalformedKey {
        /// `verifier` or `signer`.
        kind: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A note that breaks C2SP signed-note's format.
    #[error("malformed note: {reason}")]
    MalformedNote {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A signature by the trusted key that does not verify.
    #[error("invalid signature for key {key}")]
    InvalidSignature {
        /// The key, as `name+hexid`.
        key: String,
    },
    /// A note with no signature by the trusted key.
    #[error("note has no signature by key {key}")]
    NoVerifiedSignature {
        /// The key, as `name+hexid`.
        key: String,
    },
}

fn join_paths(paths: &[TilePath]) -> String {
    paths
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
