//! The transparency log as the store keeps it: a key made at `init`, one entry per stored copy,
//! a signed checkpoint after every batch.

use std::os::unix::fs::PermissionsExt;

use veedor_formats::LogEntry;
use veedor_ledger::{Hash, MerkleLog, VerifierKey, leaf_hash};
use veedor_store::prelude::*;
use veedor_store_sqlite::SqliteStore;

use crate::support::{Data, real_results};

fn open(data: &Data) -> SqliteStore {
    SqliteStore::open(&data.store_path(), &|text| {
        veedor_formats::parse_election(text).map_err(|e| e.to_string())
    })
    .unwrap()
}

#[test]
fn every_copy_is_logged_and_every_batch_signed() {
    let data = Data::new();
    let key_file = data.store_path().join("keys/log.key");
    let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
    assert_eq!(
        mode & 0o777,
        0o600,
        "the signing key must be readable by its owner only"
    );
    let secret = std::fs::read_to_string(&key_file).unwrap();
    assert!(secret.starts_with("PRIVATE+KEY+veedor/ve-2024-presidential/"));

    let printed = data.run(&["key"]).expect_code(0).stdout;
    let key: VerifierKey = printed.trim().parse().unwrap();
    assert!(
        !printed.contains("PRIVATE"),
        "`veedor key` printed the private key"
    );
    assert!(key.name().starts_with("veedor/ve-2024-presidential/"));

    let run = data
        .run(&[
            "import",
            "results",
            "--defines-tables",
            real_results().to_str().unwrap(),
        ])
        .expect_code(0);
    assert!(
        run.stdout
            .contains("log: signed a checkpoint of 24533 entries"),
        "{}",
        run.stdout
    );
    let store = open(&data);
    let checkpoint = key
        .verify(&store.latest_checkpoint().unwrap().unwrap().note)
        .unwrap();
    assert_eq!(checkpoint.size, 24_533);
    assert_eq!(checkpoint.origin, key.name());

    // The root is the RFC 6962 root of the entries themselves; the first is the election.
    let entries = store.log_entries(0, 24_533).unwrap();
    let definition = veedor_formats::log_entry::parse_election_entry(&entries[0]).unwrap();
    assert!(definition.contains("id = \"ve-2024-presidential\""));
    let log = MerkleLog::from_leaf_hashes(entries.iter().map(|e| leaf_hash(e)).collect());
    assert_eq!(log.root(), checkpoint.root);
    assert_eq!(
        store
            .log_leaf_hashes()
            .unwrap()
            .into_iter()
            .map(Hash)
            .collect::<Vec<_>>(),
        log.leaf_hashes()
    );

    // Each entry says what its copy says.
    let dataset = store.load_dataset().unwrap();
    let copy = dataset
        .copies
        .iter()
        .find(|c| c.record.table.display(9) == "201301006.01")
        .unwrap();
    let index = copy.log_index.unwrap();
    let entry = LogEntry::parse(&entries[usize::try_from(index).unwrap()]).unwrap();
    assert_eq!(entry.get("table"), Some("201301006.01"));
    assert_eq!(
        entry.get("counts"),
        Some("candidates 188,6,1,1,3,0,0,167,1,1")
    );
    assert_eq!(entry.get("source"), Some("csv"));
    assert_eq!(
        entry.get("file_sha256"),
        Some(copy.provenance.file_sha256.to_hex().as_str())
    );
    drop(store);

    // A second batch appends and signs again; the old checkpoint is a prefix of the new log.
    let payload = "201301006.01.1.0001!140,7,10,8,1,7,1,0,2,3,0,1,8,1,0,1,0,3,1,1,0,1,0,0,0,0,0,0,1,2,0,0,0,5,7,155,1,1!0!0\n";
    let path = data.file("one.txt", payload);
    data.run(&["import", "payloads", &path]).expect_code(0);
    let store = open(&data);
    let newer = key
        .verify(&store.latest_checkpoint().unwrap().unwrap().note)
        .unwrap();
    assert_eq!(newer.size, 24_534);
    let grown = MerkleLog::from_leaf_hashes(
        store
            .log_leaf_hashes()
            .unwrap()
            .into_iter()
            .map(Hash)
            .collect(),
    );
    let proof = grown.consistency_proof(24_533, 24_534).unwrap();
    proof.verify(&checkpoint.root, &newer.root).unwrap();
    // Importing the same file again adds no entry and signs nothing new.
    drop(store);
    data.run(&["import", "payloads", &path]).expect_code(0);
    assert_eq!(open(&data).log_size().unwrap(), 24_534);
}
