//! The story's data: the shipped election, a few real-looking tables, records and sources.

use veedor_core::{
    ActaRecord, CentreCode, Counts, Election, Pseudonym, Sha256, TableId, TableNumber, Timestamp,
};
use veedor_store::{FileKind, SourceFile};

/// The election every store of the story is created for.
pub(crate) const ELECTION_DEFINITION: &str =
    include_str!("../../../elections/ve-2024-presidential.toml");

/// 2024-07-29T00:00:00Z, the night after the election.
const NIGHT: i64 = 1_722_211_200;

/// A time `tick` seconds into the night, with nanoseconds: the command line stamps files with
/// the clock's full precision, and the log entries carry it, so a store must keep every digit
/// (a PostgreSQL `timestamptz` keeps microseconds only).
pub(crate) fn time(tick: i64) -> Timestamp {
    let nanosecond = i32::try_from(tick.rem_euclid(1_000)).unwrap_or(0) * 1_000_003 + 7;
    Timestamp::constant(NIGHT + tick * 61, nanosecond)
}

/// A fixture that cannot fail unless the suite itself is wrong.
pub(crate) fn fixture<T, E: std::fmt::Display>(result: Result<T, E>, what: &str) -> T {
    match result {
        Ok(value) => value,
        Err(error) => panic!("conformance fixture {what}: {error}"),
    }
}

pub(crate) fn election() -> Election {
    fixture(
        veedor_formats::parse_election(ELECTION_DEFINITION),
        "the shipped election",
    )
}

pub(crate) fn table(centre: u64, number: u16) -> TableId {
    TableId::new(CentreCode::new(centre), TableNumber::new(number))
}

/// Two tables of one centre in the capital (state 01).
pub(crate) const CAPITAL: u64 = 10_101_001;
/// A centre in Táchira (state 20).
pub(crate) const TACHIRA: u64 = 200_501_003;
/// A centre in Zulia (state 21), whose table only a failed batch and its retry name.
pub(crate) const ZULIA: u64 = 211_301_012;

pub(crate) fn pseudonym(text: &str) -> Pseudonym {
    fixture(Pseudonym::new(text), "a pseudonym")
}

/// A made-up SHA-256 for a source whose bytes the story never stores.
pub(crate) fn digest(seed: u8) -> Sha256 {
    let mut bytes = [seed; 32];
    bytes[0] = 0xc0;
    bytes[31] = seed.wrapping_mul(7);
    Sha256::from_bytes(bytes)
}

pub(crate) fn source(kind: FileKind, file_name: &str, seed: u8, at: Timestamp) -> SourceFile {
    SourceFile {
        kind,
        file_name: file_name.to_owned(),
        sha256: digest(seed),
        size: 1_000 + u64::from(seed) * 37,
        received_at: at,
    }
}

/// A per-candidate record, as published result files carry.
pub(crate) fn candidates_record(
    table: TableId,
    votes: [u32; 10],
    null_votes: u32,
    stated_registered: Option<u32>,
) -> ActaRecord {
    ActaRecord {
        table,
        counts: Counts::Candidates(votes.to_vec()),
        null_votes: Some(null_votes),
        stated_valid_votes: Some(votes.iter().sum()),
        stated_registered,
        format_fields: Vec::new(),
        declared_counts: Vec::new(),
    }
}

/// A per-card record, as the QR code carries: one cell per card of the ballot, the first ones
/// given, with format fields that must come back verbatim.
pub(crate) fn cells_record(
    election: &Election,
    table: TableId,
    first_cells: &[u32],
    null_votes: u32,
) -> ActaRecord {
    let mut cells = vec![0; election.cards.len()];
    for (cell, value) in cells.iter_mut().zip(first_cells) {
        *cell = *value;
    }
    ActaRecord {
        table,
        counts: Counts::Cells(cells),
        null_votes: Some(null_votes),
        stated_valid_votes: None,
        stated_registered: None,
        format_fields: vec![
            ("suffix".to_owned(), "1.0001".to_owned()),
            ("campo4".to_owned(), "0".to_owned()),
            ("nota".to_owned(), "año=2024, ñ".to_owned()),
        ],
        declared_counts: vec![
            ("blank".to_owned(), 3),
            ("ballots_received".to_owned(), 310),
        ],
    }
}
