//! Does the result stand? What the counted actas say beyond their totals, for the nation and
//! every area: honest coverage ([`coverage`]), whether the missing tables could change the
//! winner ([`bound`]), official figures the actas make impossible ([`official`]), a projection
//! of the whole election with its error ([`projection`]) and forensic tests of the counts
//! ([`forensics`]). `docs/analysis.md` gives every formula, its source, and how to reproduce each
//! figure by hand from the open data.
//!
//! The input is [`veedor_core::Results`]: every table's assessment, the tally, the election. The
//! output is plain data; the command line prints it and the site renders it (in its own types).
//!
//! This crate does no I/O: no files, clock, network or JSON. It computes the projection on a
//! second thread beside the areas (`std::thread::scope`), which changes no figure. Its randomness is a seeded ChaCha8
//! stream (`rand_chacha`: the stream of a seed is fixed by its specification, so the same data
//! and seed give the same figures on every machine); it draws indexes from it by hand (see
//! `random.rs`) rather than with `rand`'s samplers, whose algorithms may change between
//! versions. The chi-square p-values are computed here (`stats`, forty lines from Numerical
//! Recipes, tested on published values) rather than with `statrs`, whose default features
//! bring in a linear-algebra library for one function.
#![deny(missing_docs)]

pub mod bound;
pub mod coverage;
pub mod forensics;
pub mod official;
pub mod projection;
mod random;
mod rows;
pub mod stats;

use veedor_core::{AreaCode, Results};

pub use bound::{Bound, Tipping, Turnout, Verdict};
pub use coverage::{Coverage, Expected, Source};
pub use forensics::{CandidateTests, DigitTest, Fingerprint, Forensics, RoundShare};
pub use official::{Figure, FigureCheck, OfficialCheck};
pub use projection::{Estimate, Projection, Sensitivity, StratumSummary};

use crate::rows::Rows;

/// The seed when none is given: the 2024 election's date.
pub const DEFAULT_SEED: u64 = 20_240_728;

/// Bootstrap replicates when none are asked for.
pub const DEFAULT_REPLICATES: u32 = 1000;

/// How to analyse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// The level whose areas are the projection's strata (index into the geography's levels);
    /// `None`: the nation is one stratum.
    pub strata_level: Option<usize>,
    /// The bootstraps' seed.
    pub seed: u64,
    /// Bootstrap replicates (0: no intervals).
    pub replicates: u32,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            strata_level: Some(0),
            seed: DEFAULT_SEED,
            replicates: DEFAULT_REPLICATES,
        }
    }
}

/// Which areas to analyse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The nation.
    National,
    /// Every area of a level (index into the geography's levels) that holds a table or has a
    /// declared total or an official figure.
    Level(usize),
    /// One area.
    Area(AreaCode),
}

/// The analysis of one area.
#[derive(Clone, Debug, PartialEq)]
pub struct AreaAnalysis {
    /// Which area.
    pub area: AreaCode,
    /// Its coverage.
    pub coverage: Coverage,
    /// What its missing tables could change.
    pub bound: Bound,
    /// Its official figures against the counted actas, one per bulletin that gives them.
    pub official: Vec<OfficialCheck>,
    /// The forensic tests of its counted tables.
    pub forensics: Forensics,
}

/// Everything analysed.
#[derive(Clone, Debug, PartialEq)]
pub struct Analysis {
    /// The options used.
    pub options: Options,
    /// The projection of the whole election.
    pub projection: Projection,
    /// The areas asked for, in code order.
    pub areas: Vec<AreaAnalysis>,
}

/// What can go wrong: options that do not fit the election.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum AnalysisError {
    /// A level index beyond the geography's levels.
    #[error("level {level} does not exist: the geography has {levels} levels")]
    UnknownLevel {
        /// What was given.
        level: usize,
        /// How many there are.
        levels: usize,
    },
}

/// Analyses the areas of `scope` and projects the whole election.
pub fn analyze(
    results: &Results,
    scope: Scope,
    options: &Options,
) -> Result<Analysis, AnalysisError> {
    let levels = results.election().geography.levels.len();
    let check = |level: usize| {
        if level < levels {
            Ok(())
        } else {
            Err(AnalysisError::UnknownLevel { level, levels })
        }
    };
    if let Some(level) = options.strata_level {
        check(level)?;
    }
    let areas = match scope {
        Scope::National => vec![AreaCode::National],
        Scope::Level(level) => {
            check(level)?;
            areas_of_level(results, level)
        }
        Scope::Area(area) => {
            if let AreaCode::Area { level, .. } = area {
                check(usize::from(level))?;
            }
            vec![area]
        }
    };
    Ok(analyze_areas(results, areas, options))
}

/// Analyses the given areas and projects the whole election; the caller checked that the
/// options fit the election (as [`analyze`] does).
#[must_use]
pub fn analyze_areas(results: &Results, areas: Vec<AreaCode>, options: &Options) -> Analysis {
    let rows = Rows::counted(results);
    // The projection and the areas are independent, each with its own seeded draws: computed
    // side by side on two threads, they give the same figures as one after the other.
    let (projection, areas) = std::thread::scope(|scope| {
        let projection = scope.spawn(|| {
            projection::project(
                results,
                &rows,
                options.strata_level,
                options.seed,
                options.replicates,
            )
        });
        let areas: Vec<AreaAnalysis> = areas
            .into_iter()
            .map(|area| analyze_area(results, &rows, area, options))
            .collect();
        let projection = projection
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (projection, areas)
    });
    Analysis {
        options: *options,
        projection,
        areas,
    }
}

/// The coverage and the bound of the nation and of every area of every level that holds a
/// table, in code order: what the site says in one sentence on each area's page. No bootstrap:
/// cheap enough for every area of a country.
#[must_use]
pub fn bounds(results: &Results) -> Vec<(AreaCode, Coverage, Bound)> {
    let rows = Rows::counted(results);
    let geography = &results.election().geography;
    let areas = std::iter::once(AreaCode::National).chain(
        (0..geography.levels.len())
            .flat_map(|level| results.tally.level(level).map(|(area, _)| area)),
    );
    let mut bounds: Vec<(AreaCode, Coverage, Bound)> = areas
        .map(|area| {
            let coverage = Coverage::of(results, area);
            let bound = Bound::of(results, &rows, rows.range(geography, area), area, &coverage);
            (area, coverage, bound)
        })
        .collect();
    bounds.sort_unstable_by_key(|(area, _, _)| *area);
    bounds
}

/// One area's coverage, bound, official checks and forensic tests.
fn analyze_area(results: &Results, rows: &Rows, area: AreaCode, options: &Options) -> AreaAnalysis {
    let geography = &results.election().geography;
    let range = rows.range(geography, area);
    let coverage = Coverage::of(results, area);
    let bound = Bound::of(results, rows, range.clone(), area, &coverage);
    let official = official::checks(results, rows, range.clone(), area, &coverage);
    let seed_parts = match area {
        AreaCode::National => [0, 0],
        AreaCode::Area { level, prefix } => [u64::from(level) + 1, prefix],
    };
    let leaders: Vec<usize> = bound.leader.into_iter().chain(bound.runner_up).collect();
    let forensics = forensics::forensics(
        rows,
        range,
        &leaders,
        options.seed,
        seed_parts,
        options.replicates,
    );
    AreaAnalysis {
        area,
        coverage,
        bound,
        official,
        forensics,
    }
}

/// The areas of a level that hold a table, or have a declared total or an official figure, in
/// code order.
#[must_use]
pub fn areas_of_level(results: &Results, level: usize) -> Vec<AreaCode> {
    let election = results.election();
    let level_code = u8::try_from(level).unwrap_or(u8::MAX);
    let mut areas: Vec<AreaCode> = results
        .tally
        .level(level)
        .map(|(area, _)| area)
        .chain(election.declared.areas.keys().copied())
        .chain(
            election
                .bulletins
                .iter()
                .flat_map(|bulletin| bulletin.areas.keys().copied()),
        )
        .filter(|area| matches!(area, AreaCode::Area { level, .. } if *level == level_code))
        .collect();
    areas.sort_unstable();
    areas.dedup();
    areas
}

#[cfg(test)]
mod tests;
