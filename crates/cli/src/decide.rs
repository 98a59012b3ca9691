//! `veedor decide` and `veedor conflicts`: a coordinator's decision between copies of a table
//! that disagree, through `veedor_app::decisions` (the same rules as the volunteers' web routes).

use anyhow::Context as _;
use veedor_app::decisions::{self, DecideError};
use veedor_core::{ActaCopy, Decision, Pseudonym, Results, TableId, TableStatus};

use crate::context::{Context, now};
use crate::exit;
use crate::out::terminal_safe;
use crate::show::load_results;

/// What `veedor decide` was asked.
#[derive(Debug, clap::Args)]
pub struct DecideOptions {
    /// The table, `<centre code>.<number>` (`201301006.01`).
    pub table: String,
    /// The copy that counts: `#ID` as `veedor conflicts` lists it, or `<file sha256 or a
    /// prefix>:page N` (`:line N` for a row of a file).
    #[arg(long)]
    pub keep: String,
    /// The coordinator deciding, by pseudonym.
    #[arg(long = "as")]
    pub coordinator: String,
    /// Why this copy counts (required; published beside the decision).
    #[arg(long)]
    pub reason: String,
}

/// `veedor decide TABLE --keep COPY --as COORDINATOR --reason TEXT`.
pub fn decide(context: &Context, options: &DecideOptions) -> anyhow::Result<u8> {
    let coordinator = Pseudonym::new(&options.coordinator)
        .with_context(|| format!("--as `{}`: a volunteer's pseudonym", options.coordinator))?;
    let mut opened = context.open()?;
    let election = opened.store.election()?;
    let digits = election.geography.centre_digits;
    let table = TableId::parse(&options.table, digits)?;
    let Some(account) = opened.store.account(&coordinator)? else {
        errln!("no volunteer {coordinator}");
        return Ok(exit::ERROR);
    };
    let decided = decisions::decide(
        &mut *opened.store,
        &account,
        table,
        &options.keep,
        &options.reason,
        now(),
    );
    match decided {
        Ok(decision) => {
            outln!(
                "table {}: decided by {}, keeping {}; {} other cop{} overruled",
                table.display(digits),
                decision.coordinator,
                decision.keep.describe(),
                decision.overruled.len(),
                if decision.overruled.len() == 1 {
                    "y"
                } else {
                    "ies"
                }
            );
            if let Some(size) =
                veedor_app::sign_checkpoint(&mut *opened.store, &*opened.signer, now())?
                    .map(|checkpoint| checkpoint.size)
            {
                outln!("  log: signed a checkpoint of {size} entries");
            }
            Ok(exit::OK)
        }
        Err(DecideError::Store(error)) => Err(error.into()),
        Err(refused) => {
            errln!("refused: {refused}; nothing was stored");
            Ok(exit::ERROR)
        }
    }
}

/// `veedor conflicts [--all]`: the tables whose copies disagree, with their copies.
pub fn conflicts(context: &Context, all: bool) -> anyhow::Result<u8> {
    let opened = context.open()?;
    let results = load_results(&*opened.store)?;
    let listed = decisions::conflicts(&results, all);
    if listed.is_empty() {
        outln!(
            "no table in conflict{}",
            if all { " or decided" } else { "" }
        );
        return Ok(exit::OK);
    }
    let digits = results.election().geography.centre_digits;
    for table in &listed {
        let stake = results
            .table(table.table)
            .map_or(0, |state| state.assessment.contested_votes);
        let status = match table.status {
            TableStatus::Conflict => format!("conflict, not counted ({stake} votes at stake)"),
            TableStatus::Decided => "decided, counted".to_owned(),
            other => format!("{}, not counted", other.as_str().replace('_', " ")),
        };
        outln!("table {}: {status}", table.table.display(digits));
        for copy in &table.copies {
            outln!("{}", copy_line(&results, copy, table.decision.as_ref()));
        }
        if let Some(decision) = &table.decision {
            outln!("{}", decision_line(decision, table.status));
        }
    }
    Ok(exit::OK)
}

fn copy_line(results: &Results, copy: &ActaCopy, decision: Option<&Decision>) -> String {
    let evidence = copy.provenance.evidence_ref();
    let mark = match decision {
        Some(decision) if decision.keep == evidence => "kept: ",
        Some(decision) if decision.overruled.contains(&evidence) => "overruled: ",
        Some(_) => "since the decision: ",
        None => "",
    };
    let votes: Vec<String> = copy
        .record
        .candidate_votes(results.election())
        .iter()
        .map(u64::to_string)
        .collect();
    format!(
        "  {mark}#{} {} from {} ({}); votes {}; null {}",
        copy.id,
        decisions::copy_name(copy),
        copy.provenance.source.as_str(),
        terminal_safe(&copy.provenance.file_name),
        votes.join(" "),
        copy.record
            .null_votes
            .map_or_else(|| "not given".to_owned(), |n| n.to_string())
    )
}

fn decision_line(decision: &Decision, status: TableStatus) -> String {
    format!(
        "  decision by {} at {}{}: {}",
        decision.coordinator,
        decision.decided_at,
        if status == TableStatus::Conflict {
            " (a later copy disagrees: it no longer covers the table)"
        } else {
            ""
        },
        terminal_safe(decision.reason.as_str())
    )
}
