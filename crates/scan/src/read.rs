//! File bytes -> page images: format sniffing, raster decoding under limits, TIFF pages and
//! PDF page images.

use std::fmt;
use std::io::{Cursor, Read};

use image::{DynamicImage, GrayImage, ImageDecoder, RgbImage};

use crate::{Limits, ScanError};

/// A file format read here, recognised from the file's first bytes (never its name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// JPEG (JFIF or EXIF), what flatbed scanners and phones write.
    Jpeg,
    /// PNG.
    Png,
    /// TIFF, one page or several.
    Tiff,
    /// PDF whose pages each hold a scanned image.
    Pdf,
}

impl fmt::Display for Format {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            Format::Jpeg => "jpeg",
            Format::Png => "png",
            Format::Tiff => "tiff",
            Format::Pdf => "pdf",
        })
    }
}

/// The format of `bytes` from its magic number, or `None`.
#[must_use]
pub fn sniff(bytes: &[u8]) -> Option<Format> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Format::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(Format::Png)
    } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        Some(Format::Tiff)
    } else if find(&bytes[..bytes.len().min(1024)], b"%PDF-").is_some() {
        // The PDF specification lets readers accept junk before the header within 1,024 bytes.
        Some(Format::Pdf)
    } else {
        None
    }
}

/// One page of a file: its 1-based number and its image as decoded (grey or colour).
#[derive(Debug, Clone)]
pub struct Page {
    /// 1-based page number within the file (1 for a JPEG or PNG).
    pub number: usize,
    /// The page's pixels.
    pub image: DynamicImage,
}

impl Page {
    /// A copy scaled down to fit `max_side` pixels a side (never up), for a preview or a
    /// person's review queue.
    #[must_use]
    pub fn preview(&self, max_side: u32) -> DynamicImage {
        if self.image.width().max(self.image.height()) <= max_side {
            self.image.clone()
        } else {
            self.image.thumbnail(max_side, max_side)
        }
    }

    /// A 64-bit difference hash (dHash) of the page: each bit says whether a cell of a 9 x 8
    /// grey thumbnail is brighter than its right neighbour. Compare with `(a ^ b).count_ones()`:
    /// the same capture re-encoded (another JPEG quality or resolution) differs in a few bits, a
    /// page of another kind in many. It sees the layout, not the digits: two actas of the same
    /// form, or one sheet turned sideways, are not told apart by it; the payload does that.
    #[must_use]
    pub fn perceptual_hash(&self) -> u64 {
        let small = self.image.thumbnail_exact(9, 8).to_luma8();
        let mut hash = 0u64;
        for y in 0..8 {
            for x in 0..8 {
                let brighter = small.get_pixel(x, y).0[0] > small.get_pixel(x + 1, y).0[0];
                hash = (hash << 1) | u64::from(brighter);
            }
        }
        hash
    }
}

/// Reads every page of a JPEG, PNG, TIFF or PDF file within `limits`.
///
/// # Errors
/// A [`ScanError`] naming what is wrong with the file; no page is returned then.
pub fn read_pages(bytes: &[u8], limits: &Limits) -> Result<Vec<Page>, ScanError> {
    read_format_and_pages(bytes, limits).map(|(_, pages)| pages)
}

/// [`read_pages`], with the format found.
pub(crate) fn read_format_and_pages(
    bytes: &[u8],
    limits: &Limits,
) -> Result<(Format, Vec<Page>), ScanError> {
    if bytes.is_empty() {
        return Err(ScanError::Empty);
    }
    if bytes.len() > limits.max_file_bytes {
        return Err(ScanError::FileTooLarge {
            bytes: bytes.len(),
            limit: limits.max_file_bytes,
        });
    }
    let Some(format) = sniff(bytes) else {
        let start: Vec<String> = bytes
            .iter()
            .take(8)
            .map(|byte| format!("{byte:02x}"))
            .collect();
        return Err(ScanError::NotAnImage {
            start: start.join(" "),
        });
    };
    let mut budget = Budget {
        remaining: limits.max_decoded_bytes,
        limit: limits.max_decoded_bytes,
    };
    let pages = match format {
        Format::Jpeg => {
            check_jpeg_complete(bytes)?;
            vec![Page {
                number: 1,
                image: decode_raster(bytes, Format::Jpeg, 1, limits, &mut budget)?,
            }]
        }
        Format::Png => {
            if find(bytes, b"IEND").is_none() {
                return Err(ScanError::Truncated { format });
            }
            vec![Page {
                number: 1,
                image: decode_raster(bytes, Format::Png, 1, limits, &mut budget)?,
            }]
        }
        Format::Tiff => read_tiff(bytes, limits, &mut budget)?,
        Format::Pdf => read_pdf(bytes, limits, &mut budget)?,
    };
    Ok((format, pages))
}

/// A JPEG file's page decoded straight to grey, its EXIF orientation applied, and whether the
/// file is in colour; `None` when anything is out of the ordinary (an error, a limit, CMYK),
/// for the caller to read the file the ordinary way, which then says what is wrong.
///
/// Decoding to grey lets zune-jpeg skip the colour components' inverse DCT, upsampling and
/// colour conversion, and skips a conversion to grey after it: about half the time of a
/// colour page. `image`'s decoder (the same zune-jpeg) always decodes colour.
pub(crate) fn jpeg_grey(bytes: &[u8], limits: &Limits) -> Option<(GrayImage, bool)> {
    use zune_core::colorspace::ColorSpace;
    if bytes.len() > limits.max_file_bytes || check_jpeg_complete(bytes).is_err() {
        return None;
    }
    let max_side = usize::try_from(limits.max_side).unwrap_or(usize::MAX);
    let options = zune_core::options::DecoderOptions::default()
        .set_strict_mode(false)
        .set_max_width(max_side)
        .set_max_height(max_side)
        .jpeg_set_out_colorspace(ColorSpace::Luma);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(bytes, options);
    decoder.decode_headers().ok()?;
    let (width, height) = decoder.dimensions()?;
    let colour = match decoder.get_input_colorspace()? {
        ColorSpace::Luma => false,
        ColorSpace::YCbCr => true,
        _ => return None,
    };
    let (width, height) = (u32::try_from(width).ok()?, u32::try_from(height).ok()?);
    check_side(u64::from(width), u64::from(height), 1, limits).ok()?;
    // The same budget as the ordinary path, which decodes every channel.
    let channels = if colour { 3 } else { 1 };
    if u64::from(width) * u64::from(height) * channels > limits.max_decoded_bytes {
        return None;
    }
    let orientation = decoder
        .exif()
        .and_then(|exif| image::metadata::Orientation::from_exif_chunk(exif))
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    // A decoder bug on a damaged file must not take the caller down: the ordinary path then
    // decides (and reports) what is wrong with the file.
    let pixels = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| decoder.decode()))
        .ok()?
        .ok()?;
    let mut page = DynamicImage::ImageLuma8(GrayImage::from_raw(width, height, pixels)?);
    page.apply_orientation(orientation);
    Some((page.into_luma8(), colour))
}

/// Decoded bytes still allowed for this file.
struct Budget {
    remaining: u64,
    limit: u64,
}

impl Budget {
    fn take(&mut self, bytes: u64, page: usize) -> Result<(), ScanError> {
        if bytes > self.remaining {
            return Err(ScanError::MemoryLimit {
                page,
                limit: self.limit,
            });
        }
        self.remaining -= bytes;
        Ok(())
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .rposition(|window| window == needle)
}

/// A JPEG ends with an EOI marker after its last scan; a decoder would quietly paint the
/// missing rows grey, so a cut file is caught here. (An EXIF thumbnail has its own EOI, but
/// before the main image's last SOS.)
fn check_jpeg_complete(bytes: &[u8]) -> Result<(), ScanError> {
    let last_scan = rfind(bytes, &[0xFF, 0xDA]);
    let last_end = rfind(bytes, &[0xFF, 0xD9]);
    match (last_scan, last_end) {
        (Some(scan), Some(end)) if end > scan => Ok(()),
        _ => Err(ScanError::Truncated {
            format: Format::Jpeg,
        }),
    }
}

pub(crate) fn check_side(
    width: u64,
    height: u64,
    page: usize,
    limits: &Limits,
) -> Result<(), ScanError> {
    if width > u64::from(limits.max_side) || height > u64::from(limits.max_side) {
        return Err(ScanError::ImageTooLarge {
            page,
            width,
            height,
            limit: limits.max_side,
        });
    }
    if width.saturating_mul(height) > limits.max_pixels {
        return Err(ScanError::TooManyPixels {
            page,
            width,
            height,
            limit: limits.max_pixels,
        });
    }
    if width == 0 || height == 0 {
        return Err(ScanError::Corrupt {
            format: Format::Pdf,
            detail: format!("page {page} has an empty image ({width} x {height})"),
        });
    }
    Ok(())
}

fn image_error(error: image::ImageError, format: Format, page: usize, limit: u64) -> ScanError {
    match error {
        image::ImageError::Limits(_) => ScanError::MemoryLimit { page, limit },
        image::ImageError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            ScanError::Truncated { format }
        }
        image::ImageError::Unsupported(unsupported) => ScanError::Unsupported {
            format,
            detail: unsupported.to_string(),
        },
        other => {
            let detail = other.to_string();
            let lower = detail.to_lowercase();
            if lower.contains("eof")
                || lower.contains("unexpected end")
                || lower.contains("truncat")
            {
                ScanError::Truncated { format }
            } else {
                ScanError::Corrupt { format, detail }
            }
        }
    }
}

/// Decodes a JPEG or PNG: the header's size is checked against the limits before any pixel
/// buffer is allocated.
fn decode_raster(
    bytes: &[u8],
    format: Format,
    page: usize,
    limits: &Limits,
    budget: &mut Budget,
) -> Result<DynamicImage, ScanError> {
    let fail = |error| image_error(error, format, page, budget.limit);
    match format {
        Format::Png => {
            let decoder = image::codecs::png::PngDecoder::new(Cursor::new(bytes)).map_err(fail)?;
            finish_raster(decoder, format, page, limits, budget)
        }
        _ => {
            let decoder =
                image::codecs::jpeg::JpegDecoder::new(Cursor::new(bytes)).map_err(fail)?;
            finish_raster(decoder, format, page, limits, budget)
        }
    }
}

fn finish_raster(
    mut decoder: impl ImageDecoder,
    format: Format,
    page: usize,
    limits: &Limits,
    budget: &mut Budget,
) -> Result<DynamicImage, ScanError> {
    let (width, height) = decoder.dimensions();
    check_side(u64::from(width), u64::from(height), page, limits)?;
    let needed = decoder.total_bytes();
    budget.take(needed, page)?;
    let mut image_limits = image::Limits::default();
    image_limits.max_image_width = Some(limits.max_side);
    image_limits.max_image_height = Some(limits.max_side);
    // The output buffer plus the decoder's own working memory (about one more image at most).
    image_limits.max_alloc = Some(needed.saturating_mul(2).saturating_add(64 * 1024 * 1024));
    decoder
        .set_limits(image_limits)
        .map_err(|error| image_error(error, format, page, budget.limit))?;
    // Phones record how they were held in EXIF rather than turning the pixels; apply it so
    // the page a person reviews is upright. (The QR decoder would not mind either way.)
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    // A decoder bug on a damaged file (zune-jpeg has debug assertions that some damaged JPEGs
    // reach) must not take the caller down: a panic is reported as corruption.
    let decoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        DynamicImage::from_decoder(decoder)
    }))
    .map_err(|_| ScanError::Corrupt {
        format,
        detail: format!("the {format} decoder gave up on this file"),
    })?;
    let mut image = decoded.map_err(|error| image_error(error, format, page, budget.limit))?;
    image.apply_orientation(orientation);
    Ok(normalise(image))
}

/// Scans come as grey or colour; anything else (16-bit, alpha) is brought to 8-bit grey or RGB.
fn normalise(image: DynamicImage) -> DynamicImage {
    match image {
        DynamicImage::ImageLuma8(_) | DynamicImage::ImageRgb8(_) => image,
        DynamicImage::ImageLuma16(_)
        | DynamicImage::ImageLumaA8(_)
        | DynamicImage::ImageLumaA16(_) => DynamicImage::ImageLuma8(image.to_luma8()),
        other => DynamicImage::ImageRgb8(other.to_rgb8()),
    }
}

fn tiff_error(error: tiff::TiffError, page: usize, limit: u64) -> ScanError {
    match error {
        tiff::TiffError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            ScanError::Truncated {
                format: Format::Tiff,
            }
        }
        tiff::TiffError::LimitsExceeded => ScanError::MemoryLimit { page, limit },
        tiff::TiffError::UnsupportedError(unsupported) => ScanError::Unsupported {
            format: Format::Tiff,
            detail: unsupported.to_string(),
        },
        other => ScanError::Corrupt {
            format: Format::Tiff,
            detail: other.to_string(),
        },
    }
}

fn read_tiff(bytes: &[u8], limits: &Limits, budget: &mut Budget) -> Result<Vec<Page>, ScanError> {
    use tiff::ColorType;
    use tiff::decoder::{Decoder, DecodingResult};
    let limit = budget.limit;
    let mut tiff_limits = tiff::decoder::Limits::default();
    let per_page = usize::try_from(limit).unwrap_or(usize::MAX);
    tiff_limits.decoding_buffer_size = per_page;
    tiff_limits.intermediate_buffer_size = per_page;
    let mut decoder = Decoder::new(Cursor::new(bytes))
        .map_err(|error| tiff_error(error, 1, limit))?
        .with_limits(tiff_limits);
    let mut pages = Vec::new();
    loop {
        let number = pages.len() + 1;
        if number > limits.max_pages {
            return Err(ScanError::TooManyPages {
                pages: number,
                limit: limits.max_pages,
            });
        }
        let fail = |error| tiff_error(error, number, limit);
        let (width, height) = decoder.dimensions().map_err(fail)?;
        check_side(u64::from(width), u64::from(height), number, limits)?;
        let colour = decoder.colortype().map_err(fail)?;
        let channels: u64 = match colour {
            ColorType::Gray(_) => 1,
            ColorType::RGB(_) => 3,
            ColorType::RGBA(_) | ColorType::CMYK(_) => 4,
            other => {
                return Err(ScanError::Unsupported {
                    format: Format::Tiff,
                    detail: format!("page {number} has colour type {other:?}"),
                });
            }
        };
        budget.take(u64::from(width) * u64::from(height) * channels, number)?;
        let data = match decoder.read_image().map_err(fail)? {
            DecodingResult::U8(data) => data,
            DecodingResult::U16(data) => data
                .iter()
                .map(|value| (value >> 8).to_le_bytes()[0])
                .collect(),
            _ => {
                return Err(ScanError::Unsupported {
                    format: Format::Tiff,
                    detail: format!("page {number} has samples wider than 16 bits"),
                });
            }
        };
        let image = tiff_page(data, width, height, colour).ok_or_else(|| ScanError::Corrupt {
            format: Format::Tiff,
            detail: format!("page {number} has fewer pixels than its size says"),
        })?;
        pages.push(Page { number, image });
        if !decoder.more_images() {
            break;
        }
        decoder
            .next_image()
            .map_err(|error| tiff_error(error, number + 1, limit))?;
    }
    Ok(pages)
}

fn tiff_page(
    data: Vec<u8>,
    width: u32,
    height: u32,
    colour: tiff::ColorType,
) -> Option<DynamicImage> {
    use tiff::ColorType;
    let pixels = usize::try_from(u64::from(width) * u64::from(height)).ok()?;
    match colour {
        ColorType::Gray(1) => Some(DynamicImage::ImageLuma8(unpack_bits(
            &data, width, height, false,
        )?)),
        ColorType::Gray(_) => {
            GrayImage::from_raw(width, height, data).map(DynamicImage::ImageLuma8)
        }
        ColorType::RGB(_) => RgbImage::from_raw(width, height, data).map(DynamicImage::ImageRgb8),
        ColorType::RGBA(_) => {
            let rgb: Vec<u8> = data
                .chunks_exact(4)
                .take(pixels)
                .flat_map(|p| [p[0], p[1], p[2]])
                .collect();
            RgbImage::from_raw(width, height, rgb).map(DynamicImage::ImageRgb8)
        }
        ColorType::CMYK(_) => RgbImage::from_raw(width, height, cmyk_to_rgb(&data, pixels))
            .map(DynamicImage::ImageRgb8),
        _ => None,
    }
}

pub(crate) fn cmyk_to_rgb(data: &[u8], pixels: usize) -> Vec<u8> {
    data.chunks_exact(4)
        .take(pixels)
        .flat_map(|pixel| {
            let black = 255 - u16::from(pixel[3]);
            let channel = |value: u8| ((255 - u16::from(value)) * black / 255).to_le_bytes()[0];
            [channel(pixel[0]), channel(pixel[1]), channel(pixel[2])]
        })
        .collect()
}

/// One bit per pixel, rows padded to whole bytes, 1 = white unless `one_is_black`.
pub(crate) fn unpack_bits(
    data: &[u8],
    width: u32,
    height: u32,
    one_is_black: bool,
) -> Option<GrayImage> {
    let row_bytes = usize::try_from(width.div_ceil(8)).ok()?;
    let rows = usize::try_from(height).ok()?;
    if data.len() < row_bytes.checked_mul(rows)? {
        return None;
    }
    let mut image = GrayImage::new(width, height);
    for (y, row) in image.rows_mut().enumerate() {
        let source = &data[y * row_bytes..(y + 1) * row_bytes];
        for (x, pixel) in row.enumerate() {
            let bit = (source[x / 8] >> (7 - (x % 8))) & 1 == 1;
            pixel.0[0] = if bit != one_is_black { 255 } else { 0 };
        }
    }
    Some(image)
}

fn read_pdf(bytes: &[u8], limits: &Limits, budget: &mut Budget) -> Result<Vec<Page>, ScanError> {
    // A parser bug must not take the caller down with it: a panic is reported as corruption.
    let loaded = std::panic::catch_unwind(|| lopdf::Document::load_mem(bytes)).map_err(|_| {
        ScanError::Corrupt {
            format: Format::Pdf,
            detail: "the pdf parser gave up on this file".to_owned(),
        }
    })?;
    let document = loaded.map_err(|error| {
        let tail = &bytes[bytes.len().saturating_sub(1024)..];
        if find(tail, b"%%EOF").is_none() {
            ScanError::Truncated {
                format: Format::Pdf,
            }
        } else {
            ScanError::Corrupt {
                format: Format::Pdf,
                detail: error.to_string(),
            }
        }
    })?;
    if document.is_encrypted() {
        return Err(ScanError::Unsupported {
            format: Format::Pdf,
            detail: "the pdf is encrypted".to_owned(),
        });
    }
    let page_ids = document.get_pages();
    if page_ids.is_empty() {
        return Err(ScanError::PdfWithoutPages);
    }
    if page_ids.len() > limits.max_pages {
        return Err(ScanError::TooManyPages {
            pages: page_ids.len(),
            limit: limits.max_pages,
        });
    }
    let mut pages = Vec::with_capacity(page_ids.len());
    for (index, page_id) in page_ids.values().enumerate() {
        let number = index + 1;
        let stream = largest_page_image(&document, *page_id)
            .ok_or(ScanError::PdfPageWithoutImage { page: number })?;
        let image = crate::pdf_image::decode(&document, stream, number, limits, budget.remaining)?;
        budget.take(image.as_bytes().len() as u64, number)?;
        pages.push(Page { number, image });
    }
    Ok(pages)
}

/// The image XObject with the most pixels drawn on a page, looking into form XObjects too
/// (some scanners wrap the page image in one).
fn largest_page_image(
    document: &lopdf::Document,
    page_id: lopdf::ObjectId,
) -> Option<&lopdf::Stream> {
    let (direct, inherited) = document.get_page_resources(page_id).ok()?;
    let mut resources: Vec<&lopdf::Dictionary> = direct.into_iter().collect();
    resources.extend(
        inherited
            .iter()
            .filter_map(|id| document.get_dictionary(*id).ok()),
    );
    let mut best: Option<(i64, &lopdf::Stream)> = None;
    for dictionary in resources {
        collect_images(document, dictionary, 0, &mut best);
    }
    best.map(|(_, stream)| stream)
}

fn collect_images<'a>(
    document: &'a lopdf::Document,
    resources: &'a lopdf::Dictionary,
    depth: usize,
    best: &mut Option<(i64, &'a lopdf::Stream)>,
) {
    if depth > 4 {
        return;
    }
    let Ok(xobjects) = resources
        .get_deref(b"XObject", document)
        .and_then(lopdf::Object::as_dict)
    else {
        return;
    };
    for (_, value) in xobjects.iter() {
        let Ok((_, object)) = document.dereference(value) else {
            continue;
        };
        let Ok(stream) = object.as_stream() else {
            continue;
        };
        let subtype = stream
            .dict
            .get(b"Subtype")
            .and_then(lopdf::Object::as_name)
            .ok();
        match subtype {
            Some(b"Image") => {
                let size = |key: &[u8]| {
                    stream
                        .dict
                        .get_deref(key, document)
                        .and_then(lopdf::Object::as_i64)
                        .unwrap_or(0)
                };
                let pixels = size(b"Width").saturating_mul(size(b"Height"));
                if best.is_none_or(|(most, _)| pixels > most) {
                    *best = Some((pixels, stream));
                }
            }
            Some(b"Form") => {
                if let Ok(inner) = stream
                    .dict
                    .get_deref(b"Resources", document)
                    .and_then(lopdf::Object::as_dict)
                {
                    collect_images(document, inner, depth + 1, best);
                }
            }
            _ => {}
        }
    }
}

/// Decodes a JPEG embedded in another container (a PDF's DCTDecode stream) under the limits.
pub(crate) fn decode_embedded_jpeg(
    bytes: &[u8],
    page: usize,
    limits: &Limits,
    remaining: u64,
) -> Result<DynamicImage, ScanError> {
    let mut budget = Budget {
        remaining,
        limit: remaining,
    };
    decode_raster(bytes, Format::Jpeg, page, limits, &mut budget).map_err(|error| match error {
        ScanError::Truncated { .. } => ScanError::Corrupt {
            format: Format::Pdf,
            detail: format!("page {page}: its jpeg image is truncated"),
        },
        other => other,
    })
}

/// Decodes CCITT group 4 fax data (a PDF's CCITTFaxDecode stream) by wrapping it in a
/// one-strip TIFF, which the TIFF decoder reads: black runs come out black.
pub(crate) fn decode_group4_fax(
    data: &[u8],
    width: u32,
    height: u32,
    page: usize,
    limits: &Limits,
    remaining: u64,
) -> Result<GrayImage, ScanError> {
    const SHORT: u16 = 3;
    const LONG: u16 = 4;
    let length = u32::try_from(data.len()).map_err(|_| ScanError::MemoryLimit {
        page,
        limit: remaining,
    })?;
    // Tag, type, value; sorted by tag as TIFF requires. WhiteIsZero (0) makes fax black runs 0.
    let entries: [(u16, u16, u32); 9] = [
        (256, LONG, width),
        (257, LONG, height),
        (258, SHORT, 1),
        (259, SHORT, 4),
        (262, SHORT, 0),
        (273, LONG, 8 + 2 + 9 * 12 + 4),
        (277, SHORT, 1),
        (278, LONG, height),
        (279, LONG, length),
    ];
    let mut tiff = b"II*\0".to_vec();
    tiff.extend_from_slice(&8u32.to_le_bytes());
    tiff.extend_from_slice(&9u16.to_le_bytes());
    for (tag, kind, value) in entries {
        tiff.extend_from_slice(&tag.to_le_bytes());
        tiff.extend_from_slice(&kind.to_le_bytes());
        tiff.extend_from_slice(&1u32.to_le_bytes());
        tiff.extend_from_slice(&value.to_le_bytes());
    }
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.extend_from_slice(data);
    let mut budget = Budget {
        remaining,
        limit: remaining,
    };
    let pages = read_tiff(&tiff, limits, &mut budget).map_err(|error| match error {
        ScanError::Corrupt { detail, .. } | ScanError::Unsupported { detail, .. } => {
            ScanError::Corrupt {
                format: Format::Pdf,
                detail: format!("page {page}: its fax image: {detail}"),
            }
        }
        ScanError::Truncated { .. } => ScanError::Corrupt {
            format: Format::Pdf,
            detail: format!("page {page}: its fax image is truncated"),
        },
        other => other,
    })?;
    match pages.into_iter().next().map(|page| page.image) {
        Some(DynamicImage::ImageLuma8(grey)) => Ok(grey),
        _ => Err(ScanError::Corrupt {
            format: Format::Pdf,
            detail: format!("page {page}: its fax image did not decode to black and white"),
        }),
    }
}

/// Inflates zlib data, stopping with an error past `max_output` bytes (a decompression bomb).
pub(crate) fn inflate_bounded(
    data: &[u8],
    max_output: u64,
    page: usize,
    limit: u64,
) -> Result<Vec<u8>, ScanError> {
    let mut output = Vec::new();
    let mut reader = flate2::read::ZlibDecoder::new(data).take(max_output.saturating_add(1));
    reader
        .read_to_end(&mut output)
        .map_err(|error| ScanError::Corrupt {
            format: Format::Pdf,
            detail: format!("page {page}: cannot inflate its image: {error}"),
        })?;
    if output.len() as u64 > max_output {
        return Err(ScanError::MemoryLimit { page, limit });
    }
    Ok(output)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_magic_numbers() {
        let check = |bytes: &[u8], expected| assert_eq!(sniff(bytes), expected, "{bytes:?}");
        check(b"\xff\xd8\xff\xe0rest", Some(Format::Jpeg));
        check(b"\x89PNG\r\n\x1a\nrest", Some(Format::Png));
        check(b"II*\0rest", Some(Format::Tiff));
        check(b"MM\0*rest", Some(Format::Tiff));
        check(b"%PDF-1.4\n", Some(Format::Pdf));
        check(b"junk\n%PDF-1.7\n", Some(Format::Pdf));
        check(b"GIF89a", None);
        check(b"", None);
    }

    #[test]
    fn unpacks_one_bit_rows() {
        let image = unpack_bits(&[0b1010_0000, 0b0100_0000], 3, 2, false).unwrap();
        assert_eq!(image.as_raw(), &[255, 0, 255, 0, 255, 0]);
    }
}
