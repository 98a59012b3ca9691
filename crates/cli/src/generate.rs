//! `veedor generate registry`: a synthetic voter registry over the store's tables.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use anyhow::Context as _;
use rayon::prelude::*;
use veedor_core::{ActaCopy, Counts, Election, PollingTable, Results, TableId, TableKey};
use veedor_sim::registry::{RegistryPlan, voters};
use veedor_sim::sheet::{
    Condition, FileFormat, Sheet, Ve2024Place, counts_from_candidate_totals, encode, render,
    ve2024_payload,
};

use crate::context::Context;
use crate::exit;

/// The store's tables as (table, weight) for the generator: registered voters, in key order.
pub fn weights(tables: &[(TableKey, PollingTable)]) -> Vec<(TableId, u64)> {
    tables
        .iter()
        .map(|(_, table)| (table.id, u64::from(table.registered.unwrap_or(0))))
        .collect()
}

/// `veedor generate registry`.
pub fn registry(
    context: &Context,
    voters_wanted: Option<u64>,
    seed: u64,
    output: Option<&Path>,
) -> anyhow::Result<u8> {
    let store = context.open()?.store;
    let election = store.election()?;
    let tables = weights(&store.tables()?);
    if tables.is_empty() {
        anyhow::bail!("the store has no tables yet: import a table list or results first");
    }
    let registered: u64 = tables.iter().map(|(_, weight)| weight).sum();
    let plan = RegistryPlan {
        voters: voters_wanted.unwrap_or(registered),
        seed,
    };
    let sink: Box<dyn Write> = match output {
        Some(path) => {
            Box::new(File::create(path).with_context(|| format!("creating {}", path.display()))?)
        }
        None => Box::new(io::stdout().lock()),
    };
    let mut writer = BufWriter::with_capacity(1 << 20, sink);
    let digits = usize::from(election.geography.centre_digits);
    writeln!(writer, "voter_id,centre_code,table")?;
    for (voter, table) in voters(&tables, plan) {
        writeln!(
            writer,
            "{voter},{:0digits$},{}",
            table.centre.get(),
            table.number.get()
        )?;
    }
    writer.flush()?;
    if let Some(path) = output {
        eprintln!(
            "{}: {} synthetic voters over {} tables (seed {seed}); no names, ids made up.",
            path.display(),
            plan.voters,
            tables.len()
        );
    }
    Ok(exit::OK)
}

/// One sheet to render: the table's acta as its QR code would say it, and the names of its
/// places for the header.
pub struct SheetPlan {
    pub table: TableId,
    pub payload: String,
    pub place: Ve2024Place,
}

/// A sheet for a table from its per-candidate totals (a row of a result file): the totals are
/// spread over the candidate's cards as on real actas, and the header names its places.
pub fn sheet_plan(
    election: &Election,
    table: TableId,
    totals: &[u32],
    null_votes: u32,
    place: Ve2024Place,
) -> Option<SheetPlan> {
    let totals: [u32; 10] = totals.try_into().ok()?;
    let cells = counts_from_candidate_totals(&totals);
    let acta_id = format!("{}.1.0001", table.display(election.geography.centre_digits));
    Some(SheetPlan {
        table,
        payload: ve2024_payload(&acta_id, &cells, null_votes),
        place,
    })
}

/// Plans sheets for up to `count` tables that have a per-candidate copy (a row of a result file),
/// spread evenly over them: the sheets say what those rows say.
pub fn plan_sheets(results: &Results, count: usize) -> Vec<SheetPlan> {
    let election = results.election();
    let geography = &election.geography;
    let rows: Vec<(TableId, &ActaCopy)> = results
        .tables()
        .filter_map(|(id, state)| {
            results
                .copies_of(state)
                .find(|copy| matches!(copy.record.counts, Counts::Candidates(_)))
                .map(|copy| (*id, copy))
        })
        .collect();
    let step = (rows.len() / count.max(1)).max(1);
    rows.into_iter()
        .step_by(step)
        .take(count)
        .filter_map(|(table, copy)| {
            let name = |level: usize| {
                results
                    .area_name(geography.area_of(table.centre, level))
                    .unwrap_or("")
                    .to_owned()
            };
            let place = Ve2024Place {
                state: name(0),
                municipality: name(1),
                parish: name(2),
                centre: name(3),
            };
            sheet_plan(
                election,
                table,
                copy.record.counts.values(),
                copy.record.null_votes.unwrap_or(0),
                place,
            )
        })
        .collect()
}

/// Renders a planned sheet under a condition, as the bytes of a file.
pub fn render_sheet(
    plan: &SheetPlan,
    condition: Condition,
    seed: u64,
    pdf: bool,
) -> anyhow::Result<Vec<u8>> {
    let sheet = Sheet::ve2024(&plan.payload, &plan.place)?;
    let degradation = condition.degradation(seed);
    let image = render(&sheet, &degradation)?;
    let format = if pdf {
        FileFormat::Pdf {
            quality: degradation.jpeg_quality,
            dpi: degradation.dpi,
        }
    } else {
        FileFormat::Jpeg {
            quality: degradation.jpeg_quality,
        }
    };
    Ok(encode(&[image], format)?)
}

/// The conditions to cycle through: one by name, or all of them.
pub fn conditions(name: &str) -> anyhow::Result<Vec<Condition>> {
    if name == "all" {
        return Ok(Condition::ALL.to_vec());
    }
    Condition::ALL
        .into_iter()
        .find(|c| c.name() == name)
        .map(|c| vec![c])
        .ok_or_else(|| {
            anyhow::anyhow!(
                "condition `{name}`: expected all or one of {}",
                Condition::ALL.map(Condition::name).join(", ")
            )
        })
}

/// A file name like the 2024 scanners wrote: `<scanner serial>_<6 digits>_<seq>Acta<seq>.jpg`.
pub fn scanner_file_name(index: usize, extension: &str) -> String {
    format!(
        "408106_{:06}_{:04}Acta{:04}.{extension}",
        (index * 7919) % 1_000_000,
        index + 1,
        index + 1
    )
}

/// `veedor generate sheets`.
pub fn sheets(
    context: &Context,
    count: usize,
    out: &Path,
    condition: &str,
    seed: u64,
    pdf: bool,
) -> anyhow::Result<u8> {
    let store = context.open()?.store;
    let results = crate::show::load_results(&*store)?;
    let conditions = conditions(condition)?;
    let plans = plan_sheets(&results, count);
    if plans.is_empty() {
        anyhow::bail!("no table has a copy from a result file to render: import results first");
    }
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let bar = indicatif::ProgressBar::new(u64::try_from(plans.len()).unwrap_or(0));
    let written: anyhow::Result<Vec<()>> = plans
        .par_iter()
        .enumerate()
        .map(|(index, plan)| {
            let condition = conditions[index % conditions.len()];
            let bytes = render_sheet(
                plan,
                condition,
                seed.wrapping_add(u64::try_from(index).unwrap_or(0)),
                pdf,
            )?;
            let name = scanner_file_name(index, if pdf { "pdf" } else { "jpg" });
            std::fs::write(out.join(&name), bytes).with_context(|| format!("writing {name}"))?;
            bar.inc(1);
            Ok(())
        })
        .collect();
    bar.finish_and_clear();
    written?;
    outln!(
        "{}: {} rendered acta sheets ({}), from real result rows; synthetic images, not real scans.",
        out.display(),
        plans.len(),
        conditions
            .iter()
            .map(|c| c.name())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(exit::OK)
}
