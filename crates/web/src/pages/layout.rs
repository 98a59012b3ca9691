//! The frame of every page (head, navigation, footer) and the breadcrumb.

use std::fmt::Write as _;

use veedor_core::Election;

use super::{Here, esc, level_name};
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
    body: &str,
    script: bool,
) -> String {
    let mut out = String::with_capacity(body.len() + 2048);
    let site = lang.t(Text::SiteName);
    let other = lang.other();
    let _ = write!(
        out,
        "<!doctype html><html lang=\"{tag}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">",
        tag = lang.tag(),
    );
    if here.is_static() {
        // A static host sends no security headers of ours: the page states its own policy.
        let _ = write!(
            out,
            "<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\
             <meta name=\"referrer\" content=\"no-referrer\">",
            crate::site::STATIC_CSP
        );
    }
    let _ = write!(
        out,
        "<title>{title} · {site}</title><link rel=\"stylesheet\" href=\"{style}\">",
        title = esc(title),
        style = esc(&here.resource("/static/style.css")),
    );
    if script && here.is_static() {
        let _ = write!(
            out,
            "<script src=\"{}\" defer></script>",
            esc(&here.resource("/static/lookup.js"))
        );
    }
    if let Some(json) = here.json_href() {
        let _ = write!(
            out,
            "<link rel=\"alternate\" type=\"application/json\" href=\"{}\">",
            esc(&json)
        );
    }
    let home = esc(&here.home());
    let _ = write!(
        out,
        "</head><body><a class=\"skip\" href=\"#main\">{skip}</a><header><nav aria-label=\"{site}\">\
         <a class=\"brand\" href=\"{home}\">{site}</a> <a href=\"{home}\">{results}</a> \
         <a href=\"{lookup_href}\">{lookup}</a> <a href=\"{method_href}\">{method}</a> \
         <a class=\"lang\" href=\"{switch}\" hreflang=\"{other_tag}\" lang=\"{other_tag}\">{other_name}</a>\
         </nav></header><main id=\"main\">",
        skip = lang.t(Text::SkipToContent),
        results = lang.t(Text::NavResults),
        lookup_href = esc(&here.lookup()),
        lookup = lang.t(Text::NavLookup),
        method_href = esc(&here.method()),
        method = lang.t(Text::NavMethod),
        switch = esc(&here.switch(other)),
        other_tag = other.tag(),
        other_name = other.own_name(),
    );
    out.push_str(body);
    out.push_str("</main><footer>");
    if let Some(snapshot) = snapshot {
        let as_of = if here.is_static() {
            lang.t(Text::DataAsOfCheckpoint)
        } else {
            lang.t(Text::DataAsOf)
        };
        let _ = write!(
            out,
            "<p>{as_of} {} UTC.",
            snapshot.loaded_at.strftime("%Y-%m-%d %H:%M")
        );
        if let Some(json) = here.json_href() {
            let _ = write!(
                out,
                " <a href=\"{}\" type=\"application/json\">{}</a>",
                esc(&json),
                lang.t(Text::AsJson)
            );
        }
        if let Some(log) = &snapshot.log {
            let _ = write!(
                out,
                " {} <a href=\"{}\">{} {}</a>.",
                lang.t(Text::FooterLog),
                esc(&here.resource("/log/checkpoint")),
                lang.t(Text::FooterCheckpoint),
                lang.int(log.size()),
            );
        }
        out.push_str("</p>");
    }
    let _ = write!(
        out,
        "<p>{}</p></footer></body></html>",
        lang.t(Text::Footer)
    );
    out
}

pub(super) fn breadcrumb(
    election: &Election,
    parents: &[AreaRef],
    lang: Lang,
    here: &Here,
) -> String {
    if parents.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "<nav class=\"crumbs\" aria-label=\"{}\"><ol>",
        lang.t(Text::UpTo)
    );
    for parent in parents {
        let label = if parent.level == "national" {
            lang.t(Text::National).to_owned()
        } else {
            format!(
                "{} {}",
                level_name(election, &parent.level, lang),
                parent.name.as_deref().unwrap_or(&parent.code)
            )
        };
        let _ = write!(
            out,
            "<li><a href=\"{}\">{}</a></li>",
            esc(&here.area(parent)),
            esc(&label)
        );
    }
    out.push_str("</ol></nav>");
    out
}
