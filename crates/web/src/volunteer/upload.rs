//! Uploads from witnesses' phones and scanners, through the same intake as `veedor ingest`,
//! held to a file size, a quota that grows with confirmed work, and a few copies per table.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::{Multipart, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use serde_json::json;
use sha2::{Digest as _, Sha256 as Hasher};
use veedor_app::batch::Origin;
use veedor_app::intake::{PageOutcome, ReadScan, ScanIntake, ScanReport};
use veedor_core::entry::Role;
use veedor_core::{Pseudonym, Sha256, SourceKind, TableId, TableStatus, Timestamp};
use veedor_formats::ActaFormat;
use veedor_store::AuditEvent;

use super::common::*;
use crate::AppState;
use crate::snapshot::Snapshot;
use crate::volunteer::Desk;
use crate::volunteer::pages::{self, UploadLine};

/// `GET /volunteer/upload`: the form (a phone offers its camera).
pub(super) async fn upload_form(
    State(state): State<AppState>,
    uri: Uri,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Answer {
    let via = via(&uri, &query, &headers);
    let Via::Page(lang) = via else {
        return Err(Failed(
            DeskError::NotFound("no such document".to_owned()),
            via,
        ));
    };
    let desk = desk_of(&state, via)?;
    let token = cookie_token(&desk, &headers);
    let snapshot = state.snapshot();
    let (who, quota) = blocking(&desk, via, move |desk| {
        let who = signed(desk, token.as_deref())?;
        who.require(&[Role::Uploader])?;
        let quota = quota(desk, &snapshot, &who.account.pseudonym)?;
        Ok((who, quota))
    })
    .await?;
    Ok(html_response(
        StatusCode::OK,
        pages::upload(lang, &who, quota, &desk.options, &[]),
    ))
}

/// Files sent so far, and files allowed: the base quota and more for every copy of theirs an
/// independent copy confirmed.
pub(super) fn quota(
    desk: &Desk,
    snapshot: &Snapshot,
    who: &Pseudonym,
) -> Result<(u32, u32), DeskError> {
    let sent = desk
        .with_store(|store| store.audit())?
        .iter()
        .filter(|event| event.action == "upload.file" && event.actor.as_ref() == Some(who))
        .count();
    let confirmed = snapshot
        .results
        .dataset
        .copies
        .iter()
        .filter(|copy| copy.provenance.volunteer.as_ref() == Some(who))
        .filter(|copy| {
            snapshot
                .results
                .table(copy.record.table)
                .is_some_and(|state| state.assessment.status == TableStatus::Corroborated)
        })
        .count();
    let allowed = u64::from(desk.options.upload_quota).saturating_add(
        u64::from(desk.options.upload_quota_per_confirmed)
            .saturating_mul(u64::try_from(confirmed).unwrap_or(u64::MAX)),
    );
    Ok((
        u32::try_from(sent).unwrap_or(u32::MAX),
        u32::try_from(allowed).unwrap_or(u32::MAX),
    ))
}

/// A file as received.
pub(super) struct Received {
    bytes: Vec<u8>,
}

/// The file name a scan is published under: never the phone's (it often holds the time and the
/// device), but the kind and the first digits of its SHA-256.
pub(super) fn upload_name(bytes: &[u8], sha256: &Sha256) -> String {
    let extension = match crate::scans::media_type(bytes) {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "application/pdf" => "pdf",
        "image/tiff" => "tif",
        "image/webp" => "webp",
        _ => "bin",
    };
    format!("upload-{}.{extension}", &sha256.to_hex()[..16])
}

/// `POST /volunteer/upload`: photos and scans of actas, through the same intake as
/// `veedor ingest`; the answer says what became of each file.
pub(super) async fn upload(
    State(state): State<AppState>,
    uri: Uri,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Answer {
    let via = via(&uri, &query, &headers);
    let desk = desk_of(&state, via)?;
    let token = cookie_token(&desk, &headers);
    // Who, before reading megabytes.
    let who = {
        let token = token.clone();
        blocking(&desk, via, move |desk| {
            let who = signed(desk, token.as_deref())?;
            who.require(&[Role::Uploader])?;
            Ok(who)
        })
        .await?
    };
    let mut csrf = None;
    let mut table = None;
    let mut files = Vec::new();
    let fail = |error: DeskError| Failed(error, via);
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|error| fail(multipart_error(&error)))?
    {
        match field.name().unwrap_or_default() {
            "csrf" => {
                csrf = Some(
                    field
                        .text()
                        .await
                        .map_err(|error| fail(DeskError::Invalid(error.to_string())))?,
                )
            }
            "table" => {
                table = Some(
                    field
                        .text()
                        .await
                        .map_err(|error| fail(DeskError::Invalid(error.to_string())))?,
                )
            }
            "file" => {
                if files.len() >= desk.options.max_files_per_upload {
                    return Err(fail(DeskError::Invalid(format!(
                        "at most {} files in one upload",
                        desk.options.max_files_per_upload
                    ))));
                }
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|error| fail(multipart_error(&error)))?;
                if bytes.is_empty() {
                    continue;
                }
                files.push(Received {
                    bytes: bytes.to_vec(),
                });
            }
            _ => {}
        }
    }
    check_write(&headers, &who.session, csrf.as_deref()).map_err(fail)?;
    count_action(&desk, &who.account.pseudonym).map_err(fail)?;
    let snapshot = state.snapshot();
    let election = snapshot.results.election().clone();
    let hint = match table
        .as_deref()
        .map(str::trim)
        .filter(|text| !text.is_empty())
    {
        Some(text) => Some(
            TableId::parse(text, election.geography.centre_digits)
                .map_err(|error| fail(DeskError::Invalid(format!("table: {error}"))))?,
        ),
        None => None,
    };
    if files.is_empty() {
        return Err(fail(DeskError::Invalid("no file was sent".to_owned())));
    }
    let format =
        ActaFormat::of(&election).map_err(|error| fail(DeskError::Internal(error.to_string())))?;
    let at = now(&state);
    let uploading = Uploading {
        desk: Arc::clone(&desk),
        snapshot: Arc::clone(&snapshot),
        who: who.clone(),
        format,
        hint,
        at,
        via,
    };
    let mut lines = Vec::new();
    let mut changed = false;
    for file in files {
        let line = upload_one(&uploading, file).await?;
        changed |= line.stored;
        lines.push(line);
    }
    if changed {
        reload(&state);
    }
    let (sent, allowed) = {
        let who = who.account.pseudonym.clone();
        let snapshot = Arc::clone(&snapshot);
        blocking(&desk, via, move |desk| quota(desk, &snapshot, &who)).await?
    };
    Ok(match via {
        Via::Api => json_response(
            StatusCode::OK,
            &json!({
                "files": lines.iter().map(UploadLine::to_json).collect::<Vec<_>>(),
                "quota": { "sent": sent, "allowed": allowed },
            }),
        ),
        Via::Page(lang) => html_response(
            StatusCode::OK,
            pages::upload(lang, &who, (sent, allowed), &desk.options, &lines),
        ),
    })
}

/// What every file of one upload shares.
pub(super) struct Uploading {
    desk: Arc<Desk>,
    snapshot: Arc<Snapshot>,
    who: Signed,
    format: ActaFormat,
    /// The table the uploader gave.
    hint: Option<TableId>,
    at: Timestamp,
    via: Via,
}

/// Reads and stores one uploaded file.
pub(super) async fn upload_one(upload: &Uploading, file: Received) -> Result<UploadLine, Failed> {
    let Uploading {
        desk,
        snapshot,
        who,
        format,
        hint,
        at,
        via,
    } = upload;
    let (format, hint, at, via) = (format.clone(), *hint, *at, *via);
    let sha256 = Sha256::from_bytes(Hasher::digest(&file.bytes).into());
    let name = upload_name(&file.bytes, &sha256);
    let mut line = UploadLine::new(name.clone(), sha256);
    if file.bytes.len() > desk.options.max_file_bytes {
        line.refused = Some(format!(
            "larger than {} MB: send a smaller photo or scan",
            desk.options.max_file_bytes >> 20
        ));
        return Ok(line);
    }
    {
        let who = who.account.pseudonym.clone();
        let snapshot = Arc::clone(snapshot);
        let (sent, allowed) = blocking(desk, via, move |desk| quota(desk, &snapshot, &who)).await?;
        if sent >= allowed {
            line.refused = Some(format!(
                "your quota of {allowed} files is used; it grows by {} with each of your copies that another confirms",
                desk.options.upload_quota_per_confirmed
            ));
            return Ok(line);
        }
    }
    // One scan read at a time: reading is the dearest thing the server does.
    let permit = desk
        .reading
        .acquire()
        .await
        .map_err(|error| Failed(DeskError::Internal(error.to_string()), via))?;
    let limits = veedor_scan::Limits {
        max_file_bytes: desk.options.max_file_bytes,
        ..veedor_scan::Limits::default()
    };
    let bytes = file.bytes;
    let read = {
        let bytes = bytes.clone();
        tokio::task::spawn_blocking(move || {
            veedor_app::intake::read_pages(&bytes, &format, &limits)
        })
        .await
        .map_err(|error| Failed(DeskError::Internal(error.to_string()), via))?
    };
    drop(permit);
    let read = match read {
        Ok(read) => read,
        Err(error) => {
            line.refused = Some(format!("not a readable photo or scan: {error}"));
            return Ok(line);
        }
    };
    let who = who.account.pseudonym.clone();
    let scan = ReadScan {
        file_name: name,
        bytes,
        sha256,
        read,
    };
    let outcome = blocking(desk, via, move |desk| {
        store_read(desk, &who, scan, hint, at)
    })
    .await?;
    match outcome {
        Ok(report) => {
            let digits = snapshot.results.election().geography.centre_digits;
            line.stored = !report.already;
            line.absorb(&report, digits, hint);
        }
        Err(refused) => line.refused = Some(refused),
    }
    Ok(line)
}

/// Stores a read scan as `who` sent it, unless a table it names has its uploaded copies
/// already (`Ok(Err(why))`), and records the upload on the audit log.
fn store_read(
    desk: &Desk,
    who: &Pseudonym,
    scan: ReadScan,
    hint: Option<TableId>,
    at: Timestamp,
) -> Result<Result<ScanReport, String>, DeskError> {
    let tables: BTreeSet<TableId> = scan
        .read
        .pages
        .iter()
        .filter_map(|page| match &page.outcome {
            PageOutcome::Acta(record) => Some(record.table),
            PageOutcome::Queued(_) => None,
        })
        .collect();
    let mut origin = Origin::of(SourceKind::Qr);
    origin.volunteer = Some(who.clone());
    let blobs = Arc::clone(&desk.blobs);
    let cap = desk.options.uploads_per_table;
    let sha256 = scan.sha256;
    desk.with_store(|store| {
        if !tables.is_empty() {
            let dataset = store.load_dataset()?;
            for table in &tables {
                let uploaded = dataset
                    .copies
                    .iter()
                    .filter(|copy| {
                        copy.record.table == *table
                            && copy.provenance.volunteer.is_some()
                            && copy.provenance.file_sha256 != sha256
                    })
                    .count();
                if uploaded >= cap {
                    return Ok(Err(format!(
                        "table {} has {uploaded} uploaded copies already: another adds nothing",
                        table.display(dataset.election.geography.centre_digits)
                    )));
                }
            }
        }
        let internal = |error: veedor_app::AppError| DeskError::Internal(error.to_string());
        let mut intake =
            ScanIntake::new(store, origin, veedor_scan::Limits::default()).map_err(internal)?;
        let report = intake.store(store, &*blobs, scan, at).map_err(internal)?;
        if !report.already {
            desk.checkpoint(store, at);
        }
        let mut detail = Vec::new();
        if let Some(hint) = hint {
            if let Some(hints) = desk
                .hints
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .as_mut()
            {
                hints.insert(sha256, hint);
            }
            detail.push(format!(
                "table given: {}",
                hint.display(store.election()?.geography.centre_digits)
            ));
        }
        if report.already {
            detail.push("already received".to_owned());
        }
        store.record_audit(&AuditEvent {
            at,
            actor: Some(who.clone()),
            action: "upload.file".to_owned(),
            object: sha256.to_hex(),
            detail: detail.join("; "),
        })?;
        Ok(Ok(report))
    })
}

/// A multipart body that could not be read: too large (413), or malformed (400).
fn multipart_error(error: &axum::extract::multipart::MultipartError) -> DeskError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        DeskError::TooLarge(format!("the upload: {}", error.body_text()))
    } else {
        DeskError::Invalid(format!("the upload: {}", error.body_text()))
    }
}
