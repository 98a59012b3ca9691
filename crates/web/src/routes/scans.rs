//! Scans: the original bytes an acta copy was read from, and a small JPEG copy for phones.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, LOCATION};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use veedor_core::Sha256;

use super::{IMMUTABLE, matches_etag, not_found};
use crate::AppState;
use crate::error::{ApiError, Failure};
use crate::scans;
use crate::snapshot::Snapshot;

fn scan_hash(state: &AppState, text: &str) -> Result<(Arc<Snapshot>, Sha256), Failure> {
    let snapshot = state.snapshot();
    let hash = Sha256::from_hex(text)
        .ok()
        .filter(|hash| snapshot.has_scan(hash))
        .ok_or_else(|| {
            Failure::api(not_found(format!(
                "scan {}",
                text.chars().take(64).collect::<String>()
            )))
        })?;
    Ok((snapshot, hash))
}

/// The ETag of a scan (or of its small copy), and a 304 when the client has it already.
fn immutable(headers: &HeaderMap, hash: &Sha256, suffix: &str) -> (String, Option<Response>) {
    let etag = format!("\"{}{suffix}\"", hash.to_hex());
    if !matches_etag(headers, &etag) {
        return (etag, None);
    }
    let mut response = StatusCode::NOT_MODIFIED.into_response();
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        response.headers_mut().insert(ETAG, value);
    }
    (etag, Some(response))
}

fn scan_response(bytes: Bytes, content_type: &'static str, etag: &str) -> Response {
    let mut response = Body::from(bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
    if let Ok(value) = HeaderValue::from_str(etag) {
        headers.insert(ETAG, value);
    }
    response
}

async fn read_blob(state: &AppState, hash: Sha256) -> Result<Bytes, Failure> {
    let blobs = Arc::clone(state.inner.source.blobs());
    let bytes = tokio::task::spawn_blocking(move || blobs.get(&hash))
        .await
        .map_err(|error| Failure::api(ApiError::Internal(error.to_string())))?
        .map_err(|error| Failure::api(ApiError::from(error)))?
        .ok_or_else(|| Failure::api(not_found("scan")))?;
    Ok(Bytes::from(bytes))
}

/// `/scans/{sha256}`: the original bytes.
pub async fn scan(
    State(state): State<AppState>,
    Path(hash): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    let (_, hash) = scan_hash(&state, &hash)?;
    let (etag, not_modified) = immutable(&headers, &hash, "");
    if let Some(response) = not_modified {
        return Ok(response);
    }
    let bytes = read_blob(&state, hash).await?;
    let content_type = scans::media_type(&bytes);
    Ok(scan_response(bytes, content_type, &etag))
}

/// `/scans/{sha256}/small`: a JPEG for phones; the original if it cannot be made.
pub async fn scan_small(
    State(state): State<AppState>,
    Path(hash): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    let (_, hash) = scan_hash(&state, &hash)?;
    let (etag, not_modified) = immutable(&headers, &hash, "-small");
    if let Some(response) = not_modified {
        return Ok(response);
    }
    let small = &state.inner.small_copies;
    if let Some(bytes) = small.get(&hash) {
        return Ok(scan_response(bytes, "image/jpeg", &etag));
    }
    let permit = Arc::clone(&small.permits)
        .acquire_owned()
        .await
        .map_err(|error| Failure::api(ApiError::Internal(error.to_string())))?;
    if let Some(bytes) = small.get(&hash) {
        return Ok(scan_response(bytes, "image/jpeg", &etag));
    }
    let original = read_blob(&state, hash).await?;
    let made = tokio::task::spawn_blocking(move || {
        let made = scans::downscale(&original);
        drop(permit);
        made
    })
    .await
    .map_err(|error| Failure::api(ApiError::Internal(error.to_string())))?;
    match made {
        Ok(bytes) => {
            let bytes = Bytes::from(bytes);
            small.put(hash, bytes.clone());
            Ok(scan_response(bytes, "image/jpeg", &etag))
        }
        Err(error) => {
            // A PDF or an unusual format: the original is all there is.
            tracing::warn!(%error, scan = %hash, "no small copy");
            let mut response = StatusCode::TEMPORARY_REDIRECT.into_response();
            if let Ok(value) = HeaderValue::from_str(&format!("/scans/{}", hash.to_hex())) {
                response.headers_mut().insert(LOCATION, value);
            }
            Ok(response)
        }
    }
}
