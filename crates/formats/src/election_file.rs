//! The election definition file (TOML), documented in `docs/election-format.md`.

use std::collections::BTreeMap;

use serde::Deserialize;
use veedor_core::{
    Bulletin, Candidate, Card, Date, DeclaredTotals, Election, Geography, Level, LocalText,
};

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

/// Parses and checks an election file.
pub fn parse_election(text: &str) -> Result<Election, FormatError> {
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
}
