//! The coordinator's pages on people: the volunteers with their agreement rates, adding and
//! suspending them, and the audit log.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::json;
use veedor_app::tasks::{self, TaskView};
use veedor_app::volunteers::{self};
use veedor_core::Pseudonym;
use veedor_core::entry::{Phase, Role};
use veedor_store::StoreError;

use super::common::*;
use crate::AppState;
use crate::volunteer::Desk;
use crate::volunteer::pages::{self};

/// Each typist's agreement with others: of their entries on settled pages, how many equal the
/// settled numbers.
pub(super) fn agreement(views: &[TaskView]) -> BTreeMap<Pseudonym, (usize, usize)> {
    let mut out: BTreeMap<Pseudonym, (usize, usize)> = BTreeMap::new();
    for view in views {
        if let Phase::Settled { entry, .. } = &view.task.phase {
            for (typist, typed) in &view.task.entries {
                let tally = out.entry(typist.clone()).or_default();
                tally.1 += 1;
                if typed == entry {
                    tally.0 += 1;
                }
            }
        }
    }
    out
}

/// The accounts and each typist's agreement.
type People = (
    Vec<veedor_store::Account>,
    BTreeMap<Pseudonym, (usize, usize)>,
);

fn people(desk: &Desk, at: veedor_core::Timestamp) -> Result<People, DeskError> {
    let (accounts, views) = desk
        .with_store(|store| Ok::<_, StoreError>((store.accounts()?, tasks::tasks(store, at)?)))?;
    Ok((accounts, agreement(&views)))
}

/// `GET /volunteer/users`: the accounts, with each typist's agreement rate.
pub(super) async fn users(ask: Ask) -> Answer {
    let at = ask.at;
    let (who, (accounts, agreed)) = ask
        .read(&[Role::Coordinator], move |desk, who| {
            Ok((who, people(desk, at)?))
        })
        .await?;
    Ok(match ask.via {
        Via::Api => json_response(
            StatusCode::OK,
            &json!({ "volunteers": accounts.iter().map(|account| {
                let (agreed_entries, entries) = agreed.get(&account.pseudonym).copied().unwrap_or_default();
                json!({
                    "pseudonym": account.pseudonym.as_str(),
                    "role": account.role.as_str(),
                    "created_at": account.created_at.to_string(),
                    "active": account.passphrase_hash.is_some(),
                    "suspended_at": account.suspended_at.map(|at| at.to_string()),
                    "entries_on_settled_pages": entries,
                    "entries_agreed": agreed_entries,
                })
            }).collect::<Vec<_>>() }),
        ),
        Via::Page(lang) => html_response(
            StatusCode::OK,
            pages::users(lang, &who, &accounts, &agreed, None),
        ),
    })
}

#[derive(Debug, Deserialize)]
pub(super) struct AddUserBody {
    csrf: Option<String>,
    pseudonym: String,
    role: String,
}

/// `POST /volunteer/users`: a coordinator adds a volunteer; the one-time code is shown once.
pub(super) async fn add_user(ask: Ask, body: Bytes) -> Answer {
    let form: AddUserBody = ask.form(&body)?;
    let at = ask.at;
    let (who, name, role, code, (accounts, agreed)) = ask
        .write(&[Role::Coordinator], form.csrf, move |desk, who| {
            count_action(desk, &who.account.pseudonym)?;
            let name = pseudonym(&form.pseudonym)?;
            let role = Role::parse(form.role.trim()).ok_or_else(|| {
                DeskError::Invalid(
                    "role: expected coordinator, typist, uploader or observer".to_owned(),
                )
            })?;
            let random: [u8; 15] = desk.random()?;
            let by = who.account.pseudonym.clone();
            let code = desk.with_store(|store| {
                volunteers::add_volunteer(store, Some(&by), name.clone(), role, random, at)
            })?;
            Ok((who, name, role, code, people(desk, at)?))
        })
        .await?;
    Ok(match ask.via {
        Via::Api => json_response(
            StatusCode::CREATED,
            &json!({ "pseudonym": name.as_str(), "role": role.as_str(), "signin_code": code }),
        ),
        Via::Page(lang) => html_response(
            StatusCode::CREATED,
            pages::users(lang, &who, &accounts, &agreed, Some((&name, &code))),
        ),
    })
}

#[derive(Debug, Deserialize)]
pub(super) struct SuspendBody {
    csrf: Option<String>,
    reason: String,
}

/// `POST /volunteer/users/{pseudonym}/suspend`: their sessions end, their unconfirmed entries
/// stop counting.
pub(super) async fn suspend(
    State(state): State<AppState>,
    ask: Ask,
    Path(name): Path<String>,
    body: Bytes,
) -> Answer {
    let form: SuspendBody = ask.form(&body)?;
    let at = ask.at;
    let name = ask
        .write(&[Role::Coordinator], form.csrf, move |desk, who| {
            let name = pseudonym(&name)?;
            let reason = reason(&form.reason)?;
            if name == who.account.pseudonym {
                return Err(DeskError::Refused(
                    "a coordinator does not suspend themselves".to_owned(),
                ));
            }
            // Ends their sessions too, on every server.
            desk.with_store(|store| {
                volunteers::suspend(store, Some(&who.account.pseudonym), &name, &reason, at)
            })?;
            Ok(name)
        })
        .await?;
    reload(&state);
    Ok(match ask.via {
        Via::Api => json_response(StatusCode::OK, &json!({ "suspended": name.as_str() })),
        Via::Page(lang) => see("/volunteer/users", lang),
    })
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct AuditQuery {
    actor: Option<String>,
    action: Option<String>,
}

/// `GET /volunteer/audit`: every action, newest first, filtered by volunteer or action.
pub(super) async fn audit(ask: Ask, Query(query): Query<AuditQuery>) -> Answer {
    let actor = query.actor.clone().filter(|actor| !actor.trim().is_empty());
    let action = query
        .action
        .clone()
        .filter(|action| !action.trim().is_empty());
    let (who, events) = ask
        .read(&[Role::Coordinator], move |desk, who| {
            let mut events = desk.with_store(|store| store.audit())?;
            events.retain(|event| {
                actor.as_ref().is_none_or(|actor| {
                    event
                        .actor
                        .as_ref()
                        .is_some_and(|who| who.as_str() == actor.trim())
                        || event.object == actor.trim()
                }) && action
                    .as_ref()
                    .is_none_or(|action| event.action.starts_with(action.trim()))
            });
            events.reverse();
            events.truncate(1000);
            Ok((who, events))
        })
        .await?;
    Ok(match ask.via {
        Via::Api => json_response(
            StatusCode::OK,
            &json!({ "events": events.iter().map(|event| json!({
                "at": event.at.to_string(),
                "actor": event.actor.as_ref().map(Pseudonym::as_str),
                "action": event.action,
                "object": event.object,
                "detail": event.detail,
            })).collect::<Vec<_>>() }),
        ),
        Via::Page(lang) => html_response(
            StatusCode::OK,
            pages::audit(
                lang,
                &who,
                &events,
                query.actor.as_deref(),
                query.action.as_deref(),
            ),
        ),
    })
}
