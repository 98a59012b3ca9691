//! The election definition file (TOML), documented in `docs/election-format.md`.

use std::collections::BTreeMap;

use serde::Deserialize;
use veedor_core::{
    AreaCode, Bulletin, BulletinArea, Candidate, Card, Date, DeclaredArea, DeclaredTotals,
    Election, Geography, Level, LocalText,
};

use crate::limits::ELECTION_FILE_BYTES;
use crate::sheet_file::SheetFile;
use crate::text::check_name;
use crate::{ActaFormat, FormatError};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    id: String,
    title: BTreeMap<String, String>,
    date: String,
    acta_format: String,
    #[serde(default)]
    acta_format_options: toml::Table,
    #[serde(default)]
    voter_id_prefixes: Vec<String>,
    geography: GeographyFile,
    candidates: Vec<CandidateFile>,
    ballot: BallotFile,
    #[serde(default)]
    declared: DeclaredFile,
    #[serde(default)]
    bulletins: Vec<BulletinFile>,
    #[serde(default)]
    sheet: SheetFile,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GeographyFile {
    centre_digits: u8,
    levels: Vec<LevelFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LevelFile {
    id: String,
    digits: u8,
    name: BTreeMap<String, String>,
    #[serde(default)]
    name_columns: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CandidateFile {
    id: String,
    name: String,
    #[serde(default)]
    columns: Vec<String>,
    colour: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BallotFile {
    cards: Vec<CardFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CardFile {
    party: String,
    candidate: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct DeclaredFile {
    registered_voters: Option<u64>,
    tables: Option<u64>,
    centres: Option<u64>,
    #[serde(default)]
    areas: Vec<DeclaredAreaFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeclaredAreaFile {
    level: String,
    code: String,
    registered_voters: Option<u64>,
    tables: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BulletinAreaFile {
    level: String,
    code: String,
    stated_coverage_percent: Option<f64>,
    #[serde(default)]
    votes: BTreeMap<String, u64>,
    other_votes: Option<u64>,
    valid_votes: Option<u64>,
    null_votes: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BulletinFile {
    id: String,
    title: String,
    date: String,
    stated_coverage_percent: Option<f64>,
    votes: BTreeMap<String, u64>,
    other_votes: Option<u64>,
    valid_votes: Option<u64>,
    null_votes: Option<u64>,
    turnout_percent: Option<f64>,
    #[serde(default)]
    areas: Vec<BulletinAreaFile>,
}

fn invalid(field: &str, problem: impl Into<String>) -> FormatError {
    FormatError::Election {
        location: field.to_owned(),
        problem: problem.into(),
    }
}

fn date(text: &str, field: &str) -> Result<Date, FormatError> {
    text.parse::<Date>()
        .map_err(|_| invalid(field, format!("`{text}`: expected a date as YYYY-MM-DD")))
}

/// Every free text of the file (ids, names, titles, header names, parties) is a name: no control
/// character, at most [`crate::limits::NAME_CHARS`] characters. They reach pages, open data, the
/// terminal and, through the definition, the log.
fn check_texts(file: &File) -> Result<(), FormatError> {
    fn local<'a>(field: &str, text: &'a BTreeMap<String, String>) -> Vec<(String, &'a str)> {
        text.iter()
            .flat_map(|(language, name)| [language, name])
            .map(|value| (field.to_owned(), value.as_str()))
            .collect()
    }
    let mut texts: Vec<(String, &str)> = vec![("id".to_owned(), &file.id)];
    texts.extend(local("title", &file.title));
    for (index, prefix) in file.voter_id_prefixes.iter().enumerate() {
        texts.push((format!("voter_id_prefixes[{index}]"), prefix));
    }
    for (index, level) in file.geography.levels.iter().enumerate() {
        let field = format!("geography.levels[{index}]");
        texts.push((format!("{field}.id"), &level.id));
        texts.extend(local(&format!("{field}.name"), &level.name));
        texts.extend(
            level
                .name_columns
                .iter()
                .map(|c| (format!("{field}.name_columns"), c.as_str())),
        );
    }
    for (index, candidate) in file.candidates.iter().enumerate() {
        let field = format!("candidates[{index}]");
        texts.push((format!("{field}.id"), &candidate.id));
        texts.push((format!("{field}.name"), &candidate.name));
        texts.extend(
            candidate
                .columns
                .iter()
                .map(|c| (format!("{field}.columns"), c.as_str())),
        );
        texts.extend(
            candidate
                .colour
                .iter()
                .map(|c| (format!("{field}.colour"), c.as_str())),
        );
    }
    for (index, card) in file.ballot.cards.iter().enumerate() {
        texts.push((format!("ballot.cards[{index}].party"), &card.party));
    }
    for (index, area) in file.declared.areas.iter().enumerate() {
        texts.push((format!("declared.areas[{index}].level"), &area.level));
        texts.push((format!("declared.areas[{index}].code"), &area.code));
    }
    for (index, bulletin) in file.bulletins.iter().enumerate() {
        texts.push((format!("bulletins[{index}].id"), &bulletin.id));
        texts.push((format!("bulletins[{index}].title"), &bulletin.title));
        for (area_index, area) in bulletin.areas.iter().enumerate() {
            let field = format!("bulletins[{index}].areas[{area_index}]");
            texts.push((format!("{field}.level"), &area.level));
            texts.push((format!("{field}.code"), &area.code));
        }
    }
    texts.extend(file.sheet.texts());
    for (field, text) in texts {
        check_name(text).map_err(|problem| invalid(&field, problem))?;
    }
    Ok(())
}

/// A bulletin's votes per candidate id, as votes per candidate index.
fn candidate_votes(
    votes: &BTreeMap<String, u64>,
    field: &str,
    candidate_index: &dyn Fn(&str, &str) -> Result<usize, FormatError>,
) -> Result<BTreeMap<usize, u64>, FormatError> {
    votes
        .iter()
        .map(|(id, votes)| Ok((candidate_index(id, &format!("{field}.votes"))?, *votes)))
        .collect()
}

/// The area named by a level id and a code, which must be one area of a level (not the
/// nation, whose figures are the section's own).
fn area_code(
    geography: &Geography,
    level: &str,
    code: &str,
    field: &str,
) -> Result<AreaCode, FormatError> {
    let index = geography
        .level_index(level)
        .map_err(|error| invalid(&format!("{field}.level"), error.to_string()))?
        .ok_or_else(|| {
            invalid(
                &format!("{field}.level"),
                "`national`: the nation's figures are the section's own, not one of its areas",
            )
        })?;
    geography
        .parse_area(index, code)
        .map_err(|error| invalid(&format!("{field}.code"), error.to_string()))
}

/// `[[declared.areas]]`: each area once.
fn declared_areas(
    areas: &[DeclaredAreaFile],
    geography: &Geography,
) -> Result<BTreeMap<AreaCode, DeclaredArea>, FormatError> {
    let mut out = BTreeMap::new();
    for (index, area) in areas.iter().enumerate() {
        let field = format!("declared.areas[{index}]");
        let code = area_code(geography, &area.level, &area.code, &field)?;
        let declared = DeclaredArea {
            registered_voters: area.registered_voters,
            tables: area.tables,
        };
        if out.insert(code, declared).is_some() {
            return Err(invalid(
                &field,
                format!("{} {} is declared twice", area.level, area.code),
            ));
        }
    }
    Ok(out)
}

/// `[[bulletins.areas]]` of one bulletin: each area once.
fn bulletin_areas(
    areas: &[BulletinAreaFile],
    bulletin_field: &str,
    geography: &Geography,
    candidate_index: &dyn Fn(&str, &str) -> Result<usize, FormatError>,
) -> Result<BTreeMap<AreaCode, BulletinArea>, FormatError> {
    let mut out = BTreeMap::new();
    for (index, area) in areas.iter().enumerate() {
        let field = format!("{bulletin_field}.areas[{index}]");
        let code = area_code(geography, &area.level, &area.code, &field)?;
        let figures = BulletinArea {
            stated_coverage_percent: area.stated_coverage_percent,
            votes: candidate_votes(&area.votes, &field, candidate_index)?,
            other_votes: area.other_votes,
            valid_votes: area.valid_votes,
            null_votes: area.null_votes,
        };
        if out.insert(code, figures).is_some() {
            return Err(invalid(
                &field,
                format!("{} {} appears twice in the bulletin", area.level, area.code),
            ));
        }
    }
    Ok(out)
}

/// Parses and checks an election file. A definition longer than [`ELECTION_FILE_BYTES`] is
/// refused before it is parsed: the transparency log's first entry must hold it whole.
pub fn parse_election(text: &str) -> Result<Election, FormatError> {
    if text.len() > ELECTION_FILE_BYTES {
        return Err(invalid(
            "file",
            format!(
                "{} bytes, more than the limit of {ELECTION_FILE_BYTES}: the transparency log's first entry holds the definition whole, and an entry holds at most {} bytes",
                text.len(),
                crate::log_entry::MAX_ENTRY_BYTES
            ),
        ));
    }
    let file: File = toml::from_str(text).map_err(|error| {
        let line = error.span().map(|span| {
            text.get(..span.start)
                .map_or(0, |before| before.matches('\n').count() + 1)
        });
        FormatError::Election {
            location: line.map_or_else(|| "file".to_owned(), |line| format!("line {line}")),
            problem: error.message().to_owned(),
        }
    })?;
    check_texts(&file)?;
    let candidate_index = |id: &str, field: &str| {
        file.candidates
            .iter()
            .position(|c| c.id == id)
            .ok_or_else(|| {
                invalid(
                    field,
                    format!("candidate `{id}` is not among the candidates"),
                )
            })
    };
    let cards = file
        .ballot
        .cards
        .iter()
        .enumerate()
        .map(|(index, card)| {
            Ok(Card {
                party: card.party.clone(),
                candidate: candidate_index(&card.candidate, &format!("ballot.cards[{index}]"))?,
            })
        })
        .collect::<Result<Vec<_>, FormatError>>()?;
    let geography = Geography {
        centre_digits: file.geography.centre_digits,
        levels: file
            .geography
            .levels
            .iter()
            .map(|l| Level {
                id: l.id.clone(),
                name: LocalText(l.name.clone()),
                digits: l.digits,
                name_columns: l.name_columns.clone(),
            })
            .collect(),
    };
    let bulletins = file
        .bulletins
        .iter()
        .enumerate()
        .map(|(index, bulletin)| {
            let field = format!("bulletins[{index}]");
            Ok(Bulletin {
                id: bulletin.id.clone(),
                title: bulletin.title.clone(),
                date: date(&bulletin.date, &format!("{field}.date"))?,
                stated_coverage_percent: bulletin.stated_coverage_percent,
                votes: candidate_votes(&bulletin.votes, &field, &candidate_index)?,
                other_votes: bulletin.other_votes,
                valid_votes: bulletin.valid_votes,
                null_votes: bulletin.null_votes,
                turnout_percent: bulletin.turnout_percent,
                areas: bulletin_areas(&bulletin.areas, &field, &geography, &candidate_index)?,
            })
        })
        .collect::<Result<Vec<_>, FormatError>>()?;
    let declared = DeclaredTotals {
        registered_voters: file.declared.registered_voters,
        tables: file.declared.tables,
        centres: file.declared.centres,
        areas: declared_areas(&file.declared.areas, &geography)?,
    };
    let candidates: Vec<Candidate> = file
        .candidates
        .into_iter()
        .map(|c| Candidate {
            id: c.id,
            name: c.name,
            columns: c.columns,
            colour: c.colour,
        })
        .collect();
    let sheet = file.sheet.to_model(&candidates)?;
    let election = Election::new(Election {
        id: file.id,
        title: LocalText(file.title),
        date: date(&file.date, "date")?,
        candidates,
        cards,
        acta_format: file.acta_format,
        acta_format_options: format_options(&file.acta_format_options)?,
        geography,
        voter_id_prefixes: file.voter_id_prefixes,
        declared,
        bulletins,
        sheet,
    })
    .map_err(|error| invalid("election", error.to_string()))?;
    ActaFormat::of(&election)?.check_election(&election)?;
    Ok(election)
}

/// The most settings an acta format may have.
const MAX_FORMAT_OPTIONS: usize = 256;

/// `[acta_format_options]` as dotted keys with text values (a number is written as text), in key
/// order; a nested table's keys are joined with dots (`keys."sacqrcode.pub"` is
/// `keys.sacqrcode.pub`).
fn format_options(table: &toml::Table) -> Result<Vec<(String, String)>, FormatError> {
    fn walk(
        table: &toml::Table,
        prefix: &str,
        out: &mut Vec<(String, String)>,
    ) -> Result<(), FormatError> {
        for (key, value) in table {
            let key = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            match value {
                toml::Value::String(text) => out.push((key, text.clone())),
                toml::Value::Integer(number) => out.push((key, number.to_string())),
                toml::Value::Boolean(flag) => out.push((key, flag.to_string())),
                toml::Value::Table(inner) => walk(inner, &key, out)?,
                _ => {
                    return Err(invalid(
                        &format!("acta_format_options.{key}"),
                        "expected text, a whole number, true or false, or a table of them"
                            .to_owned(),
                    ));
                }
            }
            if out.len() > MAX_FORMAT_OPTIONS {
                return Err(invalid(
                    "acta_format_options",
                    format!("more than {MAX_FORMAT_OPTIONS} settings"),
                ));
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(table, "", &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const VE2024: &str = include_str!("../../../elections/ve-2024-presidential.toml");

    #[test]
    fn a_setting_for_a_format_that_takes_none_is_refused_by_name() {
        let text = format!("{VE2024}\n[acta_format_options]\noffice = 11\n");
        let error = parse_election(&text).unwrap_err().to_string();
        assert!(
            error.contains("acta_format_options.office: ve2024-qr takes no settings"),
            "{error}"
        );
    }

    #[test]
    fn the_shipped_venezuelan_election_loads() -> Result<(), FormatError> {
        let election = parse_election(VE2024)?;
        assert_eq!(election.candidates.len(), 10);
        assert_eq!(election.cards.len(), 38);
        assert_eq!(election.geography.levels.len(), 4);
        assert_eq!(election.bulletins.len(), 2);
        let name = |cell: usize| &election.candidates[election.cards[cell].candidate].name;
        assert_eq!(name(0), "Nicolás Maduro");
        assert_eq!(name(12), "Nicolás Maduro");
        assert_eq!(name(13), "Luis Martínez");
        assert_eq!(name(19), "Javier Bertucci");
        assert_eq!(name(23), "José Brito");
        assert_eq!(name(29), "Antonio Ecarri");
        assert_eq!(name(30), "Claudio Fermín");
        assert_eq!(name(32), "Daniel Ceballos");
        assert_eq!(name(35), "Edmundo González");
        assert_eq!(name(36), "Enrique Márquez");
        assert_eq!(name(37), "Benjamín Rausseo");
        let latest = election.latest_bulletin().map(|b| b.id.as_str());
        assert_eq!(latest, Some("cne-2"));
        Ok(())
    }

    /// Per-area declared totals and official results are optional: the shipped file has none,
    /// and a file with them reads them by level id and printed code.
    #[test]
    fn areas_declared_and_announced() -> Result<(), FormatError> {
        let shipped = parse_election(VE2024)?;
        assert!(shipped.declared.areas.is_empty());
        assert!(shipped.bulletins.iter().all(|b| b.areas.is_empty()));
        assert_eq!(shipped.declared.tables, Some(30_026));
        let areas = "\n[[declared.areas]]\nlevel = \"state\"\ncode = \"13\"\ntables = 1200\nregistered_voters = 700000\n\n[[declared.areas]]\nlevel = \"municipality\"\ncode = \"1306\"\ntables = 40\n";
        let with_areas = VE2024.replace("centres = 15797\n", &format!("centres = 15797\n{areas}"));
        let with_areas = format!(
            "{with_areas}\n\n[[bulletins.areas]]\nlevel = \"state\"\ncode = \"1\"\nvotes = {{ NM = 10, EG = 20 }}\nvalid_votes = 31\n"
        );
        let election = parse_election(&with_areas)?;
        let state = AreaCode::Area {
            level: 0,
            prefix: 13,
        };
        assert_eq!(
            election.declared.area(state),
            DeclaredArea {
                registered_voters: Some(700_000),
                tables: Some(1200)
            }
        );
        let municipality = AreaCode::Area {
            level: 1,
            prefix: 1306,
        };
        assert_eq!(election.declared.area(municipality).tables, Some(40));
        let capital = AreaCode::Area {
            level: 0,
            prefix: 1,
        };
        let latest = election.latest_bulletin().expect("a bulletin");
        let figures = latest.figures(capital).expect("the capital's figures");
        assert_eq!(figures.votes, [(0, 10), (7, 20)].into());
        assert_eq!(figures.valid_votes, Some(31));
        assert_eq!(figures.stated_coverage_percent, Some(96.87));
        let check = |text: &str, expected: &[&str]| {
            let message = parse_election(text).map(|_| ()).unwrap_err().to_string();
            for part in expected {
                assert!(message.contains(part), "`{part}` missing from: {message}");
            }
        };
        check(
            &with_areas.replace("code = \"13\"", "code = \"130\""),
            &["declared.areas[0].code", "at most 2"],
        );
        check(
            &with_areas.replace("level = \"municipality\"", "level = \"county\""),
            &["declared.areas[1].level", "county"],
        );
        check(
            &with_areas
                .replace("code = \"1306\"", "code = \"13\"")
                .replace("level = \"municipality\"", "level = \"state\""),
            &["declared.areas[1]", "declared twice"],
        );
        check(
            &with_areas.replace("votes = { NM = 10, EG = 20 }", "votes = { XX = 10 }"),
            &["bulletins[1].areas[0].votes", "`XX`"],
        );
        check(
            &with_areas.replace(
                "level = \"state\"\ncode = \"1\"",
                "level = \"national\"\ncode = \"1\"",
            ),
            &["bulletins[1].areas[0].level", "national"],
        );
        Ok(())
    }

    #[test]
    fn errors_name_the_line_or_field() {
        let broken = VE2024.replace("digits = 4", "digits = \"four\"");
        let message = parse_election(&broken).map(|_| ()).unwrap_err().to_string();
        assert!(message.contains("line "), "{message}");
        let unknown = VE2024.replace(
            "{ party = \"MUD\", candidate = \"EG\" }",
            "{ party = \"MUD\", candidate = \"XX\" }",
        );
        let message = parse_election(&unknown)
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("cards[35]") && message.contains("`XX`"),
            "{message}"
        );
        let short = VE2024.replace("  { party = \"CONDE\", candidate = \"BERA\" },\n", "");
        let message = parse_election(&short).map(|_| ()).unwrap_err().to_string();
        assert!(message.contains("38"), "{message}");
        let bad_date = VE2024.replace("date = \"2024-07-28\"", "date = \"28/07/2024\"");
        let message = parse_election(&bad_date)
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(message.contains("YYYY-MM-DD"), "{message}");
    }

    #[test]
    fn names_with_control_characters_and_oversized_files_are_refused() {
        let check = |text: &str, expected: &[&str]| {
            let message = parse_election(text).map(|_| ()).unwrap_err().to_string();
            for part in expected {
                assert!(message.contains(part), "`{part}` missing from: {message}");
            }
        };
        let escape = VE2024.replacen(
            "name = \"Edmundo González\"",
            "name = \"Edmundo\\u001B[2J\"",
            1,
        );
        assert_ne!(escape, VE2024);
        check(
            &escape,
            &["candidates[", ".name", "control character (U+001B)"],
        );
        let title = VE2024.replacen("es = \"", "es = \"\\n", 1);
        check(&title, &["title", "U+000A"]);
        let long = format!("{VE2024}\n#{}\n", "x".repeat(70_000));
        check(
            &long,
            &[
                "file",
                "more than the limit of 65517",
                "at most 65535 bytes",
            ],
        );
    }
}
