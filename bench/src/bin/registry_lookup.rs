//! Loads a data folder's registry into memory, reports the resident memory it takes per voter,
//! and measures lookups per second: in memory (as the server answers) and in place from the
//! file (as `veedor lookup` answers), on ids drawn from the registry itself and on ids that
//! are nobody's.
//!
//! Usage: `registry_lookup DATA_FOLDER [LOOKUPS]`

use std::path::PathBuf;

use anyhow::Context as _;
use veedor_bench::{Xorshift, resident_bytes, timed};
use veedor_core::VoterId;
use veedor_store::RegistryStore;
use veedor_store_sqlite::SqliteStore;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let folder = PathBuf::from(
        args.next()
            .context("usage: registry_lookup DATA_FOLDER [LOOKUPS]")?,
    );
    let lookups: u64 = args.next().map_or(Ok(5_000_000), |n| n.parse())?;
    let store = SqliteStore::open(&folder, &|text| {
        veedor_formats::parse_election(text).map_err(|e| e.to_string())
    })?;

    let before = resident_bytes();
    let (registry, load_time) = timed(|| store.load_registry());
    let registry = registry?;
    let after = resident_bytes();
    let voters = u64::try_from(registry.len())?;
    anyhow::ensure!(voters > 0, "the data folder has no registry");
    println!("voters                      {voters}");
    println!(
        "load time                   {:.2} s",
        load_time.as_secs_f64()
    );
    println!(
        "heap held by the registry   {} bytes ({:.2} bytes/voter)",
        registry.heap_bytes(),
        registry.heap_bytes() as f64 / voters as f64
    );
    println!(
        "resident memory added       {} bytes ({:.2} bytes/voter)",
        after.saturating_sub(before),
        after.saturating_sub(before) as f64 / voters as f64
    );

    // Ids of real voters, picked at random positions, and made-up ids.
    let mut random = Xorshift::new(2024);
    let sample: Vec<VoterId> = (0..1_000_000)
        .filter_map(|_| {
            let index = usize::try_from(random.next_u64() % voters).ok()?;
            registry.voter_at(index).map(|(voter, _)| voter)
        })
        .collect();
    let (found, time) = timed(|| {
        let mut found = 0u64;
        for round in 0..lookups {
            let voter = sample[usize::try_from(round).unwrap_or(0) % sample.len()];
            found += u64::from(registry.lookup(voter).is_some());
        }
        found
    });
    anyhow::ensure!(found == lookups, "a registered voter was not found");
    println!(
        "in-memory lookups/s         {:.0} (1 thread, {lookups} lookups of registered ids)",
        lookups as f64 / time.as_secs_f64()
    );
    // Any id between the smallest and the largest registered one: some registered, some not.
    let (lowest, highest) = (
        registry.voter_at(0).map_or(0, |(v, _)| v.get()),
        registry
            .voter_at(registry.len() - 1)
            .map_or(0, |(v, _)| v.get()),
    );
    let (absent, time) = timed(|| {
        (0..lookups)
            .filter(|_| {
                registry
                    .lookup(VoterId::new(
                        lowest + random.next_u64() % (highest - lowest + 1),
                    ))
                    .is_none()
            })
            .count()
    });
    println!(
        "in-memory lookups/s, any id {:.0} ({absent} of {lookups} not registered)",
        lookups as f64 / time.as_secs_f64()
    );
    drop(registry);

    let in_place = 20_000u64;
    let (found, time) = timed(|| {
        sample
            .iter()
            .take(usize::try_from(in_place).unwrap_or(0))
            .filter(|voter| matches!(store.lookup_voter(**voter), Ok(Some(_))))
            .count()
    });
    anyhow::ensure!(
        u64::try_from(found)? == in_place,
        "in-place lookup missed a voter"
    );
    println!(
        "in-place lookups/s          {:.0} (open file + binary search by pread, warm page cache)",
        in_place as f64 / time.as_secs_f64()
    );
    Ok(())
}
