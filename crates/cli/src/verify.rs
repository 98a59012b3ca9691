//! `veedor verify DIR_OR_URL --key KEY [--since CHECKPOINT]`: checks a mirror made by
//! `veedor export` against the log's public key, obtained by the checker from somewhere other
//! than the mirror. What is checked is `veedor_web::verify`'s (its module documentation lists it);
//! this file reads the mirror, from a folder (which can be listed, so that added files are found)
//! or over HTTP(S) through `ureq`, and prints the report: the summary when the mirror verifies,
//! else the first problems, each naming its file, and a non-zero exit.

use std::io::Read as _;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use veedor_ledger::{Checkpoint, VerifierKey};
use veedor_web::verify::{FetchError, MAX_FILE_BYTES, MirrorFiles, Report};

use crate::exit;

/// At most this many problems are printed.
const MAX_PRINTED: usize = 25;

/// Threads that fetch a mirror over HTTP(S): most of their time is spent waiting for the host.
const HTTP_THREADS: usize = 8;

/// A mirror in a folder.
struct Folder(PathBuf);

impl MirrorFiles for Folder {
    fn get(&self, path: &str) -> Result<Option<Vec<u8>>, FetchError> {
        let file = match std::fs::File::open(self.0.join(path)) {
            Ok(file) => file,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(FetchError::new(path, format!("reading: {error}"))),
        };
        let mut bytes = Vec::new();
        file.take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|error| FetchError::new(path, format!("reading: {error}")))?;
        if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > MAX_FILE_BYTES {
            return Err(FetchError::new(
                path,
                format!("larger than {MAX_FILE_BYTES} bytes"),
            ));
        }
        Ok(Some(bytes))
    }

    fn list(&self, folder: &str) -> Option<Result<Vec<String>, FetchError>> {
        Some(list_files(&self.0, folder))
    }
}

/// Every file under `root/folder`, as `folder/...` paths. Symbolic links are listed as files,
/// not followed.
fn list_files(root: &Path, folder: &str) -> Result<Vec<String>, FetchError> {
    let mut files = Vec::new();
    let mut folders = vec![folder.to_owned()];
    while let Some(folder) = folders.pop() {
        let entries = match std::fs::read_dir(root.join(&folder)) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
            Err(error) => return Err(FetchError::new(&folder, format!("listing: {error}"))),
        };
        for entry in entries {
            let entry =
                entry.map_err(|error| FetchError::new(&folder, format!("listing: {error}")))?;
            // A name that is not UTF-8 is no file of the export: it is reported as it reads.
            let path = format!("{folder}/{}", entry.file_name().to_string_lossy());
            let is_folder = entry
                .file_type()
                .map_err(|error| FetchError::new(&path, format!("listing: {error}")))?
                .is_dir();
            if is_folder {
                folders.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// A mirror over HTTP(S), under any path prefix. It cannot be listed.
struct Web {
    base: String,
    agent: ureq::Agent,
}

impl MirrorFiles for Web {
    fn get(&self, path: &str) -> Result<Option<Vec<u8>>, FetchError> {
        let url = format!("{}{path}", self.base);
        let mut response = self
            .agent
            .get(&url)
            .call()
            .map_err(|error| FetchError::new(&url, format!("fetching: {error}")))?;
        match response.status().as_u16() {
            200 => Ok(Some(
                response
                    .body_mut()
                    .with_config()
                    .limit(MAX_FILE_BYTES)
                    .read_to_vec()
                    .map_err(|error| FetchError::new(&url, format!("reading: {error}")))?,
            )),
            404 | 410 => Ok(None),
            status => Err(FetchError::new(&url, format!("HTTP status {status}"))),
        }
    }

    fn list(&self, _folder: &str) -> Option<Result<Vec<String>, FetchError>> {
        None
    }
}

/// Whether `target` is a URL rather than a folder.
fn is_url(target: &str) -> bool {
    target.starts_with("http://") || target.starts_with("https://")
}

/// Threads to check `target` on: one per core for a folder, more for a URL.
fn threads(target: &str) -> NonZeroUsize {
    let cores = std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN);
    if is_url(target) {
        cores.max(NonZeroUsize::new(HTTP_THREADS).unwrap_or(NonZeroUsize::MIN))
    } else {
        cores
    }
}

/// The mirror at `target`: a URL, an archive (`FILE.tar`, read in place) or a folder.
fn source(target: &str) -> anyhow::Result<Box<dyn MirrorFiles>> {
    if crate::archive::is_archive(target) {
        return Ok(Box::new(crate::archive::Archive::open(Path::new(target))?));
    }
    Ok(if is_url(target) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(60)))
            .http_status_as_error(false)
            .build()
            .into();
        Box::new(Web {
            base: format!("{}/", target.trim_end_matches('/')),
            agent,
        })
    } else {
        Box::new(Folder(PathBuf::from(target)))
    })
}

/// The older checkpoint of `--since`: a file, or the note itself.
fn older_checkpoint(key: &VerifierKey, since: &str) -> anyhow::Result<Checkpoint> {
    let text = match std::fs::read_to_string(since) {
        Ok(text) => text,
        Err(_) if since.contains('\n') => since.to_owned(),
        Err(error) => return Err(error).with_context(|| format!("--since {since}")),
    };
    key.verify(&text)
        .context("--since: the older checkpoint does not verify with the key")
}

/// `veedor verify`.
pub fn run(target: &str, key: &str, since: Option<&str>) -> anyhow::Result<u8> {
    let key = VerifierKey::parse(key.trim())
        .context("--key: not a verifier key (`<name>+<hex id>+<base64 key>`)")?;
    let since = since
        .map(|since| older_checkpoint(&key, since))
        .transpose()?;
    let report = veedor_web::verify::verify_on_threads(
        source(target)?.as_ref(),
        &key,
        since.as_ref(),
        threads(target),
    )?;
    if report.is_verified() {
        outln!("{target}: verified. {}", summary(&report));
        return Ok(exit::OK);
    }
    errln!("{target}: {} problem(s) found:", report.problem_count);
    for problem in report.problems.iter().take(MAX_PRINTED) {
        errln!("  {problem}");
    }
    let printed = report.problems.len().min(MAX_PRINTED);
    if report.problem_count > printed {
        errln!("  ... and {} more", report.problem_count - printed);
    }
    Ok(exit::ERROR)
}

/// What a verified mirror was checked for, in a sentence.
fn summary(report: &Report) -> String {
    let summary = &report.summary;
    let mut history = summary.extends.map_or_else(String::new, |size| {
        format!(" It extends the older checkpoint of {size} entries.")
    });
    if let Some(entry) = summary.registry_entry {
        history.push_str(&format!(" The latest registry entry is log entry {entry}."));
    }
    if summary.decisions > 0 {
        history.push_str(&format!(
            " {} coordinators' decisions are in the log; {} decision rows match their entries.",
            summary.decisions, summary.decision_rows
        ));
    }
    format!(
        "Checkpoint of {} entries signed by {} (key id {:08x}); {} hash tiles and {} entry bundles match it; {} acta rows match their entries; {} table and tally rows match what the entries add up to; {} rows of the analysis match what the entries give; {} scans match their SHA-256.{}{history}{}",
        summary.checkpoint_size.unwrap_or(0),
        summary.key_name,
        summary.key_id,
        summary.hash_tiles,
        summary.entry_bundles,
        summary.acta_rows,
        summary.table_rows + summary.tally_rows,
        summary.analysis_rows,
        summary.scans,
        site_summary(summary),
        match summary.listed_files {
            Some(files) => format!(" Each of the {files} files listed is one the export writes."),
            None =>
                " The mirror cannot be listed: files added to it were not looked for.".to_owned(),
        },
    )
}

/// What was checked of a site, in a sentence or two.
fn site_summary(summary: &veedor_web::verify::Summary) -> String {
    let Some(files) = summary.site_files else {
        return " No site pages: checked as a mirror of the open data.".to_owned();
    };
    let lookup = match (summary.lookup_shards, summary.lookup_checked_against) {
        (Some(shards), Some(entry)) => format!(
            " {shards} lookup shards hold {} voters' records, each in its shard, in order and at a table of the data; they were checked against log entry {entry} (the registry's records) byte for byte.",
            summary.lookup_records
        ),
        (Some(shards), None) => format!(
            " {shards} lookup shards hold {} voters' records, each in its shard, in order and at a table of the data; the shards were only checked for structure: the log has no registry entry, so which voter is at which table is not checked.",
            summary.lookup_records
        ),
        (None, _) => " No voter lookup.".to_owned(),
    };
    let details = match summary.details_from_mirror {
        0 => String::new(),
        count => format!(
            " The sentences of {count} findings were taken from the acta pages' JSON twins (the log holds their codes)."
        ),
    };
    let profile = summary
        .profile
        .as_ref()
        .map_or_else(String::new, |manifest| {
            let languages: Vec<&str> = manifest.languages.iter().map(|lang| lang.tag()).collect();
            format!(
                " The site is the {} profile in {}, {} (site.json).",
                manifest.profile.name(),
                languages.join(" and "),
                if manifest.scans {
                    "with the scans"
                } else {
                    "without the scans"
                }
            )
        });
    format!(
        "{profile} {files} pages, JSON twins and static files and {} small copies of scans are byte for byte the export's rendering of the verified data, dated as the pages say the checkpoint was signed ({}).{lookup}{details}",
        summary.small_copies,
        summary.signed_at.as_deref().unwrap_or("unknown"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_lists_its_files_at_any_depth_without_following_links() {
        let dir = tempfile::tempdir().unwrap();
        for path in [
            "data/actas.csv",
            "log/checkpoint",
            "log/tile/0/000",
            "log/tile/entries/x001/002.p/3",
        ] {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, path.to_string_lossy().as_bytes()).unwrap();
        }
        // A link back up the tree is listed as a file, not walked forever.
        std::os::unix::fs::symlink(dir.path().join("log"), dir.path().join("log/tile/up")).unwrap();
        let folder = Folder(dir.path().to_owned());
        assert_eq!(
            folder.list("log").unwrap().unwrap(),
            [
                "log/checkpoint",
                "log/tile/0/000",
                "log/tile/entries/x001/002.p/3",
                "log/tile/up"
            ]
        );
        assert_eq!(folder.list("scans").unwrap().unwrap(), Vec::<String>::new());
        let actas = dir.path().join("data/actas.csv");
        assert_eq!(
            folder.get("data/actas.csv").unwrap(),
            Some(actas.to_string_lossy().as_bytes().to_vec())
        );
        assert_eq!(folder.get("data/tables.csv").unwrap(), None);
        // A folder where a file should be cannot be read: an error naming it.
        let error = folder.get("log/tile").unwrap_err();
        assert_eq!(error.path, "log/tile");
    }
}
