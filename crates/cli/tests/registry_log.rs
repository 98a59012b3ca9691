//! The registry's log entry (`veedor/registry/1`): importing a registry commits to its lookup
//! records in the transparency log, and `veedor verify` holds a site's shards to the latest
//! such entry byte for byte, naming the shard that differs. A log without one still verifies.

use std::path::Path;

use veedor_formats::lookup::RegistryEntry;

use crate::mirror::copy_dir;
use crate::support::{Data, Run, head_of_real_file};

/// A store with 200 real result rows.
fn store() -> (Data, String) {
    let data = Data::new();
    let results = data.file("head.csv", head_of_real_file(200));
    data.run(&["import", "results", "--defines-tables", &results])
        .expect_code(0);
    let key = data.run(&["key"]).expect_code(0).stdout.trim().to_owned();
    (data, key)
}

/// Generates and imports a registry of `voters` (seed `seed`) at the unprotected cost; returns
/// the log entry that commits to it, as the import says.
fn import_registry(data: &Data, voters: &str, seed: &str) -> u64 {
    let registry = data
        .path()
        .join(format!("registry-{seed}.csv"))
        .display()
        .to_string();
    data.run(&[
        "generate", "registry", "--voters", voters, "--seed", seed, "-o", &registry,
    ])
    .expect_code(0);
    let run = data
        .run(&[
            "import",
            "registry",
            "--lookup-cost",
            "unprotected",
            &registry,
        ])
        .expect_code(0);
    assert!(
        run.stderr.contains("UNPROTECTED"),
        "the cheap cost is named as such: {}",
        run.stderr
    );
    let said = run
        .stdout
        .split("committed to in log entry ")
        .nth(1)
        .unwrap_or_else(|| panic!("no log entry said: {}", run.stdout));
    said[..said.find(' ').unwrap()].parse().unwrap()
}

fn export_site(data: &Data, dir: &Path) -> Run {
    data.run(&["export", "site", dir.to_str().unwrap()])
        .expect_code(0)
}

fn verify(data: &Data, dir: &Path, key: &str) -> Run {
    data.run(&["verify", dir.to_str().unwrap(), "--key", key])
}

/// A log entry as the store holds it.
fn logged_entry(data: &Data, index: u64) -> Vec<u8> {
    use veedor_store::prelude::*;
    let store = veedor_store_sqlite::SqliteStore::open(&data.store_path(), &|text| {
        veedor_formats::parse_election(text).map_err(|e| e.to_string())
    })
    .unwrap();
    store.log_entries(index, index + 1).unwrap().remove(0)
}

#[test]
fn shards_are_held_to_the_latest_registry_entry_byte_for_byte() {
    let (data, key) = store();
    let first = import_registry(&data, "2000", "7");
    let entry = RegistryEntry::parse(&logged_entry(&data, first)).unwrap();
    assert_eq!(entry.voters, 2000);
    assert_eq!(entry.kdf, veedor_formats::lookup::LookupKdf::UNPROTECTED);
    assert_eq!(entry.salt, "veedor/lookup/2/ve-2024-presidential/");

    let site = data.path().join("site");
    let run = export_site(&data, &site);
    assert!(
        run.stdout
            .contains(&format!("committed to in log entry {first}")),
        "{}",
        run.stdout
    );
    let run = verify(&data, &site, &key).expect_code(0);
    assert!(
        run.stdout.contains(&format!(
            "16 lookup shards hold 2000 voters' records, each in its shard, in order and at a table of the data; they were checked against log entry {first}"
        )),
        "{}",
        run.stdout
    );

    // One voter moved to the table of another voter of the same shard: the shard stays whole,
    // sorted and at tables of the data, so only the log can tell, and the shard is named.
    let (shard, bytes) = (0..16)
        .map(|shard| format!("lookup/{shard:x}.bin"))
        .map(|path| (path.clone(), std::fs::read(site.join(&path)).unwrap()))
        .find(|(_, bytes)| bytes.chunks(16).any(|record| record[8..] != bytes[8..16]))
        .unwrap();
    let other = bytes
        .chunks(16)
        .find(|record| record[8..] != bytes[8..16])
        .unwrap()[8..]
        .to_vec();
    let mut moved = bytes.clone();
    moved[8..16].copy_from_slice(&other);
    std::fs::write(site.join(&shard), &moved).unwrap();
    let run = verify(&data, &site, &key);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("1 problem(s) found")
            && run.stderr.contains(&format!(
                "\n  {shard}: differs from the records log entry {first} commits to"
            )),
        "{}",
        run.stderr
    );
    std::fs::write(site.join(&shard), &bytes).unwrap();
    verify(&data, &site, &key).expect_code(0);
    let old_site = data.path().join("old-site");
    copy_dir(&site, &old_site);

    // A second registry replaces the first: a new entry, and the site is held to it.
    let second = import_registry(&data, "2100", "8");
    assert!(second > first, "{second} after {first}");
    let site = data.path().join("site-2");
    export_site(&data, &site);
    let run = verify(&data, &site, &key).expect_code(0);
    assert!(
        run.stdout.contains("hold 2100 voters' records")
            && run
                .stdout
                .contains(&format!("checked against log entry {second}")),
        "{}",
        run.stdout
    );
    // The first registry's mirror still verifies against its own, older log.
    let run = verify(&data, &old_site, &key).expect_code(0);
    assert!(
        run.stdout
            .contains(&format!("checked against log entry {first}")),
        "{}",
        run.stdout
    );
    // The new site with the first registry's shards (and their index) is refused: the log's
    // latest entry is the second registry.
    for shard in 0..16 {
        let path = format!("lookup/{shard:x}.bin");
        std::fs::copy(old_site.join(&path), site.join(&path)).unwrap();
    }
    std::fs::copy(
        old_site.join("lookup/index.bin"),
        site.join("lookup/index.bin"),
    )
    .unwrap();
    let run = verify(&data, &site, &key);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "\n  lookup/index.bin: its hashes are not those log entry {second} commits to"
        )) && run.stderr.contains(&format!(
            "\n  lookup/: 2000 records, log entry {second} commits to 2100"
        )),
        "{}",
        run.stderr
    );
}

/// A log with no registry entry (no registry imported, as every log before the entry existed)
/// verifies as before, as data and as a site; the first registry import then appends one.
#[test]
fn a_log_without_a_registry_entry_still_verifies() {
    let (data, key) = store();
    let mirror = data.path().join("data-mirror");
    data.run(&["export", "data", mirror.to_str().unwrap()])
        .expect_code(0);
    let run = verify(&data, &mirror, &key).expect_code(0);
    assert!(!run.stdout.contains("registry entry"), "{}", run.stdout);
    let site = data.path().join("site");
    export_site(&data, &site);
    let run = verify(&data, &site, &key).expect_code(0);
    assert!(run.stdout.contains("No voter lookup."), "{}", run.stdout);
    assert!(!site.join("lookup").exists());

    let entry = import_registry(&data, "500", "3");
    let mirror = data.path().join("data-mirror-2");
    data.run(&["export", "data", mirror.to_str().unwrap()])
        .expect_code(0);
    let run = verify(&data, &mirror, &key).expect_code(0);
    assert!(
        run.stdout
            .contains(&format!("The latest registry entry is log entry {entry}.")),
        "{}",
        run.stdout
    );
}
