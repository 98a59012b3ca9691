//! How large a file, a line and a name may be. A file from outside may be forged to take the
//! machine down (a file of many gigabytes, a "line" without a line break, a name of megabytes
//! that every page then repeats), so each importer states its bounds and refuses what exceeds
//! them before reading the file whole: the caller checks a file's size from its metadata, the
//! parsers check it again on the bytes they are given and check every line's length. Each figure
//! leaves ample room above the largest real file known and says why. Brazil's BU QR texts have
//! their own bounds beside their parser ([`crate::br_bu::MAX_PAYLOAD_BYTES`],
//! [`crate::br_bu::MAX_PARTS`], [`crate::br_bu::MAX_PAYLOADS`]).

const KIB: usize = 1024;
const MIB: usize = 1024 * KIB;

/// Largest result file (`veedor import results`): 256 MiB. The real 2024 file is 4.1 MB for
/// 24,532 tables (about 170 bytes a row); a country of 820,000 tables would be about 140 MB.
pub const RESULTS_FILE_BYTES: usize = 256 * MIB;

/// Largest table list (`veedor import tables`): 256 MiB, as for results. A row is about 100
/// bytes (codes, registered voters and four area names), so 820,000 tables are about 80 MB.
pub const TABLES_FILE_BYTES: usize = 256 * MIB;

/// Largest file of acta payloads (`veedor import payloads`): 256 MiB. A 2024 payload is about
/// 120 bytes, so one for each of 820,000 tables is about 100 MB.
pub const PAYLOADS_FILE_BYTES: usize = 256 * MIB;

/// Largest voter registry (`veedor import registry`): 8 GiB. The registry is streamed, never
/// held as text, but its size sets the memory reserved for it (8 bytes a voter). Venezuela's 21
/// million voters are about 0.5 GB at some 22 bytes a row; Indonesia's 204 million, 4.4 GB
/// (`bench/scale.sh`); 8 GiB holds about 370 million.
pub const REGISTRY_FILE_BYTES: u64 = 8 * 1024 * 1024 * 1024;

/// Largest election definition (`veedor init --election FILE`): 65,517 bytes. The transparency
/// log's first entry holds the definition verbatim after its first line, and an entry holds at
/// most 65,535 bytes ([`crate::log_entry::MAX_ENTRY_BYTES`]); the shipped 2024 election is
/// 4.4 KB.
pub const ELECTION_FILE_BYTES: usize = crate::log_entry::MAX_ELECTION_DEFINITION_BYTES;

/// Longest line of a result file, a table list or a payload file: 64 KiB. The real 2024 file's
/// longest row is 206 bytes and a QR code holds at most 7,089 characters; a longer line is not
/// a row of these files (a binary file, or one whose line breaks were lost).
pub const LINE_BYTES: usize = 64 * KIB;

/// Longest line of a voter registry: 1 KiB. A row is a voter id, a centre code and a table
/// number, some 25 bytes; the registry is streamed, and this bounds what one row can make the
/// reader hold.
pub const REGISTRY_LINE_BYTES: usize = KIB;

/// Longest name (an area's, a candidate's, a device's, a title): 256 characters. Real names are
/// under 70 (`UNIDAD EDUCATIVA NACIONAL JOSE FELIX RIBAS`); names are repeated on every page,
/// open-data row and log entry that shows them.
pub const NAME_CHARS: usize = 256;
