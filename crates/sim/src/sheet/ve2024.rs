//! The Venezuelan presidential ballot of 28 July 2024 and its acta QR payload.
//!
//! Source: shared/data/ve2024/README.md (the 38 cards, in QR order, and the payload format
//! `<acta id>!<38 counts>!<null votes>!0`).

use super::SheetError;
use super::layout::{Card, Sheet};

/// The 38 party cards of the 2024 ballot, in the order of the QR payload: (party, candidate).
pub const BALLOT_CARDS: [(&str, &str); 38] = [
    ("PSUV", "Nicolás Maduro"),
    ("PCV", "Nicolás Maduro"),
    ("TUPAMARO", "Nicolás Maduro"),
    ("PPT", "Nicolás Maduro"),
    ("MSV", "Nicolás Maduro"),
    ("PODEMOS", "Nicolás Maduro"),
    ("MEP", "Nicolás Maduro"),
    ("APC", "Nicolás Maduro"),
    ("ORA", "Nicolás Maduro"),
    ("UPV", "Nicolás Maduro"),
    ("EV", "Nicolás Maduro"),
    ("PVV", "Nicolás Maduro"),
    ("PFV", "Nicolás Maduro"),
    ("AD", "Luis Martínez"),
    ("COPEI", "Luis Martínez"),
    ("MR", "Luis Martínez"),
    ("BR", "Luis Martínez"),
    ("DDP", "Luis Martínez"),
    ("UNE", "Luis Martínez"),
    ("EL CAMBIO", "Javier Bertucci"),
    ("PV", "José Brito"),
    ("VU", "José Brito"),
    ("UVV", "José Brito"),
    ("MPJ", "José Brito"),
    ("AP", "Antonio Ecarri"),
    ("MOVEV", "Antonio Ecarri"),
    ("CMC", "Antonio Ecarri"),
    ("FV", "Antonio Ecarri"),
    ("ALIANZA DEL LAPIZ", "Antonio Ecarri"),
    ("MIN UNIDAD", "Antonio Ecarri"),
    ("SPV", "Claudio Fermín"),
    ("VPA", "Daniel Ceballos"),
    ("AREPA", "Daniel Ceballos"),
    ("UNTC", "Edmundo González"),
    ("MPV", "Edmundo González"),
    ("MUD", "Edmundo González"),
    ("CENTRADOS", "Enrique Márquez"),
    ("CONDE", "Benjamín Rausseo"),
];

/// The ten candidates in ballot order (the order of their cards in [`BALLOT_CARDS`]).
pub const CANDIDATES: [&str; 10] = [
    "Nicolás Maduro",
    "Luis Martínez",
    "Javier Bertucci",
    "José Brito",
    "Antonio Ecarri",
    "Claudio Fermín",
    "Daniel Ceballos",
    "Edmundo González",
    "Enrique Márquez",
    "Benjamín Rausseo",
];

/// How a candidate's votes usually split over their cards: the sum of the three real payloads
/// of shared/data/ve2024/README.md per card, plus one so that no card is always empty.
const CARD_WEIGHTS: [u32; 38] = [
    368, 16, 13, 9, 10, 11, 2, 2, 6, 6, 1, 5, 55, // Maduro
    5, 2, 2, 1, 10, 2, // Martínez
    1, // Bertucci
    1, 2, 1, 2, // Brito
    1, 1, 1, 1, 4, 3, // Ecarri
    1, // Fermín
    1, 1, // Ceballos
    21, 43, 912, // González
    1,   // Márquez
    1,   // Rausseo
];

/// Per-card counts for a table from per-candidate totals in [`CANDIDATES`] order, as published
/// results files give them (the 2024 CSV has one column per candidate, not per card): each
/// candidate's votes are split over their cards in the proportions of real actas, by largest
/// remainder, so each candidate's cards add up to exactly their total.
#[must_use]
pub fn counts_from_candidate_totals(totals: &[u32; 10]) -> [u32; 38] {
    let mut counts = [0u32; 38];
    let mut first_card = 0;
    for (candidate, total) in CANDIDATES.iter().zip(totals) {
        let cards = BALLOT_CARDS
            .iter()
            .skip(first_card)
            .take_while(|(_, name)| name == candidate)
            .count();
        let range = first_card..first_card + cards;
        first_card += cards;
        let weights = &CARD_WEIGHTS[range.clone()];
        let weight_sum: u64 = weights.iter().map(|weight| u64::from(*weight)).sum();
        let mut remainders = Vec::with_capacity(cards);
        let mut given = 0u64;
        for (offset, weight) in weights.iter().enumerate() {
            let exact = u64::from(*total) * u64::from(*weight);
            let share = exact / weight_sum;
            counts[range.start + offset] = u32::try_from(share).unwrap_or(u32::MAX);
            given += share;
            remainders.push((exact % weight_sum, offset));
        }
        // Largest remainders first; ties to the earlier card.
        remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for (_, offset) in remainders
            .iter()
            .take(usize::try_from(u64::from(*total) - given).unwrap_or(0))
        {
            counts[range.start + offset] += 1;
        }
    }
    counts
}

/// Names of the places an acta belongs to, printed in its header (the payload holds only codes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ve2024Place {
    /// State name, e.g. `EDO. ZULIA`.
    pub state: String,
    /// Municipality name.
    pub municipality: String,
    /// Parish name.
    pub parish: String,
    /// Voting centre name.
    pub centre: String,
}

/// The QR payload of a 2024 acta: `<acta id>!<38 counts>!<null votes>!0`.
#[must_use]
pub fn ve2024_payload(acta_id: &str, counts: &[u32; 38], null_votes: u32) -> String {
    let counts: Vec<String> = counts.iter().map(u32::to_string).collect();
    format!("{acta_id}!{}!{null_votes}!0", counts.join(","))
}

impl Sheet {
    /// A sheet for a 2024 acta from its QR payload; the header shows `place`'s names beside the
    /// codes taken from the acta id (`CCCCCCCCC.MM.1.0001`: state, municipality, parish, centre,
    /// table).
    ///
    /// # Errors
    /// [`SheetError::NotVe2024`] when the payload is not four `!`-separated fields with 38 counts.
    pub fn ve2024(payload: &str, place: &Ve2024Place) -> Result<Sheet, SheetError> {
        let fields: Vec<&str> = payload.split('!').collect();
        let [acta_id, counts, null_votes, _fourth] = fields[..] else {
            return Err(SheetError::NotVe2024(format!(
                "expected 4 fields separated by '!', found {}",
                fields.len()
            )));
        };
        let counts: Vec<u32> = counts
            .split(',')
            .map(|count| {
                count
                    .parse::<u32>()
                    .map_err(|_| SheetError::NotVe2024(format!("count {count:?} is not a number")))
            })
            .collect::<Result<_, _>>()?;
        if counts.len() != BALLOT_CARDS.len() {
            return Err(SheetError::NotVe2024(format!(
                "expected 38 counts, found {}",
                counts.len()
            )));
        }
        let centre_code = acta_id.get(0..9).unwrap_or(acta_id);
        let code = |range: std::ops::Range<usize>| centre_code.get(range).unwrap_or("?").to_owned();
        let table = acta_id.get(10..12).unwrap_or("?");
        let cards = BALLOT_CARDS
            .iter()
            .zip(&counts)
            .map(|((party, candidate), count)| Card {
                party: (*party).to_owned(),
                candidate: (*candidate).to_owned(),
                count: *count,
            })
            .collect();
        let valid: u32 = counts.iter().sum();
        Ok(Sheet {
            title: "ELECCIÓN PRESIDENCIAL 2024 - ACTA DE ESCRUTINIO".to_owned(),
            header_lines: vec![
                format!("ESTADO: {} {}", code(0..2), place.state),
                format!("MUNICIPIO: {} {}", code(2..4), place.municipality),
                format!("PARROQUIA: {} {}", code(4..6), place.parish),
                format!("CENTRO: {centre_code} {}", place.centre),
                format!("MESA: {table}"),
            ],
            acta_id: acta_id.to_owned(),
            cards,
            footer_lines: vec![format!(
                "VOTOS VÁLIDOS: {valid}    VOTOS NULOS: {null_votes}"
            )],
            payload: payload.to_owned(),
            qr_size_cm: Sheet::DEFAULT_QR_SIZE_CM,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_payload_round_trips() {
        let payload = "201301006.01.1.0001!140,7,10,8,1,7,1,0,2,3,0,1,8,1,0,1,0,3,1,1,0,1,0,0,0,0,0,0,1,2,0,0,0,5,7,155,1,1!0!0";
        let sheet = Sheet::ve2024(payload, &Ve2024Place::default()).unwrap();
        assert_eq!(sheet.cards.len(), 38);
        assert_eq!(sheet.cards[35].count, 155);
        let counts: [u32; 38] = std::array::from_fn(|i| sheet.cards[i].count);
        assert_eq!(ve2024_payload(&sheet.acta_id, &counts, 0), payload);
    }

    #[test]
    fn candidate_totals_split_over_cards_exactly() {
        // The first real acta: Maduro 188, Martínez 6, Bertucci 1, Brito 1, Ecarri 3, Fermín 0,
        // Ceballos 0, González 167, Márquez 1, Rausseo 1.
        let totals = [188, 6, 1, 1, 3, 0, 0, 167, 1, 1];
        let counts = counts_from_candidate_totals(&totals);
        let mut per_candidate = [0u32; 10];
        for ((_, candidate), count) in BALLOT_CARDS.iter().zip(counts) {
            let index = CANDIDATES
                .iter()
                .position(|name| name == candidate)
                .unwrap_or(0);
            per_candidate[index] += count;
        }
        assert_eq!(per_candidate, totals);
        assert!(
            counts[0] > 100 && counts[35] > 100,
            "the main cards take most votes: {counts:?}"
        );
        assert_eq!(counts_from_candidate_totals(&[0; 10]), [0; 38]);
    }

    #[test]
    fn bad_payload_is_rejected() {
        assert!(Sheet::ve2024("x!1,2!0!0", &Ve2024Place::default()).is_err());
        assert!(Sheet::ve2024("nothing", &Ve2024Place::default()).is_err());
    }
}
