//! `veedor analyze`: does the result stand? Coverage, what the missing actas could change,
//! impossible official figures, a projection with its error and forensic tests, from
//! `veedor_analysis`, printed as text or JSON (`veedor.analysis/1`, docs/analysis.md).
//!
//! The JSON document is built here for now; when the site gains its analysis pages it belongs
//! in `veedor_web::api`, beside the tally's, so that the command line and the API print one
//! document.

use std::fmt::Write as _;

use anyhow::bail;
use clap::ValueEnum;
use serde_json::{Value, json};
use veedor_analysis::{
    Analysis, AreaAnalysis, Bound, CandidateTests, DigitTest, Expected, Figure, FigureCheck,
    Fingerprint, OfficialCheck, Options, Projection, Scope, Verdict,
};
use veedor_core::{AreaCode, Election, Results};
use veedor_web::api::{AreaRef, ElectionRef, TallyScope, round};

use crate::context::Context;
use crate::exit;
use crate::show::{load_results, scope, thousands};

/// What every forensic result says.
pub const CAVEAT: &str = "a deviation is an anomaly to look into, not evidence of fraud";

/// What the projection assumes.
pub const ASSUMPTION: &str = "the missing tables of each stratum vote like its counted ones";

/// Where the projection's method comes from.
pub const METHOD: &str = "post-stratified ratio estimator (NDI, The Quick Count and Election Observation, 2002, ch. 7; INE's quick-count combined ratio estimator), 95% percentile interval of a stratified bootstrap over tables; docs/analysis.md";

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
            serde_json::to_string_pretty(&document(&results, &request.level, &analysis))?
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

fn name(election: &Election, candidate: Option<usize>) -> String {
    candidate
        .and_then(|c| election.candidates.get(c))
        .map_or_else(|| "nobody".to_owned(), |c| c.name.clone())
}

fn id(election: &Election, candidate: Option<usize>) -> Value {
    candidate
        .and_then(|c| election.candidates.get(c))
        .map_or(Value::Null, |c| json!(c.id))
}

fn percent(fraction: f64) -> f64 {
    round(fraction * 100.0)
}

/// The plain sentence: can the missing tables change the winner?
pub fn bound_sentence(election: &Election, bound: &Bound) -> String {
    if bound.leader.is_none() {
        return "No acta is counted here yet: there is no leader to speak of.".to_owned();
    }
    let margin = thousands(bound.margin);
    match (bound.verdict, bound.registered_without_acta) {
        (Verdict::CannotChange, Some(voters)) => format!(
            "The leader's margin of {margin} votes exceeds the {} registered voters of the tables without an accepted acta: no outcome of the missing tables can change the winner.",
            thousands(voters)
        ),
        (_, Some(voters)) => format!(
            "The leader's margin of {margin} votes does not exceed the {} registered voters of the tables without an accepted acta: the missing tables could change the winner{}.",
            thousands(voters),
            bound.tipping.map_or_else(String::new, |tipping| format!(
                " if, at this area's turnout, {} took at least {:.2}% of their {} valid votes",
                name(election, bound.runner_up),
                tipping.share_needed * 100.0,
                thousands(tipping.missing_votes)
            ))
        ),
        (Verdict::CouldChange, None) => format!(
            "The leader's margin of {margin} votes does not exceed the {} registered voters of the known tables without an accepted acta alone: the missing tables could change the winner.",
            thousands(bound.registered_without_acta_at_least)
        ),
        _ => format!(
            "The leader's margin is {margin} votes; how many registered voters the tables without an accepted acta hold is unknown (nothing declares this area's expected voters{}), so whether the missing tables could change the winner cannot be said.",
            match bound.registered_without_acta_at_least {
                0 => String::new(),
                known => format!("; the known ones hold {}", thousands(known)),
            }
        ),
    }
}

/// The sentence of one official figure.
fn figure_sentence(election: &Election, check: &OfficialCheck, row: &FigureCheck) -> String {
    let what = figure_name(election, row.figure);
    let official = thousands(row.official);
    let actas = thousands(row.actas);
    match (row.impossible, row.floor, check.tables_left_out) {
        (true, Some(_), Some(0)) => format!(
            "{what}: the official figure of {official} is below the {actas} of the counted actas alone: impossible"
        ),
        (true, Some(floor_votes), Some(left_out)) => format!(
            "{what}: the official figure of {official} is below the {actas} of the counted actas, and below the {} they give even without the {} tables the bulletin may have left out: impossible",
            thousands(floor_votes),
            thousands(left_out)
        ),
        (_, None, _) => format!(
            "{what}: official {official}, counted actas {actas}; the area's expected tables are unknown, so the tables the bulletin left out cannot be bounded"
        ),
        _ => format!("{what}: official {official}, counted actas {actas}: possible"),
    }
}

fn figure_name(election: &Election, figure: Figure) -> String {
    match figure {
        Figure::Candidate(c) => name(election, Some(c)),
        Figure::Others => "the other candidates together".to_owned(),
        Figure::Valid => "valid votes".to_owned(),
        Figure::Null => "null votes".to_owned(),
    }
}

/// The sensitivity line.
pub fn sensitivity_sentence(election: &Election, projection: &Projection) -> String {
    let sensitivity = &projection.sensitivity;
    let (Some(leader), Some(runner_up)) = (sensitivity.leader, sensitivity.runner_up) else {
        return "There is no runner-up to favour.".to_owned();
    };
    format!(
        "If the missing voters of each stratum voted like its tenth of counted tables most favourable to {}: {} {:.2}%, {} {:.2}%; {}.",
        name(election, Some(runner_up)),
        name(election, Some(leader)),
        sensitivity.shares[leader] * 100.0,
        name(election, Some(runner_up)),
        sensitivity.shares[runner_up] * 100.0,
        if sensitivity.leader_holds {
            "the leader still leads"
        } else {
            "the leader would no longer lead"
        }
    )
}

fn expected_json(expected: Expected) -> (Value, &'static str) {
    match expected {
        Expected::Known { value, source } => (json!(value), source.as_str()),
        Expected::Unknown => (Value::Null, "unknown"),
    }
}

fn coverage_json(area: &AreaAnalysis) -> Value {
    let coverage = &area.coverage;
    let (tables, tables_from) = expected_json(coverage.tables_expected);
    let (registered, registered_from) = expected_json(coverage.registered_expected);
    json!({
        "tables_expected": tables,
        "tables_expected_from": tables_from,
        "tables_known": coverage.tables_known,
        "tables_counted": coverage.tables_counted,
        "tables_percent": coverage.tables_percent().map(round),
        "tables_without_acta": coverage.tables_without_acta(),
        "registered_expected": registered,
        "registered_expected_from": registered_from,
        "registered_known": coverage.registered_known,
        "registered_counted": coverage.registered_counted,
        "registered_percent": coverage.registered_percent().map(round),
        "registered_without_acta": coverage.registered_without_acta(),
        "registered_without_acta_at_least": coverage.registered_without_acta_at_least(),
    })
}

fn bound_json(election: &Election, bound: &Bound) -> Value {
    json!({
        "leader": id(election, bound.leader),
        "runner_up": id(election, bound.runner_up),
        "margin": bound.margin,
        "registered_without_acta": bound.registered_without_acta,
        "registered_without_acta_at_least": bound.registered_without_acta_at_least,
        "verdict": bound.verdict.as_str(),
        "highest_turnout_percent": bound.highest_turnout.map(|t| percent(t.fraction())),
        "votes_at_highest_turnout": bound.votes_at_highest_turnout,
        "verdict_at_highest_turnout": bound.verdict_at_highest_turnout.as_str(),
        "valid_turnout_percent": bound.valid_turnout.map(|t| percent(t.fraction())),
        "tipping": bound.tipping.map(|tipping| json!({
            "missing_votes": tipping.missing_votes,
            "share_needed_percent": percent(tipping.share_needed),
        })),
    })
}

fn official_json(election: &Election, checks: &[OfficialCheck]) -> Value {
    let checks: Vec<Value> = checks
        .iter()
        .map(|check| {
            let bulletin = &election.bulletins[check.bulletin];
            let rows: Vec<Value> = check
                .rows
                .iter()
                .map(|row| {
                    let (kind, candidate) = match row.figure {
                        Figure::Candidate(c) => ("candidate", id(election, Some(c))),
                        Figure::Others => ("others", Value::Null),
                        Figure::Valid => ("valid", Value::Null),
                        Figure::Null => ("null", Value::Null),
                    };
                    json!({
                        "figure": kind,
                        "candidate": candidate,
                        "name": figure_name(election, row.figure),
                        "official": row.official,
                        "official_derived": row.official_derived,
                        "actas": row.actas,
                        "floor": row.floor,
                        "impossible": row.impossible,
                        "sentence": figure_sentence(election, check, row),
                    })
                })
                .collect();
            json!({
                "bulletin": bulletin.id,
                "title": bulletin.title,
                "date": bulletin.date.to_string(),
                "coverage_percent": check.coverage_percent,
                "coverage_stated": check.coverage_stated,
                "tables_left_out": check.tables_left_out,
                "impossible": check.any_impossible(),
                "rows": rows,
            })
        })
        .collect();
    Value::Array(checks)
}

fn interval(interval: Option<(f64, f64)>, scale: f64) -> Value {
    interval.map_or(Value::Null, |(low, high)| {
        json!([round(low * scale), round(high * scale)])
    })
}

fn digit_json(test: &DigitTest) -> Value {
    json!({
        "counts": test.counts,
        "observed": test.observed,
        "expected": test.expected.map(|p| round(p * test.counts as f64)),
        "chi_square": round(test.chi_square),
        "degrees_of_freedom": 9,
        "p_value": test.p_value,
        "mean": test.mean.map(round),
        "expected_mean": round(test.expected_mean),
        "mean_interval": interval(test.mean_interval, 1.0),
    })
}

fn candidate_tests_json(election: &Election, tests: &CandidateTests) -> Value {
    let round_share = &tests.zero_or_five;
    json!({
        "candidate": id(election, Some(tests.candidate)),
        "name": name(election, Some(tests.candidate)),
        "last_digit": digit_json(&tests.last_digit),
        "second_digit": digit_json(&tests.second_digit),
        "zero_or_five": {
            "counts": round_share.counts,
            "round": round_share.round,
            "percent": round_share.observed.map(percent),
            "expected_percent": percent(round_share.expected),
            "chi_square": round(round_share.chi_square),
            "degrees_of_freedom": 1,
            "p_value": round_share.p_value,
            "interval_percent": interval(round_share.interval, 100.0),
        },
    })
}

fn fingerprint_json(election: &Election, fingerprint: &Fingerprint) -> Value {
    let bins = veedor_analysis::forensics::BINS;
    let rows: Vec<&[u64]> = fingerprint.counts.chunks(bins).collect();
    json!({
        "candidate": id(election, Some(fingerprint.candidate)),
        "name": name(election, Some(fingerprint.candidate)),
        "tables": fingerprint.tables,
        "bins": bins,
        "counts_by_share_then_turnout": rows,
        "corner": fingerprint.corner,
        "corner_expected": round(fingerprint.corner_expected),
        "correlation": fingerprint.correlation.map(round),
        "correlation_interval": interval(fingerprint.correlation_interval, 1.0),
    })
}

fn area_json(results: &Results, area: &AreaAnalysis) -> Value {
    let election = results.election();
    json!({
        "area": AreaRef::new(results, area.area),
        "sentence": bound_sentence(election, &area.bound),
        "coverage": coverage_json(area),
        "bound": bound_json(election, &area.bound),
        "official": official_json(election, &area.official),
        "forensics": {
            "caveat": CAVEAT,
            "candidates": area.forensics.candidates.iter()
                .map(|tests| candidate_tests_json(election, tests))
                .collect::<Vec<_>>(),
            "fingerprints": area.forensics.fingerprints.iter()
                .map(|fingerprint| fingerprint_json(election, fingerprint))
                .collect::<Vec<_>>(),
        },
    })
}

fn strata_name(election: &Election, level: Option<usize>) -> String {
    level
        .and_then(|level| election.geography.levels.get(level))
        .map_or_else(|| "national".to_owned(), |level| level.id.clone())
}

fn projection_json(results: &Results, projection: &Projection) -> Value {
    let election = results.election();
    let candidates: Vec<Value> = election
        .candidates
        .iter()
        .enumerate()
        .map(|(c, candidate)| {
            let estimate = projection.estimates[c];
            json!({
                "id": candidate.id,
                "name": candidate.name,
                "actas_percent": percent(projection.plain[c]),
                "percent": percent(estimate.share),
                "low_percent": percent(estimate.low),
                "high_percent": percent(estimate.high),
                "sensitivity_percent": percent(projection.sensitivity.shares[c]),
            })
        })
        .collect();
    let strata: Vec<Value> = projection
        .strata
        .iter()
        .map(|stratum| {
            json!({
                "area": stratum.area.map(|area| AreaRef::new(results, area)),
                "tables_counted": stratum.tables_counted,
                "registered_counted": stratum.registered_counted,
                "registered_expected": stratum.registered_expected,
            })
        })
        .collect();
    json!({
        "strata_level": strata_name(election, projection.strata_level),
        "assumption": ASSUMPTION,
        "method": METHOD,
        "replicates": projection.replicates,
        "seed": projection.seed,
        "leader": id(election, projection.sensitivity.leader),
        "runner_up": id(election, projection.sensitivity.runner_up),
        "candidates": candidates,
        "strata": strata,
        "unobserved_registered": projection.unobserved_registered,
        "sensitivity": {
            "favours": id(election, projection.sensitivity.runner_up),
            "leader_holds": projection.sensitivity.leader_holds,
            "sentence": sensitivity_sentence(election, projection),
        },
    })
}

/// The `veedor.analysis/1` document.
pub fn document(results: &Results, level: &str, analysis: &Analysis) -> Value {
    json!({
        "schema": "veedor.analysis/1",
        "election": ElectionRef::new(results.election(), "en"),
        "level": level,
        "projection": projection_json(results, &analysis.projection),
        "areas": analysis.areas.iter().map(|area| area_json(results, area)).collect::<Vec<_>>(),
    })
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
    let _ = writeln!(out, "  {}", bound_sentence(election, bound));
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
        name(election, bound.leader),
        name(election, bound.runner_up),
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
            let _ = writeln!(out, "    {mark}{}", figure_sentence(election, check, row));
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
    let _ = writeln!(out, "  forensic tests ({CAVEAT}):");
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
            name(election, Some(tests.candidate)),
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
            name(election, Some(fingerprint.candidate)),
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
    let _ = writeln!(out, "  assumption: {ASSUMPTION}");
    let _ = writeln!(out, "  method: {METHOD}");
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
            name(election, Some(c)),
            projection.plain[c] * 100.0,
            estimate.share * 100.0,
            estimate.low * 100.0,
            estimate.high * 100.0,
        );
    }
    let _ = writeln!(out, "  {}", sensitivity_sentence(election, projection));
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
