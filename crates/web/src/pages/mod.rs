//! The HTML pages, written by hand from the same documents the API serves: no template engine,
//! no JavaScript, one small stylesheet. Numbers that tests and scrapers read carry their value
//! in a `<data value>` element, whatever the language writes.
//!
//! Honesty rules every page keeps: a result is always shown with its coverage (tables and
//! registered voters counted, out of how many), and a percentage never without the number of
//! tables it is based on.
//!
//! One file per kind of page (`area.rs`, `table.rs`, `lookup.rs`, `acta.rs`, `method.rs`,
//! `error.rs`), the frame around them in `layout.rs`, and where links point in `links.rs`. Every
//! text that does not come from this crate (names, file names, what a visitor typed) goes
//! through [`esc`]; the texts of [`crate::i18n`] and numbers are written as they are.

mod acta;
mod area;
mod error;
mod layout;
mod links;
mod lookup;
mod method;
mod table;

use veedor_core::{Election, SourceKind};

use crate::i18n::{Lang, Text};

pub use self::acta::acta_page;
pub use self::area::area_page;
pub use self::error::error_page;
pub use self::links::{Here, StaticLookup};
pub use self::lookup::{LookupOutcome, lookup_form, lookup_page};
pub use self::method::method_page;
pub use self::table::table_page;

/// The stylesheet, served at `/static/style.css`.
pub const STYLE: &str = include_str!("../style.css");

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

fn level_name<'a>(election: &'a Election, level: &'a str, lang: Lang) -> &'a str {
    election
        .geography
        .levels
        .iter()
        .find(|l| l.id == level)
        .map_or(level, |l| l.name.get(lang.tag()))
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

fn status_name(status: &str, lang: Lang) -> &'static str {
    match status {
        "accepted" => lang.t(Text::StatusAccepted),
        "corroborated" => lang.t(Text::StatusCorroborated),
        "conflict" => lang.t(Text::StatusConflict),
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
