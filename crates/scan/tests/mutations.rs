//! A fuzzing smoke test for the stable toolchain: real files of every format, mutated at random
//! (bit flips, overwritten runs, cuts, insertions), must give pages or an error, never a panic.
//! The cargo-fuzz target in crates/scan/fuzz does the same open-ended on nightly.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use veedor_scan::{Limits, decode_page, read_pages};
use veedor_sim::sheet::{FileFormat, encode};

use crate::support::{REAL_PAYLOADS, small_page};

fn mutate(original: &[u8], rng: &mut ChaCha8Rng) -> Vec<u8> {
    let mut bytes = original.to_vec();
    for _ in 0..rng.random_range(1..6) {
        if bytes.is_empty() {
            break;
        }
        let at = rng.random_range(0..bytes.len());
        match rng.random_range(0..5) {
            0 => bytes[at] ^= 1 << rng.random_range(0..8),
            1 => {
                let end = (at + rng.random_range(1..64)).min(bytes.len());
                for byte in &mut bytes[at..end] {
                    *byte = rng.random();
                }
            }
            2 => bytes.truncate(at),
            3 => {
                let insert: Vec<u8> = (0..rng.random_range(1..32)).map(|_| rng.random()).collect();
                bytes.splice(at..at, insert);
            }
            _ => {
                // Large numbers where sizes and offsets live.
                bytes[at] = 0xFF;
            }
        }
    }
    bytes
}

#[test]
fn mutated_files_never_panic() {
    let page = small_page(REAL_PAYLOADS[2]);
    let originals = [
        encode(
            std::slice::from_ref(&page),
            FileFormat::Jpeg { quality: 60 },
        )
        .unwrap(),
        encode(std::slice::from_ref(&page), FileFormat::Png).unwrap(),
        encode(&[page.clone(), page.clone()], FileFormat::Tiff).unwrap(),
        encode(
            &[page.clone(), page],
            FileFormat::Pdf {
                quality: 60,
                dpi: 60,
            },
        )
        .unwrap(),
    ];
    let limits = Limits {
        max_decoded_bytes: 256 * 1024 * 1024,
        ..Limits::default()
    };
    let mut rng = ChaCha8Rng::seed_from_u64(2024);
    let mut read = 0;
    for round in 0..150 {
        for original in &originals {
            let bytes = mutate(original, &mut rng);
            if let Ok(pages) = read_pages(&bytes, &limits) {
                read += 1;
                // Decoding is the slow part; a sample of the readable mutants is enough.
                if round % 25 == 0 {
                    for page in &pages {
                        let _ = decode_page(page);
                    }
                }
            }
        }
    }
    assert!(
        read > 0,
        "some mutants (e.g. flipped pixel data) must still read"
    );
}
