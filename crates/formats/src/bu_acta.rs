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
//! a candidate whose id is the party's number, when the file has one. The declared counts of the
//! election file's `[sheet]` name the report's fields in `columns` (`BRAN`, `TOTC`, `COMP`...): the
//! office's own first, then the report's.
//!
//! The seal: the report's chain and signature verdict is written in the record's
//! [`veedor_core::SEAL_FIELD`], so validation gives F106 (broken: never counted until a person
//! looks) or W203 (not checkable: no key for its state and phase, or the urna's own key).

use veedor_core::{ActaRecord, CentreCode, Counts, Election, SEAL_FIELD, TableId, TableNumber};

use crate::br_bu::{self, Assembled, BuOffice, BuReport, KeyId, KeyRing, PublicKey, Verdict};
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
                keys.insert(id, public);
            } else {
                return Err(option_error(
                    key,
                    "not a br-bu setting: expected `office`, `election` or `keys.<key file name>`",
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

/// The office counted, from the report.
fn office<'a>(report: &'a BuReport, settings: &BuSettings) -> Result<&'a BuOffice, PayloadError> {
    report
        .elections
        .iter()
        .filter(|election| settings.election.is_none_or(|id| id == election.id))
        .flat_map(|election| election.offices.iter())
        .find(|office| office.office == settings.office)
        .ok_or_else(|| {
            whole(format!(
                "the report carries no office CARG {}{}: expected the office this election counts",
                settings.office,
                settings
                    .election
                    .map(|id| format!(" in election IDEL {id}"))
                    .unwrap_or_default()
            ))
        })
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
        Verdict::NotCheckable => format!("unchecked:{}", first(br_bu::Severity::NotCheckable)),
    }
}

/// One assembled report as an acta record of `election`.
///
/// # Errors
/// The report does not name a table that fits, carries no office counted, or gives votes to a
/// number that is not among the election's candidates.
pub fn record_of(report: &BuReport, settings: &BuSettings) -> Result<ActaRecord, PayloadError> {
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

/// Reads QR texts (in any order, repeated or not, parts of several reports) into records of
/// `election`. A text that is not a well-formed BU part is refused alone; the others are
/// assembled in groups of at most [`br_bu::MAX_PAYLOADS`] consecutive texts, so the parts of a
/// report longer than one code must stand within that many texts of each other.
pub fn read_reports(texts: &[&str], settings: &BuSettings) -> ReadReports {
    let mut out: ReadReports = Vec::new();
    let mut good: Vec<(usize, &str)> = Vec::new();
    for (index, text) in texts.iter().enumerate() {
        match br_bu::BuPart::parse(text) {
            Ok(_) => good.push((index + 1, text)),
            Err(error) => out.push((vec![index + 1], Err(whole(error.to_string())))),
        }
    }
    for chunk in good.chunks(br_bu::MAX_PAYLOADS) {
        let chunk_texts: Vec<&str> = chunk.iter().map(|(_, text)| *text).collect();
        let position = |within: usize| chunk.get(within.wrapping_sub(1)).map_or(0, |(at, _)| *at);
        match br_bu::assemble(&chunk_texts) {
            Ok(found) => {
                for assembled in found {
                    match assembled {
                        Assembled::Report(report) => {
                            let positions = report.positions.iter().map(|&p| position(p)).collect();
                            out.push((positions, record_of(&report, settings)));
                        }
                        Assembled::Refused(refusal) => {
                            let positions =
                                refusal.positions.iter().map(|&p| position(p)).collect();
                            out.push((positions, Err(whole(refusal.finding.to_string()))));
                        }
                    }
                }
            }
            Err(error) => out.push((
                chunk.iter().map(|(at, _)| *at).collect(),
                Err(whole(error.to_string())),
            )),
        }
    }
    out.sort_by_key(|(positions, _)| positions.iter().copied().min().unwrap_or(0));
    out
}
