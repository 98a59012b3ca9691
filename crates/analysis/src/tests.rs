//! The analyses on whole datasets: the bound against an adversary who fills the missing tables,
//! the projection at full coverage and on the handbook's case, honest coverage, impossible
//! official figures.

use std::collections::BTreeMap;

use proptest::prelude::*;
use veedor_core::{
    ActaCopy, ActaRecord, AreaCode, Bulletin, BulletinArea, Candidate, CentreCode, CopyId, Counts,
    Dataset, Date, DeclaredArea, DeclaredTotals, Election, Geography, Level, LocalText, Location,
    PollingTable, Provenance, Results, Sha256, SourceKind, TableId, TableKey, TableNumber,
    Timestamp,
};

use super::*;

/// Three candidates; states of 2 digits, municipalities of 4, centres of 6.
fn election() -> Election {
    let level = |id: &str, digits| Level {
        id: id.to_owned(),
        name: LocalText::default(),
        digits,
        name_columns: vec![],
    };
    let candidate = |id: &str| Candidate {
        id: id.to_owned(),
        name: id.to_owned(),
        columns: vec![],
        colour: None,
    };
    Election::new(Election {
        id: "test".to_owned(),
        title: LocalText::default(),
        date: Date::constant(2024, 7, 28),
        candidates: vec![candidate("A"), candidate("B"), candidate("C")],
        cards: vec![],
        acta_format: "test".to_owned(),
        geography: Geography {
            centre_digits: 6,
            levels: vec![
                level("state", 2),
                level("municipality", 4),
                level("centre", 6),
            ],
        },
        voter_id_prefixes: vec![],
        declared: DeclaredTotals::default(),
        bulletins: vec![],
        sheet: veedor_core::SheetModel::standard(),
        acta_format_options: Vec::new(),
    })
    .unwrap_or_else(|error| panic!("test election: {error}"))
}

/// One table as a test describes it.
#[derive(Clone, Debug)]
struct Table {
    centre: u64,
    number: u16,
    registered: u32,
    /// The versions of its acta: none (missing), one (counted), two that differ (conflict).
    copies: Vec<[u32; 3]>,
}

fn state(prefix: u64) -> AreaCode {
    AreaCode::Area { level: 0, prefix }
}

fn copy(index: usize, table: TableId, votes: [u32; 3]) -> ActaCopy {
    let id = i64::try_from(index).unwrap_or(0);
    ActaCopy {
        id: CopyId::new(id),
        record: ActaRecord {
            table,
            counts: Counts::Candidates(votes.to_vec()),
            null_votes: Some(0),
            stated_valid_votes: None,
            stated_registered: None,
            format_fields: vec![],
            declared_counts: Vec::new(),
        },
        provenance: Provenance {
            source: SourceKind::CsvImport,
            file_name: "results.csv".to_owned(),
            file_sha256: Sha256::from_bytes([u8::try_from(index % 251).unwrap_or(0); 32]),
            location: Location::Line(u64::try_from(index).unwrap_or(0) + 2),
            received_at: Timestamp::UNIX_EPOCH,
            device: Some(format!("device-{index}")),
            volunteer: None,
            published_sha256: None,
            same_image_as: None,
            entered_by: vec![],
        },
        findings: vec![],
        log_index: None,
    }
}

/// The results of `tables` (listed when `table_list`, else learnt from results).
fn results(election: Election, tables: &[Table], table_list: bool) -> Results {
    let mut polling = Vec::new();
    let mut copies = Vec::new();
    for (index, table) in tables.iter().enumerate() {
        let id = TableId::new(
            CentreCode::new(table.centre),
            TableNumber::new(table.number),
        );
        polling.push((
            TableKey::new(u32::try_from(index).unwrap_or(0)),
            PollingTable {
                id,
                registered: Some(table.registered),
                listed: table_list,
            },
        ));
        for votes in &table.copies {
            copies.push(copy(copies.len(), id, *votes));
        }
    }
    Results::compute(Dataset {
        election,
        tables: polling,
        area_names: BTreeMap::new(),
        copies,
        decisions: Vec::new(),
    })
}

fn national(results: &Results, replicates: u32) -> Analysis {
    let options = Options {
        replicates,
        ..Options::default()
    };
    analyze(results, Scope::National, &options).unwrap_or_else(|e| panic!("{e}"))
}

/// Tables in up to four states, some counted, some missing, some in conflict; votes within
/// registered voters.
fn tables_strategy() -> impl Strategy<Value = Vec<Table>> {
    let table = (
        1u64..5,
        1u64..4,
        1u16..4,
        20u32..900,
        (0u32..=100, 0u32..=100, 0u32..=100),
        0u8..10,
    );
    prop::collection::vec(table, 1..40).prop_map(|rows| {
        let mut seen = std::collections::BTreeSet::new();
        rows.into_iter()
            .filter(|(state, centre, number, ..)| seen.insert((*state, *centre, *number)))
            .map(|(state, centre, number, registered, (a, b, c), kind)| {
                // Shares of 0..=100 each, scaled so that the votes fit the registered voters.
                let total = (a + b + c).max(1);
                let scale = |x: u32| x * registered / total;
                let votes = [scale(a), scale(b), scale(c)];
                let copies = match kind {
                    0 => vec![],
                    1 => vec![votes, [votes[0], votes[1] + 1, votes[2]]],
                    _ => vec![votes],
                };
                Table {
                    centre: state * 10_000 + centre,
                    number,
                    registered,
                    copies,
                }
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Whatever the missing tables say, within their registered voters, a winner the bound
    /// says they cannot change stays the winner; and a winner it says they could change is
    /// overturned (or tied) when they all vote for the runner-up.
    #[test]
    fn the_bound_holds_against_an_adversary(
        tables in tables_strategy(),
        unknown_voters in prop_oneof![Just(0u32), 0u32..3000],
        table_list in any::<bool>(),
        favoured_by_adversary in 0usize..3,
    ) {
        let mut election = election();
        let known: u64 = tables.iter().map(|t| u64::from(t.registered)).sum();
        election.declared.registered_voters = Some(known + u64::from(unknown_voters));
        let before = results(election.clone(), &tables, table_list);
        let analysis = national(&before, 0);
        let bound = analysis.areas[0].bound;
        let Some(leader) = bound.leader else { return Ok(()) };
        // The adversary: every table without a counted acta, and new tables holding the voters
        // no known table holds, all for one candidate.
        let fill = |favoured: usize| {
            let mut filled: Vec<Table> = tables
                .iter()
                .map(|table| {
                    let counted = table.copies.len() == 1;
                    let mut votes = [0; 3];
                    votes[favoured] = table.registered;
                    Table {
                        copies: if counted { table.copies.clone() } else { vec![votes] },
                        ..table.clone()
                    }
                })
                .collect();
            if unknown_voters > 0 {
                let mut votes = [0; 3];
                votes[favoured] = unknown_voters;
                filled.push(Table {
                    centre: 990_001,
                    number: 1,
                    registered: unknown_voters,
                    copies: vec![votes],
                });
            }
            let after = results(election.clone(), &filled, table_list);
            after.tally.national().candidate_votes.clone()
        };
        match bound.verdict {
            Verdict::CannotChange => {
                let votes = fill(favoured_by_adversary);
                for (candidate, &v) in votes.iter().enumerate() {
                    if candidate != leader {
                        prop_assert!(votes[leader] > v, "{votes:?} {bound:?}");
                    }
                }
            }
            Verdict::CouldChange => {
                let runner_up = bound.runner_up.unwrap_or(leader);
                let votes = fill(runner_up);
                prop_assert!(runner_up == leader || votes[runner_up] >= votes[leader], "{votes:?} {bound:?}");
            }
            Verdict::Unknown => prop_assert!(false, "the nation's voters are declared"),
        }
    }

    /// With every expected table counted, the projection is the plain share of the actas,
    /// whatever the strata.
    #[test]
    fn at_full_coverage_the_projection_is_the_plain_share(
        tables in tables_strategy(),
        strata_level in prop::option::of(0usize..3),
        declare_states in any::<bool>(),
    ) {
        let counted: Vec<Table> = tables
            .into_iter()
            .map(|table| Table { copies: vec![[table.registered / 3, table.registered / 4, 1]], ..table })
            .collect();
        let mut election = election();
        election.declared.registered_voters = Some(counted.iter().map(|t| u64::from(t.registered)).sum());
        if declare_states {
            for table in &counted {
                let entry = election.declared.areas.entry(state(table.centre / 10_000)).or_default();
                *entry.registered_voters.get_or_insert(0) += u64::from(table.registered);
            }
        }
        let results = results(election, &counted, false);
        let options = Options { strata_level, replicates: 20, ..Options::default() };
        let analysis = analyze(&results, Scope::National, &options).unwrap_or_else(|e| panic!("{e}"));
        let projection = &analysis.projection;
        for (estimate, plain) in projection.estimates.iter().zip(&projection.plain) {
            prop_assert!((estimate.share - plain).abs() < 1e-12, "{projection:?}");
        }
        prop_assert_eq!(projection.unobserved_registered, 0);
    }
}

/// A state nothing declares, in a dataset learnt from results: its coverage is unknown, not
/// 100%; the nation's is measured against its declared figure; a declared state's against
/// its own.
#[test]
fn coverage_is_unknown_where_nothing_declares_it() {
    let tables = [
        Table {
            centre: 10_001,
            number: 1,
            registered: 500,
            copies: vec![[200, 100, 10]],
        },
        Table {
            centre: 20_001,
            number: 1,
            registered: 400,
            copies: vec![[100, 150, 10]],
        },
    ];
    let mut election = election();
    election.declared.registered_voters = Some(1200);
    election.declared.tables = Some(3);
    election.declared.areas.insert(
        state(2),
        DeclaredArea {
            registered_voters: Some(600),
            tables: Some(2),
        },
    );
    let results = results(election, &tables, false);
    let options = Options {
        replicates: 0,
        ..Options::default()
    };
    let analysis = analyze(&results, Scope::Level(0), &options).unwrap_or_else(|e| panic!("{e}"));
    let first = &analysis.areas[0];
    assert_eq!(first.area, state(1));
    assert_eq!(first.coverage.tables_expected, Expected::Unknown);
    assert_eq!(first.coverage.tables_percent(), None);
    assert_eq!(first.coverage.tables_without_acta(), None);
    assert_eq!(first.bound.verdict, Verdict::Unknown);
    let second = &analysis.areas[1].coverage;
    assert_eq!(second.tables_percent(), Some(50.0));
    assert_eq!(second.registered_without_acta(), Some(200));
    let nation = national(&results, 0);
    let coverage = &nation.areas[0].coverage;
    assert_eq!(coverage.tables_expected.value(), Some(3));
    assert_eq!(coverage.registered_without_acta(), Some(300));
    // A: 300, B: 250: a margin of 50 against 300 voters without an acta.
    assert_eq!(nation.areas[0].bound.margin, 50);
    assert_eq!(nation.areas[0].bound.verdict, Verdict::CouldChange);
    // With a table list, the listed tables are the expected ones.
    let listed = results_with_list(&tables);
    let state_one =
        analyze(&listed, Scope::Area(state(1)), &options).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        state_one.areas[0].coverage.tables_expected,
        Expected::Known {
            value: 1,
            source: Source::TableList
        }
    );
}

fn results_with_list(tables: &[Table]) -> Results {
    results(election(), tables, true)
}

/// An official figure below the counted actas' sum is impossible; with a stated coverage below
/// 100%, only below the sum without the tables the bulletin may have left out.
#[test]
fn official_figures_below_the_actas_are_impossible() {
    let tables: Vec<Table> = (1..=10)
        .map(|number| Table {
            centre: 10_001,
            number,
            registered: 500,
            copies: vec![[100 + u32::from(number), 50, 5]],
        })
        .collect();
    let mut election = election();
    election.declared.tables = Some(10);
    // A: 1,055 in the actas; the largest single table holds 110.
    let bulletin = |id: &str, coverage: Option<f64>, a: u64| Bulletin {
        id: id.to_owned(),
        title: id.to_owned(),
        date: Date::constant(2024, 7, 29),
        stated_coverage_percent: coverage,
        votes: [(0, a), (1, 600)].into(),
        other_votes: None,
        valid_votes: Some(a + 700),
        null_votes: None,
        turnout_percent: None,
        areas: [(
            state(1),
            BulletinArea {
                votes: [(0, 900)].into(),
                ..BulletinArea::default()
            },
        )]
        .into(),
    };
    election.bulletins = vec![
        bulletin("complete", None, 1_054),
        bulletin("ninety", Some(90.0), 944),
        bulletin("ninety-ok", Some(90.0), 945),
    ];
    let results = results(election, &tables, false);
    let analysis = national(&results, 0);
    let checks = &analysis.areas[0].official;
    let a = |check: &OfficialCheck| {
        check
            .rows
            .iter()
            .find(|row| row.figure == Figure::Candidate(0))
            .copied()
            .unwrap_or_else(|| panic!("no row for A"))
    };
    // Complete: 1,054 < 1,055.
    assert_eq!(a(&checks[0]).actas, 1_055);
    assert_eq!(a(&checks[0]).floor, Some(1_055));
    assert!(a(&checks[0]).impossible);
    assert!(!checks[0].coverage_stated);
    // 90% of 10 tables: one may be left out, at worst the one with 110: the floor is 945, so
    // 944 is impossible and 945 is not.
    assert_eq!(checks[1].tables_left_out, Some(1));
    assert_eq!(a(&checks[1]).floor, Some(945));
    assert!(a(&checks[1]).impossible);
    assert!(!a(&checks[2]).impossible);
    // The others, derived from the valid votes: 1,054 + 700 − 1,054 − 600 = 100 against 50.
    let others = checks[0]
        .rows
        .iter()
        .find(|row| row.figure == Figure::Others)
        .copied()
        .unwrap_or_else(|| panic!("no row for the others"));
    assert!(others.official_derived);
    assert_eq!((others.official, others.actas), (100, 50));
    assert!(!others.impossible);
    // The state's figure (900 < 1,055), at the bulletin's coverage.
    let options = Options {
        replicates: 0,
        ..Options::default()
    };
    let states =
        analyze(&results, Scope::Area(state(1)), &options).unwrap_or_else(|e| panic!("{e}"));
    let state_checks = &states.areas[0].official;
    assert_eq!(state_checks.len(), 3);
    assert!(a(&state_checks[0]).impossible);
    // The state's expected tables are unknown: at 90%, nothing can be said.
    assert_eq!(state_checks[1].tables_left_out, None);
    assert!(!a(&state_checks[1]).impossible);
}

/// The handbook's case (see `projection::tests`) through whole results: three states of 100
/// tables of 200 voters, 95, 95 and 90 counted at A 60%, 50%, 40% (100 votes a table). The
/// projection is A 50% where the counted actas say 50.18%; the same seed gives the same
/// interval; the sensitivity line favours B.
#[test]
fn the_projection_on_the_handbooks_case() {
    let mut tables = Vec::new();
    for (prefix, counted, a) in [(1u64, 95u16, 60u32), (2, 95, 50), (3, 90, 40)] {
        for number in 1..=100u16 {
            tables.push(Table {
                centre: prefix * 10_000 + 1,
                number,
                registered: 200,
                copies: if number <= counted {
                    vec![[a, 100 - a, 0]]
                } else {
                    vec![]
                },
            });
        }
    }
    let results = results_with_list(&tables);
    let analysis = national(&results, 200);
    let projection = &analysis.projection;
    assert_eq!(projection.strata.len(), 3);
    assert!((projection.estimates[0].share - 0.5).abs() < 1e-12);
    assert!((projection.plain[0] - 14_050.0 / 28_000.0).abs() < 1e-12);
    // Every table of a state votes alike: no replicate can differ.
    assert!((projection.estimates[0].low - 0.5).abs() < 1e-12);
    assert!((projection.estimates[0].high - 0.5).abs() < 1e-12);
    assert_eq!(national(&results, 200).projection, analysis.projection);
    let sensitivity = &projection.sensitivity;
    assert_eq!(sensitivity.runner_up, Some(1));
    // Within a state every table is alike, so its best tenth for B is the state itself.
    assert!((sensitivity.shares[0] - 0.5).abs() < 1e-12);
    // The nation as one stratum: the plain share.
    let options = Options {
        strata_level: None,
        replicates: 0,
        ..Options::default()
    };
    let one = analyze(&results, Scope::National, &options).unwrap_or_else(|e| panic!("{e}"));
    assert!((one.projection.estimates[0].share - projection.plain[0]).abs() < 1e-12);
}

/// Varied tables: the interval is reproducible by seed, contains the estimate, and changes
/// with the seed; the sensitivity line moves towards the runner-up.
#[test]
fn the_bootstrap_is_seeded() {
    let tables: Vec<Table> = (0..200u32)
        .map(|i| Table {
            centre: u64::from(1 + i % 3) * 10_000 + u64::from(i % 7) + 1,
            number: u16::try_from(i).unwrap_or(0) + 1,
            registered: 300 + i % 50,
            copies: if i % 5 == 0 {
                vec![]
            } else {
                vec![[100 + (i * 37) % 90, 60 + (i * 53) % 70, i % 9]]
            },
        })
        .collect();
    let results = results_with_list(&tables);
    let run = |seed| {
        let options = Options {
            seed,
            replicates: 300,
            ..Options::default()
        };
        analyze(&results, Scope::National, &options)
            .unwrap_or_else(|e| panic!("{e}"))
            .projection
    };
    let first = run(1);
    assert_eq!(first, run(1));
    assert_ne!(first.estimates, run(2).estimates);
    for estimate in &first.estimates {
        assert!(
            estimate.low <= estimate.share && estimate.share <= estimate.high,
            "{estimate:?}"
        );
    }
    let sensitivity = &first.sensitivity;
    let runner_up = sensitivity.runner_up.unwrap_or(0);
    assert!(sensitivity.shares[runner_up] > first.estimates[runner_up].share);
    assert_eq!(
        analyze(&results, Scope::Level(7), &Options::default()),
        Err(AnalysisError::UnknownLevel {
            level: 7,
            levels: 3
        })
    );
}
