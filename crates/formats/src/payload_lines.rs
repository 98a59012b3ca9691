//! A text file of acta payloads, one per line, as decoded elsewhere (the 2024 volunteers
//! published the decoded QR texts beside the images). For Brazil's boletim de urna, a line is one
//! QR text and the parts of a report may stand in any order ([`crate::bu_acta`]). Blank lines
//! and lines starting with `#` are skipped. At most [`PAYLOADS_FILE_BYTES`], lines of at most
//! [`LINE_BYTES`], and every line, the last too, ends with a line break: a file cut off is
//! refused whole.

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
    let format = ActaFormat::of(election)?;
    check_size(bytes, PAYLOADS_FILE_BYTES, LINE_BYTES)?;
    if !ends_with_line_end(bytes) {
        return Err(FormatError::NoLineEnd {
            line: last_line(bytes),
        });
    }
    let (text, _) = decode(bytes);
    let mut lines = Vec::new();
    let mut texts = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let payload = line.trim_end_matches('\r').trim();
        if payload.is_empty() || payload.starts_with('#') {
            continue;
        }
        lines.push(u64::try_from(index + 1).unwrap_or(u64::MAX));
        texts.push(payload);
    }
    let line_of = |position: usize| {
        lines
            .get(position.wrapping_sub(1))
            .copied()
            .unwrap_or_default()
    };
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for (mut positions, read) in format.parse_group(&texts) {
        positions.sort_unstable();
        let line = positions.first().copied().map_or(0, line_of);
        match read {
            Ok(record) => rows.push(PayloadRow { line, record }),
            Err(error) => {
                let others = positions
                    .iter()
                    .skip(1)
                    .map(|&p| line_of(p).to_string())
                    .collect::<Vec<_>>();
                let message = if others.is_empty() {
                    error.to_string()
                } else {
                    format!("{error} (with line(s) {})", others.join(", "))
                };
                problems.push(RowProblem { line, message });
            }
        }
    }
    if rows.is_empty() && problems.is_empty() {
        return Err(FormatError::NoRows);
    }
    Ok(PayloadsFile { rows, problems })
}
