//! Layout of the printed page, and the pipeline from a clean page to a degraded capture.

use std::sync::{Arc, Mutex};

use image::{DynamicImage, RgbImage};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::SheetError;
use super::degrade::{self, Degradation};
use super::draw::{Mask, Typesetter, fill_rect, round_u32, stroke_rect};
use super::layout::Sheet;

/// Page width and height in inches (US letter).
pub(crate) const PAGE_INCHES: (f32, f32) = (8.5, 11.0);

pub(crate) const BLACK: [u8; 3] = [20, 20, 20];
pub(crate) const GREY_TEXT: [u8; 3] = [70, 70, 70];
/// Blue ball-point ink.
pub(crate) const PEN_INK: [u8; 3] = [30, 45, 120];

/// Where a QR code landed on the clean page, in pixels (quiet zone excluded).
#[derive(Debug, Clone, Copy)]
pub struct QrBox {
    /// The code's left edge.
    pub(crate) left: f32,
    /// The code's top edge.
    pub(crate) top: f32,
    /// The code's side.
    pub(crate) size: f32,
}

/// A page this module prints: an acta [`Sheet`] or a Brazilian [`super::BuSheet`]. Sealed:
/// [`render`] and [`render_clean`] take any of them, and only this crate adds one.
pub trait Printable: sealed::Print {}

pub(crate) mod sealed {
    use image::RgbImage;
    use rand_chacha::ChaCha8Rng;

    use super::QrBox;
    use crate::sheet::SheetError;

    /// How a printable page is drawn; not nameable outside the crate.
    pub trait Print {
        /// The clean page at `dpi`, and where the code that stamps and folds touch is.
        ///
        /// # Errors
        /// When a code cannot be made or the codes do not fit on the page.
        fn print(&self, dpi: u32, rng: &mut ChaCha8Rng) -> Result<(RgbImage, QrBox), SheetError>;
    }
}

impl sealed::Print for Sheet {
    fn print(&self, dpi: u32, rng: &mut ChaCha8Rng) -> Result<(RgbImage, QrBox), SheetError> {
        render_page(self, dpi, rng)
    }
}

impl Printable for Sheet {}

/// The sheet as printed, before any handling or capture: an RGB page at `dpi`. Signatures are
/// drawn from `seed`.
///
/// # Errors
/// [`SheetError::QrTooLong`] when a payload does not fit in a QR code;
/// [`SheetError::DoesNotFit`] when a [`super::BuSheet`]'s codes do not fit on one page.
pub fn render_clean(sheet: &impl Printable, dpi: u32, seed: u64) -> Result<RgbImage, SheetError> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    sheet.print(dpi, &mut rng).map(|(page, _)| page)
}

/// The sheet as a scanner or phone delivers it under `degradation`: RGB, or grey when
/// `degradation.colour` is false. Deterministic for a given sheet and degradation. On a page
/// with several codes (a [`super::BuSheet`]), the stamp and the fold touch the first code.
///
/// # Errors
/// As [`render_clean`], and [`SheetError::Invalid`] for a resolution outside 50..=1200 dpi.
pub fn render(
    sheet: &impl Printable,
    degradation: &Degradation,
) -> Result<DynamicImage, SheetError> {
    if !(50..=1200).contains(&degradation.dpi) {
        return Err(SheetError::Invalid(format!(
            "resolution {} dpi is outside 50..=1200",
            degradation.dpi
        )));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(degradation.seed);
    let (page, qr) = sheet.print(degradation.dpi, &mut rng)?;
    Ok(degrade::apply(page, qr, degradation, &mut rng))
}

/// The sheet with the corner that held its QR code torn off (a witness's copy sometimes comes
/// back so, or with the code stamped over): the scanner's dark lid shows where it was, and every
/// number is still on the page for a person to read. Otherwise as [`render`].
///
/// # Errors
/// As [`render`].
pub fn render_without_code(
    sheet: &Sheet,
    degradation: &Degradation,
) -> Result<DynamicImage, SheetError> {
    if !(50..=1200).contains(&degradation.dpi) {
        return Err(SheetError::Invalid(format!(
            "resolution {} dpi is outside 50..=1200",
            degradation.dpi
        )));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(degradation.seed);
    let (mut page, qr) = render_page(sheet, degradation.dpi, &mut rng)?;
    // The corner from above the code's right side to the page's left and bottom edges is gone.
    let margin = qr.size * 0.15;
    let right = qr.left + qr.size + margin;
    let top = qr.top - margin;
    // Replaced, not blended: nothing of the code is left.
    let right = round_u32(right);
    let top = round_u32(top);
    for y in top..page.height() {
        for x in 0..right.min(page.width()) {
            page.put_pixel(x, y, image::Rgb([60, 60, 62]));
        }
    }
    Ok(degrade::apply(page, qr, degradation, &mut rng))
}

pub(crate) fn pixels(inches: f32, dpi: u32) -> f32 {
    inches * dpi as f32
}

/// A light, deterministic colour for a party card's band.
fn party_colour(party: &str) -> [u8; 3] {
    let hash = party.bytes().fold(2_166_136_261_u32, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(16_777_619)
    });
    let hue = (hash % 360) as f32;
    let (red, green, blue) = hue_to_rgb(hue);
    // Pastel: mix with white so the band prints light, as on the real ballot sheet.
    [red, green, blue].map(|channel| super::draw::to_u8(120.0 + channel * 120.0))
}

fn hue_to_rgb(hue: f32) -> (f32, f32, f32) {
    let sector = hue / 60.0;
    let falling = 1.0 - (sector % 2.0 - 1.0).abs();
    match sector {
        s if s < 1.0 => (1.0, falling, 0.0),
        s if s < 2.0 => (falling, 1.0, 0.0),
        s if s < 3.0 => (0.0, 1.0, falling),
        s if s < 4.0 => (0.0, falling, 1.0),
        s if s < 5.0 => (falling, 0.0, 1.0),
        _ => (1.0, 0.0, falling),
    }
}

/// Where things go on the page, in pixels at one resolution.
struct Layout {
    dpi: u32,
    page_width: f32,
    page_height: f32,
    header_bottom: f32,
    columns: usize,
    grid_top: f32,
    card_width: f32,
    card_height: f32,
}

impl Layout {
    fn new(sheet: &Sheet, dpi: u32) -> Layout {
        let inch = |inches: f32| pixels(inches, dpi);
        let header_bottom = inch(1.1 + 0.25 * sheet.header_lines.len().max(5) as f32);
        // The cards: six columns, as many rows as needed, between the header and the footer.
        let columns = 6;
        let rows = sheet.cards.len().div_ceil(columns).max(1);
        let grid_top = header_bottom + inch(0.15);
        let grid_bottom = inch(8.35);
        Layout {
            dpi,
            page_width: inch(PAGE_INCHES.0),
            page_height: inch(PAGE_INCHES.1),
            header_bottom,
            columns,
            grid_top,
            card_width: (inch(PAGE_INCHES.0) - inch(1.0)) / columns as f32,
            card_height: (grid_bottom - grid_top) / rows as f32,
        }
    }

    fn inch(&self, inches: f32) -> f32 {
        pixels(inches, self.dpi)
    }

    /// The left and top of a card.
    fn card(&self, index: usize) -> (f32, f32) {
        (
            self.inch(0.5) + (index % self.columns) as f32 * self.card_width,
            self.grid_top + (index / self.columns) as f32 * self.card_height,
        )
    }

    /// The left end and the height of the line of each signature, in order.
    fn signature_lines(&self) -> impl Iterator<Item = (f32, f32)> + '_ {
        (0..SIGNATURE_LABELS.len()).map(|index| {
            let column = (index % 3) as f32;
            let row = (index / 3) as f32;
            (
                self.inch(2.6) + column * self.inch(1.85),
                self.inch(9.55) + row * self.inch(0.85),
            )
        })
    }
}

/// Signature lines for the table's members and witnesses.
const SIGNATURE_LABELS: [&str; 6] = [
    "PRESIDENTE(A)",
    "MIEMBRO",
    "SECRETARIO(A)",
    "TESTIGO",
    "TESTIGO",
    "OPERADOR(A)",
];

/// What the printed form has before the voting machine prints this acta's data on it: the
/// paper, the title, the rule under the header, the cards with their party and candidate, and
/// the signature lines with their labels. The same for every acta of a ballot.
fn draw_form(sheet: &Sheet, layout: &Layout, text: &Typesetter) -> RgbImage {
    let inch = |inches: f32| layout.inch(inches);
    let paper = [252, 251, 246];
    let mut page = RgbImage::from_pixel(
        round_u32(layout.page_width),
        round_u32(layout.page_height),
        image::Rgb(paper),
    );
    text.draw_centred(
        &mut page,
        &sheet.title,
        (layout.page_width / 2.0, inch(0.75)),
        inch(0.19),
        BLACK,
    );
    let header_bottom = layout.header_bottom;
    fill_rect(
        &mut page,
        [
            inch(0.5),
            header_bottom,
            layout.page_width - inch(0.5),
            header_bottom + inch(0.02),
        ],
        BLACK,
        1.0,
    );
    let (card_width, card_height) = (layout.card_width, layout.card_height);
    for (index, card) in sheet.cards.iter().enumerate() {
        let (left, top) = layout.card(index);
        let corners = [
            left + 3.0,
            top + 3.0,
            left + card_width - 3.0,
            top + card_height - 3.0,
        ];
        let band = [
            corners[0],
            corners[1],
            corners[2],
            corners[1] + card_height * 0.22,
        ];
        fill_rect(&mut page, band, party_colour(&card.party), 1.0);
        stroke_rect(&mut page, corners, (inch(0.012)).max(1.0), BLACK);
        let centre_x = left + card_width / 2.0;
        let party_size = if card.party.len() > 10 {
            inch(0.085)
        } else {
            inch(0.11)
        };
        text.draw_centred(
            &mut page,
            &card.party,
            (centre_x, band[3] - card_height * 0.05),
            party_size,
            BLACK,
        );
        text.draw_centred(
            &mut page,
            &card.candidate,
            (centre_x, top + card_height * 0.45),
            inch(0.075),
            GREY_TEXT,
        );
    }
    for ((left, line_y), label) in layout.signature_lines().zip(SIGNATURE_LABELS) {
        fill_rect(
            &mut page,
            [left, line_y, left + inch(1.6), line_y + inch(0.01).max(1.0)],
            BLACK,
            1.0,
        );
        text.draw(
            &mut page,
            label,
            (left, line_y + inch(0.14)),
            inch(0.08),
            GREY_TEXT,
        );
    }
    page
}

/// What makes a form: the same key, the same pixels.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FormKey {
    dpi: u32,
    title: String,
    header_lines: usize,
    cards: Vec<(String, String)>,
}

impl FormKey {
    fn new(sheet: &Sheet, dpi: u32) -> FormKey {
        FormKey {
            dpi,
            title: sheet.title.clone(),
            header_lines: sheet.header_lines.len(),
            cards: sheet
                .cards
                .iter()
                .map(|card| (card.party.clone(), card.candidate.clone()))
                .collect(),
        }
    }
}

/// How many forms are kept. Flatbed conditions use four resolutions (150, 200, 240 and 300
/// dpi) that come back all the time; phone photos draw theirs at random and pass through. At
/// 300 dpi a form is 25 MB.
const FORMS_KEPT: usize = 8;

/// The forms drawn lately, the most recent last. Drawing a form (filling 8 million pixels of
/// paper, 38 cards, their names) was a tenth of the time of a whole sheet; a copy is cheap.
static FORMS: Mutex<Vec<(FormKey, Arc<RgbImage>)>> = Mutex::new(Vec::new());

/// The blank form for `sheet` at `layout`'s resolution, from the cache or drawn (and kept).
fn form(sheet: &Sheet, layout: &Layout, text: &Typesetter) -> RgbImage {
    let key = FormKey::new(sheet, layout.dpi);
    // A poisoned lock only means another thread panicked while holding it; the list is
    // still a valid list.
    let lock = || {
        FORMS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    };
    let cached = {
        let mut forms = lock();
        let found = forms.iter().position(|(kept, _)| *kept == key);
        found.map(|index| {
            let entry = forms.remove(index);
            let image = Arc::clone(&entry.1);
            forms.push(entry);
            image
        })
    };
    if let Some(image) = cached {
        return RgbImage::clone(&image);
    }
    let drawn = draw_form(sheet, layout, text);
    let mut forms = lock();
    if !forms.iter().any(|(kept, _)| *kept == key) {
        if forms.len() >= FORMS_KEPT {
            forms.remove(0);
        }
        forms.push((key, Arc::new(drawn.clone())));
    }
    drawn
}

fn render_page(
    sheet: &Sheet,
    dpi: u32,
    rng: &mut ChaCha8Rng,
) -> Result<(RgbImage, QrBox), SheetError> {
    let layout = Layout::new(sheet, dpi);
    let inch = |inches: f32| layout.inch(inches);
    let text = Typesetter::new();
    let mut page = form(sheet, &layout, &text);

    // What this acta says: its id at the top right, the place lines, the counts, the totals.
    text.draw(
        &mut page,
        &format!("ACTA {}", sheet.acta_id),
        (inch(5.3), inch(1.1)),
        inch(0.13),
        BLACK,
    );
    for (line_index, line) in sheet.header_lines.iter().enumerate() {
        let baseline = inch(1.1 + 0.25 * line_index as f32);
        text.draw(&mut page, line, (inch(0.6), baseline), inch(0.12), BLACK);
    }
    for (index, card) in sheet.cards.iter().enumerate() {
        let (left, top) = layout.card(index);
        text.draw_centred(
            &mut page,
            &card.count.to_string(),
            (
                left + layout.card_width / 2.0,
                top + layout.card_height * 0.85,
            ),
            inch(0.22),
            BLACK,
        );
    }
    for (line_index, line) in sheet.footer_lines.iter().enumerate() {
        let baseline = inch(8.6 + 0.22 * line_index as f32);
        text.draw(&mut page, line, (inch(0.6), baseline), inch(0.13), BLACK);
    }

    // The QR code, bottom left, with its acta id underneath.
    let code =
        qrcode::QrCode::with_error_correction_level(sheet.payload.as_bytes(), qrcode::EcLevel::M)
            .map_err(|error| SheetError::QrTooLong(error.to_string()))?;
    let qr_size = inch(sheet.qr_size_cm / 2.54);
    let qr = QrBox {
        left: inch(0.75),
        top: inch(9.0),
        size: qr_size,
    };
    draw_code(&mut page, &code, qr);
    text.draw(
        &mut page,
        &sheet.acta_id,
        (qr.left, qr.top + qr_size + inch(0.2)),
        inch(0.1),
        BLACK,
    );

    // A scribble on each signature line.
    for (left, line_y) in layout.signature_lines() {
        scribble(
            &mut page,
            (left + inch(0.1), line_y - inch(0.05)),
            inch(1.3),
            inch(0.35),
            dpi,
            rng,
        );
    }
    Ok((page, qr))
}

/// Prints `code`'s dark modules in black, filling `qr` (quiet zone excluded).
pub(crate) fn draw_code(page: &mut RgbImage, code: &qrcode::QrCode, qr: QrBox) {
    let modules = code.width();
    let module = qr.size / modules as f32;
    for (index, colour) in code.to_colors().iter().enumerate() {
        if *colour == qrcode::Color::Dark {
            let x = qr.left + (index % modules) as f32 * module;
            let y = qr.top + (index / modules) as f32 * module;
            fill_rect(page, [x, y, x + module, y + module], [0, 0, 0], 1.0);
        }
    }
}

/// A hand signature: a smooth random curve with loops, in ball-point ink.
pub(crate) fn scribble(
    page: &mut RgbImage,
    (left, baseline): (f32, f32),
    width: f32,
    height: f32,
    dpi: u32,
    rng: &mut ChaCha8Rng,
) {
    let loops = rng.random_range(3..7);
    let phase: f32 = rng.random_range(0.0..std::f32::consts::TAU);
    let slant: f32 = rng.random_range(0.1..0.4);
    let steps = 200;
    let mut points = Vec::with_capacity(steps + 1);
    for step in 0..=steps {
        let t = step as f32 / steps as f32;
        let angle = t * loops as f32 * std::f32::consts::TAU + phase;
        let amplitude = height * (0.3 + 0.7 * (t * 3.1).sin().abs());
        let y = baseline - amplitude * (0.5 + 0.5 * angle.sin());
        let x = left + t * width + height * 0.25 * angle.cos() + (baseline - y) * slant;
        points.push((x, y));
    }
    let mut mask = Mask::new(
        left - height,
        baseline - height * 1.2,
        left + width + height,
        baseline + height * 0.3,
    );
    mask.polyline(&points, pixels(0.012, dpi).max(1.0), 1.0);
    mask.apply(page, PEN_INK, 0.9, || 1.0);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sheet::{Condition, Ve2024Place};

    #[test]
    fn rendering_is_deterministic_and_seed_dependent() {
        let payload = "201301006.01.1.0001!140,7,10,8,1,7,1,0,2,3,0,1,8,1,0,1,0,3,1,1,0,1,0,0,0,0,0,0,1,2,0,0,0,5,7,155,1,1!0!0";
        let sheet = Sheet::ve2024(payload, &Ve2024Place::default()).unwrap();
        let degradation = Degradation {
            dpi: 60,
            ..Condition::Combined.degradation(3)
        };
        let first = render(&sheet, &degradation).unwrap();
        let again = render(&sheet, &degradation).unwrap();
        assert_eq!(first.as_bytes(), again.as_bytes());
        let other = render(
            &sheet,
            &Degradation {
                seed: 4,
                ..degradation
            },
        )
        .unwrap();
        assert_ne!(first.as_bytes(), other.as_bytes());
        assert!(
            render(
                &sheet,
                &Degradation {
                    dpi: 10,
                    ..Degradation::default()
                }
            )
            .is_err()
        );
    }
}
