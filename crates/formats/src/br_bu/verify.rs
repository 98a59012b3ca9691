//! Checking an assembled report: its hash chain, its signature and its totals.

use std::fmt;

use ed25519_dalek::Signature;
use sha2::{Digest as _, Sha512};

use super::{BuPart, BuReport, KeyId, KeyRing};

/// How a finding weighs on the verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The report (or the set of texts) must not be counted as it stands.
    Failure,
    /// Something could not be checked here; neither a failure nor a pass.
    NotCheckable,
    /// Worth a look; the verdict does not change.
    Warning,
}

/// A finding's stable code ([`FindingCode::code`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum FindingCode {
    /// `br-bu.chain-broken`: a part's `HASH` is not the SHA-512 of the data up to it (the part
    /// was altered, or belongs to another report); the parts after it fail with it.
    ChainBroken,
    /// `br-bu.signature-invalid`: `ASSI` does not verify with the key of the report's state
    /// and phase over the last `HASH`.
    SignatureInvalid,
    /// `br-bu.signature-missing`: the last part has no `ASSI`.
    SignatureMissing,
    /// `br-bu.signature-malformed`: `ASSI` is not 64 bytes, as an Ed25519 signature is.
    SignatureMalformed,
    /// `br-bu.header-mismatch`: the parts' `VRQR` or `VRCH` headers disagree.
    HeaderMismatch,
    /// `br-bu.key-unknown`: no key was given for the report's state and phase: the chain was
    /// checked, the signature not (not a failure, not a pass).
    KeyUnknown,
    /// `br-bu.signature-urna-key`: layout 6.x, signed by the urna's own key (Ed521 or ECDSA
    /// P-521, certificate in `QRCE` codes), which veedor does not check (not a failure, not a
    /// pass).
    SignatureByUrnaKey,
    /// `br-bu.layout-unknown`: a `VRQR` version whose signature scheme is not known.
    LayoutUnknown,
    /// `br-bu.totals-inconsistent`: figures that should add up do not (nominal votes and the
    /// candidates', an office's total, a party's total, turnout and absence).
    TotalsInconsistent,
    /// `br-bu.part-missing`: a part of a report is not among the texts given.
    PartMissing,
    /// `br-bu.part-conflict`: two different texts for the same part of a report.
    PartConflict,
    /// `br-bu.parts-mixed`: parts of several incomplete reports that cannot be told apart.
    PartsMixed,
    /// `br-bu.count-mismatch`: parts of one report disagree on how many parts it has.
    CountMismatch,
    /// `br-bu.field-malformed`: the parts are whole, but a data field cannot be read.
    FieldMalformed,
}

impl FindingCode {
    /// The stable code, `br-bu.<name>`.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::ChainBroken => "br-bu.chain-broken",
            Self::SignatureInvalid => "br-bu.signature-invalid",
            Self::SignatureMissing => "br-bu.signature-missing",
            Self::SignatureMalformed => "br-bu.signature-malformed",
            Self::HeaderMismatch => "br-bu.header-mismatch",
            Self::KeyUnknown => "br-bu.key-unknown",
            Self::SignatureByUrnaKey => "br-bu.signature-urna-key",
            Self::LayoutUnknown => "br-bu.layout-unknown",
            Self::TotalsInconsistent => "br-bu.totals-inconsistent",
            Self::PartMissing => "br-bu.part-missing",
            Self::PartConflict => "br-bu.part-conflict",
            Self::PartsMixed => "br-bu.parts-mixed",
            Self::CountMismatch => "br-bu.count-mismatch",
            Self::FieldMalformed => "br-bu.field-malformed",
        }
    }

    /// How it weighs on the verdict.
    #[must_use]
    pub const fn severity(self) -> Severity {
        match self {
            Self::KeyUnknown | Self::SignatureByUrnaKey | Self::LayoutUnknown => {
                Severity::NotCheckable
            }
            Self::TotalsInconsistent => Severity::Warning,
            _ => Severity::Failure,
        }
    }
}

impl fmt::Display for FindingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// What was found, with its code and a sentence for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The stable code.
    pub code: FindingCode,
    /// What and where.
    pub message: String,
}

impl Finding {
    pub(super) fn new(code: FindingCode, message: String) -> Self {
        Self { code, message }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// What a report's checks come to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The chain holds and the signature verifies with the key of the report's state and phase.
    Verified,
    /// The chain is broken or the signature does not verify (or is missing or malformed).
    Failed,
    /// The chain holds, but the signature could not be checked here: no key for the state and
    /// phase, the urna's own key (2026), or an unknown layout. Not a failure, and not a pass.
    NotCheckable,
}

/// The result of [`verify`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct Verification {
    /// The verdict, from the findings' severities.
    pub verdict: Verdict,
    /// Whether every part's `HASH` is the SHA-512 the chain defines.
    pub chain_intact: bool,
    /// `Some(true)` verified, `Some(false)` failed (missing, malformed, invalid), `None` not
    /// checked.
    pub signature_valid: Option<bool>,
    /// Every finding, failures first.
    pub findings: Vec<Finding>,
}

impl Verification {
    /// Whether a finding with this code is among the findings.
    #[must_use]
    pub fn has(&self, code: FindingCode) -> bool {
        self.findings.iter().any(|finding| finding.code == code)
    }
}

/// The first part (0-based) whose `HASH` is not the SHA-512 of the data up to it.
pub(super) fn first_broken_link(parts: &[BuPart]) -> Option<usize> {
    let mut hasher = Sha512::new();
    for (position, part) in parts.iter().enumerate() {
        if position > 0 {
            hasher.update(b" ");
        }
        hasher.update(part.data.as_bytes());
        let digest: [u8; 64] = hasher.clone().finalize().into();
        if digest != part.hash {
            return Some(position);
        }
        hasher.update(b" HASH:");
        hasher.update(part.hash_hex.as_bytes());
    }
    None
}

/// How a layout's reports are signed.
enum Scheme {
    /// 1.x, and the 2016 example without `VRQR`: Ed25519 by the state's and phase's key.
    StateKey,
    /// 6.x: the urna's own key.
    UrnaKey,
    Unknown,
}

fn scheme(layout: Option<&str>) -> Scheme {
    match layout {
        None => Scheme::StateKey,
        Some(version) if version.starts_with("1.") => Scheme::StateKey,
        Some(version) if version.starts_with("6.") => Scheme::UrnaKey,
        Some(_) => Scheme::Unknown,
    }
}

fn check_signature(report: &BuReport, keys: &KeyRing, findings: &mut Vec<Finding>) -> Option<bool> {
    let last = report.parts.last()?;
    let Some(signature) = report.signature() else {
        findings.push(Finding::new(
            FindingCode::SignatureMissing,
            format!(
                "{}: no ASSI: expected the signature on the last part",
                last.number
            ),
        ));
        return Some(false);
    };
    match scheme(report.layout()) {
        Scheme::UrnaKey => {
            findings.push(Finding::new(
                FindingCode::SignatureByUrnaKey,
                format!(
                    "layout VRQR {}: signed by the urna's own key ({}-byte signature; Ed521 or ECDSA P-521, certificate in the QRCE codes), which veedor does not check: the hash chain was checked, the signature was not",
                    report.layout().unwrap_or_default(),
                    signature.len()
                ),
            ));
            return None;
        }
        Scheme::Unknown => {
            findings.push(Finding::new(
                FindingCode::LayoutUnknown,
                format!(
                    "layout VRQR {}: its signature scheme is not known (known: 1.x, Ed25519 by the state's key; 6.x, the urna's key): the signature was not checked",
                    report.layout().unwrap_or_default()
                ),
            ));
            return None;
        }
        Scheme::StateKey => {}
    }
    let Ok(signature) = <[u8; 64]>::try_from(signature) else {
        findings.push(Finding::new(
            FindingCode::SignatureMalformed,
            format!(
                "{}: ASSI is {} bytes: expected 64, an Ed25519 signature",
                last.number,
                signature.len()
            ),
        ));
        return Some(false);
    };
    let id = KeyId {
        uf: report.uf,
        phase: report.phase,
    };
    let version = report.key_version().unwrap_or("(no VRCH)");
    let Some(key) = keys.get(id) else {
        findings.push(Finding::new(
            FindingCode::KeyUnknown,
            format!(
                "no key given for {id} ({}, key version {version}): the hash chain was checked, the signature was not",
                id.file_name()
            ),
        ));
        return None;
    };
    let valid = key
        .0
        .verify_strict(&last.hash, &Signature::from_bytes(&signature))
        .is_ok();
    if !valid {
        findings.push(Finding::new(
            FindingCode::SignatureInvalid,
            format!(
                "ASSI does not verify over the last HASH with the key given for {id} ({}, key version {version}): the report was not signed by that key",
                id.file_name()
            ),
        ));
    }
    Some(valid)
}

fn check_totals(report: &BuReport, findings: &mut Vec<Finding>) {
    let mut problem = |text: String| {
        findings.push(Finding::new(FindingCode::TotalsInconsistent, text));
    };
    if let (Some(electors), Some(turnout), Some(absent)) =
        (report.electors, report.turnout, report.absent)
        && u64::from(turnout) + u64::from(absent) != u64::from(electors)
    {
        problem(format!(
            "COMP {turnout} + FALT {absent} is not APTO {electors}"
        ));
    }
    for election in &report.elections {
        for office in &election.offices {
            let at = format!("election {} office {}", election.id, office.office);
            let nominal: u64 = office
                .all_candidates()
                .map(|candidate| u64::from(candidate.votes))
                .sum();
            if let Some(stated) = office.nominal
                && u64::from(stated) != nominal
            {
                problem(format!(
                    "{at}: NOMI {stated}, but the candidates' votes add up to {nominal}"
                ));
            }
            let lists: u64 = office
                .parties
                .iter()
                .filter_map(|party| party.list_votes)
                .map(u64::from)
                .sum();
            if let Some(stated) = office.list
                && !office.parties.is_empty()
                && u64::from(stated) != lists
            {
                problem(format!(
                    "{at}: LEGC {stated}, but the parties' LEGP add up to {lists}"
                ));
            }
            if let (Some(total), Some(nominal), Some(blank), Some(null)) =
                (office.total, office.nominal, office.blank, office.null)
            {
                let sum = u64::from(nominal)
                    + u64::from(office.list.unwrap_or(0))
                    + u64::from(blank)
                    + u64::from(null);
                if sum != u64::from(total) {
                    problem(format!(
                        "{at}: TOTC {total}, but NOMI + LEGC + BRAN + NULO is {sum}"
                    ));
                }
            }
            for party in &office.parties {
                let sum: u64 = party
                    .candidates
                    .iter()
                    .map(|candidate| u64::from(candidate.votes))
                    .sum::<u64>()
                    + u64::from(party.list_votes.unwrap_or(0));
                if let Some(total) = party.total
                    && u64::from(total) != sum
                {
                    problem(format!(
                        "{at} party {}: TOTP {total}, but its candidates and LEGP add up to {sum}",
                        party.number
                    ));
                }
            }
        }
    }
}

/// Checks a report: the hash chain, the headers' agreement, the signature with the key of its
/// state and phase from `keys`, and its totals. Never fails: what is wrong is a finding.
pub fn verify(report: &BuReport, keys: &KeyRing) -> Verification {
    let mut findings = Vec::new();
    let broken = first_broken_link(&report.parts);
    if let Some(position) = broken {
        let part = report.parts[position].number;
        findings.push(Finding::new(
            FindingCode::ChainBroken,
            format!(
                "{part}: HASH is not the SHA-512 of the data up to it: the part was altered or belongs to another report{}",
                if part.index < part.count {
                    " (the parts after it, which cover it, fail with it)"
                } else {
                    ""
                }
            ),
        ));
    }
    let first = report.parts.first();
    if let Some(other) = report.parts.iter().find(|part| {
        first.is_some_and(|first| {
            part.layout != first.layout || part.key_version != first.key_version
        })
    }) {
        findings.push(Finding::new(
            FindingCode::HeaderMismatch,
            format!(
                "{}: VRQR {:?} VRCH {:?}, but part 1 has VRQR {:?} VRCH {:?}: expected the same headers on every part",
                other.number,
                other.layout,
                other.key_version,
                first.and_then(|part| part.layout.as_ref()),
                first.and_then(|part| part.key_version.as_ref()),
            ),
        ));
    }
    let signature_valid = check_signature(report, keys, &mut findings);
    check_totals(report, &mut findings);
    findings.sort_by_key(|finding| finding.code.severity());
    let verdict = match findings.first().map(|finding| finding.code.severity()) {
        Some(Severity::Failure) => Verdict::Failed,
        Some(Severity::NotCheckable) => Verdict::NotCheckable,
        Some(Severity::Warning) | None => Verdict::Verified,
    };
    Verification {
        verdict,
        chain_intact: broken.is_none(),
        signature_valid,
        findings,
    }
}
