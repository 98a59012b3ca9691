//! The JSON documents of veedor, versioned and documented in `docs/json.md`. The command line
//! (`veedor tally --format json`, `veedor lookup --format json`) and the HTTP API
//! (`/api/v1/...`) print the same documents; the API adds one per page (area, table, acta). Fields are only ever added, never renamed or
//! removed, within a schema version.

use serde::Serialize;
use veedor_core::{
    ActaCopy, AreaCode, Bulletin, Comparison, Counts, Decision, Election, Location, Results,
    Sha256, TableId, TableState, TableStatus, Totals, VoterId, compare, percent,
};

/// The schema of the tally document.
pub const TALLY_SCHEMA: &str = "veedor.tally/1";
/// The schema of the lookup document.
pub const LOOKUP_SCHEMA: &str = "veedor.lookup/1";

/// The election, in brief.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ElectionRef {
    /// Its id.
    pub id: String,
    /// Its title in the requested language.
    pub title: String,
    /// Election day, `YYYY-MM-DD`.
    pub date: String,
}

impl ElectionRef {
    /// From the election.
    #[must_use]
    pub fn new(election: &Election, language: &str) -> Self {
        Self {
            id: election.id.clone(),
            title: election.title.get(language).to_owned(),
            date: election.date.to_string(),
        }
    }
}

/// An area: its level, code and name.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct AreaRef {
    /// `national`, or a level id (`state`).
    pub level: String,
    /// The printed code (`13`, `1306`); empty for the nation.
    pub code: String,
    /// The name, when known.
    pub name: Option<String>,
}

impl AreaRef {
    /// From an area code.
    #[must_use]
    pub fn new(results: &Results, area: AreaCode) -> Self {
        let geography = &results.election().geography;
        let level = match area {
            AreaCode::National => "national".to_owned(),
            AreaCode::Area { level, .. } => geography
                .levels
                .get(usize::from(level))
                .map_or_else(String::new, |l| l.id.clone()),
        };
        Self {
            level,
            code: geography.format_area(area),
            name: results.area_name(area).map(str::to_owned),
        }
    }
}

/// One candidate's votes.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CandidateVotes {
    /// The candidate's id.
    pub id: String,
    /// The candidate's name.
    pub name: String,
    /// Votes.
    pub votes: u64,
    /// Share of the valid votes, in percent.
    pub percent: f64,
}

/// How much of an area the counted actas cover.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Coverage {
    /// Tables expected: those of the table list, or what the election file declares for the
    /// area, the larger when both say (`veedor_analysis::Coverage`); `null` when nothing says,
    /// never the counted or known tables by default.
    pub tables_expected: Option<u64>,
    /// Where `tables_expected` comes from: `table_list`, `declared`, `declared_and_table_list`
    /// or `unknown`.
    pub tables_expected_from: &'static str,
    /// Tables whose acta is counted (accepted, corroborated or decided).
    pub tables_counted: u64,
    /// `tables_counted / tables_expected` in percent; `null` when the expected are unknown.
    pub tables_percent: Option<f64>,
    /// Registered voters of the expected tables, as `tables_expected`.
    pub registered_expected: Option<u64>,
    /// Where `registered_expected` comes from.
    pub registered_expected_from: &'static str,
    /// Registered voters of the counted tables.
    pub registered_counted: u64,
    /// `registered_counted / registered_expected` in percent; `null` when unknown.
    pub registered_percent: Option<f64>,
    /// Tables known to veedor in the area.
    pub tables_known: u64,
}

/// Expected tables by status.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct StatusCounts {
    /// One copy, counted.
    pub accepted: u64,
    /// Several agreeing copies, counted.
    pub corroborated: u64,
    /// Copies that disagree and a coordinator's decision that one counts: counted.
    pub decided: u64,
    /// Copies that disagree: contested, not counted until a person decides.
    pub conflict: u64,
    /// Copies with an error finding.
    pub awaiting_person: u64,
    /// No copy yet.
    pub missing: u64,
}

/// A row of the comparison with a bulletin.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct OfficialRow {
    /// The candidate's id, or `null` for the others together.
    pub candidate: Option<String>,
    /// The candidate's name, or `Others`.
    pub name: String,
    /// Votes in the actas.
    pub actas_votes: u64,
    /// Their share, percent.
    pub actas_percent: f64,
    /// Votes in the bulletin.
    pub official_votes: u64,
    /// Their share, percent.
    pub official_percent: f64,
    /// `actas_percent - official_percent`, in points.
    pub difference_points: f64,
}

/// The comparison with one official bulletin.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Official {
    /// Its id.
    pub id: String,
    /// What it was.
    pub title: String,
    /// When, `YYYY-MM-DD`.
    pub date: String,
    /// The share of actas it claimed, percent.
    pub stated_coverage_percent: Option<f64>,
    /// Valid votes it stated or implied.
    pub valid_votes: u64,
    /// Null votes it stated.
    pub null_votes: Option<u64>,
    /// The rows.
    pub rows: Vec<OfficialRow>,
}

impl Official {
    fn new(election: &Election, comparison: &Comparison<'_>) -> Self {
        let bulletin: &Bulletin = comparison.bulletin;
        Self {
            id: bulletin.id.clone(),
            title: bulletin.title.clone(),
            date: bulletin.date.to_string(),
            stated_coverage_percent: bulletin.stated_coverage_percent,
            valid_votes: bulletin.valid_votes_or_sum(),
            null_votes: bulletin.null_votes,
            rows: comparison
                .rows
                .iter()
                .map(|row| {
                    let candidate = row.candidate.and_then(|i| election.candidates.get(i));
                    OfficialRow {
                        candidate: candidate.map(|c| c.id.clone()),
                        name: candidate.map_or_else(|| "Others".to_owned(), |c| c.name.clone()),
                        actas_votes: row.actas_votes,
                        actas_percent: round(row.actas_percent),
                        official_votes: row.official_votes,
                        official_percent: round(row.official_percent),
                        difference_points: round(row.difference_points),
                    }
                })
                .collect(),
        }
    }
}

/// Percentages are given to 1/10,000 of a point: enough for any display, stable in text.
#[must_use]
pub fn round(value: f64) -> f64 {
    (value * 10_000.0).round() / 10_000.0
}

/// The tally of one area.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct AreaTally {
    /// Which area.
    pub area: AreaRef,
    /// Votes per candidate, in the election's candidate order.
    pub candidates: Vec<CandidateVotes>,
    /// Valid votes (the sum of the candidates').
    pub valid_votes: u64,
    /// Null votes.
    pub null_votes: u64,
    /// Coverage.
    pub coverage: Coverage,
    /// Expected tables by status.
    pub tables_by_status: StatusCounts,
    /// Votes at stake in the contested tables (`tables_by_status.conflict`), not counted until
    /// a person decides: for each, the most votes any of its versions carries.
    pub contested_votes: u64,
    /// For the nation: the comparison with each official bulletin, oldest first (the latest
    /// is last). Empty for other areas: the bulletins are national.
    pub official: Vec<Official>,
}

impl AreaTally {
    /// The tally of one area.
    #[must_use]
    pub fn new(results: &Results, area: AreaCode, totals: &Totals) -> Self {
        let election = results.election();
        let national = area == AreaCode::National;
        let honest = veedor_analysis::Coverage::of(results, area);
        let status = |s: TableStatus| totals.tables_with(s);
        Self {
            area: AreaRef::new(results, area),
            candidates: election
                .candidates
                .iter()
                .enumerate()
                .map(|(index, candidate)| CandidateVotes {
                    id: candidate.id.clone(),
                    name: candidate.name.clone(),
                    votes: totals.candidate_votes.get(index).copied().unwrap_or(0),
                    percent: round(totals.share_percent(index)),
                })
                .collect(),
            valid_votes: totals.valid_votes(),
            null_votes: totals.null_votes,
            coverage: Coverage {
                tables_expected: honest.tables_expected.value(),
                tables_expected_from: source_name(honest.tables_expected),
                tables_counted: totals.tables_counted,
                tables_percent: honest.tables_percent().map(round),
                registered_expected: honest.registered_expected.value(),
                registered_expected_from: source_name(honest.registered_expected),
                registered_counted: totals.registered_counted,
                registered_percent: honest.registered_percent().map(round),
                tables_known: totals.tables,
            },
            tables_by_status: StatusCounts {
                accepted: status(TableStatus::Accepted),
                corroborated: status(TableStatus::Corroborated),
                decided: status(TableStatus::Decided),
                conflict: status(TableStatus::Conflict),
                awaiting_person: status(TableStatus::AwaitingPerson),
                missing: status(TableStatus::Missing),
            },
            contested_votes: totals.contested_votes,
            official: if national {
                election
                    .bulletins
                    .iter()
                    .map(|bulletin| Official::new(election, &compare(election, totals, bulletin)))
                    .collect()
            } else {
                Vec::new()
            },
        }
    }
}

/// Where an expected figure comes from, as documents name it.
fn source_name(expected: veedor_analysis::Expected) -> &'static str {
    match expected {
        veedor_analysis::Expected::Known { source, .. } => source.as_str(),
        veedor_analysis::Expected::Unknown => "unknown",
    }
}

/// The tally document: the areas of one level, or one area.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TallyDocument {
    /// `veedor.tally/1`.
    pub schema: &'static str,
    /// The election.
    pub election: ElectionRef,
    /// The level asked for.
    pub level: String,
    /// The areas, in code order.
    pub areas: Vec<AreaTally>,
}

/// Which areas a tally covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TallyScope {
    /// The nation.
    National,
    /// Every area of a level (index into the geography's levels).
    Level(usize),
    /// One area.
    Area(AreaCode),
}

/// Builds the tally document. `None` when one area was asked for and it holds no table.
#[must_use]
pub fn tally_document(
    results: &Results,
    scope: TallyScope,
    language: &str,
) -> Option<TallyDocument> {
    let election = results.election();
    let level_id = |level: usize| {
        election
            .geography
            .levels
            .get(level)
            .map_or_else(String::new, |l| l.id.clone())
    };
    let (level, areas) = match scope {
        TallyScope::National => (
            "national".to_owned(),
            vec![AreaTally::new(
                results,
                AreaCode::National,
                results.tally.national(),
            )],
        ),
        TallyScope::Level(level) => (
            level_id(level),
            results
                .tally
                .level(level)
                .map(|(area, totals)| AreaTally::new(results, area, totals))
                .collect(),
        ),
        TallyScope::Area(area) => {
            let totals = results.tally.get(area)?;
            let level = match area {
                AreaCode::National => "national".to_owned(),
                AreaCode::Area { level, .. } => level_id(usize::from(level)),
            };
            (level, vec![AreaTally::new(results, area, totals)])
        }
    };
    Some(TallyDocument {
        schema: TALLY_SCHEMA,
        election: ElectionRef::new(election, language),
        level,
        areas,
    })
}

/// A finding on a copy.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct FindingView {
    /// The stable code (`F102`).
    pub code: &'static str,
    /// Its stable name.
    pub name: &'static str,
    /// Whether it keeps the copy from being counted.
    pub error: bool,
    /// What exactly.
    pub detail: String,
}

/// Where a copy came from.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ProvenanceView {
    /// `qr`, `manual`, `csv` or `payload`.
    pub source: &'static str,
    /// The file's name.
    pub file_name: String,
    /// SHA-256 of the file as received (of the original scan, for a scanned acta, which is
    /// kept but never published: whoever holds it can prove it).
    pub file_sha256: String,
    /// SHA-256 of the scan as published: the same pixels without metadata. Absent for a text
    /// file, and for a scan stored before scans were stripped (not published).
    pub published_sha256: Option<String>,
    /// `line` or `page`.
    pub location_kind: &'static str,
    /// The line or page number.
    pub location: u64,
    /// The earlier copy whose page image this one repeats (`<sha256> page N`): the same
    /// evidence, never a corroboration.
    pub same_image_as: Option<String>,
    /// When veedor received it (RFC 3339).
    pub received_at: String,
    /// The scanner or device.
    pub device: Option<String>,
    /// The volunteer's pseudonym.
    pub volunteer: Option<String>,
    /// For a manual entry, the typists (by pseudonym) whose entries agreed.
    pub entered_by: Vec<String>,
}

/// A count the election file declares for the sheet, as one copy gives it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct CountView {
    /// The count's id (`blank`).
    pub id: String,
    /// Its value.
    pub value: u32,
}

/// One acta copy.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct CopyView {
    /// The store's id.
    pub id: i64,
    /// `cells` (one count per ballot card) or `candidates` (one per candidate).
    pub counts_kind: &'static str,
    /// The counts as the source gave them.
    pub counts: Vec<u32>,
    /// Votes per candidate, in the election's candidate order.
    pub candidate_votes: Vec<u64>,
    /// Null votes, when the source gave them.
    pub null_votes: Option<u32>,
    /// Valid votes as the source stated them.
    pub stated_valid_votes: Option<u32>,
    /// Registered voters as the source stated them.
    pub stated_registered: Option<u32>,
    /// The counts the election file declares for the sheet that the source gives (absent when
    /// it gives none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub declared_counts: Vec<CountView>,
    /// A sealed sheet's verdict (`verified:<key>`, `broken:<finding>`, `unchecked:<finding>`),
    /// absent for a sheet without a seal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seal: Option<String>,
    /// Findings.
    pub findings: Vec<FindingView>,
    /// Provenance.
    pub provenance: ProvenanceView,
    /// Its entry in the transparency log.
    pub log_index: Option<u64>,
}

impl CopyView {
    /// From a copy.
    #[must_use]
    pub fn new(copy: &ActaCopy, election: &Election) -> Self {
        let (counts_kind, counts) = match &copy.record.counts {
            Counts::Cells(values) => ("cells", values.clone()),
            Counts::Candidates(values) => ("candidates", values.clone()),
        };
        let provenance = &copy.provenance;
        let (location_kind, location) = match provenance.location {
            Location::Line(line) => ("line", line),
            Location::Page(page) => ("page", u64::from(page)),
        };
        Self {
            id: copy.id.get(),
            counts_kind,
            counts,
            candidate_votes: copy.record.candidate_votes(election),
            null_votes: copy.record.null_votes,
            stated_valid_votes: copy.record.stated_valid_votes,
            stated_registered: copy.record.stated_registered,
            declared_counts: copy
                .record
                .declared_counts
                .iter()
                .map(|(id, value)| CountView {
                    id: id.clone(),
                    value: *value,
                })
                .collect(),
            seal: copy
                .record
                .format_fields
                .iter()
                .find(|(key, _)| key == veedor_core::SEAL_FIELD)
                .map(|(_, value)| value.clone()),
            findings: copy
                .findings
                .iter()
                .map(|f| FindingView {
                    code: f.code.code(),
                    name: f.code.name(),
                    error: f.is_error(),
                    detail: f.detail.clone(),
                })
                .collect(),
            provenance: ProvenanceView {
                source: provenance.source.as_str(),
                file_name: provenance.file_name.clone(),
                file_sha256: provenance.file_sha256.to_hex(),
                published_sha256: provenance.published_sha256.map(|sha| sha.to_hex()),
                location_kind,
                location,
                same_image_as: provenance.same_image_as.map(|earlier| earlier.describe()),
                received_at: provenance.received_at.to_string(),
                device: provenance.device.clone(),
                volunteer: provenance.volunteer.as_ref().map(|v| v.as_str().to_owned()),
                entered_by: provenance
                    .entered_by
                    .iter()
                    .map(|p| p.as_str().to_owned())
                    .collect(),
            },
            log_index: copy.log_index,
        }
    }
}

/// The result a table contributes, when its copies agree.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TableResultView {
    /// Votes per candidate.
    pub candidates: Vec<CandidateVotes>,
    /// Valid votes.
    pub valid_votes: u64,
    /// Null votes.
    pub null_votes: u64,
}

/// A table with its copies.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TableView {
    /// `201301006.01`.
    pub id: String,
    /// The centre code.
    pub centre_code: String,
    /// The table number.
    pub number: u16,
    /// Registered voters, when known.
    pub registered: Option<u32>,
    /// Whether it is in the election's table list.
    pub listed: bool,
    /// `accepted`, `corroborated`, `decided`, `conflict`, `awaiting_person` or `missing`.
    pub status: &'static str,
    /// Whether its result is counted.
    pub counted: bool,
    /// Its areas, widest first (state to centre).
    pub areas: Vec<AreaRef>,
    /// The agreed result, or for a decided table the kept copy's (absent when missing or in
    /// conflict).
    pub result: Option<TableResultView>,
    /// How many independent pieces of evidence its copies are (copies of one origin, or of one
    /// image, are one).
    pub evidence: usize,
    /// When in conflict: the most votes any of its versions carries, at stake until a person
    /// decides; 0 otherwise.
    pub contested_votes: u64,
    /// Every copy, oldest first.
    pub copies: Vec<CopyView>,
    /// For a table whose copies disagree, the latest coordinator's decision that keeps one of
    /// them (in force when `status` is `decided`); `null` otherwise.
    pub decision: Option<DecisionView>,
}

/// A coordinator's decision on a table whose copies disagree.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct DecisionView {
    /// The kept copy's file, by SHA-256.
    pub keep_file_sha256: String,
    /// Where in the file (`page 1`, `line 3`).
    pub keep_location: String,
    /// The ids of the table's copies that are the kept one (one, unless a file holds it twice).
    pub kept_copies: Vec<i64>,
    /// The copies it overruled, as `<file sha256>:<location>`.
    pub overruled: Vec<String>,
    /// The coordinator, by pseudonym.
    pub coordinator: String,
    /// Why.
    pub reason: String,
    /// When (RFC 3339).
    pub decided_at: String,
    /// Its entry in the transparency log.
    pub log_index: Option<u64>,
    /// Whether it covers the table's copies now: false when a copy received since disagrees with
    /// the kept one (the table is then in conflict again).
    pub in_force: bool,
}

impl DecisionView {
    /// From a decision and the table's status.
    #[must_use]
    pub fn new(results: &Results, state: &TableState, decision: &Decision) -> Self {
        Self {
            keep_file_sha256: decision.keep.file_sha256.to_hex(),
            keep_location: decision.keep.location.describe(),
            kept_copies: results
                .copies_of(state)
                .filter(|copy| copy.provenance.evidence_ref() == decision.keep)
                .map(|copy| copy.id.get())
                .collect(),
            overruled: decision
                .overruled
                .iter()
                .map(|evidence| {
                    format!(
                        "{}:{}",
                        evidence.file_sha256.to_hex(),
                        evidence.location.describe()
                    )
                })
                .collect(),
            coordinator: decision.coordinator.as_str().to_owned(),
            reason: decision.reason.as_str().to_owned(),
            decided_at: decision.decided_at.to_string(),
            log_index: decision.log_index,
            in_force: state.assessment.status != TableStatus::Conflict,
        }
    }
}

impl TableView {
    /// From a table's state.
    #[must_use]
    pub fn new(results: &Results, id: TableId, state: &TableState) -> Self {
        let election = results.election();
        let geography = &election.geography;
        let table = state.table.as_ref().map(|(_, table)| table);
        Self {
            id: id.display(geography.centre_digits),
            centre_code: id.centre.padded(geography.centre_digits),
            number: id.number.get(),
            registered: table.and_then(|t| t.registered),
            listed: table.is_some_and(|t| t.listed),
            status: state.assessment.status.as_str(),
            counted: state.assessment.status.is_counted(),
            areas: geography
                .areas_of(id.centre)
                .skip(1)
                .map(|area| AreaRef::new(results, area))
                .collect(),
            result: state.assessment.result.as_ref().map(|result| {
                let valid: u64 = result.candidate_votes.iter().sum();
                TableResultView {
                    candidates: election
                        .candidates
                        .iter()
                        .zip(&result.candidate_votes)
                        .map(|(candidate, &votes)| CandidateVotes {
                            id: candidate.id.clone(),
                            name: candidate.name.clone(),
                            votes,
                            percent: round(percent(votes, valid)),
                        })
                        .collect(),
                    valid_votes: valid,
                    null_votes: result.null_votes,
                }
            }),
            evidence: state.assessment.evidence,
            contested_votes: state.assessment.contested_votes,
            copies: results
                .copies_of(state)
                .map(|copy| CopyView::new(copy, election))
                .collect(),
            decision: state
                .assessment
                .decision
                .as_ref()
                .map(|decision| DecisionView::new(results, state, decision)),
        }
    }
}

/// The lookup document: where a voter votes and what that table's acta says.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct LookupDocument {
    /// `veedor.lookup/1`.
    pub schema: &'static str,
    /// The election.
    pub election: ElectionRef,
    /// The voter id as a number (prefix letters dropped).
    pub voter_id: String,
    /// Whether the voter is in the registry.
    pub found: bool,
    /// The voter's table, when found.
    pub table: Option<TableView>,
}

/// Builds the lookup document for a voter whose table (if any) the registry gave.
#[must_use]
pub fn lookup_document(
    results: &Results,
    voter: VoterId,
    table: Option<(TableId, &TableState)>,
    language: &str,
) -> LookupDocument {
    LookupDocument {
        schema: LOOKUP_SCHEMA,
        election: ElectionRef::new(results.election(), language),
        voter_id: voter.to_string(),
        found: table.is_some(),
        table: table.map(|(id, state)| TableView::new(results, id, state)),
    }
}

/// The schema of the area document.
pub const AREA_SCHEMA: &str = "veedor.area/1";
/// The schema of the table document.
pub const TABLE_SCHEMA: &str = "veedor.table/1";
/// The schema of the acta document.
pub const ACTA_SCHEMA: &str = "veedor.acta/1";

/// One area with what lies directly below it: the JSON twin of an area's page.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct AreaDocument {
    /// `veedor.area/1`.
    pub schema: &'static str,
    /// The election.
    pub election: ElectionRef,
    /// The area's tally.
    pub area: AreaTally,
    /// The areas that hold it, widest first (the nation first); empty for the nation.
    pub parents: Vec<AreaRef>,
    /// The level of the areas below (`state`), or `null` below the last level (a centre).
    pub children_level: Option<String>,
    /// The areas below, in code order, each with its tally.
    pub children: Vec<AreaTally>,
    /// For a centre: its tables (and table ids that copies name but the election does not
    /// know), in number order. Empty for wider areas.
    pub tables: Vec<TableView>,
}

/// Builds the area document. `None` when the area holds no table.
#[must_use]
pub fn area_document(results: &Results, area: AreaCode, language: &str) -> Option<AreaDocument> {
    let election = results.election();
    let geography = &election.geography;
    let totals = results.tally.get(area)?;
    let mut parents = Vec::new();
    let mut up = geography.parent(area);
    while let Some(parent) = up {
        parents.push(AreaRef::new(results, parent));
        up = geography.parent(parent);
    }
    parents.reverse();
    let below = match area {
        AreaCode::National => Some(0),
        AreaCode::Area { level, .. } => {
            Some(usize::from(level) + 1).filter(|&l| l < geography.levels.len())
        }
    };
    let centre_level = geography.levels.len().saturating_sub(1);
    let tables = match area {
        AreaCode::Area { level, .. } if usize::from(level) == centre_level => results
            .tables_of_centre(area)
            .map(|(id, state)| TableView::new(results, *id, state))
            .collect(),
        _ => Vec::new(),
    };
    Some(AreaDocument {
        schema: AREA_SCHEMA,
        election: ElectionRef::new(election, language),
        area: AreaTally::new(results, area, totals),
        parents,
        children_level: below.and_then(|l| geography.levels.get(l).map(|l| l.id.clone())),
        children: if below.is_some() {
            results
                .tally
                .children(election, area)
                .map(|(child, totals)| AreaTally::new(results, child, totals))
                .collect()
        } else {
            Vec::new()
        },
        tables,
    })
}

/// One table: the JSON twin of a table's page.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TableDocument {
    /// `veedor.table/1`.
    pub schema: &'static str,
    /// The election.
    pub election: ElectionRef,
    /// The table.
    pub table: TableView,
}

/// Builds the table document.
#[must_use]
pub fn table_document(
    results: &Results,
    id: TableId,
    state: &TableState,
    language: &str,
) -> TableDocument {
    TableDocument {
        schema: TABLE_SCHEMA,
        election: ElectionRef::new(results.election(), language),
        table: TableView::new(results, id, state),
    }
}

/// One ballot card's count on an acta that carries cells.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct CardCount {
    /// The card's position on the acta, from 0.
    pub cell: usize,
    /// The party.
    pub party: String,
    /// The candidate's id.
    pub candidate: String,
    /// Votes.
    pub votes: u32,
}

/// Where to get the scan a copy came from.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ScanRef {
    /// SHA-256 of the scan's bytes, the name it is served under.
    pub sha256: String,
    /// The original bytes (path on this server).
    pub url: String,
    /// A smaller copy for phones (path on this server).
    pub small_url: String,
}

impl ScanRef {
    /// The scan with this hash, at the server's paths.
    #[must_use]
    pub fn new(hash: &Sha256) -> Self {
        let hex = hash.to_hex();
        Self {
            url: format!("/scans/{hex}"),
            small_url: format!("/scans/{hex}/small"),
            sha256: hex,
        }
    }
}

/// One acta copy with its table and scan: the JSON twin of an acta's page.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ActaDocument {
    /// `veedor.acta/1`.
    pub schema: &'static str,
    /// The election.
    pub election: ElectionRef,
    /// The table's id (`201301006.01`).
    pub table: String,
    /// The table's status, from all its copies.
    pub table_status: &'static str,
    /// The table's areas, widest first.
    pub areas: Vec<AreaRef>,
    /// The copy.
    pub copy: CopyView,
    /// Its counts per ballot card, when it carries cells (empty otherwise).
    pub cards: Vec<CardCount>,
    /// The scan it came from, when this server holds it.
    pub scan: Option<ScanRef>,
    /// Its place in the transparency log with the proof that the published checkpoint includes
    /// it; `null` when no published checkpoint covers it yet.
    pub log: Option<LogProof>,
}

/// A published checkpoint, in brief.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct CheckpointRef {
    /// The log's name (the note's first line).
    pub origin: String,
    /// How many entries it covers.
    pub size: u64,
    /// The tree's root, hex.
    pub root: String,
    /// The same root in base64, as the note writes it.
    pub root_base64: String,
    /// Where the signed note is (path on this server).
    pub url: String,
}

/// Where an acta copy is in the transparency log, and the proof that the checkpoint holds it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct LogProof {
    /// The entry's index.
    pub index: u64,
    /// Its leaf hash, hex: SHA-256 of the byte 0x00 followed by the entry's bytes.
    pub leaf_hash: String,
    /// The entry bundle holding the entry's bytes (path on this server).
    pub entry_bundle: String,
    /// The entry's position in that bundle, from 0.
    pub position_in_bundle: u64,
    /// The checkpoint that includes it.
    pub checkpoint: CheckpointRef,
    /// The inclusion proof (RFC 6962 audit path), hex, from the leaf's sibling up to the root's
    /// child.
    pub inclusion_proof: Vec<String>,
}

impl LogProof {
    /// The proof for log entry `index`, when the published checkpoint covers it.
    #[must_use]
    pub fn new(log: &crate::log::PublishedLog, index: u64) -> Option<Self> {
        let (bundle, position_in_bundle) = log.bundle_of(index)?;
        let proof = log.inclusion_proof(index)?;
        let leaf = log.tree.leaf_hash_at(index)?;
        Some(Self {
            index,
            leaf_hash: leaf.to_hex(),
            entry_bundle: format!("/log/{bundle}"),
            position_in_bundle,
            checkpoint: CheckpointRef {
                origin: log.checkpoint.origin.clone(),
                size: log.checkpoint.size,
                root: log.checkpoint.root.to_hex(),
                root_base64: log.checkpoint.root.to_base64(),
                url: "/log/checkpoint".to_owned(),
            },
            inclusion_proof: proof.iter().map(veedor_ledger::Hash::to_hex).collect(),
        })
    }
}

/// Builds the acta document.
#[must_use]
pub fn acta_document(
    results: &Results,
    copy: &ActaCopy,
    scan: Option<&Sha256>,
    log: Option<&crate::log::PublishedLog>,
    language: &str,
) -> ActaDocument {
    let election = results.election();
    let geography = &election.geography;
    let table = copy.record.table;
    let cards = match &copy.record.counts {
        Counts::Cells(cells) => cells
            .iter()
            .zip(&election.cards)
            .enumerate()
            .map(|(cell, (votes, card))| CardCount {
                cell,
                party: card.party.clone(),
                candidate: election
                    .candidates
                    .get(card.candidate)
                    .map_or_else(String::new, |c| c.id.clone()),
                votes: *votes,
            })
            .collect(),
        Counts::Candidates(_) => Vec::new(),
    };
    ActaDocument {
        schema: ACTA_SCHEMA,
        election: ElectionRef::new(election, language),
        table: table.display(geography.centre_digits),
        table_status: results
            .table(table)
            .map_or(TableStatus::Missing, |state| state.assessment.status)
            .as_str(),
        areas: geography
            .areas_of(table.centre)
            .skip(1)
            .map(|area| AreaRef::new(results, area))
            .collect(),
        copy: CopyView::new(copy, election),
        cards,
        scan: scan.map(ScanRef::new),
        log: log
            .zip(copy.log_index)
            .and_then(|(log, index)| LogProof::new(log, index)),
    }
}
