//! Scans: the original bytes from the blob store, and a smaller JPEG for phones made on first
//! request and kept in a bounded cache. Both are named by the original's SHA-256, so they never
//! change and are served as immutable.

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::{Arc, Mutex, PoisonError};

use axum::body::Bytes;
use image::{ImageReader, Limits};
use tokio::sync::Semaphore;
use veedor_core::Sha256;

/// The small copy is at most this wide (a phone screen at 2x).
pub const SMALL_WIDTH: u32 = 900;
/// The small copies kept in memory, in bytes at most.
const CACHE_BYTES: usize = 64 << 20;

/// The media type of a scan, from its first bytes.
#[must_use]
pub fn media_type(bytes: &[u8]) -> &'static str {
    match bytes {
        [0xff, 0xd8, 0xff, ..] => "image/jpeg",
        [0x89, b'P', b'N', b'G', ..] => "image/png",
        [b'%', b'P', b'D', b'F', ..] => "application/pdf",
        [
            b'R',
            b'I',
            b'F',
            b'F',
            _,
            _,
            _,
            _,
            b'W',
            b'E',
            b'B',
            b'P',
            ..,
        ] => "image/webp",
        [b'I', b'I', 0x2a, 0, ..] | [b'M', b'M', 0, 0x2a, ..] => "image/tiff",
        _ => "application/octet-stream",
    }
}

/// Why a small copy could not be made.
#[derive(Debug, thiserror::Error)]
#[error("cannot make a small copy: {0}")]
pub struct DownscaleError(String);

/// A JPEG at most [`SMALL_WIDTH`] wide. Decoding is bounded (dimensions and memory), so that a
/// crafted file cannot exhaust the server.
pub fn downscale(bytes: &[u8]) -> Result<Vec<u8>, DownscaleError> {
    let fail = |error: image::ImageError| DownscaleError(error.to_string());
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|error| DownscaleError(error.to_string()))?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(16_000);
    limits.max_image_height = Some(16_000);
    limits.max_alloc = Some(512 << 20);
    reader.limits(limits);
    let image = reader.decode().map_err(fail)?;
    let image = if image.width() > SMALL_WIDTH {
        let height = u32::try_from(
            u64::from(image.height()) * u64::from(SMALL_WIDTH) / u64::from(image.width()),
        )
        .unwrap_or(1)
        .max(1);
        // `thumbnail` averages the source pixels that fall in each target pixel: as good as a
        // filter for a downscale of 2x to 4x, and several times faster than `resize`, which
        // matters when `export site` makes a small copy of every scan.
        image.thumbnail(SMALL_WIDTH, height)
    } else {
        image
    };
    let mut out = Vec::new();
    let rgb = image.into_rgb8();
    let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 70);
    encoder.encode_image(&rgb).map_err(fail)?;
    Ok(out)
}

/// Small copies already made, bounded in bytes; making them is bounded in concurrency.
#[derive(Debug)]
pub struct SmallCopies {
    made: Mutex<(HashMap<Sha256, Bytes>, usize)>,
    /// One copy made at a time: decoding a scan takes a core for a moment.
    pub permits: Arc<Semaphore>,
}

impl Default for SmallCopies {
    fn default() -> Self {
        Self {
            made: Mutex::new((HashMap::new(), 0)),
            permits: Arc::new(Semaphore::new(1)),
        }
    }
}

impl SmallCopies {
    /// A copy made before.
    #[must_use]
    pub fn get(&self, hash: &Sha256) -> Option<Bytes> {
        self.made
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .0
            .get(hash)
            .cloned()
    }

    /// Keeps a copy; forgets all when over budget (they are cheap to make again).
    pub fn put(&self, hash: Sha256, bytes: Bytes) {
        let mut made = self.made.lock().unwrap_or_else(PoisonError::into_inner);
        if made.1 + bytes.len() > CACHE_BYTES {
            made.0.clear();
            made.1 = 0;
        }
        made.1 += bytes.len();
        made.0.insert(hash, bytes);
    }
}

#[cfg(test)]
mod tests {
    use image::ImageFormat;

    use super::*;

    #[test]
    fn a_large_png_becomes_a_small_jpeg() {
        let image = image::RgbImage::from_fn(2000, 1000, |x, y| {
            image::Rgb([
                u8::try_from(x % 256).unwrap(),
                u8::try_from(y % 256).unwrap(),
                0,
            ])
        });
        let mut png = Vec::new();
        image
            .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
            .unwrap();
        assert_eq!(media_type(&png), "image/png");
        let small = downscale(&png).unwrap();
        assert_eq!(media_type(&small), "image/jpeg");
        let decoded = image::load_from_memory(&small).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (SMALL_WIDTH, 450));
        assert!(downscale(b"%PDF-1.4 not an image").is_err());
    }

    #[test]
    fn a_tiff_scan_gets_a_small_copy_too() {
        let image = image::GrayImage::from_fn(1800, 2400, |x, y| {
            image::Luma([u8::try_from((x + y) % 256).unwrap()])
        });
        let mut tiff = Vec::new();
        image
            .write_to(&mut Cursor::new(&mut tiff), ImageFormat::Tiff)
            .unwrap();
        assert_eq!(media_type(&tiff), "image/tiff");
        let small = downscale(&tiff).unwrap();
        let decoded = image::load_from_memory(&small).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (SMALL_WIDTH, 1200));
    }
}
