//! `veedor demo`: the 2024 Venezuelan election from nothing. The election file and the real
//! published results are built into the binary, so the demo needs no network and no files.

use std::collections::HashMap;
use std::fs;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context as _, bail};
use veedor_core::{
    CentreCode, Location, RegistryBuilder, SourceKind, TableId, TableKey, TableNumber,
};
use veedor_sim::registry::{RegistryPlan, voters};
use veedor_store::{FileKind, SourceFile, Store};
use veedor_store_sqlite::sha256;
use veedor_web::api::{self, TallyScope};

use crate::context::{InputFile, SHIPPED_ELECTIONS, now};
use crate::exit;
use crate::import::{self, Row};
use crate::show::{load_results, render_area, thousands};

/// The real per-acta results published in 2024 (see data/ve2024/README.md).
const RESULTS_CSV: &[u8] = include_bytes!("../../../data/ve2024/RESULTADOS_2024_CSV_V1.csv");
const RESULTS_NAME: &str = "RESULTADOS_2024_CSV_V1.csv";
const MARKER: &str = ".veedor-demo";
const SEED: u64 = 2024;

/// The tables of the three real QR payloads in data/ve2024/README.md: their voters are the
/// ones the demo suggests looking up.
const SHOWCASE: [(u64, u16); 3] = [(201_301_006, 1), (110_601_011, 4), (150_702_005, 2)];

fn prepare(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() {
        let is_demo = dir.join(MARKER).exists();
        let is_empty = fs::read_dir(dir)
            .map(|mut d| d.next().is_none())
            .unwrap_or(false);
        if !is_demo && !is_empty {
            bail!(
                "{} exists and is not a veedor demo folder; give another with --dir",
                dir.display()
            );
        }
        fs::remove_dir_all(dir)
            .with_context(|| format!("removing the earlier demo in {}", dir.display()))?;
    }
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    fs::write(
        dir.join(MARKER),
        "made by `veedor demo`; it replaces this folder when run again\n",
    )
    .with_context(|| format!("writing into {}", dir.display()))?;
    Ok(())
}

/// `veedor demo`.
pub fn run(dir: &Path) -> anyhow::Result<u8> {
    let started = Instant::now();
    prepare(dir)?;
    let (_, definition) = SHIPPED_ELECTIONS[0];
    let mut store = crate::context::create_store(dir, definition, None)?;
    let election = store.election()?;
    println!("veedor demo: {}", election.title.get("en"));
    println!("  data folder: {}", dir.display());

    // 1. The real per-acta results the opposition published in 2024.
    let input = InputFile {
        bytes: RESULTS_CSV.to_vec(),
        source: SourceFile {
            kind: FileKind::Results,
            file_name: RESULTS_NAME.to_owned(),
            sha256: sha256(RESULTS_CSV),
            size: u64::try_from(RESULTS_CSV.len()).unwrap_or(0),
            received_at: now(),
        },
    };
    let file = veedor_formats::parse_results(&input.bytes, &election)?;
    let rows = file
        .rows
        .into_iter()
        .map(|row| Row {
            location: Location::Line(row.line),
            record: row.record,
            area_names: row.area_names,
        })
        .collect();
    let (batch, mut summary) = import::copies_batch(
        &election,
        &mut import::KnownTables::load(&store)?,
        &input.source,
        &import::Origin::of(SourceKind::CsvImport),
        rows,
        &file.problems,
    );
    import::apply(&mut store, &batch, &mut summary)?;
    println!(
        "  imported {} actas of the real 2024 results ({}, sha256 {})",
        thousands(u64::try_from(summary.copies_added).unwrap_or(0)),
        RESULTS_NAME,
        input.source.sha256
    );
    if let Some(size) = summary.checkpoint {
        println!(
            "  transparency log: {size} entries, checkpoint signed with key {}",
            crate::ledger::read_key(dir)?.verifier_key()
        );
    }

    // 2. A synthetic registry: as many made-up voter ids per table as it has registered voters.
    let tables = store.tables()?;
    let weights = crate::generate::weights(&tables);
    let keys: HashMap<TableId, TableKey> = tables.iter().map(|(key, t)| (t.id, *key)).collect();
    let plan = RegistryPlan {
        voters: weights.iter().map(|(_, w)| w).sum(),
        seed: SEED,
    };
    let showcase: Vec<TableId> = SHOWCASE
        .iter()
        .map(|&(centre, number)| TableId::new(CentreCode::new(centre), TableNumber::new(number)))
        .collect();
    let mut to_try = Vec::new();
    let mut builder = RegistryBuilder::with_capacity(usize::try_from(plan.voters).unwrap_or(0));
    for (voter, table) in voters(&weights, plan) {
        if showcase.contains(&table) && !to_try.iter().any(|(_, t)| *t == table) {
            to_try.push((voter, table));
        }
        if let Some(key) = keys.get(&table) {
            builder.push(voter, *key);
        }
    }
    let registry = builder.build()?;
    let description = format!("synthetic registry, seed {SEED}, {} voters", plan.voters);
    store.replace_registry(
        &registry,
        &SourceFile {
            kind: FileKind::Registry,
            file_name: format!("synthetic-registry-seed-{SEED}"),
            sha256: sha256(description.as_bytes()),
            size: 0,
            received_at: now(),
        },
    )?;
    println!(
        "  generated a synthetic registry of {} voters over {} tables (ids made up, no names)",
        thousands(plan.voters),
        thousands(u64::try_from(tables.len()).unwrap_or(0))
    );

    // 3. What the actas say, beside the official bulletins.
    let results = load_results(&store)?;
    if let Some(document) = api::tally_document(&results, TallyScope::National, "en") {
        let mut out = String::new();
        for area in &document.areas {
            render_area(area, &mut out);
            for official in area.official.iter().rev().skip(1) {
                out.push_str(&format!("  earlier, {} ({}):", official.id, official.date));
                for row in &official.rows {
                    out.push_str(&format!(
                        " {} {:.2}% (actas {:.2}%, {:+.2} pts);",
                        row.name, row.official_percent, row.actas_percent, row.difference_points
                    ));
                }
                out.push('\n');
            }
        }
        println!();
        print!("{out}");
    }
    println!();
    println!("Voters to try (synthetic ids on real tables):");
    for (voter, table) in &to_try {
        println!(
            "  veedor --data {} lookup {voter}      # table {}",
            dir.display(),
            table.display(election.geography.centre_digits)
        );
    }
    println!("More: veedor --data {} tally --level state", dir.display());
    println!("(done in {:.1} s)", started.elapsed().as_secs_f64());
    Ok(exit::OK)
}
