//! The analysis pages: does the result stand? For the nation and each area of the first level:
//! what the missing tables could change, the projection with its interval, the official figures
//! the actas make impossible, and the forensic tests, each chart as inline SVG (no script; the
//! numbers are also in tables beside it), each result with its caveat. The figures are
//! `veedor_analysis`'s, worked out once per snapshot ([`crate::analysis::Analyzed`]); the
//! sentences are [`crate::analysis`]'s, the same the API and the command line give.

use std::fmt::Write as _;

use maud::{Markup, PreEscaped, html};
use veedor_analysis::{AreaAnalysis, Bound, CandidateTests, DigitTest, Fingerprint, Projection};
use veedor_core::{AreaCode, Election};

use super::area::colour_of;
use super::layout::layout;
use super::{Here, data, level_name};
use crate::analysis::{
    assumption, bound_sentence, caveat, figure_sentence, method, name, sensitivity_sentence,
};
use crate::api::AreaRef;
use crate::i18n::{Lang, Text};
use crate::snapshot::Snapshot;

/// The analysis page of an analysed area (`None` for one without a page).
#[must_use]
pub fn analysis_page(
    snapshot: &Snapshot,
    area: AreaCode,
    lang: Lang,
    here: &Here,
) -> Option<String> {
    let results = &snapshot.results;
    let election = results.election();
    let analysed = snapshot.analysis.area(area)?;
    let reference = AreaRef::new(results, area);
    let place = match (&reference.name, area) {
        (_, AreaCode::National) => election.title.get(lang.tag()).to_owned(),
        (Some(name), _) => format!("{} {name}", level_name(election, &reference.level, lang)),
        (None, _) => format!(
            "{} {}",
            level_name(election, &reference.level, lang),
            reference.code
        ),
    };
    let title = format!("{place}: {}", lang.t(Text::AnalysisTitle));
    let body = html! {
        nav class="crumbs" aria-label=(lang.t(Text::UpTo)) { ol {
            li { a href=(here.area(&reference)) { (place) } }
        } }
        h1 { (title) }
        p { (lang.t(Text::AnalysisIntro)) }
        (bound_section(election, analysed, lang))
        @if area == AreaCode::National {
            (projection_section(election, &snapshot.analysis.full.projection, lang))
        }
        (official_section(election, analysed, lang))
        (forensics_section(election, analysed, lang))
        @if area == AreaCode::National {
            (areas_section(snapshot, lang, here))
        }
    };
    Some(layout(Some(snapshot), lang, &title, here, &body, false))
}

/// The one sentence of an area's page, with the link to its analysis when it has one.
#[must_use]
pub fn bound_paragraph(
    snapshot: &Snapshot,
    area: &AreaRef,
    lang: Lang,
    here: &Here,
) -> Option<Markup> {
    let election = snapshot.results.election();
    let code = area_code(election, area)?;
    let bound = snapshot.analysis.bound(code)?;
    let analysed = snapshot.analysis.area(code);
    let national = code == AreaCode::National;
    let projection = &snapshot.analysis.full.projection;
    let leaders: Vec<usize> = by_projection(projection).into_iter().take(2).collect();
    let percent = |fraction: f64| lang.percent(fraction * 100.0, 2);
    Some(html! {
        section id="stand" aria-labelledby="stand-h" {
            h2 id="stand-h" { (lang.t(Text::AnalysisMissing)) }
            p class={ "bound v-" (bound.verdict.as_str()) } { (bound_sentence(election, bound, lang)) }
            @if national && projection.estimates.iter().any(|e| e.share > 0.0) {
                p class="projection" {
                    strong { (lang.t(Text::ProjectionTitle)) ": " }
                    @for (index, &candidate) in leaders.iter().enumerate() {
                        @if index > 0 { "; " }
                        @let estimate = projection.estimates[candidate];
                        (name(election, Some(candidate), lang)) " "
                        data class="projected" value=(format!("{:.4}", estimate.share * 100.0)) { (percent(estimate.share)) }
                        " (" (lang.t(Text::ProjectionInterval)) ": " (percent(estimate.low)) " – " (percent(estimate.high)) ")"
                    }
                    ". " (lang.t(Text::Assumption)) ": " (assumption(lang)) "."
                }
            }
            @if let Some(analysed) = analysed {
                @for check in &analysed.official {
                    @for row in check.rows.iter().filter(|row| row.impossible) {
                        p class="impossible" {
                            strong { (lang.t(Text::Impossible)) " (" (election.bulletins[check.bulletin].title) "): " }
                            (figure_sentence(election, check, row, lang))
                        }
                    }
                }
            }
            @if analysed.is_some() {
                p { a href=(here.analysis(area)) { (lang.t(Text::AnalysisLink)) } }
            }
        }
    })
}

/// The area code of a reference.
fn area_code(election: &Election, area: &AreaRef) -> Option<AreaCode> {
    let geography = &election.geography;
    match geography.level_index(&area.level).ok()? {
        None => Some(AreaCode::National),
        Some(index) => geography.parse_area(index, &area.code).ok(),
    }
}

fn verdict_text(bound: &Bound) -> Text {
    match bound.verdict {
        veedor_analysis::Verdict::CannotChange => Text::VerdictCannot,
        veedor_analysis::Verdict::CouldChange => Text::VerdictCould,
        veedor_analysis::Verdict::Unknown => Text::VerdictUnknown,
    }
}

fn bound_section(election: &Election, analysed: &AreaAnalysis, lang: Lang) -> Markup {
    let bound = &analysed.bound;
    html! {
        section id="stand" aria-labelledby="stand-h" {
            h2 id="stand-h" { (lang.t(Text::AnalysisMissing)) }
            p class={ "bound v-" (bound.verdict.as_str()) } { (bound_sentence(election, bound, lang)) }
            dl class="figures" {
                dt { (lang.t(Text::AnalysisMargin)) }
                dd { (data("margin", bound.margin, lang)) }
                dt { (lang.t(Text::AnalysisWithout)) }
                dd {
                    @match bound.registered_without_acta {
                        Some(voters) => { (data("registered-without-acta", voters, lang)) }
                        None => {
                            (lang.t(Text::Unknown)) " (" (lang.t(Text::AnalysisAtLeast)) " "
                            (data("registered-without-acta-at-least", bound.registered_without_acta_at_least, lang)) ")"
                        }
                    }
                }
                @if let Some(votes) = bound.votes_at_highest_turnout {
                    dt { (lang.t(Text::AnalysisHighest)) }
                    dd {
                        (data("votes-at-highest-turnout", votes, lang))
                        @if let Some(turnout) = bound.highest_turnout {
                            " (" (lang.percent(turnout.fraction() * 100.0, 1)) ")"
                        }
                    }
                }
                @if let Some(tipping) = bound.tipping {
                    dt { (lang.t(Text::AnalysisTipping)) }
                    dd { (lang.percent(tipping.share_needed * 100.0, 2)) }
                }
                dt { (lang.t(Text::AnalysisTitle)) }
                dd { (lang.t(verdict_text(bound))) }
            }
        }
    }
}

/// Candidates in the order of their projected share, largest first.
fn by_projection(projection: &Projection) -> Vec<usize> {
    let mut order: Vec<usize> = (0..projection.estimates.len()).collect();
    order.sort_by(|a, b| {
        projection.estimates[*b]
            .share
            .total_cmp(&projection.estimates[*a].share)
            .then(a.cmp(b))
    });
    order
}

fn projection_section(election: &Election, projection: &Projection, lang: Lang) -> Markup {
    let order = by_projection(projection);
    let percent = |fraction: f64| lang.percent(fraction * 100.0, 2);
    html! {
        section id="projection" aria-labelledby="projection-h" {
            h2 id="projection-h" { (lang.t(Text::ProjectionTitle)) }
            (projection_chart(election, projection, &order, lang))
            div class="scroll" tabindex="0" role="region" aria-labelledby="projection-h" { table class="results" {
                thead { tr {
                    th scope="col" { (lang.t(Text::Candidate)) }
                    th scope="col" { (lang.t(Text::ProjectionActas)) }
                    th scope="col" { (lang.t(Text::ProjectionEstimate)) }
                    th scope="col" { (lang.t(Text::ProjectionInterval)) }
                } }
                tbody {
                    @for &candidate in &order {
                        @let estimate = projection.estimates[candidate];
                        tr {
                            th scope="row" { (name(election, Some(candidate), lang)) }
                            td { (percent(projection.plain[candidate])) }
                            td { data class="projected" value=(format!("{:.4}", estimate.share * 100.0)) { (percent(estimate.share)) } }
                            td { (percent(estimate.low)) " – " (percent(estimate.high)) }
                        }
                    }
                }
            } }
            p { strong { (lang.t(Text::Assumption)) ": " } (assumption(lang)) "." }
            p { (sensitivity_sentence(election, projection, lang)) }
            p class="note" { (lang.t(Text::MethodWord)) ": " (method(lang)) "; "
                (lang.t(Text::Replicates)) " " (projection.replicates) ", " (lang.t(Text::Seed)) " " (projection.seed) "." }
        }
    }
}

/// Each candidate's projection as a bar, its interval as a whisker, its counted share as a tick.
fn projection_chart(
    election: &Election,
    projection: &Projection,
    order: &[usize],
    lang: Lang,
) -> Markup {
    const ROW: usize = 26;
    const LEFT: f64 = 190.0;
    const SCALE: f64 = 3.4;
    let shown: Vec<usize> = order
        .iter()
        .copied()
        .filter(|&c| projection.estimates[c].high >= 0.005)
        .collect();
    let height = ROW * shown.len() + 4;
    let mut shapes = String::new();
    for (index, &candidate) in shown.iter().enumerate() {
        let estimate = projection.estimates[candidate];
        let y = index * ROW + 2;
        let middle = y + (ROW - 6) / 2;
        let x = |fraction: f64| LEFT + fraction.clamp(0.0, 1.0) * 100.0 * SCALE;
        let _ = write!(
            shapes,
            "<rect x=\"{LEFT}\" y=\"{y}\" width=\"{:.1}\" height=\"{}\" fill=\"{}\"/>\
             <line x1=\"{:.1}\" y1=\"{middle}\" x2=\"{:.1}\" y2=\"{middle}\" stroke=\"#000000\" stroke-width=\"2\"/>\
             <line x1=\"{:.1}\" y1=\"{y}\" x2=\"{:.1}\" y2=\"{}\" stroke=\"#000000\" stroke-width=\"1\"/>",
            (x(estimate.share) - LEFT).max(0.5),
            ROW - 6,
            colour(election, candidate),
            x(estimate.low),
            x(estimate.high),
            x(projection.plain[candidate]),
            x(projection.plain[candidate]),
            y + ROW - 6,
        );
    }
    html! {
        svg class="chart" viewBox={ "0 0 640 " (height) } role="img" aria-labelledby="chart-p" {
            title id="chart-p" { (lang.t(Text::ProjectionChart)) }
            @for (index, &candidate) in shown.iter().enumerate() {
                @let y = index * ROW + 2;
                text x="0" y=(y + 16) font-size="14" { (name(election, Some(candidate), lang)) }
                text x=(format!("{:.1}", LEFT + 6.0 + projection.estimates[candidate].high.clamp(0.0, 1.0) * 100.0 * SCALE)) y=(y + 16) font-size="14" {
                    (lang.percent(projection.estimates[candidate].share * 100.0, 1))
                }
            }
            // SVG's empty elements, which maud cannot write: numbers and checked colours only.
            (PreEscaped(shapes))
        }
    }
}

fn colour(election: &Election, candidate: usize) -> String {
    election
        .candidates
        .get(candidate)
        .map_or_else(|| "#555555".to_owned(), |c| colour_of(election, &c.id))
}

fn official_section(election: &Election, analysed: &AreaAnalysis, lang: Lang) -> Markup {
    html! {
        @if !analysed.official.is_empty() {
            section id="official-checks" aria-labelledby="official-checks-h" {
                h2 id="official-checks-h" { (lang.t(Text::OfficialChecks)) }
                @for check in &analysed.official {
                    @let bulletin = &election.bulletins[check.bulletin];
                    h3 { (bulletin.title) " (" (bulletin.date.to_string()) ")" }
                    ul {
                        @for row in &check.rows {
                            li class=[row.impossible.then_some("impossible")] {
                                @if row.impossible {
                                    strong { (lang.t(Text::Impossible)) ": " }
                                }
                                (figure_sentence(election, check, row, lang))
                            }
                        }
                    }
                }
            }
        }
    }
}

fn p_value(value: Option<f64>, lang: Lang) -> Markup {
    html! {
        @match value {
            Some(p) => { (format_p(p, lang)) }
            None => { (lang.t(Text::TooFew)) }
        }
    }
}

fn format_p(p: f64, lang: Lang) -> String {
    let text = if p < 0.0001 {
        "< 0.0001".to_owned()
    } else {
        format!("{p:.4}")
    };
    match lang {
        Lang::Es => text.replace('.', ","),
        Lang::En => text,
    }
}

fn forensics_section(election: &Election, analysed: &AreaAnalysis, lang: Lang) -> Markup {
    let forensics = &analysed.forensics;
    let leaders: Vec<usize> = analysed
        .bound
        .leader
        .into_iter()
        .chain(analysed.bound.runner_up)
        .collect();
    let percent = |fraction: f64| lang.percent(fraction * 100.0, 1);
    html! {
        section id="forensics" aria-labelledby="forensics-h" {
            h2 id="forensics-h" { (lang.t(Text::ForensicsTitle)) }
            p class="note" { (caveat(lang)) "." }
            div class="scroll" tabindex="0" role="region" aria-labelledby="forensics-h" { table class="results" {
                thead { tr {
                    th scope="col" { (lang.t(Text::Candidate)) }
                    th scope="col" { (lang.t(Text::CountsWord)) }
                    th scope="col" { (lang.t(Text::LastDigit)) ", " (lang.t(Text::PValue)) }
                    th scope="col" { (lang.t(Text::SecondDigit)) ", " (lang.t(Text::PValue)) }
                    th scope="col" { (lang.t(Text::ZeroOrFive)) " (" (lang.t(Text::ExpectedWord)) " 20 %)" }
                } }
                tbody {
                    @for tests in &forensics.candidates {
                        tr {
                            th scope="row" { (name(election, Some(tests.candidate), lang)) }
                            td { (lang.int(tests.last_digit.counts)) }
                            td { (p_value(tests.last_digit.p_value, lang)) }
                            td { (p_value(tests.second_digit.p_value, lang)) }
                            td {
                                @match tests.zero_or_five.observed {
                                    Some(share) => { (percent(share)) ", " (lang.t(Text::PValue)) " " (p_value(tests.zero_or_five.p_value, lang)) }
                                    None => { "–" }
                                }
                            }
                        }
                    }
                }
            } }
            @for &candidate in &leaders {
                @if let Some(tests) = forensics.candidates.iter().find(|t| t.candidate == candidate) {
                    (digit_chart(election, tests, lang))
                }
            }
            @for fingerprint in &forensics.fingerprints {
                (fingerprint_chart(election, fingerprint, lang))
            }
        }
    }
}

/// The last digits of one candidate's counts: a bar per digit, the expected count as a line.
fn digit_chart(election: &Election, tests: &CandidateTests, lang: Lang) -> Markup {
    let test: &DigitTest = &tests.last_digit;
    let candidate = name(election, Some(tests.candidate), lang);
    let id = format!("digits-{}", tests.candidate);
    #[expect(
        clippy::cast_precision_loss,
        reason = "counts of tables, far below 2^52"
    )]
    let (counts, observed) = (test.counts as f64, test.observed.map(|count| count as f64));
    let expected = test.expected.map(|p| p * counts);
    let top = observed
        .iter()
        .chain(expected.iter())
        .copied()
        .fold(1.0_f64, f64::max);
    let mut shapes = String::new();
    for digit in 0..10 {
        let x = 40 + digit * 58;
        let height = observed[digit] / top * 160.0;
        let _ = write!(
            shapes,
            "<rect x=\"{x}\" y=\"{:.1}\" width=\"44\" height=\"{height:.1}\" fill=\"#4a6fa5\"/>\
             <line x1=\"{}\" y1=\"{y:.1}\" x2=\"{}\" y2=\"{y:.1}\" stroke=\"#000000\" stroke-width=\"2\"/>",
            180.0 - height,
            x - 4,
            x + 48,
            y = 180.0 - expected[digit] / top * 160.0,
        );
    }
    html! {
        figure {
            svg class="chart" viewBox="0 0 640 210" role="img" aria-labelledby=(id) {
                title id=(id) { (candidate) ": " (lang.t(Text::DigitChart)) }
                @for digit in 0..10 {
                    text x=(40 + digit * 58 + 16) y="200" font-size="14" { (digit) }
                }
                (PreEscaped(shapes))
            }
            figcaption {
                (candidate) ", " (lang.t(Text::LastDigit)) ": "
                (lang.int(test.counts)) " " (lang.t(Text::CountsWord)) ", χ² "
                (if test.chi_square.is_finite() { format!("{:.2}", test.chi_square) } else { "–".to_owned() }) ", " (lang.t(Text::PValue)) " " (p_value(test.p_value, lang)) ". "
                (lang.t(Text::Observed)) " / " (lang.t(Text::ExpectedWord)) ": "
                @for digit in 0..10 {
                    @if digit > 0 { "; " }
                    (digit) " " (lang.int(test.observed[digit])) " / " (format!("{:.1}", expected[digit]))
                }
                "."
            }
        }
    }
}

/// The turnout-against-share histogram of one candidate, as a grid of grey cells.
fn fingerprint_chart(election: &Election, fingerprint: &Fingerprint, lang: Lang) -> Markup {
    const CELL: usize = 14;
    let bins = veedor_analysis::forensics::BINS;
    let candidate = name(election, Some(fingerprint.candidate), lang);
    let id = format!("fingerprint-{}", fingerprint.candidate);
    let most = fingerprint.counts.iter().copied().max().unwrap_or(0);
    #[expect(
        clippy::cast_precision_loss,
        reason = "counts of tables, far below 2^52"
    )]
    let scale = ((most + 1) as f64).ln().max(f64::MIN_POSITIVE);
    let mut shapes = String::new();
    for (index, &count) in fingerprint.counts.iter().enumerate() {
        if count == 0 {
            continue;
        }
        let (row, column) = (index / bins, index % bins);
        #[expect(
            clippy::cast_precision_loss,
            reason = "counts of tables, far below 2^52"
        )]
        let depth = ((count + 1) as f64).ln() / scale;
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "a grey level from 0 to 235"
        )]
        let grey = (235.0 - depth * 235.0).round().clamp(0.0, 235.0) as u8;
        let _ = write!(
            shapes,
            "<rect x=\"{}\" y=\"{}\" width=\"{CELL}\" height=\"{CELL}\" fill=\"#{grey:02x}{grey:02x}{grey:02x}\"/>",
            40 + column * CELL,
            (bins - 1 - row) * CELL,
        );
    }
    let side = bins * CELL;
    let _ = write!(
        shapes,
        "<rect x=\"40\" y=\"0\" width=\"{side}\" height=\"{side}\" fill=\"none\" stroke=\"#000000\" stroke-width=\"1\"/>"
    );
    html! {
        figure {
            svg class="chart fingerprint" viewBox={ "0 0 " (side + 60) " " (side + 40) } role="img" aria-labelledby=(id) {
                title id=(id) { (candidate) ": " (lang.t(Text::FingerprintTitle)) }
                (PreEscaped(shapes))
                text x="0" y=(side) font-size="12" { "0" }
                text x="0" y="12" font-size="12" { "100" }
                text x="40" y=(side + 16) font-size="12" { "0" }
                text x=(side + 16) y=(side + 16) font-size="12" { "100" }
                text x=(40 + side / 2 - 40) y=(side + 34) font-size="12" { (lang.t(Text::Turnout)) " (%)" }
            }
            figcaption {
                strong { (candidate) ", " (lang.t(Text::FingerprintTitle)) ". " }
                (lang.t(Text::FingerprintNote)) " "
                (lang.t(Text::FingerprintCorner)) ": " (lang.int(fingerprint.corner)) " ("
                (lang.t(Text::ExpectedWord)) " " (if fingerprint.corner_expected.is_finite() { format!("{:.1}", fingerprint.corner_expected) } else { "–".to_owned() }) "). "
                @if let Some(correlation) = fingerprint.correlation.filter(|c| c.is_finite()) {
                    (lang.t(Text::Correlation)) ": " (format!("{correlation:.3}")) "."
                }
            }
        }
    }
}

/// The first level's areas, each with its verdict and a link to its page.
fn areas_section(snapshot: &Snapshot, lang: Lang, here: &Here) -> Markup {
    let results = &snapshot.results;
    let areas: Vec<&AreaAnalysis> = snapshot
        .analysis
        .full
        .areas
        .iter()
        .filter(|analysed| analysed.area != AreaCode::National)
        .collect();
    html! {
        @if !areas.is_empty() {
            section id="areas" aria-labelledby="areas-h" {
                h2 id="areas-h" { (lang.t(Text::AnalysisAreas)) }
                div class="scroll" tabindex="0" role="region" aria-labelledby="areas-h" { table class="areas" {
                    thead { tr {
                        th scope="col" { (lang.t(Text::Area)) }
                        th scope="col" { (lang.t(Text::AnalysisMargin)) }
                        th scope="col" { (lang.t(Text::AnalysisWithout)) }
                        th scope="col" { (lang.t(Text::AnalysisMissing)) }
                    } }
                    tbody {
                        @for analysed in &areas {
                            @let reference = AreaRef::new(results, analysed.area);
                            tr {
                                th scope="row" {
                                    a href=(here.analysis(&reference)) {
                                        (reference.name.as_deref().unwrap_or(lang.t(Text::NoName)))
                                    }
                                    " " small { (reference.code) }
                                }
                                td { (lang.int(analysed.bound.margin)) }
                                td {
                                    @match analysed.bound.registered_without_acta {
                                        Some(voters) => { (lang.int(voters)) }
                                        None => { (lang.t(Text::Unknown)) }
                                    }
                                }
                                td { (lang.t(verdict_text(&analysed.bound))) }
                            }
                        }
                    }
                } }
            }
        }
    }
}
