//! A text file of acta payloads, one per line, as decoded elsewhere (the 2024 volunteers
//! published the decoded QR texts beside the images). Blank lines and lines starting with `#`
//! are skipped. At most [`PAYLOADS_FILE_BYTES`], lines of at most [`LINE_BYTES`], and every
//! line, the last too, ends with a line break: a file cut off is refused whole.

use veedor_core::{ActaRecord, Election};

use crate::limits::{LINE_BYTES, PAYLOADS_FILE_BYTES};
use crate::text::{check_size, decode, ends_with_line_end, last_line};
use crate::{ActaFormat, FormatError, RowProblem};

/// One readable payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayloadRow {
    /// Its line, from 1.
    pub line: u64,
    /// What it says.
    pub record: ActaRecord,
}

/// The payloads of a file: those that parse, and the lines that did not, with why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayloadsFile {
    /// Readable payloads.
    pub rows: Vec<PayloadRow>,
    /// Lines that could not be read.
    pub problems: Vec<RowProblem>,
}

/// Reads a payload file in the election's acta format.
pub fn parse_payload_lines(bytes: &[u8], election: &Election) -> Result<PayloadsFile, FormatError> {
    let format = ActaFormat::from_id(&election.acta_format)?;
    check_size(bytes, PAYLOADS_FILE_BYTES, LINE_BYTES)?;
    if !ends_with_line_end(bytes) {
        return Err(FormatError::NoLineEnd {
            line: last_line(bytes),
        });
    }
    let (text, _) = decode(bytes);
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line_number = u64::try_from(index + 1).unwrap_or(u64::MAX);
        let payload = line.trim_end_matches('\r').trim();
        if payload.is_empty() || payload.starts_with('#') {
            continue;
        }
        match format.parse_payload(payload) {
            Ok(record) => rows.push(PayloadRow {
                line: line_number,
                record,
            }),
            Err(error) => problems.push(RowProblem {
                line: line_number,
                message: error.to_string(),
            }),
        }
    }
    if rows.is_empty() && problems.is_empty() {
        return Err(FormatError::NoRows);
    }
    Ok(PayloadsFile { rows, problems })
}
