//! The voter registry in two tables: `registry` (the current one: its generation, content
//! digest, layout, voters and source) and `registry_chunks`, the registry's sorted entries cut
//! into chunks of at most [`CHUNK_BYTES`], each one `bytea` of little-endian integers in the
//! layout of [`VoterIds`]:
//!
//! ```text
//! packed  n u64: id << 32 | table key           8 bytes a voter (every id below 2^32), 1,000 a chunk
//! wide    n u64 ids, then n u32 table keys      12 bytes a voter, 666 a chunk
//! ```
//!
//! A chunk's row is keyed by its first id, so a single lookup reads one chunk by the primary
//! key and binary-searches it; loading the registry streams the chunks in order. A chunk fits
//! in its row (`STORAGE PLAIN`: no TOAST, no compression), one row a page: with the page and
//! index overheads a voter takes about 8.5 bytes on disk packed (measured by this crate's
//! tests). A replacement writes a new generation with `COPY ... FROM STDIN BINARY`, makes it
//! current and deletes the old one, in one transaction.

use postgres::fallible_iterator::FallibleIterator as _;
use postgres::types::{ToSql, Type};
use postgres::{Row, Transaction};
use sha2::{Digest as _, Sha256 as Hasher};
use veedor_core::{Registry, TableKey, VoterId, VoterIds};
use veedor_store::{BatchOutcome, RegistryInfo, RegistryStore, SourceFile, StoreError};

use crate::{
    PostgresStore, Written, append_log_entry, corrupt, db_error, insert_source, source_file,
    timestamp, to_i64,
};

/// The most bytes of entries in one chunk: what one row of an 8 KiB page holds beside the
/// row's header and other columns, so that a chunk is never moved out of line.
pub(crate) const CHUNK_BYTES: usize = 8_000;

const PACKED: &str = "packed";
const WIDE: &str = "wide";

/// An id as a `bigint` that sorts as the unsigned id does (the top bit flipped).
fn sortable(id: u64) -> i64 {
    i64::from_be_bytes((id ^ (1 << 63)).to_be_bytes())
}

fn layout(registry: &Registry) -> &'static str {
    match registry.entries() {
        VoterIds::Packed(_) => PACKED,
        VoterIds::Wide(..) => WIDE,
    }
}

/// Voters in one chunk of the registry's layout.
fn chunk_voters(registry: &Registry) -> usize {
    match registry.entries() {
        VoterIds::Packed(_) => CHUNK_BYTES / 8,
        VoterIds::Wide(..) => CHUNK_BYTES / 12,
    }
}

/// Chunk `index` of the registry: its first id, its voters and its bytes.
fn chunk(registry: &Registry, index: usize) -> (u64, usize, Vec<u8>) {
    let voters = chunk_voters(registry);
    let range = |len: usize| (index * voters).min(len)..((index + 1) * voters).min(len);
    match registry.entries() {
        VoterIds::Packed(packed) => {
            let entries = packed.get(range(packed.len())).unwrap_or_default();
            let bytes = entries.iter().flat_map(|v| v.to_le_bytes()).collect();
            (entries.first().map_or(0, |v| v >> 32), entries.len(), bytes)
        }
        VoterIds::Wide(ids, tables) => {
            let range = range(ids.len());
            let ids = ids.get(range.clone()).unwrap_or_default();
            let tables = tables.get(range).unwrap_or_default();
            let mut bytes = Vec::with_capacity(ids.len() * 12);
            bytes.extend(ids.iter().flat_map(|v| v.to_le_bytes()));
            bytes.extend(tables.iter().flat_map(|v| v.to_le_bytes()));
            (ids.first().copied().unwrap_or(0), ids.len(), bytes)
        }
    }
}

fn chunk_count(registry: &Registry) -> usize {
    registry.len().div_ceil(chunk_voters(registry))
}

/// SHA-256 of the layout and every chunk: equal for equal registries.
fn content_digest(registry: &Registry) -> [u8; 32] {
    let mut hasher = Hasher::new();
    hasher.update(layout(registry).as_bytes());
    for index in 0..chunk_count(registry) {
        hasher.update(chunk(registry, index).2);
    }
    hasher.finalize().into()
}

fn long(bytes: &[u8], at: usize) -> Option<u64> {
    let word: [u8; 8] = bytes.get(at..at + 8)?.try_into().ok()?;
    Some(u64::from_le_bytes(word))
}

fn word(bytes: &[u8], at: usize) -> Option<u32> {
    let word: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
    Some(u32::from_le_bytes(word))
}

fn bad_chunk() -> StoreError {
    corrupt("a registry chunk whose length does not fit its layout")
}

/// Appends a chunk's entries to the ones read so far.
fn decode_chunk(layout: &str, bytes: &[u8], into: &mut VoterIds) -> Result<(), StoreError> {
    match (layout, into) {
        (PACKED, VoterIds::Packed(packed)) if bytes.len().is_multiple_of(8) => {
            packed.extend(bytes.chunks_exact(8).filter_map(|c| long(c, 0)));
            Ok(())
        }
        (WIDE, VoterIds::Wide(ids, tables)) if bytes.len().is_multiple_of(12) => {
            let voters = bytes.len() / 12;
            let (id_bytes, key_bytes) = bytes.split_at(voters * 8);
            ids.extend(id_bytes.chunks_exact(8).filter_map(|c| long(c, 0)));
            tables.extend(key_bytes.chunks_exact(4).filter_map(|c| word(c, 0)));
            Ok(())
        }
        (PACKED | WIDE, _) => Err(bad_chunk()),
        (other, _) => Err(corrupt(format!("registry layout `{other}`"))),
    }
}

/// The table of `voter` in one chunk.
fn search_chunk(
    layout: &str,
    bytes: &[u8],
    voter: VoterId,
) -> Result<Option<TableKey>, StoreError> {
    match layout {
        PACKED if bytes.len().is_multiple_of(8) => {
            let Ok(id) = u32::try_from(voter.get()) else {
                return Ok(None);
            };
            let count = bytes.len() / 8;
            let found = binary_search(
                count,
                |i| long(bytes, i * 8).map(|v| v >> 32),
                u64::from(id),
            );
            Ok(found
                .and_then(|i| long(bytes, i * 8))
                .map(|v| TableKey::new(u32::try_from(v & 0xffff_ffff).unwrap_or(0))))
        }
        WIDE if bytes.len().is_multiple_of(12) => {
            let count = bytes.len() / 12;
            let found = binary_search(count, |i| long(bytes, i * 8), voter.get());
            Ok(found
                .and_then(|i| word(bytes, count * 8 + i * 4))
                .map(TableKey::new))
        }
        PACKED | WIDE => Err(bad_chunk()),
        other => Err(corrupt(format!("registry layout `{other}`"))),
    }
}

/// The position of `target` among `count` ascending values read by `at`.
fn binary_search(count: usize, at: impl Fn(usize) -> Option<u64>, target: u64) -> Option<usize> {
    let (mut low, mut high) = (0, count);
    while low < high {
        let middle = low + (high - low) / 2;
        let value = at(middle)?;
        match value.cmp(&target) {
            std::cmp::Ordering::Less => low = middle + 1,
            std::cmp::Ordering::Greater => high = middle,
            std::cmp::Ordering::Equal => return Some(middle),
        }
    }
    None
}

/// Writes the registry's chunks under `generation`.
fn copy_chunks(
    transaction: &mut Transaction<'_>,
    generation: i64,
    registry: &Registry,
) -> Result<(), StoreError> {
    // One chunk in memory at a time: the import holds no second copy of the registry.
    let rows = (0..chunk_count(registry)).map(|index| {
        let (first, voters, bytes) = chunk(registry, index);
        (
            sortable(first),
            to_i64(u64::try_from(voters).unwrap_or(0)),
            bytes,
        )
    });
    let sink = transaction
        .copy_in("COPY registry_chunks (generation, first_id, voters, entries) FROM STDIN BINARY")
        .map_err(db_error)?;
    let mut writer = postgres::binary_copy::BinaryCopyInWriter::new(
        sink,
        &[Type::INT8, Type::INT8, Type::INT8, Type::BYTEA],
    );
    for (first, voters, bytes) in rows {
        let row: [&(dyn ToSql + Sync); 4] = [&generation, &first, &voters, &bytes];
        writer.write(&row).map_err(db_error)?;
    }
    writer.finish().map_err(db_error)?;
    Ok(())
}

impl RegistryStore for PostgresStore {
    fn replace_registry(
        &mut self,
        registry: &Registry,
        source: &SourceFile,
        log_entry: &[u8],
    ) -> Result<BatchOutcome, StoreError> {
        let digest = content_digest(registry);
        self.write(|transaction| {
            let current = transaction
                .query_opt(
                    "SELECT r.content_sha256, r.generation, s.received_at
                     FROM registry r JOIN sources s ON s.id = r.source_id WHERE r.id = 1",
                    &[],
                )
                .map_err(db_error)?;
            if let Some(row) = &current
                && row.get::<_, &[u8]>(0) == digest
            {
                return Ok(Written::Nothing(BatchOutcome::AlreadyApplied {
                    at: timestamp(row.get(2))?,
                }));
            }
            // The same file imported before and since replaced is made current again.
            let source_id = match insert_source(transaction, source)? {
                Ok(id) | Err((id, _)) => id,
            };
            let generation = current.map_or(1, |row| row.get::<_, i64>(1) + 1);
            copy_chunks(transaction, generation, registry)?;
            transaction
                .execute(
                    "INSERT INTO registry (id, generation, content_sha256, layout, voters, source_id)
                     VALUES (1, $1, $2, $3, $4, $5)
                     ON CONFLICT (id) DO UPDATE SET generation = excluded.generation,
                         content_sha256 = excluded.content_sha256, layout = excluded.layout,
                         voters = excluded.voters, source_id = excluded.source_id",
                    &[
                        &generation,
                        &&digest[..],
                        &layout(registry),
                        &to_i64(u64::try_from(registry.len()).unwrap_or(u64::MAX)),
                        &source_id,
                    ],
                )
                .map_err(db_error)?;
            transaction
                .execute(
                    "DELETE FROM registry_chunks WHERE generation <> $1",
                    &[&generation],
                )
                .map_err(db_error)?;
            append_log_entry(transaction, log_entry)?;
            Ok(Written::Stored(BatchOutcome::Applied {
                copies_added: 0,
                tables_added: 0,
                tables_updated: 0,
            }))
        })
    }

    fn registry_info(&self) -> Result<Option<RegistryInfo>, StoreError> {
        self.client()
            .query_opt(
                "SELECT r.voters, s.kind, s.file_name, s.sha256, s.size, s.received_at
                 FROM registry r JOIN sources s ON s.id = r.source_id WHERE r.id = 1",
                &[],
            )
            .map_err(db_error)?
            .map(|row: Row| {
                Ok(RegistryInfo {
                    voters: u64::try_from(row.get::<_, i64>(0)).unwrap_or(0),
                    source: source_file(&row, 1)?,
                })
            })
            .transpose()
    }

    fn lookup_voter(&self, voter: VoterId) -> Result<Option<TableKey>, StoreError> {
        let rows = self.query_prepared(
            // A subquery per current registry (one): a backward scan of the primary key that
            // stops at the first chunk, whatever the statistics say.
            "SELECT r.layout, (SELECT c.entries FROM registry_chunks c
                 WHERE c.generation = r.generation AND c.first_id <= $1
                 ORDER BY c.first_id DESC LIMIT 1)
             FROM registry r WHERE r.id = 1",
            &[&sortable(voter.get())],
        )?;
        match rows.first() {
            Some(row) => match row.get::<_, Option<&[u8]>>(1) {
                Some(entries) => search_chunk(row.get(0), entries, voter),
                None => Ok(None),
            },
            None => Ok(None),
        }
    }

    fn load_registry(&self) -> Result<Registry, StoreError> {
        let mut client = self.client();
        let no_parameters: [&(dyn ToSql + Sync); 0] = [];
        // One statement (one snapshot), streamed: a chunk at a time is held beside the arrays.
        let mut rows = client
            .query_raw(
                "SELECT r.layout, r.voters, c.entries FROM registry r
                 JOIN registry_chunks c ON c.generation = r.generation
                 WHERE r.id = 1 ORDER BY c.first_id",
                no_parameters,
            )
            .map_err(db_error)?;
        let mut entries: Option<VoterIds> = None;
        let mut layout_read = String::new();
        while let Some(row) = rows.next().map_err(db_error)? {
            let into = match &mut entries {
                Some(into) => into,
                None => {
                    layout_read = row.get::<_, String>(0);
                    let voters = usize::try_from(row.get::<_, i64>(1)).unwrap_or(0);
                    entries.insert(if layout_read == WIDE {
                        VoterIds::Wide(Vec::with_capacity(voters), Vec::with_capacity(voters))
                    } else {
                        VoterIds::Packed(Vec::with_capacity(voters))
                    })
                }
            };
            decode_chunk(&layout_read, row.get(2), into)?;
        }
        match entries {
            Some(entries) => {
                Registry::from_sorted(entries).map_err(|error| corrupt(error.to_string()))
            }
            None => Ok(Registry::empty()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sortable_ids_keep_the_unsigned_order() {
        let ids = [
            0,
            1,
            u64::from(u32::MAX),
            1 << 62,
            (1 << 63) - 1,
            1 << 63,
            u64::MAX,
        ];
        for pair in ids.windows(2) {
            assert!(sortable(pair[0]) < sortable(pair[1]), "{pair:?}");
        }
    }

    #[test]
    fn binary_search_finds_each_value_and_nothing_else() {
        let values = [2u64, 3, 5, 8, 13];
        let at = |i: usize| values.get(i).copied();
        for (position, value) in values.iter().enumerate() {
            assert_eq!(binary_search(values.len(), at, *value), Some(position));
        }
        for missing in [0, 4, 9, 14] {
            assert_eq!(binary_search(values.len(), at, missing), None);
        }
        assert_eq!(binary_search(0, at, 2), None);
    }

    #[test]
    fn a_chunk_of_the_wrong_length_is_corrupt_not_a_panic() {
        let mut packed = VoterIds::Packed(Vec::new());
        assert!(decode_chunk(PACKED, &[1, 2, 3], &mut packed).is_err());
        assert!(search_chunk(PACKED, &[1, 2, 3], VoterId::new(1)).is_err());
        assert!(search_chunk(WIDE, &[0; 13], VoterId::new(1)).is_err());
        assert!(search_chunk("other", &[], VoterId::new(1)).is_err());
    }
}
