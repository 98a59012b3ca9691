//! The handlers: pages for people (`pages.rs`), their JSON twins under `/api/v1/` (`api.rs`),
//! scans (`scans.rs`) and the transparency log (`log.rs`). Each reads the current snapshot and
//! never the database. What they share is here: the client a request comes from, the language
//! query, caching with ETags, and resolving an area from a URL.

pub mod api;
pub mod data;
pub mod log;
pub mod pages;
pub mod scans;

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sha2::{Digest, Sha256 as Hasher};
use veedor_core::AreaCode;

use crate::AppState;
use crate::error::ApiError;
use crate::limit::ClientKey;
use crate::snapshot::Snapshot;

/// How long browsers and proxies may reuse a page or document before asking again (with its
/// ETag). Short: results change while actas arrive.
const PAGE_MAX_AGE: &str = "public, max-age=30";

/// The client a request comes from, for the lookup limits: its address (IPv6 by /64) and its
/// network (IPv4 /24, IPv6 /48).
#[derive(Clone, Copy, Debug)]
pub struct Client {
    /// The address.
    pub address: ClientKey,
    /// The network.
    pub network: ClientKey,
}

impl Client {
    fn of(address: std::net::IpAddr) -> Self {
        Self {
            address: ClientKey::of(address),
            network: ClientKey::network_of(address),
        }
    }
}

impl FromRequestParts<AppState> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip());
        Ok(match (peer, &state.inner.options.trusted_proxy) {
            (Some(peer), Some(proxy)) => Self::of(proxy.client(peer, &parts.headers)),
            (Some(peer), None) => Self::of(peer),
            (None, _) => Self {
                address: ClientKey::unknown(),
                network: ClientKey::unknown(),
            },
        })
    }
}

/// `?lang=` on any page or document.
#[derive(Debug, Default, Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
}

/// How a response may be cached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Caching {
    /// Shared caches may keep it briefly; revalidated with its ETag.
    Page,
    /// Never stored: lookups (who votes where is nobody else's business).
    Private,
}

pub(crate) fn etag_of(body: &[u8]) -> String {
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

/// Scans and full log tiles never change: cached for a year.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

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
