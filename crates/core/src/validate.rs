//! Validation of one acta copy. Validation never fails: it returns findings, each with a
//! stable code that exports, the API and people refer to. Codes starting with `F` are errors: a
//! copy with one is not counted until a person has looked at it. Codes starting with `W` are
//! warnings: the copy counts, and the warning is shown beside it.

use crate::acta::{ActaRecord, Counts, Seal};
use crate::{Election, PollingTable, TableId};

/// The stable code of a finding. Never renumber: codes are published.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum FindingCode {
    /// F101: the acta names a table that no source defining tables (a table list, or a result
    /// file imported as defining them) has established. A copy never creates its own table, so
    /// it waits until one does (or a person decides).
    UnknownTable,
    /// F102: the acta has more votes (valid plus null) than the table has registered voters.
    MoreVotesThanRegistered,
    /// F103: the per-candidate votes do not add up to the valid votes the acta states.
    ValidVotesMismatch,
    /// F104: the acta carries a different number of counts than the ballot has cards (or
    /// candidates, for per-candidate results).
    WrongNumberOfCounts,
    /// F105: the acta's codes do not fit the geography: the first-level area they name (a state
    /// that does not exist) holds no established table.
    UnknownArea,
    /// W201: the registered voters the source states differ from the table list's.
    RegisteredVotersDiffer,
    /// W202: the acta has no votes at all.
    NoVotes,
    /// F106: the sheet is sealed (a hash chain and a signature by the electoral authority, as
    /// Brazil's boletim de urna) and the seal does not hold: altered, forged or mixed. Never
    /// counted until a person looks; the format's finding is in the detail.
    SealBroken,
    /// W203: the sheet is sealed but its signature could not be checked here (no key was given
    /// for its state and phase, or it is signed by a key veedor cannot check). Counted like an
    /// unsigned sheet, with this said beside it.
    SealUnchecked,
    /// A rule the election file declares for its sheet (`F301`, `W512`): see
    /// [`crate::SheetModel`]. F102 and F103 are declared rules too (of every sheet that declares
    /// none, [`crate::SheetModel::standard`]), under their own variants.
    Declared(DeclaredCode),
}

/// The code of a declared rule: `F` (an error) or `W` (a warning) and a number from 300 to 999.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DeclaredCode {
    error: bool,
    number: u16,
}

impl DeclaredCode {
    /// The lowest number a declared code may have.
    pub const FIRST: u16 = 300;
    /// The highest.
    pub const LAST: u16 = 999;

    /// A declared code, when `number` is from [`Self::FIRST`] to [`Self::LAST`].
    #[must_use]
    pub const fn new(error: bool, number: u16) -> Option<Self> {
        if number >= Self::FIRST && number <= Self::LAST {
            Some(Self { error, number })
        } else {
            None
        }
    }

    fn text(self) -> &'static str {
        let index = usize::from(self.number - Self::FIRST) + if self.error { 0 } else { SPAN };
        DECLARED_CODES
            .get(index)
            .and_then(|bytes| std::str::from_utf8(bytes).ok())
            .unwrap_or("")
    }
}

/// How many numbers a declared code may have.
const SPAN: usize = 700;

/// Every declared code's text, `F300` to `F999` then `W300` to `W999`, so that a code is a
/// `&'static str` like the built-in ones.
static DECLARED_CODES: [[u8; 4]; 2 * SPAN] = declared_codes();

const fn declared_codes() -> [[u8; 4]; 2 * SPAN] {
    let mut out = [[0u8; 4]; 2 * SPAN];
    let mut index = 0;
    let letters = [b'F', b'W'];
    let mut letter = 0;
    while letter < 2 {
        let mut hundreds = 3u8;
        while hundreds <= 9 {
            let mut tens = 0u8;
            while tens <= 9 {
                let mut units = 0u8;
                while units <= 9 {
                    out[index] = [letters[letter], b'0' + hundreds, b'0' + tens, b'0' + units];
                    index += 1;
                    units += 1;
                }
                tens += 1;
            }
            hundreds += 1;
        }
        letter += 1;
    }
    out
}

impl FindingCode {
    /// Every code, in order.
    pub const ALL: [Self; 9] = [
        Self::UnknownTable,
        Self::MoreVotesThanRegistered,
        Self::ValidVotesMismatch,
        Self::WrongNumberOfCounts,
        Self::UnknownArea,
        Self::SealBroken,
        Self::RegisteredVotersDiffer,
        Self::NoVotes,
        Self::SealUnchecked,
    ];

    /// The published code (`F101`).
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::Declared(code) => code.text(),
            Self::UnknownTable => "F101",
            Self::MoreVotesThanRegistered => "F102",
            Self::ValidVotesMismatch => "F103",
            Self::WrongNumberOfCounts => "F104",
            Self::UnknownArea => "F105",
            Self::SealBroken => "F106",
            Self::RegisteredVotersDiffer => "W201",
            Self::NoVotes => "W202",
            Self::SealUnchecked => "W203",
        }
    }

    /// A short stable name (`unknown_table`).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::UnknownTable => "unknown_table",
            Self::MoreVotesThanRegistered => "more_votes_than_registered",
            Self::ValidVotesMismatch => "valid_votes_mismatch",
            Self::WrongNumberOfCounts => "wrong_number_of_counts",
            Self::UnknownArea => "unknown_area",
            Self::RegisteredVotersDiffer => "registered_voters_differ",
            Self::NoVotes => "no_votes",
            Self::SealBroken => "seal_broken",
            Self::SealUnchecked => "seal_unchecked",
            Self::Declared(_) => "declared_rule",
        }
    }

    /// Parses a published code: a built-in one, or a declared rule's (`F300` to `F999`, `W300`
    /// to `W999`).
    #[must_use]
    pub fn parse(code: &str) -> Option<Self> {
        if let Some(found) = Self::ALL.into_iter().find(|c| c.code() == code) {
            return Some(found);
        }
        let (error, digits) = match code.as_bytes() {
            [b'F', rest @ ..] => (true, rest),
            [b'W', rest @ ..] => (false, rest),
            _ => return None,
        };
        if digits.len() != 3 || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let number = std::str::from_utf8(digits).ok()?.parse().ok()?;
        DeclaredCode::new(error, number).map(Self::Declared)
    }

    /// Whether the finding is an error (keeps the copy out of the count until a person looks).
    #[must_use]
    pub fn is_error(self) -> bool {
        self.code().starts_with('F')
    }
}

/// One finding on one copy: its code and a sentence with the numbers involved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The code.
    pub code: FindingCode,
    /// What exactly was found, for a person.
    pub detail: String,
}

impl Finding {
    /// Whether it is an error.
    #[must_use]
    pub fn is_error(&self) -> bool {
        self.code.is_error()
    }
}

/// What is known of the place a record names: its table when established, and otherwise
/// whether its first-level area holds any established table.
#[derive(Clone, Copy, Debug)]
pub enum Place<'a> {
    /// The table is established.
    Table(&'a PollingTable),
    /// It is not; `area_known` when another established table is in the same first-level area.
    Unknown {
        /// Whether the record's first-level area holds an established table.
        area_known: bool,
    },
}

impl<'a> Place<'a> {
    /// The place of `id` among `tables` (every known table: when one is listed, only the listed
    /// ones are established). Linear in the tables: for a few copies; [`crate::Results::compute`]
    /// places every copy at once.
    #[must_use]
    pub fn among<I>(id: TableId, election: &Election, tables: I) -> Self
    where
        I: IntoIterator<Item = &'a PollingTable>,
        I::IntoIter: Clone,
    {
        let tables = tables.into_iter();
        let list = tables.clone().any(|table| table.listed);
        let mut established = tables.filter(|table| table.listed || !list);
        let area = election.geography.area_of(id.centre, 0);
        let mut area_known = false;
        for table in established.by_ref() {
            if table.id == id {
                return Self::Table(table);
            }
            area_known |= election.geography.area_of(table.id.centre, 0) == area;
        }
        Self::Unknown { area_known }
    }

    /// The table, when established.
    #[must_use]
    pub fn table(self) -> Option<&'a PollingTable> {
        match self {
            Self::Table(table) => Some(table),
            Self::Unknown { .. } => None,
        }
    }
}

/// Validates a record against the election and what is known of its place. The findings that
/// depend on the place (F101, F105, F102 and W201) change when tables are established later, so
/// [`crate::Results::compute`] validates every copy again against the tables of the moment; the
/// findings stored with a copy (and logged) are those of when it was received.
#[must_use]
pub fn validate(record: &ActaRecord, election: &Election, place: Place<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    let centre_digits = election.geography.centre_digits;
    let table = place.table();
    if let Place::Unknown { area_known } = place {
        findings.push(Finding {
            code: FindingCode::UnknownTable,
            detail: format!(
                "table {} is not established by a table list or a result file defining tables: \
                 the copy waits until one does or a person decides",
                record.table.display(centre_digits)
            ),
        });
        if !area_known {
            let area = election.geography.area_of(record.table.centre, 0);
            findings.push(Finding {
                code: FindingCode::UnknownArea,
                detail: format!(
                    "its code names {} {}, where no table is established: the code does not \
                     fit the election's geography",
                    election
                        .geography
                        .levels
                        .first()
                        .map_or("area", |level| level.id.as_str()),
                    election.geography.format_area(area),
                ),
            });
        }
    }
    let (expected, kind) = match &record.counts {
        Counts::Cells(_) => (election.cards.len(), "cards"),
        Counts::Candidates(_) => (election.candidates.len(), "candidates"),
    };
    if record.counts.values().len() != expected {
        findings.push(Finding {
            code: FindingCode::WrongNumberOfCounts,
            detail: format!(
                "{} counts, but the ballot has {expected} {kind}",
                record.counts.values().len()
            ),
        });
    }
    match record.seal() {
        Seal::Unsealed | Seal::Verified(_) => {}
        Seal::Broken(why) => findings.push(Finding {
            code: FindingCode::SealBroken,
            detail: format!(
                "the sheet's seal does not hold ({why}): its figures may have been altered or \
                 forged; not counted until a person looks"
            ),
        }),
        Seal::Unchecked(why) => findings.push(Finding {
            code: FindingCode::SealUnchecked,
            detail: format!(
                "the sheet's signature could not be checked ({why}): counted like an unsigned sheet"
            ),
        }),
    }
    let votes = record.candidate_votes(election);
    findings.extend(election.sheet.check_record(record, &votes, table, election));
    let valid: u64 = votes.iter().sum();
    let null = u64::from(record.null_votes.unwrap_or(0));
    if let (Some(listed), Some(stated)) =
        (table.and_then(|t| t.registered), record.stated_registered)
        && listed != stated
    {
        findings.push(Finding {
            code: FindingCode::RegisteredVotersDiffer,
            detail: format!(
                "the source states {stated} registered voters, the table list {listed}"
            ),
        });
    }
    if valid + null == 0 {
        findings.push(Finding {
            code: FindingCode::NoVotes,
            detail: "the acta has no votes at all".to_owned(),
        });
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::election::tests::small_election;
    use crate::{CentreCode, TableId, TableNumber};

    fn table(registered: Option<u32>) -> PollingTable {
        PollingTable {
            id: TableId::new(CentreCode::new(201_301_006), TableNumber::new(1)),
            registered,
            listed: true,
        }
    }

    fn record(cells: Vec<u32>, stated_valid: Option<u32>) -> ActaRecord {
        ActaRecord {
            table: table(None).id,
            counts: Counts::Cells(cells),
            null_votes: Some(2),
            stated_valid_votes: stated_valid,
            stated_registered: None,
            format_fields: vec![],
            declared_counts: vec![],
        }
    }

    fn codes(findings: &[Finding]) -> Vec<&'static str> {
        findings.iter().map(|f| f.code.code()).collect()
    }

    #[test]
    fn each_rule_has_its_code() {
        let election = small_election();
        let listed = table(Some(100));
        let check =
            |record: &ActaRecord, place: Place<'_>| codes(&validate(record, &election, place));
        let good = record(vec![1, 2, 3, 4, 5], Some(15));
        assert!(check(&good, Place::Table(&listed)).is_empty());
        assert_eq!(check(&good, Place::Unknown { area_known: true }), ["F101"]);
        assert_eq!(
            check(&good, Place::Unknown { area_known: false }),
            ["F101", "F105"]
        );
        assert_eq!(check(&good, Place::Table(&table(Some(16)))), ["F102"]);
        assert!(check(&good, Place::Table(&table(Some(17)))).is_empty());
        let unknown_registered = table(None);
        assert_eq!(
            check(
                &record(vec![1, 2, 3, 4, 5], Some(14)),
                Place::Table(&unknown_registered)
            ),
            ["F103"]
        );
        assert_eq!(
            check(
                &record(vec![1, 2, 3, 4], None),
                Place::Table(&unknown_registered)
            ),
            ["F104"]
        );
        let mut zero = record(vec![0; 5], None);
        zero.null_votes = None;
        assert_eq!(check(&zero, Place::Table(&unknown_registered)), ["W202"]);
        let mut stated = good.clone();
        stated.stated_registered = Some(90);
        assert_eq!(check(&stated, Place::Table(&listed)), ["W201"]);
    }

    #[test]
    fn codes_are_stable_and_classified() {
        for code in FindingCode::ALL {
            assert_eq!(FindingCode::parse(code.code()), Some(code));
            assert_eq!(code.is_error(), code.code().starts_with('F'));
        }
    }

    #[test]
    fn a_broken_seal_is_an_error_and_an_unchecked_one_a_warning() {
        let election = small_election();
        let place = table(Some(500));
        let codes = |seal: &str| {
            let mut record = record(vec![1, 2, 3, 4, 5], Some(15));
            record
                .format_fields
                .push((crate::SEAL_FIELD.to_owned(), seal.to_owned()));
            validate(&record, &election, Place::Table(&place))
                .into_iter()
                .map(|f| f.code.code())
                .collect::<Vec<_>>()
        };
        assert!(codes("verified:sacqrcode.pub").is_empty());
        assert_eq!(codes("broken:br-bu.signature-invalid"), ["F106"]);
        assert_eq!(codes("unchecked:br-bu.key-unknown"), ["W203"]);
        // A seal that cannot be read does not hold.
        assert_eq!(codes("whatever"), ["F106"]);
        assert!(FindingCode::SealBroken.is_error());
        assert!(!FindingCode::SealUnchecked.is_error());
    }
}
