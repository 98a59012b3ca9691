//! Drawing primitives on an RGB page: ink is multiplied into the paper, as printing, pens and
//! stamps darken what is under them.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use image::RgbImage;

/// DejaVu Sans, bundled so rendering never depends on the machine's fonts (licence beside it).
static FONT_BYTES: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// A value clamped into a byte.
#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "clamped to 0..=255 and rounded first"
)]
pub(crate) fn to_u8(value: f32) -> u8 {
    // `+ 0.5` and truncation rather than `round()`, which is a library call on baseline x86-64.
    (value.clamp(0.0, 255.0) + 0.5) as u8
}

/// A non-negative size rounded to whole pixels.
#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "clamped to the u32 range and rounded first"
)]
pub(crate) fn round_u32(value: f32) -> u32 {
    value.round().clamp(0.0, u32::MAX as f32) as u32
}

/// A coordinate floored into an index, saturating at the `i64` range.
#[expect(
    clippy::cast_possible_truncation,
    reason = "floor of a small pixel coordinate"
)]
pub(crate) fn floor_i64(value: f32) -> i64 {
    value.floor() as i64
}

/// Multiplies `ink` into the pixel at (x, y) with coverage `alpha` (0..=1); outside is ignored.
pub(crate) fn blend(page: &mut RgbImage, x: i64, y: i64, ink: [u8; 3], alpha: f32) {
    let (Ok(x), Ok(y)) = (u32::try_from(x), u32::try_from(y)) else {
        return;
    };
    if x >= page.width() || y >= page.height() || alpha <= 0.0 {
        return;
    }
    let alpha = alpha.min(1.0);
    let pixel = page.get_pixel_mut(x, y);
    for (channel, ink_channel) in pixel.0.iter_mut().zip(ink) {
        let factor = 1.0 - alpha + alpha * f32::from(ink_channel) / 255.0;
        *channel = to_u8(f32::from(*channel) * factor);
    }
}

/// Fills the rectangle [x0, x1) x [y0, y1), rounded to whole pixels.
pub(crate) fn fill_rect(page: &mut RgbImage, corners: [f32; 4], ink: [u8; 3], alpha: f32) {
    let [x0, y0, x1, y1] = corners;
    for y in floor_i64(y0.round())..floor_i64(y1.round()) {
        for x in floor_i64(x0.round())..floor_i64(x1.round()) {
            blend(page, x, y, ink, alpha);
        }
    }
}

/// The outline of a rectangle with the given line thickness.
pub(crate) fn stroke_rect(page: &mut RgbImage, corners: [f32; 4], thickness: f32, ink: [u8; 3]) {
    let [x0, y0, x1, y1] = corners;
    fill_rect(page, [x0, y0, x1, y0 + thickness], ink, 1.0);
    fill_rect(page, [x0, y1 - thickness, x1, y1], ink, 1.0);
    fill_rect(
        page,
        [x0, y0 + thickness, x0 + thickness, y1 - thickness],
        ink,
        1.0,
    );
    fill_rect(
        page,
        [x1 - thickness, y0 + thickness, x1, y1 - thickness],
        ink,
        1.0,
    );
}

/// A coverage mask over a region of the page, for strokes that must not darken where they
/// overlap themselves (a pen line, a stamp's ring): shapes take the maximum coverage, then the
/// mask is applied once.
#[derive(Debug)]
pub(crate) struct Mask {
    left: i64,
    top: i64,
    width: usize,
    height: usize,
    coverage: Vec<f32>,
}

impl Mask {
    /// A mask covering the box [left, right) x [top, bottom) in page pixels.
    pub(crate) fn new(left: f32, top: f32, right: f32, bottom: f32) -> Mask {
        let left = floor_i64(left) - 2;
        let top = floor_i64(top) - 2;
        let width = usize::try_from(floor_i64(right) + 3 - left).unwrap_or(0);
        let height = usize::try_from(floor_i64(bottom) + 3 - top).unwrap_or(0);
        Mask {
            left,
            top,
            width,
            height,
            coverage: vec![0.0; width * height],
        }
    }

    fn raise(&mut self, x: i64, y: i64, value: f32) {
        let (Ok(column), Ok(row)) = (
            usize::try_from(x - self.left),
            usize::try_from(y - self.top),
        ) else {
            return;
        };
        if column < self.width && row < self.height {
            let cell = &mut self.coverage[row * self.width + column];
            *cell = cell.max(value);
        }
    }

    /// A filled disc with a one-pixel soft edge.
    pub(crate) fn disc(&mut self, centre_x: f32, centre_y: f32, radius: f32, value: f32) {
        for y in floor_i64(centre_y - radius - 1.0)..=floor_i64(centre_y + radius + 1.0) {
            for x in floor_i64(centre_x - radius - 1.0)..=floor_i64(centre_x + radius + 1.0) {
                let dx = x as f32 + 0.5 - centre_x;
                let dy = y as f32 + 0.5 - centre_y;
                let distance = (dx * dx + dy * dy).sqrt();
                let edge = (radius + 0.5 - distance).clamp(0.0, 1.0);
                if edge > 0.0 {
                    self.raise(x, y, value * edge);
                }
            }
        }
    }

    /// A round-capped line through `points` of the given width.
    pub(crate) fn polyline(&mut self, points: &[(f32, f32)], width: f32, value: f32) {
        let radius = (width / 2.0).max(0.4);
        for pair in points.windows(2) {
            let [(x0, y0), (x1, y1)] = [pair[0], pair[1]];
            let length = ((x1 - x0).powi(2) + (y1 - y0).powi(2)).sqrt();
            let steps = (length / 0.5).ceil().max(1.0);
            let mut step = 0.0;
            while step <= steps {
                let t = step / steps;
                self.disc(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t, radius, value);
                step += 1.0;
            }
        }
    }

    /// A ring (annulus) between two radii.
    pub(crate) fn ring(&mut self, centre: (f32, f32), inner: f32, outer: f32, value: f32) {
        let (centre_x, centre_y) = centre;
        for y in floor_i64(centre_y - outer - 1.0)..=floor_i64(centre_y + outer + 1.0) {
            for x in floor_i64(centre_x - outer - 1.0)..=floor_i64(centre_x + outer + 1.0) {
                let dx = x as f32 + 0.5 - centre_x;
                let dy = y as f32 + 0.5 - centre_y;
                let distance = (dx * dx + dy * dy).sqrt();
                let edge = (outer + 0.5 - distance)
                    .min(distance - inner + 0.5)
                    .clamp(0.0, 1.0);
                if edge > 0.0 {
                    self.raise(x, y, value * edge);
                }
            }
        }
    }

    /// Multiplies `ink` into the page with each pixel's coverage times `alpha`, times `texture`
    /// (called per pixel, for mottled stamp ink).
    pub(crate) fn apply(
        &self,
        page: &mut RgbImage,
        ink: [u8; 3],
        alpha: f32,
        mut texture: impl FnMut() -> f32,
    ) {
        for row in 0..self.height {
            for column in 0..self.width {
                let value = self.coverage[row * self.width + column];
                if value > 0.0 {
                    let x = self.left + i64::try_from(column).unwrap_or(i64::MAX);
                    let y = self.top + i64::try_from(row).unwrap_or(i64::MAX);
                    blend(page, x, y, ink, value * alpha * texture());
                }
            }
        }
    }
}

/// Text set in the bundled font.
#[derive(Debug)]
pub(crate) struct Typesetter {
    font: FontRef<'static>,
}

impl Typesetter {
    pub(crate) fn new() -> Typesetter {
        // The bundled file is a valid font; a failure here is a build defect caught by every test.
        #[expect(clippy::expect_used, reason = "the font is compiled in and known good")]
        let font = FontRef::try_from_slice(FONT_BYTES).expect("bundled DejaVu Sans parses");
        Typesetter { font }
    }

    /// The advance width of `text` at `size` pixels.
    pub(crate) fn width(&self, text: &str, size: f32) -> f32 {
        let scaled = self.font.as_scaled(PxScale::from(size));
        let mut width = 0.0;
        let mut previous = None;
        for character in text.chars() {
            let glyph = scaled.glyph_id(character);
            if let Some(previous) = previous {
                width += scaled.kern(previous, glyph);
            }
            width += scaled.h_advance(glyph);
            previous = Some(glyph);
        }
        width
    }

    /// Draws `text` with its left end at `x` and its baseline at `baseline`.
    pub(crate) fn draw(
        &self,
        page: &mut RgbImage,
        text: &str,
        (x, baseline): (f32, f32),
        size: f32,
        ink: [u8; 3],
    ) {
        let scaled = self.font.as_scaled(PxScale::from(size));
        let mut caret = x;
        let mut previous = None;
        for character in text.chars() {
            let glyph_id = scaled.glyph_id(character);
            if let Some(previous) = previous {
                caret += scaled.kern(previous, glyph_id);
            }
            let glyph = glyph_id.with_scale_and_position(size, point(caret, baseline));
            caret += scaled.h_advance(glyph_id);
            previous = Some(glyph_id);
            if let Some(outline) = self.font.outline_glyph(glyph) {
                let bounds = outline.px_bounds();
                let left = floor_i64(bounds.min.x);
                let top = floor_i64(bounds.min.y);
                outline.draw(|gx, gy, coverage| {
                    blend(
                        page,
                        left + i64::from(gx),
                        top + i64::from(gy),
                        ink,
                        coverage,
                    );
                });
            }
        }
    }

    /// Draws `text` centred on `centre_x`.
    pub(crate) fn draw_centred(
        &self,
        page: &mut RgbImage,
        text: &str,
        (centre_x, baseline): (f32, f32),
        size: f32,
        ink: [u8; 3],
    ) {
        let width = self.width(text, size);
        self.draw(page, text, (centre_x - width / 2.0, baseline), size, ink);
    }
}
