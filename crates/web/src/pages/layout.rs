//! The frame of every page (head, navigation, footer) and the breadcrumb.

use maud::{Markup, PreEscaped, html};
use veedor_core::Election;

use super::{Here, level_name};
use crate::api::AreaRef;
use crate::i18n::{Lang, Text};
use crate::snapshot::Snapshot;

/// The page around a body: head, navigation, footer. `script`: the page has a lookup form,
/// which a static mirror's script answers.
pub(super) fn layout(
    snapshot: Option<&Snapshot>,
    lang: Lang,
    title: &str,
    here: &Here,
    body: &Markup,
    script: bool,
) -> String {
    let site = lang.t(Text::SiteName);
    let other = lang.other();
    let home = here.home();
    let json = here.json_href();
    let page = html! {
        // maud's DOCTYPE is upper case; the pages have always said it in lower case.
        (PreEscaped("<!doctype html>"))
        html lang=(lang.tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width,initial-scale=1";
                @if here.is_static() {
                    // A static host sends no security headers of ours: the page states its own
                    // policy.
                    meta http-equiv="Content-Security-Policy" content=(crate::site::STATIC_CSP);
                    meta name="referrer" content="no-referrer";
                }
                title { (title) " · " (site) }
                link rel="stylesheet" href=(here.resource("/static/style.css"));
                @if script && here.is_static() {
                    script src=(here.resource("/static/hash-wasm-scrypt.js")) defer {}
                    script src=(here.resource("/static/lookup-lane.js")) defer {}
                    script src=(here.resource("/static/lookup.js")) defer {}
                }
                @if let Some(json) = &json {
                    link rel="alternate" type="application/json" href=(json);
                }
            }
            body {
                a class="skip" href="#main" { (lang.t(Text::SkipToContent)) }
                header { nav aria-label=(site) {
                    a class="brand" href=(home) { (site) } " "
                    a href=(home) { (lang.t(Text::NavResults)) } " "
                    a href=(here.lookup()) { (lang.t(Text::NavLookup)) } " "
                    a href=(here.method()) { (lang.t(Text::NavMethod)) }
                    @if here.has_switch() {
                        " "
                        a class="lang" href=(here.switch(other)) hreflang=(other.tag())
                            lang=(other.tag()) {
                            (other.own_name())
                        }
                    }
                } }
                main id="main" { (body) }
                footer {
                    @if let Some(snapshot) = snapshot {
                        p {
                            @if here.is_static() {
                                (lang.t(Text::DataAsOfCheckpoint))
                            } @else {
                                (lang.t(Text::DataAsOf))
                            }
                            " " (snapshot.loaded_at.strftime("%Y-%m-%d %H:%M")) " UTC."
                            @if let Some(json) = &json {
                                " " a href=(json) type="application/json" { (lang.t(Text::AsJson)) }
                            }
                            @if let Some(log) = &snapshot.log {
                                " " (lang.t(Text::FooterLog)) " "
                                a href=(here.resource("/log/checkpoint")) {
                                    (lang.t(Text::FooterCheckpoint)) " " (lang.int(log.size()))
                                }
                                "."
                            }
                        }
                    }
                    p { (lang.t(Text::Footer)) }
                }
            }
        }
    };
    page.into_string()
}

/// The breadcrumb: the areas above a page.
pub(super) fn breadcrumb(
    election: &Election,
    parents: &[AreaRef],
    lang: Lang,
    here: &Here,
) -> Markup {
    html! {
        @if !parents.is_empty() {
            nav class="crumbs" aria-label=(lang.t(Text::UpTo)) { ol {
                @for parent in parents {
                    li { a href=(here.area(parent)) {
                        @if parent.level == "national" {
                            (lang.t(Text::National))
                        } @else {
                            (level_name(election, &parent.level, lang)) " "
                            (parent.name.as_deref().unwrap_or(&parent.code))
                        }
                    } }
                }
            } }
        }
    }
}
