//! The report's figures, read from the data of its parts in order.

use std::collections::BTreeSet;
use std::fmt;

use super::{BuError, BuPart, PartNumber, shown};

/// A Brazilian state (unidade federativa) as `UNFE` prints it: two letters, `ZZ` abroad.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Uf([u8; 2]);

impl Uf {
    /// Two ASCII letters, in either case (key file names are lower-case, `UNFE` upper-case).
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text.as_bytes() {
            [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
                Some(Self([a.to_ascii_uppercase(), b.to_ascii_uppercase()]))
            }
            _ => None,
        }
    }

    /// Upper-case, as `UNFE` prints it.
    #[must_use]
    pub fn to_upper(self) -> String {
        self.0.iter().map(|&b| char::from(b)).collect()
    }

    /// Lower-case, as TSE's key file names write it (`oacqrcode.pub`).
    #[must_use]
    pub fn to_lower(self) -> String {
        self.0
            .iter()
            .map(|&b| char::from(b.to_ascii_lowercase()))
            .collect()
    }
}

impl fmt::Display for Uf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_upper())
    }
}

/// `FASE`: which phase of the election the urna was prepared for; each has its own keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// `O`: the official election (key files `o<uf>qrcode.pub`).
    Official,
    /// `S`: a simulation, such as TSE's examples (key files `s<uf>qrcode.pub`).
    Simulated,
    /// Another letter (upper-case), kept as printed.
    Other(char),
}

impl Phase {
    /// One ASCII letter, in either case.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text.as_bytes() {
            [letter] if letter.is_ascii_alphabetic() => Some(match letter.to_ascii_uppercase() {
                b'O' => Self::Official,
                b'S' => Self::Simulated,
                other => Self::Other(char::from(other)),
            }),
            _ => None,
        }
    }

    /// The letter `FASE` prints.
    #[must_use]
    pub const fn letter(self) -> char {
        match self {
            Self::Official => 'O',
            Self::Simulated => 'S',
            Self::Other(letter) => letter,
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Official => f.write_str("official (O)"),
            Self::Simulated => f.write_str("simulated (S)"),
            Self::Other(letter) => write!(f, "{letter}"),
        }
    }
}

/// `TIPO`: how an office is elected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OfficeKind {
    /// `0`: majoritarian; the votes are per candidate number.
    Majoritarian,
    /// `1`: proportional; candidates' votes grouped by party, with list votes.
    Proportional,
    /// `2`: a popular consultation; the votes are per option.
    Consultation,
    /// Another code, kept as printed.
    Other(u32),
}

impl OfficeKind {
    const fn from_code(code: u32) -> Self {
        match code {
            0 => Self::Majoritarian,
            1 => Self::Proportional,
            2 => Self::Consultation,
            other => Self::Other(other),
        }
    }
}

/// A candidate's (or an option's) votes: `<number>:<votes>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// The candidate's number (for a majoritarian office, often the party's).
    pub number: u32,
    /// Votes.
    pub votes: u32,
}

/// A party's block in a proportional office: `PART`, its candidates, `LEGP`, `TOTP`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Party {
    /// `PART`: the party's number.
    pub number: u32,
    /// Its candidates' votes, in printed order.
    pub candidates: Vec<Candidate>,
    /// `LEGP`: votes for the party's list (legenda).
    pub list_votes: Option<u32>,
    /// `TOTP`: the party's total.
    pub total: Option<u32>,
}

/// One office (`CARG`) of an election, with its votes and totals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuOffice {
    /// `CARG`: the office's code (1 president, 3 governor, 5 senator, 6 federal deputy, 7 state
    /// deputy, 11 mayor, 13 councillor...).
    pub office: u32,
    /// `TIPO`.
    pub kind: OfficeKind,
    /// Votes per candidate outside a party block (majoritarian offices, consultations).
    pub candidates: Vec<Candidate>,
    /// Party blocks (proportional offices).
    pub parties: Vec<Party>,
    /// `APTA`: electors able to vote for this office.
    pub able: Option<u32>,
    /// `NOMI`: nominal votes (for candidates).
    pub nominal: Option<u32>,
    /// `LEGC`: list votes (for parties).
    pub list: Option<u32>,
    /// `BRAN`: blank votes.
    pub blank: Option<u32>,
    /// `NULO`: null votes.
    pub null: Option<u32>,
    /// `TOTC`: every vote for the office.
    pub total: Option<u32>,
    /// Every other field (`VERC`, `APTS`, `APTT`, `CSEC`...), verbatim, in order.
    pub other: Vec<(String, String)>,
}

impl BuOffice {
    /// Every candidate's votes, outside and inside party blocks, in printed order.
    pub fn all_candidates(&self) -> impl Iterator<Item = &Candidate> {
        self.candidates.iter().chain(
            self.parties
                .iter()
                .flat_map(|party| party.candidates.iter()),
        )
    }

    /// The votes of candidate `number`, if listed.
    #[must_use]
    pub fn votes_of(&self, number: u32) -> Option<u32> {
        self.all_candidates()
            .find(|candidate| candidate.number == number)
            .map(|candidate| candidate.votes)
    }
}

/// One election (`IDEL`) of the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuElection {
    /// `IDEL`: the election's code.
    pub id: u32,
    /// Fields between `IDEL` and the first `CARG` (`MAJO`, `PROP`...), verbatim.
    pub other: Vec<(String, String)>,
    /// Its offices, in printed order.
    pub offices: Vec<BuOffice>,
}

/// A whole boletim de urna: its parts, as assembled, and the figures they carry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuReport {
    /// The parts, in order (part 1 first).
    pub parts: Vec<BuPart>,
    /// Each part's position among the QR texts given to [`super::assemble`], from 1 (0 when the
    /// report was built from parts directly).
    pub positions: Vec<usize>,
    /// `ORIG`: where the report comes from (`VOTA` the urna at the close of voting, `RED` data
    /// recovered from a failed urna, `SA` the counting system, for a paper count).
    pub origin: String,
    /// `PROC`: the electoral process's code.
    pub process: Option<u32>,
    /// `PLEI`: the pleito's code.
    pub pleito: u32,
    /// `DTPL`: the election's date, `yyyymmdd`, as printed.
    pub election_date: Option<String>,
    /// `TURN`: the round, 1 or 2.
    pub round: u32,
    /// `FASE`.
    pub phase: Phase,
    /// `UNFE`: the state.
    pub uf: Uf,
    /// `MUNI`: TSE's municipality code.
    pub municipality: u32,
    /// `ZONA`: the electoral zone.
    pub zone: u32,
    /// `SECA`: the section (the ballot box's polling station).
    pub section: u32,
    /// `AGRE`: sections aggregated into this one, if any.
    pub aggregated_sections: Vec<u32>,
    /// `IDUE`: the urna's serial number.
    pub urna: Option<u32>,
    /// `LOCA`: the polling place's code.
    pub polling_place: Option<u32>,
    /// `APTO`: electors able to vote.
    pub electors: Option<u32>,
    /// `COMP`: electors who came (comparecimento).
    pub turnout: Option<u32>,
    /// `FALT`: electors who did not come.
    pub absent: Option<u32>,
    /// Every other field before the first election (`ORLC`, `IDCA`, `HICA`, `VERS`, `APTS`,
    /// `APTT`, `HBBM`, `DTAB`, `HRAB`, `JUNT`...), verbatim, in order.
    pub other: Vec<(String, String)>,
    /// The elections, in printed order.
    pub elections: Vec<BuElection>,
}

#[derive(Default)]
struct Head {
    origin: Option<String>,
    process: Option<u32>,
    pleito: Option<u32>,
    election_date: Option<String>,
    round: Option<u32>,
    phase: Option<Phase>,
    uf: Option<Uf>,
    municipality: Option<u32>,
    zone: Option<u32>,
    section: Option<u32>,
    aggregated_sections: Option<Vec<u32>>,
    urna: Option<u32>,
    polling_place: Option<u32>,
    electors: Option<u32>,
    turnout: Option<u32>,
    absent: Option<u32>,
    other: Vec<(String, String)>,
}

fn field_error(part: PartNumber, key: &str, problem: String) -> BuError {
    BuError::Field {
        part,
        field: key.to_owned(),
        problem,
    }
}

fn number(value: &str, key: &str, part: PartNumber) -> Result<u32, BuError> {
    if value.is_empty() || value.len() > 10 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(field_error(
            part,
            key,
            format!("`{}`: expected a whole number (digits 0-9)", shown(value)),
        ));
    }
    value.parse().map_err(|_| {
        field_error(
            part,
            key,
            format!("`{value}` is too large: expected at most {}", u32::MAX),
        )
    })
}

fn once<T>(slot: &mut Option<T>, value: T, key: &str, part: PartNumber) -> Result<(), BuError> {
    if slot.is_some() {
        return Err(field_error(
            part,
            key,
            "appears a second time: expected once in the report (or in its office)".to_owned(),
        ));
    }
    *slot = Some(value);
    Ok(())
}

fn is_number_key(key: &str) -> bool {
    key.bytes().all(|b| b.is_ascii_digit())
}

impl Head {
    fn set(&mut self, key: &str, value: &str, part: PartNumber) -> Result<(), BuError> {
        let num = || number(value, key, part);
        match key {
            "ORIG" => once(&mut self.origin, value.to_owned(), key, part),
            "PROC" => once(&mut self.process, num()?, key, part),
            "PLEI" => once(&mut self.pleito, num()?, key, part),
            "DTPL" => once(&mut self.election_date, value.to_owned(), key, part),
            "TURN" => once(&mut self.round, num()?, key, part),
            "FASE" => {
                let phase = Phase::parse(value).ok_or_else(|| {
                    field_error(
                        part,
                        key,
                        format!("`{}`: expected one letter (O, S)", shown(value)),
                    )
                })?;
                once(&mut self.phase, phase, key, part)
            }
            "UNFE" => {
                let uf = Uf::parse(value).ok_or_else(|| {
                    field_error(
                        part,
                        key,
                        format!("`{}`: expected a state's two letters", shown(value)),
                    )
                })?;
                once(&mut self.uf, uf, key, part)
            }
            "MUNI" => once(&mut self.municipality, num()?, key, part),
            "ZONA" => once(&mut self.zone, num()?, key, part),
            "SECA" => once(&mut self.section, num()?, key, part),
            "AGRE" => {
                let sections = value
                    .split('.')
                    .map(|section| number(section, key, part))
                    .collect::<Result<Vec<u32>, _>>()?;
                once(&mut self.aggregated_sections, sections, key, part)
            }
            "IDUE" => once(&mut self.urna, num()?, key, part),
            "LOCA" => once(&mut self.polling_place, num()?, key, part),
            "APTO" => once(&mut self.electors, num()?, key, part),
            "COMP" => once(&mut self.turnout, num()?, key, part),
            "FALT" => once(&mut self.absent, num()?, key, part),
            _ if is_number_key(key) => Err(field_error(
                part,
                key,
                "votes before any election: expected `IDEL` and `CARG` before a candidate's votes"
                    .to_owned(),
            )),
            _ => {
                self.other.push((key.to_owned(), value.to_owned()));
                Ok(())
            }
        }
    }
}

fn required<T>(slot: Option<T>, key: &str, first: PartNumber) -> Result<T, BuError> {
    slot.ok_or_else(|| {
        field_error(
            first,
            key,
            "missing: expected it among the report's fields, before the first `IDEL`".to_owned(),
        )
    })
}

/// The office being filled, with what is needed to check it as it is read.
struct OpenOffice {
    office: BuOffice,
    kind: Option<OfficeKind>,
    party_open: bool,
    seen: BTreeSet<u32>,
}

impl OpenOffice {
    fn new(code: u32) -> Self {
        Self {
            office: BuOffice {
                office: code,
                kind: OfficeKind::Other(u32::MAX),
                candidates: Vec::new(),
                parties: Vec::new(),
                able: None,
                nominal: None,
                list: None,
                blank: None,
                null: None,
                total: None,
                other: Vec::new(),
            },
            kind: None,
            party_open: false,
            seen: BTreeSet::new(),
        }
    }

    fn set(&mut self, key: &str, value: &str, part: PartNumber) -> Result<(), BuError> {
        let num = || number(value, key, part);
        let office = &mut self.office;
        match key {
            "TIPO" => once(&mut self.kind, OfficeKind::from_code(num()?), key, part),
            "PART" => {
                office.parties.push(Party {
                    number: num()?,
                    candidates: Vec::new(),
                    list_votes: None,
                    total: None,
                });
                self.party_open = true;
                Ok(())
            }
            "LEGP" | "TOTP" => {
                let party = office
                    .parties
                    .last_mut()
                    .filter(|_| self.party_open)
                    .ok_or_else(|| {
                        field_error(
                            part,
                            key,
                            "outside a party block: expected it after `PART`".to_owned(),
                        )
                    })?;
                if key == "LEGP" {
                    once(&mut party.list_votes, num()?, key, part)
                } else {
                    self.party_open = false;
                    once(&mut party.total, num()?, key, part)
                }
            }
            "APTA" | "NOMI" | "LEGC" | "BRAN" | "NULO" | "TOTC" => {
                self.party_open = false;
                let slot = match key {
                    "APTA" => &mut office.able,
                    "NOMI" => &mut office.nominal,
                    "LEGC" => &mut office.list,
                    "BRAN" => &mut office.blank,
                    "NULO" => &mut office.null,
                    _ => &mut office.total,
                };
                once(slot, num()?, key, part)
            }
            _ if is_number_key(key) => {
                let candidate = Candidate {
                    number: number(key, key, part)?,
                    votes: num()?,
                };
                if !self.seen.insert(candidate.number) {
                    return Err(field_error(
                        part,
                        key,
                        format!(
                            "candidate {} appears twice in office {}: expected once",
                            candidate.number, office.office
                        ),
                    ));
                }
                match office.parties.last_mut().filter(|_| self.party_open) {
                    Some(party) => party.candidates.push(candidate),
                    None => office.candidates.push(candidate),
                }
                Ok(())
            }
            _ => {
                office.other.push((key.to_owned(), value.to_owned()));
                Ok(())
            }
        }
    }

    fn close(self, part: PartNumber) -> Result<BuOffice, BuError> {
        let mut office = self.office;
        office.kind = self.kind.ok_or_else(|| {
            field_error(
                part,
                "TIPO",
                format!(
                    "missing in office {}: expected `TIPO` after `CARG`",
                    office.office
                ),
            )
        })?;
        Ok(office)
    }
}

/// What is being read: the report's own fields, an election's, or an office's.
struct Reader {
    head: Head,
    elections: Vec<BuElection>,
    office: Option<(OpenOffice, PartNumber)>,
}

impl Reader {
    fn close_office(&mut self) -> Result<(), BuError> {
        if let Some((office, part)) = self.office.take() {
            let office = office.close(part)?;
            if let Some(election) = self.elections.last_mut() {
                election.offices.push(office);
            }
        }
        Ok(())
    }

    fn field(&mut self, key: &str, value: &str, part: PartNumber) -> Result<(), BuError> {
        match key {
            "IDEL" => {
                self.close_office()?;
                self.elections.push(BuElection {
                    id: number(value, key, part)?,
                    other: Vec::new(),
                    offices: Vec::new(),
                });
                Ok(())
            }
            "CARG" if !self.elections.is_empty() => {
                self.close_office()?;
                self.office = Some((OpenOffice::new(number(value, key, part)?), part));
                Ok(())
            }
            _ => {
                if let Some((office, _)) = &mut self.office {
                    office.set(key, value, part)
                } else if let Some(election) = self.elections.last_mut() {
                    if is_number_key(key) {
                        return Err(field_error(
                            part,
                            key,
                            "votes before any office: expected `CARG` before a candidate's votes"
                                .to_owned(),
                        ));
                    }
                    election.other.push((key.to_owned(), value.to_owned()));
                    Ok(())
                } else {
                    self.head.set(key, value, part)
                }
            }
        }
    }
}

impl BuReport {
    /// Reads the figures of a report from its parts, which must be parts 1 to n in order.
    pub fn from_parts(parts: Vec<BuPart>) -> Result<Self, BuError> {
        let count = parts.len();
        let first = PartNumber { index: 1, count };
        for (index, part) in parts.iter().enumerate() {
            let expected = PartNumber {
                index: index + 1,
                count,
            };
            if part.number != expected {
                return Err(field_error(
                    part.number,
                    "QRBU",
                    format!("in position {}: expected {expected}", index + 1),
                ));
            }
        }
        if count == 0 {
            return Err(field_error(
                first,
                "QRBU",
                "no parts: expected at least one".to_owned(),
            ));
        }
        let mut reader = Reader {
            head: Head::default(),
            elections: Vec::new(),
            office: None,
        };
        for part in &parts {
            for token in part.data.split(' ') {
                let Some((key, value)) = token.split_once(':') else {
                    return Err(field_error(
                        part.number,
                        &shown(token),
                        "expected `KEY:VALUE`".to_owned(),
                    ));
                };
                reader.field(key, value, part.number)?;
            }
        }
        reader.close_office()?;
        let head = reader.head;
        Ok(Self {
            positions: vec![0; count],
            origin: required(head.origin, "ORIG", first)?,
            process: head.process,
            pleito: required(head.pleito, "PLEI", first)?,
            election_date: head.election_date,
            round: required(head.round, "TURN", first)?,
            phase: required(head.phase, "FASE", first)?,
            uf: required(head.uf, "UNFE", first)?,
            municipality: required(head.municipality, "MUNI", first)?,
            zone: required(head.zone, "ZONA", first)?,
            section: required(head.section, "SECA", first)?,
            aggregated_sections: head.aggregated_sections.unwrap_or_default(),
            urna: head.urna,
            polling_place: head.polling_place,
            electors: head.electors,
            turnout: head.turnout,
            absent: head.absent,
            other: head.other,
            elections: reader.elections,
            parts,
        })
    }

    /// `VRQR` of part 1's header: the QR layout's version (`None` on the 2016 example).
    #[must_use]
    pub fn layout(&self) -> Option<&str> {
        self.parts.first().and_then(|part| part.layout.as_deref())
    }

    /// `VRCH` of part 1's header: the version of the key set that signed it.
    #[must_use]
    pub fn key_version(&self) -> Option<&str> {
        self.parts
            .first()
            .and_then(|part| part.key_version.as_deref())
    }

    /// The first value of a report-level field kept verbatim ([`BuReport::other`]).
    #[must_use]
    pub fn field(&self, key: &str) -> Option<&str> {
        self.other
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.as_str())
    }

    /// The office with code `office` in the election with id `election`.
    #[must_use]
    pub fn office(&self, election: u32, office: u32) -> Option<&BuOffice> {
        self.elections
            .iter()
            .filter(|candidate| candidate.id == election)
            .flat_map(|election| election.offices.iter())
            .find(|candidate| candidate.office == office)
    }

    /// Every office of every election, in printed order.
    pub fn offices(&self) -> impl Iterator<Item = &BuOffice> {
        self.elections
            .iter()
            .flat_map(|election| election.offices.iter())
    }

    /// The signature (`ASSI` of the last part), if any.
    #[must_use]
    pub fn signature(&self) -> Option<&[u8]> {
        self.parts.last().and_then(|part| part.signature.as_deref())
    }
}
