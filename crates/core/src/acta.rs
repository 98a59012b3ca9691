//! Actas: one copy of one table's tally sheet, what it says and where it came from.

use jiff::Timestamp;

use crate::Election;
use crate::id::{CopyId, Pseudonym, Sha256, TableId};
use crate::validate::Finding;

/// What an acta counts. Some sources carry the ballot's cells (one count per card, as the QR
/// code does); others only per-candidate totals (as published result files do).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Counts {
    /// One count per card, in the order of [`Election::cards`].
    Cells(Vec<u32>),
    /// One count per candidate, in the order of [`Election::candidates`].
    Candidates(Vec<u32>),
}

impl Counts {
    /// Per-candidate totals. Cells are summed onto their candidates; a cell without a card (a
    /// malformed acta that validation flags) counts for nobody.
    #[must_use]
    pub fn candidate_votes(&self, election: &Election) -> Vec<u64> {
        let mut votes = vec![0u64; election.candidates.len()];
        match self {
            Self::Cells(cells) => {
                for (cell, card) in cells.iter().zip(&election.cards) {
                    if let Some(slot) = votes.get_mut(card.candidate) {
                        *slot += u64::from(*cell);
                    }
                }
            }
            Self::Candidates(counts) => {
                for (slot, count) in votes.iter_mut().zip(counts) {
                    *slot = u64::from(*count);
                }
            }
        }
        votes
    }

    /// The raw counts, whichever kind.
    #[must_use]
    pub fn values(&self) -> &[u32] {
        match self {
            Self::Cells(values) | Self::Candidates(values) => values,
        }
    }
}

/// What one acta says, independent of where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActaRecord {
    /// The table it belongs to.
    pub table: TableId,
    /// Its counts.
    pub counts: Counts,
    /// Null votes, when the source gives them.
    pub null_votes: Option<u32>,
    /// The valid votes the sheet states, when it states them (checked against the counts).
    pub stated_valid_votes: Option<u32>,
    /// The registered voters the source states for the table, when it does.
    pub stated_registered: Option<u32>,
    /// The format's other fields, kept verbatim so the source can be written back exactly
    /// (for `ve2024-qr`: the id suffix and the fourth field).
    pub format_fields: Vec<(String, String)>,
    /// The counts the election file declares for the sheet ([`crate::SheetModel::counts`]) that
    /// the source gives, by id, in the model's order (ballots received, blank votes...).
    pub declared_counts: Vec<(String, u32)>,
}

/// The format field that carries a sealed sheet's verdict ([`Seal`]), written by the format that
/// checked the seal: `verified:<key>`, `broken:<finding>` or `unchecked:<finding>`, no spaces.
pub const SEAL_FIELD: &str = "seal";

/// What a sealed sheet's own checks (a hash chain, a signature by the electoral authority) came
/// to, as its format found when it read the sheet. Validation turns it into a finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seal<'a> {
    /// The sheet carries no seal (or its format has none).
    Unsealed,
    /// The seal holds, with the key named.
    Verified(&'a str),
    /// The seal does not hold: why.
    Broken(&'a str),
    /// The seal could not be checked: why.
    Unchecked(&'a str),
}

impl ActaRecord {
    /// The sheet's seal, from its [`SEAL_FIELD`] format field. A value of another shape is taken
    /// as broken: a seal that cannot be read does not hold.
    #[must_use]
    pub fn seal(&self) -> Seal<'_> {
        let Some((_, value)) = self.format_fields.iter().find(|(key, _)| key == SEAL_FIELD) else {
            return Seal::Unsealed;
        };
        match value.split_once(':') {
            Some(("verified", key)) => Seal::Verified(key),
            Some(("unchecked", why)) => Seal::Unchecked(why),
            Some(("broken", why)) => Seal::Broken(why),
            _ => Seal::Broken(value),
        }
    }

    /// Per-candidate totals.
    #[must_use]
    pub fn candidate_votes(&self, election: &Election) -> Vec<u64> {
        self.counts.candidate_votes(election)
    }

    /// A declared count, when the source gives it.
    #[must_use]
    pub fn declared_count(&self, id: &str) -> Option<u32> {
        self.declared_counts
            .iter()
            .find(|(name, _)| name == id)
            .map(|(_, value)| *value)
    }

    /// Whether two records state the same result: equal per-candidate votes, equal null votes
    /// and declared counts where both give them, and equal cells where both carry cells. A QR copy and a CSV copy
    /// of one table can thus corroborate each other.
    #[must_use]
    pub fn same_result(&self, other: &Self, election: &Election) -> bool {
        if self.candidate_votes(election) != other.candidate_votes(election) {
            return false;
        }
        if let (Some(a), Some(b)) = (self.null_votes, other.null_votes)
            && a != b
        {
            return false;
        }
        if self
            .declared_counts
            .iter()
            .any(|(id, value)| other.declared_count(id).is_some_and(|v| v != *value))
        {
            return false;
        }
        match (&self.counts, &other.counts) {
            (Counts::Cells(a), Counts::Cells(b)) => a == b,
            _ => true,
        }
    }
}

/// How a copy entered veedor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SourceKind {
    /// Decoded from the QR code of a scanned sheet.
    Qr,
    /// Typed by volunteers from the sheet (two independent entries that agreed).
    ManualEntry,
    /// A row of a published result file.
    CsvImport,
    /// A QR payload imported as text (decoded elsewhere).
    PayloadImport,
}

impl SourceKind {
    /// The stable name used in storage, exports and the API.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Qr => "qr",
            Self::ManualEntry => "manual",
            Self::CsvImport => "csv",
            Self::PayloadImport => "payload",
        }
    }

    /// Parses a stable name.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Qr,
            Self::ManualEntry,
            Self::CsvImport,
            Self::PayloadImport,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == text)
    }
}

/// Where within its file a copy was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Location {
    /// A line of a text file, from 1 (the header is line 1).
    Line(u64),
    /// A page of a scan, from 1.
    Page(u32),
}

impl Location {
    /// `line 12` or `page 2`.
    #[must_use]
    pub fn describe(self) -> String {
        match self {
            Self::Line(line) => format!("line {line}"),
            Self::Page(page) => format!("page {page}"),
        }
    }

    /// Reads what [`Self::describe`] writes.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text.split_once(' ')? {
            ("line", n) => n.parse().ok().map(Self::Line),
            ("page", n) => n.parse().ok().map(Self::Page),
            _ => None,
        }
    }
}

/// Where a copy came from: enough to find the original and check it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Provenance {
    /// How it entered.
    pub source: SourceKind,
    /// The name of the file it came from, without its folder.
    pub file_name: String,
    /// SHA-256 of the whole file (for a scan, of the scan's bytes).
    pub file_sha256: Sha256,
    /// Where in the file.
    pub location: Location,
    /// When veedor received it.
    pub received_at: Timestamp,
    /// The scanner or device, when known.
    pub device: Option<String>,
    /// The volunteer who fed or typed it, pseudonymous.
    pub volunteer: Option<Pseudonym>,
    /// SHA-256 of the file as it is published, stripped of everything that could identify
    /// whoever made it (EXIF, XMP, document information): for a scan, the file readers get
    /// (`file_sha256` is the original's, which stays private and proves nothing without the
    /// file). `None` for a text file, and for scans stored before scans were stripped, which are
    /// not published.
    pub published_sha256: Option<Sha256>,
    /// The earlier copy whose page image this one's is (the same image re-encoded or resaved,
    /// found when it was received): the same evidence, whatever its origin says.
    pub same_image_as: Option<EvidenceRef>,
    /// For a manual entry: the typists whose entries of the page agreed (two or three), or the
    /// one a coordinator kept. Empty for every other copy.
    pub entered_by: Vec<Pseudonym>,
}

/// A copy named by what identifies it publicly: its file's SHA-256 and its place in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EvidenceRef {
    /// The file's SHA-256 (the original's).
    pub file_sha256: Sha256,
    /// Where in the file.
    pub location: Location,
}

impl EvidenceRef {
    /// `<sha256 in hex> page N` (or `line N`), as the log and the store write it.
    #[must_use]
    pub fn describe(&self) -> String {
        format!("{} {}", self.file_sha256.to_hex(), self.location.describe())
    }

    /// Reads what [`Self::describe`] writes.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let (hex, place) = text.split_once(' ')?;
        Some(Self {
            file_sha256: Sha256::from_hex(hex).ok()?,
            location: Location::parse(place)?,
        })
    }
}

impl Provenance {
    /// The scan readers get for this copy: the published (stripped) file of a copy read from a
    /// scan, when there is one. The original is never published.
    #[must_use]
    pub fn published_scan(&self) -> Option<Sha256> {
        if self.source == SourceKind::Qr {
            self.published_sha256
        } else {
            None
        }
    }

    /// This copy's file and place.
    #[must_use]
    pub fn evidence_ref(&self) -> EvidenceRef {
        EvidenceRef {
            file_sha256: self.file_sha256,
            location: self.location,
        }
    }
}

/// A stored copy of an acta: what it says, where it came from, and the findings of its
/// validation when it was received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActaCopy {
    /// The store's id.
    pub id: CopyId,
    /// What it says.
    pub record: ActaRecord,
    /// Where it came from.
    pub provenance: Provenance,
    /// Validation findings.
    pub findings: Vec<Finding>,
    /// Its index in the transparency log, once logged.
    pub log_index: Option<u64>,
}

impl ActaCopy {
    /// Whether a finding keeps this copy from being accepted without a person.
    #[must_use]
    pub fn needs_person(&self) -> bool {
        self.findings.iter().any(Finding::is_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::election::tests::small_election;
    use crate::{CentreCode, TableNumber};

    fn record(counts: Counts, null_votes: Option<u32>) -> ActaRecord {
        ActaRecord {
            table: TableId::new(CentreCode::new(1), TableNumber::new(1)),
            counts,
            null_votes,
            stated_valid_votes: None,
            stated_registered: None,
            format_fields: vec![],
            declared_counts: vec![],
        }
    }

    #[test]
    fn cells_sum_onto_their_candidates() {
        let election = small_election();
        let cells = Counts::Cells(vec![1, 2, 3, 4, 5]);
        assert_eq!(cells.candidate_votes(&election), [3, 8, 4]);
    }

    #[test]
    fn a_cell_copy_and_a_candidate_copy_can_agree() {
        let election = small_election();
        let qr = record(Counts::Cells(vec![1, 2, 3, 4, 5]), Some(0));
        let csv = record(Counts::Candidates(vec![3, 8, 4]), None);
        assert!(qr.same_result(&csv, &election));
        let other_cells = record(Counts::Cells(vec![2, 1, 3, 4, 5]), Some(0));
        assert!(!qr.same_result(&other_cells, &election));
        assert!(other_cells.same_result(&csv, &election));
        let other_nulls = record(Counts::Cells(vec![1, 2, 3, 4, 5]), Some(1));
        assert!(!qr.same_result(&other_nulls, &election));
    }
}
