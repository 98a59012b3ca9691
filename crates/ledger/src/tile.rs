//! C2SP tlog-tiles: tile paths, which tiles a tree size has, entry bundles.

use std::fmt;
use std::str::FromStr;

use crate::Error;

/// Height of a tile: each tile spans 8 levels of the tree.
pub const TILE_HEIGHT: u8 = 8;

/// Hashes in a full tile (and entries in a full bundle): `2^TILE_HEIGHT`.
pub const TILE_WIDTH: u16 = 256;

/// The highest level a C2SP path may name.
const MAX_LEVEL: u8 = 63;

/// What a tile holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TileKind {
    /// Merkle tree hashes: at level 0 leaf hashes, at level `l` the hashes
    /// of the full tiles of level `l - 1`.
    Hash {
        /// The tile's level.
        level: u8,
    },
    /// An entry bundle: the entries whose leaf hashes are in the level-0
    /// tile of the same index.
    Entries,
}

/// A tile's coordinates: what it holds, its index within its level and its
/// width (256 for a full tile, 1 to 255 for a partial one).
///
/// `Display` and [`TilePath::parse`] use the C2SP form,
/// `tile/<L>/<N>[.p/<W>]` and `tile/entries/<N>[.p/<W>]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TilePath {
    kind: TileKind,
    index: u64,
    width: u16,
}

impl TilePath {
    /// A hash tile.
    ///
    /// # Errors
    /// [`Error::InvalidTile`] if the level exceeds 63 or the width is not
    /// 1 to 256.
    pub fn hash_tile(level: u8, index: u64, width: u16) -> Result<Self, Error> {
        if level > MAX_LEVEL {
            return Err(Error::InvalidTile {
                reason: "the level must be 0 to 63",
            });
        }
        Self::new(TileKind::Hash { level }, index, width)
    }

    /// An entry bundle.
    ///
    /// # Errors
    /// [`Error::InvalidTile`] if the width is not 1 to 256.
    pub fn entry_bundle(index: u64, width: u16) -> Result<Self, Error> {
        Self::new(TileKind::Entries, index, width)
    }

    fn new(kind: TileKind, index: u64, width: u16) -> Result<Self, Error> {
        if width == 0 || width > TILE_WIDTH {
            return Err(Error::InvalidTile {
                reason: "the width must be 1 to 256",
            });
        }
        Ok(Self { kind, index, width })
    }

    /// What the tile holds.
    #[must_use]
    pub fn kind(&self) -> TileKind {
        self.kind
    }

    /// The level of a hash tile; `None` for an entry bundle.
    #[must_use]
    pub fn level(&self) -> Option<u8> {
        match self.kind {
            TileKind::Hash { level } => Some(level),
            TileKind::Entries => None,
        }
    }

    /// The tile's index within its level.
    #[must_use]
    pub fn index(&self) -> u64 {
        self.index
    }

    /// The number of hashes (or entries) in the tile.
    #[must_use]
    pub fn width(&self) -> u16 {
        self.width
    }

    /// Whether the tile is partial (fewer than 256 hashes or entries).
    #[must_use]
    pub fn is_partial(&self) -> bool {
        self.width < TILE_WIDTH
    }

    /// The path Go's `golang.org/x/mod/sumdb/tlog` gives this hash tile
    /// (`Tile{H: 8, L, N, W}.Path()`): `tile/8/<L>/<N>[.p/<W>]`. `None` for
    /// an entry bundle, whose format Go's data tiles do not share.
    #[must_use]
    pub fn go_path(&self) -> Option<String> {
        let level = self.level()?;
        Some(format!(
            "tile/{TILE_HEIGHT}/{level}/{}{}",
            encode_tile_index(self.index),
            self.partial_suffix()
        ))
    }

    fn partial_suffix(&self) -> String {
        if self.is_partial() {
            format!(".p/{}", self.width)
        } else {
            String::new()
        }
    }

    /// Parses a C2SP path. Only the canonical form is accepted (no leading
    /// zero groups, no leading zeroes in the level or width), so that each
    /// tile has one path.
    ///
    /// # Errors
    /// [`Error::InvalidTilePath`] naming what is wrong.
    pub fn parse(path: &str) -> Result<Self, Error> {
        let invalid = |reason| Error::InvalidTilePath {
            path: path.to_owned(),
            reason,
        };
        let rest = path
            .strip_prefix("tile/")
            .ok_or_else(|| invalid("expected it to start with tile/"))?;
        let (kind_text, rest) = rest
            .split_once('/')
            .ok_or_else(|| invalid("expected tile/<L>/<N>"))?;
        let kind = if kind_text == "entries" {
            TileKind::Entries
        } else {
            let level = parse_decimal(kind_text)
                .and_then(|level| u8::try_from(level).ok())
                .filter(|&level| level <= MAX_LEVEL)
                .ok_or_else(|| invalid("the level must be `entries` or 0 to 63"))?;
            TileKind::Hash { level }
        };
        let (index_text, width) = match rest.split_once(".p/") {
            Some((index_text, width_text)) => {
                let width = parse_decimal(width_text)
                    .and_then(|width| u16::try_from(width).ok())
                    .filter(|&width| (1..TILE_WIDTH).contains(&width))
                    .ok_or_else(|| invalid("a partial width must be 1 to 255"))?;
                (index_text, width)
            }
            None => (rest, TILE_WIDTH),
        };
        let mut index: u64 = 0;
        let groups: Vec<&str> = index_text.split('/').collect();
        let last = groups.len() - 1;
        for (position, group) in groups.iter().enumerate() {
            let digits = if position == last {
                Some(*group)
            } else {
                group.strip_prefix('x')
            }
            .filter(|digits| digits.len() == 3 && digits.bytes().all(|byte| byte.is_ascii_digit()))
            .ok_or_else(|| {
                invalid("the index must be groups of three digits, all but the last prefixed by x")
            })?;
            index = digits
                .parse::<u64>()
                .ok()
                .and_then(|value| index.checked_mul(1000)?.checked_add(value))
                .ok_or_else(|| invalid("the index does not fit in 64 bits"))?;
        }
        let tile = Self { kind, index, width };
        if tile.to_string() != path {
            return Err(invalid("not the canonical form of its index"));
        }
        Ok(tile)
    }
}

impl fmt::Display for TilePath {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            TileKind::Hash { level } => write!(formatter, "tile/{level}/")?,
            TileKind::Entries => write!(formatter, "tile/entries/")?,
        }
        write!(
            formatter,
            "{}{}",
            encode_tile_index(self.index),
            self.partial_suffix()
        )
    }
}

impl FromStr for TilePath {
    type Err = Error;

    fn from_str(path: &str) -> Result<Self, Error> {
        Self::parse(path)
    }
}

/// A decimal without sign or leading zeroes.
fn parse_decimal(text: &str) -> Option<u64> {
    let canonical = !text.is_empty()
        && text.bytes().all(|byte| byte.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    if canonical { text.parse().ok() } else { None }
}

/// The C2SP encoding of a tile index: zero-padded groups of three digits,
/// all but the last prefixed by `x`; 1234067 is `x001/x234/067`.
#[must_use]
pub fn encode_tile_index(index: u64) -> String {
    let mut groups = vec![format!("{:03}", index % 1000)];
    let mut rest = index / 1000;
    while rest > 0 {
        groups.push(format!("x{:03}", rest % 1000));
        rest /= 1000;
    }
    groups.reverse();
    groups.join("/")
}

/// The number of hashes at tile level `level` in a tree of `size` entries:
/// one per complete subtree of `256^level` entries.
fn hashes_at_level(size: u64, level: u8) -> u64 {
    size.checked_shr(u32::from(level) * u32::from(TILE_HEIGHT))
        .unwrap_or(0)
}

/// The tiles of one level, from tile `first_index` on, for `hashes` hashes.
fn level_tiles(kind: TileKind, hashes: u64, first_index: u64) -> impl Iterator<Item = TilePath> {
    let full = hashes / u64::from(TILE_WIDTH);
    let partial = u16::try_from(hashes % u64::from(TILE_WIDTH)).unwrap_or(0);
    let full_tiles = (first_index..full).map(move |index| TilePath {
        kind,
        index,
        width: TILE_WIDTH,
    });
    let partial_tile = (partial > 0 && first_index <= full).then_some(TilePath {
        kind,
        index: full,
        width: partial,
    });
    full_tiles.chain(partial_tile)
}

/// Every hash tile of the tree of size `size`, level 0 first, by index.
/// Empty for the empty tree.
pub fn hash_tile_paths(size: u64) -> impl Iterator<Item = TilePath> {
    (0..=MAX_LEVEL)
        .take_while(move |&level| hashes_at_level(size, level) > 0)
        .flat_map(move |level| {
            level_tiles(TileKind::Hash { level }, hashes_at_level(size, level), 0)
        })
}

/// The hash tiles of size `new_size` that a mirror of size `old_size` lacks
/// (new tiles, and partial tiles that grew).
pub(crate) fn hash_tile_paths_between(
    old_size: u64,
    new_size: u64,
) -> impl Iterator<Item = TilePath> {
    (0..=MAX_LEVEL)
        .take_while(move |&level| hashes_at_level(new_size, level) > 0)
        .flat_map(move |level| {
            let old_hashes = hashes_at_level(old_size, level);
            let new_hashes = hashes_at_level(new_size, level);
            // The old tree's partial tile (or the first tile past its full
            // ones) is the first that can differ; it is unchanged only if
            // this level did not grow.
            let first = if old_hashes == new_hashes {
                u64::MAX
            } else {
                old_hashes / u64::from(TILE_WIDTH)
            };
            level_tiles(TileKind::Hash { level }, new_hashes, first)
        })
}

/// The tiles on the right edge of the tree of size `size`: the partial tile
/// of each level, top level first. They alone determine the root.
pub(crate) fn right_edge_paths(size: u64) -> Vec<TilePath> {
    let mut paths: Vec<TilePath> = (0..=MAX_LEVEL)
        .take_while(|&level| hashes_at_level(size, level) > 0)
        .filter_map(|level| {
            let hashes = hashes_at_level(size, level);
            let width = u16::try_from(hashes % u64::from(TILE_WIDTH)).ok()?;
            (width > 0).then_some(TilePath {
                kind: TileKind::Hash { level },
                index: hashes / u64::from(TILE_WIDTH),
                width,
            })
        })
        .collect();
    paths.reverse();
    paths
}

/// Every entry bundle of the tree of size `size`, by index.
pub fn entry_bundle_paths(size: u64) -> impl Iterator<Item = TilePath> {
    level_tiles(TileKind::Entries, size, 0)
}

/// Encodes entries as an entry bundle: each a big-endian uint16 length, then
/// its bytes.
///
/// # Errors
/// [`Error::EntryTooLong`] for an entry over 65,535 bytes, with its position
/// in `entries` as the index.
pub fn encode_entry_bundle<Entry: AsRef<[u8]>>(entries: &[Entry]) -> Result<Vec<u8>, Error> {
    let total: usize = entries.iter().map(|entry| entry.as_ref().len() + 2).sum();
    let mut bytes = Vec::with_capacity(total);
    for (position, entry) in entries.iter().enumerate() {
        let entry = entry.as_ref();
        let length = u16::try_from(entry.len()).map_err(|_| Error::EntryTooLong {
            index: u64::try_from(position).unwrap_or(u64::MAX),
            length: entry.len(),
        })?;
        bytes.extend_from_slice(&length.to_be_bytes());
        bytes.extend_from_slice(entry);
    }
    Ok(bytes)
}

/// Decodes an entry bundle, checking it holds exactly the width of `path`.
///
/// # Errors
/// [`Error::MalformedEntryBundle`] naming `path`.
pub fn decode_entry_bundle<'bytes>(
    path: &TilePath,
    bytes: &'bytes [u8],
) -> Result<Vec<&'bytes [u8]>, Error> {
    let malformed = |reason: String| Error::MalformedEntryBundle {
        path: *path,
        reason,
    };
    let mut entries = Vec::with_capacity(usize::from(path.width()));
    let mut rest = bytes;
    while !rest.is_empty() {
        let [high, low, tail @ ..] = rest else {
            return Err(malformed(format!(
                "a length prefix is cut short after entry {}",
                entries.len()
            )));
        };
        let length = usize::from(u16::from_be_bytes([*high, *low]));
        let entry = tail.get(..length).ok_or_else(|| {
            malformed(format!(
                "entry {} claims {length} bytes, only {} remain",
                entries.len(),
                tail.len()
            ))
        })?;
        entries.push(entry);
        rest = &tail[length..];
    }
    if entries.len() != usize::from(path.width()) {
        return Err(malformed(format!(
            "it holds {} entries, its width is {}",
            entries.len(),
            path.width()
        )));
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(level: u8, index: u64, width: u16) -> TilePath {
        TilePath {
            kind: TileKind::Hash { level },
            index,
            width,
        }
    }

    #[test]
    fn index_encoding() {
        // C2SP tlog-tiles, "Merkle Tree": index 1234067 is x001/x234/067.
        // The others are the indexes in Go's sumdb/tlog/tlog_test.go
        // (TestTilePath): tile/3/5/x123/x456/078, tile/1/0/x003/x057/500,
        // tile/4/0/001.
        for (index, want) in [
            (1_234_067, "x001/x234/067"),
            (123_456_078, "x123/x456/078"),
            (3_057_500, "x003/x057/500"),
            (1, "001"),
            (0, "000"),
            (999, "999"),
            (1000, "x001/000"),
            (u64::MAX, "x018/x446/x744/x073/x709/x551/615"),
        ] {
            assert_eq!(encode_tile_index(index), want, "index {index}");
        }
    }

    fn check_path(text: &str, want: TilePath) {
        assert_eq!(TilePath::parse(text), Ok(want), "{text}");
        assert_eq!(want.to_string(), text);
    }

    #[test]
    fn c2sp_paths() {
        check_path("tile/0/x001/x234/067", hash(0, 1_234_067, 256));
        check_path("tile/0/x001/x234/067.p/1", hash(0, 1_234_067, 1));
        check_path("tile/5/000.p/255", hash(5, 0, 255));
        check_path("tile/63/000", hash(63, 0, 256));
        check_path(
            "tile/entries/x001/x234/067.p/8",
            TilePath {
                kind: TileKind::Entries,
                index: 1_234_067,
                width: 8,
            },
        );
        check_path(
            "tile/0/x018/x446/x744/x073/x709/x551/615",
            hash(0, u64::MAX, 256),
        );
    }

    #[test]
    fn go_paths() {
        // Go's Tile{H: 8, L, N, W}.Path() (sumdb/tlog/tile.go); the layout of
        // its TestTilePath cases with H = 8.
        assert_eq!(
            hash(0, 1_234_067, 1).go_path().as_deref(),
            Some("tile/8/0/x001/x234/067.p/1")
        );
        assert_eq!(
            hash(5, 123_456_078, 256).go_path().as_deref(),
            Some("tile/8/5/x123/x456/078")
        );
        assert_eq!(
            TilePath::entry_bundle(0, 3).ok().and_then(|t| t.go_path()),
            None
        );
    }

    #[test]
    fn bad_paths() {
        for bad in [
            "",
            "tile/0",
            "tile/0/",
            "tile/00/000",
            "tile/64/000",
            "tile/-1/000",
            "tile/0/1",
            "tile/0/0001",
            "tile/0/x000/001",
            "tile/0/001/002",
            "tile/0/x001/x002",
            "tile/0/000.p/0",
            "tile/0/000.p/256",
            "tile/0/000.p/01",
            "tile/0/000.p/",
            "tile/8/0/000",
            "tile/data/000",
            "tile/entries/x000/000",
            "tiles/0/000",
            // Go's TestTilePath invalid case.
            "tile/3/5/123/456/078",
            "tile/0/x018/x446/x744/x073/x709/x551/616",
        ] {
            assert!(TilePath::parse(bad).is_err(), "{bad:?} parsed");
        }
    }

    fn widths(size: u64) -> Vec<String> {
        hash_tile_paths(size).map(|path| path.to_string()).collect()
    }

    #[test]
    fn tiles_of_a_size() {
        assert!(widths(0).is_empty());
        assert_eq!(widths(1), ["tile/0/000.p/1"]);
        assert_eq!(widths(255), ["tile/0/000.p/255"]);
        // C2SP tlog-tiles, "Partial Tiles": a tree of size 256 has a full
        // level 0 tile and a partial level 1 tile of width 1.
        assert_eq!(widths(256), ["tile/0/000", "tile/1/000.p/1"]);
        assert_eq!(
            widths(257),
            ["tile/0/000", "tile/0/001.p/1", "tile/1/000.p/1"]
        );
        // C2SP tlog-tiles, "Partial Tiles": a tree of size 70,000 has 273
        // full level 0 tiles, one partial level 0 tile of width 112, one full
        // level 1 tile, one partial level 1 tile of width 17, and one partial
        // level 2 tile of width 1.
        let paths: Vec<TilePath> = hash_tile_paths(70_000).collect();
        let level = |level| paths.iter().filter(move |p| p.level() == Some(level));
        assert_eq!(level(0).filter(|p| !p.is_partial()).count(), 273);
        assert_eq!(
            level(0).filter(|p| p.is_partial()).collect::<Vec<_>>(),
            [&hash(0, 273, 112)]
        );
        assert_eq!(
            level(1).collect::<Vec<_>>(),
            [&hash(1, 0, 256), &hash(1, 1, 17)]
        );
        assert_eq!(level(2).collect::<Vec<_>>(), [&hash(2, 0, 1)]);
        assert_eq!(paths.len(), 277);
        assert_eq!(
            right_edge_paths(70_000),
            [hash(2, 0, 1), hash(1, 1, 17), hash(0, 273, 112)]
        );
        assert_eq!(right_edge_paths(256), [hash(1, 0, 1)]);
    }

    #[test]
    fn tiles_between_sizes() {
        let between = |old, new| -> Vec<String> {
            hash_tile_paths_between(old, new)
                .map(|path| path.to_string())
                .collect()
        };
        assert_eq!(between(0, 1), ["tile/0/000.p/1"]);
        assert_eq!(between(1, 1), Vec::<String>::new());
        assert_eq!(between(1, 2), ["tile/0/000.p/2"]);
        assert_eq!(between(255, 256), ["tile/0/000", "tile/1/000.p/1"]);
        assert_eq!(between(256, 257), ["tile/0/001.p/1"]);
        assert_eq!(
            between(300, 600),
            ["tile/0/001", "tile/0/002.p/88", "tile/1/000.p/2"]
        );
        // Everything a fresh mirror needs.
        assert_eq!(between(0, 70_000), widths(70_000));
    }

    #[test]
    fn entry_bundles_round_trip() -> Result<(), Error> {
        let entries: [&[u8]; 3] = [b"", b"a", &[7u8; 300]];
        let bytes = encode_entry_bundle(&entries)?;
        assert_eq!(&bytes[..5], [0, 0, 0, 1, b'a']);
        assert_eq!(&bytes[5..7], [1, 44]);
        let path = TilePath::entry_bundle(0, 3)?;
        assert_eq!(decode_entry_bundle(&path, &bytes)?, entries);
        let wider = TilePath::entry_bundle(0, 4)?;
        assert!(decode_entry_bundle(&wider, &bytes).is_err());
        assert!(decode_entry_bundle(&path, &bytes[..bytes.len() - 1]).is_err());
        assert!(decode_entry_bundle(&path, &[bytes.as_slice(), &[0]].concat()).is_err());
        assert!(encode_entry_bundle(&[vec![0u8; 65_536]]).is_err());
        assert_eq!(
            entry_bundle_paths(513)
                .map(|p| p.to_string())
                .collect::<Vec<_>>(),
            [
                "tile/entries/000",
                "tile/entries/001",
                "tile/entries/002.p/1"
            ]
        );
        Ok(())
    }
}
