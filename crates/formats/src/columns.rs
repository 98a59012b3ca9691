//! Finding columns by header name, and reading numbers out of cells, with messages that say
//! which column and what was expected.

use csv::StringRecord;

use crate::limits::LINE_BYTES;
use crate::text::{TextEncoding, check_size, decode, ends_with_line_end, last_line};
use crate::{FormatError, RowProblem};

/// A column someone is looking for, under any of several header names.
#[derive(Clone, Debug)]
pub(crate) struct Wanted {
    /// What it is, for messages (`the centre code`).
    pub what: String,
    /// Header names that mean it, compared without case and surrounding spaces.
    pub names: Vec<String>,
}

impl Wanted {
    pub(crate) fn new(what: &str, names: &[&str]) -> Self {
        Self {
            what: what.to_owned(),
            names: names.iter().map(|&n| n.to_owned()).collect(),
        }
    }

    /// The first header position that matches.
    pub(crate) fn find(&self, header: &StringRecord) -> Option<usize> {
        header.iter().position(|field| {
            let field = field.trim().trim_start_matches('\u{feff}');
            self.names
                .iter()
                .any(|name| name.eq_ignore_ascii_case(field))
        })
    }

    /// `the centre code (one of CENTRO, centre_code)`.
    pub(crate) fn describe(&self) -> String {
        format!("{} (a column named {})", self.what, self.names.join(" or "))
    }
}

/// Finds every wanted column, or fails naming each one that is missing and what the header has.
pub(crate) fn require<const N: usize>(
    header: &StringRecord,
    wanted: [&Wanted; N],
) -> Result<[usize; N], FormatError> {
    let found = wanted.map(|w| w.find(header));
    if found.iter().all(Option::is_some) {
        return Ok(found.map(|column| column.unwrap_or(0)));
    }
    Err(FormatError::NoUsableHeader {
        missing: wanted
            .iter()
            .zip(found)
            .filter(|(_, column)| column.is_none())
            .map(|(w, _)| w.describe())
            .collect(),
        found: show_header(header),
    })
}

/// The field delimiter: comma, unless the header line has more semicolons or tabs (as
/// spreadsheets in Spanish-speaking countries often write).
pub(crate) fn sniff_delimiter(text: &str) -> u8 {
    let first = text.lines().next().unwrap_or("");
    [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|&d| (first.bytes().filter(|&b| b == d).count(), d == b','))
        .unwrap_or(b',')
}

/// A cell as a count: a non-negative whole number that fits in 32 bits. Spaces around it are
/// allowed; thousands separators are not (they are ambiguous between countries).
pub(crate) fn count(cell: &str, column: &str) -> Result<u32, String> {
    let cell = cell.trim();
    if cell.is_empty() {
        return Err(format!("column {column}: empty, expected a whole number"));
    }
    if !cell.bytes().all(|b| b.is_ascii_digit()) {
        let shown: String = cell.chars().take(24).collect();
        return Err(format!(
            "column {column}: `{shown}`, expected a whole number of 0 or more"
        ));
    }
    cell.parse::<u32>().map_err(|_| {
        format!(
            "column {column}: `{cell}` is too large, expected at most {}",
            u32::MAX
        )
    })
}

/// An optional count: an empty cell is `None`.
pub(crate) fn optional_count(cell: &str, column: &str) -> Result<Option<u32>, String> {
    if cell.trim().is_empty() {
        Ok(None)
    } else {
        count(cell, column).map(Some)
    }
}

/// The header as text for messages, at most 8 fields.
pub(crate) fn show_header(header: &StringRecord) -> String {
    let mut shown: Vec<String> = header.iter().take(8).map(|f| f.trim().to_owned()).collect();
    if header.len() > 8 {
        shown.push("...".to_owned());
    }
    shown.join(", ")
}

/// A CSV file read whole: its header and the records that have as many fields as the header,
/// each with its line; rows that do not are problems. A file larger than `limit` bytes or with a
/// line longer than [`LINE_BYTES`] is refused before it is parsed. A file whose last row does
/// not end with a line break is refused whole, as cut off (in the middle of its last row, or
/// inside its last field, which leaves a row that looks whole): importing the rest would leave
/// a partial file recorded as done.
pub(crate) struct CsvRows {
    pub encoding: TextEncoding,
    pub header: StringRecord,
    pub records: Vec<(u64, StringRecord)>,
    pub problems: Vec<RowProblem>,
}

pub(crate) fn read_csv(bytes: &[u8], limit: usize) -> Result<CsvRows, FormatError> {
    check_size(bytes, limit, LINE_BYTES)?;
    let (text, encoding) = decode(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(sniff_delimiter(&text))
        .flexible(true)
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut all = reader.records();
    let header = match all.next() {
        Some(Ok(header)) => header,
        Some(Err(error)) => {
            return Err(FormatError::Csv {
                line: 1,
                problem: error.to_string(),
            });
        }
        None => return Err(FormatError::Empty),
    };
    let mut records = Vec::new();
    let mut problems = Vec::new();
    let mut last = None;
    for record in all {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                let line = error.position().map_or(0, csv::Position::line);
                problems.push(RowProblem {
                    line,
                    message: error.to_string(),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, csv::Position::line);
        last = Some((line, record.len()));
        if record.len() == 1 && record.get(0).is_some_and(|f| f.trim().is_empty()) {
            continue;
        }
        if record.len() == header.len() {
            records.push((line, record));
        } else {
            problems.push(RowProblem {
                line,
                message: format!(
                    "{} fields, expected {} as in the header",
                    record.len(),
                    header.len()
                ),
            });
        }
    }
    if !ends_with_line_end(bytes) {
        return Err(match last {
            Some((line, fields)) if fields < header.len() => FormatError::Truncated {
                line,
                fields,
                expected: header.len(),
            },
            _ => FormatError::NoLineEnd {
                line: last_line(bytes),
            },
        });
    }
    Ok(CsvRows {
        encoding,
        header,
        records,
        problems,
    })
}
