//! Validation of one acta copy. Validation never fails: it returns findings, each with a
//! stable code that exports, the API and people refer to. Codes starting with `F` are errors: a
//! copy with one is not counted until a person has looked at it. Codes starting with `W` are
//! warnings: the copy counts, and the warning is shown beside it.

use crate::acta::{ActaRecord, Counts};
use crate::{Election, PollingTable};

/// The stable code of a finding. Never renumber: codes are published.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum FindingCode {
    /// F101: the acta names a table that is not in the election's table list (only raised once
    /// a table list has been imported; before that, tables are learnt from the results).
    UnknownTable,
    /// F102: the acta has more votes (valid plus null) than the table has registered voters.
    MoreVotesThanRegistered,
    /// F103: the per-candidate votes do not add up to the valid votes the acta states.
    ValidVotesMismatch,
    /// F104: the acta carries a different number of counts than the ballot has cards (or
    /// candidates, for per-candidate results).
    WrongNumberOfCounts,
    /// W201: the registered voters the source states differ from the table list's.
    RegisteredVotersDiffer,
    /// W202: the acta has no votes at all.
    NoVotes,
}

impl FindingCode {
    /// Every code, in order.
    pub const ALL: [Self; 6] = [
        Self::UnknownTable,
        Self::MoreVotesThanRegistered,
        Self::ValidVotesMismatch,
        Self::WrongNumberOfCounts,
        Self::RegisteredVotersDiffer,
        Self::NoVotes,
    ];

    /// The published code (`F101`).
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::UnknownTable => "F101",
            Self::MoreVotesThanRegistered => "F102",
            Self::ValidVotesMismatch => "F103",
            Self::WrongNumberOfCounts => "F104",
            Self::RegisteredVotersDiffer => "W201",
            Self::NoVotes => "W202",
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
            Self::RegisteredVotersDiffer => "registered_voters_differ",
            Self::NoVotes => "no_votes",
        }
    }

    /// Parses a published code.
    #[must_use]
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }

    /// Whether the finding is an error (keeps the copy out of the count until a person looks).
    #[must_use]
    pub const fn is_error(self) -> bool {
        self.code().as_bytes()[0] == b'F'
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

/// Validates a record against the election and what is known of its table. `table` is `None`
/// when the table is not known; `table_list_imported` says whether the election's table list
/// was imported (only then is an unknown table a finding).
#[must_use]
pub fn validate(
    record: &ActaRecord,
    election: &Election,
    table: Option<&PollingTable>,
    table_list_imported: bool,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let centre_digits = election.geography.centre_digits;
    if table.is_none() && table_list_imported {
        findings.push(Finding {
            code: FindingCode::UnknownTable,
            detail: format!(
                "table {} is not in the election's table list",
                record.table.display(centre_digits)
            ),
        });
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
    let valid: u64 = record.candidate_votes(election).iter().sum();
    let null = u64::from(record.null_votes.unwrap_or(0));
    if let Some(stated) = record.stated_valid_votes
        && u64::from(stated) != valid
    {
        findings.push(Finding {
            code: FindingCode::ValidVotesMismatch,
            detail: format!(
                "the candidates' votes add up to {valid}, the acta states {stated} valid votes"
            ),
        });
    }
    let registered = table
        .and_then(|t| t.registered)
        .or(record.stated_registered);
    if let Some(registered) = registered
        && valid + null > u64::from(registered)
    {
        findings.push(Finding {
            code: FindingCode::MoreVotesThanRegistered,
            detail: format!(
                "{} votes ({valid} valid, {null} null) but {registered} registered voters",
                valid + null
            ),
        });
    }
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
        }
    }

    fn codes(findings: &[Finding]) -> Vec<&'static str> {
        findings.iter().map(|f| f.code.code()).collect()
    }

    #[test]
    fn each_rule_has_its_code() {
        let election = small_election();
        let check = |record: &ActaRecord, table: Option<&PollingTable>, listed| {
            codes(&validate(record, &election, table, listed))
        };
        let good = record(vec![1, 2, 3, 4, 5], Some(15));
        assert!(check(&good, Some(&table(Some(100))), true).is_empty());
        assert_eq!(check(&good, None, true), ["F101"]);
        assert!(check(&good, None, false).is_empty());
        assert_eq!(check(&good, Some(&table(Some(16))), true), ["F102"]);
        assert!(check(&good, Some(&table(Some(17))), true).is_empty());
        assert_eq!(
            check(&record(vec![1, 2, 3, 4, 5], Some(14)), None, false),
            ["F103"]
        );
        assert_eq!(
            check(&record(vec![1, 2, 3, 4], None), None, false),
            ["F104"]
        );
        let mut zero = record(vec![0; 5], None);
        zero.null_votes = None;
        assert_eq!(check(&zero, None, false), ["W202"]);
        let mut stated = good.clone();
        stated.stated_registered = Some(90);
        assert_eq!(check(&stated, Some(&table(Some(100))), true), ["W201"]);
    }

    #[test]
    fn codes_are_stable_and_classified() {
        for code in FindingCode::ALL {
            assert_eq!(FindingCode::parse(code.code()), Some(code));
            assert_eq!(code.is_error(), code.code().starts_with('F'));
        }
    }
}
