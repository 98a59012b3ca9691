//! Honest coverage: how many tables and registered voters an area should have, and where that
//! figure comes from; unknown when nothing says it, never the counted tables by default.
//!
//! The expected figures of an area come from the table list (its listed tables, with their
//! registered voters), or from what the election file declares for the area, or both (then the
//! larger: a missing table cannot be made to vanish by a smaller declaration). Tables learnt
//! from a result file (`--defines-tables`) are known, not expected: the file says which tables
//! it has, not which it lacks.

use veedor_core::{AreaCode, Results, percent};

/// Where an expected figure comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The table list.
    TableList,
    /// The election file's declared totals.
    Declared,
    /// Both: the larger of the two.
    DeclaredAndTableList,
}

impl Source {
    /// The stable name used in documents.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::TableList => "table_list",
            Self::Declared => "declared",
            Self::DeclaredAndTableList => "declared_and_table_list",
        }
    }
}

/// An expected figure: known, with its source, or unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expected {
    /// Known.
    Known {
        /// The figure.
        value: u64,
        /// Where it comes from.
        source: Source,
    },
    /// Nothing says it.
    Unknown,
}

impl Expected {
    /// The figure, when known.
    #[must_use]
    pub const fn value(self) -> Option<u64> {
        match self {
            Self::Known { value, .. } => Some(value),
            Self::Unknown => None,
        }
    }

    /// The figure from the table list's (`listed`) and the declared one, as the module's rule
    /// says; `known` is what veedor knows, a floor for a declared figure.
    #[must_use]
    pub fn from_sources(listed: Option<u64>, declared: Option<u64>, known: u64) -> Self {
        match (listed, declared) {
            (Some(listed), Some(declared)) => Self::Known {
                value: listed.max(declared),
                source: Source::DeclaredAndTableList,
            },
            (Some(listed), None) => Self::Known {
                value: listed,
                source: Source::TableList,
            },
            (None, Some(declared)) => Self::Known {
                value: declared.max(known),
                source: Source::Declared,
            },
            (None, None) => Self::Unknown,
        }
    }
}

/// How much of an area the counted actas cover.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Coverage {
    /// Tables the area should have.
    pub tables_expected: Expected,
    /// Tables veedor knows in the area (the table list's, or learnt from results).
    pub tables_known: u64,
    /// Tables with a counted acta (accepted or corroborated).
    pub tables_counted: u64,
    /// Registered voters the area should have.
    pub registered_expected: Expected,
    /// Registered voters of the known tables (where known).
    pub registered_known: u64,
    /// Registered voters of the counted tables.
    pub registered_counted: u64,
}

impl Coverage {
    /// The coverage of one area.
    #[must_use]
    pub fn of(results: &Results, area: AreaCode) -> Self {
        let totals = results.tally.get(area);
        let tables_known = totals.map_or(0, |t| t.tables);
        let registered_known = totals.map_or(0, |t| t.registered);
        let table_list = results.has_table_list();
        let declared = results.election().declared.area(area);
        Self {
            tables_expected: Expected::from_sources(
                table_list.then_some(tables_known),
                declared.tables,
                tables_known,
            ),
            tables_known,
            tables_counted: totals.map_or(0, |t| t.tables_counted),
            registered_expected: Expected::from_sources(
                table_list.then_some(registered_known),
                declared.registered_voters,
                registered_known,
            ),
            registered_known,
            registered_counted: totals.map_or(0, |t| t.registered_counted),
        }
    }

    /// Counted tables as a percentage of the expected ones, when those are known.
    #[must_use]
    pub fn tables_percent(&self) -> Option<f64> {
        let expected = self.tables_expected.value()?;
        Some(percent(self.tables_counted, expected))
    }

    /// Registered voters of the counted tables as a percentage of the expected ones.
    #[must_use]
    pub fn registered_percent(&self) -> Option<f64> {
        let expected = self.registered_expected.value()?;
        Some(percent(self.registered_counted, expected))
    }

    /// Expected tables without a counted acta, when the expected ones are known.
    #[must_use]
    pub fn tables_without_acta(&self) -> Option<u64> {
        Some(
            self.tables_expected
                .value()?
                .saturating_sub(self.tables_counted),
        )
    }

    /// Registered voters of the tables without a counted acta, when the expected ones are known.
    #[must_use]
    pub fn registered_without_acta(&self) -> Option<u64> {
        Some(
            self.registered_expected
                .value()?
                .saturating_sub(self.registered_counted),
        )
    }

    /// Registered voters of the known tables without a counted acta: a floor for
    /// [`Self::registered_without_acta`] that holds even when the expected figure is unknown.
    #[must_use]
    pub fn registered_without_acta_at_least(&self) -> u64 {
        self.registered_known
            .saturating_sub(self.registered_counted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_figures_follow_their_sources() {
        let check = |listed, declared, known, expected: Option<u64>, source: Option<Source>| {
            let figure = Expected::from_sources(listed, declared, known);
            assert_eq!(figure.value(), expected, "{listed:?} {declared:?} {known}");
            let found = match figure {
                Expected::Known { source, .. } => Some(source),
                Expected::Unknown => None,
            };
            assert_eq!(found, source);
        };
        check(None, None, 120, None, None);
        check(Some(100), None, 100, Some(100), Some(Source::TableList));
        check(None, Some(150), 120, Some(150), Some(Source::Declared));
        // A declaration below what is known cannot make known tables vanish.
        check(None, Some(100), 120, Some(120), Some(Source::Declared));
        check(
            Some(100),
            Some(90),
            100,
            Some(100),
            Some(Source::DeclaredAndTableList),
        );
        let coverage = Coverage {
            tables_expected: Expected::Unknown,
            tables_known: 10,
            tables_counted: 10,
            registered_expected: Expected::Unknown,
            registered_known: 5000,
            registered_counted: 4000,
        };
        assert_eq!(coverage.tables_percent(), None);
        assert_eq!(coverage.tables_without_acta(), None);
        assert_eq!(coverage.registered_without_acta(), None);
        assert_eq!(coverage.registered_without_acta_at_least(), 1000);
    }
}
