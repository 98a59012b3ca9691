//! The election definition file (TOML), documented in `docs/election-format.md`.

use std::collections::BTreeMap;

use serde::Deserialize;
use veedor_core::{
    Bulletin, Candidate, Card, Date, DeclaredTotals, Election, Geography, Level, LocalText,
};

use crate::limits::ELECTION_FILE_BYTES;
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
    voter_id_prefixes: Vec<String>,
    geography: GeographyFile,
    candidates: Vec<CandidateFile>,
    ballot: BallotFile,
    #[serde(default)]
    declared: DeclaredFile,
    #[serde(default)]
    bulletins: Vec<BulletinFile>,
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
    for (index, bulletin) in file.bulletins.iter().enumerate() {
        texts.push((format!("bulletins[{index}].id"), &bulletin.id));
        texts.push((format!("bulletins[{index}].title"), &bulletin.title));
    }
    for (field, text) in texts {
        check_name(text).map_err(|problem| invalid(&field, problem))?;
    }
    Ok(())
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
                votes: bulletin
                    .votes
                    .iter()
                    .map(|(id, votes)| {
                        Ok((candidate_index(id, &format!("{field}.votes"))?, *votes))
                    })
                    .collect::<Result<_, FormatError>>()?,
                other_votes: bulletin.other_votes,
                valid_votes: bulletin.valid_votes,
                null_votes: bulletin.null_votes,
                turnout_percent: bulletin.turnout_percent,
            })
        })
        .collect::<Result<Vec<_>, FormatError>>()?;
    let election = Election::new(Election {
        id: file.id,
        title: LocalText(file.title),
        date: date(&file.date, "date")?,
        candidates: file
            .candidates
            .into_iter()
            .map(|c| Candidate {
                id: c.id,
                name: c.name,
                columns: c.columns,
                colour: c.colour,
            })
            .collect(),
        cards,
        acta_format: file.acta_format,
        geography: Geography {
            centre_digits: file.geography.centre_digits,
            levels: file
                .geography
                .levels
                .into_iter()
                .map(|l| Level {
                    id: l.id,
                    name: LocalText(l.name),
                    digits: l.digits,
                    name_columns: l.name_columns,
                })
                .collect(),
        },
        voter_id_prefixes: file.voter_id_prefixes,
        declared: DeclaredTotals {
            registered_voters: file.declared.registered_voters,
            tables: file.declared.tables,
            centres: file.declared.centres,
        },
        bulletins,
    })
    .map_err(|error| invalid("election", error.to_string()))?;
    let format = ActaFormat::from_id(&election.acta_format)?;
    format.check_election(&election)?;
    Ok(election)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const VE2024: &str = include_str!("../../../elections/ve-2024-presidential.toml");

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
