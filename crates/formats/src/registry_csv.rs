//! The voter registry file: `voter_id,centre_code,table`, one voter a row, no names. Tens of
//! millions of rows: read as bytes, streaming, with a fast path for plain digits. Strict: one bad
//! row refuses the whole file (a partial registry would tell some voters they are not
//! registered), naming the first bad rows.

use std::io::Read;

use csv::{ByteRecord, StringRecord};
use veedor_core::{
    CentreCode, CoreError, Election, Registry, RegistryBuilder, TableId, TableKey, TableNumber,
    VoterId,
};

use crate::columns::{Wanted, require};
use crate::{FormatError, MAX_LISTED_PROBLEMS, RowProblem};

/// Parses ASCII digits; `None` for anything else or more than `max_digits`.
fn digits(bytes: &[u8], max_digits: usize) -> Option<u64> {
    if bytes.is_empty() || bytes.len() > max_digits {
        return None;
    }
    bytes.iter().try_fold(0u64, |number, &b| {
        b.is_ascii_digit()
            .then(|| number * 10 + u64::from(b - b'0'))
    })
}

fn trim(bytes: &[u8]) -> &[u8] {
    bytes.trim_ascii()
}

/// Reads a registry file, resolving each row's table to its key with `resolve`. `size_hint` is
/// the expected number of voters, to reserve memory once.
pub fn parse_registry(
    reader: impl Read,
    election: &Election,
    size_hint: usize,
    mut resolve: impl FnMut(TableId) -> Option<TableKey>,
) -> Result<Registry, FormatError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(1 << 20)
        .from_reader(reader);
    let mut record = ByteRecord::new();
    let read = |reader: &mut csv::Reader<_>, record: &mut ByteRecord| {
        reader
            .read_byte_record(record)
            .map_err(|error| FormatError::Csv {
                line: error.position().map_or(0, csv::Position::line),
                problem: error.to_string(),
            })
    };
    if !read(&mut reader, &mut record)? {
        return Err(FormatError::Empty);
    }
    let header = StringRecord::from_byte_record_lossy(record.clone());
    let voter = Wanted::new("the voter id", &["voter_id", "cedula", "id"]);
    let centre = Wanted::new("the centre code", &["centre_code", "center_code", "CENTRO"]);
    let table = Wanted::new("the table number", &["table", "MESA"]);
    let [voter_column, centre_column, table_column] = require(&header, [&voter, &centre, &table])?;
    let centre_digits = usize::from(election.geography.centre_digits);
    let prefixes = &election.voter_id_prefixes;
    let mut builder = RegistryBuilder::with_capacity(size_hint);
    let mut problems = Vec::new();
    let mut total_problems = 0usize;
    let mut cached: Option<(TableId, TableKey)> = None;
    let mut last_complete = true;
    while read(&mut reader, &mut record)? {
        let line = record.position().map_or(0, csv::Position::line);
        let row = (|| {
            if record.len() != header.len() {
                if record.len() == 1 && trim(&record[0]).is_empty() {
                    return Ok(None);
                }
                return Err(format!(
                    "{} fields, expected {} as in the header",
                    record.len(),
                    header.len()
                ));
            }
            let field = |index: usize| trim(record.get(index).unwrap_or_default());
            let voter = match digits(field(voter_column), VoterId::MAX_DIGITS) {
                Some(number) if number > 0 => VoterId::new(number),
                _ => VoterId::parse(&String::from_utf8_lossy(field(voter_column)), prefixes)
                    .map_err(|error| format!("column voter_id: {error}"))?,
            };
            let centre = digits(field(centre_column), centre_digits).ok_or_else(|| {
                format!(
                    "column centre_code: `{}`, expected at most {centre_digits} digits",
                    String::from_utf8_lossy(field(centre_column))
                )
            })?;
            let number = digits(field(table_column), 5)
                .and_then(|n| u16::try_from(n).ok())
                .filter(|&n| n > 0)
                .ok_or_else(|| {
                    format!(
                        "column table: `{}`, expected a whole number from 1 to 65535",
                        String::from_utf8_lossy(field(table_column))
                    )
                })?;
            let id = TableId::new(CentreCode::new(centre), TableNumber::new(number));
            let key = match cached {
                Some((cached_id, key)) if cached_id == id => key,
                _ => {
                    let key = resolve(id).ok_or_else(|| {
                        format!(
                            "table {} is not a known table of this election (import the table list or results first)",
                            id.display(election.geography.centre_digits)
                        )
                    })?;
                    cached = Some((id, key));
                    key
                }
            };
            Ok(Some((voter, key)))
        })();
        last_complete = record.len() >= header.len();
        match row {
            Ok(Some((voter, key))) => builder.push(voter, key),
            Ok(None) => {}
            Err(message) => {
                total_problems += 1;
                if problems.len() < MAX_LISTED_PROBLEMS {
                    problems.push(RowProblem { line, message });
                }
            }
        }
    }
    if !last_complete && total_problems > 0 {
        let last = problems.last().map_or(0, |p| p.line);
        if let Some(problem) = problems.last_mut().filter(|p| p.line == last) {
            problem.message.push_str(" (the file may be cut off)");
        }
    }
    if total_problems > 0 {
        return Err(FormatError::Rows {
            problems,
            total: total_problems,
        });
    }
    if builder.is_empty() {
        return Err(FormatError::NoRows);
    }
    builder.build().map_err(|error| match error {
        CoreError::DuplicateVoter { voter } => FormatError::Rows {
            problems: vec![RowProblem {
                line: 0,
                message: format!("voter {voter} appears on more than one row"),
            }],
            total: 1,
        },
        other => FormatError::Domain(other),
    })
}
