//! `veedor generate election`: writes a synthetic country (`veedor_sim::country`) into a
//! folder: `election.toml` and `results.csv`.

use std::fs::{self, File};
use std::io::{BufWriter, Write as _};
use std::path::Path;

use anyhow::Context as _;
use veedor_sim::country::{CountryPlan, election_file, write_results};

use crate::exit;

/// The most tables a synthetic country has (about 64 bytes of memory each while generating).
const MAX_TABLES: u64 = 10_000_000;
/// The most voters (well inside `u64` arithmetic on every count).
const MAX_VOTERS: u64 = 10_000_000_000;

/// `veedor generate election`.
pub fn election(tables: u64, voters: u64, seed: u64, out: &Path) -> anyhow::Result<u8> {
    let plan = CountryPlan {
        tables,
        voters,
        seed,
    };
    // India, the largest election, has about a million polling stations and a billion voters.
    if plan.tables == 0 || plan.tables > MAX_TABLES {
        anyhow::bail!("--tables {}: expected 1 to {MAX_TABLES}", plan.tables);
    }
    if plan.voters > MAX_VOTERS {
        anyhow::bail!("--voters {}: expected at most {MAX_VOTERS}", plan.voters);
    }
    fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let election_path = out.join("election.toml");
    fs::write(&election_path, election_file(plan))
        .with_context(|| format!("writing {}", election_path.display()))?;
    let results_path = out.join("results.csv");
    let file = File::create(&results_path)
        .with_context(|| format!("creating {}", results_path.display()))?;
    let mut writer = BufWriter::with_capacity(1 << 20, file);
    write_results(plan, &mut writer)
        .and_then(|()| writer.flush())
        .with_context(|| format!("writing {}", results_path.display()))?;
    eprintln!(
        "{}: {} tables, {} registered voters (seed {}); import it with `veedor init --election {}` and `veedor import results --defines-tables {}`",
        out.display(),
        plan.tables,
        plan.voters,
        plan.seed,
        election_path.display(),
        results_path.display()
    );
    Ok(exit::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_election_file_parses() {
        let plan = CountryPlan {
            tables: 820_000,
            voters: 204_000_000,
            seed: 1,
        };
        let election = veedor_formats::parse_election(&election_file(plan))
            .unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(election.candidates.len(), 3);
        assert_eq!(election.geography.levels.len(), 4);
    }
}
