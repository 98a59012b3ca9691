//! How a printed sheet is handled and captured: stamps, folds, scanner or phone, noise.

use image::{DynamicImage, RgbImage};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::draw::{Mask, blend, floor_i64, round_u32, to_u8};
use super::raster::Raster;
use super::render_page::{PEN_INK, QrBox, scribble};

/// A turn of the whole page as it lay on the scanner, clockwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rotation {
    /// Upright.
    #[default]
    None,
    /// A quarter turn clockwise (sideways).
    Quarter,
    /// Upside down.
    Half,
    /// Three quarter turns clockwise (sideways the other way).
    ThreeQuarters,
}

/// A crease across the page: a dark shadow line with a bright edge beside it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fold {
    /// The crease crosses the QR code (otherwise it crosses the cards).
    pub across_qr: bool,
    /// Vertical instead of horizontal.
    pub vertical: bool,
    /// How dark the crease's shadow is, 0..=1.
    pub darkness: f32,
}

/// A rubber stamp and a signature touching the QR code.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stamp {
    /// How far the stamp's disc reaches into the code, as a fraction of the code's side (0..=0.5).
    pub overlap: f32,
    /// The stamp's ink coverage, 0..=1.
    pub opacity: f32,
    /// Also a pen signature whose stroke crosses a corner of the code.
    pub signature_across_qr: bool,
}

/// A phone photo of the sheet lying on a desk instead of a flatbed scan.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Phone {
    /// How far each page corner is pushed, as a fraction of the page size (0..=0.15).
    pub perspective: f32,
    /// Brightness lost towards the dark side and the corners, 0..=0.7.
    pub light_falloff: f32,
    /// Gaussian blur of the camera (focus, shake), in pixels.
    pub blur_sigma: f32,
}

/// Every parameter of one degraded capture; each is independent and they combine.
/// Deterministic: the same sheet and degradation always give the same pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct Degradation {
    /// Resolution of the scan (for a phone photo, of the page in the photo), dots per inch.
    pub dpi: u32,
    /// Colour (RGB) output; otherwise greyscale.
    pub colour: bool,
    /// Whole quarter turns of the page.
    pub rotation: Rotation,
    /// Small skew of the page on the glass, degrees (positive clockwise).
    pub skew_degrees: f32,
    /// The JPEG quality the capture is meant to be saved at (see [`super::FileFormat::Jpeg`]).
    pub jpeg_quality: u8,
    /// A crease across the page.
    pub fold: Option<Fold>,
    /// A stamp (and signature) touching the QR code.
    pub stamp: Option<Stamp>,
    /// A phone photo instead of a flatbed scan.
    pub phone: Option<Phone>,
    /// Sensor noise, standard deviation in grey levels.
    pub noise: f32,
    /// Optical blur of the scanner, Gaussian sigma in pixels (0 for none).
    pub blur_sigma: f32,
    /// Seed of every random choice (signatures, stamp place, noise).
    pub seed: u64,
}

impl Default for Degradation {
    /// A clean 200 dpi colour scan saved at JPEG quality 85.
    fn default() -> Self {
        Degradation {
            dpi: 200,
            colour: true,
            rotation: Rotation::None,
            skew_degrees: 0.0,
            jpeg_quality: 85,
            fold: None,
            stamp: None,
            phone: None,
            noise: 2.0,
            blur_sigma: 0.5,
            seed: 0,
        }
    }
}

/// The named capture conditions that tests and benchmarks iterate over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Condition {
    /// Flatbed at 150 dpi.
    Dpi150,
    /// Flatbed at 200 dpi.
    Dpi200,
    /// Flatbed at 300 dpi.
    Dpi300,
    /// The page scanned sideways (a quarter turn clockwise).
    Rotated90,
    /// The page scanned upside down.
    Rotated180,
    /// The page scanned sideways the other way.
    Rotated270,
    /// The page skewed by a few degrees on the glass.
    Skewed,
    /// Saved at a low JPEG quality (heavy block noise).
    LowJpegQuality,
    /// A fold line across the QR code.
    FoldOverQr,
    /// A stamp and a signature touching the QR code.
    StampTouchingQr,
    /// A colour scan.
    Colour,
    /// A greyscale scan.
    Grey,
    /// A phone photo: perspective, uneven light, slight blur.
    PhonePhoto,
    /// Everything at once, mildly: low resolution, skew, turn, fold, stamp, JPEG noise.
    Combined,
    /// A poor scan: 100-130 dpi, soft optics, strong JPEG compression (fax-like quality).
    LowResolutionBlurred,
    /// A dim phone photo: a strong shadow across the page, far away, out of focus, noisy.
    DimPhoto,
}

impl Condition {
    /// Every condition, in a fixed order.
    pub const ALL: [Condition; 16] = [
        Condition::Dpi150,
        Condition::Dpi200,
        Condition::Dpi300,
        Condition::Rotated90,
        Condition::Rotated180,
        Condition::Rotated270,
        Condition::Skewed,
        Condition::LowJpegQuality,
        Condition::FoldOverQr,
        Condition::StampTouchingQr,
        Condition::Colour,
        Condition::Grey,
        Condition::PhonePhoto,
        Condition::Combined,
        Condition::LowResolutionBlurred,
        Condition::DimPhoto,
    ];

    /// A short stable name, for file names and tables.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Condition::Dpi150 => "dpi150",
            Condition::Dpi200 => "dpi200",
            Condition::Dpi300 => "dpi300",
            Condition::Rotated90 => "rot90",
            Condition::Rotated180 => "rot180",
            Condition::Rotated270 => "rot270",
            Condition::Skewed => "skewed",
            Condition::LowJpegQuality => "lowjpeg",
            Condition::FoldOverQr => "fold",
            Condition::StampTouchingQr => "stamp",
            Condition::Colour => "colour",
            Condition::Grey => "grey",
            Condition::PhonePhoto => "phone",
            Condition::Combined => "combined",
            Condition::LowResolutionBlurred => "lowres",
            Condition::DimPhoto => "dimphoto",
        }
    }

    /// One degradation of this condition, its free parameters drawn from `seed`.
    #[must_use]
    pub fn degradation(self, seed: u64) -> Degradation {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed_u64.wrapping_mul(self as u64 + 1));
        let mut degradation = Degradation {
            seed,
            dpi: [150, 200, 240, 300][rng.random_range(0..4)],
            skew_degrees: rng.random_range(-0.6..0.6),
            jpeg_quality: rng.random_range(75..93),
            colour: rng.random_bool(0.5),
            ..Degradation::default()
        };
        let fold = |rng: &mut ChaCha8Rng, across_qr| Fold {
            across_qr,
            vertical: rng.random_bool(0.5),
            darkness: rng.random_range(0.4..0.85),
        };
        match self {
            Condition::Dpi150 => {
                // Cheap office scanners at their lowest setting: soft optics too.
                degradation.dpi = 150;
                degradation.blur_sigma = rng.random_range(0.5..1.1);
                degradation.jpeg_quality = rng.random_range(50..80);
            }
            Condition::Dpi200 => degradation.dpi = 200,
            Condition::Dpi300 => degradation.dpi = 300,
            Condition::Rotated90 => degradation.rotation = Rotation::Quarter,
            Condition::Rotated180 => degradation.rotation = Rotation::Half,
            Condition::Rotated270 => degradation.rotation = Rotation::ThreeQuarters,
            Condition::Skewed => {
                let angle = rng.random_range(2.0..8.0);
                degradation.skew_degrees = if rng.random_bool(0.5) { angle } else { -angle };
            }
            Condition::LowJpegQuality => {
                degradation.dpi = [150, 200][rng.random_range(0..2)];
                degradation.jpeg_quality = rng.random_range(8..22);
                degradation.blur_sigma = rng.random_range(0.5..1.0);
            }
            Condition::FoldOverQr => {
                degradation.dpi = [150, 200, 240][rng.random_range(0..3)];
                degradation.fold = Some(fold(&mut rng, true));
            }
            Condition::StampTouchingQr => {
                degradation.stamp = Some(Stamp {
                    overlap: rng.random_range(0.12..0.3),
                    opacity: rng.random_range(0.6..0.95),
                    signature_across_qr: true,
                });
            }
            Condition::Colour => degradation.colour = true,
            Condition::Grey => degradation.colour = false,
            Condition::PhonePhoto => {
                // The page a metre-ish from a 12 MP camera: 130-200 dpi on the paper.
                degradation.dpi = rng.random_range(130..200);
                degradation.skew_degrees = rng.random_range(-8.0..8.0);
                degradation.noise = rng.random_range(4.0..9.0);
                degradation.jpeg_quality = rng.random_range(60..85);
                degradation.phone = Some(Phone {
                    perspective: rng.random_range(0.04..0.13),
                    light_falloff: rng.random_range(0.35..0.7),
                    blur_sigma: rng.random_range(0.8..1.6),
                });
            }
            Condition::Combined => {
                degradation.dpi = [150, 200][rng.random_range(0..2)];
                degradation.rotation = [Rotation::Quarter, Rotation::Half, Rotation::ThreeQuarters]
                    [rng.random_range(0..3)];
                degradation.skew_degrees = rng.random_range(-5.0..5.0);
                degradation.jpeg_quality = rng.random_range(25..50);
                degradation.blur_sigma = rng.random_range(0.5..1.0);
                degradation.fold = Some(fold(&mut rng, true));
                degradation.stamp = Some(Stamp {
                    overlap: rng.random_range(0.08..0.2),
                    opacity: rng.random_range(0.5..0.8),
                    signature_across_qr: rng.random_bool(0.5),
                });
            }
            Condition::LowResolutionBlurred => {
                degradation.dpi = rng.random_range(100..130);
                degradation.blur_sigma = rng.random_range(0.7..1.2);
                degradation.jpeg_quality = rng.random_range(25..55);
                degradation.colour = false;
            }
            Condition::DimPhoto => {
                degradation.dpi = rng.random_range(110..150);
                degradation.skew_degrees = rng.random_range(-10.0..10.0);
                degradation.noise = rng.random_range(8.0..13.0);
                degradation.jpeg_quality = rng.random_range(50..75);
                degradation.phone = Some(Phone {
                    perspective: rng.random_range(0.06..0.15),
                    light_falloff: rng.random_range(0.6..0.7),
                    blur_sigma: rng.random_range(1.2..2.0),
                });
            }
        }
        degradation
    }
}

/// Applies everything after printing: stamp, fold, capture, noise, colour mode. A grey capture
/// is converted to grey before the capture's pixel work (see [`Raster`]).
pub(crate) fn apply(
    mut page: RgbImage,
    qr: QrBox,
    degradation: &Degradation,
    rng: &mut ChaCha8Rng,
) -> DynamicImage {
    if let Some(stamp) = degradation.stamp {
        stamp_near(&mut page, qr, stamp, degradation, rng);
    }
    if let Some(fold) = degradation.fold {
        crease(&mut page, qr, fold, degradation.dpi, rng);
    }
    let page = if degradation.colour {
        Raster::from_rgb(page)
    } else {
        Raster::grey_from_rgb(&page)
    };
    let mut capture = match degradation.phone {
        Some(phone) => photograph(&page, phone, degradation.skew_degrees, rng),
        None if degradation.skew_degrees.abs() > 0.01 => {
            // The skew and the quarter turns in one pass over the pixels.
            skew_and_turn(&page, degradation.skew_degrees, degradation.rotation)
        }
        None => match degradation.rotation {
            Rotation::None => page,
            Rotation::Quarter => page.rotate_quarter(true),
            Rotation::Half => page.rotate_half(),
            Rotation::ThreeQuarters => page.rotate_quarter(false),
        },
    };
    if degradation.blur_sigma > 0.05 {
        capture = capture.gaussian_blur(degradation.blur_sigma);
    }
    if degradation.noise > 0.0 {
        capture.add_noise(degradation.noise, rng.random());
    }
    capture.into_image()
}

/// A round rubber stamp whose disc reaches `overlap` into the code from a random side, with
/// mottled ink, and optionally a signature stroke across one corner of the code.
fn stamp_near(
    page: &mut RgbImage,
    qr: QrBox,
    stamp: Stamp,
    degradation: &Degradation,
    rng: &mut ChaCha8Rng,
) {
    let dpi = degradation.dpi as f32;
    let radius = dpi * rng.random_range(0.55..0.75);
    let reach = qr.size * stamp.overlap.clamp(0.0, 0.5);
    let centre_qr = (qr.left + qr.size / 2.0, qr.top + qr.size / 2.0);
    // The stamp comes from the right (where the signatures are) or from above.
    let from_right = rng.random_bool(0.6);
    let along = rng.random_range(-0.35..0.35) * qr.size;
    let centre = if from_right {
        (qr.left + qr.size - reach + radius, centre_qr.1 + along)
    } else {
        (centre_qr.0 + along, qr.top + reach - radius)
    };
    let mut mask = Mask::new(
        centre.0 - radius,
        centre.1 - radius,
        centre.0 + radius,
        centre.1 + radius,
    );
    let thickness = dpi * 0.03;
    mask.ring(centre, radius - thickness, radius, 1.0);
    mask.ring(centre, radius * 0.62 - thickness * 0.7, radius * 0.62, 1.0);
    // Letters around the ring, as short radial dashes: enough texture without a second font path.
    let marks = 28;
    for mark in 0..marks {
        let angle = mark as f32 / marks as f32 * std::f32::consts::TAU;
        let (sin, cos) = angle.sin_cos();
        let inner = radius * 0.68;
        let outer = radius * 0.88;
        let wobble = rng.random_range(0.0..0.3);
        mask.polyline(
            &[
                (centre.0 + cos * inner, centre.1 + sin * inner),
                (
                    centre.0 + (cos + wobble * sin * 0.2) * outer,
                    centre.1 + (sin - wobble * cos * 0.2) * outer,
                ),
            ],
            thickness * 0.8,
            1.0,
        );
    }
    mask.disc(centre.0, centre.1, radius * 0.12, 1.0);
    let ink = if degradation.colour || rng.random_bool(0.5) {
        [70, 50, 150]
    } else {
        [60, 60, 60]
    };
    let mut texture_rng = ChaCha8Rng::seed_from_u64(degradation.seed ^ 0x57a3);
    mask.apply(page, ink, stamp.opacity, || {
        texture_rng.random_range(0.6..1.0)
    });

    if stamp.signature_across_qr {
        // A signature from the signature area whose tail crosses the code's right or top edge.
        let width = qr.size * 1.2;
        let left = qr.left + qr.size * rng.random_range(0.7..0.85);
        let baseline = qr.top + qr.size * rng.random_range(0.2..0.8);
        scribble(
            page,
            (left, baseline),
            width,
            qr.size * 0.25,
            degradation.dpi,
            rng,
        );
        let mut tail = Mask::new(
            left - qr.size,
            baseline - qr.size,
            left + qr.size,
            baseline + qr.size,
        );
        tail.polyline(
            &[
                (left, baseline),
                (left - qr.size * 0.15, baseline + qr.size * 0.05),
                (left - qr.size * 0.3, baseline + qr.size * 0.02),
            ],
            dpi * 0.012,
            1.0,
        );
        tail.apply(page, PEN_INK, 0.9, || 1.0);
    }
}

/// A crease: a slightly wavy dark band with a bright line on one side, the paper's ink cracked
/// along it (lighter where it crosses printed black).
fn crease(page: &mut RgbImage, qr: QrBox, fold: Fold, dpi: u32, rng: &mut ChaCha8Rng) {
    let dpi = dpi as f32;
    let (width, height) = (page.width() as f32, page.height() as f32);
    let position = if fold.across_qr {
        let inside = rng.random_range(0.2..0.8) * qr.size;
        if fold.vertical {
            qr.left + inside
        } else {
            qr.top + inside
        }
    } else if fold.vertical {
        width * rng.random_range(0.3..0.7)
    } else {
        height * rng.random_range(0.3..0.6)
    };
    let band = dpi * 0.035;
    let tilt: f32 = rng.random_range(-0.01..0.01);
    let wave_phase: f32 = rng.random_range(0.0..std::f32::consts::TAU);
    let length = if fold.vertical { height } else { width };
    let mut along = 0.0;
    while along < length {
        let offset = position
            + tilt * (along - length / 2.0)
            + (along / dpi * 2.0 + wave_phase).sin() * dpi * 0.01;
        let mut across = -band * 2.0;
        while across <= band * 2.0 {
            let coordinate = offset + across;
            let (x, y) = if fold.vertical {
                (coordinate, along)
            } else {
                (along, coordinate)
            };
            let distance = across / band;
            if distance < 0.0 {
                // Shadow side: a smooth dark falloff.
                let shade = fold.darkness * (-(distance * distance) * 1.5).exp();
                blend(page, floor_i64(x), floor_i64(y), [40, 40, 40], shade);
            } else if distance < 0.5 {
                // The ridge: cracked ink and a highlight, lighter than the paper around it.
                lighten(page, floor_i64(x), floor_i64(y), 0.5 * fold.darkness);
            }
            across += 1.0;
        }
        along += 1.0;
    }
}

fn lighten(page: &mut RgbImage, x: i64, y: i64, amount: f32) {
    let (Ok(x), Ok(y)) = (u32::try_from(x), u32::try_from(y)) else {
        return;
    };
    if x < page.width() && y < page.height() {
        let pixel = page.get_pixel_mut(x, y);
        for channel in &mut pixel.0 {
            *channel = to_u8(f32::from(*channel) + (255.0 - f32::from(*channel)) * amount);
        }
    }
}

/// Rotates the page by a small angle about its centre on a white scanner lid, then turns it by
/// `rotation` (whole quarter turns clockwise), as one warp.
fn skew_and_turn(page: &Raster, degrees: f32, rotation: Rotation) -> Raster {
    let (sin, cos) = degrees.to_radians().sin_cos();
    let (width, height) = (page.width as f32, page.height as f32);
    let (centre_x, centre_y) = (width / 2.0, height / 2.0);
    // Output pixel of the skewed page -> source pixel: the inverse rotation.
    let skew_inverse = [
        [cos, sin, centre_x - cos * centre_x - sin * centre_y],
        [-sin, cos, centre_y + sin * centre_x - cos * centre_y],
        [0.0, 0.0, 1.0],
    ];
    // Output pixel of the turned page -> pixel of the skewed page (continuous coordinates).
    let (size, turn_inverse) = match rotation {
        Rotation::None => (
            (page.width, page.height),
            [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        ),
        // Clockwise: (x, y) of the page lands at (height - y, x).
        Rotation::Quarter => (
            (page.height, page.width),
            [[0.0, 1.0, 0.0], [-1.0, 0.0, height], [0.0, 0.0, 1.0]],
        ),
        Rotation::Half => (
            (page.width, page.height),
            [[-1.0, 0.0, width], [0.0, -1.0, height], [0.0, 0.0, 1.0]],
        ),
        // Anticlockwise: (x, y) lands at (y, width - x).
        Rotation::ThreeQuarters => (
            (page.height, page.width),
            [[0.0, -1.0, width], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]],
        ),
    };
    let inverse = multiply(&skew_inverse, &turn_inverse);
    page.warp(size, &inverse, |_, _| [245, 245, 245])
}

/// The product of two 3x3 matrices.
fn multiply(left: &[[f32; 3]; 3], right: &[[f32; 3]; 3]) -> [[f32; 3]; 3] {
    std::array::from_fn(|row| {
        std::array::from_fn(|column| (0..3).map(|k| left[row][k] * right[k][column]).sum())
    })
}

/// A phone photo: the page on a wooden desk, seen in perspective, lit unevenly, slightly blurred.
fn photograph(page: &Raster, phone: Phone, rotate_degrees: f32, rng: &mut ChaCha8Rng) -> Raster {
    let (page_width, page_height) = (page.width as f32, page.height as f32);
    let canvas = (
        round_u32(page_width * 1.18) as usize,
        round_u32(page_height * 1.12) as usize,
    );
    let (canvas_width, canvas_height) = (canvas.0 as f32, canvas.1 as f32);
    let margin = (canvas_width - page_width) / 2.0;
    let margin_y = (canvas_height - page_height) / 2.0;
    let push = phone.perspective.clamp(0.0, 0.15);
    let mut jitter = |scale: f32| rng.random_range(-push..push) * scale;
    let (sin, cos) = rotate_degrees.to_radians().sin_cos();
    let corner = |x: f32, y: f32| {
        let (dx, dy) = (x - page_width / 2.0, y - page_height / 2.0);
        (
            canvas_width / 2.0 + dx * cos - dy * sin,
            canvas_height / 2.0 + dx * sin + dy * cos,
        )
    };
    // Where the page's corners land; the top edge (far from the camera) shrinks.
    let shrink = push * page_width * 0.8;
    let mut quad = [
        corner(shrink * 0.5, 0.0),
        corner(page_width - shrink * 0.5, 0.0),
        corner(page_width, page_height),
        corner(0.0, page_height),
    ];
    for point in &mut quad {
        point.0 += jitter(page_width) * 0.5;
        point.1 += jitter(page_height) * 0.5;
        point.0 = point.0.clamp(-margin * 0.5, canvas_width + margin * 0.5);
        point.1 = point
            .1
            .clamp(-margin_y * 0.5, canvas_height + margin_y * 0.5);
    }
    let source = [
        (0.0, 0.0),
        (page_width, 0.0),
        (page_width, page_height),
        (0.0, page_height),
    ];
    let inverse = homography(quad, source);
    let grain_phase: f32 = rng.random_range(0.0..std::f32::consts::TAU);
    let mut photo = page.warp(canvas, &inverse, |x, y| {
        // Wood: warm brown with streaks.
        let streak = ((y / 7.0 + (x / 90.0 + grain_phase).sin() * 3.0).sin() * 0.5 + 0.5) * 25.0;
        [
            to_u8(120.0 + streak),
            to_u8(85.0 + streak * 0.7),
            to_u8(55.0 + streak * 0.4),
        ]
    });

    // Light: a linear gradient from a random side times a vignette, with a warm cast.
    let angle: f32 = rng.random_range(0.0..std::f32::consts::TAU);
    let (gradient_x, gradient_y) = (angle.cos(), angle.sin());
    let falloff = phone.light_falloff.clamp(0.0, 0.7);
    let half_diagonal = (canvas_width * canvas_width + canvas_height * canvas_height).sqrt() / 2.0;
    photo.light([1.0, 0.96, 0.88], |x, y| {
        let (dx, dy) = (
            x as f32 - canvas_width / 2.0,
            y as f32 - canvas_height / 2.0,
        );
        let along = (dx * gradient_x + dy * gradient_y) / half_diagonal; // -1..1
        // The square of the distance from the centre, as a fraction of the half diagonal.
        let radial_squared = (dx * dx + dy * dy) / (half_diagonal * half_diagonal); // 0..1
        (1.0 - falloff * (0.5 + 0.5 * along)) * (1.0 - 0.35 * falloff * radial_squared)
    });
    if phone.blur_sigma > 0.05 {
        photo = photo.gaussian_blur(phone.blur_sigma);
    }
    photo
}

/// The projective transform taking the four `from` points to the four `to` points.
fn homography(from: [(f32, f32); 4], to: [(f32, f32); 4]) -> [[f32; 3]; 3] {
    // Eight equations in the eight unknowns h0..h7 (h8 = 1), solved by Gaussian elimination in f64.
    let mut system = [[0.0_f64; 9]; 8];
    for (index, ((x, y), (u, v))) in from.iter().zip(to.iter()).enumerate() {
        let (x, y, u, v) = (f64::from(*x), f64::from(*y), f64::from(*u), f64::from(*v));
        system[2 * index] = [x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y, u];
        system[2 * index + 1] = [0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y, v];
    }
    for column in 0..8 {
        let pivot = (column..8)
            .max_by(|a, b| {
                system[*a][column]
                    .abs()
                    .total_cmp(&system[*b][column].abs())
            })
            .unwrap_or(column);
        system.swap(column, pivot);
        let divisor = system[column][column];
        if divisor.abs() < 1e-12 {
            continue;
        }
        for entry in &mut system[column] {
            *entry /= divisor;
        }
        for row in 0..8 {
            if row != column {
                let factor = system[row][column];
                let pivot_row = system[column];
                for (entry, pivot_entry) in system[row].iter_mut().zip(pivot_row) {
                    *entry -= factor * pivot_entry;
                }
            }
        }
    }
    #[expect(
        clippy::cast_possible_truncation,
        reason = "coefficients of a pixel transform"
    )]
    let h = |index: usize| system[index][8] as f32;
    [[h(0), h(1), h(2)], [h(3), h(4), h(5)], [h(6), h(7), 1.0]]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn homography_maps_corners() {
        let from = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)];
        let to = [(1.0, 2.0), (12.0, 1.0), (11.0, 13.0), (0.0, 10.0)];
        let h = homography(from, to);
        for ((x, y), (u, v)) in from.iter().zip(to) {
            let w = h[2][0] * x + h[2][1] * y + h[2][2];
            assert!(((h[0][0] * x + h[0][1] * y + h[0][2]) / w - u).abs() < 1e-3);
            assert!(((h[1][0] * x + h[1][1] * y + h[1][2]) / w - v).abs() < 1e-3);
        }
    }

    #[test]
    fn turns_in_the_warp_match_plain_turns() {
        let data: Vec<u8> = (0..7 * 4 * 3)
            .map(|i| u8::try_from(i % 256).unwrap_or(0))
            .collect();
        let page = Raster {
            width: 7,
            height: 4,
            channels: 3,
            data,
        };
        let check = |rotation, expected: Raster| {
            let warped = skew_and_turn(&page, 0.0, rotation);
            assert_eq!(
                (warped.width, warped.height),
                (expected.width, expected.height)
            );
            assert_eq!(warped.data, expected.data, "{rotation:?}");
        };
        check(Rotation::None, page.clone());
        check(Rotation::Quarter, page.rotate_quarter(true));
        check(Rotation::Half, page.clone().rotate_half());
        check(Rotation::ThreeQuarters, page.rotate_quarter(false));
    }

    #[test]
    fn every_condition_has_a_distinct_name() {
        let names: std::collections::HashSet<_> = Condition::ALL.iter().map(|c| c.name()).collect();
        assert_eq!(names.len(), Condition::ALL.len());
    }
}
