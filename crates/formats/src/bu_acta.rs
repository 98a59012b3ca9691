//! The `br-bu` acta format: a Brazilian boletim de urna, assembled from its QR codes and checked
//! by [`crate::br_bu`], read into an acta record for one office of the election file.
//!
//! The election file says which office is counted and gives the electoral authority's keys:
//!
//! ```toml
//! acta_format = "br-bu"
//!
//! [acta_format_options]
//! office = 11                # CARG: 11 mayor, 1 president, 3 governor...
//! # election = 1101          # IDEL, when the report carries several elections with that office
//! [acta_format_options.keys]
//! "sacqrcode.pub" = "3c8dd291..."   # TSE's key file name = its 32 bytes in hexadecimal
//! ```
//!
//! A table is the report's section (`SECA`) in its state, municipality and zone: the centre code
//! is the state's IBGE number (2 digits, `ZZ` abroad 90), TSE's municipality code (5) and the zone
//! (4), 11 digits; a counting-system report (`SA`) prints no polling place, so the zone is the
//! centre. Candidates are named by their ballot number (`id = "13"`); a party's list votes go to
//! the candidate whose id is the party's number (a report giving list votes to a party the file
//! does not list is refused). The declared counts of the
//! election file's `[sheet]` name the report's fields in `columns` (`BRAN`, `TOTC`, `COMP`...): the
//! office's own first, then the report's.
//!
//! The seal: the report's chain and signature verdict is written in the record's
//! [`veedor_core::SEAL_FIELD`], so validation gives F106 (broken: never counted until a person
//! looks) or W203 (not checkable). When the election file gives any key, a report its keys cannot
//! check (another state or phase, the 2026 layout, an unknown layout) is broken: a forger must
//! not escape the check by claiming one. `pleito`, `round` and `phase`, when given, refuse a
//! genuine report of another election.

use veedor_core::{ActaRecord, CentreCode, Counts, Election, SEAL_FIELD, TableId, TableNumber};

use crate::br_bu::{
    self, Assembled, BuOffice, BuReport, KeyId, KeyRing, Phase, PublicKey, Verdict,
};
use crate::ve2024::PayloadField;
use crate::{FormatError, PayloadError};

/// The centre code's digits: state (2), municipality (5), zone (4).
pub const CENTRE_DIGITS: u8 = 11;

/// The settings of a `br-bu` election, from its `[acta_format_options]`.
#[derive(Clone, Debug)]
pub struct BuSettings {
    /// `CARG`: the office counted.
    pub office: u32,
    /// `IDEL`: the election, when given.
    pub election: Option<u32>,
    /// `PLEI`, `TURN` and `FASE` the reports must carry, when given: a genuine report of
    /// another pleito, round or phase is refused, not counted.
    pub pleito: Option<u32>,
    /// `TURN`.
    pub round: Option<u32>,
    /// `FASE`.
    pub phase: Option<Phase>,
    /// The keys, by state and phase.
    pub keys: KeyRing,
    /// The election's candidates' numbers, in its order (`None`: not a number, which
    /// [`Self::check_election`] refuses).
    pub candidates: Vec<Option<u32>>,
    /// The sheet's declared counts: id and the report fields that carry it.
    pub counts: Vec<(String, Vec<String>)>,
}

fn option_error(key: &str, problem: impl Into<String>) -> FormatError {
    FormatError::Election {
        location: format!("acta_format_options.{key}"),
        problem: problem.into(),
    }
}

impl BuSettings {
    /// Reads the settings of `election` (which must use `br-bu`).
    pub fn of(election: &Election) -> Result<Self, FormatError> {
        let mut office = None;
        let mut chosen = None;
        let (mut pleito, mut round, mut phase) = (None, None, None);
        let mut keys = KeyRing::new();
        for (key, value) in &election.acta_format_options {
            let number = || {
                value
                    .parse::<u32>()
                    .map_err(|_| option_error(key, format!("`{value}`: expected a whole number")))
            };
            if key == "office" {
                office = Some(number()?);
            } else if key == "election" {
                chosen = Some(number()?);
            } else if key == "pleito" {
                pleito = Some(number()?);
            } else if key == "round" {
                round = Some(number()?);
            } else if key == "phase" {
                phase = Some(match value.as_str() {
                    "official" | "O" | "o" => Phase::Official,
                    "simulated" | "S" | "s" => Phase::Simulated,
                    other => {
                        return Err(option_error(
                            key,
                            format!("`{other}`: expected `official` or `simulated`"),
                        ));
                    }
                });
            } else if let Some(file) = key.strip_prefix("keys.") {
                let id = KeyId::from_file_name(file).map_err(|error| {
                    option_error(
                        key,
                        format!("{error}: expected TSE's key file name, such as `sacqrcode.pub`"),
                    )
                })?;
                let public = PublicKey::from_hex(value).map_err(|error| {
                    option_error(
                        key,
                        format!("{error}: expected the key's 32 bytes as 64 hexadecimal digits"),
                    )
                })?;
                if keys.get(id).is_some() {
                    return Err(option_error(
                        key,
                        format!("a second key for {id}: expected one key per state and phase"),
                    ));
                }
                keys.insert(id, public);
            } else {
                return Err(option_error(
                    key,
                    "not a br-bu setting: expected `office`, `election`, `pleito`, `round`, `phase` or `keys.<key file name>`",
                ));
            }
        }
        let office = office.ok_or_else(|| {
            option_error(
                "office",
                "missing: expected the office counted (CARG: 1 president, 3 governor, 11 mayor...)",
            )
        })?;
        Ok(Self {
            office,
            election: chosen,
            pleito,
            round,
            phase,
            keys,
            candidates: election
                .candidates
                .iter()
                .map(|candidate| candidate.id.parse().ok())
                .collect(),
            counts: election
                .sheet
                .counts
                .iter()
                .map(|count| (count.id.clone(), count.columns.clone()))
                .collect(),
        })
    }

    /// Checks that the election fits the format: 11-digit centre codes, candidates named by
    /// number.
    pub fn check_election(election: &Election) -> Result<(), FormatError> {
        Self::of(election)?;
        if election.geography.centre_digits != CENTRE_DIGITS {
            return Err(FormatError::Election {
                location: "geography.centre_digits".to_owned(),
                problem: format!(
                    "br-bu needs {CENTRE_DIGITS}-digit centre codes (state 2, municipality 5, zone 4); the election has {}",
                    election.geography.centre_digits
                ),
            });
        }
        for (index, candidate) in election.candidates.iter().enumerate() {
            if candidate.id.parse::<u32>().is_err() {
                return Err(FormatError::Election {
                    location: format!("candidates[{index}].id"),
                    problem: format!(
                        "`{}`: br-bu names candidates by their ballot number (`13`)",
                        candidate.id
                    ),
                });
            }
        }
        Ok(())
    }
}

/// IBGE's two-digit number of a state (`ZZ`, abroad, is 90).
fn state_number(uf: &str) -> Option<u64> {
    const STATES: [(&str, u64); 28] = [
        ("RO", 11),
        ("AC", 12),
        ("AM", 13),
        ("RR", 14),
        ("PA", 15),
        ("AP", 16),
        ("TO", 17),
        ("MA", 21),
        ("PI", 22),
        ("CE", 23),
        ("RN", 24),
        ("PB", 25),
        ("PE", 26),
        ("AL", 27),
        ("SE", 28),
        ("BA", 29),
        ("MG", 31),
        ("ES", 32),
        ("RJ", 33),
        ("SP", 35),
        ("PR", 41),
        ("SC", 42),
        ("RS", 43),
        ("MS", 50),
        ("MT", 51),
        ("GO", 52),
        ("DF", 53),
        ("ZZ", 90),
    ];
    STATES
        .iter()
        .find(|(name, _)| *name == uf)
        .map(|(_, number)| *number)
}

fn whole(problem: String) -> PayloadError {
    PayloadError {
        field: PayloadField::Whole,
        problem,
    }
}

/// The table a report names.
///
/// # Errors
/// A state that is not Brazil's, a municipality or zone too long, a section beyond 65,535.
pub fn table_of(report: &BuReport) -> Result<TableId, PayloadError> {
    let uf = report.uf.to_upper();
    let state =
        state_number(&uf).ok_or_else(|| whole(format!("UNFE `{uf}`: not a Brazilian state")))?;
    if report.municipality > 99_999 || report.zone > 9_999 {
        return Err(whole(format!(
            "MUNI {} ZONA {}: expected at most 5 and 4 digits",
            report.municipality, report.zone
        )));
    }
    let section = u16::try_from(report.section)
        .ok()
        .filter(|section| *section > 0)
        .ok_or_else(|| {
            whole(format!(
                "SECA {}: expected a section from 1 to 65535",
                report.section
            ))
        })?;
    let centre =
        state * 1_000_000_000 + u64::from(report.municipality) * 10_000 + u64::from(report.zone);
    Ok(TableId::new(
        CentreCode::new(centre),
        TableNumber::new(section),
    ))
}

/// The office counted, from the report: refused when absent, or when several elections of the
/// report carry it and the election file does not say which (`election`).
fn office<'a>(report: &'a BuReport, settings: &BuSettings) -> Result<&'a BuOffice, PayloadError> {
    let mut found = report
        .elections
        .iter()
        .filter(|election| settings.election.is_none_or(|id| id == election.id))
        .flat_map(|election| election.offices.iter())
        .filter(|office| office.office == settings.office);
    let first = found.next().ok_or_else(|| {
        whole(format!(
            "the report carries no office CARG {}{}: expected the office this election counts",
            settings.office,
            settings
                .election
                .map(|id| format!(" in election IDEL {id}"))
                .unwrap_or_default()
        ))
    })?;
    if found.next().is_some() {
        return Err(whole(format!(
            "the report carries office CARG {} more than once: name the election (IDEL) in acta_format_options.election",
            settings.office
        )));
    }
    Ok(first)
}

/// The value of a report field for a declared count: the office's own first, then the report's.
fn field_value(report: &BuReport, office: &BuOffice, key: &str) -> Option<u32> {
    let own = match key {
        "APTA" => office.able,
        "NOMI" => office.nominal,
        "LEGC" => office.list,
        "BRAN" => office.blank,
        "NULO" => office.null,
        "TOTC" => office.total,
        "APTO" => report.electors,
        "COMP" => report.turnout,
        "FALT" => report.absent,
        _ => None,
    };
    own.or_else(|| {
        office
            .other
            .iter()
            .chain(&report.other)
            .find(|(name, _)| name == key)
            .and_then(|(_, value)| value.parse().ok())
    })
}

/// The seal's value for [`SEAL_FIELD`]: the verdict and the key or the first finding's code.
fn seal(report: &BuReport, settings: &BuSettings) -> String {
    let verification = br_bu::verify(report, &settings.keys);
    let first = |severity: br_bu::Severity| {
        verification
            .findings
            .iter()
            .find(|finding| finding.code.severity() == severity)
            .map_or("br-bu", |finding| finding.code.code())
    };
    match verification.verdict {
        Verdict::Verified => format!(
            "verified:{}",
            KeyId {
                uf: report.uf,
                phase: report.phase
            }
            .file_name()
        ),
        Verdict::Failed => format!("broken:{}", first(br_bu::Severity::Failure)),
        // The election's reports are signed with the keys it gives: a report that claims a
        // state, phase or layout none of them checks is what a forger would print to escape
        // the check. Without any key, nothing is checked, and it counts as an unsigned sheet.
        Verdict::NotCheckable if !settings.keys.is_empty() => {
            format!("broken:{}", first(br_bu::Severity::NotCheckable))
        }
        Verdict::NotCheckable => format!("unchecked:{}", first(br_bu::Severity::NotCheckable)),
    }
}

/// Refuses a report of another pleito, round or phase than the election file states.
fn check_belongs(report: &BuReport, settings: &BuSettings) -> Result<(), PayloadError> {
    let mismatch = |field: &str, found: String, expected: String| {
        Err(whole(format!(
            "{field} {found}: this election's reports carry {field} {expected} (acta_format_options)"
        )))
    };
    if let Some(pleito) = settings.pleito.filter(|p| *p != report.pleito) {
        return mismatch("PLEI", report.pleito.to_string(), pleito.to_string());
    }
    if let Some(round) = settings.round.filter(|r| *r != report.round) {
        return mismatch("TURN", report.round.to_string(), round.to_string());
    }
    if let Some(phase) = settings.phase.filter(|p| *p != report.phase) {
        return mismatch("FASE", report.phase.to_string(), phase.to_string());
    }
    Ok(())
}

/// One assembled report as an acta record of `election`.
///
/// # Errors
/// The report does not name a table that fits, carries no office counted, or gives votes to a
/// number that is not among the election's candidates.
pub fn record_of(report: &BuReport, settings: &BuSettings) -> Result<ActaRecord, PayloadError> {
    check_belongs(report, settings)?;
    let table = table_of(report)?;
    let office = office(report, settings)?;
    let mut votes = vec![0u32; settings.candidates.len()];
    let mut give = |number: u32, count: u32, what: &str| -> Result<(), PayloadError> {
        let index = settings
            .candidates
            .iter()
            .position(|candidate| *candidate == Some(number))
            .ok_or_else(|| {
                whole(format!(
                    "CARG {}: {what} {number} is not among the election's candidates",
                    office.office
                ))
            })?;
        votes[index] = votes[index].saturating_add(count);
        Ok(())
    };
    for candidate in office.all_candidates() {
        give(candidate.number, candidate.votes, "candidate")?;
    }
    for party in &office.parties {
        if let Some(list) = party.list_votes.filter(|votes| *votes > 0) {
            give(party.number, list, "party (list votes)")?;
        }
    }
    let stated_valid_votes = match (office.nominal, office.list) {
        (None, None) => None,
        (nominal, list) => Some(nominal.unwrap_or(0).saturating_add(list.unwrap_or(0))),
    };
    let declared_counts = settings
        .counts
        .iter()
        .filter_map(|(id, columns)| {
            columns
                .iter()
                .find_map(|key| field_value(report, office, key))
                .map(|value| (id.clone(), value))
        })
        .collect();
    let mut format_fields = vec![
        (SEAL_FIELD.to_owned(), seal(report, settings)),
        ("origin".to_owned(), report.origin.clone()),
        ("pleito".to_owned(), report.pleito.to_string()),
        ("round".to_owned(), report.round.to_string()),
    ];
    if let Some(urna) = report.urna {
        format_fields.push(("urna".to_owned(), urna.to_string()));
    }
    if let Some(place) = report.polling_place {
        format_fields.push(("polling_place".to_owned(), place.to_string()));
    }
    if let Some(last) = report.parts.last() {
        format_fields.push(("hash".to_owned(), last.hash_hex.clone()));
    }
    Ok(ActaRecord {
        table,
        counts: Counts::Candidates(votes),
        null_votes: office.null,
        stated_valid_votes,
        stated_registered: report.electors.or(office.able),
        format_fields,
        declared_counts,
    })
}

/// What a set of QR texts gives: per report (or per set of texts that make none), the texts'
/// positions (from 1, as given) and the record or why there is none.
pub type ReadReports = Vec<(Vec<usize>, Result<ActaRecord, PayloadError>)>;

/// Reads QR texts (in any order, repeated or not, parts of several reports) into records. A text
/// that is not a well-formed BU part is refused alone. The others are assembled from a pool of at
/// most [`br_bu::MAX_PAYLOADS`] texts filled in order: a report is read as soon as its parts are
/// all in the pool, a part whose report is not yet whole waits there for the texts after it, and
/// when the pool is full of parts that make nothing whole, the oldest half is refused (part
/// missing). So the parts of a report may stand anywhere in a file as long as fewer than 256
/// incomplete parts stand between them.
pub fn read_reports(texts: &[&str], settings: &BuSettings) -> ReadReports {
    let mut out: ReadReports = Vec::new();
    let mut good: Vec<(usize, &str)> = Vec::new();
    for (index, text) in texts.iter().enumerate() {
        match br_bu::BuPart::parse(text) {
            Ok(_) => good.push((index + 1, text)),
            Err(error) => out.push((vec![index + 1], Err(whole(error.to_string())))),
        }
    }
    let mut pool: Vec<(usize, &str)> = Vec::new();
    let mut next = good.into_iter().peekable();
    loop {
        while pool.len() < br_bu::MAX_PAYLOADS {
            match next.next() {
                Some(text) => pool.push(text),
                None => break,
            }
        }
        let last_round = next.peek().is_none();
        let pool_texts: Vec<&str> = pool.iter().map(|(_, text)| *text).collect();
        let position = |within: usize| pool.get(within.wrapping_sub(1)).map_or(0, |(at, _)| *at);
        let assembled = match br_bu::assemble(&pool_texts) {
            Ok(assembled) => assembled,
            Err(error) => {
                out.push((
                    pool.iter().map(|(at, _)| *at).collect(),
                    Err(whole(error.to_string())),
                ));
                pool.clear();
                if last_round {
                    break;
                }
                continue;
            }
        };
        let mut waiting: Vec<usize> = Vec::new();
        for item in assembled {
            match item {
                Assembled::Report(report) => {
                    let positions = report.positions.iter().map(|&p| position(p)).collect();
                    out.push((positions, record_of(&report, settings)));
                }
                Assembled::Refused(refusal)
                    if !last_round && refusal.finding.code == br_bu::FindingCode::PartMissing =>
                {
                    waiting.extend(refusal.positions.iter().copied());
                }
                Assembled::Refused(refusal) => {
                    let positions = refusal.positions.iter().map(|&p| position(p)).collect();
                    out.push((positions, Err(whole(refusal.finding.to_string()))));
                }
            }
        }
        if last_round {
            break;
        }
        waiting.sort_unstable();
        let mut kept: Vec<(usize, &str)> = waiting
            .iter()
            .filter_map(|&within| pool.get(within.wrapping_sub(1)).copied())
            .collect();
        if kept.len() >= br_bu::MAX_PAYLOADS / 2 {
            let refused: Vec<(usize, &str)> = kept.drain(..kept.len() / 2).collect();
            out.push((
                refused.iter().map(|(at, _)| *at).collect(),
                Err(whole(format!(
                    "{}: more than {} parts of incomplete reports stand between them and the rest of their report",
                    br_bu::FindingCode::PartMissing,
                    br_bu::MAX_PAYLOADS / 2
                ))),
            ));
        }
        pool = kept;
    }
    out.sort_by_key(|(positions, _)| positions.iter().copied().min().unwrap_or(0));
    out
}
