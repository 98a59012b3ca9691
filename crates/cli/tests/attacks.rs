//! The attacks of issue 9, played on the real binary: forged sheets must not count, the same
//! evidence sent again must not corroborate itself, and nothing published may betray the
//! volunteer whose phone took the photo.

use std::path::{Path, PathBuf};

use veedor_sim::sheet::{Condition, FileFormat, Sheet, Ve2024Place, encode, render, render_clean};

use crate::http::http_get;
use crate::support::{Data, real_results};

/// A real payload (table 201301006.01) and its per-candidate totals.
const REAL: &str = "201301006.01.1.0001!140,7,10,8,1,7,1,0,2,3,0,1,8,1,0,1,0,3,1,1,0,1,0,0,0,0,0,0,1,2,0,0,0,5,7,155,1,1!0!0";

/// A made-up table in a real parish (Caracas, El Recreo): 3,000,000 votes for one card.
const FORGED_TABLE: &str = "010113999.01.1.0001!3000000,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0!0!0";

/// A made-up table in state 99, which does not exist.
const FORGED_STATE: &str = "990101001.01.1.0001!0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,2000000,0,0!0!0";

fn sheet(payload: &str) -> Sheet {
    Sheet::ve2024(payload, &Ve2024Place::default()).unwrap()
}

fn jpeg(payload: &str, seed: u64, quality: u8) -> Vec<u8> {
    let page = render(&sheet(payload), &Condition::Dpi150.degradation(seed)).unwrap();
    encode(&[page], FileFormat::Jpeg { quality }).unwrap()
}

/// The same image decoded and saved again at another quality, as a forger resaving a file.
fn reencoded(jpeg_bytes: &[u8], quality: u8) -> Vec<u8> {
    let image = image::load_from_memory(jpeg_bytes).unwrap();
    encode(&[image], FileFormat::Jpeg { quality }).unwrap()
}

fn ingest(data: &Data, name: &str, files: &[(&str, Vec<u8>)], device: &str) -> String {
    let folder = data.path().join(name);
    std::fs::create_dir_all(&folder).unwrap();
    for (file, bytes) in files {
        std::fs::write(folder.join(file), bytes).unwrap();
    }
    let run = data
        .run(&["ingest", folder.to_str().unwrap(), "--device", device])
        .expect_code(0);
    run.stdout.clone()
}

/// The rows of `data/actas.csv` of an export, as maps of column to value.
fn actas(data: &Data) -> Vec<std::collections::HashMap<String, String>> {
    let out = data.path().join("open");
    let _ = std::fs::remove_dir_all(&out);
    data.run(&["export", "data", out.to_str().unwrap()])
        .expect_code(0);
    let text = std::fs::read_to_string(out.join("data/actas.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_owned)
        .collect();
    lines
        .map(|line| {
            header
                .iter()
                .cloned()
                .zip(line.split(',').map(str::to_owned))
                .collect()
        })
        .collect()
}

fn valid_votes(data: &Data) -> u64 {
    data.tally(&[])["areas"][0]["valid_votes"].as_u64().unwrap()
}

fn centre(data: &Data, code: &str) -> serde_json::Value {
    data.tally(&["--level", "centre", "--code", code])["areas"][0].clone()
}

/// One JPEG of a made-up QR code, for a table nothing established and for a state that does
/// not exist: kept with its findings, waiting, and the national result does not move.
#[test]
fn a_forged_qr_for_a_table_nothing_established_is_not_counted() {
    let data = Data::new();
    data.run(&[
        "import",
        "results",
        "--defines-tables",
        real_results().to_str().unwrap(),
    ])
    .expect_code(0);
    let before = valid_votes(&data);
    let out = ingest(
        &data,
        "forged",
        &[
            ("table.jpg", jpeg(FORGED_TABLE, 1, 85)),
            ("state.jpg", jpeg(FORGED_STATE, 2, 85)),
        ],
        "phone-1",
    );
    assert!(out.contains("flagged F101: 2"), "{out}");
    assert!(out.contains("flagged F105: 1"), "{out}");
    assert_eq!(
        valid_votes(&data),
        before,
        "a forged sheet moved the result"
    );
    let rows = actas(&data);
    let findings = |table: &str| {
        rows.iter()
            .find(|row| row["table_id"] == table)
            .map(|row| row["findings"].clone())
            .unwrap_or_else(|| panic!("no row for {table}"))
    };
    assert_eq!(findings("010113999.01"), "F101");
    assert_eq!(findings("990101001.01"), "F101 F105");
    // Nor does a later results file (not defining tables) establish the made-up table.
    let forged_row = format!(
        "{}\n1,DTTO. CAPITAL,1,MP. BLVNO LIBERTADOR,13,PQ. EL RECREO,10113999,1,3000000,3000000,0,0,3000000,0,0,0,0,0,0,0,0,x\n",
        crate::support::head_of_real_file(0).trim_end()
    );
    let path = data.file("forged-results.csv", forged_row);
    data.run(&["import", "results", &path]).expect_code(0);
    assert_eq!(valid_votes(&data), before);
}

/// A copy received before its table was established counts once a table list establishes it.
#[test]
fn a_copy_waits_for_its_table_then_counts() {
    let data = Data::new();
    ingest(&data, "scans", &[("a.jpg", jpeg(REAL, 3, 85))], "scanner-1");
    assert_eq!(valid_votes(&data), 0);
    let list = data.file(
        "tables.csv",
        "centre_code,table,registered\n201301006,1,400\n",
    );
    data.run(&["import", "tables", &list]).expect_code(0);
    let totals = centre(&data, "201301006");
    assert_eq!(totals["tables_by_status"]["accepted"], 1);
    assert_eq!(valid_votes(&data), 368);
}

/// The same forged image resaved at three qualities and sent as if from three phones is one
/// piece of evidence: the table stays `accepted`, never `corroborated`. Another scan of the
/// paper (a different capture) from another device does corroborate.
#[test]
fn the_same_image_re_encoded_is_one_piece_of_evidence() {
    let data = Data::new();
    let list = data.file(
        "tables.csv",
        "centre_code,table,registered\n201301006,1,400\n",
    );
    data.run(&["import", "tables", &list]).expect_code(0);
    let original = jpeg(REAL, 4, 90);
    ingest(
        &data,
        "first",
        &[("photo.jpg", original.clone())],
        "phone-a",
    );
    for (index, quality) in [70u8, 50, 30].into_iter().enumerate() {
        let device = format!("phone-{}", ["b", "c", "d"][index]);
        let out = ingest(
            &data,
            &format!("again-{quality}"),
            &[(
                &format!("resaved-{quality}.jpg"),
                reencoded(&original, quality),
            )],
            &device,
        );
        assert!(out.contains("the same evidence"), "{out}");
        let totals = centre(&data, "201301006");
        assert_eq!(totals["tables_by_status"]["accepted"], 1, "{totals}");
        assert_eq!(totals["tables_by_status"]["corroborated"], 0, "{totals}");
    }
    // The same paper captured again (another render: placement, noise) from another device.
    ingest(
        &data,
        "rescan",
        &[("rescan.jpg", jpeg(REAL, 99, 85))],
        "scanner-2",
    );
    let totals = centre(&data, "201301006");
    assert_eq!(totals["tables_by_status"]["corroborated"], 1, "{totals}");
    let rows = actas(&data);
    let same: Vec<&String> = rows
        .iter()
        .filter_map(|row| row.get("same_image_as"))
        .filter(|value| !value.is_empty())
        .collect();
    assert_eq!(same.len(), 3, "{rows:?}");
}

/// A page carrying two different acta codes goes to a person: no copy of either table.
#[test]
fn a_page_with_two_codes_goes_to_a_person() {
    let data = Data::new();
    data.run(&[
        "import",
        "results",
        "--defines-tables",
        real_results().to_str().unwrap(),
    ])
    .expect_code(0);
    let copies_before = actas(&data).len();
    let pages: Vec<_> = [REAL, FORGED_TABLE]
        .iter()
        .map(|payload| render_clean(&sheet(payload), 150, 1).unwrap())
        .collect();
    let (width, height) = pages[0].dimensions();
    let mut both = image::RgbImage::from_pixel(width * 2, height, image::Rgb([255, 255, 255]));
    image::imageops::replace(&mut both, &pages[0], 0, 0);
    image::imageops::replace(&mut both, &pages[1], i64::from(width), 0);
    let bytes = encode(&[image::DynamicImage::ImageRgb8(both)], FileFormat::Png).unwrap();
    let out = ingest(&data, "two", &[("two.png", bytes)], "phone-1");
    assert!(out.contains("2 different actas on one page"), "{out}");
    assert_eq!(actas(&data).len(), copies_before);
    let queue = data.run(&["queue"]).expect_code(0);
    assert!(queue.stdout.contains("two.png"), "{}", queue.stdout);
}

/// Identifying strings and the GPS position a phone writes into its photos.
const MAKE: &str = "VeedorPhoneMaker";
const MODEL: &str = "Model-SECRET-42";
const SERIAL: &str = "SN-0099887766";

/// `jpeg` with an EXIF block carrying make, model, a serial number, a time and a GPS position,
/// as a phone writes it (little-endian TIFF inside APP1, right after SOI).
fn with_exif(jpeg: &[u8]) -> Vec<u8> {
    fn entry(tiff: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: u32) {
        tiff.extend_from_slice(&tag.to_le_bytes());
        tiff.extend_from_slice(&kind.to_le_bytes());
        tiff.extend_from_slice(&count.to_le_bytes());
        tiff.extend_from_slice(&value.to_le_bytes());
    }
    let texts = [
        format!("{MAKE}\0"),
        format!("{MODEL}\0"),
        "2024:07:28 18:30:00\0".to_owned(),
        format!("{SERIAL}\0"),
    ];
    // Layout: header (8), IFD0 (2 + 5*12 + 4 = 66) at 8, GPS IFD (2 + 2*12 + 4 = 30) at 74,
    // then the texts and the latitude's three rationals.
    let mut data_at = 8 + 66 + 30;
    let mut data = Vec::new();
    let mut offsets = Vec::new();
    for text in &texts {
        offsets.push(data_at);
        data.extend_from_slice(text.as_bytes());
        data_at += u32::try_from(text.len()).unwrap();
    }
    let latitude_at = data_at;
    for (numerator, denominator) in [(10u32, 1u32), (29, 1), (5123, 100)] {
        data.extend_from_slice(&numerator.to_le_bytes());
        data.extend_from_slice(&denominator.to_le_bytes());
    }
    let mut tiff = b"II*\0".to_vec();
    tiff.extend_from_slice(&8u32.to_le_bytes());
    tiff.extend_from_slice(&5u16.to_le_bytes());
    entry(
        &mut tiff,
        0x010F,
        2,
        u32::try_from(texts[0].len()).unwrap(),
        offsets[0],
    );
    entry(
        &mut tiff,
        0x0110,
        2,
        u32::try_from(texts[1].len()).unwrap(),
        offsets[1],
    );
    entry(
        &mut tiff,
        0x0132,
        2,
        u32::try_from(texts[2].len()).unwrap(),
        offsets[2],
    );
    entry(&mut tiff, 0x8825, 4, 1, 74);
    entry(
        &mut tiff,
        0xA431,
        2,
        u32::try_from(texts[3].len()).unwrap(),
        offsets[3],
    );
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.extend_from_slice(&2u16.to_le_bytes());
    entry(&mut tiff, 0x0001, 2, 2, u32::from_le_bytes(*b"N\0\0\0"));
    entry(&mut tiff, 0x0002, 5, 3, latitude_at);
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.extend_from_slice(&data);
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&u16::try_from(app1.len() + 2).unwrap().to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files(&path));
        } else {
            found.push(path);
        }
    }
    found
}

fn betrays(bytes: &[u8]) -> Option<&'static str> {
    let latitude = {
        let mut pattern = 5123u32.to_le_bytes().to_vec();
        pattern.extend_from_slice(&100u32.to_le_bytes());
        pattern
    };
    [MAKE, MODEL, SERIAL, "2024:07:28 18:30:00"]
        .into_iter()
        .find(|text| bytes.windows(text.len()).any(|w| w == text.as_bytes()))
        .or_else(|| {
            bytes
                .windows(latitude.len())
                .any(|w| w == latitude)
                .then_some("the GPS latitude")
        })
}

/// A GPS-tagged phone photo: its numbers are read and counted, and nothing of its metadata
/// reaches the static mirror, the open data or the running site; the original stays in the
/// store, its SHA-256 in the log beside the published file's.
#[test]
fn nothing_published_carries_a_phone_photo_metadata() {
    let data = Data::new();
    let list = data.file(
        "tables.csv",
        "centre_code,table,registered\n201301006,1,400\n",
    );
    data.run(&["import", "tables", &list]).expect_code(0);
    let photo = with_exif(&jpeg(REAL, 5, 88));
    assert_eq!(
        betrays(&photo),
        Some(MAKE),
        "the test photo carries its metadata"
    );
    ingest(
        &data,
        "phone",
        &[("IMG_0042.jpg", photo.clone())],
        "phone-1",
    );
    assert_eq!(valid_votes(&data), 368, "its numbers still read");

    // The static mirror and the open data.
    let site = data.path().join("site");
    data.run(&["export", "site", site.to_str().unwrap()])
        .expect_code(0);
    let open = data.path().join("open-data");
    data.run(&["export", "data", open.to_str().unwrap()])
        .expect_code(0);
    let mut scans = 0;
    for path in files(&site).into_iter().chain(files(&open)) {
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(betrays(&bytes), None, "{} carries it", path.display());
        scans += usize::from(path.to_string_lossy().contains("scans/"));
    }
    assert!(
        scans >= 2,
        "the mirrors publish the scan and its small copy"
    );
    let rows = actas(&data);
    let row = rows
        .iter()
        .find(|row| row["table_id"] == "201301006.01")
        .unwrap();
    let original = veedor_core::Sha256::from_bytes(veedor_scan::sha256(&photo)).to_hex();
    assert_eq!(row["file_sha256"], original);
    assert_ne!(row["published_sha256"], original);
    assert!(
        !site.join("scans").join(&original).exists(),
        "the original is never published"
    );
    let published = std::fs::read(site.join("scans").join(&row["published_sha256"])).unwrap();
    assert!(image::load_from_memory(&published).is_ok());

    // The running site.
    let server = crate::web::serve(&data.store_path());
    for path in [
        format!("/scans/{}", row["published_sha256"]),
        format!("/scans/{}/small", row["published_sha256"]),
    ] {
        let (status, _, body) = http_get(server.address, &path);
        assert_eq!(status, 200, "{path}");
        assert_eq!(betrays(&body), None, "{path} carries it");
    }
    let (status, _, _) = http_get(server.address, &format!("/scans/{original}"));
    assert_eq!(status, 404, "the original is not served");
}
