//! Rendered acta sheets and their scanner and phone degradations.
//!
//! The entry points:
//! - [`Sheet`]: what is printed (header lines, 38 cards, the QR payload); [`Sheet::ve2024`] builds
//!   one from a Venezuelan 2024 QR payload with the real ballot's party and candidate names.
//!   From a row of the 2024 results CSV (per-candidate totals), [`counts_from_candidate_totals`]
//!   gives the 38 card counts and [`ve2024_payload`] the payload.
//! - [`Degradation`]: how the paper was printed, handled and digitised; [`Condition`] names the
//!   cases tests and benches iterate over, and [`Condition::degradation`] draws one from a seed.
//! - [`BuSheet`]: a Brazilian boletim de urna (BU) as a page: a header (state, municipality,
//!   zone and section read from the texts, the caller's caption) and every QR code of the
//!   report, one text each, byte for byte. [`BuSheet::new`] gives one page or
//!   [`SheetError::DoesNotFit`] saying how many codes fit; [`BuSheet::pages`] spreads them over
//!   as many pages as needed.
//! - [`render`] and [`render_clean`]: a [`Printable`] page (a [`Sheet`] or a [`BuSheet`]) +
//!   degradation -> the image a scanner or phone would produce.
//! - [`encode`]: images -> file bytes (JPEG, PNG, TIFF with one page or several, PDF with one
//!   JPEG image per page as scanners write them).
//!
//! Geometry: the page is US letter (8.5 x 11 in). The QR code is printed near the bottom left,
//! 3.5 cm wide, at error correction level M (15 %). The 2024 actas' level is not documented;
//! M is the common default of receipt and kiosk printers' QR firmware, and a realistic middle:
//! at L a fold through the code would be unreadable far more often, at H the code grows beyond
//! what the machine printed in its corner.
//!
//! A BU page is A4 (8.27 x 11.69 in). Its codes are at level M too, every module 0.85 mm, the
//! acta code's (a 41-module code 3.5 cm wide), so that they are read at the acta's resolutions:
//! a text of 1,100 characters (TSE's longest) makes a 109-module code 9.3 cm wide, and four of
//! them fit on a page, two by two, four modules apart. A degradation's stamp and fold touch the
//! first code.

mod br_bu;
mod degrade;
mod draw;
mod encode_files;
mod layout;
mod raster;
mod render_page;
mod ve2024;

pub use br_bu::BuSheet;
pub use degrade::{Condition, Degradation, Fold, Phone, Rotation, Stamp};
pub use encode_files::{FileFormat, encode};
pub use layout::{Card, Sheet};
pub use render_page::{Printable, render, render_clean, render_without_code};
pub use ve2024::{
    BALLOT_CARDS, CANDIDATES, Ve2024Place, counts_from_candidate_totals, ve2024_payload,
};

/// What can go wrong building or encoding a sheet.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SheetError {
    /// The payload does not fit in a QR code.
    #[error("the payload does not fit in a qr code: {0}")]
    QrTooLong(String),
    /// A page's QR codes do not fit on it: `fit` of them do, and the rest go on another page.
    #[error("{codes} qr codes do not fit on one page: {fit} do, put the rest on another page")]
    DoesNotFit {
        /// The codes asked for.
        codes: usize,
        /// How many fit on the page.
        fit: usize,
    },
    /// A ve2024 payload could not be read.
    #[error("not a ve2024 acta payload: {0}")]
    NotVe2024(String),
    /// The image encoder failed.
    #[error("cannot encode the image: {0}")]
    Encode(String),
    /// No page to encode, or a parameter out of range.
    #[error("invalid request: {0}")]
    Invalid(String),
}
