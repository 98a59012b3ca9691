//! The counted tables as flat arrays, in centre-code order, so that every area's tables are one
//! contiguous range (areas are prefixes of the centre code).

use std::ops::Range;

use veedor_core::{AreaCode, Geography, Results};

/// One row per counted table (expected, accepted or corroborated, with a result).
#[derive(Clone, Debug, Default)]
pub(crate) struct Rows {
    /// Candidates per row.
    pub(crate) candidates: usize,
    /// The table's centre code, ascending.
    pub(crate) centres: Vec<u64>,
    /// Registered voters, 0 when unknown.
    pub(crate) registered: Vec<u32>,
    /// Null votes.
    pub(crate) null: Vec<u64>,
    /// Votes per candidate, `candidates` per row.
    pub(crate) votes: Vec<u32>,
}

impl Rows {
    /// The counted tables of `results`.
    pub(crate) fn counted(results: &Results) -> Self {
        let table_list = results.has_table_list();
        let candidates = results.election().candidates.len();
        let mut rows = Self {
            candidates,
            ..Self::default()
        };
        for (id, state) in results.tables() {
            let (Some((_, table)), Some(result)) = (&state.table, &state.assessment.result) else {
                continue;
            };
            if !state.is_expected(table_list) || !state.assessment.status.is_counted() {
                continue;
            }
            rows.centres.push(id.centre.get());
            rows.registered.push(table.registered.unwrap_or(0));
            rows.null.push(result.null_votes);
            rows.votes.extend(
                (0..candidates)
                    .map(|c| result.candidate_votes.get(c).copied().unwrap_or(0))
                    .map(|v| u32::try_from(v).unwrap_or(u32::MAX)),
            );
        }
        rows
    }

    /// How many rows.
    pub(crate) fn len(&self) -> usize {
        self.centres.len()
    }

    /// One row's votes per candidate.
    pub(crate) fn votes(&self, row: usize) -> &[u32] {
        &self.votes[row * self.candidates..(row + 1) * self.candidates]
    }

    /// One row's valid votes.
    pub(crate) fn valid(&self, row: usize) -> u64 {
        self.votes(row).iter().map(|&v| u64::from(v)).sum()
    }

    /// The rows of one area.
    pub(crate) fn range(&self, geography: &Geography, area: AreaCode) -> Range<usize> {
        let AreaCode::Area { level, prefix } = area else {
            return 0..self.len();
        };
        let digits = geography
            .levels
            .get(usize::from(level))
            .map_or(geography.centre_digits, |l| l.digits);
        let scale = 10u64.saturating_pow(u32::from(geography.centre_digits.saturating_sub(digits)));
        let low = prefix.saturating_mul(scale);
        let high = prefix.saturating_add(1).saturating_mul(scale);
        let start = self.centres.partition_point(|&c| c < low);
        let end = self.centres.partition_point(|&c| c < high);
        start..end.max(start)
    }

    /// The areas of a level that hold counted rows, each with its range, in code order.
    pub(crate) fn areas_of_level(
        &self,
        geography: &Geography,
        level: usize,
    ) -> Vec<(AreaCode, Range<usize>)> {
        let mut areas: Vec<(AreaCode, Range<usize>)> = Vec::new();
        for (row, &centre) in self.centres.iter().enumerate() {
            let area = geography.area_of(veedor_core::CentreCode::new(centre), level);
            match areas.last_mut() {
                Some((last, range)) if *last == area => range.end = row + 1,
                _ => areas.push((area, row..row + 1)),
            }
        }
        areas
    }
}
