//! The tally sheet's model, declared by the election file: the counts a sheet carries beside
//! the candidates' votes (ballots received, cast, spoiled, blank...) and the consistency rules
//! between them, each with a stable finding code. Validation checks every rule on every copy.
//!
//! A rule is `sum relation sum`, each sum a list of terms naming a count:
//!
//! | name | the count |
//! |---|---|
//! | `votes` | the candidates' votes, summed |
//! | `votes.<candidate id>` | one candidate's votes |
//! | `null` | the null votes the source gives |
//! | `valid` | the valid votes the sheet states |
//! | `registered` | the table's registered voters (the table list's, else what the source states) |
//! | `stated_registered` | the registered voters the source states |
//! | a declared count's id | that count |
//!
//! A rule is checked only when every count it names is given, except a term marked "zero when
//! absent" (written `null?` in the election file), which then counts as 0. A sheet model that
//! declares no rule has [`SheetModel::standard`]'s two, which are the rules veedor checked before
//! rules were declared (F103 and F102, with the same sentences).

use crate::Election;
use crate::acta::ActaRecord;
use crate::election::{Candidate, LocalText};
use crate::validate::{Finding, FindingCode};
use crate::{CoreError, PollingTable};

/// A count a sheet carries beside the candidates' votes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountField {
    /// Stable id, used in rules, exports and the log (`blank`, `ballots_received`): lower-case
    /// letters, digits and `_`.
    pub id: String,
    /// Its name per language, for pages.
    pub name: LocalText,
    /// Header names under which result files carry it (its id is always one).
    pub columns: Vec<String>,
}

impl CountField {
    /// Its name in `language` (else in English, else any), or its id when it has no name.
    #[must_use]
    pub fn label(&self, language: &str) -> &str {
        let name = self.name.get(language);
        if name.trim().is_empty() {
            &self.id
        } else {
            name
        }
    }
}

/// What a term of a rule names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operand {
    /// The candidates' votes, summed.
    Votes,
    /// One candidate's votes: its index in [`Election::candidates`].
    Candidate(usize),
    /// The null votes.
    Null,
    /// The valid votes the sheet states.
    Valid,
    /// The table's registered voters: the table list's, else the source's.
    Registered,
    /// The registered voters the source states.
    StatedRegistered,
    /// A declared count: its index in [`SheetModel::counts`].
    Count(usize),
}

/// One term of a rule's sum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Term {
    /// The count.
    pub operand: Operand,
    /// Whether an absent count counts as 0 (else the rule is not checked).
    pub zero_when_absent: bool,
}

/// How a rule's two sums must relate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relation {
    /// `=`
    Equal,
    /// `<=`
    AtMost,
    /// `>=`
    AtLeast,
}

impl Relation {
    /// `=`, `<=` or `>=`.
    #[must_use]
    pub const fn symbol(self) -> &'static str {
        match self {
            Self::Equal => "=",
            Self::AtMost => "<=",
            Self::AtLeast => ">=",
        }
    }

    fn holds(self, left: u64, right: u64) -> bool {
        match self {
            Self::Equal => left == right,
            Self::AtMost => left <= right,
            Self::AtLeast => left >= right,
        }
    }
}

/// A consistency rule of the sheet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// The finding a copy that breaks it gets.
    pub code: FindingCode,
    /// The rule as written in the election file (`votes + null? <= registered`).
    pub text: String,
    /// The left sum.
    pub left: Vec<Term>,
    /// The relation.
    pub relation: Relation,
    /// The right sum.
    pub right: Vec<Term>,
    /// The finding's sentence: `{left}` and `{right}` are the sums, `{<name>}` any count
    /// (`-` when absent). `None`: a sentence made from the rule.
    pub message: Option<String>,
}

/// Where published result files carry the sheet's table and counts: header names, beside the
/// ones veedor knows (the 2024 Venezuelan file's and its own). A candidate's columns are in
/// [`Candidate::columns`], a declared count's in [`CountField::columns`], an area name's in
/// [`crate::Level::name_columns`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResultColumns {
    /// The centre code's column.
    pub centre: Vec<String>,
    /// Or the centre code made of several columns, each zero-padded to its digits, in order
    /// (a state's number, then a district's...): (header name, digits).
    pub centre_parts: Vec<(String, u8)>,
    /// The table number's column.
    pub table: Vec<String>,
    /// The registered voters' column.
    pub registered: Vec<String>,
    /// The stated valid votes' column.
    pub valid: Vec<String>,
    /// The null votes' column.
    pub null: Vec<String>,
}

/// The sheet: its declared counts and its rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SheetModel {
    /// The counts beside the candidates' votes, in the order exports show them.
    pub counts: Vec<CountField>,
    /// The rules, in the order they are checked.
    pub rules: Vec<Rule>,
    /// Where result files carry the table and the counts.
    pub columns: ResultColumns,
}

impl Default for SheetModel {
    fn default() -> Self {
        Self::standard()
    }
}

/// The values a rule reads, for one copy at one place.
struct Values<'a> {
    record: &'a ActaRecord,
    votes: &'a [u64],
    table: Option<&'a PollingTable>,
    model: &'a SheetModel,
}

impl Values<'_> {
    fn get(&self, operand: Operand) -> Option<u64> {
        match operand {
            Operand::Votes => Some(self.votes.iter().sum()),
            Operand::Candidate(index) => self.votes.get(index).copied(),
            Operand::Null => self.record.null_votes.map(u64::from),
            Operand::Valid => self.record.stated_valid_votes.map(u64::from),
            Operand::Registered => self
                .table
                .and_then(|t| t.registered)
                .or(self.record.stated_registered)
                .map(u64::from),
            Operand::StatedRegistered => self.record.stated_registered.map(u64::from),
            Operand::Count(index) => {
                let id = &self.model.counts.get(index)?.id;
                self.record.declared_count(id).map(u64::from)
            }
        }
    }

    fn sum(&self, terms: &[Term]) -> Option<u64> {
        terms.iter().try_fold(0u64, |total, term| {
            let value = match self.get(term.operand) {
                Some(value) => value,
                None if term.zero_when_absent => 0,
                None => return None,
            };
            Some(total.saturating_add(value))
        })
    }
}

impl SheetModel {
    /// The model of a sheet that declares nothing: no counts beside the votes, and the two rules
    /// veedor has always checked, F103 (`valid = votes`) and F102 (`votes + null? <=
    /// registered`), with their sentences.
    #[must_use]
    pub fn standard() -> Self {
        let term = |operand, zero_when_absent| Term {
            operand,
            zero_when_absent,
        };
        Self {
            counts: Vec::new(),
            columns: ResultColumns::default(),
            rules: vec![
                Rule {
                    code: FindingCode::ValidVotesMismatch,
                    text: "valid = votes".to_owned(),
                    left: vec![term(Operand::Valid, false)],
                    relation: Relation::Equal,
                    right: vec![term(Operand::Votes, false)],
                    message: Some(
                        "the candidates' votes add up to {votes}, the acta states {valid} valid \
                         votes"
                            .to_owned(),
                    ),
                },
                Rule {
                    code: FindingCode::MoreVotesThanRegistered,
                    text: "votes + null? <= registered".to_owned(),
                    left: vec![term(Operand::Votes, false), term(Operand::Null, true)],
                    relation: Relation::AtMost,
                    right: vec![term(Operand::Registered, false)],
                    message: Some(
                        "{left} votes ({votes} valid, {null} null) but {right} registered voters"
                            .to_owned(),
                    ),
                },
            ],
        }
    }

    /// The index of a declared count.
    #[must_use]
    pub fn count_index(&self, id: &str) -> Option<usize> {
        self.counts.iter().position(|count| count.id == id)
    }

    /// Checks a model against its election: count ids well formed and unique and not one of
    /// the built-in names, every candidate and count a rule names known, codes unique.
    pub fn check(&self, election: &Election) -> Result<(), CoreError> {
        let fail = |reason: String| Err(CoreError::InvalidElection { reason });
        for (index, count) in self.counts.iter().enumerate() {
            if !is_count_id(&count.id) {
                return fail(format!(
                    "sheet count `{}`: expected an id of 1 to 40 lower-case letters, digits or \
                     `_`, starting with a letter",
                    count.id
                ));
            }
            if BUILT_IN.contains(&count.id.as_str()) {
                return fail(format!(
                    "sheet count `{}`: the name is built in ({}); choose another",
                    count.id,
                    BUILT_IN.join(", ")
                ));
            }
            if self.counts[..index].iter().any(|c| c.id == count.id) {
                return fail(format!("sheet count `{}` appears twice", count.id));
            }
        }
        for (index, rule) in self.rules.iter().enumerate() {
            if self.rules[..index].iter().any(|r| r.code == rule.code) {
                return fail(format!(
                    "sheet rule {}: code {} appears twice",
                    index + 1,
                    rule.code.code()
                ));
            }
            for term in rule.left.iter().chain(&rule.right) {
                let known = match term.operand {
                    Operand::Candidate(index) => index < election.candidates.len(),
                    Operand::Count(index) => index < self.counts.len(),
                    _ => true,
                };
                if !known {
                    return fail(format!(
                        "sheet rule {} (`{}`) names an unknown count",
                        index + 1,
                        rule.text
                    ));
                }
            }
        }
        let digits: u32 = self
            .columns
            .centre_parts
            .iter()
            .map(|(_, d)| u32::from(*d))
            .sum();
        if !self.columns.centre_parts.is_empty()
            && digits != u32::from(election.geography.centre_digits)
        {
            return fail(format!(
                "sheet.columns.centre_parts: their digits add up to {digits}, but centre codes \
                 have {}",
                election.geography.centre_digits
            ));
        }
        Ok(())
    }

    /// The findings of every rule a record breaks, in the order of the rules.
    #[must_use]
    pub fn check_record(
        &self,
        record: &ActaRecord,
        votes: &[u64],
        table: Option<&PollingTable>,
        election: &Election,
    ) -> Vec<Finding> {
        let values = Values {
            record,
            votes,
            table,
            model: self,
        };
        let mut findings = Vec::new();
        for rule in &self.rules {
            let (Some(left), Some(right)) = (values.sum(&rule.left), values.sum(&rule.right))
            else {
                continue;
            };
            if rule.relation.holds(left, right) {
                continue;
            }
            let detail = match &rule.message {
                Some(template) => fill(template, left, right, rule, &values, election),
                None => format!(
                    "{} is {left} and {} is {right}: expected {}",
                    side(&rule.left, self, election),
                    side(&rule.right, self, election),
                    rule.text
                ),
            };
            findings.push(Finding {
                code: rule.code,
                detail,
            });
        }
        findings
    }

    /// The name a rule's term is written with.
    #[must_use]
    pub fn operand_name(&self, operand: Operand, election: &Election) -> String {
        match operand {
            Operand::Votes => "votes".to_owned(),
            Operand::Candidate(index) => election
                .candidates
                .get(index)
                .map_or_else(|| "votes.?".to_owned(), |c| format!("votes.{}", c.id)),
            Operand::Null => "null".to_owned(),
            Operand::Valid => "valid".to_owned(),
            Operand::Registered => "registered".to_owned(),
            Operand::StatedRegistered => "stated_registered".to_owned(),
            Operand::Count(index) => self
                .counts
                .get(index)
                .map_or_else(|| "?".to_owned(), |c| c.id.clone()),
        }
    }

    /// Reads a count's name as a rule writes it: a built-in name, `votes.<candidate id>`, or a
    /// declared count's id.
    #[must_use]
    pub fn operand(&self, name: &str, candidates: &[Candidate]) -> Option<Operand> {
        Some(match name {
            "votes" => Operand::Votes,
            "null" => Operand::Null,
            "valid" => Operand::Valid,
            "registered" => Operand::Registered,
            "stated_registered" => Operand::StatedRegistered,
            _ => match name.strip_prefix("votes.") {
                Some(id) => Operand::Candidate(candidates.iter().position(|c| c.id == id)?),
                None => Operand::Count(self.count_index(name)?),
            },
        })
    }
}

/// The names a declared count may not take.
pub const BUILT_IN: [&str; 5] = ["votes", "null", "valid", "registered", "stated_registered"];

fn is_count_id(id: &str) -> bool {
    id.len() <= 40
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn side(terms: &[Term], model: &SheetModel, election: &Election) -> String {
    terms
        .iter()
        .map(|term| model.operand_name(term.operand, election))
        .collect::<Vec<_>>()
        .join(" + ")
}

/// A rule's sentence with its placeholders filled: `{left}`, `{right}`, and a count's name,
/// which a term marked zero-when-absent in this rule shows as 0 when absent, else as `-`.
fn fill(
    template: &str,
    left: u64,
    right: u64,
    rule: &Rule,
    values: &Values<'_>,
    election: &Election,
) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            rest = "";
            break;
        };
        let name = &after[..close];
        let value = match name {
            "left" => Some(left.to_string()),
            "right" => Some(right.to_string()),
            _ => values
                .model
                .operand(name, &election.candidates)
                .map(|operand| {
                    let zero = rule
                        .left
                        .iter()
                        .chain(&rule.right)
                        .any(|t| t.operand == operand && t.zero_when_absent);
                    values.get(operand).map_or_else(
                        || if zero { "0".to_owned() } else { "-".to_owned() },
                        |v| v.to_string(),
                    )
                }),
        };
        match value {
            Some(value) => out.push_str(&value),
            None => out.push_str(&rest[open..=open + 1 + close]),
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::acta::Counts;
    use crate::election::tests::small_election;
    use crate::{CentreCode, DeclaredCode, TableId, TableNumber};

    /// A sheet with ballots received and blank votes, and three rules.
    fn declared() -> Election {
        let mut election = small_election();
        let term = |operand, zero_when_absent| Term {
            operand,
            zero_when_absent,
        };
        let code = |error, number| {
            FindingCode::Declared(DeclaredCode::new(error, number).unwrap_or_else(|| panic!()))
        };
        election.sheet = SheetModel {
            counts: ["received", "blank"]
                .map(|id| CountField {
                    id: id.to_owned(),
                    name: LocalText::default(),
                    columns: vec![],
                })
                .to_vec(),
            rules: vec![
                Rule {
                    code: code(true, 301),
                    text: "votes + blank + null? <= received".to_owned(),
                    left: vec![
                        term(Operand::Votes, false),
                        term(Operand::Count(1), false),
                        term(Operand::Null, true),
                    ],
                    relation: Relation::AtMost,
                    right: vec![term(Operand::Count(0), false)],
                    message: None,
                },
                Rule {
                    code: code(false, 302),
                    text: "votes.B >= blank".to_owned(),
                    left: vec![term(Operand::Candidate(1), false)],
                    relation: Relation::AtLeast,
                    right: vec![term(Operand::Count(1), false)],
                    message: Some("B has {votes.B}, blank {blank}; {received} received".to_owned()),
                },
            ],
            columns: ResultColumns::default(),
        };
        election
            .sheet
            .check(&election)
            .unwrap_or_else(|e| panic!("{e}"));
        election
    }

    fn record(counts: &[(&str, u32)], null: Option<u32>) -> ActaRecord {
        ActaRecord {
            table: TableId::new(CentreCode::new(201_301_006), TableNumber::new(1)),
            counts: Counts::Candidates(vec![10, 3, 5]),
            null_votes: null,
            stated_valid_votes: None,
            stated_registered: None,
            format_fields: vec![],
            declared_counts: counts
                .iter()
                .map(|(id, v)| ((*id).to_owned(), *v))
                .collect(),
        }
    }

    fn check(election: &Election, record: &ActaRecord) -> Vec<(String, String)> {
        let votes = record.candidate_votes(election);
        election
            .sheet
            .check_record(record, &votes, None, election)
            .into_iter()
            .map(|f| (f.code.code().to_owned(), f.detail))
            .collect()
    }

    #[test]
    fn declared_rules_find_what_breaks_them_with_their_codes() {
        let election = declared();
        // 18 votes + 2 blank + 1 null = 21 <= 21 received; B's 3 >= 2 blank.
        assert!(
            check(
                &election,
                &record(&[("received", 21), ("blank", 2)], Some(1))
            )
            .is_empty()
        );
        assert_eq!(
            check(&election, &record(&[("received", 20), ("blank", 2)], Some(1))),
            [(
                "F301".to_owned(),
                "votes + blank + null is 21 and received is 20: expected votes + blank + null? <= received"
                    .to_owned()
            )]
        );
        // Null absent counts as 0 where the rule says so.
        assert!(check(&election, &record(&[("received", 20), ("blank", 2)], None)).is_empty());
        // A rule naming an absent count is not checked; the sentence shows an absent count as -.
        assert_eq!(
            check(&election, &record(&[("blank", 4)], None)),
            [("W302".to_owned(), "B has 3, blank 4; - received".to_owned())]
        );
        assert!(check(&election, &record(&[], None)).is_empty());
    }

    #[test]
    fn the_standard_rules_are_the_old_ones() {
        let election = small_election();
        let mut stated = record(&[], Some(2));
        stated.stated_valid_votes = Some(17);
        stated.stated_registered = Some(19);
        assert_eq!(
            check(&election, &stated),
            [
                (
                    "F103".to_owned(),
                    "the candidates' votes add up to 18, the acta states 17 valid votes".to_owned()
                ),
                (
                    "F102".to_owned(),
                    "20 votes (18 valid, 2 null) but 19 registered voters".to_owned()
                ),
            ]
        );
        stated.null_votes = None;
        stated.stated_registered = Some(17);
        assert_eq!(
            check(&election, &stated)[1].1,
            "18 votes (18 valid, 0 null) but 17 registered voters"
        );
    }

    #[test]
    fn a_model_that_contradicts_its_election_is_refused() {
        let election = declared();
        let mut twice = election.sheet.clone();
        twice.counts.push(twice.counts[0].clone());
        assert!(twice.check(&election).is_err());
        let mut built_in = election.sheet.clone();
        built_in.counts[0].id = "votes".to_owned();
        assert!(built_in.check(&election).is_err());
        let mut same_code = election.sheet.clone();
        same_code.rules.push(same_code.rules[0].clone());
        assert!(same_code.check(&election).is_err());
        let mut unknown = election.sheet.clone();
        unknown.rules[0].right[0].operand = Operand::Count(9);
        assert!(unknown.check(&election).is_err());
        let mut parts = election.sheet.clone();
        parts.columns.centre_parts = vec![("A".to_owned(), 2), ("B".to_owned(), 4)];
        assert!(parts.check(&election).is_err());
    }
}
