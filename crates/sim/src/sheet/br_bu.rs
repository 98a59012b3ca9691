//! Brazil's boletim de urna (BU) as a printed page: a header and every QR code of one report.
//!
//! The urna prints its BU on a paper roll with the QR codes one under the other; here the same
//! texts go on an A4 page (Brazil's paper size), in a grid, so that a scanner or a phone takes
//! them in one capture as it takes a Venezuelan acta. Each code carries exactly one QR text,
//! byte for byte, at error correction level M, as the acta's code; every module is printed the
//! same size (by default the acta code's, 0.85 mm), so a longer text makes a larger code, not
//! a denser one. Source of the texts' form: shared/data/br-bu/README.md.

use image::RgbImage;
use qrcode::{EcLevel, QrCode};
use rand_chacha::ChaCha8Rng;

use super::SheetError;
use super::draw::{Typesetter, fill_rect, round_u32};
use super::render_page::{BLACK, GREY_TEXT, Printable, QrBox, draw_code, pixels, sealed};

/// A4 width and height in inches.
const PAGE_INCHES: (f32, f32) = (8.27, 11.69);
/// The blank border around everything printed, inches; also the outer codes' quiet zone.
const MARGIN: f32 = 0.4;
/// The quiet zone around each code, in modules (ISO/IEC 18004 asks for four): the gap between
/// two codes side by side.
const QUIET_MODULES: f32 = 4.0;
/// The gap under each code, inches, holding its caption ("QR CODE 1 DE 4") below the code's
/// quiet zone and above the next code's.
const ROW_GAP: f32 = 0.45;
/// The caption's baseline under its code, inches.
const CAPTION_BELOW: f32 = 0.26;
const MM_PER_INCH: f32 = 25.4;

/// One boletim de urna as printed on a page: what the renderer draws. Build it with
/// [`BuSheet::new`] (one page, or an error saying how many codes fit) or [`BuSheet::pages`]
/// (as many pages as the codes need); [`super::render`] and [`super::render_clean`] print it.
#[derive(Debug, Clone, PartialEq)]
pub struct BuSheet {
    /// The first line: `BOLETIM DE URNA`.
    pub title: String,
    /// Lines under the title: the state, municipality, zone and section read from the texts, the
    /// election's date and round, the caller's caption.
    pub header_lines: Vec<String>,
    /// The QR texts, one code each, printed in this order (left to right, then down).
    pub parts: Vec<String>,
    /// The printed side of one module, in millimetres.
    pub module_mm: f32,
}

/// Where the codes go, in inches from the page's top left corner.
#[derive(Debug, Clone, Copy)]
struct Grid {
    columns: usize,
    rows: usize,
    /// The left of the first column and the top of the first row.
    origin: (f32, f32),
    /// From one column to the next and one row to the next: the largest code and the gap.
    step: (f32, f32),
    /// The largest code's side.
    side: f32,
    module: f32,
}

impl Grid {
    fn capacity(&self) -> usize {
        (self.columns * self.rows).min(BuSheet::MAX_CODES)
    }
}

impl BuSheet {
    /// The default module side: that of the acta sheet's code (a 41-module code 3.5 cm wide),
    /// read at the acta's resolutions.
    pub const DEFAULT_MODULE_MM: f32 = 0.85;

    /// The most codes one page holds, however small they are: veedor-scan returns at most this
    /// many codes from one page.
    pub const MAX_CODES: usize = 16;

    /// A one-page BU for `parts` (its QR texts, in order), with the place read from the texts
    /// and `caption`, if given, as a last header line.
    ///
    /// # Errors
    /// [`SheetError::Invalid`] without a text; [`SheetError::QrTooLong`] for a text no QR code
    /// holds at level M; [`SheetError::DoesNotFit`] when the codes do not fit on one page (the
    /// error says how many do: put the rest on another page, or use [`BuSheet::pages`]).
    pub fn new(parts: &[&str], caption: Option<&str>) -> Result<BuSheet, SheetError> {
        let sheet = BuSheet::unchecked(parts, caption, None);
        sheet.grid()?;
        Ok(sheet)
    }

    /// The BU on as many pages as its codes need, in order; when there are several, each
    /// page's header ends with `PÁGINA i DE n`.
    ///
    /// # Errors
    /// As [`BuSheet::new`]; [`SheetError::DoesNotFit`] only when not even one code fits a page.
    pub fn pages(parts: &[&str], caption: Option<&str>) -> Result<Vec<BuSheet>, SheetError> {
        match BuSheet::new(parts, caption) {
            Ok(sheet) => return Ok(vec![sheet]),
            Err(SheetError::DoesNotFit { .. }) => {}
            Err(error) => return Err(error),
        }
        // Each page's header has one more line, which may leave room for fewer codes.
        let per_page = BuSheet::unchecked(parts, caption, Some((1, 2))).codes_per_page()?;
        if per_page == 0 {
            return Err(SheetError::DoesNotFit {
                codes: parts.len(),
                fit: 0,
            });
        }
        let chunks: Vec<&[&str]> = parts.chunks(per_page).collect();
        let count = chunks.len();
        chunks
            .iter()
            .enumerate()
            .map(|(index, chunk)| {
                let mut sheet = BuSheet::unchecked(parts, caption, Some((index + 1, count)));
                sheet.parts = chunk.iter().map(|part| (*part).to_owned()).collect();
                sheet.grid()?;
                Ok(sheet)
            })
            .collect()
    }

    /// A sheet for `parts` without checking that they fit; the header reads the place from
    /// `parts`, then `caption`, then the page's number of so many when given.
    fn unchecked(parts: &[&str], caption: Option<&str>, page: Option<(usize, usize)>) -> BuSheet {
        let mut header_lines = place_lines(parts);
        header_lines.extend(caption.map(str::to_owned));
        header_lines.extend(page.map(|(page, count)| format!("PÁGINA {page} DE {count}")));
        BuSheet {
            title: "BOLETIM DE URNA".to_owned(),
            header_lines,
            parts: parts.iter().map(|part| (*part).to_owned()).collect(),
            module_mm: BuSheet::DEFAULT_MODULE_MM,
        }
    }

    /// How many of this sheet's codes one page holds (the largest code sets the grid).
    ///
    /// # Errors
    /// [`SheetError::QrTooLong`] for a text no QR code holds at level M.
    pub fn codes_per_page(&self) -> Result<usize, SheetError> {
        let codes = self.codes()?;
        Ok(self.layout(&codes).capacity())
    }

    fn codes(&self) -> Result<Vec<QrCode>, SheetError> {
        self.parts
            .iter()
            .map(|part| {
                QrCode::with_error_correction_level(part.as_bytes(), EcLevel::M).map_err(|error| {
                    SheetError::QrTooLong(format!("{error} ({} bytes)", part.len()))
                })
            })
            .collect()
    }

    /// The grid for `codes`, whether they fit or not.
    fn layout(&self, codes: &[QrCode]) -> Grid {
        let module = self.module_mm.max(0.05) / MM_PER_INCH;
        let largest = codes.iter().map(QrCode::width).max().unwrap_or(21) as f32;
        let side = largest * module;
        let margin = MARGIN.max(QUIET_MODULES * module);
        let step = (
            side + QUIET_MODULES * module,
            side + ROW_GAP.max(QUIET_MODULES * module),
        );
        let top = header_bottom(self.header_lines.len()) + margin.max(0.25);
        let (width, height) = (PAGE_INCHES.0 - 2.0 * margin, PAGE_INCHES.1 - margin - top);
        // n columns take n sides and n - 1 gaps; each row takes its side and the gap under it.
        let columns = whole((width + step.0 - side) / step.0);
        let rows = whole(height / step.1);
        let used = columns.min(codes.len().max(1)) as f32 * step.0 - (step.0 - side);
        Grid {
            columns,
            rows,
            origin: (margin + (width - used) / 2.0, top),
            step,
            side,
            module,
        }
    }

    /// The codes and their grid.
    ///
    /// # Errors
    /// [`SheetError::Invalid`] without a text or with a module under 0.05 mm;
    /// [`SheetError::QrTooLong`]; [`SheetError::DoesNotFit`].
    fn grid(&self) -> Result<(Vec<QrCode>, Grid), SheetError> {
        if self.parts.is_empty() {
            return Err(SheetError::Invalid("a BU sheet needs a QR text".to_owned()));
        }
        if self.module_mm.is_nan() || self.module_mm < 0.05 {
            return Err(SheetError::Invalid(format!(
                "a module of {} mm is too small to print",
                self.module_mm
            )));
        }
        let codes = self.codes()?;
        let grid = self.layout(&codes);
        if codes.len() > grid.capacity() {
            return Err(SheetError::DoesNotFit {
                codes: codes.len(),
                fit: grid.capacity(),
            });
        }
        Ok((codes, grid))
    }
}

/// A non-negative ratio rounded down to a count.
#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "a small non-negative count, clamped first"
)]
fn whole(ratio: f32) -> usize {
    ratio.clamp(0.0, 1_000.0) as usize
}

/// Where the rule under the header goes, inches from the top.
fn header_bottom(header_lines: usize) -> f32 {
    1.0 + 0.25 * header_lines as f32
}

/// The value of the first `KEY:value` field named `key` in any of the texts.
fn field<'a>(parts: &[&'a str], key: &str) -> Option<&'a str> {
    parts.iter().find_map(|part| {
        part.split(' ')
            .find_map(|token| token.strip_prefix(key)?.strip_prefix(':'))
    })
}

/// The header lines the texts give: state, municipality, zone and section; the election's date,
/// round and the report's origin. Fields that are missing are left out; none, no line.
fn place_lines(parts: &[&str]) -> Vec<String> {
    let line = |fields: &[(&str, &str)]| {
        let shown: Vec<String> = fields
            .iter()
            .filter_map(|(label, key)| field(parts, key).map(|value| format!("{label}: {value}")))
            .collect();
        (!shown.is_empty()).then(|| shown.join("    "))
    };
    let date =
        field(parts, "DTPL").map(
            |date| match (date.get(0..4), date.get(4..6), date.get(6..8)) {
                (Some(year), Some(month), Some(day)) if date.len() == 8 => {
                    format!("{day}/{month}/{year}")
                }
                _ => date.to_owned(),
            },
        );
    let mut lines: Vec<String> = Vec::new();
    lines.extend(line(&[
        ("UF", "UNFE"),
        ("MUNICÍPIO", "MUNI"),
        ("ZONA", "ZONA"),
        ("SEÇÃO", "SECA"),
    ]));
    let second: Vec<String> = date
        .map(|date| format!("ELEIÇÃO DE {date}"))
        .into_iter()
        .chain(line(&[("TURNO", "TURN"), ("ORIGEM", "ORIG")]))
        .collect();
    if !second.is_empty() {
        lines.push(second.join("    "));
    }
    lines
}

/// The caption under a code: its `QRBU:i:n` as `QR CODE i DE n`, else its place on the page.
fn code_caption(part: &str, position: usize) -> String {
    let numbers = part
        .split(' ')
        .next()
        .and_then(|head| head.strip_prefix("QRBU:"))
        .and_then(|numbers| numbers.split_once(':'));
    match numbers {
        Some((index, count)) => format!("QR CODE {index} DE {count}"),
        None => format!("QR CODE {}", position + 1),
    }
}

impl sealed::Print for BuSheet {
    fn print(&self, dpi: u32, _rng: &mut ChaCha8Rng) -> Result<(RgbImage, QrBox), SheetError> {
        let (codes, grid) = self.grid()?;
        let inch = |inches: f32| pixels(inches, dpi);
        let text = Typesetter::new();
        let mut page = RgbImage::from_pixel(
            round_u32(inch(PAGE_INCHES.0)),
            round_u32(inch(PAGE_INCHES.1)),
            image::Rgb([252, 251, 246]),
        );
        text.draw_centred(
            &mut page,
            &self.title,
            (inch(PAGE_INCHES.0 / 2.0), inch(0.7)),
            inch(0.19),
            BLACK,
        );
        for (index, line) in self.header_lines.iter().enumerate() {
            let baseline = inch(1.05 + 0.25 * index as f32);
            text.draw(
                &mut page,
                line,
                (inch(MARGIN + 0.1), baseline),
                inch(0.13),
                BLACK,
            );
        }
        let rule = inch(header_bottom(self.header_lines.len()));
        fill_rect(
            &mut page,
            [
                inch(MARGIN),
                rule,
                inch(PAGE_INCHES.0 - MARGIN),
                rule + inch(0.02),
            ],
            BLACK,
            1.0,
        );
        let mut first = None;
        for (position, (code, part)) in codes.iter().zip(&self.parts).enumerate() {
            let (column, row) = (position % grid.columns, position / grid.columns);
            let side = code.width() as f32 * grid.module;
            // Each code centred over the largest one's place, its caption under it.
            let centre = grid.origin.0 + column as f32 * grid.step.0 + grid.side / 2.0;
            let top = grid.origin.1 + row as f32 * grid.step.1 + (grid.side - side) / 2.0;
            let qr = QrBox {
                left: inch(centre - side / 2.0),
                top: inch(top),
                size: inch(side),
            };
            draw_code(&mut page, code, qr);
            text.draw_centred(
                &mut page,
                &code_caption(part, position),
                (inch(centre), inch(top + side + CAPTION_BELOW)),
                inch(0.1),
                GREY_TEXT,
            );
            first = first.or(Some(qr));
        }
        let first =
            first.ok_or_else(|| SheetError::Invalid("a BU sheet needs a QR text".to_owned()))?;
        Ok((page, first))
    }
}

impl Printable for BuSheet {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sheet::render_clean;

    /// A part of `length` characters in the form of TSE's texts (alphanumeric, as theirs).
    fn part(index: usize, count: usize, length: usize) -> String {
        let mut text = format!(
            "QRBU:{index}:{count} VRQR:1.5 VRCH:20240507 ORIG:VOTA ORLC:LEG PROC:1000 DTPL:20241006 \
             PLEI:1100 TURN:1 FASE:S UNFE:AC MUNI:1120 ZONA:8 SECA:2 HASH:"
        );
        while text.len() < length {
            text.push_str("0123456789ABCDEF");
        }
        text.truncate(length);
        text
    }

    fn parts(count: usize, length: usize) -> Vec<String> {
        (1..=count)
            .map(|index| part(index, count, length))
            .collect()
    }

    fn refs(parts: &[String]) -> Vec<&str> {
        parts.iter().map(String::as_str).collect()
    }

    #[test]
    fn four_codes_of_the_longest_texts_fit_one_page() {
        // TSE cuts its texts at 1,100 characters.
        let parts = parts(4, 1_100);
        let sheet = BuSheet::new(&refs(&parts), None).unwrap();
        assert!(sheet.codes_per_page().unwrap() >= 4);
        let page = render_clean(&sheet, 60, 1).unwrap();
        assert_eq!(page.dimensions(), (496, 701));
        assert_eq!(page, render_clean(&sheet, 60, 1).unwrap());
    }

    #[test]
    fn the_header_shows_the_place_and_the_caption() {
        let parts = parts(2, 600);
        let sheet = BuSheet::new(&refs(&parts), Some("Acre, exemplo do TSE")).unwrap();
        assert_eq!(
            sheet.header_lines,
            [
                "UF: AC    MUNICÍPIO: 1120    ZONA: 8    SEÇÃO: 2",
                "ELEIÇÃO DE 06/10/2024    TURNO: 1    ORIGEM: VOTA",
                "Acre, exemplo do TSE",
            ]
        );
        assert_eq!(code_caption(&parts[1], 1), "QR CODE 2 DE 2");
        assert_eq!(code_caption("no header", 2), "QR CODE 3");
        let plain = BuSheet::new(&["any text"], Some("caption")).unwrap();
        assert_eq!(plain.header_lines, ["caption"]);
    }

    #[test]
    fn codes_that_do_not_fit_are_an_error_and_go_on_more_pages() {
        let parts = parts(9, 1_100);
        let fit = match BuSheet::new(&refs(&parts), None) {
            Err(SheetError::DoesNotFit { codes: 9, fit }) => fit,
            other => panic!("expected DoesNotFit, got {other:?}"),
        };
        assert!((1..9).contains(&fit), "{fit}");
        let pages = BuSheet::pages(&refs(&parts), None).unwrap();
        assert!(pages.len() >= 3, "{}", pages.len());
        let all: Vec<String> = pages.iter().flat_map(|page| page.parts.clone()).collect();
        assert_eq!(all, parts);
        let last = pages.last().unwrap().header_lines.last().unwrap().clone();
        assert_eq!(last, format!("PÁGINA {} DE {}", pages.len(), pages.len()));
        // One page's worth stays on one page, without a page number.
        let one = BuSheet::pages(&refs(&parts[..2]), None).unwrap();
        assert_eq!(one.len(), 1);
        assert!(
            !one[0]
                .header_lines
                .iter()
                .any(|line| line.starts_with("PÁGINA"))
        );
        // Modules so large that no code fits.
        let mut huge = BuSheet::new(&refs(&parts[..1]), None).unwrap();
        huge.module_mm = 5.0;
        assert!(matches!(
            render_clean(&huge, 60, 1),
            Err(SheetError::DoesNotFit { codes: 1, fit: 0 })
        ));
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(matches!(
            BuSheet::new(&[], None),
            Err(SheetError::Invalid(_))
        ));
        let long = "A".repeat(5_000);
        assert!(matches!(
            BuSheet::new(&[long.as_str()], None),
            Err(SheetError::QrTooLong(_))
        ));
        let mut sheet = BuSheet::new(&["text"], None).unwrap();
        sheet.module_mm = f32::NAN;
        assert!(matches!(
            render_clean(&sheet, 60, 1),
            Err(SheetError::Invalid(_))
        ));
    }
}
