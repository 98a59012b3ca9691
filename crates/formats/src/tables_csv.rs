//! The table list: `centre_code,table,registered,state,municipality,parish,centre`, the last
//! columns being the names of the areas (one per geography level, found by the level's id or
//! its name columns). Strict: the list is the election's reference, so one bad row refuses the
//! whole file, naming every bad row.

use std::collections::HashSet;

use veedor_core::{CentreCode, Election, TableId, TableNumber};

use crate::columns::{CsvRows, Wanted, count, read_csv, require};
use crate::limits::TABLES_FILE_BYTES;
use crate::text::check_name;
use crate::{FormatError, MAX_LISTED_PROBLEMS, RowProblem};

/// One table of the list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableRow {
    /// Its line.
    pub line: u64,
    /// The table.
    pub id: TableId,
    /// Its registered voters.
    pub registered: u32,
    /// The names of its areas: (level index, name).
    pub area_names: Vec<(usize, String)>,
}

/// Reads a table list: at most [`TABLES_FILE_BYTES`], lines of at most
/// [`crate::limits::LINE_BYTES`], the last ending with a line break; names without control
/// characters.
pub fn parse_tables(bytes: &[u8], election: &Election) -> Result<Vec<TableRow>, FormatError> {
    let CsvRows {
        header,
        records,
        mut problems,
        ..
    } = read_csv(bytes, TABLES_FILE_BYTES)?;
    let centre = Wanted::new("the centre code", &["centre_code", "center_code", "CENTRO"]);
    let table = Wanted::new("the table number", &["table", "MESA"]);
    let registered = Wanted::new("registered voters", &["registered", "RE", "ELECTORES"]);
    let [centre_column, table_column, registered_column] =
        require(&header, [&centre, &table, &registered])?;
    let name_columns: Vec<(usize, usize)> = election
        .geography
        .levels
        .iter()
        .enumerate()
        .filter_map(|(index, level)| {
            let mut names = vec![level.id.as_str()];
            names.extend(level.name_columns.iter().map(String::as_str));
            // `centre` names the centre's name here; the code column was found above.
            Wanted::new(&level.id, &names)
                .find(&header)
                .filter(|&column| column != centre_column)
                .map(|column| (index, column))
        })
        .collect();
    let digits = election.geography.centre_digits;
    let mut rows = Vec::with_capacity(records.len());
    let mut seen = HashSet::new();
    for (line, record) in records {
        let cell = |index: usize| record.get(index).unwrap_or("");
        let row = (|| {
            let id = TableId::new(
                CentreCode::parse(cell(centre_column), digits)
                    .map_err(|e| format!("column centre_code: {e}"))?,
                TableNumber::parse(cell(table_column)).map_err(|e| format!("column table: {e}"))?,
            );
            if !seen.insert(id) {
                return Err(format!("table {} is listed twice", id.display(digits)));
            }
            Ok(TableRow {
                line,
                id,
                registered: count(cell(registered_column), "registered")?,
                area_names: name_columns
                    .iter()
                    .map(|&(level, column)| {
                        let name = cell(column).trim();
                        check_name(name).map_err(|problem| {
                            let header = header.get(column).unwrap_or("?").trim();
                            format!("column {header}: {problem}")
                        })?;
                        Ok((!name.is_empty()).then(|| (level, name.to_owned())))
                    })
                    .filter_map(Result::transpose)
                    .collect::<Result<_, String>>()?,
            })
        })();
        match row {
            Ok(row) => rows.push(row),
            Err(message) => problems.push(RowProblem { line, message }),
        }
    }
    if !problems.is_empty() {
        problems.sort_by_key(|p| p.line);
        let total = problems.len();
        problems.truncate(MAX_LISTED_PROBLEMS);
        return Err(FormatError::Rows { problems, total });
    }
    if rows.is_empty() {
        return Err(FormatError::NoRows);
    }
    Ok(rows)
}
