//! The page of the nation or of one area: its result with its coverage, the comparison with the
//! official bulletins, the areas below it and, for a centre, its tables.

use maud::{Markup, PreEscaped, html};
use veedor_core::{ActaCopy, Election};

use super::acta::acta_block;
use super::analysis::bound_paragraph;
use super::layout::{breadcrumb, layout};
use super::lookup::lookup_form;
use super::table::table_block;
use super::{Here, data, level_name, plain_data, status_name};
use crate::api::{ActaDocument, AreaDocument, AreaRef, AreaTally, CandidateVotes};
use crate::i18n::{Lang, Text};
use crate::snapshot::Snapshot;

/// The page of the nation or of one area.
#[must_use]
pub fn area_page(snapshot: &Snapshot, document: &AreaDocument, lang: Lang, here: &Here) -> String {
    centre_page(snapshot, document, &[], lang, here)
}

/// The page of an area with, after its tables, the page of each of their acta copies as a
/// section (`#acta-<copy>`): a centre's page in a compact mirror, which has no table or acta
/// pages. With no copies given, the area's page as [`area_page`] writes it.
#[must_use]
pub fn centre_page(
    snapshot: &Snapshot,
    document: &AreaDocument,
    actas: &[(ActaDocument, &ActaCopy)],
    lang: Lang,
    here: &Here,
) -> String {
    let election = snapshot.results.election();
    let title = area_title(election, &document.area.area, lang);
    let national = document.area.area.level == "national";
    let body = html! {
        (breadcrumb(election, &document.parents, lang, here))
        h1 { (title) }
        @if national {
            (lookup_form(snapshot, lang, "", here))
        }
        (result_section(election, &document.area, lang))
        @if let Some(paragraph) = bound_paragraph(snapshot, &document.area.area, lang, here) {
            (paragraph)
        }
        (official_section(&document.area, lang))
        @if let Some(children) = children_section(election, document, lang, here) {
            (children)
        }
        @if !document.tables.is_empty() {
            section id="tables" aria-labelledby="tables-h" {
                h2 id="tables-h" { (lang.t(Text::TablesOfCentre)) }
                @for table in &document.tables {
                    (table_block(snapshot, table, lang, "h3", here))
                }
            }
        }
        @if !actas.is_empty() {
            section id="actas" aria-labelledby="actas-h" {
                h2 id="actas-h" { (lang.t(Text::CopiesOfActa)) }
                @for (acta, copy) in actas {
                    (acta_block(snapshot, acta, copy, lang, here))
                }
            }
        }
    };
    layout(Some(snapshot), lang, &title, here, &body, national)
}

fn area_title(election: &Election, area: &AreaRef, lang: Lang) -> String {
    if area.level == "national" {
        return election.title.get(lang.tag()).to_owned();
    }
    let level = level_name(election, &area.level, lang);
    match &area.name {
        Some(name) => format!("{level} {name} ({})", area.code),
        None => format!("{level} {}", area.code),
    }
}

/// The coverage sentence: what a result is based on. Where nothing says how many tables or
/// voters an area should have, it says so instead of a percentage.
fn coverage_sentence(area: &AreaTally, lang: Lang) -> Markup {
    let coverage = &area.coverage;
    let of = lang.t(Text::CoverageOf);
    let out_of = |name: &'static str, expected: Option<u64>, percent: Option<f64>, what: Text| {
        html! {
            @match (expected, percent) {
                (Some(expected), Some(percent)) => {
                    (of) " " (data(name, expected, lang)) " " (lang.t(what))
                    " (" (lang.percent(percent, 1)) ")"
                }
                _ => { (lang.t(what)) " " span data-expected="unknown" { (lang.t(Text::CoverageUnknown)) } }
            }
        }
    };
    html! {
        p class="coverage" {
            (lang.t(Text::CoverageBased)) " "
            (data("tables-counted", coverage.tables_counted, lang)) " "
            (out_of("tables-expected", coverage.tables_expected, coverage.tables_percent, Text::CoverageTables))
            ", " (lang.t(Text::CoverageHold)) " "
            (data("registered-counted", coverage.registered_counted, lang)) " "
            (out_of("registered-expected", coverage.registered_expected, coverage.registered_percent, Text::CoverageRegistered))
            "."
        }
    }
}

/// A candidate's colour from the election file, when it is a `#rrggbb` colour; grey otherwise.
pub(super) fn colour_of(election: &Election, candidate: &str) -> String {
    election
        .candidates
        .iter()
        .find(|c| c.id == candidate)
        .and_then(|c| c.colour.clone())
        .filter(|colour| {
            colour.len() == 7
                && colour.starts_with('#')
                && colour[1..].bytes().all(|b| b.is_ascii_hexdigit())
        })
        .unwrap_or_else(|| "#555555".to_owned())
}

/// A horizontal bar chart of the candidates' shares, as inline SVG (no script, no style
/// attribute: colours are presentation attributes, which the content security policy allows).
fn bar_chart(election: &Election, candidates: &[&CandidateVotes], lang: Lang, id: &str) -> Markup {
    const ROW: usize = 26;
    let height = ROW * candidates.len() + 4;
    html! {
        svg class="chart" viewBox={ "0 0 640 " (height) } role="img" aria-labelledby=(id) {
            title id=(id) { (lang.t(Text::ChartLabel)) }
            @for (index, candidate) in candidates.iter().enumerate() {
                @let y = index * ROW + 2;
                @let width = (candidate.percent.clamp(0.0, 100.0) * 3.4).max(0.5);
                text x="0" y=(y + 16) font-size="14" { (candidate.name) }
                // SVG's empty element, which maud cannot write: numbers and a checked colour.
                (PreEscaped(format!(
                    "<rect x=\"190\" y=\"{y}\" width=\"{width:.1}\" height=\"{}\" fill=\"{}\"/>",
                    ROW - 6,
                    colour_of(election, &candidate.id)
                )))
                text x=(format_args!("{:.1}", 196.0 + width)) y=(y + 16) font-size="14" {
                    (lang.percent(candidate.percent, 1))
                }
            }
        }
    }
}

/// The result of an area: coverage, chart, table, statuses.
fn result_section(election: &Election, area: &AreaTally, lang: Lang) -> Markup {
    let mut candidates: Vec<&CandidateVotes> = area.candidates.iter().collect();
    candidates.sort_by_key(|c| std::cmp::Reverse(c.votes));
    let status = &area.tables_by_status;
    html! {
        section id="result" aria-labelledby="result-h" {
            h2 id="result-h" { (lang.t(Text::WhatActasSay)) }
            (coverage_sentence(area, lang))
            @if area.coverage.tables_counted == 0 {
                p class="note" { (lang.t(Text::CoverageNone)) }
            } @else {
                (bar_chart(election, &candidates, lang, "chart-t"))
            }
            table class="results" {
                thead { tr {
                    th scope="col" { (lang.t(Text::Candidate)) }
                    th scope="col" { (lang.t(Text::Votes)) }
                    th scope="col" { (lang.t(Text::Share)) }
                } }
                tbody {
                    @for candidate in &candidates {
                        tr id={ "c-" (candidate.id) } {
                            th scope="row" { (candidate.name) }
                            td { (data("votes", candidate.votes, lang)) }
                            td { (lang.percent(candidate.percent, 2)) }
                        }
                    }
                }
                tfoot {
                    tr {
                        th scope="row" { (lang.t(Text::ValidVotes)) }
                        td { (data("valid-votes", area.valid_votes, lang)) }
                        td {}
                    }
                    tr {
                        th scope="row" { (lang.t(Text::NullVotes)) }
                        td { (data("null-votes", area.null_votes, lang)) }
                        td {}
                    }
                }
            }
            h3 { (lang.t(Text::TableStatuses)) }
            ul class="statuses" {
                @for (name, count) in [
                    ("accepted", status.accepted),
                    ("corroborated", status.corroborated),
                    ("decided", status.decided),
                    ("conflict", status.conflict),
                    ("awaiting_person", status.awaiting_person),
                    ("missing", status.missing),
                ] {
                    li class={ "s-" (name) } {
                        (status_name(name, lang)) ": "
                        (data(&format!("status-{name}"), count, lang))
                        // Without an expected total, the tables without an acta are only those
                        // known: never a plain "missing: 0".
                        @if name == "missing" && area.coverage.tables_expected.is_none() {
                            " " span data-expected="unknown" { "(" (lang.t(Text::MissingOfKnown)) ")" }
                        }
                    }
                }
            }
            @if status.conflict > 0 {
                p class="note" {
                    (lang.t(Text::ContestedVotes)) ": "
                    (data("contested-votes", area.contested_votes, lang))
                }
            }
        }
    }
}

/// The comparison with the official bulletins, latest first.
fn official_section(area: &AreaTally, lang: Lang) -> Markup {
    html! {
        @if !area.official.is_empty() {
            section id="official" aria-labelledby="official-h" {
                h2 id="official-h" { (lang.t(Text::Official)) }
                p { (lang.t(Text::OfficialIntro)) }
                @for official in area.official.iter().rev() {
                    @let heading = format!("official-{}", official.id);
                    h3 id=(heading) { (official.title) " (" (official.date) ")" }
                    @if let Some(claimed) = official.stated_coverage_percent {
                        p {
                            (lang.t(Text::OfficialClaimed)) " " (lang.percent(claimed, 2)) " "
                            (lang.t(Text::OfficialOfActas)) "."
                        }
                    }
                    // A table wider than a phone scrolls sideways: a focusable region, so that a
                    // keyboard can scroll it too (WCAG 2.1.1).
                    div class="scroll" tabindex="0" role="region" aria-labelledby=(heading) { table class="official" {
                        thead { tr {
                            th scope="col" { (lang.t(Text::Candidate)) }
                            th scope="col" {
                                (lang.t(Text::Actas))
                                " (" (lang.int(area.coverage.tables_counted)) " "
                                (lang.t(Text::CoverageTables)) ")"
                            }
                            th scope="col" { "%" }
                            th scope="col" { (lang.t(Text::OfficialCol)) }
                            th scope="col" { "%" }
                            th scope="col" { (lang.t(Text::Difference)) }
                        } }
                        tbody {
                            @for row in &official.rows {
                                tr {
                                    th scope="row" {
                                        @if row.candidate.is_some() {
                                            (row.name)
                                        } @else {
                                            (lang.t(Text::Others))
                                        }
                                    }
                                    td { (lang.int(row.actas_votes)) }
                                    td { (lang.percent(row.actas_percent, 2)) }
                                    td { (lang.int(row.official_votes)) }
                                    td { (lang.percent(row.official_percent, 2)) }
                                    td { (lang.points(row.difference_points)) }
                                }
                            }
                        }
                    } }
                }
            }
        }
    }
}

/// The areas below one: each with its coverage and the two leading candidates' shares.
fn children_section(
    election: &Election,
    document: &AreaDocument,
    lang: Lang,
    here: &Here,
) -> Option<Markup> {
    let level = document.children_level.as_deref()?;
    if document.children.is_empty() {
        return None;
    }
    let mut leaders: Vec<&CandidateVotes> = document.area.candidates.iter().collect();
    leaders.sort_by_key(|c| std::cmp::Reverse(c.votes));
    leaders.truncate(2);
    Some(html! {
        section id="children" aria-labelledby="children-h" {
            h2 id="children-h" {
                (lang.t(Text::ByLevel)) " " (level_name(election, level, lang).to_lowercase())
            }
            div class="scroll" tabindex="0" role="region" aria-labelledby="children-h" { table class="areas" {
                thead { tr {
                    th scope="col" { (lang.t(Text::Area)) }
                    th scope="col" { (lang.t(Text::TablesCounted)) }
                    @for leader in &leaders {
                        th scope="col" { (leader.name) }
                    }
                    th scope="col" { (lang.t(Text::ValidVotes)) }
                } }
                tbody {
                    @for child in &document.children {
                        @let coverage = &child.coverage;
                        tr {
                            th scope="row" {
                                a href=(here.area(&child.area)) {
                                    (child.area.name.as_deref().unwrap_or(lang.t(Text::NoName)))
                                }
                                " "
                                small { (child.area.code) }
                            }
                            td {
                                (plain_data(coverage.tables_counted, lang)) " / "
                                @match (coverage.tables_expected, coverage.tables_percent) {
                                    (Some(expected), Some(percent)) => {
                                        (plain_data(expected, lang)) " (" (lang.percent(percent, 1)) ")"
                                    }
                                    _ => { (lang.t(Text::Unknown)) }
                                }
                            }
                            @for leader in &leaders {
                                td {
                                    @if coverage.tables_counted == 0 {
                                        "–"
                                    } @else {
                                        (lang.percent(
                                            child
                                                .candidates
                                                .iter()
                                                .find(|c| c.id == leader.id)
                                                .map_or(0.0, |c| c.percent),
                                            1,
                                        ))
                                    }
                                }
                            }
                            td { (plain_data(child.valid_votes, lang)) }
                        }
                    }
                }
            } }
        }
    })
}
