//! `veedor ingest PATH...` and `veedor ingest --watch DIR`: scans in, none lost, none counted
//! twice.
//!
//! Decoding runs on every core (rayon); one writer thread stores. For each file, in this order:
//! the original bytes go to the blob store (synced), then one transaction stores the file as a
//! source, an acta copy per page whose QR code parses, and a queue entry per page that needs a
//! person. A file is identified by its SHA-256, so the same file twice adds nothing, and a run
//! killed at any moment leaves every file either wholly stored or not at all: running it again
//! finishes the job.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::io::ErrorKind;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use veedor_app::intake::{ReadPages, ReadScan, ScanIntake, read_pages};
use veedor_app::{Origin, sign_checkpoint};
use veedor_core::{Pseudonym, Sha256, SourceKind, TableId, TableStatus};
use veedor_formats::ActaFormat;
use veedor_scan::{Limits, ScanError};
use veedor_store::{FileKind, Store};

use crate::context::{Context, file_name, now};
use crate::exit;
use crate::open::Opened;
use crate::show::load_results;

/// How often a long ingest signs a checkpoint of what it has stored so far.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(30);

/// Options of a run.
#[derive(Debug, Clone)]
pub struct Options {
    /// The scanner or device the files come from.
    pub device: Option<String>,
    /// The volunteer feeding them, by pseudonym.
    pub volunteer: Option<Pseudonym>,
    /// In watch mode, how long a file's size and time must stay unchanged before it is taken.
    pub settle: Duration,
}

impl Options {
    /// The options as given on the command line, checked: a device name without control
    /// characters, a volunteer's pseudonym.
    pub fn new(
        device: Option<String>,
        volunteer: Option<&str>,
        settle_ms: u64,
    ) -> anyhow::Result<Self> {
        if let Some(device) = &device {
            veedor_formats::text::check_name(device).map_err(|problem| {
                anyhow::anyhow!("--device: {problem}; nothing was read or stored")
            })?;
        }
        Ok(Self {
            device,
            volunteer: volunteer
                .map(Pseudonym::new)
                .transpose()
                .map_err(|error| anyhow::anyhow!("--volunteer: {error}"))?,
            settle: Duration::from_millis(settle_ms),
        })
    }
}

/// What was read from one file, before it is stored.
struct Decoded {
    path: PathBuf,
    bytes: Vec<u8>,
    sha256: Sha256,
    /// Stored by an earlier run: not decoded again.
    already: bool,
    pages: Result<ReadPages, ScanError>,
}

/// Where a run's time goes, for `VEEDOR_LOG=veedor=debug` (how the ingest figures of
/// bench/scan/RESULTS.md were profiled). Decoding phases are summed over threads.
#[derive(Default)]
struct Phases {
    /// Reading files and hashing them.
    read_ns: AtomicU64,
    /// `veedor_scan::scan`: pages and QR codes.
    scan_ns: AtomicU64,
}

impl Phases {
    fn add(counter: &AtomicU64, since: Instant) {
        let nanoseconds = u64::try_from(since.elapsed().as_nanos()).unwrap_or(u64::MAX);
        counter.fetch_add(nanoseconds, Ordering::Relaxed);
    }

    fn seconds(counter: &AtomicU64) -> f64 {
        Duration::from_nanos(counter.load(Ordering::Relaxed)).as_secs_f64()
    }
}

/// A file that was listed but not read.
enum Unread {
    /// Gone since it was listed (a scanner renamed or removed its temporary file): forgotten,
    /// not an error.
    Vanished(PathBuf),
    /// It cannot be read: rejected, with why.
    Rejected(Problem),
}

/// Reads, hashes and decodes one file, unless `stored` has it. Pure work, no store: runs on any
/// thread.
fn decode(
    path: &Path,
    format: &ActaFormat,
    limits: &Limits,
    stored: &HashSet<Sha256>,
    phases: &Phases,
) -> Result<Decoded, Unread> {
    let started = Instant::now();
    // A file over the scan limit is refused from its size, never read whole.
    let bytes = crate::context::read_limited(path, limits.max_file_bytes).map_err(|error| {
        match error.kind() {
            ErrorKind::NotFound => Unread::Vanished(path.to_owned()),
            _ => Unread::Rejected((path.to_owned(), format!("cannot be read: {error}"))),
        }
    })?;
    let sha256 = Sha256::from_bytes(veedor_scan::sha256(&bytes));
    Phases::add(&phases.read_ns, started);
    if stored.contains(&sha256) {
        return Ok(Decoded {
            path: path.to_owned(),
            bytes: Vec::new(),
            sha256,
            already: true,
            pages: Ok(ReadPages {
                pages: Vec::new(),
                published: Ok(Vec::new()),
            }),
        });
    }
    let started = Instant::now();
    let pages = read_pages(&bytes, format, limits);
    Phases::add(&phases.scan_ns, started);
    Ok(Decoded {
        path: path.to_owned(),
        bytes,
        sha256,
        already: false,
        pages,
    })
}

/// A path that was not ingested, and why.
type Problem = (PathBuf, String);

/// What walking the given paths found.
#[derive(Default)]
struct Walk {
    /// The files to read, in name order.
    files: Vec<PathBuf>,
    /// The paths that cannot be read, with why: reported, never stored, and the rest goes on.
    problems: Vec<Problem>,
}

/// A file or folder whatever path leads to it: its device and inode.
type Identity = (u64, u64);

fn identity(metadata: &fs::Metadata) -> Identity {
    (metadata.dev(), metadata.ino())
}

const LEADS_NOWHERE: &str = "a symbolic link that leads nowhere";
const LINK_LOOP: &str = "a loop of symbolic links";

/// Every file under the paths, in name order; hidden files and files still being written by
/// common tools (`.part`, `.tmp`, `~`) are skipped.
///
/// Symbolic links are followed, to files and to folders (a scanner's folder linked into the
/// inbox is ingested). Each file and folder is taken once however many paths lead to it (by
/// device and inode), and a link back to a folder that contains it is reported as a loop. A path
/// that cannot be read (a link that leads nowhere, a loop of links, no permission) is reported
/// with why and the rest goes on; a file inside a folder that is gone by the time it is looked
/// at (scanners write temporary files and rename them) is forgotten, not an error.
fn files_under(paths: &[PathBuf]) -> Walk {
    let mut walk = Walk::default();
    let mut seen: HashSet<Identity> = HashSet::new();
    // Each path with the folders that contain it, by identity: a folder among its own
    // ancestors is a loop, a folder seen elsewhere is only a second way in.
    let mut stack: Vec<(PathBuf, Rc<Vec<Identity>>)> = paths
        .iter()
        .rev()
        .map(|path| (path.clone(), Rc::new(Vec::new())))
        .collect();
    while let Some((path, ancestors)) = stack.pop() {
        let named = ancestors.is_empty();
        let metadata = match fs::metadata(&path) {
            Ok(metadata) => metadata,
            Err(error) => {
                match unreadable(&path, &error, named) {
                    Some(reason) => walk.problems.push((path, reason)),
                    None => tracing::debug!(path = %path.display(), "gone before it was read"),
                }
                continue;
            }
        };
        let id = identity(&metadata);
        if metadata.is_dir() {
            if ancestors.contains(&id) {
                walk.problems.push((path, LINK_LOOP.to_owned()));
                continue;
            }
            if !seen.insert(id) {
                tracing::debug!(path = %path.display(), "a folder already walked by another path");
                continue;
            }
            let entries = match fs::read_dir(&path) {
                Ok(entries) => entries,
                Err(error) if error.kind() == ErrorKind::NotFound && !named => continue,
                Err(error) => {
                    let reason = format!("the folder cannot be read: {error}");
                    walk.problems.push((path, reason));
                    continue;
                }
            };
            let mut children: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .filter(|child| !is_ignored(child))
                .collect();
            children.sort();
            let mut inside = ancestors.as_ref().clone();
            inside.push(id);
            let inside = Rc::new(inside);
            stack.extend(
                children
                    .into_iter()
                    .rev()
                    .map(|child| (child, Rc::clone(&inside))),
            );
        } else if metadata.is_file() && seen.insert(id) {
            walk.files.push(path);
        }
    }
    walk
}

/// Why a path whose metadata cannot be read is skipped, or `None` when it is a file inside a
/// folder that is simply gone (not an error: a scanner renamed or removed it).
fn unreadable(path: &Path, error: &std::io::Error, named: bool) -> Option<String> {
    let is_link = fs::symlink_metadata(path).is_ok_and(|metadata| metadata.is_symlink());
    if is_link && error.kind() == ErrorKind::NotFound {
        Some(LEADS_NOWHERE.to_owned())
    } else if is_link && link_loops(path) {
        Some(LINK_LOOP.to_owned())
    } else if error.kind() == ErrorKind::NotFound {
        named.then(|| "does not exist".to_owned())
    } else {
        Some(format!("cannot be read: {error}"))
    }
}

/// Whether following the link at `path`, link after link, comes back to one already followed
/// or goes on longer than the system would follow (40 links, as Linux).
fn link_loops(path: &Path) -> bool {
    let mut followed = HashSet::new();
    let mut current = path.to_owned();
    for _ in 0..40 {
        let Ok(target) = fs::read_link(&current) else {
            return false;
        };
        if !followed.insert(current.clone()) {
            return true;
        }
        current = match current.parent() {
            Some(folder) => folder.join(target),
            None => target,
        };
    }
    true
}

fn is_ignored(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    name.starts_with('.')
        || name.ends_with('~')
        || name.ends_with(".part")
        || name.ends_with(".tmp")
}

/// The tally of a run, for its summary.
#[derive(Default)]
struct RunSummary {
    stored_files: usize,
    already: usize,
    pages: usize,
    queued: Vec<(String, u32, String)>,
    /// Files and paths not stored, with why.
    rejected: Vec<Problem>,
    tables: HashSet<TableId>,
    flagged: BTreeMap<&'static str, usize>,
    /// Pages repeating an acta read from an earlier page of the same file.
    repeated: usize,
    /// Pages whose image repeats an earlier copy's from another origin: (file, page, earlier).
    same_image: Vec<(String, u32, String)>,
    /// Files stored but not published, their metadata not removable: (file, why).
    unpublished: Vec<(String, String)>,
}

/// The writer: stores one decoded file through `veedor-app` (blob first, then one
/// transaction), and signs a checkpoint now and then.
struct Writer<'a> {
    opened: &'a mut Opened,
    intake: ScanIntake,
    summary: RunSummary,
    last_checkpoint: Instant,
    /// Time spent storing (blob and transaction).
    store_time: Duration,
}

impl<'a> Writer<'a> {
    fn new(opened: &'a mut Opened, options: &Options) -> anyhow::Result<Self> {
        let origin = Origin {
            kind: SourceKind::Qr,
            device: options.device.clone(),
            volunteer: options.volunteer.clone(),
        };
        Ok(Writer {
            intake: ScanIntake::new(&*opened.store, origin, Limits::default())?,
            opened,
            summary: RunSummary::default(),
            last_checkpoint: Instant::now(),
            store_time: Duration::ZERO,
        })
    }

    fn store_file(&mut self, decoded: Decoded) -> anyhow::Result<()> {
        let name = file_name(&decoded.path);
        if decoded.already {
            self.summary.already += 1;
            return Ok(());
        }
        let pages = match decoded.pages {
            Ok(pages) => pages,
            Err(error) => {
                self.summary
                    .rejected
                    .push((decoded.path.clone(), error.to_string()));
                return Ok(());
            }
        };
        let started = Instant::now();
        let report = self
            .intake
            .store(
                &mut *self.opened.store,
                &*self.opened.blobs,
                ReadScan {
                    file_name: name.clone(),
                    bytes: decoded.bytes,
                    sha256: decoded.sha256,
                    read: pages,
                },
                now(),
            )
            .with_context(|| format!("storing {}", decoded.path.display()))?;
        self.store_time += started.elapsed();
        if report.already {
            self.summary.already += 1;
        } else {
            self.summary.stored_files += 1;
            self.summary.pages += report.pages;
            for (page, reason) in report.queued {
                self.summary.queued.push((name.clone(), page, reason));
            }
            self.summary.tables.extend(report.tables);
            for code in report.findings {
                *self.summary.flagged.entry(code.code()).or_default() += 1;
            }
            self.summary.repeated += report.repeated.len();
            for (page, earlier) in report.same_image {
                self.summary.same_image.push((name.clone(), page, earlier));
            }
            if let Some(why) = report.unpublished {
                self.summary.unpublished.push((name.clone(), why));
            }
        }
        if self.last_checkpoint.elapsed() >= CHECKPOINT_EVERY {
            self.checkpoint()?;
        }
        Ok(())
    }

    /// A file listed but not read: a rejection, or nothing at all when it is gone.
    fn unread(&mut self, unread: Unread) {
        match unread {
            Unread::Vanished(path) => {
                tracing::debug!(path = %path.display(), "gone before it was read; forgotten");
            }
            Unread::Rejected(problem) => self.summary.rejected.push(problem),
        }
    }

    fn checkpoint(&mut self) -> anyhow::Result<()> {
        sign_checkpoint(&mut *self.opened.store, &*self.opened.signer, now())?;
        self.last_checkpoint = Instant::now();
        Ok(())
    }
}

fn progress(len: Option<u64>) -> ProgressBar {
    let bar = len.map_or_else(ProgressBar::new_spinner, ProgressBar::new);
    let template = if len.is_some() {
        "{bar:30} {pos}/{len} files  {per_sec}  elapsed {elapsed}  left {eta}  {msg}"
    } else {
        "{spinner} {pos} files  {per_sec}  elapsed {elapsed}  {msg}"
    };
    bar.set_style(
        ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// Stops on Ctrl-C or SIGTERM: the file being stored is finished, nothing is left half-stored.
/// A second signal stops at once (still safe: each file is one transaction).
struct StopFlag {
    flag: Arc<AtomicBool>,
    handlers: Vec<signal_hook::SigId>,
}

impl StopFlag {
    fn install() -> Self {
        let flag = Arc::new(AtomicBool::new(false));
        let mut handlers = Vec::new();
        for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            // The abrupt exit first: it only fires when the flag is already set.
            let registered =
                signal_hook::flag::register_conditional_shutdown(signal, 130, Arc::clone(&flag))
                    .and_then(|first| {
                        handlers.push(first);
                        signal_hook::flag::register(signal, Arc::clone(&flag))
                    });
            match registered {
                Ok(id) => handlers.push(id),
                Err(error) => {
                    tracing::warn!(%error, "cannot catch a stop signal; stopping will be abrupt")
                }
            }
        }
        Self { flag, handlers }
    }

    fn is_set(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }

    fn set(&self) {
        self.flag.store(true, Ordering::SeqCst);
    }
}

impl Drop for StopFlag {
    fn drop(&mut self) {
        for id in self.handlers.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}

/// The scans stored before, by hash.
fn stored_scans(store: &dyn Store) -> anyhow::Result<HashSet<Sha256>> {
    Ok(store
        .sources()?
        .into_iter()
        .filter(|s| s.source.kind == FileKind::Scan)
        .map(|s| s.source.sha256)
        .collect())
}

/// `veedor ingest PATH...`.
pub fn run(context: &Context, paths: &[PathBuf], options: &Options) -> anyhow::Result<u8> {
    let mut opened = context.open()?;
    let election = opened.store.election()?;
    let format = ActaFormat::of(&election)?;
    let Walk { files, problems } = files_under(paths);
    let stop = StopFlag::install();
    let started = Instant::now();
    let bar = progress(Some(u64::try_from(files.len()).unwrap_or(0)));
    let stored = stored_scans(&*opened.store)?;
    let mut writer = Writer::new(&mut opened, options)?;
    writer.summary.rejected.extend(problems);
    // Decoders on every core feed the one writer through a short queue, so memory stays bounded
    // however many files there are.
    let (sender, receiver) = mpsc::sync_channel::<Result<Decoded, Unread>>(4);
    let limits = Limits::default();
    let decode_stop = Arc::clone(&stop.flag);
    let phases = Arc::new(Phases::default());
    let decode_phases = Arc::clone(&phases);
    let decoder = std::thread::spawn(move || {
        files.par_iter().for_each_with(sender, |sender, path| {
            if decode_stop.load(Ordering::SeqCst) {
                return;
            }
            let _ = sender.send(decode(path, &format, &limits, &stored, &decode_phases));
        });
    });
    let mut failure = None;
    let mut waiting = Duration::ZERO;
    let mut waited = Instant::now();
    for decoded in receiver {
        waiting += waited.elapsed();
        match decoded {
            Ok(decoded) => {
                if let Err(error) = writer.store_file(decoded) {
                    failure = Some(error);
                    stop.set();
                    break;
                }
            }
            Err(unread) => writer.unread(unread),
        }
        bar.inc(1);
        if stop.is_set() {
            bar.set_message("stopping: finishing the file in hand");
            break;
        }
        waited = Instant::now();
    }
    let _ = decoder.join();
    bar.finish_and_clear();
    tracing::debug!(
        read_and_hash_s = Phases::seconds(&phases.read_ns),
        scan_s = Phases::seconds(&phases.scan_ns),
        writer_store_s = writer.store_time.as_secs_f64(),
        writer_waiting_s = waiting.as_secs_f64(),
        "ingest phases (decoding ones summed over threads, wall clock)"
    );
    writer.checkpoint()?;
    let summary = std::mem::take(&mut writer.summary);
    drop(writer);
    print_summary(&*opened.store, &summary, started.elapsed())?;
    if let Some(error) = failure {
        return Err(error);
    }
    if stop.is_set() {
        eprintln!("stopped before the end; run the same command again to ingest the rest");
    }
    Ok(if summary.rejected.is_empty() {
        exit::OK
    } else {
        exit::PARTIAL
    })
}

fn print_summary(store: &dyn Store, summary: &RunSummary, elapsed: Duration) -> anyhow::Result<()> {
    let results = load_results(store)?;
    let mut by_status: BTreeMap<&'static str, usize> = BTreeMap::new();
    for table in &summary.tables {
        let status = results
            .table(*table)
            .map_or(TableStatus::Missing, |s| s.assessment.status);
        *by_status.entry(status.as_str()).or_default() += 1;
    }
    let seconds = elapsed.as_secs_f64().max(0.001);
    outln!(
        "ingested {} files ({} pages) in {:.1} s, {:.1} files/s; {} already ingested before",
        summary.stored_files,
        summary.pages,
        seconds,
        summary.stored_files as f64 / seconds,
        summary.already
    );
    outln!(
        "  tables read: {} accepted, {} corroborated, {} in conflict, {} awaiting a person",
        by_status.get("accepted").unwrap_or(&0),
        by_status.get("corroborated").unwrap_or(&0),
        by_status.get("conflict").unwrap_or(&0),
        by_status.get("awaiting_person").unwrap_or(&0),
    );
    for (code, count) in &summary.flagged {
        outln!("  flagged {code}: {count}");
    }
    if summary.repeated > 0 {
        outln!(
            "  pages repeating an acta of an earlier page of the same file, counted once: {}",
            summary.repeated
        );
    }
    if !summary.same_image.is_empty() {
        outln!(
            "  pages whose image is that of an earlier copy (re-encoded or resaved): the same \
             evidence, never a corroboration: {}",
            summary.same_image.len()
        );
        for (file, page, earlier) in summary.same_image.iter().take(10) {
            outln!("    {file} page {page}: as {earlier}");
        }
    }
    for (file, why) in &summary.unpublished {
        outln!("  {file}: kept but not published, its metadata could not be removed: {why}");
    }
    outln!(
        "  unreadable pages, queued for a person (veedor queue): {}",
        summary.queued.len()
    );
    for (file, page, reason) in summary.queued.iter().take(10) {
        outln!("    {file} page {page}: {reason}");
    }
    if summary.rejected.is_empty() {
        outln!("  rejected files: 0");
    } else {
        eprintln!(
            "  rejected files (not stored; fix or rescan them): {}",
            summary.rejected.len()
        );
        for (path, reason) in summary.rejected.iter().take(20) {
            eprintln!("    {}: {reason}", path.display());
        }
    }
    Ok(())
}

/// A file seen in the watched folder, and since when its size and time have not changed.
struct Candidate {
    size: u64,
    modified: Option<SystemTime>,
    stable_since: Instant,
}

/// A file as the watch takes it: its path, size and time. A file taken is taken again only if it
/// changes.
type Seen = (PathBuf, u64, Option<SystemTime>);

/// What the watch remembers from one look at the folder to the next.
#[derive(Default)]
struct Watched {
    /// Files not yet complete, by path.
    candidates: HashMap<PathBuf, Candidate>,
    /// Files taken (stored, found stored before, or rejected).
    done: HashSet<Seen>,
    /// Paths that cannot be read, reported when first seen: reported once, not at every look.
    problems: HashMap<PathBuf, String>,
}

impl Watched {
    /// Looks at the folder: returns the files that stayed unchanged for `settle`, ready to take,
    /// and the paths that became unreadable since the last look, to report.
    fn look(&mut self, dir: &Path, settle: Duration) -> (Vec<Seen>, Vec<Problem>) {
        let walk = files_under(&[dir.to_owned()]);
        let problems: HashMap<PathBuf, String> = walk.problems.into_iter().collect();
        let mut new_problems: Vec<Problem> = problems
            .iter()
            .filter(|(path, reason)| self.problems.get(*path) != Some(*reason))
            .map(|(path, reason)| (path.clone(), reason.clone()))
            .collect();
        new_problems.sort();
        self.problems = problems;
        let mut ready = Vec::new();
        let mut listed = HashSet::new();
        for path in walk.files {
            // Gone since it was listed: forgotten below with the other files that are gone.
            let Ok(metadata) = fs::metadata(&path) else {
                continue;
            };
            let (size, modified) = (metadata.len(), metadata.modified().ok());
            listed.insert(path.clone());
            if self.done.contains(&(path.clone(), size, modified)) {
                continue;
            }
            let entry = self.candidates.entry(path.clone()).or_insert(Candidate {
                size,
                modified,
                stable_since: Instant::now(),
            });
            if entry.size != size || entry.modified != modified {
                *entry = Candidate {
                    size,
                    modified,
                    stable_since: Instant::now(),
                };
            } else if size > 0 && entry.stable_since.elapsed() >= settle {
                ready.push((path, size, modified));
            }
        }
        // A scanner's temporary files come and go: what is gone is forgotten.
        self.candidates.retain(|path, _| listed.contains(path));
        (ready, new_problems)
    }
}

/// Decodes the files that are ready on every core, then stores them one at a time. A file that
/// cannot be read is rejected (reported at once, and in the summary); one that is gone is
/// forgotten; an error of the store is returned, and ends the watch.
fn take_ready(
    writer: &mut Writer<'_>,
    watched: &mut Watched,
    ready: Vec<Seen>,
    format: &ActaFormat,
    bar: &ProgressBar,
) -> anyhow::Result<()> {
    let limits = Limits::default();
    let stored = HashSet::new();
    let phases = Phases::default();
    let decoded: Vec<_> = ready
        .par_iter()
        .map(|(path, _, _)| decode(path, format, &limits, &stored, &phases))
        .collect();
    for ((path, size, modified), decoded) in ready.into_iter().zip(decoded) {
        watched.candidates.remove(&path);
        let rejected_before = writer.summary.rejected.len();
        let vanished = matches!(decoded, Err(Unread::Vanished(_)));
        match decoded {
            Ok(decoded) => writer.store_file(decoded)?,
            Err(unread) => writer.unread(unread),
        }
        for (rejected, reason) in &writer.summary.rejected[rejected_before..] {
            bar.suspend(|| eprintln!("rejected {}: {reason}", rejected.display()));
        }
        // A file that is gone is not taken: if one appears again under its name, it is new.
        if !vanished {
            watched.done.insert((path, size, modified));
            bar.inc(1);
        }
    }
    Ok(())
}

/// `veedor ingest --watch DIR`: takes each file once it is complete (its size and time unchanged
/// for `settle`), until stopped. Unreadable paths are reported once and skipped, files that
/// vanish are forgotten, and the watch goes on; only an error of the store ends it.
pub fn watch(context: &Context, dir: &Path, options: &Options) -> anyhow::Result<u8> {
    let metadata = fs::metadata(dir).with_context(|| format!("cannot watch {}", dir.display()))?;
    if !metadata.is_dir() {
        anyhow::bail!("cannot watch {}: not a folder", dir.display());
    }
    let mut opened = context.open()?;
    let election = opened.store.election()?;
    let format = ActaFormat::of(&election)?;
    let stop = StopFlag::install();
    let bar = progress(None);
    bar.set_message(format!("watching {}", dir.display()));
    let started = Instant::now();
    let mut writer = Writer::new(&mut opened, options)?;
    let mut watched = Watched::default();
    let mut failure = None;
    while !stop.is_set() {
        let (ready, problems) = watched.look(dir, options.settle);
        for (path, reason) in &problems {
            bar.suspend(|| eprintln!("rejected {}: {reason}", path.display()));
        }
        let taken = take_ready(&mut writer, &mut watched, ready, &format, &bar).and_then(|()| {
            if writer.last_checkpoint.elapsed() >= CHECKPOINT_EVERY {
                writer.checkpoint()?;
            }
            Ok(())
        });
        if let Err(error) = taken {
            failure = Some(error);
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
        bar.tick();
    }
    bar.finish_and_clear();
    let checkpointed = writer.checkpoint();
    let mut summary = std::mem::take(&mut writer.summary);
    drop(writer);
    // The paths still unreadable at the end are listed with the rejected files.
    let mut problems: Vec<Problem> = watched.problems.into_iter().collect();
    problems.sort();
    summary.rejected.extend(problems);
    eprintln!("stopped watching {}", dir.display());
    print_summary(&*opened.store, &summary, started.elapsed())?;
    if let Some(error) = failure {
        return Err(error);
    }
    checkpointed?;
    Ok(exit::OK)
}

/// `veedor queue`: the pages waiting for a person.
pub fn queue(context: &Context) -> anyhow::Result<u8> {
    let opened = context.open()?;
    let views = veedor_app::tasks::tasks(&*opened.store, now())?;
    let waiting: Vec<_> = views
        .into_iter()
        .filter(|view| !matches!(view.task.phase, veedor_core::entry::Phase::Settled { .. }))
        .collect();
    if waiting.is_empty() {
        outln!("No page is waiting for a person.");
        return Ok(exit::OK);
    }
    outln!("{} pages wait for a person:", waiting.len());
    for view in waiting {
        let entry = &view.page;
        let state = match view.task.phase {
            veedor_core::entry::Phase::Disputed => {
                "three entries disagree: a coordinator decides (veedor resolve)".to_owned()
            }
            _ => format!("{} entries so far", view.task.entries.len()),
        };
        outln!(
            "  #{} {} page {} (sha256 {}, received {}): {}; {state}",
            entry.id,
            entry.file_name,
            entry.page,
            entry.file_sha256,
            entry.received_at,
            entry.reason
        );
    }
    Ok(exit::OK)
}
