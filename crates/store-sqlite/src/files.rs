//! Durable files: written to a temporary name, synced, renamed into place, and the folder
//! synced, so that a file under its final name is always whole.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Once};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256 as Hasher};
use veedor_core::Sha256;
use veedor_store::{BlobStore, StoreError};

pub(crate) fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// SHA-256 of bytes.
#[must_use]
pub fn sha256(bytes: &[u8]) -> Sha256 {
    Sha256::from_bytes(Hasher::digest(bytes).into())
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Temporary files are named `.tmp-<process id>-<counter>`, never like a final (hash) name.
const TEMPORARY_PREFIX: &str = ".tmp-";

/// The process that wrote a temporary file, read from its name; `None` for any other name.
fn temporary_owner(name: &str) -> Option<u32> {
    let (process, counter) = name.strip_prefix(TEMPORARY_PREFIX)?.split_once('-')?;
    let digits = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    if !digits(process) || !digits(counter) {
        return None;
    }
    process.parse().ok()
}

/// Whether a temporary file of process `owner`, unchanged for `age`, was left by a run killed
/// before it could rename it. Never one of this process. One of a process that is gone (no
/// `/proc/<id>`) once a minute old: the minute spares a writer this process cannot see (another
/// PID namespace sharing the folder), which writes continuously and renames within seconds. Any
/// once a day old, for systems without `/proc` and process ids used again.
fn is_leftover(owner: u32, age: Duration) -> bool {
    if owner == std::process::id() {
        return false;
    }
    let proc = Path::new("/proc");
    let owner_gone = proc.join("self").exists() && !proc.join(owner.to_string()).exists();
    (owner_gone && age >= Duration::from_secs(60)) || age >= Duration::from_secs(24 * 60 * 60)
}

/// Removes the temporary files that killed runs left in `folder` (not in its subfolders),
/// before anything else writes there. Only names of the temporary form are looked at, so a file
/// under its final name is never touched. Failures are logged and skipped: a leftover only takes
/// space, and the next writer tries again.
pub(crate) fn remove_leftover_temporaries(folder: &Path) {
    let Ok(entries) = fs::read_dir(folder) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let Some(owner) = entry.file_name().to_str().and_then(temporary_owner) else {
            continue;
        };
        let Ok(metadata) = entry.metadata() else {
            continue;
        };
        let age = metadata
            .modified()
            .ok()
            .and_then(|modified| SystemTime::now().duration_since(modified).ok())
            .unwrap_or(Duration::ZERO);
        if !metadata.is_file() || !is_leftover(owner, age) {
            continue;
        }
        let path = entry.path();
        match fs::remove_file(&path) {
            Ok(()) => {
                tracing::info!(path = %path.display(), "removed a temporary file left by a killed run")
            }
            Err(error) => {
                tracing::warn!(path = %path.display(), %error, "cannot remove a temporary file left by a killed run")
            }
        }
    }
}

/// Writes `bytes` to `target` durably: temporary file in the same folder, fsync, rename, fsync
/// of the folder.
pub(crate) fn write_durably(target: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let folder = target.parent().unwrap_or(Path::new("."));
    write_new(folder, |out| out.write_all(bytes), |_| target.to_owned()).map(|_| ())
}

/// Hashes what passes through to a writer.
struct HashingWriter<W> {
    inner: W,
    hasher: Hasher,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let written = self.inner.write(bytes)?;
        self.hasher.update(&bytes[..written]);
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Streams a new file into `folder` and names it by the SHA-256 of its content
/// (`<hex>.<extension>`), durably. Returns the digest and the path. Nothing of the content is
/// held in memory.
pub(crate) fn write_content_addressed(
    folder: &Path,
    extension: &str,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(Sha256, PathBuf), StoreError> {
    // Such files are large (the registry) and rare: a killed import's leftover goes now.
    remove_leftover_temporaries(folder);
    write_new(folder, write, |digest| {
        folder.join(format!("{}.{extension}", digest.to_hex()))
    })
}

/// Streams a new file into `folder` under a temporary name, syncs it, renames it to the name
/// `name` gives from its SHA-256, and syncs the folder: a file under its final name is whole.
fn write_new(
    folder: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    name: impl FnOnce(&Sha256) -> PathBuf,
) -> Result<(Sha256, PathBuf), StoreError> {
    fs::create_dir_all(folder).map_err(io_error(folder))?;
    let temporary = folder.join(format!(
        "{TEMPORARY_PREFIX}{}-{}",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let file = File::create(&temporary).map_err(io_error(&temporary))?;
        let mut writer = HashingWriter {
            inner: std::io::BufWriter::with_capacity(1 << 20, file),
            hasher: Hasher::new(),
        };
        write(&mut writer).map_err(io_error(&temporary))?;
        writer.flush().map_err(io_error(&temporary))?;
        let digest = Sha256::from_bytes(writer.hasher.finalize().into());
        let file = writer
            .inner
            .into_inner()
            .map_err(|error| io_error(&temporary)(error.into_error()))?;
        file.sync_all().map_err(io_error(&temporary))?;
        let target = name(&digest);
        fs::rename(&temporary, &target).map_err(io_error(&target))?;
        sync_folder(folder)?;
        Ok((digest, target))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result
}

/// Syncs a folder so that a rename into it survives a power cut.
pub(crate) fn sync_folder(folder: &Path) -> Result<(), StoreError> {
    File::open(folder)
        .and_then(|dir| dir.sync_all())
        .map_err(io_error(folder))
}

/// Blobs in a folder, fanned out by the first two hex digits: `blobs/ab/abcdef...`.
#[derive(Clone, Debug)]
pub struct FsBlobStore {
    root: PathBuf,
    /// Leftover temporary files are removed once, before the first write (shared by clones).
    cleaned: Arc<Once>,
}

impl FsBlobStore {
    /// Blobs under `root` (created on first write).
    #[must_use]
    pub fn new(root: PathBuf) -> Self {
        Self {
            root,
            cleaned: Arc::new(Once::new()),
        }
    }

    /// Removes what killed runs left in the blob folders: their temporary files. Done when the
    /// store is first written to, not when it is opened, so that commands which only read (a
    /// server of a read-only copy, a lookup) never change the folder.
    fn remove_leftovers(&self) {
        remove_leftover_temporaries(&self.root);
        let Ok(entries) = fs::read_dir(&self.root) else {
            return;
        };
        for entry in entries.filter_map(Result::ok) {
            if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
                remove_leftover_temporaries(&entry.path());
            }
        }
    }

    /// Where the blob with this hash lives.
    #[must_use]
    pub fn path_of(&self, hash: &Sha256) -> PathBuf {
        let hex = hash.to_hex();
        self.root.join(&hex[..2]).join(hex)
    }
}

impl BlobStore for FsBlobStore {
    fn put(&self, bytes: &[u8]) -> Result<Sha256, StoreError> {
        self.cleaned.call_once(|| self.remove_leftovers());
        let hash = sha256(bytes);
        let path = self.path_of(&hash);
        // Same name, same content: a complete file is already there (renames are atomic).
        if !path.exists() {
            write_durably(&path, bytes)?;
        }
        Ok(hash)
    }

    fn get(&self, hash: &Sha256) -> Result<Option<Vec<u8>>, StoreError> {
        let path = self.path_of(hash);
        match fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(io_error(&path)(error)),
        }
    }

    fn contains(&self, hash: &Sha256) -> Result<bool, StoreError> {
        Ok(self.path_of(hash).exists())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_are_content_addressed_and_idempotent() -> Result<(), StoreError> {
        let dir = tempfile::tempdir().map_err(io_error(Path::new("tmp")))?;
        let blobs = FsBlobStore::new(dir.path().join("blobs"));
        let hash = blobs.put(b"acta")?;
        assert_eq!(hash, sha256(b"acta"));
        assert_eq!(blobs.put(b"acta")?, hash);
        assert_eq!(blobs.get(&hash)?.as_deref(), Some(&b"acta"[..]));
        assert!(blobs.contains(&hash)?);
        assert_eq!(blobs.get(&sha256(b"other"))?, None);
        let leftovers: Vec<_> = fs::read_dir(blobs.path_of(&hash).parent().unwrap_or(dir.path()))
            .map_err(io_error(dir.path()))?
            .filter_map(Result::ok)
            .filter(|entry| entry.file_name().to_string_lossy().starts_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
        Ok(())
    }
}
