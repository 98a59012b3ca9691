//! Totals at every level of the geography, with coverage, computed in one pass over the tables.

use std::collections::BTreeMap;

use crate::PollingTable;
use crate::election::{AreaCode, Election};
use crate::status::{Assessment, TableStatus};

/// What an area adds up to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Votes per candidate, from the counted tables.
    pub candidate_votes: Vec<u64>,
    /// Null votes, from the counted tables.
    pub null_votes: u64,
    /// Tables expected in the area (the table list's, or every known table without one).
    pub tables: u64,
    /// Expected tables whose result is counted.
    pub tables_counted: u64,
    /// Registered voters of the expected tables (where known).
    pub registered: u64,
    /// Registered voters of the counted tables.
    pub registered_counted: u64,
    /// Expected tables per status, indexed by [`TableStatus::index`].
    pub tables_by_status: [u64; 6],
    /// Votes at stake in the contested tables (in conflict, not counted until a person
    /// decides): for each, the most votes any of its versions carries.
    pub contested_votes: u64,
}

impl Totals {
    fn empty(candidates: usize) -> Self {
        Self {
            candidate_votes: vec![0; candidates],
            ..Self::default()
        }
    }

    /// Valid votes: the sum of the candidates' votes.
    #[must_use]
    pub fn valid_votes(&self) -> u64 {
        self.candidate_votes.iter().sum()
    }

    /// A candidate's share of the valid votes, in percent (0 when there are none).
    #[must_use]
    pub fn share_percent(&self, candidate: usize) -> f64 {
        percent(
            self.candidate_votes.get(candidate).copied().unwrap_or(0),
            self.valid_votes(),
        )
    }

    /// Counted tables as a percentage of expected tables.
    #[must_use]
    pub fn table_coverage_percent(&self) -> f64 {
        percent(self.tables_counted, self.tables)
    }

    /// Registered voters of the counted tables as a percentage of the expected ones.
    #[must_use]
    pub fn registered_coverage_percent(&self) -> f64 {
        percent(self.registered_counted, self.registered)
    }

    /// Expected tables with this status.
    #[must_use]
    pub fn tables_with(&self, status: TableStatus) -> u64 {
        self.tables_by_status[status.index()]
    }

    fn add(&mut self, table: &PollingTable, assessment: &Assessment) {
        self.tables += 1;
        let registered = u64::from(table.registered.unwrap_or(0));
        self.registered += registered;
        self.tables_by_status[assessment.status.index()] += 1;
        self.contested_votes += assessment.contested_votes;
        if let (true, Some(result)) = (assessment.status.is_counted(), &assessment.result) {
            self.tables_counted += 1;
            self.registered_counted += registered;
            self.null_votes += result.null_votes;
            for (total, votes) in self.candidate_votes.iter_mut().zip(&result.candidate_votes) {
                *total += votes;
            }
        }
    }
}

/// `part / whole` in percent; 0 when `whole` is 0.
#[must_use]
pub fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        // Vote counts stay far below 2^52, where f64 is exact.
        part as f64 * 100.0 / whole as f64
    }
}

/// Totals for the nation and every area that holds at least one expected table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tally {
    totals: BTreeMap<AreaCode, Totals>,
}

impl Tally {
    /// Adds up the expected tables with their assessments.
    pub fn compute<'a>(
        election: &Election,
        tables: impl IntoIterator<Item = (&'a PollingTable, &'a Assessment)>,
    ) -> Self {
        let candidates = election.candidates.len();
        let mut totals = BTreeMap::new();
        totals.insert(AreaCode::National, Totals::empty(candidates));
        for (table, assessment) in tables {
            for area in election.geography.areas_of(table.id.centre) {
                totals
                    .entry(area)
                    .or_insert_with(|| Totals::empty(candidates))
                    .add(table, assessment);
            }
        }
        Self { totals }
    }

    /// The totals of an area, if it holds any expected table (the nation always has totals).
    #[must_use]
    pub fn get(&self, area: AreaCode) -> Option<&Totals> {
        self.totals.get(&area)
    }

    /// The nation's totals.
    #[must_use]
    pub fn national(&self) -> &Totals {
        static EMPTY: Totals = Totals {
            candidate_votes: Vec::new(),
            null_votes: 0,
            tables: 0,
            tables_counted: 0,
            registered: 0,
            registered_counted: 0,
            tables_by_status: [0; 6],
            contested_votes: 0,
        };
        self.totals.get(&AreaCode::National).unwrap_or(&EMPTY)
    }

    /// Every area of one level (index into the geography's levels), in code order.
    pub fn level(&self, level: usize) -> impl Iterator<Item = (AreaCode, &Totals)> {
        let level = u8::try_from(level).unwrap_or(u8::MAX);
        self.totals
            .range(
                AreaCode::Area { level, prefix: 0 }..=AreaCode::Area {
                    level,
                    prefix: u64::MAX,
                },
            )
            .map(|(area, totals)| (*area, totals))
    }

    /// The areas directly below `area`, in code order.
    pub fn children(
        &self,
        election: &Election,
        area: AreaCode,
    ) -> impl Iterator<Item = (AreaCode, &Totals)> {
        let levels = &election.geography.levels;
        let (level, low, high) = match area {
            AreaCode::National => (0usize, 0, u64::MAX),
            AreaCode::Area { level, prefix } => {
                let level = usize::from(level) + 1;
                let here = levels.get(level - 1).map_or(0, |l| l.digits);
                let below = levels.get(level).map_or(here, |l| l.digits);
                let scale = 10u64.saturating_pow(u32::from(below.saturating_sub(here)));
                (
                    level,
                    prefix.saturating_mul(scale),
                    prefix
                        .saturating_add(1)
                        .saturating_mul(scale)
                        .saturating_sub(1),
                )
            }
        };
        let level = u8::try_from(level).unwrap_or(u8::MAX);
        self.totals
            .range(
                AreaCode::Area { level, prefix: low }..=AreaCode::Area {
                    level,
                    prefix: high,
                },
            )
            .map(|(area, totals)| (*area, totals))
    }
}
