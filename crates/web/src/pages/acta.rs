//! The page of one acta copy: the scan beside the numbers read from it, its fingerprint, its
//! provenance and its place in the transparency log.

use std::fmt::Write as _;

use veedor_core::{ActaCopy, AreaCode};

use super::layout::{breadcrumb, layout};
use super::{Here, data, esc, source_name, status_name};
use crate::api::{ActaDocument, AreaRef, CopyView};
use crate::i18n::{Lang, Text};
use crate::snapshot::Snapshot;

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
