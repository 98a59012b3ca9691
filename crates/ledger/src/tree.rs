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
        for (index, (entry, expected)) in entries.iter().zip(&self.levels[0]).enumerate() {
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
