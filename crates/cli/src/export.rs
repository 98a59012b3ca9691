//! `veedor export data DIR`: open data, the scans by hash, and the transparency log as static
//! files that anyone can host and `veedor verify` can check. Layout (documented in
//! `docs/open-data.md`):
//!
//! ```text
//! data/actas.csv, data/actas.json           one row per acta copy
//! data/tables.csv, data/tables.json         one row per table
//! data/tally-<level>.csv, .json             one row per area, for national and each level
//! data/README.txt                           what the files are and how to check them
//! scans/<sha256>                            every scan, named by its SHA-256
//! log/checkpoint                            the latest signed checkpoint (C2SP tlog-checkpoint)
//! log/key                                   the log's public key, as a convenience only
//! log/tile/<L>/<N>, log/tile/entries/<N>    the log as C2SP tlog-tiles
//! ```
//!
//! Deterministic: nothing depends on the time of export, so the same store exports the same
//! bytes. Files already there with the same bytes are not rewritten.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use anyhow::{Context as _, bail};
use veedor_app::{PublishedLog, sign_checkpoint};
use veedor_core::{Results, Sha256};
use veedor_store::{BlobStore, Store};
use veedor_web::opendata;

use crate::context::{Context, now};
use crate::exit;
use crate::open::Opened;

/// Writes files under a root, skipping those whose bytes are already there. Shared by threads
/// (`export site` writes in parallel).
pub struct Mirror {
    root: PathBuf,
    written: AtomicUsize,
    unchanged: AtomicUsize,
    bytes: AtomicU64,
    /// Every file put, written or unchanged: what an archive of the export holds.
    paths: Mutex<Vec<String>>,
}

impl Mirror {
    pub fn new(root: &Path) -> anyhow::Result<Self> {
        fs::create_dir_all(root).with_context(|| format!("creating {}", root.display()))?;
        Ok(Self {
            root: root.to_owned(),
            written: AtomicUsize::new(0),
            unchanged: AtomicUsize::new(0),
            bytes: AtomicU64::new(0),
            paths: Mutex::new(Vec::new()),
        })
    }

    /// Files written.
    pub fn written(&self) -> usize {
        self.written.load(Ordering::Relaxed)
    }

    /// Files that were there already with the same bytes.
    pub fn unchanged(&self) -> usize {
        self.unchanged.load(Ordering::Relaxed)
    }

    /// Bytes of all files.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Writes `bytes` at `path` (relative, `/`-separated).
    pub fn put(&self, path: &str, bytes: &[u8]) -> anyhow::Result<()> {
        if path
            .split('/')
            .any(|part| part.is_empty() || part == ".." || part == ".")
        {
            bail!("refusing to write outside the export: {path}");
        }
        let target = self.root.join(path);
        self.paths
            .lock()
            .map_err(|_| anyhow::anyhow!("a thread writing the export failed"))?
            .push(path.to_owned());
        self.bytes
            .fetch_add(u64::try_from(bytes.len()).unwrap_or(0), Ordering::Relaxed);
        if fs::read(&target).is_ok_and(|old| old == bytes) {
            self.unchanged.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        }
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        fs::write(&target, bytes).with_context(|| format!("writing {}", target.display()))?;
        self.written.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Every file put, sorted, each once.
    pub fn paths(&self) -> Vec<String> {
        let mut paths = self.paths.lock().map_or_else(
            |poisoned| poisoned.into_inner().clone(),
            |paths| paths.clone(),
        );
        paths.sort();
        paths.dedup();
        paths
    }

    pub fn files(&self) -> usize {
        self.written() + self.unchanged()
    }
}

/// Everything `export data` and `export site` share: the store signed up to date, its results,
/// and the log as published (the latest checkpoint, verified with the log's key, and its tree).
pub struct Snapshot {
    pub results: Results,
    pub log: PublishedLog,
}

/// Signs a checkpoint if the log grew since the last one, and loads everything.
pub fn snapshot(opened: &mut Opened) -> anyhow::Result<Snapshot> {
    sign_checkpoint(&mut *opened.store, &*opened.signer, now())?;
    let key = opened.signer.verifier_key()?;
    let log = PublishedLog::load(&*opened.store, &key)
        .context("the stored checkpoint does not verify with the log's own key")?
        .context("the log is empty: import or ingest something first")?;
    Ok(Snapshot {
        // As of the checkpoint: a copy stored after it (an ingest running beside the export)
        // waits for the next export, so that every exported byte matches the signed log.
        results: Results::compute(log.covered(opened.store.load_dataset()?)),
        log,
    })
}

/// Writes the data files.
pub fn write_data(mirror: &mut Mirror, snapshot: &Snapshot) -> anyhow::Result<()> {
    for (path, bytes) in opendata::files(&snapshot.results) {
        mirror.put(&path, &bytes)?;
    }
    Ok(())
}

/// Writes the log: checkpoint, public key, hash tiles and entry bundles of the checkpoint's size.
pub fn write_log(
    mirror: &mut Mirror,
    store: &dyn Store,
    snapshot: &Snapshot,
) -> anyhow::Result<()> {
    let size = snapshot.log.size();
    let log = &snapshot.log.tree;
    let entries = store.log_entries(0, size)?;
    for (path, bytes) in
        veedor_web::log::mirror_files(&snapshot.log.note, &snapshot.log.key, log, &entries, size)?
    {
        mirror.put(&path, &bytes)?;
    }
    Ok(())
}

/// The published scans the copies name, by hash (never an original: it carries metadata).
pub fn scan_hashes(results: &Results) -> BTreeSet<Sha256> {
    results
        .dataset
        .copies
        .iter()
        .filter_map(|copy| copy.provenance.published_scan())
        .collect()
}

/// Writes every scan the copies name.
pub fn write_scans(
    mirror: &mut Mirror,
    blobs: &dyn BlobStore,
    results: &Results,
) -> anyhow::Result<usize> {
    let hashes = scan_hashes(results);
    for hash in &hashes {
        let bytes = blobs.get(hash)?.with_context(|| {
            format!("scan {hash} is named by a copy but missing from the blob store")
        })?;
        mirror.put(&format!("scans/{hash}"), &bytes)?;
    }
    Ok(hashes.len())
}

/// `veedor export data DIR`.
pub fn data(context: &Context, dir: &Path) -> anyhow::Result<u8> {
    let mut opened = context.open()?;
    let snapshot = snapshot(&mut opened)?;
    let mut mirror = Mirror::new(dir)?;
    write_data(&mut mirror, &snapshot)?;
    let scans = write_scans(&mut mirror, &*opened.blobs, &snapshot.results)?;
    write_log(&mut mirror, &*opened.store, &snapshot)?;
    outln!(
        "{}: {} files ({} written, {} unchanged, {} bytes): {} acta copies, {} scans, log of {} entries.",
        dir.display(),
        mirror.files(),
        mirror.written(),
        mirror.unchanged(),
        mirror.bytes(),
        snapshot.results.dataset.copies.len(),
        scans,
        snapshot.log.size()
    );
    outln!(
        "Check it with: veedor verify {} --key '{}'",
        dir.display(),
        snapshot.log.key
    );
    Ok(exit::OK)
}
