//! The analysis benchmark's two halves (bench/analyze.sh runs both):
//!
//! - `analyze_bench csv TABLES FILE`: a synthetic per-table result file in the shape of the real
//!   2024 one (24 states, 9-digit centre codes, ten candidates), deterministic;
//! - `analyze_bench time DATA_FOLDER [RUNS]`: loads the store, computes the results and times
//!   `veedor_analysis::analyze` (national, 1,000 replicates) apart from the loading.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use veedor_bench::{Xorshift, timed};
use veedor_core::Results;
use veedor_store::ResultStore;
use veedor_store_sqlite::SqliteStore;

/// A number in `0..bound`.
fn below(random: &mut Xorshift, bound: u64) -> u64 {
    random.next_u64() % bound.max(1)
}

/// The CSV of `tables` tables: about two tables a centre, 300 to 900 registered voters, turnout
/// from 45% to 75%, the leader's share varying by state and table.
fn csv(tables: u64) -> String {
    let mut random = Xorshift::new(2024);
    let mut out = String::from(
        "COD_EDO,EDO,COD_MUN,MUN,COD_PAR,PAR,CENTRO,MESA,RE,VOTOS_VALIDOS,VOTOS_NULOS,EG,NM,LM,JABE,JOBR,AE,CF,DC,EM,BERA\n",
    );
    let mut written = 0;
    let mut centre = 0u64;
    while written < tables {
        centre += 1;
        let state = 1 + centre % 24;
        let municipality = 1 + (centre / 24) % 20;
        let parish = 1 + (centre / 480) % 10;
        let code = state * 10_000_000 + municipality * 100_000 + parish * 1000 + centre % 1000;
        for number in 1..=1 + below(&mut random, 3) {
            if written == tables {
                break;
            }
            written += 1;
            let registered = 300 + below(&mut random, 600);
            let cast = registered * (45 + below(&mut random, 30)) / 100;
            let leader_percent = 45 + state + below(&mut random, 25);
            let mut votes = [0u64; 10];
            votes[0] = cast * leader_percent / 100;
            let mut left = cast - votes[0];
            for slot in votes.iter_mut().skip(2) {
                let minor = below(&mut random, left / 40 + 2).min(left);
                *slot = minor;
                left -= minor;
            }
            votes[1] = left;
            let valid: u64 = votes.iter().sum();
            let _ = write!(
                out,
                "{state},S{state},{municipality},M{municipality},{parish},P{parish},{code},{number},{registered},{valid},0"
            );
            for v in votes {
                let _ = write!(out, ",{v}");
            }
            out.push('\n');
        }
    }
    out
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["csv", tables, file] => {
            std::fs::write(file, csv(tables.parse()?)).context("writing the CSV")?;
        }
        ["time", folder, rest @ ..] => {
            let runs: u32 = rest.first().map_or(Ok(5), |r| r.parse())?;
            let store = SqliteStore::open(&PathBuf::from(folder), &|text| {
                veedor_formats::parse_election(text).map_err(|e| e.to_string())
            })?;
            let (dataset, load) = timed(|| store.load_dataset());
            let dataset = dataset?;
            let (results, compute) = timed(|| Results::compute(dataset));
            println!(
                "{} tables: load {:.3} s, Results::compute {:.3} s",
                results.tables().count(),
                load.as_secs_f64(),
                compute.as_secs_f64()
            );
            let options = veedor_analysis::Options::default();
            for run in 1..=runs {
                let (analysis, took) = timed(|| {
                    veedor_analysis::analyze(&results, veedor_analysis::Scope::National, &options)
                });
                let projection = analysis?.projection;
                let leader = projection
                    .leader()
                    .map_or(0.0, |c| projection.estimates[c].share);
                println!(
                    "run {run}: veedor_analysis::analyze (national, {} replicates) {:.3} s; leader's share {leader:.4}",
                    options.replicates,
                    took.as_secs_f64(),
                );
            }
        }
        _ => bail!("usage: analyze_bench csv TABLES FILE | analyze_bench time DATA_FOLDER [RUNS]"),
    }
    Ok(())
}
