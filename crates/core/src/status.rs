//! The status of a table, derived from its copies. Nothing is ever overwritten: the status is
//! recomputed from every copy there is.
//!
//! ```mermaid
//! stateDiagram-v2
//!     [*] --> Missing
//!     Missing --> Accepted: a copy without errors
//!     Missing --> AwaitingPerson: a copy with an error finding
//!     Accepted --> Corroborated: another copy, same numbers
//!     Accepted --> Conflict: another copy, different numbers
//!     Corroborated --> Conflict: another copy, different numbers
//!     AwaitingPerson --> Conflict: another copy, different numbers
//! ```

use crate::Election;
use crate::acta::ActaCopy;

/// Where a table stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TableStatus {
    /// No copy of its acta yet.
    Missing,
    /// One copy, without error findings: counted.
    Accepted,
    /// Two or more copies with the same numbers, without error findings: counted.
    Corroborated,
    /// Copies with different numbers: not counted until a person resolves it.
    Conflict,
    /// Copies that agree but carry an error finding (or a table outside the table list): not
    /// counted until a person looks.
    AwaitingPerson,
}

impl TableStatus {
    /// Every status, in display order.
    pub const ALL: [Self; 5] = [
        Self::Accepted,
        Self::Corroborated,
        Self::Conflict,
        Self::AwaitingPerson,
        Self::Missing,
    ];

    /// The stable name used in exports and the API.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Accepted => "accepted",
            Self::Corroborated => "corroborated",
            Self::Conflict => "conflict",
            Self::AwaitingPerson => "awaiting_person",
        }
    }

    /// Whether the table's result is counted in the tally.
    #[must_use]
    pub const fn is_counted(self) -> bool {
        matches!(self, Self::Accepted | Self::Corroborated)
    }

    /// Position in [`Self::ALL`].
    #[must_use]
    pub const fn index(self) -> usize {
        match self {
            Self::Accepted => 0,
            Self::Corroborated => 1,
            Self::Conflict => 2,
            Self::AwaitingPerson => 3,
            Self::Missing => 4,
        }
    }
}

/// The result a table contributes to the tally.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableResult {
    /// Votes per candidate.
    pub candidate_votes: Vec<u64>,
    /// Null votes (0 when no copy states them).
    pub null_votes: u64,
}

/// A table's status, and its result when the copies agree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assessment {
    /// The status.
    pub status: TableStatus,
    /// The numbers the copies agree on (present for every status but `Missing` and
    /// `Conflict`); counted only when the status is.
    pub result: Option<TableResult>,
}

/// Assesses a table from all its copies.
#[must_use]
pub fn assess(copies: &[&ActaCopy], election: &Election) -> Assessment {
    let Some(first) = copies.first() else {
        return Assessment {
            status: TableStatus::Missing,
            result: None,
        };
    };
    let disagree = copies.iter().enumerate().any(|(index, copy)| {
        copies[index + 1..]
            .iter()
            .any(|other| !copy.record.same_result(&other.record, election))
    });
    if disagree {
        return Assessment {
            status: TableStatus::Conflict,
            result: None,
        };
    }
    let result = TableResult {
        candidate_votes: first.record.candidate_votes(election),
        null_votes: copies
            .iter()
            .find_map(|copy| copy.record.null_votes)
            .map_or(0, u64::from),
    };
    let status = if copies.iter().any(|copy| copy.needs_person()) {
        TableStatus::AwaitingPerson
    } else if copies.len() == 1 {
        TableStatus::Accepted
    } else {
        TableStatus::Corroborated
    };
    Assessment {
        status,
        result: Some(result),
    }
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;

    use super::*;
    use crate::acta::{ActaRecord, Counts, Location, Provenance, SourceKind};
    use crate::election::tests::small_election;
    use crate::validate::{Finding, FindingCode};
    use crate::{CentreCode, CopyId, Sha256, TableId, TableNumber};

    fn copy(cells: Vec<u32>, error: bool) -> ActaCopy {
        ActaCopy {
            id: CopyId::new(1),
            record: ActaRecord {
                table: TableId::new(CentreCode::new(1), TableNumber::new(1)),
                counts: Counts::Cells(cells),
                null_votes: Some(0),
                stated_valid_votes: None,
                stated_registered: None,
                format_fields: vec![],
            },
            provenance: Provenance {
                source: SourceKind::Qr,
                file_name: "a.jpg".to_owned(),
                file_sha256: Sha256::from_bytes([0; 32]),
                location: Location::Page(1),
                received_at: Timestamp::UNIX_EPOCH,
                device: None,
                volunteer: None,
            },
            findings: if error {
                vec![Finding {
                    code: FindingCode::MoreVotesThanRegistered,
                    detail: String::new(),
                }]
            } else {
                vec![]
            },
            log_index: None,
        }
    }

    fn status(copies: &[ActaCopy]) -> TableStatus {
        let refs: Vec<&ActaCopy> = copies.iter().collect();
        assess(&refs, &small_election()).status
    }

    #[test]
    fn status_follows_the_copies() {
        let a = copy(vec![1, 2, 3, 4, 5], false);
        let b = copy(vec![1, 2, 3, 4, 6], false);
        let flagged = copy(vec![1, 2, 3, 4, 5], true);
        assert_eq!(status(&[]), TableStatus::Missing);
        assert_eq!(status(std::slice::from_ref(&a)), TableStatus::Accepted);
        assert_eq!(status(&[a.clone(), a.clone()]), TableStatus::Corroborated);
        assert_eq!(status(&[a.clone(), b.clone()]), TableStatus::Conflict);
        assert_eq!(status(&[a.clone(), a.clone(), b]), TableStatus::Conflict);
        assert_eq!(
            status(std::slice::from_ref(&flagged)),
            TableStatus::AwaitingPerson
        );
        assert_eq!(status(&[a, flagged]), TableStatus::AwaitingPerson);
    }
}
