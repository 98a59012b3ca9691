//! Renders the public site's biggest pages again and again and reports the time per page: the
//! measurement behind how `veedor-web` writes its HTML (BENCHMARKS.md, "Rendering pages").
//! Rendering only: each page's document is built once, as the server builds it per request.
//!
//! Pages: the nation (the lookup form, the states, the official bulletins), the largest area
//! page in bytes (an area with many areas below it) and the centre with the most tables. Each
//! round renders every page once, in turn, so that a busy machine slows them alike.
//!
//! Usage: `page_render DATA_FOLDER [ROUNDS]` (a data folder with the 2024 results imported).

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use veedor_core::{AreaCode, Registry, Results};
use veedor_store::ResultStore;
use veedor_store_sqlite::SqliteStore;
use veedor_web::api::{self, AreaDocument, AreaRef};
use veedor_web::i18n::Lang;
use veedor_web::pages::{self, Here};
use veedor_web::snapshot::Snapshot;

struct Page {
    name: String,
    document: AreaDocument,
    here: Here,
    bytes: usize,
    nanos: Vec<u64>,
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let folder = PathBuf::from(
        args.next()
            .context("usage: page_render DATA_FOLDER [ROUNDS]")?,
    );
    let rounds: usize = args.next().map_or(Ok(2000), |n| n.parse())?;
    let store = SqliteStore::open(&folder, &|text| {
        veedor_formats::parse_election(text).map_err(|e| e.to_string())
    })?;
    let results = Results::compute(store.load_dataset()?);
    let snapshot = Snapshot::build(results, Arc::new(Registry::empty()), None, &store.blobs());
    let results = &snapshot.results;
    let lang = Lang::Es;
    let page = |area: AreaCode| -> anyhow::Result<Page> {
        let document = api::area_document(results, area, lang.tag())
            .context("an area of the tally has no document")?;
        let reference = AreaRef::new(results, area);
        let (path, json) = if area == AreaCode::National {
            ("/".to_owned(), "/api/v1/area/national".to_owned())
        } else {
            let path = format!("area/{}/{}", reference.level, reference.code);
            (format!("/{path}"), format!("/api/v1/{path}"))
        };
        let here = Here::new(path.clone(), Some(json));
        let bytes = pages::area_page(&snapshot, &document, lang, &here).len();
        Ok(Page {
            name: path,
            document,
            here,
            bytes,
            nanos: Vec::with_capacity(rounds),
        })
    };

    // The largest area page of all, and the centre with the most tables.
    let levels = results.election().geography.levels.len();
    let mut largest: Option<Page> = None;
    let mut centre: Option<(usize, AreaCode)> = None;
    for level in 0..levels {
        for (area, _) in results.tally.level(level) {
            let candidate = page(area)?;
            if level + 1 == levels {
                let tables = candidate.document.tables.len();
                if centre.is_none_or(|(most, _)| tables > most) {
                    centre = Some((tables, area));
                }
            } else if largest.as_ref().is_none_or(|l| candidate.bytes > l.bytes) {
                largest = Some(candidate);
            }
        }
    }
    let mut pages = vec![page(AreaCode::National)?];
    pages.extend(largest);
    if let Some((_, area)) = centre {
        pages.push(page(area)?);
    }

    for _ in 0..rounds {
        for page in &mut pages {
            let started = Instant::now();
            let html = pages::area_page(&snapshot, &page.document, lang, &page.here);
            let elapsed = started.elapsed();
            black_box(html);
            page.nanos.push(u64::try_from(elapsed.as_nanos())?);
        }
    }
    println!("{rounds} rounds; microseconds per page (Spanish, as served)");
    println!(
        "{:<28} {:>8} {:>8} {:>8} {:>8}",
        "page", "bytes", "p10", "median", "p90"
    );
    for page in &mut pages {
        page.nanos.sort_unstable();
        let at = |fraction: usize| page.nanos[(page.nanos.len() - 1) * fraction / 100];
        println!(
            "{:<28} {:>8} {:>8.1} {:>8.1} {:>8.1}",
            page.name,
            page.bytes,
            micros(at(10)),
            micros(at(50)),
            micros(at(90)),
        );
    }
    Ok(())
}

fn micros(nanos: u64) -> f64 {
    Duration::from_nanos(nanos).as_secs_f64() * 1e6
}
