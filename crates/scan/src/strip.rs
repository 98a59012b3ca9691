//! Removing what identifies a device, a person or a place from a scanned file, without touching
//! its pixels.
//!
//! A published scan of a tally sheet must not say which phone or scanner made it, when, where,
//! or who owns it: the people who collected these sheets have been arrested for it. Cameras and
//! scanning apps write all of that beside the pixels (EXIF with GPS and serial numbers, XMP,
//! IPTC, comments, PDF document information). [`strip_metadata`] rewrites the file's container
//! keeping only what describes the image, and copies the compressed pixel data byte for byte, so
//! the decoded image is exactly the original's.
//!
//! What this does not remove: the pixels themselves (a photo shows what it shows), and the
//! traces a forensic examiner reads in them (sensor noise, a JPEG's quantisation tables, which
//! differ between camera makers). Removing those would mean re-encoding the image.

use image::metadata::Orientation;

use crate::{Format, Limits, sniff};

/// Why a file could not be stripped of its metadata. Nothing is returned then: a caller must not
/// publish the original instead.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StripError {
    /// The file has no bytes.
    #[error("the file is empty")]
    Empty,
    /// The file is larger than the limit.
    #[error("the file has {bytes} bytes, more than the limit of {limit}")]
    FileTooLarge {
        /// Size of the file.
        bytes: usize,
        /// [`Limits::max_file_bytes`].
        limit: usize,
    },
    /// The bytes are none of the formats stripped here (JPEG, PNG, TIFF, PDF).
    #[error("not a jpeg, png, tiff or pdf file (it starts with {start}), so it cannot be stripped")]
    Unsupported {
        /// The first bytes, in hexadecimal.
        start: String,
    },
    /// A file of a known format using something not rewritten here (BigTIFF, an encrypted PDF,
    /// an unknown critical PNG chunk, ...). Refused rather than copied, since what is not
    /// understood may carry metadata.
    #[error("cannot strip this {format} file: {detail}")]
    UnsupportedContent {
        /// The format sniffed from the bytes.
        format: Format,
        /// What is not supported, and where.
        detail: String,
    },
    /// The file ends before its format says it should.
    #[error("the {format} file ends before {expected}")]
    Truncated {
        /// The format sniffed from the bytes.
        format: Format,
        /// What was expected where the bytes ran out.
        expected: String,
    },
    /// The bytes break the format's rules.
    #[error("the {format} file is corrupt: {detail}")]
    Corrupt {
        /// The format sniffed from the bytes.
        format: Format,
        /// Where, what was expected and what was found.
        detail: String,
    },
    /// More pages than the limit.
    #[error("the {format} file has more than the limit of {limit} pages")]
    TooManyPages {
        /// The format sniffed from the bytes.
        format: Format,
        /// [`Limits::max_pages`].
        limit: usize,
    },
    /// The rewritten file would be larger than the limit: a TIFF whose strips all point at the
    /// same bytes, copied once for each.
    #[error("the stripped {format} file would have more than the limit of {limit} bytes")]
    OutputTooLarge {
        /// The format sniffed from the bytes.
        format: Format,
        /// [`Limits::max_file_bytes`], or the 4 GiB a classic TIFF can address.
        limit: usize,
    },
}

/// The file `bytes` rewritten without the metadata that could identify the device, its owner,
/// the place or the time of the capture; the pixels are untouched (the compressed image data is
/// copied byte for byte). The format is sniffed from the bytes ([`sniff`]). Deterministic and
/// idempotent: stripping the result again gives the same bytes.
///
/// What each format keeps (everything else is dropped):
/// - **JPEG**: the segments that describe the image (frame, Huffman and quantisation tables,
///   restart interval, scans with their entropy-coded data), APP0 JFIF (without its thumbnail)
///   and APP14 Adobe (needed for colour transforms). EXIF (APP1) is dropped, and when it turned
///   the page (an Orientation other than 1) a new EXIF holding only that Orientation is written,
///   so the page still shows upright; XMP, IPTC/Photoshop (APP13), comments, ICC profiles (APP2:
///   one can name the device; a viewer then assumes sRGB) and every other APPn are dropped, and
///   so is anything after the end-of-image marker (some phones append data there).
/// - **PNG**: IHDR, PLTE, IDAT, IEND, tRNS, gAMA, cHRM, sRGB, sBIT, bKGD, pHYs, copied with
///   their CRCs; tEXt, zTXt, iTXt, tIME, eXIf, iCCP and every other chunk are dropped.
/// - **TIFF** (classic, either byte order, every page): each page's tags that describe the
///   image, listed in [`TIFF_KEPT_TAGS`]; Make, Model, Software, DateTime, Artist,
///   HostComputer, ImageDescription, the EXIF and GPS directories, XMP, IPTC, ICC profiles,
///   SubIFDs and any other tag are dropped. Strips and tiles are copied unchanged, their offsets
///   rewritten; JPEG-compressed strips and JPEGTables are cleaned as a JPEG is.
/// - **PDF**: the trailer's /Info and /ID, every /Metadata (XMP) stream, /PieceInfo,
///   /LastModified, attached files (/EmbeddedFiles, /EF, /AF); objects no longer referenced are
///   removed and the objects renumbered. JPEG (DCTDecode) images are cleaned as a JPEG is; the
///   other image streams and the page contents are untouched.
///
/// # Errors
/// A [`StripError`] naming what is wrong or not supported; the caller must then not publish
/// the file.
pub fn strip_metadata(bytes: &[u8], limits: &Limits) -> Result<Vec<u8>, StripError> {
    if bytes.is_empty() {
        return Err(StripError::Empty);
    }
    if bytes.len() > limits.max_file_bytes {
        return Err(StripError::FileTooLarge {
            bytes: bytes.len(),
            limit: limits.max_file_bytes,
        });
    }
    if bytes.starts_with(b"II+\0") || bytes.starts_with(b"MM\0+") {
        return Err(StripError::UnsupportedContent {
            format: Format::Tiff,
            detail: "it is a BigTIFF (64-bit offsets), which is not rewritten here".to_owned(),
        });
    }
    match sniff(bytes) {
        Some(Format::Jpeg) => clean_jpeg(bytes, JpegStream::File),
        Some(Format::Png) => strip_png(bytes),
        Some(Format::Tiff) => strip_tiff(bytes, limits),
        Some(Format::Pdf) => strip_pdf_to_a_fixed_point(bytes, limits),
        None => Err(StripError::Unsupported {
            start: hex_start(bytes),
        }),
    }
}

fn hex_start(bytes: &[u8]) -> String {
    let start: Vec<String> = bytes
        .iter()
        .take(8)
        .map(|byte| format!("{byte:02x}"))
        .collect();
    start.join(" ")
}

fn corrupt(format: Format, detail: String) -> StripError {
    StripError::Corrupt { format, detail }
}

fn truncated(format: Format, expected: String) -> StripError {
    StripError::Truncated { format, expected }
}

// ---------------------------------------------------------------------------------------------
// JPEG

/// What a JPEG stream is part of, which decides what it must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JpegStream {
    /// A whole image: at least one scan.
    File,
    /// Tables only (a TIFF's JPEGTables): no scan needed.
    Tables,
}

/// The marker segment that says what a JPEG's EXIF said about its orientation, and nothing
/// else: an EXIF (big-endian TIFF) whose only directory holds one entry, Orientation (0x0112,
/// SHORT, 1 value).
fn orientation_segment(value: u8) -> [u8; 36] {
    [
        0xFF, 0xE1, 0x00, 0x22, // APP1, length 34
        b'E', b'x', b'i', b'f', 0, 0, // EXIF identifier
        b'M', b'M', 0x00, 0x2A, 0x00, 0x00, 0x00, 0x08, // big-endian TIFF, IFD at 8
        0x00, 0x01, // one entry
        0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, value, 0x00,
        0x00, // Orientation
        0x00, 0x00, 0x00, 0x00, // no next directory
    ]
}

/// The bytes `[start, start + length)`, or why they are not there.
fn slice(bytes: &[u8], start: usize, length: usize) -> Option<&[u8]> {
    bytes.get(start..start.checked_add(length)?)
}

/// A JPEG stream with only the segments that describe the image, its entropy-coded data
/// copied unchanged (see [`strip_metadata`]).
fn clean_jpeg(bytes: &[u8], stream: JpegStream) -> Result<Vec<u8>, StripError> {
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return Err(corrupt(
            Format::Jpeg,
            "expected the start-of-image marker ff d8 at byte 0".to_owned(),
        ));
    }
    let mut cleaned = CleanJpeg {
        kept: vec![0xFF, 0xD8],
        exif_at: 2,
        orientation: None,
        seen_scan: false,
    };
    let mut position = 2;
    loop {
        let (marker, marker_start) = next_marker(bytes, position)?;
        position = marker_start + 2;
        match marker {
            0xD9 => {
                cleaned.kept.extend_from_slice(&[0xFF, 0xD9]);
                break;
            }
            0xD8 | 0x00 => {
                return Err(corrupt(
                    Format::Jpeg,
                    format!("unexpected marker ff {marker:02x} at byte {marker_start}"),
                ));
            }
            // Restart and TEM markers stand alone, without a length.
            0x01 | 0xD0..=0xD7 => cleaned.kept.extend_from_slice(&[0xFF, marker]),
            _ => {
                let segment = segment_at(bytes, marker, marker_start)?;
                position = cleaned.segment(bytes, marker, marker_start, segment)?;
            }
        }
    }
    if stream == JpegStream::File && !cleaned.seen_scan {
        return Err(corrupt(
            Format::Jpeg,
            "no image data (start-of-scan marker ff da) before the end-of-image marker".to_owned(),
        ));
    }
    let CleanJpeg {
        mut kept,
        exif_at,
        orientation,
        ..
    } = cleaned;
    if let Some(value) = orientation.filter(|value| *value != 1) {
        kept.splice(exif_at..exif_at, orientation_segment(value));
    }
    Ok(kept)
}

/// The marker at `position` (after any fill bytes) and where its ff is.
fn next_marker(bytes: &[u8], mut position: usize) -> Result<(u8, usize), StripError> {
    let end_missing = || truncated(Format::Jpeg, "its end-of-image marker (ff d9)".to_owned());
    match bytes.get(position) {
        None => return Err(end_missing()),
        Some(0xFF) => {}
        Some(other) => {
            return Err(corrupt(
                Format::Jpeg,
                format!("expected a marker (ff) at byte {position}, found {other:02x}"),
            ));
        }
    }
    // Fill bytes: any number of ff before a marker; they are not kept.
    while bytes.get(position + 1) == Some(&0xFF) {
        position += 1;
    }
    let marker = *bytes.get(position + 1).ok_or_else(end_missing)?;
    Ok((marker, position))
}

/// The data of the segment whose marker `ff marker` is at `marker_start`: what follows its
/// two-byte length.
fn segment_at(bytes: &[u8], marker: u8, marker_start: usize) -> Result<&[u8], StripError> {
    let length_bytes = slice(bytes, marker_start + 2, 2).ok_or_else(|| {
        truncated(
            Format::Jpeg,
            format!("the length of the segment ff {marker:02x} at byte {marker_start}"),
        )
    })?;
    let length = usize::from(u16::from_be_bytes([length_bytes[0], length_bytes[1]]));
    if length < 2 {
        return Err(corrupt(
            Format::Jpeg,
            format!(
                "the segment ff {marker:02x} at byte {marker_start} claims {length} bytes, fewer than its length field"
            ),
        ));
    }
    slice(bytes, marker_start + 4, length - 2).ok_or_else(|| {
        truncated(
            Format::Jpeg,
            format!("the {length} bytes of the segment ff {marker:02x} at byte {marker_start}"),
        )
    })
}

/// A JPEG stream being cleaned.
struct CleanJpeg {
    /// The segments kept so far.
    kept: Vec<u8>,
    /// Where a new EXIF goes: after the start-of-image marker, or after a JFIF APP0 right after
    /// it (JFIF requires its APP0 first).
    exif_at: usize,
    /// The orientation the last EXIF before the image data gave (the one the decoder applies).
    orientation: Option<u8>,
    /// Whether a scan was seen.
    seen_scan: bool,
}

impl CleanJpeg {
    /// Keeps or drops one segment, `data` being what follows its length; returns where the
    /// next marker is (after the entropy-coded data for a scan).
    fn segment(
        &mut self,
        bytes: &[u8],
        marker: u8,
        marker_start: usize,
        data: &[u8],
    ) -> Result<usize, StripError> {
        let end = marker_start + 4 + data.len();
        let keep_whole = |kept: &mut Vec<u8>| {
            kept.extend_from_slice(&[0xFF, marker]);
            kept.extend_from_slice(bytes.get(marker_start + 2..end).unwrap_or(&[]));
        };
        match marker {
            0xE0 => {
                if let Some(jfif) = jfif_without_thumbnail(data) {
                    let first = self.kept.len() == 2;
                    self.kept.extend_from_slice(&jfif);
                    if first {
                        self.exif_at = self.kept.len();
                    }
                }
            }
            0xE1 => {
                if !self.seen_scan
                    && let Some(exif) = data.strip_prefix(b"Exif\0\0")
                {
                    self.orientation = Orientation::from_exif_chunk(exif).map(Orientation::to_exif);
                }
            }
            0xEE => {
                if data.starts_with(b"Adobe") {
                    // Version, two flag words and the transform: 12 bytes.
                    let adobe = data.get(..12).unwrap_or(data);
                    self.kept.extend_from_slice(&[0xFF, 0xEE]);
                    self.kept.extend_from_slice(&segment_length(adobe.len()));
                    self.kept.extend_from_slice(adobe);
                }
            }
            // Other application segments and comments: metadata, dropped.
            0xE2..=0xED | 0xEF | 0xFE => {}
            // Frames, tables, restart interval, line count, hierarchical markers (not ff c8,
            // reserved for extensions).
            0xC0..=0xC7 | 0xC9..=0xCF | 0xDB..=0xDF => keep_whole(&mut self.kept),
            0xDA => {
                keep_whole(&mut self.kept);
                let scan_end = entropy_end(bytes, end)?;
                self.kept
                    .extend_from_slice(bytes.get(end..scan_end).unwrap_or(&[]));
                self.seen_scan = true;
                return Ok(scan_end);
            }
            _ => {
                return Err(StripError::UnsupportedContent {
                    format: Format::Jpeg,
                    detail: format!(
                        "marker ff {marker:02x} at byte {marker_start} is a JPEG extension not read here, which could hold anything"
                    ),
                });
            }
        }
        Ok(end)
    }
}

/// A JFIF APP0 segment (marker included) with its thumbnail removed, or `None` for any other
/// APP0 (a JFXX thumbnail, or unknown).
fn jfif_without_thumbnail(data: &[u8]) -> Option<Vec<u8>> {
    // "JFIF\0", version (2), units (1), densities (2 + 2): 12 bytes, then the thumbnail's size.
    let header = data
        .get(..12)
        .filter(|header| header.starts_with(b"JFIF\0"))?;
    let mut segment = vec![0xFF, 0xE0];
    segment.extend_from_slice(&segment_length(header.len() + 2));
    segment.extend_from_slice(header);
    segment.extend_from_slice(&[0, 0]);
    Some(segment)
}

/// The length field of a segment holding `data_length` bytes (at most 65,533, which every
/// caller's data is below).
fn segment_length(data_length: usize) -> [u8; 2] {
    u16::try_from(data_length + 2)
        .unwrap_or(u16::MAX)
        .to_be_bytes()
}

/// Where the entropy-coded data starting at `start` ends: at the next marker that is not a
/// stuffed byte (ff 00) or a restart marker (ff d0-d7). A run of fill bytes before the marker
/// stays with the data.
fn entropy_end(bytes: &[u8], start: usize) -> Result<usize, StripError> {
    let mut position = start;
    loop {
        let Some(found) = bytes
            .get(position..)
            .and_then(|rest| rest.iter().position(|byte| *byte == 0xFF))
        else {
            return Err(truncated(
                Format::Jpeg,
                format!("its end-of-image marker (ff d9) after the scan data at byte {start}"),
            ));
        };
        let at = position + found;
        match bytes.get(at + 1) {
            None => {
                return Err(truncated(
                    Format::Jpeg,
                    "its end-of-image marker (ff d9)".to_owned(),
                ));
            }
            Some(0x00 | 0xD0..=0xD7) => position = at + 2,
            Some(0xFF) => position = at + 1,
            Some(_) => return Ok(at),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// PNG

/// The chunks a stripped PNG keeps: the critical ones and those that say how to show the
/// pixels.
const PNG_KEPT_CHUNKS: [&[u8; 4]; 11] = [
    b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"sBIT", b"bKGD",
    b"pHYs",
];

fn strip_png(bytes: &[u8]) -> Result<Vec<u8>, StripError> {
    const FORMAT: Format = Format::Png;
    let mut kept = bytes.get(..8).unwrap_or(&[]).to_vec();
    let mut position = 8;
    loop {
        let header = slice(bytes, position, 8)
            .ok_or_else(|| truncated(FORMAT, format!("a chunk at byte {position} (no IEND)")))?;
        let length = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
        let kind = [header[4], header[5], header[6], header[7]];
        let name = String::from_utf8_lossy(&kind).into_owned();
        if !kind.iter().all(u8::is_ascii_alphabetic) {
            return Err(corrupt(
                FORMAT,
                format!(
                    "expected a chunk type of four letters at byte {}, found {:02x?}",
                    position + 4,
                    kind
                ),
            ));
        }
        if length > 0x7FFF_FFFF {
            return Err(corrupt(
                FORMAT,
                format!(
                    "the {name} chunk at byte {position} claims {length} bytes, more than 2^31 - 1"
                ),
            ));
        }
        let total = usize::try_from(length)
            .ok()
            .and_then(|length| length.checked_add(12))
            .ok_or_else(|| {
                corrupt(
                    FORMAT,
                    format!("the {name} chunk at byte {position} is too long"),
                )
            })?;
        let chunk = slice(bytes, position, total).ok_or_else(|| {
            truncated(
                FORMAT,
                format!(
                    "the end of the {name} chunk at byte {position} ({length} bytes and a crc)"
                ),
            )
        })?;
        if position == 8 && &kind != b"IHDR" {
            return Err(corrupt(
                FORMAT,
                format!("expected the IHDR chunk first, found {name}"),
            ));
        }
        if PNG_KEPT_CHUNKS.contains(&&kind) {
            kept.extend_from_slice(chunk);
        } else if kind[0].is_ascii_uppercase() {
            return Err(StripError::UnsupportedContent {
                format: FORMAT,
                detail: format!(
                    "the critical chunk {name} at byte {position} is not a standard one, and a decoder must understand it"
                ),
            });
        }
        position += total;
        if &kind == b"IEND" {
            return Ok(kept);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// TIFF

/// The TIFF tags a stripped TIFF keeps on each page: those needed to decode and show the
/// pixels (baseline and extension tags), plus NewSubfileType (254, whether a page is a reduced
/// copy) and YCbCrCoefficients (529). Every other tag is dropped.
pub const TIFF_KEPT_TAGS: &[u16] = &[
    254, // NewSubfileType
    256, // ImageWidth
    257, // ImageLength
    258, // BitsPerSample
    259, // Compression
    262, // PhotometricInterpretation
    266, // FillOrder
    273, // StripOffsets
    274, // Orientation
    277, // SamplesPerPixel
    278, // RowsPerStrip
    279, // StripByteCounts
    282, // XResolution
    283, // YResolution
    284, // PlanarConfiguration
    292, // T4Options
    293, // T6Options
    296, // ResolutionUnit
    317, // Predictor
    320, // ColorMap
    322, // TileWidth
    323, // TileLength
    324, // TileOffsets
    325, // TileByteCounts
    338, // ExtraSamples
    339, // SampleFormat
    347, // JPEGTables
    529, // YCbCrCoefficients
    530, // YCbCrSubSampling
    531, // YCbCrPositioning
    532, // ReferenceBlackWhite
];

const STRIP_OFFSETS: u16 = 273;
const STRIP_BYTE_COUNTS: u16 = 279;
const TILE_OFFSETS: u16 = 324;
const TILE_BYTE_COUNTS: u16 = 325;
const COMPRESSION: u16 = 259;
const JPEG_TABLES: u16 = 347;
/// JPEGInterchangeFormat: old-style JPEG (compression 6), whose data is found through offsets
/// this rewrite would have to follow.
const OLD_JPEG_INTERCHANGE: u16 = 513;
/// Compression 7: each strip or tile is a JPEG stream.
const COMPRESSION_JPEG: u32 = 7;
const TIFF_SHORT: u16 = 3;
const TIFF_LONG: u16 = 4;
const TIFF_UNDEFINED: u16 = 7;

#[derive(Debug, Clone, Copy)]
enum Endian {
    Little,
    Big,
}

impl Endian {
    fn u16(self, bytes: [u8; 2]) -> u16 {
        match self {
            Endian::Little => u16::from_le_bytes(bytes),
            Endian::Big => u16::from_be_bytes(bytes),
        }
    }

    fn u32(self, bytes: [u8; 4]) -> u32 {
        match self {
            Endian::Little => u32::from_le_bytes(bytes),
            Endian::Big => u32::from_be_bytes(bytes),
        }
    }

    fn u16_bytes(self, value: u16) -> [u8; 2] {
        match self {
            Endian::Little => value.to_le_bytes(),
            Endian::Big => value.to_be_bytes(),
        }
    }

    fn u32_bytes(self, value: u32) -> [u8; 4] {
        match self {
            Endian::Little => value.to_le_bytes(),
            Endian::Big => value.to_be_bytes(),
        }
    }
}

/// A TIFF being read: its bytes and byte order, every read bounds-checked.
struct TiffFile<'a> {
    bytes: &'a [u8],
    endian: Endian,
}

impl TiffFile<'_> {
    fn u16_at(&self, offset: usize, what: &str) -> Result<u16, StripError> {
        let bytes = slice(self.bytes, offset, 2)
            .ok_or_else(|| truncated(Format::Tiff, format!("{what} at byte {offset}")))?;
        Ok(self.endian.u16([bytes[0], bytes[1]]))
    }

    fn u32_at(&self, offset: usize, what: &str) -> Result<u32, StripError> {
        let bytes = slice(self.bytes, offset, 4)
            .ok_or_else(|| truncated(Format::Tiff, format!("{what} at byte {offset}")))?;
        Ok(self.endian.u32([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }
}

/// One directory entry kept: its tag, field type, count and value bytes (in the file's byte
/// order).
#[derive(Debug)]
struct TiffEntry {
    tag: u16,
    kind: u16,
    count: u32,
    value: Vec<u8>,
}

/// The size in bytes of one value of a TIFF field type, or `None` for a type not in classic
/// TIFF.
fn tiff_type_size(kind: u16) -> Option<usize> {
    match kind {
        1 | 2 | 6 | 7 => Some(1),
        3 | 8 => Some(2),
        4 | 9 | 11 | 13 => Some(4),
        5 | 10 | 12 => Some(8),
        _ => None,
    }
}

fn to_usize(value: u32) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}

/// The rewritten TIFF being written: its bytes, byte order and size limit.
struct TiffOutput {
    bytes: Vec<u8>,
    endian: Endian,
    limit: usize,
}

impl TiffOutput {
    /// Where the next bytes go, as a TIFF offset, if `adding` more bytes stay within the limit.
    fn room_for(&self, adding: usize) -> Result<u32, StripError> {
        let too_large = StripError::OutputTooLarge {
            format: Format::Tiff,
            limit: self.limit,
        };
        match self.bytes.len().checked_add(adding) {
            Some(end) if end <= self.limit => {
                u32::try_from(self.bytes.len()).map_err(|_| too_large)
            }
            _ => Err(too_large),
        }
    }

    fn pad_to_even(&mut self) {
        if self.bytes.len() % 2 == 1 {
            self.bytes.push(0);
        }
    }
}

fn strip_tiff(bytes: &[u8], limits: &Limits) -> Result<Vec<u8>, StripError> {
    let endian = if bytes.starts_with(b"II") {
        Endian::Little
    } else {
        Endian::Big
    };
    let file = TiffFile { bytes, endian };
    let mut out = TiffOutput {
        bytes: bytes.get(..4).unwrap_or(&[]).to_vec(),
        endian,
        // Classic TIFF offsets are 32 bits.
        limit: limits.max_file_bytes.min(to_usize(u32::MAX)),
    };
    out.bytes.extend_from_slice(&[0; 4]);
    // Where the offset of the next page's directory goes.
    let mut link_at = 4;
    let mut next = file.u32_at(4, "the offset of the first directory")?;
    let mut seen = std::collections::BTreeSet::new();
    let mut page = 0;
    while next != 0 {
        page += 1;
        if page > limits.max_pages {
            return Err(StripError::TooManyPages {
                format: Format::Tiff,
                limit: limits.max_pages,
            });
        }
        if !seen.insert(next) {
            return Err(corrupt(
                Format::Tiff,
                format!("the chain of pages loops back to the directory at byte {next}"),
            ));
        }
        let (entries, following) = read_directory(&file, to_usize(next), page)?;
        let (directory_at, link) = write_page(&file, entries, page, &mut out)?;
        if let Some(slot) = out.bytes.get_mut(link_at..link_at + 4) {
            slot.copy_from_slice(&endian.u32_bytes(directory_at));
        }
        link_at = link;
        next = following;
    }
    if page == 0 {
        return Err(corrupt(
            Format::Tiff,
            "the first directory's offset is 0: the file has no page".to_owned(),
        ));
    }
    Ok(out.bytes)
}

/// The kept entries of page `page`'s directory at `offset`, sorted by tag, and the offset of
/// the next directory.
fn read_directory(
    file: &TiffFile<'_>,
    offset: usize,
    page: usize,
) -> Result<(Vec<TiffEntry>, u32), StripError> {
    let count = file.u16_at(
        offset,
        &format!("the entry count of page {page}'s directory"),
    )?;
    let mut entries: Vec<TiffEntry> = Vec::new();
    for index in 0..usize::from(count) {
        let at = offset + 2 + 12 * index;
        let tag = file.u16_at(at, &format!("entry {index} of page {page}'s directory"))?;
        if tag == OLD_JPEG_INTERCHANGE {
            return Err(StripError::UnsupportedContent {
                format: Format::Tiff,
                detail: format!(
                    "page {page} is old-style JPEG (JPEGInterchangeFormat), which is not rewritten here"
                ),
            });
        }
        if !TIFF_KEPT_TAGS.contains(&tag) || entries.iter().any(|entry| entry.tag == tag) {
            continue;
        }
        let kind = file.u16_at(at + 2, "an entry's field type")?;
        let count = file.u32_at(at + 4, "an entry's value count")?;
        let size = tiff_type_size(kind)
            .and_then(|size| size.checked_mul(to_usize(count)))
            .ok_or_else(|| {
                corrupt(
                    Format::Tiff,
                    format!(
                        "page {page}: tag {tag} has field type {kind}, which classic TIFF does not have, or too many values ({count})"
                    ),
                )
            })?;
        let value = if size <= 4 {
            slice(file.bytes, at + 8, size)
        } else {
            let value_at = file.u32_at(at + 8, "an entry's value offset")?;
            slice(file.bytes, to_usize(value_at), size)
        }
        .ok_or_else(|| {
            truncated(
                Format::Tiff,
                format!("the {size} bytes of tag {tag}'s value on page {page}"),
            )
        })?;
        entries.push(TiffEntry {
            tag,
            kind,
            count,
            value: value.to_vec(),
        });
    }
    let next = file.u32_at(
        offset + 2 + 12 * usize::from(count),
        &format!("the offset of the directory after page {page}'s"),
    )?;
    entries.sort_by_key(|entry| entry.tag);
    Ok((entries, next))
}

/// The unsigned integers of a SHORT or LONG entry.
fn integers(entry: &TiffEntry, endian: Endian, page: usize) -> Result<Vec<u32>, StripError> {
    match entry.kind {
        TIFF_SHORT => Ok(entry
            .value
            .chunks_exact(2)
            .map(|pair| u32::from(endian.u16([pair[0], pair[1]])))
            .collect()),
        TIFF_LONG => Ok(entry
            .value
            .chunks_exact(4)
            .map(|quad| endian.u32([quad[0], quad[1], quad[2], quad[3]]))
            .collect()),
        other => Err(corrupt(
            Format::Tiff,
            format!(
                "page {page}: tag {} should hold SHORT or LONG values, it has field type {other}",
                entry.tag
            ),
        )),
    }
}

/// Writes one page: its strips or tiles, then its directory and the directory's values.
/// Returns where the directory is and where its link to the next one is.
fn write_page(
    file: &TiffFile<'_>,
    mut entries: Vec<TiffEntry>,
    page: usize,
    out: &mut TiffOutput,
) -> Result<(u32, usize), StripError> {
    let endian = file.endian;
    let compression = entries
        .iter()
        .find(|entry| entry.tag == COMPRESSION)
        .map(|entry| integers(entry, endian, page))
        .transpose()?
        .and_then(|values| values.first().copied());
    let jpeg = compression == Some(COMPRESSION_JPEG);
    let mut has_data = false;
    for (offsets_tag, counts_tag, name) in [
        (STRIP_OFFSETS, STRIP_BYTE_COUNTS, "strip"),
        (TILE_OFFSETS, TILE_BYTE_COUNTS, "tile"),
    ] {
        let Some(offsets) = entries.iter().find(|entry| entry.tag == offsets_tag) else {
            continue;
        };
        let counts = entries
            .iter()
            .find(|entry| entry.tag == counts_tag)
            .ok_or_else(|| {
                corrupt(
                    Format::Tiff,
                    format!("page {page} has {name} offsets but no {name} byte counts"),
                )
            })?;
        let (offsets, counts) = (
            integers(offsets, endian, page)?,
            integers(counts, endian, page)?,
        );
        if offsets.len() != counts.len() {
            return Err(corrupt(
                Format::Tiff,
                format!(
                    "page {page} has {} {name} offsets but {} {name} byte counts",
                    offsets.len(),
                    counts.len()
                ),
            ));
        }
        let (new_offsets, new_counts) =
            copy_blocks(file, &offsets, &counts, jpeg, (page, name), out)?;
        for (tag, values) in [(offsets_tag, new_offsets), (counts_tag, new_counts)] {
            if let Some(entry) = entries.iter_mut().find(|entry| entry.tag == tag) {
                *entry = long_entry(tag, &values, endian);
            }
        }
        has_data = true;
    }
    if !has_data {
        return Err(corrupt(
            Format::Tiff,
            format!("page {page} has neither StripOffsets nor TileOffsets"),
        ));
    }
    if jpeg
        && let Some(tables) = entries.iter_mut().find(|entry| entry.tag == JPEG_TABLES)
        && tables.value.starts_with(&[0xFF, 0xD8])
    {
        let cleaned = clean_jpeg(&tables.value, JpegStream::Tables)
            .map_err(|error| inside(error, Format::Tiff, &format!("page {page}'s JPEGTables")))?;
        *tables = TiffEntry {
            tag: JPEG_TABLES,
            kind: TIFF_UNDEFINED,
            count: u32::try_from(cleaned.len()).unwrap_or(u32::MAX),
            value: cleaned,
        };
    }
    write_directory(&entries, out)
}

/// A LONG entry holding `values`.
fn long_entry(tag: u16, values: &[u32], endian: Endian) -> TiffEntry {
    TiffEntry {
        tag,
        kind: TIFF_LONG,
        count: u32::try_from(values.len()).unwrap_or(u32::MAX),
        value: values
            .iter()
            .flat_map(|value| endian.u32_bytes(*value))
            .collect(),
    }
}

/// Copies a page's strips or tiles to `out`, cleaning JPEG ones; their new offsets and sizes.
fn copy_blocks(
    file: &TiffFile<'_>,
    offsets: &[u32],
    counts: &[u32],
    jpeg: bool,
    (page, name): (usize, &str),
    out: &mut TiffOutput,
) -> Result<(Vec<u32>, Vec<u32>), StripError> {
    let mut new_offsets = Vec::with_capacity(offsets.len());
    let mut new_counts = Vec::with_capacity(offsets.len());
    for (index, (offset, count)) in offsets.iter().zip(counts).enumerate() {
        let data = slice(file.bytes, to_usize(*offset), to_usize(*count)).ok_or_else(|| {
            truncated(
                Format::Tiff,
                format!("{name} {index} of page {page} ({count} bytes at byte {offset})"),
            )
        })?;
        let cleaned;
        let data = if jpeg && data.starts_with(&[0xFF, 0xD8]) {
            cleaned = clean_jpeg(data, JpegStream::File).map_err(|error| {
                inside(
                    error,
                    Format::Tiff,
                    &format!("{name} {index} of page {page}"),
                )
            })?;
            cleaned.as_slice()
        } else {
            data
        };
        new_offsets.push(out.room_for(data.len())?);
        new_counts.push(u32::try_from(data.len()).unwrap_or(u32::MAX));
        out.bytes.extend_from_slice(data);
    }
    Ok((new_offsets, new_counts))
}

/// Writes a directory of `entries` (sorted by tag) and then its values, each at an even
/// offset. Returns where the directory is and where its link to the next one is.
fn write_directory(
    entries: &[TiffEntry],
    out: &mut TiffOutput,
) -> Result<(u32, usize), StripError> {
    let endian = out.endian;
    out.pad_to_even();
    let directory_size = 2 + 12 * entries.len() + 4;
    let values_size: usize = entries
        .iter()
        .filter(|entry| entry.value.len() > 4)
        .map(|entry| entry.value.len() + entry.value.len() % 2)
        .sum();
    let directory_at = out.room_for(directory_size + values_size)?;
    let mut value_at = to_usize(directory_at) + directory_size;
    let mut values = Vec::with_capacity(values_size);
    out.bytes
        .extend_from_slice(&endian.u16_bytes(u16::try_from(entries.len()).unwrap_or(u16::MAX)));
    for entry in entries {
        out.bytes.extend_from_slice(&endian.u16_bytes(entry.tag));
        out.bytes.extend_from_slice(&endian.u16_bytes(entry.kind));
        out.bytes.extend_from_slice(&endian.u32_bytes(entry.count));
        if entry.value.len() <= 4 {
            let mut inline = [0; 4];
            inline
                .iter_mut()
                .zip(&entry.value)
                .for_each(|(slot, byte)| *slot = *byte);
            out.bytes.extend_from_slice(&inline);
        } else {
            let at = u32::try_from(value_at).map_err(|_| StripError::OutputTooLarge {
                format: Format::Tiff,
                limit: out.limit,
            })?;
            out.bytes.extend_from_slice(&endian.u32_bytes(at));
            values.extend_from_slice(&entry.value);
            if entry.value.len() % 2 == 1 {
                values.push(0);
            }
            value_at += entry.value.len() + entry.value.len() % 2;
        }
    }
    let link_at = out.bytes.len();
    out.bytes.extend_from_slice(&[0; 4]);
    out.bytes.extend_from_slice(&values);
    Ok((directory_at, link_at))
}

/// An error from a JPEG stream inside a TIFF or PDF, told as the container's.
fn inside(error: StripError, format: Format, place: &str) -> StripError {
    match error {
        StripError::UnsupportedContent { detail, .. } => StripError::UnsupportedContent {
            format,
            detail: format!("{place}, a jpeg stream: {detail}"),
        },
        other => corrupt(format, format!("{place}, a jpeg stream: {other}")),
    }
}

// ---------------------------------------------------------------------------------------------
// PDF

/// Keys removed from every dictionary of a PDF: XMP metadata, private application data,
/// modification dates and attached files (which could be the original photo: the names tree's
/// /EmbeddedFiles, a file specification's /EF, PDF 2.0's /AF).
const PDF_DROPPED_KEYS: [&[u8]; 6] = [
    b"Metadata",
    b"PieceInfo",
    b"LastModified",
    b"EmbeddedFiles",
    b"AF",
    b"EF",
];

/// Passes of [`strip_pdf`] before a damaged PDF that keeps changing is refused.
const PDF_PASSES: usize = 3;

/// [`strip_pdf`] again on its own output until it no longer changes: the PDF parser repairs a
/// damaged file on reading, so one pass over a damaged file may leave what a second pass would
/// prune (found by the `strip_metadata` fuzz target). What is published is then what stripping
/// gives back unchanged; a file that does not settle within [`PDF_PASSES`] is refused as damaged.
fn strip_pdf_to_a_fixed_point(bytes: &[u8], limits: &Limits) -> Result<Vec<u8>, StripError> {
    let mut current = strip_pdf(bytes, limits)?;
    for _ in 1..PDF_PASSES {
        let again = strip_pdf(&current, limits)?;
        if again == current {
            return Ok(current);
        }
        current = again;
    }
    Err(corrupt(
        Format::Pdf,
        format!("its structure is damaged: it still changed after {PDF_PASSES} passes"),
    ))
}

fn strip_pdf(bytes: &[u8], limits: &Limits) -> Result<Vec<u8>, StripError> {
    const FORMAT: Format = Format::Pdf;
    // A parser bug must not take the caller down with it: a panic is reported as corruption.
    let gave_up = || corrupt(FORMAT, "the pdf parser gave up on this file".to_owned());
    let mut document = std::panic::catch_unwind(|| lopdf::Document::load_mem(bytes))
        .map_err(|_| gave_up())?
        .map_err(|error| corrupt(FORMAT, format!("cannot parse it: {error}")))?;
    if document.is_encrypted() {
        return Err(StripError::UnsupportedContent {
            format: FORMAT,
            detail: "it is encrypted, so its metadata cannot be removed".to_owned(),
        });
    }
    if document.get_pages().len() > limits.max_pages {
        return Err(StripError::TooManyPages {
            format: FORMAT,
            limit: limits.max_pages,
        });
    }
    let root = document
        .trailer
        .get(b"Root")
        .ok()
        .cloned()
        .ok_or_else(|| corrupt(FORMAT, "expected a /Root entry in the trailer".to_owned()))?;
    // The trailer keeps only the catalog: /Info and /ID go (lopdf writes /Size itself).
    let mut trailer = lopdf::Dictionary::new();
    trailer.set("Root", root);
    document.trailer = trailer;
    // Cross-reference streams describe the file as it was; the writer makes its own table and
    // never writes them. Removed before pruning, so that what only they reached goes too and a
    // stripped file strips again to itself (found by the `strip_metadata` fuzz target).
    document.objects.retain(|_, object| !is_xref(object));
    let ids: Vec<lopdf::ObjectId> = document.objects.keys().copied().collect();
    for id in ids {
        let Some(object) = document.objects.get_mut(&id) else {
            continue;
        };
        scrub_pdf_object(object);
        if let lopdf::Object::Stream(stream) = object
            && is_dct_only(&stream.dict)
            && stream.content.starts_with(&[0xFF, 0xD8])
        {
            let cleaned = clean_jpeg(&stream.content, JpegStream::File).map_err(|error| {
                inside(
                    error,
                    FORMAT,
                    &format!("the image in object {} {}", id.0, id.1),
                )
            })?;
            stream.set_content(cleaned);
        }
    }
    let mut out = Vec::new();
    let saved = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        document.prune_objects();
        document.renumber_objects();
        document.binary_mark = vec![0xE2, 0xE3, 0xCF, 0xD3];
        document.save_to(&mut out)
    }))
    .map_err(|_| corrupt(FORMAT, "the pdf writer gave up on this file".to_owned()))?;
    saved.map_err(|error| corrupt(FORMAT, format!("cannot write it again: {error}")))?;
    Ok(out)
}

/// Removes [`PDF_DROPPED_KEYS`] from every dictionary in `object`, however deeply nested
/// (iteratively: a hostile file's nesting must not overflow the stack).
fn scrub_pdf_object(object: &mut lopdf::Object) {
    let mut stack = vec![object];
    while let Some(current) = stack.pop() {
        let dictionary = match current {
            lopdf::Object::Dictionary(dictionary) => dictionary,
            lopdf::Object::Stream(stream) => &mut stream.dict,
            lopdf::Object::Array(items) => {
                stack.extend(items.iter_mut());
                continue;
            }
            _ => continue,
        };
        for key in PDF_DROPPED_KEYS {
            dictionary.remove(key);
        }
        stack.extend(dictionary.iter_mut().map(|(_, value)| value));
    }
}

/// Whether an object is a cross-reference stream (or says it is one: `/Type /XRef`).
fn is_xref(object: &lopdf::Object) -> bool {
    let dictionary = match object {
        lopdf::Object::Dictionary(dictionary) => dictionary,
        lopdf::Object::Stream(stream) => &stream.dict,
        _ => return false,
    };
    matches!(dictionary.get(b"Type"), Ok(lopdf::Object::Name(name)) if name == b"XRef")
}

/// Whether a stream's only filter is DCTDecode: its data is a JPEG file.
fn is_dct_only(dictionary: &lopdf::Dictionary) -> bool {
    match dictionary.get(b"Filter") {
        Ok(lopdf::Object::Name(name)) => name == b"DCTDecode",
        Ok(lopdf::Object::Array(filters)) => {
            matches!(filters.as_slice(), [lopdf::Object::Name(name)] if name == b"DCTDecode")
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read_pages;

    fn segment(marker: u8, data: &[u8]) -> Vec<u8> {
        let mut segment = vec![0xFF, marker];
        segment.extend_from_slice(&segment_length(data.len()));
        segment.extend_from_slice(data);
        segment
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack
            .windows(needle.len())
            .any(|window| window == needle)
    }

    #[test]
    fn jpeg_segments_kept_dropped_and_rewritten() {
        let jfif = b"JFIF\0\x01\x02\x01\x00\x48\x00\x48\x01\x01\xAA\xBB\xCC";
        let mut exif = b"Exif\0\0".to_vec();
        exif.extend_from_slice(&orientation_segment(3)[10..]);
        let adobe = b"Adobe\0\x64\0\0\0\0\x01extra";
        let tables = segment(0xDB, &[0; 65]);
        let frame = segment(0xC0, &[8, 0, 1, 0, 1, 1, 1, 0x11, 0]);
        let huffman = segment(0xC4, &[0; 17]);
        let scan_header = segment(0xDA, &[1, 1, 0, 0, 63, 0]);
        let entropy = [0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF];
        let mut file = vec![0xFF, 0xD8];
        for part in [
            segment(0xE0, jfif),
            segment(0xE1, &exif),
            segment(0xEE, adobe),
            segment(0xFE, b"a comment"),
            tables.clone(),
            frame.clone(),
        ] {
            file.extend(part);
        }
        file.push(0xFF); // a fill byte before the next marker
        file.extend(&huffman);
        file.extend(&scan_header);
        file.extend(entropy);
        file.extend([0xFF, 0xD9]);
        file.extend(b"after the end");

        let mut expected = vec![0xFF, 0xD8];
        expected.extend(segment(0xE0, &jfif[..12]).into_iter().chain([0, 0]));
        // The APP0 length covers the two zero thumbnail sizes.
        expected[4..6].copy_from_slice(&segment_length(14));
        expected.extend(orientation_segment(3));
        expected.extend(segment(0xEE, &adobe[..12]));
        expected.extend(tables);
        expected.extend(frame);
        expected.extend(huffman);
        expected.extend(scan_header);
        expected.extend(entropy);
        expected.extend([0xFF, 0xD9]);

        let cleaned = clean_jpeg(&file, JpegStream::File).unwrap();
        assert_eq!(cleaned, expected);
        assert_eq!(clean_jpeg(&cleaned, JpegStream::File).unwrap(), cleaned);
    }

    #[test]
    fn orientation_segment_reads_back() {
        for value in 1..=8 {
            let segment = orientation_segment(value);
            let orientation = Orientation::from_exif_chunk(&segment[10..]).unwrap();
            assert_eq!(orientation.to_exif(), value);
        }
    }

    /// A big-endian TIFF, built by hand: `pages` uncompressed 4 x 2 grey pages, each with a
    /// Make (out of line) and its strip offsets as SHORT.
    fn big_endian_tiff(pages: u8) -> Vec<u8> {
        let mut out = b"MM\0\x2A".to_vec();
        out.extend_from_slice(&8u32.to_be_bytes());
        for page in 0..pages {
            let start = u32::try_from(out.len()).unwrap();
            let entry_count = 9u16;
            let values_at = start + 2 + 12 * u32::from(entry_count) + 4;
            let make = b"Maker of Maria's phone\0";
            let pixels_at = values_at + u32::try_from(make.len()).unwrap() + 1;
            let short = |value: u16| [value.to_be_bytes(), [0, 0]].concat();
            let entries: [(u16, u16, u32, Vec<u8>); 9] = [
                (256, 3, 1, short(4)),
                (257, 3, 1, short(2)),
                (258, 3, 1, short(8)),
                (259, 3, 1, short(1)),
                (262, 3, 1, short(1)),
                (271, 2, 23, values_at.to_be_bytes().to_vec()),
                (273, 3, 1, short(u16::try_from(pixels_at).unwrap())),
                (278, 3, 1, short(2)),
                (279, 3, 1, short(8)),
            ];
            out.extend_from_slice(&entry_count.to_be_bytes());
            for (tag, kind, count, value) in entries {
                out.extend_from_slice(&tag.to_be_bytes());
                out.extend_from_slice(&kind.to_be_bytes());
                out.extend_from_slice(&count.to_be_bytes());
                out.extend_from_slice(&value);
            }
            let next = if page + 1 < pages { pixels_at + 8 } else { 0 };
            out.extend_from_slice(&next.to_be_bytes());
            out.extend_from_slice(make);
            out.push(0);
            out.extend((0..8).map(|pixel| pixel * 30 + page));
        }
        out
    }

    #[test]
    fn big_endian_multi_page_tiff() {
        let original = big_endian_tiff(3);
        let limits = Limits::default();
        let stripped = strip_metadata(&original, &limits).unwrap();
        assert!(stripped.starts_with(b"MM\0\x2A"));
        assert!(!contains(&stripped, b"Maria"));
        let before = read_pages(&original, &limits).unwrap();
        let after = read_pages(&stripped, &limits).unwrap();
        assert_eq!(before.len(), 3);
        for (one, two) in before.iter().zip(&after) {
            assert_eq!(one.image.as_bytes(), two.image.as_bytes());
        }
        assert_eq!(strip_metadata(&stripped, &limits).unwrap(), stripped);
    }

    #[test]
    fn tiff_page_chain_that_loops_is_refused() {
        let mut looping = big_endian_tiff(2);
        // The second page's link points back at the first directory.
        let second = 8 + 2 + 9 * 12 + 4 + 24 + 8;
        let link = second + 2 + 9 * 12;
        looping[link..link + 4].copy_from_slice(&8u32.to_be_bytes());
        let error = strip_metadata(&looping, &Limits::default()).unwrap_err();
        assert!(error.to_string().contains("loops back"), "{error}");
    }

    #[test]
    fn tiff_strips_sharing_bytes_are_bounded_by_the_limit() {
        // One page whose 1,000 strips all point at the same 1,000 bytes.
        let mut file = b"II*\0\x08\0\0\0".to_vec();
        let strips = 1000u32;
        let offsets_at = 8 + 2 + 3 * 12 + 4;
        let counts_at = offsets_at + 4 * strips;
        let data_at = counts_at + 4 * strips;
        file.extend_from_slice(&3u16.to_le_bytes());
        for (tag, at) in [
            (256u16, None),
            (273, Some(offsets_at)),
            (279, Some(counts_at)),
        ] {
            file.extend_from_slice(&tag.to_le_bytes());
            file.extend_from_slice(&4u16.to_le_bytes());
            file.extend_from_slice(&(if at.is_some() { strips } else { 1 }).to_le_bytes());
            file.extend_from_slice(&at.unwrap_or(8).to_le_bytes());
        }
        file.extend_from_slice(&0u32.to_le_bytes());
        file.extend((0..strips).flat_map(|_| data_at.to_le_bytes()));
        file.extend((0..strips).flat_map(|_| 1000u32.to_le_bytes()));
        file.extend([0u8; 1000]);
        let limits = Limits {
            max_file_bytes: 100_000,
            ..Limits::default()
        };
        let error = strip_metadata(&file, &limits).unwrap_err();
        assert!(
            matches!(error, StripError::OutputTooLarge { .. }),
            "{error}"
        );
    }

    #[test]
    fn jpeg_compressed_tiff_strips_lose_their_comments() {
        let grey = image::GrayImage::from_fn(16, 16, |x, y| {
            image::Luma([u8::try_from(x * 16 + y).unwrap()])
        });
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
            .encode_image(&grey)
            .unwrap();
        let mut strip = jpeg[..2].to_vec();
        strip.extend(segment(0xFE, b"comment by Maria"));
        strip.extend_from_slice(&jpeg[2..]);
        let strip_at = 8 + 2 + 9 * 12 + 4;
        let mut file = b"II*\0\x08\0\0\0".to_vec();
        file.extend_from_slice(&9u16.to_le_bytes());
        let entries: [(u16, u16, u32); 9] = [
            (256, 3, 16),
            (257, 3, 16),
            (258, 3, 8),
            (259, 3, 7),
            (262, 3, 1),
            (273, 4, strip_at),
            (277, 3, 1),
            (278, 3, 16),
            (279, 4, u32::try_from(strip.len()).unwrap()),
        ];
        for (tag, kind, value) in entries {
            file.extend_from_slice(&tag.to_le_bytes());
            file.extend_from_slice(&kind.to_le_bytes());
            file.extend_from_slice(&1u32.to_le_bytes());
            file.extend_from_slice(&value.to_le_bytes());
        }
        file.extend_from_slice(&0u32.to_le_bytes());
        file.extend_from_slice(&strip);
        let limits = Limits::default();
        let stripped = strip_metadata(&file, &limits).unwrap();
        assert!(contains(&file, b"Maria") && !contains(&stripped, b"Maria"));
        let before = read_pages(&file, &limits).unwrap();
        let after = read_pages(&stripped, &limits).unwrap();
        assert_eq!(before[0].image.as_bytes(), after[0].image.as_bytes());
    }
}
