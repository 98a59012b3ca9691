//! ZXing's hybrid binarizer (a threshold per 8 x 8 block, from the 5 x 5 blocks around it),
//! computed the fast way.
//!
//! rxing's `HybridBinarizer` sets the black matrix one bit at a time with bounds checks; on a
//! 300 dpi page that was the largest single cost of a read (a third of the time of an easy
//! page). This is the same algorithm with the same output, bit for bit (a test compares them):
//! block statistics row by row, one threshold per pixel column, comparisons on whole rows, and
//! bits packed 8 at a time with a multiplication. Rows and columns for one-dimensional codes
//! are left to rxing's global histogram binarizer, as the hybrid one does.

use std::borrow::Cow;

use rxing::common::{BitArray, BitMatrix, GlobalHistogramBinarizer, LineOrientation, Result};
use rxing::{Binarizer, LuminanceSource};

const BLOCK: usize = 8;
/// Below this many pixels a side, the global histogram binarizer is used (as ZXing does).
const MINIMUM_SIDE: usize = BLOCK * 5;
/// A block whose grey levels span no more than this is taken as flat (all paper or all ink).
const MIN_DYNAMIC_RANGE: u8 = 24;

/// The hybrid binarizer's black matrix, computed when the binarizer is made.
pub(crate) struct LocalThreshold<LS: LuminanceSource> {
    global: GlobalHistogramBinarizer<LS>,
    matrix: Result<BitMatrix>,
}

impl<LS: LuminanceSource> LocalThreshold<LS> {
    pub(crate) fn new(source: LS) -> Self {
        let (width, height) = (source.get_width(), source.get_height());
        let global = GlobalHistogramBinarizer::new(source);
        let matrix = if width >= MINIMUM_SIDE && height >= MINIMUM_SIDE {
            let luminances = global.get_luminance_source().get_matrix();
            black_matrix(&luminances, width, height)
        } else {
            global.get_black_matrix().cloned()
        };
        LocalThreshold { global, matrix }
    }
}

impl<LS: LuminanceSource> Binarizer for LocalThreshold<LS> {
    type Source = LS;

    fn get_luminance_source(&self) -> &LS {
        self.global.get_luminance_source()
    }

    fn get_black_row(&self, y: usize) -> Result<Cow<'_, BitArray>> {
        self.global.get_black_row(y)
    }

    fn get_black_row_from_matrix(&self, y: usize) -> Result<Cow<'_, BitArray>> {
        match &self.matrix {
            Ok(matrix) => Ok(Cow::Owned(
                matrix.getRow(u32::try_from(y).unwrap_or(u32::MAX)),
            )),
            Err(_) => self.get_black_row(y),
        }
    }

    fn get_black_matrix(&self) -> Result<&BitMatrix> {
        self.matrix.as_ref().map_err(Clone::clone)
    }

    fn get_black_line(
        &self,
        line: usize,
        orientation: LineOrientation,
    ) -> Result<Cow<'_, BitArray>> {
        self.global.get_black_line(line, orientation)
    }

    fn create_binarizer(&self, source: LS) -> Self {
        Self::new(source)
    }

    fn get_width(&self) -> usize {
        self.global.get_width()
    }

    fn get_height(&self) -> usize {
        self.global.get_height()
    }
}

/// Where each block starts along a side: every `BLOCK` pixels, the last one moved back to end
/// at the side's end (so it overlaps the one before when the side is not a multiple of 8).
fn block_start(index: usize, blocks: usize, side: usize) -> usize {
    if index + 1 == blocks {
        side - BLOCK
    } else {
        index * BLOCK
    }
}

/// The black matrix of `luminances` (`width` x `height`, both at least `MINIMUM_SIDE`).
fn black_matrix(luminances: &[u8], width: usize, height: usize) -> Result<BitMatrix> {
    let (blocks_across, blocks_down) = (width.div_ceil(BLOCK), height.div_ceil(BLOCK));
    let black_points = black_points(luminances, width, height);
    // The threshold of each block: the mean of the black points of the 5 x 5 blocks around it
    // (clamped inside the grid).
    let mut thresholds = vec![0u8; blocks_across * blocks_down];
    for block_y in 0..blocks_down {
        let top = block_y.clamp(2, blocks_down - 3);
        for block_x in 0..blocks_across {
            let left = block_x.clamp(2, blocks_across - 3);
            let mut sum = 0u32;
            for row in top - 2..=top + 2 {
                let start = row * blocks_across + left - 2;
                sum += black_points[start..start + 5].iter().sum::<u32>();
            }
            thresholds[block_y * blocks_across + block_x] =
                u8::try_from(sum / 25).unwrap_or(u8::MAX);
        }
    }
    let (width_u32, height_u32) = (to_u32(width), to_u32(height));
    let mut matrix = BitMatrix::new(width_u32, height_u32)?;
    // A pixel is black when it is at most the threshold of a block that covers it; where two
    // blocks overlap (the last row or column of blocks) either one may make it black, which is
    // the larger threshold.
    let per_column = |block_y: usize| -> Vec<u8> {
        let row = &thresholds[block_y * blocks_across..(block_y + 1) * blocks_across];
        let last = row[blocks_across - 1];
        (0..width)
            .map(|x| {
                let own = row[x / BLOCK];
                if x >= width - BLOCK {
                    own.max(last)
                } else {
                    own
                }
            })
            .collect()
    };
    let last_block_row = per_column(blocks_down - 1);
    let mut bits = BitArray::with_size(width);
    let words = width.div_ceil(64);
    let mut mask = vec![0u8; words * 64];
    let mut current_block_row = usize::MAX;
    let mut column_thresholds = Vec::new();
    for y in 0..height {
        if y / BLOCK != current_block_row {
            current_block_row = y / BLOCK;
            column_thresholds = per_column(current_block_row);
        }
        let row = &luminances[y * width..(y + 1) * width];
        let overlap = y >= height - BLOCK;
        for ((flag, value), (threshold, last)) in mask
            .iter_mut()
            .zip(row)
            .zip(column_thresholds.iter().zip(&last_block_row))
        {
            let threshold = if overlap {
                (*threshold).max(*last)
            } else {
                *threshold
            };
            *flag = u8::from(*value <= threshold);
        }
        for (word, flags) in mask.chunks_exact(64).enumerate() {
            let mut packed = 0usize;
            for (byte, eight) in flags.chunks_exact(8).enumerate() {
                packed |= pack_eight(eight) << (8 * byte);
            }
            bits.setBulk(word * 64, packed);
        }
        matrix.setRow(to_u32(y), &bits);
    }
    Ok(matrix)
}

/// Eight flags (each 0 or 1) as the low 8 bits of a word, the first flag lowest: one
/// multiplication moves each flag byte's bit into the top byte without carries.
fn pack_eight(flags: &[u8]) -> usize {
    let mut eight = [0u8; 8];
    eight.copy_from_slice(flags);
    let spread = u64::from_le_bytes(eight);
    usize::try_from(spread.wrapping_mul(0x0102_0408_1020_4080) >> 56).unwrap_or(0)
}

/// The black point of each 8 x 8 block: its mean, or for a flat block half its darkest value,
/// raised to its neighbours' black point when that is larger (a flat block inside a dark area
/// is dark, not paper).
fn black_points(luminances: &[u8], width: usize, height: usize) -> Vec<u32> {
    let (blocks_across, blocks_down) = (width.div_ceil(BLOCK), height.div_ceil(BLOCK));
    let mut points = vec![0u32; blocks_across * blocks_down];
    let mut sums = vec![0u32; blocks_across];
    let mut minima = vec![u8::MAX; blocks_across];
    let mut maxima = vec![u8::MIN; blocks_across];
    for block_y in 0..blocks_down {
        sums.fill(0);
        minima.fill(u8::MAX);
        maxima.fill(u8::MIN);
        let top = block_start(block_y, blocks_down, height);
        for y in top..top + BLOCK {
            let row = &luminances[y * width..(y + 1) * width];
            for block_x in 0..blocks_across {
                let left = block_start(block_x, blocks_across, width);
                let pixels = &row[left..left + BLOCK];
                sums[block_x] += pixels.iter().map(|value| u32::from(*value)).sum::<u32>();
                minima[block_x] = pixels
                    .iter()
                    .fold(minima[block_x], |low, value| low.min(*value));
                maxima[block_x] = pixels
                    .iter()
                    .fold(maxima[block_x], |high, value| high.max(*value));
            }
        }
        for block_x in 0..blocks_across {
            let (low, high) = (minima[block_x], maxima[block_x]);
            let mut average = sums[block_x] >> 6;
            if high - low <= MIN_DYNAMIC_RANGE {
                average = u32::from(low) / 2;
                if block_y > 0 && block_x > 0 {
                    let above = points[(block_y - 1) * blocks_across + block_x];
                    let before = points[block_y * blocks_across + block_x - 1];
                    let diagonal = points[(block_y - 1) * blocks_across + block_x - 1];
                    let neighbours = (above + 2 * before + diagonal) / 4;
                    if u32::from(low) < neighbours {
                        average = neighbours;
                    }
                }
            }
            points[block_y * blocks_across + block_x] = average;
        }
    }
    points
}

fn to_u32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use rxing::Luma8Source;
    use rxing::common::HybridBinarizer;

    use super::*;

    #[test]
    fn packs_eight_flags() {
        for value in 0..=255u8 {
            let flags: Vec<u8> = (0..8).map(|bit| (value >> bit) & 1).collect();
            assert_eq!(pack_eight(&flags), usize::from(value));
        }
    }

    /// The same bits as rxing's HybridBinarizer, on sides that are and are not multiples of 8,
    /// with flat areas (paper, ink) and busy ones.
    #[test]
    fn same_matrix_as_rxing() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        for (width, height) in [(40, 40), (64, 48), (101, 77), (203, 130), (30, 90)] {
            let pixels: Vec<u8> = (0..width * height)
                .map(|index| {
                    let (x, y) = (index % width, index / width);
                    match (x / 17 + y / 13) % 3 {
                        0 => 250 - rng.random_range(0..10),
                        1 => rng.random_range(0..40),
                        _ => rng.random_range(0..=255),
                    }
                })
                .collect();
            let source =
                || Luma8Source::new(pixels.clone(), to_u32(width), to_u32(height)).unwrap();
            let ours = LocalThreshold::new(source());
            let theirs = HybridBinarizer::new(source());
            assert_eq!(
                ours.get_black_matrix().unwrap(),
                theirs.get_black_matrix().unwrap(),
                "{width} x {height}"
            );
        }
    }
}
