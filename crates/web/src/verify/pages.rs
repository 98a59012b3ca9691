//! Steps 8 and 9 of the verification: a site mirror's pages, JSON twins and static files, rendered again from the verified
//! data with the export's own code ([`Site`]) and compared byte for byte, part by part; and the
//! small copies of the scans, made again from the verified scans with the export's own function
//! ([`crate::scans::downscale`]).

use std::collections::HashSet;
use std::sync::Arc;

use veedor_core::{Registry, Results, Sha256, Timestamp};
use veedor_ledger::{Checkpoint, MerkleLog, VerifierKey};
use veedor_store::{BlobStore, StoreError};

use super::parallel::Worker;
use super::{FetchError, LoggedCopy, ProblemKind, Run};
use crate::i18n::{Lang, Text};
use crate::log::PublishedLog;
use crate::pages::StaticLookup;
use crate::site::{Part, Site, small_copy_path};
use crate::snapshot::Snapshot;

/// The pages that tell a site from a mirror of the open data alone (`veedor export data`, or a
/// server, which answers none of these paths), in the order their footers are read for the
/// time the checkpoint was signed.
pub(super) const HOME_PAGES: [&str; 3] = ["index.html", "es/index.html", "en/index.html"];

/// The folders that only a site has.
pub(super) const SITE_FOLDERS: [&str; 5] = ["es", "en", "api", "static", "lookup"];

/// What the verifier knows of the log for the pages: what [`PublishedLog`] holds in the export.
pub(super) struct LogForPages<'log> {
    pub(super) tree: &'log MerkleLog,
    pub(super) checkpoint: &'log Checkpoint,
    pub(super) note: &'log str,
    pub(super) key: &'log VerifierKey,
}

/// The scans as the export's blob store holds them, for [`Snapshot::build`]: every scan a copy
/// names is there (the export refuses to run without one), whatever the mirror holds.
pub(super) struct LoggedScans(pub(super) HashSet<Sha256>);

impl BlobStore for LoggedScans {
    fn put(&self, _bytes: &[u8]) -> Result<Sha256, StoreError> {
        Err(StoreError::Corrupt(
            "the verifier stores nothing".to_owned(),
        ))
    }

    fn get(&self, _hash: &Sha256) -> Result<Option<Vec<u8>>, StoreError> {
        Err(StoreError::Corrupt("the verifier holds no scan".to_owned()))
    }

    fn contains(&self, hash: &Sha256) -> Result<bool, StoreError> {
        Ok(self.0.contains(hash))
    }
}

impl Run<'_> {
    /// Whether the mirror is a site: one of its home pages is there, or (when it can be listed)
    /// a file in a folder that only a site has.
    pub(super) fn is_site(&mut self) -> Result<bool, FetchError> {
        for page in HOME_PAGES {
            if self.files.get(page)?.is_some() {
                return Ok(true);
            }
        }
        for folder in SITE_FOLDERS {
            if let Some(listed) = self.files.list(folder)
                && !listed?.is_empty()
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// When the checkpoint was signed, as the footer of the first home page there says: the
    /// checkpoint does not hold its time, so the pages' is taken on trust, to the minute; it
    /// must not be before a logged copy was received. `None`, with the problem named, when no
    /// home page says it.
    pub(super) fn signed_at(
        &mut self,
        copies: &[LoggedCopy],
    ) -> Result<Option<Timestamp>, FetchError> {
        let mut first_page = None;
        for page in HOME_PAGES {
            let Some(bytes) = self.files.get(page)? else {
                continue;
            };
            first_page.get_or_insert(page);
            let Some(signed) = footer_time(&String::from_utf8_lossy(&bytes)) else {
                continue;
            };
            self.summary.signed_at = Some(signed.strftime("%Y-%m-%d %H:%M UTC").to_string());
            let latest = copies
                .iter()
                .max_by_key(|copy| copy.provenance.received_at)
                .filter(|copy| {
                    copy.provenance.received_at.as_second() / 60 > signed.as_second() / 60
                });
            if let Some(copy) = latest {
                self.add(
                    page,
                    None,
                    ProblemKind::Altered,
                    format!(
                        "says the checkpoint was signed at {}, before log entry {} was received ({})",
                        signed.strftime("%Y-%m-%d %H:%M UTC"),
                        copy.index,
                        copy.provenance.received_at
                    ),
                );
            }
            return Ok(Some(signed));
        }
        let page = first_page.unwrap_or(ROOT_PAGE);
        self.add(
            page,
            None,
            ProblemKind::Altered,
            "does not say when the checkpoint was signed: the pages cannot be rendered again",
        );
        Ok(None)
    }

    /// Renders every part of the site from `results` and compares each file with the mirror's.
    pub(super) fn site(
        &mut self,
        results: Results,
        log: &LogForPages<'_>,
        signed_at: Timestamp,
        small_copies: &HashSet<Sha256>,
        lookup: Option<StaticLookup>,
    ) -> Result<(), FetchError> {
        let provenances = results.dataset.copies.iter().map(|copy| &copy.provenance);
        let scans = LoggedScans(super::scan_hashes(provenances).collect());
        let published = PublishedLog {
            tree: log.tree.clone(),
            checkpoint: log.checkpoint.clone(),
            note: log.note.to_owned(),
            key: log.key.clone(),
            signed_at,
        };
        let mut snapshot = Snapshot::build(results, Arc::new(Registry::empty()), None, &scans)
            .with_log(Some(published));
        snapshot.loaded_at = signed_at;
        let manifest = self.manifest.clone();
        let site = Site::new(&snapshot, lookup, small_copies, &manifest);
        let parts = site.parts();
        let compared = self.in_parallel(&parts, |worker, part| {
            let files = match site.render(*part) {
                Ok(files) => files,
                Err(error) => {
                    worker.add(
                        part_name(&snapshot, *part),
                        ProblemKind::Missing,
                        format!("cannot be rendered from the verified data: {error}"),
                    );
                    return Ok(0);
                }
            };
            for (path, bytes) in &files {
                compare(worker, path, bytes, "the rendering of the verified data")?;
            }
            Ok(files.len())
        })?;
        self.summary.site_files = Some(compared.iter().sum());
        Ok(())
    }
}

/// The root page, named when no home page is there.
const ROOT_PAGE: &str = "index.html";

/// A part that cannot be rendered, named by its English page.
fn part_name(snapshot: &Snapshot, part: Part) -> String {
    let digits = snapshot.results.election().geography.centre_digits;
    match part {
        Part::Fixed => "index.html".to_owned(),
        Part::Area(area) => {
            let reference = crate::api::AreaRef::new(&snapshot.results, area);
            format!("en/area/{}/{}.html", reference.level, reference.code)
        }
        Part::Table(id) => format!("en/table/{}.html", id.display(digits)),
        Part::Acta(index) => snapshot.results.dataset.copies.get(index).map_or_else(
            || "en/acta/".to_owned(),
            |copy| format!("en/acta/{}.html", copy.id.get()),
        ),
        Part::Analysis(veedor_core::AreaCode::National) => "en/analysis.html".to_owned(),
        Part::Analysis(area) => {
            let reference = crate::api::AreaRef::new(&snapshot.results, area);
            format!("en/analysis/{}/{}.html", reference.level, reference.code)
        }
    }
}

/// The time a page's footer gives for the checkpoint's signature, in either language.
fn footer_time(html: &str) -> Option<Timestamp> {
    Lang::ALL.into_iter().find_map(|lang| {
        let needle = format!("{} ", lang.t(Text::DataAsOfCheckpoint));
        let at = html.find(&needle)? + needle.len();
        let text = html.get(at..at + 16)?;
        let (date, time) = text.split_once(' ')?;
        format!("{date}T{time}:00Z").parse().ok()
    })
}

/// The small copy of a scan whose bytes verified, made again and compared with the mirror's.
/// Returns whether the export writes one (a scan the `image` crate cannot read, a PDF, has none:
/// its page links the original).
pub(super) fn small_copy(
    worker: &mut Worker<'_>,
    hash: &Sha256,
    scan: &[u8],
) -> Result<bool, FetchError> {
    let path = small_copy_path(&hash.to_hex());
    match crate::scans::downscale(scan) {
        Ok(small) => {
            compare(
                worker,
                &path,
                &small,
                "the small copy made from the verified scan",
            )?;
            Ok(true)
        }
        // Not expected: when the mirror has one, the listing names it as added.
        Err(_) => Ok(false),
    }
}

/// The small copy of a scan that did not verify: it cannot be made again, so the mirror's is
/// taken as the export's when there is one (the scan's own problem is named already).
pub(super) fn unchecked_small_copy(
    worker: &mut Worker<'_>,
    hash: &Sha256,
) -> Result<bool, FetchError> {
    let path = small_copy_path(&hash.to_hex());
    let there = worker.peek(&path)?.is_some();
    if there {
        worker.expect(path);
    }
    Ok(there)
}

/// Compares the mirror's file at `path` with the bytes the export writes there, made from
/// `source`; names it when missing or different.
pub(super) fn compare(
    worker: &mut Worker<'_>,
    path: &str,
    want: &[u8],
    source: &str,
) -> Result<(), FetchError> {
    match worker.get(path)? {
        None => worker.add(path, ProblemKind::Missing, "missing"),
        Some(found) if found != want => {
            worker.add(
                path,
                ProblemKind::Altered,
                difference(path, &found, want, source),
            );
        }
        Some(_) => {}
    }
    Ok(())
}

/// Where two versions of a file part, for a person: the line and what each says there (text),
/// or the byte (anything else).
fn difference(path: &str, found: &[u8], want: &[u8], source: &str) -> String {
    let at = found
        .iter()
        .zip(want)
        .take_while(|(found, want)| found == want)
        .count();
    let is_text = [".html", ".json", ".js", ".css"]
        .iter()
        .any(|extension| path.ends_with(extension));
    if !is_text {
        return format!(
            "differs from {source} from byte {at} ({} bytes; the export writes {})",
            found.len(),
            want.len()
        );
    }
    let line = want.get(..at).map_or(0, |before| {
        before.iter().filter(|byte| **byte == b'\n').count()
    }) + 1;
    format!(
        "differs from {source} at line {line}: `{}` where the export writes `{}`",
        excerpt(found, at),
        excerpt(want, at)
    )
}

/// A few characters either side of byte `at`, control characters escaped.
fn excerpt(bytes: &[u8], at: usize) -> String {
    const AROUND: usize = 24;
    let start = at.saturating_sub(AROUND);
    let end = at.saturating_add(AROUND).min(bytes.len());
    let text = String::from_utf8_lossy(bytes.get(start..end).unwrap_or_default());
    let text = text.trim_start_matches(char::REPLACEMENT_CHARACTER);
    let text = text.trim_end_matches(char::REPLACEMENT_CHARACTER);
    text.chars().flat_map(char::escape_debug).collect()
}
