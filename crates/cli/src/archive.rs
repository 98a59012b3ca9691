//! A mirror as one file: an uncompressed tar (`veedor export site --archive FILE.tar`) that
//! people pass around on a USB stick or by torrent, that `tar -x` unpacks into the mirror's
//! folder, and that `veedor verify FILE.tar` checks as it is, without unpacking.
//!
//! Written deterministically: entries sorted by path, files only (`tar -x` makes the folders),
//! every entry with mode 0644, owner and group 0 without names, and the same time (when the
//! checkpoint was signed), so that two archives of the same store are the same bytes.
//!
//! Read by [`Archive`]: the entry index is read once (path to offset and size), then each file
//! by a positioned read. An archive is refused whole, with the entry named, when it is cut off
//! (an entry's bytes or the two closing zero blocks missing), when an entry is not a plain file
//! or folder, when a path is absolute or goes up (`..`), or when a path comes twice: `tar -x`
//! would write such an archive somewhere else than the mirror's folder, or keep the last copy of
//! a file where the verifier read the first.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::os::unix::fs::FileExt as _;
use std::path::Path;

use anyhow::{Context as _, bail};
use veedor_web::verify::{FetchError, MAX_FILE_BYTES, MirrorFiles};

/// A tar block.
const BLOCK: u64 = 512;

/// What closes a tar: two zero blocks.
const CLOSING: usize = 1024;

/// Writes the files at `paths` (relative to `root`, `/`-separated) into a new tar at `archive`,
/// sorted, with the fixed metadata of the module's documentation and `mtime` as every entry's
/// time. Written to a temporary name first, synced, then renamed: a file under the final name
/// is whole. Returns its size in bytes.
pub fn write(archive: &Path, root: &Path, paths: &[String], mtime: u64) -> anyhow::Result<u64> {
    let mut sorted: Vec<&String> = paths.iter().collect();
    sorted.sort();
    sorted.dedup();
    let temporary = archive.with_file_name(format!(
        ".{}.tmp-{}",
        archive
            .file_name()
            .map_or_else(|| "archive".into(), |name| name.to_string_lossy()),
        std::process::id()
    ));
    let file =
        File::create(&temporary).with_context(|| format!("creating {}", temporary.display()))?;
    let mut builder = tar::Builder::new(BufWriter::new(file));
    for path in sorted {
        let bytes = std::fs::read(root.join(path))
            .with_context(|| format!("reading {}", root.join(path).display()))?;
        let mut header = tar::Header::new_ustar();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(u64::try_from(bytes.len()).unwrap_or(u64::MAX));
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(mtime);
        builder
            .append_data(&mut header, path, bytes.as_slice())
            .with_context(|| format!("writing {path} into {}", temporary.display()))?;
    }
    let mut writer = builder
        .into_inner()
        .with_context(|| format!("finishing {}", temporary.display()))?;
    writer
        .flush()
        .with_context(|| format!("writing {}", temporary.display()))?;
    let file = writer
        .into_inner()
        .map_err(|error| error.into_error())
        .with_context(|| format!("writing {}", temporary.display()))?;
    file.sync_all()
        .with_context(|| format!("syncing {}", temporary.display()))?;
    let size = file.metadata()?.len();
    drop(file);
    std::fs::rename(&temporary, archive)
        .with_context(|| format!("renaming {} to {}", temporary.display(), archive.display()))?;
    Ok(size)
}

/// Where a file's bytes are in the archive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Extent {
    offset: u64,
    size: u64,
}

/// A mirror in one tar file, read in place.
pub struct Archive {
    file: File,
    /// Every file, by its path from the mirror's root.
    index: BTreeMap<String, Extent>,
}

impl Archive {
    /// Opens `path` and reads its entry index, refusing a malformed archive (module
    /// documentation) with the entry and what was expected.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let name = path.display();
        let file = File::open(path).with_context(|| format!("opening {name}"))?;
        let length = file
            .metadata()
            .with_context(|| format!("reading {name}"))?
            .len();
        let mut index = BTreeMap::new();
        let mut end = 0u64;
        let mut archive = tar::Archive::new(&file);
        let entries = archive
            .entries_with_seek()
            .with_context(|| format!("{name}: reading the entries"))?;
        for (number, entry) in entries.enumerate() {
            let entry = entry.with_context(|| {
                format!(
                    "{name}: entry {} is not a valid tar header (cut off or damaged)",
                    number + 1
                )
            })?;
            let path_bytes = entry.path_bytes();
            let Ok(entry_path) = std::str::from_utf8(&path_bytes) else {
                bail!("{name}: entry {} has a path that is not UTF-8", number + 1);
            };
            let entry_path = entry_path.to_owned();
            let kind = entry.header().entry_type();
            let clean = entry_path.trim_end_matches('/');
            if clean.is_empty()
                || entry_path.starts_with('/')
                || clean
                    .split('/')
                    .any(|part| part.is_empty() || part == "." || part == "..")
                || clean.contains('\\')
            {
                bail!(
                    "{name}: entry {entry_path:?} is not a relative path inside the mirror (absolute, empty, or with `.` or `..`): refused"
                );
            }
            let offset = entry.raw_file_position();
            let size = entry.size();
            let entry_end = offset
                .checked_add(size.div_ceil(BLOCK) * BLOCK)
                .with_context(|| format!("{name}: entry {entry_path:?} is too large"))?;
            if offset.saturating_add(size) > length {
                bail!(
                    "{name}: entry {entry_path:?} is cut off: it should hold {size} bytes from byte {offset}, but the file ends at byte {length}"
                );
            }
            end = end.max(entry_end);
            match kind {
                tar::EntryType::Directory => continue,
                tar::EntryType::Regular | tar::EntryType::Continuous => {}
                other => bail!(
                    "{name}: entry {entry_path:?} is a {other:?}, not a file or folder: refused"
                ),
            }
            if index
                .insert(clean.to_owned(), Extent { offset, size })
                .is_some()
            {
                bail!("{name}: {clean:?} is in the archive twice: refused");
            }
        }
        // The archive ends with two zero blocks: without them it was cut off between entries.
        let mut closing = [0u8; CLOSING];
        let closed = end
            .checked_add(2 * BLOCK)
            .is_some_and(|needed| needed <= length)
            && file.read_exact_at(&mut closing, end).is_ok()
            && closing.iter().all(|byte| *byte == 0);
        if !closed {
            bail!(
                "{name}: cut off: the two zero blocks that end a tar are not at byte {end} (the file has {length} bytes)"
            );
        }
        Ok(Self { file, index })
    }

    /// Files in the archive.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.index.len()
    }
}

impl MirrorFiles for Archive {
    fn get(&self, path: &str) -> Result<Option<Vec<u8>>, FetchError> {
        let Some(extent) = self.index.get(path) else {
            return Ok(None);
        };
        if extent.size > MAX_FILE_BYTES {
            return Err(FetchError::new(
                path,
                format!("larger than {MAX_FILE_BYTES} bytes"),
            ));
        }
        let size = usize::try_from(extent.size)
            .map_err(|_| FetchError::new(path, "too large for this machine"))?;
        let mut bytes = vec![0u8; size];
        self.file
            .read_exact_at(&mut bytes, extent.offset)
            .map_err(|error| FetchError::new(path, format!("reading from the archive: {error}")))?;
        Ok(Some(bytes))
    }

    fn list(&self, folder: &str) -> Option<Result<Vec<String>, FetchError>> {
        let prefix = format!("{folder}/");
        Some(Ok(self
            .index
            .range(prefix.clone()..)
            .take_while(|(path, _)| path.starts_with(&prefix))
            .map(|(path, _)| path.clone())
            .collect()))
    }
}

/// Whether `target` names an archive: a `.tar` file.
pub fn is_archive(target: &str) -> bool {
    target.ends_with(".tar") && Path::new(target).is_file()
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use super::*;

    #[test]
    fn an_archive_reads_back_its_files_and_is_the_same_bytes_twice() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("mirror");
        let files = [
            ("index.html", b"home".to_vec()),
            ("es/area/centre/010101001.html", vec![7u8; 1500]),
            ("data/actas.csv", Vec::new()),
        ];
        for (path, bytes) in &files {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
        }
        let paths: Vec<String> = files.iter().map(|(path, _)| (*path).to_owned()).collect();
        let first = dir.path().join("a.tar");
        let second = dir.path().join("b.tar");
        let size = write(&first, &root, &paths, 1_700_000_000).unwrap();
        write(&second, &root, &paths, 1_700_000_000).unwrap();
        assert_eq!(
            std::fs::read(&first).unwrap(),
            std::fs::read(&second).unwrap()
        );
        // Three headers, 4 + 1500 (3 blocks) + 0 bytes of data, two closing blocks at least.
        assert!(size >= (3 + 1 + 3 + 2) * BLOCK, "{size}");
        let archive = Archive::open(&first).unwrap();
        assert_eq!(archive.len(), 3);
        for (path, bytes) in &files {
            assert_eq!(archive.get(path).unwrap().as_ref(), Some(bytes), "{path}");
        }
        assert_eq!(archive.get("es/missing.html").unwrap(), None);
        assert_eq!(
            archive.list("es").unwrap().unwrap(),
            ["es/area/centre/010101001.html"]
        );
        let mut raw = Vec::new();
        File::open(&first).unwrap().read_to_end(&mut raw).unwrap();
        assert_eq!(raw.len() % 512, 0);
    }
}
