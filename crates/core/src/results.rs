//! Everything known about an election, and what follows from it: every table's status and the
//! tally at every level. The store loads a [`Dataset`]; [`Results::compute`] derives the rest.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::acta::ActaCopy;
use crate::decision::Decision;
use crate::election::{AreaCode, Election};
use crate::id::{TableId, TableKey};
use crate::status::{Assessment, TableStatus, assess};
use crate::tally::Tally;
use crate::validate::{Place, validate};

/// A polling table as the election knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PollingTable {
    /// Which table.
    pub id: TableId,
    /// Registered voters, when known.
    pub registered: Option<u32>,
    /// Whether it is in the election's table list (as opposed to learnt from results).
    pub listed: bool,
}

/// Everything stored about an election.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// The election.
    pub election: Election,
    /// Known tables with their store keys.
    pub tables: Vec<(TableKey, PollingTable)>,
    /// Area names per area.
    pub area_names: BTreeMap<AreaCode, String>,
    /// Every acta copy.
    pub copies: Vec<ActaCopy>,
    /// Every coordinator's decision on a table in conflict, oldest first (in log order).
    pub decisions: Vec<Decision>,
}

impl Dataset {
    /// Whether a table list was imported: then only listed tables are expected.
    #[must_use]
    pub fn has_table_list(&self) -> bool {
        self.tables.iter().any(|(_, table)| table.listed)
    }
}

/// One table (or one table id that copies name but the election does not know).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableState {
    /// The table, when known.
    pub table: Option<(TableKey, PollingTable)>,
    /// Indexes of its copies in [`Dataset::copies`], oldest first.
    pub copies: Vec<usize>,
    /// Indexes of the decisions on it in [`Dataset::decisions`], oldest first.
    pub decisions: Vec<usize>,
    /// Its status and result.
    pub assessment: Assessment,
}

impl TableState {
    /// Whether the table is expected (counted in coverage).
    #[must_use]
    pub fn is_expected(&self, table_list: bool) -> bool {
        self.table
            .as_ref()
            .is_some_and(|(_, table)| table.listed || !table_list)
    }
}

/// A dataset with every table assessed and everything tallied.
#[derive(Clone, Debug)]
pub struct Results {
    /// The data.
    pub dataset: Dataset,
    tables: BTreeMap<TableId, TableState>,
    by_key: HashMap<TableKey, TableId>,
    /// [`Dataset::has_table_list`], asked once: it reads every table, and every area's
    /// coverage needs it (asking it per area was quadratic in tables).
    table_list: bool,
    /// The tally.
    pub tally: Tally,
}

impl Results {
    /// Validates every copy again against the tables established now (a copy received before
    /// its table was established counts once it is), assesses every table and tallies.
    #[must_use]
    pub fn compute(mut dataset: Dataset) -> Self {
        let table_list = dataset.has_table_list();
        revalidate(&mut dataset, table_list);
        let mut tables: BTreeMap<TableId, TableState> = dataset
            .tables
            .iter()
            .map(|(key, table)| {
                (
                    table.id,
                    TableState {
                        table: Some((*key, table.clone())),
                        copies: Vec::new(),
                        decisions: Vec::new(),
                        assessment: Assessment::missing(),
                    },
                )
            })
            .collect();
        for (index, copy) in dataset.copies.iter().enumerate() {
            tables
                .entry(copy.record.table)
                .or_insert_with(|| TableState {
                    table: None,
                    copies: Vec::new(),
                    decisions: Vec::new(),
                    assessment: Assessment::missing(),
                })
                .copies
                .push(index);
        }
        // A decision on a table without copies is kept on no table: it decides nothing.
        for (index, decision) in dataset.decisions.iter().enumerate() {
            if let Some(state) = tables.get_mut(&decision.table) {
                state.decisions.push(index);
            }
        }
        for state in tables.values_mut() {
            let copies: Vec<&ActaCopy> = state.copies.iter().map(|&i| &dataset.copies[i]).collect();
            let decisions: Vec<&Decision> = state
                .decisions
                .iter()
                .map(|&i| &dataset.decisions[i])
                .collect();
            state.assessment = assess(&copies, &decisions, &dataset.election);
            // A table outside the table list is never counted, whatever its copies say.
            if !state.is_expected(table_list) && state.assessment.status.is_counted() {
                state.assessment.status = TableStatus::AwaitingPerson;
            }
        }
        let tally = Tally::compute(
            &dataset.election,
            tables
                .values()
                .filter(|s| s.is_expected(table_list))
                .filter_map(|state| {
                    state
                        .table
                        .as_ref()
                        .map(|(_, table)| (table, &state.assessment))
                }),
        );
        let by_key = dataset
            .tables
            .iter()
            .map(|(key, table)| (*key, table.id))
            .collect();
        Self {
            dataset,
            tables,
            by_key,
            table_list,
            tally,
        }
    }

    /// The election.
    #[must_use]
    pub fn election(&self) -> &Election {
        &self.dataset.election
    }

    /// Whether a table list was imported ([`Dataset::has_table_list`], computed once).
    #[must_use]
    pub fn has_table_list(&self) -> bool {
        self.table_list
    }

    /// One table's state.
    #[must_use]
    pub fn table(&self, id: TableId) -> Option<&TableState> {
        self.tables.get(&id)
    }

    /// The table with this store key.
    #[must_use]
    pub fn table_by_key(&self, key: TableKey) -> Option<(TableId, &TableState)> {
        let id = *self.by_key.get(&key)?;
        Some((id, self.tables.get(&id)?))
    }

    /// The copies of a table, oldest first.
    pub fn copies_of<'a>(&'a self, state: &'a TableState) -> impl Iterator<Item = &'a ActaCopy> {
        state
            .copies
            .iter()
            .filter_map(|&i| self.dataset.copies.get(i))
    }

    /// The decisions on a table, oldest first.
    pub fn decisions_of<'a>(&'a self, state: &'a TableState) -> impl Iterator<Item = &'a Decision> {
        state
            .decisions
            .iter()
            .filter_map(|&i| self.dataset.decisions.get(i))
    }

    /// Every table and unknown table id, in id order.
    pub fn tables(&self) -> impl Iterator<Item = (&TableId, &TableState)> {
        self.tables.iter()
    }

    /// The tables of one centre (known or not), in number order.
    pub fn tables_of_centre(
        &self,
        area: AreaCode,
    ) -> impl Iterator<Item = (&TableId, &TableState)> {
        let election = &self.dataset.election;
        let centre_level = election.geography.levels.len().saturating_sub(1);
        self.tables
            .iter()
            .filter(move |(id, _)| election.geography.area_of(id.centre, centre_level) == area)
    }

    /// An area's name, when one was imported.
    #[must_use]
    pub fn area_name(&self, area: AreaCode) -> Option<&str> {
        self.dataset.area_names.get(&area).map(String::as_str)
    }
}

/// Gives every copy the findings of its record against the tables established now: those of a
/// table outside the table list (when there is one) are those of an unknown table.
fn revalidate(dataset: &mut Dataset, table_list: bool) {
    let established: HashMap<TableId, &PollingTable> = dataset
        .tables
        .iter()
        .filter(|(_, table)| table.listed || !table_list)
        .map(|(_, table)| (table.id, table))
        .collect();
    let geography = &dataset.election.geography;
    let first_level_areas: BTreeSet<AreaCode> = established
        .keys()
        .map(|id| geography.area_of(id.centre, 0))
        .collect();
    for copy in &mut dataset.copies {
        let id = copy.record.table;
        let place = established.get(&id).map_or_else(
            || Place::Unknown {
                area_known: first_level_areas.contains(&geography.area_of(id.centre, 0)),
            },
            |table| Place::Table(table),
        );
        copy.findings = validate(&copy.record, &dataset.election, place);
    }
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;
    use proptest::prelude::*;

    use super::*;
    use crate::acta::{ActaRecord, Counts, Location, Provenance, SourceKind};
    use crate::election::tests::small_election;
    use crate::{CentreCode, CopyId, Sha256, TableNumber};

    fn copy(id: i64, table: TableId, cells: Vec<u32>) -> ActaCopy {
        ActaCopy {
            id: CopyId::new(id),
            record: ActaRecord {
                table,
                counts: Counts::Cells(cells),
                null_votes: Some(1),
                stated_valid_votes: None,
                stated_registered: None,
                format_fields: vec![],
                declared_counts: Vec::new(),
            },
            provenance: Provenance {
                source: SourceKind::Qr,
                file_name: format!("{id}.jpg"),
                file_sha256: Sha256::from_bytes([u8::try_from(id % 256).unwrap_or(0); 32]),
                location: Location::Page(1),
                received_at: Timestamp::UNIX_EPOCH,
                // Each copy its own scanner: independent evidence.
                device: Some(format!("scanner-{id}")),
                volunteer: None,
                published_sha256: None,
                same_image_as: None,
                entered_by: Vec::new(),
            },
            findings: vec![],
            log_index: None,
        }
    }

    /// Random tables spread over a few states, municipalities, parishes and centres, each with
    /// zero to three copies, some agreeing and some not.
    fn dataset_strategy() -> impl Strategy<Value = Dataset> {
        let table = (1u64..4, 1u64..3, 1u64..3, 1u64..4, 1u16..4, 0u32..900);
        let copies = prop::collection::vec(prop::collection::vec(0u32..200, 5), 0..3);
        prop::collection::vec((table, copies, any::<bool>()), 1..60).prop_map(|rows| {
            let mut tables = BTreeMap::new();
            let mut copies_out = Vec::new();
            for ((state, municipality, parish, centre, number, registered), copies, listed) in rows
            {
                let code = state * 10_000_000 + municipality * 100_000 + parish * 1000 + centre;
                let id = TableId::new(CentreCode::new(code), TableNumber::new(number));
                let key = TableKey::new(u32::try_from(tables.len()).unwrap_or(0));
                tables.entry(id).or_insert((
                    key,
                    PollingTable {
                        id,
                        registered: Some(registered),
                        listed,
                    },
                ));
                for cells in copies {
                    let next = i64::try_from(copies_out.len()).unwrap_or(0);
                    copies_out.push(copy(next, id, cells));
                }
            }
            Dataset {
                election: small_election(),
                tables: tables.into_values().collect(),
                area_names: BTreeMap::new(),
                copies: copies_out,
                decisions: Vec::new(),
            }
        })
    }

    proptest! {
        /// Every level adds up to the national tally: votes, nulls, coverage and statuses.
        #[test]
        fn every_level_adds_up_to_the_nation(dataset in dataset_strategy()) {
            let results = Results::compute(dataset);
            let national = results.tally.national().clone();
            for level in 0..results.election().geography.levels.len() {
                let mut sum = Totals {
                    candidate_votes: vec![0; national.candidate_votes.len()],
                    ..Totals::default()
                };
                for (_, totals) in results.tally.level(level) {
                    for (a, b) in sum.candidate_votes.iter_mut().zip(&totals.candidate_votes) {
                        *a += b;
                    }
                    sum.null_votes += totals.null_votes;
                    sum.tables += totals.tables;
                    sum.tables_counted += totals.tables_counted;
                    sum.registered += totals.registered;
                    sum.registered_counted += totals.registered_counted;
                    sum.contested_votes += totals.contested_votes;
                    for (a, b) in sum.tables_by_status.iter_mut().zip(totals.tables_by_status) {
                        *a += b;
                    }
                }
                prop_assert_eq!(&sum, &national, "level {}", level);
            }
            // And each area is the sum of its children.
            let election = results.election().clone();
            for level in 0..election.geography.levels.len() - 1 {
                for (area, totals) in results.tally.level(level) {
                    let votes: u64 = results.tally.children(&election, area)
                        .map(|(_, child)| child.valid_votes()).sum();
                    let tables: u64 = results.tally.children(&election, area)
                        .map(|(_, child)| child.tables).sum();
                    prop_assert_eq!(votes, totals.valid_votes());
                    prop_assert_eq!(tables, totals.tables);
                }
            }
        }

        /// The national tally is the sum of the counted tables' results, computed directly.
        #[test]
        fn national_tally_is_the_sum_of_counted_tables(dataset in dataset_strategy()) {
            let results = Results::compute(dataset);
            let list = results.has_table_list();
            let mut votes = 0u64;
            let mut counted = 0u64;
            for (_, state) in results.tables() {
                if state.is_expected(list) && state.assessment.status.is_counted() {
                    counted += 1;
                    votes += state.assessment.result.as_ref()
                        .map_or(0, |r| r.candidate_votes.iter().sum::<u64>());
                }
            }
            prop_assert_eq!(results.tally.national().valid_votes(), votes);
            prop_assert_eq!(results.tally.national().tables_counted, counted);
        }
    }

    use crate::tally::Totals;

    #[test]
    fn unknown_tables_are_kept_but_not_counted() {
        let election = small_election();
        let known = TableId::new(CentreCode::new(201_301_006), TableNumber::new(1));
        let unknown = TableId::new(CentreCode::new(201_301_006), TableNumber::new(9));
        let dataset = Dataset {
            election,
            tables: vec![(
                TableKey::new(0),
                PollingTable {
                    id: known,
                    registered: Some(500),
                    listed: true,
                },
            )],
            area_names: BTreeMap::new(),
            copies: vec![
                copy(1, known, vec![1, 1, 1, 1, 1]),
                copy(2, unknown, vec![9, 9, 9, 9, 9]),
            ],
            decisions: Vec::new(),
        };
        let results = Results::compute(dataset);
        assert_eq!(results.tally.national().valid_votes(), 5);
        assert_eq!(results.tally.national().tables, 1);
        let state = results.table(unknown).map(|s| s.assessment.status);
        assert_eq!(state, Some(TableStatus::AwaitingPerson));
    }

    /// A forged copy never creates its table: it waits with F101 (and F105 when its state does
    /// not exist), and the same copy counts once a table list establishes its table.
    #[test]
    fn a_copy_counts_only_once_its_table_is_established() {
        let election = small_election();
        let real = TableId::new(CentreCode::new(201_301_006), TableNumber::new(1));
        let later = TableId::new(CentreCode::new(201_301_006), TableNumber::new(2));
        let no_state = TableId::new(CentreCode::new(991_301_006), TableNumber::new(1));
        let listed = |id| PollingTable {
            id,
            registered: Some(500),
            listed: true,
        };
        let mut dataset = Dataset {
            election,
            tables: vec![(TableKey::new(0), listed(real))],
            area_names: BTreeMap::new(),
            copies: vec![
                copy(1, real, vec![1, 1, 1, 1, 1]),
                copy(2, later, vec![2, 2, 2, 2, 2]),
                copy(3, no_state, vec![300, 300, 300, 300, 300]),
            ],
            decisions: Vec::new(),
        };
        let codes = |results: &Results, id| -> Vec<&'static str> {
            let state = results.table(id).expect("the table's state");
            results
                .copies_of(state)
                .flat_map(|c| c.findings.iter().map(|f| f.code.code()))
                .collect()
        };
        let before = Results::compute(dataset.clone());
        assert_eq!(before.tally.national().valid_votes(), 5);
        assert_eq!(codes(&before, later), ["F101"]);
        assert_eq!(codes(&before, no_state), ["F101", "F105"]);
        assert_eq!(
            before.table(no_state).map(|s| s.assessment.status),
            Some(TableStatus::AwaitingPerson)
        );
        dataset.tables.push((TableKey::new(1), listed(later)));
        let after = Results::compute(dataset);
        assert_eq!(after.tally.national().valid_votes(), 15);
        assert!(codes(&after, later).is_empty());
        assert_eq!(
            after.table(later).map(|s| s.assessment.status),
            Some(TableStatus::Accepted)
        );
        assert_eq!(codes(&after, no_state), ["F101", "F105"]);
    }

    /// A decision on a table in conflict makes it counted with the kept copy's numbers in the
    /// tally, and the table's state lists the decisions on it; the copies stay as they came.
    #[test]
    fn a_decided_table_is_counted_with_the_kept_copy() {
        let id = TableId::new(CentreCode::new(201_301_006), TableNumber::new(1));
        let real = copy(1, id, vec![1, 1, 1, 1, 1]);
        let forged = copy(2, id, vec![9, 9, 9, 9, 9]);
        let mut dataset = Dataset {
            election: small_election(),
            tables: vec![(
                TableKey::new(0),
                PollingTable {
                    id,
                    registered: Some(500),
                    listed: true,
                },
            )],
            area_names: BTreeMap::new(),
            copies: vec![real.clone(), forged.clone()],
            decisions: Vec::new(),
        };
        let before = Results::compute(dataset.clone());
        assert_eq!(before.tally.national().valid_votes(), 0);
        assert_eq!(
            before.tally.national().tables_with(TableStatus::Conflict),
            1
        );
        let copies = [&real, &forged];
        let decision = crate::Decision::new(
            id,
            &copies,
            TableStatus::Conflict,
            real.provenance.evidence_ref(),
            crate::Pseudonym::new("chief").unwrap_or_else(|e| panic!("{e}")),
            crate::Reason::new("the paper says so").unwrap_or_else(|e| panic!("{e}")),
            Timestamp::UNIX_EPOCH,
            &dataset.election,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        dataset.decisions.push(decision.clone());
        let after = Results::compute(dataset);
        assert_eq!(after.tally.national().valid_votes(), 5);
        assert_eq!(after.tally.national().tables_with(TableStatus::Decided), 1);
        assert_eq!(after.tally.national().contested_votes, 0);
        let state = after.table(id).unwrap_or_else(|| panic!("the table"));
        assert_eq!(after.decisions_of(state).collect::<Vec<_>>(), [&decision]);
        assert_eq!(after.copies_of(state).count(), 2);
    }
}
