//! Appends 30,000 acta-copy entries (real rows of the 2024 result file, cycled) to a fresh
//! transparency log, signs a checkpoint, rebuilds the tree from the leaf hashes as the store
//! does, and produces every tile and entry bundle: the in-memory cost of the log.
//!
//! Usage: `ledger_append [ENTRIES]`

use std::time::Instant;

use veedor_core::{Location, Provenance, Sha256, SourceKind, Timestamp};
use veedor_formats::LogEntry;
use veedor_ledger::{Checkpoint, MerkleLog, SignerKey};

fn main() -> anyhow::Result<()> {
    let entries: usize = std::env::args().nth(1).map_or(Ok(30_000), |n| n.parse())?;
    let election = veedor_formats::parse_election(include_str!(
        "../../../elections/ve-2024-presidential.toml"
    ))?;
    let csv = std::fs::read("data/ve2024/RESULTADOS_2024_CSV_V1.csv")?;
    let rows = veedor_formats::parse_results(&csv, &election)?.rows;
    let started = Instant::now();
    let texts: Vec<Vec<u8>> = (0..entries)
        .map(|i| {
            let row = &rows[i % rows.len()];
            let provenance = Provenance {
                source: SourceKind::Qr,
                file_name: format!("408106_{i:06}_{i:04}Acta{i:04}.jpg"),
                file_sha256: Sha256::from_bytes([u8::try_from(i % 251).unwrap_or(0); 32]),
                location: Location::Page(1),
                received_at: Timestamp::UNIX_EPOCH,
                device: None,
                volunteer: None,
                published_sha256: Some(Sha256::from_bytes([7; 32])),
                same_image_as: None,
                entered_by: Vec::new(),
            };
            LogEntry::of_copy(&election.id, 9, &row.record, &provenance, &[]).encode()
        })
        .collect();
    let encode = started.elapsed();

    let started = Instant::now();
    let mut log = MerkleLog::new();
    for text in &texts {
        log.append(text);
    }
    let append = started.elapsed();

    let key = SignerKey::generate([7; 32], "bench.example/log")?;
    let started = Instant::now();
    let note = key.sign(&Checkpoint::new(
        "bench.example/log",
        log.size(),
        log.root(),
    )?)?;
    let sign = started.elapsed();
    let started = Instant::now();
    key.verifier_key().verify(&note)?;
    let verify = started.elapsed();

    let started = Instant::now();
    let rebuilt = MerkleLog::from_leaf_hashes(log.leaf_hashes().to_vec());
    anyhow::ensure!(rebuilt.root() == log.root());
    let rebuild = started.elapsed();

    let started = Instant::now();
    let tiles: usize = log.tiles(log.size())?.map(|(_, bytes)| bytes.len()).sum();
    let bundles: usize = log
        .entry_bundles(&texts, log.size())?
        .map(|(_, bytes)| bytes.len())
        .sum();
    let tiling = started.elapsed();

    let average = texts.iter().map(Vec::len).sum::<usize>() / texts.len().max(1);
    println!("entries                         {entries} (average {average} bytes)");
    println!(
        "encode the entries              {:.1} ms",
        encode.as_secs_f64() * 1e3
    );
    println!(
        "append them to the tree         {:.1} ms",
        append.as_secs_f64() * 1e3
    );
    println!(
        "sign a checkpoint               {:.3} ms",
        sign.as_secs_f64() * 1e3
    );
    println!(
        "verify the checkpoint           {:.3} ms",
        verify.as_secs_f64() * 1e3
    );
    println!(
        "rebuild from leaf hashes        {:.1} ms",
        rebuild.as_secs_f64() * 1e3
    );
    println!(
        "all tiles and entry bundles     {:.1} ms ({tiles} + {bundles} bytes)",
        tiling.as_secs_f64() * 1e3
    );
    Ok(())
}
