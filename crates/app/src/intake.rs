//! A scanned file in: its pages classified (an acta read from the page's QR code, or a page that
//! needs a person), then stored: the original bytes in the blob store first (durable), then one
//! batch naming it. A file is known by its SHA-256, so the same file twice adds nothing, and a
//! failure at any moment leaves it either wholly stored or not at all.
//!
//! Every front end that takes scans (`veedor ingest`, a volunteer's upload) goes through
//! [`ScanIntake`].

use veedor_core::{ActaRecord, Election, FindingCode, Location, Sha256, TableId, Timestamp};
use veedor_formats::ActaFormat;
use veedor_scan::{Limits, ScanError};
use veedor_store::{
    Batch, BlobStore, FileKind, QueuedPage, Rejection, SourceFile, Store, StoreError,
};

use crate::AppError;
use crate::batch::{CopyRow, ImportReport, KnownTables, Origin, apply_unsigned, copies_batch};

/// One page: the acta read from it, or why a person must look at it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PageOutcome {
    /// An acta code read and parsed.
    Acta(ActaRecord),
    /// Why no acta was read.
    Queued(String),
}

/// What a page's QR payloads amount to, in the election's acta format.
#[must_use]
pub fn classify(payloads: &[String], format: ActaFormat) -> PageOutcome {
    if payloads.is_empty() {
        return PageOutcome::Queued("no QR code could be read".to_owned());
    }
    let mut actas = Vec::new();
    let mut errors = Vec::new();
    for payload in payloads {
        match format.parse_payload(payload) {
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

/// Reads every page of a scanned file and classifies it. Pure computation on the bytes.
pub fn read_pages(
    bytes: &[u8],
    format: ActaFormat,
    limits: &Limits,
) -> Result<Vec<PageOutcome>, ScanError> {
    veedor_scan::scan(bytes, limits).map(|outcome| {
        outcome
            .pages
            .into_iter()
            .map(|page| classify(&page.result.payloads, format))
            .collect()
    })
}

/// A scanned file, read, ready to store.
#[derive(Clone, Debug)]
pub struct ReadScan {
    /// Its name, without folders.
    pub file_name: String,
    /// Its bytes, as received.
    pub bytes: Vec<u8>,
    /// Their SHA-256.
    pub sha256: Sha256,
    /// Its pages, in order.
    pub pages: Vec<PageOutcome>,
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
}

/// Stores scanned files, one batch each, against the store's tables.
#[derive(Debug)]
pub struct ScanIntake {
    election: Election,
    format: ActaFormat,
    known: KnownTables,
    origin: Origin,
}

impl ScanIntake {
    /// Ready to store scans of `origin` into `store`.
    pub fn new(store: &dyn Store, origin: Origin) -> Result<Self, AppError> {
        let election = store.election()?;
        let format = ActaFormat::from_id(&election.acta_format)?;
        Ok(Self {
            known: KnownTables::load(store)?,
            election,
            format,
            origin,
        })
    }

    /// The election's acta format, to read pages with.
    #[must_use]
    pub fn format(&self) -> ActaFormat {
        self.format
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
        let source = SourceFile {
            kind: FileKind::Scan,
            file_name: scan.file_name,
            sha256: scan.sha256,
            size: u64::try_from(scan.bytes.len()).unwrap_or(u64::MAX),
            received_at,
        };
        let (mut batch, mut report) = self.batch(&source, scan.pages.clone());
        let mut import = ImportReport::default();
        match apply_unsigned(store, &batch, &mut import) {
            Ok(()) => {}
            // Another writer added tables since they were loaded (two upload servers, an
            // import beside an ingest): learn them and build the batch again, once.
            Err(AppError::Store(StoreError::Conflict(_))) => {
                self.known = KnownTables::load(store)?;
                (batch, report) = self.batch(&source, scan.pages);
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
        Ok(report)
    }

    fn batch(&self, source: &SourceFile, pages: Vec<PageOutcome>) -> (Batch, ScanReport) {
        let mut rows: Vec<CopyRow> = Vec::new();
        let mut queue = Vec::new();
        let mut repeated = Vec::new();
        let page_count = pages.len();
        for (index, page) in pages.into_iter().enumerate() {
            let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
            match page {
                // The same sheet twice in one file (a PDF of one page repeated, a scanner that
                // fed a sheet twice) is the same evidence: it must not corroborate itself.
                PageOutcome::Acta(record) => match rows.iter().find(|row| row.record == record) {
                    Some(first) => repeated.push((number, first.location)),
                    None => rows.push(CopyRow {
                        location: Location::Page(number),
                        record,
                        area_names: Vec::new(),
                    }),
                },
                PageOutcome::Queued(reason) => queue.push(QueuedPage {
                    page: number,
                    reason,
                }),
            }
        }
        let (mut batch, _) =
            copies_batch(&self.election, &self.known, source, &self.origin, rows, &[]);
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
            matches!(classify(&[], format()), PageOutcome::Queued(reason) if reason.contains("no QR code"))
        );
    }

    #[test]
    fn a_code_that_is_not_an_acta_waits_for_a_person() {
        let outcome = classify(&["https://example.org".to_owned()], format());
        assert!(
            matches!(&outcome, PageOutcome::Queued(reason) if reason.contains("not a ve2024-qr acta")),
            "{outcome:?}"
        );
    }
}
