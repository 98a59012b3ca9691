//! veedor-scan: the bytes of a scanned file -> page images -> the QR payloads on each page.
//!
//! Pure computation on bytes: no file system, network or clock. The caller reads the file and
//! keeps whatever it wants (the pages' images for previews, a person's review queue).
//!
//! # Entry points
//! - [`scan`]`(bytes, &Limits) -> Result<ScanOutcome, ScanError>`: everything at once. Every
//!   page is in the outcome, with its number, its image, and its [`PageResult`] (payloads, the
//!   [`Strategy`] that read them, the attempts made); a page whose code could not be read has no
//!   payload and is meant for a person.
//! - [`read_pages`]`(bytes, &Limits) -> Result<Vec<Page>, ScanError>`: only the images.
//! - [`decode_page`]`(&Page) -> PageResult` and [`decode_image`]: only the decoding, e.g. to
//!   spread pages over threads.
//! - [`sniff`]: the [`Format`] from the first bytes (never the file name).
//! - [`sha256`] of the file (also in [`ScanOutcome::sha256`]) and [`Page::perceptual_hash`],
//!   which stays close for two scans of the same sheet (Hamming distance, see its docs).
//!
//! # Formats
//! JPEG (its EXIF orientation applied, as phones record it), PNG, TIFF (every page of a
//! multi-page file), and PDF as scanners write them: each page
//! holds one image (DCTDecode JPEG, CCITT group 4 fax, FlateDecode with or without PNG
//! predictors, or raw samples; grey, RGB, CMYK, ICC-based or indexed; 1 or 8 bits), possibly
//! inside a form XObject; the page's largest image is taken. A PDF page without an image is an
//! error ([`ScanError::PdfPageWithoutImage`]); CCITT group 3, JBIG2, JPEG 2000 and encrypted
//! PDFs are reported as [`ScanError::Unsupported`]. A page's `/Rotate` is not applied (the QR
//! decoder does not care; a preview may show the page turned).
//!
//! # Limits
//! [`Limits`] bounds the file size, the pixels a side and a page (checked from each header
//! before any pixel buffer is allocated, so a PNG claiming 100,000 x 100,000, or a blank one of
//! 12,000 x 12,000, fails at once), the decoded bytes for the whole file, and the page count.
//!
//! # Decoding
//! The QR decoder is rxing (a Rust port of ZXing, including its C++ port's QR reader), chosen by
//! measurement (bench/scan/RESULTS.md), with ZXing's hybrid binarizer reimplemented here for
//! speed (same bits). It runs as a ladder, cheapest first, stopping at the first strategy that
//! reads a code: [`Strategy::LADDER`]. On a page of several codes (a Brazilian boletim de urna)
//! a strategy that read some and located one it could not read hands on to the next, and the
//! page gives every code read ([`PageResult::payloads`]). Nearly every page is read by the first rung (one quick
//! pass of the C++-port reader over the grey page shrunk to 100-200 dpi) or the second (the
//! same at full resolution); the later rungs (try-harder with two binarizers, a low "ink"
//! threshold after flattening the light, colour dropout, enlarged corner crops, flattened
//! light) only run on pages the first ones missed, so a page without a readable code costs the
//! most. [`scan`] decodes a JPEG straight to grey, and decodes its colour only for the colour
//! dropout rung. Decoding is single-threaded and deterministic; callers spread pages over
//! threads.
//!
//! Every QR code read is returned as text (rxing's character set detection; ve2024 payloads are
//! ASCII). Nothing here knows the acta format: `veedor-formats` parses payloads.

#![deny(missing_docs)]

mod binarize;
mod decode;
mod error;
mod limits;
mod pdf_image;
mod read;
mod similar;
mod strip;
#[cfg(feature = "bench-internals")]
#[doc(hidden)]
pub mod timing;

pub use decode::{PageResult, Strategy, decode_image, decode_page, decode_with};
pub use error::ScanError;
pub use limits::Limits;
pub use read::{Format, Page, read_pages, sniff};
pub use similar::Thumbnail;
pub use strip::{StripError, TIFF_KEPT_TAGS, strip_metadata};

/// Everything read from one file.
#[derive(Debug, Clone)]
pub struct ScanOutcome {
    /// SHA-256 of the file's bytes: the scan's content address.
    pub sha256: [u8; 32],
    /// The file's format, from its bytes.
    pub format: Format,
    /// Every page, in file order, read or not.
    pub pages: Vec<ScannedPage>,
}

/// One page and what was read on it.
#[derive(Debug, Clone)]
pub struct ScannedPage {
    /// The page: number (1-based) and image. The page of a JPEG file is kept as the ladder read
    /// it, in grey, unless a strategy needed its colour (so a page that goes to a person is in
    /// colour); [`read_pages`] gives every page as the file holds it.
    pub page: Page,
    /// The payloads read and how.
    pub result: PageResult,
}

/// Reads every page of a file and decodes the QR codes on each.
///
/// # Errors
/// When the file cannot be read as pages at all (see [`ScanError`]). A page without a readable
/// code is not an error.
pub fn scan(bytes: &[u8], limits: &Limits) -> Result<ScanOutcome, ScanError> {
    if sniff(bytes) == Some(Format::Jpeg)
        && let Some((grey, colour)) = read::jpeg_grey(bytes, limits)
    {
        // The ladder reads the grey page; the colour one is decoded only if a strategy needs it.
        let load_colour = || {
            colour
                .then(|| read::read_pages(bytes, limits).ok()?.into_iter().next())
                .flatten()
                .map(|page| page.image)
        };
        let (result, colour_page) = decode::decode_grey(&grey, &load_colour);
        let image = colour_page.unwrap_or(image::DynamicImage::ImageLuma8(grey));
        return Ok(ScanOutcome {
            sha256: sha256(bytes),
            format: Format::Jpeg,
            pages: vec![ScannedPage {
                page: Page { number: 1, image },
                result,
            }],
        });
    }
    let (format, pages) = read::read_format_and_pages(bytes, limits)?;
    Ok(ScanOutcome {
        sha256: sha256(bytes),
        format,
        pages: pages
            .into_iter()
            .map(|page| {
                let result = decode_page(&page);
                ScannedPage { page, result }
            })
            .collect(),
    })
}

/// SHA-256 of `bytes`.
#[must_use]
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).into()
}
