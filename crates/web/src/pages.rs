//! The HTML pages, written by hand from the same documents the API serves: no template engine,
//! no JavaScript, one small stylesheet. Numbers that tests and scrapers read carry their value
//! in a `<data value>` element, whatever the language writes.
//!
//! Honesty rules every page keeps: a result is always shown with its coverage (tables and
//! registered voters counted, out of how many), and a percentage never without the number of
//! tables it is based on.

use std::fmt::Write as _;

use veedor_core::{ActaCopy, AreaCode, Election, SourceKind};

use crate::api::{
    ActaDocument, AreaDocument, AreaRef, AreaTally, CandidateVotes, CopyView, TableView,
};
use crate::i18n::{Lang, Text};
use crate::snapshot::Snapshot;

/// The stylesheet, served at `/static/style.css`.
pub const STYLE: &str = include_str!("style.css");

/// Escapes text for HTML content and attribute values.
#[must_use]
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
    out
}

/// How a page writes its links.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Links {
    /// Served by `veedor serve`: absolute paths (`/area/state/13`), the language by `?lang=`.
    Server,
    /// A file of a static mirror: relative paths to files (`../area/state/13.html`), so that the
    /// mirror works from any folder of any host; one folder per language.
    Static {
        /// From this page to its language's folder (`../../`; `es/` from the mirror's root).
        to_lang: String,
        /// From this page to the mirror's root (`../../../`; empty at the root).
        to_root: String,
        /// The page's path in its language's folder (`area/state/13.html`).
        page: String,
        /// The voter lookup from shards, when the mirror has it.
        lookup: Option<StaticLookup>,
    },
}

/// What the static lookup form needs (see [`crate::site`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaticLookup {
    /// The salt hashed before the voter id.
    pub salt: String,
    /// Bits of the hash that name the shard.
    pub shard_bits: u8,
}

/// Where a page is, for its links, its language switch and its JSON twin.
#[derive(Clone, Debug)]
pub struct Here {
    /// The path and query without `lang` (`/lookup?voter_id=1`).
    pub path: String,
    /// The JSON twin's path, if any: absolute on the server, from the mirror's root in a
    /// static mirror.
    pub json: Option<String>,
    links: Links,
}

impl Here {
    /// A page at `path` with a JSON twin, on the server.
    #[must_use]
    pub fn new(path: impl Into<String>, json: Option<String>) -> Self {
        Self {
            path: path.into(),
            json,
            links: Links::Server,
        }
    }

    /// A page of a static mirror: `page` is its path in its language's folder
    /// (`area/state/13.html`), `json` its twin's path from the mirror's root
    /// (`api/v1/area/state/13.json`).
    #[must_use]
    pub fn static_page(
        lang: Lang,
        page: &str,
        json: Option<String>,
        lookup: Option<StaticLookup>,
    ) -> Self {
        let to_lang = "../".repeat(page.matches('/').count());
        Self {
            path: format!("{}/{page}", lang.tag()),
            json,
            links: Links::Static {
                to_root: format!("{to_lang}../"),
                to_lang,
                page: page.to_owned(),
                lookup,
            },
        }
    }

    /// The home page at a static mirror's root: the same page as `<lang>/index.html`, with
    /// links one folder down.
    #[must_use]
    pub fn static_root(lang: Lang, json: Option<String>, lookup: Option<StaticLookup>) -> Self {
        Self {
            path: "index.html".to_owned(),
            json,
            links: Links::Static {
                to_lang: format!("{}/", lang.tag()),
                to_root: String::new(),
                page: "index.html".to_owned(),
                lookup,
            },
        }
    }

    /// Whether the page is a static mirror's file.
    #[must_use]
    pub fn is_static(&self) -> bool {
        matches!(self.links, Links::Static { .. })
    }

    /// A page of the same language: `server` on the server, `file` in the language's folder.
    fn page(&self, server: &str, file: &str) -> String {
        match &self.links {
            Links::Server => server.to_owned(),
            Links::Static { to_lang, .. } => format!("{to_lang}{file}"),
        }
    }

    /// A file shared by both languages: `path` is absolute on the server (`/scans/..`) and
    /// from the mirror's root in a static mirror (`scans/..`).
    #[must_use]
    pub fn resource(&self, path: &str) -> String {
        match &self.links {
            Links::Server => path.to_owned(),
            Links::Static { to_root, .. } => format!("{to_root}{}", path.trim_start_matches('/')),
        }
    }

    /// The nation's page.
    #[must_use]
    pub fn home(&self) -> String {
        self.page("/", "index.html")
    }

    /// An area's page (the nation's for `national`).
    #[must_use]
    pub fn area(&self, area: &AreaRef) -> String {
        if area.level == "national" {
            return self.home();
        }
        self.page(
            &format!("/area/{}/{}", area.level, area.code),
            &format!("area/{}/{}.html", area.level, area.code),
        )
    }

    /// A table's page.
    #[must_use]
    pub fn table(&self, id: &str) -> String {
        self.page(&format!("/table/{id}"), &format!("table/{id}.html"))
    }

    /// An acta copy's page.
    #[must_use]
    pub fn acta(&self, id: i64) -> String {
        self.page(&format!("/acta/{id}"), &format!("acta/{id}.html"))
    }

    /// The lookup page.
    #[must_use]
    pub fn lookup(&self) -> String {
        self.page("/lookup", "lookup.html")
    }

    /// The method page.
    #[must_use]
    pub fn method(&self) -> String {
        self.page("/method", "method.html")
    }

    fn json_href(&self) -> Option<String> {
        self.json.as_deref().map(|json| self.resource(json))
    }

    fn switch(&self, lang: Lang) -> String {
        match &self.links {
            Links::Server => {
                let separator = if self.path.contains('?') { '&' } else { '?' };
                format!("{}{separator}lang={}", self.path, lang.tag())
            }
            Links::Static { to_root, page, .. } => format!("{to_root}{}/{page}", lang.tag()),
        }
    }
}

/// The page around a body: head, navigation, footer. `script`: the page has a lookup form,
/// which a static mirror's script answers.
fn layout(
    snapshot: Option<&Snapshot>,
    lang: Lang,
    title: &str,
    here: &Here,
    body: &str,
    script: bool,
) -> String {
    let mut out = String::with_capacity(body.len() + 2048);
    let site = lang.t(Text::SiteName);
    let other = lang.other();
    let _ = write!(
        out,
        "<!doctype html><html lang=\"{tag}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">",
        tag = lang.tag(),
    );
    if here.is_static() {
        // A static host sends no security headers of ours: the page states its own policy.
        let _ = write!(
            out,
            "<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\
             <meta name=\"referrer\" content=\"no-referrer\">",
            crate::site::STATIC_CSP
        );
    }
    let _ = write!(
        out,
        "<title>{title} · {site}</title><link rel=\"stylesheet\" href=\"{style}\">",
        title = esc(title),
        style = esc(&here.resource("/static/style.css")),
    );
    if script && here.is_static() {
        let _ = write!(
            out,
            "<script src=\"{}\" defer></script>",
            esc(&here.resource("/static/lookup.js"))
        );
    }
    if let Some(json) = here.json_href() {
        let _ = write!(
            out,
            "<link rel=\"alternate\" type=\"application/json\" href=\"{}\">",
            esc(&json)
        );
    }
    let home = esc(&here.home());
    let _ = write!(
        out,
        "</head><body><a class=\"skip\" href=\"#main\">{skip}</a><header><nav aria-label=\"{site}\">\
         <a class=\"brand\" href=\"{home}\">{site}</a> <a href=\"{home}\">{results}</a> \
         <a href=\"{lookup_href}\">{lookup}</a> <a href=\"{method_href}\">{method}</a> \
         <a class=\"lang\" href=\"{switch}\" hreflang=\"{other_tag}\" lang=\"{other_tag}\">{other_name}</a>\
         </nav></header><main id=\"main\">",
        skip = lang.t(Text::SkipToContent),
        results = lang.t(Text::NavResults),
        lookup_href = esc(&here.lookup()),
        lookup = lang.t(Text::NavLookup),
        method_href = esc(&here.method()),
        method = lang.t(Text::NavMethod),
        switch = esc(&here.switch(other)),
        other_tag = other.tag(),
        other_name = other.own_name(),
    );
    out.push_str(body);
    out.push_str("</main><footer>");
    if let Some(snapshot) = snapshot {
        let as_of = if here.is_static() {
            lang.t(Text::DataAsOfCheckpoint)
        } else {
            lang.t(Text::DataAsOf)
        };
        let _ = write!(
            out,
            "<p>{as_of} {} UTC.",
            snapshot.loaded_at.strftime("%Y-%m-%d %H:%M")
        );
        if let Some(json) = here.json_href() {
            let _ = write!(
                out,
                " <a href=\"{}\" type=\"application/json\">{}</a>",
                esc(&json),
                lang.t(Text::AsJson)
            );
        }
        if let Some(log) = &snapshot.log {
            let _ = write!(
                out,
                " {} <a href=\"{}\">{} {}</a>.",
                lang.t(Text::FooterLog),
                esc(&here.resource("/log/checkpoint")),
                lang.t(Text::FooterCheckpoint),
                lang.int(log.size()),
            );
        }
        out.push_str("</p>");
    }
    let _ = write!(
        out,
        "<p>{}</p></footer></body></html>",
        lang.t(Text::Footer)
    );
    out
}

fn level_name<'a>(election: &'a Election, level: &'a str, lang: Lang) -> &'a str {
    election
        .geography
        .levels
        .iter()
        .find(|l| l.id == level)
        .map_or(level, |l| l.name.get(lang.tag()))
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

fn data(class: &str, value: u64, lang: Lang) -> String {
    format!(
        "<data class=\"{class}\" value=\"{value}\">{}</data>",
        lang.int(value)
    )
}

/// A number in a `<data>` element without a class: in long lists, where every byte counts.
fn plain_data(value: u64, lang: Lang) -> String {
    format!("<data value=\"{value}\">{}</data>", lang.int(value))
}

fn breadcrumb(election: &Election, parents: &[AreaRef], lang: Lang, here: &Here) -> String {
    if parents.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "<nav class=\"crumbs\" aria-label=\"{}\"><ol>",
        lang.t(Text::UpTo)
    );
    for parent in parents {
        let label = if parent.level == "national" {
            lang.t(Text::National).to_owned()
        } else {
            format!(
                "{} {}",
                level_name(election, &parent.level, lang),
                parent.name.as_deref().unwrap_or(&parent.code)
            )
        };
        let _ = write!(
            out,
            "<li><a href=\"{}\">{}</a></li>",
            esc(&here.area(parent)),
            esc(&label)
        );
    }
    out.push_str("</ol></nav>");
    out
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

fn status_name(status: &str, lang: Lang) -> &'static str {
    match status {
        "accepted" => lang.t(Text::StatusAccepted),
        "corroborated" => lang.t(Text::StatusCorroborated),
        "conflict" => lang.t(Text::StatusConflict),
        "awaiting_person" => lang.t(Text::StatusAwaiting),
        _ => lang.t(Text::StatusMissing),
    }
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

/// One table with its status, numbers and copies: on centre, table and lookup pages.
fn table_block(
    snapshot: &Snapshot,
    table: &TableView,
    lang: Lang,
    heading: &str,
    here: &Here,
) -> String {
    let mut out = format!(
        "<article class=\"mesa s-{status}\" id=\"t-{number}\"><{heading}><a href=\"{href}\">{table_word} {number}</a> \
         <span class=\"badge\">{status_name}</span></{heading}><p>{registered}: {registered_value}. {status_word}: {status_name} ({counted}).</p>",
        status = table.status,
        number = table.number,
        href = esc(&here.table(&table.id)),
        table_word = lang.t(Text::TableWord),
        status_name = status_name(table.status, lang),
        registered = lang.t(Text::Registered),
        registered_value = table.registered.map_or_else(
            || lang.t(Text::Unknown).to_owned(),
            |r| data("registered", u64::from(r), lang)
        ),
        status_word = lang.t(Text::Status),
        counted = if table.counted {
            lang.t(Text::Counted)
        } else {
            lang.t(Text::NotCounted)
        },
    );
    match &table.result {
        Some(result) => {
            let _ = write!(
                out,
                "<p class=\"small\">{}:</p><ul class=\"votes\">",
                lang.t(Text::ResultOfTable)
            );
            for candidate in &result.candidates {
                let _ = write!(
                    out,
                    "<li>{} {}</li>",
                    esc(&candidate.name),
                    data(&format!("v-{}", esc(&candidate.id)), candidate.votes, lang)
                );
            }
            let _ = write!(
                out,
                "<li>{} {}</li><li>{} {}</li></ul>",
                lang.t(Text::ValidVotes),
                data("valid-votes", result.valid_votes, lang),
                lang.t(Text::NullVotes),
                data("null-votes", result.null_votes, lang)
            );
        }
        None => {
            let _ = write!(out, "<p class=\"note\">{}</p>", lang.t(Text::ResultNone));
        }
    }
    if table.copies.is_empty() {
        let _ = write!(out, "<p>{}</p>", lang.t(Text::NoCopies));
    } else {
        let _ = write!(
            out,
            "<p class=\"small\">{}:</p><ul class=\"copies\">",
            lang.t(Text::CopiesOfActa)
        );
        for copy in &table.copies {
            let has_scan = snapshot
                .copy(copy.id)
                .and_then(|c| snapshot.scan_of(c))
                .is_some();
            let _ = write!(
                out,
                "<li><a href=\"{href}\">{copy_word} #{id}</a>: {source}; {scan}{findings}</li>",
                href = esc(&here.acta(copy.id)),
                id = copy.id,
                copy_word = lang.t(Text::CopyWord),
                source = source_name(copy.provenance.source, lang),
                scan = if has_scan {
                    lang.t(Text::Scan)
                } else {
                    lang.t(Text::NoScan)
                },
                findings = if copy.findings.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; {}",
                        copy.findings
                            .iter()
                            .map(|f| f.code)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                },
            );
        }
        out.push_str("</ul>");
    }
    out.push_str("</article>");
    out
}

fn source_name(source: &str, lang: Lang) -> &'static str {
    match SourceKind::parse(source) {
        Some(SourceKind::Qr) => lang.t(Text::SourceQr),
        Some(SourceKind::ManualEntry) => lang.t(Text::SourceManual),
        Some(SourceKind::CsvImport) => lang.t(Text::SourceCsv),
        _ => lang.t(Text::SourcePayload),
    }
}

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

/// The page of one table.
#[must_use]
pub fn table_page(snapshot: &Snapshot, table: &TableView, lang: Lang, here: &Here) -> String {
    let election = snapshot.results.election();
    let title = format!("{} {}", lang.t(Text::TableWord), table.id);
    let mut parents = vec![AreaRef::new(&snapshot.results, AreaCode::National)];
    parents.extend(table.areas.iter().cloned());
    let mut body = breadcrumb(election, &parents, lang, here);
    let _ = write!(body, "<h1>{}</h1>", esc(&title));
    body.push_str(&table_block(snapshot, table, lang, "h2", here));
    layout(Some(snapshot), lang, &title, here, &body, false)
}

/// The lookup form, with the id typed so far. On the server it asks `/lookup`; in a static
/// mirror a script answers it from the registry's shards, and without script the page says to
/// browse by geography instead.
#[must_use]
pub fn lookup_form(snapshot: &Snapshot, lang: Lang, value: &str, here: &Here) -> String {
    let fields = |action: &str, attributes: &str, hidden: &str| {
        format!(
            "<form class=\"lookup\" action=\"{action}\" method=\"get\" role=\"search\"{attributes}>\
             <label for=\"voter_id\">{label}</label>\
             <div><input id=\"voter_id\" name=\"voter_id\" type=\"text\" inputmode=\"numeric\" \
             autocomplete=\"off\" maxlength=\"24\" required value=\"{value}\" aria-describedby=\"voter_id_hint\">\
             {hidden}<button type=\"submit\">{button}</button></div><p id=\"voter_id_hint\" class=\"small\">{hint}</p>",
            action = esc(action),
            label = lang.t(Text::LookupLabel),
            value = esc(value),
            button = lang.t(Text::LookupButton),
            hint = lang.t(Text::LookupHint),
        )
    };
    let Links::Static { lookup, .. } = &here.links else {
        let hidden = format!(
            "<input type=\"hidden\" name=\"lang\" value=\"{}\">",
            lang.tag()
        );
        return fields(&here.lookup(), "", &hidden) + "</form>";
    };
    let browse = format!(
        "<a href=\"{}#children\">{}</a>",
        esc(&here.home()),
        lang.t(Text::StaticBrowse)
    );
    let Some(lookup) = lookup else {
        return format!(
            "<p class=\"note\" id=\"no-lookup\">{} {browse}.</p>",
            lang.t(Text::StaticNoLookup)
        );
    };
    let election = snapshot.results.election();
    let attributes = format!(
        " data-shards=\"{shards}\" data-salt=\"{salt}\" data-bits=\"{bits}\" \
         data-centre-digits=\"{digits}\" data-prefixes=\"{prefixes}\" data-tables=\"{tables}\" \
         data-msg-invalid=\"{invalid}\" data-msg-not-found=\"{not_found}\" \
         data-msg-searching=\"{searching}\" data-msg-failed=\"{failed}\"",
        shards = esc(&here.resource("/lookup/")),
        salt = esc(&lookup.salt),
        bits = lookup.shard_bits,
        digits = election.geography.centre_digits,
        prefixes = esc(&election.voter_id_prefixes.join(",")),
        tables = esc(&here.page("/table/", "table/")),
        invalid = esc(lang.t(Text::LookupInvalid)),
        not_found = esc(lang.t(Text::LookupNotFound)),
        searching = esc(lang.t(Text::StaticSearching)),
        failed = esc(lang.t(Text::StaticFailed)),
    );
    fields(&here.lookup(), &attributes, "")
        + &format!(
            "<p id=\"lookup-status\" class=\"note\" role=\"status\" aria-live=\"polite\" hidden></p>\
             <noscript><p class=\"note\" id=\"noscript\">{} {browse}.</p></noscript></form>",
            lang.t(Text::StaticNoScript)
        )
}

/// What a lookup found, or the polite answer that it found nothing.
#[derive(Debug)]
pub enum LookupOutcome<'a> {
    /// No id asked yet: just the form.
    Form,
    /// The voter's table.
    Found {
        /// The id as typed back (the number).
        voter: String,
        /// The table.
        table: &'a TableView,
    },
    /// Not in the registry.
    NotFound {
        /// The number.
        voter: String,
    },
    /// What was typed is not an id.
    Invalid {
        /// What was typed.
        typed: String,
    },
    /// No registry is loaded.
    NoRegistry,
}

/// The lookup page.
#[must_use]
pub fn lookup_page(
    snapshot: &Snapshot,
    outcome: &LookupOutcome<'_>,
    lang: Lang,
    here: &Here,
) -> String {
    let election = snapshot.results.election();
    let title = lang.t(Text::LookupTitle);
    let mut body = format!("<h1>{title}</h1><p>{}</p>", lang.t(Text::LookupIntro));
    let typed = match outcome {
        LookupOutcome::Found { voter, .. } | LookupOutcome::NotFound { voter } => voter.as_str(),
        LookupOutcome::Invalid { typed } => typed.as_str(),
        LookupOutcome::Form | LookupOutcome::NoRegistry => "",
    };
    body.push_str(&lookup_form(snapshot, lang, typed, here));
    match outcome {
        LookupOutcome::Form => {}
        LookupOutcome::Found { voter, table } => {
            let centre = table.areas.last();
            let _ = write!(
                body,
                "<section id=\"found\" aria-live=\"polite\"><h2>{id_word} {voter} {votes_at} \
                 {table_word} {number} {of_centre} {centre}</h2>",
                id_word = lang.t(Text::LookupFoundVoter),
                voter = esc(voter),
                votes_at = lang.t(Text::LookupVotesAt),
                table_word = lang.t(Text::TableWord).to_lowercase(),
                number = table.number,
                of_centre = lang.t(Text::LookupOfCentre),
                centre = esc(&centre
                    .and_then(|c| c.name.clone())
                    .unwrap_or_else(|| table.centre_code.clone())),
            );
            let mut parents = vec![AreaRef::new(&snapshot.results, AreaCode::National)];
            parents.extend(table.areas.iter().cloned());
            body.push_str(&breadcrumb(election, &parents, lang, here));
            if let Some(centre) = centre {
                let _ = write!(
                    body,
                    "<p><a id=\"centre-link\" href=\"{}\">{}</a></p>",
                    esc(&here.area(centre)),
                    lang.t(Text::LookupSeeCentre)
                );
            }
            body.push_str(&table_block(snapshot, table, lang, "h3", here));
            body.push_str("</section>");
        }
        LookupOutcome::NotFound { .. } => {
            let _ = write!(
                body,
                "<p id=\"not-found\" class=\"note\" role=\"status\">{}</p>",
                lang.t(Text::LookupNotFound)
            );
        }
        LookupOutcome::Invalid { .. } => {
            let _ = write!(
                body,
                "<p id=\"invalid\" class=\"note\" role=\"alert\">{}</p>",
                lang.t(Text::LookupInvalid)
            );
        }
        LookupOutcome::NoRegistry => {
            let _ = write!(
                body,
                "<p class=\"note\" role=\"status\">{}</p>",
                lang.t(Text::LookupNoRegistry)
            );
        }
    }
    layout(Some(snapshot), lang, title, here, &body, true)
}

fn provenance_list(copy: &CopyView, lang: Lang) -> String {
    let provenance = &copy.provenance;
    let location_word = if provenance.location_kind == "page" {
        lang.t(Text::Page)
    } else {
        lang.t(Text::Line)
    };
    let mut out = format!(
        "<dl class=\"provenance\"><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{} {}</dd>\
         <dt>{}</dt><dd>{}</dd>",
        lang.t(Text::Source),
        source_name(provenance.source, lang),
        lang.t(Text::FileName),
        esc(&provenance.file_name),
        lang.t(Text::Location),
        location_word,
        provenance.location,
        lang.t(Text::Received),
        esc(&provenance.received_at),
    );
    if let Some(device) = &provenance.device {
        let _ = write!(
            out,
            "<dt>{}</dt><dd>{}</dd>",
            lang.t(Text::Device),
            esc(device)
        );
    }
    if let Some(volunteer) = &provenance.volunteer {
        let _ = write!(
            out,
            "<dt>{}</dt><dd>{}</dd>",
            lang.t(Text::Volunteer),
            esc(volunteer)
        );
    }
    out.push_str("</dl>");
    out
}

/// The page of one acta copy: the scan beside what was read from it, its fingerprint and how to
/// check it, where it came from.
#[must_use]
pub fn acta_page(
    snapshot: &Snapshot,
    document: &ActaDocument,
    copy: &ActaCopy,
    lang: Lang,
    here: &Here,
) -> String {
    let election = snapshot.results.election();
    let view = &document.copy;
    let title = format!(
        "{} #{} {} {}",
        lang.t(Text::ActaTitle),
        view.id,
        lang.t(Text::OfTable),
        document.table
    );
    let mut parents = vec![AreaRef::new(&snapshot.results, AreaCode::National)];
    parents.extend(document.areas.iter().cloned());
    let mut body = breadcrumb(election, &parents, lang, here);
    let _ = write!(
        body,
        "<h1>{}</h1><p>{} <a href=\"{href}\">{table_word} {table}</a>: {status}.</p><div class=\"acta\">",
        esc(&title),
        lang.t(Text::Status),
        href = esc(&here.table(&document.table)),
        table = esc(&document.table),
        table_word = lang.t(Text::TableWord),
        status = status_name(document.table_status, lang),
    );
    match &document.scan {
        // A static mirror without a small copy (the scan could not be decoded) links the
        // original only.
        Some(scan) if here.is_static() && scan.small_url == scan.url => {
            let _ = write!(
                body,
                "<p class=\"note scan\"><a id=\"scan-original\" href=\"{url}\" download>{original}</a></p>",
                url = esc(&here.resource(&scan.url)),
                original = lang.t(Text::ScanOriginal),
            );
        }
        Some(scan) => {
            let _ = write!(
                body,
                "<figure class=\"scan\"><a href=\"{url}\"><img id=\"scan\" src=\"{small}\" alt=\"{alt} {table}\" \
                 width=\"900\"></a><figcaption><a id=\"scan-original\" href=\"{url}\" download>{original}</a></figcaption></figure>",
                url = esc(&here.resource(&scan.url)),
                small = esc(&here.resource(&scan.small_url)),
                alt = lang.t(Text::ScanSmallAlt),
                table = esc(&document.table),
                original = lang.t(Text::ScanOriginal),
            );
        }
        None => {
            let _ = write!(
                body,
                "<p class=\"note scan\">{}</p>",
                lang.t(Text::ScanMissing)
            );
        }
    }
    let _ = write!(
        body,
        "<section class=\"decoded\" aria-labelledby=\"decoded-h\"><h2 id=\"decoded-h\">{}</h2>",
        lang.t(Text::Decoded)
    );
    if document.cards.is_empty() {
        let _ = write!(
            body,
            "<table><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
            lang.t(Text::Candidate),
            lang.t(Text::Votes)
        );
        for (candidate, votes) in election.candidates.iter().zip(&view.candidate_votes) {
            let _ = write!(
                body,
                "<tr><th scope=\"row\">{}</th><td>{}</td></tr>",
                esc(&candidate.name),
                data(&format!("v-{}", esc(&candidate.id)), *votes, lang)
            );
        }
    } else {
        let _ = write!(
            body,
            "<table><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
            lang.t(Text::Card),
            lang.t(Text::Candidate),
            lang.t(Text::Votes)
        );
        for card in &document.cards {
            let name = election
                .candidates
                .iter()
                .find(|c| c.id == card.candidate)
                .map_or(card.candidate.as_str(), |c| c.name.as_str());
            let _ = write!(
                body,
                "<tr><th scope=\"row\">{} {}</th><td>{}</td><td>{}</td></tr>",
                card.cell + 1,
                esc(&card.party),
                esc(name),
                data("cell", u64::from(card.votes), lang)
            );
        }
    }
    body.push_str("</tbody><tfoot>");
    for (candidate, votes) in election.candidates.iter().zip(&view.candidate_votes) {
        if !document.cards.is_empty() {
            let _ = write!(
                body,
                "<tr><th scope=\"row\" colspan=\"2\">{}</th><td>{}</td></tr>",
                esc(&candidate.name),
                data(&format!("v-{}", esc(&candidate.id)), *votes, lang)
            );
        }
    }
    let colspan = if document.cards.is_empty() { 1 } else { 2 };
    let _ = write!(
        body,
        "<tr><th scope=\"row\" colspan=\"{colspan}\">{}</th><td>{}</td></tr></tfoot></table>",
        lang.t(Text::NullVotes),
        view.null_votes.map_or_else(
            || lang.t(Text::Unknown).to_owned(),
            |n| data("null-votes", u64::from(n), lang)
        )
    );
    if !view.findings.is_empty() {
        let _ = write!(body, "<h3>{}</h3><ul>", lang.t(Text::Findings));
        for finding in &view.findings {
            let _ = write!(
                body,
                "<li><strong>{}</strong> ({}): {}</li>",
                finding.code,
                if finding.error {
                    lang.t(Text::Error)
                } else {
                    lang.t(Text::Warning)
                },
                esc(&finding.detail)
            );
        }
        body.push_str("</ul>");
    }
    body.push_str("</section></div>");
    let hash = copy.provenance.file_sha256.to_hex();
    let _ = write!(
        body,
        "<section aria-labelledby=\"hash-h\"><h2 id=\"hash-h\">{title}</h2><p>{of}</p>\
         <p><code id=\"sha256\" class=\"hash\">{hash}</code></p><p>{how}</p>\
         <pre>sha256sum FILE          # Linux\nshasum -a 256 FILE      # macOS\ncertutil -hashfile FILE SHA256   # Windows</pre></section>",
        title = lang.t(Text::HashTitle),
        of = lang.t(Text::HashOf),
        how = lang.t(Text::HashHow),
    );
    let _ = write!(
        body,
        "<section aria-labelledby=\"prov-h\"><h2 id=\"prov-h\">{}</h2>{}</section>",
        lang.t(Text::Provenance),
        provenance_list(view, lang)
    );
    body.push_str(&log_section(document, lang, here));
    layout(Some(snapshot), lang, &title, here, &body, false)
}

/// Where the copy is in the transparency log, and how to check that the signed checkpoint
/// includes it.
fn log_section(document: &ActaDocument, lang: Lang, here: &Here) -> String {
    let mut out = format!(
        "<section id=\"log\" aria-labelledby=\"log-h\"><h2 id=\"log-h\">{}</h2>",
        lang.t(Text::LogTitle)
    );
    let Some(proof) = &document.log else {
        let text = match document.copy.log_index {
            Some(index) => format!(
                "{} {}. {}",
                lang.t(Text::LogEntryIs),
                data("log-index", index, lang),
                lang.t(Text::LogNotYet)
            ),
            None => lang.t(Text::LogNone).to_owned(),
        };
        let _ = write!(out, "<p>{text}</p></section>");
        return out;
    };
    let checkpoint = &proof.checkpoint;
    let bundle = here.resource(&proof.entry_bundle);
    let _ = write!(
        out,
        "<p>{entry_is} {index}. {included} <a href=\"{note}\">{checkpoint_word} {size} {entries}</a>.</p>\
         <dl class=\"provenance\"><dt>{bundle_word}</dt><dd><a id=\"entry-bundle\" href=\"{bundle}\">{bundle_name}</a>, \
         {position_word} {position}</dd><dt>{leaf_word}</dt><dd><code id=\"leaf-hash\" class=\"hash\">{leaf}</code></dd>\
         <dt>{root_word}</dt><dd><code id=\"root\" class=\"hash\">{root}</code> (base64 <code>{root64}</code>)</dd>\
         <dt>{log_word}</dt><dd><code>{origin}</code></dd></dl>\
         <h3>{proof_word}</h3><ol id=\"inclusion-proof\" class=\"hashes\">",
        entry_is = lang.t(Text::LogEntryIs),
        index = data("log-index", proof.index, lang),
        included = lang.t(Text::LogIncluded),
        note = esc(&here.resource(&checkpoint.url)),
        checkpoint_word = lang.t(Text::LogCheckpointOf),
        size = data("checkpoint-size", checkpoint.size, lang),
        entries = lang.t(Text::LogEntries),
        bundle_word = lang.t(Text::LogBundle),
        bundle = esc(&bundle),
        bundle_name = esc(proof.entry_bundle.trim_start_matches('/')),
        position_word = lang.t(Text::LogPosition),
        position = proof.position_in_bundle,
        leaf_word = lang.t(Text::LogLeafHash),
        leaf = esc(&proof.leaf_hash),
        root_word = lang.t(Text::LogRoot),
        root = esc(&checkpoint.root),
        root64 = esc(&checkpoint.root_base64),
        log_word = lang.t(Text::LogName),
        origin = esc(&checkpoint.origin),
        proof_word = lang.t(Text::LogProof),
    );
    for hash in &proof.inclusion_proof {
        let _ = write!(out, "<li><code class=\"hash\">{}</code></li>", esc(hash));
    }
    let _ = write!(
        out,
        "</ol><h3>{}</h3><ol><li>{}</li><li>{}</li><li>{}</li><li>{}</li></ol></section>",
        lang.t(Text::LogHowTitle),
        lang.t(Text::LogHowEntry),
        lang.t(Text::LogHowLeaf),
        lang.t(Text::LogHowProof),
        lang.t(Text::LogHowSignature),
    );
    out
}

/// The page that explains the method and how to verify.
#[must_use]
pub fn method_page(snapshot: &Snapshot, lang: Lang, here: &Here) -> String {
    let body = match lang {
        Lang::Es => METHOD_ES,
        Lang::En => METHOD_EN,
    };
    let (api, data) = if here.is_static() {
        ("api/v1/", "data/")
    } else {
        ("/api/v1/", "/api/v1/")
    };
    let body = body
        .replace("{openapi}", &esc(&here.resource("/api/v1/openapi.json")))
        .replace("{api}", api)
        .replace("{data}", data)
        .replace("{checkpoint}", &esc(&here.resource("/log/checkpoint")))
        .replace(
            "{privacy}",
            lang.t(if here.is_static() {
                Text::PrivacyStatic
            } else {
                Text::PrivacyServer
            }),
        );
    layout(
        Some(snapshot),
        lang,
        lang.t(Text::NavMethod),
        here,
        &body,
        false,
    )
}

/// An error page.
#[must_use]
pub fn error_page(
    snapshot: Option<&Snapshot>,
    lang: Lang,
    title: &str,
    text: &str,
    reference: &str,
    lookup_form_again: bool,
) -> String {
    let mut body = format!(
        "<h1>{}</h1><p class=\"note\" role=\"alert\">{}</p><p class=\"small\">{}: <code>{}</code></p>",
        esc(title),
        esc(text),
        lang.t(Text::Reference),
        esc(reference)
    );
    if !lookup_form_again {
        let _ = write!(body, "<p><a href=\"/\">{}</a></p>", lang.t(Text::BackHome));
    }
    layout(snapshot, lang, title, &Here::new("/", None), &body, false)
}

const METHOD_ES: &str = "<h1>Método y verificación</h1>\
<h2>De dónde salen los números</h2>\
<p>Cada mesa de votación imprime un acta de escrutinio con los votos de cada tarjeta y un código QR con los mismos números. Testigos y voluntarios escanean o fotografían las actas; veedor lee el código QR de cada escaneo, guarda el archivo original con su huella SHA-256, y suma las actas mesa por mesa.</p>\
<h2>Qué se cuenta</h2>\
<ul><li><strong>Aceptada</strong>: una copia del acta, sin errores.</li>\
<li><strong>Corroborada</strong>: dos o más copias con los mismos números.</li>\
<li><strong>En conflicto</strong>: copias con números distintos; no se cuenta hasta que una persona lo resuelva.</li>\
<li><strong>Espera revisión</strong>: una copia con un error (más votos que electores, sumas que no cuadran); no se cuenta hasta que una persona la mire.</li>\
<li><strong>Sin acta</strong>: no ha llegado ninguna copia.</li></ul>\
<p>Solo se suman las mesas aceptadas y corroboradas. Nada se sobrescribe: cada copia queda guardada con su procedencia.</p>\
<h2>Cobertura</h2>\
<p>Un resultado solo vale por las actas en que se basa. Por eso cada resultado dice cuántas mesas cuenta, de cuántas, y cuántos electores inscritos reúnen; y ningún porcentaje aparece sin el número de mesas detrás.</p>\
<h2>Cómo verificar</h2>\
<ol><li>Busca tu mesa con tu cédula y abre su acta.</li>\
<li>Compara los números con el acta que viste o fotografiaste en tu centro.</li>\
<li>Descarga el escaneo original y calcula su SHA-256 (<code>sha256sum ARCHIVO</code>); debe coincidir con la huella publicada.</li>\
<li>Descarga los datos en JSON desde <code>{api}</code> (descritos en <a href=\"{openapi}\">openapi.json</a>) y suma tú mismo.</li></ol>\
<h2>Cómo comprobar una copia entera</h2>\
<p>Cada copia de acta es una entrada de un registro público de solo añadir (un árbol de Merkle, RFC 6962), y su estado se firma: el <a href=\"{checkpoint}\">punto de control</a> dice cuántas entradas tiene el registro y su raíz. Cualquiera puede copiar este sitio y alojarlo donde quiera; para comprobar que una copia está completa y sin cambios, consigue la clave pública del registro por otra vía (la web de los organizadores, la prensa) y ejecuta <code>veedor verify URL-DE-LA-COPIA --key CLAVE</code>: comprueba la firma, cada entrada, cada fila de los datos en <code>{data}</code>, cada total y cada escaneo. La página de cada acta muestra su prueba de inclusión.</p>\
<h2>Privacidad</h2>\
<p>El registro electoral guarda solo números de cédula y mesas, sin nombres. {privacy}</p>";

const METHOD_EN: &str = "<h1>Method and verification</h1>\
<h2>Where the numbers come from</h2>\
<p>Every polling table prints a tally sheet (acta) with the votes of each ballot card and a QR code with the same numbers. Witnesses and volunteers scan or photograph the actas; veedor reads the QR code of each scan, keeps the original file with its SHA-256 fingerprint, and adds the actas up table by table.</p>\
<h2>What is counted</h2>\
<ul><li><strong>Accepted</strong>: one copy of the acta, without errors.</li>\
<li><strong>Corroborated</strong>: two or more copies with the same numbers.</li>\
<li><strong>In conflict</strong>: copies with different numbers; not counted until a person resolves it.</li>\
<li><strong>Awaiting a person</strong>: a copy with an error (more votes than voters, sums that do not add up); not counted until a person looks.</li>\
<li><strong>Missing</strong>: no copy has arrived.</li></ul>\
<p>Only accepted and corroborated tables are added up. Nothing is overwritten: every copy is kept with its provenance.</p>\
<h2>Coverage</h2>\
<p>A result is only as good as the actas behind it. So every result says how many tables it counts, out of how many, and how many registered voters they hold; and no percentage appears without the number of tables behind it.</p>\
<h2>How to verify</h2>\
<ol><li>Find your table with your ID number and open its acta.</li>\
<li>Compare the numbers with the acta you saw or photographed at your centre.</li>\
<li>Download the original scan and compute its SHA-256 (<code>sha256sum FILE</code>); it must equal the published fingerprint.</li>\
<li>Download the data as JSON from <code>{api}</code> (described in <a href=\"{openapi}\">openapi.json</a>) and add it up yourself.</li></ol>\
<h2>How to check a whole copy</h2>\
<p>Every acta copy is an entry of a public append-only log (a Merkle tree, RFC 6962), and its state is signed: the <a href=\"{checkpoint}\">checkpoint</a> says how many entries the log holds and its root. Anyone may copy this site and host it anywhere; to check that a copy is complete and unaltered, get the log's public key by another way (the organisers' own site, the press) and run <code>veedor verify URL-OF-THE-COPY --key KEY</code>: it checks the signature, every entry, every row of the data in <code>{data}</code>, every total and every scan. Each acta's page shows its inclusion proof.</p>\
<h2>Privacy</h2>\
<p>The voter registry holds only ID numbers and tables, no names. {privacy}</p>";
