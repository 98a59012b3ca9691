//! Open data: the tables `veedor export data` writes, each as CSV and as JSON from one
//! definition, so the two never disagree. Column meanings are in `docs/open-data.md`.
//!
//! - `actas`: one row per acta copy, with its table's geography, its numbers, its status, its
//!   provenance and its index in the transparency log (a superset of what Mexico's PREP
//!   publishes per acta);
//! - `tables`: one row per known table, with the result its copies agree on;
//! - `tally-<level>`: one row per area of a level (and `tally-national`);
//! - `decisions`: one row per coordinator's decision on a table in conflict, in log order
//!   (written only when there is one, so that a mirror of a log without decisions stays as it
//!   was).
//!
//! Rows are in a fixed order (log index, table id, area code) and nothing depends on the time of
//! export, so the same store always gives byte-identical files. A CSV text cell that a
//! spreadsheet would take for a formula is neutralised ([`csv_text`]); JSON keeps the text as is. [`files`] gives every file of a
//! mirror's `data/` folder, with [`readme`]; `veedor export` writes them and [`crate::verify`]
//! renders them again to check a mirror.

use std::borrow::Cow;

use serde_json::{Map, Value};
use veedor_core::{Counts, Election, Location, Results, TableId, TableState, TableStatus};

use crate::analysis::Analyzed;
use crate::api::{self, TallyScope};

/// The first characters that make a spreadsheet read a cell as a formula (or, tab and carriage
/// return, hide what follows), as OWASP's CSV-injection guidance lists them.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A text as a CSV cell: text that begins with `=`, `+`, `-`, `@`, a tab or a carriage return
/// gets a `'` in front (OWASP, "CSV Injection"), so that a spreadsheet shows it as text rather
/// than running it (`=HYPERLINK(...)` as an area or file name). Only text cells: numbers are
/// written by veedor, never negative, and stay numbers. The `'` is visible in the file; the JSON
/// twin keeps the text as it is. `veedor verify` renders cells with this same function.
#[must_use]
pub fn csv_text(text: &str) -> Cow<'_, str> {
    if text.starts_with(FORMULA_STARTS) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// The text a CSV cell written by [`csv_text`] stands for: its leading `'` removed when
/// [`csv_text`] may have added it. A text that itself begins with `'` and one of those
/// characters reads the same as written, so a caller that must be exact compares both.
#[must_use]
pub fn csv_text_source(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) => rest,
        _ => cell,
    }
}

/// A cell of an open-data table.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// A whole number.
    Int(u64),
    /// A number with a fraction (percentages).
    Number(f64),
    /// Text.
    Text(String),
    /// True or false.
    Bool(bool),
    /// Not given.
    Null,
}

impl Cell {
    /// The cell as CSV writes it.
    #[must_use]
    pub fn to_csv(&self) -> String {
        match self {
            Self::Int(value) => value.to_string(),
            Self::Number(value) => format!("{value:.4}"),
            Self::Text(text) => csv_text(text).into_owned(),
            Self::Bool(value) => value.to_string(),
            Self::Null => String::new(),
        }
    }

    fn json(&self) -> Value {
        match self {
            Self::Int(value) => Value::from(*value),
            Self::Number(value) => Value::from(*value),
            Self::Text(text) => Value::from(text.clone()),
            Self::Bool(value) => Value::from(*value),
            Self::Null => Value::Null,
        }
    }
}

fn text(value: impl Into<String>) -> Cell {
    Cell::Text(value.into())
}

fn optional<T: Into<u64>>(value: Option<T>) -> Cell {
    value.map_or(Cell::Null, |v| Cell::Int(v.into()))
}

/// A table of open data: column names and rows.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// The file's base name (`actas`).
    pub name: String,
    /// Column names.
    pub columns: Vec<String>,
    /// Rows, each as long as `columns`.
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// The table as CSV (RFC 4180, `\n` line ends, UTF-8 without BOM), formula-like text
    /// neutralised ([`csv_text`]).
    #[must_use]
    pub fn to_csv(&self) -> Vec<u8> {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        let _ = writer.write_record(&self.columns);
        for row in &self.rows {
            let _ = writer.write_record(row.iter().map(Cell::to_csv));
        }
        writer.into_inner().unwrap_or_default()
    }

    /// The table as JSON: an array of objects, one per row, keys in column order.
    #[must_use]
    pub fn to_json(&self) -> Vec<u8> {
        let rows: Vec<Value> = self
            .rows
            .iter()
            .map(|row| {
                let mut object = Map::new();
                for (column, cell) in self.columns.iter().zip(row) {
                    object.insert(column.clone(), cell.json());
                }
                Value::Object(object)
            })
            .collect();
        let mut bytes = serde_json::to_vec_pretty(&rows).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }
}

/// Where a table lies: code and name per level.
fn geography_columns(election: &Election) -> Vec<String> {
    election
        .geography
        .levels
        .iter()
        .flat_map(|level| [format!("{}_code", level.id), format!("{}_name", level.id)])
        .collect()
}

fn geography_cells(results: &Results, table: TableId) -> Vec<Cell> {
    let geography = &results.election().geography;
    geography
        .areas_of(table.centre)
        .skip(1)
        .flat_map(|area| {
            [
                text(geography.format_area(area)),
                results.area_name(area).map_or(Cell::Null, text),
            ]
        })
        .collect()
}

fn status_of(state: &TableState) -> TableStatus {
    state.assessment.status
}

/// The columns of [`actas`]: the copy, its table and areas, its counts (the candidates', the
/// sheet's declared ones), its findings and its provenance.
fn actas_columns(election: &Election) -> Vec<String> {
    let mut columns: Vec<String> = ["log_index", "copy_id", "table_id", "table_number"]
        .map(str::to_owned)
        .to_vec();
    columns.extend(geography_columns(election));
    columns.extend(
        [
            "registered",
            "table_status",
            "table_counted",
            "source",
            "counts_kind",
            "counts",
        ]
        .map(str::to_owned),
    );
    columns.extend(
        election
            .candidates
            .iter()
            .map(|c| format!("votes_{}", c.id)),
    );
    columns.extend(
        [
            "valid_votes",
            "null_votes",
            "total_votes",
            "stated_valid_votes",
            "stated_registered",
        ]
        .map(str::to_owned),
    );
    columns.extend(
        election
            .sheet
            .counts
            .iter()
            .map(|count| format!("count_{}", count.id)),
    );
    columns.extend(
        [
            "format_fields",
            "findings",
            "file_name",
            "file_sha256",
            "published_sha256",
            "location_kind",
            "location",
            "same_image_as",
            "received_at",
            "device",
            "volunteer",
            "entered_by",
            "scan",
        ]
        .map(str::to_owned),
    );
    columns
}

/// One row per acta copy, in log order (copies not yet logged last, by id).
#[must_use]
pub fn actas(results: &Results) -> Table {
    let election = results.election();
    let digits = election.geography.centre_digits;
    let columns = actas_columns(election);
    let mut copies: Vec<_> = results.dataset.copies.iter().collect();
    copies.sort_by_key(|copy| (copy.log_index.is_none(), copy.log_index, copy.id));
    let rows = copies
        .into_iter()
        .map(|copy| {
            let table = copy.record.table;
            let state = results.table(table);
            let registered = state
                .and_then(|s| s.table.as_ref())
                .and_then(|(_, t)| t.registered);
            let status = state.map_or(TableStatus::Missing, status_of);
            let (kind, values) = match &copy.record.counts {
                Counts::Cells(values) => ("cells", values),
                Counts::Candidates(values) => ("candidates", values),
            };
            let votes = copy.record.candidate_votes(election);
            let valid: u64 = votes.iter().sum();
            let provenance = &copy.provenance;
            let mut row = vec![
                optional(copy.log_index),
                Cell::Int(u64::try_from(copy.id.get()).unwrap_or(0)),
                text(table.display(digits)),
                Cell::Int(u64::from(table.number.get())),
            ];
            row.extend(geography_cells(results, table));
            row.extend([
                optional(registered),
                text(status.as_str()),
                Cell::Bool(status.is_counted()),
                text(provenance.source.as_str()),
                text(kind),
                text(
                    values
                        .iter()
                        .map(u32::to_string)
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
            ]);
            row.extend(votes.iter().map(|v| Cell::Int(*v)));
            row.extend([
                Cell::Int(valid),
                optional(copy.record.null_votes),
                Cell::Int(valid + u64::from(copy.record.null_votes.unwrap_or(0))),
                optional(copy.record.stated_valid_votes),
                optional(copy.record.stated_registered),
            ]);
            row.extend(
                election
                    .sheet
                    .counts
                    .iter()
                    .map(|count| optional(copy.record.declared_count(&count.id))),
            );
            row.extend([
                text(
                    copy.record
                        .format_fields
                        .iter()
                        .map(|(key, value)| format!("{key}={value}"))
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
                text(
                    copy.findings
                        .iter()
                        .map(|f| f.code.code())
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
            ]);
            row.extend(provenance_cells(provenance));
            row
        })
        .collect();
    Table {
        name: "actas".to_owned(),
        columns,
        rows,
    }
}

/// The provenance columns of a copy's row, from `file_name` to `scan`.
fn provenance_cells(provenance: &veedor_core::Provenance) -> [Cell; 11] {
    let (location_kind, location) = match provenance.location {
        Location::Line(line) => ("line", line),
        Location::Page(page) => ("page", u64::from(page)),
    };
    [
        text(provenance.file_name.clone()),
        text(provenance.file_sha256.to_hex()),
        provenance
            .published_sha256
            .map_or(Cell::Null, |sha| text(sha.to_hex())),
        text(location_kind),
        Cell::Int(location),
        provenance
            .same_image_as
            .map_or(Cell::Null, |earlier| text(earlier.describe())),
        text(provenance.received_at.to_string()),
        provenance.device.clone().map_or(Cell::Null, text),
        provenance
            .volunteer
            .as_ref()
            .map_or(Cell::Null, |v| text(v.as_str())),
        if provenance.entered_by.is_empty() {
            Cell::Null
        } else {
            text(
                provenance
                    .entered_by
                    .iter()
                    .map(veedor_core::Pseudonym::as_str)
                    .collect::<Vec<_>>()
                    .join(" "),
            )
        },
        provenance
            .published_scan()
            .map_or(Cell::Null, |sha| text(format!("scans/{}", sha.to_hex()))),
    ]
}

/// One row per known table (and per unknown table id that copies name).
#[must_use]
pub fn tables(results: &Results) -> Table {
    let election = results.election();
    let digits = election.geography.centre_digits;
    let mut columns: Vec<String> = ["table_id", "table_number"].map(str::to_owned).to_vec();
    columns.extend(geography_columns(election));
    columns.extend(
        [
            "registered",
            "listed",
            "established",
            "status",
            "counted",
            "copies",
            "log_indexes",
        ]
        .map(str::to_owned),
    );
    columns.extend(
        election
            .candidates
            .iter()
            .map(|c| format!("votes_{}", c.id)),
    );
    columns.extend(["valid_votes", "null_votes"].map(str::to_owned));
    let rows = results
        .tables()
        .map(|(id, state)| {
            let table = state.table.as_ref().map(|(_, t)| t);
            let mut row = vec![
                text(id.display(digits)),
                Cell::Int(u64::from(id.number.get())),
            ];
            row.extend(geography_cells(results, *id));
            let copies: Vec<_> = results.copies_of(state).collect();
            row.extend([
                optional(table.and_then(|t| t.registered)),
                Cell::Bool(table.is_some_and(|t| t.listed)),
                Cell::Bool(table.is_some()),
                text(state.assessment.status.as_str()),
                Cell::Bool(state.assessment.status.is_counted()),
                Cell::Int(u64::try_from(copies.len()).unwrap_or(0)),
                text(
                    copies
                        .iter()
                        .filter_map(|c| c.log_index)
                        .map(|i| i.to_string())
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
            ]);
            match &state.assessment.result {
                Some(result) => {
                    row.extend(result.candidate_votes.iter().map(|v| Cell::Int(*v)));
                    row.push(Cell::Int(result.candidate_votes.iter().sum()));
                    row.push(Cell::Int(result.null_votes));
                }
                None => row.extend(std::iter::repeat_n(
                    Cell::Null,
                    election.candidates.len() + 2,
                )),
            }
            row
        })
        .collect();
    Table {
        name: "tables".to_owned(),
        columns,
        rows,
    }
}

/// One row per coordinator's decision, in log order (decisions not yet logged last): the table,
/// the copy kept and those overruled (by file SHA-256 and place), who decided (by pseudonym),
/// why and when, and whether it is the decision in force on its table now.
#[must_use]
pub fn decisions(results: &Results) -> Table {
    let digits = results.election().geography.centre_digits;
    let columns = [
        "log_index",
        "table_id",
        "keep_file_sha256",
        "keep_location",
        "overruled",
        "coordinator",
        "reason",
        "decided_at",
        "in_force",
        "table_status",
    ]
    .map(str::to_owned)
    .to_vec();
    let mut decisions: Vec<_> = results.dataset.decisions.iter().collect();
    decisions.sort_by_key(|decision| (decision.log_index.is_none(), decision.log_index));
    let rows = decisions
        .into_iter()
        .map(|decision| {
            let state = results.table(decision.table);
            let status = state.map_or(TableStatus::Missing, status_of);
            let in_force = status == TableStatus::Decided
                && state.and_then(|s| s.assessment.decision.as_ref()) == Some(decision);
            vec![
                optional(decision.log_index),
                text(decision.table.display(digits)),
                text(decision.keep.file_sha256.to_hex()),
                text(decision.keep.location.describe()),
                text(
                    decision
                        .overruled
                        .iter()
                        .map(|evidence| {
                            format!(
                                "{}:{}",
                                evidence.file_sha256.to_hex(),
                                evidence.location.describe()
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
                text(decision.coordinator.as_str()),
                text(decision.reason.as_str()),
                text(decision.decided_at.to_string()),
                Cell::Bool(in_force),
                text(status.as_str()),
            ]
        })
        .collect();
    Table {
        name: "decisions".to_owned(),
        columns,
        rows,
    }
}

/// One row per area of a level (`None`: the nation), with coverage.
#[must_use]
pub fn tally(results: &Results, level: Option<usize>) -> Table {
    let election = results.election();
    let scope = level.map_or(TallyScope::National, TallyScope::Level);
    let name = match level {
        None => "tally-national".to_owned(),
        Some(index) => format!(
            "tally-{}",
            election
                .geography
                .levels
                .get(index)
                .map_or("level", |l| l.id.as_str())
        ),
    };
    let mut columns: Vec<String> = [
        "level",
        "code",
        "name",
        "tables_expected",
        "tables_counted",
        "tables_percent",
        "registered_expected",
        "registered_counted",
        "registered_percent",
        "accepted",
        "corroborated",
        "decided",
        "conflict",
        "awaiting_person",
        "missing",
        "valid_votes",
        "null_votes",
    ]
    .map(str::to_owned)
    .to_vec();
    columns.extend(
        election
            .candidates
            .iter()
            .map(|c| format!("votes_{}", c.id)),
    );
    columns.extend(
        election
            .candidates
            .iter()
            .map(|c| format!("percent_{}", c.id)),
    );
    let document = api::tally_document(results, scope, "en");
    let rows = document
        .map(|document| document.areas)
        .unwrap_or_default()
        .into_iter()
        .map(|area| {
            let coverage = &area.coverage;
            let status = &area.tables_by_status;
            let mut row = vec![
                text(area.area.level.clone()),
                text(area.area.code.clone()),
                area.area.name.clone().map_or(Cell::Null, text),
                coverage.tables_expected.map_or(Cell::Null, Cell::Int),
                Cell::Int(coverage.tables_counted),
                coverage.tables_percent.map_or(Cell::Null, Cell::Number),
                coverage.registered_expected.map_or(Cell::Null, Cell::Int),
                Cell::Int(coverage.registered_counted),
                coverage.registered_percent.map_or(Cell::Null, Cell::Number),
                Cell::Int(status.accepted),
                Cell::Int(status.corroborated),
                Cell::Int(status.decided),
                Cell::Int(status.conflict),
                Cell::Int(status.awaiting_person),
                Cell::Int(status.missing),
                Cell::Int(area.valid_votes),
                Cell::Int(area.null_votes),
            ];
            row.extend(area.candidates.iter().map(|c| Cell::Int(c.votes)));
            row.extend(area.candidates.iter().map(|c| Cell::Number(c.percent)));
            row
        })
        .collect();
    Table {
        name,
        columns,
        rows,
    }
}

/// A figure of the analysis: empty when it is not a number (a chi-square of no counts), which
/// CSV and JSON would otherwise write differently.
fn finite(value: f64) -> Cell {
    if value.is_finite() {
        Cell::Number(value)
    } else {
        Cell::Null
    }
}

/// A fraction as a percentage cell.
fn percent_cell(fraction: f64) -> Cell {
    finite(fraction * 100.0)
}

fn expected_cells(expected: veedor_analysis::Expected) -> [Cell; 2] {
    match expected {
        veedor_analysis::Expected::Known { value, source } => {
            [Cell::Int(value), text(source.as_str())]
        }
        veedor_analysis::Expected::Unknown => [Cell::Null, text("unknown")],
    }
}

fn candidate_cell(election: &Election, candidate: Option<usize>) -> Cell {
    candidate
        .and_then(|c| election.candidates.get(c))
        .map_or(Cell::Null, |c| text(c.id.clone()))
}

/// `analysis`: one row per analysed area (the nation and the first level's areas): its honest
/// coverage and what its missing tables could change (`veedor_analysis`, docs/analysis.md).
#[must_use]
pub fn analysis_areas(results: &Results, analyzed: &Analyzed) -> Table {
    let election = results.election();
    let columns = [
        "level",
        "code",
        "name",
        "tables_expected",
        "tables_expected_from",
        "tables_known",
        "tables_counted",
        "registered_expected",
        "registered_expected_from",
        "registered_known",
        "registered_counted",
        "leader",
        "runner_up",
        "margin",
        "registered_without_acta",
        "registered_without_acta_at_least",
        "verdict",
        "highest_turnout_percent",
        "votes_at_highest_turnout",
        "verdict_at_highest_turnout",
        "tipping_share_needed_percent",
    ]
    .map(str::to_owned)
    .to_vec();
    let rows = analyzed
        .full
        .areas
        .iter()
        .map(|analysed| {
            let area = api::AreaRef::new(results, analysed.area);
            let coverage = &analysed.coverage;
            let bound = &analysed.bound;
            let mut row = vec![
                text(area.level),
                text(area.code),
                area.name.map_or(Cell::Null, text),
            ];
            row.extend(expected_cells(coverage.tables_expected));
            row.push(Cell::Int(coverage.tables_known));
            row.push(Cell::Int(coverage.tables_counted));
            row.extend(expected_cells(coverage.registered_expected));
            row.push(Cell::Int(coverage.registered_known));
            row.push(Cell::Int(coverage.registered_counted));
            row.extend([
                candidate_cell(election, bound.leader),
                candidate_cell(election, bound.runner_up),
                Cell::Int(bound.margin),
                optional(bound.registered_without_acta),
                Cell::Int(bound.registered_without_acta_at_least),
                text(bound.verdict.as_str()),
                bound
                    .highest_turnout
                    .map_or(Cell::Null, |t| percent_cell(t.fraction())),
                optional(bound.votes_at_highest_turnout),
                text(bound.verdict_at_highest_turnout.as_str()),
                bound
                    .tipping
                    .map_or(Cell::Null, |t| percent_cell(t.share_needed)),
            ]);
            row
        })
        .collect();
    Table {
        name: "analysis".to_owned(),
        columns,
        rows,
    }
}

/// `projection`: one row per candidate, the projection of the whole election with its 95%
/// interval and the sensitivity line's share.
#[must_use]
pub fn projection(results: &Results, analyzed: &Analyzed) -> Table {
    let projection = &analyzed.full.projection;
    let columns = [
        "candidate",
        "name",
        "actas_percent",
        "projected_percent",
        "low_percent",
        "high_percent",
        "sensitivity_percent",
        "replicates",
        "seed",
    ]
    .map(str::to_owned)
    .to_vec();
    let rows = results
        .election()
        .candidates
        .iter()
        .enumerate()
        .map(|(index, candidate)| {
            let estimate = projection.estimates.get(index).copied();
            vec![
                text(candidate.id.clone()),
                text(candidate.name.clone()),
                projection
                    .plain
                    .get(index)
                    .map_or(Cell::Null, |&p| percent_cell(p)),
                estimate.map_or(Cell::Null, |e| percent_cell(e.share)),
                estimate.map_or(Cell::Null, |e| percent_cell(e.low)),
                estimate.map_or(Cell::Null, |e| percent_cell(e.high)),
                projection
                    .sensitivity
                    .shares
                    .get(index)
                    .map_or(Cell::Null, |&p| percent_cell(p)),
                Cell::Int(u64::from(projection.replicates)),
                Cell::Int(projection.seed),
            ]
        })
        .collect();
    Table {
        name: "projection".to_owned(),
        columns,
        rows,
    }
}

/// `forensics`: one row per analysed area and candidate, the digit tests (labelled as what they
/// are: a deviation is an anomaly to look into, not evidence of fraud).
#[must_use]
pub fn forensics(results: &Results, analyzed: &Analyzed) -> Table {
    let election = results.election();
    let columns = [
        "row_key",
        "level",
        "code",
        "candidate",
        "counts_last_digit",
        "last_digit_chi_square",
        "last_digit_p_value",
        "counts_second_digit",
        "second_digit_chi_square",
        "second_digit_p_value",
        "zero_or_five_percent",
        "zero_or_five_p_value",
    ]
    .map(str::to_owned)
    .to_vec();
    let p_value = |value: Option<f64>| value.map_or(Cell::Null, finite);
    let mut rows = Vec::new();
    for analysed in &analyzed.full.areas {
        let area = api::AreaRef::new(results, analysed.area);
        for tests in &analysed.forensics.candidates {
            let candidate = candidate_cell(election, Some(tests.candidate));
            let row_key = format!(
                "{}/{}",
                if area.code.is_empty() {
                    "national"
                } else {
                    &area.code
                },
                candidate.to_csv()
            );
            rows.push(vec![
                text(row_key),
                text(area.level.clone()),
                text(area.code.clone()),
                candidate,
                Cell::Int(tests.last_digit.counts),
                finite(tests.last_digit.chi_square),
                p_value(tests.last_digit.p_value),
                Cell::Int(tests.second_digit.counts),
                finite(tests.second_digit.chi_square),
                p_value(tests.second_digit.p_value),
                tests.zero_or_five.observed.map_or(Cell::Null, percent_cell),
                p_value(tests.zero_or_five.p_value),
            ]);
        }
    }
    Table {
        name: "forensics".to_owned(),
        columns,
        rows,
    }
}

/// Every open-data table: actas, tables, the decisions (when there is one), the tally of the
/// nation and of each level, and the analysis (areas, projection, forensic tests).
#[must_use]
pub fn all(results: &Results) -> Vec<Table> {
    let mut out = vec![actas(results), tables(results)];
    if !results.dataset.decisions.is_empty() {
        out.push(decisions(results));
    }
    out.push(tally(results, None));
    out.extend(
        (0..results.election().geography.levels.len()).map(|level| tally(results, Some(level))),
    );
    let analyzed = Analyzed::of(results);
    out.extend([
        analysis_areas(results, &analyzed),
        projection(results, &analyzed),
        forensics(results, &analyzed),
    ]);
    out
}

/// `data/README.txt`: what the files are and how to check them. It depends on the election only
/// (which the log's first entry holds), so a verifier renders it again.
#[must_use]
pub fn readme(election: &Election) -> String {
    format!(
        "Open data of veedor for {} ({}).\n\n\
         actas.csv / .json     one row per acta copy: its table and areas, its numbers, its status,\n\
         \x20                     its provenance (file, SHA-256, line or page) and its index in the log\n\
         tables.csv / .json    one row per table, with the result its copies agree on\n\
         tally-*.csv / .json   one row per area of a level, with coverage\n\
         analysis.csv / .json  per area: honest coverage and whether the missing tables could change\n\
         \x20                     the winner; projection.csv / .json: the projection with its interval;\n\
         \x20                     forensics.csv / .json: digit tests (anomalies to look into, not proof)\n\
         ../scans/<sha256>     the scans, named by their SHA-256 (sha256sum checks them)\n\
         ../log/               the transparency log (C2SP tlog-tiles) and its signed checkpoint\n\n\
         Check this copy against the log's public key, obtained from its publisher by another way:\n\
         \x20 veedor verify <this folder or its URL> --key '<public key>'\n\
         Column meanings: docs/open-data.md in the veedor repository.\n",
        election.title.get("en"),
        election.id
    )
}

/// Every file of a mirror's `data/` folder, as (path from the mirror's root, bytes): each table of
/// [`all`] as `data/<name>.csv` and `data/<name>.json`, and `data/README.txt`.
#[must_use]
pub fn files(results: &Results) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for table in all(results) {
        out.push((format!("data/{}.csv", table.name), table.to_csv()));
        out.push((format!("data/{}.json", table.name), table.to_json()));
    }
    out.push((
        "data/README.txt".to_owned(),
        readme(results.election()).into_bytes(),
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_like_text_is_neutralised_in_csv_only() {
        for (text, csv) in [
            (
                "=HYPERLINK(\"http://x\",\"clic\")",
                "'=HYPERLINK(\"http://x\",\"clic\")",
            ),
            ("+1", "'+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("PQ. EL RECREO", "PQ. EL RECREO"),
            ("", ""),
        ] {
            assert_eq!(csv_text(text), csv, "{text}");
            assert_eq!(csv_text_source(&csv_text(text)), text, "{text}");
        }
        assert_eq!(csv_text("'=x"), "'=x");
        assert_eq!(csv_text_source("'=x"), "=x");
        let table = Table {
            name: "t".to_owned(),
            columns: vec!["name".to_owned(), "votes".to_owned()],
            rows: vec![vec![text("=1+2"), Cell::Int(7)]],
        };
        assert_eq!(table.to_csv(), b"name,votes\n'=1+2,7\n");
        assert!(String::from_utf8_lossy(&table.to_json()).contains("\"name\": \"=1+2\""));
    }
}
