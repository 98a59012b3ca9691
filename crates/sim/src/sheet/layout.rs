//! What is printed on a sheet.

/// One acta sheet as printed: what the renderer draws, independent of any veedor type.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    /// The first line, e.g. the election's title.
    pub title: String,
    /// Lines under the title: state, municipality, parish, centre (names and codes), table.
    pub header_lines: Vec<String>,
    /// The acta's identifier, printed at the top right and under the QR code.
    pub acta_id: String,
    /// The ballot's cards in ballot order; the 2024 ballot has 38.
    pub cards: Vec<Card>,
    /// Lines printed under the cards (valid votes, null votes, ...).
    pub footer_lines: Vec<String>,
    /// Exactly what the QR code encodes.
    pub payload: String,
    /// The printed QR code's side, in centimetres (quiet zone excluded).
    pub qr_size_cm: f32,
}

/// One party card of the ballot with its count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    /// The party's short name, e.g. `PSUV`.
    pub party: String,
    /// The candidate the card votes for.
    pub candidate: String,
    /// Votes counted for this card.
    pub count: u32,
}

impl Sheet {
    /// The default printed QR side: 3.5 cm, as on the 2024 actas.
    pub const DEFAULT_QR_SIZE_CM: f32 = 3.5;
}
