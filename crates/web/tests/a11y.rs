//! Every kind of page a person reads on the site, in Spanish and English, passes axe-core's
//! WCAG 2.1 A and AA rules with no serious or critical violation, at a phone's width and
//! without JavaScript (`tests/a11y/axe.mjs`, docs/web.md "Accessibility"). Fails, never skips,
//! when node, the harness or Chromium is missing.

use veedor_core::{SourceKind, TableId};
use veedor_store::prelude::*;
use veedor_web::ServeOptions;

use crate::log::signed_fixture;
use crate::support::axe::{Page, check_pages};
use crate::support::{CONFLICT_TABLE, SCANNED_TABLE, start_server_with, voter_of};

/// Serious or critical violations known today, each (rule, page kind), to be fixed in the
/// renderer (`crates/web/src/pages/`) or explained; the harness fails once one no longer occurs,
/// so that this list only shrinks. Everything else on every page is checked.
const KNOWN: &[(&str, &str)] = &[
    // The signed checkpoint is `text/plain` (a C2SP signed note, for machines and for checking
    // by hand); Chromium shows it in its own text document, which has no title and no language.
    ("document-title", "log-checkpoint"),
    ("html-has-lang", "log-checkpoint"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_page_passes_axe_at_phone_width_without_javascript() {
    // With a signed checkpoint, as `veedor serve` runs: acta pages show their inclusion proof.
    let (fixture, key, _) = signed_fixture();
    let dataset = fixture.writer.load_dataset().unwrap();
    let scanned_table = TableId::parse(SCANNED_TABLE, 9).unwrap();
    let typed_copy = dataset
        .copies
        .iter()
        .find(|copy| {
            copy.provenance.source == SourceKind::CsvImport && copy.record.table == scanned_table
        })
        .unwrap()
        .id
        .get();
    let voter = voter_of(&fixture, SCANNED_TABLE);
    let (address, stop) = start_server_with(
        &fixture,
        ServeOptions {
            lookup_limit_per_minute: 0,
            log_key: Some(key.verifier_key()),
            ..ServeOptions::default()
        },
    )
    .await;
    let base = format!("http://{address}");

    let (centre, _) = SCANNED_TABLE.split_once('.').unwrap();
    let kinds: Vec<(&str, String, u16)> = vec![
        ("home", "/".to_owned(), 200),
        ("state", format!("/area/state/{}", &centre[..2]), 200),
        ("parish", format!("/area/parish/{}", &centre[..6]), 200),
        ("centre", format!("/area/centre/{centre}"), 200),
        ("table", format!("/table/{SCANNED_TABLE}"), 200),
        ("table-conflict", format!("/table/{CONFLICT_TABLE}"), 200),
        ("acta-scan", format!("/acta/{}", fixture.scan_copy), 200),
        ("acta-typed", format!("/acta/{typed_copy}"), 200),
        ("lookup-form", "/lookup".to_owned(), 200),
        ("lookup-found", format!("/lookup?voter_id={voter}"), 200),
        (
            "lookup-unknown",
            "/lookup?voter_id=99999999".to_owned(),
            404,
        ),
        ("lookup-invalid", "/lookup?voter_id=abc".to_owned(), 400),
        ("method", "/method".to_owned(), 200),
        ("analysis", "/analysis".to_owned(), 200),
        (
            "analysis-state",
            format!("/analysis/state/{}", &centre[..2]),
            200,
        ),
        ("not-found", "/no/such/page".to_owned(), 404),
    ];
    let mut pages = Vec::new();
    for lang in ["es", "en"] {
        for (kind, path, status) in &kinds {
            let join = if path.contains('?') { '&' } else { '?' };
            pages.push(Page::new(
                format!("{kind}-{lang}"),
                format!("{base}{path}{join}lang={lang}"),
                *status,
            ));
        }
    }
    // The transparency log, linked from every page's footer.
    pages.push(Page::new(
        "log-checkpoint",
        format!("{base}/log/checkpoint"),
        200,
    ));

    let report = tokio::task::spawn_blocking(move || check_pages("site", &pages, KNOWN))
        .await
        .unwrap();
    // No page of the server loads a script, so each was checked once, without JavaScript.
    assert_eq!(
        report["pages"].as_array().unwrap().len(),
        kinds.len() * 2 + 1
    );
    let _ = stop.send(());
}
