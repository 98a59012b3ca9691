//! A synthetic country of any size, for scale runs: an election file and a result file that
//! defines its tables (one row a table, with its registered voters and its counts). Made up and
//! deterministic for a seed: no place, person or number in it is real. `veedor generate
//! election` writes them; its default is the size of Indonesia's 2024 election (820,000 polling
//! stations, 204 million registered voters, 38 provinces).

use std::io::{self, Write};

use rand::{RngExt as _, SeedableRng as _};
use rand_chacha::ChaCha8Rng;

use crate::registry::apportion;

/// The shape of a synthetic country.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CountryPlan {
    /// Polling tables in all.
    pub tables: u64,
    /// Registered voters in all.
    pub voters: u64,
    /// Chooses sizes and votes.
    pub seed: u64,
}

// The country's shape, as Indonesia's: 38 provinces, about 14 regencies each, 14 districts a
// regency, 11 villages a district, 10 tables a village (at most 99, 99, 99, 999 and 65,535: the
// codes' digits).
/// Provinces.
pub const PROVINCES: u64 = 38;
/// Regencies a province.
pub const REGENCIES: u64 = 14;
/// Districts a regency.
pub const DISTRICTS: u64 = 14;
/// Villages a district; the tables are spread over them all.
pub const VILLAGES: u64 = 11;

const CANDIDATES: [(&str, &str, &str); 3] = [
    ("P1", "Pasangan Satu", "#1f77b4"),
    ("P2", "Pasangan Dua", "#d62728"),
    ("P3", "Pasangan Tiga", "#2ca02c"),
];

/// The election file, TOML: four levels (province, regency, district, village: the village is the
/// centre, 9 digits), three candidate pairs, no code on the sheets.
pub fn election_file(plan: CountryPlan) -> String {
    let mut text = format!(
        "# A synthetic country made by `veedor generate election` (seed {seed}): {tables} tables and\n\
         # {voters} registered voters, for scale runs. Nothing in it is real.\n\n\
         id = \"synthetic-{tables}\"\n\
         date = \"2024-02-14\"\n\
         acta_format = \"none\"\n\n\
         [title]\n\
         en = \"Synthetic election, {tables} tables\"\n\
         es = \"Elección sintética, {tables} mesas\"\n\n\
         [geography]\n\
         centre_digits = 9\n\n",
        seed = plan.seed,
        tables = plan.tables,
        voters = plan.voters,
    );
    for (id, digits, en, es) in [
        ("province", 2, "Province", "Provincia"),
        ("regency", 4, "Regency", "Regencia"),
        ("district", 6, "District", "Distrito"),
        ("village", 9, "Village", "Aldea"),
    ] {
        text.push_str(&format!(
            "[[geography.levels]]\nid = \"{id}\"\ndigits = {digits}\nname = {{ en = \"{en}\", es = \"{es}\" }}\n\n"
        ));
    }
    for (id, name, colour) in CANDIDATES {
        text.push_str(&format!(
            "[[candidates]]\nid = \"{id}\"\nname = \"{name}\"\ncolumns = [\"{id}\"]\ncolour = \"{colour}\"\n\n"
        ));
    }
    text.push_str("[ballot]\ncards = [\n");
    for (id, _, _) in CANDIDATES {
        text.push_str(&format!(
            "  {{ party = \"{id}\", candidate = \"{id}\" }},\n"
        ));
    }
    text.push_str(
        "]\n\n[sheet]\n\n[sheet.columns]\ncentre_parts = [{ column = \"VILLAGE\", digits = 9 }]\n\
         table = [\"TPS\"]\nregistered = [\"REGISTERED\"]\nnull = [\"INVALID\"]\n",
    );
    text
}

/// The villages' codes, in order, and how many tables each has: `tables` spread over the
/// provinces, regencies, districts and villages, each village at least one table.
pub fn villages(tables: u64) -> Vec<(u64, u64)> {
    let count = PROVINCES * REGENCIES * DISTRICTS * VILLAGES;
    let villages = count.min(tables.max(1));
    let per_village = apportion(&vec![1; usize::try_from(villages).unwrap_or(0)], tables);
    per_village
        .into_iter()
        .enumerate()
        .map(|(index, tables)| {
            let index = index as u64;
            let village = index % VILLAGES + 1;
            let district = index / VILLAGES % DISTRICTS + 1;
            let regency = index / (VILLAGES * DISTRICTS) % REGENCIES + 1;
            let province = index / (VILLAGES * DISTRICTS * REGENCIES) + 11;
            let code = ((province * 100 + regency) * 100 + district) * 1000 + village;
            (code, tables)
        })
        .collect()
}

/// Writes the result file, CSV: `VILLAGE,TPS,REGISTERED,P1,P2,P3,INVALID`, one row a table,
/// the registered voters adding up to the plan's exactly.
pub fn write_results(plan: CountryPlan, writer: &mut impl Write) -> io::Result<()> {
    let mut rng = ChaCha8Rng::seed_from_u64(plan.seed);
    // Table sizes vary by a factor of about two, as real polling stations do.
    let weights: Vec<u64> = (0..plan.tables)
        .map(|_| rng.random_range(150..300))
        .collect();
    let mut registered = apportion(&weights, plan.voters).into_iter();
    writeln!(writer, "VILLAGE,TPS,REGISTERED,P1,P2,P3,INVALID")?;
    for (village, tables) in villages(plan.tables) {
        for tps in 1..=tables {
            let voters = registered.next().unwrap_or(0);
            // Turnout 70 to 90%, 2% invalid, the rest split about 25/58/17.
            let cast = voters * rng.random_range(70..=90) / 100;
            let invalid = cast / 50;
            let valid = cast - invalid;
            let first = valid * rng.random_range(20..=30) / 100;
            let second = (valid - first) * rng.random_range(72..=82) / 100;
            let third = valid - first - second;
            writeln!(
                writer,
                "{village},{tps},{voters},{first},{second},{third},{invalid}"
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn villages_hold_every_table_under_codes_of_their_own() {
        let villages = villages(820_000);
        assert_eq!(villages.iter().map(|(_, n)| n).sum::<u64>(), 820_000);
        let mut codes: Vec<u64> = villages.iter().map(|(code, _)| *code).collect();
        codes.dedup();
        assert_eq!(codes.len(), villages.len());
        assert!(
            codes
                .iter()
                .all(|code| (100_000_000..1_000_000_000).contains(code))
        );
        assert!(villages.iter().all(|(_, n)| (10..=11).contains(n)));
    }

    #[test]
    fn the_result_file_adds_up_to_the_plan() {
        let plan = CountryPlan {
            tables: 1_000,
            voters: 250_000,
            seed: 3,
        };
        let mut out = Vec::new();
        write_results(plan, &mut out).unwrap_or_else(|error| panic!("{error}"));
        let text = String::from_utf8(out).unwrap_or_default();
        let rows: Vec<Vec<u64>> = text
            .lines()
            .skip(1)
            .map(|line| {
                line.split(',')
                    .map(|field| field.parse().unwrap_or(u64::MAX))
                    .collect()
            })
            .collect();
        assert_eq!(rows.len(), 1_000);
        assert_eq!(rows.iter().map(|row| row[2]).sum::<u64>(), 250_000);
        assert!(
            rows.iter()
                .all(|row| row[3] + row[4] + row[5] + row[6] <= row[2])
        );
    }
}
