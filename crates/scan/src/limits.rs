//! Bounds on what a file may make us allocate.

/// Bounds checked while reading a file. The defaults fit a scanner's output (a letter page at
/// 600 dpi is 5,100 x 6,600) with room to spare, and keep one hostile file from taking the
/// machine's memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest file accepted, in bytes. Default 256 MiB.
    pub max_file_bytes: usize,
    /// Largest image side, in pixels, checked against each header before decoding. Default 12,000.
    pub max_side: u32,
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
            max_decoded_bytes: 1024 * 1024 * 1024,
            max_pages: 500,
        }
    }
}
