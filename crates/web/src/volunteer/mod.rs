//! The volunteers' desk: the routes under `/volunteer/` (pages, forms, no script) and their
//! JSON twins under `/api/v1/volunteer/`, switched on by `veedor serve --volunteers`. Without a
//! [`Desk`] none of these routes exist and the public site is what it always was: a read-only
//! snapshot.
//!
//! - Every rule of the work lives below this crate: accounts in `veedor_app::volunteers`, the
//!   double-blind entry in `veedor_app::tasks` (its state machine in `veedor_core::entry`),
//!   uploads through the same [`veedor_app::intake::ScanIntake`] as `veedor ingest`. The desk
//!   adds what the web needs: sessions, CSRF tokens, limits, and the pages.
//! - The desk writes through a store handle of its own, behind a mutex, on a blocking thread;
//!   after a write that changes results it asks the public snapshot to reload, so an upload's
//!   numbers reach the public pages within a second or two.
//! - Security: see `session.rs` (sessions, sign-in limits) and docs/volunteers.md. Every
//!   `POST` carries the session's CSRF token (a hidden field, or the `X-CSRF-Token` header for
//!   JSON) and, when the browser sends an `Origin`, it must be this server's.

mod access;
mod common;
mod conflicts;
mod pages;
mod people;
mod session;
mod upload;
mod work;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use tokio::sync::Semaphore;
use veedor_store::{BlobStore, Store, StoreError};

use crate::AppState;
use crate::limit::RateLimiter;

pub(crate) use session::{Failures, Session, Sessions};

/// A source of random bytes (the command line gives the system's); `Err` when there is none.
pub type RandomSource = fn(&mut [u8]) -> Result<(), String>;

/// The desk's limits. The defaults are what a public election night needs; docs/volunteers.md
/// explains each.
#[derive(Clone, Debug)]
pub struct DeskOptions {
    /// A session unused this long ends.
    pub session_idle: Duration,
    /// A session ends this long after sign-in, however used.
    pub session_max: Duration,
    /// Mark the session cookie `Secure` (the site is reached over TLS, usually through a proxy).
    pub secure_cookies: bool,
    /// Failed sign-ins to one account within [`Self::sign_in_window`] before its attempts wait.
    pub sign_in_failures: u32,
    /// The window of [`Self::sign_in_failures`].
    pub sign_in_window: Duration,
    /// Sign-in attempts per client address per minute.
    pub sign_in_per_client_per_minute: u32,
    /// Sign-in attempts the whole server takes per minute (each costs an Argon2id hash).
    pub sign_in_global_per_minute: u32,
    /// Actions (claims, entries, decisions, uploads) per volunteer per minute.
    pub actions_per_minute: u32,
    /// The largest file one upload may carry, in bytes.
    pub max_file_bytes: usize,
    /// The most files in one upload.
    pub max_files_per_upload: usize,
    /// Files an uploader may send before anyone confirmed their work.
    pub upload_quota: u32,
    /// More files allowed for each copy of theirs that an independent copy confirmed.
    pub upload_quota_per_confirmed: u32,
    /// Uploaded copies a table may have (further uploads of it are refused).
    pub uploads_per_table: usize,
}

impl Default for DeskOptions {
    fn default() -> Self {
        Self {
            session_idle: Duration::from_secs(30 * 60),
            session_max: Duration::from_secs(12 * 60 * 60),
            secure_cookies: false,
            sign_in_failures: 5,
            sign_in_window: Duration::from_secs(15 * 60),
            sign_in_per_client_per_minute: 10,
            sign_in_global_per_minute: 600,
            actions_per_minute: 60,
            max_file_bytes: 20 << 20,
            max_files_per_upload: 10,
            upload_quota: 30,
            upload_quota_per_confirmed: 5,
            uploads_per_table: 3,
        }
    }
}

impl DeskOptions {
    /// The largest upload request: every file at its largest, and the form around them.
    #[must_use]
    pub fn max_upload_bytes(&self) -> usize {
        self.max_file_bytes
            .saturating_mul(self.max_files_per_upload)
            .saturating_add(64 * 1024)
    }
}

/// What the volunteers' routes work with: a store handle that writes, the blobs, the random
/// source, the sessions and the limits.
pub struct Desk {
    store: Mutex<Box<dyn Store>>,
    blobs: Arc<dyn BlobStore>,
    random: RandomSource,
    options: DeskOptions,
    sessions: Sessions,
    failures: Failures,
    sign_in_clients: RateLimiter,
    sign_in_global: RateLimiter,
    actions: RateLimiter,
    /// Scans are read one at a time, so uploads cannot take every core from the public site.
    reading: Semaphore,
    /// Signs a checkpoint after each write that grew the log, when the key is on this machine.
    signer: Option<Box<dyn veedor_app::checkpoint::Signer>>,
    /// The tables uploaders gave with their files, by file (from the audit log, read once).
    hints: Mutex<Option<std::collections::HashMap<veedor_core::Sha256, veedor_core::TableId>>>,
}

impl std::fmt::Debug for Desk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desk")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Desk {
    /// A desk writing to `store` (a handle of its own, not the snapshot's) and `blobs`.
    #[must_use]
    pub fn new(
        store: Box<dyn Store>,
        blobs: Arc<dyn BlobStore>,
        random: RandomSource,
        options: DeskOptions,
    ) -> Self {
        Self {
            store: Mutex::new(store),
            blobs,
            random,
            sessions: Sessions::new(&options),
            failures: Failures::new(&options),
            sign_in_clients: RateLimiter::new(options.sign_in_per_client_per_minute),
            sign_in_global: RateLimiter::new(options.sign_in_global_per_minute),
            actions: RateLimiter::new(options.actions_per_minute),
            reading: Semaphore::new(1),
            signer: None,
            hints: Mutex::new(None),
            options,
        }
    }

    /// Signs a checkpoint of the log after each write that grew it (a settled page, an
    /// upload), so the public log shows it at once. Without a signer, the entries wait for a
    /// checkpoint signed elsewhere (the key kept off the web servers).
    #[must_use]
    pub fn with_signer(mut self, signer: Box<dyn veedor_app::checkpoint::Signer>) -> Self {
        self.signer = Some(signer);
        self
    }

    /// A checkpoint of the log as it now is, when this desk signs them. A failure is logged:
    /// the write stands, and the next checkpoint covers it.
    fn checkpoint(&self, store: &mut dyn Store, now: veedor_core::Timestamp) {
        if let Some(signer) = &self.signer
            && let Err(error) = veedor_app::checkpoint::sign_checkpoint(store, &**signer, now)
        {
            tracing::warn!(%error, "no checkpoint signed after a volunteer's write");
        }
    }

    /// The options.
    #[must_use]
    pub fn options(&self) -> &DeskOptions {
        &self.options
    }

    /// Runs `work` on the store (blocking: call it on a blocking thread).
    fn with_store<T>(&self, work: impl FnOnce(&mut dyn Store) -> T) -> T {
        let mut store = self.store.lock().unwrap_or_else(PoisonError::into_inner);
        work(&mut **store)
    }

    fn random<const N: usize>(&self) -> Result<[u8; N], StoreError> {
        let mut bytes = [0u8; N];
        (self.random)(&mut bytes).map_err(StoreError::Database)?;
        Ok(bytes)
    }
}

/// The volunteers' routes, pages and JSON, each with its own body limit (the public site's is
/// a few kilobytes; an upload is many megabytes).
pub(crate) fn router(state: &AppState, desk: &Desk) -> Router {
    use {access as a, conflicts as c, people as p, upload as u, work as w};
    let forms = Router::new()
        .route("/volunteer/", get(a::home))
        .route("/volunteer/sign-in", post(a::sign_in))
        .route("/volunteer/sign-out", post(a::sign_out))
        .route(
            "/volunteer/activate",
            get(a::activate_form).post(a::activate),
        )
        .route("/volunteer/tasks", get(w::tasks))
        .route("/volunteer/tasks/next", post(w::claim_next))
        .route("/volunteer/tasks/{id}", get(w::task))
        .route("/volunteer/tasks/{id}/page.jpg", get(w::task_image))
        .route("/volunteer/tasks/{id}/claim", post(w::claim))
        .route("/volunteer/tasks/{id}/entry", post(w::enter))
        .route("/volunteer/tasks/{id}/resolve", post(w::resolve))
        .route("/volunteer/users", get(p::users).post(p::add_user))
        .route("/volunteer/users/{pseudonym}/suspend", post(p::suspend))
        .route("/volunteer/audit", get(p::audit))
        .route("/volunteer/conflicts", get(c::conflicts))
        .route("/volunteer/conflicts/{table}/decide", post(c::decide))
        .route("/api/v1/volunteer/conflicts", get(c::conflicts))
        .route(
            "/api/v1/volunteer/conflicts/{table}/decide",
            post(c::decide),
        )
        .route("/volunteer/upload", get(u::upload_form))
        .route(
            "/api/v1/volunteer/session",
            post(a::sign_in).delete(a::sign_out),
        )
        .route("/api/v1/volunteer/activate", post(a::activate))
        .route("/api/v1/volunteer/tasks", get(w::tasks))
        .route("/api/v1/volunteer/tasks/next", post(w::claim_next))
        .route("/api/v1/volunteer/tasks/{id}", get(w::task))
        .route("/api/v1/volunteer/tasks/{id}/claim", post(w::claim))
        .route("/api/v1/volunteer/tasks/{id}/entry", post(w::enter))
        .route("/api/v1/volunteer/tasks/{id}/resolve", post(w::resolve))
        .route("/api/v1/volunteer/users", get(p::users).post(p::add_user))
        .route(
            "/api/v1/volunteer/users/{pseudonym}/suspend",
            post(p::suspend),
        )
        .route("/api/v1/volunteer/audit", get(p::audit))
        .layer(DefaultBodyLimit::max(FORM_BYTES));
    let uploads = Router::new()
        .route("/volunteer/upload", post(u::upload))
        .route("/api/v1/volunteer/upload", post(u::upload))
        .layer(DefaultBodyLimit::max(desk.options.max_upload_bytes()));
    forms.merge(uploads).with_state(state.clone())
}

/// The largest form or JSON body of the desk (an entry of a few hundred counts fits).
pub(crate) const FORM_BYTES: usize = 32 * 1024;
