//! When two copies of an acta are independent evidence, defined here and nowhere else.
//!
//! Copies corroborate each other only when they come from independent origins: another scan of
//! the paper by another device or volunteer, a published file, a manual entry. Two copies are
//! **the same evidence** when any of these holds:
//!
//! 1. they are the same place of the same file (a file is known by its SHA-256, so a file
//!    stored twice is one file; a manual entry of a scanned page and the QR code read from that
//!    page are one page);
//! 2. one was found, when it was received, to carry the same page image as the other
//!    ([`Provenance::same_image_as`]: the same photo re-encoded at another quality, converted to
//!    PNG, stripped of its metadata);
//! 3. they have the same origin: the same way in ([`SourceKind`]), from the same device and the
//!    same volunteer, as their provenance names them (both unnamed counts as the same: one
//!    operator's scanner, one operator's files). One origin repeating a sheet, resaving a file
//!    with other line endings or photographing the same paper twice is one witness. Manual
//!    entries are exempt: two people typed each from its own page, and rule 1 already joins an
//!    entry to its page.
//!
//! The relation is closed transitively: copies fall into groups, and a table's copies that agree
//! corroborate it only when they form two groups or more. What rule 3 cannot catch (two
//! volunteers colluding to send one forged image) is caught by rule 2 when the image is the same,
//! and otherwise left to the people who compare the scans: the published scans and this rule are
//! what they check with.

use crate::acta::{ActaCopy, SourceKind};

/// Whether two copies are the same piece of evidence (see the module's rules).
#[must_use]
pub fn same_evidence(a: &ActaCopy, b: &ActaCopy) -> bool {
    let (pa, pb) = (&a.provenance, &b.provenance);
    if pa.evidence_ref() == pb.evidence_ref() {
        return true;
    }
    if pa.same_image_as == Some(pb.evidence_ref()) || pb.same_image_as == Some(pa.evidence_ref()) {
        return true;
    }
    pa.source == pb.source
        && pa.source != SourceKind::ManualEntry
        && pa.device == pb.device
        && pa.volunteer == pb.volunteer
}

/// The group of each copy, numbered from 0 in order of first appearance: copies in one group
/// are one piece of evidence.
#[must_use]
pub fn evidence_groups(copies: &[&ActaCopy]) -> Vec<usize> {
    // Union-find over the pairs; a table has a handful of copies, so pairs are cheap.
    let mut parent: Vec<usize> = (0..copies.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for i in 0..copies.len() {
        for j in i + 1..copies.len() {
            if same_evidence(copies[i], copies[j]) {
                let (ri, rj) = (root(&mut parent, i), root(&mut parent, j));
                parent[ri.max(rj)] = ri.min(rj);
            }
        }
    }
    let mut numbers: Vec<Option<usize>> = vec![None; copies.len()];
    let mut next = 0;
    (0..copies.len())
        .map(|i| {
            let r = root(&mut parent, i);
            *numbers[r].get_or_insert_with(|| {
                next += 1;
                next - 1
            })
        })
        .collect()
}

/// How many independent pieces of evidence the copies are.
#[must_use]
pub fn evidence_count(copies: &[&ActaCopy]) -> usize {
    evidence_groups(copies)
        .into_iter()
        .max()
        .map_or(0, |m| m + 1)
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;
    use proptest::prelude::*;

    use super::*;
    use crate::acta::{ActaRecord, Counts, EvidenceRef, Location, Provenance};
    use crate::{CentreCode, CopyId, Pseudonym, Sha256, TableId, TableNumber};

    fn copy(source: SourceKind, file: u8, page: u32, device: Option<&str>) -> ActaCopy {
        ActaCopy {
            id: CopyId::new(1),
            record: ActaRecord {
                table: TableId::new(CentreCode::new(1), TableNumber::new(1)),
                counts: Counts::Candidates(vec![1, 2]),
                null_votes: Some(0),
                stated_valid_votes: None,
                stated_registered: None,
                format_fields: vec![],
                declared_counts: Vec::new(),
            },
            provenance: Provenance {
                source,
                file_name: format!("f{file}"),
                file_sha256: Sha256::from_bytes([file; 32]),
                location: Location::Page(page),
                received_at: Timestamp::UNIX_EPOCH,
                device: device.map(str::to_owned),
                volunteer: None,
                published_sha256: None,
                same_image_as: None,
                entered_by: Vec::new(),
            },
            findings: vec![],
            log_index: None,
        }
    }

    #[test]
    fn one_origin_is_one_witness_however_many_files() {
        let a = copy(SourceKind::Qr, 1, 1, None);
        let b = copy(SourceKind::Qr, 2, 1, None);
        assert!(same_evidence(&a, &b));
        assert_eq!(evidence_count(&[&a, &b]), 1);
        let c = copy(SourceKind::Qr, 3, 1, Some("scanner-2"));
        assert_eq!(evidence_count(&[&a, &b, &c]), 2);
        assert_eq!(evidence_groups(&[&a, &c, &b]), [0, 1, 0]);
    }

    #[test]
    fn a_published_file_and_a_scan_are_independent() {
        let scan = copy(SourceKind::Qr, 1, 1, None);
        let row = copy(SourceKind::CsvImport, 2, 1, None);
        assert!(!same_evidence(&scan, &row));
        assert_eq!(evidence_count(&[&scan, &row]), 2);
    }

    #[test]
    fn the_same_image_from_another_device_is_the_same_evidence() {
        let first = copy(SourceKind::Qr, 1, 1, Some("phone-a"));
        let mut again = copy(SourceKind::Qr, 2, 1, Some("phone-b"));
        assert!(!same_evidence(&first, &again));
        again.provenance.same_image_as = Some(EvidenceRef {
            file_sha256: Sha256::from_bytes([1; 32]),
            location: Location::Page(1),
        });
        assert!(same_evidence(&first, &again));
        assert!(same_evidence(&again, &first));
    }

    #[test]
    fn a_manual_entry_of_a_page_is_that_page() {
        let qr = copy(SourceKind::Qr, 1, 2, Some("scanner"));
        let typed = copy(SourceKind::ManualEntry, 1, 2, None);
        assert!(same_evidence(&qr, &typed));
        let other_page = copy(SourceKind::ManualEntry, 1, 3, None);
        let other_file = copy(SourceKind::ManualEntry, 4, 1, None);
        assert!(!same_evidence(&other_page, &other_file));
    }

    #[test]
    fn volunteers_are_origins() {
        let mut a = copy(SourceKind::Qr, 1, 1, None);
        let mut b = copy(SourceKind::Qr, 2, 1, None);
        a.provenance.volunteer = Pseudonym::new("ana").ok();
        b.provenance.volunteer = Pseudonym::new("beto").ok();
        assert!(!same_evidence(&a, &b));
    }

    proptest! {
        /// Groups are an equivalence: copies the rules join share a group, and the numbering
        /// is dense from 0 in order of first appearance.
        #[test]
        fn groups_respect_the_rules(specs in proptest::collection::vec((0u8..3, 0u8..4, 1u32..3, 0u8..3), 0..12)) {
            let kinds = [SourceKind::Qr, SourceKind::CsvImport, SourceKind::ManualEntry];
            let copies: Vec<ActaCopy> = specs
                .iter()
                .map(|&(kind, file, page, device)| {
                    let device = ["a", "b"].get(usize::from(device)).copied();
                    copy(kinds[usize::from(kind)], file, page, device)
                })
                .collect();
            let refs: Vec<&ActaCopy> = copies.iter().collect();
            let groups = evidence_groups(&refs);
            for i in 0..refs.len() {
                for j in 0..refs.len() {
                    if same_evidence(refs[i], refs[j]) {
                        prop_assert_eq!(groups[i], groups[j]);
                    }
                }
            }
            let mut seen = 0;
            for &g in &groups {
                prop_assert!(g <= seen);
                if g == seen { seen += 1; }
            }
            prop_assert_eq!(evidence_count(&refs), seen);
        }
    }
}
