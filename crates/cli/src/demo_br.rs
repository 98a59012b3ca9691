//! `veedor demo --election br-2024-ac-example`: Brazil's boletins de urna from nothing. The
//! election file, its table list and the reports' QR texts (TSE's own examples, signed with
//! the key TSE's manual prints) are built into the binary.
//!
//! 1. Imports the table list (a report never creates its table).
//! 2. Prints each report's QR codes on a page, as a phone or a scanner delivers it (synthetic
//!    images of real QR texts), and ingests the pages as `veedor ingest` does: the codes of a
//!    page are assembled into their report, its hash chain and signature checked.
//! 3. Prints one more page whose figures were altered (its hash chain no longer holds): it is
//!    stored with F106 and not counted.
//! 4. Generates a synthetic registry on the tables, prints the tally and voters to try, and
//!    serves the site.

use std::collections::HashSet;
use std::fs;
use std::path::Path;
use std::time::Instant;

use anyhow::Context as _;
use veedor_core::TableId;
use veedor_formats::br_bu::{Assembled, assemble};
use veedor_sim::sheet::{BuSheet, Condition, FileFormat, encode, render};

use crate::context::{Context, SHIPPED_ELECTIONS};
use crate::demo::{DemoOptions, prepare, print_tally, synthetic_registry};
use crate::exit;

/// The election's id among the shipped ones.
pub const ELECTION: &str = "br-2024-ac-example";
const TABLES_CSV: &str = include_str!("../../../elections/br-2024-ac-example/tables.csv");
const PAYLOADS: &str = include_str!("../../../elections/br-2024-ac-example/payloads.txt");

/// The conditions the pages cycle through.
const CONDITIONS: [Condition; 4] = [
    Condition::Dpi200,
    Condition::Grey,
    Condition::Skewed,
    Condition::Rotated90,
];

/// The reports in the shipped QR texts, each as its parts in order.
///
/// # Errors
/// When the shipped texts do not assemble (a broken build).
pub fn reports() -> anyhow::Result<Vec<Vec<String>>> {
    let texts: Vec<&str> = PAYLOADS
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect();
    assemble(&texts)?
        .into_iter()
        .map(|assembled| match assembled {
            Assembled::Report(report) => {
                Ok(report.parts.into_iter().map(|part| part.text).collect())
            }
            Assembled::Refused(refusal) => {
                Err(anyhow::anyhow!("shipped QR texts: {}", refusal.finding))
            }
        })
        .collect()
}

/// The report's page as a phone or scanner delivers it, JPEG.
///
/// # Errors
/// When the codes cannot be printed.
pub fn page(parts: &[String], condition: Condition, seed: u64) -> anyhow::Result<Vec<u8>> {
    let texts: Vec<&str> = parts.iter().map(String::as_str).collect();
    let sheet = BuSheet::new(&texts, Some("EXEMPLO DO TSE"))?;
    let degradation = condition.degradation(seed);
    let image = render(&sheet, &degradation)?;
    Ok(encode(
        &[image],
        FileFormat::Jpeg {
            quality: degradation.jpeg_quality,
        },
    )?)
}

/// `parts` with one more null vote printed and the hash left as it was: an altered sheet, whose
/// hash chain no longer holds.
fn altered(parts: &[String]) -> Vec<String> {
    let mut out = parts.to_vec();
    if let Some(first) = out.first_mut() {
        *first = first.replacen("NULO:1", "NULO:2", 1);
    }
    out
}

/// `veedor demo --election br-2024-ac-example`.
pub fn run(dir: &Path, options: &DemoOptions) -> anyhow::Result<u8> {
    let started = Instant::now();
    prepare(dir)?;
    let definition = SHIPPED_ELECTIONS
        .iter()
        .find(|(id, _)| *id == ELECTION)
        .map(|(_, text)| *text)
        .context("the Brazilian example is shipped")?;
    let context = Context::new(dir);
    let opened = crate::context::create_store(&context, definition, None)?;
    let election = opened.store.election()?;
    drop(opened);
    outln!("veedor demo: {}", election.title.get("en"));
    outln!("  data folder: {}", dir.display());
    let tables = dir.join("tables.csv");
    fs::write(&tables, TABLES_CSV).with_context(|| format!("writing {}", tables.display()))?;
    crate::import::tables(&context, &tables)?;

    let incoming = dir.join("incoming-bu");
    fs::create_dir_all(&incoming).with_context(|| format!("creating {}", incoming.display()))?;
    let reports = reports()?;
    for (index, parts) in reports.iter().enumerate() {
        let seed = 2024 + u64::try_from(index).unwrap_or(0);
        let bytes = page(parts, CONDITIONS[index % CONDITIONS.len()], seed)?;
        let name = format!("bu-{index:02}.jpg");
        fs::write(incoming.join(&name), bytes).with_context(|| format!("writing {name}"))?;
    }
    if let Some(parts) = reports.first() {
        let bytes = page(&altered(parts), Condition::Dpi200, 1)?;
        fs::write(incoming.join("bu-altered.jpg"), bytes).context("writing bu-altered.jpg")?;
    }
    outln!(
        "  {} boletins de urna printed with their QR codes (TSE's examples; synthetic images), and one whose \
         figures were altered: ingesting them",
        reports.len()
    );
    let ingest_options = crate::ingest::Options {
        device: Some("demo-scanner".to_owned()),
        volunteer: None,
        settle: std::time::Duration::from_secs(2),
    };
    crate::ingest::run(&context, std::slice::from_ref(&incoming), &ingest_options)?;

    let mut opened = context.open()?;
    let scanned: HashSet<TableId> = opened
        .store
        .load_dataset()?
        .copies
        .iter()
        .map(|copy| copy.record.table)
        .collect();
    let to_try = synthetic_registry(&mut opened, &scanned)?;
    print_tally(&*opened.store)?;
    outln!();
    outln!("Voters to try (synthetic ids):");
    for (voter, table) in &to_try {
        outln!(
            "  veedor --data {} lookup {voter}      # zone and section {}",
            dir.display(),
            table.display(election.geography.centre_digits)
        );
    }
    outln!("More: veedor --data {} tally --level zone", dir.display());
    outln!("(set up in {:.1} s)", started.elapsed().as_secs_f64());
    drop(opened);
    if let Some(listen) = options.serve {
        outln!();
        crate::serve::serve_blocking(&context, listen, veedor_web::ServeOptions::default(), None)?;
    }
    Ok(exit::OK)
}
