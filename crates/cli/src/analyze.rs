//! `veedor analyze`: does the result stand? Coverage, what the missing actas could change,
//! impossible official figures, a projection with its error and forensic tests, from
//! `veedor_analysis`, printed as text or JSON (`veedor.analysis/1`, docs/analysis.md).
//!
//! The JSON document and the sentences are `veedor_web::analysis`'s, so that the command line,
//! the API and the pages say the same; the text layout is this file's.

use std::fmt::Write as _;

use anyhow::bail;
use clap::ValueEnum;
use veedor_analysis::{
    Analysis, AreaAnalysis, Bound, DigitTest, Expected, OfficialCheck, Options, Projection, Scope,
    Verdict,
};
use veedor_core::{AreaCode, Election, Results};
use veedor_web::analysis::{
    assumption, bound_sentence, caveat, document, figure_sentence, method, name,
    sensitivity_sentence, strata_name,
};
use veedor_web::api::{AreaRef, TallyScope};
use veedor_web::i18n::Lang;

use crate::context::Context;
use crate::exit;
use crate::show::{load_results, scope, thousands};

/// `veedor analyze`'s output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Text for people.
    Table,
    /// The `veedor.analysis/1` document.
    Json,
}

/// What `veedor analyze` is asked.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The level: national, or one of the election's levels (state, municipality, ...).
    #[arg(long, default_value = "national")]
    level: String,
    /// One area of that level (its code, like 13 for a state); all of them if absent.
    #[arg(long)]
    code: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// The level whose areas are the projection's strata (`national`: one stratum).
    /// Default: the first level of the geography.
    #[arg(long)]
    strata: Option<String>,
    /// The bootstraps' seed: the same data and seed give the same figures.
    #[arg(long, default_value_t = veedor_analysis::DEFAULT_SEED)]
    seed: u64,
    /// Bootstrap replicates (0: no intervals).
    #[arg(long, default_value_t = veedor_analysis::DEFAULT_REPLICATES)]
    replicates: u32,
}

/// `veedor analyze`.
pub fn run(context: &Context, request: &Args) -> anyhow::Result<u8> {
    let store = context.open()?.store;
    let results = load_results(&*store)?;
    let election = results.election();
    let analysis_scope = match scope(&results, &request.level, request.code.as_deref())? {
        TallyScope::National => Scope::National,
        TallyScope::Level(level) => Scope::Level(level),
        TallyScope::Area(area) => {
            if !has_anything(&results, area) {
                bail!(
                    "no table of this election lies in {} {}, and nothing is declared or announced for it",
                    request.level,
                    request.code.as_deref().unwrap_or("")
                );
            }
            Scope::Area(area)
        }
    };
    let strata_level = match request.strata.as_deref() {
        None => Some(0),
        Some(level) => election.geography.level_index(level)?,
    };
    let options = Options {
        strata_level,
        seed: request.seed,
        replicates: request.replicates,
    };
    let analysis = veedor_analysis::analyze(&results, analysis_scope, &options)?;
    match request.format {
        Format::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&document(&results, &request.level, &analysis, Lang::En))?
        ),
        Format::Table => out!("{}", render(&results, &analysis)),
    }
    Ok(exit::OK)
}

/// Whether an area holds a table or has a declared total or an official figure.
fn has_anything(results: &Results, area: AreaCode) -> bool {
    let election = results.election();
    results.tally.get(area).is_some()
        || election.declared.areas.contains_key(&area)
        || election
            .bulletins
            .iter()
            .any(|b| b.areas.contains_key(&area))
}

fn optional_count(value: Option<u64>) -> String {
    value.map_or_else(|| "unknown".to_owned(), thousands)
}

/// `24,532 of 30,026 tables (81.7%, declared)`, or what is counted when nothing says what is
/// expected.
fn coverage_part(counted: u64, expected: Expected, percent: Option<f64>, what: &str) -> String {
    match (expected, percent) {
        (Expected::Known { value, source }, Some(percent)) => format!(
            "{} of {} {what} ({percent:.1}%, {})",
            thousands(counted),
            thousands(value),
            source.as_str().replace('_', " ")
        ),
        _ => format!(
            "{} {what} counted, of an unknown number expected (nothing declares it)",
            thousands(counted)
        ),
    }
}

fn render_coverage(area: &AreaAnalysis, out: &mut String) {
    let coverage = &area.coverage;
    let _ = writeln!(
        out,
        "  coverage: {}; {}",
        coverage_part(
            coverage.tables_counted,
            coverage.tables_expected,
            coverage.tables_percent(),
            "tables"
        ),
        coverage_part(
            coverage.registered_counted,
            coverage.registered_expected,
            coverage.registered_percent(),
            "registered voters"
        ),
    );
}

fn render_bound(election: &Election, bound: &Bound, out: &mut String) {
    let _ = writeln!(out, "  {}", bound_sentence(election, bound, Lang::En));
    if bound.leader.is_none() {
        return;
    }
    let at_least = match bound.registered_without_acta_at_least {
        0 => String::new(),
        known => format!(" (at least {} in known tables)", thousands(known)),
    };
    let _ = writeln!(
        out,
        "  leader {}, runner-up {}, margin {}; registered voters without an accepted acta: {}{at_least}",
        name(election, bound.leader, Lang::En),
        name(election, bound.runner_up, Lang::En),
        thousands(bound.margin),
        optional_count(bound.registered_without_acta),
    );
    if let (Some(turnout), Some(votes)) = (bound.highest_turnout, bound.votes_at_highest_turnout) {
        let _ = writeln!(
            out,
            "  at the highest turnout observed here ({:.1}%), the missing tables cast at most {} votes: the winner {}",
            turnout.fraction() * 100.0,
            thousands(votes),
            match bound.verdict_at_highest_turnout {
                Verdict::CannotChange => "cannot change",
                Verdict::CouldChange => "could change",
                Verdict::Unknown => "may or may not change",
            }
        );
    }
    if let (Some(tipping), Some(turnout)) = (bound.tipping, bound.valid_turnout) {
        let _ = writeln!(
            out,
            "  tipping point: at this area's turnout of valid votes ({:.1}%) the missing tables cast {} valid votes; the runner-up would need {:.2}% of them{}",
            turnout.fraction() * 100.0,
            thousands(tipping.missing_votes),
            tipping.share_needed * 100.0,
            if tipping.share_needed > 1.0 {
                " (more than all: impossible)"
            } else {
                ""
            }
        );
    }
}

fn render_official(election: &Election, checks: &[OfficialCheck], out: &mut String) {
    for check in checks {
        let bulletin = &election.bulletins[check.bulletin];
        let coverage = if check.coverage_stated {
            format!("claims {}% of the actas", check.coverage_percent)
        } else {
            "states no coverage: taken as complete".to_owned()
        };
        let left_out = check.tables_left_out.map_or_else(
            || "how many tables it left out is unknown".to_owned(),
            |k| format!("it may have left out up to {} tables", thousands(k)),
        );
        let _ = writeln!(
            out,
            "  official {} ({}, {}): {coverage}; {left_out}",
            bulletin.id, bulletin.title, bulletin.date
        );
        for row in &check.rows {
            let mark = if row.impossible { "IMPOSSIBLE " } else { "" };
            let _ = writeln!(
                out,
                "    {mark}{}",
                figure_sentence(election, check, row, Lang::En)
            );
        }
    }
}

fn mean_with_interval(test: &DigitTest) -> String {
    let Some(mean) = test.mean else {
        return "no counts".to_owned();
    };
    let interval = test
        .mean_interval
        .map_or_else(String::new, |(low, high)| format!(" [{low:.2}, {high:.2}]"));
    let p = test
        .p_value
        .map_or_else(|| "too few".to_owned(), |p| format!("{p:.3}"));
    format!("{mean:.2}{interval} vs {:.2}, p {p}", test.expected_mean)
}

fn render_forensics(election: &Election, area: &AreaAnalysis, out: &mut String) {
    let _ = writeln!(out, "  forensic tests ({}):", caveat(Lang::En));
    let _ = writeln!(
        out,
        "    {:<20} {:>7} {:>7}  {:<36} {:<36} ending in 0 or 5 vs 20%",
        "candidate",
        "n≥100",
        "n≥10",
        "last digit: mean [95%] vs uniform",
        "second digit (2BL): mean vs Benford",
    );
    for tests in &area.forensics.candidates {
        let round_share = &tests.zero_or_five;
        let round = round_share.observed.map_or_else(
            || "no counts".to_owned(),
            |share| {
                let interval = round_share.interval.map_or_else(String::new, |(l, h)| {
                    format!(" [{:.1}, {:.1}]", l * 100.0, h * 100.0)
                });
                let p = round_share
                    .p_value
                    .map_or_else(|| "too few".to_owned(), |p| format!("{p:.3}"));
                format!("{:.1}%{interval}, p {p}", share * 100.0)
            },
        );
        let _ = writeln!(
            out,
            "    {:<20} {:>7} {:>7}  {:<36} {:<36} {round}",
            name(election, Some(tests.candidate), Lang::En),
            thousands(tests.last_digit.counts),
            thousands(tests.second_digit.counts),
            mean_with_interval(&tests.last_digit),
            mean_with_interval(&tests.second_digit),
        );
    }
    for fingerprint in &area.forensics.fingerprints {
        let correlation = fingerprint.correlation.map_or_else(
            || "none".to_owned(),
            |r| {
                let interval = fingerprint
                    .correlation_interval
                    .map_or_else(String::new, |(l, h)| format!(" [{l:.3}, {h:.3}]"));
                format!("{r:.3}{interval}")
            },
        );
        let _ = writeln!(
            out,
            "    fingerprint of {} (turnout against share, Klimek et al. 2012): {} tables, {} at turnout and share of at least 95% (independence would give {:.1}); correlation {correlation}",
            name(election, Some(fingerprint.candidate), Lang::En),
            thousands(fingerprint.tables),
            thousands(fingerprint.corner),
            fingerprint.corner_expected,
        );
    }
}

fn render_projection(results: &Results, projection: &Projection, out: &mut String) {
    let election = results.election();
    let _ = writeln!(
        out,
        "Projection of the whole election (strata: {}; {} bootstrap replicates, seed {})",
        strata_name(election, projection.strata_level),
        thousands(u64::from(projection.replicates)),
        projection.seed
    );
    let _ = writeln!(out, "  assumption: {}", assumption(Lang::En));
    let _ = writeln!(out, "  method: {}", method(Lang::En));
    if projection.unobserved_registered > 0 {
        let _ = writeln!(
            out,
            "  not projected: {} registered voters in strata without any counted table",
            thousands(projection.unobserved_registered)
        );
    }
    let _ = writeln!(
        out,
        "  {:<22} {:>9} {:>11} {:>22}",
        "candidate", "actas %", "projected %", "95% interval"
    );
    let mut order: Vec<usize> = (0..election.candidates.len()).collect();
    order.sort_by(|&a, &b| {
        projection.estimates[b]
            .share
            .total_cmp(&projection.estimates[a].share)
    });
    for c in order {
        let estimate = projection.estimates[c];
        let _ = writeln!(
            out,
            "  {:<22} {:>8.2}% {:>10.2}% {:>9.2}% to {:>6.2}%",
            name(election, Some(c), Lang::En),
            projection.plain[c] * 100.0,
            estimate.share * 100.0,
            estimate.low * 100.0,
            estimate.high * 100.0,
        );
    }
    let _ = writeln!(
        out,
        "  {}",
        sensitivity_sentence(election, projection, Lang::En)
    );
}

/// The analysis as people read it.
pub fn render(results: &Results, analysis: &Analysis) -> String {
    let election = results.election();
    let mut out = format!("{} ({})\n", election.title.get("en"), election.id);
    for area in &analysis.areas {
        let reference = AreaRef::new(results, area.area);
        let title = match (reference.level.as_str(), &reference.name) {
            ("national", _) => "National".to_owned(),
            (level, Some(name)) => format!("{level} {} {name}", reference.code),
            (level, None) => format!("{level} {}", reference.code),
        };
        let _ = writeln!(out, "\n{title}");
        render_bound(election, &area.bound, &mut out);
        render_coverage(area, &mut out);
        render_official(election, &area.official, &mut out);
        render_forensics(election, area, &mut out);
    }
    out.push('\n');
    render_projection(results, &analysis.projection, &mut out);
    out
}
