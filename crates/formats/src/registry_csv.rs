//! The voter registry file: `voter_id,centre_code,table`, one voter a row, no names. Tens of
//! millions of rows: read as bytes, streaming, with a fast path for plain digits. Strict: one bad
//! row refuses the whole file (a partial registry would tell some voters they are not
//! registered), naming the first bad rows. Streaming does not make it unbounded: the file holds
//! at most [`REGISTRY_FILE_BYTES`], a line at most [`REGISTRY_LINE_BYTES`] (a quote left open
//! at a line's end would otherwise make one row of the rest of the file), and the last line
//! ends with a line break, so that a file cut off is refused.

use std::io::{self, Read};

use csv::{ByteRecord, StringRecord};
use veedor_core::{
    CentreCode, CoreError, Election, Registry, RegistryBuilder, TableId, TableKey, TableNumber,
    VoterId,
};

use crate::columns::{Wanted, require};
use crate::limits::{REGISTRY_FILE_BYTES, REGISTRY_LINE_BYTES};
use crate::{FormatError, MAX_LISTED_PROBLEMS, RowProblem};

/// A reader that refuses a registry beyond its limits as it streams through: it counts lines,
/// the bytes of the current line and of the file, and whether a quoted field is open, and keeps
/// the last byte, to tell whether the file ends with a line break.
struct Bounded<R> {
    inner: R,
    /// The line being read, from 1.
    line: u64,
    line_bytes: usize,
    quoted: bool,
    total: u64,
    last: Option<u8>,
    /// Why reading stopped, for the caller to report rather than the CSV reader's I/O error.
    refused: Option<FormatError>,
}

impl<R> Bounded<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            line: 1,
            line_bytes: 0,
            quoted: false,
            total: 0,
            last: None,
            refused: None,
        }
    }

    fn refuse(&mut self, error: FormatError) -> io::Error {
        let message = error.to_string();
        self.refused = Some(error);
        io::Error::new(io::ErrorKind::InvalidData, message)
    }
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let count = self.inner.read(buffer)?;
        let bytes = buffer.get(..count).unwrap_or_default();
        for &byte in bytes {
            match byte {
                b'\n' if self.quoted => {
                    let line = self.line;
                    return Err(self.refuse(FormatError::Csv {
                        line,
                        problem:
                            "a quoted field is not closed on its line: expected one row a line"
                                .to_owned(),
                    }));
                }
                b'\n' => {
                    self.line += 1;
                    self.line_bytes = 0;
                }
                b'\r' => self.line_bytes = 0,
                b'"' => {
                    self.quoted = !self.quoted;
                    self.line_bytes += 1;
                }
                _ => self.line_bytes += 1,
            }
            if self.line_bytes > REGISTRY_LINE_BYTES {
                let line = self.line;
                return Err(self.refuse(FormatError::LineTooLong {
                    line,
                    limit: REGISTRY_LINE_BYTES,
                }));
            }
        }
        self.total = self
            .total
            .saturating_add(u64::try_from(count).unwrap_or(u64::MAX));
        if self.total > REGISTRY_FILE_BYTES {
            let total = self.total;
            return Err(self.refuse(FormatError::FileTooLarge {
                bytes: total,
                limit: REGISTRY_FILE_BYTES,
            }));
        }
        if let Some(&byte) = bytes.last() {
            self.last = Some(byte);
        }
        Ok(count)
    }
}

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
/// the expected number of voters, to reserve memory once. Refused whole beyond the limits (see
/// the module's documentation) or when its last line has no line break.
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
        .from_reader(Bounded::new(reader));
    let mut record = ByteRecord::new();
    let read = |reader: &mut csv::Reader<Bounded<_>>, record: &mut ByteRecord| {
        reader.read_byte_record(record).map_err(|error| {
            reader
                .get_mut()
                .refused
                .take()
                .unwrap_or_else(|| FormatError::Csv {
                    line: error.position().map_or(0, csv::Position::line),
                    problem: error.to_string(),
                })
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
    let bounded = reader.get_ref();
    if bounded
        .last
        .is_some_and(|byte| byte != b'\n' && byte != b'\r')
    {
        return Err(FormatError::NoLineEnd { line: bounded.line });
    }
    build(builder, problems, total_problems)
}

/// The registry of a file read to its end: refused whole when a row could not be read.
fn build(
    builder: RegistryBuilder,
    problems: Vec<RowProblem>,
    total_problems: usize,
) -> Result<Registry, FormatError> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_election;

    fn message(text: &str) -> String {
        let election = parse_election(include_str!("../../../elections/ve-2024-presidential.toml"))
            .unwrap_or_else(|error| panic!("{error}"));
        parse_registry(text.as_bytes(), &election, 4, |_| Some(TableKey::new(0)))
            .map(|registry| format!("{} voters", registry.len()))
            .unwrap_or_else(|error| error.to_string())
    }

    #[test]
    fn limits_and_line_ends() {
        let head = "voter_id,centre_code,table\n";
        assert_eq!(
            message(&format!("{head}12345678,201301006,1\n")),
            "1 voters"
        );
        assert_eq!(
            message(&format!("{head}12345678,201301006,1\r\n")),
            "1 voters"
        );
        assert_eq!(
            message(&format!("{head}12345678,201301006,12")),
            "line 2: the last line has no line end: the file looks cut off; expected every row to end with a line break; nothing was imported, get the whole file"
        );
        assert_eq!(
            message(&format!("{head}12345678,201301006,1{}\n", " ".repeat(2000))),
            "line 2 is longer than 1024 bytes, the limit for a line: expected rows of text, each ending with a line break"
        );
        assert_eq!(
            message(&format!("{head}\"12345678,201301006,1\n1,2,3\n")),
            "line 2: a quoted field is not closed on its line: expected one row a line"
        );
        assert_eq!(
            message(&format!("{head}\"12345678\",\"201301006\",\"1\"\n")),
            "1 voters"
        );
    }
}
