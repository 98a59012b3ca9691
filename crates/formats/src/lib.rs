//! Bytes in, domain types out: the election definition file, the acta payload codecs (the
//! 2024 Venezuelan QR first; Brazil's boletim de urna QR codes, with their hash chain and
//! signature, in [`br_bu`]), and the CSV files veedor imports (tables, per-acta results, the
//! voter registry). No I/O: callers hand in bytes or a reader.
//!
//! Every error says where (line, column or field) and what was expected; the caller adds the
//! file's name. Every file has a stated largest size and longest line ([`limits`]), and every
//! line-based file must end with a line break, so that one cut off in transfer is refused.
#![deny(missing_docs)]

pub mod br_bu;
pub mod bu_acta;
mod columns;
mod election_file;
pub mod limits;
pub mod log_entry;
pub mod lookup;
mod payload_lines;
mod registry_csv;
mod results_csv;
mod sheet_file;
mod tables_csv;
pub mod text;
pub mod ve2024;

use std::fmt;
use std::sync::Arc;

pub use election_file::parse_election;
pub use log_entry::{DecisionEntry, LogEntry};
pub use payload_lines::{PayloadRow, PayloadsFile, parse_payload_lines};
pub use registry_csv::parse_registry;
pub use results_csv::{ResultRow, ResultsFile, parse_results};
pub use tables_csv::{TableRow, parse_tables};
pub use ve2024::{PayloadError, Ve2024Payload};
use veedor_core::{ActaRecord, CoreError, Election};

/// At most this many bad rows are listed in an error; the total is still counted.
pub const MAX_LISTED_PROBLEMS: usize = 20;

/// A row that could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowProblem {
    /// Its line (the header is line 1); 0 when the problem is not about one line.
    pub line: u64,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for RowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            f.write_str(&self.message)
        } else {
            write!(f, "line {}: {}", self.line, self.message)
        }
    }
}

/// Why a file could not be used at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// The election file is not valid.
    #[error("{location}: {problem}")]
    Election {
        /// Line or field.
        location: String,
        /// What is wrong.
        problem: String,
    },
    /// An acta format id that veedor does not know.
    #[error("acta format `{id}` is not known; known formats: {known}")]
    UnknownActaFormat {
        /// The id.
        id: String,
        /// The known ones.
        known: String,
    },
    /// The file is empty.
    #[error("the file is empty")]
    Empty,
    /// The header is there but no data rows.
    #[error("the file has no data rows")]
    NoRows,
    /// The first line lacks columns that are needed.
    #[error("line 1: no usable header: missing {}; the first line has: {found}", missing.join("; "))]
    NoUsableHeader {
        /// What is missing, with the names that would do.
        missing: Vec<String>,
        /// The first fields of the first line.
        found: String,
    },
    /// The file is larger than its importer's limit ([`limits`]).
    #[error(
        "the file is {bytes} bytes, more than the limit of {limit} bytes for this kind of file"
    )]
    FileTooLarge {
        /// Its size.
        bytes: u64,
        /// The limit.
        limit: u64,
    },
    /// A line is longer than the file's line limit ([`limits`]).
    #[error(
        "line {line} is longer than {limit} bytes, the limit for a line: expected rows of text, each ending with a line break"
    )]
    LineTooLong {
        /// The line, from 1.
        line: u64,
        /// The limit, in bytes.
        limit: usize,
    },
    /// The last line has no line break: the file was cut off, perhaps inside its last field.
    #[error(
        "line {line}: the last line has no line end: the file looks cut off; expected every row to end with a line break; nothing was imported, get the whole file"
    )]
    NoLineEnd {
        /// The last line.
        line: u64,
    },
    /// The file ends in the middle of a row.
    #[error(
        "line {line}: the file ends in the middle of a row ({fields} fields, expected {expected}): it looks cut off; nothing was imported, get the whole file"
    )]
    Truncated {
        /// The last line.
        line: u64,
        /// Its fields.
        fields: usize,
        /// The header's fields.
        expected: usize,
    },
    /// The CSV reader failed.
    #[error("line {line}: {problem}")]
    Csv {
        /// Where.
        line: u64,
        /// What.
        problem: String,
    },
    /// Rows that could not be read, in a file that must be read whole.
    #[error("{total} row(s) cannot be read, nothing was imported:\n{}{}", problems.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"), if *total > problems.len() { format!("\n  ... and {} more", total - problems.len()) } else { String::new() })]
    Rows {
        /// The first ones.
        problems: Vec<RowProblem>,
        /// How many in all.
        total: usize,
    },
    /// A domain error.
    #[error(transparent)]
    Domain(#[from] CoreError),
}

/// The acta formats veedor can read, with what the election file sets for them.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum ActaFormat {
    /// The QR code of the 2024 Venezuelan acta.
    Ve2024Qr,
    /// Brazil's boletim de urna: several QR codes per report, hash-chained and signed, read for
    /// the office and with the keys the election file gives ([`bu_acta`]).
    BrBu(Arc<bu_acta::BuSettings>),
    /// Sheets with no code veedor reads: copies come from result files and from volunteers
    /// typing the sheet (its counts and rules declared in the election file's `[sheet]`).
    None,
}

/// The ids of the acta formats, as election files name them.
pub const ACTA_FORMAT_IDS: [&str; 3] = ["ve2024-qr", "br-bu", "none"];

impl ActaFormat {
    /// The id used in election files.
    #[must_use]
    pub const fn id(&self) -> &'static str {
        match self {
            Self::Ve2024Qr => ACTA_FORMAT_IDS[0],
            Self::BrBu(_) => ACTA_FORMAT_IDS[1],
            Self::None => ACTA_FORMAT_IDS[2],
        }
    }

    /// The format of a checked election, with its settings.
    pub fn of(election: &Election) -> Result<Self, FormatError> {
        match election.acta_format.as_str() {
            "br-bu" => Ok(Self::BrBu(Arc::new(bu_acta::BuSettings::of(election)?))),
            id => Self::from_id(id),
        }
    }

    /// A format that needs no settings, by its id (`br-bu` needs an election: [`Self::of`]).
    pub fn from_id(id: &str) -> Result<Self, FormatError> {
        match id {
            "ve2024-qr" => Ok(Self::Ve2024Qr),
            "none" => Ok(Self::None),
            "br-bu" => Err(FormatError::Election {
                location: "acta_format_options".to_owned(),
                problem: "br-bu is read with the election's settings".to_owned(),
            }),
            _ => Err(FormatError::UnknownActaFormat {
                id: id.to_owned(),
                known: ACTA_FORMAT_IDS.join(", "),
            }),
        }
    }

    /// Checks that the election's ballot fits the format.
    pub fn check_election(&self, election: &Election) -> Result<(), FormatError> {
        match self {
            Self::Ve2024Qr => {
                if election.cards.len() != ve2024::CELLS || election.geography.centre_digits != 9 {
                    return Err(FormatError::Election {
                        location: "acta_format".to_owned(),
                        problem: format!(
                            "ve2024-qr needs {} cards and 9-digit centre codes; the election has {} cards and {}-digit codes",
                            ve2024::CELLS,
                            election.cards.len(),
                            election.geography.centre_digits
                        ),
                    });
                }
                Ok(())
            }
            Self::BrBu(_) => bu_acta::BuSettings::check_election(election),
            Self::None => Ok(()),
        }?;
        // A setting for a format that takes none is a mistake, not something to ignore.
        match (self, election.acta_format_options.first()) {
            (Self::Ve2024Qr | Self::None, Some((key, _))) => Err(FormatError::Election {
                location: format!("acta_format_options.{key}"),
                problem: format!("{} takes no settings", self.id()),
            }),
            _ => Ok(()),
        }
    }

    /// Parses a payload into an acta record. For `br-bu` the payload is a whole report: its QR
    /// texts, one a line, in any order.
    pub fn parse_payload(&self, payload: &str) -> Result<ActaRecord, PayloadError> {
        match self {
            Self::Ve2024Qr => Ve2024Payload::parse(payload).map(|p| p.to_record()),
            Self::BrBu(settings) => {
                let texts: Vec<&str> = payload.lines().collect();
                let mut read = bu_acta::read_reports(&texts, settings);
                match read.len() {
                    1 => read.remove(0).1,
                    n => Err(PayloadError {
                        field: ve2024::PayloadField::Whole,
                        problem: format!(
                            "{n} reports or sets of refused texts: expected one whole report"
                        ),
                    }),
                }
            }
            Self::None => Err(PayloadError {
                field: ve2024::PayloadField::Whole,
                problem:
                    "this election's sheets carry no code veedor reads (acta_format = \"none\"): \
                          expected its results as a result file, or typed by volunteers"
                        .to_owned(),
            }),
        }
    }

    /// Reads the QR texts of one page, or of one file, into records: each text alone, or, for
    /// `br-bu`, the parts of each report together. Each result comes with the positions (from
    /// 1) of the texts it was read from, in the order of their first text.
    #[must_use]
    pub fn parse_group(&self, texts: &[&str]) -> bu_acta::ReadReports {
        match self {
            Self::BrBu(settings) => bu_acta::read_reports(texts, settings),
            Self::Ve2024Qr | Self::None => texts
                .iter()
                .enumerate()
                .map(|(index, text)| (vec![index + 1], self.parse_payload(text)))
                .collect(),
        }
    }

    /// Writes a record back as a payload, when it came from one.
    #[must_use]
    pub fn encode(&self, record: &ActaRecord) -> Option<String> {
        match self {
            Self::Ve2024Qr => Ve2024Payload::from_record(record).map(|p| p.to_string()),
            Self::BrBu(_) | Self::None => None,
        }
    }
}
