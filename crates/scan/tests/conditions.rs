//! Rendered sheets under every capture condition decode to exactly their payload.

use veedor_scan::{Limits, scan};
use veedor_sim::sheet::{Condition, FileFormat, encode, render};

use crate::support::{GENERATED_PAYLOADS, REAL_PAYLOADS, jpeg, sheet};

fn check(condition: Condition, payload: &str, seed: u64) {
    let bytes = jpeg(payload, &condition.degradation(seed));
    let outcome = scan(&bytes, &Limits::default()).unwrap();
    assert_eq!(outcome.pages.len(), 1);
    let page = &outcome.pages[0];
    assert_eq!(page.page.number, 1);
    assert_eq!(
        page.result.payloads,
        vec![payload.to_owned()],
        "condition {} seed {seed}",
        condition.name()
    );
    assert!(page.result.strategy.is_some());
}

#[test]
fn dpi_150() {
    check(Condition::Dpi150, REAL_PAYLOADS[0], 1);
}

#[test]
fn dpi_200() {
    check(Condition::Dpi200, REAL_PAYLOADS[1], 2);
}

#[test]
fn dpi_300() {
    check(Condition::Dpi300, REAL_PAYLOADS[2], 3);
}

#[test]
fn rotated_90() {
    check(Condition::Rotated90, GENERATED_PAYLOADS[0], 4);
}

#[test]
fn rotated_180() {
    check(Condition::Rotated180, REAL_PAYLOADS[0], 5);
}

#[test]
fn rotated_270() {
    check(Condition::Rotated270, GENERATED_PAYLOADS[1], 6);
}

#[test]
fn skewed() {
    check(Condition::Skewed, REAL_PAYLOADS[1], 7);
}

#[test]
fn low_jpeg_quality() {
    check(Condition::LowJpegQuality, REAL_PAYLOADS[2], 8);
}

#[test]
fn fold_over_qr() {
    check(Condition::FoldOverQr, GENERATED_PAYLOADS[0], 9);
}

#[test]
fn stamp_touching_qr() {
    check(Condition::StampTouchingQr, REAL_PAYLOADS[0], 10);
}

#[test]
fn colour() {
    check(Condition::Colour, REAL_PAYLOADS[1], 11);
}

#[test]
fn grey() {
    check(Condition::Grey, REAL_PAYLOADS[2], 12);
}

#[test]
fn phone_photo() {
    check(Condition::PhonePhoto, GENERATED_PAYLOADS[1], 13);
}

#[test]
fn combined() {
    check(Condition::Combined, REAL_PAYLOADS[0], 14);
}

#[test]
fn png_page() {
    let degradation = Condition::Grey.degradation(15);
    let image = render(&sheet(REAL_PAYLOADS[1]), &degradation).unwrap();
    let bytes = encode(&[image], FileFormat::Png).unwrap();
    let outcome = scan(&bytes, &Limits::default()).unwrap();
    assert_eq!(outcome.format, veedor_scan::Format::Png);
    assert_eq!(
        outcome.pages[0].result.payloads,
        vec![REAL_PAYLOADS[1].to_owned()]
    );
}

#[test]
fn blank_page_is_reported_without_payload() {
    let blank = image::DynamicImage::ImageLuma8(image::GrayImage::from_pixel(
        850,
        1100,
        image::Luma([250]),
    ));
    let bytes = encode(&[blank], FileFormat::Jpeg { quality: 80 }).unwrap();
    let outcome = scan(&bytes, &Limits::default()).unwrap();
    assert_eq!(outcome.pages.len(), 1);
    assert!(outcome.pages[0].result.payloads.is_empty());
    assert_eq!(outcome.pages[0].result.strategy, None);
    assert_eq!(outcome.pages[0].page.preview(200).height(), 200);
}
