//! Documents that are large and the same for everyone (the tally of a whole level, 13 MB of
//! JSON for the centres; the open data) made once per snapshot and compressed once, at a fixed
//! level, never per request: a request for one copies a reference to bytes in memory, whatever
//! it asks for and however many ask at once.
//!
//! The layer wraps the handler of such a route. A document is cached under its route, its path
//! parameters (percent-decoded, so that spellings of one URL share it) and, where the handler
//! reads it, its language; every other part of the URL is ignored, so an attacker cannot make
//! new entries by varying it. The first request after a snapshot change renders the document
//! with the handler (others wait for it), and the first that asks for brotli or gzip compresses
//! it (others wait for that). Rendering and compressing run off the server's threads, one at a
//! time for the whole server, so that they take one core at most however many clients ask.
//! A response the handler does not answer with 200 is passed through and not kept.

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Query, RawPathParams, Request, State};
use axum::http::header::{CONTENT_ENCODING, CONTENT_LENGTH, ETAG, IF_NONE_MATCH, VARY};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use serde::Deserialize;
use tokio::sync::{OnceCell, Semaphore};

use crate::AppState;
use crate::error::{ApiError, Failure};
use crate::i18n::Lang;
use crate::snapshot::Snapshot;

/// Brotli's quality for documents compressed ahead of time (0 to 11): the centre tally, 13.5 MB,
/// compresses to 0.73 MB in about a third of a second of one core, once per snapshot (quality 4
/// per request made 0.95 MB and took a second per request; BENCHMARKS.md).
pub const BROTLI_QUALITY: i32 = 6;
/// Brotli's window, as a power of two (the largest the format allows without its extension).
const BROTLI_WINDOW: i32 = 22;
/// gzip's level for documents compressed ahead of time (0 to 9).
pub const GZIP_LEVEL: u32 = 6;
/// The largest body a document may have.
const MAX_DOCUMENT: usize = 1 << 30;

/// A compression a client may accept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Encoding {
    Brotli,
    Gzip,
}

impl Encoding {
    fn token(self) -> &'static str {
        match self {
            Self::Brotli => "br",
            Self::Gzip => "gzip",
        }
    }

    /// The encoding `headers` ask for (`Accept-Encoding` with its q-values): the one with the
    /// highest weight, brotli before gzip on a tie; `None` for the document as it is.
    fn preferred(headers: &HeaderMap) -> Option<Self> {
        let mut weights = [None::<u32>; 2];
        let mut wildcard = None;
        for item in headers
            .get_all(axum::http::header::ACCEPT_ENCODING)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
        {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or("").trim();
            let weight = parts
                .find_map(|parameter| parameter.trim().strip_prefix("q="))
                .map_or(Some(1000), parse_weight);
            let Some(weight) = weight else { continue };
            match name.to_ascii_lowercase().as_str() {
                "br" => weights[0] = Some(weight),
                "gzip" | "x-gzip" => weights[1] = Some(weight),
                "*" => wildcard = Some(weight),
                _ => {}
            }
        }
        let brotli = weights[0].or(wildcard).unwrap_or(0);
        let gzip = weights[1].or(wildcard).unwrap_or(0);
        if brotli > 0 && brotli >= gzip {
            Some(Self::Brotli)
        } else if gzip > 0 {
            Some(Self::Gzip)
        } else {
            None
        }
    }

    fn encode(self, body: &[u8]) -> std::io::Result<Vec<u8>> {
        match self {
            Self::Brotli => {
                let params = brotli::enc::BrotliEncoderParams {
                    quality: BROTLI_QUALITY,
                    lgwin: BROTLI_WINDOW,
                    size_hint: body.len(),
                    ..Default::default()
                };
                let mut out = Vec::with_capacity(body.len() / 8);
                brotli::BrotliCompress(&mut &body[..], &mut out, &params)?;
                Ok(out)
            }
            Self::Gzip => {
                let mut encoder = flate2::write::GzEncoder::new(
                    Vec::with_capacity(body.len() / 6),
                    flate2::Compression::new(GZIP_LEVEL),
                );
                encoder.write_all(body)?;
                encoder.finish()
            }
        }
    }
}

/// A q-value (`0`, `0.5`, `1.000`) in thousandths; `None` when it is not one.
fn parse_weight(text: &str) -> Option<u32> {
    let text = text.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    let whole: u32 = match whole {
        "0" => 0,
        "1" => 1,
        _ => return None,
    };
    let fraction = format!("{fraction:0<3}").parse::<u32>().ok()?;
    let weight = whole * 1000 + fraction;
    (weight <= 1000).then_some(weight)
}

/// A document as its handler answered it.
struct Document {
    headers: HeaderMap,
    body: Bytes,
    /// Its entity tag, quoted.
    etag: String,
}

/// One document of the current snapshot and its compressed forms, each made once.
#[derive(Default)]
struct Entry {
    document: OnceCell<Document>,
    brotli: OnceCell<Bytes>,
    gzip: OnceCell<Bytes>,
}

impl Entry {
    fn encoded(&self, encoding: Encoding) -> &OnceCell<Bytes> {
        match encoding {
            Encoding::Brotli => &self.brotli,
            Encoding::Gzip => &self.gzip,
        }
    }
}

/// The documents of the snapshot they were made from: emptied when the snapshot changes.
struct Entries {
    snapshot: Weak<Snapshot>,
    documents: HashMap<String, Arc<Entry>>,
}

/// The server's cache of documents made once per snapshot. Part of the shared state.
pub(crate) struct Cache {
    entries: Mutex<Entries>,
    /// Rendering and compressing: one at a time for the whole server.
    work: Semaphore,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        formatter
            .debug_struct("Cache")
            .field("documents", &entries.documents.len())
            .finish_non_exhaustive()
    }
}

impl Default for Cache {
    fn default() -> Self {
        Self {
            entries: Mutex::new(Entries {
                snapshot: Weak::new(),
                documents: HashMap::new(),
            }),
            work: Semaphore::new(1),
        }
    }
}

impl Cache {
    /// The entry of `key` in `snapshot`, made empty if there is none; the cache is emptied
    /// first if it holds another snapshot's documents.
    fn entry(&self, snapshot: &Arc<Snapshot>, key: &str) -> Arc<Entry> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        // The weak reference keeps the old snapshot's allocation, so no new snapshot can have
        // its address while it is held: equal addresses mean the same snapshot.
        if !std::ptr::eq(entries.snapshot.as_ptr(), Arc::as_ptr(snapshot)) {
            entries.snapshot = Arc::downgrade(snapshot);
            entries.documents.clear();
        }
        Arc::clone(entries.documents.entry(key.to_owned()).or_default())
    }

    /// Drops `entry` if it is still `key`'s and holds no document (its handler did not answer
    /// 200): only documents that exist are kept.
    fn forget(&self, key: &str, entry: &Arc<Entry>) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries
            .documents
            .get(key)
            .is_some_and(|kept| Arc::ptr_eq(kept, entry) && !kept.document.initialized())
        {
            entries.documents.remove(key);
        }
    }
}

/// The layer's state: the server's and whether the handler reads `?lang=`.
#[derive(Clone, Debug)]
pub(crate) struct Documents {
    state: AppState,
    by_language: bool,
}

impl Documents {
    /// For a route whose document depends on its path only (`by_language` false) or on its
    /// path and `?lang=`.
    pub(crate) fn new(state: AppState, by_language: bool) -> Self {
        Self { state, by_language }
    }
}

/// `?lang=`, as the handlers read it.
#[derive(Deserialize)]
struct LangParameter {
    lang: Option<String>,
}

/// The key of a request's document; `None` when the handler will refuse the request anyway.
fn key_of(route: &Documents, params: &RawPathParams, request: &Request) -> Option<String> {
    let mut key = request
        .extensions()
        .get::<MatchedPath>()?
        .as_str()
        .to_owned();
    for (_, value) in params {
        key.push('\0');
        key.push_str(value);
    }
    if route.by_language {
        let Query(query) = Query::<LangParameter>::try_from_uri(request.uri()).ok()?;
        let lang = query
            .lang
            .as_deref()
            .and_then(Lang::parse)
            .unwrap_or(Lang::En);
        key.push('\0');
        key.push_str(lang.tag());
    }
    Some(key)
}

/// The layer: serves the route's document from the cache, made and compressed once.
pub(crate) async fn serve(
    State(route): State<Documents>,
    params: RawPathParams,
    request: Request,
    next: Next,
) -> Response {
    let Some(key) = key_of(&route, &params, &request) else {
        return next.run(request).await;
    };
    let encoding = Encoding::preferred(request.headers());
    let conditions: Vec<HeaderValue> = request
        .headers()
        .get_all(IF_NONE_MATCH)
        .iter()
        .cloned()
        .collect();
    let cache = &route.state.inner.documents;
    let entry = cache.entry(&route.state.snapshot(), &key);
    let document = match entry
        .document
        .get_or_try_init(|| render(cache, request, next))
        .await
    {
        Ok(document) => document,
        Err(response) => {
            cache.forget(&key, &entry);
            return response;
        }
    };
    let encoded = match encoding {
        None => None,
        Some(encoding) => entry
            .encoded(encoding)
            .get_or_try_init(|| compress(cache, encoding, document.body.clone()))
            .await
            .ok()
            .map(|body| (encoding, body.clone())),
    };
    respond(document, encoded, &conditions)
}

/// Runs the handler for a document, off the server's threads (a level's tally takes a while to
/// build), and keeps what it answered if that was a 200.
async fn render(cache: &Cache, mut request: Request, next: Next) -> Result<Document, Response> {
    // The whole document, whatever the client already has.
    request.headers_mut().remove(IF_NONE_MATCH);
    let internal = |what: String| Failure::api(ApiError::Internal(what)).into_response();
    let _permit = cache
        .work
        .acquire()
        .await
        .map_err(|error| internal(error.to_string()))?;
    let handle = tokio::runtime::Handle::current();
    // The handlers of these routes compute and return; they wait on no I/O or timer, which a
    // blocking thread could not drive.
    let response = tokio::task::spawn_blocking(move || handle.block_on(next.run(request)))
        .await
        .map_err(|error| internal(format!("rendering a document: {error}")))?;
    if response.status() != StatusCode::OK {
        return Err(response);
    }
    let (parts, body) = response.into_parts();
    let body = axum::body::to_bytes(body, MAX_DOCUMENT)
        .await
        .map_err(|error| internal(format!("reading a document: {error}")))?;
    let etag = parts
        .headers
        .get(ETAG)
        .and_then(|value| value.to_str().ok())
        .filter(|etag| etag.len() >= 2 && etag.starts_with('"') && etag.ends_with('"'))
        .map_or_else(|| crate::routes::etag_of(&body), str::to_owned);
    let mut headers = parts.headers;
    headers.remove(CONTENT_LENGTH);
    Ok(Document {
        headers,
        body,
        etag,
    })
}

/// Compresses a document, off the server's threads. An error is logged and the document is
/// served as it is.
async fn compress(cache: &Cache, encoding: Encoding, body: Bytes) -> Result<Bytes, ()> {
    let _permit = cache.work.acquire().await.map_err(|_| ())?;
    let started = std::time::Instant::now();
    let size = body.len();
    match tokio::task::spawn_blocking(move || encoding.encode(&body)).await {
        Ok(Ok(encoded)) => {
            tracing::info!(
                encoding = encoding.token(),
                bytes = size,
                compressed = encoded.len(),
                milliseconds = started.elapsed().as_millis(),
                "document compressed"
            );
            Ok(Bytes::from(encoded))
        }
        Ok(Err(error)) => {
            tracing::error!(%error, "could not compress a document");
            Err(())
        }
        Err(error) => {
            tracing::error!(%error, "compressing a document failed");
            Err(())
        }
    }
}

/// The entity tag of a document's compressed form: its own, as RFC 9110 wants (`"abc"` becomes
/// `"abc-br"`).
fn encoded_etag(etag: &str, encoding: Encoding) -> String {
    let inner = etag.trim_end_matches('"');
    format!("{inner}-{}\"", encoding.token())
}

fn matches(conditions: &[HeaderValue], etag: &str) -> bool {
    conditions
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|candidate| {
            let candidate = candidate.trim();
            candidate == "*" || candidate.trim_start_matches("W/") == etag
        })
}

fn respond(
    document: &Document,
    encoded: Option<(Encoding, Bytes)>,
    conditions: &[HeaderValue],
) -> Response {
    let (body, etag) = match &encoded {
        Some((encoding, body)) => (body.clone(), encoded_etag(&document.etag, *encoding)),
        None => (document.body.clone(), document.etag.clone()),
    };
    let not_modified = matches(conditions, &etag);
    let mut response = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        Response::new(Body::from(body))
    };
    let headers = response.headers_mut();
    for (name, value) in &document.headers {
        headers.append(name, value.clone());
    }
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(ETAG, value);
    }
    headers.append(VARY, HeaderValue::from_static("accept-encoding"));
    if let Some((encoding, _)) = encoded {
        headers.insert(CONTENT_ENCODING, HeaderValue::from_static(encoding.token()));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(accept: &str, expected: Option<Encoding>) {
        let mut headers = HeaderMap::new();
        headers.insert(
            axum::http::header::ACCEPT_ENCODING,
            HeaderValue::from_str(accept).unwrap(),
        );
        assert_eq!(Encoding::preferred(&headers), expected, "{accept}");
    }

    #[test]
    fn the_encoding_is_the_one_the_client_weighs_most() {
        check("gzip, deflate, br", Some(Encoding::Brotli));
        check("gzip, deflate, br, zstd", Some(Encoding::Brotli));
        check("gzip", Some(Encoding::Gzip));
        check("x-gzip", Some(Encoding::Gzip));
        check("br;q=0, gzip", Some(Encoding::Gzip));
        check("br;q=0.5, gzip;q=0.8", Some(Encoding::Gzip));
        check("br;q=1.0, gzip;q=1", Some(Encoding::Brotli));
        check("gzip;q=0, br;q=0", None);
        check("identity", None);
        check("", None);
        check("*", Some(Encoding::Brotli));
        check("*;q=0", None);
        check("br;q=2", None);
        check("br;q=abc, gzip", Some(Encoding::Gzip));
        check("deflate", None);
    }

    #[test]
    fn compressed_forms_have_their_own_entity_tags() {
        assert_eq!(encoded_etag("\"abc\"", Encoding::Brotli), "\"abc-br\"");
        assert_eq!(encoded_etag("\"abc\"", Encoding::Gzip), "\"abc-gzip\"");
    }

    #[test]
    fn both_encodings_round_trip() {
        let body = b"{\"a\": 1, \"b\": [1, 2, 3]}".repeat(1000);
        for encoding in [Encoding::Brotli, Encoding::Gzip] {
            let encoded = encoding.encode(&body).unwrap();
            assert!(encoded.len() < body.len() / 10, "{encoding:?}");
            let mut decoded = Vec::new();
            match encoding {
                Encoding::Brotli => {
                    brotli::BrotliDecompress(&mut &encoded[..], &mut decoded).unwrap();
                }
                Encoding::Gzip => {
                    use std::io::Read as _;
                    flate2::read::GzDecoder::new(&encoded[..])
                        .read_to_end(&mut decoded)
                        .unwrap();
                }
            }
            assert_eq!(decoded, body, "{encoding:?}");
        }
    }
}
