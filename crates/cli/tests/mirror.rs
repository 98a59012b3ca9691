//! `veedor export data`, `veedor export site` and `veedor verify`: a mirror verifies; a tampered
//! one does not, and the problem is named by file, whatever a reader sees that was changed.

use std::path::{Path, PathBuf};

use crate::support::{Data, head_of_real_file};

/// A store with 600 real rows and a payload copy, exported to `name`.
fn exported(name: &str) -> (Data, String, String) {
    let data = Data::new();
    let results = data.file("head.csv", head_of_real_file(600));
    data.run(&["import", "results", "--defines-tables", &results])
        .expect_code(0);
    let key = data.run(&["key"]).expect_code(0).stdout.trim().to_owned();
    let dir = data.path().join(name).display().to_string();
    data.run(&["export", "data", &dir]).expect_code(0);
    (data, key, dir)
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

pub fn all_files(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let name = path.strip_prefix(root).unwrap().display().to_string();
                out.push((name, std::fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

fn verify(data: &Data, dir: &str, key: &str, extra: &[&str]) -> crate::support::Run {
    let mut args = vec!["verify", dir, "--key", key];
    args.extend_from_slice(extra);
    data.run(&args)
}

#[test]
fn an_export_verifies_and_is_deterministic() {
    let (data, key, dir) = exported("mirror");
    let run = verify(&data, &dir, &key, &[]).expect_code(0);
    assert!(run.stdout.contains("verified"), "{}", run.stdout);
    assert!(
        run.stdout.contains("600 acta rows match their entries"),
        "{}",
        run.stdout
    );
    // The same store exports the same bytes, into the same folder or another.
    let again = data.run(&["export", "data", &dir]).expect_code(0);
    assert!(again.stdout.contains("(0 written"), "{}", again.stdout);
    let other = data.path().join("other").display().to_string();
    data.run(&["export", "data", &other]).expect_code(0);
    assert_eq!(all_files(Path::new(&dir)), all_files(Path::new(&other)));
    // The signing key is nowhere in the export.
    let secret = std::fs::read_to_string(data.store_path().join("keys/log.key")).unwrap();
    // PRIVATE+KEY+<name>+<key id>+<base64>: base64 may hold `+` itself, so split four times.
    let secret_part = secret.trim().splitn(5, '+').nth(4).unwrap().to_owned();
    for (name, bytes) in all_files(Path::new(&dir)) {
        assert!(
            !String::from_utf8_lossy(&bytes).contains(&secret_part),
            "{name} holds the private key"
        );
    }
}

#[test]
fn a_changed_data_row_is_named() {
    let (data, key, dir) = exported("mirror");
    let path = Path::new(&dir).join("data/actas.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let eg = header.iter().position(|h| *h == "votes_EG").unwrap();
    let mut fields: Vec<String> = lines[5].split(',').map(str::to_owned).collect();
    fields[eg] = (fields[eg].parse::<u64>().unwrap() + 1).to_string();
    lines[5] = fields.join(",");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let run = verify(&data, &dir, &key, &[]).expect_code(1);
    assert!(
        run.stderr.contains("data/actas.csv line 6: `votes_EG` is"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("data/actas.json: row 5: `votes_EG`"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_changed_tally_is_named() {
    let (data, key, dir) = exported("mirror");
    let path = Path::new(&dir).join("data/tally-national.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let nm = header.iter().position(|h| *h == "votes_NM").unwrap();
    let mut row: Vec<String> = text
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .map(str::to_owned)
        .collect();
    row[nm] = (row[nm].parse::<u64>().unwrap() * 2).to_string();
    std::fs::write(
        &path,
        format!("{}\n{}\n", text.lines().next().unwrap(), row.join(",")),
    )
    .unwrap();
    let run = verify(&data, &dir, &key, &[]).expect_code(1);
    assert!(
        run.stderr
            .contains("data/tally-national.csv line 2: `votes_NM` is"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_flipped_tile_byte_or_entry_is_named() {
    let (data, key, dir) = exported("mirror");
    let broken = data.path().join("broken");
    copy_dir(Path::new(&dir), &broken);
    let tile = broken.join("log/tile/0/000");
    let mut bytes = std::fs::read(&tile).unwrap();
    bytes[100] ^= 0x01;
    std::fs::write(&tile, bytes).unwrap();
    let run = verify(&data, broken.to_str().unwrap(), &key, &[]).expect_code(1);
    assert!(run.stderr.contains("tile/0/000"), "{}", run.stderr);

    let broken = data.path().join("broken-entry");
    copy_dir(Path::new(&dir), &broken);
    let bundle = broken.join("log/tile/entries/000");
    let mut bytes = std::fs::read(&bundle).unwrap();
    let at = bytes.windows(7).position(|w| w == b"counts:").unwrap() + 20;
    bytes[at] = if bytes[at] == b'1' { b'2' } else { b'1' };
    std::fs::write(&bundle, bytes).unwrap();
    let run = verify(&data, broken.to_str().unwrap(), &key, &[]).expect_code(1);
    assert!(run.stderr.contains("tile/entries/000"), "{}", run.stderr);
}

#[test]
fn a_checkpoint_of_another_key_or_a_missing_file_fails() {
    let (data, key, dir) = exported("mirror");
    let (other, other_key, _) = exported("other");
    let run = verify(&data, &dir, &other_key, &[]).expect_code(1);
    assert!(
        run.stderr
            .contains("log/checkpoint: does not verify with the given key"),
        "{}",
        run.stderr
    );
    drop(other);
    std::fs::remove_file(Path::new(&dir).join("data/tables.csv")).unwrap();
    let run = verify(&data, &dir, &key, &[]).expect_code(1);
    assert!(
        run.stderr.contains("data/tables.csv: missing"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_rewritten_history_is_caught_with_an_older_checkpoint() {
    let (data, key, dir) = exported("mirror");
    let old_checkpoint = Path::new(&dir).join("log/checkpoint").display().to_string();
    let saved = data.path().join("checkpoint.old");
    std::fs::copy(&old_checkpoint, &saved).unwrap();
    // The publisher, holding the key, rewrites entry 3 in its store and logs more on top.
    {
        let connection = rusqlite::Connection::open(data.store_path().join("veedor.db")).unwrap();
        let entry: Vec<u8> = connection
            .query_row("SELECT entry FROM log_entries WHERE idx = 3", [], |r| {
                r.get(0)
            })
            .unwrap();
        let text = String::from_utf8(entry).unwrap().replacen(
            "counts: candidates ",
            "counts: candidates 1",
            1,
        );
        let hash = veedor_ledger::leaf_hash(text.as_bytes());
        connection
            .execute(
                "UPDATE log_entries SET entry = ?1, leaf_hash = ?2 WHERE idx = 3",
                rusqlite::params![text.as_bytes(), &hash.as_bytes()[..]],
            )
            .unwrap();
    }
    let payloads = data.file(
        "more.txt",
        "201301006.01.1.0001!140,7,10,8,1,7,1,0,2,3,0,1,8,1,0,1,0,3,1,1,0,1,0,0,0,0,0,0,1,2,0,0,0,5,7,155,1,1!0!0\n",
    );
    data.run(&["import", "payloads", &payloads]).expect_code(0);
    let rewritten = data.path().join("rewritten").display().to_string();
    data.run(&["export", "data", &rewritten]).expect_code(0);
    // The new mirror is self-consistent and signed...
    let run = verify(&data, &rewritten, &key, &[]);
    assert!(
        run.stderr.contains("data/actas.csv line 4"),
        "the rewritten entry no longer matches its row: {}",
        run.stderr
    );
    // ...but against the older checkpoint the rewrite shows.
    let run = verify(
        &data,
        &rewritten,
        &key,
        &["--since", saved.to_str().unwrap()],
    )
    .expect_code(1);
    assert!(
        run.stderr
            .contains("the log was rewritten: its first 601 entries"),
        "{}",
        run.stderr
    );
    // An honest later mirror extends the older checkpoint.
    let (honest, honest_key, honest_dir) = exported("honest");
    let honest_old = honest.path().join("old");
    std::fs::copy(Path::new(&honest_dir).join("log/checkpoint"), &honest_old).unwrap();
    honest
        .run(&["import", "payloads", &payloads])
        .expect_code(0);
    honest.run(&["export", "data", &honest_dir]).expect_code(0);
    let run = verify(
        &honest,
        &honest_dir,
        &honest_key,
        &["--since", honest_old.to_str().unwrap()],
    )
    .expect_code(0);
    assert!(
        run.stdout
            .contains("It extends the older checkpoint of 601 entries"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_flipped_byte_in_a_scan_is_named() {
    let data = Data::new();
    let results = data.file("head.csv", head_of_real_file(100));
    data.run(&["import", "results", "--defines-tables", &results])
        .expect_code(0);
    let scans = data.path().join("scans");
    data.run(&[
        "generate",
        "sheets",
        "--count",
        "3",
        "--condition",
        "dpi150",
        "-o",
        scans.to_str().unwrap(),
    ])
    .expect_code(0);
    data.run(&["ingest", scans.to_str().unwrap()])
        .expect_code(0);
    let key = data.run(&["key"]).expect_code(0).stdout.trim().to_owned();
    let dir = data.path().join("mirror").display().to_string();
    data.run(&["export", "data", &dir]).expect_code(0);
    let run = verify(&data, &dir, &key, &[]).expect_code(0);
    assert!(
        run.stdout.contains("3 scans match their SHA-256"),
        "{}",
        run.stdout
    );
    let scan = std::fs::read_dir(Path::new(&dir).join("scans"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut bytes = std::fs::read(&scan).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(&scan, bytes).unwrap();
    let name = scan.file_name().unwrap().to_string_lossy().into_owned();
    let run = verify(&data, &dir, &key, &[]).expect_code(1);
    assert!(
        run.stderr
            .contains(&format!("scans/{name}: its SHA-256 is")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("the scan was altered"),
        "{}",
        run.stderr
    );
    std::fs::remove_file(&scan).unwrap();
    let run = verify(&data, &dir, &key, &[]).expect_code(1);
    assert!(
        run.stderr.contains(&format!("scans/{name}: missing")),
        "{}",
        run.stderr
    );
}

/// A store with 200 real result rows, a synthetic registry of 2,000 voters and two scanned JPEG
/// sheets, exported as a site: (data, key, site folder).
fn exported_site() -> (Data, String, PathBuf) {
    let data = Data::new();
    let results = data.file("head.csv", head_of_real_file(200));
    data.run(&["import", "results", "--defines-tables", &results])
        .expect_code(0);
    let registry = data.path().join("registry.csv").display().to_string();
    data.run(&["generate", "registry", "--voters", "2000", "-o", &registry])
        .expect_code(0);
    data.run(&[
        "import",
        "registry",
        "--lookup-cost",
        "unprotected",
        &registry,
    ])
    .expect_code(0);
    let sheets = data.path().join("sheets").display().to_string();
    data.run(&[
        "generate",
        "sheets",
        "--count",
        "2",
        "--condition",
        "dpi150",
        "-o",
        &sheets,
    ])
    .expect_code(0);
    data.run(&["ingest", &sheets]).expect_code(0);
    let key = data.run(&["key"]).expect_code(0).stdout.trim().to_owned();
    let site = data.path().join("site");
    data.run(&["export", "site", site.to_str().unwrap()])
        .expect_code(0);
    (data, key, site)
}

/// The bytes of `path` with the first number after the last of `markers` (each searched for
/// after the one before) increased by one.
fn bump_number(path: &Path, markers: &[&str]) -> Vec<u8> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut at = 0;
    for marker in markers {
        at += text[at..]
            .find(marker)
            .unwrap_or_else(|| panic!("{}: no {marker:?}", path.display()))
            + marker.len();
    }
    let start = at + text[at..].find(|c: char| c.is_ascii_digit()).unwrap();
    let end = start
        + text[start..]
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len() - start);
    let number: u64 = text[start..end].parse().unwrap();
    format!("{}{}{}", &text[..start], number + 1, &text[end..]).into_bytes()
}

/// One change to a site: the file it touches, and its new bytes (`None`: deleted).
struct Change {
    what: &'static str,
    file: String,
    bytes: Option<Vec<u8>>,
}

/// The changes that `veedor verify` must refuse, each naming its file.
fn changes(site: &Path) -> Vec<Change> {
    let first = |folder: &str| -> String {
        let mut names: Vec<String> = std::fs::read_dir(site.join(folder))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        format!("{folder}/{}", names[0])
    };
    let table = first("es/table");
    let table_en = table.replacen("es/", "en/", 1);
    let state_en = first("en/area/state");
    // The largest shard, and a record moved out of it by its first bit.
    let mut shards: Vec<(u64, String)> = (0..16)
        .map(|shard| format!("lookup/{shard:x}.bin"))
        .map(|path| (std::fs::metadata(site.join(&path)).unwrap().len(), path))
        .collect();
    shards.sort();
    let shard = shards.last().unwrap().1.clone();
    let mut shard_bytes = std::fs::read(site.join(&shard)).unwrap();
    shard_bytes[0] ^= 0x80;
    let script = std::fs::read_to_string(site.join("static/lookup.js")).unwrap();
    let smalls = [first("scans/small"), {
        let mut names: Vec<_> = std::fs::read_dir(site.join("scans/small"))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        format!("scans/small/{}", names[1])
    }];
    let other_state = std::fs::read(site.join(&state_en)).unwrap();
    vec![
        Change {
            what: "a vote count in a Spanish page",
            bytes: Some(bump_number(&site.join(&table), &["class=\"v-NM\"", ">"])),
            file: table,
        },
        Change {
            what: "a vote count in an English page",
            bytes: Some(bump_number(
                &site.join(&state_en),
                &["class=\"votes\"", ">"],
            )),
            file: state_en,
        },
        Change {
            what: "valid votes in a JSON twin",
            bytes: Some(bump_number(
                &site.join("api/v1/area/national.json"),
                &["\"valid_votes\":"],
            )),
            file: "api/v1/area/national.json".to_owned(),
        },
        Change {
            what: "one byte of a lookup shard",
            file: shard,
            bytes: Some(shard_bytes),
        },
        Change {
            what: "the lookup script",
            file: "static/lookup.js".to_owned(),
            bytes: Some(script.replacen("fetch(", "fetch (", 1).into_bytes()),
        },
        Change {
            what: "a small copy replaced by another scan's (a valid JPEG)",
            bytes: Some(std::fs::read(site.join(&smalls[1])).unwrap()),
            file: smalls[0].clone(),
        },
        Change {
            what: "a page deleted",
            file: table_en,
            bytes: None,
        },
        Change {
            what: "a page added",
            file: "en/area/state/99.html".to_owned(),
            bytes: Some(other_state),
        },
    ]
}

/// `veedor verify` covers everything a reader sees: the export is rendered again from the
/// verified data and compared byte for byte, so one number changed in a page (Spanish or
/// English) or a JSON twin, one byte of a lookup shard, the lookup script, a small copy
/// replaced by another JPEG, a page deleted or added: each is refused, naming its file.
#[test]
fn a_site_is_checked_as_a_reader_sees_it() {
    let (data, key, site) = exported_site();
    let dir = site.to_str().unwrap();
    let run = verify(&data, dir, &key, &[]).expect_code(0);
    for said in [
        "pages, JSON twins and static files and 2 small copies of scans are byte for byte",
        "16 lookup shards hold 2000 voters' records",
        "Each of the",
    ] {
        assert!(run.stdout.contains(said), "{said}: {}", run.stdout);
    }
    for change in changes(&site) {
        let path = site.join(&change.file);
        let original = std::fs::read(&path).ok();
        assert!(
            original.as_deref() != change.bytes.as_deref(),
            "{}: no change",
            change.what
        );
        match &change.bytes {
            Some(bytes) => std::fs::write(&path, bytes).unwrap(),
            None => std::fs::remove_file(&path).unwrap(),
        }
        let run = verify(&data, dir, &key, &[]);
        assert_eq!(run.code, 1, "{}: {}{}", change.what, run.stdout, run.stderr);
        assert!(
            run.stderr.contains("1 problem(s) found")
                && run.stderr.contains(&format!("\n  {}: ", change.file)),
            "{} should be named by {}: {}",
            change.what,
            change.file,
            run.stderr
        );
        match original {
            Some(bytes) => std::fs::write(&path, bytes).unwrap(),
            None => std::fs::remove_file(&path).unwrap(),
        }
    }
    verify(&data, dir, &key, &[]).expect_code(0);
}

/// `python3 -m http.server` serving `folder` on a free port; stopped when dropped.
struct Served {
    child: std::process::Child,
    port: u16,
}

impl Served {
    fn start(folder: &Path) -> Self {
        let port = crate::chromium::free_port();
        let child = std::process::Command::new("python3")
            .args([
                "-m",
                "http.server",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
            ])
            .arg("--directory")
            .arg(folder)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start python3 -m http.server: {error}"));
        let started = std::time::Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed().as_secs() < 20,
                "http.server did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Self { child, port }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Over HTTP the files cannot be listed: a changed page is named as from a folder, but an added
/// file goes unnoticed, and the report says that added files were not looked for.
#[test]
fn a_site_over_http_is_checked_but_not_listed() {
    let (data, key, site) = exported_site();
    let server = Served::start(&site);
    let url = format!("http://127.0.0.1:{}/", server.port);
    let run = verify(&data, &url, &key, &[]).expect_code(0);
    assert!(
        run.stdout.contains("files added to it were not looked for"),
        "{}",
        run.stdout
    );
    let changes = changes(&site);
    let page = &changes[0];
    std::fs::write(site.join(&page.file), page.bytes.as_ref().unwrap()).unwrap();
    let added = changes.last().unwrap();
    std::fs::write(site.join(&added.file), added.bytes.as_ref().unwrap()).unwrap();
    let run = verify(&data, &url, &key, &[]).expect_code(1);
    assert!(
        run.stderr.contains("1 problem(s) found")
            && run.stderr.contains(&format!("{}: differs", page.file)),
        "{}",
        run.stderr
    );
}
