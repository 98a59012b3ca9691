//! The handlers: pages for people, their JSON twins under `/api/v1/`, and scans. Each reads the
//! current snapshot and never the database.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, FromRequestParts, Path, Query, State};
use axum::http::header::{
    ACCESS_CONTROL_ALLOW_ORIGIN, CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH, LOCATION,
    SET_COOKIE, VARY,
};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sha2::{Digest, Sha256 as Hasher};
use veedor_core::{AreaCode, Sha256, TableId, VoterId};

use crate::AppState;
use crate::api::{self, TallyScope};
use crate::error::{ApiError, Failure};
use crate::i18n::{LANG_COOKIE, Lang};
use crate::limit::ClientKey;
use crate::pages::{self, Here, LookupOutcome};
use crate::scans;
use crate::snapshot::Snapshot;

/// How long browsers and proxies may reuse a page or document before asking again (with its
/// ETag). Short: results change while actas arrive.
const PAGE_MAX_AGE: &str = "public, max-age=30";

/// The client a request comes from, for the lookup limit.
#[derive(Clone, Copy, Debug)]
pub struct Client(pub ClientKey);

impl FromRequestParts<AppState> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // Behind a proxy, the proxy's own address is the peer; it names the client in a header,
        // whose last address is the one the proxy saw (earlier ones the client may have forged).
        if let Some(name) = &state.inner.options.client_ip_header
            && let Some(address) = parts
                .headers
                .get_all(name)
                .iter()
                .filter_map(|value| value.to_str().ok())
                .flat_map(|value| value.split(','))
                .filter_map(|item| item.trim().parse::<std::net::IpAddr>().ok())
                .next_back()
        {
            return Ok(Self(ClientKey::of(address)));
        }
        Ok(Self(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or_else(ClientKey::unknown, |info| ClientKey::of(info.0.ip())),
        ))
    }
}

/// `?lang=` on any page or document.
#[derive(Debug, Default, Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
}

/// A page request's language and data.
struct PageContext {
    lang: Lang,
    set_cookie: bool,
    snapshot: Arc<Snapshot>,
}

impl PageContext {
    fn new(state: &AppState, query: Option<&str>, headers: &HeaderMap) -> Self {
        let (lang, set_cookie) = Lang::choose(query, headers);
        Self {
            lang,
            set_cookie,
            snapshot: state.snapshot(),
        }
    }

    fn fail(&self, error: ApiError) -> Failure {
        Failure::page(error, self.lang, Some(Arc::clone(&self.snapshot)))
    }
}

/// How a response may be cached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Caching {
    /// Shared caches may keep it briefly; revalidated with its ETag.
    Page,
    /// Never stored: lookups (who votes where is nobody else's business).
    Private,
}

fn etag_of(body: &[u8]) -> String {
    let digest = Hasher::digest(body);
    let mut out = String::with_capacity(34);
    out.push('"');
    for byte in &digest[..16] {
        out.push_str(&format!("{byte:02x}"));
    }
    out.push('"');
    out
}

fn matches_etag(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|candidate| {
            let candidate = candidate.trim();
            candidate == "*" || candidate.trim_start_matches("W/") == etag
        })
}

fn respond(
    request_headers: &HeaderMap,
    status: StatusCode,
    content_type: &'static str,
    body: String,
    caching: Caching,
) -> Response {
    let mut response = match caching {
        Caching::Page if status == StatusCode::OK => {
            let etag = etag_of(body.as_bytes());
            let mut response = if matches_etag(request_headers, &etag) {
                StatusCode::NOT_MODIFIED.into_response()
            } else {
                (status, body).into_response()
            };
            if let Ok(value) = HeaderValue::from_str(&etag) {
                response.headers_mut().insert(ETAG, value);
            }
            response
                .headers_mut()
                .insert(CACHE_CONTROL, HeaderValue::from_static(PAGE_MAX_AGE));
            response
        }
        _ => {
            let mut response = (status, body).into_response();
            response
                .headers_mut()
                .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
    };
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn html(context: &PageContext, headers: &HeaderMap, status: StatusCode, body: String) -> Response {
    html_with(context, headers, status, body, Caching::Page)
}

fn html_with(
    context: &PageContext,
    headers: &HeaderMap,
    status: StatusCode,
    body: String,
    caching: Caching,
) -> Response {
    let mut response = respond(headers, status, "text/html; charset=utf-8", body, caching);
    let response_headers = response.headers_mut();
    response_headers.insert(VARY, HeaderValue::from_static("Accept-Language, Cookie"));
    if context.set_cookie {
        let cookie = format!(
            "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
            context.lang.tag()
        );
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response_headers.insert(SET_COOKIE, value);
        }
        // A response that sets a cookie is for this browser only.
        if caching == Caching::Page {
            response_headers.insert(
                CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=30"),
            );
        }
    }
    response
}

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

/// Resolves `level` and `code` from a URL to an area.
fn parse_area(snapshot: &Snapshot, level: &str, code: Option<&str>) -> Result<AreaCode, ApiError> {
    let geography = &snapshot.results.election().geography;
    let invalid = |error: veedor_core::CoreError| ApiError::InvalidInput {
        message: error.to_string(),
    };
    match (geography.level_index(level).map_err(invalid)?, code) {
        (None, None) => Ok(AreaCode::National),
        (Some(index), Some(code)) => geography.parse_area(index, code).map_err(invalid),
        (None, Some(_)) => Err(ApiError::InvalidInput {
            message: "the national level has no code".to_owned(),
        }),
        (Some(_), None) => Err(ApiError::InvalidInput {
            message: format!("{level}: a code is needed"),
        }),
    }
}

fn not_found(what: impl Into<String>) -> ApiError {
    ApiError::NotFound { what: what.into() }
}

// ---------------------------------------------------------------------------------------------
// Pages.

/// `/`: the nation.
pub async fn home(
    State(state): State<AppState>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    area_response(&state, &query, &headers, "national", None)
}

/// `/area/{level}/{code}`.
pub async fn area(
    State(state): State<AppState>,
    Path((level, code)): Path<(String, String)>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    area_response(&state, &query, &headers, &level, Some(&code))
}

fn area_response(
    state: &AppState,
    query: &LangQuery,
    headers: &HeaderMap,
    level: &str,
    code: Option<&str>,
) -> Result<Response, Failure> {
    let context = PageContext::new(state, query.lang.as_deref(), headers);
    let snapshot = &context.snapshot;
    let area = parse_area(snapshot, level, code).map_err(|e| context.fail(e))?;
    let document = api::area_document(&snapshot.results, area, context.lang.tag())
        .ok_or_else(|| context.fail(not_found(format!("{level} {}", code.unwrap_or("")))))?;
    let (path, json) = match code {
        None => ("/".to_owned(), "/api/v1/area/national".to_owned()),
        Some(code) => (
            format!("/area/{level}/{code}"),
            format!("/api/v1/area/{level}/{code}"),
        ),
    };
    let body = pages::area_page(
        snapshot,
        &document,
        context.lang,
        &Here::new(path, Some(json)),
    );
    Ok(html(&context, headers, StatusCode::OK, body))
}

/// `/table/{id}`.
pub async fn table(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    let context = PageContext::new(&state, query.lang.as_deref(), &headers);
    let snapshot = &context.snapshot;
    let results = &snapshot.results;
    let table_id =
        TableId::parse(&id, results.election().geography.centre_digits).map_err(|e| {
            context.fail(ApiError::InvalidInput {
                message: e.to_string(),
            })
        })?;
    let state_of = results
        .table(table_id)
        .ok_or_else(|| context.fail(not_found(format!("table {id}"))))?;
    let view = api::TableView::new(results, table_id, state_of);
    let body = pages::table_page(
        snapshot,
        &view,
        context.lang,
        &Here::new(
            format!("/table/{}", view.id),
            Some(format!("/api/v1/table/{}", view.id)),
        ),
    );
    Ok(html(&context, &headers, StatusCode::OK, body))
}

/// `/acta/{id}`.
pub async fn acta(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    let context = PageContext::new(&state, query.lang.as_deref(), &headers);
    let snapshot = &context.snapshot;
    let copy = id
        .parse::<i64>()
        .ok()
        .and_then(|id| snapshot.copy(id))
        .ok_or_else(|| context.fail(not_found(format!("acta {id}"))))?;
    let scan = snapshot.scan_of(copy);
    let document = api::acta_document(
        &snapshot.results,
        copy,
        scan.as_ref(),
        snapshot.log.as_ref(),
        context.lang.tag(),
    );
    let body = pages::acta_page(
        snapshot,
        &document,
        copy,
        context.lang,
        &Here::new(format!("/acta/{id}"), Some(format!("/api/v1/acta/{id}"))),
    );
    Ok(html(&context, &headers, StatusCode::OK, body))
}

/// `/lookup?voter_id=`.
#[derive(Debug, Default, Deserialize)]
pub struct LookupQuery {
    voter_id: Option<String>,
    lang: Option<String>,
}

/// `/lookup`: the form, and with `voter_id` the voter's table.
pub async fn lookup(
    State(state): State<AppState>,
    Client(client): Client,
    Query(query): Query<LookupQuery>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    let context = PageContext::new(&state, query.lang.as_deref(), &headers);
    let snapshot = &context.snapshot;
    let typed = query.voter_id.as_deref().map(str::trim).unwrap_or("");
    let here = |json: Option<String>| {
        let path = if typed.is_empty() {
            "/lookup".to_owned()
        } else {
            format!("/lookup?voter_id={}", url_encode(typed))
        };
        Here::new(path, json)
    };
    if typed.is_empty() {
        let body = pages::lookup_page(snapshot, &LookupOutcome::Form, context.lang, &here(None));
        return Ok(html(&context, &headers, StatusCode::OK, body));
    }
    let prefixes = &snapshot.results.election().voter_id_prefixes;
    let Ok(voter) = VoterId::parse(typed, prefixes) else {
        let outcome = LookupOutcome::Invalid {
            typed: typed.chars().take(24).collect(),
        };
        let body = pages::lookup_page(snapshot, &outcome, context.lang, &here(None));
        return Ok(html_with(
            &context,
            &headers,
            StatusCode::BAD_REQUEST,
            body,
            Caching::Private,
        ));
    };
    state
        .check_lookup(client)
        .map_err(|error| context.fail(error))?;
    if !snapshot.has_registry() {
        let body = pages::lookup_page(
            snapshot,
            &LookupOutcome::NoRegistry,
            context.lang,
            &here(None),
        );
        return Ok(html_with(
            &context,
            &headers,
            StatusCode::SERVICE_UNAVAILABLE,
            body,
            Caching::Private,
        ));
    }
    let json = Some(format!("/api/v1/lookup/{voter}"));
    let (status, body) = match snapshot.voter_table(voter) {
        Some((_, id, table_state)) => {
            let view = api::TableView::new(&snapshot.results, id, table_state);
            let outcome = LookupOutcome::Found {
                voter: voter.to_string(),
                table: &view,
            };
            (
                StatusCode::OK,
                pages::lookup_page(snapshot, &outcome, context.lang, &here(json)),
            )
        }
        None => {
            let outcome = LookupOutcome::NotFound {
                voter: voter.to_string(),
            };
            (
                StatusCode::NOT_FOUND,
                pages::lookup_page(snapshot, &outcome, context.lang, &here(json)),
            )
        }
    };
    Ok(html_with(
        &context,
        &headers,
        status,
        body,
        Caching::Private,
    ))
}

fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `/method`.
pub async fn method(
    State(state): State<AppState>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let context = PageContext::new(&state, query.lang.as_deref(), &headers);
    let body = pages::method_page(&context.snapshot, context.lang, &Here::new("/method", None));
    html(&context, &headers, StatusCode::OK, body)
}

/// `/static/style.css`.
pub async fn style(headers: HeaderMap) -> Response {
    let mut response = respond(
        &headers,
        StatusCode::OK,
        "text/css; charset=utf-8",
        pages::STYLE.to_owned(),
        Caching::Page,
    );
    response.headers_mut().insert(
        CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}

/// Anything else.
pub async fn fallback(
    State(state): State<AppState>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Failure {
    let error = not_found(uri.path().chars().take(100).collect::<String>());
    if uri.path().starts_with("/api/") {
        return Failure::api(error);
    }
    let (lang, _) = Lang::choose(None, &headers);
    Failure::page(error, lang, Some(state.snapshot()))
}

/// `/healthz`: the server is up and has data.
pub async fn health(State(state): State<AppState>) -> Response {
    let snapshot = state.snapshot();
    let body = format!(
        "ok: {} copies, {} voters, loaded {}\n",
        snapshot.results.dataset.copies.len(),
        snapshot.registry.len(),
        snapshot.loaded_at
    );
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

// ---------------------------------------------------------------------------------------------
// Scans.

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

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

// ---------------------------------------------------------------------------------------------
// The JSON API.

/// `/api/v1/tally/{level}`: as `veedor tally --format json --level LEVEL`.
pub async fn api_tally_level(
    State(state): State<AppState>,
    Path(level): Path<String>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    api_tally(&state, &level, None, &query, &headers)
}

/// `/api/v1/tally/{level}/{code}`: as `veedor tally --format json --level LEVEL --code CODE`.
pub async fn api_tally_area(
    State(state): State<AppState>,
    Path((level, code)): Path<(String, String)>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    api_tally(&state, &level, Some(&code), &query, &headers)
}

fn api_tally(
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
pub async fn api_area_national(
    State(state): State<AppState>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    api_area(&state, "national", None, &query, &headers)
}

/// `/api/v1/area/{level}/{code}`.
pub async fn api_area_code(
    State(state): State<AppState>,
    Path((level, code)): Path<(String, String)>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    api_area(&state, &level, Some(&code), &query, &headers)
}

fn api_area(
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

/// `/api/v1/table/{id}`.
pub async fn api_table(
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
pub async fn api_acta(
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
pub async fn api_lookup(
    State(state): State<AppState>,
    Client(client): Client,
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

/// `/api/v1/openapi.json`.
pub async fn api_openapi(headers: HeaderMap) -> Response {
    json_response(
        &headers,
        StatusCode::OK,
        crate::openapi::document().to_string(),
        Caching::Page,
    )
}

// ---------------------------------------------------------------------------------------------
// The transparency log (C2SP tlog-tiles paths, as `veedor export data` writes them under log/).

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
pub async fn log_checkpoint(
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
pub async fn log_key(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
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
pub async fn log_tile(
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
