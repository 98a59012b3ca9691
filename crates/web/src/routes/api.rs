//! The JSON API under `/api/v1/`: the same documents the command line prints (docs/json.md).

use axum::extract::{Path, Query, State};
use axum::http::header::ACCESS_CONTROL_ALLOW_ORIGIN;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use veedor_core::{TableId, VoterId};

use super::{Caching, Client, LangQuery, not_found, parse_area, respond};
use crate::AppState;
use crate::api::{self, TallyScope};
use crate::error::{ApiError, Failure};
use crate::i18n::Lang;

fn json_response(
    headers: &HeaderMap,
    status: StatusCode,
    body: String,
    caching: Caching,
) -> Response {
    let mut response = respond(
        headers,
        status,
        "application/json; charset=utf-8",
        body,
        caching,
    );
    response
        .headers_mut()
        .insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    response
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, Failure> {
    serde_json::to_string(value)
        .map_err(|error| Failure::api(ApiError::Internal(error.to_string())))
}

/// The API's language: `?lang=`, else English, as the command line prints.
fn api_lang(query: &LangQuery) -> Lang {
    query
        .lang
        .as_deref()
        .and_then(Lang::parse)
        .unwrap_or(Lang::En)
}

/// `/api/v1/tally/{level}`: as `veedor tally --format json --level LEVEL`.
pub async fn tally_level(
    State(state): State<AppState>,
    Path(level): Path<String>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    tally(&state, &level, None, &query, &headers)
}

/// `/api/v1/tally/{level}/{code}`: as `veedor tally --format json --level LEVEL --code CODE`.
pub async fn tally_area(
    State(state): State<AppState>,
    Path((level, code)): Path<(String, String)>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    tally(&state, &level, Some(&code), &query, &headers)
}

fn tally(
    state: &AppState,
    level: &str,
    code: Option<&str>,
    query: &LangQuery,
    headers: &HeaderMap,
) -> Result<Response, Failure> {
    let snapshot = state.snapshot();
    let geography = &snapshot.results.election().geography;
    let scope = match (
        geography.level_index(level).map_err(|e| {
            Failure::api(ApiError::InvalidInput {
                message: e.to_string(),
            })
        })?,
        code,
    ) {
        (None, None) => TallyScope::National,
        (Some(index), None) => TallyScope::Level(index),
        _ => TallyScope::Area(parse_area(&snapshot, level, code).map_err(Failure::api)?),
    };
    let document = api::tally_document(&snapshot.results, scope, api_lang(query).tag())
        .ok_or_else(|| Failure::api(not_found(format!("{level} {}", code.unwrap_or("")))))?;
    Ok(json_response(
        headers,
        StatusCode::OK,
        to_json(&document)?,
        Caching::Page,
    ))
}

/// `/api/v1/area/national`.
pub async fn area_national(
    State(state): State<AppState>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    area(&state, "national", None, &query, &headers)
}

/// `/api/v1/area/{level}/{code}`.
pub async fn area_code(
    State(state): State<AppState>,
    Path((level, code)): Path<(String, String)>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    area(&state, &level, Some(&code), &query, &headers)
}

fn area(
    state: &AppState,
    level: &str,
    code: Option<&str>,
    query: &LangQuery,
    headers: &HeaderMap,
) -> Result<Response, Failure> {
    let snapshot = state.snapshot();
    let area = parse_area(&snapshot, level, code).map_err(Failure::api)?;
    let document = api::area_document(&snapshot.results, area, api_lang(query).tag())
        .ok_or_else(|| Failure::api(not_found(format!("{level} {}", code.unwrap_or("")))))?;
    Ok(json_response(
        headers,
        StatusCode::OK,
        to_json(&document)?,
        Caching::Page,
    ))
}

/// `/api/v1/analysis`: the analysis of the nation (`veedor.analysis/1`).
pub async fn analysis_national(
    State(state): State<AppState>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    analysis(&state, "national", None, &query, &headers)
}

/// `/api/v1/analysis/{level}/{code}`: the analysis of an area of the first level.
pub async fn analysis_area(
    State(state): State<AppState>,
    Path((level, code)): Path<(String, String)>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    analysis(&state, &level, Some(&code), &query, &headers)
}

fn analysis(
    state: &AppState,
    level: &str,
    code: Option<&str>,
    query: &LangQuery,
    headers: &HeaderMap,
) -> Result<Response, Failure> {
    let snapshot = state.snapshot();
    let area = parse_area(&snapshot, level, code).map_err(Failure::api)?;
    let document = snapshot
        .analysis
        .document(&snapshot.results, area, api_lang(query))
        .ok_or_else(|| {
            Failure::api(not_found(format!(
                "the analysis of {level} {}",
                code.unwrap_or("")
            )))
        })?;
    Ok(json_response(
        headers,
        StatusCode::OK,
        to_json(&document)?,
        Caching::Page,
    ))
}

/// `/api/v1/table/{id}`.
pub async fn table(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    let snapshot = state.snapshot();
    let results = &snapshot.results;
    let table_id =
        TableId::parse(&id, results.election().geography.centre_digits).map_err(|e| {
            Failure::api(ApiError::InvalidInput {
                message: e.to_string(),
            })
        })?;
    let table_state = results
        .table(table_id)
        .ok_or_else(|| Failure::api(not_found(format!("table {id}"))))?;
    let document = api::table_document(results, table_id, table_state, api_lang(&query).tag());
    Ok(json_response(
        &headers,
        StatusCode::OK,
        to_json(&document)?,
        Caching::Page,
    ))
}

/// `/api/v1/acta/{id}`.
pub async fn acta(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    let snapshot = state.snapshot();
    let copy = id
        .parse::<i64>()
        .ok()
        .and_then(|id| snapshot.copy(id))
        .ok_or_else(|| Failure::api(not_found(format!("acta {id}"))))?;
    let scan = snapshot.scan_of(copy);
    let document = api::acta_document(
        &snapshot.results,
        copy,
        scan.as_ref(),
        snapshot.log.as_ref(),
        api_lang(&query).tag(),
    );
    Ok(json_response(
        &headers,
        StatusCode::OK,
        to_json(&document)?,
        Caching::Page,
    ))
}

/// `/api/v1/lookup/{voter_id}`: as `veedor lookup --format json`; 404 (with the same document,
/// `found: false`) when the voter is not in the registry.
pub async fn lookup(
    State(state): State<AppState>,
    client: Client,
    Path(voter): Path<String>,
    Query(query): Query<LangQuery>,
) -> Result<Response, Failure> {
    let snapshot = state.snapshot();
    let voter = VoterId::parse(&voter, &snapshot.results.election().voter_id_prefixes).map_err(
        |error| {
            Failure::api(ApiError::InvalidVoterId {
                message: error.to_string(),
            })
        },
    )?;
    state.check_lookup(client).map_err(Failure::api)?;
    if !snapshot.has_registry() {
        return Err(Failure::api(ApiError::NoRegistry));
    }
    let (found, body) = snapshot.lookup_json(voter, api_lang(&query));
    let status = if found {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    // Never cached, so the request's headers (an ETag to match) do not matter: not taking them
    // saves copying them on the hottest path.
    Ok(json_response(
        &HeaderMap::new(),
        status,
        body,
        Caching::Private,
    ))
}

/// `/api/v1/openapi.json`, with the volunteers' routes when the desk is open.
pub async fn openapi(State(state): State<AppState>, headers: HeaderMap) -> Response {
    json_response(
        &headers,
        StatusCode::OK,
        crate::openapi::document_with(state.desk().is_some()).to_string(),
        Caching::Page,
    )
}
