//! The capture's pixel work on plain buffers of one (grey) or three (RGB) channels: grey
//! conversion, quarter turns, warps, blur and sensor noise.
//!
//! A 300 dpi page is 8.4 million pixels, and every sheet the demo or a benchmark renders goes
//! through these loops, so they are written for speed: integer arithmetic, whole rows at a time
//! so the compiler can vectorise, wrapping operations in the innermost loops (the release
//! profile checks overflow, which would stop vectorisation; none of these can overflow), and a
//! grey capture done on one channel from the start rather than on three and converted at the
//! end. Grey is a weighted sum of the channels and blur and noise are linear, so converting
//! first gives the same image up to rounding.

use image::{DynamicImage, GrayImage, RgbImage};

use super::draw::round_u32;

/// Pixels of `channels` interleaved bytes each, row after row.
#[derive(Debug, Clone)]
pub(crate) struct Raster {
    pub(crate) width: usize,
    pub(crate) height: usize,
    /// 1 (grey) or 3 (RGB).
    pub(crate) channels: usize,
    pub(crate) data: Vec<u8>,
}

/// The grey level of an RGB colour, with the weights `image` uses (Rec. 709 luma), in 16-bit
/// fixed point: 13,933 + 46,871 + 4,732 = 65,536.
pub(crate) fn luma([red, green, blue]: [u8; 3]) -> u8 {
    let weighted = 13_933 * u32::from(red) + 46_871 * u32::from(green) + 4_732 * u32::from(blue);
    u8::try_from((weighted + 32_768) >> 16).unwrap_or(u8::MAX)
}

impl Raster {
    /// The page as it is, three channels.
    pub(crate) fn from_rgb(page: RgbImage) -> Raster {
        Raster {
            width: page.width() as usize,
            height: page.height() as usize,
            channels: 3,
            data: page.into_raw(),
        }
    }

    /// The page in grey, one channel.
    pub(crate) fn grey_from_rgb(page: &RgbImage) -> Raster {
        let data = page
            .as_raw()
            .chunks_exact(3)
            .map(|pixel| luma([pixel[0], pixel[1], pixel[2]]))
            .collect();
        Raster {
            width: page.width() as usize,
            height: page.height() as usize,
            channels: 1,
            data,
        }
    }

    /// A blank raster of the same kind.
    fn blank(&self, width: usize, height: usize) -> Raster {
        Raster {
            width,
            height,
            channels: self.channels,
            data: vec![0; width * height * self.channels],
        }
    }

    pub(crate) fn into_image(self) -> DynamicImage {
        let (width, height) = (to_u32(self.width), to_u32(self.height));
        let fallback = DynamicImage::new_luma8(1, 1);
        if self.channels == 1 {
            GrayImage::from_raw(width, height, self.data).map_or(fallback, DynamicImage::ImageLuma8)
        } else {
            RgbImage::from_raw(width, height, self.data).map_or(fallback, DynamicImage::ImageRgb8)
        }
    }

    /// Turned by a half turn.
    pub(crate) fn rotate_half(mut self) -> Raster {
        if self.channels == 1 {
            self.data.reverse();
        } else {
            let channels = self.channels;
            let pixels = self.data.len() / channels;
            for index in 0..pixels / 2 {
                let other = pixels - 1 - index;
                for channel in 0..channels {
                    self.data
                        .swap(index * channels + channel, other * channels + channel);
                }
            }
        }
        self
    }

    /// Turned by a quarter turn, clockwise when `clockwise`, else anticlockwise. Copied in
    /// square tiles, so that both the rows read and the rows written stay in the cache.
    pub(crate) fn rotate_quarter(&self, clockwise: bool) -> Raster {
        const TILE: usize = 64;
        let (width, height, channels) = (self.width, self.height, self.channels);
        // The output is `height` wide and `width` high.
        let mut output = self.blank(height, width);
        for tile_y in (0..height).step_by(TILE) {
            for tile_x in (0..width).step_by(TILE) {
                for y in tile_y..(tile_y + TILE).min(height) {
                    for x in tile_x..(tile_x + TILE).min(width) {
                        // Clockwise: (x, y) goes to (height - 1 - y, x); anticlockwise to
                        // (y, width - 1 - x).
                        let (out_x, out_y) = if clockwise {
                            (height - 1 - y, x)
                        } else {
                            (y, width - 1 - x)
                        };
                        let from = (y * width + x) * channels;
                        let to = (out_y * height + out_x) * channels;
                        output.data[to..to + channels]
                            .copy_from_slice(&self.data[from..from + channels]);
                    }
                }
            }
        }
        output
    }

    /// Output size `size`; `inverse` maps an output pixel centre to source coordinates
    /// (homogeneous 3x3); outside the source, `background(x, y)` is used. Bilinear sampling,
    /// weights in 8-bit fixed point.
    pub(crate) fn warp(
        &self,
        size: (usize, usize),
        inverse: &[[f32; 3]; 3],
        background: impl Fn(f32, f32) -> [u8; 3],
    ) -> Raster {
        let mut output = self.blank(size.0, size.1);
        if self.width == 0 || self.height == 0 {
            return output;
        }
        match self.channels {
            1 => self.warp_into::<1>(&mut output, inverse, background),
            _ => self.warp_into::<3>(&mut output, inverse, background),
        }
        output
    }

    fn warp_into<const CHANNELS: usize>(
        &self,
        output: &mut Raster,
        inverse: &[[f32; 3]; 3],
        background: impl Fn(f32, f32) -> [u8; 3],
    ) {
        let output_width = output.width;
        // In tiles of output pixels: for a turned page an output row walks down a column of
        // the source, and a tile keeps the source rows it reads in the cache.
        const BAND: usize = 16;
        const TILE: usize = 128;
        let row_bytes = output_width * CHANNELS;
        for band in (0..output.height).step_by(BAND) {
            for tile in (0..output_width).step_by(TILE) {
                let tile_end = (tile + TILE).min(output_width);
                for y in band..(band + BAND).min(output.height) {
                    let row = &mut output.data
                        [y * row_bytes + tile * CHANNELS..y * row_bytes + tile_end * CHANNELS];
                    self.warp_segment::<CHANNELS>(row, (tile, y), inverse, &background);
                }
            }
        }
    }

    /// One row of a tile of the warp's output, from output pixel `(first_x, y)` on.
    fn warp_segment<const CHANNELS: usize>(
        &self,
        row: &mut [u8],
        (first_x, y): (usize, usize),
        inverse: &[[f32; 3]; 3],
        background: &impl Fn(f32, f32) -> [u8; 3],
    ) {
        let (source_width, source_height) = (self.width, self.height);
        let raw = &self.data;
        // A turn or a shear (no perspective): the source coordinates move by a fixed step per
        // output pixel, added in 16-bit fixed point (the error over a tile stays far below a
        // pixel). A perspective needs a division per pixel.
        let affine = inverse[2][0] == 0.0 && inverse[2][1] == 0.0 && inverse[2][2] == 1.0;
        let (limit_x, limit_y) = (
            to_fixed_16_signed(source_width as f32 - 0.5),
            to_fixed_16_signed(source_height as f32 - 0.5),
        );
        let low = to_fixed_16_signed(-0.5);
        {
            let out_y = y as f32 + 0.5;
            // Each coordinate is linear along a row: a start and a step per pixel.
            let start = |row: usize| inverse[row][1] * out_y + inverse[row][2];
            let (start_x, start_y, start_w) = (start(0), start(1), start(2));
            let first = first_x as f32 + 0.5;
            let (mut fixed_x, mut fixed_y) = (
                to_fixed_16_signed(inverse[0][0] * first + start_x - 0.5),
                to_fixed_16_signed(inverse[1][0] * first + start_y - 0.5),
            );
            let (step_x, step_y) = (
                to_fixed_16_signed(inverse[0][0]),
                to_fixed_16_signed(inverse[1][0]),
            );
            for (offset, pixel) in row.chunks_exact_mut(CHANNELS).enumerate() {
                let x = first_x + offset;
                let (source_x, source_y) = if affine {
                    let here = (fixed_x, fixed_y);
                    fixed_x = fixed_x.wrapping_add(step_x);
                    fixed_y = fixed_y.wrapping_add(step_y);
                    here
                } else {
                    let out_x = x as f32 + 0.5;
                    let w = inverse[2][0] * out_x + start_w;
                    (
                        to_fixed_16_signed((inverse[0][0] * out_x + start_x) / w - 0.5),
                        to_fixed_16_signed((inverse[1][0] * out_x + start_y) / w - 0.5),
                    )
                };
                if !(low..=limit_x).contains(&source_x) || !(low..=limit_y).contains(&source_y) {
                    let colour = background(x as f32 + 0.5, out_y);
                    if CHANNELS == 1 {
                        pixel[0] = luma(colour);
                    } else {
                        pixel.copy_from_slice(&colour[..CHANNELS]);
                    }
                    continue;
                }
                // Left of 0 is clamped to the first column; 8 fraction bits for the weights.
                let (source_x, source_y) = (
                    usize::try_from(source_x).unwrap_or(0),
                    usize::try_from(source_y).unwrap_or(0),
                );
                let (x0, y0) = (
                    (source_x >> 16).min(source_width - 1),
                    (source_y >> 16).min(source_height - 1),
                );
                let (fx, fy) = (
                    u32::try_from((source_x >> 8) & 255).unwrap_or(0),
                    u32::try_from((source_y >> 8) & 255).unwrap_or(0),
                );
                let x1 = (x0 + 1).min(source_width - 1);
                let y1 = (y0 + 1).min(source_height - 1);
                let row_length = source_width * CHANNELS;
                let top = &raw[y0 * row_length..(y0 + 1) * row_length];
                let bottom = &raw[y1 * row_length..(y1 + 1) * row_length];
                let (left, right) = (x0 * CHANNELS, x1 * CHANNELS);
                // Wrapping arithmetic: at most 255 * 256 * 256, and no overflow checks here.
                let mix = |first: u8, second: u8, weight: u32| {
                    u32::from(first)
                        .wrapping_mul(256u32.wrapping_sub(weight))
                        .wrapping_add(u32::from(second).wrapping_mul(weight))
                };
                for (channel, value) in pixel.iter_mut().enumerate() {
                    let upper = mix(top[left + channel], top[right + channel], fx);
                    let lower = mix(bottom[left + channel], bottom[right + channel], fx);
                    let mixed = upper
                        .wrapping_mul(256u32.wrapping_sub(fy))
                        .wrapping_add(lower.wrapping_mul(fy))
                        .wrapping_add(32_768)
                        >> 16;
                    *value = u8::try_from(mixed).unwrap_or(u8::MAX);
                }
            }
        }
    }

    /// Multiplies every pixel by `light(x, y)` (0..=1) and each channel by its `tint`
    /// (0..=1; for grey, the tint's luma weight).
    pub(crate) fn light(&mut self, tint: [f32; 3], light: impl Fn(usize, usize) -> f32) {
        let grey_tint = (0.2126 * tint[0] + 0.7152 * tint[1] + 0.0722 * tint[2]).clamp(0.0, 1.0);
        let channels = self.channels;
        let width = self.width;
        if width == 0 {
            return;
        }
        for (y, row) in self.data.chunks_exact_mut(width * channels).enumerate() {
            for (x, pixel) in row.chunks_exact_mut(channels).enumerate() {
                let light = light(x, y).clamp(0.0, 1.0);
                for (index, value) in pixel.iter_mut().enumerate() {
                    let factor = if channels == 1 {
                        grey_tint
                    } else {
                        tint[index].clamp(0.0, 1.0)
                    };
                    // 16-bit fixed point; the factor is at most 1, so the value stays a byte.
                    let fixed = to_fixed_16(light * factor);
                    *value =
                        u8::try_from((u32::from(*value) * fixed + 32_768) >> 16).unwrap_or(u8::MAX);
                }
            }
        }
    }

    /// A Gaussian blur of standard deviation `sigma`, separable, edges extended. The weights
    /// are in 8-bit fixed point adding up to exactly 256, so a weighted sum of bytes fits in 16
    /// bits: the loops then work on eight or sixteen values per instruction even on baseline
    /// x86-64 (which has no 32-bit vector multiply), and each pass ends with a shift.
    pub(crate) fn gaussian_blur(mut self, sigma: f32) -> Raster {
        let radius = usize::try_from(round_u32((sigma * 3.0).ceil()))
            .unwrap_or(1)
            .max(1);
        let weights = gaussian_weights(sigma, radius);
        let (width, height, channels) = (self.width, self.height, self.channels);
        let row_length = width * channels;
        if row_length == 0 || height == 0 {
            return self;
        }
        // Horizontal: each row extended by `radius` pixels copied from its ends; tap `t` then
        // reads the extended row from pixel `t` on.
        let mut horizontal = vec![0u8; self.data.len()];
        let mut padded = vec![0u8; (width + 2 * radius) * channels];
        for (input, output) in self
            .data
            .chunks_exact(row_length)
            .zip(horizontal.chunks_exact_mut(row_length))
        {
            let (first, last) = (&input[..channels], &input[row_length - channels..]);
            for pad in 0..radius {
                padded[pad * channels..(pad + 1) * channels].copy_from_slice(first);
                let right = radius + width + pad;
                padded[right * channels..(right + 1) * channels].copy_from_slice(last);
            }
            padded[radius * channels..(radius + width) * channels].copy_from_slice(input);
            let taps: Vec<&[u8]> = (0..weights.len())
                .map(|tap| &padded[tap * channels..])
                .collect();
            weighted_sum(&taps, &weights, output);
        }
        // Vertical, a whole row at a time so memory is read in order, back into the page's own
        // buffer (a fresh one costs page faults and zeroing).
        for (y, output) in self.data.chunks_exact_mut(row_length).enumerate() {
            let taps: Vec<&[u8]> = (0..weights.len())
                .map(|tap| {
                    let source_row = (y + tap).saturating_sub(radius).min(height - 1);
                    &horizontal[source_row * row_length..(source_row + 1) * row_length]
                })
                .collect();
            weighted_sum(&taps, &weights, output);
        }
        self
    }

    /// Zero-mean noise of standard deviation `sigma` grey levels on every sample (each channel
    /// of a colour pixel on its own): triangular, the difference of two uniform random bytes
    /// times a fixed-point factor, in 16-bit arithmetic so that the loop works on many samples
    /// at once. The bytes come from a small fast generator (wyrand) seeded from `seed`: a page
    /// needs tens of millions of them.
    pub(crate) fn add_noise(&mut self, sigma: f32, seed: u64) {
        // A triangular distribution on [-1, 1] has standard deviation 1/sqrt(6); a difference
        // of two bytes spans [-255, 255].
        let per_unit = sigma * 6.0_f32.sqrt() / 255.0;
        // The most fraction bits that keep 255 * factor within an i16.
        let (factor, shift) = (0..=10u32)
            .rev()
            .map(|bits| (round_i32(per_unit * (1u32 << bits) as f32), bits))
            .find(|(factor, _)| *factor <= 128)
            .unwrap_or((128, 0));
        let factor = i16::try_from(factor).unwrap_or(128);
        let half = i16::try_from((1u32 << shift) >> 1).unwrap_or(0);
        let mut state = seed;
        let mut random = Vec::new();
        let row_length = (self.width * self.channels).max(1);
        for row in self.data.chunks_mut(row_length) {
            random.resize(row.len().div_ceil(4) * 8, 0);
            for bytes in random.chunks_exact_mut(8) {
                bytes.copy_from_slice(&wyrand(&mut state).to_le_bytes());
            }
            let (first, second) = random.split_at(row.len());
            for ((value, a), b) in row.iter_mut().zip(first).zip(second) {
                let difference = i16::from(*a).wrapping_sub(i16::from(*b));
                let offset = difference.wrapping_mul(factor).wrapping_add(half) >> shift;
                let noisy = i16::from(*value).wrapping_add(offset);
                *value = u8::try_from(noisy.clamp(0, 255)).unwrap_or(u8::MAX);
            }
        }
    }
}

/// The taps of a Gaussian of `sigma` over `-radius..=radius`, in 8-bit fixed point adding up
/// to exactly 256 (the rounding error goes to the centre tap).
fn gaussian_weights(sigma: f32, radius: usize) -> Vec<u16> {
    let raw: Vec<f32> = (0..=2 * radius)
        .map(|index| {
            let distance = index as f32 - radius as f32;
            (-(distance * distance) / (2.0 * sigma * sigma)).exp()
        })
        .collect();
    let total: f32 = raw.iter().sum();
    let mut weights: Vec<u16> = raw
        .iter()
        .map(|weight| u16::try_from(round_u32(weight / total * 256.0)).unwrap_or(256))
        .collect();
    let sum: u16 = weights
        .iter()
        .fold(0, |sum, weight| sum.saturating_add(*weight));
    weights[radius] = (weights[radius] + 256).saturating_sub(sum);
    weights
}

/// `output[i] = sum of weights[t] * taps[t][i]`, rounded, with weights adding up to 256 (so no
/// sum exceeds 255 * 256). The common tap counts (a blur's radius of 1 to 6 pixels) have a
/// version each, whose inner loop the compiler unrolls and vectorises.
fn weighted_sum(taps: &[&[u8]], weights: &[u16], output: &mut [u8]) {
    match taps.len() {
        3 => weighted_sum_of::<3>(taps, weights, output),
        5 => weighted_sum_of::<5>(taps, weights, output),
        7 => weighted_sum_of::<7>(taps, weights, output),
        9 => weighted_sum_of::<9>(taps, weights, output),
        11 => weighted_sum_of::<11>(taps, weights, output),
        13 => weighted_sum_of::<13>(taps, weights, output),
        _ => {
            let mut sums = vec![128u16; output.len()];
            for (tap, weight) in taps.iter().zip(weights) {
                for (sum, value) in sums.iter_mut().zip(tap.iter()) {
                    *sum = sum.wrapping_add(u16::from(*value).wrapping_mul(*weight));
                }
            }
            for (value, sum) in output.iter_mut().zip(sums) {
                *value = u8::try_from(sum >> 8).unwrap_or(u8::MAX);
            }
        }
    }
}

fn weighted_sum_of<const TAPS: usize>(taps: &[&[u8]], weights: &[u16], output: &mut [u8]) {
    let length = output.len();
    // Slices of exactly the output's length, so that the loop needs no bounds checks.
    let taps: [&[u8]; TAPS] = std::array::from_fn(|tap| &taps[tap][..length]);
    let weights: [u16; TAPS] = std::array::from_fn(|tap| weights[tap]);
    for (index, value) in output.iter_mut().enumerate() {
        let mut sum = 128u16;
        for tap in 0..TAPS {
            sum = sum.wrapping_add(u16::from(taps[tap][index]).wrapping_mul(weights[tap]));
        }
        *value = u8::try_from(sum >> 8).unwrap_or(u8::MAX);
    }
}

/// One step of wyrand (Wang Yi's generator): fast, and plenty for sensor noise.
fn wyrand(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0xa076_1d64_78bd_642f);
    let product = u128::from(*state) * u128::from(*state ^ 0xe703_7ed1_a0b4_28db);
    let low = u64::try_from(product & u128::from(u64::MAX)).unwrap_or(0);
    let high = u64::try_from(product >> 64).unwrap_or(0);
    low ^ high
}

/// A coordinate in 16-bit fixed point, rounded towards zero (the callers clamp anything below
/// zero, so this floors where it matters, without a call to `floor`); saturates far outside
/// any page.
#[expect(
    clippy::cast_possible_truncation,
    reason = "saturating float to integer conversion, far from the range on any page"
)]
fn to_fixed_16_signed(coordinate: f32) -> i64 {
    (f64::from(coordinate) * 65_536.0) as i64
}

/// A factor in 0..=1 in 16-bit fixed point.
#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "clamped to 0..=1 first"
)]
fn to_fixed_16(factor: f32) -> u32 {
    (factor.clamp(0.0, 1.0) * 65_536.0 + 0.5) as u32
}

#[expect(
    clippy::cast_possible_truncation,
    reason = "small values: noise offsets in 1/256 grey levels"
)]
fn round_i32(value: f32) -> i32 {
    value.round() as i32
}

fn to_u32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raster(width: usize, height: usize, channels: usize) -> Raster {
        let data = (0..width * height * channels)
            .map(|index| u8::try_from(index % 251).unwrap_or(0))
            .collect();
        Raster {
            width,
            height,
            channels,
            data,
        }
    }

    #[test]
    fn quarter_turns_match_image() {
        for channels in [1, 3] {
            let source = raster(5, 3, channels);
            let image = source.clone().into_image();
            let (clockwise, anticlockwise) = (
                source.rotate_quarter(true).into_image(),
                source.rotate_quarter(false).into_image(),
            );
            assert_eq!(clockwise.as_bytes(), image.rotate90().as_bytes());
            assert_eq!(anticlockwise.as_bytes(), image.rotate270().as_bytes());
            assert_eq!(
                source.clone().rotate_half().into_image().as_bytes(),
                image.rotate180().as_bytes()
            );
        }
    }

    #[test]
    fn blur_keeps_flat_areas_and_weights_add_up() {
        for sigma in [0.5, 1.0, 1.7] {
            let weights = gaussian_weights(sigma, 6);
            assert_eq!(weights.iter().sum::<u16>(), 256);
        }
        let flat = Raster {
            width: 9,
            height: 4,
            channels: 3,
            data: vec![200; 9 * 4 * 3],
        };
        // 1.2 has a version of its own (13 taps), 3.0 takes the general loop (19 taps).
        for sigma in [1.2, 3.0] {
            assert_eq!(flat.clone().gaussian_blur(sigma).data, flat.data);
        }
    }

    #[test]
    fn identity_warp_copies() {
        let source = raster(7, 4, 3);
        let identity = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
        let copy = source.warp((7, 4), &identity, |_, _| [0, 0, 0]);
        assert_eq!(copy.data, source.data);
    }

    #[test]
    fn noise_has_about_the_asked_deviation() {
        let mut flat = Raster {
            width: 200,
            height: 200,
            channels: 1,
            data: vec![128; 40_000],
        };
        flat.add_noise(6.0, 7);
        let mean = flat.data.iter().map(|v| f64::from(*v)).sum::<f64>() / 40_000.0;
        let variance = flat
            .data
            .iter()
            .map(|v| (f64::from(*v) - mean).powi(2))
            .sum::<f64>()
            / 40_000.0;
        assert!((mean - 128.0).abs() < 0.3, "{mean}");
        assert!((variance.sqrt() - 6.0).abs() < 0.3, "{}", variance.sqrt());
    }
}
