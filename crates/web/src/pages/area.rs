//! The page of the nation or of one area: its result with its coverage, the comparison with the
//! official bulletins, the areas below it and, for a centre, its tables.

use std::fmt::Write as _;

use veedor_core::Election;

use super::layout::{breadcrumb, layout};
use super::lookup::lookup_form;
use super::table::table_block;
use super::{Here, data, esc, level_name, plain_data, status_name};
use crate::api::{AreaDocument, AreaRef, AreaTally, CandidateVotes};
use crate::i18n::{Lang, Text};
use crate::snapshot::Snapshot;

/// The page of the nation or of one area.
#[must_use]
pub fn area_page(snapshot: &Snapshot, document: &AreaDocument, lang: Lang, here: &Here) -> String {
    let election = snapshot.results.election();
    let title = area_title(election, &document.area.area, lang);
    let mut body = breadcrumb(election, &document.parents, lang, here);
    let _ = write!(body, "<h1>{}</h1>", esc(&title));
    let national = document.area.area.level == "national";
    if national {
        body.push_str(&lookup_form(snapshot, lang, "", here));
    }
    body.push_str(&result_section(election, &document.area, lang));
    body.push_str(&official_section(&document.area, lang));
    if let Some(children) = children_section(election, document, lang, here) {
        body.push_str(&children);
    }
    if !document.tables.is_empty() {
        let _ = write!(
            body,
            "<section id=\"tables\" aria-labelledby=\"tables-h\"><h2 id=\"tables-h\">{}</h2>",
            lang.t(Text::TablesOfCentre)
        );
        for table in &document.tables {
            body.push_str(&table_block(snapshot, table, lang, "h3", here));
        }
        body.push_str("</section>");
    }
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

/// The coverage sentence: what a result is based on.
fn coverage_sentence(area: &AreaTally, lang: Lang) -> String {
    let coverage = &area.coverage;
    format!(
        "<p class=\"coverage\">{based} {counted} {of} {expected} {tables} ({tables_pct}), {hold} \
         {registered_counted} {of} {registered_expected} {registered} ({registered_pct}).</p>",
        based = lang.t(Text::CoverageBased),
        counted = data("tables-counted", coverage.tables_counted, lang),
        of = lang.t(Text::CoverageOf),
        expected = data("tables-expected", coverage.tables_expected, lang),
        tables = lang.t(Text::CoverageTables),
        tables_pct = lang.percent(coverage.tables_percent, 1),
        hold = lang.t(Text::CoverageHold),
        registered_counted = data("registered-counted", coverage.registered_counted, lang),
        registered_expected = data("registered-expected", coverage.registered_expected, lang),
        registered = lang.t(Text::CoverageRegistered),
        registered_pct = lang.percent(coverage.registered_percent, 1),
    )
}

fn colour_of(election: &Election, candidate: &str) -> String {
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
fn bar_chart(election: &Election, candidates: &[&CandidateVotes], lang: Lang, id: &str) -> String {
    const ROW: usize = 26;
    let height = ROW * candidates.len() + 4;
    let mut out = format!(
        "<svg class=\"chart\" viewBox=\"0 0 640 {height}\" role=\"img\" aria-labelledby=\"{id}\">\
         <title id=\"{id}\">{}</title>",
        lang.t(Text::ChartLabel)
    );
    for (index, candidate) in candidates.iter().enumerate() {
        let y = index * ROW + 2;
        let width = (candidate.percent.clamp(0.0, 100.0) * 3.4).max(0.5);
        let _ = write!(
            out,
            "<text x=\"0\" y=\"{ty}\" font-size=\"14\">{name}</text>\
             <rect x=\"190\" y=\"{y}\" width=\"{width:.1}\" height=\"{bar}\" fill=\"{colour}\"/>\
             <text x=\"{tx:.1}\" y=\"{ty}\" font-size=\"14\">{pct}</text>",
            ty = y + 16,
            name = esc(&candidate.name),
            bar = ROW - 6,
            colour = colour_of(election, &candidate.id),
            tx = 196.0 + width,
            pct = lang.percent(candidate.percent, 1),
        );
    }
    out.push_str("</svg>");
    out
}

/// The result of an area: coverage, chart, table, statuses.
fn result_section(election: &Election, area: &AreaTally, lang: Lang) -> String {
    let mut out = format!(
        "<section id=\"result\" aria-labelledby=\"result-h\"><h2 id=\"result-h\">{}</h2>",
        lang.t(Text::WhatActasSay)
    );
    out.push_str(&coverage_sentence(area, lang));
    let mut candidates: Vec<&CandidateVotes> = area.candidates.iter().collect();
    candidates.sort_by_key(|c| std::cmp::Reverse(c.votes));
    if area.coverage.tables_counted == 0 {
        let _ = write!(out, "<p class=\"note\">{}</p>", lang.t(Text::CoverageNone));
    } else {
        out.push_str(&bar_chart(election, &candidates, lang, "chart-t"));
    }
    let _ = write!(
        out,
        "<table class=\"results\"><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th>\
         <th scope=\"col\">{}</th></tr></thead><tbody>",
        lang.t(Text::Candidate),
        lang.t(Text::Votes),
        lang.t(Text::Share)
    );
    for candidate in &candidates {
        let _ = write!(
            out,
            "<tr id=\"c-{id}\"><th scope=\"row\">{name}</th><td>{votes}</td><td>{pct}</td></tr>",
            id = esc(&candidate.id),
            name = esc(&candidate.name),
            votes = data("votes", candidate.votes, lang),
            pct = lang.percent(candidate.percent, 2),
        );
    }
    let _ = write!(
        out,
        "</tbody><tfoot><tr><th scope=\"row\">{}</th><td>{}</td><td></td></tr>\
         <tr><th scope=\"row\">{}</th><td>{}</td><td></td></tr></tfoot></table>",
        lang.t(Text::ValidVotes),
        data("valid-votes", area.valid_votes, lang),
        lang.t(Text::NullVotes),
        data("null-votes", area.null_votes, lang),
    );
    let status = &area.tables_by_status;
    let _ = write!(
        out,
        "<h3>{}</h3><ul class=\"statuses\">",
        lang.t(Text::TableStatuses)
    );
    for (name, count) in [
        ("accepted", status.accepted),
        ("corroborated", status.corroborated),
        ("conflict", status.conflict),
        ("awaiting_person", status.awaiting_person),
        ("missing", status.missing),
    ] {
        let _ = write!(
            out,
            "<li class=\"s-{name}\">{}: {}</li>",
            status_name(name, lang),
            data(&format!("status-{name}"), count, lang)
        );
    }
    out.push_str("</ul></section>");
    out
}

/// The comparison with the official bulletins, latest first.
fn official_section(area: &AreaTally, lang: Lang) -> String {
    if area.official.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "<section id=\"official\" aria-labelledby=\"official-h\"><h2 id=\"official-h\">{}</h2>\
         <p>{}</p>",
        lang.t(Text::Official),
        lang.t(Text::OfficialIntro)
    );
    for official in area.official.iter().rev() {
        let _ = write!(
            out,
            "<h3>{} ({})</h3>",
            esc(&official.title),
            esc(&official.date)
        );
        if let Some(claimed) = official.stated_coverage_percent {
            let _ = write!(
                out,
                "<p>{} {} {}.</p>",
                lang.t(Text::OfficialClaimed),
                lang.percent(claimed, 2),
                lang.t(Text::OfficialOfActas)
            );
        }
        let _ = write!(
            out,
            "<div class=\"scroll\"><table class=\"official\"><thead><tr><th scope=\"col\">{candidate}</th>\
             <th scope=\"col\">{actas} ({tables} {tables_word})</th><th scope=\"col\">%</th>\
             <th scope=\"col\">{official_col}</th><th scope=\"col\">%</th><th scope=\"col\">{difference}</th>\
             </tr></thead><tbody>",
            candidate = lang.t(Text::Candidate),
            actas = lang.t(Text::Actas),
            tables = lang.int(area.coverage.tables_counted),
            tables_word = lang.t(Text::CoverageTables),
            official_col = lang.t(Text::OfficialCol),
            difference = lang.t(Text::Difference),
        );
        for row in &official.rows {
            let name = match &row.candidate {
                Some(_) => esc(&row.name),
                None => lang.t(Text::Others).to_owned(),
            };
            let _ = write!(
                out,
                "<tr><th scope=\"row\">{name}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
                 <td>{}</td></tr>",
                lang.int(row.actas_votes),
                lang.percent(row.actas_percent, 2),
                lang.int(row.official_votes),
                lang.percent(row.official_percent, 2),
                lang.points(row.difference_points),
            );
        }
        out.push_str("</tbody></table></div>");
    }
    out.push_str("</section>");
    out
}

/// The areas below one: each with its coverage and the two leading candidates' shares.
fn children_section(
    election: &Election,
    document: &AreaDocument,
    lang: Lang,
    here: &Here,
) -> Option<String> {
    let level = document.children_level.as_deref()?;
    if document.children.is_empty() {
        return None;
    }
    let mut leaders: Vec<&CandidateVotes> = document.area.candidates.iter().collect();
    leaders.sort_by_key(|c| std::cmp::Reverse(c.votes));
    leaders.truncate(2);
    let mut out = format!(
        "<section id=\"children\" aria-labelledby=\"children-h\"><h2 id=\"children-h\">{} {}</h2>\
         <div class=\"scroll\"><table class=\"areas\"><thead><tr><th scope=\"col\">{}</th>\
         <th scope=\"col\">{}</th>",
        lang.t(Text::ByLevel),
        esc(&level_name(election, level, lang).to_lowercase()),
        lang.t(Text::Area),
        lang.t(Text::TablesCounted),
    );
    for leader in &leaders {
        let _ = write!(out, "<th scope=\"col\">{}</th>", esc(&leader.name));
    }
    let _ = write!(
        out,
        "<th scope=\"col\">{}</th></tr></thead><tbody>",
        lang.t(Text::ValidVotes)
    );
    for child in &document.children {
        let coverage = &child.coverage;
        let _ = write!(
            out,
            "<tr><th scope=\"row\"><a href=\"{path}\">{name}</a> <small>{code}</small></th>\
             <td>{counted} / {expected} ({pct})</td>",
            code = esc(&child.area.code),
            path = esc(&here.area(&child.area)),
            name = esc(child.area.name.as_deref().unwrap_or(lang.t(Text::NoName))),
            counted = plain_data(coverage.tables_counted, lang),
            expected = plain_data(coverage.tables_expected, lang),
            pct = lang.percent(coverage.tables_percent, 1),
        );
        for leader in &leaders {
            let share = child
                .candidates
                .iter()
                .find(|c| c.id == leader.id)
                .map_or(0.0, |c| c.percent);
            let cell = if coverage.tables_counted == 0 {
                "–".to_owned()
            } else {
                lang.percent(share, 1)
            };
            let _ = write!(out, "<td>{cell}</td>");
        }
        let _ = write!(out, "<td>{}</td></tr>", plain_data(child.valid_votes, lang));
    }
    out.push_str("</tbody></table></div></section>");
    Some(out)
}
