//! Telling the same image re-encoded from another capture of the same paper.

use image::DynamicImage;

/// Cells a side of a [`Thumbnail`]'s grid. Chosen by measurement (tests/similar.rs, a 200 dpi
/// sheet): with 32 a side, a page turned 0.1 degrees differed from the original by at most 4
/// grey levels in a cell, only twice a JPEG re-encoding's 2; with 64, 14 against 3 (2 for
/// re-encodings, 3 for a copy scaled to half); with 128, 42 against 9, for four times the
/// size (16 KB). 64 separates as well as 128 in 4 KB.
const SIDE: usize = 64;

/// The largest difference, in grey levels, of one cell of the same image re-encoded.
///
/// Measured (tests/similar.rs, a 200 dpi colour sheet, 64 x 64 cells): the same image saved as
/// JPEG at quality 30, 50, 70 or 90, saved again (70 then 50), stripped of metadata, converted
/// to PNG or to grey: at most 2; scaled to half: 3. Another capture: the same paper turned 0.1
/// degrees, 14; turned 0.2 degrees, 27; placed 2 pixels (a quarter of a millimetre) further
/// along, 20; another sim scan of the sheet (seeds 1 to 5), 31 to 72; another sheet of the same
/// form (other digits and QR code), 90. 6 is twice the largest re-encoding and under half the
/// smallest other capture.
const LARGEST_CELL_DIFFERENCE: f64 = 6.0;

/// The largest mean difference, in grey levels, of the cells of the same image re-encoded.
///
/// The largest cell difference misses a change of light over the whole page, which moves
/// every cell a little. Measured as above: re-encodings at most 0.83 (JPEG quality 70 then
/// 50), scaled to half 0.17; the same capture 3 grey levels lighter, 2.34. Another sheet
/// measured only 0.74 (its differences are few but large: the largest cell difference tells
/// it apart), so this alone would not do.
const MEAN_CELL_DIFFERENCE: f64 = 1.4;

/// The largest relative difference of aspect ratios (width / height) of the same image: a
/// re-encoded copy keeps its size, a scaled one rounds each side to a whole pixel.
const ASPECT_TOLERANCE: f64 = 0.01;

/// Luma weights out of 256 (Rec. 709, as `image`'s grey conversion), so that a grey image
/// and the colour image it was converted from by `image` agree.
const LUMA_WEIGHTS: [u64; 3] = [54, 183, 19];

/// A small fingerprint of a page image: its size and its grey levels averaged over a 64 x 64
/// grid of areas (4 KB). It tells "the same image re-encoded" (a JPEG saved again at another
/// quality, converted to PNG, stripped of metadata, scaled) from "another scan or photo of the
/// same paper", which differs by placement, rotation, light and noise (see
/// [`Thumbnail::same_image`]).
///
/// Cheap: one pass over the pixels. For a 2,500 x 3,500 page, 3.7 ms grey and 9.8 ms colour
/// (the fastest of ten runs on a shared two-core machine under a load of 10; tests/similar.rs
/// prints the figures).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumbnail {
    width: u32,
    height: u32,
    /// `SIDE * SIDE` grey levels, row by row.
    cells: Vec<u8>,
}

impl Thumbnail {
    /// Cells a side of the grid: [`Thumbnail::cells`] has `SIDE * SIDE` of them.
    pub const SIDE: usize = SIDE;

    /// The thumbnail of `image`: grey, each cell the mean of the pixels in its area (pixels on
    /// a cell's edge counted by their share in it).
    #[must_use]
    pub fn of(image: &DynamicImage) -> Thumbnail {
        let (width, height) = (image.width(), image.height());
        let cells = match image {
            DynamicImage::ImageLuma8(grey) => cell_means(grey.as_raw(), width, height, 1),
            DynamicImage::ImageRgb8(rgb) => cell_means(rgb.as_raw(), width, height, 3),
            DynamicImage::ImageLuma16(_)
            | DynamicImage::ImageLumaA8(_)
            | DynamicImage::ImageLumaA16(_) => {
                cell_means(image.to_luma8().as_raw(), width, height, 1)
            }
            other => cell_means(other.to_rgb8().as_raw(), width, height, 3),
        };
        Thumbnail {
            width,
            height,
            cells,
        }
    }

    /// A thumbnail from its parts, as [`Thumbnail::width`], [`Thumbnail::height`] and
    /// [`Thumbnail::cells`] gave them (to keep one with a stored scan); `None` unless there are
    /// `SIDE * SIDE` cells.
    #[must_use]
    pub fn from_parts(width: u32, height: u32, cells: Vec<u8>) -> Option<Thumbnail> {
        (cells.len() == SIDE * SIDE).then_some(Thumbnail {
            width,
            height,
            cells,
        })
    }

    /// Width of the image, in pixels.
    #[must_use]
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height of the image, in pixels.
    #[must_use]
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The grey level of each cell, row by row, `SIDE * SIDE` of them.
    #[must_use]
    pub fn cells(&self) -> &[u8] {
        &self.cells
    }

    /// How far apart the two images' cells are, for reports: the larger of their largest
    /// cell difference over 6 grey levels and their mean cell difference over 1.4 grey levels,
    /// so that up to 1.0 is the same image and above it another (the sizes aside, which
    /// [`Thumbnail::same_image`] also compares). Measured: re-encodings 0.2 to 0.6, another
    /// capture of the same paper 1.7 and up, another sheet 15 (see the constants' notes).
    #[must_use]
    pub fn distance(&self, other: &Thumbnail) -> f64 {
        let (mean, largest) = self.differences(other);
        (mean / MEAN_CELL_DIFFERENCE).max(largest / LARGEST_CELL_DIFFERENCE)
    }

    /// Whether `other` is the same image, possibly re-encoded or scaled: aspect ratios within
    /// 1 % and a [`Thumbnail::distance`] of at most 1.0 (no cell more than 6 grey levels apart,
    /// and 1.4 on average). Another scan or photo of the same paper is not the same image:
    /// placed, turned or lit differently, its cells differ by more (a page turned by 0.1
    /// degrees or placed a quarter of a millimetre further along, already by 14 to 20 grey
    /// levels). Two captures identical in placement and light, differing by sensor noise
    /// alone, would look the same to it.
    #[must_use]
    pub fn same_image(&self, other: &Thumbnail) -> bool {
        same_aspect((self.width, self.height), (other.width, other.height))
            && self.distance(other) <= 1.0
    }

    /// The mean and the largest absolute difference of the two grids' grey levels.
    fn differences(&self, other: &Thumbnail) -> (f64, f64) {
        let (total, largest) = self
            .cells
            .iter()
            .zip(&other.cells)
            .map(|(one, two)| one.abs_diff(*two))
            .fold((0u64, 0u8), |(total, largest), difference| {
                (total + u64::from(difference), largest.max(difference))
            });
        let count = self.cells.len().max(1);
        (total as f64 / count as f64, f64::from(largest))
    }
}

fn same_aspect((width, height): (u32, u32), (other_width, other_height): (u32, u32)) -> bool {
    let one = f64::from(width) * f64::from(other_height);
    let two = f64::from(other_width) * f64::from(height);
    (one - two).abs() <= ASPECT_TOLERANCE * one.max(two)
}

/// A run of pixels along one side, `[start, end)`, and the share of each of them that falls in
/// a cell, in 64ths of a pixel.
#[derive(Debug, Clone, Copy)]
struct Run {
    start: usize,
    end: usize,
    weight: u64,
}

/// The pixels along a side of `length` pixels that make up each of the `SIDE` cells. A cell's
/// edges fall at exact fractions of a pixel (a side of 1,700 pixels gives cells of 26.5625), so
/// a pixel on an edge counts in both cells by its share in each. Without the shares, a cell's
/// edge moves by up to a pixel between an image and a scaled copy of it, which measured like a
/// page placed a pixel further along.
///
/// Positions are in 64ths of a pixel: cell `c` covers `[c * length, (c + 1) * length)` and
/// pixel `x` covers `[64 x, 64 x + 64)`, so every share is a whole number of 64ths and a cell's
/// shares add up to `length`.
fn cell_runs(length: u32) -> Vec<Vec<Run>> {
    let length = u64::from(length);
    let side = SIDE as u64;
    let pixel = |position: u64| usize::try_from(position / side).unwrap_or(usize::MAX);
    (0..side)
        .map(|cell| {
            let (start, end) = (cell * length, (cell + 1) * length);
            if start == end {
                return Vec::new();
            }
            if start / side == (end - 1) / side {
                // The whole cell lies inside one pixel (a side shorter than the grid).
                let at = pixel(start);
                return vec![Run {
                    start: at,
                    end: at + 1,
                    weight: end - start,
                }];
            }
            let mut runs = Vec::with_capacity(3);
            if start % side != 0 {
                runs.push(Run {
                    start: pixel(start),
                    end: pixel(start) + 1,
                    weight: side - start % side,
                });
            }
            runs.push(Run {
                start: pixel(start.div_ceil(side) * side),
                end: pixel(end),
                weight: side,
            });
            if end % side != 0 {
                runs.push(Run {
                    start: pixel(end),
                    end: pixel(end) + 1,
                    weight: end % side,
                });
            }
            runs
        })
        .collect()
}

/// The mean grey level of each cell of an 8-bit image with `channels` (1 grey, 3 RGB)
/// interleaved samples a pixel, each pixel weighted by its share in the cell.
///
/// For each row of cells, its image rows are added into one sum a sample (u16 additions the
/// compiler turns into vector instructions); each cell then adds up its columns of those
/// sums. Every sample is read once, the rows on a cell's edge twice.
fn cell_means(samples: &[u8], width: u32, height: u32, channels: usize) -> Vec<u8> {
    // Rows added into the u16 sums at a time: 256 x 255 < 2^16.
    const ROWS_AT_A_TIME: usize = 256;
    let columns = cell_runs(width);
    let rows = cell_runs(height);
    let row_length = usize::try_from(width)
        .unwrap_or(usize::MAX)
        .saturating_mul(channels)
        .max(1);
    let image_rows: Vec<&[u8]> = samples.chunks_exact(row_length).collect();
    // A cell's shares add up to width x height (64ths squared), and luma is in 256ths.
    let area = u64::from(width) * u64::from(height) * 256;
    let mut column_sums = vec![0u16; row_length];
    let mut cells = Vec::with_capacity(SIDE * SIDE);
    for row_runs in &rows {
        let mut sums = [0u64; SIDE];
        for row_run in row_runs {
            let run_rows = image_rows.get(row_run.start..row_run.end).unwrap_or(&[]);
            for batch in run_rows.chunks(ROWS_AT_A_TIME) {
                column_sums.fill(0);
                for row in batch {
                    for (sum, sample) in column_sums.iter_mut().zip(row.iter()) {
                        *sum += u16::from(*sample);
                    }
                }
                add_columns(&column_sums, &columns, channels, row_run.weight, &mut sums);
            }
        }
        for sum in sums {
            let mean = (sum + area / 2).checked_div(area).unwrap_or(0);
            cells.push(u8::try_from(mean).unwrap_or(u8::MAX));
        }
    }
    cells
}

/// Adds to each cell's sum the luma (in 256ths) of its columns of `column_sums`, weighted by
/// each column's share and by `row_weight`.
fn add_columns(
    column_sums: &[u16],
    columns: &[Vec<Run>],
    channels: usize,
    row_weight: u64,
    sums: &mut [u64; SIDE],
) {
    let channel_weights: &[u64] = if channels == 3 { &LUMA_WEIGHTS } else { &[256] };
    for (sum, column_runs) in sums.iter_mut().zip(columns) {
        for run in column_runs {
            let run_sums = column_sums
                .get(run.start * channels..run.end * channels)
                .unwrap_or(&[]);
            let luma: u64 = run_sums
                .chunks_exact(channels)
                .map(|pixel| {
                    pixel
                        .iter()
                        .zip(channel_weights)
                        .map(|(value, weight)| u64::from(*value) * weight)
                        .sum::<u64>()
                })
                .sum();
            *sum += luma * run.weight * row_weight;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{GrayImage, RgbImage};

    #[test]
    fn uniform_images_have_uniform_cells() {
        let grey = Thumbnail::of(&DynamicImage::ImageLuma8(GrayImage::from_pixel(
            300,
            400,
            image::Luma([77]),
        )));
        assert!(grey.cells().iter().all(|cell| *cell == 77));
        let rgb = Thumbnail::of(&DynamicImage::ImageRgb8(RgbImage::from_pixel(
            300,
            400,
            image::Rgb([200, 200, 200]),
        )));
        assert!(rgb.cells().iter().all(|cell| *cell == 200));
        assert_eq!((rgb.width(), rgb.height()), (300, 400));
    }

    #[test]
    fn tiny_and_empty_images_do_not_panic() {
        for (width, height) in [(0, 0), (1, 1), (3, 200), (200, 3), (65, 63)] {
            let image =
                DynamicImage::ImageLuma8(GrayImage::from_pixel(width, height, image::Luma([9])));
            let thumbnail = Thumbnail::of(&image);
            assert_eq!(thumbnail.cells().len(), SIDE * SIDE);
            assert!(thumbnail.same_image(&thumbnail));
        }
    }

    #[test]
    fn aspect_ratio_decides_first() {
        let tall = Thumbnail::of(&DynamicImage::ImageLuma8(GrayImage::new(100, 200)));
        let wide = Thumbnail::of(&DynamicImage::ImageLuma8(GrayImage::new(200, 100)));
        assert_eq!(tall.distance(&wide), 0.0);
        assert!(!tall.same_image(&wide));
    }
}
