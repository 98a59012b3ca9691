//! The measurements behind the hand-written speed code of this crate, each piece beside the
//! library code it replaces, on the same rendered pages (bench/scan/RESULTS.md).
//!
//! `cargo run --release -p veedor-scan --features bench-internals --example hand_written`
//!
//! Prints, per resolution, the mean CPU milliseconds (this thread's, so other work on a shared
//! machine does not count) of: rxing's `HybridBinarizer` against
//! [`LocalThreshold`] (and that both give the same bits); `image`'s `to_luma8` against
//! [`to_grey`]; decoding the JPEG in colour (`read_pages`) then to grey against
//! [`jpeg_grey`]; and the first rung's work, a quick read of the whole page against the shrink
//! plus a quick read of the reduced page (and whether each read the code).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a benchmark run by hand: a failure should stop it loudly"
)]

use std::time::Instant;

use image::DynamicImage;
use rxing::common::HybridBinarizer;
use rxing::{Binarizer, Luma8Source};
use veedor_sim::sheet::{Condition, FileFormat, Sheet, Ve2024Place, encode, render};

use crate::binarize::LocalThreshold;
use crate::decode::{Reading, read, reduction, shrink, to_grey};
use crate::read::jpeg_grey;
use crate::{Limits, read_pages};

const PAYLOAD: &str = "201301006.01.1.0001!140,7,10,8,1,7,1,0,2,3,0,1,8,1,0,1,0,3,1,1,0,1,0,0,0,0,0,0,1,2,0,0,0,5,7,155,1,1!0!0";
const PAGES: u64 = 5;
/// The kernel here counts CPU time in 4 ms ticks: a mean over many runs, not a median.
const REPEATS: usize = 12;

/// Nanoseconds this thread has run on a CPU (from /proc/thread-self/schedstat), so that other
/// work on a shared machine does not count; the wall clock where the kernel does not say.
fn thread_cpu_ns(start: Instant) -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse::<f64>().ok())
        .unwrap_or_else(|| start.elapsed().as_secs_f64() * 1e9)
}

/// The mean CPU milliseconds of `work` over `REPEATS` runs.
fn mean_ms(mut work: impl FnMut()) -> f64 {
    let origin = Instant::now();
    let start = thread_cpu_ns(origin);
    for _ in 0..REPEATS {
        work();
    }
    (thread_cpu_ns(origin) - start) / 1e6 / REPEATS as f64
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Runs the measurement and prints its table (bench/scan/hand_written.rs).
pub fn hand_written_pieces_against_the_library() {
    let place = Ve2024Place {
        state: "EDO. ZULIA".to_owned(),
        municipality: "MP. MARACAIBO".to_owned(),
        parish: "PQ. CHIQUINQUIRA".to_owned(),
        centre: "U.E. NACIONAL SIMON BOLIVAR".to_owned(),
    };
    let sheet = Sheet::ve2024(PAYLOAD, &place).unwrap();
    println!(
        "dpi\tpages\thybrid (rxing)\thybrid (ours)\tto_luma8\tto_grey\tjpeg colour+grey\tjpeg grey\tquick full\tshrink+quick reduced\tread full/reduced"
    );
    for dpi in [150, 200, 300] {
        let mut rows: Vec<[f64; 8]> = Vec::new();
        let (mut read_full, mut read_reduced) = (0, 0);
        for seed in 0..PAGES {
            let mut degradation = Condition::Colour.degradation(seed);
            degradation.dpi = dpi;
            let image = render(&sheet, &degradation).unwrap();
            let bytes = encode(
                &[image],
                FileFormat::Jpeg {
                    quality: degradation.jpeg_quality,
                },
            )
            .unwrap();
            let colour = read_pages(&bytes, &Limits::default()).unwrap()[0]
                .image
                .clone();
            let DynamicImage::ImageRgb8(_) = colour else {
                panic!("expected a colour page at {dpi} dpi");
            };
            let grey = to_grey(&colour);
            let (width, height) = grey.dimensions();
            let source = || Luma8Source::new_with_slice(grey.as_raw(), width, height).unwrap();
            assert_eq!(
                HybridBinarizer::new(source()).get_black_matrix().unwrap(),
                LocalThreshold::new(source()).get_black_matrix().unwrap()
            );
            let hybrid_rxing = mean_ms(|| {
                std::hint::black_box(HybridBinarizer::new(source()).get_black_matrix().is_ok());
            });
            let hybrid_ours = mean_ms(|| {
                std::hint::black_box(LocalThreshold::new(source()).get_black_matrix().is_ok());
            });
            let luma8 = mean_ms(|| {
                std::hint::black_box(colour.to_luma8());
            });
            let ours = mean_ms(|| {
                std::hint::black_box(to_grey(&colour));
            });
            let jpeg_colour = mean_ms(|| {
                let pages = read_pages(&bytes, &Limits::default()).unwrap();
                std::hint::black_box(to_grey(&pages[0].image));
            });
            let jpeg_straight = mean_ms(|| {
                std::hint::black_box(jpeg_grey(&bytes, &Limits::default()).unwrap());
            });
            let factor = reduction(width.max(height));
            let quick_full = mean_ms(|| {
                std::hint::black_box(read(&grey, Reading::Quick));
            });
            // Below about 200 dpi the first rung is skipped (nothing to shrink): no figure.
            let quick_reduced = if factor > 1 {
                mean_ms(|| {
                    std::hint::black_box(read(&shrink(&grey, factor), Reading::Quick));
                })
            } else {
                f64::NAN
            };
            read_full += usize::from(
                read(&grey, Reading::Quick).first().map(String::as_str) == Some(PAYLOAD),
            );
            read_reduced += usize::from(
                read(&shrink(&grey, factor), Reading::Quick)
                    .first()
                    .map(String::as_str)
                    == Some(PAYLOAD),
            );
            rows.push([
                hybrid_rxing,
                hybrid_ours,
                luma8,
                ours,
                jpeg_colour,
                jpeg_straight,
                quick_full,
                quick_reduced,
            ]);
        }
        let cells: Vec<String> = (0..8)
            .map(|column| {
                format!(
                    "{:.1}",
                    median(rows.iter().map(|row| row[column]).collect())
                )
            })
            .collect();
        println!(
            "{dpi}\t{PAGES}\t{}\t{read_full}/{read_reduced}",
            cells.join("\t")
        );
    }
}
