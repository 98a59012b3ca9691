//! Page image -> QR payloads: a ladder of strategies, cheapest first, stopping at the first
//! that reads a code and sees no other code it could not read.

use std::collections::HashSet;

use image::{DynamicImage, GrayImage};
use rxing::common::cpp_essentials::ConcentricPattern;
use rxing::common::{DetectorRXingResult, GlobalHistogramBinarizer};
use rxing::qrcode::QRCodeReader;
use rxing::qrcode::cpp_port::decoder::Decode;
use rxing::qrcode::cpp_port::detector::{
    FindFinderPatterns, FinderPatternSet, GenerateFinderPatternSets, SampleQR,
};
use rxing::{BarcodeFormat, Binarizer, BinaryBitmap, DecodeHints, Luma8Source, Reader};

use crate::Page;
use crate::binarize::LocalThreshold;

/// One way of looking for the code; the ladder tries them in the order of [`Strategy::LADDER`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Strategy {
    /// The grey page shrunk by a whole factor to about 100 to 200 dpi (a 200 or 300 dpi scan
    /// is halved), one quick pass of the C++-port reader: a code of 3.5 cm still has three or
    /// more pixels a module, and a quarter of the pixels cost a quarter of the time. Reads
    /// nearly every page; pages already that small go straight to [`Strategy::Fast`].
    Reduced,
    /// The grey page as it is (halved when over 3,600 pixels a side, e.g. a 600 dpi scan), one
    /// quick pass of the C++-port reader.
    Fast,
    /// The grey page at full resolution, searching every row (ZXing's "try harder").
    FullTryHarder,
    /// Coloured ink (blue pens, purple stamps) dropped to white, then full resolution.
    ColourDropout,
    /// Light flattened, then a low threshold: only near-black print stays black, so stamps,
    /// pen strokes and shadows lighter than the printed modules drop out.
    InkThreshold,
    /// Each corner region of the page, where the acta's code is in any orientation, cut out
    /// (and enlarged two times below about 170 dpi), so the finder patterns stand out from the
    /// text and cards around them.
    Corners,
    /// Uneven light flattened (the page divided by its smoothed paper brightness), then read
    /// with both binarizers.
    FlattenedLight,
}

impl Strategy {
    /// The ladder, in order.
    pub const LADDER: [Strategy; 7] = [
        Strategy::Reduced,
        Strategy::Fast,
        Strategy::FullTryHarder,
        Strategy::InkThreshold,
        Strategy::ColourDropout,
        Strategy::Corners,
        Strategy::FlattenedLight,
    ];
}

/// What decoding one page gave.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct PageResult {
    /// The QR payloads read, each once; empty when none could be read (the page then goes to a
    /// person), in the order found, at most 16. Every code on the page: an acta has one (a
    /// page with two different ones goes to a person), a Brazilian boletim de urna several.
    /// The ladder stops at the first strategy that reads a code, unless that strategy also
    /// located a code it could not read (a set of finder patterns, or two patterns the size of
    /// a read code's, belonging to no code read): then the next ones go on, and the codes of
    /// all are given, until one reads a code and leaves none unread.
    pub payloads: Vec<String>,
    /// The last strategy that read a code not read before, `None` when nothing was read.
    pub strategy: Option<Strategy>,
    /// How many strategies were tried.
    pub attempts: u32,
}

/// Decodes the QR code(s) on one page with the whole ladder.
pub fn decode_page(page: &Page) -> PageResult {
    decode_image(&page.image)
}

/// Decodes the QR code(s) in an image with the whole ladder.
pub fn decode_image(image: &DynamicImage) -> PageResult {
    decode_with(image, &Strategy::LADDER)
}

/// Decodes with the given strategies only, in order (for measurements and tests).
pub fn decode_with(image: &DynamicImage, strategies: &[Strategy]) -> PageResult {
    climb(&mut Prepared::new(Original::Image(image)), strategies)
}

/// Decodes a page known in grey first, the whole ladder; `colour` gives the page in colour
/// when a strategy needs it (only [`Strategy::ColourDropout`], once the earlier ones failed).
/// Returns the colour page too when it was loaded.
pub(crate) fn decode_grey(
    grey: &GrayImage,
    colour: &dyn Fn() -> Option<DynamicImage>,
) -> (PageResult, Option<DynamicImage>) {
    let mut prepared = Prepared::new(Original::Grey { grey, colour });
    let result = climb(&mut prepared, &Strategy::LADDER);
    (result, prepared.colour.flatten())
}

/// Climbs until a strategy reads a code and sees no other code left unread (see [`Found`]). On a
/// page of several codes where one rung read some and saw another it could not read, the next
/// rungs go on, and the page gives every code any of them read.
fn climb(prepared: &mut Prepared<'_>, strategies: &[Strategy]) -> PageResult {
    let mut attempts = 0;
    let mut found = Found::default();
    let mut strategy = None;
    for next in strategies {
        attempts += 1;
        let this = run(*next, prepared);
        let read_here = !this.texts.is_empty();
        let unread = this.unread;
        if found.merge(this) {
            strategy = Some(*next);
        }
        if read_here && !unread {
            break;
        }
    }
    PageResult {
        payloads: found.texts,
        strategy,
        attempts,
    }
}

/// What one reading, or several of one page, found.
#[derive(Debug, Default)]
pub(crate) struct Found {
    /// Every distinct code read, in the order found, at most [`MAX_CODES`].
    pub(crate) texts: Vec<String>,
    /// The reader located a code it could not read: three finder patterns that make a
    /// plausible symbol, none of them a read code's, or two stray patterns the size of a read
    /// code's (a code whose third pattern a stamp hid). On the acta pages of the benchmark,
    /// one code each, this stays false once the code is read, so the ladder stops where it
    /// always did.
    pub(crate) unread: bool,
}

impl Found {
    /// Adds `other`'s codes; true when one was new. The result has an unread code when the
    /// latest reading had one.
    fn merge(&mut self, other: Found) -> bool {
        let before = self.texts.len();
        for text in other.texts {
            if self.texts.len() < MAX_CODES && !self.texts.contains(&text) {
                self.texts.push(text);
            }
        }
        self.unread = other.unread;
        self.texts.len() > before
    }

    /// Whether a reading of several (levels, regions) may stop here.
    fn done(&self) -> bool {
        !self.texts.is_empty() && !self.unread
    }
}

/// The page a ladder starts from.
enum Original<'a> {
    /// A decoded page, grey or colour.
    Image(&'a DynamicImage),
    /// A page decoded in grey, and how to get it in colour.
    Grey {
        grey: &'a GrayImage,
        colour: &'a dyn Fn() -> Option<DynamicImage>,
    },
}

/// Images derived from the page once and shared by the strategies.
struct Prepared<'a> {
    original: Original<'a>,
    grey: Option<GrayImage>,
    /// The grey page shrunk for [`Strategy::Reduced`]; `Some(None)` when it is small already.
    reduced: Option<Option<GrayImage>>,
    flat: Option<GrayImage>,
    /// The colour page of an [`Original::Grey`], once asked for.
    colour: Option<Option<DynamicImage>>,
}

impl<'a> Prepared<'a> {
    fn new(original: Original<'a>) -> Prepared<'a> {
        Prepared {
            original,
            grey: None,
            reduced: None,
            flat: None,
            colour: None,
        }
    }

    fn grey(&mut self) -> &GrayImage {
        // A grey page is used as it is; a colour one is converted once.
        match self.original {
            Original::Grey { grey, .. } | Original::Image(DynamicImage::ImageLuma8(grey)) => grey,
            Original::Image(other) => self.grey.get_or_insert_with(|| to_grey(other)),
        }
    }

    fn reduced(&mut self) -> Option<&GrayImage> {
        if self.reduced.is_none() {
            let grey = self.grey();
            let factor = reduction(grey.width().max(grey.height()));
            let reduced = (factor > 1).then(|| shrink(grey, factor));
            self.reduced = Some(reduced);
        }
        self.reduced.as_ref().and_then(Option::as_ref)
    }

    fn flat(&mut self) -> &GrayImage {
        if self.flat.is_none() {
            let flat = flatten_light(self.grey());
            self.flat = Some(flat);
        }
        self.flat.get_or_insert_with(GrayImage::default)
    }

    /// The page in colour, or `None` when it is grey.
    fn colour(&mut self) -> Option<&DynamicImage> {
        match self.original {
            Original::Image(DynamicImage::ImageLuma8(_)) => None,
            Original::Image(image) => Some(image),
            Original::Grey { colour, .. } => self
                .colour
                .get_or_insert_with(|| colour().filter(|image| image.color().has_color()))
                .as_ref(),
        }
    }
}

/// The whole factor that brings a page whose long side is `long_side` pixels to between about
/// 100 and 200 dpi (a letter or A4 page's long side is about 11 inches).
pub(crate) fn reduction(long_side: u32) -> u32 {
    (long_side / 1_100).max(1)
}

fn run(strategy: Strategy, prepared: &mut Prepared<'_>) -> Found {
    match strategy {
        Strategy::Reduced => match prepared.reduced() {
            Some(reduced) => read_found(reduced, Reading::Quick),
            None => Found::default(),
        },
        Strategy::Fast => {
            // Up to 300 dpi the page is read as it is; larger pages are halved first.
            let grey = prepared.grey();
            if grey.width().max(grey.height()) > 3600 {
                read_found(&shrink(grey, 2), Reading::Quick)
            } else {
                read_found(grey, Reading::Quick)
            }
        }
        Strategy::FullTryHarder => read_found(prepared.grey(), Reading::Thorough),
        Strategy::ColourDropout => match prepared.colour() {
            None => Found::default(),
            Some(colour) => read_found(&colour_dropout(colour), Reading::Thorough),
        },
        Strategy::Corners => {
            let grey = prepared.grey();
            let mut found = Found::default();
            for region in corner_regions(grey.width(), grey.height()) {
                let crop = image::imageops::crop_imm(grey, region.0, region.1, region.2, region.3)
                    .to_image();
                let enlarged = enlarge_small_modules(&crop, grey);
                found.merge(read_found(&enlarged, Reading::Crop));
                if found.done() {
                    break;
                }
            }
            found
        }
        Strategy::InkThreshold => {
            let flat = prepared.flat();
            let mut found = Found::default();
            for level in [90, 120, 60] {
                let binary = threshold_global(flat, level);
                found.merge(read_found(&binary, Reading::Binary));
                if found.done() {
                    break;
                }
            }
            found
        }
        Strategy::FlattenedLight => read_found(prepared.flat(), Reading::Thorough),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reading {
    /// The C++-port reader on the hybrid binarizer, no extra effort.
    Quick,
    /// Both readers, try-harder, hybrid then global-histogram binarizers.
    Thorough,
    /// For an image already black and white: both readers, try-harder, one binarizer.
    Binary,
    /// For a crop: the C++-port reader, try-harder, hybrid binarizer (the Java-port reader
    /// is slow on enlarged crops full of text and adds little there).
    Crop,
}

fn hints(try_harder: bool) -> DecodeHints {
    DecodeHints {
        PossibleFormats: Some(HashSet::from([BarcodeFormat::QR_CODE])),
        TryHarder: Some(try_harder),
        ..DecodeHints::default()
    }
}

/// One decode of a grey image: every distinct code it finds, in the order found; empty when
/// none was read. Only `timing` (the hand-written pieces' benchmark) still wants just that.
#[cfg(feature = "bench-internals")]
pub(crate) fn read(grey: &GrayImage, reading: Reading) -> Vec<String> {
    read_found(grey, reading).texts
}

/// One decode of a grey image: the codes read, and whether a code was seen and not read.
pub(crate) fn read_found(grey: &GrayImage, reading: Reading) -> Found {
    let (width, height) = grey.dimensions();
    if width < 21 || height < 21 {
        return Found::default();
    }
    // A view of the pixels, not a copy: a 300 dpi page is 8 MB.
    let source = || Luma8Source::new_with_slice(grey.as_raw(), width, height).ok();
    let first = |found: Option<Found>| found.unwrap_or_default();
    match reading {
        Reading::Quick => first(source().map(|s| attempt(LocalThreshold::new(s), false, false))),
        Reading::Thorough => {
            let found = first(source().map(|s| attempt(LocalThreshold::new(s), true, true)));
            if found.texts.is_empty() {
                first(source().map(|s| attempt(GlobalHistogramBinarizer::new(s), true, true)))
            } else {
                found
            }
        }
        Reading::Binary => {
            first(source().map(|s| attempt(GlobalHistogramBinarizer::new(s), true, true)))
        }
        Reading::Crop => first(source().map(|s| attempt(LocalThreshold::new(s), true, false))),
    }
}

fn attempt<B: Binarizer>(binarizer: B, try_harder: bool, both_readers: bool) -> Found {
    // The decoder is a large port with internal assertions; a panic on one odd image must not
    // take the caller down, it only means this attempt read nothing.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        attempt_inner(binarizer, try_harder, both_readers)
    }))
    .unwrap_or_default()
}

/// The most codes returned from one page: an acta has one, and two different ones already send
/// the page to a person; a Brazilian boletim de urna prints up to a few (its texts are cut at
/// 1,100 characters), and `veedor_sim::sheet::BuSheet` puts at most this many on a page.
const MAX_CODES: usize = 16;

fn attempt_inner<B: Binarizer>(binarizer: B, try_harder: bool, both_readers: bool) -> Found {
    let hints = hints(try_harder);
    let mut bitmap = BinaryBitmap::new(binarizer);
    // Every code on the page, not only the first: a page carrying two different actas must go
    // to a person, never be read as whichever code the detector met first, and a boletim de
    // urna prints several. This is the C++-port reader's own loop (`QrReader`'s
    // `decode_multiple`, QR codes only), which also tells whether a symbol it located was left
    // unread.
    let mut found = Found::default();
    let matrix = bitmap.get_black_matrix();
    let mut patterns = FindFinderPatterns(matrix, try_harder, 0);
    let mut used: Vec<ConcentricPattern> = Vec::new();
    let mut missed: Vec<FinderPatternSet> = Vec::new();
    for set in GenerateFinderPatternSets(&mut patterns) {
        let in_use = |pattern: &ConcentricPattern| used.contains(pattern);
        if in_use(&set.bl) || in_use(&set.tl) || in_use(&set.tr) {
            continue;
        }
        let Ok(sampled) = SampleQR(matrix, &set) else {
            continue;
        };
        match Decode(sampled.getBits()) {
            Ok(decoded) if decoded.isValid() => {
                used.extend([set.bl, set.tl, set.tr]);
                let text = decoded.text();
                if found.texts.len() < MAX_CODES && !found.texts.contains(&text) {
                    found.texts.push(text);
                }
            }
            _ => missed.push(set),
        }
    }
    let located = missed.iter().any(|set| {
        ![set.bl, set.tl, set.tr]
            .iter()
            .any(|pattern| used.contains(pattern))
    });
    // Two finder patterns the size of a read code's, in no code read: a code whose third
    // pattern a stamp or a shadow hid.
    let stray = patterns
        .iter()
        .filter(|pattern| {
            !used.contains(pattern)
                && used.iter().any(|known| {
                    pattern.size * 3 >= known.size * 2 && pattern.size * 2 <= known.size * 3
                })
        })
        .count();
    found.unread = located || stray >= 2;
    if found.texts.is_empty()
        && both_readers
        && let Ok(result) = QRCodeReader.decode_with_hints(&mut bitmap, &hints)
    {
        found.texts.push(result.getText().to_owned());
    }
    found
}

/// The page `factor` times smaller each way, each output pixel the mean of a `factor` x
/// `factor` block (a box filter: much faster than a resampling filter, and it keeps the
/// module edges a QR reader needs). Columns or rows left over at the right and bottom edges
/// are dropped.
pub(crate) fn shrink(grey: &GrayImage, factor: u32) -> GrayImage {
    let factor = factor.clamp(1, 15);
    let (width, height) = (grey.width() / factor, grey.height() / factor);
    if width == 0 || height == 0 {
        return grey.clone();
    }
    let (source_width, step) = (grey.width() as usize, factor as usize);
    let output_width = width as usize;
    let area = u32::from(u16::try_from(factor * factor).unwrap_or(u16::MAX));
    // Column sums of `factor` rows, then sums of `factor` columns. Sums fit 16 bits up to a
    // factor of 15 (255 * 15 * 15 < 65,536); wrapping adds so the loops vectorise.
    let mut column_sums = vec![0u16; source_width];
    let mut output = Vec::with_capacity(output_width * height as usize);
    for block_row in grey.as_raw().chunks_exact(source_width * step) {
        column_sums.fill(0);
        for row in block_row.chunks_exact(source_width) {
            for (sum, value) in column_sums.iter_mut().zip(row) {
                *sum = sum.wrapping_add(u16::from(*value));
            }
        }
        if step == 2 {
            output.extend(column_sums.chunks_exact(2).map(|pair| {
                let total = u32::from(pair[0]) + u32::from(pair[1]);
                u8::try_from((total + 2) >> 2).unwrap_or(u8::MAX)
            }));
        } else {
            output.extend(column_sums.chunks_exact(step).map(|block| {
                let total: u32 = block.iter().map(|sum| u32::from(*sum)).sum();
                u8::try_from((total + area / 2) / area).unwrap_or(u8::MAX)
            }));
        }
    }
    GrayImage::from_raw(width, height, output).unwrap_or_else(|| grey.clone())
}

/// A colour page in grey, with the weights `image` uses (Rec. 709 luma) in 16-bit fixed
/// point: `image`'s own conversion goes through floating point and a rounding call per pixel,
/// which took as long as decoding the JPEG.
pub(crate) fn to_grey(image: &DynamicImage) -> GrayImage {
    let weighted = |red: u8, green: u8, blue: u8| {
        let sum = 13_933 * u32::from(red) + 46_871 * u32::from(green) + 4_732 * u32::from(blue);
        u8::try_from((sum + 32_768) >> 16).unwrap_or(u8::MAX)
    };
    match image {
        DynamicImage::ImageLuma8(grey) => grey.clone(),
        DynamicImage::ImageRgb8(rgb) => {
            let pixels = rgb
                .as_raw()
                .chunks_exact(3)
                .map(|pixel| weighted(pixel[0], pixel[1], pixel[2]))
                .collect();
            GrayImage::from_raw(rgb.width(), rgb.height(), pixels)
                .unwrap_or_else(|| image.to_luma8())
        }
        other => other.to_luma8(),
    }
}

/// Grey where coloured ink (saturated pixels) becomes paper white: black print stays, blue
/// pens and purple stamps go, as a scanner's colour dropout does.
fn colour_dropout(colour: &DynamicImage) -> GrayImage {
    let converted;
    let rgb = match colour {
        DynamicImage::ImageRgb8(rgb) => rgb,
        other => {
            converted = other.to_rgb8();
            &converted
        }
    };
    let mut grey = GrayImage::new(rgb.width(), rgb.height());
    for (output, pixel) in grey.pixels_mut().zip(rgb.pixels()) {
        let [red, green, blue] = pixel.0;
        let high = red.max(green).max(blue);
        let low = red.min(green).min(blue);
        // Saturated: ink of a colour. Keep the brightest channel, in which that ink is lightest.
        output.0[0] = if high - low > 40 {
            high.saturating_add(60)
        } else {
            low
        };
    }
    grey
}

/// The four corner regions (left, top, width, height), each a little over half the page in
/// both directions, bottom ones first: the acta's code is in the bottom left of an upright page.
fn corner_regions(width: u32, height: u32) -> Vec<(u32, u32, u32, u32)> {
    let region_width = width * 11 / 20;
    let region_height = height * 11 / 20;
    let right = width - region_width;
    let bottom = height - region_height;
    vec![
        (0, bottom, region_width, region_height),
        (right, bottom, region_width, region_height),
        (right, 0, region_width, region_height),
        (0, 0, region_width, region_height),
    ]
}

/// Enlarges a crop two times when the page is under about 170 dpi (a code's modules under
/// about five pixels), with a fast bilinear doubling; larger pages are left as they are.
fn enlarge_small_modules(crop: &GrayImage, page: &GrayImage) -> GrayImage {
    // A letter or A4 page's long side is about 11 inches.
    let dpi = page.width().max(page.height()) / 11;
    if dpi < 170 {
        double(crop)
    } else {
        crop.clone()
    }
}

/// Twice the size: each source pixel becomes four, interpolated with its right and lower
/// neighbours.
fn double(grey: &GrayImage) -> GrayImage {
    let (width, height) = grey.dimensions();
    let at = |x: u32, y: u32| u16::from(grey.get_pixel(x.min(width - 1), y.min(height - 1)).0[0]);
    GrayImage::from_fn(width * 2, height * 2, |x, y| {
        let (source_x, source_y) = (x / 2, y / 2);
        let value = match (x % 2, y % 2) {
            (0, 0) => at(source_x, source_y),
            (1, 0) => (at(source_x, source_y) + at(source_x + 1, source_y)) / 2,
            (0, _) => (at(source_x, source_y) + at(source_x, source_y + 1)) / 2,
            _ => {
                (at(source_x, source_y)
                    + at(source_x + 1, source_y)
                    + at(source_x, source_y + 1)
                    + at(source_x + 1, source_y + 1))
                    / 4
            }
        };
        image::Luma([u8::try_from(value).unwrap_or(u8::MAX)])
    })
}

/// Black below `level`, white from it.
fn threshold_global(grey: &GrayImage, level: u8) -> GrayImage {
    let mut binary = grey.clone();
    for pixel in binary.pixels_mut() {
        pixel.0[0] = if pixel.0[0] < level { 0 } else { 255 };
    }
    binary
}

/// Divides the page by an estimate of its paper brightness (the brightest pixel of each cell
/// of a coarse grid, smoothed, interpolated bilinearly), so shadows and vignetting flatten out.
fn flatten_light(grey: &GrayImage) -> GrayImage {
    let (width, height) = (grey.width() as usize, grey.height() as usize);
    let cell = (width.max(height) / 48).max(8);
    let (columns, rows) = (width.div_ceil(cell), height.div_ceil(cell));
    let mut maxima = vec![0u8; columns * rows];
    for (y, row) in grey.as_raw().chunks_exact(width).enumerate() {
        let grid_row = &mut maxima[(y / cell) * columns..(y / cell + 1) * columns];
        for (column, chunk) in row.chunks(cell).enumerate() {
            let brightest = chunk.iter().copied().max().unwrap_or(0);
            grid_row[column] = grid_row[column].max(brightest);
        }
    }
    let grid = GrayImage::from_raw(
        u32::try_from(columns).unwrap_or(1),
        u32::try_from(rows).unwrap_or(1),
        maxima,
    )
    .unwrap_or_default();
    let grid = image::imageops::blur(&grid, 1.0);
    let paper_at = |column: usize, row: usize| -> f32 {
        let x = u32::try_from(column.min(columns - 1)).unwrap_or(0);
        let y = u32::try_from(row.min(rows - 1)).unwrap_or(0);
        f32::from(grid.get_pixel(x, y).0[0]).max(16.0)
    };
    let mut flat = GrayImage::new(grey.width(), grey.height());
    let mut paper_row = vec![0f32; width];
    for (y, (source, output)) in grey
        .as_raw()
        .chunks_exact(width)
        .zip(flat.chunks_exact_mut(width))
        .enumerate()
    {
        // Cell centres are at (index + 0.5) * cell; interpolate between the two nearest rows.
        let grid_y = ((y as f32 + 0.5) / cell as f32 - 0.5).max(0.0);
        let (row_above, weight_below) = (grid_y.floor(), grid_y.fract());
        let row_above = grid_index(row_above);
        let column_value = |column: usize| {
            paper_at(column, row_above) * (1.0 - weight_below)
                + paper_at(column, row_above + 1) * weight_below
        };
        let column_values: Vec<f32> = (0..=columns).map(column_value).collect();
        for (x, paper) in paper_row.iter_mut().enumerate() {
            let grid_x = ((x as f32 + 0.5) / cell as f32 - 0.5).max(0.0);
            let left = grid_index(grid_x.floor()).min(columns);
            let right = (left + 1).min(columns);
            let weight = grid_x.fract();
            *paper = column_values[left] * (1.0 - weight) + column_values[right] * weight;
        }
        for ((out, value), paper) in output.iter_mut().zip(source).zip(&paper_row) {
            *out = to_byte(f32::from(*value) * 255.0 / paper);
        }
    }
    flat
}

#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "a non-negative grid coordinate far below u32::MAX"
)]
fn grid_index(value: f32) -> usize {
    value.max(0.0) as usize
}

#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "clamped to 0..=255 first"
)]
fn to_byte(value: f32) -> u8 {
    value.clamp(0.0, 255.0) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A page carrying two different acta codes (a forged code pasted beside the real one)
    /// reads as both, so that it goes to a person instead of counting whichever code the
    /// detector met first.
    #[test]
    fn a_page_with_two_codes_gives_both() {
        use veedor_sim::sheet::{Sheet, Ve2024Place, render_clean};
        let place = Ve2024Place {
            state: "EDO. MIRANDA".to_owned(),
            municipality: "MP. SUCRE".to_owned(),
            parish: "PQ. PETARE".to_owned(),
            centre: "U.E. JOSE FELIX RIBAS".to_owned(),
        };
        let payloads = [
            "201301006.01.1.0001!140,7,10,8,1,7,1,0,2,3,0,1,8,1,0,1,0,3,1,1,0,1,0,0,0,0,0,0,1,2,0,0,0,5,7,155,1,1!0!0",
            "010113999.01.1.0001!0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,900,0,0!0!0",
        ];
        let pages: Vec<_> = payloads
            .iter()
            .map(|payload| {
                let sheet = Sheet::ve2024(payload, &place).expect("a sheet");
                render_clean(&sheet, 150, 1).expect("rendered")
            })
            .collect();
        let (width, height) = pages[0].dimensions();
        let mut both = image::RgbImage::from_pixel(width * 2, height, image::Rgb([255, 255, 255]));
        image::imageops::replace(&mut both, &pages[0], 0, 0);
        image::imageops::replace(&mut both, &pages[1], i64::from(width), 0);
        let result = decode_image(&DynamicImage::ImageRgb8(both));
        let mut read = result.payloads.clone();
        read.sort();
        let mut expected: Vec<String> = payloads.iter().map(|p| (*p).to_owned()).collect();
        expected.sort();
        assert_eq!(read, expected, "{result:?}");
        // One sheet alone still reads as its one code.
        let one = decode_image(&DynamicImage::ImageRgb8(pages[0].clone()));
        assert_eq!(one.payloads, [payloads[0]]);
    }

    #[test]
    fn shrink_averages_blocks() {
        let grey = GrayImage::from_raw(5, 4, (0..20u8).map(|value| value * 10).collect()).unwrap();
        assert_eq!(shrink(&grey, 2).as_raw(), &[30, 50, 130, 150]);
        assert_eq!(shrink(&grey, 3).as_raw(), &[60]);
        assert_eq!(shrink(&grey, 1).as_raw(), grey.as_raw());
    }

    #[test]
    fn grey_is_image_luma_within_one_level() {
        let pixels: Vec<u8> = (0..3 * 64 * 64u32)
            .map(|index| u8::try_from((index * 37) % 256).unwrap())
            .collect();
        let colour = DynamicImage::ImageRgb8(image::RgbImage::from_raw(64, 64, pixels).unwrap());
        let ours = to_grey(&colour);
        let theirs = colour.to_luma8();
        for (a, b) in ours.as_raw().iter().zip(theirs.as_raw()) {
            assert!(a.abs_diff(*b) <= 1, "{a} against {b}");
        }
    }

    #[test]
    fn reduction_brings_pages_to_100_to_200_dpi() {
        let check = |dpi: u32, factor: u32| assert_eq!(reduction(dpi * 11), factor, "{dpi} dpi");
        check(100, 1);
        check(150, 1);
        check(200, 2);
        check(300, 3);
        check(600, 6);
    }
}
