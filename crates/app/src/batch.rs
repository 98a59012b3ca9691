//! Building a [`Batch`] from what a file says, with the rules by which tables and area names
//! merge with what is stored. Adapters only insert and update what a batch says; the decisions
//! are all here, so every adapter merges alike:
//!
//! - A table exists only if a source that defines tables says so: a table list, or a result
//!   file imported as defining tables ([`Tables::Define`]) whose rows carry registered voters.
//!   A QR code, a payload line, an upload or a result file imported without that never adds a
//!   table: its copy for an unknown table is stored with F101 (F105 too when its first-level
//!   area holds no table, a state that does not exist) and waits; it counts once a later source
//!   establishes the table ([`veedor_core::Results::compute`] validates every copy again).
//! - A defining result file adds its unknown tables with the registered voters its rows state,
//!   and a known table whose registered voters are unknown learns them from the first defining
//!   row that states them. Area names are added when new, never replaced.
//! - A table list sets its tables' registered voters and marks them listed; its area names
//!   replace earlier ones. Once a list exists, only it defines tables: a defining result file
//!   adds none, and a table not in the list is flagged (F101).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use veedor_core::{
    ActaRecord, AreaCode, Election, EvidenceRef, FindingCode, Location, Place, PollingTable,
    Provenance, Pseudonym, Sha256, SourceKind, TableId, Timestamp, validate,
};
use veedor_formats::{LogEntry, RowProblem, TableRow};
use veedor_store::{Batch, BatchOutcome, NewCopy, Rejection, ResultStore, SourceFile, Store};

use crate::AppError;
use crate::checkpoint::{Signer, sign_checkpoint};

/// One readable row of acta copies: a line of a results or payloads file, or a page of a scan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyRow {
    /// Where in its file.
    pub location: Location,
    /// What it says.
    pub record: ActaRecord,
    /// Names of the table's areas the row gives: (level index, name).
    pub area_names: Vec<(usize, String)>,
    /// For a scanned page: the SHA-256 of its file as published (metadata stripped).
    pub published_sha256: Option<Sha256>,
    /// For a scanned page: the earlier copy whose page image this one repeats.
    pub same_image_as: Option<EvidenceRef>,
    /// For a manual entry: the typists whose entries agreed.
    pub entered_by: Vec<Pseudonym>,
}

/// Who and what a batch's copies come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// How they were read.
    pub kind: SourceKind,
    /// The scanner or device.
    pub device: Option<String>,
    /// The volunteer, by pseudonym.
    pub volunteer: Option<Pseudonym>,
}

impl Origin {
    /// An origin of this kind, with no device or volunteer.
    #[must_use]
    pub fn of(kind: SourceKind) -> Self {
        Self {
            kind,
            device: None,
            volunteer: None,
        }
    }
}

/// Whether a file's rows may establish the tables they name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tables {
    /// They name tables that something else established (every copy's source but the next).
    Refer,
    /// A result file published as the election's per-table record, with registered voters,
    /// imported as defining tables (`veedor import results --defines-tables`).
    Define,
}

/// The tables and area names batches are built against, kept current as batches are stored.
#[derive(Clone, Debug, Default)]
pub struct KnownTables {
    tables: HashMap<TableId, PollingTable>,
    area_names: BTreeMap<AreaCode, String>,
    /// Whether a table list was imported: then a table not in it is flagged, never added.
    table_list: bool,
}

/// Where a row's record stands among the established tables.
fn place<'a>(
    election: &Election,
    tables: &'a TableChanges<'_>,
    id: &TableId,
    table_list: bool,
) -> Place<'a> {
    match tables.get(id) {
        Some(table) if table.listed || !table_list => Place::Table(table),
        _ => {
            let area = election.geography.area_of(id.centre, 0);
            let area_known = tables.first_level_areas().contains(&area);
            Place::Unknown { area_known }
        }
    }
}

impl KnownTables {
    /// What the store holds.
    pub fn load(store: &dyn ResultStore) -> Result<Self, AppError> {
        let tables: HashMap<TableId, PollingTable> = store
            .tables()?
            .into_iter()
            .map(|(_, table)| (table.id, table))
            .collect();
        let table_list = tables.values().any(|table| table.listed);
        Ok(Self {
            tables,
            area_names: store.area_names()?,
            table_list,
        })
    }

    /// A known table.
    #[must_use]
    pub fn get(&self, id: &TableId) -> Option<&PollingTable> {
        self.tables.get(id)
    }

    /// Whether a table list was imported.
    #[must_use]
    pub fn has_table_list(&self) -> bool {
        self.table_list
    }

    /// Takes in what a stored batch added or changed.
    pub fn absorb(&mut self, batch: &Batch) {
        for table in batch.new_tables.iter().chain(&batch.changed_tables) {
            self.table_list |= table.listed;
            self.tables.insert(table.id, table.clone());
        }
        for (area, name) in &batch.area_names {
            self.area_names.insert(*area, name.clone());
        }
    }
}

/// What an import did, for its summary.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Rows read, readable or not.
    pub rows: usize,
    /// Acta copies stored.
    pub copies_added: usize,
    /// Tables added.
    pub tables_added: usize,
    /// Tables whose registered voters or listing changed.
    pub tables_updated: usize,
    /// When the same file was applied before, if it was: then nothing was added.
    pub already_applied: Option<Timestamp>,
    /// Findings of the copies, by code.
    pub findings: BTreeMap<FindingCode, usize>,
    /// Rows naming a table that the table list does not have, with the table as people write it.
    pub unknown_tables: Vec<(Location, String)>,
    /// Rows that could not be read.
    pub rejected: Vec<RowProblem>,
    /// The size of the checkpoint signed after the import, if the log grew.
    pub checkpoint: Option<u64>,
}

/// Tables of one batch as they are being decided: the known ones, with what the batch has
/// added or changed so far on top, in the order first seen.
struct TableChanges<'a> {
    election: &'a Election,
    known: &'a KnownTables,
    new_tables: Vec<PollingTable>,
    changed_tables: Vec<PollingTable>,
    /// Where a table of this batch is: `(true, i)` in `new_tables`, `(false, i)` in `changed_tables`.
    index: HashMap<TableId, (bool, usize)>,
    /// First-level areas holding an established table, computed when first asked.
    areas: std::cell::OnceCell<BTreeSet<AreaCode>>,
}

impl<'a> TableChanges<'a> {
    fn new(election: &'a Election, known: &'a KnownTables) -> Self {
        Self {
            election,
            known,
            new_tables: Vec::new(),
            changed_tables: Vec::new(),
            index: HashMap::new(),
            areas: std::cell::OnceCell::new(),
        }
    }

    /// First-level areas of the established tables (those of the table list, when there is one).
    /// Computed once a batch, then kept current by [`Self::set`], so that rows naming unknown
    /// tables between new ones cost no rescan.
    fn first_level_areas(&self) -> &BTreeSet<AreaCode> {
        let election = self.election;
        self.areas.get_or_init(|| {
            let list = self.known.table_list || self.new_tables.iter().any(|t| t.listed);
            self.known
                .tables
                .values()
                .chain(&self.new_tables)
                .chain(&self.changed_tables)
                .filter(|table| table.listed || !list)
                .map(|table| election.geography.area_of(table.id.centre, 0))
                .collect()
        })
    }

    fn get(&self, id: &TableId) -> Option<&PollingTable> {
        match self.index.get(id) {
            Some((true, i)) => self.new_tables.get(*i),
            Some((false, i)) => self.changed_tables.get(*i),
            None => self.known.get(id),
        }
    }

    /// Records `table` as it must be after the batch, as a new table or a change.
    fn set(&mut self, table: PollingTable) {
        let list = self.known.table_list || table.listed;
        if let Some(areas) = self.areas.get_mut()
            && (table.listed || !list)
        {
            areas.insert(self.election.geography.area_of(table.id.centre, 0));
        }
        match self.index.get(&table.id) {
            Some((true, i)) => self.new_tables[*i] = table,
            Some((false, i)) => self.changed_tables[*i] = table,
            None if self.known.get(&table.id).is_none() => {
                self.index.insert(table.id, (true, self.new_tables.len()));
                self.new_tables.push(table);
            }
            None => {
                if self.known.get(&table.id) == Some(&table) {
                    return;
                }
                self.index
                    .insert(table.id, (false, self.changed_tables.len()));
                self.changed_tables.push(table);
            }
        }
    }
}

fn rejections(problems: &[RowProblem]) -> Vec<Rejection> {
    problems
        .iter()
        .map(|problem| Rejection {
            location: format!("line {}", problem.line),
            message: problem.message.clone(),
        })
        .collect()
}

/// Builds the batch for rows of acta copies: each row validated against the established tables;
/// tables added only by a defining file ([`Tables::Define`]) while there is no table list. `known`
/// is not changed: [`KnownTables::absorb`] the batch once it is stored.
#[must_use]
pub fn copies_batch(
    election: &Election,
    known: &KnownTables,
    source: &SourceFile,
    origin: &Origin,
    rows: Vec<CopyRow>,
    problems: &[RowProblem],
    defines: Tables,
) -> (Batch, ImportReport) {
    let defines = defines == Tables::Define && !known.table_list;
    let table_list = known.table_list;
    let mut report = ImportReport {
        rows: rows.len() + problems.len(),
        rejected: problems.to_vec(),
        ..ImportReport::default()
    };
    let mut tables = TableChanges::new(election, known);
    let mut area_names: BTreeMap<AreaCode, String> = BTreeMap::new();
    let mut copies = Vec::with_capacity(rows.len());
    for row in rows {
        let id = row.record.table;
        match tables.get(&id) {
            None if defines && row.record.stated_registered.is_some() => {
                tables.set(PollingTable {
                    id,
                    registered: row.record.stated_registered,
                    listed: false,
                });
            }
            // A table whose registered voters are unknown learns them from a defining file.
            Some(table)
                if defines
                    && table.registered.is_none()
                    && row.record.stated_registered.is_some() =>
            {
                let table = PollingTable {
                    registered: row.record.stated_registered,
                    ..table.clone()
                };
                tables.set(table);
            }
            _ => {}
        }
        let place = place(election, &tables, &id, table_list);
        if place.table().is_none() {
            report
                .unknown_tables
                .push((row.location, id.display(election.geography.centre_digits)));
        }
        let findings = validate(&row.record, election, place);
        for finding in &findings {
            *report.findings.entry(finding.code).or_default() += 1;
        }
        for (level, name) in row.area_names {
            let area = election.geography.area_of(id.centre, level);
            if !known.area_names.contains_key(&area) {
                area_names.entry(area).or_insert(name);
            }
        }
        let provenance = Provenance {
            source: origin.kind,
            file_name: source.file_name.clone(),
            file_sha256: source.sha256,
            location: row.location,
            received_at: source.received_at,
            device: origin.device.clone(),
            volunteer: origin.volunteer.clone(),
            published_sha256: row.published_sha256,
            same_image_as: row.same_image_as,
            entered_by: row.entered_by,
        };
        let log_entry = LogEntry::of_copy(
            &election.id,
            election.geography.centre_digits,
            &row.record,
            &provenance,
            &findings,
        )
        .encode();
        copies.push(NewCopy {
            record: row.record,
            provenance,
            findings,
            log_entry,
        });
    }
    let batch = Batch {
        source: source.clone(),
        new_tables: tables.new_tables,
        changed_tables: tables.changed_tables,
        area_names: area_names.into_iter().collect(),
        copies,
        rejections: rejections(problems),
        queue: Vec::new(),
    };
    (batch, report)
}

/// Builds the batch of a table list: every table listed with its registered voters, its area
/// names set. A table listed twice takes its last row.
#[must_use]
pub fn tables_batch(
    election: &Election,
    known: &KnownTables,
    source: &SourceFile,
    rows: &[TableRow],
) -> (Batch, ImportReport) {
    let mut tables = TableChanges::new(election, known);
    let mut area_names = BTreeMap::new();
    for row in rows {
        for (level, name) in &row.area_names {
            let area = election.geography.area_of(row.id.centre, *level);
            if known.area_names.get(&area) != Some(name) {
                area_names.insert(area, name.clone());
            }
        }
        tables.set(PollingTable {
            id: row.id,
            registered: Some(row.registered),
            listed: true,
        });
    }
    let batch = Batch {
        source: source.clone(),
        new_tables: tables.new_tables,
        changed_tables: tables.changed_tables,
        area_names: area_names.into_iter().collect(),
        copies: Vec::new(),
        rejections: Vec::new(),
        queue: Vec::new(),
    };
    let report = ImportReport {
        rows: rows.len(),
        ..ImportReport::default()
    };
    (batch, report)
}

/// Applies a batch and completes the report; the caller signs a checkpoint (an ingest signs
/// once in a while, not after every file).
pub fn apply_unsigned(
    store: &mut dyn Store,
    batch: &Batch,
    report: &mut ImportReport,
) -> Result<(), AppError> {
    match store.apply(batch)? {
        BatchOutcome::Applied {
            copies_added,
            tables_added,
            tables_updated,
        } => {
            report.copies_added = copies_added;
            report.tables_added = tables_added;
            report.tables_updated = tables_updated;
        }
        BatchOutcome::AlreadyApplied { at } => report.already_applied = Some(at),
    }
    Ok(())
}

/// Applies a batch, completes the report, and signs a checkpoint of the log if it grew.
pub fn apply(
    store: &mut dyn Store,
    signer: &dyn Signer,
    now: Timestamp,
    batch: &Batch,
    report: &mut ImportReport,
) -> Result<(), AppError> {
    apply_unsigned(store, batch, report)?;
    if let Some(checkpoint) = sign_checkpoint(store, signer, now)? {
        report.checkpoint = Some(checkpoint.size);
    }
    Ok(())
}

/// Imports rows of acta copies read from one file: validated against the store's tables, one
/// batch, applied, and a checkpoint signed. A file none of whose rows could be read is refused
/// whole, recording nothing, so that its corrected version can be imported later.
pub fn import_copies(
    store: &mut dyn Store,
    signer: &dyn Signer,
    source: &SourceFile,
    origin: &Origin,
    rows: Vec<CopyRow>,
    problems: &[RowProblem],
    defines: Tables,
) -> Result<ImportReport, AppError> {
    let election = store.election()?;
    let known = KnownTables::load(store)?;
    let (batch, mut report) =
        copies_batch(&election, &known, source, origin, rows, problems, defines);
    if batch.copies.is_empty() {
        return Err(AppError::NothingReadable {
            rows: report.rejected.len(),
        });
    }
    apply(store, signer, source.received_at, &batch, &mut report)?;
    Ok(report)
}

/// Imports a table list: one batch, applied, and a checkpoint signed if the log grew.
pub fn import_tables(
    store: &mut dyn Store,
    signer: &dyn Signer,
    source: &SourceFile,
    rows: &[TableRow],
) -> Result<ImportReport, AppError> {
    let election = store.election()?;
    let known = KnownTables::load(store)?;
    let (batch, mut report) = tables_batch(&election, &known, source, rows);
    apply(store, signer, source.received_at, &batch, &mut report)?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use veedor_core::{CentreCode, Counts, Sha256, TableNumber};
    use veedor_store::FileKind;

    use super::*;

    fn election() -> Election {
        veedor_formats::parse_election(include_str!("../../../elections/ve-2024-presidential.toml"))
            .expect("the shipped election parses")
    }

    fn table(centre: u64, number: u16) -> TableId {
        TableId::new(CentreCode::new(centre), TableNumber::new(number))
    }

    fn source() -> SourceFile {
        SourceFile {
            kind: FileKind::Results,
            file_name: "results.csv".to_owned(),
            sha256: Sha256::from_bytes([7; 32]),
            size: 1,
            received_at: "2024-07-29T00:00:00Z".parse().expect("a time"),
        }
    }

    fn row(id: TableId, registered: Option<u32>, line: u64) -> CopyRow {
        CopyRow {
            location: Location::Line(line),
            record: ActaRecord {
                table: id,
                counts: Counts::Candidates(vec![0; 10]),
                null_votes: Some(0),
                stated_valid_votes: None,
                stated_registered: registered,
                format_fields: Vec::new(),
                declared_counts: Vec::new(),
            },
            area_names: vec![(0, "DTTO. CAPITAL".to_owned())],
            published_sha256: None,
            same_image_as: None,
            entered_by: Vec::new(),
        }
    }

    fn known(tables: &[PollingTable]) -> KnownTables {
        KnownTables {
            tables: tables.iter().map(|t| (t.id, t.clone())).collect(),
            area_names: BTreeMap::new(),
            table_list: tables.iter().any(|t| t.listed),
        }
    }

    fn listed(id: TableId, registered: u32) -> PollingTable {
        PollingTable {
            id,
            registered: Some(registered),
            listed: true,
        }
    }

    #[test]
    fn without_a_list_rows_add_their_tables_once_and_names_once() {
        let a = table(10_101_001, 1);
        let rows = vec![row(a, Some(500), 2), row(a, Some(600), 3)];
        let (batch, report) = copies_batch(
            &election(),
            &known(&[]),
            &source(),
            &Origin::of(SourceKind::CsvImport),
            rows,
            &[],
            Tables::Define,
        );
        assert_eq!(
            batch.new_tables,
            vec![PollingTable {
                id: a,
                registered: Some(500),
                listed: false
            }]
        );
        assert!(batch.changed_tables.is_empty());
        assert_eq!(batch.area_names.len(), 1);
        assert_eq!(batch.copies.len(), 2);
        assert!(report.unknown_tables.is_empty());
    }

    #[test]
    fn a_table_without_registered_voters_learns_them_from_the_first_row_stating_them() {
        let a = table(10_101_001, 1);
        let learnt = PollingTable {
            id: a,
            registered: None,
            listed: false,
        };
        let rows = vec![row(a, None, 2), row(a, Some(500), 3), row(a, Some(9), 4)];
        let (batch, _) = copies_batch(
            &election(),
            &known(&[learnt]),
            &source(),
            &Origin::of(SourceKind::CsvImport),
            rows,
            &[],
            Tables::Define,
        );
        assert!(batch.new_tables.is_empty());
        assert_eq!(
            batch.changed_tables,
            vec![PollingTable {
                id: a,
                registered: Some(500),
                listed: false
            }]
        );
    }

    #[test]
    fn with_a_list_unknown_tables_are_flagged_and_never_added() {
        let a = table(10_101_001, 1);
        let b = table(10_101_001, 2);
        let (batch, report) = copies_batch(
            &election(),
            &known(&[listed(a, 500)]),
            &source(),
            &Origin::of(SourceKind::CsvImport),
            vec![row(a, Some(1), 2), row(b, Some(1), 3)],
            &[],
            Tables::Define,
        );
        assert!(batch.new_tables.is_empty() && batch.changed_tables.is_empty());
        assert_eq!(report.unknown_tables.len(), 1);
        assert_eq!(report.findings.get(&FindingCode::UnknownTable), Some(&1));
    }

    /// A QR code, a payload line or a result file not imported as defining tables never adds a
    /// table nor teaches one its registered voters: a forged copy for a made-up table (or a
    /// state that does not exist) waits with its findings.
    #[test]
    fn copies_never_create_their_tables() {
        let real = table(10_101_001, 1);
        let made_up = table(10_113_999, 1);
        let no_state = table(990_101_001, 1);
        let learnt = PollingTable {
            id: real,
            registered: None,
            listed: false,
        };
        for kind in [
            SourceKind::Qr,
            SourceKind::PayloadImport,
            SourceKind::CsvImport,
        ] {
            let (batch, report) = copies_batch(
                &election(),
                &known(std::slice::from_ref(&learnt)),
                &source(),
                &Origin::of(kind),
                vec![
                    row(real, Some(500), 2),
                    row(made_up, Some(3_000_000), 3),
                    row(no_state, Some(1), 4),
                ],
                &[],
                Tables::Refer,
            );
            assert!(batch.new_tables.is_empty(), "{kind:?}");
            assert!(batch.changed_tables.is_empty(), "{kind:?}");
            assert_eq!(report.unknown_tables.len(), 2, "{kind:?}");
            // Errors only: the made-up rows have no votes, a warning (W202) besides.
            let codes = |i: usize| -> Vec<&str> {
                batch.copies[i]
                    .findings
                    .iter()
                    .filter(|f| f.is_error())
                    .map(|f| f.code.code())
                    .collect()
            };
            assert!(!codes(0).contains(&"F101"));
            assert_eq!(codes(1), ["F101"]);
            assert_eq!(codes(2), ["F101", "F105"]);
        }
    }

    #[test]
    fn a_list_adds_new_tables_changes_known_ones_and_keeps_equal_ones() {
        let a = table(10_101_001, 1);
        let b = table(10_101_001, 2);
        let c = table(10_101_001, 3);
        let learnt = PollingTable {
            id: b,
            registered: None,
            listed: false,
        };
        let rows: Vec<TableRow> = [(a, 400), (b, 300), (c, 200), (c, 250)]
            .into_iter()
            .enumerate()
            .map(|(i, (id, registered))| TableRow {
                line: u64::try_from(i).expect("small") + 2,
                id,
                registered,
                area_names: vec![(0, "DTTO. CAPITAL".to_owned())],
            })
            .collect();
        let (batch, report) = tables_batch(
            &election(),
            &known(&[listed(a, 400), learnt]),
            &source(),
            &rows,
        );
        assert_eq!(batch.new_tables, vec![listed(c, 250)]);
        assert_eq!(batch.changed_tables, vec![listed(b, 300)]);
        assert_eq!(batch.area_names.len(), 1);
        assert_eq!(report.rows, 4);
    }
}
