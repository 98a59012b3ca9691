//! A coordinator's decision on a table whose copies disagree: which copy counts, who decided,
//! why and when. A decision is a new record beside the copies; it never edits or removes one.
//!
//! The rules, which [`crate::assess`] applies and [`Decision::new`] checks:
//!
//! 1. A decision is taken only on a table in conflict (its copies disagree), or already decided;
//!    a table whose copies agree has nothing to decide.
//! 2. It keeps one copy of that table, named by its evidence ([`EvidenceRef`]: the file's SHA-256
//!    and the place in the file), and that copy must carry no error finding (a copy that
//!    validation refuses is never counted, whoever chooses it).
//! 3. It lists the copies it overrules: those of the table that disagree with the kept copy when
//!    it is taken. The table is then `decided` and counts the kept copy's numbers.
//! 4. The latest decision on a table is the one in force; earlier ones stay on the record.
//! 5. A copy that arrives later and disagrees with the kept copy is not among those the
//!    decision overruled: the decision no longer covers the table, which is in conflict again
//!    until a coordinator decides anew. A later copy that agrees with the kept one changes
//!    nothing.

use jiff::Timestamp;

use crate::Election;
use crate::acta::{ActaCopy, EvidenceRef};
use crate::id::{Pseudonym, TableId};
use crate::status::TableStatus;

/// The longest reason, in characters.
pub const MAX_REASON_CHARS: usize = 500;

/// The most copies one decision may overrule (a table has a handful; the bound keeps a
/// decision's log entry far below the log's entry size).
pub const MAX_OVERRULED: usize = 64;

/// Why a coordinator decided: 1 to [`MAX_REASON_CHARS`] characters, not only spaces, without
/// control characters (it is published on one line).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Reason(String);

impl Reason {
    /// Checks a reason; surrounding spaces are trimmed.
    pub fn new(text: &str) -> Result<Self, DecisionError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(DecisionError::EmptyReason);
        }
        let chars = text.chars().count();
        if chars > MAX_REASON_CHARS {
            return Err(DecisionError::ReasonTooLong { chars });
        }
        if text.contains(char::is_control) {
            return Err(DecisionError::ReasonControlCharacter);
        }
        Ok(Self(text.to_owned()))
    }

    /// The reason.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A coordinator's decision on a table in conflict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The table.
    pub table: TableId,
    /// The copy that counts.
    pub keep: EvidenceRef,
    /// The table's copies that disagreed with the kept one when it was decided, in order.
    pub overruled: Vec<EvidenceRef>,
    /// Who decided.
    pub coordinator: Pseudonym,
    /// Why.
    pub reason: Reason,
    /// When.
    pub decided_at: Timestamp,
    /// Its index in the transparency log, once logged.
    pub log_index: Option<u64>,
}

/// Why a decision cannot be taken.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecisionError {
    /// The table's copies agree (or it has none).
    #[error(
        "table {table} is not in conflict (its status is {status}): there is nothing to decide"
    )]
    NotInConflict {
        /// The table.
        table: String,
        /// Its status.
        status: &'static str,
    },
    /// The named copy is not one of the table's.
    #[error("{copy} is not a copy of table {table}")]
    NotACopyOfTable {
        /// The table.
        table: String,
        /// The copy, as named.
        copy: String,
    },
    /// Copies of one file and place that disagree among themselves: the name is ambiguous.
    #[error("{copy} names copies that disagree among themselves; it cannot be kept")]
    Ambiguous {
        /// The copy, as named.
        copy: String,
    },
    /// The kept copy carries an error finding.
    #[error(
        "{copy} carries the error finding {codes}, so it cannot be counted: keep a copy without errors"
    )]
    KeptCopyHasErrors {
        /// The copy.
        copy: String,
        /// Its error codes.
        codes: String,
    },
    /// More copies to overrule than a decision may list.
    #[error("the decision would overrule {count} copies, more than {MAX_OVERRULED}")]
    TooManyOverruled {
        /// How many.
        count: usize,
    },
    /// No reason given.
    #[error("a decision needs a reason: say why this copy counts")]
    EmptyReason,
    /// A reason too long.
    #[error("the reason has {chars} characters; at most {MAX_REASON_CHARS}")]
    ReasonTooLong {
        /// Its length.
        chars: usize,
    },
    /// A reason with a line break or another control character.
    #[error("the reason has a line break or another control character; write it on one line")]
    ReasonControlCharacter,
}

/// Whether a table's copies disagree: the one definition, shared with [`crate::assess`].
pub(crate) fn copies_disagree(copies: &[&ActaCopy], election: &Election) -> bool {
    copies.iter().enumerate().any(|(index, copy)| {
        copies[index + 1..]
            .iter()
            .any(|other| !copy.record.same_result(&other.record, election))
    })
}

/// The copies named by `keep`, when there are some and they agree among themselves.
fn kept<'a>(
    copies: &[&'a ActaCopy],
    keep: EvidenceRef,
    election: &Election,
) -> Option<Vec<&'a ActaCopy>> {
    let named: Vec<&ActaCopy> = copies
        .iter()
        .copied()
        .filter(|copy| copy.provenance.evidence_ref() == keep)
        .collect();
    (!named.is_empty() && !copies_disagree(&named, election)).then_some(named)
}

/// The evidence of the copies that disagree with `kept`, each once, in order.
fn disagreeing(copies: &[&ActaCopy], kept: &ActaCopy, election: &Election) -> Vec<EvidenceRef> {
    let mut out: Vec<EvidenceRef> = copies
        .iter()
        .filter(|copy| !copy.record.same_result(&kept.record, election))
        .map(|copy| copy.provenance.evidence_ref())
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

impl Decision {
    /// Checks and makes a decision on `table`, whose copies are `copies` and whose status now
    /// is `status` (rules 1 to 3 of the module).
    #[expect(
        clippy::too_many_arguments,
        reason = "a decision is these values, each checked here"
    )]
    pub fn new(
        table: TableId,
        copies: &[&ActaCopy],
        status: TableStatus,
        keep: EvidenceRef,
        coordinator: Pseudonym,
        reason: Reason,
        decided_at: Timestamp,
        election: &Election,
    ) -> Result<Self, DecisionError> {
        let digits = election.geography.centre_digits;
        let copies: Vec<&ActaCopy> = copies
            .iter()
            .copied()
            .filter(|copy| copy.record.table == table)
            .collect();
        if !copies_disagree(&copies, election) {
            return Err(DecisionError::NotInConflict {
                table: table.display(digits),
                status: status.as_str(),
            });
        }
        if !copies.iter().any(|c| c.provenance.evidence_ref() == keep) {
            return Err(DecisionError::NotACopyOfTable {
                table: table.display(digits),
                copy: keep.describe(),
            });
        }
        let Some(named) = kept(&copies, keep, election) else {
            return Err(DecisionError::Ambiguous {
                copy: keep.describe(),
            });
        };
        let errors: Vec<&str> = named
            .iter()
            .flat_map(|copy| copy.findings.iter())
            .filter(|finding| finding.is_error())
            .map(|finding| finding.code.code())
            .collect();
        if !errors.is_empty() {
            return Err(DecisionError::KeptCopyHasErrors {
                copy: keep.describe(),
                codes: errors.join(", "),
            });
        }
        let overruled = disagreeing(&copies, named[0], election);
        if overruled.len() > MAX_OVERRULED {
            return Err(DecisionError::TooManyOverruled {
                count: overruled.len(),
            });
        }
        Ok(Self {
            table,
            keep,
            overruled,
            coordinator,
            reason,
            decided_at,
            log_index: None,
        })
    }

    /// The kept copies, when this decision covers the table's copies now (rules 4 and 5): the
    /// kept copy is among them, and every copy that disagrees with it was overruled.
    pub(crate) fn covers<'a>(
        &self,
        copies: &[&'a ActaCopy],
        election: &Election,
    ) -> Option<Vec<&'a ActaCopy>> {
        let named = kept(copies, self.keep, election)?;
        disagreeing(copies, named[0], election)
            .iter()
            .all(|evidence| self.overruled.contains(evidence))
            .then_some(named)
    }
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;

    use super::*;
    use crate::acta::{ActaRecord, Counts, Location, Provenance, SourceKind};
    use crate::election::tests::small_election;
    use crate::status::assess;
    use crate::validate::{Finding, FindingCode};
    use crate::{CentreCode, CopyId, Sha256, TableNumber};

    fn table() -> TableId {
        TableId::new(CentreCode::new(1), TableNumber::new(1))
    }

    /// A copy of the table, from its own file (so its own evidence), with `cells`.
    fn copy(file: u8, cells: [u32; 5]) -> ActaCopy {
        ActaCopy {
            id: CopyId::new(i64::from(file)),
            record: ActaRecord {
                table: table(),
                counts: Counts::Cells(cells.to_vec()),
                null_votes: Some(0),
                stated_valid_votes: None,
                stated_registered: None,
                format_fields: vec![],
                declared_counts: Vec::new(),
            },
            provenance: Provenance {
                source: SourceKind::Qr,
                file_name: format!("{file}.jpg"),
                file_sha256: Sha256::from_bytes([file; 32]),
                location: Location::Page(1),
                received_at: Timestamp::UNIX_EPOCH,
                device: Some(format!("scanner-{file}")),
                volunteer: None,
                published_sha256: None,
                same_image_as: None,
                entered_by: Vec::new(),
            },
            findings: vec![],
            log_index: None,
        }
    }

    fn chief() -> Pseudonym {
        Pseudonym::new("chief").unwrap_or_else(|e| panic!("{e}"))
    }

    fn reason(text: &str) -> Reason {
        Reason::new(text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn decide(copies: &[&ActaCopy], keep: &ActaCopy) -> Result<Decision, DecisionError> {
        let election = small_election();
        let status = assess(copies, &[], &election).status;
        Decision::new(
            table(),
            copies,
            status,
            keep.provenance.evidence_ref(),
            chief(),
            reason("the scan matches the paper"),
            Timestamp::UNIX_EPOCH,
            &election,
        )
    }

    fn assessed(copies: &[&ActaCopy], decisions: &[&Decision]) -> crate::Assessment {
        assess(copies, decisions, &small_election())
    }

    const REAL: [u32; 5] = [1, 2, 3, 4, 5];
    const FORGED: [u32; 5] = [1, 2, 3, 4, 60];

    #[test]
    fn a_decision_keeps_one_copy_and_the_table_counts_it() {
        let real = copy(1, REAL);
        let forged = copy(2, FORGED);
        let copies = [&real, &forged];
        assert_eq!(assessed(&copies, &[]).status, TableStatus::Conflict);
        let decision = decide(&copies, &real).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(decision.overruled, [forged.provenance.evidence_ref()]);
        let assessment = assessed(&copies, &[&decision]);
        assert_eq!(assessment.status, TableStatus::Decided);
        assert!(assessment.status.is_counted());
        assert_eq!(
            assessment.result.map(|r| r.candidate_votes),
            Some(real.record.candidate_votes(&small_election()))
        );
        assert_eq!(assessment.contested_votes, 0);
        assert_eq!(assessment.decision.as_ref(), Some(&decision));
        // The copies are untouched: both are still there, the forged one as it came.
        assert_eq!(copies[1].record.counts, Counts::Cells(FORGED.to_vec()));
    }

    #[test]
    fn the_latest_decision_counts() {
        let real = copy(1, REAL);
        let forged = copy(2, FORGED);
        let copies = [&real, &forged];
        let first = decide(&copies, &forged).unwrap_or_else(|e| panic!("{e}"));
        let second = decide(&copies, &real).unwrap_or_else(|e| panic!("{e}"));
        let votes = |c: &ActaCopy| Some(c.record.candidate_votes(&small_election()));
        let now = assessed(&copies, &[&first, &second]);
        assert_eq!(now.result.map(|r| r.candidate_votes), votes(&real));
        assert_eq!(now.decision.as_ref(), Some(&second));
        let reversed = assessed(&copies, &[&second, &first]);
        assert_eq!(reversed.result.map(|r| r.candidate_votes), votes(&forged));
    }

    #[test]
    fn a_table_not_in_conflict_or_a_copy_of_another_table_is_refused() {
        let real = copy(1, REAL);
        let again = copy(2, REAL);
        assert!(matches!(
            decide(&[&real, &again], &real),
            Err(DecisionError::NotInConflict {
                status: "corroborated",
                ..
            })
        ));
        assert!(matches!(
            decide(&[&real], &real),
            Err(DecisionError::NotInConflict {
                status: "accepted",
                ..
            })
        ));
        let forged = copy(2, FORGED);
        let elsewhere = copy(3, REAL);
        let error = decide(&[&real, &forged], &elsewhere);
        assert!(matches!(error, Err(DecisionError::NotACopyOfTable { .. })));
        assert!(
            error
                .map_or_else(|e| e.to_string(), |_| String::new())
                .contains("is not a copy of table 000000001.01")
        );
        // A copy of another table, passed among the copies, is not one of this table's.
        let mut other_table = copy(3, REAL);
        other_table.record.table = TableId::new(CentreCode::new(1), TableNumber::new(2));
        assert!(matches!(
            decide(&[&real, &forged, &other_table], &other_table),
            Err(DecisionError::NotACopyOfTable { .. })
        ));
    }

    #[test]
    fn a_copy_with_an_error_finding_cannot_be_kept() {
        let real = copy(1, REAL);
        let mut flagged = copy(2, FORGED);
        flagged.findings.push(Finding {
            code: FindingCode::MoreVotesThanRegistered,
            detail: String::new(),
        });
        let error = decide(&[&real, &flagged], &flagged);
        assert!(matches!(
            error,
            Err(DecisionError::KeptCopyHasErrors { .. })
        ));
        assert!(decide(&[&real, &flagged], &real).is_ok());
    }

    #[test]
    fn a_later_copy_that_disagrees_puts_the_table_back_in_conflict() {
        let real = copy(1, REAL);
        let forged = copy(2, FORGED);
        let decision = decide(&[&real, &forged], &real).unwrap_or_else(|e| panic!("{e}"));
        // A later copy with the kept numbers: still decided, now with more evidence.
        let agreeing = copy(3, REAL);
        let with_agreeing = assessed(&[&real, &forged, &agreeing], &[&decision]);
        assert_eq!(with_agreeing.status, TableStatus::Decided);
        assert_eq!(with_agreeing.evidence, 3);
        // A later copy with other numbers: the decision did not overrule it.
        let third = copy(4, [9, 9, 9, 9, 9]);
        let reopened = assessed(&[&real, &forged, &third], &[&decision]);
        assert_eq!(reopened.status, TableStatus::Conflict);
        assert!(!reopened.status.is_counted());
        assert_eq!(reopened.decision.as_ref(), Some(&decision));
        assert!(reopened.contested_votes > 0);
        // A new decision covering the new copy decides it again.
        let anew = decide(&[&real, &forged, &third], &real).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(anew.overruled.len(), 2);
        let decided = assessed(&[&real, &forged, &third], &[&decision, &anew]);
        assert_eq!(decided.status, TableStatus::Decided);
    }

    #[test]
    fn a_decision_naming_no_copy_of_the_table_decides_nothing() {
        let real = copy(1, REAL);
        let forged = copy(2, FORGED);
        let decision = decide(&[&real, &forged], &real).unwrap_or_else(|e| panic!("{e}"));
        let mut elsewhere = decision.clone();
        elsewhere.keep = copy(7, REAL).provenance.evidence_ref();
        // The latest decision that names a copy of the table counts; the stray one is ignored.
        let assessment = assessed(&[&real, &forged], &[&decision, &elsewhere]);
        assert_eq!(assessment.status, TableStatus::Decided);
        assert_eq!(
            assessed(&[&real, &forged], &[&elsewhere]).status,
            TableStatus::Conflict
        );
        let mut other_table = decision;
        other_table.table = TableId::new(CentreCode::new(1), TableNumber::new(2));
        assert_eq!(
            assessed(&[&real, &forged], &[&other_table]).status,
            TableStatus::Conflict
        );
    }

    #[test]
    fn a_reason_is_required_bounded_and_on_one_line() {
        assert_eq!(Reason::new("   "), Err(DecisionError::EmptyReason));
        assert_eq!(Reason::new(""), Err(DecisionError::EmptyReason));
        assert_eq!(
            Reason::new(&"x".repeat(MAX_REASON_CHARS + 1)),
            Err(DecisionError::ReasonTooLong {
                chars: MAX_REASON_CHARS + 1
            })
        );
        assert!(Reason::new(&"é".repeat(MAX_REASON_CHARS)).is_ok());
        assert_eq!(
            Reason::new("one\ntwo"),
            Err(DecisionError::ReasonControlCharacter)
        );
        assert_eq!(
            Reason::new("  kept  ").map(|r| r.to_string()),
            Ok("kept".to_owned())
        );
    }
}
