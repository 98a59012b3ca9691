//! Decoder measurement for veedor-scan (see bench/scan/README.md and run.py).
//!
//! - `render DIR [PER_CONDITION]`: renders a fixed, seeded set of acta sheets (every
//!   `Condition`, PER_CONDITION each, default 13) as JPEG files, with `manifest.tsv`
//!   (file, condition, payload).
//! - `decode DIR DECODER`: reads every file of the manifest, single-threaded, and prints one
//!   line per file: file, 1 if the payload read equals the manifest's (else 0), milliseconds
//!   (file decoding included), and the strategy used. DECODER: `ladder` (veedor-scan), `rxing`
//!   (rxing's first try only: the grey page, hybrid binarizer, no try-harder), `rqrr`, or one
//!   strategy by name (`reduced`, `fast`, `full`, `ink`, `dropout`, `corners`, `flattened`); `ladder` runs the whole
//!   of `scan`, as `veedor ingest` does.
//! - `parallel DIR`: the ladder over all files with rayon; prints files per second.
//! - `nocode`: the time the whole ladder takes on a page whose code is painted over.
//! - `stages DIR`: where the milliseconds of a page go (decoding, grey conversion, first rungs),
//!   medians per condition.

use std::path::{Path, PathBuf};
use std::time::Instant;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use veedor_scan::{Limits, Strategy, decode_with, read_pages, scan};
use veedor_sim::sheet::{
    Condition, FileFormat, Sheet, Ve2024Place, encode, render, ve2024_payload,
};

/// The three real payloads of shared/data/ve2024/README.md.
const REAL_PAYLOADS: [&str; 3] = [
    "201301006.01.1.0001!140,7,10,8,1,7,1,0,2,3,0,1,8,1,0,1,0,3,1,1,0,1,0,0,0,0,0,0,1,2,0,0,0,5,7,155,1,1!0!0",
    "110601011.04.1.0001!122,1,0,0,4,2,0,0,2,1,0,1,2,1,0,0,0,5,0,2,0,0,0,0,0,0,0,0,1,0,0,0,0,8,22,406,0,1!0!0",
    "150702005.02.1.0001!105,7,2,0,4,1,0,1,1,1,0,2,44,2,1,0,0,1,0,1,0,0,0,1,0,0,0,0,1,0,1,0,0,7,13,350,0,2!0!0",
];

/// A plausible payload: a random table with counts shaped like the real ones.
fn generated_payload(seed: u64) -> String {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let acta_id = format!(
        "{:02}{:02}{:02}{:03}.{:02}.1.0001",
        rng.random_range(1..25),
        rng.random_range(1..22),
        rng.random_range(1..12),
        rng.random_range(1..60),
        rng.random_range(1..9)
    );
    let mut counts = [0u32; 38];
    for count in &mut counts {
        *count = if rng.random_bool(0.5) {
            rng.random_range(0..9)
        } else {
            0
        };
    }
    counts[0] = rng.random_range(20..260);
    counts[35] = rng.random_range(40..480);
    counts[34] = rng.random_range(0..40);
    counts[12] = rng.random_range(0..50);
    ve2024_payload(&acta_id, &counts, rng.random_range(0..4))
}

fn place(seed: u64) -> Ve2024Place {
    let names = [
        "EDO. ZULIA",
        "EDO. MIRANDA",
        "DTTO. CAPITAL",
        "EDO. LARA",
        "EDO. CARABOBO",
    ];
    let index = usize::try_from(seed % 5).unwrap_or(0);
    Ve2024Place {
        state: names[index].to_owned(),
        municipality: "MP. LIBERTADOR".to_owned(),
        parish: "PQ. SANTA ROSALIA".to_owned(),
        centre: "ESCUELA BOLIVARIANA LOS MANGOS".to_owned(),
    }
}

fn render_set(
    folder: &Path,
    per_condition: u64,
    only: Option<&str>,
) -> Result<(), Box<dyn std::error::Error>> {
    std::fs::create_dir_all(folder)?;
    let mut manifest = String::new();
    let jobs: Vec<(Condition, u64)> = Condition::ALL
        .iter()
        .filter(|condition| {
            only.is_none_or(|names| names.split(',').any(|name| name == condition.name()))
        })
        .flat_map(|condition| (0..per_condition).map(move |index| (*condition, index)))
        .collect();
    let lines: Vec<Result<String, String>> = jobs
        .par_iter()
        .map(|(condition, index)| {
            let seed = 1000 * (*condition as u64 + 1) + index;
            let payload = if index % 4 == 0 {
                REAL_PAYLOADS[usize::try_from(index / 4 % 3).unwrap_or(0)].to_owned()
            } else {
                generated_payload(seed)
            };
            let sheet = Sheet::ve2024(&payload, &place(seed)).map_err(|error| error.to_string())?;
            let degradation = condition.degradation(seed);
            let image = render(&sheet, &degradation).map_err(|error| error.to_string())?;
            let bytes = encode(
                &[image],
                FileFormat::Jpeg {
                    quality: degradation.jpeg_quality,
                },
            )
            .map_err(|error| error.to_string())?;
            let name = format!("{}_{index:03}.jpg", condition.name());
            std::fs::write(folder.join(&name), bytes).map_err(|error| error.to_string())?;
            Ok(format!("{name}\t{}\t{payload}\n", condition.name()))
        })
        .collect();
    for line in lines {
        manifest.push_str(&line?);
    }
    std::fs::write(folder.join("manifest.tsv"), manifest)?;
    Ok(())
}

fn manifest(folder: &Path) -> Result<Vec<(PathBuf, String)>, Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(folder.join("manifest.tsv"))?;
    Ok(text
        .lines()
        .filter_map(|line| {
            let mut fields = line.split('\t');
            let file = fields.next()?;
            let payload = fields.nth(1)?;
            Some((folder.join(file), payload.to_owned()))
        })
        .collect())
}

fn strategies(decoder: &str) -> Option<Vec<Strategy>> {
    Some(match decoder {
        "ladder" => Strategy::LADDER.to_vec(),
        "reduced" => vec![Strategy::Reduced],
        "fast" => vec![Strategy::Fast],
        "full" => vec![Strategy::FullTryHarder],
        "dropout" => vec![Strategy::ColourDropout],
        "corners" => vec![Strategy::Corners],
        "flattened" => vec![Strategy::FlattenedLight],
        "ink" => vec![Strategy::InkThreshold],
        _ => return None,
    })
}

/// One file with one decoder: (payloads, strategy name).
fn decode_file(bytes: &[u8], decoder: &str) -> (Vec<String>, String) {
    if decoder == "ladder" {
        // What `veedor ingest` runs: the whole of `scan`, file reading included.
        let Ok(outcome) = scan(bytes, &Limits::default()) else {
            return (Vec::new(), "unreadable".to_owned());
        };
        let Some(page) = outcome.pages.into_iter().next() else {
            return (Vec::new(), "no page".to_owned());
        };
        let strategy = page
            .result
            .strategy
            .map_or("-".to_owned(), |strategy| format!("{strategy:?}"));
        return (page.result.payloads, strategy);
    }
    let Ok(pages) = read_pages(bytes, &Limits::default()) else {
        return (Vec::new(), "unreadable".to_owned());
    };
    let Some(page) = pages.first() else {
        return (Vec::new(), "no page".to_owned());
    };
    match decoder {
        "rxing" => (rxing_first_try(&page.image), "rxing".to_owned()),
        "rqrr" => (rqrr_decode(&page.image), "rqrr".to_owned()),
        other => {
            let ladder = strategies(other).unwrap_or_else(|| Strategy::LADDER.to_vec());
            let result = decode_with(&page.image, &ladder);
            let strategy = result
                .strategy
                .map_or("-".to_owned(), |strategy| format!("{strategy:?}"));
            (result.payloads, strategy)
        }
    }
}

/// rxing as its README shows it: the grey image, hybrid binarizer, QR only, one call.
fn rxing_first_try(image: &image::DynamicImage) -> Vec<String> {
    let grey = image.to_luma8();
    let (width, height) = grey.dimensions();
    let mut hints = rxing::DecodeHints {
        TryHarder: Some(false),
        ..rxing::DecodeHints::default()
    };
    rxing::helpers::detect_in_luma_with_hints(
        grey.into_raw(),
        width,
        height,
        Some(rxing::BarcodeFormat::QR_CODE),
        &mut hints,
    )
    .map(|result| vec![result.getText().to_owned()])
    .unwrap_or_default()
}

fn rqrr_decode(image: &image::DynamicImage) -> Vec<String> {
    let grey = image.to_luma8();
    let (width, height) = (grey.width() as usize, grey.height() as usize);
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
        grey.as_raw()[y * width + x]
    });
    prepared
        .detect_grids()
        .iter()
        .filter_map(|grid| grid.decode().ok().map(|(_, text)| text))
        .collect()
}

/// Where the milliseconds of a page go: each stage timed alone on every file of the manifest,
/// medians printed per condition. `read`: the ordinary decode to colour or grey (image's
/// zune-jpeg); `grey`: zune-jpeg straight to grey; `to_luma8`: image's grey conversion of the
/// colour page; then the first two rungs alone on the grey page, and the whole of `scan`.
fn stages(folder: &Path) -> Result<(), Box<dyn std::error::Error>> {
    use std::collections::BTreeMap;
    let columns = ["read", "grey", "to_luma8", "Reduced", "Fast", "scan"];
    let mut by_condition: BTreeMap<String, Vec<([f64; 6], bool, bool)>> = BTreeMap::new();
    let text = std::fs::read_to_string(folder.join("manifest.tsv"))?;
    for line in text.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        let [file, condition, _payload] = fields[..] else {
            continue;
        };
        let bytes = std::fs::read(folder.join(file))?;
        let time = |work: &mut dyn FnMut()| {
            let start = Instant::now();
            work();
            start.elapsed().as_secs_f64() * 1000.0
        };
        let mut pages = Vec::new();
        let read = time(&mut || pages = read_pages(&bytes, &Limits::default()).unwrap_or_default());
        let Some(page) = pages.first() else {
            continue;
        };
        let grey_decode = time(&mut || {
            let options = zune_core::options::DecoderOptions::default()
                .jpeg_set_out_colorspace(zune_core::colorspace::ColorSpace::Luma);
            let mut decoder = zune_jpeg::JpegDecoder::new_with_options(&bytes[..], options);
            std::hint::black_box(decoder.decode().ok());
        });
        let mut grey = image::GrayImage::new(1, 1);
        let to_luma = time(&mut || grey = page.image.to_luma8());
        let grey_page = image::DynamicImage::ImageLuma8(grey);
        let (mut reduced_read, mut fast_read) = (false, false);
        let reduced = time(&mut || {
            reduced_read = !decode_with(&grey_page, &[Strategy::Reduced])
                .payloads
                .is_empty();
        });
        let fast = time(&mut || {
            fast_read = !decode_with(&grey_page, &[Strategy::Fast])
                .payloads
                .is_empty();
        });
        let whole = time(&mut || std::mem::drop(scan(&bytes, &Limits::default())));
        by_condition.entry(condition.to_owned()).or_default().push((
            [read, grey_decode, to_luma, reduced, fast, whole],
            reduced_read,
            fast_read,
        ));
    }
    println!(
        "condition\tfiles\t{}\tread by Reduced\tread by Fast",
        columns.join("\t")
    );
    for (condition, rows) in by_condition {
        let median = |column: usize| {
            let mut values: Vec<f64> = rows.iter().map(|row| row.0[column]).collect();
            values.sort_by(f64::total_cmp);
            values[values.len() / 2]
        };
        let medians: Vec<String> = (0..columns.len())
            .map(|column| format!("{:.1}", median(column)))
            .collect();
        println!(
            "{condition}\t{}\t{}\t{}\t{}",
            rows.len(),
            medians.join("\t"),
            rows.iter().filter(|row| row.1).count(),
            rows.iter().filter(|row| row.2).count()
        );
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    match arguments.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["render", folder] => render_set(Path::new(folder), 13, None),
        ["render", folder, count] => render_set(Path::new(folder), count.parse()?, None),
        ["render", folder, count, only] => {
            render_set(Path::new(folder), count.parse()?, Some(only))
        }
        ["decode", folder, decoder] => {
            for (path, payload) in manifest(Path::new(folder))? {
                let bytes = std::fs::read(&path)?;
                let start = Instant::now();
                let (payloads, strategy) = decode_file(&bytes, decoder);
                let milliseconds = start.elapsed().as_secs_f64() * 1000.0;
                let ok = u8::from(payloads.first() == Some(&payload));
                let name = path
                    .file_name()
                    .map(|name| name.to_string_lossy().into_owned())
                    .unwrap_or_default();
                println!("{name}\t{ok}\t{milliseconds:.1}\t{strategy}");
            }
            Ok(())
        }
        ["parallel", folder] => {
            let files = manifest(Path::new(folder))?;
            let start = Instant::now();
            let read: usize = files
                .par_iter()
                .map(|(path, payload)| {
                    let bytes = std::fs::read(path).unwrap_or_default();
                    usize::from(decode_file(&bytes, "ladder").0.first() == Some(payload))
                })
                .sum();
            let seconds = start.elapsed().as_secs_f64();
            println!(
                "{} files, {read} read, {seconds:.1} s, {:.2} files/s on {} threads",
                files.len(),
                files.len() as f64 / seconds,
                rayon::current_num_threads()
            );
            Ok(())
        }
        ["stages", folder] => stages(Path::new(folder)),
        ["nocode"] => {
            // The cost of a page the ladder cannot read: a sheet with its code painted over.
            for dpi in [150, 200, 300] {
                let sheet = Sheet::ve2024(REAL_PAYLOADS[0], &place(0))?;
                let degradation = veedor_sim::sheet::Degradation { dpi, ..Default::default() };
                let mut page = render(&sheet, &degradation)?.to_rgb8();
                let inch = |inches: f64| {
                    let pixels = inches * f64::from(dpi);
                    format!("{pixels:.0}").parse::<u32>().unwrap_or(0)
                };
                for y in inch(8.9)..inch(10.5) {
                    for x in inch(0.6)..inch(2.3) {
                        page.put_pixel(x, y, image::Rgb([250, 250, 250]));
                    }
                }
                let page = image::DynamicImage::ImageRgb8(page);
                for strategy in Strategy::LADDER {
                    let start = Instant::now();
                    let _ = decode_with(&page, &[strategy]);
                    print!("{strategy:?} {:.0} ms, ", start.elapsed().as_secs_f64() * 1000.0);
                }
                let start = Instant::now();
                let result = decode_with(&page, &Strategy::LADDER);
                println!(
                    "{dpi} dpi, no code: {} payloads after {} strategies in {:.0} ms",
                    result.payloads.len(),
                    result.attempts,
                    start.elapsed().as_secs_f64() * 1000.0
                );
            }
            Ok(())
        }
        _ => Err("usage: scan_bench render DIR [N [CONDITIONS]] | decode DIR DECODER | parallel DIR | nocode | stages DIR".into()),
    }
}
