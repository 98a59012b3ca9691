//! The site as static files (`veedor export site`): every page in both languages, the JSON
//! twins, the stylesheet, and the voter registry split into small shards that a script in the
//! browser looks up; or, in the compact profile ([`Profile`], named in the mirror's
//! [`MANIFEST_PATH`]), a page per area whose centres hold their tables and acta copies, in the
//! languages asked for, without JSON twins and with larger shards. Any web server or object store can host the files, under any path: links
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

use veedor_core::{ActaCopy, AreaCode, Sha256, TableId};
use veedor_formats::lookup;

use crate::api::{self, AreaRef, TallyScope};
use crate::i18n::Lang;
use crate::pages::{self, Here, LookupOutcome, StaticLookup, StaticShape};
use crate::snapshot::Snapshot;

/// The content security policy a static page states in a `<meta>` element: the lookup script,
/// its workers and the shards from the mirror itself, nothing else; `'wasm-unsafe-eval'` lets
/// the vendored scrypt compile its WebAssembly (it allows no JavaScript `eval`).
pub const STATIC_CSP: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'";

/// The lookup script, at `static/lookup.js`.
pub const LOOKUP_JS: &str = include_str!("lookup.js");

/// The worker that derives lanes of the lookup key, at `static/lookup-lane.js`.
pub const LOOKUP_LANE_JS: &str = include_str!("lookup-lane.js");

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
    /// A site manifest (`site.json`) that does not say what the export writes.
    #[error("site.json: {0}")]
    Manifest(String),
}

/// Which pages a mirror has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Profile {
    /// Every page in its own file: a page per area, table and acta copy, each with its JSON
    /// twin under `api/v1/`.
    Full,
    /// Few files, for free static hosts: a page per area, a centre's page holding its tables and
    /// their acta copies (`#t-<number>`, `#acta-<copy>`), no JSON twins (the open data under
    /// `data/` is for machines), and lookup shards [`COMPACT_SHARD_FACTOR`] times larger.
    Compact,
}

/// How many times more voters a compact mirror's lookup shard holds than a full one's (256
/// shards of about 69,000 voters, 1.1 MB each, for the demo's 17.7 million): fewer files, a
/// larger download per lookup.
pub const COMPACT_SHARD_FACTOR: usize = 256;

impl Profile {
    /// The profile named `full` or `compact`.
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "full" => Some(Self::Full),
            "compact" => Some(Self::Compact),
            _ => None,
        }
    }

    /// Its name, as `--profile` and the manifest write it.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Compact => "compact",
        }
    }

    /// How many leading bits of the hash name a lookup shard for `voters` in this profile: the
    /// export cuts the shards with it, and the verifier holds a mirror's shard count to it.
    #[must_use]
    pub fn shard_bits(self, voters: usize) -> u8 {
        match self {
            Self::Full => shard_bits(voters, FULL_PROFILE_RECORDS_PER_SHARD),
            Self::Compact => shard_bits(
                voters,
                FULL_PROFILE_RECORDS_PER_SHARD * COMPACT_SHARD_FACTOR,
            ),
        }
    }
}

/// Where a site states how it was exported.
pub const MANIFEST_PATH: &str = "site.json";

/// The schema of [`MANIFEST_PATH`].
pub const MANIFEST_SCHEMA: &str = "veedor.site/1";

/// How a site was exported, written at [`MANIFEST_PATH`] so that `veedor verify` renders the
/// same pages again: the profile, the languages and whether the scans are in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    /// Which pages.
    pub profile: Profile,
    /// The languages published, in [`Lang::ALL`]'s order; never empty. The first one's home
    /// page is also the mirror's `index.html`.
    pub languages: Vec<Lang>,
    /// Whether the scans (`scans/<sha256>`) and their small copies are in the mirror.
    pub scans: bool,
}

/// The manifest as its file has it.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestFile {
    schema: String,
    profile: String,
    languages: Vec<String>,
    scans: bool,
}

impl Manifest {
    /// The full profile in both languages with the scans: what `veedor export site` writes by
    /// default.
    #[must_use]
    pub fn full() -> Self {
        Self::new(Profile::Full, &Lang::ALL, true)
    }

    /// A manifest; `languages` are put in [`Lang::ALL`]'s order, each once, and are both when
    /// none is given.
    #[must_use]
    pub fn new(profile: Profile, languages: &[Lang], scans: bool) -> Self {
        let mut languages: Vec<Lang> = Lang::ALL
            .into_iter()
            .filter(|lang| languages.contains(lang))
            .collect();
        if languages.is_empty() {
            languages = Lang::ALL.to_vec();
        }
        Self {
            profile,
            languages,
            scans,
        }
    }

    /// The language of the mirror's root page.
    #[must_use]
    pub fn root_lang(&self) -> Lang {
        self.languages.first().copied().unwrap_or(ROOT_LANG)
    }

    /// The file's bytes: one line of JSON.
    pub fn to_bytes(&self) -> Result<Vec<u8>, SiteError> {
        let file = ManifestFile {
            schema: MANIFEST_SCHEMA.to_owned(),
            profile: self.profile.name().to_owned(),
            languages: self
                .languages
                .iter()
                .map(|lang| lang.tag().to_owned())
                .collect(),
            scans: self.scans,
        };
        let mut bytes = serde_json::to_vec(&file)?;
        bytes.push(b'\n');
        Ok(bytes)
    }

    /// Reads the file's bytes; the error says what is wrong.
    pub fn parse(bytes: &[u8]) -> Result<Self, SiteError> {
        let file: ManifestFile = serde_json::from_slice(bytes)?;
        let invalid = |what: String| SiteError::Manifest(what);
        if file.schema != MANIFEST_SCHEMA {
            return Err(invalid(format!(
                "schema {:?}, expected {MANIFEST_SCHEMA:?}",
                file.schema
            )));
        }
        let profile = Profile::parse(&file.profile).ok_or_else(|| {
            invalid(format!(
                "profile {:?}, expected \"full\" or \"compact\"",
                file.profile
            ))
        })?;
        let languages = file
            .languages
            .iter()
            .map(|tag| {
                Lang::parse(tag)
                    .ok_or_else(|| invalid(format!("language {tag:?}, expected \"es\" or \"en\"")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let manifest = Self::new(profile, &languages, file.scans);
        if manifest.languages != languages {
            return Err(invalid(
                "languages must be one or both of \"es\", \"en\", in that order, each once"
                    .to_owned(),
            ));
        }
        Ok(manifest)
    }
}

#[cfg(test)]
mod manifest_tests {
    use super::*;

    #[test]
    fn a_manifest_reads_back_what_it_writes_and_refuses_anything_else() {
        let compact = Manifest::new(Profile::Compact, &[Lang::En, Lang::Es, Lang::En], false);
        assert_eq!(compact.languages, Lang::ALL);
        let bytes = compact.to_bytes().unwrap();
        assert_eq!(
            String::from_utf8(bytes.clone()).unwrap(),
            "{\"schema\":\"veedor.site/1\",\"profile\":\"compact\",\"languages\":[\"es\",\"en\"],\"scans\":false}\n"
        );
        assert_eq!(Manifest::parse(&bytes).unwrap(), compact);
        assert_eq!(Manifest::full().root_lang(), Lang::Es);
        let english = Manifest::new(Profile::Compact, &[Lang::En], true);
        assert_eq!(english.root_lang(), Lang::En);
        assert_eq!(
            Manifest::parse(&english.to_bytes().unwrap()).unwrap(),
            english
        );
        for (text, expected) in [
            (
                r#"{"schema":"veedor.site/2","profile":"full","languages":["es"],"scans":true}"#,
                "schema",
            ),
            (
                r#"{"schema":"veedor.site/1","profile":"tiny","languages":["es"],"scans":true}"#,
                "profile \"tiny\"",
            ),
            (
                r#"{"schema":"veedor.site/1","profile":"full","languages":["fr"],"scans":true}"#,
                "language \"fr\"",
            ),
            (
                r#"{"schema":"veedor.site/1","profile":"full","languages":["en","es"],"scans":true}"#,
                "in that order",
            ),
            (
                r#"{"schema":"veedor.site/1","profile":"full","languages":[],"scans":true}"#,
                "in that order",
            ),
            (
                r#"{"schema":"veedor.site/1","profile":"full","languages":["es"],"scans":true,"x":1}"#,
                "unknown field",
            ),
            (
                r#"{"schema":"veedor.site/1","profile":"full","languages":["es"]}"#,
                "missing field",
            ),
        ] {
            let error = Manifest::parse(text.as_bytes()).unwrap_err().to_string();
            assert!(error.contains(expected), "{text}: {error}");
        }
        assert_eq!(Profile::Full.shard_bits(17_745_239), 16);
        assert_eq!(Profile::Compact.shard_bits(17_745_239), 8);
        assert_eq!(Profile::Compact.shard_bits(4_000), 4);
    }
}

/// One piece of the site: a page in each language and its JSON twin, or the fixed files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// The home pages (also at the root), the method and lookup pages, the stylesheet, the
    /// script, the manifest, and in the full profile the OpenAPI document and the tally of each
    /// level.
    Fixed,
    /// An area below the nation (in the compact profile, a centre's page holds its tables and
    /// their acta copies).
    Area(AreaCode),
    /// A table (the full profile).
    Table(TableId),
    /// An acta copy, by its position in the dataset's copies (the full profile).
    Acta(usize),
    /// The analysis page of the nation or of an area of the first level.
    Analysis(AreaCode),
}

/// A rendered file: its path from the mirror's root and its bytes.
pub type File = (String, Vec<u8>);

/// The site of one snapshot.
#[derive(Debug)]
pub struct Site<'a> {
    snapshot: &'a Snapshot,
    lookup: Option<StaticLookup>,
    small_copies: &'a HashSet<Sha256>,
    manifest: &'a Manifest,
}

impl<'a> Site<'a> {
    /// The site of `snapshot` as `manifest` cuts it; `lookup` when the registry's shards are
    /// published with it; `small_copies`: the scans whose small copy is written at
    /// `scans/small/<sha256>.jpg`.
    #[must_use]
    pub fn new(
        snapshot: &'a Snapshot,
        lookup: Option<StaticLookup>,
        small_copies: &'a HashSet<Sha256>,
        manifest: &'a Manifest,
    ) -> Self {
        Self {
            snapshot,
            lookup,
            small_copies,
            manifest,
        }
    }

    fn compact(&self) -> bool {
        self.manifest.profile == Profile::Compact
    }

    /// Every part, in a fixed order.
    #[must_use]
    pub fn parts(&self) -> Vec<Part> {
        let results = &self.snapshot.results;
        let mut parts = vec![Part::Fixed];
        for level in 0..results.election().geography.levels.len() {
            parts.extend(results.tally.level(level).map(|(area, _)| Part::Area(area)));
        }
        if !self.compact() {
            parts.extend(results.tables().map(|(id, _)| Part::Table(*id)));
            parts.extend((0..results.dataset.copies.len()).map(Part::Acta));
        }
        parts.extend(
            self.snapshot
                .analysis
                .full
                .areas
                .iter()
                .map(|analysed| Part::Analysis(analysed.area)),
        );
        parts
    }

    /// The files of one part.
    pub fn render(&self, part: Part) -> Result<Vec<File>, SiteError> {
        match part {
            Part::Fixed => self.fixed(),
            Part::Area(area) => self.area(area),
            Part::Table(id) => self.table(id),
            Part::Acta(index) => self.acta(index),
            Part::Analysis(area) => self.analysis(area),
        }
    }

    /// The languages' pages are linked as the manifest cuts the mirror.
    fn shape(&self) -> StaticShape {
        let levels = &self.snapshot.results.election().geography.levels;
        StaticShape {
            one_language: self.manifest.languages.len() == 1,
            centre_level: self
                .compact()
                .then(|| levels.last().map(|level| level.id.clone()))
                .flatten(),
        }
    }

    fn here(&self, lang: Lang, page: &str, json: Option<String>) -> Here {
        let json = json.filter(|_| !self.compact());
        Here::static_page(lang, page, json, self.lookup.clone(), self.shape())
    }

    fn fixed(&self) -> Result<Vec<File>, SiteError> {
        let snapshot = self.snapshot;
        let results = &snapshot.results;
        let compact = self.compact();
        let mut files = Vec::new();
        let home_json = "api/v1/area/national.json".to_owned();
        for &lang in &self.manifest.languages {
            let document = api::area_document(results, AreaCode::National, lang.tag())
                .ok_or_else(|| SiteError::Missing("the nation".to_owned()))?;
            let here = self.here(lang, "index.html", Some(home_json.clone()));
            files.push(page(
                lang,
                "index.html",
                pages::area_page(snapshot, &document, lang, &here),
            ));
            if lang == self.manifest.root_lang() {
                let root = Here::static_root(
                    lang,
                    (!compact).then(|| home_json.clone()),
                    self.lookup.clone(),
                    self.shape(),
                );
                files.push((
                    "index.html".to_owned(),
                    pages::area_page(snapshot, &document, lang, &root).into_bytes(),
                ));
            }
            if lang == Lang::En && !compact {
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
        files.push((
            "static/lookup-lane.js".to_owned(),
            LOOKUP_LANE_JS.as_bytes().to_vec(),
        ));
        files.push((
            "static/hash-wasm-scrypt.js".to_owned(),
            SCRYPT_JS.as_bytes().to_vec(),
        ));
        files.push((
            "static/hash-wasm-LICENSE.txt".to_owned(),
            SCRYPT_JS_LICENSE.as_bytes().to_vec(),
        ));
        files.push((MANIFEST_PATH.to_owned(), self.manifest.to_bytes()?));
        if compact {
            return Ok(files);
        }
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
        for &lang in &self.manifest.languages {
            let document = api::area_document(results, area, lang.tag())
                .ok_or_else(|| SiteError::Missing(name.clone()))?;
            let file = format!("{name}.html");
            let here = self.here(lang, &file, Some(json.clone()));
            let html = if self.compact() {
                let actas = self.actas_of(&document, lang)?;
                pages::centre_page(snapshot, &document, &actas, lang, &here)
            } else {
                pages::area_page(snapshot, &document, lang, &here)
            };
            files.push(page(lang, &file, html));
            if lang == Lang::En && !self.compact() {
                files.push((json.clone(), serde_json::to_vec(&document)?));
            }
        }
        Ok(files)
    }

    fn analysis(&self, area: AreaCode) -> Result<Vec<File>, SiteError> {
        let snapshot = self.snapshot;
        let results = &snapshot.results;
        let reference = AreaRef::new(results, area);
        let name = if area == AreaCode::National {
            "analysis".to_owned()
        } else {
            format!("analysis/{}/{}", reference.level, reference.code)
        };
        let file = format!("{name}.html");
        let json = format!("api/v1/{name}.json");
        let mut files = Vec::with_capacity(3);
        for &lang in &self.manifest.languages {
            let here = self.here(lang, &file, Some(json.clone()));
            let html = pages::analysis_page(snapshot, area, lang, &here)
                .ok_or_else(|| SiteError::Missing(name.clone()))?;
            files.push(page(lang, &file, html));
        }
        if !self.compact() {
            let document = snapshot
                .analysis
                .document(results, area, Lang::En)
                .ok_or_else(|| SiteError::Missing(name.clone()))?;
            files.push((json, serde_json::to_vec(&document)?));
        }
        Ok(files)
    }

    /// The acta copies of an area's tables (a centre's; other areas have none), in the order of
    /// its tables and, in each, oldest first.
    fn actas_of(
        &self,
        document: &api::AreaDocument,
        lang: Lang,
    ) -> Result<Vec<(api::ActaDocument, &'a ActaCopy)>, SiteError> {
        let snapshot = self.snapshot;
        let mut actas = Vec::new();
        for table in &document.tables {
            for view in &table.copies {
                let copy = snapshot
                    .copy(view.id)
                    .ok_or_else(|| SiteError::Missing(format!("copy {}", view.id)))?;
                actas.push((self.acta_document(copy, lang), copy));
            }
        }
        Ok(actas)
    }

    fn acta_document(&self, copy: &ActaCopy, lang: Lang) -> api::ActaDocument {
        let snapshot = self.snapshot;
        let scan = if self.manifest.scans {
            snapshot.scan_of(copy)
        } else {
            None
        };
        let mut document = api::acta_document(
            &snapshot.results,
            copy,
            scan.as_ref(),
            snapshot.log.as_ref(),
            lang.tag(),
        );
        self.mirror_paths(&mut document);
        document
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
        for &lang in &self.manifest.languages {
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
        let id = copy.id.get();
        let file = format!("acta/{id}.html");
        let json = format!("api/v1/acta/{id}.json");
        let mut files = Vec::with_capacity(3);
        for &lang in &self.manifest.languages {
            let document = self.acta_document(copy, lang);
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

/// The vendored hash-wasm's scrypt (MIT, WebAssembly), at `static/hash-wasm-scrypt.js`:
/// `lookup-lane.js` (and `lookup.js` where workers cannot run) derive the key with it.
pub const SCRYPT_JS: &str = include_str!("vendor/hash-wasm/scrypt.umd.min.js");

/// The vendored hash-wasm's licence, at `static/hash-wasm-LICENSE.txt`.
pub const SCRYPT_JS_LICENSE: &str = include_str!("vendor/hash-wasm/LICENSE.txt");

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
