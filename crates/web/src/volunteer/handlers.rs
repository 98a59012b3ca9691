//! The desk's handlers. Each serves a page route and its JSON twin: the audience comes from
//! the path (`/api/v1/...` answers JSON), a body is read as JSON or as a form by its content
//! type, and the work runs on a blocking thread through the `veedor-app` use cases.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, COOKIE, HOST, LOCATION, ORIGIN, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256 as Hasher};
use veedor_app::batch::Origin;
use veedor_app::intake::{ReadScan, ScanIntake, ScanReport};
use veedor_app::tasks::{self, TaskError, TaskView};
use veedor_app::volunteers::{self, AccountError};
use veedor_core::entry::{Action, Entry, Phase, Role, Volunteer};
use veedor_core::{
    ActaRecord, AreaCode, CentreCode, Counts, Finding, Place, Pseudonym, Sha256, SourceKind,
    TableId, TableNumber, TableStatus, Timestamp,
};
use veedor_formats::ActaFormat;
use veedor_store::{Account, AuditEvent, StoreError};

use super::pages::{self, EntryForm, TaskRow, UploadLine};
use super::{Desk, Session};
use crate::AppState;
use crate::i18n::Lang;
use crate::routes::Client;
use crate::snapshot::Snapshot;

/// The session cookie's name (with the `__Host-` prefix when it is `Secure`: a cookie the
/// browser only accepts from this very host, over TLS, for the whole path).
fn cookie_name(desk: &Desk) -> &'static str {
    if desk.options.secure_cookies {
        "__Host-veedor_session"
    } else {
        "veedor_session"
    }
}

/// The CSRF token's header on JSON requests.
const CSRF_HEADER: &str = "x-csrf-token";

/// Who a response is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Via {
    Page(Lang),
    Api,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct LangQuery {
    lang: Option<String>,
}

fn via(uri: &Uri, query: &LangQuery, headers: &HeaderMap) -> Via {
    if uri.path().starts_with("/api/") {
        Via::Api
    } else {
        Via::Page(Lang::choose(query.lang.as_deref(), headers).0)
    }
}

/// What went wrong, said to a volunteer or a program.
#[derive(Debug)]
pub(super) enum DeskError {
    /// No live session.
    SignInRequired,
    /// Signed in, but the role may not do this.
    Forbidden(String),
    /// A write without the session's CSRF token, or from another site.
    Csrf,
    /// Too many attempts; wait this many seconds.
    RateLimited(u64),
    /// The request is malformed; what was expected.
    Invalid(String),
    /// No such thing.
    NotFound(String),
    /// The rules refuse it (a state-machine refusal, a taken pseudonym, a conflict).
    Refused(String),
    /// A fault of ours; logged, never shown.
    Internal(String),
}

impl DeskError {
    fn status(&self) -> StatusCode {
        match self {
            Self::SignInRequired => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) | Self::Csrf => StatusCode::FORBIDDEN,
            Self::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Invalid(_) => StatusCode::BAD_REQUEST,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Refused(_) => StatusCode::CONFLICT,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn reference(&self) -> &'static str {
        match self {
            Self::SignInRequired => "sign_in_required",
            Self::Forbidden(_) => "forbidden",
            Self::Csrf => "csrf",
            Self::RateLimited(_) => "rate_limited",
            Self::Invalid(_) => "invalid_input",
            Self::NotFound(_) => "not_found",
            Self::Refused(_) => "refused",
            Self::Internal(_) => "internal",
        }
    }

    fn message(&self, lang: Lang) -> String {
        match self {
            Self::SignInRequired => lang
                .pick(
                    "Hay que entrar primero (o la sesión terminó).",
                    "Sign in first (or the session ended).",
                )
                .to_owned(),
            Self::Forbidden(what) => format!(
                "{} {what}",
                lang.pick("Su papel no permite esto:", "Your role may not do this:")
            ),
            Self::Csrf => lang
                .pick(
                    "El formulario caducó o no vino de este sitio: vuelva a cargar la página.",
                    "The form expired or did not come from this site: load the page again.",
                )
                .to_owned(),
            Self::RateLimited(seconds) => format!(
                "{} {seconds} s.",
                lang.pick(
                    "Demasiados intentos: vuelva a intentarlo en",
                    "Too many attempts: try again in"
                )
            ),
            Self::Invalid(message) | Self::NotFound(message) | Self::Refused(message) => {
                message.clone()
            }
            Self::Internal(_) => lang
                .pick(
                    "Algo falló de nuestro lado; nada se perdió. Inténtelo de nuevo.",
                    "Something failed on our side; nothing was lost. Try again.",
                )
                .to_owned(),
        }
    }
}

impl From<StoreError> for DeskError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict(_) => Self::Refused(
                "someone else acted on this at the same moment: look again and retry".to_owned(),
            ),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<AccountError> for DeskError {
    fn from(error: AccountError) -> Self {
        match error {
            AccountError::Store(error) => error.into(),
            AccountError::Hashing(message) => Self::Internal(message),
            other => Self::Refused(other.to_string()),
        }
    }
}

impl From<TaskError> for DeskError {
    fn from(error: TaskError) -> Self {
        match error {
            TaskError::Refused(refusal) => Self::Refused(refusal.to_string()),
            TaskError::NoSuchTask(id) => Self::NotFound(format!("no page waits under number {id}")),
            TaskError::Store(error) => error.into(),
            TaskError::App(error) => Self::Internal(error.to_string()),
            other => Self::Internal(other.to_string()),
        }
    }
}

/// An error on its way out, in the caller's form.
pub(super) struct Failed(DeskError, Via);

impl IntoResponse for Failed {
    fn into_response(self) -> Response {
        let Self(error, via) = self;
        if let DeskError::Internal(detail) = &error {
            tracing::error!(%detail, "volunteer desk: request failed");
        }
        let status = error.status();
        let mut response = match via {
            Via::Api => {
                let body = json!({ "error": {
                    "reference": error.reference(),
                    "message": error.message(Lang::En),
                    "retry_after_seconds": match error {
                        DeskError::RateLimited(seconds) => Some(seconds),
                        _ => None,
                    },
                }});
                json_response(status, &body)
            }
            Via::Page(lang) => {
                let sign_in = matches!(error, DeskError::SignInRequired);
                html_response(
                    status,
                    pages::message(lang, None, status.as_u16(), &error.message(lang), sign_in),
                )
            }
        };
        if let DeskError::RateLimited(seconds) = error
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, value);
        }
        response
    }
}

type Answer = Result<Response, Failed>;

fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn html_response(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    // Volunteers' pages are theirs alone: never kept by a shared cache or the browser.
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// After a form: see the result at `to` (303, so a reload does not post again).
fn see(to: &str, lang: Lang) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    let target = format!(
        "{to}{}lang={}",
        if to.contains('?') { "&" } else { "?" },
        lang.tag()
    );
    if let Ok(value) = HeaderValue::from_str(&target) {
        response.headers_mut().insert(LOCATION, value);
    }
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn desk_of(state: &AppState, via: Via) -> Result<Arc<Desk>, Failed> {
    state
        .desk()
        .ok_or_else(|| Failed(DeskError::NotFound("volunteers are not on".to_owned()), via))
}

/// Runs `work` on a blocking thread.
async fn blocking<T: Send + 'static>(
    desk: &Arc<Desk>,
    via: Via,
    work: impl FnOnce(&Desk) -> Result<T, DeskError> + Send + 'static,
) -> Result<T, Failed> {
    let desk = Arc::clone(desk);
    tokio::task::spawn_blocking(move || work(&desk))
        .await
        .map_err(|error| Failed(DeskError::Internal(error.to_string()), via))?
        .map_err(|error| Failed(error, via))
}

/// The session token the request's cookie carries.
fn cookie_token(desk: &Desk, headers: &HeaderMap) -> Option<String> {
    let name = cookie_name(desk);
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// A request's volunteer: a live session and the account as it stands now (a suspension
/// takes effect at once).
#[derive(Clone, Debug)]
pub(super) struct Signed {
    pub account: Account,
    pub session: Session,
}

impl Signed {
    pub fn role(&self) -> Role {
        self.account.role
    }

    fn require(&self, roles: &[Role]) -> Result<(), DeskError> {
        if roles.contains(&self.account.role) {
            Ok(())
        } else {
            Err(DeskError::Forbidden(format!(
                "{} is {}; this needs {}",
                self.account.pseudonym,
                self.account.role.as_str(),
                roles
                    .iter()
                    .map(|role| role.as_str())
                    .collect::<Vec<_>>()
                    .join(" or ")
            )))
        }
    }
}

fn signed(desk: &Desk, token: Option<&str>) -> Result<Signed, DeskError> {
    let token = token.ok_or(DeskError::SignInRequired)?;
    let session = desk
        .sessions
        .get(token, Instant::now())
        .ok_or(DeskError::SignInRequired)?;
    let account = desk
        .with_store(|store| store.account(&session.pseudonym))?
        .ok_or(DeskError::SignInRequired)?;
    if account.suspended_at.is_some() {
        desk.sessions.close_all(&account.pseudonym);
        return Err(DeskError::SignInRequired);
    }
    Ok(Signed { account, session })
}

/// A write's checks: the browser's `Origin`, when it sends one, is this server; the session's
/// CSRF token came with it.
fn check_write(
    headers: &HeaderMap,
    session: &Session,
    form_token: Option<&str>,
) -> Result<(), DeskError> {
    check_origin(headers)?;
    let given = headers
        .get(CSRF_HEADER)
        .and_then(|value| value.to_str().ok())
        .or(form_token)
        .ok_or(DeskError::Csrf)?;
    if super::session::same_token(given, &session.csrf) {
        Ok(())
    } else {
        Err(DeskError::Csrf)
    }
}

fn check_origin(headers: &HeaderMap) -> Result<(), DeskError> {
    let Some(origin) = headers.get(ORIGIN) else {
        return Ok(());
    };
    let host = headers.get(HOST).and_then(|value| value.to_str().ok());
    let origin_host = origin
        .to_str()
        .ok()
        .and_then(|origin| origin.split_once("://"))
        .map(|(_, rest)| rest);
    match (origin_host, host) {
        (Some(origin), Some(host)) if origin.eq_ignore_ascii_case(host) => Ok(()),
        _ => Err(DeskError::Csrf),
    }
}

/// Counts an action against the volunteer's rate.
fn count_action(desk: &Desk, who: &Pseudonym) -> Result<(), DeskError> {
    let digest = Hasher::digest(who.as_str().as_bytes());
    let mut key = [0u8; 16];
    key.copy_from_slice(&digest[..16]);
    desk.actions
        .check(crate::limit::ClientKey::named(u128::from_be_bytes(key)))
        .map_err(|wait| DeskError::RateLimited(wait.as_secs() + 1))
}

/// A body read as JSON (by its content type) or as a form.
fn parse_body<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<T, DeskError> {
    let json = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    if json {
        serde_json::from_slice(body)
            .map_err(|error| DeskError::Invalid(format!("the JSON body: {error}")))
    } else {
        serde_urlencoded::from_bytes(body)
            .map_err(|error| DeskError::Invalid(format!("the form: {error}")))
    }
}

fn now(state: &AppState) -> Timestamp {
    (state.options().clock)()
}

/// After a write that changes results: the public snapshot reloads now, not at the next poll.
fn reload(state: &AppState) {
    let state = state.clone();
    tokio::task::spawn_blocking(move || {
        if let Err(error) = state.refresh() {
            tracing::error!(%error, "could not reload after a volunteer's write");
        }
    });
}

fn pseudonym(text: &str) -> Result<Pseudonym, DeskError> {
    Pseudonym::new(text.trim()).map_err(|_| {
        DeskError::Invalid(
            "a pseudonym is 1 to 40 letters, digits, `-` or `_` (never a real name)".to_owned(),
        )
    })
}

fn set_cookie(desk: &Desk, value: &str, max_age: u64) -> HeaderValue {
    let secure = if desk.options.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}",
        cookie_name(desk)
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("veedor_session=; Max-Age=0"))
}

// ---------------------------------------------------------------------------------------------
// Signing in and out

#[derive(Debug, Deserialize)]
pub(super) struct SignInForm {
    pseudonym: String,
    passphrase: String,
}

/// `GET /volunteer/`: the sign-in form, or what the volunteer can do.
pub(super) async fn home(
    State(state): State<AppState>,
    uri: Uri,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Answer {
    let via = via(&uri, &query, &headers);
    let Via::Page(lang) = via else {
        return Err(Failed(
            DeskError::NotFound("no such document".to_owned()),
            via,
        ));
    };
    let desk = desk_of(&state, via)?;
    let token = cookie_token(&desk, &headers);
    let who = blocking(&desk, via, move |desk| {
        Ok(signed(desk, token.as_deref()).ok())
    })
    .await?;
    Ok(html_response(
        StatusCode::OK,
        match who {
            Some(who) => pages::home(lang, &who),
            None => pages::sign_in(lang, None),
        },
    ))
}

/// `POST /volunteer/sign-in`, `POST /api/v1/volunteer/session`.
pub(super) async fn sign_in(
    State(state): State<AppState>,
    uri: Uri,
    Query(query): Query<LangQuery>,
    client: Client,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let via = via(&uri, &query, &headers);
    let desk = desk_of(&state, via)?;
    check_origin(&headers).map_err(|error| Failed(error, via))?;
    let form: SignInForm = parse_body(&headers, &body).map_err(|error| Failed(error, via))?;
    let at = now(&state);
    let outcome = blocking(&desk, via, move |desk| {
        let started = Instant::now();
        desk.sign_in_clients
            .check(client.address)
            .and_then(|()| {
                desk.sign_in_global
                    .check(crate::limit::ClientKey::unknown())
            })
            .map_err(|wait| DeskError::RateLimited(wait.as_secs() + 1))?;
        let name = form.pseudonym.trim().to_owned();
        desk.failures
            .check(&name, started)
            .map_err(|wait| DeskError::RateLimited(wait.as_secs() + 1))?;
        let Ok(pseudonym) = Pseudonym::new(&name) else {
            desk.failures.fail(&name, started);
            return Err(AccountError::BadCredentials.into());
        };
        let result =
            desk.with_store(|store| volunteers::sign_in(store, &pseudonym, &form.passphrase, at));
        match result {
            Ok(account) => {
                desk.failures.clear(&name);
                let random: [u8; 64] = desk.random()?;
                let (token, session) =
                    desk.sessions
                        .open(account.pseudonym.clone(), &random, started);
                Ok((token, session, account))
            }
            Err(error) => {
                desk.failures.fail(&name, started);
                Err(error.into())
            }
        }
    })
    .await;
    let (token, session, account) = match (outcome, via) {
        (Ok(signed_in), _) => signed_in,
        (Err(Failed(DeskError::Refused(message), Via::Page(lang))), _) => {
            return Ok(html_response(
                StatusCode::UNAUTHORIZED,
                pages::sign_in(lang, Some(&message)),
            ));
        }
        (Err(failed), _) => return Err(failed),
    };
    let cookie = set_cookie(&desk, &token, desk.options.session_max.as_secs());
    let mut response = match via {
        Via::Api => json_response(
            StatusCode::OK,
            &json!({
                "pseudonym": account.pseudonym.as_str(),
                "role": account.role.as_str(),
                "csrf_token": session.csrf,
            }),
        ),
        Via::Page(lang) => see("/volunteer/", lang),
    };
    response.headers_mut().insert(SET_COOKIE, cookie);
    Ok(response)
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct CsrfForm {
    csrf: Option<String>,
}

/// `POST /volunteer/sign-out`, `DELETE /api/v1/volunteer/session`.
pub(super) async fn sign_out(
    State(state): State<AppState>,
    uri: Uri,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let via = via(&uri, &query, &headers);
    let desk = desk_of(&state, via)?;
    let form: CsrfForm = if body.is_empty() {
        CsrfForm::default()
    } else {
        parse_body(&headers, &body).map_err(|error| Failed(error, via))?
    };
    let token = cookie_token(&desk, &headers);
    blocking(&desk, via, move |desk| {
        let who = signed(desk, token.as_deref())?;
        check_write(&headers, &who.session, form.csrf.as_deref())?;
        if let Some(token) = &token {
            desk.sessions.close(token);
        }
        Ok(())
    })
    .await?;
    let mut response = match via {
        Via::Api => json_response(StatusCode::OK, &json!({ "signed_out": true })),
        Via::Page(lang) => see("/volunteer/", lang),
    };
    response
        .headers_mut()
        .insert(SET_COOKIE, set_cookie(&desk, "", 0));
    Ok(response)
}

#[derive(Debug, Deserialize)]
pub(super) struct ActivateForm {
    pseudonym: String,
    code: String,
    passphrase: String,
    /// The passphrase again (forms; the JSON API may leave it out).
    again: Option<String>,
}

/// `GET /volunteer/activate`: the form to choose a passphrase with a sign-in code.
pub(super) async fn activate_form(
    State(state): State<AppState>,
    uri: Uri,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Answer {
    let via = via(&uri, &query, &headers);
    let Via::Page(lang) = via else {
        return Err(Failed(
            DeskError::NotFound("no such document".to_owned()),
            via,
        ));
    };
    desk_of(&state, via)?;
    Ok(html_response(StatusCode::OK, pages::activate(lang, None)))
}

/// `POST /volunteer/activate`, `POST /api/v1/volunteer/activate`: sets the passphrase with the
/// one-time code (limited like a sign-in: the code is a secret too).
pub(super) async fn activate(
    State(state): State<AppState>,
    uri: Uri,
    Query(query): Query<LangQuery>,
    client: Client,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let via = via(&uri, &query, &headers);
    let desk = desk_of(&state, via)?;
    check_origin(&headers).map_err(|error| Failed(error, via))?;
    let form: ActivateForm = parse_body(&headers, &body).map_err(|error| Failed(error, via))?;
    let at = now(&state);
    let outcome = blocking(&desk, via, move |desk| {
        let started = Instant::now();
        desk.sign_in_clients
            .check(client.address)
            .and_then(|()| {
                desk.sign_in_global
                    .check(crate::limit::ClientKey::unknown())
            })
            .map_err(|wait| DeskError::RateLimited(wait.as_secs() + 1))?;
        let name = form.pseudonym.trim().to_owned();
        desk.failures
            .check(&name, started)
            .map_err(|wait| DeskError::RateLimited(wait.as_secs() + 1))?;
        if form
            .again
            .as_ref()
            .is_some_and(|again| again != &form.passphrase)
        {
            return Err(DeskError::Invalid(
                "the two passphrases differ: type the same one twice".to_owned(),
            ));
        }
        let pseudonym = pseudonym(&name)?;
        let salt: [u8; 16] = desk.random()?;
        let result = desk.with_store(|store| {
            volunteers::set_passphrase(store, &pseudonym, &form.code, &form.passphrase, salt, at)
        });
        if let Err(AccountError::BadCode(_) | AccountError::NoSuchAccount(_)) = &result {
            desk.failures.fail(&name, started);
            // The same answer whether the pseudonym or the code is wrong.
            return Err(DeskError::Refused(format!(
                "that sign-in code is not valid for {name}"
            )));
        }
        result.map_err(DeskError::from)
    })
    .await;
    match (outcome, via) {
        (Ok(()), Via::Api) => Ok(json_response(StatusCode::OK, &json!({ "activated": true }))),
        (Ok(()), Via::Page(lang)) => Ok(html_response(
            StatusCode::OK,
            pages::sign_in(
                lang,
                Some(lang.pick(
                    "Contraseña guardada. Ya puede entrar.",
                    "Passphrase set. You can sign in now.",
                )),
            ),
        )),
        (
            Err(Failed(error @ (DeskError::Refused(_) | DeskError::Invalid(_)), Via::Page(lang))),
            _,
        ) => Ok(html_response(
            error.status(),
            pages::activate(lang, Some(&error.message(lang))),
        )),
        (Err(failed), _) => Err(failed),
    }
}

// ---------------------------------------------------------------------------------------------
// Tasks

/// The first-level area a task's page is of, when anyone said: the table its uploader gave
/// (`true`), or the table its first live entry names (`false`). The second is for ordering the
/// queue only: shown to a typist, it would tell them what another typed.
fn task_area(
    snapshot: &Snapshot,
    view: &TaskView,
    hints: &HashMap<Sha256, TableId>,
) -> (Option<AreaCode>, bool) {
    let geography = &snapshot.results.election().geography;
    if let Some(table) = hints.get(&view.page.file_sha256) {
        return (Some(geography.area_of(table.centre, 0)), true);
    }
    let entered = view.task.entries.first().map(|(_, entry)| entry.table);
    (
        entered.map(|table| geography.area_of(table.centre, 0)),
        false,
    )
}

/// The tables uploaders gave with their files (on the audit log, as `upload.file` events).
fn upload_hints(events: &[AuditEvent], centre_digits: u8) -> HashMap<Sha256, TableId> {
    events
        .iter()
        .filter(|event| event.action == "upload.file")
        .filter_map(|event| {
            let hash = Sha256::from_hex(&event.object).ok()?;
            let table = event
                .detail
                .split(';')
                .find_map(|part| part.trim().strip_prefix("table given: "))?;
            Some((hash, TableId::parse(table, centre_digits).ok()?))
        })
        .collect()
}

/// Every page waiting for people, the least covered areas first (an unknown area counts as
/// the nation's coverage), then the oldest.
fn task_rows(
    desk: &Desk,
    snapshot: &Snapshot,
    who: &Signed,
    at: Timestamp,
) -> Result<Vec<(TaskRow, TaskView)>, DeskError> {
    let (views, audit) =
        desk.with_store(|store| Ok::<_, StoreError>((tasks::tasks(store, at)?, store.audit()?)))?;
    let election = snapshot.results.election();
    let hints = upload_hints(&audit, election.geography.centre_digits);
    let tally = &snapshot.results.tally;
    let national = tally.national().table_coverage_percent();
    let volunteer = Volunteer {
        pseudonym: who.account.pseudonym.clone(),
        role: who.account.role,
        suspended: false,
    };
    let mut rows: Vec<(TaskRow, TaskView)> = views
        .into_iter()
        .map(|view| {
            let (area, given) = task_area(snapshot, &view, &hints);
            let shown = given || who.role() != Role::Typist;
            let coverage = area
                .and_then(|area| tally.get(area))
                .map_or(national, veedor_core::Totals::table_coverage_percent);
            let row = TaskRow {
                id: view.page.id,
                file_name: view.page.file_name.clone(),
                page: view.page.page,
                reason: view.page.reason.clone(),
                phase: match &view.task.phase {
                    Phase::Open => "open",
                    Phase::Disputed => "disputed",
                    Phase::Settled { .. } => "settled",
                },
                entries: view.task.entries.len(),
                claimed_by: view.task.claim.as_ref().map(|(by, _)| by.clone()),
                offered: view.task.offered_to(&volunteer, at),
                area: area.filter(|_| shown).map(|area| {
                    let name = snapshot.results.area_name(area).unwrap_or_default();
                    format!("{} {name}", election.geography.format_area(area))
                }),
                coverage,
            };
            (row, view)
        })
        .collect();
    rows.sort_by(|(a, _), (b, _)| {
        (a.phase == "settled")
            .cmp(&(b.phase == "settled"))
            .then(a.coverage.total_cmp(&b.coverage))
            .then(a.id.cmp(&b.id))
    });
    Ok(rows)
}

fn row_json(row: &TaskRow, who: &Signed) -> Value {
    let mine = row.claimed_by.as_ref() == Some(&who.account.pseudonym);
    json!({
        "id": row.id,
        "file_name": row.file_name,
        "page": row.page,
        "reason": row.reason,
        "phase": row.phase,
        "entries": row.entries,
        "claimed": row.claimed_by.is_some(),
        "claimed_by_you": mine,
        "offered_to_you": row.offered,
        "area": row.area,
        "area_table_coverage_percent": row.area.as_ref().map(|_| row.coverage),
    })
}

/// `GET /volunteer/tasks`: the work queue.
pub(super) async fn tasks(
    State(state): State<AppState>,
    uri: Uri,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Answer {
    let via = via(&uri, &query, &headers);
    let desk = desk_of(&state, via)?;
    let token = cookie_token(&desk, &headers);
    let snapshot = state.snapshot();
    let at = now(&state);
    let (who, rows) = blocking(&desk, via, move |desk| {
        let who = signed(desk, token.as_deref())?;
        who.require(&[Role::Typist, Role::Coordinator, Role::Observer])?;
        let rows = task_rows(desk, &snapshot, &who, at)?;
        Ok((who, rows))
    })
    .await?;
    Ok(match via {
        Via::Api => json_response(
            StatusCode::OK,
            &json!({
                "tasks": rows.iter().map(|(row, _)| row_json(row, &who)).collect::<Vec<_>>(),
            }),
        ),
        Via::Page(lang) => html_response(
            StatusCode::OK,
            pages::tasks(
                lang,
                &who,
                &rows.into_iter().map(|(row, _)| row).collect::<Vec<_>>(),
            ),
        ),
    })
}

/// Does `action` on task `id` as the signed-in volunteer; reloads the public data when the
/// page settled.
fn act(
    desk: &Desk,
    who: &Signed,
    id: i64,
    action: Action,
    at: Timestamp,
) -> Result<tasks::Acted, DeskError> {
    count_action(desk, &who.account.pseudonym)?;
    let blobs = Arc::clone(&desk.blobs);
    let acted =
        desk.with_store(|store| tasks::act(store, &*blobs, &who.account, id, action, at))?;
    Ok(acted)
}

/// `POST /volunteer/tasks/next`: claims the page most in need a typist may take.
pub(super) async fn claim_next(
    State(state): State<AppState>,
    uri: Uri,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let via = via(&uri, &query, &headers);
    let desk = desk_of(&state, via)?;
    let form: CsrfForm = parse_body(&headers, &body).map_err(|error| Failed(error, via))?;
    let token = cookie_token(&desk, &headers);
    let snapshot = state.snapshot();
    let at = now(&state);
    let claimed = blocking(&desk, via, move |desk| {
        let who = signed(desk, token.as_deref())?;
        check_write(&headers, &who.session, form.csrf.as_deref())?;
        who.require(&[Role::Typist])?;
        let rows = task_rows(desk, &snapshot, &who, at)?;
        // A claim this typist holds already comes first: they were in the middle of it.
        let mine = rows.iter().find(|(row, _)| {
            row.claimed_by.as_ref() == Some(&who.account.pseudonym) && row.phase == "open"
        });
        if let Some((row, _)) = mine {
            return Ok(Some(row.id));
        }
        for (row, _) in rows.iter().filter(|(row, _)| row.offered) {
            match act(desk, &who, row.id, Action::Claim, at) {
                Ok(_) => return Ok(Some(row.id)),
                // Someone took it meanwhile: the next one.
                Err(DeskError::Refused(_)) => {}
                Err(error) => return Err(error),
            }
        }
        Ok(None)
    })
    .await?;
    Ok(match (via, claimed) {
        (Via::Api, claimed) => json_response(StatusCode::OK, &json!({ "claimed": claimed })),
        (Via::Page(lang), Some(id)) => see(&format!("/volunteer/tasks/{id}"), lang),
        (Via::Page(lang), None) => see("/volunteer/tasks?none=1", lang),
    })
}

/// `POST /volunteer/tasks/{id}/claim`.
pub(super) async fn claim(
    State(state): State<AppState>,
    uri: Uri,
    Path(id): Path<i64>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let via = via(&uri, &query, &headers);
    let desk = desk_of(&state, via)?;
    let form: CsrfForm = parse_body(&headers, &body).map_err(|error| Failed(error, via))?;
    let token = cookie_token(&desk, &headers);
    let at = now(&state);
    let acted = blocking(&desk, via, move |desk| {
        let who = signed(desk, token.as_deref())?;
        check_write(&headers, &who.session, form.csrf.as_deref())?;
        who.require(&[Role::Typist])?;
        act(desk, &who, id, Action::Claim, at)
    })
    .await?;
    Ok(match via {
        Via::Api => json_response(
            StatusCode::OK,
            &json!({ "id": id, "claimed_until": acted.task.claim.map(|(_, until)| until.to_string()) }),
        ),
        Via::Page(lang) => see(&format!("/volunteer/tasks/{id}"), lang),
    })
}

fn find_task(rows: Vec<(TaskRow, TaskView)>, id: i64) -> Result<(TaskRow, TaskView), DeskError> {
    rows.into_iter()
        .find(|(row, _)| row.id == id)
        .ok_or_else(|| DeskError::NotFound(format!("no page waits under number {id}")))
}

/// `GET /volunteer/tasks/{id}`: for its typist, the page and the entry form (nothing of anyone
/// else's entry); for a coordinator, the entries side by side and what can be decided.
pub(super) async fn task(
    State(state): State<AppState>,
    uri: Uri,
    Path(id): Path<i64>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Answer {
    let via = via(&uri, &query, &headers);
    let desk = desk_of(&state, via)?;
    let token = cookie_token(&desk, &headers);
    let snapshot = state.snapshot();
    let at = now(&state);
    let election = snapshot.results.election().clone();
    let (who, row, view) = blocking(&desk, via, move |desk| {
        let who = signed(desk, token.as_deref())?;
        who.require(&[Role::Typist, Role::Coordinator, Role::Observer])?;
        let (row, view) = find_task(task_rows(desk, &snapshot, &who, at)?, id)?;
        Ok((who, row, view))
    })
    .await?;
    let coordinator = who.role() == Role::Coordinator;
    let holds_claim = row.claimed_by.as_ref() == Some(&who.account.pseudonym);
    match via {
        Via::Api => {
            let mut body = row_json(&row, &who);
            if coordinator {
                body["entries"] = view
                    .task
                    .entries
                    .iter()
                    .map(|(typist, entry)| entry_json(typist, entry, &election))
                    .collect();
            } else if who.role() == Role::Typist && holds_claim {
                body["form"] = form_json(&election);
            }
            Ok(json_response(StatusCode::OK, &body))
        }
        Via::Page(lang) => {
            let form = (who.role() == Role::Typist).then(|| EntryForm::blank(&election));
            Ok(html_response(
                StatusCode::OK,
                pages::task(lang, &who, &election, &row, &view.task, form.as_ref(), &[]),
            ))
        }
    }
}

fn entry_json(typist: &Pseudonym, entry: &Entry, election: &veedor_core::Election) -> Value {
    json!({
        "typist": typist.as_str(),
        "table": entry.table.display(election.geography.centre_digits),
        "counts": entry.counts.values(),
        "null_votes": entry.null_votes,
        "stated_valid_votes": entry.stated_valid_votes,
        "stated_registered": entry.stated_registered,
    })
}

/// The fields of the entry form, from the election's ballot.
fn form_json(election: &veedor_core::Election) -> Value {
    json!({
        "table": { "centre_digits": election.geography.centre_digits },
        "counts": pages::count_labels(election),
        "optional": ["null_votes", "stated_valid_votes", "stated_registered"],
    })
}

/// `GET /volunteer/tasks/{id}/page.jpg`: the page as a JPEG made from its pixels (so nothing
/// of the sender's device travels with it), for the signed-in volunteers who may read tasks.
pub(super) async fn task_image(
    State(state): State<AppState>,
    uri: Uri,
    Path(id): Path<i64>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Answer {
    let via = via(&uri, &query, &headers);
    let desk = desk_of(&state, via)?;
    let token = cookie_token(&desk, &headers);
    let page = blocking(&desk, via, move |desk| {
        let who = signed(desk, token.as_deref())?;
        who.require(&[Role::Typist, Role::Coordinator, Role::Observer])?;
        let page = desk
            .with_store(|store| store.queue())?
            .into_iter()
            .find(|page| page.id == id)
            .ok_or_else(|| DeskError::NotFound(format!("no page waits under number {id}")))?;
        Ok(page)
    })
    .await?;
    let permit = desk
        .reading
        .acquire()
        .await
        .map_err(|error| Failed(DeskError::Internal(error.to_string()), via))?;
    let jpeg = blocking(&desk, via, move |desk| {
        let bytes = desk
            .blobs
            .get(&page.file_sha256)?
            .ok_or_else(|| DeskError::NotFound("the scan is missing".to_owned()))?;
        let pages = veedor_scan::read_pages(&bytes, &veedor_scan::Limits::default())
            .map_err(|error| DeskError::Internal(error.to_string()))?;
        let number = usize::try_from(page.page).unwrap_or(usize::MAX);
        let image = pages
            .into_iter()
            .find(|read| read.number == number)
            .ok_or_else(|| DeskError::NotFound(format!("page {number} of the scan")))?;
        let mut out = std::io::Cursor::new(Vec::new());
        image
            .image
            .to_rgb8()
            .write_to(&mut out, image::ImageFormat::Jpeg)
            .map_err(|error| DeskError::Internal(error.to_string()))?;
        Ok(out.into_inner())
    })
    .await;
    drop(permit);
    let jpeg = jpeg?;
    let mut response = jpeg.into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(response)
}

/// An entry as sent: from a form (`centre`, `number`, `c0`...`cN`, the optional totals) or as
/// JSON (`table`, `counts`, ...).
#[derive(Debug, Default, Deserialize)]
pub(super) struct EntryBody {
    csrf: Option<String>,
    table: Option<String>,
    centre: Option<String>,
    number: Option<String>,
    counts: Option<Vec<u32>>,
    null_votes: Option<u32>,
    stated_valid_votes: Option<u32>,
    stated_registered: Option<u32>,
    /// The typist saw the findings and sends it anyway.
    confirm: Option<bool>,
}

/// Reads an entry from a form's fields, keeping what was typed to show it again.
fn entry_from_form(
    fields: &BTreeMap<String, String>,
    election: &veedor_core::Election,
) -> (EntryForm, Result<Entry, String>) {
    let mut form = EntryForm::blank(election);
    let get = |name: &str| {
        fields
            .get(name)
            .map(|value| value.trim().to_owned())
            .unwrap_or_default()
    };
    form.centre = get("centre");
    form.number = get("number");
    for (index, value) in form.counts.iter_mut().enumerate() {
        *value = get(&format!("c{index}"));
    }
    form.null_votes = get("null_votes");
    form.stated_valid_votes = get("stated_valid_votes");
    form.stated_registered = get("stated_registered");
    form.reviewed = fields.contains_key("reviewed");
    form.confirm = fields
        .get("confirm")
        .is_some_and(|value| value == "1" || value == "on");
    let entry = form.entry(election);
    (form, entry)
}

fn entry_from_json(body: &EntryBody, election: &veedor_core::Election) -> Result<Entry, String> {
    let digits = election.geography.centre_digits;
    let table = match (&body.table, &body.centre, &body.number) {
        (Some(table), _, _) => TableId::parse(table, digits).map_err(|error| error.to_string())?,
        (None, Some(centre), Some(number)) => TableId {
            centre: CentreCode::parse(centre, digits).map_err(|error| error.to_string())?,
            number: TableNumber::parse(number).map_err(|error| error.to_string())?,
        },
        _ => return Err("`table` (centre.number) is required".to_owned()),
    };
    let counts = body.counts.clone().ok_or("`counts` is required")?;
    let expected = pages::count_labels(election).len();
    if counts.len() != expected {
        return Err(format!(
            "`counts` has {} numbers; the ballot has {expected}",
            counts.len()
        ));
    }
    Ok(Entry {
        table,
        counts: if election.cards.is_empty() {
            Counts::Candidates(counts)
        } else {
            Counts::Cells(counts)
        },
        null_votes: body.null_votes,
        stated_valid_votes: body.stated_valid_votes,
        stated_registered: body.stated_registered,
    })
}

/// What validation says of an entry, as it would of the copy it becomes.
fn findings_of(entry: &Entry, snapshot: &Snapshot) -> Vec<Finding> {
    let election = snapshot.results.election();
    let record = ActaRecord {
        table: entry.table,
        counts: entry.counts.clone(),
        null_votes: entry.null_votes,
        stated_valid_votes: entry.stated_valid_votes,
        stated_registered: entry.stated_registered,
        format_fields: Vec::new(),
    };
    let place = match snapshot
        .results
        .table(entry.table)
        .and_then(|state| state.table.as_ref())
    {
        Some((_, table)) => Place::Table(table),
        None => {
            let area = election.geography.area_of(entry.table.centre, 0);
            Place::Unknown {
                area_known: snapshot
                    .results
                    .tables()
                    .any(|(id, _)| election.geography.area_of(id.centre, 0) == area),
            }
        }
    };
    veedor_core::validate(&record, election, place)
}

/// `POST /volunteer/tasks/{id}/entry`: what the typist read. Findings come back first (a
/// warning is sent on the next press; an error only when the typist confirms the sheet says
/// so).
pub(super) async fn enter(
    State(state): State<AppState>,
    uri: Uri,
    Path(id): Path<i64>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let via = via(&uri, &query, &headers);
    let desk = desk_of(&state, via)?;
    let snapshot = state.snapshot();
    let election = snapshot.results.election().clone();
    let (csrf, form, entry, confirmed) = match via {
        Via::Api => {
            let parsed: EntryBody =
                parse_body(&headers, &body).map_err(|error| Failed(error, via))?;
            let entry = entry_from_json(&parsed, &election);
            (
                parsed.csrf.clone(),
                None,
                entry,
                parsed.confirm.unwrap_or(false),
            )
        }
        Via::Page(_) => {
            let fields: BTreeMap<String, String> =
                parse_body(&headers, &body).map_err(|error| Failed(error, via))?;
            let (form, entry) = entry_from_form(&fields, &election);
            let confirmed = form.reviewed && (form.confirm || !form.has_errors);
            (fields.get("csrf").cloned(), Some(form), entry, confirmed)
        }
    };
    let token = cookie_token(&desk, &headers);
    let at = now(&state);
    let snapshot_for_work = Arc::clone(&snapshot);
    let outcome = blocking(&desk, via, move |desk| {
        let who = signed(desk, token.as_deref())?;
        check_write(&headers, &who.session, csrf.as_deref())?;
        who.require(&[Role::Typist])?;
        let entry = match entry {
            Ok(entry) => entry,
            Err(message) => return Ok((who, Err(message), Vec::new(), None)),
        };
        let findings = findings_of(&entry, &snapshot_for_work);
        let errors = findings.iter().any(Finding::is_error);
        let send = match via {
            Via::Api => !errors || confirmed,
            Via::Page(_) => findings.is_empty() || confirmed,
        };
        if !send {
            return Ok((who, Ok(entry), findings, None));
        }
        let acted = act(desk, &who, id, Action::Enter(entry.clone()), at)?;
        Ok((who, Ok(entry), findings, Some(acted)))
    })
    .await?;
    let (who, entry, findings, acted) = outcome;
    if acted.as_ref().is_some_and(|acted| acted.stored.is_some()) {
        reload(&state);
    }
    match via {
        Via::Api => {
            let findings_json: Vec<Value> = findings
                .iter()
                .map(|finding| json!({ "code": finding.code.code(), "error": finding.is_error(), "detail": finding.detail }))
                .collect();
            match (entry, acted) {
                (Err(message), _) => Err(Failed(DeskError::Invalid(message), via)),
                (Ok(_), None) => Ok(json_response(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &json!({ "entered": false, "findings": findings_json,
                             "message": "the entry has errors: check the sheet, and send it with \"confirm\": true if it says so" }),
                )),
                (Ok(_), Some(acted)) => Ok(json_response(
                    StatusCode::OK,
                    &json!({ "entered": true, "findings": findings_json,
                             "settled": matches!(acted.task.phase, Phase::Settled { .. }) }),
                )),
            }
        }
        Via::Page(lang) => match (acted, form) {
            (Some(_), _) => Ok(see("/volunteer/tasks?entered=1", lang)),
            (None, Some(mut form)) => {
                form.message = entry.err();
                form.reviewed = form.message.is_none();
                form.has_errors = findings.iter().any(Finding::is_error);
                let task_rows = {
                    let desk = Arc::clone(&desk);
                    let who = who.clone();
                    let snapshot = Arc::clone(&snapshot);
                    blocking(&desk, via, move |desk| task_rows(desk, &snapshot, &who, at)).await?
                };
                let (row, view) = find_task(task_rows, id).map_err(|error| Failed(error, via))?;
                Ok(html_response(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    pages::task(
                        lang,
                        &who,
                        &election,
                        &row,
                        &view.task,
                        Some(&form),
                        &findings,
                    ),
                ))
            }
            (None, None) => Err(Failed(DeskError::Internal("no form".to_owned()), via)),
        },
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct ResolveBody {
    csrf: Option<String>,
    /// `keep`, `return` or `discard`.
    decision: String,
    /// Whose entry (keep, return).
    typist: Option<String>,
    reason: String,
}

/// `POST /volunteer/tasks/{id}/resolve`: a coordinator keeps an entry, returns one to its
/// typist, or discards them all, always with a reason.
pub(super) async fn resolve(
    State(state): State<AppState>,
    uri: Uri,
    Path(id): Path<i64>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let via = via(&uri, &query, &headers);
    let desk = desk_of(&state, via)?;
    let form: ResolveBody = parse_body(&headers, &body).map_err(|error| Failed(error, via))?;
    let token = cookie_token(&desk, &headers);
    let at = now(&state);
    let acted = blocking(&desk, via, move |desk| {
        let who = signed(desk, token.as_deref())?;
        check_write(&headers, &who.session, form.csrf.as_deref())?;
        who.require(&[Role::Coordinator])?;
        let reason = form.reason.trim().to_owned();
        if reason.is_empty() || reason.chars().count() > 500 {
            return Err(DeskError::Invalid(
                "a reason of 1 to 500 characters is required".to_owned(),
            ));
        }
        let typist = || {
            form.typist
                .as_deref()
                .ok_or_else(|| DeskError::Invalid("whose entry: `typist` is required".to_owned()))
                .and_then(pseudonym)
        };
        let action = match form.decision.as_str() {
            "keep" => Action::Keep {
                typist: typist()?,
                reason,
            },
            "return" => Action::Return {
                typist: typist()?,
                reason,
            },
            "discard" => Action::Discard { reason },
            other => {
                return Err(DeskError::Invalid(format!(
                    "decision `{}`: expected keep, return or discard",
                    other.chars().take(20).collect::<String>()
                )));
            }
        };
        act(desk, &who, id, action, at)
    })
    .await?;
    if acted.stored.is_some() {
        reload(&state);
    }
    Ok(match via {
        Via::Api => json_response(
            StatusCode::OK,
            &json!({ "id": id, "settled": matches!(acted.task.phase, Phase::Settled { .. }) }),
        ),
        Via::Page(lang) => see(&format!("/volunteer/tasks/{id}"), lang),
    })
}

// ---------------------------------------------------------------------------------------------
// Volunteers (coordinators)

/// Each typist's agreement with others: of their entries on settled pages, how many equal the
/// settled numbers.
fn agreement(views: &[TaskView]) -> BTreeMap<Pseudonym, (usize, usize)> {
    let mut out: BTreeMap<Pseudonym, (usize, usize)> = BTreeMap::new();
    for view in views {
        if let Phase::Settled { entry, .. } = &view.task.phase {
            for (typist, typed) in &view.task.entries {
                let tally = out.entry(typist.clone()).or_default();
                tally.1 += 1;
                if typed == entry {
                    tally.0 += 1;
                }
            }
        }
    }
    out
}

/// `GET /volunteer/users`: the accounts, with each typist's agreement rate.
pub(super) async fn users(
    State(state): State<AppState>,
    uri: Uri,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Answer {
    let via = via(&uri, &query, &headers);
    let desk = desk_of(&state, via)?;
    let token = cookie_token(&desk, &headers);
    let at = now(&state);
    let (who, accounts, agreed) = blocking(&desk, via, move |desk| {
        let who = signed(desk, token.as_deref())?;
        who.require(&[Role::Coordinator])?;
        let (accounts, views) = desk.with_store(|store| {
            Ok::<_, StoreError>((store.accounts()?, tasks::tasks(store, at)?))
        })?;
        Ok((who, accounts, agreement(&views)))
    })
    .await?;
    Ok(match via {
        Via::Api => json_response(
            StatusCode::OK,
            &json!({ "volunteers": accounts.iter().map(|account| {
                let (agreed_entries, entries) = agreed.get(&account.pseudonym).copied().unwrap_or_default();
                json!({
                    "pseudonym": account.pseudonym.as_str(),
                    "role": account.role.as_str(),
                    "created_at": account.created_at.to_string(),
                    "active": account.passphrase_hash.is_some(),
                    "suspended_at": account.suspended_at.map(|at| at.to_string()),
                    "entries_on_settled_pages": entries,
                    "entries_agreed": agreed_entries,
                })
            }).collect::<Vec<_>>() }),
        ),
        Via::Page(lang) => html_response(
            StatusCode::OK,
            pages::users(lang, &who, &accounts, &agreed, None),
        ),
    })
}

#[derive(Debug, Deserialize)]
pub(super) struct AddUserBody {
    csrf: Option<String>,
    pseudonym: String,
    role: String,
}

/// `POST /volunteer/users`: a coordinator adds a volunteer; the one-time code is shown once.
pub(super) async fn add_user(
    State(state): State<AppState>,
    uri: Uri,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let via = via(&uri, &query, &headers);
    let desk = desk_of(&state, via)?;
    let form: AddUserBody = parse_body(&headers, &body).map_err(|error| Failed(error, via))?;
    let token = cookie_token(&desk, &headers);
    let at = now(&state);
    let (who, name, role, code, accounts, agreed) = blocking(&desk, via, move |desk| {
        let who = signed(desk, token.as_deref())?;
        check_write(&headers, &who.session, form.csrf.as_deref())?;
        who.require(&[Role::Coordinator])?;
        count_action(desk, &who.account.pseudonym)?;
        let name = pseudonym(&form.pseudonym)?;
        let role = Role::parse(form.role.trim()).ok_or_else(|| {
            DeskError::Invalid(
                "role: expected coordinator, typist, uploader or observer".to_owned(),
            )
        })?;
        let random: [u8; 15] = desk.random()?;
        let code = desk.with_store(|store| {
            volunteers::add_volunteer(
                store,
                Some(&who.account.pseudonym),
                name.clone(),
                role,
                random,
                at,
            )
        })?;
        let (accounts, views) = desk.with_store(|store| {
            Ok::<_, StoreError>((store.accounts()?, tasks::tasks(store, at)?))
        })?;
        Ok((who, name, role, code, accounts, agreement(&views)))
    })
    .await?;
    Ok(match via {
        Via::Api => json_response(
            StatusCode::CREATED,
            &json!({ "pseudonym": name.as_str(), "role": role.as_str(), "signin_code": code }),
        ),
        Via::Page(lang) => html_response(
            StatusCode::CREATED,
            pages::users(lang, &who, &accounts, &agreed, Some((&name, &code))),
        ),
    })
}

#[derive(Debug, Deserialize)]
pub(super) struct SuspendBody {
    csrf: Option<String>,
    reason: String,
}

/// `POST /volunteer/users/{pseudonym}/suspend`: their sessions end, their unconfirmed entries
/// stop counting.
pub(super) async fn suspend(
    State(state): State<AppState>,
    uri: Uri,
    Path(name): Path<String>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let via = via(&uri, &query, &headers);
    let desk = desk_of(&state, via)?;
    let form: SuspendBody = parse_body(&headers, &body).map_err(|error| Failed(error, via))?;
    let token = cookie_token(&desk, &headers);
    let at = now(&state);
    let name = blocking(&desk, via, move |desk| {
        let who = signed(desk, token.as_deref())?;
        check_write(&headers, &who.session, form.csrf.as_deref())?;
        who.require(&[Role::Coordinator])?;
        let name = pseudonym(&name)?;
        let reason = form.reason.trim();
        if reason.is_empty() || reason.chars().count() > 500 {
            return Err(DeskError::Invalid(
                "a reason of 1 to 500 characters is required".to_owned(),
            ));
        }
        if name == who.account.pseudonym {
            return Err(DeskError::Refused(
                "a coordinator does not suspend themselves".to_owned(),
            ));
        }
        desk.with_store(|store| {
            volunteers::suspend(store, Some(&who.account.pseudonym), &name, reason, at)
        })?;
        desk.sessions.close_all(&name);
        Ok(name)
    })
    .await?;
    reload(&state);
    Ok(match via {
        Via::Api => json_response(StatusCode::OK, &json!({ "suspended": name.as_str() })),
        Via::Page(lang) => see("/volunteer/users", lang),
    })
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct AuditQuery {
    lang: Option<String>,
    actor: Option<String>,
    action: Option<String>,
}

/// `GET /volunteer/audit`: every action, newest first, filtered by volunteer or action.
pub(super) async fn audit(
    State(state): State<AppState>,
    uri: Uri,
    Query(query): Query<AuditQuery>,
    headers: HeaderMap,
) -> Answer {
    let via = via(
        &uri,
        &LangQuery {
            lang: query.lang.clone(),
        },
        &headers,
    );
    let desk = desk_of(&state, via)?;
    let token = cookie_token(&desk, &headers);
    let actor = query.actor.clone().filter(|actor| !actor.trim().is_empty());
    let action = query
        .action
        .clone()
        .filter(|action| !action.trim().is_empty());
    let (who, events) = blocking(&desk, via, move |desk| {
        let who = signed(desk, token.as_deref())?;
        who.require(&[Role::Coordinator])?;
        let mut events = desk.with_store(|store| store.audit())?;
        events.retain(|event| {
            actor.as_ref().is_none_or(|actor| {
                event
                    .actor
                    .as_ref()
                    .is_some_and(|who| who.as_str() == actor.trim())
                    || event.object == actor.trim()
            }) && action
                .as_ref()
                .is_none_or(|action| event.action.starts_with(action.trim()))
        });
        events.reverse();
        events.truncate(1000);
        Ok((who, events))
    })
    .await?;
    Ok(match via {
        Via::Api => json_response(
            StatusCode::OK,
            &json!({ "events": events.iter().map(|event| json!({
                "at": event.at.to_string(),
                "actor": event.actor.as_ref().map(Pseudonym::as_str),
                "action": event.action,
                "object": event.object,
                "detail": event.detail,
            })).collect::<Vec<_>>() }),
        ),
        Via::Page(lang) => html_response(
            StatusCode::OK,
            pages::audit(
                lang,
                &who,
                &events,
                query.actor.as_deref(),
                query.action.as_deref(),
            ),
        ),
    })
}

// ---------------------------------------------------------------------------------------------
// Uploads

/// `GET /volunteer/upload`: the form (a phone offers its camera).
pub(super) async fn upload_form(
    State(state): State<AppState>,
    uri: Uri,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Answer {
    let via = via(&uri, &query, &headers);
    let Via::Page(lang) = via else {
        return Err(Failed(
            DeskError::NotFound("no such document".to_owned()),
            via,
        ));
    };
    let desk = desk_of(&state, via)?;
    let token = cookie_token(&desk, &headers);
    let snapshot = state.snapshot();
    let (who, quota) = blocking(&desk, via, move |desk| {
        let who = signed(desk, token.as_deref())?;
        who.require(&[Role::Uploader])?;
        let quota = quota(desk, &snapshot, &who.account.pseudonym)?;
        Ok((who, quota))
    })
    .await?;
    Ok(html_response(
        StatusCode::OK,
        pages::upload(lang, &who, quota, &desk.options, &[]),
    ))
}

/// Files sent so far, and files allowed: the base quota and more for every copy of theirs an
/// independent copy confirmed.
fn quota(desk: &Desk, snapshot: &Snapshot, who: &Pseudonym) -> Result<(u32, u32), DeskError> {
    let sent = desk
        .with_store(|store| store.audit())?
        .iter()
        .filter(|event| event.action == "upload.file" && event.actor.as_ref() == Some(who))
        .count();
    let confirmed = snapshot
        .results
        .dataset
        .copies
        .iter()
        .filter(|copy| copy.provenance.volunteer.as_ref() == Some(who))
        .filter(|copy| {
            snapshot
                .results
                .table(copy.record.table)
                .is_some_and(|state| state.assessment.status == TableStatus::Corroborated)
        })
        .count();
    let allowed = u64::from(desk.options.upload_quota).saturating_add(
        u64::from(desk.options.upload_quota_per_confirmed)
            .saturating_mul(u64::try_from(confirmed).unwrap_or(u64::MAX)),
    );
    Ok((
        u32::try_from(sent).unwrap_or(u32::MAX),
        u32::try_from(allowed).unwrap_or(u32::MAX),
    ))
}

/// A file as received.
struct Received {
    bytes: Vec<u8>,
}

/// The file name a scan is published under: never the phone's (it often holds the time and the
/// device), but the kind and the first digits of its SHA-256.
fn upload_name(bytes: &[u8], sha256: &Sha256) -> String {
    let extension = match crate::scans::media_type(bytes) {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "application/pdf" => "pdf",
        "image/tiff" => "tif",
        "image/webp" => "webp",
        _ => "bin",
    };
    format!("upload-{}.{extension}", &sha256.to_hex()[..16])
}

/// `POST /volunteer/upload`: photos and scans of actas, through the same intake as
/// `veedor ingest`; the answer says what became of each file.
pub(super) async fn upload(
    State(state): State<AppState>,
    uri: Uri,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Answer {
    let via = via(&uri, &query, &headers);
    let desk = desk_of(&state, via)?;
    let token = cookie_token(&desk, &headers);
    // Who, before reading megabytes.
    let who = {
        let token = token.clone();
        blocking(&desk, via, move |desk| {
            let who = signed(desk, token.as_deref())?;
            who.require(&[Role::Uploader])?;
            Ok(who)
        })
        .await?
    };
    let mut csrf = None;
    let mut table = None;
    let mut files = Vec::new();
    let fail = |error: DeskError| Failed(error, via);
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|error| fail(DeskError::Invalid(format!("the upload: {error}"))))?
    {
        match field.name().unwrap_or_default() {
            "csrf" => {
                csrf = Some(
                    field
                        .text()
                        .await
                        .map_err(|error| fail(DeskError::Invalid(error.to_string())))?,
                )
            }
            "table" => {
                table = Some(
                    field
                        .text()
                        .await
                        .map_err(|error| fail(DeskError::Invalid(error.to_string())))?,
                )
            }
            "file" => {
                if files.len() >= desk.options.max_files_per_upload {
                    return Err(fail(DeskError::Invalid(format!(
                        "at most {} files in one upload",
                        desk.options.max_files_per_upload
                    ))));
                }
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|error| fail(DeskError::Invalid(format!("the upload: {error}"))))?;
                if bytes.is_empty() {
                    continue;
                }
                files.push(Received {
                    bytes: bytes.to_vec(),
                });
            }
            _ => {}
        }
    }
    check_write(&headers, &who.session, csrf.as_deref()).map_err(fail)?;
    count_action(&desk, &who.account.pseudonym).map_err(fail)?;
    let snapshot = state.snapshot();
    let election = snapshot.results.election().clone();
    let hint = match table
        .as_deref()
        .map(str::trim)
        .filter(|text| !text.is_empty())
    {
        Some(text) => Some(
            TableId::parse(text, election.geography.centre_digits)
                .map_err(|error| fail(DeskError::Invalid(format!("table: {error}"))))?,
        ),
        None => None,
    };
    if files.is_empty() {
        return Err(fail(DeskError::Invalid("no file was sent".to_owned())));
    }
    let format = ActaFormat::from_id(&election.acta_format)
        .map_err(|error| fail(DeskError::Internal(error.to_string())))?;
    let at = now(&state);
    let uploading = Uploading {
        desk: Arc::clone(&desk),
        snapshot: Arc::clone(&snapshot),
        who: who.clone(),
        format,
        hint,
        at,
        via,
    };
    let mut lines = Vec::new();
    let mut changed = false;
    for file in files {
        let line = upload_one(&uploading, file).await?;
        changed |= line.stored;
        lines.push(line);
    }
    if changed {
        reload(&state);
    }
    let (sent, allowed) = {
        let who = who.account.pseudonym.clone();
        let snapshot = Arc::clone(&snapshot);
        blocking(&desk, via, move |desk| quota(desk, &snapshot, &who)).await?
    };
    Ok(match via {
        Via::Api => json_response(
            StatusCode::OK,
            &json!({
                "files": lines.iter().map(UploadLine::to_json).collect::<Vec<_>>(),
                "quota": { "sent": sent, "allowed": allowed },
            }),
        ),
        Via::Page(lang) => html_response(
            StatusCode::OK,
            pages::upload(lang, &who, (sent, allowed), &desk.options, &lines),
        ),
    })
}

/// What every file of one upload shares.
struct Uploading {
    desk: Arc<Desk>,
    snapshot: Arc<Snapshot>,
    who: Signed,
    format: ActaFormat,
    /// The table the uploader gave.
    hint: Option<TableId>,
    at: Timestamp,
    via: Via,
}

/// Reads and stores one uploaded file.
async fn upload_one(upload: &Uploading, file: Received) -> Result<UploadLine, Failed> {
    let Uploading {
        desk,
        snapshot,
        who,
        format,
        hint,
        at,
        via,
    } = upload;
    let (format, hint, at, via) = (*format, *hint, *at, *via);
    let sha256 = Sha256::from_bytes(Hasher::digest(&file.bytes).into());
    let name = upload_name(&file.bytes, &sha256);
    let mut line = UploadLine::new(name.clone(), sha256);
    if file.bytes.len() > desk.options.max_file_bytes {
        line.refused = Some(format!(
            "larger than {} MB: send a smaller photo or scan",
            desk.options.max_file_bytes >> 20
        ));
        return Ok(line);
    }
    {
        let who = who.account.pseudonym.clone();
        let snapshot = Arc::clone(snapshot);
        let (sent, allowed) = blocking(desk, via, move |desk| quota(desk, &snapshot, &who)).await?;
        if sent >= allowed {
            line.refused = Some(format!(
                "your quota of {allowed} files is used; it grows by {} with each of your copies that another confirms",
                desk.options.upload_quota_per_confirmed
            ));
            return Ok(line);
        }
    }
    // One scan read at a time: reading is the dearest thing the server does.
    let permit = desk
        .reading
        .acquire()
        .await
        .map_err(|error| Failed(DeskError::Internal(error.to_string()), via))?;
    let limits = veedor_scan::Limits {
        max_file_bytes: desk.options.max_file_bytes,
        ..veedor_scan::Limits::default()
    };
    let bytes = file.bytes;
    let read = {
        let bytes = bytes.clone();
        tokio::task::spawn_blocking(move || veedor_app::intake::read_pages(&bytes, format, &limits))
            .await
            .map_err(|error| Failed(DeskError::Internal(error.to_string()), via))?
    };
    drop(permit);
    let read = match read {
        Ok(read) => read,
        Err(error) => {
            line.refused = Some(format!("not a readable photo or scan: {error}"));
            return Ok(line);
        }
    };
    let who = who.clone();
    let cap = desk.options.uploads_per_table;
    let outcome = blocking(desk, via, move |desk| {
        let tables: BTreeSet<TableId> = read
            .pages
            .iter()
            .filter_map(|page| match &page.outcome {
                veedor_app::intake::PageOutcome::Acta(record) => Some(record.table),
                veedor_app::intake::PageOutcome::Queued(_) => None,
            })
            .collect();
        let mut origin = Origin::of(SourceKind::Qr);
        origin.volunteer = Some(who.account.pseudonym.clone());
        let blobs = Arc::clone(&desk.blobs);
        desk.with_store(|store| -> Result<Result<ScanReport, String>, DeskError> {
            if !tables.is_empty() {
                let dataset = store.load_dataset()?;
                for table in &tables {
                    let uploaded = dataset
                        .copies
                        .iter()
                        .filter(|copy| {
                            copy.record.table == *table
                                && copy.provenance.volunteer.is_some()
                                && copy.provenance.file_sha256 != sha256
                        })
                        .count();
                    if uploaded >= cap {
                        return Ok(Err(format!(
                            "table {} has {uploaded} uploaded copies already: another adds nothing",
                            table.display(dataset.election.geography.centre_digits)
                        )));
                    }
                }
            }
            let mut intake = ScanIntake::new(store, origin, veedor_scan::Limits::default())
                .map_err(|error| DeskError::Internal(error.to_string()))?;
            let report = intake
                .store(
                    store,
                    &*blobs,
                    ReadScan {
                        file_name: name,
                        bytes,
                        sha256,
                        read,
                    },
                    at,
                )
                .map_err(|error| DeskError::Internal(error.to_string()))?;
            let mut detail = Vec::new();
            if let Some(hint) = hint {
                detail.push(format!(
                    "table given: {}",
                    hint.display(store.election()?.geography.centre_digits)
                ));
            }
            if report.already {
                detail.push("already received".to_owned());
            }
            store.record_audit(&AuditEvent {
                at,
                actor: Some(who.account.pseudonym.clone()),
                action: "upload.file".to_owned(),
                object: sha256.to_hex(),
                detail: detail.join("; "),
            })?;
            Ok(Ok(report))
        })
    })
    .await?;
    match outcome {
        Ok(report) => {
            let digits = snapshot.results.election().geography.centre_digits;
            line.stored = !report.already;
            line.absorb(&report, digits, hint);
        }
        Err(refused) => line.refused = Some(refused),
    }
    Ok(line)
}
