//! The election: candidates, the ballot's cards, the geography, what was declared nationally and
//! the official results announced. Built by `veedor-formats` from the election file and checked
//! here, once, by [`Election::new`].

use std::collections::{BTreeMap, HashSet};

use jiff::civil::Date;

use crate::id::CentreCode;
use crate::sheet::SheetModel;
use crate::{CoreError, TableId};

/// A text in several languages, keyed by language tag (`es`, `en`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LocalText(pub BTreeMap<String, String>);

impl LocalText {
    /// The text in `language`, else in English, else the first one there is.
    #[must_use]
    pub fn get(&self, language: &str) -> &str {
        self.0
            .get(language)
            .or_else(|| self.0.get("en"))
            .or_else(|| self.0.values().next())
            .map_or("", String::as_str)
    }
}

/// A candidate on the ballot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// Short stable id, also the usual column header in result files (`EG`, `NM`).
    pub id: String,
    /// Full name.
    pub name: String,
    /// Other column headers under which result files carry this candidate's votes.
    pub columns: Vec<String>,
    /// A colour for charts, `#rrggbb`.
    pub colour: Option<String>,
}

/// A card (tarjeta) on the ballot: one party's box for one candidate. Its position in
/// [`Election::cards`] is its cell index on the acta.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Card {
    /// The party's short name.
    pub party: String,
    /// Index into [`Election::candidates`].
    pub candidate: usize,
}

/// One level of the geography above the tables (state, municipality, parish, centre).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Level {
    /// Stable id used on the command line and in URLs (`state`).
    pub id: String,
    /// The level's name per language.
    pub name: LocalText,
    /// How many leading digits of the centre code identify an area of this level.
    pub digits: u8,
    /// Column headers under which result and table files carry this level's area names.
    pub name_columns: Vec<String>,
}

/// The geography: levels from the widest to the centre, each identified by a prefix of the
/// centre code. The national level is implicit above them; tables are below the centres.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Geography {
    /// Digits in a centre code.
    pub centre_digits: u8,
    /// The levels, widest first; the last one is the centre level.
    pub levels: Vec<Level>,
}

/// Which area: the nation, or one area of one level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AreaCode {
    /// The whole election.
    National,
    /// An area: the level's index in [`Geography::levels`] and the centre-code prefix.
    Area {
        /// Index of the level.
        level: u8,
        /// The leading digits of the centre code, as a number.
        prefix: u64,
    },
}

impl Geography {
    /// The area of `level` (index into `levels`) that holds `centre`.
    #[must_use]
    pub fn area_of(&self, centre: CentreCode, level: usize) -> AreaCode {
        let Some(found) = self.levels.get(level) else {
            return AreaCode::National;
        };
        let drop = u32::from(self.centre_digits.saturating_sub(found.digits));
        AreaCode::Area {
            level: u8::try_from(level).unwrap_or(u8::MAX),
            prefix: centre.get() / 10u64.pow(drop),
        }
    }

    /// Every area that holds `centre`, widest first, the nation included.
    pub fn areas_of(&self, centre: CentreCode) -> impl Iterator<Item = AreaCode> + '_ {
        std::iter::once(AreaCode::National)
            .chain((0..self.levels.len()).map(move |level| self.area_of(centre, level)))
    }

    /// The level index with this id; `national` is `None`.
    pub fn level_index(&self, id: &str) -> Result<Option<usize>, CoreError> {
        if id == "national" {
            return Ok(None);
        }
        self.levels
            .iter()
            .position(|level| level.id == id)
            .map(Some)
            .ok_or_else(|| CoreError::UnknownLevel {
                level: id.to_owned(),
                known: std::iter::once("national".to_owned())
                    .chain(self.levels.iter().map(|level| level.id.clone()))
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// The printed code of an area: its prefix zero-padded to the level's digits (`13`, `1306`).
    #[must_use]
    pub fn format_area(&self, area: AreaCode) -> String {
        match area {
            AreaCode::National => String::new(),
            AreaCode::Area { level, prefix } => {
                let digits = self
                    .levels
                    .get(usize::from(level))
                    .map_or(0, |level| level.digits);
                format!("{prefix:0width$}", width = usize::from(digits))
            }
        }
    }

    /// Parses the printed code of an area of `level`. A code must have exactly the level's
    /// number of digits, or fewer when it only dropped leading zeros.
    pub fn parse_area(&self, level: usize, text: &str) -> Result<AreaCode, CoreError> {
        let found = self
            .levels
            .get(level)
            .ok_or_else(|| CoreError::UnknownLevel {
                level: level.to_string(),
                known: String::new(),
            })?;
        let centre =
            CentreCode::parse(text, found.digits).map_err(|_| CoreError::InvalidAreaCode {
                level: found.id.clone(),
                text: text.to_owned(),
                digits: found.digits,
            })?;
        Ok(AreaCode::Area {
            level: u8::try_from(level).unwrap_or(u8::MAX),
            prefix: centre.get(),
        })
    }

    /// The area one level up, or the nation.
    #[must_use]
    pub fn parent(&self, area: AreaCode) -> Option<AreaCode> {
        match area {
            AreaCode::National => None,
            AreaCode::Area { level: 0, .. } => Some(AreaCode::National),
            AreaCode::Area { level, prefix } => {
                let here = self.levels.get(usize::from(level))?.digits;
                let up = self.levels.get(usize::from(level) - 1)?.digits;
                Some(AreaCode::Area {
                    level: level - 1,
                    prefix: prefix / 10u64.pow(u32::from(here.saturating_sub(up))),
                })
            }
        }
    }

    /// Whether `area` is one area of a level (not the nation), its prefix within the level's
    /// digits.
    #[must_use]
    pub fn is_area(&self, area: AreaCode) -> bool {
        match area {
            AreaCode::National => false,
            AreaCode::Area { level, prefix } => {
                self.levels.get(usize::from(level)).is_some_and(|found| {
                    10u64
                        .checked_pow(u32::from(found.digits))
                        .is_none_or(|limit| prefix < limit)
                })
            }
        }
    }

    /// Whether `table` lies in `area`.
    #[must_use]
    pub fn contains(&self, area: AreaCode, table: TableId) -> bool {
        match area {
            AreaCode::National => true,
            AreaCode::Area { level, .. } => self.area_of(table.centre, usize::from(level)) == area,
        }
    }
}

/// Totals the election authority declared for the whole election: the registry's size and the
/// number of tables. Coverage is measured against these when the table list is incomplete.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeclaredTotals {
    /// Registered voters in the whole election.
    pub registered_voters: Option<u64>,
    /// Tables in the whole election.
    pub tables: Option<u64>,
    /// Voting centres in the whole election.
    pub centres: Option<u64>,
    /// What was declared for single areas (never [`AreaCode::National`]: the fields above are
    /// the nation's).
    pub areas: BTreeMap<AreaCode, DeclaredArea>,
}

impl DeclaredTotals {
    /// What was declared for `area`: for the nation, the national figures.
    #[must_use]
    pub fn area(&self, area: AreaCode) -> DeclaredArea {
        match area {
            AreaCode::National => DeclaredArea {
                registered_voters: self.registered_voters,
                tables: self.tables,
            },
            AreaCode::Area { .. } => self.areas.get(&area).copied().unwrap_or_default(),
        }
    }
}

/// What the election authority declared for one area: the expected tables and registered
/// voters, against which the area's coverage is measured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeclaredArea {
    /// Registered voters in the area.
    pub registered_voters: Option<u64>,
    /// Tables in the area.
    pub tables: Option<u64>,
}

/// An official result for one area, as a bulletin gave it (the same fields as the bulletin's
/// national figures).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BulletinArea {
    /// The share of the area's actas it claimed to count, in percent, when it said so for the
    /// area (else the bulletin's applies).
    pub stated_coverage_percent: Option<f64>,
    /// Votes per candidate, by index into [`Election::candidates`].
    pub votes: BTreeMap<usize, u64>,
    /// Votes given only as a sum for the other candidates.
    pub other_votes: Option<u64>,
    /// Valid votes, when stated.
    pub valid_votes: Option<u64>,
    /// Null votes, when stated.
    pub null_votes: Option<u64>,
}

/// An official result announced by the election authority.
#[derive(Clone, Debug, PartialEq)]
pub struct Bulletin {
    /// Stable id (`cne-2`).
    pub id: String,
    /// What it was (`CNE, second bulletin`).
    pub title: String,
    /// The day it was announced.
    pub date: Date,
    /// The share of actas it claimed to count, in percent.
    pub stated_coverage_percent: Option<f64>,
    /// Votes per candidate, by index into [`Election::candidates`]; candidates the bulletin did
    /// not name separately are absent.
    pub votes: BTreeMap<usize, u64>,
    /// Votes the bulletin gave only as a sum for the other candidates.
    pub other_votes: Option<u64>,
    /// Valid votes, when the bulletin stated them.
    pub valid_votes: Option<u64>,
    /// Null votes, when stated.
    pub null_votes: Option<u64>,
    /// Turnout in percent, when stated.
    pub turnout_percent: Option<f64>,
    /// Results it gave for single areas (never [`AreaCode::National`]).
    pub areas: BTreeMap<AreaCode, BulletinArea>,
}

impl Bulletin {
    /// The bulletin's figures for `area`: the national ones for the nation, else what it gave
    /// for that area, if anything.
    #[must_use]
    pub fn figures(&self, area: AreaCode) -> Option<BulletinArea> {
        match area {
            AreaCode::National => Some(BulletinArea {
                stated_coverage_percent: self.stated_coverage_percent,
                votes: self.votes.clone(),
                other_votes: self.other_votes,
                valid_votes: self.valid_votes,
                null_votes: self.null_votes,
            }),
            AreaCode::Area { .. } => self.areas.get(&area).map(|figures| BulletinArea {
                stated_coverage_percent: figures
                    .stated_coverage_percent
                    .or(self.stated_coverage_percent),
                ..figures.clone()
            }),
        }
    }

    /// The valid votes the bulletin's shares are based on: stated, or the sum of what it gave.
    #[must_use]
    pub fn valid_votes_or_sum(&self) -> u64 {
        self.valid_votes
            .unwrap_or_else(|| self.votes.values().sum::<u64>() + self.other_votes.unwrap_or(0))
    }
}

/// An election, checked for consistency.
#[derive(Clone, Debug, PartialEq)]
pub struct Election {
    /// Stable id (`ve-2024-presidential`).
    pub id: String,
    /// Title per language.
    pub title: LocalText,
    /// Election day.
    pub date: Date,
    /// The candidates, in the order results are shown.
    pub candidates: Vec<Candidate>,
    /// The ballot's cards in cell order.
    pub cards: Vec<Card>,
    /// The id of the acta format (`ve2024-qr`), resolved by `veedor-formats`.
    pub acta_format: String,
    /// The acta format's settings from the election file's `[acta_format_options]`, as dotted
    /// keys and text values in key order (for `br-bu`: the office counted and the
    /// electoral authority's public keys). Read by `veedor-formats`; core does not interpret them.
    pub acta_format_options: Vec<(String, String)>,
    /// The geography.
    pub geography: Geography,
    /// Letters that may be typed before a voter's number and are not part of it (`V`).
    pub voter_id_prefixes: Vec<String>,
    /// What was declared nationally.
    pub declared: DeclaredTotals,
    /// Official results, in order of announcement.
    pub bulletins: Vec<Bulletin>,
    /// The tally sheet: its declared counts and consistency rules.
    pub sheet: SheetModel,
}

impl Election {
    /// Checks an election assembled from its parts: ids unique and well formed, every card
    /// names a known candidate, levels have increasing digits ending at the centre level.
    pub fn new(election: Self) -> Result<Self, CoreError> {
        let fail = |reason: String| Err(CoreError::InvalidElection { reason });
        if election.id.is_empty()
            || !election
                .id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return fail(format!(
                "id `{}`: expected letters, digits, `-` or `_`",
                election.id
            ));
        }
        if election.candidates.is_empty() {
            return fail("no candidates".to_owned());
        }
        let mut seen = HashSet::new();
        for candidate in &election.candidates {
            if !seen.insert(candidate.id.as_str()) {
                return fail(format!("candidate id `{}` appears twice", candidate.id));
            }
        }
        for (index, card) in election.cards.iter().enumerate() {
            if card.candidate >= election.candidates.len() {
                return fail(format!("card {index} names no known candidate"));
            }
        }
        let geography = &election.geography;
        if geography.centre_digits == 0 || geography.centre_digits > 18 {
            return fail("centre codes must have 1 to 18 digits".to_owned());
        }
        if geography.levels.is_empty() {
            return fail("the geography has no levels".to_owned());
        }
        let mut previous = 0;
        let mut level_ids = HashSet::new();
        for level in &geography.levels {
            if level.digits <= previous || level.digits > geography.centre_digits {
                return fail(format!(
                    "level `{}`: digits must grow from level to level and not exceed the centre code's {}",
                    level.id, geography.centre_digits
                ));
            }
            if level.id == "national" || level.id == "table" || !level_ids.insert(&level.id) {
                return fail(format!("level id `{}` is reserved or repeated", level.id));
            }
            previous = level.digits;
        }
        if previous != geography.centre_digits {
            return fail(
                "the last level must be the centre (all the centre code's digits)".to_owned(),
            );
        }
        for bulletin in &election.bulletins {
            let votes = std::iter::once(&bulletin.votes)
                .chain(bulletin.areas.values().map(|figures| &figures.votes));
            if let Some(&index) = votes
                .flat_map(BTreeMap::keys)
                .find(|&&i| i >= election.candidates.len())
            {
                return fail(format!(
                    "bulletin `{}` names candidate {index}, which does not exist",
                    bulletin.id
                ));
            }
        }
        let areas = election.declared.areas.keys().chain(
            election
                .bulletins
                .iter()
                .flat_map(|bulletin| bulletin.areas.keys()),
        );
        if let Some(area) = areas.copied().find(|&area| !geography.is_area(area)) {
            let named = match area {
                AreaCode::National => "the nation".to_owned(),
                AreaCode::Area { level, prefix } => format!("area {prefix} of level {level}"),
            };
            return fail(format!(
                "a declared total or bulletin names {named}, which is not an area of the geography's levels"
            ));
        }
        election.sheet.check(&election)?;
        Ok(election)
    }

    /// The index of the candidate with this id.
    #[must_use]
    pub fn candidate_index(&self, id: &str) -> Option<usize> {
        self.candidates.iter().position(|c| c.id == id)
    }

    /// The latest official bulletin.
    #[must_use]
    pub fn latest_bulletin(&self) -> Option<&Bulletin> {
        self.bulletins.iter().max_by_key(|bulletin| bulletin.date)
    }

    /// The area of the centre level that holds a table: the centre itself.
    #[must_use]
    pub fn centre_area(&self, table: TableId) -> AreaCode {
        self.geography
            .area_of(table.centre, self.geography.levels.len().saturating_sub(1))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A small election shaped like Venezuela's: three candidates, five cards, levels of 2, 4,
    /// 6 and 9 digits.
    pub(crate) fn small_election() -> Election {
        let level = |id: &str, digits| Level {
            id: id.to_owned(),
            name: LocalText([("en".to_owned(), id.to_owned())].into()),
            digits,
            name_columns: vec![],
        };
        let candidate = |id: &str| Candidate {
            id: id.to_owned(),
            name: format!("Candidate {id}"),
            columns: vec![],
            colour: None,
        };
        let card = |party: &str, candidate| Card {
            party: party.to_owned(),
            candidate,
        };
        Election::new(Election {
            id: "test".to_owned(),
            title: LocalText::default(),
            date: Date::constant(2024, 7, 28),
            candidates: vec![candidate("A"), candidate("B"), candidate("C")],
            cards: vec![
                card("P1", 0),
                card("P2", 0),
                card("P3", 1),
                card("P4", 2),
                card("P5", 1),
            ],
            acta_format: "test".to_owned(),
            geography: Geography {
                centre_digits: 9,
                levels: vec![
                    level("state", 2),
                    level("municipality", 4),
                    level("parish", 6),
                    level("centre", 9),
                ],
            },
            voter_id_prefixes: vec!["V".to_owned()],
            declared: DeclaredTotals::default(),
            bulletins: vec![],
            sheet: SheetModel::standard(),
            acta_format_options: Vec::new(),
        })
        .unwrap_or_else(|error| panic!("small election: {error}"))
    }

    #[test]
    fn areas_are_prefixes_of_the_centre_code() {
        let election = small_election();
        let geo = &election.geography;
        let centre = CentreCode::new(201_301_006);
        let areas: Vec<String> = geo.areas_of(centre).map(|a| geo.format_area(a)).collect();
        assert_eq!(areas, ["", "20", "2013", "201301", "201301006"]);
        let parish = geo.area_of(centre, 2);
        assert_eq!(geo.parent(parish), Some(geo.area_of(centre, 1)));
        assert_eq!(geo.parent(geo.area_of(centre, 0)), Some(AreaCode::National));
        assert_eq!(
            geo.parse_area(0, "1").ok(),
            Some(geo.area_of(CentreCode::new(10_113_042), 0))
        );
        assert!(geo.parse_area(0, "123").is_err());
        assert!(geo.level_index("county").is_err());
    }

    #[test]
    fn inconsistent_elections_are_refused() {
        let mut bad = small_election();
        bad.cards.push(Card {
            party: "X".to_owned(),
            candidate: 9,
        });
        assert!(Election::new(bad).is_err());
        let mut bad = small_election();
        bad.geography.levels[1].digits = 2;
        assert!(Election::new(bad).is_err());
        let mut bad = small_election();
        bad.candidates[1].id = "A".to_owned();
        assert!(Election::new(bad).is_err());
    }

    #[test]
    fn areas_declared_and_announced_must_exist() {
        let state = |prefix| AreaCode::Area { level: 0, prefix };
        let with_declared = |area| {
            let mut election = small_election();
            election
                .declared
                .areas
                .insert(area, DeclaredArea::default());
            Election::new(election)
        };
        assert!(with_declared(state(13)).is_ok());
        assert!(with_declared(state(100)).is_err(), "a state has two digits");
        assert!(with_declared(AreaCode::National).is_err());
        assert!(
            with_declared(AreaCode::Area {
                level: 4,
                prefix: 1
            })
            .is_err()
        );
        let mut election = small_election();
        election.declared.registered_voters = Some(900);
        election.declared.areas.insert(
            state(13),
            DeclaredArea {
                registered_voters: Some(500),
                tables: Some(2),
            },
        );
        assert_eq!(
            election.declared.area(AreaCode::National).registered_voters,
            Some(900)
        );
        assert_eq!(election.declared.area(state(13)).tables, Some(2));
        assert_eq!(election.declared.area(state(14)), DeclaredArea::default());
        let bulletin = Bulletin {
            id: "b".to_owned(),
            title: String::new(),
            date: Date::constant(2024, 7, 29),
            stated_coverage_percent: Some(80.0),
            votes: [(0, 10)].into(),
            other_votes: None,
            valid_votes: Some(20),
            null_votes: None,
            turnout_percent: None,
            areas: [(
                state(13),
                BulletinArea {
                    votes: [(9, 1)].into(),
                    ..BulletinArea::default()
                },
            )]
            .into(),
        };
        election.bulletins.push(bulletin.clone());
        assert!(
            Election::new(election.clone()).is_err(),
            "candidate 9 does not exist"
        );
        let mut fixed = bulletin;
        fixed.areas.insert(
            state(13),
            BulletinArea {
                votes: [(1, 1)].into(),
                ..BulletinArea::default()
            },
        );
        // An area's figures inherit the bulletin's stated coverage.
        let figures = fixed.figures(state(13)).map(|f| f.stated_coverage_percent);
        assert_eq!(figures, Some(Some(80.0)));
        assert_eq!(fixed.figures(state(14)), None);
        assert_eq!(
            fixed.figures(AreaCode::National).map(|f| f.valid_votes),
            Some(Some(20))
        );
        election.bulletins = vec![fixed];
        assert!(Election::new(election).is_ok());
    }
}
