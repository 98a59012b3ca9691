//! Interoperability with Go's reference implementation: the program in
//! `interop/verify_tlog.go` opens our signed checkpoint with
//! `golang.org/x/mod/sumdb/note` and reads our tiles with
//! `golang.org/x/mod/sumdb/tlog`.
//!
//! It needs `go` and Debian's golang-golang-x-mod-dev (GOPATH mode, no module
//! downloads). Without them the test fails, saying so: CI installs them.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use veedor_ledger::{Error, MerkleLog, SignerKey};

use crate::support::{Layout, checkpoint, log_of, mirror_files, signer};

const INSTALL_HINT: &str = "install them with `apt-get install -y golang-go golang-golang-x-mod-dev` \
     (see crates/ledger/README.md)";

/// Where Go finds golang.org/x/mod in GOPATH mode.
fn gopath() -> PathBuf {
    std::env::var_os("VEEDOR_INTEROP_GOPATH")
        .map_or_else(|| PathBuf::from("/usr/share/gocode"), PathBuf::from)
}

/// Builds the Go program once per test run (the equivalent of `go run`,
/// without compiling it again for every case).
fn go_program() -> &'static Path {
    static PROGRAM: OnceLock<PathBuf> = OnceLock::new();
    PROGRAM.get_or_init(|| {
        let gopath = gopath();
        let tlog = gopath.join("src/golang.org/x/mod/sumdb/tlog");
        assert!(
            tlog.is_dir(),
            "the Go interop test needs golang.org/x/mod in GOPATH, but {} does not exist: {INSTALL_HINT}",
            tlog.display()
        );
        let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ledger-go-interop");
        std::fs::create_dir_all(&work).unwrap_or_else(|error| panic!("{}: {error}", work.display()));
        let program = work.join("verify_tlog");
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("interop/verify_tlog.go");
        let output = go_command(&work)
            .arg("build")
            .arg("-o")
            .arg(&program)
            .arg(&source)
            .output()
            .unwrap_or_else(|error| {
                panic!("the Go interop test needs `go`, which did not run ({error}): {INSTALL_HINT}")
            });
        assert!(
            output.status.success(),
            "go build {} failed:\n{}",
            source.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        program
    })
}

/// `go` in GOPATH mode, offline, with its cache under `work`.
fn go_command(work: &Path) -> Command {
    let mut command = Command::new("go");
    command
        .env("GO111MODULE", "off")
        .env("GOPATH", gopath())
        .env("GOCACHE", work.join("gocache"))
        .env("GOPROXY", "off")
        .env("GOFLAGS", "")
        .env("CGO_ENABLED", "0");
    command
}

/// What Go said.
struct GoVerdict {
    success: bool,
    stdout: String,
    stderr: String,
}

/// Writes a mirror of `log` at `size` in Go's layout, signed by `note_signer`,
/// with the checkpoint at `old_size` as `checkpoint.old`, and runs the Go
/// program on it. `damage` may change the files first.
fn run_go(
    entries: &[Vec<u8>],
    log: &MerkleLog,
    size: u64,
    old_size: u64,
    note_signer: &SignerKey,
    damage: impl FnOnce(&Path),
) -> Result<GoVerdict, Error> {
    let directory = tempfile::tempdir().unwrap_or_else(|error| panic!("temp dir: {error}"));
    // VEEDOR_INTEROP_KEEP=1 keeps the directories, to rerun Go by hand.
    let (_guard, root) = if std::env::var_os("VEEDOR_INTEROP_KEEP").is_some() {
        let kept = directory.keep();
        eprintln!(
            "size {size}: kept {} (key {})",
            kept.display(),
            signer()?.verifier_key()
        );
        (None, kept)
    } else {
        let root = directory.path().to_path_buf();
        (Some(directory), root)
    };
    let root = root.as_path();
    let write = |name: &str, bytes: &[u8]| {
        let file = root.join(name);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|error| panic!("{error}"));
        }
        std::fs::write(&file, bytes).unwrap_or_else(|error| panic!("{}: {error}", file.display()));
    };
    for (name, bytes) in mirror_files(entries, log, size, Layout::Go)? {
        write(&name, &bytes);
    }
    write(
        "checkpoint",
        note_signer.sign(&checkpoint(log, size)?)?.as_bytes(),
    );
    write(
        "checkpoint.old",
        note_signer.sign(&checkpoint(log, old_size)?)?.as_bytes(),
    );
    damage(root);

    let mut indexes = vec![0, size / 2, size - 1];
    indexes.extend((0..size).step_by(97));
    let indexes: Vec<String> = indexes.iter().map(u64::to_string).collect();
    let verifier = signer()?.verifier_key().to_string();
    let program = go_program();
    let output = Command::new(program)
        .arg("-dir")
        .arg(root)
        .arg("-key")
        .arg(&verifier)
        .arg("-old")
        .arg(root.join("checkpoint.old"))
        .arg("-index")
        .arg(indexes.join(","))
        .output()
        .unwrap_or_else(|error| panic!("{}: {error}", program.display()));
    Ok(GoVerdict {
        success: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    })
}

#[test]
fn go_verifies_our_logs() -> Result<(), Error> {
    for (size, old_size) in [
        (1, 1),
        (2, 1),
        (255, 100),
        (256, 255),
        (257, 256),
        (1000, 333),
        (70_000, 65_536),
    ] {
        let (entries, log) = log_of(size);
        let verdict = run_go(&entries, &log, size, old_size, &signer()?, |_| {})?;
        assert!(
            verdict.success,
            "Go rejected our log of size {size} (old size {old_size}):\n{}{}",
            verdict.stdout, verdict.stderr
        );
        let tiles = log.tiles(size)?.count();
        assert_eq!(
            verdict.stdout.trim(),
            format!("OK tiles={tiles}"),
            "size {size}"
        );
    }
    Ok(())
}

fn assert_go_rejects(verdict: &GoVerdict, case: &str, expected_in_error: &str) {
    assert!(!verdict.success, "Go accepted {case}:\n{}", verdict.stdout);
    assert!(
        verdict.stderr.contains(expected_in_error),
        "Go rejected {case}, but not for the expected reason ({expected_in_error:?}):\n{}",
        verdict.stderr
    );
}

#[test]
fn go_rejects_a_flipped_tile_byte() -> Result<(), Error> {
    let (entries, log) = log_of(1000);
    let verdict = run_go(&entries, &log, 1000, 500, &signer()?, |root| {
        let tile = root.join("tile/8/0/001");
        let mut bytes = std::fs::read(&tile).unwrap_or_else(|error| panic!("{error}"));
        bytes[1000] ^= 1;
        std::fs::write(&tile, bytes).unwrap_or_else(|error| panic!("{error}"));
    })?;
    assert_go_rejects(
        &verdict,
        "a flipped byte in tile/8/0/001",
        "tile/8/0/001 differs from the tile Go computes",
    );
    Ok(())
}

#[test]
fn go_rejects_a_checkpoint_signed_by_another_key() -> Result<(), Error> {
    let (entries, log) = log_of(1000);
    // Same name, another key: the key id differs, so the one signature is
    // by an unknown key.
    let impostor = SignerKey::generate([7; 32], crate::support::ORIGIN)?;
    let verdict = run_go(&entries, &log, 1000, 500, &impostor, |_| {})?;
    assert_go_rejects(
        &verdict,
        "a checkpoint signed by another key",
        "no verifiable signatures",
    );
    Ok(())
}

#[test]
fn go_rejects_an_inconsistent_old_checkpoint() -> Result<(), Error> {
    let (entries, log) = log_of(1000);
    // The old checkpoint of a log whose entry 10 was different.
    let mut other_entries = entries.clone();
    other_entries[10] = b"a different acta".to_vec();
    let mut other = MerkleLog::new();
    for entry in &other_entries {
        other.append(entry);
    }
    let old_note = signer()?.sign(&checkpoint(&other, 500)?)?;
    let verdict = run_go(&entries, &log, 1000, 500, &signer()?, |root| {
        std::fs::write(root.join("checkpoint.old"), &old_note)
            .unwrap_or_else(|error| panic!("{error}"));
    })?;
    assert_go_rejects(
        &verdict,
        "an old checkpoint of a rewritten log",
        "check consistency 500 -> 1000",
    );
    Ok(())
}

#[test]
fn go_rejects_a_changed_entry() -> Result<(), Error> {
    let (entries, log) = log_of(1000);
    let verdict = run_go(&entries, &log, 1000, 500, &signer()?, |root| {
        let bundle = root.join("tile/entries/000");
        let mut bytes = std::fs::read(&bundle).unwrap_or_else(|error| panic!("{error}"));
        bytes[4] ^= 1;
        std::fs::write(&bundle, bytes).unwrap_or_else(|error| panic!("{error}"));
    })?;
    assert_go_rejects(
        &verdict,
        "a changed entry 0",
        "the entries do not hash to the checkpoint's root",
    );
    Ok(())
}
