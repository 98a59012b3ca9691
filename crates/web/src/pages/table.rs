//! The page of one table, and the block that shows a table on centre and lookup pages too.

use maud::{Markup, html};
use veedor_core::AreaCode;

use super::layout::{breadcrumb, layout};
use super::{Here, data, source_name, status_name};
use crate::api::{AreaRef, DecisionView, TableView};
use crate::i18n::{Lang, Text};
use crate::snapshot::Snapshot;

/// The page of one table.
#[must_use]
pub fn table_page(snapshot: &Snapshot, table: &TableView, lang: Lang, here: &Here) -> String {
    let election = snapshot.results.election();
    let title = format!("{} {}", lang.t(Text::TableWord), table.id);
    let mut parents = vec![AreaRef::new(&snapshot.results, AreaCode::National)];
    parents.extend(table.areas.iter().cloned());
    let body = html! {
        (breadcrumb(election, &parents, lang, here))
        h1 { (title) }
        (table_block(snapshot, table, lang, "h2", here))
    };
    layout(Some(snapshot), lang, &title, here, &body, false)
}

/// One table with its status, numbers and copies: on centre, table and lookup pages.
pub(super) fn table_block(
    snapshot: &Snapshot,
    table: &TableView,
    lang: Lang,
    heading: &str,
    here: &Here,
) -> Markup {
    let status = status_name(table.status, lang);
    let head = html! {
        a href=(here.table(&table.id)) { (lang.t(Text::TableWord)) " " (table.number) }
        " "
        span class="badge" { (status) }
    };
    html! {
        article class={ "mesa s-" (table.status) } id={ "t-" (table.number) } {
            @if heading == "h2" { h2 { (head) } } @else { h3 { (head) } }
            p {
                (lang.t(Text::Registered)) ": "
                @match table.registered {
                    Some(registered) => (data("registered", u64::from(registered), lang)),
                    None => (lang.t(Text::Unknown)),
                }
                ". " (lang.t(Text::Status)) ": " (status) " ("
                (if table.counted { lang.t(Text::Counted) } else { lang.t(Text::NotCounted) })
                ")."
            }
            @match &table.result {
                Some(result) => {
                    p class="small" { (lang.t(Text::ResultOfTable)) ":" }
                    ul class="votes" {
                        @for candidate in &result.candidates {
                            li {
                                (candidate.name) " "
                                (data(&format!("v-{}", candidate.id), candidate.votes, lang))
                            }
                        }
                        li {
                            (lang.t(Text::ValidVotes)) " "
                            (data("valid-votes", result.valid_votes, lang))
                        }
                        li {
                            (lang.t(Text::NullVotes)) " "
                            (data("null-votes", result.null_votes, lang))
                        }
                    }
                }
                None if table.status == "conflict" => {
                    p class="note" {
                        (lang.t(Text::ContestedTable)) " "
                        (data("contested-votes", table.contested_votes, lang)) " "
                        (lang.t(Text::VotesWord)) "."
                    }
                    @if let Some(decision) = &table.decision {
                        (decision_block(table, decision, lang, here))
                    }
                    (versions(snapshot, table, lang))
                }
                None => {
                    p class="note" { (lang.t(Text::ResultNone)) }
                }
            }
            @if let (Some(decision), Some(_)) = (&table.decision, &table.result) {
                (decision_block(table, decision, lang, here))
                (versions(snapshot, table, lang))
            }
            @if table.copies.len() > 1 {
                p class="small" {
                    (lang.t(Text::Evidence)) ": " (data("evidence", table.evidence as u64, lang))
                    ". " (lang.t(Text::EvidenceNote))
                }
            }
            @if table.copies.is_empty() {
                p { (lang.t(Text::NoCopies)) }
            } @else {
                p class="small" { (lang.t(Text::CopiesOfActa)) ":" }
                ul class="copies" {
                    @for copy in &table.copies {
                        li {
                            a href=(here.acta(copy.id, &table.id)) { (lang.t(Text::CopyWord)) " #" (copy.id) }
                            ": " (source_name(copy.provenance.source, lang)) "; "
                            @if snapshot.copy(copy.id).and_then(|c| snapshot.scan_of(c)).is_some() {
                                (lang.t(Text::Scan))
                            } @else {
                                (lang.t(Text::NoScan))
                            }
                            @if let Some(earlier) = &copy.provenance.same_image_as {
                                "; " (lang.t(Text::SameImageAs)) " " code class="hash" { (earlier) }
                            }
                            @if !copy.findings.is_empty() {
                                "; "
                                @for (index, finding) in copy.findings.iter().enumerate() {
                                    @if index > 0 { ", " }
                                    (finding.code)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A coordinator's decision: which copy counts, who decided (by pseudonym), when and why; or,
/// when a later copy disagrees, that it no longer covers the table.
fn decision_block(table: &TableView, decision: &DecisionView, lang: Lang, here: &Here) -> Markup {
    html! {
        div class="decision" {
            p class="note" {
                @if decision.in_force {
                    (lang.t(Text::DecidedTable))
                } @else {
                    (lang.t(Text::DecisionOutdated))
                }
            }
            p class="small" {
                (lang.t(Text::DecisionKept)) ": "
                @for (index, id) in decision.kept_copies.iter().enumerate() {
                    @if index > 0 { ", " }
                    a href=(here.acta(*id, &table.id)) { (lang.t(Text::CopyWord)) " #" (id) }
                }
                " (" code class="hash" { (decision.keep_file_sha256) } " " (decision.keep_location) "); "
                (lang.t(Text::DecisionBy)) " " span class="pseudonym" { (decision.coordinator) }
                ", " time datetime=(decision.decided_at) { (decision.decided_at) } "."
            }
            p class="small" {
                (lang.t(Text::DecisionReason)) ": " q class="reason" { (decision.reason) }
            }
        }
    }
}

/// A contested table's copies side by side: each one's votes per candidate, so that anyone can
/// see what is at stake before a person decides.
fn versions(snapshot: &Snapshot, table: &TableView, lang: Lang) -> Markup {
    let election = snapshot.results.election();
    html! {
        table class="versions" {
            caption { (lang.t(Text::CopiesOfActa)) }
            thead {
                tr {
                    th scope="col" { (lang.t(Text::Candidate)) }
                    @for copy in &table.copies {
                        th scope="col" { (lang.t(Text::CopyWord)) " #" (copy.id) }
                    }
                }
            }
            tbody {
                @for (index, candidate) in election.candidates.iter().enumerate() {
                    tr {
                        th scope="row" { (candidate.name) }
                        @for copy in &table.copies {
                            td { (data("v", copy.candidate_votes.get(index).copied().unwrap_or(0), lang)) }
                        }
                    }
                }
                tr {
                    th scope="row" { (lang.t(Text::NullVotes)) }
                    @for copy in &table.copies {
                        td {
                            @match copy.null_votes {
                                Some(votes) => (data("null-votes", u64::from(votes), lang)),
                                None => (lang.t(Text::Unknown)),
                            }
                        }
                    }
                }
                @for count in &election.sheet.counts {
                    tr {
                        th scope="row" { (count.label(lang.tag())) }
                        @for copy in &table.copies {
                            td {
                                @match copy.declared_counts.iter().find(|c| c.id == count.id) {
                                    Some(found) => (data("count", u64::from(found.value), lang)),
                                    None => (lang.t(Text::Unknown)),
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
