//! The page of one acta copy: the scan beside the numbers read from it, its fingerprint, its
//! provenance and its place in the transparency log.

use maud::{Markup, html};
use veedor_core::{ActaCopy, AreaCode, Election};

use super::layout::{breadcrumb, layout};
use super::{Here, data, source_name, status_name};
use crate::api::{ActaDocument, AreaRef, CopyView};
use crate::i18n::{Lang, Text};
use crate::snapshot::Snapshot;

/// How to compute a file's SHA-256 on each system.
const HASH_COMMANDS: &str = "sha256sum FILE          # Linux\n\
                             shasum -a 256 FILE      # macOS\n\
                             certutil -hashfile FILE SHA256   # Windows";

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
    let title = acta_title(document, lang);
    let mut parents = vec![AreaRef::new(&snapshot.results, AreaCode::National)];
    parents.extend(document.areas.iter().cloned());
    let body = html! {
        (breadcrumb(election, &parents, lang, here))
        h1 { (title) }
        (acta_body(snapshot, document, copy, lang, here, &Ids::PAGE))
    };
    layout(Some(snapshot), lang, &title, here, &body, false)
}

/// An acta copy as a section of its centre's page (the compact mirror): the same as its page,
/// under `<article id="acta-<copy>">`, its headings two levels down and its ids prefixed, so
/// that many fit on one page.
pub(super) fn acta_block(
    snapshot: &Snapshot,
    document: &ActaDocument,
    copy: &ActaCopy,
    lang: Lang,
    here: &Here,
) -> Markup {
    let anchor = format!("acta-{}", document.copy.id);
    let ids = Ids {
        prefix: format!("{anchor}-"),
        level: 4,
    };
    html! {
        article class="acta-copy" id=(anchor) {
            h3 { (acta_title(document, lang)) }
            (acta_body(snapshot, document, copy, lang, here, &ids))
        }
    }
}

fn acta_title(document: &ActaDocument, lang: Lang) -> String {
    format!(
        "{} #{} {} {}",
        lang.t(Text::ActaTitle),
        document.copy.id,
        lang.t(Text::OfTable),
        document.table
    )
}

/// The ids and heading level of an acta's sections: on its own page, ids as they are and `h2`;
/// in a centre's page, ids prefixed by the copy's anchor and `h4`.
struct Ids {
    prefix: String,
    /// The level of the sections' headings; their sub-headings are one below.
    level: u8,
}

impl Ids {
    const PAGE: Self = Self {
        prefix: String::new(),
        level: 2,
    };

    fn id(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }
}

/// A heading of `level` (2 to 6).
fn heading(level: u8, id: Option<String>, content: &str) -> Markup {
    match level {
        2 => html! { h2 id=[id] { (content) } },
        3 => html! { h3 id=[id] { (content) } },
        4 => html! { h4 id=[id] { (content) } },
        5 => html! { h5 id=[id] { (content) } },
        _ => html! { h6 id=[id] { (content) } },
    }
}

/// Everything about a copy below its title.
fn acta_body(
    snapshot: &Snapshot,
    document: &ActaDocument,
    copy: &ActaCopy,
    lang: Lang,
    here: &Here,
    ids: &Ids,
) -> Markup {
    let election = snapshot.results.election();
    let view = &document.copy;
    let by_card = !document.cards.is_empty();
    let candidate_votes = election.candidates.iter().zip(&view.candidate_votes);
    html! {
        p {
            (lang.t(Text::Status)) " "
            a href=(here.table(&document.table)) { (lang.t(Text::TableWord)) " " (document.table) }
            ": " (status_name(document.table_status, lang)) "."
        }
        div class="acta" {
            @match &document.scan {
                // A static mirror without a small copy (the scan could not be decoded) links the
                // original only.
                Some(scan) if here.is_static() && scan.small_url == scan.url => {
                    p class="note scan" {
                        a id=(ids.id("scan-original")) href=(here.resource(&scan.url)) download {
                            (lang.t(Text::ScanOriginal))
                        }
                    }
                }
                Some(scan) => {
                    figure class="scan" {
                        a href=(here.resource(&scan.url)) {
                            img id=(ids.id("scan")) src=(here.resource(&scan.small_url))
                                alt={ (lang.t(Text::ScanSmallAlt)) " " (document.table) }
                                width="900";
                        }
                        figcaption {
                            a id=(ids.id("scan-original")) href=(here.resource(&scan.url)) download {
                                (lang.t(Text::ScanOriginal))
                            }
                        }
                    }
                }
                None => {
                    p class="note scan" { (lang.t(Text::ScanMissing)) }
                }
            }
            section class="decoded" aria-labelledby=(ids.id("decoded-h")) {
                (heading(ids.level, Some(ids.id("decoded-h")), lang.t(Text::Decoded)))
                table {
                    thead { tr {
                        @if by_card {
                            th scope="col" { (lang.t(Text::Card)) }
                        }
                        th scope="col" { (lang.t(Text::Candidate)) }
                        th scope="col" { (lang.t(Text::Votes)) }
                    } }
                    tbody {
                        @if by_card {
                            @for card in &document.cards {
                                tr {
                                    th scope="row" { (card.cell + 1) " " (card.party) }
                                    td {
                                        (election
                                            .candidates
                                            .iter()
                                            .find(|c| c.id == card.candidate)
                                            .map_or(card.candidate.as_str(), |c| c.name.as_str()))
                                    }
                                    td { (data("cell", u64::from(card.votes), lang)) }
                                }
                            }
                        } @else {
                            @for (candidate, votes) in candidate_votes.clone() {
                                tr {
                                    th scope="row" { (candidate.name) }
                                    td { (data(&format!("v-{}", candidate.id), *votes, lang)) }
                                }
                            }
                        }
                    }
                    tfoot {
                        @if by_card {
                            @for (candidate, votes) in candidate_votes.clone() {
                                tr {
                                    th scope="row" colspan="2" { (candidate.name) }
                                    td { (data(&format!("v-{}", candidate.id), *votes, lang)) }
                                }
                            }
                        }
                        (sheet_totals(view, election, by_card, lang))
                    }
                }
                @if !view.findings.is_empty() {
                    (heading(ids.level + 1, None, lang.t(Text::Findings)))
                    ul {
                        @for finding in &view.findings {
                            li {
                                strong { (finding.code) } " ("
                                (lang.t(if finding.error { Text::Error } else { Text::Warning }))
                                "): " (finding.detail)
                            }
                        }
                    }
                }
            }
        }
        (hash_section(copy, lang, ids))
        section aria-labelledby=(ids.id("prov-h")) {
            (heading(ids.level, Some(ids.id("prov-h")), lang.t(Text::Provenance)))
            (provenance_list(view, lang))
        }
        (log_section(document, lang, here, ids))
    }
}

/// The fingerprints of the published scan and of the original, and how to check them.
fn hash_section(copy: &ActaCopy, lang: Lang, ids: &Ids) -> Markup {
    html! {
            section aria-labelledby=(ids.id("hash-h")) {
                (heading(ids.level, Some(ids.id("hash-h")), lang.t(Text::HashTitle)))
                @if let Some(published) = copy.provenance.published_scan() {
                    p { (lang.t(Text::PublishedHashOf)) }
                    p { code id=(ids.id("published-sha256")) class="hash" { (published.to_hex()) } }
                    p { (lang.t(Text::OriginalHashOf)) }
                } @else {
                    p { (lang.t(Text::HashOf)) }
                }
                p { code id=(ids.id("sha256")) class="hash" { (copy.provenance.file_sha256.to_hex()) } }
                p { (lang.t(Text::HashHow)) }
                pre { (HASH_COMMANDS) }
            }
    }
}

fn provenance_list(copy: &CopyView, lang: Lang) -> Markup {
    let provenance = &copy.provenance;
    html! {
        dl class="provenance" {
            dt { (lang.t(Text::Source)) }
            dd { (source_name(provenance.source, lang)) }
            dt { (lang.t(Text::FileName)) }
            dd { (provenance.file_name) }
            dt { (lang.t(Text::Location)) }
            dd {
                @if provenance.location_kind == "page" {
                    (lang.t(Text::Page))
                } @else {
                    (lang.t(Text::Line))
                }
                " " (provenance.location)
            }
            dt { (lang.t(Text::Received)) }
            dd { (provenance.received_at) }
            @if let Some(device) = &provenance.device {
                dt { (lang.t(Text::Device)) }
                dd { (device) }
            }
            @if let Some(volunteer) = &provenance.volunteer {
                dt { (lang.t(Text::Volunteer)) }
                dd { (volunteer) }
            }
            @if !provenance.entered_by.is_empty() {
                dt { (lang.t(Text::EnteredBy)) }
                dd { (provenance.entered_by.join(", ")) }
            }
        }
    }
}

/// Where the copy is in the transparency log, and how to check that the signed checkpoint
/// includes it.
fn log_section(document: &ActaDocument, lang: Lang, here: &Here, ids: &Ids) -> Markup {
    html! {
        section id=(ids.id("log")) aria-labelledby=(ids.id("log-h")) {
            (heading(ids.level, Some(ids.id("log-h")), lang.t(Text::LogTitle)))
            @if let Some(proof) = &document.log {
                @let checkpoint = &proof.checkpoint;
                p {
                    (lang.t(Text::LogEntryIs)) " " (data("log-index", proof.index, lang)) ". "
                    (lang.t(Text::LogIncluded)) " "
                    a href=(here.resource(&checkpoint.url)) {
                        (lang.t(Text::LogCheckpointOf)) " "
                        (data("checkpoint-size", checkpoint.size, lang))
                        " " (lang.t(Text::LogEntries))
                    }
                    "."
                }
                dl class="provenance" {
                    dt { (lang.t(Text::LogBundle)) }
                    dd {
                        a id=(ids.id("entry-bundle")) href=(here.resource(&proof.entry_bundle)) {
                            (proof.entry_bundle.trim_start_matches('/'))
                        }
                        ", " (lang.t(Text::LogPosition)) " " (proof.position_in_bundle)
                    }
                    dt { (lang.t(Text::LogLeafHash)) }
                    dd { code id=(ids.id("leaf-hash")) class="hash" { (proof.leaf_hash) } }
                    dt { (lang.t(Text::LogRoot)) }
                    dd {
                        code id=(ids.id("root")) class="hash" { (checkpoint.root) }
                        " (base64 " code { (checkpoint.root_base64) } ")"
                    }
                    dt { (lang.t(Text::LogName)) }
                    dd { code { (checkpoint.origin) } }
                }
                (heading(ids.level + 1, None, lang.t(Text::LogProof)))
                ol id=(ids.id("inclusion-proof")) class="hashes" {
                    @for hash in &proof.inclusion_proof {
                        li { code class="hash" { (hash) } }
                    }
                }
                (heading(ids.level + 1, None, lang.t(Text::LogHowTitle)))
                ol {
                    li { (lang.t(Text::LogHowEntry)) }
                    li { (lang.t(Text::LogHowLeaf)) }
                    li { (lang.t(Text::LogHowProof)) }
                    li { (lang.t(Text::LogHowSignature)) }
                }
            } @else {
                p {
                    @match document.copy.log_index {
                        Some(index) => {
                            (lang.t(Text::LogEntryIs)) " " (data("log-index", index, lang)) ". "
                            (lang.t(Text::LogNotYet))
                        }
                        None => (lang.t(Text::LogNone)),
                    }
                }
            }
        }
    }
}

/// The rows under the votes: the null votes, a sealed sheet's signature, and the counts the
/// election file declares for the sheet, each as the copy gives it or "unknown".
fn sheet_totals(view: &CopyView, election: &Election, by_card: bool, lang: Lang) -> Markup {
    let span = if by_card { 2 } else { 1 };
    let known = |id: &str, value: Option<u32>| match value {
        Some(value) => data(id, u64::from(value), lang),
        None => html! { (lang.t(Text::Unknown)) },
    };
    html! {
        tr {
            th scope="row" colspan=(span) { (lang.t(Text::NullVotes)) }
            td { (known("null-votes", view.null_votes)) }
        }
        @if let Some(seal) = &view.seal {
            tr {
                th scope="row" colspan=(span) { (lang.t(Text::Seal)) }
                td {
                    @match seal.split_once(':') {
                        Some(("verified", key)) => { (lang.t(Text::SealVerified)) " " code { (key) } }
                        Some(("unchecked", why)) => { (lang.t(Text::SealUnchecked)) " " code { (why) } }
                        Some((_, why)) => { (lang.t(Text::SealBroken)) " " code { (why) } }
                        None => { (lang.t(Text::SealBroken)) " " code { (seal) } }
                    }
                }
            }
        }
        @for count in &election.sheet.counts {
            tr {
                th scope="row" colspan=(span) { (count.label(lang.tag())) }
                td {
                    (known(
                        &format!("count-{}", count.id),
                        view.declared_counts.iter().find(|c| c.id == count.id).map(|c| c.value),
                    ))
                }
            }
        }
    }
}
