//! Verifying a static mirror: a clean one passes, and each kind of damage is
//! reported with the path of the file that is wrong.

use std::collections::BTreeMap;

use veedor_ledger::{
    Checkpoint, EMPTY_ROOT, Error, MirrorReport, TilePath, VerifierKey, root_from_tiles,
    verify_mirror,
};

use crate::support::{Layout, checkpoint, log_of, mirror_files, signer};

type Files = BTreeMap<String, Vec<u8>>;

fn verify(checkpoint: &Checkpoint, files: &Files) -> Result<MirrorReport, Error> {
    verify_mirror(checkpoint, |path: &TilePath| {
        files.get(&path.to_string()).cloned()
    })
}

/// A mirror of a log of `size` entries, and its checkpoint after a round
/// trip through a signed note.
fn mirror(size: u64) -> Result<(Checkpoint, Files), Error> {
    let (entries, log) = log_of(size);
    let signer = signer()?;
    let note = signer.sign(&checkpoint(&log, size)?)?;
    let verifier = VerifierKey::parse(&signer.verifier_key().to_string())?;
    Ok((
        verifier.verify(&note)?,
        mirror_files(&entries, &log, size, Layout::C2sp)?,
    ))
}

fn path(text: &str) -> TilePath {
    TilePath::parse(text).unwrap_or_else(|error| panic!("{error}"))
}

fn flip_byte(files: &mut Files, name: &str, position: usize) {
    let bytes = files
        .get_mut(name)
        .unwrap_or_else(|| panic!("the mirror has no {name}"));
    bytes[position] ^= 0x40;
}

#[test]
fn clean_mirrors_verify() -> Result<(), Error> {
    for (size, hash_tiles, bundles) in [
        (1, 1, 1),
        (255, 1, 1),
        (256, 2, 1),
        (257, 3, 2),
        (1000, 5, 4),
        (70_000, 277, 274),
    ] {
        let (checkpoint, files) = mirror(size)?;
        let report = verify(&checkpoint, &files)?;
        assert_eq!(
            report,
            MirrorReport {
                size,
                hash_tiles,
                entry_bundles: bundles
            },
            "size {size}"
        );
        let root = root_from_tiles(size, |path| files.get(&path.to_string()).cloned())?;
        assert_eq!(root, checkpoint.root, "size {size}");
    }
    let empty = Checkpoint::new(crate::support::ORIGIN, 0, EMPTY_ROOT)?;
    assert_eq!(verify(&empty, &Files::new())?.hash_tiles, 0);
    Ok(())
}

#[test]
fn a_wrong_inner_tile_is_named() -> Result<(), Error> {
    let (checkpoint, mut files) = mirror(1000)?;
    flip_byte(&mut files, "tile/0/001", 100);
    assert_eq!(
        verify(&checkpoint, &files),
        Err(Error::TileMismatch {
            path: path("tile/0/001")
        })
    );
    Ok(())
}

#[test]
fn a_wrong_level_one_tile_is_named() -> Result<(), Error> {
    let (checkpoint, mut files) = mirror(70_000)?;
    flip_byte(&mut files, "tile/1/000", 8191);
    assert_eq!(
        verify(&checkpoint, &files),
        Err(Error::TileMismatch {
            path: path("tile/1/000")
        })
    );
    Ok(())
}

#[test]
fn a_wrong_edge_tile_is_named_through_the_entries() -> Result<(), Error> {
    let (checkpoint, mut files) = mirror(70_000)?;
    flip_byte(&mut files, "tile/1/001.p/17", 0);
    assert_eq!(
        verify(&checkpoint, &files),
        Err(Error::TileMismatch {
            path: path("tile/1/001.p/17")
        })
    );
    let (checkpoint, mut files) = mirror(257)?;
    flip_byte(&mut files, "tile/0/001.p/1", 31);
    assert_eq!(
        verify(&checkpoint, &files),
        Err(Error::TileMismatch {
            path: path("tile/0/001.p/1")
        })
    );
    Ok(())
}

#[test]
fn a_wrong_entry_is_named() -> Result<(), Error> {
    let (checkpoint, mut files) = mirror(1000)?;
    // Entry 513 is the second of bundle 2: skip the first (its length
    // prefix and bytes), then the second's prefix.
    let bundle = files.get("tile/entries/002").cloned().unwrap_or_default();
    let first_length = usize::from(u16::from_be_bytes([bundle[0], bundle[1]]));
    flip_byte(&mut files, "tile/entries/002", 2 + first_length + 2 + 5);
    assert_eq!(
        verify(&checkpoint, &files),
        Err(Error::BundleMismatch {
            path: path("tile/entries/002"),
            index: 513
        })
    );
    Ok(())
}

#[test]
fn a_rewritten_log_fails_at_the_root() -> Result<(), Error> {
    // Tiles and entries agree with each other, not with the checkpoint.
    let (checkpoint, _) = mirror(300)?;
    let (mut entries, _) = log_of(300);
    entries[10] = b"a different acta".to_vec();
    let mut log = veedor_ledger::MerkleLog::new();
    for entry in &entries {
        log.append(entry);
    }
    let files = mirror_files(&entries, &log, 300, Layout::C2sp)?;
    match verify(&checkpoint, &files) {
        Err(Error::RootMismatch {
            paths,
            expected,
            computed,
        }) => {
            assert_eq!(paths, [path("tile/1/000.p/1"), path("tile/0/001.p/44")]);
            assert_eq!(expected, checkpoint.root);
            assert_eq!(computed, log.root());
            let message = Error::RootMismatch {
                paths,
                expected,
                computed,
            }
            .to_string();
            assert!(
                message.contains("tile/1/000.p/1, tile/0/001.p/44"),
                "{message}"
            );
        }
        other => panic!("expected a root mismatch, got {other:?}"),
    }
    Ok(())
}

#[test]
fn missing_and_malformed_files_are_named() -> Result<(), Error> {
    let (checkpoint, files) = mirror(1000)?;

    let mut missing = files.clone();
    missing.remove("tile/0/002");
    assert_eq!(
        verify(&checkpoint, &missing),
        Err(Error::MissingTile {
            path: path("tile/0/002")
        })
    );

    let mut missing_bundle = files.clone();
    missing_bundle.remove("tile/entries/003.p/232");
    assert_eq!(
        verify(&checkpoint, &missing_bundle),
        Err(Error::MissingTile {
            path: path("tile/entries/003.p/232")
        })
    );

    let mut short = files.clone();
    if let Some(bytes) = short.get_mut("tile/0/003.p/232") {
        bytes.pop();
    }
    assert_eq!(
        verify(&checkpoint, &short),
        Err(Error::TileSize {
            path: path("tile/0/003.p/232"),
            expected: 232 * 32,
            actual: 232 * 32 - 1
        })
    );

    let mut truncated = files;
    if let Some(bytes) = truncated.get_mut("tile/entries/000") {
        bytes.truncate(bytes.len() - 3);
    }
    let error = verify(&checkpoint, &truncated).err();
    assert!(
        matches!(error, Some(Error::MalformedEntryBundle { path: bad, .. }) if bad == path("tile/entries/000")),
        "{error:?}"
    );
    Ok(())
}

#[test]
fn a_mirror_of_an_older_size_still_verifies_its_checkpoint() -> Result<(), Error> {
    // A mirror that has grown keeps older partial tiles; verification of
    // the new checkpoint never reads them, and the old checkpoint's tiles
    // are still all there.
    let (entries, log) = log_of(600);
    let mut files = mirror_files(&entries, &log, 300, Layout::C2sp)?;
    for (path, bytes) in log.tiles_between(300, 600)? {
        files.insert(path.to_string(), bytes);
    }
    for (path, bytes) in log.entry_bundles(&entries, 600)? {
        files.insert(path.to_string(), bytes);
    }
    assert_eq!(files, {
        let mut all = mirror_files(&entries, &log, 600, Layout::C2sp)?;
        all.extend(mirror_files(&entries, &log, 300, Layout::C2sp)?);
        all
    });
    assert_eq!(verify(&checkpoint(&log, 600)?, &files)?.hash_tiles, 4);
    assert_eq!(verify(&checkpoint(&log, 300)?, &files)?.hash_tiles, 3);
    Ok(())
}
