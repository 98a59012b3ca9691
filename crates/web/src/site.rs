//! The site as static files (`veedor export site`): every page in both languages, the JSON
//! twins, the stylesheet, and the voter registry split into small shards that a script in the
//! browser looks up. Any web server or object store can host the files, under any path: links
//! are relative and name files (`../area/state/13.html`), so nothing needs server logic or
//! rewrites. The layout is in docs/mirror.md.
//!
//! This module renders; the command line writes the files (in parallel) and adds what
//! `veedor export data` writes: open data, scans, the transparency log.
//!
//! Deterministic: nothing depends on the time of export or on hash-map order, so the same store
//! renders the same bytes.

use std::collections::HashSet;
use std::fmt::Write as _;

use veedor_core::{AreaCode, Sha256, TableId};
use veedor_formats::lookup;

use crate::api::{self, AreaRef, TallyScope};
use crate::i18n::Lang;
use crate::pages::{self, Here, LookupOutcome, StaticLookup};
use crate::snapshot::Snapshot;

/// The content security policy a static page states in a `<meta>` element: the lookup script
/// and the shards from the mirror itself, nothing else.
pub const STATIC_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'";

/// The lookup script, at `static/lookup.js`.
pub const LOOKUP_JS: &str = include_str!("lookup.js");

/// The language of the mirror's root page (a copy of its home page).
pub const ROOT_LANG: Lang = Lang::Es;

/// Bytes of one lookup record: the first 8 bytes of the voter's key, the centre code (6 bytes,
/// big-endian) and the table number (2 bytes, big-endian).
pub use veedor_formats::lookup::LOOKUP_RECORD;

/// Why the site cannot be rendered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SiteError {
    /// A document did not serialise.
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A centre code too large for a lookup record.
    #[error("centre code {0} does not fit the lookup's 48 bits")]
    CentreTooLarge(u64),
    /// An area, table or copy that the results do not hold.
    #[error("{0} is not in the results")]
    Missing(String),
}

/// One piece of the site: a page in both languages and its JSON twin, or the fixed files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// The home pages (also at the root), the method and lookup pages, the stylesheet, the
    /// script, the OpenAPI document and the tally of each level.
    Fixed,
    /// An area below the nation.
    Area(AreaCode),
    /// A table.
    Table(TableId),
    /// An acta copy, by its position in the dataset's copies.
    Acta(usize),
}

/// A rendered file: its path from the mirror's root and its bytes.
pub type File = (String, Vec<u8>);

/// The site of one snapshot.
#[derive(Debug)]
pub struct Site<'a> {
    snapshot: &'a Snapshot,
    lookup: Option<StaticLookup>,
    small_copies: &'a HashSet<Sha256>,
}

impl<'a> Site<'a> {
    /// The site of `snapshot`; `lookup` when the registry's shards are published with it;
    /// `small_copies`: the scans whose small copy is written at `scans/small/<sha256>.jpg`.
    #[must_use]
    pub fn new(
        snapshot: &'a Snapshot,
        lookup: Option<StaticLookup>,
        small_copies: &'a HashSet<Sha256>,
    ) -> Self {
        Self {
            snapshot,
            lookup,
            small_copies,
        }
    }

    /// Every part, in a fixed order.
    #[must_use]
    pub fn parts(&self) -> Vec<Part> {
        let results = &self.snapshot.results;
        let mut parts = vec![Part::Fixed];
        for level in 0..results.election().geography.levels.len() {
            parts.extend(results.tally.level(level).map(|(area, _)| Part::Area(area)));
        }
        parts.extend(results.tables().map(|(id, _)| Part::Table(*id)));
        parts.extend((0..results.dataset.copies.len()).map(Part::Acta));
        parts
    }

    /// The files of one part.
    pub fn render(&self, part: Part) -> Result<Vec<File>, SiteError> {
        match part {
            Part::Fixed => self.fixed(),
            Part::Area(area) => self.area(area),
            Part::Table(id) => self.table(id),
            Part::Acta(index) => self.acta(index),
        }
    }

    fn here(&self, lang: Lang, page: &str, json: Option<String>) -> Here {
        Here::static_page(lang, page, json, self.lookup.clone())
    }

    fn fixed(&self) -> Result<Vec<File>, SiteError> {
        let snapshot = self.snapshot;
        let results = &snapshot.results;
        let mut files = Vec::new();
        let home_json = "api/v1/area/national.json".to_owned();
        for lang in Lang::ALL {
            let document = api::area_document(results, AreaCode::National, lang.tag())
                .ok_or_else(|| SiteError::Missing("the nation".to_owned()))?;
            let here = self.here(lang, "index.html", Some(home_json.clone()));
            files.push(page(
                lang,
                "index.html",
                pages::area_page(snapshot, &document, lang, &here),
            ));
            if lang == ROOT_LANG {
                let root = Here::static_root(lang, Some(home_json.clone()), self.lookup.clone());
                files.push((
                    "index.html".to_owned(),
                    pages::area_page(snapshot, &document, lang, &root).into_bytes(),
                ));
            }
            if lang == Lang::En {
                files.push((home_json.clone(), serde_json::to_vec(&document)?));
            }
            let here = self.here(lang, "method.html", None);
            files.push(page(
                lang,
                "method.html",
                pages::method_page(snapshot, lang, &here),
            ));
            let here = self.here(lang, "lookup.html", None);
            files.push(page(
                lang,
                "lookup.html",
                pages::lookup_page(snapshot, &LookupOutcome::Form, lang, &here),
            ));
        }
        files.push((
            "static/style.css".to_owned(),
            pages::STYLE.as_bytes().to_vec(),
        ));
        files.push(("static/lookup.js".to_owned(), LOOKUP_JS.as_bytes().to_vec()));
        files.push(("static/scrypt.js".to_owned(), SCRYPT_JS.as_bytes().to_vec()));
        files.push((
            "static/scrypt-js-LICENSE.txt".to_owned(),
            SCRYPT_JS_LICENSE.as_bytes().to_vec(),
        ));
        files.push((
            "api/v1/openapi.json".to_owned(),
            crate::openapi::document().to_string().into_bytes(),
        ));
        let geography = &results.election().geography;
        let scopes = std::iter::once(("national".to_owned(), TallyScope::National)).chain(
            geography
                .levels
                .iter()
                .enumerate()
                .map(|(index, level)| (level.id.clone(), TallyScope::Level(index))),
        );
        for (name, scope) in scopes {
            let document = api::tally_document(results, scope, Lang::En.tag())
                .ok_or_else(|| SiteError::Missing(format!("the tally of {name}")))?;
            files.push((
                format!("api/v1/tally/{name}.json"),
                serde_json::to_vec(&document)?,
            ));
        }
        Ok(files)
    }

    fn area(&self, area: AreaCode) -> Result<Vec<File>, SiteError> {
        let snapshot = self.snapshot;
        let results = &snapshot.results;
        let reference = AreaRef::new(results, area);
        let name = format!("area/{}/{}", reference.level, reference.code);
        let json = format!("api/v1/{name}.json");
        let mut files = Vec::with_capacity(3);
        for lang in Lang::ALL {
            let document = api::area_document(results, area, lang.tag())
                .ok_or_else(|| SiteError::Missing(name.clone()))?;
            let file = format!("{name}.html");
            let here = self.here(lang, &file, Some(json.clone()));
            files.push(page(
                lang,
                &file,
                pages::area_page(snapshot, &document, lang, &here),
            ));
            if lang == Lang::En {
                files.push((json.clone(), serde_json::to_vec(&document)?));
            }
        }
        Ok(files)
    }

    fn table(&self, id: TableId) -> Result<Vec<File>, SiteError> {
        let snapshot = self.snapshot;
        let results = &snapshot.results;
        let state = results
            .table(id)
            .ok_or_else(|| SiteError::Missing(format!("table {id:?}")))?;
        let view = api::TableView::new(results, id, state);
        let file = format!("table/{}.html", view.id);
        let json = format!("api/v1/table/{}.json", view.id);
        let mut files = Vec::with_capacity(3);
        for lang in Lang::ALL {
            let here = self.here(lang, &file, Some(json.clone()));
            files.push(page(
                lang,
                &file,
                pages::table_page(snapshot, &view, lang, &here),
            ));
        }
        let document = api::table_document(results, id, state, Lang::En.tag());
        files.push((json, serde_json::to_vec(&document)?));
        Ok(files)
    }

    fn acta(&self, index: usize) -> Result<Vec<File>, SiteError> {
        let snapshot = self.snapshot;
        let results = &snapshot.results;
        let copy = results
            .dataset
            .copies
            .get(index)
            .ok_or_else(|| SiteError::Missing(format!("copy {index}")))?;
        let scan = snapshot.scan_of(copy);
        let id = copy.id.get();
        let file = format!("acta/{id}.html");
        let json = format!("api/v1/acta/{id}.json");
        let mut files = Vec::with_capacity(3);
        for lang in Lang::ALL {
            let mut document = api::acta_document(
                results,
                copy,
                scan.as_ref(),
                snapshot.log.as_ref(),
                lang.tag(),
            );
            self.mirror_paths(&mut document);
            let here = self.here(lang, &file, Some(json.clone()));
            files.push(page(
                lang,
                &file,
                pages::acta_page(snapshot, &document, copy, lang, &here),
            ));
            if lang == Lang::En {
                files.push((json.clone(), serde_json::to_vec(&document)?));
            }
        }
        Ok(files)
    }

    /// The document's paths as the mirror has them, from its root: the scan at `scans/<sha256>`
    /// and its small copy at `scans/small/<sha256>.jpg` (the original when none could be made),
    /// the log under `log/`.
    fn mirror_paths(&self, document: &mut api::ActaDocument) {
        if let Some(scan) = &mut document.scan {
            scan.url = format!("scans/{}", scan.sha256);
            let has_small =
                Sha256::from_hex(&scan.sha256).is_ok_and(|hash| self.small_copies.contains(&hash));
            scan.small_url = if has_small {
                small_copy_path(&scan.sha256)
            } else {
                scan.url.clone()
            };
        }
        if let Some(log) = &mut document.log {
            log.entry_bundle = log.entry_bundle.trim_start_matches('/').to_owned();
            log.checkpoint.url = log.checkpoint.url.trim_start_matches('/').to_owned();
        }
    }
}

fn page(lang: Lang, file: &str, html: String) -> File {
    (format!("{}/{file}", lang.tag()), html.into_bytes())
}

/// Where a scan's small copy is in the mirror, by the original's SHA-256 (hex).
#[must_use]
pub fn small_copy_path(sha256_hex: &str) -> String {
    format!("scans/small/{sha256_hex}.jpg")
}

// ---------------------------------------------------------------------------------------------
// The voter lookup without a server.
//
// The records are computed once, when the registry is imported (`veedor_app::registry`, keys
// by scrypt: `veedor_formats::lookup`), and kept in the blob store; the export only cuts them.

/// The records a shard of today's full export holds on average, at most: 65,536 shards of about
/// 330 voters for 21 million. An export profile with fewer, larger files passes a larger target
/// to [`shard_bits`]; nothing the log commits to depends on it.
pub const FULL_PROFILE_RECORDS_PER_SHARD: usize = lookup::FULL_PROFILE_RECORDS_PER_SHARD;

/// The file that lists the SHA-256 of every bucket of the records (32 bytes each, in order,
/// `bucket_bits` of the registry's log entry), which the entry's `buckets_sha256` authenticates:
/// it lets `veedor verify` name the shard that differs.
pub const LOOKUP_INDEX: &str = "lookup/index.bin";

/// The vendored scrypt-js (MIT), at `static/scrypt.js`: `lookup.js` derives the key with it.
pub const SCRYPT_JS: &str = include_str!("vendor/scrypt-js/scrypt.js");

/// The vendored scrypt-js's licence, at `static/scrypt-js-LICENSE.txt`.
pub const SCRYPT_JS_LICENSE: &str = include_str!("vendor/scrypt-js/LICENSE.txt");

/// How many leading key bits name a shard: a multiple of 4 from 4 to 28, the smallest that
/// keeps shards to `records_per_shard` voters or fewer on average
/// ([`FULL_PROFILE_RECORDS_PER_SHARD`] for the full export: 16 bits for 21 million voters).
#[must_use]
pub fn shard_bits(voters: usize, records_per_shard: usize) -> u8 {
    lookup::bits_for(voters, records_per_shard)
}

/// The shard a record (or key) belongs in: its first `bits` bits.
#[must_use]
pub fn shard_of(record: &[u8], bits: u8) -> u32 {
    lookup::shard_of(record, bits)
}

/// The file of shard `shard` under `lookup/`: the shard's `bits / 4` hex digits, two per folder
/// (`lookup/ab/cd.bin` for 16 bits).
#[must_use]
pub fn shard_path(bits: u8, shard: u32) -> String {
    let digits = usize::from(bits / 4);
    let hex = format!("{shard:0digits$x}");
    let mut path = String::from("lookup/");
    for (index, character) in hex.chars().enumerate() {
        if index > 0 && index % 2 == 0 {
            path.push('/');
        }
        path.push(character);
    }
    let _ = write!(path, ".bin");
    path
}

/// Every shard's file, empty ones included (an empty shard says "no such voter"; a missing one
/// that the copy is incomplete), from the records sorted ascending (whole 16-byte records).
pub fn shards(sorted_records: &[u8], bits: u8) -> impl Iterator<Item = File> + '_ {
    let count = 1u32 << bits;
    let mut rest = sorted_records;
    (0..count).map(move |shard| {
        let end = rest
            .chunks_exact(LOOKUP_RECORD)
            .position(|record| shard_of(record, bits) != shard)
            .map_or(rest.len(), |records| records * LOOKUP_RECORD);
        let (here, after) = rest.split_at(end);
        rest = after;
        (shard_path(bits, shard), here.to_vec())
    })
}

/// `lookup/index.bin`: the SHA-256 of every bucket of `bucket_bits`, concatenated.
#[must_use]
pub fn lookup_index(sorted_records: &[u8], bucket_bits: u8) -> File {
    let hashes = lookup::bucket_hashes(sorted_records, bucket_bits);
    (LOOKUP_INDEX.to_owned(), hashes.concat())
}

#[cfg(test)]
mod tests {
    use veedor_core::{CentreCode, TableNumber, VoterId};
    use veedor_formats::lookup::{LookupKdf, lookup_record, lookup_salt};

    use super::*;

    #[test]
    fn shards_cut_the_records_by_their_first_bits() {
        assert_eq!(shard_path(16, 0xabcd), "lookup/ab/cd.bin");
        assert_eq!(shard_path(12, 0xabc), "lookup/ab/c.bin");
        assert_eq!(shard_path(4, 0x3), "lookup/3.bin");
        assert_eq!(shard_bits(0, FULL_PROFILE_RECORDS_PER_SHARD), 4);
        assert_eq!(shard_bits(17_600_000, FULL_PROFILE_RECORDS_PER_SHARD), 16);
        assert_eq!(shard_bits(21_400_000, FULL_PROFILE_RECORDS_PER_SHARD), 16);
        assert_eq!(shard_bits(204_000_000, FULL_PROFILE_RECORDS_PER_SHARD), 20);
        assert_eq!(shard_bits(21_400_000, 8192), 12);

        let table = TableId::new(CentreCode::new(201_301_006), TableNumber::new(1));
        let salt = lookup_salt("e");
        let mut records: Vec<_> = (1..2000u64)
            .map(|voter| {
                lookup_record(&LookupKdf::UNPROTECTED, &salt, VoterId::new(voter), table).unwrap()
            })
            .collect();
        records.sort_unstable();
        let bytes = records.concat();
        let files: Vec<File> = shards(&bytes, 8).collect();
        assert_eq!(files.len(), 256);
        assert_eq!(files[0].0, "lookup/00.bin");
        assert_eq!(
            files.iter().map(|(_, bytes)| bytes.len()).sum::<usize>(),
            bytes.len()
        );
        for (index, (_, bytes)) in files.iter().enumerate() {
            for record in bytes.chunks(LOOKUP_RECORD) {
                assert_eq!(shard_of(record, 8), u32::try_from(index).unwrap());
            }
        }
        // The index is the same whatever the shards: a bucket of 4 bits is 16 shards of 8.
        let (path, index) = lookup_index(&bytes, 4);
        assert_eq!(path, LOOKUP_INDEX);
        assert_eq!(index.len(), 16 * 32);
        let first_bucket: Vec<u8> = files[..16].iter().flat_map(|(_, b)| b.clone()).collect();
        assert_eq!(
            index[..32],
            <[u8; 32]>::from(<sha2::Sha256 as sha2::Digest>::digest(&first_bucket))
        );
    }
}
