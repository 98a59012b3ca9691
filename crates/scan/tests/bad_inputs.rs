//! Files that are not scans, or hostile ones, give their specific error, quickly, without panic.

use std::time::{Duration, Instant};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use veedor_scan::{Format, Limits, ScanError, read_pages, scan};
use veedor_sim::sheet::{FileFormat, encode};

use crate::support::{REAL_PAYLOADS, small_page};

fn check(bytes: &[u8], expected: ScanError) {
    assert_eq!(read_pages(bytes, &Limits::default()).unwrap_err(), expected);
    assert_eq!(scan(bytes, &Limits::default()).unwrap_err(), expected);
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut chunk = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
    chunk.extend_from_slice(kind);
    chunk.extend_from_slice(data);
    let mut crc = flate2::Crc::new();
    crc.update(kind);
    crc.update(data);
    chunk.extend_from_slice(&crc.sum().to_be_bytes());
    chunk
}

/// A valid PNG whose header claims `width` x `height` RGB pixels, with almost no data: what a
/// decompression bomb looks like before it is inflated.
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut header = width.to_be_bytes().to_vec();
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut encoder, &vec![0u8; 1 << 16]).unwrap();
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend(png_chunk(b"IHDR", &header));
    bytes.extend(png_chunk(b"IDAT", &encoder.finish().unwrap()));
    bytes.extend(png_chunk(b"IEND", &[]));
    bytes
}

#[test]
fn empty_file() {
    check(&[], ScanError::Empty);
}

#[test]
fn random_bytes() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut bytes = vec![0u8; 4096];
    rng.fill(&mut bytes[..]);
    bytes[0] = 0x42;
    let error = read_pages(&bytes, &Limits::default()).unwrap_err();
    assert!(matches!(error, ScanError::NotAnImage { .. }), "{error}");
    assert!(
        error
            .to_string()
            .starts_with("not a jpeg, png, tiff or pdf file")
    );
}

#[test]
fn text_file() {
    assert!(matches!(
        read_pages(b"CENTRO,MESA\n201301006,1\n", &Limits::default()),
        Err(ScanError::NotAnImage { .. })
    ));
}

#[test]
fn truncated_jpeg() {
    let bytes = encode(
        &[small_page(REAL_PAYLOADS[0])],
        FileFormat::Jpeg { quality: 80 },
    )
    .unwrap();
    check(
        &bytes[..bytes.len() / 2],
        ScanError::Truncated {
            format: Format::Jpeg,
        },
    );
    check(
        &bytes[..bytes.len() - 2],
        ScanError::Truncated {
            format: Format::Jpeg,
        },
    );
    check(
        &bytes[..3],
        ScanError::Truncated {
            format: Format::Jpeg,
        },
    );
}

#[test]
fn truncated_png() {
    let bytes = encode(&[small_page(REAL_PAYLOADS[0])], FileFormat::Png).unwrap();
    check(
        &bytes[..bytes.len() / 2],
        ScanError::Truncated {
            format: Format::Png,
        },
    );
    check(
        &bytes[..20],
        ScanError::Truncated {
            format: Format::Png,
        },
    );
}

#[test]
fn truncated_pdf_and_tiff() {
    let page = small_page(REAL_PAYLOADS[0]);
    let pdf = encode(
        std::slice::from_ref(&page),
        FileFormat::Pdf {
            quality: 80,
            dpi: 60,
        },
    )
    .unwrap();
    assert!(read_pages(&pdf[..pdf.len() / 2], &Limits::default()).is_err());
    let tiff = encode(&[page], FileFormat::Tiff).unwrap();
    let error = read_pages(&tiff[..tiff.len() / 2], &Limits::default()).unwrap_err();
    assert!(
        matches!(
            error,
            ScanError::Truncated {
                format: Format::Tiff
            } | ScanError::Corrupt {
                format: Format::Tiff,
                ..
            }
        ),
        "{error}"
    );
}

#[test]
fn decompression_bomb_png_fails_fast() {
    let bytes = png_claiming(100_000, 100_000);
    let start = Instant::now();
    check(
        &bytes,
        ScanError::ImageTooLarge {
            page: 1,
            width: 100_000,
            height: 100_000,
            limit: 12_000,
        },
    );
    assert!(start.elapsed() < Duration::from_secs(1));
}

/// A whole, valid PNG of a blank white grey page, `side` x `side`, compressed as far as
/// deflate goes (about a thousand times).
fn blank_png(side: u32) -> Vec<u8> {
    let mut header = side.to_be_bytes().to_vec();
    header.extend_from_slice(&side.to_be_bytes());
    header.extend_from_slice(&[8, 0, 0, 0, 0]);
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let mut row = vec![255u8; usize::try_from(side).unwrap() + 1];
    row[0] = 0;
    for _ in 0..side {
        std::io::Write::write_all(&mut encoder, &row).unwrap();
    }
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend(png_chunk(b"IHDR", &header));
    bytes.extend(png_chunk(b"IDAT", &encoder.finish().unwrap()));
    bytes.extend(png_chunk(b"IEND", &[]));
    bytes
}

#[test]
fn a_blank_page_of_absurd_size_is_refused_from_its_header() {
    // Each side within the 12,000 limit, 144 million pixels in a 140 KB file: it used to cost
    // 7 s and 0.5 GB. Now it is refused before a pixel is inflated.
    let bytes = blank_png(12_000);
    assert!(bytes.len() < 200 * 1024, "{} bytes", bytes.len());
    let expected = ScanError::TooManyPixels {
        page: 1,
        width: 12_000,
        height: 12_000,
        limit: 64_000_000,
    };
    let start = Instant::now();
    check(&bytes, expected.clone());
    assert!(
        start.elapsed() < Duration::from_millis(500),
        "{:?}",
        start.elapsed()
    );
    assert!(
        expected
            .to_string()
            .contains("more than the limit of 64000000 pixels a page"),
        "{expected}"
    );
}

#[test]
fn image_within_side_limit_but_over_memory_limit() {
    let bytes = png_claiming(7_000, 7_000);
    let limits = Limits {
        max_decoded_bytes: 64 * 1024 * 1024,
        ..Limits::default()
    };
    assert_eq!(
        read_pages(&bytes, &limits).unwrap_err(),
        ScanError::MemoryLimit {
            page: 1,
            limit: 64 * 1024 * 1024
        }
    );
}

#[test]
fn file_over_size_limit() {
    let limits = Limits {
        max_file_bytes: 10,
        ..Limits::default()
    };
    assert_eq!(
        read_pages(&[0xFF; 11], &limits).unwrap_err(),
        ScanError::FileTooLarge {
            bytes: 11,
            limit: 10
        }
    );
}

#[test]
fn messages_are_lower_case() {
    let errors = [
        ScanError::Empty,
        ScanError::Truncated {
            format: Format::Png,
        },
        ScanError::PdfPageWithoutImage { page: 2 },
        ScanError::ImageTooLarge {
            page: 1,
            width: 1,
            height: 1,
            limit: 1,
        },
        ScanError::TooManyPixels {
            page: 1,
            width: 1,
            height: 1,
            limit: 1,
        },
    ];
    for error in errors {
        let message = error.to_string();
        assert!(message.chars().next().unwrap().is_lowercase(), "{message}");
        assert!(!message.ends_with('.'), "{message}");
    }
}
