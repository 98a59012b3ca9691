//! The page of one table, and the block that shows a table on centre and lookup pages too.

use std::fmt::Write as _;

use veedor_core::AreaCode;

use super::layout::{breadcrumb, layout};
use super::{Here, data, esc, source_name, status_name};
use crate::api::{AreaRef, TableView};
use crate::i18n::{Lang, Text};
use crate::snapshot::Snapshot;

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

/// One table with its status, numbers and copies: on centre, table and lookup pages.
pub(super) fn table_block(
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
