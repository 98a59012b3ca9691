//! The pages for people: the nation, areas, tables, actas, the voter lookup, the method; the
//! stylesheet; and the page for any other path.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::header::{CACHE_CONTROL, SET_COOKIE, VARY};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use veedor_core::{TableId, VoterId};

use super::{Caching, Client, LangQuery, not_found, parse_area, respond};
use crate::AppState;
use crate::api;
use crate::error::{ApiError, Failure};
use crate::i18n::{LANG_COOKIE, Lang};
use crate::pages::{self, Here, LookupOutcome};
use crate::snapshot::Snapshot;

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

/// `/`: the nation.
pub async fn home(
    State(state): State<AppState>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    area_response(&state, &query, &headers, "national", None)
}

/// `/analysis`: does the national result stand?
pub async fn analysis_national(
    State(state): State<AppState>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    analysis_response(&state, &query, &headers, "national", None)
}

/// `/analysis/{level}/{code}`: the same for an area of the first level.
pub async fn analysis_area(
    State(state): State<AppState>,
    Path((level, code)): Path<(String, String)>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    analysis_response(&state, &query, &headers, &level, Some(&code))
}

fn analysis_response(
    state: &AppState,
    query: &LangQuery,
    headers: &HeaderMap,
    level: &str,
    code: Option<&str>,
) -> Result<Response, Failure> {
    let context = PageContext::new(state, query.lang.as_deref(), headers);
    let snapshot = &context.snapshot;
    let area = parse_area(snapshot, level, code).map_err(|e| context.fail(e))?;
    let (path, json) = match code {
        None => ("/analysis".to_owned(), "/api/v1/analysis".to_owned()),
        Some(code) => (
            format!("/analysis/{level}/{code}"),
            format!("/api/v1/analysis/{level}/{code}"),
        ),
    };
    let body = pages::analysis_page(snapshot, area, context.lang, &Here::new(path, Some(json)))
        .ok_or_else(|| {
            context.fail(not_found(format!(
                "the analysis of {level} {}",
                code.unwrap_or("")
            )))
        })?;
    Ok(html(&context, headers, StatusCode::OK, body))
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
    client: Client,
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
