//! Per-acta result files, as published in 2024 (`RESULTADOS_2024_CSV_V1.csv`) and in the other
//! shapes such files circulate in: columns found by header name in any order, UTF-8 with or
//! without BOM or Latin-1, comma or semicolon separated, centre codes that lost leading zeros.

use std::fmt::Write as _;

use csv::StringRecord;
use veedor_core::{ActaRecord, CentreCode, Counts, Election, TableId, TableNumber};

use crate::columns::{CsvRows, Wanted, count, optional_count, read_csv, show_header};
use crate::limits::RESULTS_FILE_BYTES;
use crate::text::TextEncoding;
use crate::text::check_name;
use crate::{FormatError, RowProblem};

/// One readable row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResultRow {
    /// Its line in the file (the header is line 1).
    pub line: u64,
    /// What it says.
    pub record: ActaRecord,
    /// Area names the row gives: (level index, name).
    pub area_names: Vec<(usize, String)>,
}

/// A result file, read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResultsFile {
    /// The encoding it was read in.
    pub encoding: TextEncoding,
    /// Header names that were used, in file order.
    pub used_columns: Vec<String>,
    /// Header names that were not used, in file order.
    pub ignored_columns: Vec<String>,
    /// The rows that could be read.
    pub rows: Vec<ResultRow>,
    /// The rows that could not, with why.
    pub problems: Vec<RowProblem>,
}

struct Layout {
    centre: Centre,
    table: usize,
    registered: Option<usize>,
    valid: Option<usize>,
    null: Option<usize>,
    candidates: Vec<usize>,
    /// The declared counts the file has: (index in the sheet model, column).
    counts: Vec<(usize, usize)>,
    names: Vec<(usize, usize)>,
}

/// Where the centre code is: one column, or several (each zero-padded to its digits).
enum Centre {
    Column(usize),
    Parts(Vec<(usize, u8)>),
}

impl Centre {
    fn columns(&self) -> Vec<usize> {
        match self {
            Self::Column(column) => vec![*column],
            Self::Parts(parts) => parts.iter().map(|(column, _)| *column).collect(),
        }
    }
}

/// Header names: veedor's own for a column, and the election file's (`[sheet.columns]`).
fn wanted(what: &str, built_in: &[&str], declared: &[String]) -> Wanted {
    let mut names: Vec<&str> = built_in.to_vec();
    names.extend(declared.iter().map(String::as_str));
    Wanted::new(what, &names)
}

/// Reads a result file. Fails as a whole only when the file cannot be used at all (larger than
/// [`RESULTS_FILE_BYTES`], a line longer than [`crate::limits::LINE_BYTES`], no header with the
/// needed columns, no rows, cut off: its last line without a line break); a row that cannot be
/// read (a count that is not one, an area name with a control character) is listed in
/// [`ResultsFile::problems`] and the others are still returned.
pub fn parse_results(bytes: &[u8], election: &Election) -> Result<ResultsFile, FormatError> {
    let CsvRows {
        encoding,
        header,
        records,
        mut problems,
    } = read_csv(bytes, RESULTS_FILE_BYTES)?;
    let layout = find_layout(&header, election)?;
    let mut used: Vec<usize> = layout
        .centre
        .columns()
        .into_iter()
        .chain([layout.table])
        .chain(layout.registered)
        .chain(layout.valid)
        .chain(layout.null)
        .chain(layout.candidates.iter().copied())
        .chain(layout.counts.iter().map(|(_, column)| *column))
        .chain(layout.names.iter().map(|(_, column)| *column))
        .collect();
    used.sort_unstable();
    let name_of = |index: usize| {
        header
            .get(index)
            .map(|h| h.trim().trim_start_matches('\u{feff}').to_owned())
    };
    let used_columns = used.iter().filter_map(|&i| name_of(i)).collect();
    let ignored_columns = (0..header.len())
        .filter(|i| used.binary_search(i).is_err())
        .filter_map(name_of)
        .collect();
    let mut rows = Vec::with_capacity(records.len());
    for (line, record) in records {
        match read_row(&record, &header, &layout, election) {
            Ok((record, area_names)) => rows.push(ResultRow {
                line,
                record,
                area_names,
            }),
            Err(message) => problems.push(RowProblem { line, message }),
        }
    }
    problems.sort_by_key(|p| p.line);
    if rows.is_empty() && problems.is_empty() {
        return Err(FormatError::NoRows);
    }
    Ok(ResultsFile {
        encoding,
        used_columns,
        ignored_columns,
        rows,
        problems,
    })
}

fn find_layout(header: &StringRecord, election: &Election) -> Result<Layout, FormatError> {
    let declared = &election.sheet.columns;
    let centre = wanted(
        "the centre code",
        &[
            "CENTRO",
            "centre_code",
            "center_code",
            "COD_CENTRO",
            "CODIGO_CENTRO",
        ],
        &declared.centre,
    );
    let table = wanted(
        "the table number",
        &["MESA", "table", "table_number", "NUM_MESA"],
        &declared.table,
    );
    let registered = wanted(
        "registered voters",
        &["RE", "registered", "ELECTORES", "INSCRITOS"],
        &declared.registered,
    );
    let valid = wanted(
        "valid votes",
        &["VOTOS_VALIDOS", "valid", "valid_votes"],
        &declared.valid,
    );
    let null = wanted(
        "null votes",
        &["VOTOS_NULOS", "null", "null_votes", "NULOS"],
        &declared.null,
    );
    let mut missing = Vec::new();
    let mut required = |wanted: &Wanted| {
        let found = wanted.find(header);
        if found.is_none() {
            missing.push(wanted.describe());
        }
        found.unwrap_or(0)
    };
    let centre_column = if declared.centre_parts.is_empty() {
        Centre::Column(required(&centre))
    } else {
        Centre::Parts(
            declared
                .centre_parts
                .iter()
                .map(|(name, digits)| {
                    let part = Wanted::new("a part of the centre code", &[name.as_str()]);
                    (required(&part), *digits)
                })
                .collect(),
        )
    };
    let table_column = required(&table);
    let candidates: Vec<usize> = election
        .candidates
        .iter()
        .map(|candidate| {
            let mut names = vec![candidate.id.as_str()];
            names.extend(candidate.columns.iter().map(String::as_str));
            required(&Wanted::new(
                &format!("the votes of {}", candidate.name),
                &names,
            ))
        })
        .collect();
    if !missing.is_empty() {
        return Err(FormatError::NoUsableHeader {
            missing,
            found: show_header(header),
        });
    }
    let names = election
        .geography
        .levels
        .iter()
        .enumerate()
        .filter_map(|(index, level)| {
            let names: Vec<&str> = level.name_columns.iter().map(String::as_str).collect();
            Wanted::new(&level.id, &names)
                .find(header)
                .map(|column| (index, column))
        })
        .collect();
    Ok(Layout {
        centre: centre_column,
        table: table_column,
        registered: registered.find(header),
        valid: valid.find(header),
        null: null.find(header),
        candidates,
        counts: election
            .sheet
            .counts
            .iter()
            .enumerate()
            .filter_map(|(index, count)| {
                let mut names = vec![count.id.as_str()];
                names.extend(count.columns.iter().map(String::as_str));
                Wanted::new(&count.id, &names)
                    .find(header)
                    .map(|column| (index, column))
            })
            .collect(),
        names,
    })
}

fn read_row(
    record: &StringRecord,
    header: &StringRecord,
    layout: &Layout,
    election: &Election,
) -> Result<(ActaRecord, Vec<(usize, String)>), String> {
    let cell = |index: usize| record.get(index).unwrap_or("");
    let name = |index: usize| {
        header
            .get(index)
            .unwrap_or("?")
            .trim()
            .trim_start_matches('\u{feff}')
    };
    let digits = election.geography.centre_digits;
    let centre = match &layout.centre {
        Centre::Column(column) => CentreCode::parse(cell(*column), digits)
            .map_err(|error| format!("column {}: {error}", name(*column)))?,
        Centre::Parts(parts) => {
            let mut code = String::with_capacity(usize::from(digits));
            for &(column, width) in parts {
                let text = cell(column).trim();
                if text.is_empty()
                    || text.len() > usize::from(width)
                    || !text.bytes().all(|b| b.is_ascii_digit())
                {
                    let shown: String = text.chars().take(24).collect();
                    return Err(format!(
                        "column {}: `{shown}`, expected 1 to {width} digits (a part of the \
                         centre code)",
                        name(column)
                    ));
                }
                let _ = write!(code, "{text:0>width$}", width = usize::from(width));
            }
            CentreCode::parse(&code, digits).map_err(|error| error.to_string())?
        }
    };
    let number = TableNumber::parse(cell(layout.table))
        .map_err(|error| format!("column {}: {error}", name(layout.table)))?;
    let optional = |column: Option<usize>| match column {
        Some(index) => optional_count(cell(index), name(index)),
        None => Ok(None),
    };
    let counts = layout
        .candidates
        .iter()
        .map(|&index| count(cell(index), name(index)))
        .collect::<Result<Vec<u32>, String>>()?;
    let declared_counts = layout
        .counts
        .iter()
        .filter_map(|&(index, column)| {
            let id = &election.sheet.counts.get(index)?.id;
            Some(optional_count(cell(column), name(column)).map(|v| v.map(|v| (id.clone(), v))))
        })
        .filter_map(Result::transpose)
        .collect::<Result<Vec<_>, String>>()?;
    let mut area_names = Vec::with_capacity(layout.names.len());
    for &(level, index) in &layout.names {
        let text = cell(index).trim();
        check_name(text).map_err(|problem| format!("column {}: {problem}", name(index)))?;
        if !text.is_empty() {
            area_names.push((level, text.to_owned()));
        }
    }
    Ok((
        ActaRecord {
            table: TableId::new(centre, number),
            counts: Counts::Candidates(counts),
            null_votes: optional(layout.null)?,
            stated_valid_votes: optional(layout.valid)?,
            stated_registered: optional(layout.registered)?,
            format_fields: Vec::new(),
            declared_counts,
        },
        area_names,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_election;

    const HEAD: &str = "CENTRO,MESA,RE,EG,NM,LM,JABE,JOBR,AE,CF,DC,EM,BERA,PAR\n";

    fn election() -> Election {
        parse_election(include_str!("../../../elections/ve-2024-presidential.toml"))
            .unwrap_or_else(|error| panic!("{error}"))
    }

    fn message(text: &str) -> String {
        parse_results(text.as_bytes(), &election())
            .map(|_| ())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn a_file_cut_inside_its_last_field_is_refused() {
        let whole = format!("{HEAD}10113042,1,666,1,2,3,4,5,6,7,8,9,107,PQ\n");
        let file = parse_results(whole.as_bytes(), &election()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(file.rows.len(), 1);
        let crlf = whole.replace('\n', "\r\n");
        assert!(parse_results(crlf.as_bytes(), &election()).is_ok());
        // `107` cut to `1`, then the line end lost: the row would read as whole.
        let cut = format!("{HEAD}10113042,1,666,1,2,3,4,5,6,7,8,9,1");
        let message = message(&cut);
        assert!(
            message.contains("line 2: the file ends in the middle of a row"),
            "{message}"
        );
        let cut = format!("{HEAD}10113042,1,666,1,2,3,4,5,6,7,8,9,107,P");
        assert_eq!(
            self::message(&cut),
            "line 2: the last line has no line end: the file looks cut off; expected every row to end with a line break; nothing was imported, get the whole file"
        );
    }

    #[test]
    fn a_line_over_the_limit_is_refused() {
        let long = format!(
            "{HEAD}10113042,1,666,1,2,3,4,5,6,7,8,9,107,{}\n",
            "P".repeat(70_000)
        );
        assert!(message(&long).starts_with("line 2 is longer than 65536 bytes"));
    }

    #[test]
    fn an_area_name_with_an_escape_sequence_is_a_bad_row() {
        let text = format!(
            "{HEAD}10113042,1,666,1,2,3,4,5,6,7,8,9,107,PQ\n10113042,2,666,1,2,3,4,5,6,7,8,9,107,\u{1b}]0;owned\u{7}\n"
        );
        let file = parse_results(text.as_bytes(), &election()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(file.rows.len(), 1);
        assert_eq!(
            file.problems[0].to_string(),
            "line 3: column PAR: a control character (U+001B) at character 1: expected printable text"
        );
    }
}
