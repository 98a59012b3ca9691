//! `/data/{file}`: the open data of the published checkpoint, at the paths a mirror made by
//! `veedor export data` has them, so that `veedor verify URL` checks a running server as it
//! checks any mirror. Made once per snapshot; a request only copies a reference.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header::{ACCESS_CONTROL_ALLOW_ORIGIN, CACHE_CONTROL, CONTENT_TYPE, ETAG};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::{matches_etag, not_found};
use crate::AppState;
use crate::error::Failure;

/// The files change with every checkpoint: cached briefly, like the checkpoint itself.
const DATA_MAX_AGE: &str = "public, max-age=10";

fn content_type(name: &str) -> &'static str {
    if name.ends_with(".csv") {
        "text/csv; charset=utf-8"
    } else if name.ends_with(".json") {
        "application/json"
    } else {
        "text/plain; charset=utf-8"
    }
}

/// `/data/{file}`: `actas.csv`, `tables.json`, `tally-<level>.csv`, `README.txt`, ...
pub async fn file(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    let snapshot = state.snapshot();
    let file = snapshot.open_data_file(&name).ok_or_else(|| {
        Failure::api(not_found(format!(
            "data/{name}: no such open-data file is published here"
        )))
    })?;
    let mut response = if matches_etag(&headers, &file.etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        Body::from(file.bytes.clone()).into_response()
    };
    let response_headers = response.headers_mut();
    response_headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type(&name)));
    response_headers.insert(CACHE_CONTROL, HeaderValue::from_static(DATA_MAX_AGE));
    response_headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    if let Ok(value) = HeaderValue::from_str(&file.etag) {
        response_headers.insert(ETAG, value);
    }
    Ok(response)
}
