//! The page of an error (its response is made in `crate::error`).

use maud::html;

use super::Here;
use super::layout::layout;
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
    let body = html! {
        h1 { (title) }
        p class="note" role="alert" { (text) }
        p class="small" { (lang.t(Text::Reference)) ": " code { (reference) } }
        @if !lookup_form_again {
            p { a href="/" { (lang.t(Text::BackHome)) } }
        }
    };
    layout(snapshot, lang, title, &Here::new("/", None), &body, false)
}
