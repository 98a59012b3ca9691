//! Verifying a static mirror: its hash tiles against a checkpoint, its entry
//! bundles against the verified level-0 tiles.

use std::collections::BTreeMap;

use crate::Error;
use crate::checkpoint::Checkpoint;
use crate::hash::{HASH_SIZE, Hash, hash_of_subtrees, leaf_hash, node_hash};
use crate::tile::{
    TILE_HEIGHT, TILE_WIDTH, TileKind, TilePath, decode_entry_bundle, entry_bundle_paths,
    hash_tile_paths, right_edge_paths,
};
use crate::tree::MerkleLog;

/// What [`verify_mirror`] checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct MirrorReport {
    /// The tree size, from the checkpoint.
    pub size: u64,
    /// Hash tiles checked.
    pub hash_tiles: usize,
    /// Entry bundles checked.
    pub entry_bundles: usize,
}

/// Reads a hash tile through `fetch` and checks its length.
fn load_hash_tile(
    path: &TilePath,
    fetch: &mut impl FnMut(&TilePath) -> Option<Vec<u8>>,
) -> Result<Vec<Hash>, Error> {
    let bytes = fetch(path).ok_or(Error::MissingTile { path: *path })?;
    let expected = usize::from(path.width()) * HASH_SIZE;
    if bytes.len() != expected {
        return Err(Error::TileSize {
            path: *path,
            expected,
            actual: bytes.len(),
        });
    }
    Hash::from_tile_bytes(&bytes).ok_or(Error::TileSize {
        path: *path,
        expected,
        actual: bytes.len(),
    })
}

/// Computes the root of the tree of size `size` from its hash tiles, which
/// `fetch` returns by path (`None` for a missing one). Only the partial tile
/// of each level, the right edge of the tree, is read: those alone fix the
/// root.
///
/// # Errors
/// [`Error::MissingTile`] or [`Error::TileSize`].
pub fn root_from_tiles(
    size: u64,
    mut fetch: impl FnMut(&TilePath) -> Option<Vec<u8>>,
) -> Result<Hash, Error> {
    let mut tiles = BTreeMap::new();
    for path in right_edge_paths(size) {
        tiles.insert(path, load_hash_tile(&path, &mut fetch)?);
    }
    Ok(root_from_right_edge(size, &tiles))
}

/// The root from the right-edge tiles, which must be in `tiles`.
///
/// The root is made of the complete subtrees given by the binary digits of
/// `size`. A subtree of height `k` is `2^(k mod 8)` consecutive hashes of
/// tile level `k / 8`, all inside that level's partial tile.
fn root_from_right_edge(size: u64, tiles: &BTreeMap<TilePath, Vec<Hash>>) -> Hash {
    let tile_height = u32::from(TILE_HEIGHT);
    let mut subtrees = Vec::new();
    for height in (0..u64::BITS).rev() {
        if size & (1 << height) == 0 {
            continue;
        }
        let start = size.checked_shr(height + 1).unwrap_or(0) << (height + 1);
        let level = height / tile_height;
        let position = start >> (level * tile_height);
        let hashes_at_level = size >> (level * tile_height);
        let path = TilePath::hash_tile(
            u8::try_from(level).unwrap_or(u8::MAX),
            position / u64::from(TILE_WIDTH),
            u16::try_from(hashes_at_level % u64::from(TILE_WIDTH)).unwrap_or(0),
        );
        let offset = usize::try_from(position % u64::from(TILE_WIDTH)).unwrap_or(0);
        let count = 1usize << (height % tile_height);
        let subtree = path
            .ok()
            .and_then(|path| tiles.get(&path))
            .and_then(|hashes| hashes.get(offset..offset + count))
            .map_or(crate::EMPTY_ROOT, hash_of_subtrees);
        subtrees.push(subtree);
    }
    let mut from_right = subtrees.into_iter().rev();
    let last = from_right.next().unwrap_or(crate::EMPTY_ROOT);
    from_right.fold(last, |right, left| node_hash(&left, &right))
}

/// Verifies a static mirror (C2SP tlog-tiles) against a checkpoint whose
/// signature the caller has verified: every hash tile and entry bundle that
/// the tree size needs, read through `fetch` by path (`None` for a missing
/// file).
///
/// The hash tiles are authenticated top down: the right-edge tiles must hash
/// to the checkpoint's root, then every full tile must hash to its slot in
/// its (authenticated) parent tile; last, every entry must hash to its leaf
/// hash in the authenticated level-0 tile. So the error names the tile or
/// bundle that is wrong. If the right edge does not give the root, the
/// entries decide: when they give the root, the first tile that differs from
/// them is named; otherwise [`Error::RootMismatch`] lists the right edge.
///
/// Extra files (such as older partial tiles, which logs may keep) are never
/// asked for.
///
/// # Errors
/// [`Error::MissingTile`], [`Error::TileSize`],
/// [`Error::MalformedEntryBundle`], [`Error::RootMismatch`],
/// [`Error::TileMismatch`] or [`Error::BundleMismatch`].
pub fn verify_mirror(
    checkpoint: &Checkpoint,
    mut fetch: impl FnMut(&TilePath) -> Option<Vec<u8>>,
) -> Result<MirrorReport, Error> {
    let size = checkpoint.size;
    let mut tiles = BTreeMap::new();
    for path in hash_tile_paths(size) {
        tiles.insert(path, load_hash_tile(&path, &mut fetch)?);
    }
    let bundle_paths: Vec<TilePath> = entry_bundle_paths(size).collect();
    let mut entry_leaf_hashes = Vec::new();
    for path in &bundle_paths {
        let bytes = fetch(path).ok_or(Error::MissingTile { path: *path })?;
        entry_leaf_hashes.extend(
            decode_entry_bundle(path, &bytes)?
                .into_iter()
                .map(leaf_hash),
        );
    }

    let computed = root_from_right_edge(size, &tiles);
    if computed != checkpoint.root {
        let from_entries = MerkleLog::from_leaf_hashes(entry_leaf_hashes);
        if from_entries.root() == checkpoint.root {
            for path in right_edge_paths(size) {
                let served = tiles.get(&path).map(|hashes| hashes_to_bytes(hashes));
                if served != from_entries.tile(&path).ok() {
                    return Err(Error::TileMismatch { path });
                }
            }
        }
        return Err(Error::RootMismatch {
            paths: right_edge_paths(size),
            expected: checkpoint.root,
            computed,
        });
    }

    // Top down: a level's full tiles are checked against the level above,
    // which is already authenticated.
    for (path, hashes) in tiles.iter().rev() {
        let TileKind::Hash { level } = path.kind() else {
            continue;
        };
        if path.is_partial() {
            continue;
        }
        let parent_level = level + 1;
        let parent_index = path.index() / u64::from(TILE_WIDTH);
        let parent_hashes = size
            .checked_shr(u32::from(parent_level) * u32::from(TILE_HEIGHT))
            .unwrap_or(0);
        let parent_width =
            (parent_hashes - parent_index * u64::from(TILE_WIDTH)).min(u64::from(TILE_WIDTH));
        let slot = usize::try_from(path.index() % u64::from(TILE_WIDTH)).unwrap_or(usize::MAX);
        let expected = TilePath::hash_tile(
            parent_level,
            parent_index,
            u16::try_from(parent_width).unwrap_or(0),
        )
        .ok()
        .and_then(|parent| tiles.get(&parent))
        .and_then(|parent| parent.get(slot));
        if expected != Some(&hash_of_subtrees(hashes)) {
            return Err(Error::TileMismatch { path: *path });
        }
    }

    for path in &bundle_paths {
        let level_zero = TilePath::hash_tile(0, path.index(), path.width())?;
        let first = path.index() * u64::from(TILE_WIDTH);
        let leaves = tiles.get(&level_zero).map_or(&[][..], Vec::as_slice);
        let start = usize::try_from(first).unwrap_or(usize::MAX);
        let from_entries = entry_leaf_hashes_slice(&entry_leaf_hashes, start, leaves.len());
        if let Some(position) = leaves
            .iter()
            .zip(from_entries)
            .position(|(tile_hash, entry_hash)| tile_hash != entry_hash)
        {
            return Err(Error::BundleMismatch {
                path: *path,
                index: first + u64::try_from(position).unwrap_or(0),
            });
        }
    }

    Ok(MirrorReport {
        size,
        hash_tiles: tiles.len(),
        entry_bundles: bundle_paths.len(),
    })
}

fn entry_leaf_hashes_slice(hashes: &[Hash], start: usize, count: usize) -> &[Hash] {
    hashes
        .get(start..start.saturating_add(count))
        .unwrap_or(&[])
}

fn hashes_to_bytes(hashes: &[Hash]) -> Vec<u8> {
    hashes.iter().flat_map(|hash| hash.0).collect()
}
