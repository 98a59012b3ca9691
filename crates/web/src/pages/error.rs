//! The page of an error (its response is made in `crate::error`).

use std::fmt::Write as _;

use super::layout::layout;
use super::{Here, esc};
use crate::i18n::{Lang, Text};
use crate::snapshot::Snapshot;

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
