//! `veedor ingest`: scans in, none lost, none counted twice.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use veedor_sim::sheet::{Condition, FileFormat, Sheet, Ve2024Place, encode, render};

use crate::support::{Data, real_results};

/// The three real payloads of shared/data/ve2024/README.md, with their per-candidate totals in
/// the election's candidate order (Maduro, Martínez, Bertucci, Brito, Ecarri, Fermín, Ceballos,
/// González, Márquez, Rausseo).
const REAL: [(&str, [u64; 10]); 3] = [
    (
        "201301006.01.1.0001!140,7,10,8,1,7,1,0,2,3,0,1,8,1,0,1,0,3,1,1,0,1,0,0,0,0,0,0,1,2,0,0,0,5,7,155,1,1!0!0",
        [188, 6, 1, 1, 3, 0, 0, 167, 1, 1],
    ),
    (
        "110601011.04.1.0001!122,1,0,0,4,2,0,0,2,1,0,1,2,1,0,0,0,5,0,2,0,0,0,0,0,0,0,0,1,0,0,0,0,8,22,406,0,1!0!0",
        [135, 6, 2, 0, 1, 0, 0, 436, 0, 1],
    ),
    (
        "150702005.02.1.0001!105,7,2,0,4,1,0,1,1,1,0,2,44,2,1,0,0,1,0,1,0,0,0,1,0,0,0,0,1,0,1,0,0,7,13,350,0,2!0!0",
        [168, 4, 1, 1, 1, 1, 0, 370, 0, 2],
    ),
];

/// Imports a table list of the three real tables: a scan never creates its own table.
fn establish(data: &Data) {
    let list: String = std::iter::once("centre_code,table,registered\n".to_owned())
        .chain(REAL.iter().map(|(payload, _)| {
            format!(
                "{},{},900\n",
                &payload[..9],
                payload[10..12].trim_start_matches('0')
            )
        }))
        .collect();
    let path = data.file("tables.csv", list);
    data.run(&["import", "tables", &path]).expect_code(0);
}

/// A rendered page of a payload under a condition.
fn page(payload: &str, condition: Condition, seed: u64) -> image::DynamicImage {
    let sheet = Sheet::ve2024(payload, &Ve2024Place::default()).unwrap();
    render(&sheet, &condition.degradation(seed)).unwrap()
}

fn jpeg(payload: &str, condition: Condition, seed: u64) -> Vec<u8> {
    encode(
        &[page(payload, condition, seed)],
        FileFormat::Jpeg { quality: 85 },
    )
    .unwrap()
}

fn folder(data: &Data, name: &str) -> PathBuf {
    let path = data.path().join(name);
    std::fs::create_dir_all(&path).unwrap();
    path
}

fn votes_of(document: &serde_json::Value) -> Vec<u64> {
    document["table"]["result"]["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["votes"].as_u64().unwrap())
        .collect()
}

#[test]
fn the_real_payloads_survive_render_ingest_and_tally() {
    let data = Data::new();
    establish(&data);
    let scans = folder(&data, "scans");
    let conditions = [
        Condition::Dpi200,
        Condition::Rotated180,
        Condition::StampTouchingQr,
    ];
    for (index, ((payload, _), condition)) in REAL.iter().zip(conditions).enumerate() {
        std::fs::write(
            scans.join(format!("acta{index}.jpg")),
            jpeg(payload, condition, 7),
        )
        .unwrap();
    }
    let run = data
        .run(&[
            "ingest",
            scans.to_str().unwrap(),
            "--device",
            "scanner-1",
            "--volunteer",
            "owl-7",
        ])
        .expect_code(0);
    assert!(
        run.stdout.contains("ingested 3 files (3 pages)"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("3 accepted"), "{}", run.stdout);
    let national = data.tally(&[]);
    let expected: u64 = REAL.iter().flat_map(|(_, totals)| totals).sum();
    assert_eq!(national["areas"][0]["valid_votes"], expected);
    for (payload, totals) in REAL {
        let table = &payload[..12];
        let centre = data.tally(&["--level", "centre", "--code", &table[..9]]);
        let votes: Vec<u64> = centre["areas"][0]["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["votes"].as_u64().unwrap())
            .collect();
        assert_eq!(votes, totals, "{table}");
        // The copy keeps the payload's cells, byte for byte, and its provenance.
        let registry = data.file(
            "registry.csv",
            format!(
                "voter_id,centre_code,table\n1234,{},{}\n",
                &table[..9],
                &table[10..12]
            ),
        );
        data.run(&[
            "import",
            "registry",
            "--lookup-cost",
            "unprotected",
            &registry,
        ])
        .expect_code(0);
        let lookup = data
            .run(&["lookup", "1234", "--format", "json"])
            .expect_code(0)
            .json();
        let copy = &lookup["table"]["copies"][0];
        let cells: Vec<String> = copy["counts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(payload.split('!').nth(1).unwrap(), cells.join(","));
        assert_eq!(copy["provenance"]["source"], "qr");
        assert_eq!(copy["provenance"]["location_kind"], "page");
        assert_eq!(copy["provenance"]["device"], "scanner-1");
        assert_eq!(copy["provenance"]["volunteer"], "owl-7");
        assert_eq!(votes_of(&lookup), totals);
    }
}

#[test]
fn a_two_page_pdf_yields_two_actas_and_a_blank_page_is_queued() {
    let data = Data::new();
    establish(&data);
    let scans = folder(&data, "scans");
    let blank = image::DynamicImage::ImageLuma8(image::GrayImage::from_pixel(
        1700,
        2200,
        image::Luma([250]),
    ));
    let pages = [
        page(REAL[0].0, Condition::Dpi200, 1),
        blank,
        page(REAL[1].0, Condition::Grey, 2),
    ];
    let pdf = encode(
        &pages,
        FileFormat::Pdf {
            quality: 85,
            dpi: 200,
        },
    )
    .unwrap();
    std::fs::write(scans.join("batch.pdf"), &pdf).unwrap();
    let run = data
        .run(&["ingest", scans.to_str().unwrap()])
        .expect_code(0);
    assert!(
        run.stdout.contains("ingested 1 files (3 pages)"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("2 accepted"), "{}", run.stdout);
    assert!(
        run.stdout.contains("queued for a person (veedor queue): 1"),
        "{}",
        run.stdout
    );
    let queue = data.run(&["queue"]).expect_code(0);
    assert!(
        queue.stdout.contains("batch.pdf page 2"),
        "{}",
        queue.stdout
    );
    assert!(
        queue.stdout.contains("no QR code could be read"),
        "{}",
        queue.stdout
    );
    // The scan is kept whole, by its hash, for the person who will read it.
    let hash = veedor_store_sqlite::sha256(&pdf).to_hex();
    let blob = data.store_path().join("blobs").join(&hash[..2]).join(&hash);
    assert_eq!(std::fs::read(blob).unwrap(), pdf);
}

#[test]
fn the_same_file_twice_adds_nothing_and_other_scans_corroborate_or_conflict() {
    let data = Data::new();
    establish(&data);
    let scans = folder(&data, "first");
    std::fs::write(scans.join("a.jpg"), jpeg(REAL[0].0, Condition::Dpi200, 1)).unwrap();
    data.run(&["ingest", scans.to_str().unwrap()])
        .expect_code(0);
    let before = data.dump();
    let again = data
        .run(&["ingest", scans.to_str().unwrap()])
        .expect_code(0);
    assert!(
        again.stdout.contains("ingested 0 files") && again.stdout.contains("1 already ingested"),
        "{}",
        again.stdout
    );
    assert_eq!(data.dump(), before);
    // The same file under another name is the same file.
    let renamed = folder(&data, "renamed");
    std::fs::copy(scans.join("a.jpg"), renamed.join("other-name.jpg")).unwrap();
    data.run(&["ingest", renamed.to_str().unwrap()])
        .expect_code(0);
    assert_eq!(data.dump(), before);
    // Another scan of the same sheet, from another scanner: corroborates (from the same one
    // it would be the same witness again).
    let second = folder(&data, "second");
    std::fs::write(
        second.join("b.jpg"),
        jpeg(REAL[0].0, Condition::Rotated90, 2),
    )
    .unwrap();
    let run = data
        .run(&["ingest", second.to_str().unwrap(), "--device", "scanner-2"])
        .expect_code(0);
    assert!(run.stdout.contains("1 corroborated"), "{}", run.stdout);
    // A sheet of the same table with other numbers: a conflict, both kept.
    let altered = REAL[0].0.replacen("!140,", "!141,", 1);
    let third = folder(&data, "third");
    std::fs::write(third.join("c.jpg"), jpeg(&altered, Condition::Grey, 3)).unwrap();
    let run = data
        .run(&["ingest", third.to_str().unwrap()])
        .expect_code(0);
    assert!(run.stdout.contains("1 in conflict"), "{}", run.stdout);
    let centre = data.tally(&["--level", "centre", "--code", "201301006"]);
    assert_eq!(centre["areas"][0]["tables_by_status"]["conflict"], 1);
}

#[test]
fn bad_files_are_rejected_with_their_reason_and_the_batch_goes_on() {
    let data = Data::new();
    establish(&data);
    let scans = folder(&data, "scans");
    let good = jpeg(REAL[2].0, Condition::Dpi200, 4);
    std::fs::write(scans.join("1-good.jpg"), &good).unwrap();
    std::fs::write(
        scans.join("2-notes.jpg"),
        b"these are not the scans you are looking for",
    )
    .unwrap();
    std::fs::write(scans.join("3-truncated.jpg"), &good[..good.len() / 3]).unwrap();
    // A PNG whose header claims 100,000 x 100,000 pixels: a decompression bomb.
    let bomb = png_header(100_000, 100_000);
    std::fs::write(scans.join("4-bomb.png"), &bomb).unwrap();
    // A scan over the size limit (256 MiB), as a sparse file: refused from its size, never read.
    let huge = std::fs::File::create(scans.join("5-huge.jpg")).unwrap();
    huge.set_len(300 << 20).unwrap();
    drop(huge);
    let before_any = data.dump();
    let started = Instant::now();
    let run = data
        .run(&["ingest", scans.to_str().unwrap()])
        .expect_code(3);
    assert!(started.elapsed() < Duration::from_secs(60));
    assert!(run.stdout.contains("ingested 1 files"), "{}", run.stdout);
    assert!(
        run.stderr
            .contains("rejected files (not stored; fix or rescan them): 4"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("2-notes.jpg: not a jpeg, png, tiff or pdf file"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("3-truncated.jpg:") && run.stderr.contains("truncated"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("4-bomb.png:") && run.stderr.contains("100000"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("5-huge.jpg: cannot be read: 314572800 bytes, more than the limit"),
        "{}",
        run.stderr
    );
    // Only the good file was stored: rerunning with only the bad ones changes nothing.
    let after = data.dump();
    assert_ne!(after, before_any);
    std::fs::remove_file(scans.join("1-good.jpg")).unwrap();
    data.run(&["ingest", scans.to_str().unwrap()])
        .expect_code(3);
    assert_eq!(data.dump(), after);
}

/// A small, well-formed PNG that claims the given size: signature, IHDR, a tiny IDAT (a zlib
/// stream of nothing) and IEND, each chunk with its CRC.
fn png_header(width: u32, height: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
    }
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn scans_first_then_results_learn_registered_voters_and_corroborate() {
    let data = Data::new();
    let scans = folder(&data, "scans");
    std::fs::write(scans.join("a.jpg"), jpeg(REAL[0].0, Condition::Dpi150, 5)).unwrap();
    data.run(&["ingest", scans.to_str().unwrap()])
        .expect_code(0);
    data.run(&[
        "import",
        "results",
        "--defines-tables",
        real_results().to_str().unwrap(),
    ])
    .expect_code(0);
    let centre = data.tally(&["--level", "centre", "--code", "201301006"]);
    assert_eq!(centre["areas"][0]["tables_by_status"]["corroborated"], 1);
    let national = data.tally(&[]);
    assert_eq!(
        national["areas"][0]["coverage"]["registered_counted"],
        17_745_239
    );
}

fn count(data: &Data, sql: &str) -> i64 {
    let connection = rusqlite::Connection::open(data.store_path().join("veedor.db")).unwrap();
    connection.query_row(sql, [], |row| row.get(0)).unwrap()
}

#[test]
fn an_ingest_killed_midway_then_run_again_stores_every_file_exactly_once() {
    let data = Data::new();
    data.run(&[
        "import",
        "results",
        "--defines-tables",
        real_results().to_str().unwrap(),
    ])
    .expect_code(0);
    let scans = data.path().join("scans");
    data.run(&[
        "generate",
        "sheets",
        "--count",
        "40",
        "--condition",
        "dpi150",
        "-o",
        scans.to_str().unwrap(),
    ])
    .expect_code(0);
    let files = std::fs::read_dir(&scans).unwrap().count();
    assert_eq!(files, 40);
    // Kill as soon as some but not all files are stored, however fast the machine decodes.
    let mut killed = false;
    for _ in 0..3 {
        let mut child = data
            .command(&["ingest", scans.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        while child.try_wait().unwrap().is_none() && started.elapsed() < Duration::from_secs(60) {
            let stored = if data.store_path().join("veedor.db").exists() {
                count(&data, "SELECT count(*) FROM sources WHERE kind = 'scan'")
            } else {
                0
            };
            if stored > 0 {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        if child.try_wait().unwrap().is_none() {
            // SIGKILL: no chance to finish anything.
            child.kill().unwrap();
            killed = true;
        }
        child.wait().unwrap();
        let stored = count(&data, "SELECT count(*) FROM sources WHERE kind = 'scan'");
        if stored > 0 && stored < 40 {
            break;
        }
    }
    assert!(
        killed,
        "the ingest always finished before it could be killed"
    );
    let partial = count(&data, "SELECT count(*) FROM sources WHERE kind = 'scan'");
    assert!(
        partial < 40,
        "the kill came too late to test anything ({partial} stored)"
    );
    let run = data
        .run(&["ingest", scans.to_str().unwrap()])
        .expect_code(0);
    assert!(
        run.stdout
            .contains(&format!("{partial} already ingested before")),
        "{}",
        run.stdout
    );
    assert_eq!(
        count(&data, "SELECT count(*) FROM sources WHERE kind = 'scan'"),
        40
    );
    assert_eq!(
        count(
            &data,
            "SELECT count(*) FROM copies WHERE source_kind = 'qr'"
        ),
        40
    );
    assert_eq!(
        count(
            &data,
            "SELECT count(DISTINCT file_sha256) FROM copies WHERE source_kind = 'qr'"
        ),
        40
    );
    assert_eq!(
        count(&data, "SELECT count(*) FROM log_entries"),
        count(&data, "SELECT count(*) FROM copies") + 1
    );
    let connection = rusqlite::Connection::open(data.store_path().join("veedor.db")).unwrap();
    let integrity: String = connection
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    // Every stored scan is whole in the blob store.
    let mut statement = connection
        .prepare("SELECT sha256 FROM sources WHERE kind = 'scan'")
        .unwrap();
    let hashes: Vec<String> = statement
        .query_map([], |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for hash in hashes {
        let bytes =
            std::fs::read(data.store_path().join("blobs").join(&hash[..2]).join(&hash)).unwrap();
        assert_eq!(veedor_store_sqlite::sha256(&bytes).to_hex(), hash);
    }
    // And the log verifies after the rerun.
    let export = data.path().join("export").display().to_string();
    data.run(&["export", "data", &export]).expect_code(0);
    let key = data.run(&["key"]).expect_code(0).stdout.trim().to_owned();
    let verified = data.run(&["verify", &export, "--key", &key]).expect_code(0);
    assert!(
        verified.stdout.contains("40 scans match"),
        "{}",
        verified.stdout
    );
}

fn wait_for(condition: impl Fn() -> bool, what: &str) {
    let started = Instant::now();
    while !condition() {
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn watch_takes_files_once_complete_and_stops_cleanly() {
    let data = Data::new();
    establish(&data);
    let inbox = folder(&data, "inbox");
    let child = data
        .command(&[
            "ingest",
            "--watch",
            inbox.to_str().unwrap(),
            "--settle-ms",
            "1500",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::fs::write(
        inbox.join("first.jpg"),
        jpeg(REAL[0].0, Condition::Dpi200, 8),
    )
    .unwrap();
    // A scanner writing slowly: half the file, a pause shorter than the settle time, the rest.
    let slow = jpeg(REAL[1].0, Condition::Dpi200, 9);
    let path: &Path = &inbox.join("slow.jpg");
    std::fs::write(path, &slow[..slow.len() / 2]).unwrap();
    std::thread::sleep(Duration::from_millis(700));
    {
        use std::io::Write as _;
        let mut file = std::fs::OpenOptions::new().append(true).open(path).unwrap();
        file.write_all(&slow[slow.len() / 2..]).unwrap();
    }
    wait_for(
        || count(&data, "SELECT count(*) FROM sources WHERE kind = 'scan'") == 2,
        "two scans stored",
    );
    // SIGTERM: the watch stops cleanly, with a summary.
    let status = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stderr.contains("stopped watching"), "{stderr}");
    assert!(stdout.contains("ingested 2 files (2 pages)"), "{stdout}");
    assert!(
        stdout.contains("rejected files: 0"),
        "the half-written file was taken early:\n{stdout}"
    );
    assert_eq!(count(&data, "SELECT count(*) FROM copies"), 2);
}

// Ingest keeps going: one odd path does not stop a run, a watch outlives scanners' temporary
// files, and a killed run's temporary files are cleaned up.

#[test]
fn dangling_links_and_link_loops_are_reported_and_the_rest_is_ingested() {
    use std::os::unix::fs::symlink;
    let data = Data::new();
    let scans = folder(&data, "scans");
    std::fs::write(
        scans.join("1-good.jpg"),
        jpeg(REAL[0].0, Condition::Dpi200, 11),
    )
    .unwrap();
    symlink("nowhere.jpg", scans.join("2-dangling.jpg")).unwrap();
    symlink("3-loop-b.jpg", scans.join("3-loop-a.jpg")).unwrap();
    symlink("3-loop-a.jpg", scans.join("3-loop-b.jpg")).unwrap();
    // A link to the folder that contains it: a loop through folders.
    let sub = folder(&data, "scans/4-sub");
    symlink("..", sub.join("back")).unwrap();
    // A link to a good file already in the folder: the file is taken once.
    symlink("1-good.jpg", scans.join("5-same.jpg")).unwrap();
    // A linked folder outside is followed.
    let elsewhere = folder(&data, "elsewhere");
    std::fs::write(
        elsewhere.join("other.jpg"),
        jpeg(REAL[1].0, Condition::Grey, 12),
    )
    .unwrap();
    symlink(&elsewhere, scans.join("6-linked")).unwrap();
    let run = data
        .run(&["ingest", scans.to_str().unwrap()])
        .expect_code(3);
    assert!(
        run.stdout.contains("ingested 2 files (2 pages)")
            && run.stdout.contains("0 already ingested before"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr
            .contains("rejected files (not stored; fix or rescan them): 4"),
        "{}",
        run.stderr
    );
    for line in [
        "2-dangling.jpg: a symbolic link that leads nowhere",
        "3-loop-a.jpg: a loop of symbolic links",
        "3-loop-b.jpg: a loop of symbolic links",
        "4-sub/back: a loop of symbolic links",
    ] {
        assert!(run.stderr.contains(line), "{line}\n{}", run.stderr);
    }
    assert_eq!(
        count(&data, "SELECT count(*) FROM sources WHERE kind = 'scan'"),
        2
    );
    let names = {
        let connection = rusqlite::Connection::open(data.store_path().join("veedor.db")).unwrap();
        let mut statement = connection
            .prepare("SELECT file_name FROM sources WHERE kind = 'scan' ORDER BY file_name")
            .unwrap();
        statement
            .query_map([], |row| row.get::<_, String>(0))
            .unwrap()
            .map(Result::unwrap)
            .collect::<Vec<_>>()
    };
    assert_eq!(names, ["1-good.jpg", "other.jpg"]);
}

/// Sends SIGTERM to a watch and returns its exit code, standard output and standard error.
fn stop_watch(child: std::process::Child) -> (Option<i32>, String, String) {
    let status = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn watch_forgets_vanished_files_reports_a_dangling_link_once_and_goes_on() {
    use std::os::unix::fs::symlink;
    let data = Data::new();
    let inbox = folder(&data, "inbox");
    let good = jpeg(REAL[2].0, Condition::Dpi200, 13);
    let child = data
        .command(&[
            "ingest",
            "--watch",
            inbox.to_str().unwrap(),
            "--settle-ms",
            "3000",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A scanner's temporary file: seen by a few looks, removed before it settles.
    std::fs::write(inbox.join("scan-0001.tmpfile"), b"half a scan").unwrap();
    std::thread::sleep(Duration::from_millis(1200));
    std::fs::remove_file(inbox.join("scan-0001.tmpfile")).unwrap();
    // A link that leads nowhere and a loop of links, left there for many looks.
    symlink("missing.jpg", inbox.join("broken.jpg")).unwrap();
    symlink("loop-b", inbox.join("loop-a")).unwrap();
    symlink("loop-a", inbox.join("loop-b")).unwrap();
    std::thread::sleep(Duration::from_millis(2000));
    // A good scan afterwards, written under a temporary name and renamed, as scanners do.
    std::fs::write(inbox.join("scan-0002.tmpfile"), &good).unwrap();
    std::fs::rename(inbox.join("scan-0002.tmpfile"), inbox.join("scan-0002.jpg")).unwrap();
    wait_for(
        || count(&data, "SELECT count(*) FROM sources WHERE kind = 'scan'") == 1,
        "the good scan stored",
    );
    let (code, stdout, stderr) = stop_watch(child);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(stderr.contains("stopped watching"), "{stderr}");
    assert!(stdout.contains("ingested 1 files (1 pages)"), "{stdout}");
    // Each problem is reported once while watching, then listed in the summary.
    let reported = |what: &str| {
        stderr
            .lines()
            .filter(|line| line.starts_with("rejected ") && line.ends_with(what))
            .count()
    };
    assert_eq!(
        reported("broken.jpg: a symbolic link that leads nowhere"),
        1,
        "{stderr}"
    );
    assert_eq!(reported("loop-a: a loop of symbolic links"), 1, "{stderr}");
    assert!(
        stderr.contains("rejected files (not stored; fix or rescan them): 3"),
        "{stderr}"
    );
    // The vanished file is no error at all.
    assert!(!stderr.contains("scan-0001"), "{stderr}");
    assert_eq!(count(&data, "SELECT count(*) FROM copies"), 1);
}

/// The id of a process that has ended.
fn ended_process() -> u32 {
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let id = child.id();
    child.wait().unwrap();
    id
}

/// Writes a file last modified `age` ago.
fn plant(path: &Path, age: Duration) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, b"part of a file").unwrap();
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(std::time::SystemTime::now() - age)
        .unwrap();
}

#[test]
fn temporary_files_of_a_killed_run_are_removed_by_the_next_one() {
    let data = Data::new();
    establish(&data);
    let first = folder(&data, "first");
    let first_scan = jpeg(REAL[0].0, Condition::Dpi200, 14);
    std::fs::write(first.join("a.jpg"), &first_scan).unwrap();
    data.run(&["ingest", first.to_str().unwrap()])
        .expect_code(0);
    let hash = veedor_store_sqlite::sha256(&first_scan).to_hex();
    let blobs = data.store_path().join("blobs");
    let stored_blob = blobs.join(&hash[..2]).join(&hash);
    // What a killed run leaves: temporary files named as the store names them (process id,
    // counter), in the blob folders and the registry's.
    let killed = ended_process();
    let other_prefix = if hash.starts_with("00") { "ff" } else { "00" };
    let leftovers = [
        blobs.join(&hash[..2]).join(format!(".tmp-{killed}-0")),
        blobs.join(other_prefix).join(format!(".tmp-{killed}-1")),
        data.store_path()
            .join("registry")
            .join(format!(".tmp-{killed}-2")),
    ];
    let old = Duration::from_secs(600);
    for leftover in &leftovers {
        plant(leftover, old);
    }
    // Kept: a temporary file of a live process (this one), one of an ended process written
    // seconds ago (it could be a writer this process cannot see), and other names.
    let kept = [
        blobs
            .join(&hash[..2])
            .join(format!(".tmp-{}-0", std::process::id())),
        blobs.join(other_prefix).join(format!(".tmp-{killed}-3")),
        blobs.join(&hash[..2]).join(".tmp-notes"),
    ];
    plant(&kept[0], old);
    plant(&kept[1], Duration::ZERO);
    plant(&kept[2], old);
    let second = folder(&data, "second");
    std::fs::write(second.join("b.jpg"), jpeg(REAL[1].0, Condition::Dpi200, 15)).unwrap();
    data.run(&["ingest", second.to_str().unwrap()])
        .expect_code(0);
    for leftover in &leftovers[..2] {
        assert!(!leftover.exists(), "{} is still there", leftover.display());
    }
    for path in &kept {
        assert!(path.exists(), "{} was removed", path.display());
    }
    // The stored blobs are untouched, and the new one is whole.
    assert_eq!(std::fs::read(&stored_blob).unwrap(), first_scan);
    assert_eq!(
        count(&data, "SELECT count(*) FROM sources WHERE kind = 'scan'"),
        2
    );
    // The registry's folder is cleaned when the registry is next written.
    let table = &REAL[0].0[..12];
    let registry = data.file(
        "registry.csv",
        format!(
            "voter_id,centre_code,table\n1234,{},{}\n",
            &table[..9],
            &table[10..12]
        ),
    );
    data.run(&[
        "import",
        "registry",
        "--lookup-cost",
        "unprotected",
        &registry,
    ])
    .expect_code(0);
    assert!(!leftovers[2].exists(), "{}", leftovers[2].display());
}
