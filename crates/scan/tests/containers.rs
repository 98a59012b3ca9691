//! Multi-page files: PDF and TIFF pages come out in order, with their numbers.

use veedor_scan::{Format, Limits, ScanError, read_pages, scan};
use veedor_sim::sheet::{Degradation, FileFormat, encode, render};

use crate::support::{GENERATED_PAYLOADS, REAL_PAYLOADS, pdf, sheet, small_page, stream};

fn scanner_page(payload: &str, colour: bool) -> image::DynamicImage {
    let degradation = Degradation {
        dpi: 150,
        colour,
        ..Degradation::default()
    };
    render(&sheet(payload), &degradation).unwrap()
}

fn payloads_in_order(bytes: &[u8]) -> Vec<(usize, Vec<String>)> {
    scan(bytes, &Limits::default())
        .unwrap()
        .pages
        .into_iter()
        .map(|page| (page.page.number, page.result.payloads))
        .collect()
}

#[test]
fn two_page_pdf_yields_two_payloads_in_order() {
    let pages = [
        scanner_page(REAL_PAYLOADS[0], true),
        scanner_page(REAL_PAYLOADS[2], false),
    ];
    let bytes = encode(
        &pages,
        FileFormat::Pdf {
            quality: 80,
            dpi: 150,
        },
    )
    .unwrap();
    assert_eq!(
        payloads_in_order(&bytes),
        vec![
            (1, vec![REAL_PAYLOADS[0].to_owned()]),
            (2, vec![REAL_PAYLOADS[2].to_owned()])
        ]
    );
}

#[test]
fn multi_page_tiff_yields_payloads_in_order() {
    let pages = [
        scanner_page(GENERATED_PAYLOADS[0], false),
        scanner_page(REAL_PAYLOADS[1], true),
        scanner_page(GENERATED_PAYLOADS[1], false),
    ];
    let bytes = encode(&pages, FileFormat::Tiff).unwrap();
    assert_eq!(
        payloads_in_order(&bytes),
        vec![
            (1, vec![GENERATED_PAYLOADS[0].to_owned()]),
            (2, vec![REAL_PAYLOADS[1].to_owned()]),
            (3, vec![GENERATED_PAYLOADS[1].to_owned()]),
        ]
    );
}

#[test]
fn pdf_page_image_compressed_with_flate_and_png_predictor() {
    let grey = scanner_page(REAL_PAYLOADS[1], false).to_luma8();
    let (width, height) = grey.dimensions();
    // PNG "Up" filter on every row, as many PDF writers store scans losslessly.
    let mut filtered = Vec::new();
    for y in 0..height {
        filtered.push(2u8);
        for x in 0..width {
            let above = if y == 0 {
                0
            } else {
                grey.get_pixel(x, y - 1).0[0]
            };
            filtered.push(grey.get_pixel(x, y).0[0].wrapping_sub(above));
        }
    }
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut encoder, &filtered).unwrap();
    let compressed = encoder.finish().unwrap();
    let bytes = pdf(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Scan 5 0 R >> >> /Contents 4 0 R >>".to_vec(),
        stream("", b"q 612 0 0 792 0 0 cm /Scan Do Q"),
        stream(
            &format!(
                "/Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace /DeviceGray \
                 /BitsPerComponent 8 /Filter /FlateDecode /DecodeParms << /Predictor 15 /Columns {width} >>"
            ),
            &compressed,
        ),
    ]);
    assert_eq!(
        payloads_in_order(&bytes),
        vec![(1, vec![REAL_PAYLOADS[1].to_owned()])]
    );
}

#[test]
fn pdf_page_without_image_is_an_error() {
    let image_page = encode(
        &[small_page(REAL_PAYLOADS[0])],
        FileFormat::Jpeg { quality: 80 },
    )
    .unwrap();
    let bytes = pdf(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R 5 0 R] /Count 2 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Im0 4 0 R >> >> >>".to_vec(),
        stream(
            "/Type /XObject /Subtype /Image /Width 510 /Height 660 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode",
            &image_page,
        ),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 6 0 R >> >> /Contents 7 0 R >>".to_vec(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec(),
        stream("", b"BT /F1 24 Tf 72 700 Td (typed, not scanned) Tj ET"),
    ]);
    assert_eq!(
        read_pages(&bytes, &Limits::default()).unwrap_err(),
        ScanError::PdfPageWithoutImage { page: 2 }
    );
}

#[test]
fn formats_are_sniffed_from_bytes() {
    let page = small_page(REAL_PAYLOADS[0]);
    let check = |format: FileFormat, expected: Format| {
        let bytes = encode(std::slice::from_ref(&page), format).unwrap();
        assert_eq!(veedor_scan::sniff(&bytes), Some(expected));
        let pages = read_pages(&bytes, &Limits::default()).unwrap();
        assert_eq!(pages.len(), 1);
        assert_eq!(
            (pages[0].image.width(), pages[0].image.height()),
            (510, 660)
        );
    };
    check(FileFormat::Jpeg { quality: 70 }, Format::Jpeg);
    check(FileFormat::Png, Format::Png);
    check(FileFormat::Tiff, Format::Tiff);
    check(
        FileFormat::Pdf {
            quality: 70,
            dpi: 60,
        },
        Format::Pdf,
    );
}

#[test]
fn too_many_pages() {
    let pages = vec![small_page(REAL_PAYLOADS[0]); 3];
    let bytes = encode(
        &pages,
        FileFormat::Pdf {
            quality: 50,
            dpi: 60,
        },
    )
    .unwrap();
    let limits = Limits {
        max_pages: 2,
        ..Limits::default()
    };
    assert_eq!(
        read_pages(&bytes, &limits).unwrap_err(),
        ScanError::TooManyPages { pages: 3, limit: 2 }
    );
    let bytes = encode(&pages, FileFormat::Tiff).unwrap();
    assert!(matches!(
        read_pages(&bytes, &limits),
        Err(ScanError::TooManyPages { limit: 2, .. })
    ));
}

#[test]
fn hashes_of_a_file_and_its_pages() {
    let first = scanner_page(REAL_PAYLOADS[0], false);
    let bytes = encode(
        std::slice::from_ref(&first),
        FileFormat::Jpeg { quality: 90 },
    )
    .unwrap();
    let outcome = scan(&bytes, &Limits::default()).unwrap();
    assert_eq!(outcome.sha256, veedor_scan::sha256(&bytes));
    // The same sheet saved at another quality hashes close; a page of another kind does not.
    let again = encode(
        std::slice::from_ref(&first),
        FileFormat::Jpeg { quality: 40 },
    )
    .unwrap();
    let mut other_page = first.to_luma8();
    image::imageops::flip_vertical_in_place(&mut other_page);
    let other = encode(
        &[image::DynamicImage::ImageLuma8(other_page)],
        FileFormat::Jpeg { quality: 90 },
    )
    .unwrap();
    let hash = |bytes: &[u8]| read_pages(bytes, &Limits::default()).unwrap()[0].perceptual_hash();
    assert!((hash(&bytes) ^ hash(&again)).count_ones() <= 4);
    assert!((hash(&bytes) ^ hash(&other)).count_ones() >= 12);
}

#[test]
fn sha256_of_empty_input_is_the_standard_vector() {
    // FIPS 180-2 / NIST: SHA-256("") = e3b0c442...
    assert_eq!(veedor_scan::sha256(b"")[..4], [0xe3, 0xb0, 0xc4, 0x42]);
}

#[test]
fn pdf_page_image_in_ccitt_group_4_from_a_black_and_white_scanner() {
    let grey = scanner_page(REAL_PAYLOADS[2], false).to_luma8();
    let (width, height) = grey.dimensions();
    let mut encoder = fax::encoder::Encoder::new(fax::VecWriter::new());
    for y in 0..height {
        let line = (0..width).map(|x| {
            if grey.get_pixel(x, y).0[0] < 140 {
                fax::Color::Black
            } else {
                fax::Color::White
            }
        });
        encoder
            .encode_line(line, u16::try_from(width).unwrap())
            .unwrap();
    }
    let compressed = encoder.finish().unwrap().finish();
    let bytes = pdf(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Im1 5 0 R >> >> /Contents 4 0 R >>".to_vec(),
        stream("", b"q 612 0 0 792 0 0 cm /Im1 Do Q"),
        stream(
            &format!(
                "/Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace /DeviceGray \
                 /BitsPerComponent 1 /Filter /CCITTFaxDecode /DecodeParms << /K -1 /Columns {width} /Rows {height} >>"
            ),
            &compressed,
        ),
    ]);
    let pages = read_pages(&bytes, &Limits::default()).unwrap();
    // Paper stays white: the polarity is right.
    assert_eq!(pages[0].image.to_luma8().get_pixel(5, 5).0[0], 255);
    assert_eq!(
        payloads_in_order(&bytes),
        vec![(1, vec![REAL_PAYLOADS[2].to_owned()])]
    );
}
