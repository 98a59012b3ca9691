//! `veedor export site DIR`: the public site as static files that any web server, object store
//! or folder can host, under any path, and that `veedor verify` checks like an `export data`
//! folder. Layout (documented in `docs/mirror.md`):
//!
//! ```text
//! index.html                             the home page (Spanish), a copy of es/index.html
//! es/, en/                               every page per language: index.html, method.html,
//!                                        lookup.html, area/<level>/<code>.html,
//!                                        table/<id>.html, acta/<copy>.html
//! api/v1/...json                         the JSON twins (area, table, acta), the tally of each
//!                                        level, openapi.json
//! static/style.css, static/lookup.js     the stylesheet and the lookup script
//! static/lookup-lane.js                  the worker that derives the key's lanes
//! static/hash-wasm-scrypt.js             hash-wasm's scrypt (MIT, vendored), with its licence
//! lookup/<xx>/<yy>.bin                   the registry's shards, keyed by scrypt (slow on purpose)
//! lookup/index.bin                       the SHA-256 of every bucket, as the log commits to them
//! scans/small/<sha256>.jpg               small copies of the scans, for phones
//! data/, scans/<sha256>, log/            everything `veedor export data` writes
//! ```
//!
//! That is the full profile. `--profile compact` writes a page per area whose centres hold their
//! tables and acta copies, in one language unless `--lang` names both, with no `api/` and larger
//! shards; `--no-scans` leaves out `scans/`; `site.json` says which (`site::Manifest`), and
//! `--archive FILE.tar` also writes the files as one deterministic tar (`archive.rs`). The export
//! prints the mirror's file count and bytes.
//!
//! The pages are rendered by `veedor_web::site`; this file reads the store and writes the files,
//! in parallel. Deterministic: the same store exports the same bytes.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context as _, bail};
use rayon::prelude::*;
use veedor_core::{Registry, Sha256};
use veedor_store::BlobStore;
use veedor_web::pages::StaticLookup;
use veedor_web::site::{self, LOOKUP_RECORD, Manifest, Profile, Site};

use crate::archive;
use crate::context::Context;
use crate::exit;
use crate::export::{self, Mirror};

/// What `export site` does besides the pages.
pub struct SiteOptions {
    /// Publish the registry's lookup shards.
    pub lookup: bool,
    /// The profile, the languages and whether the scans are in: written at `site.json`.
    pub manifest: Manifest,
    /// Also write the mirror as one tar file here.
    pub archive: Option<PathBuf>,
}

/// Times of each phase, for the summary.
struct Phases {
    started: Instant,
    last: Instant,
    done: Vec<(&'static str, f64)>,
}

impl Phases {
    fn new() -> Self {
        let now = Instant::now();
        Self {
            started: now,
            last: now,
            done: Vec::new(),
        }
    }

    fn end(&mut self, name: &'static str) {
        let now = Instant::now();
        self.done
            .push((name, now.duration_since(self.last).as_secs_f64()));
        self.last = now;
    }

    fn summary(&self) -> String {
        let parts: Vec<String> = self
            .done
            .iter()
            .map(|(name, seconds)| format!("{name} {seconds:.1} s"))
            .collect();
        format!(
            "{:.1} s ({})",
            self.started.elapsed().as_secs_f64(),
            parts.join(", ")
        )
    }
}

/// `veedor export site [DIR] [--archive FILE.tar]`: with an archive and no folder, the files
/// are written to a temporary folder beside the archive first.
pub fn site(context: &Context, dir: Option<&Path>, options: &SiteOptions) -> anyhow::Result<u8> {
    let temporary;
    // Without a folder the archive is all there is: the temporary folder goes with `temporary`.
    let keep_folder = dir.is_some();
    let dir = match (dir, &options.archive) {
        (Some(dir), _) => dir,
        (None, Some(archive)) => {
            let parent = archive
                .parent()
                .filter(|parent| !parent.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            temporary = tempfile::Builder::new()
                .prefix(".veedor-export-")
                .tempdir_in(parent)
                .with_context(|| format!("creating a temporary folder in {}", parent.display()))?;
            temporary.path()
        }
        (None, None) => bail!("export site: give a folder, an --archive, or both"),
    };
    let manifest = &options.manifest;
    let mut phases = Phases::new();
    let mut opened = context.open()?;
    let snapshot = export::snapshot(&mut opened)?;
    let blobs = &*opened.blobs;
    let store = &*opened.store;
    phases.end("loading");

    // Everything `export data` writes: `veedor verify` checks the site as it checks those.
    let mut mirror = Mirror::new(dir)?;
    export::write_data(&mut mirror, &snapshot)?;
    let scans = if manifest.scans {
        export::write_scans(&mut mirror, blobs, &snapshot.results)?
    } else {
        0
    };
    export::write_log(&mut mirror, store, &snapshot)?;
    phases.end("data and log");

    let small = if manifest.scans {
        write_small_copies(&mirror, blobs, &export::scan_hashes(&snapshot.results))?
    } else {
        HashSet::new()
    };
    phases.end("small scans");

    let export::Snapshot { results, log } = snapshot;
    let (size, key) = (log.size(), log.key.clone());
    let registry_source = store.registry_info()?.map(|info| info.source.sha256);
    // The pages do not need the registry: the lookup's records are stored apart.
    let registry = Registry::empty();
    let signed_at = log.signed_at;
    let mut web = veedor_web::Snapshot::build(results, Arc::new(registry), registry_source, blobs)
        .with_log(Some(log));
    // The pages say when the data was signed, not when they were written: the same store
    // exports the same bytes.
    web.loaded_at = signed_at;
    phases.end("snapshot");

    let lookup = if options.lookup && registry_source.is_some() {
        write_lookup(&mirror, store, blobs, manifest.profile)?
    } else {
        None
    };
    drop(opened);
    phases.end("lookup shards");

    let site = Site::new(
        &web,
        lookup.as_ref().map(|(lookup, ..)| lookup.clone()),
        &small,
        manifest,
    );
    let parts = site.parts();
    parts
        .par_iter()
        .try_for_each(|part| -> anyhow::Result<()> {
            for (path, bytes) in site.render(*part)? {
                mirror.put(&path, &bytes)?;
            }
            Ok(())
        })?;
    phases.end("pages");

    let archived = match &options.archive {
        Some(archive) => {
            let mtime = u64::try_from(signed_at.as_second()).unwrap_or(0);
            let bytes = archive::write(archive, dir, &mirror.paths(), mtime)?;
            phases.end("archive");
            Some((archive, bytes))
        }
        None => None,
    };

    let languages: Vec<&str> = manifest.languages.iter().map(|lang| lang.tag()).collect();
    if keep_folder {
        outln!(
            "{}: {} files ({} written, {} unchanged, {} bytes) in {}",
            dir.display(),
            mirror.files(),
            mirror.written(),
            mirror.unchanged(),
            mirror.bytes(),
            phases.summary(),
        );
    } else {
        outln!("Exported in {}", phases.summary());
    }
    outln!(
        "Mirror: {} files, {} bytes ({:.1} MB); profile {}, {} {}, {}.",
        mirror.files(),
        mirror.bytes(),
        megabytes(mirror.bytes()),
        manifest.profile.name(),
        if languages.len() == 1 {
            "language"
        } else {
            "languages"
        },
        languages.join(" and "),
        if manifest.scans {
            "with the scans"
        } else {
            "without the scans"
        },
    );
    if let Some((archive, bytes)) = archived {
        outln!(
            "Archive {}: {} bytes ({:.1} MB), {} files; unpack it with tar -xf, or check it as it is.",
            archive.display(),
            bytes,
            megabytes(bytes),
            mirror.files(),
        );
    }
    outln!(
        "{} pieces of the site, {} acta copies, {} scans ({} small copies), log of {} entries, {}.",
        parts.len(),
        web.results.dataset.copies.len(),
        scans,
        small.len(),
        size,
        match &lookup {
            Some((lookup, voters, index)) => format!(
                "voter lookup for {voters} voters in {} shards, keyed by {} and committed to in log entry {index}",
                1u64 << lookup.shard_bits,
                lookup.kdf
            ),
            None => "no voter lookup".to_owned(),
        }
    );
    if let Some(archive) = &options.archive {
        outln!(
            "Check it with: veedor verify {} --key '{key}'",
            archive.display()
        );
    }
    if keep_folder {
        outln!("Host the folder as it is, under any path; open index.html.");
        outln!(
            "Check it with: veedor verify {} --key '{key}'",
            dir.display()
        );
    }
    Ok(exit::OK)
}

/// Bytes in millions (MB, as hosts state their limits).
#[expect(
    clippy::cast_precision_loss,
    reason = "a size printed to one decimal place"
)]
fn megabytes(bytes: u64) -> f64 {
    bytes as f64 / 1_000_000.0
}

/// Writes a small JPEG of every scan that decodes, in parallel; returns which scans have one.
fn write_small_copies(
    mirror: &Mirror,
    blobs: &dyn BlobStore,
    hashes: &std::collections::BTreeSet<Sha256>,
) -> anyhow::Result<HashSet<Sha256>> {
    let hashes: Vec<Sha256> = hashes.iter().copied().collect();
    let made = hashes
        .par_iter()
        .map(|hash| -> anyhow::Result<Option<Sha256>> {
            let bytes = blobs
                .get(hash)?
                .with_context(|| format!("scan {hash} is missing from the blob store"))?;
            match veedor_web::scans::downscale(&bytes) {
                Ok(small) => {
                    mirror.put(&site::small_copy_path(&hash.to_hex()), &small)?;
                    Ok(Some(*hash))
                }
                // A PDF, or a format the image crate does not read: its page links the
                // original only.
                Err(error) => {
                    tracing::warn!(%error, scan = %hash, "no small copy");
                    Ok(None)
                }
            }
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(made.into_iter().flatten().collect())
}

/// Writes the registry's lookup shards and `lookup/index.bin`: the records computed when the
/// registry was imported (kept in the blob store, committed to by the log's latest registry
/// entry), cut by their keys' first bits. Nothing is derived here.
fn write_lookup(
    mirror: &Mirror,
    store: &dyn veedor_store::Store,
    blobs: &dyn BlobStore,
    profile: Profile,
) -> anyhow::Result<Option<(StaticLookup, u64, u64)>> {
    let Some((index, entry)) = veedor_app::registry::latest_entry(store)? else {
        errln!(
            "warning: the registry was imported before lookups were committed to the log: the site has no voter lookup; import the registry again to publish one"
        );
        return Ok(None);
    };
    let records = veedor_app::registry::committed_records(blobs, &entry)
        .with_context(|| format!("the lookup records of log entry {index}"))?;
    let voters = records.len() / LOOKUP_RECORD;
    let bits = profile.shard_bits(voters);
    site::shards(&records, bits)
        .par_bridge()
        .try_for_each(|(path, bytes)| mirror.put(&path, &bytes))?;
    let (path, bytes) = site::lookup_index(&records, entry.bucket_bits);
    mirror.put(&path, &bytes)?;
    if entry.kdf.is_unprotected() {
        errln!(
            "warning: the lookup's keys are UNPROTECTED ({}): anyone can rebuild the registry from this mirror in minutes",
            entry.kdf
        );
    }
    Ok(Some((
        StaticLookup {
            salt: entry.salt,
            kdf: entry.kdf,
            shard_bits: bits,
        },
        entry.voters,
        index,
    )))
}
