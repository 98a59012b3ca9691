//! A scanned file in: its pages classified (an acta read from the page's QR code, or a page that
//! needs a person), then stored: the original bytes and the copy to publish (stripped of its
//! metadata: a phone photo's position, make, model and times must never reach the public) in
//! the blob store first (durable), then one batch naming both. A file is known by its SHA-256,
//! so the same file twice adds nothing, and a failure at any moment leaves it either wholly
//! stored or not at all.
//!
//! A page whose image is the same as that of an earlier copy of the same table from another
//! origin (the same photo re-encoded, resaved, stripped) is recorded as such
//! ([`veedor_core::Provenance::same_image_as`]): the same evidence, never a corroboration.
//!
//! Every front end that takes scans (`veedor ingest`, a volunteer's upload) goes through
//! [`ScanIntake`].

use std::collections::HashMap;

use veedor_core::{
    ActaRecord, Election, EvidenceRef, FindingCode, Location, Pseudonym, Sha256, SourceKind,
    TableId, Timestamp,
};
use veedor_formats::ActaFormat;
use veedor_scan::{Limits, ScanError, Thumbnail};
use veedor_store::{
    Batch, BlobStore, FileKind, QueuedPage, Rejection, SourceFile, Store, StoreError,
};

use crate::AppError;
use crate::batch::{
    CopyRow, ImportReport, KnownTables, Origin, Tables, apply_unsigned, copies_batch,
};

/// One page: the acta read from it, or why a person must look at it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PageOutcome {
    /// An acta code read and parsed.
    Acta(ActaRecord),
    /// Why no acta was read.
    Queued(String),
}

/// What a page's QR payloads amount to, in the election's acta format (for `br-bu`, the parts
/// of a report on the page are assembled together).
#[must_use]
pub fn classify(payloads: &[String], format: &ActaFormat) -> PageOutcome {
    if payloads.is_empty() {
        return PageOutcome::Queued("no QR code could be read".to_owned());
    }
    let texts: Vec<&str> = payloads.iter().map(String::as_str).collect();
    let mut actas = Vec::new();
    let mut errors = Vec::new();
    for (_, read) in format.parse_group(&texts) {
        match read {
            Ok(record) if !actas.contains(&record) => actas.push(record),
            Ok(_) => {}
            Err(error) => errors.push(error.to_string()),
        }
    }
    match actas.len() {
        1 => PageOutcome::Acta(actas.remove(0)),
        0 => PageOutcome::Queued(format!(
            "a QR code was read but it is not a {} acta: {}",
            format.id(),
            errors.join("; ")
        )),
        n => PageOutcome::Queued(format!("{n} different actas on one page")),
    }
}

/// One page of a scanned file, read.
#[derive(Clone, Debug)]
pub struct ReadPage {
    /// What it carries.
    pub outcome: PageOutcome,
    /// Its image's fingerprint, to tell the same image sent again.
    pub thumbnail: Thumbnail,
}

/// What reading a scanned file gives.
#[derive(Clone, Debug)]
pub struct ReadPages {
    /// Its pages, in order.
    pub pages: Vec<ReadPage>,
    /// The file to publish: the same pixels without metadata; `Err` with why when it could not
    /// be made (the scan is then kept but not published).
    pub published: Result<Vec<u8>, String>,
}

/// Reads every page of a scanned file, classifies it, and makes the copy to publish. Pure
/// computation on the bytes.
pub fn read_pages(
    bytes: &[u8],
    format: &ActaFormat,
    limits: &Limits,
) -> Result<ReadPages, ScanError> {
    let outcome = veedor_scan::scan(bytes, limits)?;
    // Only a format whose reports span several codes may join pages: only it keeps their codes.
    let payloads: Vec<Vec<String>> = if matches!(format, ActaFormat::BrBu(_)) {
        outcome
            .pages
            .iter()
            .map(|page| page.result.payloads.clone())
            .collect()
    } else {
        Vec::new()
    };
    let mut pages: Vec<ReadPage> = outcome
        .pages
        .into_iter()
        .map(|page| ReadPage {
            outcome: classify(&page.result.payloads, format),
            thumbnail: Thumbnail::of(&page.page.image),
        })
        .collect();
    if matches!(format, ActaFormat::BrBu(_)) {
        join_pages(&mut pages, &payloads, format);
    }
    let published = veedor_scan::strip_metadata(bytes, limits).map_err(|error| error.to_string());
    Ok(ReadPages { pages, published })
}

/// A report printed over several pages of one file: the codes of the pages that make no report
/// alone are read together, and each report found becomes the outcome of every page that holds
/// one of its codes. The first such page gives the copy; the others repeat it (one file is one
/// piece of evidence), as [`ScanReport::repeated`] records.
fn join_pages(pages: &mut [ReadPage], payloads: &[Vec<String>], format: &ActaFormat) {
    let waiting: Vec<usize> = pages
        .iter()
        .enumerate()
        .filter(|(index, page)| {
            // Only pages whose codes are parts of a report missing a part: a page with two
            // reports, or with codes that are not parts, keeps its own outcome.
            matches!(&page.outcome, PageOutcome::Queued(why) if why.contains(PART_MISSING))
                && payloads.get(*index).is_some_and(|codes| !codes.is_empty())
        })
        .map(|(index, _)| index)
        .collect();
    if waiting.len() < 2 {
        return;
    }
    let mut texts: Vec<&str> = Vec::new();
    let mut page_of: Vec<usize> = Vec::new();
    for &index in &waiting {
        for text in &payloads[index] {
            texts.push(text);
            page_of.push(index);
        }
    }
    let mut found: Vec<Vec<ActaRecord>> = vec![Vec::new(); pages.len()];
    for (positions, read) in format.parse_group(&texts) {
        let Ok(record) = read else { continue };
        for position in positions {
            if let Some(&index) = page_of.get(position.wrapping_sub(1))
                && let Some(records) = found.get_mut(index)
                && !records.contains(&record)
            {
                records.push(record.clone());
            }
        }
    }
    for (page, mut records) in pages.iter_mut().zip(found) {
        match records.len() {
            0 => {}
            1 => page.outcome = PageOutcome::Acta(records.remove(0)),
            n => {
                page.outcome = PageOutcome::Queued(format!(
                    "{n} different reports have codes on this page and the file's other pages"
                ));
            }
        }
    }
}

/// How a page whose codes are a part of a longer report is refused alone.
const PART_MISSING: &str = veedor_formats::br_bu::FindingCode::PartMissing.code();

/// A scanned file, read, ready to store.
#[derive(Clone, Debug)]
pub struct ReadScan {
    /// Its name, without folders.
    pub file_name: String,
    /// Its bytes, as received.
    pub bytes: Vec<u8>,
    /// Their SHA-256.
    pub sha256: Sha256,
    /// What reading it gave.
    pub read: ReadPages,
}

/// What storing a scan did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScanReport {
    /// The file was stored before: nothing was added.
    pub already: bool,
    /// Pages read.
    pub pages: usize,
    /// Tables whose acta was read from a page.
    pub tables: Vec<TableId>,
    /// Findings of the copies stored.
    pub findings: Vec<FindingCode>,
    /// Pages queued for a person: (page, why).
    pub queued: Vec<(u32, String)>,
    /// Pages that repeat the acta of an earlier page of the same file: (page, the earlier page).
    /// One file is one piece of evidence, however often it repeats a sheet, so only the first
    /// page becomes a copy; the others are recorded with the file as not used.
    pub repeated: Vec<(u32, u32)>,
    /// Pages whose image is that of an earlier copy from another origin: (page, that copy's
    /// file name and place). Stored, as the same evidence.
    pub same_image: Vec<(u32, String)>,
    /// Why the scan is not published, when its metadata could not be removed.
    pub unpublished: Option<String>,
}

/// A page read, with the stored copy (its place, its file's name) whose image it repeats.
type SeenPage = (PageOutcome, Option<(EvidenceRef, String)>);

/// A scanned copy already stored: where it is and who sent it.
#[derive(Clone, Debug)]
struct StoredScan {
    at: EvidenceRef,
    file_name: String,
    device: Option<String>,
    volunteer: Option<Pseudonym>,
}

/// Stores scanned files, one batch each, against the store's tables.
#[derive(Debug)]
pub struct ScanIntake {
    election: Election,
    format: ActaFormat,
    known: KnownTables,
    origin: Origin,
    limits: Limits,
    /// Scanned copies stored, per table, to compare a new page's image with.
    scans: HashMap<TableId, Vec<StoredScan>>,
    /// Fingerprints of stored pages already computed, by file and place.
    thumbnails: HashMap<EvidenceRef, Option<Thumbnail>>,
}

impl ScanIntake {
    /// Ready to store scans of `origin` into `store`, read within `limits`.
    pub fn new(store: &dyn Store, origin: Origin, limits: Limits) -> Result<Self, AppError> {
        let election = store.election()?;
        let format = ActaFormat::of(&election)?;
        let mut scans: HashMap<TableId, Vec<StoredScan>> = HashMap::new();
        for copy in store.load_dataset()?.copies {
            if copy.provenance.source == SourceKind::Qr {
                scans
                    .entry(copy.record.table)
                    .or_default()
                    .push(StoredScan {
                        at: copy.provenance.evidence_ref(),
                        file_name: copy.provenance.file_name,
                        device: copy.provenance.device,
                        volunteer: copy.provenance.volunteer,
                    });
            }
        }
        Ok(Self {
            known: KnownTables::load(store)?,
            election,
            format,
            origin,
            limits,
            scans,
            thumbnails: HashMap::new(),
        })
    }

    /// The election's acta format, to read pages with.
    #[must_use]
    pub fn format(&self) -> &ActaFormat {
        &self.format
    }

    /// Stores one read scan: its bytes in `blobs` (durable before any row names them), then its
    /// copies and queued pages in one batch. A file stored before adds nothing.
    pub fn store(
        &mut self,
        store: &mut dyn Store,
        blobs: &dyn BlobStore,
        scan: ReadScan,
        received_at: Timestamp,
    ) -> Result<ScanReport, AppError> {
        if store.has_source(FileKind::Scan, &scan.sha256)? {
            return Ok(ScanReport {
                already: true,
                ..ScanReport::default()
            });
        }
        let stored = blobs.put(&scan.bytes)?;
        if stored != scan.sha256 {
            return Err(AppError::BlobMismatch {
                file: scan.file_name,
                stored,
                expected: scan.sha256,
            });
        }
        let (published, unpublished) = match &scan.read.published {
            Ok(bytes) => (Some(blobs.put(bytes)?), None),
            Err(why) => (None, Some(why.clone())),
        };
        let pages = self.same_images(blobs, &scan.read.pages)?;
        let source = SourceFile {
            kind: FileKind::Scan,
            file_name: scan.file_name,
            sha256: scan.sha256,
            size: u64::try_from(scan.bytes.len()).unwrap_or(u64::MAX),
            received_at,
        };
        let (mut batch, mut report) = self.batch(&source, &pages, published);
        let mut import = ImportReport::default();
        match apply_unsigned(store, &batch, &mut import) {
            Ok(()) => {}
            // Another writer added tables since they were loaded (two upload servers, an
            // import beside an ingest): learn them and build the batch again, once.
            Err(AppError::Store(StoreError::Conflict(_))) => {
                self.known = KnownTables::load(store)?;
                (batch, report) = self.batch(&source, &pages, published);
                apply_unsigned(store, &batch, &mut import)?;
            }
            Err(error) => return Err(error),
        }
        if import.already_applied.is_some() {
            return Ok(ScanReport {
                already: true,
                ..ScanReport::default()
            });
        }
        self.known.absorb(&batch);
        for copy in &batch.copies {
            self.scans
                .entry(copy.record.table)
                .or_default()
                .push(StoredScan {
                    at: copy.provenance.evidence_ref(),
                    file_name: copy.provenance.file_name.clone(),
                    device: copy.provenance.device.clone(),
                    volunteer: copy.provenance.volunteer.clone(),
                });
        }
        report.unpublished = unpublished;
        Ok(report)
    }

    /// Each page with the stored copy of the same table, from another origin, whose image it
    /// repeats (if any). Copies of the same origin are one piece of evidence already.
    fn same_images(
        &mut self,
        blobs: &dyn BlobStore,
        pages: &[ReadPage],
    ) -> Result<Vec<SeenPage>, AppError> {
        let mut out = Vec::with_capacity(pages.len());
        for page in pages {
            let mut same = None;
            if let PageOutcome::Acta(record) = &page.outcome {
                let candidates: Vec<StoredScan> = self
                    .scans
                    .get(&record.table)
                    .into_iter()
                    .flatten()
                    .filter(|stored| {
                        stored.device != self.origin.device
                            || stored.volunteer != self.origin.volunteer
                    })
                    .cloned()
                    .collect();
                for stored in candidates {
                    if self
                        .thumbnail(blobs, stored.at)?
                        .is_some_and(|earlier| earlier.same_image(&page.thumbnail))
                    {
                        same = Some((stored.at, stored.file_name));
                        break;
                    }
                }
            }
            out.push((page.outcome.clone(), same));
        }
        Ok(out)
    }

    /// The fingerprint of a stored page, read again from its blob once.
    fn thumbnail(
        &mut self,
        blobs: &dyn BlobStore,
        at: EvidenceRef,
    ) -> Result<Option<Thumbnail>, AppError> {
        if let Some(known) = self.thumbnails.get(&at) {
            return Ok(known.clone());
        }
        let Location::Page(number) = at.location else {
            return Ok(None);
        };
        let thumbnail = blobs.get(&at.file_sha256)?.and_then(|bytes| {
            let pages = veedor_scan::read_pages(&bytes, &self.limits).ok()?;
            let page = pages.get(usize::try_from(number).ok()?.checked_sub(1)?)?;
            Some(Thumbnail::of(&page.image))
        });
        self.thumbnails.insert(at, thumbnail.clone());
        Ok(thumbnail)
    }

    fn batch(
        &self,
        source: &SourceFile,
        pages: &[SeenPage],
        published: Option<Sha256>,
    ) -> (Batch, ScanReport) {
        let mut rows: Vec<CopyRow> = Vec::new();
        let mut queue = Vec::new();
        let mut repeated = Vec::new();
        let mut same_image = Vec::new();
        let page_count = pages.len();
        for (index, (page, same)) in pages.iter().enumerate() {
            let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
            match page {
                // The same sheet twice in one file (a PDF of one page repeated, a scanner that
                // fed a sheet twice) is the same evidence: it must not corroborate itself.
                PageOutcome::Acta(record) => match rows.iter().find(|row| &row.record == record) {
                    Some(first) => repeated.push((number, first.location)),
                    None => {
                        if let Some((at, file_name)) = same {
                            same_image
                                .push((number, format!("{file_name}, {}", at.location.describe())));
                        }
                        rows.push(CopyRow {
                            location: Location::Page(number),
                            record: record.clone(),
                            area_names: Vec::new(),
                            published_sha256: published,
                            same_image_as: same.as_ref().map(|(at, _)| *at),
                            entered_by: Vec::new(),
                        });
                    }
                },
                PageOutcome::Queued(reason) => queue.push(QueuedPage {
                    page: number,
                    reason: reason.clone(),
                }),
            }
        }
        let (mut batch, _) = copies_batch(
            &self.election,
            &self.known,
            source,
            &self.origin,
            rows,
            &[],
            Tables::Refer,
        );
        batch.queue = queue;
        batch.rejections = repeated
            .iter()
            .map(|(page, first)| Rejection {
                location: format!("page {page}"),
                message: format!(
                    "the same acta as {}: one file is one piece of evidence, so it counts once",
                    first.describe()
                ),
            })
            .collect();
        let report = ScanReport {
            already: false,
            pages: page_count,
            tables: batch.copies.iter().map(|copy| copy.record.table).collect(),
            findings: batch
                .copies
                .iter()
                .flat_map(|copy| copy.findings.iter().map(|finding| finding.code))
                .collect(),
            queued: batch
                .queue
                .iter()
                .map(|queued| (queued.page, queued.reason.clone()))
                .collect(),
            repeated: repeated
                .into_iter()
                .map(|(page, first)| match first {
                    Location::Page(first) => (page, first),
                    Location::Line(_) => (page, 0),
                })
                .collect(),
            same_image,
            unpublished: None,
        };
        (batch, report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn format() -> ActaFormat {
        ActaFormat::from_id("ve2024-qr").expect("a known format")
    }

    #[test]
    fn a_page_without_a_code_waits_for_a_person() {
        assert!(
            matches!(classify(&[], &format()), PageOutcome::Queued(reason) if reason.contains("no QR code"))
        );
    }

    #[test]
    fn a_code_that_is_not_an_acta_waits_for_a_person() {
        let outcome = classify(&["https://example.org".to_owned()], &format());
        assert!(
            matches!(&outcome, PageOutcome::Queued(reason) if reason.contains("not a ve2024-qr acta")),
            "{outcome:?}"
        );
    }
}
