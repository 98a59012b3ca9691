//! The HTML pages, written from the same documents the API serves: no template files,
//! no JavaScript, one small stylesheet. Numbers that tests and scrapers read carry their value
//! in a `<data value>` element, whatever the language writes.
//!
//! Honesty rules every page keeps: a result is always shown with its coverage (tables and
//! registered voters counted, out of how many), and a percentage never without the number of
//! tables it is based on.
//!
//! One file per kind of page (`area.rs`, `table.rs`, `lookup.rs`, `acta.rs`, `method.rs`,
//! `error.rs`), the frame around them in `layout.rs`, and where links point in `links.rs`. The
//! HTML is written with maud's `html!`, which escapes everything spliced into it (chosen by
//! measurement over `write!` with an escaping helper: BENCHMARKS.md, "Rendering pages"). The
//! only raw HTML (`PreEscaped`) is the doctype, the SVG chart's empty `<rect/>` (numbers and a
//! checked colour) and the method page's text (this crate's own, with escaped links put in).

mod acta;
mod analysis;
mod area;
mod error;
mod layout;
mod links;
mod lookup;
mod method;
mod table;

use maud::{Markup, html};
use veedor_core::{Election, SourceKind};

use crate::i18n::{Lang, Text};

pub use self::acta::acta_page;
pub use self::analysis::{analysis_page, bound_paragraph};
pub use self::area::{area_page, centre_page};
pub use self::error::error_page;
pub use self::links::{Here, StaticLookup, StaticShape};
pub use self::lookup::{LookupOutcome, lookup_page};
pub use self::method::method_page;
pub use self::table::table_page;

/// The stylesheet, served at `/static/style.css`.
pub const STYLE: &str = include_str!("../style.css");

fn level_name<'a>(election: &'a Election, level: &'a str, lang: Lang) -> &'a str {
    election
        .geography
        .levels
        .iter()
        .find(|l| l.id == level)
        .map_or(level, |l| l.name.get(lang.tag()))
}

fn status_name(status: &str, lang: Lang) -> &'static str {
    match status {
        "accepted" => lang.t(Text::StatusAccepted),
        "corroborated" => lang.t(Text::StatusCorroborated),
        "conflict" => lang.t(Text::StatusConflict),
        "decided" => lang.t(Text::StatusDecided),
        "awaiting_person" => lang.t(Text::StatusAwaiting),
        _ => lang.t(Text::StatusMissing),
    }
}

fn source_name(source: &str, lang: Lang) -> &'static str {
    match SourceKind::parse(source) {
        Some(SourceKind::Qr) => lang.t(Text::SourceQr),
        Some(SourceKind::ManualEntry) => lang.t(Text::SourceManual),
        Some(SourceKind::CsvImport) => lang.t(Text::SourceCsv),
        _ => lang.t(Text::SourcePayload),
    }
}

/// A number in a `<data>` element: tests and scrapers read the value, whatever the language
/// writes.
fn data(class: &str, value: u64, lang: Lang) -> Markup {
    html! { data class=(class) value=(value) { (lang.int(value)) } }
}

/// A number in a `<data>` element without a class: in long lists, where every byte counts.
fn plain_data(value: u64, lang: Lang) -> Markup {
    html! { data value=(value) { (lang.int(value)) } }
}
