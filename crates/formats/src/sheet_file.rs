//! The election file's `[sheet]` section: the counts the tally sheet carries beside the
//! candidates' votes, its consistency rules, and the header names under which result files carry
//! them (documented in `docs/election-format.md`).
//!
//! ```toml
//! [[sheet.counts]]
//! id = "blank"
//! name = { es = "Votos en blanco", en = "Blank votes" }
//! columns = ["EN_BLANCO"]
//!
//! [[sheet.rules]]
//! code = "F301"
//! check = "ballots_cast = votes + blank + null"
//!
//! [sheet.columns]
//! table = ["CASILLA"]
//! centre_parts = [{ column = "ESTADO", digits = 2 }, { column = "SECCION", digits = 4 }]
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;
use veedor_core::{
    Candidate, CountField, DeclaredCode, FindingCode, LocalText, Relation, ResultColumns, Rule,
    SheetModel, Term,
};

use crate::FormatError;

/// The most counts a sheet may declare, and the most rules: more would be a mistake, and every
/// count goes into each copy's log entry.
pub const MAX_COUNTS: usize = 64;

/// The most terms on one side of a rule.
pub const MAX_TERMS: usize = 64;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct SheetFile {
    #[serde(default)]
    counts: Vec<CountFile>,
    rules: Option<Vec<RuleFile>>,
    #[serde(default)]
    columns: ColumnsFile,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CountFile {
    id: String,
    #[serde(default)]
    name: BTreeMap<String, String>,
    #[serde(default)]
    columns: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    code: String,
    check: String,
    message: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ColumnsFile {
    #[serde(default)]
    centre: Vec<String>,
    #[serde(default)]
    centre_parts: Vec<PartFile>,
    #[serde(default)]
    table: Vec<String>,
    #[serde(default)]
    registered: Vec<String>,
    #[serde(default)]
    valid: Vec<String>,
    #[serde(default)]
    null: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PartFile {
    column: String,
    digits: u8,
}

fn invalid(field: &str, problem: impl Into<String>) -> FormatError {
    FormatError::Election {
        location: field.to_owned(),
        problem: problem.into(),
    }
}

impl SheetFile {
    /// Every free text of the section, with its field, for [`crate::text::check_name`].
    pub(crate) fn texts(&self) -> Vec<(String, &str)> {
        let mut texts = Vec::new();
        for (index, count) in self.counts.iter().enumerate() {
            let field = format!("sheet.counts[{index}]");
            texts.push((format!("{field}.id"), count.id.as_str()));
            for (language, name) in &count.name {
                texts.push((format!("{field}.name"), language.as_str()));
                texts.push((format!("{field}.name"), name.as_str()));
            }
            for column in &count.columns {
                texts.push((format!("{field}.columns"), column.as_str()));
            }
        }
        for (index, rule) in self.rules.iter().flatten().enumerate() {
            let field = format!("sheet.rules[{index}]");
            texts.push((format!("{field}.code"), rule.code.as_str()));
            texts.push((format!("{field}.check"), rule.check.as_str()));
            if let Some(message) = &rule.message {
                texts.push((format!("{field}.message"), message.as_str()));
            }
        }
        let columns = &self.columns;
        for (name, list) in [
            ("centre", &columns.centre),
            ("table", &columns.table),
            ("registered", &columns.registered),
            ("valid", &columns.valid),
            ("null", &columns.null),
        ] {
            for column in list {
                texts.push((format!("sheet.columns.{name}"), column.as_str()));
            }
        }
        for part in &columns.centre_parts {
            texts.push((
                "sheet.columns.centre_parts".to_owned(),
                part.column.as_str(),
            ));
        }
        texts
    }

    /// The sheet's model. Its rules are [`SheetModel::standard`]'s when the section declares
    /// none (an election file written before rules were declared checks what it checked).
    pub(crate) fn to_model(&self, candidates: &[Candidate]) -> Result<SheetModel, FormatError> {
        if self.counts.len() > MAX_COUNTS {
            return Err(invalid(
                "sheet.counts",
                format!(
                    "{} counts: expected at most {MAX_COUNTS}",
                    self.counts.len()
                ),
            ));
        }
        let mut model = SheetModel {
            counts: self
                .counts
                .iter()
                .map(|count| CountField {
                    id: count.id.clone(),
                    name: LocalText(count.name.clone()),
                    columns: count.columns.clone(),
                })
                .collect(),
            rules: Vec::new(),
            columns: ResultColumns {
                centre: self.columns.centre.clone(),
                centre_parts: self
                    .columns
                    .centre_parts
                    .iter()
                    .map(|part| (part.column.clone(), part.digits))
                    .collect(),
                table: self.columns.table.clone(),
                registered: self.columns.registered.clone(),
                valid: self.columns.valid.clone(),
                null: self.columns.null.clone(),
            },
        };
        let Some(rules) = &self.rules else {
            model.rules = SheetModel::standard().rules;
            return Ok(model);
        };
        if rules.len() > MAX_COUNTS {
            return Err(invalid(
                "sheet.rules",
                format!("{} rules: expected at most {MAX_COUNTS}", rules.len()),
            ));
        }
        for (index, rule) in rules.iter().enumerate() {
            let field = format!("sheet.rules[{index}]");
            let parsed = Rule {
                code: rule_code(&rule.code, &format!("{field}.code"))?,
                text: rule.check.trim().to_owned(),
                left: Vec::new(),
                relation: Relation::Equal,
                right: Vec::new(),
                message: rule.message.clone(),
            };
            let (left, relation, right) =
                parse_check(&rule.check, &model, candidates, &format!("{field}.check"))?;
            model.rules.push(Rule {
                left,
                relation,
                right,
                ..parsed
            });
        }
        Ok(model)
    }
}

/// A rule's code: F102 or F103 (the standard rules, declared), or F300 to F999 (errors: the copy
/// is not counted until a person looks) or W300 to W999 (warnings).
fn rule_code(text: &str, field: &str) -> Result<FindingCode, FormatError> {
    match FindingCode::parse(text) {
        Some(
            code @ (FindingCode::MoreVotesThanRegistered
            | FindingCode::ValidVotesMismatch
            | FindingCode::Declared(_)),
        ) => Ok(code),
        _ => Err(invalid(
            field,
            format!(
                "`{text}`: expected F{first} to F{last} (an error: the copy is not counted until \
                 a person looks) or W{first} to W{last} (a warning), or F102 or F103 (the \
                 standard rules); other codes are veedor's own",
                first = DeclaredCode::FIRST,
                last = DeclaredCode::LAST
            ),
        )),
    }
}

/// `votes + null? <= registered`: two sums of counts and a relation (`=`, `<=`, `>=`).
fn parse_check(
    text: &str,
    model: &SheetModel,
    candidates: &[Candidate],
    field: &str,
) -> Result<(Vec<Term>, Relation, Vec<Term>), FormatError> {
    let (left, relation, right) = [
        ("<=", Relation::AtMost),
        (">=", Relation::AtLeast),
        ("=", Relation::Equal),
    ]
    .into_iter()
    .find_map(|(symbol, relation)| {
        text.split_once(symbol)
            .map(|(left, right)| (left, relation, right))
    })
    .ok_or_else(|| {
        invalid(
            field,
            format!("`{text}`: expected two sums of counts with `=`, `<=` or `>=` between them"),
        )
    })?;
    let side = |part: &str| -> Result<Vec<Term>, FormatError> {
        let terms: Vec<&str> = part.split('+').map(str::trim).collect();
        if terms.len() > MAX_TERMS {
            return Err(invalid(
                field,
                format!("{} terms: expected at most {MAX_TERMS}", terms.len()),
            ));
        }
        terms
            .into_iter()
            .map(|term| {
                let (name, zero_when_absent) = match term.strip_suffix('?') {
                    Some(name) => (name.trim(), true),
                    None => (term, false),
                };
                let operand = model.operand(name, candidates).ok_or_else(|| {
                    let declared: Vec<&str> = model.counts.iter().map(|c| c.id.as_str()).collect();
                    invalid(
                        field,
                        format!(
                            "`{name}` in `{text}` is not a count: expected one of {}, \
                             `votes.<candidate id>`{}{}",
                            veedor_core::BUILT_IN.join(", "),
                            if declared.is_empty() {
                                ""
                            } else {
                                ", or a declared count: "
                            },
                            declared.join(", ")
                        ),
                    )
                })?;
                Ok(Term {
                    operand,
                    zero_when_absent,
                })
            })
            .collect()
    };
    Ok((side(left)?, relation, side(right)?))
}
