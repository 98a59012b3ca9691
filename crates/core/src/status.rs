//! The status of a table, derived from its copies and the coordinators' decisions. Nothing is
//! ever overwritten: the status is recomputed from every copy and decision there is.
//!
//! ```mermaid
//! stateDiagram-v2
//!     [*] --> Missing
//!     Missing --> Accepted: a copy without errors
//!     Missing --> AwaitingPerson: a copy with an error finding
//!     Accepted --> Accepted: another copy, same numbers, same evidence
//!     Accepted --> Corroborated: another copy, same numbers, independent evidence
//!     Accepted --> Conflict: another copy, different numbers
//!     Corroborated --> Conflict: another copy, different numbers
//!     AwaitingPerson --> Conflict: another copy, different numbers
//!     Conflict --> Decided: a coordinator's decision keeps one copy
//!     Decided --> Decided: another copy with the kept numbers, or a later decision
//!     Decided --> Conflict: another copy that disagrees with the kept one
//! ```
//!
//! Which copies are independent evidence is decided in `evidence.rs` ([`crate::same_evidence`]). A table in conflict
//! is contested: it is not counted (either version may be the forgery), and the tally says how
//! many votes its versions carry ([`Assessment::contested_votes`]), so that a hostile copy
//! cannot take a table out of the count without it showing. A coordinator's decision
//! (`decision.rs`, [`crate::Decision`]) keeps one copy of a table in conflict: the table is then
//! `Decided` and counts that copy's numbers, until a copy arrives that disagrees with them and
//! that the decision did not overrule.
//!
//! A copy whose seal is broken ([`crate::Seal::Broken`]: a sheet the electoral authority signs,
//! whose hash chain or signature fails, F106) is provably not the sheet the authority printed.
//! It is kept and shown, but when the table has other copies it is left out of the table's
//! status: a forger cannot put a table in conflict, and so out of the count, with a sheet whose
//! seal does not hold. A table whose only copies have a broken seal waits for a person. And a
//! copy whose seal verifies is the authority's own sheet: a copy without a seal (typed, from a
//! result file) that disagrees with it is left out too; two verified copies that disagree (two
//! reports of one section) are a conflict for a person.

use crate::Election;
use crate::acta::{ActaCopy, Seal};
use crate::decision::{Decision, copies_disagree};
use crate::evidence::evidence_count;

/// Where a table stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TableStatus {
    /// No copy of its acta yet.
    Missing,
    /// One copy, without error findings: counted.
    Accepted,
    /// Copies with the same numbers from two or more independent origins, without error
    /// findings: counted.
    Corroborated,
    /// Copies with different numbers, and a coordinator's decision, still covering every copy,
    /// that one of them counts: counted, with the kept copy's numbers.
    Decided,
    /// Copies with different numbers: contested, not counted until a coordinator decides.
    Conflict,
    /// Copies that agree but carry an error finding (or a table outside the table list): not
    /// counted until a person looks.
    AwaitingPerson,
}

impl TableStatus {
    /// Every status, in display order.
    pub const ALL: [Self; 6] = [
        Self::Accepted,
        Self::Corroborated,
        Self::Decided,
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
            Self::Decided => "decided",
            Self::Conflict => "conflict",
            Self::AwaitingPerson => "awaiting_person",
        }
    }

    /// Whether the table's result is counted in the tally.
    #[must_use]
    pub const fn is_counted(self) -> bool {
        matches!(self, Self::Accepted | Self::Corroborated | Self::Decided)
    }

    /// Position in [`Self::ALL`].
    #[must_use]
    pub const fn index(self) -> usize {
        match self {
            Self::Accepted => 0,
            Self::Corroborated => 1,
            Self::Decided => 2,
            Self::Conflict => 3,
            Self::AwaitingPerson => 4,
            Self::Missing => 5,
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
    /// How many independent pieces of evidence the copies are (see [`crate::evidence_groups`]).
    pub evidence: usize,
    /// For a table in conflict, the most votes (valid and null) any of its versions carries:
    /// what is at stake until a person decides. 0 otherwise.
    pub contested_votes: u64,
    /// For a table whose copies disagree, the latest decision that keeps one of them: in force
    /// when the status is `Decided` (or `AwaitingPerson`, the kept copy having an error finding
    /// now), no longer covering the copies when it is `Conflict`. `None` otherwise.
    pub decision: Option<Decision>,
}

impl Assessment {
    /// A table without copies.
    #[must_use]
    pub const fn missing() -> Self {
        Self {
            status: TableStatus::Missing,
            result: None,
            evidence: 0,
            contested_votes: 0,
            decision: None,
        }
    }
}

/// Assesses a table from all its copies and the decisions on it, oldest first (decisions on
/// other tables are ignored).
#[must_use]
pub fn assess(copies: &[&ActaCopy], decisions: &[&Decision], election: &Election) -> Assessment {
    let Some(first) = copies.first() else {
        return Assessment::missing();
    };
    if copies
        .iter()
        .any(|copy| matches!(copy.record.seal(), Seal::Broken(_)))
    {
        let sound: Vec<&ActaCopy> = copies
            .iter()
            .copied()
            .filter(|copy| !matches!(copy.record.seal(), Seal::Broken(_)))
            .collect();
        if sound.is_empty() {
            // Only sheets whose seal does not hold: nothing to count, nothing at stake.
            let mut assessment = agreed(&copies[..1], evidence_count(copies), election);
            assessment.status = TableStatus::AwaitingPerson;
            return assessment;
        }
        return assess(&sound, decisions, election);
    }
    // A sheet whose seal verifies is the authority's own: copies without one (typed, published,
    // unsealed) that disagree with it are left out, as broken ones are.
    if let Some(sealed) = copies
        .iter()
        .find(|copy| matches!(copy.record.seal(), Seal::Verified(_)))
    {
        let kept: Vec<&ActaCopy> = copies
            .iter()
            .copied()
            .filter(|copy| {
                matches!(copy.record.seal(), Seal::Verified(_))
                    || copy.record.same_result(&sealed.record, election)
            })
            .collect();
        if kept.len() < copies.len() {
            return assess(&kept, decisions, election);
        }
    }
    let evidence = evidence_count(copies);
    if copies_disagree(copies, election) {
        let table = first.record.table;
        // The latest decision that keeps a copy of this table is the one that counts.
        let latest = decisions.iter().rev().find(|decision| {
            decision.table == table
                && copies
                    .iter()
                    .any(|copy| copy.provenance.evidence_ref() == decision.keep)
        });
        if let Some(decision) = latest
            && let Some(kept) = decision.covers(copies, election)
        {
            let agreeing: Vec<&ActaCopy> = copies
                .iter()
                .copied()
                .filter(|copy| copy.record.same_result(&kept[0].record, election))
                .collect();
            let mut assessment = agreed(&agreeing, evidence, election);
            assessment.decision = Some((*decision).clone());
            if assessment.status != TableStatus::AwaitingPerson {
                assessment.status = TableStatus::Decided;
            }
            return assessment;
        }
        let contested_votes = copies
            .iter()
            .map(|copy| {
                copy.record.candidate_votes(election).iter().sum::<u64>()
                    + u64::from(copy.record.null_votes.unwrap_or(0))
            })
            .max()
            .unwrap_or(0);
        return Assessment {
            status: TableStatus::Conflict,
            result: None,
            evidence,
            contested_votes,
            decision: latest.map(|decision| (*decision).clone()),
        };
    }
    agreed(copies, evidence, election)
}

/// The assessment of copies that agree (at least one), `evidence` pieces of evidence in all.
fn agreed(copies: &[&ActaCopy], evidence: usize, election: &Election) -> Assessment {
    let result = TableResult {
        candidate_votes: copies
            .first()
            .map(|copy| copy.record.candidate_votes(election))
            .unwrap_or_default(),
        null_votes: copies
            .iter()
            .find_map(|copy| copy.record.null_votes)
            .map_or(0, u64::from),
    };
    let status = if copies.iter().any(|copy| copy.needs_person()) {
        TableStatus::AwaitingPerson
    } else if evidence < 2 {
        TableStatus::Accepted
    } else {
        TableStatus::Corroborated
    };
    Assessment {
        status,
        result: Some(result),
        evidence,
        contested_votes: 0,
        decision: None,
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

    fn copy(cells: Vec<u32>, error: bool, device: &str) -> ActaCopy {
        ActaCopy {
            id: CopyId::new(1),
            record: ActaRecord {
                table: TableId::new(CentreCode::new(1), TableNumber::new(1)),
                counts: Counts::Cells(cells),
                null_votes: Some(0),
                stated_valid_votes: None,
                stated_registered: None,
                format_fields: vec![],
                declared_counts: Vec::new(),
            },
            provenance: Provenance {
                source: SourceKind::Qr,
                file_name: "a.jpg".to_owned(),
                file_sha256: Sha256::from_bytes(
                    [device.bytes().fold(0u8, |sum, byte| sum.wrapping_add(byte)); 32],
                ),
                location: Location::Page(1),
                received_at: Timestamp::UNIX_EPOCH,
                device: Some(device.to_owned()),
                volunteer: None,
                published_sha256: None,
                same_image_as: None,
                entered_by: Vec::new(),
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
        assess(&refs, &[], &small_election()).status
    }

    #[test]
    fn status_follows_the_copies() {
        let a = copy(vec![1, 2, 3, 4, 5], false, "scanner-1");
        let a2 = copy(vec![1, 2, 3, 4, 5], false, "scanner-2");
        let b = copy(vec![1, 2, 3, 4, 6], false, "scanner-3");
        let flagged = copy(vec![1, 2, 3, 4, 5], true, "scanner-4");
        assert_eq!(status(&[]), TableStatus::Missing);
        assert_eq!(status(std::slice::from_ref(&a)), TableStatus::Accepted);
        assert_eq!(status(&[a.clone(), a2.clone()]), TableStatus::Corroborated);
        // The same origin twice is one witness: agreeing with itself proves nothing.
        assert_eq!(status(&[a.clone(), a.clone()]), TableStatus::Accepted);
        assert_eq!(status(&[a.clone(), b.clone()]), TableStatus::Conflict);
        assert_eq!(status(&[a.clone(), a2.clone(), b]), TableStatus::Conflict);
        assert_eq!(
            status(std::slice::from_ref(&flagged)),
            TableStatus::AwaitingPerson
        );
        assert_eq!(status(&[a, flagged]), TableStatus::AwaitingPerson);
    }

    #[test]
    fn a_contested_table_says_what_is_at_stake() {
        // 1+2+3+4+5 and 1+2+3+4+60 votes, null 0 each: the larger version is at stake.
        let a = copy(vec![1, 2, 3, 4, 5], false, "scanner-1");
        let forged = copy(vec![1, 2, 3, 4, 60], false, "phone");
        let copies = [&a, &forged];
        let assessment = assess(&copies, &[], &small_election());
        assert_eq!(assessment.status, TableStatus::Conflict);
        assert_eq!(assessment.evidence, 2);
        let election = small_election();
        let votes = |c: &ActaCopy| c.record.candidate_votes(&election).iter().sum::<u64>();
        assert_eq!(assessment.contested_votes, votes(&a).max(votes(&forged)));
        assert!(assessment.contested_votes > votes(&a));
    }

    /// A sealed sheet whose seal is broken does not put a table in conflict: the sound copy
    /// counts, and the broken one alone waits for a person.
    #[test]
    fn a_copy_with_a_broken_seal_cannot_take_a_table_out_of_the_count() {
        let sealed = |cells: Vec<u32>, seal: &str, device: &str| {
            let mut copy = copy(cells, seal.starts_with("broken"), device);
            copy.record
                .format_fields
                .push((crate::SEAL_FIELD.to_owned(), seal.to_owned()));
            copy
        };
        let good = sealed(vec![1, 2, 3, 4, 5], "verified:sacqrcode.pub", "scanner-1");
        let forged = sealed(vec![1, 2, 3, 4, 60], "broken:br-bu.chain-broken", "phone");
        let unchecked = sealed(
            vec![1, 2, 3, 4, 6],
            "unchecked:br-bu.key-unknown",
            "phone-2",
        );
        assert_eq!(
            status(&[good.clone(), forged.clone()]),
            TableStatus::Accepted
        );
        assert_eq!(
            status(std::slice::from_ref(&forged)),
            TableStatus::AwaitingPerson
        );
        // Beside a verified sheet, a copy that is not verified and disagrees is set aside too.
        assert_eq!(
            status(&[good, forged.clone(), unchecked.clone()]),
            TableStatus::Accepted
        );
        // Without a verified sheet, an unchecked one that disagrees with another is a conflict.
        let typed = copy(vec![1, 2, 3, 4, 5], false, "typist");
        assert_eq!(status(&[typed, unchecked]), TableStatus::Conflict);
        // Two broken sheets that disagree: nothing at stake, a person looks.
        let other_forgery = sealed(
            vec![9, 2, 3, 4, 5],
            "broken:br-bu.signature-invalid",
            "phone-3",
        );
        let copies = [&forged, &other_forgery];
        let assessment = assess(&copies, &[], &small_election());
        assert_eq!(assessment.status, TableStatus::AwaitingPerson);
        assert_eq!(assessment.contested_votes, 0);
        assert!(!assessment.status.is_counted());
    }
}
