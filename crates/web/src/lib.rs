//! veedor's public face: the site where citizens type their ID number and see their table's
//! acta, the results at every level of the geography with their coverage, and the JSON API
//! under `/api/v1/` that mirrors every page. The routes, the caching and the lookup limit are
//! described in docs/web.md.
//!
//! - [`api`] holds the JSON documents, built by hand from domain types; the command line's
//!   `--format json` prints the same ones the API serves.
//! - [`app`] is the router; [`serve`] runs it on a listener until the caller's shutdown future
//!   completes ([`serve_blocking`] on one runtime per thread), in its own accept loop that holds
//!   every connection to the [`ServerLimits`] (a header timeout, an idle and a send timeout, a
//!   cap on connections, a shutdown grace: `conn.rs`).
//! - The largest documents (a whole level's tally, the open data) are made and compressed once
//!   per snapshot, never per request (`precompress.rs`); other responses are compressed on the
//!   fly only up to [`MAX_COMPRESSED_ON_THE_FLY`] bytes, so no request costs more than that.
//! - [`AppState`] holds an in-memory [`Snapshot`] of the store, swapped whole when the store
//!   changes (polled with [`veedor_store::ResultStore::data_version`]). Requests never touch the
//!   database: a voter lookup is a binary search in the registry and a copy of a ready-made
//!   JSON string.
//! - [`ApiError`] is the one error type, turned into a response (JSON or an HTML page) in one
//!   place.
//! - [`opendata`] renders a mirror's open data and [`verify`] checks a mirror against the log's
//!   key, reading its files through a [`verify::MirrorFiles`] (no I/O of its own).
//!
//! Dependencies: `veedor-core`, `veedor-ledger`, `veedor-formats` (the log's entries and the
//! election definition, which the verifier reads from a mirror's log) and the `veedor-store` port
//! (the `Store` and `BlobStore` traits), never an adapter: the command line hands in the store
//! it opened.
//!
//! Architecture invariants: pages work without JavaScript and carry no inline script or style
//! (the content security policy forbids both); a result is never shown without its coverage;
//! voter ids never reach the logs (requests are logged by route, not by URL). The crate reads
//! the monotonic clock (`Instant`, for the lookup limit, the refresh timer and timeouts) and
//! nothing else of the machine: the wall clock ([`ServeOptions::clock`]), the stop signal (the
//! shutdown future) and the number of threads come from the caller, and the store and blobs
//! only through the `veedor-store` traits.
#![deny(missing_docs)]

pub mod analysis;
pub mod api;
mod conn;
mod error;
pub mod i18n;
pub mod limit;
pub mod log;
mod openapi;
pub mod opendata;
pub mod pages;
mod precompress;
mod routes;
pub mod scans;
pub mod site;
pub mod snapshot;
pub mod verify;
pub mod volunteer;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::MatchedPath;
use axum::http::header::{
    CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderValue, Request, StatusCode};
use axum::response::IntoResponse as _;
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::predicate::{DefaultPredicate, Predicate};
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnFailure, DefaultOnResponse, TraceLayer};
use tracing::Level;
use veedor_core::Timestamp;
use veedor_store::{BlobStore, Store, StoreError};

pub use axum::http::HeaderName;

pub use crate::conn::ServerLimits;
pub use crate::error::{ApiError, Audience, Failure};
pub use crate::limit::{RateLimiter, TrustedProxy};
pub use crate::openapi::{document as openapi_document, document_with as openapi_document_with};
pub use crate::snapshot::{Current, DataSource, Snapshot};
pub use crate::volunteer::{Desk, DeskOptions, RandomSource};
pub use ipnet::IpNet;

/// The content security policy of every response: no script at all, styles and images only
/// from this server, forms only to it, no framing.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The largest response compressed per request, in bytes (pages and small documents, at brotli
/// quality or gzip level [`ON_THE_FLY_LEVEL`]). Larger ones are either made and compressed once
/// per snapshot (the tallies of whole levels and the open data) or sent as they are (scans).
pub const MAX_COMPRESSED_ON_THE_FLY: u64 = 256 * 1024;

/// How long a request to the volunteers' desk may take (an upload from a phone included).
pub const DESK_TIMEOUT: Duration = Duration::from_secs(120);

/// Brotli's quality and gzip's level for responses compressed per request.
pub const ON_THE_FLY_LEVEL: i32 = 4;

/// How the server behaves.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// Voter lookups allowed per client per minute (a burst of as many, then one every
    /// `60 / N` seconds); 0 turns every lookup limit off (for benchmarks).
    pub lookup_limit_per_minute: u32,
    /// Voter lookups allowed per network (IPv4 /24, IPv6 /48) per minute, all its clients
    /// together; 0 turns this one off.
    pub lookup_limit_per_network_per_minute: u32,
    /// Voter lookups the whole server answers per minute, all clients together; 0 turns this
    /// one off.
    pub lookup_limit_global_per_minute: u32,
    /// How often to check whether the store changed.
    pub refresh_every: Duration,
    /// The reverse proxy or CDN in front, whose header naming the client is believed from its
    /// own addresses only; `None` (the default): the peer's address is the client's.
    pub trusted_proxy: Option<TrustedProxy>,
    /// How long one request may take before it is answered with 408.
    pub request_timeout: Duration,
    /// What every connection is held to: timeouts, the cap, the largest head and body, the
    /// shutdown grace.
    pub limits: ServerLimits,
    /// The transparency log's public key. With it, the latest checkpoint that verifies is
    /// published under `/log/` with the log's tiles, and acta pages show their inclusion
    /// proofs; without it, `/log/` answers 404. Never the private key.
    pub log_key: Option<veedor_ledger::VerifierKey>,
    /// The wall clock, read when a snapshot is loaded: its time is in every page's footer and
    /// in `/healthz`. The crate never reads the clock itself; the command line gives the
    /// system's. The default is stopped at the Unix epoch, for tests.
    pub clock: fn() -> Timestamp,
}

/// A clock stopped at the Unix epoch: [`ServeOptions`]' default.
fn stopped_clock() -> Timestamp {
    Timestamp::UNIX_EPOCH
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            lookup_limit_per_minute: 20,
            // A /24 is often one office, school or carrier NAT: ten clients' worth.
            lookup_limit_per_network_per_minute: 200,
            // 500 a second: a bound on what scraping can cost the server, not a wall: asking
            // every 8-digit id up to 35 million at this rate still takes about 20 hours.
            lookup_limit_global_per_minute: 30_000,
            refresh_every: Duration::from_secs(3),
            trusted_proxy: None,
            request_timeout: Duration::from_secs(15),
            limits: ServerLimits::default(),
            log_key: None,
            clock: stopped_clock,
        }
    }
}

/// The server's shared state: the current snapshot, the store it comes from, the lookup limit
/// and the small scans made so far. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    current: Current,
    source: DataSource,
    limiter: RateLimiter,
    network_limiter: RateLimiter,
    global_limiter: RateLimiter,
    options: ServeOptions,
    small_copies: scans::SmallCopies,
    bundles: log::BundleCache,
    documents: precompress::Cache,
    /// The volunteers' desk, when `--volunteers` opened one.
    desk: std::sync::OnceLock<Arc<volunteer::Desk>>,
    /// A reload asked for and not yet started ([`AppState::request_refresh`]).
    refresh_pending: std::sync::atomic::AtomicBool,
}

impl AppState {
    /// Loads the first snapshot from `store` (give the server a store of its own: it only
    /// reads) and `blobs`. Blocking: it reads the whole store and the registry.
    pub fn load(
        store: Box<dyn Store>,
        blobs: Arc<dyn BlobStore>,
        options: ServeOptions,
    ) -> Result<Self, StoreError> {
        let source =
            DataSource::new(store, blobs, options.clock).with_log_key(options.log_key.clone());
        let version = source.data_version()?;
        let snapshot = source.load(None)?;
        Ok(Self {
            inner: Arc::new(Inner {
                current: Current::new(snapshot, version),
                limiter: RateLimiter::new(options.lookup_limit_per_minute),
                network_limiter: RateLimiter::new(if options.lookup_limit_per_minute == 0 {
                    0
                } else {
                    options.lookup_limit_per_network_per_minute
                }),
                global_limiter: RateLimiter::new(if options.lookup_limit_per_minute == 0 {
                    0
                } else {
                    options.lookup_limit_global_per_minute
                }),
                source,
                options,
                small_copies: scans::SmallCopies::default(),
                bundles: log::BundleCache::default(),
                documents: precompress::Cache::default(),
                desk: std::sync::OnceLock::new(),
                refresh_pending: std::sync::atomic::AtomicBool::new(false),
            }),
        })
    }

    /// The snapshot now.
    #[must_use]
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.inner.current.get()
    }

    /// Loads again if the store changed. Blocking. Returns whether it did.
    pub fn refresh(&self) -> Result<bool, StoreError> {
        self.inner.current.refresh(&self.inner.source)
    }

    /// Asks for a reload on a blocking thread, now rather than at the next poll (after a
    /// volunteer's write). Requests coalesce: while one waits to start, more add nothing, so a
    /// burst of writes costs at most the reload running and one more, never one each.
    pub fn request_refresh(&self) {
        use std::sync::atomic::Ordering;
        if self.inner.refresh_pending.swap(true, Ordering::AcqRel) {
            return;
        }
        let state = self.clone();
        tokio::task::spawn_blocking(move || {
            // Cleared before loading: a write during this load asks for the next one.
            state.inner.refresh_pending.store(false, Ordering::Release);
            if let Err(error) = state.refresh() {
                tracing::error!(%error, "could not reload after a write");
            }
        });
    }

    /// Opens the volunteers' desk: the routes under `/volunteer/` and `/api/v1/volunteer/`
    /// exist from now on (call it before serving). Returns `false` if one was open already.
    pub fn open_desk(&self, desk: volunteer::Desk) -> bool {
        self.inner.desk.set(Arc::new(desk)).is_ok()
    }

    /// The volunteers' desk, when open.
    #[must_use]
    pub fn desk(&self) -> Option<Arc<volunteer::Desk>> {
        self.inner.desk.get().cloned()
    }

    /// The options.
    #[must_use]
    pub fn options(&self) -> &ServeOptions {
        &self.inner.options
    }

    /// Counts a voter lookup against the client's limit, its network's and the server's.
    fn check_lookup(&self, client: routes::Client) -> Result<(), ApiError> {
        let inner = &self.inner;
        inner
            .limiter
            .check(client.address)
            .and_then(|()| inner.network_limiter.check(client.network))
            .and_then(|()| inner.global_limiter.check(limit::ClientKey::unknown()))
            .map_err(|wait| {
                tracing::info!(
                    retry_after_seconds = wait.as_secs() + 1,
                    "voter lookup refused: rate limit"
                );
                ApiError::RateLimited {
                    retry_after_seconds: wait.as_secs() + 1,
                }
            })
    }
}

/// The router with every route and layer: compression (the largest documents once per
/// snapshot, small responses per request), security headers, request logs (by route, never by
/// URL: URLs hold voter ids), a timeout, a limit on request bodies, and panics turned into 500s.
pub fn app(state: AppState) -> Router {
    let timeout = state.inner.options.request_timeout;
    let max_body = state.inner.options.limits.max_body_bytes;
    // The whole level's tally and the open data: made and compressed once per snapshot.
    let documents = |by_language| {
        axum::middleware::from_fn_with_state(
            precompress::Documents::new(state.clone(), by_language),
            precompress::serve,
        )
    };
    let header = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    // The liveness check goes around the layers: a load balancer asks it often.
    let health = Router::new()
        .route("/healthz", get(routes::health))
        .with_state(state.clone());
    let public = Router::new()
        .route("/", get(routes::pages::home))
        .route("/area/{level}/{code}", get(routes::pages::area))
        .route("/table/{id}", get(routes::pages::table))
        .route("/acta/{id}", get(routes::pages::acta))
        .route("/analysis", get(routes::pages::analysis_national))
        .route(
            "/analysis/{level}/{code}",
            get(routes::pages::analysis_area),
        )
        .route("/lookup", get(routes::pages::lookup))
        .route("/method", get(routes::pages::method))
        .route("/static/style.css", get(routes::pages::style))
        .route("/scans/{hash}", get(routes::scans::scan))
        .route("/scans/{hash}/small", get(routes::scans::scan_small))
        .route(
            "/api/v1/tally/{level}",
            get(routes::api::tally_level).layer(documents(true)),
        )
        .route("/api/v1/tally/{level}/{code}", get(routes::api::tally_area))
        .route("/api/v1/area/national", get(routes::api::area_national))
        .route("/api/v1/area/{level}/{code}", get(routes::api::area_code))
        .route("/api/v1/analysis", get(routes::api::analysis_national))
        .route(
            "/api/v1/analysis/{level}/{code}",
            get(routes::api::analysis_area),
        )
        .route("/api/v1/table/{id}", get(routes::api::table))
        .route("/api/v1/acta/{id}", get(routes::api::acta))
        .route("/api/v1/lookup/{voter_id}", get(routes::api::lookup))
        .route("/api/v1/openapi.json", get(routes::api::openapi))
        .route(
            "/data/{file}",
            get(routes::data::file).layer(documents(false)),
        )
        .route("/log/checkpoint", get(routes::log::checkpoint))
        .route("/log/key", get(routes::log::key))
        .route("/log/tile/{*path}", get(routes::log::tile))
        .fallback(routes::pages::fallback)
        .with_state(state.clone())
        .layer(
            CompressionLayer::new()
                .gzip(true)
                .br(true)
                .quality(CompressionLevel::Precise(ON_THE_FLY_LEVEL))
                .compress_when(DefaultPredicate::new().and(SmallBody)),
        )
        // The public site takes no request bodies: a small limit, for every route.
        .layer(RequestBodyLimitLayer::new(max_body))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ));
    // The volunteers' desk, when open: its own body limits (an upload is megabytes) and a
    // longer timeout (a phone on a bad connection sends them slowly).
    let routes = match state.desk() {
        Some(desk) => public.merge(volunteer::router(&state, &desk).layer(
            TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, DESK_TIMEOUT),
        )),
        None => public,
    };
    routes
        .layer(header(CONTENT_SECURITY_POLICY, CSP))
        .layer(header(X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header(X_FRAME_OPTIONS, "DENY"))
        .layer(header(REFERRER_POLICY, "no-referrer"))
        .layer(header(
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<_>| {
                    let route = request
                        .extensions()
                        .get::<MatchedPath>()
                        .map_or("(none)", MatchedPath::as_str);
                    tracing::info_span!("request", method = %request.method(), route)
                })
                .on_request(())
                .on_response(DefaultOnResponse::new().level(Level::INFO))
                .on_failure(DefaultOnFailure::new().level(Level::ERROR)),
        )
        .layer(CatchPanicLayer::custom(|_panic| {
            tracing::error!("a handler panicked");
            Failure::api(ApiError::Internal("panic".to_owned())).into_response()
        }))
        .merge(health)
}

/// Compresses on the fly only a body of known size up to [`MAX_COMPRESSED_ON_THE_FLY`].
#[derive(Clone, Copy, Debug)]
struct SmallBody;

impl Predicate for SmallBody {
    fn should_compress<B>(&self, response: &axum::http::Response<B>) -> bool
    where
        B: http_body::Body,
    {
        response
            .body()
            .size_hint()
            .exact()
            .is_some_and(|size| size <= MAX_COMPRESSED_ON_THE_FLY)
    }
}

/// Serves `state` on `listener` until `shutdown` completes, then stops accepting, closes the
/// idle connections and gives the requests in flight [`ServerLimits::shutdown_grace`] to
/// finish. Checks for new data every [`ServeOptions::refresh_every`].
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let refresher = tokio::spawn(refresh_loop(state.clone()));
    let connections = conn::Connections::new(state.options().limits.clone());
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let stopper = async move {
        shutdown.await;
        let _ = stop.send(true);
    };
    tokio::join!(
        conn::accept_loop(listener, app(state), connections, stopped),
        stopper
    );
    refresher.abort();
    Ok(())
}

async fn refresh_loop(state: AppState) {
    let every = state.inner.options.refresh_every;
    loop {
        tokio::time::sleep(every).await;
        let state = state.clone();
        match tokio::task::spawn_blocking(move || state.refresh()).await {
            Ok(Ok(true)) => tracing::info!("the store changed: new data served"),
            Ok(Ok(false)) => {}
            Ok(Err(error)) => tracing::error!(%error, "could not reload the data"),
            Err(error) => tracing::error!(%error, "the reload failed"),
        }
    }
}

/// Binds `listen`, calls `on_ready` with the bound address (port 0 picks a free one), and
/// serves until `shutdown` completes (the command line passes Ctrl-C or SIGTERM), then gives
/// the requests in flight [`ServerLimits::shutdown_grace`] to finish and drops the rest (a
/// client that stalls cannot hold the server). For a caller without a runtime, like the command
/// line:
/// `shutdown` is polled on a single-threaded tokio runtime of this thread, so it may use
/// tokio's signals and timers.
///
/// `threads` single-threaded runtimes (the command line gives one per core), each accepting on
/// the same socket, as nginx runs one process per core: a request is handled start to end on
/// the thread that accepted its connection, without the wake-ups across threads that a
/// work-stealing runtime pays for on every request (measured: bench/web/RESULTS.md). The
/// connection cap counts the connections of all threads together.
pub fn serve_blocking(
    listen: SocketAddr,
    state: AppState,
    threads: std::num::NonZeroUsize,
    shutdown: impl Future<Output = ()>,
    on_ready: impl FnOnce(SocketAddr),
) -> std::io::Result<()> {
    let threads = threads.get();
    let listener = std::net::TcpListener::bind(listen)?;
    listener.set_nonblocking(true)?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let connections = conn::Connections::new(state.options().limits.clone());
    let grace = state.options().limits.shutdown_grace;
    let mut workers = Vec::with_capacity(threads);
    for index in 0..threads {
        let listener = listener.try_clone()?;
        let state = state.clone();
        let stopped = stopped.clone();
        let connections = std::sync::Arc::clone(&connections);
        let worker = std::thread::Builder::new()
            .name(format!("veedor-web-{index}"))
            .spawn(move || -> std::io::Result<()> {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                let result = runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener)?;
                    // One worker checks the store for new data; the snapshot is shared.
                    let refresher = (index == 0).then(|| tokio::spawn(refresh_loop(state.clone())));
                    conn::accept_loop(listener, app(state), connections, stopped).await;
                    if let Some(refresher) = refresher {
                        refresher.abort();
                    }
                    Ok(())
                });
                // A reload or a compression still running on a blocking thread is not waited
                // for beyond the grace: the process is ending.
                runtime.shutdown_timeout(grace);
                result
            })?;
        workers.push(worker);
    }
    on_ready(listener.local_addr()?);
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(shutdown);
    tracing::info!("shutting down: finishing the requests in flight");
    let _ = stop.send(true);
    let mut result = Ok(());
    for worker in workers {
        match worker.join() {
            Ok(Ok(())) => {}
            Ok(Err(error)) => result = Err(error),
            Err(_) => result = Err(std::io::Error::other("a server thread panicked")),
        }
    }
    result
}
