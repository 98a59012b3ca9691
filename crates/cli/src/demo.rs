//! `veedor demo`: the 2024 Venezuelan election from nothing. The election file and the real
//! published results are built into the binary, so the demo needs no network and no files.
//!
//! 1. Renders a few hundred acta sheets from real result rows, as flatbed scanners and phones
//!    deliver them (synthetic images: no real scan is shipped), and ingests them like a volunteer
//!    would, with the progress bar.
//! 2. Imports the real per-acta results (24,532 rows): the scanned tables are corroborated.
//! 3. Generates a synthetic voter registry on the real tables (ids made up, no names).
//! 4. Renders a few sheets whose QR code was torn off, ingests them (they wait for people), and
//!    creates volunteers to type them: a coordinator, three typists and a witness who uploads
//!    (their one-time sign-in codes printed).
//! 5. Prints the national tally beside the electoral council's bulletins, and voters to try.
//! 6. Serves the public site and the volunteers' desk until stopped.

use std::collections::HashSet;
use std::fs;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context as _, bail};
use rayon::prelude::*;
use veedor_app::batch::Tables;
use veedor_core::entry::Role;
use veedor_core::{SourceKind, TableId, VoterId};
use veedor_sim::registry::{RegistryPlan, voters};
use veedor_sim::sheet::{Condition, Ve2024Place};
use veedor_store::{FileKind, SourceFile};
use veedor_web::api::{self, TallyScope};

use crate::context::{Context, SHIPPED_ELECTIONS, now};
use crate::exit;
use crate::generate::{SheetPlan, render_sheet, scanner_file_name, sheet_plan};
use crate::import;
use crate::open::{Opened, sha256};
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

pub(crate) fn prepare(dir: &Path) -> anyhow::Result<()> {
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
    let location = Context::new(dir);
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
    drop(opened);

    // 4. Sheets no machine can read, and the volunteers who will type them.
    let torn = sheet_plans(
        &election,
        &veedor_formats::parse_results(RESULTS_CSV, &election)?.rows[1..],
        TORN_SHEETS,
    )
    .into_iter()
    .filter(|plan| !scanned.contains(&plan.table))
    .collect::<Vec<_>>();
    scan_torn_sheets(dir, &torn)?;
    let mut opened = Context::new(dir).open()?;
    let codes = demo_volunteers(&mut opened)?;

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
    print_volunteers(dir, options.serve, &codes)?;
    outln!("(set up in {:.1} s)", started.elapsed().as_secs_f64());
    drop(opened);

    // 6. The public site and the volunteers' desk.
    if let Some(listen) = options.serve {
        outln!();
        crate::serve::serve_blocking(
            &location,
            listen,
            veedor_web::ServeOptions::default(),
            Some(veedor_web::DeskOptions::default()),
        )?;
    }
    Ok(exit::OK)
}

/// Sheets whose QR code was torn off: they wait for two typists.
const TORN_SHEETS: usize = 6;

/// The demo's volunteers: pseudonyms and roles.
const DEMO_VOLUNTEERS: [(&str, Role); 5] = [
    ("coordinadora", Role::Coordinator),
    ("ana", Role::Typist),
    ("beto", Role::Typist),
    ("caro", Role::Typist),
    ("testigo-1", Role::Uploader),
];

/// Renders sheets with their code torn off, as a witness's phone photographs them, and ingests
/// them as `veedor ingest` does: each page waits for people.
fn scan_torn_sheets(dir: &Path, plans: &[SheetPlan]) -> anyhow::Result<()> {
    let incoming = dir.join("incoming-torn");
    fs::create_dir_all(&incoming).with_context(|| format!("creating {}", incoming.display()))?;
    for (index, plan) in plans.iter().enumerate() {
        let sheet = veedor_sim::sheet::Sheet::ve2024(&plan.payload, &plan.place)?;
        let degradation =
            Condition::PhonePhoto.degradation(SEED + 10_000 + u64::try_from(index).unwrap_or(0));
        let image = veedor_sim::sheet::render_without_code(&sheet, &degradation)?;
        let bytes = veedor_sim::sheet::encode(
            &[image],
            veedor_sim::sheet::FileFormat::Jpeg {
                quality: degradation.jpeg_quality,
            },
        )?;
        let name = format!("torn-{index:02}.jpg");
        fs::write(incoming.join(&name), bytes).with_context(|| format!("writing {name}"))?;
    }
    outln!(
        "  {} sheets whose QR code was torn off: ingested, they wait for two typists to agree",
        plans.len()
    );
    let ingest_options = crate::ingest::Options {
        device: None,
        volunteer: veedor_core::Pseudonym::new("testigo-1").ok(),
        settle: std::time::Duration::from_secs(2),
    };
    crate::ingest::run(
        &Context::new(dir),
        std::slice::from_ref(&incoming),
        &ingest_options,
    )?;
    Ok(())
}

/// Creates the demo's volunteers; returns their one-time sign-in codes.
fn demo_volunteers(opened: &mut Opened) -> anyhow::Result<Vec<(&'static str, Role, String)>> {
    let mut codes = Vec::new();
    for (name, role) in DEMO_VOLUNTEERS {
        let mut random = [0u8; 15];
        getrandom::fill(&mut random).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
        let code = veedor_app::volunteers::add_volunteer(
            &mut *opened.store,
            None,
            veedor_core::Pseudonym::new(name)?,
            role,
            random,
            now(),
        )?;
        codes.push((name, role, code));
    }
    Ok(codes)
}

fn print_volunteers(
    dir: &Path,
    serve: Option<SocketAddr>,
    codes: &[(&str, Role, String)],
) -> anyhow::Result<()> {
    outln!();
    outln!("Volunteers (pseudonyms only; each code works once, to choose a passphrase):");
    for (name, role, code) in codes {
        outln!("  {name:<13} {:<12} {code}", role.as_str());
    }
    let site = serve.map_or_else(
        || format!("veedor --data {} serve --volunteers", dir.display()),
        |listen| format!("http://{listen}"),
    );
    outln!(
        "Try the work of election night at {site}/volunteer/activate: each volunteer chooses a passphrase with \
         their code and signs in; ana and beto type the torn sheets (Tasks), each without seeing the other's \
         numbers; when they agree the acta is counted with both pseudonyms on its public page; the coordinator \
         resolves disagreements and reads the audit; testigo-1 uploads photos (docs/volunteers.md)."
    );
    Ok(())
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
pub(crate) fn synthetic_registry(
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
pub(crate) fn print_tally(store: &dyn veedor_store::Store) -> anyhow::Result<()> {
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
