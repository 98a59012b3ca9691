//! The one error type of this crate.

/// Why a file could not be turned into pages. Reading a page that holds no readable QR code is
/// not an error: that page is returned with no payload, for a person to look at.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ScanError {
    /// The file has no bytes.
    #[error("the file is empty")]
    Empty,
    /// The bytes are none of the formats read here (JPEG, PNG, TIFF, PDF).
    #[error("not a jpeg, png, tiff or pdf file (it starts with {start})")]
    NotAnImage {
        /// The first bytes, in hexadecimal, to help whoever reads the message.
        start: String,
    },
    /// The file ends before its format says it should.
    #[error("the {format} file is truncated")]
    Truncated {
        /// The format sniffed from the bytes.
        format: crate::Format,
    },
    /// The file is larger than the limit.
    #[error("the file has {bytes} bytes, more than the limit of {limit}")]
    FileTooLarge {
        /// Size of the file.
        bytes: usize,
        /// [`crate::Limits::max_file_bytes`].
        limit: usize,
    },
    /// An image claims more pixels a side than the limit: an absurd size or a decompression
    /// bomb. Detected from the header, before anything is allocated.
    #[error("page {page} is {width} x {height} pixels, more than the limit of {limit} a side")]
    ImageTooLarge {
        /// 1-based page number.
        page: usize,
        /// Width claimed by the header.
        width: u64,
        /// Height claimed by the header.
        height: u64,
        /// [`crate::Limits::max_side`].
        limit: u32,
    },
    /// An image claims more pixels than a page may have, each side within the limit: a scan
    /// does not need them, a decompression bomb does. Detected from the header, before anything
    /// is allocated.
    #[error(
        "page {page} is {width} x {height} pixels, more than the limit of {limit} pixels a page (a 600 dpi page or a 50-megapixel photo has fewer)"
    )]
    TooManyPixels {
        /// 1-based page number.
        page: usize,
        /// Width claimed by the header.
        width: u64,
        /// Height claimed by the header.
        height: u64,
        /// [`crate::Limits::max_pixels`].
        limit: u64,
    },
    /// Decoding would need more memory than the limit.
    #[error("decoding needs more than the memory limit of {limit} bytes (page {page})")]
    MemoryLimit {
        /// 1-based page number where the limit was reached.
        page: usize,
        /// [`crate::Limits::max_decoded_bytes`].
        limit: u64,
    },
    /// More pages than the limit.
    #[error("the file has {pages} pages, more than the limit of {limit}")]
    TooManyPages {
        /// Pages in the file.
        pages: usize,
        /// [`crate::Limits::max_pages`].
        limit: usize,
    },
    /// A page of a PDF holds no image to read (a PDF made from text, not a scan).
    #[error("page {page} of the pdf holds no image")]
    PdfPageWithoutImage {
        /// 1-based page number.
        page: usize,
    },
    /// A PDF with no pages.
    #[error("the pdf has no pages")]
    PdfWithoutPages,
    /// The bytes break the format's rules.
    #[error("the {format} file is corrupt: {detail}")]
    Corrupt {
        /// The format sniffed from the bytes.
        format: crate::Format,
        /// What the decoder said.
        detail: String,
    },
    /// A valid file using a feature not read here (an encrypted PDF, a JPEG 2000 page image, ...).
    #[error("unsupported {format} content: {detail}")]
    Unsupported {
        /// The format sniffed from the bytes.
        format: crate::Format,
        /// What is not supported.
        detail: String,
    },
}
