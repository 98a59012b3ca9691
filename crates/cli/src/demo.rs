//! `veedor demo`: the 2024 Venezuelan election from nothing. The election file and the real
//! published results are built into the binary, so the demo needs no network and no files.
//!
//! 1. Renders a few hundred acta sheets from real result rows, as flatbed scanners and phones
//!    deliver them (synthetic images: no real scan is shipped), and ingests them like a volunteer
//!    would, with the progress bar.
//! 2. Imports the real per-acta results (24,532 rows): the scanned tables are corroborated.
//! 3. Generates a synthetic voter registry on the real tables (ids made up, no names).
//! 4. Prints the national tally beside the electoral council's bulletins, and voters to try.
//! 5. Serves the public site until stopped.

use std::collections::HashSet;
use std::fs;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context as _, bail};
use rayon::prelude::*;
use veedor_app::batch::Tables;
use veedor_core::{SourceKind, TableId, VoterId};
use veedor_sim::registry::{RegistryPlan, voters};
use veedor_sim::sheet::{Condition, Ve2024Place};
use veedor_store::{FileKind, SourceFile};
use veedor_web::api::{self, TallyScope};

use crate::context::{Context, SHIPPED_ELECTIONS, now};
use crate::exit;
use crate::generate::{SheetPlan, render_sheet, scanner_file_name, sheet_plan};
use crate::import;
use crate::open::{Location, Opened, sha256};
use crate::show::{load_results, render_area, thousands};

/// The real per-acta results published in 2024 (see data/ve2024/README.md).
const RESULTS_CSV: &[u8] = include_bytes!("../../../data/ve2024/RESULTADOS_2024_CSV_V1.csv");
const RESULTS_NAME: &str = "RESULTADOS_2024_CSV_V1.csv";
const MARKER: &str = ".veedor-demo";
const SEED: u64 = 2024;

/// The conditions the demo's sheets cycle through: flatbed scans in every orientation and with
/// the usual damage, and phone photos.
const DEMO_CONDITIONS: [Condition; 12] = [
    Condition::Dpi150,
    Condition::Dpi200,
    Condition::Rotated90,
    Condition::Rotated180,
    Condition::Rotated270,
    Condition::Skewed,
    Condition::LowJpegQuality,
    Condition::FoldOverQr,
    Condition::StampTouchingQr,
    Condition::Grey,
    Condition::Colour,
    Condition::PhonePhoto,
];

/// What the demo does.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// How many sheets to render and ingest.
    pub sheets: usize,
    /// Where to serve at the end; `None` ends without serving.
    pub serve: Option<SocketAddr>,
}

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

/// Renders the sheets into `folder`, on every core.
fn render_sheets(plans: &[SheetPlan], folder: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(folder).with_context(|| format!("creating {}", folder.display()))?;
    let bar = indicatif::ProgressBar::new(u64::try_from(plans.len()).unwrap_or(0)).with_style(
        indicatif::ProgressStyle::with_template(
            "  rendering {bar:30} {pos}/{len} sheets  {per_sec}  left {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    plans
        .par_iter()
        .enumerate()
        .try_for_each(|(index, plan)| -> anyhow::Result<()> {
            let condition = DEMO_CONDITIONS[index % DEMO_CONDITIONS.len()];
            let seed = SEED + u64::try_from(index).unwrap_or(0);
            let bytes = render_sheet(plan, condition, seed, false)?;
            let name = scanner_file_name(index, "jpg");
            fs::write(folder.join(&name), bytes).with_context(|| format!("writing {name}"))?;
            bar.inc(1);
            Ok(())
        })?;
    bar.finish_and_clear();
    Ok(())
}

/// `veedor demo`.
pub fn run(dir: &Path, options: &DemoOptions) -> anyhow::Result<u8> {
    let started = Instant::now();
    prepare(dir)?;
    let (_, definition) = SHIPPED_ELECTIONS[0];
    let location = Location::Folder(dir.to_owned());
    let mut opened = crate::context::create_store(&location, definition, None)?;
    let election = opened.store.election()?;
    outln!("veedor demo: {}", election.title.get("en"));
    outln!("  data folder: {}", dir.display());
    let file = veedor_formats::parse_results(RESULTS_CSV, &election)?;
    let plans = sheet_plans(&election, &file.rows, options.sheets);
    let scanned: HashSet<TableId> = plans.iter().map(|plan| plan.table).collect();

    // 1. The real per-acta results the opposition published in 2024. No official table list
    //    was ever published, so this file, which states every table's registered voters, is
    //    imported as defining the tables (`veedor import results --defines-tables`): a scan
    //    never creates its own table.
    import_results(&mut opened, file)?;
    drop(opened);

    // 2. Sheets rendered from real rows, ingested as scans, as `veedor ingest` does.
    scan_sheets(dir, &plans)?;
    let mut opened = Context::new(dir).open()?;

    // 3. A synthetic registry: as many made-up voter ids per table as it has registered voters.
    let to_try = synthetic_registry(&mut opened, &scanned)?;

    // 4. What the actas say, beside the official bulletins.
    print_tally(&*opened.store)?;
    outln!();
    outln!("Voters to try (synthetic ids on real tables whose sheet was scanned):");
    for (voter, table) in &to_try {
        outln!(
            "  veedor --data {} lookup {voter}      # table {}",
            dir.display(),
            table.display(election.geography.centre_digits)
        );
    }
    outln!("More: veedor --data {} tally --level state", dir.display());
    outln!("(set up in {:.1} s)", started.elapsed().as_secs_f64());
    drop(opened);

    // 5. The public site.
    if let Some(listen) = options.serve {
        outln!();
        crate::serve::serve_blocking(&location, listen, veedor_web::ServeOptions::default(), None)?;
    }
    Ok(exit::OK)
}

/// Sheets for `count` real rows spread through the file.
fn sheet_plans(
    election: &veedor_core::Election,
    rows: &[veedor_formats::ResultRow],
    count: usize,
) -> Vec<SheetPlan> {
    let step = (rows.len() / count.max(1)).max(1);
    rows.iter()
        .step_by(step)
        .take(count)
        .filter_map(|row| {
            let name = |level: usize| {
                row.area_names
                    .iter()
                    .find(|(l, _)| *l == level)
                    .map_or_else(String::new, |(_, name)| name.clone())
            };
            let place = Ve2024Place {
                state: name(0),
                municipality: name(1),
                parish: name(2),
                centre: String::new(),
            };
            sheet_plan(
                election,
                row.record.table,
                row.record.counts.values(),
                row.record.null_votes.unwrap_or(0),
                place,
            )
        })
        .collect()
}

/// Renders the sheets into the demo's inbox and ingests them as `veedor ingest` would.
fn scan_sheets(dir: &Path, plans: &[SheetPlan]) -> anyhow::Result<()> {
    if plans.is_empty() {
        return Ok(());
    }
    let incoming = dir.join("incoming-scans");
    outln!(
        "  rendering {} acta sheets from real rows, as scanners and phones deliver them (synthetic images)",
        plans.len()
    );
    render_sheets(plans, &incoming)?;
    outln!("  ingesting them: QR codes decoded on every core, each file stored in one transaction");
    let ingest_options = crate::ingest::Options {
        device: Some("demo-scanner".to_owned()),
        volunteer: None,
        settle: std::time::Duration::from_secs(2),
    };
    crate::ingest::run(
        &Context::new(dir),
        std::slice::from_ref(&incoming),
        &ingest_options,
    )?;
    Ok(())
}

/// Imports the built-in result file as `veedor import results` does.
fn import_results(opened: &mut Opened, file: veedor_formats::ResultsFile) -> anyhow::Result<()> {
    let source = SourceFile {
        kind: FileKind::Results,
        file_name: RESULTS_NAME.to_owned(),
        sha256: sha256(RESULTS_CSV),
        size: u64::try_from(RESULTS_CSV.len()).unwrap_or(0),
        received_at: now(),
    };
    let summary = import::import_copies(
        opened,
        &source,
        SourceKind::CsvImport,
        import::result_rows(file.rows),
        &file.problems,
        Path::new(RESULTS_NAME),
        Tables::Define,
    )?;
    outln!(
        "  imported {} actas of the real 2024 results ({}, sha256 {}), defining the tables",
        thousands(u64::try_from(summary.copies_added).unwrap_or(0)),
        RESULTS_NAME,
        source.sha256
    );
    if let Some(size) = summary.checkpoint {
        outln!(
            "  transparency log: {size} entries, checkpoint signed; public key: {}",
            opened.signer.verifier_key()?
        );
    }
    Ok(())
}

/// Generates and stores a synthetic registry on the store's tables, with the checks of
/// `veedor import registry`; returns a few voters of scanned tables to try.
fn synthetic_registry(
    opened: &mut Opened,
    scanned: &HashSet<TableId>,
) -> anyhow::Result<Vec<(VoterId, TableId)>> {
    let tables = opened.store.tables()?;
    let weights = crate::generate::weights(&tables);
    let plan = RegistryPlan {
        voters: weights.iter().map(|(_, w)| w).sum(),
        seed: SEED,
    };
    let mut to_try: Vec<(VoterId, TableId)> = Vec::new();
    let everyone = voters(&weights, plan).inspect(|(voter, table)| {
        if to_try.len() < 3 && scanned.contains(table) && !to_try.iter().any(|(_, t)| t == table) {
            to_try.push((*voter, *table));
        }
    });
    let keys = veedor_app::registry::table_keys(&*opened.store)?;
    let registry =
        veedor_app::registry::build(&keys, everyone, usize::try_from(plan.voters).unwrap_or(0))?;
    let description = format!("synthetic registry, seed {SEED}, {} voters", plan.voters);
    // Its lookup records are keyed at the unprotected cost: the registry is made up, and the
    // protective cost would take days of CPU for its 21 million voters (docs/mirror.md).
    crate::import::replace_registry(
        opened,
        &registry,
        &SourceFile {
            kind: FileKind::Registry,
            file_name: format!("synthetic-registry-seed-{SEED}"),
            sha256: sha256(description.as_bytes()),
            size: 0,
            received_at: now(),
        },
        veedor_formats::lookup::LookupKdf::UNPROTECTED,
    )?;
    outln!(
        "  generated a synthetic registry of {} voters over {} tables (ids made up, no names)",
        thousands(plan.voters),
        thousands(u64::try_from(tables.len()).unwrap_or(0))
    );
    Ok(to_try)
}

/// The national tally beside every bulletin.
fn print_tally(store: &dyn veedor_store::Store) -> anyhow::Result<()> {
    let results = load_results(store)?;
    let Some(document) = api::tally_document(&results, TallyScope::National, "en") else {
        return Ok(());
    };
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
    outln!();
    out!("{out}");
    Ok(())
}
