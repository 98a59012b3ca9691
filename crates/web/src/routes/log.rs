//! The transparency log (C2SP tlog-tiles paths, as `veedor export data` writes them under
//! `log/`): the checkpoint, the public key, hash tiles and entry bundles.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header::{ACCESS_CONTROL_ALLOW_ORIGIN, CACHE_CONTROL, CONTENT_TYPE, ETAG};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::{IMMUTABLE, etag_of, matches_etag, not_found};
use crate::AppState;
use crate::error::{ApiError, Failure};
use crate::snapshot::Snapshot;

/// The checkpoint and partial tiles are replaced as the log grows: cached briefly.
const LOG_MAX_AGE: &str = "public, max-age=10";

fn log_response(
    request_headers: &HeaderMap,
    content_type: &'static str,
    body: Vec<u8>,
    cache_control: &'static str,
) -> Response {
    let etag = etag_of(&body);
    let mut response = if matches_etag(request_headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        Body::from(body).into_response()
    };
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(cache_control));
    headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(ETAG, value);
    }
    response
}

fn published_log(snapshot: &Snapshot) -> Result<&crate::log::PublishedLog, Failure> {
    snapshot.log.as_ref().ok_or_else(|| {
        Failure::api(not_found(
            "the transparency log: no signed checkpoint is published here",
        ))
    })
}

/// `/log/checkpoint`: the latest signed checkpoint (a C2SP signed note).
pub async fn checkpoint(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    let snapshot = state.snapshot();
    let log = published_log(&snapshot)?;
    Ok(log_response(
        &headers,
        "text/plain; charset=utf-8",
        log.note.clone().into_bytes(),
        LOG_MAX_AGE,
    ))
}

/// `/log/key`: the log's public key (signed-note verifier-key form). It proves nothing by
/// itself: a verifier gets the key by another way (docs/ledger.md).
pub async fn key(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, Failure> {
    let snapshot = state.snapshot();
    let log = published_log(&snapshot)?;
    Ok(log_response(
        &headers,
        "text/plain; charset=utf-8",
        crate::log::key_file(&log.key).into_bytes(),
        LOG_MAX_AGE,
    ))
}

/// `/log/tile/<L>/<N>[.p/<W>]` and `/log/tile/entries/<N>[.p/<W>]`: hash tiles from the
/// in-memory tree, entry bundles from the store (full ones cached). Full tiles never change.
pub async fn tile(
    State(state): State<AppState>,
    Path(path): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    let snapshot = state.snapshot();
    let log = published_log(&snapshot)?;
    let missing = || {
        Failure::api(not_found(format!(
            "tile/{}",
            path.chars().take(60).collect::<String>()
        )))
    };
    let tile = veedor_ledger::TilePath::parse(&format!("tile/{path}")).map_err(|_| missing())?;
    let cache_control = if tile.is_partial() {
        LOG_MAX_AGE
    } else {
        IMMUTABLE
    };
    let bytes = if tile.kind() == veedor_ledger::TileKind::Entries {
        let (start, end) = log.bundle_range(&tile).map_err(|_| missing())?;
        match state.inner.bundles.get(&tile) {
            Some(bytes) => bytes,
            None => {
                let reader = state.clone();
                let entries = tokio::task::spawn_blocking(move || {
                    reader.inner.source.log_entries(start, end)
                })
                .await
                .map_err(|error| Failure::api(ApiError::Internal(error.to_string())))?
                .map_err(|error| Failure::api(ApiError::from(error)))?;
                let bytes = log
                    .entry_bundle(start, &entries)
                    .map_err(|error| Failure::api(ApiError::Internal(error.to_string())))?;
                state.inner.bundles.put(tile, bytes.clone());
                bytes
            }
        }
    } else {
        log.hash_tile(&tile).map_err(|_| missing())?
    };
    Ok(log_response(
        &headers,
        "application/octet-stream",
        bytes,
        cache_control,
    ))
}
