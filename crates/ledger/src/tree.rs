//! The in-memory RFC 6962 Merkle tree.

use std::fmt;

use crate::Error;
use crate::hash::{EMPTY_ROOT, Hash, largest_power_of_two_below, leaf_hash, node_hash};
use crate::proof::{ConsistencyProof, InclusionProof};
use crate::tile::{
    TILE_HEIGHT, TileKind, TilePath, encode_entry_bundle, entry_bundle_paths, hash_tile_paths,
    hash_tile_paths_between,
};

/// An append-only RFC 6962 Merkle tree over SHA-256, held in memory.
///
/// It keeps the leaf hashes and every *complete* interior node: `levels[k][i]`
/// is the hash of the perfect subtree of height `k` over leaves
/// `i * 2^k .. (i + 1) * 2^k`. Complete subtrees never change once the log
/// has grown past them, so appending costs O(1) hashes amortised (O(log n) at
/// worst), the root of any earlier size is O(log n) hashes, and the hash
/// tiles of C2SP tlog-tiles are slices of levels 0, 8, 16, ...
///
/// Memory is about two hashes per entry: 52 MB for 820,000 entries.
/// Rebuilding from the stored leaf hashes ([`MerkleLog::from_leaf_hashes`])
/// costs one SHA-256 per entry.
#[derive(Clone)]
pub struct MerkleLog {
    /// `levels[0]` holds the leaf hashes; it always exists.
    levels: Vec<Vec<Hash>>,
}

impl Default for MerkleLog {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for MerkleLog {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Printing every hash of a country's log helps nobody.
        formatter
            .debug_struct("MerkleLog")
            .field("size", &self.size())
            .field("root", &self.root())
            .finish()
    }
}

impl MerkleLog {
    /// An empty log.
    #[must_use]
    pub fn new() -> Self {
        Self {
            levels: vec![Vec::new()],
        }
    }

    /// Rebuilds a log from its leaf hashes, in log order.
    #[must_use]
    pub fn from_leaf_hashes(leaf_hashes: Vec<Hash>) -> Self {
        let mut levels = vec![leaf_hashes];
        loop {
            let next: Vec<Hash> = match levels.last() {
                Some(below) if below.len() >= 2 => below
                    .chunks_exact(2)
                    .map(|pair| node_hash(&pair[0], &pair[1]))
                    .collect(),
                _ => break,
            };
            levels.push(next);
        }
        Self { levels }
    }

    /// Appends an entry and returns its index.
    pub fn append(&mut self, entry: &[u8]) -> u64 {
        self.append_leaf_hash(leaf_hash(entry))
    }

    /// Appends an entry by its leaf hash ([`leaf_hash`]) and returns its index.
    pub fn append_leaf_hash(&mut self, hash: Hash) -> u64 {
        let index = self.size();
        let mut level = 0;
        self.levels[0].push(hash);
        // Each time a level gets an even number of nodes, the last two are
        // siblings whose parent is now complete.
        loop {
            let nodes = &self.levels[level];
            let count = nodes.len();
            if !count.is_multiple_of(2) {
                break;
            }
            let parent = node_hash(&nodes[count - 2], &nodes[count - 1]);
            level += 1;
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            self.levels[level].push(parent);
        }
        index
    }

    /// The number of entries.
    #[must_use]
    pub fn size(&self) -> u64 {
        to_u64(self.levels[0].len())
    }

    /// The leaf hashes, in log order (what the store persists).
    #[must_use]
    pub fn leaf_hashes(&self) -> &[Hash] {
        &self.levels[0]
    }

    /// The leaf hash of entry `index`, if the log has it.
    #[must_use]
    pub fn leaf_hash_at(&self, index: u64) -> Option<Hash> {
        let index = usize::try_from(index).ok()?;
        self.levels[0].get(index).copied()
    }

    /// The root of the whole log (RFC 6962 MTH); [`EMPTY_ROOT`] when empty.
    #[must_use]
    pub fn root(&self) -> Hash {
        self.range_hash(0, self.levels[0].len())
    }

    /// The root the log had when it held `size` entries.
    ///
    /// # Errors
    /// [`Error::SizeBeyondLog`] if `size` exceeds the log's size.
    pub fn root_at(&self, size: u64) -> Result<Hash, Error> {
        let size = self.check_size(size)?;
        Ok(self.range_hash(0, size))
    }

    /// The inclusion proof (RFC 6962, section 2.1.1) of entry `index` in the
    /// tree of size `size`.
    ///
    /// # Errors
    /// [`Error::SizeBeyondLog`] or [`Error::IndexOutOfRange`].
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<InclusionProof, Error> {
        let tree_size = self.check_size(size)?;
        let leaf = usize::try_from(index)
            .ok()
            .filter(|&leaf| leaf < tree_size)
            .ok_or(Error::IndexOutOfRange { index, size })?;
        // Walk down from the root, taking at each split the sibling subtree
        // that does not hold the leaf; the proof lists them bottom up.
        let mut path = Vec::new();
        let (mut low, mut high) = (0, tree_size);
        while high - low > 1 {
            let split = low + largest_power_of_two_below(high - low);
            if leaf < split {
                path.push(self.range_hash(split, high));
                high = split;
            } else {
                path.push(self.range_hash(low, split));
                low = split;
            }
        }
        path.reverse();
        Ok(InclusionProof { index, size, path })
    }

    /// The consistency proof (RFC 6962, section 2.1.2) between the trees of
    /// sizes `old_size` and `new_size`. It is empty when `old_size` is 0 or
    /// equals `new_size`.
    ///
    /// # Errors
    /// [`Error::SizeBeyondLog`] or [`Error::SizesOutOfOrder`].
    pub fn consistency_proof(
        &self,
        old_size: u64,
        new_size: u64,
    ) -> Result<ConsistencyProof, Error> {
        let new = self.check_size(new_size)?;
        if old_size > new_size {
            return Err(Error::SizesOutOfOrder { old_size, new_size });
        }
        let old = self.check_size(old_size)?;
        let mut path = Vec::new();
        if old != 0 && old != new {
            // SUBPROOF(m, D[low:high], complete) of RFC 6962, unrolled: the
            // siblings are collected top down and come out bottom up, after
            // the hash of the subtree where the old tree ends, if needed.
            let mut siblings = Vec::new();
            let (mut low, mut high) = (0, new);
            let mut old_in_range = old;
            let mut old_tree_is_whole = true;
            loop {
                if old_in_range == high - low {
                    if !old_tree_is_whole {
                        path.push(self.range_hash(low, high));
                    }
                    break;
                }
                let half = largest_power_of_two_below(high - low);
                if old_in_range <= half {
                    siblings.push(self.range_hash(low + half, high));
                    high = low + half;
                } else {
                    siblings.push(self.range_hash(low, low + half));
                    low += half;
                    old_in_range -= half;
                    old_tree_is_whole = false;
                }
            }
            path.extend(siblings.into_iter().rev());
        }
        Ok(ConsistencyProof {
            old_size,
            new_size,
            path,
        })
    }

    /// Every hash tile (C2SP tlog-tiles, height 8) of the tree of size
    /// `size`, level by level, as (path, bytes). The paths are C2SP paths;
    /// [`TilePath::go_path`] gives Go's.
    ///
    /// # Errors
    /// [`Error::SizeBeyondLog`].
    pub fn tiles(
        &self,
        size: u64,
    ) -> Result<impl Iterator<Item = (TilePath, Vec<u8>)> + '_, Error> {
        self.check_size(size)?;
        Ok(hash_tile_paths(size).map(|path| {
            let bytes = self.hash_tile_bytes(&path);
            (path, bytes)
        }))
    }

    /// The hash tiles that are new or have grown between the trees of sizes
    /// `old_size` and `new_size`: what a mirror that holds the tiles of
    /// `old_size` must write to serve `new_size`.
    ///
    /// # Errors
    /// [`Error::SizeBeyondLog`] or [`Error::SizesOutOfOrder`].
    pub fn tiles_between(
        &self,
        old_size: u64,
        new_size: u64,
    ) -> Result<impl Iterator<Item = (TilePath, Vec<u8>)> + '_, Error> {
        self.check_size(new_size)?;
        if old_size > new_size {
            return Err(Error::SizesOutOfOrder { old_size, new_size });
        }
        Ok(hash_tile_paths_between(old_size, new_size).map(|path| {
            let bytes = self.hash_tile_bytes(&path);
            (path, bytes)
        }))
    }

    /// The bytes of one hash tile.
    ///
    /// # Errors
    /// [`Error::InvalidTile`] if the path names an entry bundle, or a tile
    /// the log is not large enough to fill.
    pub fn tile(&self, path: &TilePath) -> Result<Vec<u8>, Error> {
        let TileKind::Hash { level } = path.kind() else {
            return Err(Error::InvalidTile {
                reason: "an entry bundle is not a hash tile",
            });
        };
        let height = usize::from(level) * usize::from(TILE_HEIGHT);
        let available = self.levels.get(height).map_or(0, Vec::len);
        let (start, end) = tile_span(path);
        if start.is_none_or(|_| end.is_none_or(|end| end > available)) {
            return Err(Error::InvalidTile {
                reason: "the log is not large enough for this tile",
            });
        }
        Ok(self.hash_tile_bytes(path))
    }

    /// Every entry bundle (C2SP tlog-tiles) of the tree of size `size`, as
    /// (path, bytes). `entries` are the log's entries from index 0; each must
    /// hash to the log's leaf hash, so that the bundles verify.
    ///
    /// # Errors
    /// [`Error::SizeBeyondLog`], [`Error::EntriesMissing`],
    /// [`Error::EntryTooLong`] or [`Error::EntryNotInLog`].
    pub fn entry_bundles<'entries, Entry: AsRef<[u8]>>(
        &self,
        entries: &'entries [Entry],
        size: u64,
    ) -> Result<impl Iterator<Item = (TilePath, Vec<u8>)> + 'entries, Error> {
        let tree_size = self.check_size(size)?;
        if entries.len() < tree_size {
            return Err(Error::EntriesMissing {
                available: to_u64(entries.len()),
                needed: size,
            });
        }
        for (index, (entry, expected)) in entries
            .iter()
            .zip(&self.levels[0])
            .take(tree_size)
            .enumerate()
        {
            let entry = entry.as_ref();
            if entry.len() > usize::from(u16::MAX) {
                return Err(Error::EntryTooLong {
                    index: to_u64(index),
                    length: entry.len(),
                });
            }
            if leaf_hash(entry) != *expected {
                return Err(Error::EntryNotInLog {
                    index: to_u64(index),
                });
            }
        }
        Ok(entry_bundle_paths(size).filter_map(move |path| {
            let (start, end) = tile_span(&path);
            let bundle = entries.get(start?..end?)?;
            // Lengths were checked above, so encoding cannot fail.
            encode_entry_bundle(bundle).ok().map(|bytes| (path, bytes))
        }))
    }

    /// Bytes of a hash tile that [`hash_tile_paths`] listed for a size the
    /// log holds.
    fn hash_tile_bytes(&self, path: &TilePath) -> Vec<u8> {
        let level = path.level().map_or(0, usize::from);
        let hashes = self
            .levels
            .get(level * usize::from(TILE_HEIGHT))
            .map_or(&[][..], Vec::as_slice);
        let (start, end) = tile_span(path);
        let slice = start
            .zip(end)
            .and_then(|(start, end)| hashes.get(start..end))
            .unwrap_or(&[]);
        slice.iter().flat_map(|hash| hash.0).collect()
    }

    fn check_size(&self, size: u64) -> Result<usize, Error> {
        usize::try_from(size)
            .ok()
            .filter(|&size| size <= self.levels[0].len())
            .ok_or(Error::SizeBeyondLog {
                size,
                log_size: self.size(),
            })
    }

    /// MTH(D[low:high]) for a range that RFC 6962's recursion produces: `low`
    /// is a multiple of the largest power of two not above `high - low`, so
    /// the range splits into complete subtrees that are all stored.
    fn range_hash(&self, low: usize, high: usize) -> Hash {
        if low >= high {
            return EMPTY_ROOT;
        }
        // The complete subtrees of the range, left (largest) to right, from
        // the binary digits of its width; then hash them right to left.
        let width = high - low;
        let mut subtrees = Vec::with_capacity(width.count_ones() as usize);
        let mut start = low;
        for height in (0..usize::BITS).rev() {
            let span = 1usize << height;
            if width & span != 0 {
                subtrees.push(self.levels[height as usize][start >> height]);
                start += span;
            }
        }
        let mut hashes = subtrees.into_iter().rev();
        let first = hashes.next().unwrap_or(EMPTY_ROOT);
        hashes.fold(first, |right, left| node_hash(&left, &right))
    }
}

/// The positions, within its level, of the first and one-past-last hash of a
/// tile (or entry of a bundle).
pub(crate) fn tile_span(path: &TilePath) -> (Option<usize>, Option<usize>) {
    let start = path
        .index()
        .checked_mul(u64::from(crate::tile::TILE_WIDTH))
        .and_then(|start| usize::try_from(start).ok());
    let end = start.and_then(|start| start.checked_add(usize::from(path.width())));
    (start, end)
}

/// Lengths in memory always fit in 64 bits on the platforms we build for.
fn to_u64(length: usize) -> u64 {
    u64::try_from(length).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proof::{verify_consistency, verify_inclusion};

    // Leaf inputs, complete subtree hashes and roots of the RFC 6962 test tree
    // of transparency-dev/merkle (testonly/constants.go: LeafInputs,
    // NodeHashes, RootHashes), also used by certificate-transparency-go.
    const LEAF_INPUTS: [&str; 8] = [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ];
    const NODE_HASHES: [&[&str]; 4] = [
        &[
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
            "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
        ],
        &[
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        ],
        &[
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
        &["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
    ];
    const ROOTS: [&str; 9] = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    fn hash(text: &str) -> Hash {
        Hash::from_hex(text).unwrap_or_default()
    }

    fn reference_log() -> MerkleLog {
        let mut log = MerkleLog::new();
        for input in LEAF_INPUTS {
            log.append(&hex::decode(input).unwrap_or_default());
        }
        log
    }

    #[test]
    fn reference_tree_nodes_and_roots() -> Result<(), Error> {
        let log = reference_log();
        for (level, hashes) in NODE_HASHES.iter().enumerate() {
            let stored: Vec<String> = log.levels[level].iter().map(Hash::to_hex).collect();
            assert_eq!(stored, *hashes, "level {level}");
        }
        for (size, root) in ROOTS.iter().enumerate() {
            assert_eq!(log.root_at(to_u64(size))?, hash(root), "size {size}");
        }
        assert_eq!(log.root(), hash(ROOTS[8]));
        assert_eq!(MerkleLog::new().root(), EMPTY_ROOT);
        assert!(log.root_at(9).is_err());
        Ok(())
    }

    #[test]
    fn reference_inclusion_proofs() -> Result<(), Error> {
        // transparency-dev/merkle proof/verify_test.go, inclusionProofs
        // (leaf numbers there are 1-based).
        let log = reference_log();
        let cases: [(u64, u64, &[&str]); 5] = [
            (1, 1, &[]),
            (
                1,
                8,
                &[
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
            (
                6,
                8,
                &[
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
            (
                3,
                3,
                &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
            ),
            (
                2,
                5,
                &[
                    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                ],
            ),
        ];
        for (leaf, size, path) in cases {
            let proof = log.inclusion_proof(leaf - 1, size)?;
            let want: Vec<Hash> = path.iter().map(|text| hash(text)).collect();
            assert_eq!(proof.path, want, "leaf {leaf} size {size}");
            let leaf_hash = log.levels[0][usize::try_from(leaf - 1).unwrap_or(0)];
            let root = log.root_at(size)?;
            proof.verify(&leaf_hash, &root)?;
            check_corrupt_inclusion(leaf - 1, size, &proof.path, &root, &leaf_hash);
        }
        Ok(())
    }

    /// The corruptions of transparency-dev/merkle's corruptInclusionProof:
    /// none may verify.
    fn check_corrupt_inclusion(index: u64, size: u64, path: &[Hash], root: &Hash, leaf: &Hash) {
        let some_hash = hash("abacaba000000000000000000000000000000000000000000060061e00123456");
        let mut probes: Vec<(u64, u64, Hash, Hash, Vec<Hash>, String)> = vec![
            (
                index.wrapping_sub(1),
                size,
                *root,
                *leaf,
                path.to_vec(),
                "index - 1".into(),
            ),
            (
                index + 1,
                size,
                *root,
                *leaf,
                path.to_vec(),
                "index + 1".into(),
            ),
            (
                index ^ 2,
                size,
                *root,
                *leaf,
                path.to_vec(),
                "index ^ 2".into(),
            ),
            (
                index,
                size * 2,
                *root,
                *leaf,
                path.to_vec(),
                "size * 2".into(),
            ),
            (
                index,
                size / 2,
                *root,
                *leaf,
                path.to_vec(),
                "size / 2".into(),
            ),
            (
                index,
                size,
                *root,
                some_hash,
                path.to_vec(),
                "wrong leaf".into(),
            ),
            (
                index,
                size,
                EMPTY_ROOT,
                *leaf,
                path.to_vec(),
                "empty root".into(),
            ),
            (
                index,
                size,
                some_hash,
                *leaf,
                path.to_vec(),
                "random root".into(),
            ),
            (
                index,
                size,
                *root,
                *leaf,
                [path, &[Hash::default()]].concat(),
                "trailing garbage".into(),
            ),
            (
                index,
                size,
                *root,
                *leaf,
                [path, &[*root]].concat(),
                "trailing root".into(),
            ),
            (
                index,
                size,
                *root,
                *leaf,
                [&[Hash::default()], path].concat(),
                "preceding garbage".into(),
            ),
            (
                index,
                size,
                *root,
                *leaf,
                [&[*root], path].concat(),
                "preceding root".into(),
            ),
        ];
        for position in 0..path.len() {
            let mut wrong = path.to_vec();
            wrong[position].0[0] ^= 8;
            probes.push((
                index,
                size,
                *root,
                *leaf,
                wrong,
                format!("flipped bit in {position}"),
            ));
        }
        if let Some((_, shorter)) = path.split_last() {
            probes.push((
                index,
                size,
                *root,
                *leaf,
                shorter.to_vec(),
                "removed component".into(),
            ));
        }
        if path.len() > 1 {
            let inserted = [&[path[0], some_hash], &path[1..]].concat();
            probes.push((
                index,
                size,
                *root,
                *leaf,
                inserted,
                "inserted component".into(),
            ));
        }
        for (index, size, root, leaf, path, description) in probes {
            assert!(
                verify_inclusion(&leaf, index, size, &path, &root).is_err(),
                "{description} verified"
            );
        }
    }

    #[test]
    fn reference_consistency_proofs() -> Result<(), Error> {
        // transparency-dev/merkle proof/verify_test.go, consistencyProofs.
        let log = reference_log();
        let cases: [(u64, u64, &[&str]); 5] = [
            (1, 1, &[]),
            (
                1,
                8,
                &[
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
            (
                6,
                8,
                &[
                    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
            (
                2,
                5,
                &[
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                ],
            ),
            (
                6,
                7,
                &[
                    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                    "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
        ];
        for (old, new, path) in cases {
            let proof = log.consistency_proof(old, new)?;
            let want: Vec<Hash> = path.iter().map(|text| hash(text)).collect();
            assert_eq!(proof.path, want, "{old} -> {new}");
            let (old_root, new_root) = (log.root_at(old)?, log.root_at(new)?);
            proof.verify(&old_root, &new_root)?;
            if !want.is_empty() {
                check_corrupt_consistency(old, new, &want, &old_root, &new_root);
            }
        }
        Ok(())
    }

    /// The corruptions of transparency-dev/merkle's corruptConsistencyProof.
    fn check_corrupt_consistency(
        old: u64,
        new: u64,
        path: &[Hash],
        old_root: &Hash,
        new_root: &Hash,
    ) {
        let wrong_root = leaf_hash(b"WrongRoot");
        let mut probes: Vec<(u64, u64, Hash, Hash, Vec<Hash>, String)> = vec![
            (
                old - 1,
                new,
                *old_root,
                *new_root,
                path.to_vec(),
                "old - 1".into(),
            ),
            (
                old + 1,
                new,
                *old_root,
                *new_root,
                path.to_vec(),
                "old + 1".into(),
            ),
            (
                old ^ 2,
                new,
                *old_root,
                *new_root,
                path.to_vec(),
                "old ^ 2".into(),
            ),
            (
                old,
                new * 2,
                *old_root,
                *new_root,
                path.to_vec(),
                "new * 2".into(),
            ),
            (
                old,
                new / 2,
                *old_root,
                *new_root,
                path.to_vec(),
                "new / 2".into(),
            ),
            (
                old,
                new,
                wrong_root,
                *new_root,
                path.to_vec(),
                "wrong old root".into(),
            ),
            (
                old,
                new,
                *old_root,
                wrong_root,
                path.to_vec(),
                "wrong new root".into(),
            ),
            (
                old,
                new,
                *new_root,
                *old_root,
                path.to_vec(),
                "swapped roots".into(),
            ),
            (
                old,
                new,
                *old_root,
                *new_root,
                Vec::new(),
                "empty proof".into(),
            ),
            (
                old,
                new,
                *old_root,
                *new_root,
                [path, &[Hash::default()]].concat(),
                "trailing garbage".into(),
            ),
            (
                old,
                new,
                *old_root,
                *new_root,
                [path, &[*old_root]].concat(),
                "trailing old root".into(),
            ),
            (
                old,
                new,
                *old_root,
                *new_root,
                [path, &[*new_root]].concat(),
                "trailing new root".into(),
            ),
            (
                old,
                new,
                *old_root,
                *new_root,
                [&[Hash::default()], path].concat(),
                "preceding garbage".into(),
            ),
            (
                old,
                new,
                *old_root,
                *new_root,
                [&[*old_root], path].concat(),
                "preceding old root".into(),
            ),
            (
                old,
                new,
                *old_root,
                *new_root,
                [&[*new_root], path].concat(),
                "preceding new root".into(),
            ),
            (
                old,
                new,
                *old_root,
                *new_root,
                [&[path[0]], path].concat(),
                "preceding proof[0]".into(),
            ),
            (
                old,
                new,
                *old_root,
                *new_root,
                path[..path.len() - 1].to_vec(),
                "truncated".into(),
            ),
        ];
        for position in 0..path.len() {
            let mut wrong = path.to_vec();
            wrong[position].0[0] ^= 16;
            probes.push((
                old,
                new,
                *old_root,
                *new_root,
                wrong,
                format!("flipped bit in {position}"),
            ));
        }
        for (old, new, old_root, new_root, path, description) in probes {
            assert!(
                verify_consistency(old, new, &path, &old_root, &new_root).is_err(),
                "{description} verified"
            );
        }
    }

    #[test]
    fn trivial_consistency() {
        // transparency-dev/merkle proof/verify_test.go, TestVerifyConsistency.
        let (one, two) = (leaf_hash(b"don't care 1"), leaf_hash(b"don't care 2"));
        let nonempty = [EMPTY_ROOT];
        for (old, new, old_root, new_root, path, ok) in [
            (0, 0, one, two, &[][..], false),
            (1, 1, one, two, &[], false),
            (0, 0, one, one, &[], true),
            (0, 1, one, two, &[], true),
            (1, 1, two, two, &[], true),
            (1, 0, one, two, &[], false),
            (2, 1, one, two, &[], false),
            (1, 2, one, two, &[], false),
            (0, 0, EMPTY_ROOT, two, &[], false),
            (1, 1, EMPTY_ROOT, two, &[], false),
            (0, 0, EMPTY_ROOT, EMPTY_ROOT, &nonempty, false),
            (0, 1, EMPTY_ROOT, EMPTY_ROOT, &nonempty, false),
            (1, 1, EMPTY_ROOT, EMPTY_ROOT, &nonempty, false),
        ] {
            let result = verify_consistency(old, new, path, &old_root, &new_root);
            assert_eq!(result.is_ok(), ok, "{old} -> {new}: {result:?}");
        }
    }

    #[test]
    fn inclusion_edge_cases() {
        // transparency-dev/merkle proof/verify_test.go, TestVerifyInclusion
        // and TestVerifyInclusionSingleEntry.
        let some_hash = leaf_hash(b"some");
        for (index, size) in [(0, 0), (0, 1), (1, 0), (2, 1)] {
            assert!(verify_inclusion(&some_hash, index, size, &[], &EMPTY_ROOT).is_err());
        }
        let data = leaf_hash(b"data");
        assert!(verify_inclusion(&data, 0, 1, &[], &data).is_ok());
        assert!(verify_inclusion(&data, 0, 1, &[], &some_hash).is_err());
    }

    /// RFC 6962's MTH, straight from its recursive definition.
    fn reference_root(leaves: &[Hash]) -> Hash {
        match leaves {
            [] => EMPTY_ROOT,
            [leaf] => *leaf,
            _ => {
                let split = largest_power_of_two_below(leaves.len());
                node_hash(
                    &reference_root(&leaves[..split]),
                    &reference_root(&leaves[split..]),
                )
            }
        }
    }

    #[test]
    fn append_and_rebuild_agree_with_the_definition() -> Result<(), Error> {
        let leaves: Vec<Hash> = (0..600u32).map(|n| leaf_hash(&n.to_be_bytes())).collect();
        let mut appended = MerkleLog::new();
        for (index, leaf) in leaves.iter().enumerate() {
            assert_eq!(appended.append_leaf_hash(*leaf), to_u64(index));
        }
        for size in [0, 1, 2, 3, 7, 8, 9, 255, 256, 257, 511, 512, 513, 600] {
            let rebuilt = MerkleLog::from_leaf_hashes(leaves[..size].to_vec());
            let want = reference_root(&leaves[..size]);
            assert_eq!(rebuilt.root(), want, "size {size}");
            assert_eq!(rebuilt.size(), to_u64(size));
            assert_eq!(appended.root_at(to_u64(size))?, want, "size {size}");
            assert_eq!(
                rebuilt.levels.iter().map(Vec::len).sum::<usize>(),
                appended_node_count(size)
            );
        }
        assert_eq!(appended.leaf_hash_at(5), Some(leaves[5]));
        assert_eq!(appended.leaf_hash_at(600), None);
        Ok(())
    }

    fn appended_node_count(size: usize) -> usize {
        let mut log = MerkleLog::new();
        for n in 0..size {
            log.append(&n.to_be_bytes());
        }
        log.levels.iter().map(Vec::len).sum()
    }

    #[test]
    fn argument_errors() -> Result<(), Error> {
        let log = reference_log();
        assert_eq!(
            log.inclusion_proof(8, 8),
            Err(Error::IndexOutOfRange { index: 8, size: 8 })
        );
        assert_eq!(
            log.inclusion_proof(0, 9),
            Err(Error::SizeBeyondLog {
                size: 9,
                log_size: 8
            })
        );
        assert_eq!(
            log.consistency_proof(5, 4),
            Err(Error::SizesOutOfOrder {
                old_size: 5,
                new_size: 4
            })
        );
        assert!(log.tiles(9).is_err());
        let entries: Vec<Vec<u8>> = LEAF_INPUTS
            .iter()
            .map(|entry| hex::decode(entry).unwrap_or_default())
            .collect();
        assert_eq!(
            log.entry_bundles(&entries[..3], 4).err(),
            Some(Error::EntriesMissing {
                available: 3,
                needed: 4
            })
        );
        assert_eq!(
            log.entry_bundles(&[b"not the first entry"], 1).err(),
            Some(Error::EntryNotInLog { index: 0 })
        );
        let bundles: Vec<(TilePath, Vec<u8>)> = log.entry_bundles(&entries, 8)?.collect();
        assert_eq!(bundles.len(), 1);
        assert_eq!(bundles[0].0.to_string(), "tile/entries/000.p/8");
        assert_eq!(&bundles[0].1[..5], [0, 0, 0, 1, 0]);
        assert!(log.tile(&TilePath::entry_bundle(0, 1)?).is_err());
        assert!(log.tile(&TilePath::hash_tile(0, 0, 9)?).is_err());
        assert!(log.tile(&TilePath::hash_tile(0, 0, 8)?).is_ok());
        Ok(())
    }

    #[test]
    fn tiles_are_slices_of_the_tree() -> Result<(), Error> {
        let log = MerkleLog::from_leaf_hashes(
            (0..70_000u32)
                .map(|n| leaf_hash(&n.to_be_bytes()))
                .collect(),
        );
        let tiles: Vec<(TilePath, Vec<u8>)> = log.tiles(70_000)?.collect();
        assert_eq!(tiles.len(), 277);
        let level_one_full = TilePath::hash_tile(1, 0, 256)?;
        let (_, bytes) = tiles
            .iter()
            .find(|(path, _)| *path == level_one_full)
            .ok_or(Error::MissingTile {
                path: level_one_full,
            })?;
        // Hash 5 of the level-1 tile is the subtree of entries 1280..1536.
        assert_eq!(
            &bytes[5 * 32..6 * 32],
            log.range_hash(1280, 1536).as_bytes()
        );
        for (path, bytes) in &tiles {
            assert_eq!(bytes.len(), usize::from(path.width()) * 32, "{path}");
            assert_eq!(&log.tile(path)?, bytes);
        }
        // Tiles of an earlier size come from the same log.
        let small: Vec<TilePath> = log.tiles(300)?.map(|(path, _)| path).collect();
        assert_eq!(small.len(), 3);
        let grown: Vec<String> = log
            .tiles_between(300, 600)?
            .map(|(path, _)| path.to_string())
            .collect();
        assert_eq!(grown, ["tile/0/001", "tile/0/002.p/88", "tile/1/000.p/2"]);
        Ok(())
    }
}
