//! Thumbnails: the same image re-encoded is the same image; another scan of the same paper,
//! or another sheet, is not. The distances are printed (`cargo test -p veedor-scan similar --
//! --nocapture`); src/similar.rs gives them beside its threshold.

use std::time::Instant;

use image::{DynamicImage, GrayImage, RgbImage};
use veedor_scan::{Limits, Thumbnail, read_pages, strip_metadata};
use veedor_sim::sheet::{Condition, Degradation, FileFormat, encode, render};

use crate::support::{REAL_PAYLOADS, sheet};

/// The distance, and what it is made of: the mean and the largest cell difference.
fn measured(one: &Thumbnail, two: &Thumbnail) -> String {
    let differences: Vec<u8> = one
        .cells()
        .iter()
        .zip(two.cells())
        .map(|(a, b)| a.abs_diff(*b))
        .collect();
    let mean = differences.iter().map(|d| f64::from(*d)).sum::<f64>() / differences.len() as f64;
    let largest = differences.iter().max().copied().unwrap_or(0);
    format!(
        "distance {:.2} (mean cell difference {mean:.3}, largest {largest})",
        one.distance(two)
    )
}

fn decoded(bytes: &[u8]) -> DynamicImage {
    read_pages(bytes, &Limits::default())
        .unwrap()
        .remove(0)
        .image
}

fn thumbnail_of_file(bytes: &[u8]) -> Thumbnail {
    Thumbnail::of(&decoded(bytes))
}

/// The sheet of `payload` as a scanner delivers it under `degradation`.
fn scan_of(payload: &str, degradation: &Degradation) -> DynamicImage {
    render(&sheet(payload), degradation).unwrap()
}

#[test]
fn re_encoded_copies_are_the_same_image() {
    let original = scan_of(REAL_PAYLOADS[0], &Degradation::default());
    let reference = Thumbnail::of(&original);
    let mut largest: f64 = 0.0;
    let mut copies: Vec<(String, Thumbnail)> = Vec::new();
    for quality in [30, 50, 70, 90] {
        let jpeg = encode(
            std::slice::from_ref(&original),
            FileFormat::Jpeg { quality },
        )
        .unwrap();
        copies.push((format!("jpeg q{quality}"), thumbnail_of_file(&jpeg)));
        if quality == 70 {
            // A JPEG saved again: decoded and re-encoded at another quality.
            let again = encode(&[decoded(&jpeg)], FileFormat::Jpeg { quality: 50 }).unwrap();
            copies.push(("jpeg q70 then q50".to_owned(), thumbnail_of_file(&again)));
            let stripped = strip_metadata(&jpeg, &Limits::default()).unwrap();
            copies.push(("jpeg q70 stripped".to_owned(), thumbnail_of_file(&stripped)));
        }
    }
    let png = encode(std::slice::from_ref(&original), FileFormat::Png).unwrap();
    copies.push(("png".to_owned(), thumbnail_of_file(&png)));
    let grey = DynamicImage::ImageLuma8(original.to_luma8());
    copies.push(("converted to grey".to_owned(), Thumbnail::of(&grey)));
    let half = original.resize(
        original.width() / 2,
        original.height() / 2,
        image::imageops::FilterType::Triangle,
    );
    copies.push(("scaled to half".to_owned(), Thumbnail::of(&half)));
    for (name, copy) in &copies {
        let distance = reference.distance(copy);
        println!("same image, {name}: {}", measured(&reference, copy));
        largest = largest.max(distance);
        assert!(reference.same_image(copy), "{name}: distance {distance}");
    }
    println!("same image: largest distance {largest:.3}");
}

/// Five scans of the same sheet (sim seeds 1-5: placement skew, resolution, colour, noise and
/// the signatures drawn differ).
#[test]
fn other_scans_of_the_same_sheet_are_not_the_same_image() {
    let scans: Vec<Thumbnail> = (1..=5)
        .map(|seed| {
            Thumbnail::of(&scan_of(
                REAL_PAYLOADS[0],
                &Condition::Dpi200.degradation(seed),
            ))
        })
        .collect();
    let mut smallest = f64::MAX;
    for (one, first) in scans.iter().enumerate() {
        for (two, second) in scans.iter().enumerate().skip(one + 1) {
            let distance = first.distance(second);
            println!(
                "scans {} and {}: {}",
                one + 1,
                two + 1,
                measured(first, second)
            );
            smallest = smallest.min(distance);
            assert!(
                !first.same_image(second),
                "scans {} and {}: distance {distance}",
                one + 1,
                two + 1
            );
        }
    }
    println!("other scans: smallest distance {smallest:.3}");
}

/// The same paper (same signatures) captured again: placed a little further along or turned a
/// little, or lit a little brighter; everything else equal.
#[test]
fn the_same_paper_placed_or_lit_differently_is_not_the_same_image() {
    let base = Degradation {
        seed: 7,
        ..Degradation::default()
    };
    let reference = Thumbnail::of(&scan_of(REAL_PAYLOADS[0], &base));
    let original = scan_of(REAL_PAYLOADS[0], &base).to_rgb8();
    let mut cases: Vec<(String, Thumbnail)> = Vec::new();
    for skew in [0.1, 0.2, 0.5] {
        let turned = Degradation {
            skew_degrees: skew,
            ..base.clone()
        };
        cases.push((
            format!("turned {skew} degrees"),
            Thumbnail::of(&scan_of(REAL_PAYLOADS[0], &turned)),
        ));
    }
    for shift in [2, 4, 8] {
        // Placed `shift` pixels (0.25, 0.5, 1 mm at 200 dpi) further right and down on the glass.
        let shifted = RgbImage::from_fn(original.width(), original.height(), |x, y| {
            if x < shift || y < shift {
                image::Rgb([255, 255, 255])
            } else {
                *original.get_pixel(x - shift, y - shift)
            }
        });
        cases.push((
            format!("shifted {shift} px"),
            Thumbnail::of(&DynamicImage::ImageRgb8(shifted)),
        ));
    }
    for lighter in [3u8, 6] {
        let lit = RgbImage::from_fn(original.width(), original.height(), |x, y| {
            image::Rgb(
                original
                    .get_pixel(x, y)
                    .0
                    .map(|value| value.saturating_add(lighter)),
            )
        });
        cases.push((
            format!("{lighter} levels lighter"),
            Thumbnail::of(&DynamicImage::ImageRgb8(lit)),
        ));
    }
    for (name, case) in &cases {
        println!("same paper, {name}: {}", measured(&reference, case));
        assert!(
            !reference.same_image(case),
            "{name}: {}",
            measured(&reference, case)
        );
    }
}

#[test]
fn another_sheet_is_not_the_same_image() {
    let one = Thumbnail::of(&scan_of(REAL_PAYLOADS[0], &Degradation::default()));
    let two = Thumbnail::of(&scan_of(REAL_PAYLOADS[1], &Degradation::default()));
    let distance = one.distance(&two);
    println!("two sheets: {}", measured(&one, &two));
    assert!(!one.same_image(&two), "distance {distance}");
}

/// Measures what a thumbnail costs on a 2,500 x 3,500 page (no assertion: machines differ).
#[test]
fn thumbnail_of_a_large_page_is_cheap() {
    let grey = DynamicImage::ImageLuma8(GrayImage::from_fn(2500, 3500, |x, y| {
        image::Luma([((x * 7 + y * 13) % 256).to_le_bytes()[0]])
    }));
    let colour = DynamicImage::ImageRgb8(RgbImage::from_fn(2500, 3500, |x, y| {
        image::Rgb([
            x.to_le_bytes()[0],
            y.to_le_bytes()[0],
            (x + y).to_le_bytes()[0],
        ])
    }));
    for (name, page) in [("grey", &grey), ("colour", &colour)] {
        // The fastest of ten runs: the least disturbed by whatever else the machine runs.
        let fastest = (0..10)
            .map(|_| {
                let started = Instant::now();
                std::hint::black_box(Thumbnail::of(std::hint::black_box(page)));
                started.elapsed().as_secs_f64() * 1000.0
            })
            .fold(f64::MAX, f64::min);
        println!("thumbnail of a 2500 x 3500 {name} page: {fastest:.1} ms");
    }
}
