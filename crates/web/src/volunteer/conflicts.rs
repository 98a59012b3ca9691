//! Conflicts between copies on the desk: a coordinator sees each table whose copies disagree,
//! the copies side by side with their scans, and keeps one with a reason. The decision is a new
//! record (`veedor_app::decisions`), logged, audited and shown on the table's public page; no
//! copy is edited.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use veedor_app::decisions::{self, DecideError, TableInConflict};
use veedor_core::TableId;
use veedor_core::entry::Role;

use super::common::*;
use crate::AppState;
use crate::volunteer::pages;

fn table_json(conflict: &TableInConflict, election: &veedor_core::Election) -> Value {
    let digits = election.geography.centre_digits;
    json!({
        "table": conflict.table.display(digits),
        "status": conflict.status.as_str(),
        "copies": conflict.copies.iter().map(|copy| json!({
            "id": copy.id.get(),
            "name": decisions::copy_name(copy),
            "source": copy.provenance.source.as_str(),
            "file_name": copy.provenance.file_name,
            "location": copy.provenance.location.describe(),
            "candidate_votes": copy.record.candidate_votes(election),
            "null_votes": copy.record.null_votes,
            "scan": copy.provenance.published_sha256.map(|hash| format!("/scans/{}", hash.to_hex())),
            "volunteer": copy.provenance.volunteer.as_ref().map(veedor_core::Pseudonym::as_str),
            "entered_by": copy.provenance.entered_by.iter().map(veedor_core::Pseudonym::as_str).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "decision": conflict.decision.as_ref().map(|decision| json!({
            "keep": decision.keep.describe(),
            "coordinator": decision.coordinator.as_str(),
            "reason": decision.reason.as_str(),
            "decided_at": decision.decided_at.to_string(),
        })),
    })
}

/// `GET /volunteer/conflicts`: every table whose copies disagree, decided or not.
pub(super) async fn conflicts(State(state): State<AppState>, ask: Ask) -> Answer {
    let who = ask
        .read(&[Role::Coordinator, Role::Observer], |_, who| Ok(who))
        .await?;
    let snapshot = state.snapshot();
    let election = snapshot.results.election();
    let tables = decisions::conflicts(&snapshot.results, true);
    Ok(match ask.via {
        Via::Api => json_response(
            StatusCode::OK,
            &json!({ "tables": tables.iter().map(|t| table_json(t, election)).collect::<Vec<_>>() }),
        ),
        Via::Page(lang) => html_response(
            StatusCode::OK,
            pages::conflicts(lang, &who, election, &tables),
        ),
    })
}

#[derive(Debug, Deserialize)]
pub(super) struct DecideBody {
    csrf: Option<String>,
    /// The copy that counts, as the list names it.
    keep: String,
    reason: String,
}

/// `POST /volunteer/conflicts/{table}/decide`: a coordinator keeps one copy, with a reason.
pub(super) async fn decide(
    State(state): State<AppState>,
    ask: Ask,
    Path(table): Path<String>,
    body: Bytes,
) -> Answer {
    let form: DecideBody = ask.form(&body)?;
    let snapshot = state.snapshot();
    let digits = snapshot.results.election().geography.centre_digits;
    let table = TableId::parse(&table, digits)
        .map_err(|error| ask.fail(DeskError::Invalid(error.to_string())))?;
    let at = ask.at;
    let decision = ask
        .write(&[Role::Coordinator], form.csrf, move |desk, who| {
            count_action(desk, &who.account.pseudonym)?;
            let reason = reason(&form.reason)?;
            desk.with_store(|store| {
                let decision =
                    decisions::decide(store, &who.account, table, &form.keep, &reason, at)
                        .map_err(|error| match error {
                            DecideError::Store(error) => DeskError::from(error),
                            other => DeskError::Refused(other.to_string()),
                        })?;
                desk.checkpoint(store, at);
                Ok(decision)
            })
        })
        .await?;
    reload(&state);
    Ok(match ask.via {
        Via::Api => json_response(
            StatusCode::OK,
            &json!({
                "table": decision.table.display(digits),
                "keep": decision.keep.describe(),
                "reason": decision.reason.as_str(),
            }),
        ),
        Via::Page(lang) => see("/volunteer/conflicts", lang),
    })
}
