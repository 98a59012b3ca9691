//! The QR payload of the 2024 Venezuelan acta (`ve2024-qr`), as described in
//! `shared/data/ve2024/README.md`:
//!
//! ```text
//! <acta id>!<38 vote counts, comma-separated>!<null votes>!<fourth field>
//! 201301006.01.1.0001!140,7,10,...,1,1!0!0
//! ```
//!
//! The acta id is `CCCCCCCCC.MM.1.0001`: the 9-digit centre code, the 2-digit table number and
//! a suffix whose meaning is undocumented and which is kept verbatim. Parsing is strict so that
//! writing a parsed payload back gives the same bytes: every count is a non-negative decimal
//! integer without sign or leading zeros that fits in 32 bits.

use std::fmt;

use veedor_core::{ActaRecord, CentreCode, Counts, TableId, TableNumber};

/// The number of cells (party cards) on the 2024 ballot.
pub const CELLS: usize = 38;

/// Payloads longer than this are refused before any parsing (a real one is about 120 bytes).
pub const MAX_PAYLOAD_BYTES: usize = 2048;

/// A parsed `ve2024-qr` payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ve2024Payload {
    /// The table.
    pub table: TableId,
    /// The id's suffix after the table number, verbatim (`1.0001`).
    pub suffix: String,
    /// The 38 cells in ballot order.
    pub cells: Vec<u32>,
    /// Null votes.
    pub null_votes: u32,
    /// The fourth field (0 on every known acta; its meaning is undocumented).
    pub field4: u32,
}

/// Which part of the payload an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PayloadField {
    /// The payload as a whole.
    Whole,
    /// Field 1, the acta id.
    ActaId,
    /// Field 2, the vote counts; `cell` is 0-based.
    Votes {
        /// Which cell, when the error is about one.
        cell: Option<usize>,
    },
    /// Field 3, the null votes.
    NullVotes,
    /// Field 4.
    Field4,
}

impl fmt::Display for PayloadField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Whole => f.write_str("payload"),
            Self::ActaId => f.write_str("field 1 (acta id)"),
            Self::Votes { cell: None } => f.write_str("field 2 (vote counts)"),
            Self::Votes { cell: Some(cell) } => write!(f, "field 2 (vote counts), cell {cell}"),
            Self::NullVotes => f.write_str("field 3 (null votes)"),
            Self::Field4 => f.write_str("field 4"),
        }
    }
}

/// Why a payload was refused: which field, what was found, what was expected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct PayloadError {
    /// Where.
    pub field: PayloadField,
    /// What was found and what was expected.
    pub problem: String,
}

fn error(field: PayloadField, problem: String) -> PayloadError {
    PayloadError { field, problem }
}

/// Parses one count: a decimal integer, no sign, no leading zeros, below 2^32.
fn count(text: &str, field: PayloadField) -> Result<u32, PayloadError> {
    let shown: String = text.chars().take(24).collect();
    if text.is_empty() {
        return Err(error(field, "empty: expected a whole number".to_owned()));
    }
    if text.starts_with('-') {
        return Err(error(
            field,
            format!("`{shown}` is negative: expected a whole number of 0 or more"),
        ));
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(error(
            field,
            format!("`{shown}`: expected a whole number (digits 0-9 only)"),
        ));
    }
    if text.len() > 1 && text.starts_with('0') {
        return Err(error(
            field,
            format!("`{shown}`: expected a whole number without leading zeros"),
        ));
    }
    text.parse::<u32>().map_err(|_| {
        error(
            field,
            format!("`{shown}` is too large: expected at most {}", u32::MAX),
        )
    })
}

impl Ve2024Payload {
    /// Parses a payload strictly.
    pub fn parse(text: &str) -> Result<Self, PayloadError> {
        if text.len() > MAX_PAYLOAD_BYTES {
            return Err(error(
                PayloadField::Whole,
                format!("{} bytes: expected at most {MAX_PAYLOAD_BYTES}", text.len()),
            ));
        }
        if let Some(bad) = text.chars().find(|c| !c.is_ascii_graphic()) {
            return Err(error(
                PayloadField::Whole,
                format!("character {bad:?}: expected printable ASCII without spaces"),
            ));
        }
        let fields: Vec<&str> = text.split('!').collect();
        let [id, votes, nulls, field4] = fields[..] else {
            return Err(error(
                PayloadField::Whole,
                format!(
                    "{} fields: expected 4 separated by `!` (acta id!votes!nulls!field 4)",
                    fields.len()
                ),
            ));
        };
        let (table, suffix) = parse_acta_id(id)?;
        let cells: Vec<&str> = votes.split(',').collect();
        if cells.len() != CELLS {
            return Err(error(
                PayloadField::Votes { cell: None },
                format!(
                    "{} counts: expected {CELLS} separated by commas",
                    cells.len()
                ),
            ));
        }
        let cells = cells
            .iter()
            .enumerate()
            .map(|(cell, text)| count(text, PayloadField::Votes { cell: Some(cell) }))
            .collect::<Result<Vec<u32>, _>>()?;
        Ok(Self {
            table,
            suffix,
            cells,
            null_votes: count(nulls, PayloadField::NullVotes)?,
            field4: count(field4, PayloadField::Field4)?,
        })
    }

    /// The acta record.
    #[must_use]
    pub fn to_record(&self) -> ActaRecord {
        ActaRecord {
            table: self.table,
            counts: Counts::Cells(self.cells.clone()),
            null_votes: Some(self.null_votes),
            stated_valid_votes: None,
            stated_registered: None,
            format_fields: vec![
                ("suffix".to_owned(), self.suffix.clone()),
                ("field4".to_owned(), self.field4.to_string()),
            ],
            declared_counts: Vec::new(),
        }
    }

    /// The payload of a record that came from a `ve2024-qr` payload (cells, nulls and the
    /// format fields); `None` for a record of another kind.
    #[must_use]
    pub fn from_record(record: &ActaRecord) -> Option<Self> {
        let Counts::Cells(cells) = &record.counts else {
            return None;
        };
        let field = |name: &str| {
            record
                .format_fields
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
        };
        let payload = Self {
            table: record.table,
            suffix: field("suffix")?,
            cells: cells.clone(),
            null_votes: record.null_votes?,
            field4: field("field4")?.parse().ok()?,
        };
        (payload.cells.len() == CELLS).then_some(payload)
    }
}

fn parse_acta_id(id: &str) -> Result<(TableId, String), PayloadError> {
    let shown: String = id.chars().take(40).collect();
    let bad = || {
        error(
            PayloadField::ActaId,
            format!(
                "`{shown}`: expected CCCCCCCCC.MM.N.NNNN (9-digit centre code, 2-digit table number, suffix like 1.0001)"
            ),
        )
    };
    let parts: Vec<&str> = id.split('.').collect();
    let [centre, table, suffix_a, suffix_b] = parts[..] else {
        return Err(bad());
    };
    let digits =
        |text: &str, len: usize| text.len() == len && text.bytes().all(|b| b.is_ascii_digit());
    if !digits(centre, 9) || !digits(table, 2) || !digits(suffix_a, 1) || !digits(suffix_b, 4) {
        return Err(bad());
    }
    let centre = CentreCode::parse(centre, 9).map_err(|_| bad())?;
    let table = TableNumber::parse(table).map_err(|_| {
        error(
            PayloadField::ActaId,
            format!("`{shown}`: table number 00: expected 01 to 99"),
        )
    })?;
    Ok((
        TableId::new(centre, table),
        format!("{suffix_a}.{suffix_b}"),
    ))
}

impl fmt::Display for Ve2024Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}!", self.table.display(9), self.suffix)?;
        for (index, cell) in self.cells.iter().enumerate() {
            if index > 0 {
                f.write_str(",")?;
            }
            write!(f, "{cell}")?;
        }
        write!(f, "!{}!{}", self.null_votes, self.field4)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The three real payloads of shared/data/ve2024/README.md, with the per-candidate totals
    /// that README gives for them (Maduro, Martínez, Bertucci, Brito, Ecarri, Fermín, Ceballos,
    /// González, Márquez, Rausseo) — the order of cards on the ballot.
    pub(crate) const REAL: [(&str, [u32; 10]); 3] = [
        (
            "201301006.01.1.0001!140,7,10,8,1,7,1,0,2,3,0,1,8,1,0,1,0,3,1,1,0,1,0,0,0,0,0,0,1,2,0,0,0,5,7,155,1,1!0!0",
            [188, 6, 1, 1, 3, 0, 0, 167, 1, 1],
        ),
        (
            "110601011.04.1.0001!122,1,0,0,4,2,0,0,2,1,0,1,2,1,0,0,0,5,0,2,0,0,0,0,0,0,0,0,1,0,0,0,0,8,22,406,0,1!0!0",
            [135, 6, 2, 0, 1, 0, 0, 436, 0, 1],
        ),
        (
            "150702005.02.1.0001!105,7,2,0,4,1,0,1,1,1,0,2,44,2,1,0,0,1,0,1,0,0,0,1,0,0,0,0,1,0,1,0,0,7,13,350,0,2!0!0",
            [168, 4, 1, 1, 1, 1, 0, 370, 0, 2],
        ),
    ];

    /// The ballot's cell -> candidate map of the README (candidate indexes in ballot order).
    fn candidate_of_cell(cell: usize) -> usize {
        match cell {
            0..=12 => 0,
            13..=18 => 1,
            19 => 2,
            20..=23 => 3,
            24..=29 => 4,
            30 => 5,
            31..=32 => 6,
            33..=35 => 7,
            36 => 8,
            _ => 9,
        }
    }

    #[test]
    fn real_payloads_parse_and_round_trip_byte_for_byte() -> Result<(), PayloadError> {
        for (text, totals) in REAL {
            let payload = Ve2024Payload::parse(text)?;
            assert_eq!(payload.to_string(), text);
            let record = payload.to_record();
            assert_eq!(Ve2024Payload::from_record(&record).as_ref(), Some(&payload));
            let mut sums = [0u32; 10];
            for (cell, count) in payload.cells.iter().enumerate() {
                sums[candidate_of_cell(cell)] += count;
            }
            assert_eq!(sums, totals, "{text}");
            assert_eq!(payload.suffix, "1.0001");
        }
        Ok(())
    }

    fn check(text: &str, field: PayloadField, expected: &str) {
        match Ve2024Payload::parse(text) {
            Ok(_) => panic!("accepted {text}"),
            Err(error) => {
                assert_eq!(error.field, field, "{text}: {error}");
                let message = error.to_string();
                assert!(message.contains(expected), "`{message}` lacks `{expected}`");
            }
        }
    }

    fn with_cells(cells: &str) -> String {
        format!("201301006.01.1.0001!{cells}!0!0")
    }

    #[test]
    fn bad_payloads_name_the_field_and_what_was_expected() {
        let cells37 = vec!["1"; 37].join(",");
        let cells39 = vec!["1"; 39].join(",");
        let cells = |bad: &str| {
            let mut cells = vec!["1"; 38];
            cells[5] = bad;
            cells.join(",")
        };
        check(
            &with_cells(&cells37),
            PayloadField::Votes { cell: None },
            "37 counts: expected 38",
        );
        check(
            &with_cells(&cells39),
            PayloadField::Votes { cell: None },
            "39 counts: expected 38",
        );
        check(
            &with_cells(&cells("-1")),
            PayloadField::Votes { cell: Some(5) },
            "negative",
        );
        check(
            &with_cells(&cells("4294967296")),
            PayloadField::Votes { cell: Some(5) },
            "too large: expected at most 4294967295",
        );
        check(
            &with_cells(&cells("007")),
            PayloadField::Votes { cell: Some(5) },
            "leading zeros",
        );
        check(
            &with_cells(&cells("1.5")),
            PayloadField::Votes { cell: Some(5) },
            "digits 0-9",
        );
        check(
            &with_cells(&cells("")),
            PayloadField::Votes { cell: Some(5) },
            "empty",
        );
        let good = vec!["1"; 38].join(",");
        for id in [
            "20130100.01.1.0001",
            "201301006.1.1.0001",
            "201301006.01",
            "2013010O6.01.1.0001",
            "201301006.01.1.001",
        ] {
            check(
                &format!("{id}!{good}!0!0"),
                PayloadField::ActaId,
                "expected CCCCCCCCC.MM.N.NNNN",
            );
        }
        check(
            &format!("201301006.00.1.0001!{good}!0!0"),
            PayloadField::ActaId,
            "table number 00",
        );
        check(
            &format!("201301006.01.1.0001!{good}!x!0"),
            PayloadField::NullVotes,
            "digits",
        );
        check(
            &format!("201301006.01.1.0001!{good}!0!-2"),
            PayloadField::Field4,
            "negative",
        );
        check(
            &format!("201301006.01.1.0001!{good}!0"),
            PayloadField::Whole,
            "3 fields: expected 4",
        );
        check(
            &format!("201301006.01.1.0001!{good}!0!0!0"),
            PayloadField::Whole,
            "5 fields",
        );
        check(
            &format!("201301006.01.1.0001!{good}!0!0 "),
            PayloadField::Whole,
            "printable ASCII",
        );
        check(
            &"9".repeat(5000),
            PayloadField::Whole,
            "expected at most 2048",
        );
    }

    proptest! {
        #[test]
        fn any_valid_payload_round_trips(
            centre in 1u64..1_000_000_000,
            table in 1u16..100,
            cells in prop::collection::vec(any::<u32>(), CELLS),
            nulls in any::<u32>(),
            field4 in any::<u32>(),
        ) {
            let payload = Ve2024Payload {
                table: TableId::new(CentreCode::new(centre), TableNumber::new(table)),
                suffix: "1.0001".to_owned(),
                cells,
                null_votes: nulls,
                field4,
            };
            let text = payload.to_string();
            prop_assert_eq!(Ve2024Payload::parse(&text), Ok(payload));
        }

        #[test]
        fn arbitrary_text_never_panics(text in ".{0,300}") {
            let _ = Ve2024Payload::parse(&text);
        }

        #[test]
        fn whatever_parses_writes_back_identically(text in "[0-9.!,]{0,200}") {
            if let Ok(payload) = Ve2024Payload::parse(&text) {
                prop_assert_eq!(payload.to_string(), text);
            }
        }
    }
}
