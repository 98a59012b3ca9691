//! The double-blind entry: the queue (least covered areas first), claims, the entry form
//! built from the ballot, and the coordinator's decisions on disagreements.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, PoisonError};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Value, json};
use veedor_app::tasks::{self, TaskView};
use veedor_core::entry::{Action, Entry, Phase, Role, Volunteer};
use veedor_core::{
    ActaRecord, AreaCode, CentreCode, Counts, Finding, Place, Pseudonym, Sha256, TableId,
    TableNumber, Timestamp,
};
use veedor_store::{AuditEvent, StoreError};

use super::common::*;
use crate::AppState;
use crate::snapshot::Snapshot;
use crate::volunteer::Desk;
use crate::volunteer::pages::{self, EntryForm, TaskRow};

/// The first-level area a task's page is of, when anyone said: the table its uploader gave
/// (`true`), or the table its first live entry names (`false`). The second is for ordering the
/// queue only: shown to a typist, it would tell them what another typed.
pub(super) fn task_area(
    snapshot: &Snapshot,
    view: &TaskView,
    hints: &HashMap<Sha256, TableId>,
) -> (Option<AreaCode>, bool) {
    let geography = &snapshot.results.election().geography;
    if let Some(table) = hints.get(&view.page.file_sha256) {
        return (Some(geography.area_of(table.centre, 0)), true);
    }
    let entered = view.task.entries.first().map(|(_, entry)| entry.table);
    (
        entered.map(|table| geography.area_of(table.centre, 0)),
        false,
    )
}

/// The tables uploaders gave with their files (on the audit log, as `upload.file` events).
pub(super) fn upload_hints(events: &[AuditEvent], centre_digits: u8) -> HashMap<Sha256, TableId> {
    events
        .iter()
        .filter(|event| event.action == "upload.file")
        .filter_map(|event| {
            let hash = Sha256::from_hex(&event.object).ok()?;
            let table = event
                .detail
                .split(';')
                .find_map(|part| part.trim().strip_prefix("table given: "))?;
            Some((hash, TableId::parse(table, centre_digits).ok()?))
        })
        .collect()
}

/// Every page waiting for people, the least covered areas first (an unknown area counts as
/// the nation's coverage), then the oldest.
pub(super) fn task_rows(
    desk: &Desk,
    snapshot: &Snapshot,
    who: &Signed,
    at: Timestamp,
) -> Result<Vec<(TaskRow, TaskView)>, DeskError> {
    let election = snapshot.results.election();
    let (views, hints) = desk.with_store(|store| {
        let views = tasks::tasks(store, at)?;
        // The uploaders' tables, read from the audit log once, then kept up to date by uploads.
        let mut hints = desk.hints.lock().unwrap_or_else(PoisonError::into_inner);
        if hints.is_none() {
            *hints = Some(upload_hints(
                &store.audit()?,
                election.geography.centre_digits,
            ));
        }
        Ok::<_, StoreError>((views, hints.clone().unwrap_or_default()))
    })?;
    let tally = &snapshot.results.tally;
    let national = tally.national().table_coverage_percent();
    let volunteer = Volunteer {
        pseudonym: who.account.pseudonym.clone(),
        role: who.account.role,
        suspended: false,
    };
    let mut rows: Vec<(TaskRow, TaskView)> = views
        .into_iter()
        .map(|view| {
            let (area, given) = task_area(snapshot, &view, &hints);
            let shown = given || who.role() != Role::Typist;
            let coverage = area
                .and_then(|area| tally.get(area))
                .map_or(national, veedor_core::Totals::table_coverage_percent);
            let row = TaskRow {
                id: view.page.id,
                file_name: view.page.file_name.clone(),
                page: view.page.page,
                reason: view.page.reason.clone(),
                phase: match &view.task.phase {
                    Phase::Open => "open",
                    Phase::Disputed => "disputed",
                    Phase::Settled { .. } => "settled",
                },
                entries: view.task.entries.len(),
                claimed_by: view.task.claim.as_ref().map(|(by, _)| by.clone()),
                offered: view.task.offered_to(&volunteer, at),
                area: area.filter(|_| shown).map(|area| {
                    let name = snapshot.results.area_name(area).unwrap_or_default();
                    format!("{} {name}", election.geography.format_area(area))
                }),
                coverage,
            };
            (row, view)
        })
        .collect();
    rows.sort_by(|(a, _), (b, _)| {
        (a.phase == "settled")
            .cmp(&(b.phase == "settled"))
            .then(a.coverage.total_cmp(&b.coverage))
            .then(a.id.cmp(&b.id))
    });
    Ok(rows)
}

pub(super) fn row_json(row: &TaskRow, who: &Signed) -> Value {
    let mine = row.claimed_by.as_ref() == Some(&who.account.pseudonym);
    json!({
        "id": row.id,
        "file_name": row.file_name,
        "page": row.page,
        "reason": row.reason,
        "phase": row.phase,
        "entries": row.entries,
        "claimed": row.claimed_by.is_some(),
        "claimed_by_you": mine,
        "offered_to_you": row.offered,
        "area": row.area,
        "area_table_coverage_percent": row.area.as_ref().map(|_| row.coverage),
    })
}

/// `GET /volunteer/tasks`: the work queue.
pub(super) async fn tasks(State(state): State<AppState>, ask: Ask) -> Answer {
    let via = ask.via;
    let snapshot = state.snapshot();
    let at = ask.at;
    let (who, rows) = ask
        .read(
            &[Role::Typist, Role::Coordinator, Role::Observer],
            move |desk, who| {
                let rows = task_rows(desk, &snapshot, &who, at)?;
                Ok((who, rows))
            },
        )
        .await?;
    Ok(match via {
        Via::Api => json_response(
            StatusCode::OK,
            &json!({
                "tasks": rows.iter().map(|(row, _)| row_json(row, &who)).collect::<Vec<_>>(),
            }),
        ),
        Via::Page(lang) => html_response(
            StatusCode::OK,
            pages::tasks(
                lang,
                &who,
                &rows.into_iter().map(|(row, _)| row).collect::<Vec<_>>(),
            ),
        ),
    })
}

/// Does `action` on task `id` as the signed-in volunteer; reloads the public data when the
/// page settled.
pub(super) fn act(
    desk: &Desk,
    who: &Signed,
    id: i64,
    action: Action,
    at: Timestamp,
) -> Result<tasks::Acted, DeskError> {
    count_action(desk, &who.account.pseudonym)?;
    let blobs = Arc::clone(&desk.blobs);
    let acted = desk.with_store(|store| {
        let acted = tasks::act(store, &*blobs, &who.account, id, action, at)?;
        if acted.stored.is_some() {
            desk.checkpoint(store, at);
        }
        Ok::<_, tasks::TaskError>(acted)
    })?;
    Ok(acted)
}

/// `POST /volunteer/tasks/next`: claims the page most in need a typist may take.
pub(super) async fn claim_next(State(state): State<AppState>, ask: Ask, body: Bytes) -> Answer {
    let via = ask.via;
    let form: CsrfForm = ask.form(&body)?;
    let snapshot = state.snapshot();
    let at = ask.at;
    let claimed = ask
        .write(&[Role::Typist], form.csrf.clone(), move |desk, who| {
            let rows = task_rows(desk, &snapshot, &who, at)?;
            // A claim this typist holds already comes first: they were in the middle of it.
            let mine = rows.iter().find(|(row, _)| {
                row.claimed_by.as_ref() == Some(&who.account.pseudonym) && row.phase == "open"
            });
            if let Some((row, _)) = mine {
                return Ok(Some(row.id));
            }
            for (row, _) in rows.iter().filter(|(row, _)| row.offered) {
                match act(desk, &who, row.id, Action::Claim, at) {
                    Ok(_) => return Ok(Some(row.id)),
                    // Someone took it meanwhile: the next one.
                    Err(DeskError::Refused(_)) => {}
                    Err(error) => return Err(error),
                }
            }
            Ok(None)
        })
        .await?;
    Ok(match (via, claimed) {
        (Via::Api, claimed) => json_response(StatusCode::OK, &json!({ "claimed": claimed })),
        (Via::Page(lang), Some(id)) => see(&format!("/volunteer/tasks/{id}"), lang),
        (Via::Page(lang), None) => see("/volunteer/tasks?none=1", lang),
    })
}

/// `POST /volunteer/tasks/{id}/claim`.
pub(super) async fn claim(ask: Ask, Path(id): Path<i64>, body: Bytes) -> Answer {
    let via = ask.via;
    let form: CsrfForm = ask.form(&body)?;
    let at = ask.at;
    let acted = ask
        .write(&[Role::Typist], form.csrf.clone(), move |desk, who| {
            act(desk, &who, id, Action::Claim, at)
        })
        .await?;
    Ok(match via {
        Via::Api => json_response(
            StatusCode::OK,
            &json!({ "id": id, "claimed_until": acted.task.claim.map(|(_, until)| until.to_string()) }),
        ),
        Via::Page(lang) => see(&format!("/volunteer/tasks/{id}"), lang),
    })
}

pub(super) fn find_task(
    rows: Vec<(TaskRow, TaskView)>,
    id: i64,
) -> Result<(TaskRow, TaskView), DeskError> {
    rows.into_iter()
        .find(|(row, _)| row.id == id)
        .ok_or_else(|| DeskError::NotFound(format!("no page waits under number {id}")))
}

/// `GET /volunteer/tasks/{id}`: for its typist, the page and the entry form (nothing of anyone
/// else's entry); for a coordinator, the entries side by side and what can be decided.
pub(super) async fn task(State(state): State<AppState>, ask: Ask, Path(id): Path<i64>) -> Answer {
    let via = ask.via;
    let snapshot = state.snapshot();
    let at = ask.at;
    let election = snapshot.results.election().clone();
    let (who, row, view) = ask
        .read(
            &[Role::Typist, Role::Coordinator, Role::Observer],
            move |desk, who| {
                let (row, view) = find_task(task_rows(desk, &snapshot, &who, at)?, id)?;
                Ok((who, row, view))
            },
        )
        .await?;
    let coordinator = who.role() == Role::Coordinator;
    let holds_claim = row.claimed_by.as_ref() == Some(&who.account.pseudonym);
    match via {
        Via::Api => {
            let mut body = row_json(&row, &who);
            if coordinator {
                body["entries"] = view
                    .task
                    .entries
                    .iter()
                    .map(|(typist, entry)| entry_json(typist, entry, &election))
                    .collect();
            } else if who.role() == Role::Typist && holds_claim {
                body["form"] = form_json(&election);
            }
            Ok(json_response(StatusCode::OK, &body))
        }
        Via::Page(lang) => {
            let form = (who.role() == Role::Typist).then(|| EntryForm::blank(&election));
            Ok(html_response(
                StatusCode::OK,
                pages::task(lang, &who, &election, &row, &view.task, form.as_ref(), &[]),
            ))
        }
    }
}

pub(super) fn entry_json(
    typist: &Pseudonym,
    entry: &Entry,
    election: &veedor_core::Election,
) -> Value {
    json!({
        "typist": typist.as_str(),
        "table": entry.table.display(election.geography.centre_digits),
        "counts": entry.counts.values(),
        "null_votes": entry.null_votes,
        "stated_valid_votes": entry.stated_valid_votes,
        "stated_registered": entry.stated_registered,
        "declared_counts": entry
            .declared_counts
            .iter()
            .map(|(id, value)| json!({ "id": id, "value": value }))
            .collect::<Vec<_>>(),
    })
}

/// The fields of the entry form, from the election's ballot.
pub(super) fn form_json(election: &veedor_core::Election) -> Value {
    json!({
        "table": { "centre_digits": election.geography.centre_digits },
        "counts": pages::count_labels(election),
        "optional": ["null_votes", "stated_valid_votes", "stated_registered"],
        "declared_counts": election
            .sheet
            .counts
            .iter()
            .map(|count| json!({ "id": count.id, "name": count.name.0 }))
            .collect::<Vec<_>>(),
    })
}

/// `GET /volunteer/tasks/{id}/page.jpg`: the page as a JPEG made from its pixels (so nothing
/// of the sender's device travels with it), for the signed-in volunteers who may read tasks.
pub(super) async fn task_image(ask: Ask, Path(id): Path<i64>) -> Answer {
    let via = ask.via;
    let desk = Arc::clone(&ask.desk);
    let page = ask
        .read(
            &[Role::Typist, Role::Coordinator, Role::Observer],
            move |desk, _who| {
                let page = desk
                    .with_store(|store| store.queue())?
                    .into_iter()
                    .find(|page| page.id == id)
                    .ok_or_else(|| {
                        DeskError::NotFound(format!("no page waits under number {id}"))
                    })?;
                Ok(page)
            },
        )
        .await?;
    let permit = desk
        .reading
        .acquire()
        .await
        .map_err(|error| Failed(DeskError::Internal(error.to_string()), via))?;
    let jpeg = blocking(&desk, via, move |desk| {
        let bytes = desk
            .blobs
            .get(&page.file_sha256)?
            .ok_or_else(|| DeskError::NotFound("the scan is missing".to_owned()))?;
        let pages = veedor_scan::read_pages(&bytes, &veedor_scan::Limits::default())
            .map_err(|error| DeskError::Internal(error.to_string()))?;
        let number = usize::try_from(page.page).unwrap_or(usize::MAX);
        let image = pages
            .into_iter()
            .find(|read| read.number == number)
            .ok_or_else(|| DeskError::NotFound(format!("page {number} of the scan")))?;
        let mut out = std::io::Cursor::new(Vec::new());
        image
            .image
            .to_rgb8()
            .write_to(&mut out, image::ImageFormat::Jpeg)
            .map_err(|error| DeskError::Internal(error.to_string()))?;
        Ok(out.into_inner())
    })
    .await;
    drop(permit);
    let jpeg = jpeg?;
    let mut response = jpeg.into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(response)
}

/// An entry as sent: from a form (`centre`, `number`, `c0`...`cN`, the optional totals) or as
/// JSON (`table`, `counts`, ...).
#[derive(Debug, Default, Deserialize)]
pub(super) struct EntryBody {
    csrf: Option<String>,
    table: Option<String>,
    centre: Option<String>,
    number: Option<String>,
    counts: Option<Vec<u32>>,
    null_votes: Option<u32>,
    stated_valid_votes: Option<u32>,
    stated_registered: Option<u32>,
    /// The counts the election file declares for the sheet, by id (`{"blank": 4}`).
    declared_counts: Option<BTreeMap<String, u32>>,
    /// The typist saw the findings and sends it anyway.
    confirm: Option<bool>,
}

/// Reads an entry from a form's fields, keeping what was typed to show it again.
pub(super) fn entry_from_form(
    fields: &BTreeMap<String, String>,
    election: &veedor_core::Election,
) -> (EntryForm, Result<Entry, String>) {
    let mut form = EntryForm::blank(election);
    let get = |name: &str| {
        fields
            .get(name)
            .map(|value| value.trim().to_owned())
            .unwrap_or_default()
    };
    form.centre = get("centre");
    form.number = get("number");
    for (index, value) in form.counts.iter_mut().enumerate() {
        *value = get(&format!("c{index}"));
    }
    form.null_votes = get("null_votes");
    form.stated_valid_votes = get("stated_valid_votes");
    form.stated_registered = get("stated_registered");
    for (index, value) in form.declared_counts.iter_mut().enumerate() {
        *value = get(&format!("d{index}"));
    }
    form.reviewed = fields.contains_key("reviewed");
    form.confirm = fields
        .get("confirm")
        .is_some_and(|value| value == "1" || value == "on");
    let entry = form.entry(election);
    (form, entry)
}

pub(super) fn entry_from_json(
    body: &EntryBody,
    election: &veedor_core::Election,
) -> Result<Entry, String> {
    let digits = election.geography.centre_digits;
    let table = match (&body.table, &body.centre, &body.number) {
        (Some(table), _, _) => TableId::parse(table, digits).map_err(|error| error.to_string())?,
        (None, Some(centre), Some(number)) => TableId {
            centre: CentreCode::parse(centre, digits).map_err(|error| error.to_string())?,
            number: TableNumber::parse(number).map_err(|error| error.to_string())?,
        },
        _ => return Err("`table` (centre.number) is required".to_owned()),
    };
    let counts = body.counts.clone().ok_or("`counts` is required")?;
    let expected = pages::count_labels(election).len();
    if counts.len() != expected {
        return Err(format!(
            "`counts` has {} numbers; the ballot has {expected}",
            counts.len()
        ));
    }
    let typed = body.declared_counts.clone().unwrap_or_default();
    if let Some(unknown) = typed
        .keys()
        .find(|id| election.sheet.count_index(id).is_none())
    {
        return Err(format!(
            "`declared_counts`: `{}` is not a count of this election's sheet; expected one of: {}",
            unknown.chars().take(40).collect::<String>(),
            election
                .sheet
                .counts
                .iter()
                .map(|count| count.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(Entry {
        table,
        counts: if election.cards.is_empty() {
            Counts::Candidates(counts)
        } else {
            Counts::Cells(counts)
        },
        null_votes: body.null_votes,
        stated_valid_votes: body.stated_valid_votes,
        stated_registered: body.stated_registered,
        declared_counts: election
            .sheet
            .counts
            .iter()
            .filter_map(|count| typed.get(&count.id).map(|value| (count.id.clone(), *value)))
            .collect(),
    })
}

/// What validation says of an entry, as it would of the copy it becomes.
pub(super) fn findings_of(entry: &Entry, snapshot: &Snapshot) -> Vec<Finding> {
    let election = snapshot.results.election();
    let record = ActaRecord {
        table: entry.table,
        counts: entry.counts.clone(),
        null_votes: entry.null_votes,
        stated_valid_votes: entry.stated_valid_votes,
        stated_registered: entry.stated_registered,
        format_fields: Vec::new(),
        declared_counts: entry.declared_counts.clone(),
    };
    let place = match snapshot
        .results
        .table(entry.table)
        .and_then(|state| state.table.as_ref())
    {
        Some((_, table)) => Place::Table(table),
        None => {
            let area = election.geography.area_of(entry.table.centre, 0);
            Place::Unknown {
                area_known: snapshot
                    .results
                    .tables()
                    .any(|(id, _)| election.geography.area_of(id.centre, 0) == area),
            }
        }
    };
    veedor_core::validate(&record, election, place)
}

/// `POST /volunteer/tasks/{id}/entry`: what the typist read. Findings come back first (a
/// warning is sent on the next press; an error only when the typist confirms the sheet says
/// so).
pub(super) async fn enter(
    State(state): State<AppState>,
    ask: Ask,
    Path(id): Path<i64>,
    body: Bytes,
) -> Answer {
    let via = ask.via;
    let desk = Arc::clone(&ask.desk);
    let snapshot = state.snapshot();
    let election = snapshot.results.election().clone();
    let (csrf, form, entry, confirmed) = match via {
        Via::Api => {
            let parsed: EntryBody = ask.form(&body)?;
            let entry = entry_from_json(&parsed, &election);
            (
                parsed.csrf.clone(),
                None,
                entry,
                parsed.confirm.unwrap_or(false),
            )
        }
        Via::Page(_) => {
            let fields: BTreeMap<String, String> = ask.form(&body)?;
            let (form, entry) = entry_from_form(&fields, &election);
            let confirmed = form.reviewed && (form.confirm || !form.has_errors);
            (fields.get("csrf").cloned(), Some(form), entry, confirmed)
        }
    };
    let at = ask.at;
    let snapshot_for_work = Arc::clone(&snapshot);
    let outcome = ask
        .write(&[Role::Typist], csrf.clone(), move |desk, who| {
            let entry = match entry {
                Ok(entry) => entry,
                Err(message) => return Ok((who, Err(message), Vec::new(), None)),
            };
            let findings = findings_of(&entry, &snapshot_for_work);
            let errors = findings.iter().any(Finding::is_error);
            let send = match via {
                Via::Api => !errors || confirmed,
                Via::Page(_) => findings.is_empty() || confirmed,
            };
            if !send {
                return Ok((who, Ok(entry), findings, None));
            }
            let acted = act(desk, &who, id, Action::Enter(entry.clone()), at)?;
            Ok((who, Ok(entry), findings, Some(acted)))
        })
        .await?;
    let (who, entry, findings, acted) = outcome;
    if acted.as_ref().is_some_and(|acted| acted.stored.is_some()) {
        reload(&state);
    }
    match via {
        Via::Api => {
            let findings_json: Vec<Value> = findings
                .iter()
                .map(|finding| json!({ "code": finding.code.code(), "error": finding.is_error(), "detail": finding.detail }))
                .collect();
            match (entry, acted) {
                (Err(message), _) => Err(Failed(DeskError::Invalid(message), via)),
                (Ok(_), None) => Ok(json_response(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &json!({ "entered": false, "findings": findings_json,
                             "message": "the entry has errors: check the sheet, and send it with \"confirm\": true if it says so" }),
                )),
                (Ok(_), Some(acted)) => Ok(json_response(
                    StatusCode::OK,
                    &json!({ "entered": true, "findings": findings_json,
                             "settled": matches!(acted.task.phase, Phase::Settled { .. }) }),
                )),
            }
        }
        Via::Page(lang) => match (acted, form) {
            (Some(_), _) => Ok(see("/volunteer/tasks?entered=1", lang)),
            (None, Some(mut form)) => {
                form.message = entry.err();
                form.reviewed = form.message.is_none();
                form.has_errors = findings.iter().any(Finding::is_error);
                let task_rows = {
                    let desk = Arc::clone(&desk);
                    let who = who.clone();
                    let snapshot = Arc::clone(&snapshot);
                    blocking(&desk, via, move |desk| task_rows(desk, &snapshot, &who, at)).await?
                };
                let (row, view) = find_task(task_rows, id).map_err(|error| Failed(error, via))?;
                Ok(html_response(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    pages::task(
                        lang,
                        &who,
                        &election,
                        &row,
                        &view.task,
                        Some(&form),
                        &findings,
                    ),
                ))
            }
            (None, None) => Err(Failed(DeskError::Internal("no form".to_owned()), via)),
        },
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct ResolveBody {
    csrf: Option<String>,
    /// `keep`, `return` or `discard`.
    decision: String,
    /// Whose entry (keep, return).
    typist: Option<String>,
    reason: String,
}

/// `POST /volunteer/tasks/{id}/resolve`: a coordinator keeps an entry, returns one to its
/// typist, or discards them all, always with a reason.
pub(super) async fn resolve(
    State(state): State<AppState>,
    ask: Ask,
    Path(id): Path<i64>,
    body: Bytes,
) -> Answer {
    let via = ask.via;
    let form: ResolveBody = ask.form(&body)?;
    let at = ask.at;
    let acted = ask
        .write(&[Role::Coordinator], form.csrf.clone(), move |desk, who| {
            let reason = form.reason.trim().to_owned();
            if reason.is_empty() || reason.chars().count() > 500 {
                return Err(DeskError::Invalid(
                    "a reason of 1 to 500 characters is required".to_owned(),
                ));
            }
            let typist = || {
                form.typist
                    .as_deref()
                    .ok_or_else(|| {
                        DeskError::Invalid("whose entry: `typist` is required".to_owned())
                    })
                    .and_then(pseudonym)
            };
            let action = match form.decision.as_str() {
                "keep" => Action::Keep {
                    typist: typist()?,
                    reason,
                },
                "return" => Action::Return {
                    typist: typist()?,
                    reason,
                },
                "discard" => Action::Discard { reason },
                other => {
                    return Err(DeskError::Invalid(format!(
                        "decision `{}`: expected keep, return or discard",
                        other.chars().take(20).collect::<String>()
                    )));
                }
            };
            act(desk, &who, id, action, at)
        })
        .await?;
    if acted.stored.is_some() {
        reload(&state);
    }
    Ok(match via {
        Via::Api => json_response(
            StatusCode::OK,
            &json!({ "id": id, "settled": matches!(acted.task.phase, Phase::Settled { .. }) }),
        ),
        Via::Page(lang) => see(&format!("/volunteer/tasks/{id}"), lang),
    })
}
