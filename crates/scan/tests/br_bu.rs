//! Brazil's boletim de urna (BU) printed as a page of QR codes (`veedor_sim::sheet::BuSheet`):
//! every code on the page is read, byte for byte, and the texts assemble into the report with
//! the hash chain and signature results of the vectors (shared/data/br-bu/README.md).

use std::path::PathBuf;

use serde_json::Value;
use veedor_formats::br_bu::{Assembled, KeyId, KeyRing, PublicKey, assemble, verify};
use veedor_scan::{Limits, scan};
use veedor_sim::sheet::{BuSheet, Condition, FileFormat, SheetError, encode, render, render_clean};

struct Vector {
    number: usize,
    parts: Vec<String>,
    key: Option<String>,
    chain_ok: bool,
    signature_ok: Option<bool>,
}

/// The vectors of shared/data/br-bu/bu_qr_test_vectors.json, as crates/formats/tests/br_bu.rs
/// reads them.
fn vectors() -> Vec<Vector> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/br-bu/bu_qr_test_vectors.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let json: Value = serde_json::from_str(&text).unwrap();
    json["sets"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(number, set)| Vector {
            number,
            parts: set["parts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|part| part.as_str().unwrap().to_owned())
                .collect(),
            key: set["ed25519_public_key_hex"].as_str().map(str::to_owned),
            chain_ok: set["hash_chain_ok"].as_bool().unwrap(),
            signature_ok: set["signature_ok"].as_bool(),
        })
        .collect()
}

fn refs(parts: &[String]) -> Vec<&str> {
    parts.iter().map(String::as_str).collect()
}

fn sorted(mut texts: Vec<String>) -> Vec<String> {
    texts.sort();
    texts
}

/// The one page of `bytes` read: its codes' texts in the order found.
fn read_page(bytes: &[u8]) -> Vec<String> {
    let outcome = scan(bytes, &Limits::default()).unwrap();
    assert_eq!(outcome.pages.len(), 1);
    outcome.pages[0].result.payloads.clone()
}

/// The texts read assemble into the vector's one report, whose chain and signature check as
/// the vector says.
fn check_report(vector: &Vector, read: &[String]) {
    let set = vector.number;
    let assembled = assemble(&refs(read)).unwrap();
    let [Assembled::Report(report)] = &assembled[..] else {
        panic!("set {set}: expected one report, got {assembled:#?}");
    };
    assert_eq!(report.parts.len(), vector.parts.len(), "set {set}");
    let mut keys = KeyRing::new();
    if let Some(hex) = &vector.key {
        let id = KeyId {
            uf: report.uf,
            phase: report.phase,
        };
        keys.insert(id, PublicKey::from_hex(hex).unwrap());
    }
    let checked = verify(report, &keys);
    assert_eq!(checked.chain_intact, vector.chain_ok, "set {set}");
    assert_eq!(checked.signature_valid, vector.signature_ok, "set {set}");
}

/// Every vector on one page, clean at 200 dpi (the acta sheets' default scan), as PNG and as
/// JPEG: the page gives exactly the report's texts, in any order, and they assemble.
#[test]
fn every_report_printed_clean_reads_whole_and_assembles() {
    let vectors = vectors();
    assert_eq!(vectors.len(), 20, "the README's 20 BUs");
    for vector in &vectors {
        let set = vector.number;
        let sheet = match BuSheet::new(&refs(&vector.parts), Some("TSE")) {
            Ok(sheet) => sheet,
            // None of the vectors is that long; a longer report would go on two pages.
            Err(SheetError::DoesNotFit { .. }) => continue,
            Err(error) => panic!("set {set}: {error}"),
        };
        let page = image::DynamicImage::ImageRgb8(render_clean(&sheet, 200, 1).unwrap());
        for format in [FileFormat::Png, FileFormat::Jpeg { quality: 85 }] {
            let bytes = encode(std::slice::from_ref(&page), format).unwrap();
            let read = read_page(&bytes);
            assert_eq!(
                sorted(read.clone()),
                sorted(vector.parts.clone()),
                "set {set} as {format:?}"
            );
            check_report(vector, &read);
        }
    }
}

/// The four-code report (the 2024 manual's) under capture conditions acta sheets pass.
#[test]
fn four_code_report_reads_whole_under_mild_degradation() {
    let vectors = vectors();
    let vector = vectors
        .iter()
        .find(|vector| vector.parts.len() == 4)
        .unwrap();
    let sheet = BuSheet::new(&refs(&vector.parts), None).unwrap();
    for (condition, seed) in [
        (Condition::Dpi150, 1),
        (Condition::Skewed, 2),
        (Condition::Rotated90, 3),
        (Condition::Grey, 4),
    ] {
        let degradation = condition.degradation(seed);
        let image = render(&sheet, &degradation).unwrap();
        let bytes = encode(
            &[image],
            FileFormat::Jpeg {
                quality: degradation.jpeg_quality,
            },
        )
        .unwrap();
        let read = read_page(&bytes);
        assert_eq!(
            sorted(read.clone()),
            sorted(vector.parts.clone()),
            "{}",
            condition.name()
        );
        check_report(vector, &read);
    }
}

/// A stamp over one code of four hides part of it from the first rung, which reads the other
/// three and sees the fourth's finder patterns: the ladder goes on until the fourth is read.
/// (Before the ladder looked for codes left unread, this page gave three texts.)
#[test]
fn a_code_the_first_rung_cannot_read_is_read_by_a_later_one() {
    let vectors = vectors();
    let vector = vectors
        .iter()
        .find(|vector| vector.parts.len() == 4)
        .unwrap();
    let sheet = BuSheet::new(&refs(&vector.parts), None).unwrap();
    let degradation = Condition::StampTouchingQr.degradation(1);
    let image = render(&sheet, &degradation).unwrap();
    let bytes = encode(
        &[image],
        FileFormat::Jpeg {
            quality: degradation.jpeg_quality,
        },
    )
    .unwrap();
    let outcome = scan(&bytes, &Limits::default()).unwrap();
    let result = &outcome.pages[0].result;
    assert_eq!(
        sorted(result.payloads.clone()),
        sorted(vector.parts.clone())
    );
    assert!(result.attempts > 1, "{result:?}");
    check_report(vector, &result.payloads);
}
