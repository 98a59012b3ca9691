//! Bounds on what a file may make us allocate.

/// Bounds checked while reading a file. The defaults fit a scanner's output (a letter page at
/// 600 dpi is 5,100 x 6,600) and a phone's photo with room to spare, and keep one hostile file
/// from taking the machine's memory or minutes of its time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest file accepted, in bytes. Default 256 MiB. A caller that reads files should refuse
    /// a larger one from its metadata, before reading it.
    pub max_file_bytes: usize,
    /// Largest image side, in pixels, checked against each header before decoding. Default 12,000.
    pub max_side: u32,
    /// Most pixels of one page, checked against each header before decoding. Default 64 million:
    /// a legal-size page at 600 dpi is 5,100 x 8,400 = 42.8 million, A4 at 600 dpi 35 million, a
    /// 50-megapixel phone photo 8,160 x 6,120 = 49.9 million. Both sides within `max_side` do
    /// not make a scan: a blank 12,000 x 12,000 PNG is 140 KB and 144 million pixels, and it took
    /// 7 s and 0.5 GB to decode and search. What a page's pixels cost (memory, and the QR search
    /// over them) grows with their number, which compression does not bound: deflate shrinks a
    /// blank page a thousand times, CCITT fax ten thousand, so no ratio of pixels to file bytes
    /// separates a bomb from a clean scan of a nearly blank sheet; the pixel count does.
    pub max_pixels: u64,
    /// Most bytes of decoded pixels for one page, and for all pages of a file together.
    /// Default 1 GiB.
    pub max_decoded_bytes: u64,
    /// Most pages in one file. Default 500.
    pub max_pages: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 256 * 1024 * 1024,
            max_side: 12_000,
            max_pixels: 64_000_000,
            max_decoded_bytes: 1024 * 1024 * 1024,
            max_pages: 500,
        }
    }
}
