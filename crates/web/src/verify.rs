//! Checking a mirror made by `veedor export data` or `veedor export site` (`docs/mirror.md`)
//! against the log's public key, which the checker obtained from somewhere other than the mirror
//! (a mirror's own copy of the key proves nothing). No I/O: the files come through a
//! [`MirrorFiles`] (a folder and HTTP in the command line; a browser's `fetch` could be another),
//! and [`verify`] returns a [`Report`] instead of printing.
//!
//! The export is deterministic, so everything a reader sees is checked by making it again from
//! the verified log and comparing. In order:
//!
//! 1. `log/checkpoint`: its signature, and that it names the key's log; `log/key` is the key
//!    checked with;
//! 2. every hash tile against the checkpoint's root, every entry bundle against the tiles
//!    (`veedor_ledger::verify_mirror`);
//! 3. with an older checkpoint: that this log extends it, so a rewritten history is caught (and
//!    named before the rows it changed);
//! 4. the log's first entry is the election; every other entry is an acta copy, a registry's
//!    (`veedor/registry/1`, or `/2` with lanes, committing to the lookup's records) or a coordinator's decision
//!    (`veedor/decision/1`, which must keep a copy of its table logged before it); a log
//!    without decisions (written before they existed) verifies as before;
//! 5. every open-data file (`opendata`), rendered again from the log's copies and decisions and the table list
//!    of `data/tables.csv`, and compared cell by cell with the mirror's `.csv`; each `.json`
//!    twin against its CSV; `data/README.txt` byte for byte;
//! 6. every scan a logged copy names, against its SHA-256;
//! 7. a mirror is a site when one of its home pages (`index.html`, `es/index.html`,
//!    `en/index.html`) is there, or, listed, it has a file under `es/`, `en/`, `api/`,
//!    `static/` or `lookup/`; a server (`veedor serve`) answers none of those paths and is
//!    checked as a mirror of the open data. In a site:
//! 8. the small copy of every scan that verified, made again from its bytes with the export's
//!    function (`scans::downscale`) and compared byte for byte (a scan it cannot read, a PDF, has
//!    none);
//! 9. every page in both languages, every JSON twin under `api/v1/`, `index.html`, and
//!    `static/style.css`, the lookup's scripts and the OpenAPI document, rendered again with the
//!    export's own code (`site::Site`, part by part, never the whole site at once) and compared
//!    byte for byte;
//! 10. the lookup shards under `lookup/` (module `lookup`): every shard of the shard count is
//!     there, whole 16-byte records, each in the shard its key prefix names and in order, each
//!     at a table of `data/tables.csv`; and, when the log holds a registry entry
//!     (`veedor/registry/1` or `/2`), byte for byte against the latest one, through `lookup/index.bin`,
//!     naming the shard that differs;
//! 11. when the mirror can be listed, the files it holds that the export does not write.
//!
//! **Which files must be there** follows from the verified data, never from the mirror:
//! `log/checkpoint`, `log/key`, the tiles and bundles of the checkpoint's size, `data/README.txt`,
//! `data/actas`, `data/tables`, `data/tally-national` and `data/tally-<level>` for each level of
//! the election in the log's first entry (each as `.csv` and `.json`), and `scans/<sha256>` of
//! every copy read from a scan; in a site, every file the rendering gives (pages of every area,
//! table and copy) and the small copy of every scan that has one. Each one missing is named.
//! Whether the mirror is a site, and whether it has a lookup and of how many shards, is read from
//! the mirror (the log does not say); the pages must then agree, since they are rendered with
//! or without the lookup form.
//!
//! **Added files and rows.** A row that the rendering does not have (a log index, a table or an
//! area that the log does not give, or a second row for one) is named, as is a row of the
//! rendering that the file lacks. When the files can be listed ([`MirrorFiles::list`]: a folder
//! can, HTTP cannot), every file under the [`LISTED_FOLDERS`] (`data/`, `log/`, `scans/`, `es/`,
//! `en/`, `api/`, `static/`, `lookup/`) that the export does not write is named too; files at the
//! mirror's root other than `index.html` are not looked at. Allowed besides the expected files:
//! older partial tiles and bundles whose bytes are those of this log (C2SP tlog-tiles lets a log
//! keep them, and exporting again into a folder leaves them). A mirror of the open data has no
//! small copies: one there is named as added.
//!
//! **Taken on trust**, because the log does not hold them, each read from the mirror:
//! - the table list (the `registered` and `listed` columns of `data/tables.csv`, from which
//!   coverage follows) and area names (its `<level>_name` columns); a row of `data/tables.csv`
//!   for a listed table that no copy names cannot be told from a real one;
//! - the store's copy ids (`copy_id` of `data/actas.csv`), which name the acta pages;
//! - file names and devices with control characters, which the log holds as `?`: as
//!   `data/actas.csv` has them, when they read as the log's;
//! - when the checkpoint was signed, which every page's footer states: from the first home page
//!   that says it, to the minute, and not before a logged copy was received;
//! - the sentence of a finding (F102, W201) that states the table's registered voters when the
//!   copy came, which later table lists may have changed: validation gives every other sentence
//!   again, and that one is taken from the acta's JSON twin (counted in
//!   [`Summary::details_from_mirror`]);
//! - the lookup shards' voters, when the log holds no registry entry (a log written before it):
//!   then a mirror can move voters between tables of the data, or add or drop some, and the
//!   lookup form's scrypt parameters are read from its `es/lookup.html`. With one, nothing of
//!   the lookup is taken on trust ([`LookupCommitment`]).
//!
//! Only reading a file can fail ([`FetchError`]); everything found wrong in what was read is a
//! [`Problem`], and a hostile mirror (malformed CSV or JSON, garbage tiles) gives problems, not a
//! panic. Files are read whole; a [`MirrorFiles`] should refuse one over [`MAX_FILE_BYTES`].
//! The scans, pages and shards are checked on the caller's threads ([`verify_on_threads`]).

mod lookup;
mod pages;
mod parallel;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use std::num::NonZeroUsize;

use sha2::{Digest as _, Sha256 as Hasher};
use veedor_core::{
    ActaCopy, ActaRecord, AreaCode, CopyId, Dataset, Decision, Election, PollingTable, Provenance,
    Results, Sha256, TableId, TableKey, Timestamp,
};
use veedor_formats::log_entry::parse_election_entry;
use veedor_formats::lookup::RegistryEntry;
use veedor_formats::{DecisionEntry, LogEntry};
use veedor_ledger::{
    Checkpoint, MerkleLog, TILE_HEIGHT, TILE_WIDTH, TileKind, TilePath, VerifierKey,
    decode_entry_bundle, encode_entry_bundle, entry_bundle_paths, hash_tile_paths, leaf_hash,
    verify_mirror,
};

pub use self::lookup::LookupCommitment;
use self::pages::LogForPages;
use crate::log::key_file;
use crate::opendata::{self, Table};
use crate::pages::StaticLookup;
use crate::site::{MANIFEST_PATH, Manifest};

/// The largest file a [`MirrorFiles`] should read (1 GiB): a larger one is refused rather than
/// read into memory.
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// At most this many problems are kept in a [`Report`]; [`Report::problem_count`] counts all.
pub const MAX_PROBLEMS: usize = 1000;

/// The folders whose every file the verifier accounts for when the mirror can be listed: those
/// of the open data and the log, and those of a site.
pub const LISTED_FOLDERS: [&str; 8] = [
    "data", "log", "scans", "es", "en", "api", "static", "lookup",
];

/// A file of the mirror could not be read (as opposed to read and found wrong).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct FetchError {
    /// The file (or URL) that could not be read.
    pub path: String,
    /// Why.
    pub reason: String,
}

impl FetchError {
    /// An error reading `path`.
    pub fn new(path: impl Into<String>, reason: impl fmt::Display) -> Self {
        Self {
            path: path.into(),
            reason: reason.to_string(),
        }
    }
}

/// How the verifier reads a mirror. Paths are relative to the mirror's root and `/`-separated
/// (`data/actas.csv`, `log/tile/0/000`). Shared by the verifier's threads.
pub trait MirrorFiles: Sync {
    /// The bytes of the file at `path`, or `None` when the mirror has no such file.
    ///
    /// # Errors
    /// When the file exists but cannot be read (or is larger than [`MAX_FILE_BYTES`]).
    fn get(&self, path: &str) -> Result<Option<Vec<u8>>, FetchError>;

    /// Every file under `folder` (`data`), at any depth, as paths from the mirror's root
    /// (`data/actas.csv`); an empty list when there is no such folder. `None` when the mirror
    /// cannot be listed (over HTTP): then added files are not looked for.
    fn list(&self, folder: &str) -> Option<Result<Vec<String>, FetchError>>;
}

/// A mirror in memory, by path: it can be listed.
impl MirrorFiles for BTreeMap<String, Vec<u8>> {
    fn get(&self, path: &str) -> Result<Option<Vec<u8>>, FetchError> {
        Ok(BTreeMap::get(self, path).cloned())
    }

    fn list(&self, folder: &str) -> Option<Result<Vec<String>, FetchError>> {
        let prefix = format!("{folder}/");
        Some(Ok(self
            .range(prefix.clone()..)
            .take_while(|(path, _)| path.starts_with(&prefix))
            .map(|(path, _)| path.clone())
            .collect()))
    }
}

/// What is wrong with a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum ProblemKind {
    /// A file or a row that the verified data says the mirror must hold is not there.
    Missing,
    /// A file or a row says something other than the log: a changed number, a signature that
    /// does not verify, bytes that do not parse.
    Altered,
    /// A file, a row or a column that the export does not write.
    Added,
}

/// One thing found wrong, naming its file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The file, from the mirror's root (`data/actas.csv`, `log/tile/0/000`); `log/` for the log
    /// as a whole.
    pub file: String,
    /// The line of a CSV file, when the problem is in one row.
    pub line: Option<u64>,
    /// What kind of problem.
    pub kind: ProblemKind,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(formatter, "{} line {line}: {}", self.file, self.message),
            None => write!(formatter, "{}: {}", self.file, self.message),
        }
    }
}

/// What was checked. Counts stay 0 for what the verifier did not reach (after a checkpoint that
/// does not verify, nothing else is read).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// The key's name (the log's origin).
    pub key_name: String,
    /// The key's id (C2SP signed-note).
    pub key_id: u32,
    /// The checkpoint's size, when it verified with the key.
    pub checkpoint_size: Option<u64>,
    /// Hash tiles checked against the checkpoint.
    pub hash_tiles: usize,
    /// Entry bundles checked against the tiles.
    pub entry_bundles: usize,
    /// Log entries that are acta copies.
    pub copies: usize,
    /// Log entries that are coordinators' decisions.
    pub decisions: usize,
    /// Rows of `data/decisions.csv` compared with the rendering.
    pub decision_rows: usize,
    /// Rows of `data/actas.csv`.
    pub acta_rows: usize,
    /// Rows of `data/tables.csv` compared with the rendering.
    pub table_rows: usize,
    /// Rows of the `data/tally-*.csv` files compared with the rendering.
    pub tally_rows: usize,
    /// Rows of `data/analysis.csv`, `data/projection.csv` and `data/forensics.csv` compared with
    /// the analysis of the verified data.
    pub analysis_rows: usize,
    /// Scans whose SHA-256 is the one their copies name.
    pub scans: usize,
    /// Files under the [`LISTED_FOLDERS`], when the mirror could be listed.
    pub listed_files: Option<usize>,
    /// The size of the older checkpoint that this log extends, when one was given and it does.
    pub extends: Option<u64>,
    /// For a site: the pages, JSON twins and static files rendered again and compared.
    pub site_files: Option<usize>,
    /// Small copies of scans made again and compared.
    pub small_copies: usize,
    /// When the checkpoint was signed, as the site's pages say (to the minute; not in the log).
    pub signed_at: Option<String>,
    /// Lookup shards checked, when the site has a voter lookup.
    pub lookup_shards: Option<usize>,
    /// Records in the lookup shards.
    pub lookup_records: u64,
    /// How the site was exported, as its `site.json` says (`None` for a mirror of the open data).
    pub profile: Option<Manifest>,
    /// The log entry (its index) of the latest registry entry, when the log has one.
    pub registry_entry: Option<u64>,
    /// The log entry the lookup shards were checked against byte for byte; `None` when they
    /// were checked for structure only (the log commits to no registry).
    pub lookup_checked_against: Option<u64>,
    /// Findings whose sentence validation does not give again (the table's registered voters
    /// changed since the copy came), taken from the mirror's acta JSON twin.
    pub details_from_mirror: usize,
}

/// The outcome of [`verify`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct Report {
    /// What was checked.
    pub summary: Summary,
    /// The first [`MAX_PROBLEMS`] problems, in the order found.
    pub problems: Vec<Problem>,
    /// Every problem found.
    pub problem_count: usize,
}

impl Report {
    /// Whether the mirror verified: no problem at all.
    #[must_use]
    pub fn is_verified(&self) -> bool {
        self.problem_count == 0
    }
}

/// Verifies the mirror that `files` reads against `key`, on one thread ([`verify_on_threads`]).
///
/// # Errors
/// Only when a file cannot be read; everything wrong in the mirror is in the [`Report`].
pub fn verify(
    files: &dyn MirrorFiles,
    key: &VerifierKey,
    since: Option<&Checkpoint>,
) -> Result<Report, FetchError> {
    verify_on_threads(files, key, since, NonZeroUsize::MIN)
}

/// Verifies the mirror that `files` reads against `key`. With `since`, an older checkpoint of
/// the same log (its signature already verified with `key` by the caller), also checks that this
/// log extends it. The scans, the site's pages and the lookup shards are checked on `threads`
/// threads (the caller's choice: this crate does not ask the machine); the report is the same
/// whatever their number.
///
/// # Errors
/// Only when a file cannot be read; everything wrong in the mirror is in the [`Report`].
pub fn verify_on_threads(
    files: &dyn MirrorFiles,
    key: &VerifierKey,
    since: Option<&Checkpoint>,
    threads: NonZeroUsize,
) -> Result<Report, FetchError> {
    let mut run = Run::new(files, key, threads);
    run.check(key, since)?;
    Ok(Report {
        summary: run.summary,
        problems: run.problems,
        problem_count: run.problem_count,
    })
}

/// An acta copy as the log gives it.
struct LoggedCopy {
    index: u64,
    record: ActaRecord,
    provenance: Provenance,
}

/// One verification under way.
struct Run<'files> {
    files: &'files dyn MirrorFiles,
    threads: NonZeroUsize,
    problems: Vec<Problem>,
    problem_count: usize,
    /// Every file asked for: those the export writes.
    expected: BTreeSet<String>,
    summary: Summary,
    /// How the site was exported, from its `site.json` (the full profile for a mirror of the
    /// open data).
    manifest: Manifest,
    /// The coordinators' decisions the log holds, in log order, each with its index.
    decisions: Vec<Decision>,
}

/// What the store holds that the log holds otherwise or not at all, read from the mirror's
/// `data/` (taken on trust; the module documentation says why each is needed).
#[derive(Debug, Default)]
struct Trusted {
    /// Area names, from `data/tables.csv`.
    area_names: BTreeMap<AreaCode, String>,
    /// The store's copy ids by log index, from `data/actas.csv`.
    copy_ids: HashMap<u64, i64>,
    /// File names and devices with control characters, which the log holds as `?`, by log index,
    /// from `data/actas.csv`: (file name, device).
    texts: HashMap<u64, (String, Option<String>)>,
}

impl<'files> Run<'files> {
    fn new(files: &'files dyn MirrorFiles, key: &VerifierKey, threads: NonZeroUsize) -> Self {
        Self {
            files,
            threads,
            problems: Vec::new(),
            problem_count: 0,
            expected: BTreeSet::new(),
            manifest: Manifest::full(),
            decisions: Vec::new(),
            summary: Summary {
                key_name: key.name().to_owned(),
                key_id: key.key_id(),
                ..Summary::default()
            },
        }
    }

    fn add(
        &mut self,
        file: impl Into<String>,
        line: Option<u64>,
        kind: ProblemKind,
        message: impl fmt::Display,
    ) {
        self.problem_count += 1;
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(Problem {
                file: file.into(),
                line,
                kind,
                message: message.to_string(),
            });
        }
    }

    /// Reads a file the export writes.
    fn get(&mut self, path: &str) -> Result<Option<Vec<u8>>, FetchError> {
        self.expected.insert(path.to_owned());
        self.files.get(path)
    }

    /// Reads a file the export writes, naming it if missing.
    fn require(&mut self, path: &str) -> Result<Option<Vec<u8>>, FetchError> {
        let bytes = self.get(path)?;
        if bytes.is_none() {
            self.add(path, None, ProblemKind::Missing, "missing");
        }
        Ok(bytes)
    }

    fn check(&mut self, key: &VerifierKey, since: Option<&Checkpoint>) -> Result<(), FetchError> {
        let Some((checkpoint, note)) = self.checkpoint(key)? else {
            return Ok(());
        };
        self.summary.checkpoint_size = Some(checkpoint.size);
        if let Some(bytes) = self.require("log/key")?
            && bytes != key_file(key).as_bytes()
        {
            self.add(
                "log/key",
                None,
                ProblemKind::Altered,
                "is not the key the mirror is checked with",
            );
        }
        let Some(entries) = self.log(&checkpoint)? else {
            return Ok(());
        };
        let tree = MerkleLog::from_leaf_hashes(entries.iter().map(|e| leaf_hash(e)).collect());
        if let Some(old) = since {
            self.since(&checkpoint, old, &tree);
        }
        let Some(election) = self.election(&entries, checkpoint.size) else {
            return Ok(());
        };
        let copies = self.copies(&entries, &election, checkpoint.size);
        self.summary.copies = copies.len();
        self.summary.decisions = self.decisions.len();
        let commitment = match self::lookup::latest_commitment(&entries) {
            Some((index, Ok(entry))) => {
                self.summary.registry_entry = Some(index);
                Some(LookupCommitment { index, entry })
            }
            // Named by `copies`, which reads every entry.
            Some((_, Err(_))) | None => None,
        };
        let site = self.is_site()?;
        if site {
            self.manifest()?;
        }
        let (results, trusted) = self.data(&election, &copies)?;
        let small_copies = if self.manifest.scans {
            self.scans(&copies, site)?
        } else {
            HashSet::new()
        };
        if site {
            let log = LogForPages {
                tree: &tree,
                checkpoint: &checkpoint,
                note: &note,
                key,
            };
            self.site_mirror(
                results,
                &copies,
                &trusted,
                &log,
                &small_copies,
                commitment.as_ref(),
            )?;
        }
        self.added_files(&tree, &entries, checkpoint.size)
    }

    /// Steps 7 to 10, a site: the time its pages give the checkpoint, its lookup shards, then every
    /// page, JSON twin and static file rendered again from `results` as the store holds them.
    fn site_mirror(
        &mut self,
        mut results: Results,
        copies: &[LoggedCopy],
        trusted: &Trusted,
        log: &LogForPages<'_>,
        small_copies: &HashSet<Sha256>,
        commitment: Option<&LookupCommitment>,
    ) -> Result<(), FetchError> {
        // Without the time every page differs in its footer, and says so: rendering them all
        // still names the missing and added ones.
        let signed_at = self.signed_at(copies)?.unwrap_or(Timestamp::UNIX_EPOCH);
        let lookup = match self.lookup_bits()? {
            Some(bits) => {
                self.lookup(&results, bits, commitment)?;
                // The form's parameters are the log's; without a registry entry, the mirror's
                // own (taken on trust, as the shards are).
                let (salt, kdf) = match commitment {
                    Some(commitment) => (commitment.entry.salt.clone(), commitment.entry.kdf),
                    None => {
                        let page = self.files.get("es/lookup.html")?.unwrap_or_default();
                        (
                            veedor_formats::lookup::lookup_salt(&results.election().id),
                            self::lookup::form_kdf(&page)
                                .unwrap_or(veedor_formats::lookup::LookupKdf::PROTECTIVE),
                        )
                    }
                };
                Some(StaticLookup {
                    salt,
                    kdf,
                    shard_bits: bits,
                })
            }
            None => None,
        };
        self.as_stored(&mut results, trusted)?;
        self.site(results, log, signed_at, small_copies, lookup)
    }

    /// Step 7: how the site was exported, from its `site.json`; the full profile, with the
    /// problem named, when it is missing or unreadable. Its bytes are compared with the
    /// rendering's like every other file of the site.
    fn manifest(&mut self) -> Result<(), FetchError> {
        let Some(bytes) = self.require(MANIFEST_PATH)? else {
            return Ok(());
        };
        match Manifest::parse(&bytes) {
            Ok(manifest) => self.manifest = manifest,
            Err(error) => self.add(
                MANIFEST_PATH,
                None,
                ProblemKind::Altered,
                format!("{error}: the site is checked as the full profile"),
            ),
        }
        self.summary.profile = Some(self.manifest.clone());
        Ok(())
    }

    /// The copies' texts as the store holds them, for the pages: file names and devices with
    /// control characters as `data/actas.csv` has them, and the sentence of each finding that
    /// validation does not give again as the acta's JSON twin has it.
    fn as_stored(&mut self, results: &mut Results, trusted: &Trusted) -> Result<(), FetchError> {
        for copy in &mut results.dataset.copies {
            if let Some((file_name, device)) = copy.log_index.and_then(|i| trusted.texts.get(&i)) {
                copy.provenance.file_name.clone_from(file_name);
                copy.provenance.device.clone_from(device);
            }
            if copy
                .findings
                .iter()
                .all(|finding| !finding.detail.is_empty())
            {
                continue;
            }
            let twin = format!("api/v1/acta/{}.json", copy.id.get());
            let document: Option<serde_json::Value> = self
                .files
                .get(&twin)?
                .and_then(|bytes| serde_json::from_slice(&bytes).ok());
            let listed = document
                .as_ref()
                .and_then(|document| document["copy"]["findings"].as_array());
            for finding in &mut copy.findings {
                if !finding.detail.is_empty() {
                    continue;
                }
                let detail = listed
                    .into_iter()
                    .flatten()
                    .find(|listed| listed["code"] == finding.code.code())
                    .and_then(|listed| listed["detail"].as_str());
                if let Some(detail) = detail {
                    detail.clone_into(&mut finding.detail);
                    self.summary.details_from_mirror += 1;
                }
            }
        }
        Ok(())
    }

    /// 1. The checkpoint, verified with the key, and its signed note.
    fn checkpoint(
        &mut self,
        key: &VerifierKey,
    ) -> Result<Option<(Checkpoint, String)>, FetchError> {
        let name = "log/checkpoint";
        let Some(note) = self.require(name)? else {
            return Ok(None);
        };
        let note = String::from_utf8_lossy(&note);
        let checkpoint = match key.verify(&note) {
            Ok(checkpoint) => checkpoint,
            Err(error) => {
                self.add(
                    name,
                    None,
                    ProblemKind::Altered,
                    format!("does not verify with the given key: {error}"),
                );
                return Ok(None);
            }
        };
        if checkpoint.origin != key.name() {
            self.add(
                name,
                None,
                ProblemKind::Altered,
                format!(
                    "is of the log `{}`, the key is of `{}`",
                    checkpoint.origin,
                    key.name()
                ),
            );
            return Ok(None);
        }
        Ok(Some((checkpoint, note.into_owned())))
    }

    /// 2. Tiles and entry bundles against the checkpoint; the log's entries when they verify.
    fn log(&mut self, checkpoint: &Checkpoint) -> Result<Option<Vec<Vec<u8>>>, FetchError> {
        let files = self.files;
        let mut fetch_error = None;
        let mut bundles: HashMap<TilePath, Vec<u8>> = HashMap::new();
        let report = verify_mirror(checkpoint, |path: &TilePath| {
            match files.get(&format!("log/{path}")) {
                Ok(Some(bytes)) => {
                    if path.kind() == TileKind::Entries {
                        bundles.insert(*path, bytes.clone());
                    }
                    Some(bytes)
                }
                Ok(None) => None,
                Err(error) => {
                    fetch_error.get_or_insert(error);
                    None
                }
            }
        });
        if let Some(error) = fetch_error {
            return Err(error);
        }
        let paths = hash_tile_paths(checkpoint.size).chain(entry_bundle_paths(checkpoint.size));
        self.expected
            .extend(paths.map(|path| format!("log/{path}")));
        let report = match report {
            Ok(report) => report,
            Err(error) => {
                self.log_error(error);
                return Ok(None);
            }
        };
        self.summary.hash_tiles = report.hash_tiles;
        self.summary.entry_bundles = report.entry_bundles;
        let mut entries = Vec::new();
        for path in entry_bundle_paths(checkpoint.size) {
            // verify_mirror read and checked every bundle, kept above: none is read twice.
            let bytes = match bundles.remove(&path) {
                Some(bytes) => bytes,
                None => files.get(&format!("log/{path}"))?.unwrap_or_default(),
            };
            match decode_entry_bundle(&path, &bytes) {
                Ok(decoded) => entries.extend(decoded.into_iter().map(<[u8]>::to_vec)),
                Err(error) => {
                    self.log_error(error);
                    return Ok(None);
                }
            }
        }
        Ok(Some(entries))
    }

    /// A problem of the log's tiles, named by the tile when the error names one.
    fn log_error(&mut self, error: veedor_ledger::Error) {
        use veedor_ledger::Error;
        let (path, kind, message) = match error {
            Error::MissingTile { path } => (path, ProblemKind::Missing, "missing".to_owned()),
            Error::TileSize {
                path,
                expected,
                actual,
            } => (
                path,
                ProblemKind::Altered,
                format!("{actual} bytes long, expected {expected}"),
            ),
            Error::TileMismatch { path } => (
                path,
                ProblemKind::Altered,
                "its hashes differ from those the checkpoint commits to".to_owned(),
            ),
            Error::BundleMismatch { path, index } => (
                path,
                ProblemKind::Altered,
                format!("entry {index} does not hash to its leaf hash in the verified tiles"),
            ),
            Error::MalformedEntryBundle { path, reason } => {
                (path, ProblemKind::Altered, format!("malformed: {reason}"))
            }
            other => {
                self.add("log/", None, ProblemKind::Altered, other);
                return;
            }
        };
        self.add(format!("log/{path}"), None, kind, message);
    }

    /// 4. The election, from the log's first entry.
    fn election(&mut self, entries: &[Vec<u8>], size: u64) -> Option<Election> {
        let parsed = match entries.first().map(|entry| parse_election_entry(entry)) {
            Some(Ok(definition)) => veedor_formats::parse_election(definition)
                .map_err(|error| format!("entry 0: the election does not parse: {error}")),
            _ => Err("entry 0 is not the election definition".to_owned()),
        };
        match parsed {
            Ok(election) => Some(election),
            Err(message) => {
                self.add(bundle_of(0, size), None, ProblemKind::Altered, message);
                None
            }
        }
    }

    /// 4. Every other entry, an acta copy.
    fn copies(&mut self, entries: &[Vec<u8>], election: &Election, size: u64) -> Vec<LoggedCopy> {
        let mut copies = Vec::new();
        for (index, bytes) in (0u64..).zip(entries).skip(1) {
            // A registry's entry commits to the lookup's records (module `lookup`), not a copy.
            if RegistryEntry::is_one(bytes) {
                let parsed = RegistryEntry::parse(bytes).and_then(|entry| {
                    if entry.election == election.id {
                        Ok(())
                    } else {
                        Err(format!(
                            "a registry of election `{}`, the log's is `{}`",
                            entry.election, election.id
                        ))
                    }
                });
                if let Err(error) = parsed {
                    self.add(
                        bundle_of(index, size),
                        None,
                        ProblemKind::Altered,
                        format!("entry {index}: {error}"),
                    );
                }
                continue;
            }
            if DecisionEntry::is_one(bytes) {
                match logged_decision(bytes, index, election, &copies) {
                    Ok(decision) => self.decisions.push(decision),
                    Err(error) => self.add(
                        bundle_of(index, size),
                        None,
                        ProblemKind::Altered,
                        format!("entry {index}: {error}"),
                    ),
                }
                continue;
            }
            let parsed = LogEntry::parse(bytes)
                .and_then(|entry| entry.to_copy(election.geography.centre_digits));
            match parsed {
                Ok((record, provenance, _findings_at_receipt)) => copies.push(LoggedCopy {
                    index,
                    record,
                    provenance,
                }),
                Err(error) => self.add(
                    bundle_of(index, size),
                    None,
                    ProblemKind::Altered,
                    format!("entry {index}: {error}"),
                ),
            }
        }
        copies
    }

    /// Step 5, the open data: every table rendered again and compared, and the README. Returns what
    /// the log's copies and the table list add up to, with what the store holds beyond the log
    /// as far as the data says it.
    fn data(
        &mut self,
        election: &Election,
        copies: &[LoggedCopy],
    ) -> Result<(Results, Trusted), FetchError> {
        let digits = election.geography.centre_digits;
        let mut actas_file = self.csv("data/actas.csv")?;
        let mut tables_file = self.csv("data/tables.csv")?;
        let table_list = match &tables_file {
            Some(file) if file.column("table_id").is_some() => Some(table_list(file, digits)),
            Some(file) => {
                let message = "no column `table_id`: the table list cannot be read";
                self.add(&file.name, None, ProblemKind::Missing, message);
                None
            }
            None => None,
        };
        let trusted = Trusted::read(election, tables_file.as_ref(), actas_file.as_ref(), copies);
        let tables = table_list.as_deref().unwrap_or_default();
        let results = results(election, tables, copies, &self.decisions, &trusted);
        for expected in opendata::all(&results) {
            let kind = DataFile::of(&expected.name);
            let name = format!("data/{}.csv", expected.name);
            let file = match kind {
                DataFile::Actas => actas_file.take(),
                DataFile::Tables => tables_file.take(),
                DataFile::Tally
                | DataFile::Decisions
                | DataFile::Analysis
                | DataFile::Projection
                | DataFile::Forensics => self.csv(&name)?,
            };
            let json_name = format!("data/{}.json", expected.name);
            let json = self.require(&json_name)?;
            let Some(file) = file else {
                continue;
            };
            if let Some(json) = json {
                self.check_twin(&file, &json_name, &json);
            }
            // Area names and the store's copy ids are not in the log.
            let mut skip: BTreeSet<String> = election
                .geography
                .levels
                .iter()
                .map(|level| format!("{}_name", level.id))
                .chain(["copy_id".to_owned(), "name".to_owned()])
                .collect();
            // Without the table list, only what the log alone gives can be compared: the acta
            // rows' own columns.
            if table_list.is_none() {
                if kind != DataFile::Actas && kind != DataFile::Decisions {
                    continue;
                }
                skip.extend(TABLE_LIST_COLUMNS.map(str::to_owned));
            }
            let checked = self.compare(kind, &file, &expected, &skip);
            match kind {
                DataFile::Actas => self.summary.acta_rows = file.rows.len(),
                DataFile::Tables => self.summary.table_rows += checked,
                DataFile::Tally => self.summary.tally_rows += checked,
                DataFile::Decisions => self.summary.decision_rows += checked,
                DataFile::Analysis | DataFile::Projection | DataFile::Forensics => {
                    self.summary.analysis_rows += checked;
                }
            }
        }
        let name = "data/README.txt";
        if let Some(bytes) = self.require(name)?
            && bytes != opendata::readme(election).as_bytes()
        {
            self.add(
                name,
                None,
                ProblemKind::Altered,
                "differs from the README the export writes for the log's election",
            );
        }
        Ok((results, trusted))
    }

    /// Reads a CSV file the export writes; `None`, with the problem named, when it is missing
    /// or not CSV.
    fn csv(&mut self, name: &str) -> Result<Option<CsvFile>, FetchError> {
        let Some(bytes) = self.require(name)? else {
            return Ok(None);
        };
        match CsvFile::parse(name, &bytes) {
            Ok(file) => Ok(Some(file)),
            Err(error) => {
                self.add(
                    name,
                    None,
                    ProblemKind::Altered,
                    format!("not CSV: {error}"),
                );
                Ok(None)
            }
        }
    }

    /// Compares a data file with its rendering, row by row (matched by the key column) and
    /// cell by cell, except the `skip` columns. Returns the rows compared.
    fn compare(
        &mut self,
        kind: DataFile,
        file: &CsvFile,
        expected: &Table,
        skip: &BTreeSet<String>,
    ) -> usize {
        let key_column = kind.key_column();
        let Some(key_position) = expected.columns.iter().position(|c| c == key_column) else {
            return 0;
        };
        let mut by_key: BTreeMap<String, &[opendata::Cell]> = BTreeMap::new();
        let mut order = Vec::new();
        for row in &expected.rows {
            let key = row.get(key_position).map(opendata::Cell::to_csv);
            if let Some(key) = key {
                order.push(key.clone());
                by_key.insert(key, row);
            }
        }
        let missing: Vec<String> = expected
            .columns
            .iter()
            .filter(|column| !skip.contains(*column) && file.column(column).is_none())
            .map(|column| format!("`{column}`"))
            .collect();
        if !missing.is_empty() {
            let message = format!("no column {}", missing.join(", "));
            self.add(&file.name, None, ProblemKind::Missing, message);
        }
        let added: Vec<String> = file
            .header
            .iter()
            .filter(|column| !expected.columns.contains(column))
            .map(|column| format!("`{column}`"))
            .collect();
        if !added.is_empty() {
            let message = format!("a column the export does not write: {}", added.join(", "));
            self.add(&file.name, None, ProblemKind::Added, message);
        }
        let columns: Vec<(usize, usize, &str)> = expected
            .columns
            .iter()
            .enumerate()
            .filter(|(_, column)| !skip.contains(*column))
            .filter_map(|(at, column)| Some((at, file.column(column)?, column.as_str())))
            .collect();
        let mut seen = HashSet::new();
        let mut checked = 0;
        for (line, row) in &file.rows {
            let line = Some(*line);
            // The nation's code is empty.
            let key = file.cell(row, key_column);
            let Some(want) = by_key.get(key) else {
                if key.is_empty() {
                    let message = format!("no `{key_column}`");
                    self.add(&file.name, line, ProblemKind::Altered, message);
                } else {
                    self.add(&file.name, line, ProblemKind::Added, kind.unknown(key));
                }
                continue;
            };
            if !seen.insert(key) {
                self.add(
                    &file.name,
                    line,
                    ProblemKind::Added,
                    format!("a second row for {}", kind.what(key)),
                );
                continue;
            }
            // One problem per row: the first cell that differs in full, the others by name
            // (a changed count changes the sums and percentages that follow from it).
            let mut differ = Vec::new();
            for (at, position, column) in &columns {
                let want = want
                    .get(*at)
                    .map(opendata::Cell::to_csv)
                    .unwrap_or_default();
                let found = row.get(*position).map_or("", String::as_str);
                let found = if kind == DataFile::Actas && LOGGED_TEXT.contains(column) {
                    as_logged(found, &want)
                } else {
                    found.to_owned()
                };
                if found != want {
                    differ.push((*column, found, want));
                }
            }
            if let Some((column, found, want)) = differ.first() {
                let mut message = format!(
                    "`{column}` is `{found}`, but {} `{want}`",
                    kind.source(key, column)
                );
                if let [_, others @ ..] = differ.as_slice()
                    && !others.is_empty()
                {
                    let names: Vec<String> = others
                        .iter()
                        .map(|(column, _, _)| format!("`{column}`"))
                        .collect();
                    message.push_str(&format!("; {} differ too", names.join(", ")));
                }
                self.add(&file.name, line, ProblemKind::Altered, message);
            }
            checked += 1;
        }
        for key in &order {
            if !seen.contains(key.as_str()) {
                self.add(
                    &file.name,
                    None,
                    ProblemKind::Missing,
                    format!("no row for {}", kind.what(key)),
                );
            }
        }
        checked
    }

    /// Compares a JSON twin with its CSV: same rows, same cells. Stops at the first difference.
    fn check_twin(&mut self, csv: &CsvFile, name: &str, json: &[u8]) {
        let Ok(serde_json::Value::Array(rows)) = serde_json::from_slice::<serde_json::Value>(json)
        else {
            self.add(name, None, ProblemKind::Altered, "not a JSON array");
            return;
        };
        if rows.len() != csv.rows.len() {
            let kind = if rows.len() > csv.rows.len() {
                ProblemKind::Added
            } else {
                ProblemKind::Missing
            };
            self.add(
                name,
                None,
                kind,
                format!(
                    "{} rows, but {} has {}",
                    rows.len(),
                    csv.name,
                    csv.rows.len()
                ),
            );
            return;
        }
        for (index, (object, (line, row))) in rows.iter().zip(&csv.rows).enumerate() {
            let row_number = index + 1;
            let keys = object.as_object().map_or(0, serde_json::Map::len);
            if keys != csv.header.len() {
                self.add(
                    name,
                    None,
                    ProblemKind::Altered,
                    format!(
                        "row {row_number}: {keys} keys, but {} has {} columns",
                        csv.name,
                        csv.header.len()
                    ),
                );
                return;
            }
            for (column, value) in csv.header.iter().zip(row) {
                let json_value = match object.get(column) {
                    Some(serde_json::Value::Null) => String::new(),
                    // The CSV cell is the text neutralised for spreadsheets.
                    Some(serde_json::Value::String(text)) => opendata::csv_text(text).into_owned(),
                    Some(serde_json::Value::Number(number)) => match number.as_u64() {
                        Some(n) => n.to_string(),
                        None => format!("{:.4}", number.as_f64().unwrap_or(f64::NAN)),
                    },
                    Some(other) => other.to_string(),
                    None => {
                        self.add(
                            name,
                            None,
                            ProblemKind::Altered,
                            format!("row {row_number}: no `{column}`"),
                        );
                        return;
                    }
                };
                if json_value != *value {
                    self.add(
                        name,
                        None,
                        ProblemKind::Altered,
                        format!(
                            "row {row_number}: `{column}` is `{json_value}`, but {} line {line} has `{value}`",
                            csv.name
                        ),
                    );
                    return;
                }
            }
        }
    }

    /// Steps 6 and 8: every scan a copy names, against its SHA-256; in a site, its small copy made
    /// again from the verified bytes. Returns the scans that have a small copy.
    fn scans(&mut self, copies: &[LoggedCopy], site: bool) -> Result<HashSet<Sha256>, FetchError> {
        let hashes: Vec<Sha256> = scan_hashes(copies.iter().map(|copy| &copy.provenance))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let checked = self.in_parallel(&hashes, |worker, hash| {
            let name = format!("scans/{hash}");
            let Some(bytes) = worker.get(&name)? else {
                worker.add(name, ProblemKind::Missing, "missing");
                return Ok((false, site && pages::unchecked_small_copy(worker, hash)?));
            };
            let actual = Sha256::from_bytes(Hasher::digest(&bytes).into());
            if actual != *hash {
                let message = format!("its SHA-256 is {actual}: the scan was altered");
                worker.add(name, ProblemKind::Altered, message);
                return Ok((false, site && pages::unchecked_small_copy(worker, hash)?));
            }
            Ok((true, site && pages::small_copy(worker, hash, &bytes)?))
        })?;
        self.summary.scans = checked.iter().filter(|(verified, _)| *verified).count();
        self.summary.small_copies = checked
            .iter()
            .filter(|(verified, small)| *verified && *small)
            .count();
        Ok(hashes
            .into_iter()
            .zip(checked)
            .filter(|(_, (_, small))| *small)
            .map(|(hash, _)| hash)
            .collect())
    }

    /// Step 11: every listed file under the [`LISTED_FOLDERS`] that the export does not write.
    fn added_files(
        &mut self,
        tree: &MerkleLog,
        entries: &[Vec<u8>],
        size: u64,
    ) -> Result<(), FetchError> {
        let mut listed = 0;
        for folder in LISTED_FOLDERS {
            let Some(paths) = self.files.list(folder) else {
                return Ok(());
            };
            let paths = paths?;
            listed += paths.len();
            for path in paths {
                if self.expected.contains(&path) {
                    continue;
                }
                let older_tile = path
                    .strip_prefix("log/")
                    .and_then(|tile| TilePath::parse(tile).ok())
                    .filter(|tile| tile.is_partial())
                    .and_then(|tile| older_tile(tree, entries, size, &tile));
                match older_tile {
                    Some(bytes) => {
                        if self.files.get(&path)?.as_ref() != Some(&bytes) {
                            self.add(
                                path,
                                None,
                                ProblemKind::Altered,
                                "an older partial tile whose bytes are not the log's",
                            );
                        }
                    }
                    None => self.add(
                        path,
                        None,
                        ProblemKind::Added,
                        "a file that the export does not write",
                    ),
                }
            }
        }
        self.summary.listed_files = Some(listed);
        Ok(())
    }

    /// 3. An older checkpoint: this log must extend it.
    fn since(&mut self, checkpoint: &Checkpoint, old: &Checkpoint, tree: &MerkleLog) {
        if old.size > checkpoint.size {
            self.add(
                "log/checkpoint",
                None,
                ProblemKind::Altered,
                format!(
                    "covers {} entries, fewer than the older checkpoint's {}: the log shrank",
                    checkpoint.size, old.size
                ),
            );
            return;
        }
        match tree.root_at(old.size) {
            Ok(root) if root == old.root => self.summary.extends = Some(old.size),
            Ok(root) => self.add(
                "log/",
                None,
                ProblemKind::Altered,
                format!(
                    "the log was rewritten: its first {} entries give the root {root}, but the older checkpoint signed {}",
                    old.size, old.root
                ),
            ),
            Err(error) => self.add("log/", None, ProblemKind::Altered, error),
        }
    }
}

/// Columns of `actas` that follow from the table list too.
const TABLE_LIST_COLUMNS: [&str; 3] = ["registered", "table_status", "table_counted"];

/// A cell of a [`LOGGED_TEXT`] column as the log holds its text: control characters replaced by
/// `?` (docs/ledger.md). The export may have put a `'` before the text for spreadsheets
/// ([`opendata::csv_text`]), which a text with a control character there does not keep in the
/// log, so the cell is read both as written and with that `'` undone; `want` tells which.
fn as_logged(cell: &str, want: &str) -> String {
    let as_written = logged_text(cell);
    if as_written == want {
        return as_written;
    }
    opendata::csv_text(&logged_text(opendata::csv_text_source(cell))).into_owned()
}

/// Columns of `actas` whose text the log holds with control characters replaced by `?`.
const LOGGED_TEXT: [&str; 3] = ["file_name", "device", "format_fields"];

/// The kinds of open-data file, by how their rows are matched and named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DataFile {
    Actas,
    Tables,
    /// The coordinators' decisions, keyed by log index.
    Decisions,
    /// The tallies, keyed by area code.
    Tally,
    /// The analysis of areas, keyed by area code.
    Analysis,
    /// The projection, keyed by candidate.
    Projection,
    /// The forensic tests, keyed by area and candidate.
    Forensics,
}

impl DataFile {
    fn of(name: &str) -> Self {
        match name {
            "actas" => Self::Actas,
            "tables" => Self::Tables,
            "decisions" => Self::Decisions,
            "analysis" => Self::Analysis,
            "projection" => Self::Projection,
            "forensics" => Self::Forensics,
            _ => Self::Tally,
        }
    }

    fn key_column(self) -> &'static str {
        match self {
            Self::Actas | Self::Decisions => "log_index",
            Self::Tables => "table_id",
            Self::Tally | Self::Analysis => "code",
            Self::Projection => "candidate",
            Self::Forensics => "row_key",
        }
    }

    /// What a row is of.
    fn what(self, key: &str) -> String {
        match self {
            Self::Actas | Self::Decisions => format!("log entry {key}"),
            Self::Tables => format!("table {key}"),
            Self::Tally | Self::Analysis => format!("area `{key}`"),
            Self::Projection => format!("candidate `{key}`"),
            Self::Forensics => format!("area and candidate `{key}`"),
        }
    }

    /// Why a row's key is not in the rendering.
    fn unknown(self, key: &str) -> String {
        match self {
            Self::Actas => format!("log index {key} is not an acta entry of the log"),
            Self::Decisions => format!("log index {key} is not a decision entry of the log"),
            Self::Tables => format!("table `{key}` is not a table id as the export writes it"),
            Self::Tally => format!("area `{key}` holds no table of the log"),
            Self::Analysis => format!("area `{key}` is not one the analysis covers"),
            Self::Projection => format!("candidate `{key}` is not one of the log's election"),
            Self::Forensics => format!("`{key}` is no area and candidate the analysis tests"),
        }
    }

    /// Where the expected value of `column` comes from.
    fn source(self, key: &str, column: &str) -> String {
        match self {
            Self::Actas if TABLE_LIST_COLUMNS.contains(&column) => {
                format!("log entry {key} and data/tables.csv give")
            }
            Self::Actas | Self::Decisions => format!("log entry {key} gives"),
            Self::Tables => "the log's copies and decisions give".to_owned(),
            Self::Tally => "the log's entries add up to".to_owned(),
            Self::Analysis | Self::Projection | Self::Forensics => {
                "the analysis of the log's entries gives".to_owned()
            }
        }
    }
}

/// The path of the entry bundle that holds entry `index` of a log of `size` entries.
fn bundle_of(index: u64, size: u64) -> String {
    let width = u64::from(TILE_WIDTH);
    let bundle = index / width;
    let in_bundle = size.saturating_sub(bundle * width).min(width);
    u16::try_from(in_bundle)
        .ok()
        .and_then(|in_bundle| TilePath::entry_bundle(bundle, in_bundle).ok())
        .map_or_else(|| "log/".to_owned(), |path| format!("log/{path}"))
}

/// The bytes an older partial tile or bundle of this log has at `path`; `None` when the log of
/// `size` entries has no such tile.
fn older_tile(
    tree: &MerkleLog,
    entries: &[Vec<u8>],
    size: u64,
    path: &TilePath,
) -> Option<Vec<u8>> {
    let level = path.level().map_or(0, u32::from);
    let available = size
        .checked_shr(level * u32::from(TILE_HEIGHT))
        .unwrap_or(0);
    let start = path.index().checked_mul(u64::from(TILE_WIDTH))?;
    let end = start.checked_add(u64::from(path.width()))?;
    if end > available {
        return None;
    }
    match path.kind() {
        TileKind::Hash { .. } => tree.tile(path).ok(),
        TileKind::Entries => {
            let span = usize::try_from(start).ok()?..usize::try_from(end).ok()?;
            encode_entry_bundle(entries.get(span)?).ok()
        }
    }
}

/// The table list of `data/tables.csv`: the first row of each established table id that parses
/// (a row with `established` false is a table that only copies name: nothing established it).
/// Rows that do not parse or repeat a table are named when the file is compared with its
/// rendering.
fn table_list(file: &CsvFile, digits: u8) -> Vec<PollingTable> {
    let mut tables: BTreeMap<TableId, PollingTable> = BTreeMap::new();
    for (_, row) in &file.rows {
        let Ok(id) = TableId::parse(file.cell(row, "table_id"), digits) else {
            continue;
        };
        if file.cell(row, "established") == "false" {
            continue;
        }
        tables.entry(id).or_insert_with(|| PollingTable {
            id,
            registered: file.cell(row, "registered").parse().ok(),
            listed: file.cell(row, "listed") == "true",
        });
    }
    tables.into_values().collect()
}

/// The published scans that copies came from, by SHA-256 (once per copy): the stripped files,
/// logged beside the originals, which are never published.
fn scan_hashes<'a>(
    provenances: impl Iterator<Item = &'a Provenance> + 'a,
) -> impl Iterator<Item = Sha256> + 'a {
    provenances.filter_map(Provenance::published_scan)
}

/// What the log's copies and the table list add up to, as the store would load it: copies in
/// the order of their ids. Their findings are those of validation against the tables of the
/// moment, as [`Results::compute`] gives them (the log keeps those of each copy's receipt).
fn results(
    election: &Election,
    tables: &[PollingTable],
    copies: &[LoggedCopy],
    decisions: &[Decision],
    trusted: &Trusted,
) -> Results {
    let mut stored: Vec<ActaCopy> = copies
        .iter()
        .map(|copy| {
            let log_index = i64::try_from(copy.index).unwrap_or(i64::MAX);
            ActaCopy {
                id: CopyId::new(
                    trusted
                        .copy_ids
                        .get(&copy.index)
                        .copied()
                        .unwrap_or(log_index),
                ),
                record: copy.record.clone(),
                provenance: copy.provenance.clone(),
                findings: Vec::new(),
                log_index: Some(copy.index),
            }
        })
        .collect();
    stored.sort_by_key(|copy| (copy.id.get(), copy.log_index));
    Results::compute(Dataset {
        election: election.clone(),
        tables: (0u32..)
            .zip(tables)
            .map(|(key, table)| (TableKey::new(key), table.clone()))
            .collect(),
        area_names: trusted.area_names.clone(),
        copies: stored,
        decisions: decisions.to_vec(),
    })
}

/// A decision's entry at `index`, checked against the log: of the log's election, keeping a copy
/// of its table that the log holds before it.
fn logged_decision(
    bytes: &[u8],
    index: u64,
    election: &Election,
    copies: &[LoggedCopy],
) -> Result<Decision, String> {
    let digits = election.geography.centre_digits;
    let entry = DecisionEntry::parse(bytes, digits)?;
    if entry.election != election.id {
        return Err(format!(
            "a decision of election `{}`, the log's is `{}`",
            entry.election, election.id
        ));
    }
    let decision = entry.decision;
    let kept = copies.iter().any(|copy| {
        copy.index < index
            && copy.record.table == decision.table
            && copy.provenance.evidence_ref() == decision.keep
    });
    if !kept {
        return Err(format!(
            "a decision on table {} keeping {}, which no earlier entry of the log is a copy of",
            decision.table.display(digits),
            decision.keep.describe()
        ));
    }
    Ok(Decision {
        log_index: Some(index),
        ..decision
    })
}

impl Trusted {
    /// Reads what the store holds beyond the log from the mirror's data files, as far as they
    /// are there.
    fn read(
        election: &Election,
        tables_file: Option<&CsvFile>,
        actas_file: Option<&CsvFile>,
        copies: &[LoggedCopy],
    ) -> Self {
        let mut trusted = Self::default();
        if let Some(file) = tables_file {
            trusted.area_names = area_names(election, file);
        }
        let Some(file) = actas_file else {
            return trusted;
        };
        let rows: HashMap<u64, &[String]> = file
            .rows
            .iter()
            .filter_map(|(_, row)| {
                Some((file.cell(row, "log_index").parse().ok()?, row.as_slice()))
            })
            .collect();
        for copy in copies {
            let Some(row) = rows.get(&copy.index) else {
                continue;
            };
            if let Ok(id) = file.cell(row, "copy_id").parse() {
                trusted.copy_ids.insert(copy.index, id);
            }
            let provenance = &copy.provenance;
            let device = provenance.device.as_deref().unwrap_or_default();
            if !provenance.file_name.contains('?') && !device.contains('?') {
                continue;
            }
            let file_name = as_stored(&provenance.file_name, file.cell(row, "file_name"));
            let device = provenance
                .device
                .as_deref()
                .map(|device| as_stored(device, file.cell(row, "device")));
            trusted.texts.insert(copy.index, (file_name, device));
        }
        trusted
    }
}

/// The name of every area above a table of `data/tables.csv`, from its `<level>_name` columns.
fn area_names(election: &Election, file: &CsvFile) -> BTreeMap<AreaCode, String> {
    let geography = &election.geography;
    let columns: Vec<Option<usize>> = geography
        .levels
        .iter()
        .map(|level| file.column(&format!("{}_name", level.id)))
        .collect();
    let mut names = BTreeMap::new();
    for (_, row) in &file.rows {
        let Ok(id) = TableId::parse(file.cell(row, "table_id"), geography.centre_digits) else {
            continue;
        };
        for (area, column) in geography.areas_of(id.centre).skip(1).zip(&columns) {
            let name = column.and_then(|at| row.get(at)).map_or("", String::as_str);
            if !name.is_empty() {
                names
                    .entry(area)
                    .or_insert_with(|| opendata::csv_text_source(name).to_owned());
            }
        }
    }
    names
}

/// The text the store holds for a text that the log holds as `logged` (control characters as
/// `?`) and the CSV as `cell` (perhaps with a `'` before it for spreadsheets): the cell's when it
/// reads as the logged text, else the logged text.
fn as_stored(logged: &str, cell: &str) -> String {
    [opendata::csv_text_source(cell), cell]
        .into_iter()
        .find(|text| logged_text(text) == logged)
        .unwrap_or(logged)
        .to_owned()
}

/// A text as the log holds it: control characters replaced by `?` (docs/ledger.md).
fn logged_text(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// A CSV data file, read into rows of cells.
struct CsvFile {
    name: String,
    header: Vec<String>,
    /// (line, cells).
    rows: Vec<(u64, Vec<String>)>,
}

impl CsvFile {
    fn parse(name: &str, bytes: &[u8]) -> Result<Self, csv::Error> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(bytes);
        let header = reader.headers()?.iter().map(str::to_owned).collect();
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record?;
            let line = record.position().map_or(0, csv::Position::line);
            rows.push((line, record.iter().map(str::to_owned).collect()));
        }
        Ok(Self {
            name: name.to_owned(),
            header,
            rows,
        })
    }

    fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    fn cell<'row>(&self, row: &'row [String], column: &str) -> &'row str {
        self.column(column)
            .and_then(|i| row.get(i))
            .map_or("", String::as_str)
    }
}

#[cfg(test)]
mod tests {
    //! A small mirror built in memory with the export's own code (`opendata::files`,
    //! `log::mirror_files`, a key from a fixed seed), then changed one way at a time: each change
    //! must be named by its file and kind.

    use veedor_core::{
        CentreCode, Counts, Finding, FindingCode, Location, Place, SourceKind, TableNumber,
        validate,
    };
    use veedor_ledger::SignerKey;

    use super::*;
    use crate::log::PublishedLog;
    use crate::site::LOOKUP_RECORD;

    const ELECTION: &str = include_str!("../../../elections/ve-2024-presidential.toml");
    const ORIGIN: &str = "veedor.example/test";
    /// A scan's bytes: only their SHA-256 is checked.
    const SCAN: &[u8] = b"the bytes of a scanned acta";

    type Files = BTreeMap<String, Vec<u8>>;

    fn sha256(bytes: &[u8]) -> Sha256 {
        Sha256::from_bytes(Hasher::digest(bytes).into())
    }

    fn key() -> VerifierKey {
        SignerKey::generate([7; 32], ORIGIN).unwrap().verifier_key()
    }

    fn table(centre: u64, number: u16) -> TableId {
        TableId::new(CentreCode::new(centre), TableNumber::new(number))
    }

    /// The tables: two listed with copies, one listed without, and one copy's table unlisted.
    fn polling_tables() -> Vec<PollingTable> {
        [
            (10_101_001, 1, 500),
            (10_101_001, 2, 400),
            (20_101_001, 1, 300),
        ]
        .map(|(centre, number, registered)| PollingTable {
            id: table(centre, number),
            registered: Some(registered),
            listed: true,
        })
        .to_vec()
    }

    /// The log's entries and the store's copies: table 010101001.01 twice (a result file and a
    /// scan that agree), 010101001.02 once, and 030101001.01, which the table list lacks.
    fn log_and_copies(election: &Election, size: usize) -> (Vec<Vec<u8>>, Vec<ActaCopy>) {
        let candidates = election.candidates.len();
        let votes = |first: u32| -> Vec<u32> { (first..).take(candidates).collect() };
        let tables = polling_tables();
        let received = Timestamp::from_second(1_722_200_000).unwrap();
        let from_file = |line: u64| Provenance {
            source: SourceKind::CsvImport,
            file_name: "results.csv".to_owned(),
            file_sha256: sha256(b"results.csv"),
            location: Location::Line(line),
            received_at: received,
            device: None,
            volunteer: None,
            published_sha256: None,
            same_image_as: None,
            entered_by: Vec::new(),
        };
        let copies = [
            (table(10_101_001, 1), votes(10), from_file(2)),
            (table(10_101_001, 2), votes(5), from_file(3)),
            (table(30_101_001, 1), votes(2), from_file(4)),
            (
                table(10_101_001, 1),
                votes(10),
                Provenance {
                    source: SourceKind::Qr,
                    file_name: "acta\u{7}.jpg".to_owned(),
                    // The original's hash is logged; the mirror holds the published file.
                    file_sha256: sha256(b"the original, with its metadata"),
                    published_sha256: Some(sha256(SCAN)),
                    location: Location::Page(1),
                    device: Some("scanner 1".to_owned()),
                    ..from_file(0)
                },
            ),
        ];
        let mut entries = vec![veedor_formats::log_entry::election_entry(ELECTION)];
        let mut stored = Vec::new();
        for (log_index, (id, counts, provenance)) in (1u64..).zip(copies) {
            let record = ActaRecord {
                table: id,
                counts: Counts::Candidates(counts),
                null_votes: Some(3),
                stated_valid_votes: None,
                stated_registered: None,
                format_fields: Vec::new(),
                declared_counts: Vec::new(),
            };
            let findings = validate(&record, election, Place::among(id, election, &tables));
            entries
                .push(LogEntry::of_copy(&election.id, 9, &record, &provenance, &findings).encode());
            stored.push(ActaCopy {
                // The store's ids are not the log's indexes.
                id: CopyId::new(i64::try_from(log_index).unwrap() + 40),
                record,
                provenance,
                findings,
                log_index: Some(log_index),
            });
        }
        entries.truncate(size);
        stored.truncate(size - 1);
        (entries, stored)
    }

    /// A decision's entry is accepted when it keeps a copy of its table that the log holds
    /// before it, and named otherwise (a copy logged later, of another table, another election).
    #[test]
    fn a_logged_decision_must_keep_an_earlier_copy_of_its_table() {
        let election = veedor_formats::parse_election(ELECTION).unwrap();
        let (_, stored) = log_and_copies(&election, 5);
        let logged: Vec<LoggedCopy> = stored
            .iter()
            .map(|copy| LoggedCopy {
                index: copy.log_index.unwrap(),
                record: copy.record.clone(),
                provenance: copy.provenance.clone(),
            })
            .collect();
        let decision = |keep: &ActaCopy, table: TableId, election_id: &str| {
            DecisionEntry {
                election: election_id.to_owned(),
                decision: Decision {
                    table,
                    keep: keep.provenance.evidence_ref(),
                    overruled: Vec::new(),
                    coordinator: veedor_core::Pseudonym::new("chief").unwrap(),
                    reason: veedor_core::Reason::new("the paper says so").unwrap(),
                    decided_at: Timestamp::from_second(1_722_300_000).unwrap(),
                    log_index: None,
                },
            }
            .encode(9)
        };
        let first = &stored[0];
        let good = decision(first, first.record.table, &election.id);
        let read = logged_decision(&good, 5, &election, &logged).unwrap();
        assert_eq!(read.log_index, Some(5));
        assert_eq!(read.keep, first.provenance.evidence_ref());
        // Before the copy it keeps was logged: no such copy yet.
        let early = logged_decision(&good, 1, &election, &logged).unwrap_err();
        assert!(
            early.contains("no earlier entry of the log is a copy of"),
            "{early}"
        );
        // A copy of another table.
        let other = decision(&stored[1], first.record.table, &election.id);
        assert!(logged_decision(&other, 5, &election, &logged).is_err());
        let foreign = decision(first, first.record.table, "another-election");
        let error = logged_decision(&foreign, 5, &election, &logged).unwrap_err();
        assert!(
            error.contains("a decision of election `another-election`"),
            "{error}"
        );
        assert!(logged_decision(b"veedor/decision/1\n", 5, &election, &logged).is_err());
    }

    /// A checkpoint of the log's first `size` entries, signed with the key.
    fn checkpoint(size: usize) -> Checkpoint {
        let election = veedor_formats::parse_election(ELECTION).unwrap();
        let (entries, _) = log_and_copies(&election, size);
        let mut tree = MerkleLog::new();
        for entry in &entries {
            tree.append(entry);
        }
        Checkpoint::new(ORIGIN, tree.size(), tree.root()).unwrap()
    }

    /// What the export starts from: the store's results as of the log's first `size` entries, the
    /// log as published (signed a little after the last copy came), and the log's entries.
    fn exported(size: usize) -> (Results, PublishedLog, Vec<Vec<u8>>) {
        let election = veedor_formats::parse_election(ELECTION).unwrap();
        let (entries, copies) = log_and_copies(&election, size);
        let mut tree = MerkleLog::new();
        for entry in &entries {
            tree.append(entry);
        }
        let signer = SignerKey::generate([7; 32], ORIGIN).unwrap();
        let note = signer.sign(&checkpoint(size)).unwrap();
        let area_names = [(
            election.geography.area_of(CentreCode::new(10_101_001), 0),
            "Uno",
        )]
        .map(|(area, name)| (area, name.to_owned()))
        .into();
        let results = Results::compute(Dataset {
            tables: (0..)
                .zip(polling_tables())
                .map(|(key, table)| (TableKey::new(key), table))
                .collect(),
            election,
            area_names,
            copies,
            decisions: Vec::new(),
        });
        let log = PublishedLog {
            tree,
            checkpoint: checkpoint(size),
            note,
            key: signer.verifier_key(),
            signed_at: Timestamp::from_second(SIGNED_AT).unwrap(),
        };
        (results, log, entries)
    }

    /// When the test log's checkpoint was signed: a minute and a half after its copies came.
    const SIGNED_AT: i64 = 1_722_200_100;

    /// The mirror `veedor export data` writes of the log's first `size` entries.
    fn mirror_of(size: usize) -> Files {
        let (results, log, entries) = exported(size);
        data_and_log(&results, &log, &entries)
    }

    /// The open data, the log and the scan.
    fn data_and_log(results: &Results, log: &PublishedLog, entries: &[Vec<u8>]) -> Files {
        let mut files: Files = opendata::files(results).into_iter().collect();
        files.extend(
            crate::log::mirror_files(&log.note, &log.key, &log.tree, entries, log.size()).unwrap(),
        );
        files.insert(scan_path(), SCAN.to_vec());
        files
    }

    /// Voters in the lookup of [`site_mirror`].
    const VOTERS: u64 = 40;

    /// The salt and the sorted records of [`VOTERS`] voters over the listed tables, keyed at the
    /// unprotected cost.
    fn test_records(results: &Results) -> (String, Vec<u8>) {
        let salt = veedor_formats::lookup::lookup_salt(&results.election().id);
        let mut records: Vec<_> = (1..=VOTERS)
            .zip(polling_tables().iter().cycle())
            .map(|(voter, table)| {
                veedor_formats::lookup::lookup_record(
                    &veedor_formats::lookup::LookupKdf::UNPROTECTED,
                    &salt,
                    veedor_core::VoterId::new(voter),
                    table.id,
                )
                .unwrap()
            })
            .collect();
        records.sort_unstable();
        (salt, records.concat())
    }

    /// The mirror `veedor export site` writes of the whole log, with a lookup of [`VOTERS`]
    /// voters spread over the listed tables: the export's own code throughout.
    fn site_mirror() -> Files {
        let (results, log, entries) = exported(5);
        let mut files = data_and_log(&results, &log, &entries);
        let (salt, records) = test_records(&results);
        let bits = crate::site::shard_bits(
            records.len() / LOOKUP_RECORD,
            crate::site::FULL_PROFILE_RECORDS_PER_SHARD,
        );
        files.extend(crate::site::shards(&records, bits));
        files.extend([crate::site::lookup_index(&records, bits)]);
        let lookup = StaticLookup {
            salt,
            kdf: veedor_formats::lookup::LookupKdf::UNPROTECTED,
            shard_bits: bits,
        };
        let signed_at = log.signed_at;
        let scans = pages::LoggedScans([sha256(SCAN)].into());
        let mut snapshot = crate::snapshot::Snapshot::build(
            results,
            std::sync::Arc::new(veedor_core::Registry::empty()),
            None,
            &scans,
        )
        .with_log(Some(log));
        snapshot.loaded_at = signed_at;
        // The scan's bytes are no picture: it has no small copy.
        let small_copies = HashSet::new();
        let manifest = Manifest::full();
        let site = crate::site::Site::new(&snapshot, Some(lookup), &small_copies, &manifest);
        for part in site.parts() {
            files.extend(site.render(part).unwrap());
        }
        files
    }

    fn mirror() -> Files {
        mirror_of(5)
    }

    fn scan_path() -> String {
        format!("scans/{}", sha256(SCAN))
    }

    /// Changes `mirror()` with `mutation` and checks that a problem of `kind` names `file`.
    fn check(mutation: impl FnOnce(&mut Files), file: &str, kind: ProblemKind) {
        let mut files = mirror();
        mutation(&mut files);
        let report = verify(&files, &key(), None).unwrap();
        assert!(
            report
                .problems
                .iter()
                .any(|problem| problem.file == file && problem.kind == kind),
            "expected {kind:?} naming {file}, found: {:#?}",
            report.problems
        );
    }

    // Mutations.

    fn remove(path: &str) -> impl FnOnce(&mut Files) {
        move |files| {
            files.remove(path).unwrap_or_else(|| panic!("no {path}"));
        }
    }

    fn put(path: &str, bytes: &[u8]) -> impl FnOnce(&mut Files) {
        move |files| {
            files.insert(path.to_owned(), bytes.to_vec());
        }
    }

    fn edit(path: &str, change: impl FnOnce(&mut Vec<u8>)) -> impl FnOnce(&mut Files) {
        move |files| change(files.get_mut(path).unwrap_or_else(|| panic!("no {path}")))
    }

    /// Flips a bit in the byte at `at` (from the end when negative).
    fn flip(path: &str, at: isize) -> impl FnOnce(&mut Files) {
        edit(path, move |bytes| {
            let at = if at < 0 {
                bytes.len() - at.unsigned_abs()
            } else {
                at.unsigned_abs()
            };
            bytes[at] ^= 0x01;
        })
    }

    fn read_csv(bytes: &[u8]) -> Vec<Vec<String>> {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(bytes)
            .records()
            .map(|record| record.unwrap().iter().map(str::to_owned).collect())
            .collect()
    }

    fn write_csv(rows: &[Vec<String>]) -> Vec<u8> {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        for row in rows {
            writer.write_record(row).unwrap();
        }
        writer.into_inner().unwrap()
    }

    /// Adds one to the number in `column` of the first row.
    fn bump_csv(path: &str, column: &str) -> impl FnOnce(&mut Files) {
        edit(path, move |bytes| {
            let mut rows = read_csv(bytes);
            let at = rows[0].iter().position(|c| c == column).unwrap();
            let value: u64 = rows[1][at].parse().unwrap();
            rows[1][at] = (value + 1).to_string();
            *bytes = write_csv(&rows);
        })
    }

    /// Appends a copy of row `row` (1 is the first after the header), with `column` set to
    /// `value` when given.
    fn add_csv_row(
        path: &str,
        row: usize,
        change: Option<(&str, &str)>,
    ) -> impl FnOnce(&mut Files) {
        edit(path, move |bytes| {
            let mut rows = read_csv(bytes);
            let mut added = rows[row].clone();
            if let Some((column, value)) = change {
                let at = rows[0].iter().position(|c| c == column).unwrap();
                value.clone_into(&mut added[at]);
            }
            rows.push(added);
            *bytes = write_csv(&rows);
        })
    }

    fn edit_json(
        path: &str,
        change: impl FnOnce(&mut Vec<serde_json::Value>),
    ) -> impl FnOnce(&mut Files) {
        edit(path, move |bytes| {
            let mut rows: Vec<serde_json::Value> = serde_json::from_slice(bytes).unwrap();
            change(&mut rows);
            *bytes = serde_json::to_vec_pretty(&rows).unwrap();
        })
    }

    fn bump_json(path: &str, key: &'static str) -> impl FnOnce(&mut Files) {
        edit_json(path, move |rows| {
            let value = rows[0][key].as_u64().unwrap();
            rows[0][key] = (value + 1).into();
        })
    }

    fn add_json_row(path: &str) -> impl FnOnce(&mut Files) {
        edit_json(path, |rows| rows.push(rows[0].clone()))
    }

    /// Replaces the first `from` in a file by `to`.
    fn replace(path: &str, from: &'static str, to: &'static str) -> impl FnOnce(&mut Files) {
        edit(path, move |bytes| {
            let at = bytes
                .windows(from.len())
                .position(|window| window == from.as_bytes())
                .unwrap_or_else(|| panic!("{from:?} is not there"));
            bytes.splice(at..at + from.len(), to.bytes());
        })
    }

    // Cases.

    #[test]
    fn a_good_mirror_verifies_and_says_what_was_checked() {
        let files = mirror();
        let report = verify(&files, &key(), None).unwrap();
        assert_eq!(report.problems, []);
        assert!(report.is_verified());
        let summary = report.summary;
        assert_eq!(summary.key_name, ORIGIN);
        assert_eq!(summary.key_id, key().key_id());
        assert_eq!(summary.checkpoint_size, Some(5));
        assert_eq!((summary.hash_tiles, summary.entry_bundles), (1, 1));
        assert_eq!((summary.copies, summary.acta_rows), (4, 4));
        // Four tables, one unlisted; the nation, and two areas of each level that hold listed tables.
        assert_eq!(summary.table_rows, 4);
        assert_eq!(summary.tally_rows, 1 + 2 + 2 + 2 + 2);
        // The nation and its two states; a row per candidate of the election (ten), and as
        // many for the forensic tests of each analysed area.
        assert_eq!(summary.analysis_rows, 3 + 10 + 3 * 10);
        assert_eq!(summary.scans, 1);
        assert_eq!(summary.listed_files, Some(files.len()));
        assert_eq!(summary.extends, None);
    }

    #[test]
    fn a_missing_file_is_named() {
        use ProblemKind::Missing;
        for file in [
            "log/checkpoint",
            "log/key",
            "log/tile/0/000.p/5",
            "log/tile/entries/000.p/5",
            "data/README.txt",
            "data/actas.csv",
            "data/actas.json",
            "data/tables.csv",
            "data/tables.json",
            "data/tally-national.csv",
            "data/tally-national.json",
            "data/tally-state.csv",
            "data/tally-parish.json",
            "data/tally-centre.csv",
            "data/tally-centre.json",
        ] {
            check(remove(file), file, Missing);
        }
        check(remove(&scan_path()), &scan_path(), Missing);
    }

    #[test]
    fn an_altered_file_is_named() {
        use ProblemKind::Altered;
        // The signed size, a hash, an entry's vote count.
        check(
            replace("log/checkpoint", "\n5\n", "\n6\n"),
            "log/checkpoint",
            Altered,
        );
        check(flip("log/key", 20), "log/key", Altered);
        check(
            flip("log/tile/0/000.p/5", 40),
            "log/tile/0/000.p/5",
            Altered,
        );
        check(
            replace(
                "log/tile/entries/000.p/5",
                "candidates 10,",
                "candidates 11,",
            ),
            "log/tile/entries/000.p/5",
            Altered,
        );
        check(
            replace("data/README.txt", "one row", "a row"),
            "data/README.txt",
            Altered,
        );
        check(
            bump_csv("data/actas.csv", "votes_NM"),
            "data/actas.csv",
            Altered,
        );
        check(
            bump_csv("data/actas.csv", "null_votes"),
            "data/actas.csv",
            Altered,
        );
        check(
            bump_csv("data/actas.csv", "registered"),
            "data/actas.csv",
            Altered,
        );
        check(
            bump_json("data/actas.json", "votes_NM"),
            "data/actas.json",
            Altered,
        );
        check(
            bump_csv("data/tables.csv", "votes_LM"),
            "data/tables.csv",
            Altered,
        );
        check(
            bump_csv("data/tables.csv", "copies"),
            "data/tables.csv",
            Altered,
        );
        check(
            bump_json("data/tables.json", "valid_votes"),
            "data/tables.json",
            Altered,
        );
        check(
            bump_csv("data/tally-national.csv", "votes_NM"),
            "data/tally-national.csv",
            Altered,
        );
        check(
            bump_csv("data/tally-state.csv", "tables_expected"),
            "data/tally-state.csv",
            Altered,
        );
        check(
            bump_csv("data/tally-centre.csv", "registered_counted"),
            "data/tally-centre.csv",
            Altered,
        );
        check(
            bump_json("data/tally-municipality.json", "null_votes"),
            "data/tally-municipality.json",
            Altered,
        );
        check(flip(&scan_path(), 3), &scan_path(), Altered);
    }

    #[test]
    fn an_added_file_or_row_is_named() {
        use ProblemKind::{Added, Altered};
        let other_scan = format!("scans/{}", sha256(b"another scan"));
        for file in [
            "log/extra",
            "log/tile/0/001.p/1",
            "log/tile/1/000.p/1",
            "log/tile/entries/000",
            "data/extra.csv",
            "data/tally-district.csv",
            "scans/small/extra.jpg",
            other_scan.as_str(),
        ] {
            check(put(file, b"added"), file, Added);
        }
        // A row for a log index the log does not have, a second row for one it has.
        check(
            add_csv_row("data/actas.csv", 2, Some(("log_index", "9"))),
            "data/actas.csv",
            Added,
        );
        check(
            add_csv_row("data/actas.csv", 2, None),
            "data/actas.csv",
            Added,
        );
        check(
            add_csv_row("data/tables.csv", 1, None),
            "data/tables.csv",
            Added,
        );
        // A new table that claims copies the log does not give it.
        check(
            add_csv_row("data/tables.csv", 1, Some(("table_id", "010101001.09"))),
            "data/tables.csv",
            Altered,
        );
        check(
            add_csv_row("data/tally-state.csv", 1, Some(("code", "07"))),
            "data/tally-state.csv",
            Added,
        );
        for file in [
            "data/actas.json",
            "data/tables.json",
            "data/tally-state.json",
        ] {
            check(add_json_row(file), file, Added);
        }
    }

    #[test]
    fn a_row_or_column_taken_away_is_named() {
        use ProblemKind::Missing;
        let drop_row = |path: &'static str| {
            edit(path, |bytes| {
                let mut rows = read_csv(bytes);
                rows.remove(1);
                *bytes = write_csv(&rows);
            })
        };
        let drop_column = |path: &'static str, column: &'static str| {
            edit(path, move |bytes| {
                let mut rows = read_csv(bytes);
                let at = rows[0].iter().position(|c| c == column).unwrap();
                for row in &mut rows {
                    row.remove(at);
                }
                *bytes = write_csv(&rows);
            })
        };
        for file in ["data/actas.csv", "data/tables.csv", "data/tally-state.csv"] {
            check(drop_row(file), file, Missing);
        }
        check(
            drop_column("data/tally-national.csv", "votes_NM"),
            "data/tally-national.csv",
            Missing,
        );
    }

    #[test]
    fn the_wrong_key_fails_at_the_checkpoint() {
        let files = mirror();
        let other = SignerKey::generate([8; 32], ORIGIN).unwrap().verifier_key();
        let report = verify(&files, &other, None).unwrap();
        assert_eq!(report.problem_count, 1);
        assert_eq!(report.problems[0].file, "log/checkpoint");
        assert_eq!(report.problems[0].kind, ProblemKind::Altered);
        assert!(
            report.problems[0]
                .to_string()
                .starts_with("log/checkpoint: does not verify with the given key"),
            "{}",
            report.problems[0]
        );
        // Nothing else is read.
        assert_eq!(report.summary.checkpoint_size, None);
        assert_eq!(report.summary.listed_files, None);
    }

    #[test]
    fn a_hostile_mirror_gives_problems_not_a_panic() {
        use ProblemKind::Altered;
        check(
            put("log/checkpoint", &[0xff, 0xfe, 0x00]),
            "log/checkpoint",
            Altered,
        );
        check(
            edit("log/tile/0/000.p/5", |bytes| bytes.truncate(7)),
            "log/tile/0/000.p/5",
            Altered,
        );
        check(
            put("data/actas.csv", b"a,b\n1\n\xff,2,3\n"),
            "data/actas.csv",
            Altered,
        );
        check(
            put("data/actas.json", b"{\"rows\": ["),
            "data/actas.json",
            Altered,
        );
        check(
            put("data/tables.csv", b""),
            "data/tables.csv",
            ProblemKind::Missing,
        );
        check(
            put("data/tables.json", b"[1, 2, 3, 4]"),
            "data/tables.json",
            Altered,
        );
        check(
            replace("data/tables.csv", "010101001.02", "not a table"),
            "data/tables.csv",
            ProblemKind::Added,
        );
        check(
            put("data/tally-state.csv", b"code,level\n\xff\xfe,x\n"),
            "data/tally-state.csv",
            Altered,
        );
        check(
            put("data/tally-state.csv", b"\"unclosed"),
            "data/tally-state.csv",
            ProblemKind::Missing,
        );
    }

    #[test]
    fn a_signed_log_whose_entries_are_not_veedors_is_named_by_bundle() {
        let signer = SignerKey::generate([7; 32], ORIGIN).unwrap();
        let mirror_of_entries = |entries: &[Vec<u8>]| -> Files {
            let mut tree = MerkleLog::new();
            for entry in entries {
                tree.append(entry);
            }
            let checkpoint = Checkpoint::new(ORIGIN, tree.size(), tree.root()).unwrap();
            let note = signer.sign(&checkpoint).unwrap();
            let key = signer.verifier_key();
            crate::log::mirror_files(&note, &key, &tree, entries, tree.size())
                .unwrap()
                .into_iter()
                .collect()
        };
        let problems = |files: &Files| verify(files, &key(), None).unwrap().problems;

        let files = mirror_of_entries(&[b"not an election".to_vec()]);
        let found = problems(&files);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(
            found[0].to_string(),
            "log/tile/entries/000.p/1: entry 0 is not the election definition"
        );

        let election = veedor_formats::log_entry::election_entry(ELECTION);
        let files = mirror_of_entries(&[election, b"veedor/acta-copy/1\n".to_vec()]);
        let found = problems(&files);
        assert_eq!(found[0].file, "log/tile/entries/000.p/2", "{found:#?}");
        assert!(found[0].message.starts_with("entry 1: "), "{found:#?}");
    }

    #[test]
    fn an_older_partial_tile_is_allowed_when_it_is_the_logs() {
        // Exporting 3 entries and then 5 into the same folder leaves the first export's tiles.
        let older = mirror_of(3);
        let stale = ["log/tile/0/000.p/3", "log/tile/entries/000.p/3"];
        let mut files = mirror();
        for path in stale {
            files.insert(path.to_owned(), older[path].clone());
        }
        let report = verify(&files, &key(), None).unwrap();
        assert_eq!(report.problems, []);
        for path in stale {
            check(
                |files| {
                    files.insert(path.to_owned(), older[path].clone());
                    flip(path, -1)(files);
                },
                path,
                ProblemKind::Altered,
            );
        }
    }

    #[test]
    fn added_files_are_looked_for_only_when_the_mirror_can_be_listed() {
        /// A mirror read over HTTP: no listing.
        struct Unlisted(Files);
        impl MirrorFiles for Unlisted {
            fn get(&self, path: &str) -> Result<Option<Vec<u8>>, FetchError> {
                self.0
                    .get(path)
                    .map(|bytes| Some(bytes.clone()))
                    .map_or(Ok(None), Ok)
            }
            fn list(&self, _folder: &str) -> Option<Result<Vec<String>, FetchError>> {
                None
            }
        }
        let mut files = mirror();
        files.insert("data/extra.csv".to_owned(), b"added".to_vec());
        let report = verify(&Unlisted(files), &key(), None).unwrap();
        assert!(report.is_verified(), "{:#?}", report.problems);
        assert_eq!(report.summary.listed_files, None);
    }

    #[test]
    fn an_older_checkpoint_is_extended_or_the_rewrite_is_named() {
        let files = mirror();
        let report = verify(&files, &key(), Some(&checkpoint(3))).unwrap();
        assert!(report.is_verified(), "{:#?}", report.problems);
        assert_eq!(report.summary.extends, Some(3));

        let rewritten = Checkpoint::new(ORIGIN, 3, veedor_ledger::leaf_hash(b"x")).unwrap();
        let report = verify(&files, &key(), Some(&rewritten)).unwrap();
        assert_eq!(report.problems.len(), 1);
        assert!(
            report.problems[0]
                .to_string()
                .starts_with("log/: the log was rewritten: its first 3 entries"),
            "{}",
            report.problems[0]
        );
        let larger = Checkpoint::new(ORIGIN, 9, veedor_ledger::leaf_hash(b"x")).unwrap();
        let report = verify(&files, &key(), Some(&larger)).unwrap();
        assert_eq!(report.problems[0].file, "log/checkpoint");
    }

    #[test]
    fn a_fetch_error_stops_the_check() {
        struct Broken;
        impl MirrorFiles for Broken {
            fn get(&self, path: &str) -> Result<Option<Vec<u8>>, FetchError> {
                Err(FetchError::new(path, "permission denied"))
            }
            fn list(&self, _folder: &str) -> Option<Result<Vec<String>, FetchError>> {
                None
            }
        }
        let error = verify(&Broken, &key(), None).unwrap_err();
        assert_eq!(error.to_string(), "log/checkpoint: permission denied");
    }

    #[test]
    fn logged_text_is_read_through_the_spreadsheet_quote() {
        // (cell in the export, what the log's rendering wants)
        for (cell, want) in [
            ("scan.jpg", "scan.jpg"),
            ("'=cmd.jpg", "'=cmd.jpg"),
            // `\tx` exported as `'\tx`, logged as `?x`.
            ("'\tx", "?x"),
            // `'\tx` exported as itself, logged as `'?x`.
            ("'\tx", "'?x"),
            ("a\u{1b}b", "a?b"),
        ] {
            assert_eq!(as_logged(cell, want), want, "{cell:?}");
        }
        assert_eq!(as_logged("'=other.jpg", "'=cmd.jpg"), "'=other.jpg");
    }

    // A site.

    /// Changes `site_mirror()` with `mutation` and returns the problems `verify` finds.
    fn site_problems(mutation: impl FnOnce(&mut Files)) -> Vec<Problem> {
        let mut files = site_mirror();
        mutation(&mut files);
        verify(&files, &key(), None).unwrap().problems
    }

    /// Checks that the only problem of a changed site names `file` with `kind`.
    fn check_site(mutation: impl FnOnce(&mut Files), file: &str, kind: ProblemKind) {
        let problems = site_problems(mutation);
        assert!(
            problems.len() == 1 && problems[0].file == file && problems[0].kind == kind,
            "expected only {kind:?} naming {file}, found: {problems:#?}"
        );
    }

    #[test]
    fn a_site_verifies_and_says_what_was_checked() {
        let files = site_mirror();
        let report = verify(&files, &key(), None).unwrap();
        assert_eq!(report.problems, []);
        let summary = report.summary;
        let site_files = files
            .keys()
            .filter(|path| {
                !["data/", "log/", "scans/", "lookup/"]
                    .iter()
                    .any(|f| path.starts_with(f))
            })
            .count();
        assert_eq!(summary.site_files, Some(site_files));
        assert_eq!(summary.small_copies, 0);
        assert_eq!(summary.signed_at.as_deref(), Some("2024-07-28 20:55 UTC"));
        assert_eq!(summary.lookup_shards, Some(16));
        assert_eq!(summary.lookup_records, VOTERS);
        assert_eq!(summary.details_from_mirror, 0);
        // Every file but the two at the root, `index.html` and `site.json`.
        assert_eq!(summary.listed_files, Some(files.len() - 2));
        assert_eq!(summary.profile, Some(Manifest::full()));
        // The same report on any number of threads.
        let threads = NonZeroUsize::new(3).unwrap();
        assert_eq!(
            verify_on_threads(&files, &key(), None, threads).unwrap(),
            report_of(&files)
        );
    }

    fn report_of(files: &Files) -> Report {
        verify(files, &key(), None).unwrap()
    }

    #[test]
    fn a_changed_missing_or_added_site_file_is_named() {
        use ProblemKind::{Added, Altered, Missing};
        let acta = "en/acta/44.html";
        check_site(replace(acta, "scanner 1", "scanner 2"), acta, Altered);
        check_site(
            replace("es/index.html", "Mesas", "Mesa"),
            "es/index.html",
            Altered,
        );
        check_site(
            replace(
                "api/v1/table/010101001.01.json",
                "\"valid_votes\":",
                "\"valid_votes\":1",
            ),
            "api/v1/table/010101001.01.json",
            Altered,
        );
        check_site(flip("static/lookup.js", 100), "static/lookup.js", Altered);
        check_site(
            flip("static/lookup-lane.js", 100),
            "static/lookup-lane.js",
            Altered,
        );
        check_site(
            flip("static/hash-wasm-scrypt.js", 5000),
            "static/hash-wasm-scrypt.js",
            Altered,
        );
        check_site(flip("static/style.css", -2), "static/style.css", Altered);
        check_site(
            remove("es/table/010101001.02.html"),
            "es/table/010101001.02.html",
            Missing,
        );
        check_site(remove("index.html"), "index.html", Missing);
        check_site(
            put("en/table/010101001.09.html", b"<p>"),
            "en/table/010101001.09.html",
            Added,
        );
        check_site(put("static/extra.js", b""), "static/extra.js", Added);
        // A small copy of a scan that has none (its bytes are no picture).
        let small = crate::site::small_copy_path(&sha256(SCAN).to_hex());
        check_site(put(&small, b"\xff\xd8\xff"), &small, Added);
    }

    #[test]
    fn a_problem_names_where_the_page_parts_from_the_rendering() {
        let problems = site_problems(replace("en/acta/44.html", "scanner 1", "scanner 2"));
        let message = &problems[0].message;
        assert!(
            message.starts_with("differs from the rendering of the verified data at line 3")
                && message.contains("scanner 2")
                && message.contains("where the export writes")
                && message.contains("scanner 1"),
            "{message}"
        );
    }

    #[test]
    fn the_pages_time_is_read_and_held_to_the_log() {
        // Every page says when the checkpoint was signed; changed in one, that one differs.
        check_site(
            replace("en/method.html", "2024-07-28 20:55", "2024-07-28 20:56"),
            "en/method.html",
            ProblemKind::Altered,
        );
        // A time before the last copy came is named on the home page it was read from.
        let problems = site_problems(|files| {
            for (path, bytes) in files.iter_mut() {
                if path.ends_with(".html") {
                    let text = String::from_utf8_lossy(bytes);
                    *bytes = text
                        .replace("2024-07-28 20:55", "2024-07-28 20:52")
                        .into_bytes();
                }
            }
        });
        assert_eq!(problems.len(), 1, "{problems:#?}");
        assert_eq!(problems[0].file, "index.html");
        assert!(
            problems[0]
                .message
                .contains("before log entry 4 was received"),
            "{problems:#?}"
        );
    }

    #[test]
    fn a_file_name_with_a_control_character_is_rendered_as_the_store_holds_it() {
        // The log holds `acta?.jpg`, the pages show `acta\u{7}.jpg` as `data/actas.csv` has it.
        let files = site_mirror();
        let page = String::from_utf8_lossy(&files["en/acta/44.html"]).into_owned();
        assert!(page.contains("acta\u{7}.jpg"), "{page}");
        assert!(report_of(&files).is_verified());
    }

    #[test]
    fn a_lookup_shard_is_checked_without_the_registry() {
        use ProblemKind::{Added, Altered, Missing};
        let shard = |files: &Files| -> String {
            files
                .iter()
                .filter(|(path, _)| {
                    path.starts_with("lookup/") && path.as_str() != crate::site::LOOKUP_INDEX
                })
                .max_by_key(|(_, bytes)| bytes.len())
                .map(|(path, _)| path.clone())
                .unwrap()
        };
        let files = site_mirror();
        let full = shard(&files);
        // A record moved to another shard by its first bit; two records swapped.
        check_site(edit(&full, |bytes| bytes[0] ^= 0x80), &full, Altered);
        check_site(
            edit(&full, |bytes| {
                let (first, second) = bytes.split_at_mut(LOOKUP_RECORD);
                first.swap_with_slice(&mut second[..LOOKUP_RECORD]);
            }),
            &full,
            Altered,
        );
        // A voter placed at a table the data does not have (centre 999).
        check_site(
            edit(&full, |bytes| {
                bytes[8..14].copy_from_slice(&[0, 0, 0, 0, 3, 0xe7])
            }),
            &full,
            Altered,
        );
        check_site(edit(&full, |bytes| bytes.truncate(20)), &full, Altered);
        check_site(remove("lookup/0.bin"), "lookup/0.bin", Missing);
        check_site(put("lookup/00.bin", b""), "lookup/00.bin", Added);
        // Without shards the pages with the lookup form are not the export's.
        let problems = site_problems(|files| files.retain(|path, _| !path.starts_with("lookup/")));
        let named: BTreeSet<&str> = problems.iter().map(|p| p.file.as_str()).collect();
        assert_eq!(
            named,
            [
                "en/index.html",
                "en/lookup.html",
                "es/index.html",
                "es/lookup.html",
                "index.html"
            ]
            .into()
        );
    }

    #[test]
    fn shards_are_checked_byte_for_byte_against_a_logged_commitment() {
        let files = site_mirror();
        let (results, _, _) = exported(5);
        let (salt, records) = test_records(&results);
        let entry = RegistryEntry::of_records(
            &results.election().id,
            veedor_formats::lookup::LookupKdf::UNPROTECTED,
            &salt,
            &records,
        );
        assert_eq!(entry.bucket_bits, 4);
        let committed = LookupCommitment { index: 7, entry };
        let problems = |files: &Files, bits: u8, committed: &LookupCommitment| -> Vec<Problem> {
            let mut run = Run::new(files, &key(), NonZeroUsize::MIN);
            run.lookup(&results, bits, Some(committed)).unwrap();
            assert_eq!(run.summary.lookup_checked_against, Some(7));
            run.problems
        };
        assert_eq!(problems(&files, 4, &committed), []);
        // A voter moved to another table of the data: nothing but the log can tell, and the
        // index names the shard.
        let mut moved = files.clone();
        let (path, shard) = moved
            .iter_mut()
            .find(|(path, bytes)| {
                path.starts_with("lookup/") && path.len() == 12 && !bytes.is_empty()
            })
            .unwrap();
        let path = path.clone();
        let elsewhere = [0, 0, 0, 0x9a, 0x21, 0x09, 0, 2];
        let elsewhere = if shard[8..16] == elsewhere {
            [0, 0, 0, 0x9a, 0x21, 0x09, 0, 1]
        } else {
            elsewhere
        };
        shard[8..16].copy_from_slice(&elsewhere);
        let found = problems(&moved, 4, &committed);
        let named: Vec<&str> = found.iter().map(|p| p.file.as_str()).collect();
        assert_eq!(named, [path.as_str()], "{found:#?}");
        assert!(found[0].message.contains("log entry 7"), "{found:#?}");
        // The index rewritten to match: still not the log's, and named.
        let mut both = moved.clone();
        both.extend([crate::site::lookup_index(&records_of(&moved), 4)]);
        let found = problems(&both, 4, &committed);
        let named: Vec<&str> = found.iter().map(|p| p.file.as_str()).collect();
        assert_eq!(named, ["lookup/index.bin", "lookup/"], "{found:#?}");
        // The same records cut into larger shards (another export profile) or smaller ones
        // check against the same entry.
        {
            let bits = 8u8;
            let mut recut: Files = files
                .iter()
                .filter(|(path, _)| {
                    !path.starts_with("lookup/") || path.as_str() == "lookup/index.bin"
                })
                .map(|(path, bytes)| (path.clone(), bytes.clone()))
                .collect();
            recut.extend(crate::site::shards(&records, bits));
            assert_eq!(problems(&recut, bits, &committed), []);
            // A record dropped: the bucket's 16 shards of 8 bits are named.
            let (path, shard) = recut
                .iter_mut()
                .find(|(path, bytes)| {
                    path.starts_with("lookup/") && path.len() == 13 && bytes.len() > LOOKUP_RECORD
                })
                .unwrap();
            let path = path.clone();
            shard.truncate(LOOKUP_RECORD);
            let found = problems(&recut, bits, &committed);
            let group = format!("{}0.bin to {}f.bin", &path[..8], &path[..8]);
            assert!(
                found
                    .iter()
                    .any(|p| p.file.ends_with(&group) && p.message.contains("log entry 7")),
                "{group}: {found:#?}"
            );
        }
        let more = LookupCommitment {
            index: 7,
            entry: RegistryEntry {
                voters: VOTERS + 1,
                ..committed.entry.clone()
            },
        };
        let found = problems(&files, 4, &more);
        assert!(
            found[0]
                .message
                .starts_with("40 records, log entry 7 commits to 41"),
            "{found:#?}"
        );
    }

    /// The records of a mirror's shards of 4 bits, in order.
    fn records_of(files: &Files) -> Vec<u8> {
        (0..16u32)
            .flat_map(|shard| files[&crate::site::shard_path(4, shard)].clone())
            .collect()
    }

    #[test]
    fn a_finding_sentence_that_validation_cannot_give_again_comes_from_the_acta_twin() {
        // The log names W201 for copy 44, whose sentence states the registered voters of the
        // table when the copy came; the table list now gives none, so validation cannot give it.
        let (mut results, _, _) = exported(5);
        let copy = results
            .dataset
            .copies
            .iter_mut()
            .find(|copy| copy.id.get() == 44)
            .unwrap();
        copy.findings.push(Finding {
            code: FindingCode::RegisteredVotersDiffer,
            detail: String::new(),
        });
        let sentence = "the source states 480 registered voters, the table list 500";
        let twin = serde_json::json!({"copy": {"findings": [
            {"code": "W201", "name": "registered_voters_differ", "error": false, "detail": sentence}
        ]}});
        let files: Files = [(
            "api/v1/acta/44.json".to_owned(),
            twin.to_string().into_bytes(),
        )]
        .into();
        let mut run = Run::new(&files, &key(), NonZeroUsize::MIN);
        run.as_stored(&mut results, &Trusted::default()).unwrap();
        let copy = results
            .dataset
            .copies
            .iter()
            .find(|copy| copy.id.get() == 44)
            .unwrap();
        assert_eq!(copy.findings.last().unwrap().detail, sentence);
        assert_eq!(run.summary.details_from_mirror, 1);
        // Without a twin that says it, the sentence stays empty and the pages will differ.
        let (mut results, _, _) = exported(5);
        results.dataset.copies[0].findings.push(Finding {
            code: FindingCode::RegisteredVotersDiffer,
            detail: String::new(),
        });
        let no_twin = Files::new();
        let mut run = Run::new(&no_twin, &key(), NonZeroUsize::MIN);
        run.as_stored(&mut results, &Trusted::default()).unwrap();
        assert_eq!(run.summary.details_from_mirror, 0);
    }
}
