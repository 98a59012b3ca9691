//! The voter lookup: its form (on the home page too) and its page with what was found.

use std::fmt::Write as _;

use veedor_core::AreaCode;

use super::layout::{breadcrumb, layout};
use super::links::Links;
use super::table::table_block;
use super::{Here, esc};
use crate::api::{AreaRef, TableView};
use crate::i18n::{Lang, Text};
use crate::snapshot::Snapshot;

/// The lookup form, with the id typed so far. On the server it asks `/lookup`; in a static
/// mirror a script answers it from the registry's shards, and without script the page says to
/// browse by geography instead.
#[must_use]
pub fn lookup_form(snapshot: &Snapshot, lang: Lang, value: &str, here: &Here) -> String {
    let fields = |action: &str, attributes: &str, hidden: &str| {
        format!(
            "<form class=\"lookup\" action=\"{action}\" method=\"get\" role=\"search\"{attributes}>\
             <label for=\"voter_id\">{label}</label>\
             <div><input id=\"voter_id\" name=\"voter_id\" type=\"text\" inputmode=\"numeric\" \
             autocomplete=\"off\" maxlength=\"24\" required value=\"{value}\" aria-describedby=\"voter_id_hint\">\
             {hidden}<button type=\"submit\">{button}</button></div><p id=\"voter_id_hint\" class=\"small\">{hint}</p>",
            action = esc(action),
            label = lang.t(Text::LookupLabel),
            value = esc(value),
            button = lang.t(Text::LookupButton),
            hint = lang.t(Text::LookupHint),
        )
    };
    let Links::Static { lookup, .. } = &here.links else {
        let hidden = format!(
            "<input type=\"hidden\" name=\"lang\" value=\"{}\">",
            lang.tag()
        );
        return fields(&here.lookup(), "", &hidden) + "</form>";
    };
    let browse = format!(
        "<a href=\"{}#children\">{}</a>",
        esc(&here.home()),
        lang.t(Text::StaticBrowse)
    );
    let Some(lookup) = lookup else {
        return format!(
            "<p class=\"note\" id=\"no-lookup\">{} {browse}.</p>",
            lang.t(Text::StaticNoLookup)
        );
    };
    let election = snapshot.results.election();
    let attributes = format!(
        " data-shards=\"{shards}\" data-salt=\"{salt}\" data-bits=\"{bits}\" \
         data-centre-digits=\"{digits}\" data-prefixes=\"{prefixes}\" data-tables=\"{tables}\" \
         data-msg-invalid=\"{invalid}\" data-msg-not-found=\"{not_found}\" \
         data-msg-searching=\"{searching}\" data-msg-failed=\"{failed}\"",
        shards = esc(&here.resource("/lookup/")),
        salt = esc(&lookup.salt),
        bits = lookup.shard_bits,
        digits = election.geography.centre_digits,
        prefixes = esc(&election.voter_id_prefixes.join(",")),
        tables = esc(&here.page("/table/", "table/")),
        invalid = esc(lang.t(Text::LookupInvalid)),
        not_found = esc(lang.t(Text::LookupNotFound)),
        searching = esc(lang.t(Text::StaticSearching)),
        failed = esc(lang.t(Text::StaticFailed)),
    );
    fields(&here.lookup(), &attributes, "")
        + &format!(
            "<p id=\"lookup-status\" class=\"note\" role=\"status\" aria-live=\"polite\" hidden></p>\
             <noscript><p class=\"note\" id=\"noscript\">{} {browse}.</p></noscript></form>",
            lang.t(Text::StaticNoScript)
        )
}

/// What a lookup found, or the polite answer that it found nothing.
#[derive(Debug)]
pub enum LookupOutcome<'a> {
    /// No id asked yet: just the form.
    Form,
    /// The voter's table.
    Found {
        /// The id as typed back (the number).
        voter: String,
        /// The table.
        table: &'a TableView,
    },
    /// Not in the registry.
    NotFound {
        /// The number.
        voter: String,
    },
    /// What was typed is not an id.
    Invalid {
        /// What was typed.
        typed: String,
    },
    /// No registry is loaded.
    NoRegistry,
}

/// The lookup page.
#[must_use]
pub fn lookup_page(
    snapshot: &Snapshot,
    outcome: &LookupOutcome<'_>,
    lang: Lang,
    here: &Here,
) -> String {
    let election = snapshot.results.election();
    let title = lang.t(Text::LookupTitle);
    let mut body = format!("<h1>{title}</h1><p>{}</p>", lang.t(Text::LookupIntro));
    let typed = match outcome {
        LookupOutcome::Found { voter, .. } | LookupOutcome::NotFound { voter } => voter.as_str(),
        LookupOutcome::Invalid { typed } => typed.as_str(),
        LookupOutcome::Form | LookupOutcome::NoRegistry => "",
    };
    body.push_str(&lookup_form(snapshot, lang, typed, here));
    match outcome {
        LookupOutcome::Form => {}
        LookupOutcome::Found { voter, table } => {
            let centre = table.areas.last();
            let _ = write!(
                body,
                "<section id=\"found\" aria-live=\"polite\"><h2>{id_word} {voter} {votes_at} \
                 {table_word} {number} {of_centre} {centre}</h2>",
                id_word = lang.t(Text::LookupFoundVoter),
                voter = esc(voter),
                votes_at = lang.t(Text::LookupVotesAt),
                table_word = lang.t(Text::TableWord).to_lowercase(),
                number = table.number,
                of_centre = lang.t(Text::LookupOfCentre),
                centre = esc(&centre
                    .and_then(|c| c.name.clone())
                    .unwrap_or_else(|| table.centre_code.clone())),
            );
            let mut parents = vec![AreaRef::new(&snapshot.results, AreaCode::National)];
            parents.extend(table.areas.iter().cloned());
            body.push_str(&breadcrumb(election, &parents, lang, here));
            if let Some(centre) = centre {
                let _ = write!(
                    body,
                    "<p><a id=\"centre-link\" href=\"{}\">{}</a></p>",
                    esc(&here.area(centre)),
                    lang.t(Text::LookupSeeCentre)
                );
            }
            body.push_str(&table_block(snapshot, table, lang, "h3", here));
            body.push_str("</section>");
        }
        LookupOutcome::NotFound { .. } => {
            let _ = write!(
                body,
                "<p id=\"not-found\" class=\"note\" role=\"status\">{}</p>",
                lang.t(Text::LookupNotFound)
            );
        }
        LookupOutcome::Invalid { .. } => {
            let _ = write!(
                body,
                "<p id=\"invalid\" class=\"note\" role=\"alert\">{}</p>",
                lang.t(Text::LookupInvalid)
            );
        }
        LookupOutcome::NoRegistry => {
            let _ = write!(
                body,
                "<p class=\"note\" role=\"status\">{}</p>",
                lang.t(Text::LookupNoRegistry)
            );
        }
    }
    layout(Some(snapshot), lang, title, here, &body, true)
}
