//! `veedor generate registry`: a synthetic voter registry over the store's tables.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use anyhow::Context as _;
use veedor_core::{PollingTable, TableId, TableKey};
use veedor_sim::registry::{RegistryPlan, voters};
use veedor_store::Store;

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
    let store = context.open()?;
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
