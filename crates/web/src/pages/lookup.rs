//! The voter lookup: its form (on the home page too) and its page with what was found.

use maud::{Markup, html};
use veedor_core::AreaCode;

use super::Here;
use super::layout::{breadcrumb, layout};
use super::links::Links;
use super::table::table_block;
use crate::api::{AreaRef, TableView};
use crate::i18n::{Lang, Text};
use crate::snapshot::Snapshot;

fn fields(lang: Lang, value: &str, hidden: Markup) -> Markup {
    html! {
        label for="voter_id" { (lang.t(Text::LookupLabel)) }
        div {
            input id="voter_id" name="voter_id" type="text" inputmode="numeric" autocomplete="off"
                maxlength="24" required value=(value) aria-describedby="voter_id_hint";
            (hidden)
            button type="submit" { (lang.t(Text::LookupButton)) }
        }
        p id="voter_id_hint" class="small" { (lang.t(Text::LookupHint)) }
    }
}

/// The lookup form, with the id typed so far. On the server it asks `/lookup`; in a static
/// mirror a script answers it from the registry's shards, and without script the page says to
/// browse by geography instead.
pub(super) fn lookup_form(snapshot: &Snapshot, lang: Lang, value: &str, here: &Here) -> Markup {
    let Links::Static { lookup, .. } = &here.links else {
        return html! {
            form class="lookup" action=(here.lookup()) method="get" role="search" {
                (fields(lang, value, html! { input type="hidden" name="lang" value=(lang.tag()); }))
            }
        };
    };
    let browse = html! { a href={ (here.home()) "#children" } { (lang.t(Text::StaticBrowse)) } };
    let Some(lookup) = lookup else {
        return html! {
            p class="note" id="no-lookup" { (lang.t(Text::StaticNoLookup)) " " (browse) "." }
        };
    };
    let election = snapshot.results.election();
    html! {
        form class="lookup" action=(here.lookup()) method="get" role="search"
            data-shards=(here.resource("/lookup/")) data-salt=(lookup.salt)
            data-bits=(lookup.shard_bits) data-kdf="scrypt" data-log-n=(lookup.kdf.log_n)
            data-r=(lookup.kdf.r) data-p=(lookup.kdf.p) data-lanes=(lookup.kdf.lanes)
            data-worker=(here.resource("/static/lookup-lane.js"))
            data-centre-digits=(election.geography.centre_digits)
            data-prefixes=(election.voter_id_prefixes.join(","))
            data-tables=[here.centre_pages().is_none().then(|| here.page("/table/", "table/"))]
            data-centres=[here.centre_pages()]
            data-msg-invalid=(lang.t(Text::LookupInvalid))
            data-msg-not-found=(lang.t(Text::LookupNotFound))
            data-msg-searching=(lang.t(Text::StaticSearching))
            data-msg-failed=(lang.t(Text::StaticFailed)) {
            (fields(lang, value, html! {}))
            p id="lookup-status" class="note" role="status" aria-live="polite" hidden {}
            noscript {
                p class="note" id="noscript" { (lang.t(Text::StaticNoScript)) " " (browse) "." }
            }
        }
    }
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
    let typed = match outcome {
        LookupOutcome::Found { voter, .. } | LookupOutcome::NotFound { voter } => voter.as_str(),
        LookupOutcome::Invalid { typed } => typed.as_str(),
        LookupOutcome::Form | LookupOutcome::NoRegistry => "",
    };
    let mut parents = Vec::new();
    if let LookupOutcome::Found { table, .. } = outcome {
        parents.push(AreaRef::new(&snapshot.results, AreaCode::National));
        parents.extend(table.areas.iter().cloned());
    }
    let body = html! {
        h1 { (title) }
        p { (lang.t(Text::LookupIntro)) }
        (lookup_form(snapshot, lang, typed, here))
        @match outcome {
            LookupOutcome::Form => {}
            LookupOutcome::Found { voter, table } => {
                @let centre = table.areas.last();
                section id="found" aria-live="polite" {
                    h2 {
                        (lang.t(Text::LookupFoundVoter)) " " (voter) " "
                        (lang.t(Text::LookupVotesAt)) " "
                        (lang.t(Text::TableWord).to_lowercase()) " " (table.number) " "
                        (lang.t(Text::LookupOfCentre)) " "
                        (centre.and_then(|c| c.name.as_deref()).unwrap_or(&table.centre_code))
                    }
                    (breadcrumb(election, &parents, lang, here))
                    @if let Some(centre) = centre {
                        p {
                            a id="centre-link" href=(here.area(centre)) {
                                (lang.t(Text::LookupSeeCentre))
                            }
                        }
                    }
                    (table_block(snapshot, table, lang, "h3", here))
                }
            }
            LookupOutcome::NotFound { .. } => {
                p id="not-found" class="note" role="status" { (lang.t(Text::LookupNotFound)) }
            }
            LookupOutcome::Invalid { .. } => {
                p id="invalid" class="note" role="alert" { (lang.t(Text::LookupInvalid)) }
            }
            LookupOutcome::NoRegistry => {
                p class="note" role="status" { (lang.t(Text::LookupNoRegistry)) }
            }
        }
    };
    layout(Some(snapshot), lang, title, here, &body, true)
}
