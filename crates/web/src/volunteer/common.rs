//! What the desk's handlers share: the audience of a request (a page or JSON, from its path),
//! the one error type and its responses, the session and CSRF checks, and running work on a
//! blocking thread.

use std::sync::Arc;

use axum::http::header::{
    CACHE_CONTROL, CONTENT_TYPE, COOKIE, HOST, LOCATION, ORIGIN, REFERRER_POLICY,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256 as Hasher};
use veedor_app::tasks::TaskError;
use veedor_app::volunteers::AccountError;
use veedor_core::entry::Role;
use veedor_core::{Pseudonym, Timestamp};
use veedor_store::{Account, StoreError};

use crate::AppState;
use crate::i18n::Lang;
use crate::volunteer::pages::{self};
use crate::volunteer::{Desk, Session};
/// The session cookie's name (with the `__Host-` prefix when it is `Secure`: a cookie the
/// browser only accepts from this very host, over TLS, for the whole path).
pub(super) fn cookie_name(desk: &Desk) -> &'static str {
    if desk.options.secure_cookies {
        "__Host-veedor_session"
    } else {
        "veedor_session"
    }
}

/// The CSRF token's header on JSON requests.
pub(super) const CSRF_HEADER: &str = "x-csrf-token";

/// Who a response is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Via {
    Page(Lang),
    Api,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct LangQuery {
    pub(super) lang: Option<String>,
}

pub(super) fn via(uri: &Uri, query: &LangQuery, headers: &HeaderMap) -> Via {
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
    /// The request is larger than the route takes.
    TooLarge(String),
    /// No such thing.
    NotFound(String),
    /// The rules refuse it (a state-machine refusal, a taken pseudonym, a conflict).
    Refused(String),
    /// A fault of ours; logged, never shown.
    Internal(String),
}

impl DeskError {
    pub(super) fn status(&self) -> StatusCode {
        match self {
            Self::SignInRequired => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) | Self::Csrf => StatusCode::FORBIDDEN,
            Self::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Invalid(_) => StatusCode::BAD_REQUEST,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Refused(_) => StatusCode::CONFLICT,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub(super) fn reference(&self) -> &'static str {
        match self {
            Self::SignInRequired => "sign_in_required",
            Self::Forbidden(_) => "forbidden",
            Self::Csrf => "csrf",
            Self::RateLimited(_) => "rate_limited",
            Self::Invalid(_) => "invalid_input",
            Self::TooLarge(_) => "too_large",
            Self::NotFound(_) => "not_found",
            Self::Refused(_) => "refused",
            Self::Internal(_) => "internal",
        }
    }

    pub(super) fn message(&self, lang: Lang) -> String {
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
            Self::Invalid(message)
            | Self::TooLarge(message)
            | Self::NotFound(message)
            | Self::Refused(message) => message.clone(),
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
pub(super) struct Failed(pub(super) DeskError, pub(super) Via);

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

pub(super) type Answer = Result<Response, Failed>;

pub(super) fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub(super) fn html_response(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    // Volunteers' pages are theirs alone: never kept by a shared cache or the browser.
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // Their forms post to this server: under the public site's `no-referrer` a browser sends
    // `Origin: null`, which the desk refuses; `same-origin` sends the real one, and only here.
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    response
}

/// After a form: see the result at `to` (303, so a reload does not post again).
pub(super) fn see(to: &str, lang: Lang) -> Response {
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

pub(super) fn desk_of(state: &AppState, via: Via) -> Result<Arc<Desk>, Failed> {
    state
        .desk()
        .ok_or_else(|| Failed(DeskError::NotFound("volunteers are not on".to_owned()), via))
}

/// Runs `work` on a blocking thread.
pub(super) async fn blocking<T: Send + 'static>(
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
pub(super) fn cookie_token(desk: &Desk, headers: &HeaderMap) -> Option<String> {
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

    pub(super) fn require(&self, roles: &[Role]) -> Result<(), DeskError> {
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

pub(super) fn signed(desk: &Desk, token: Option<&str>) -> Result<Signed, DeskError> {
    let token = token.ok_or(DeskError::SignInRequired)?;
    let now = Timestamp::now();
    let found = desk.with_store(|store| -> Result<_, StoreError> {
        let Some(session) = desk.sessions.get(store, token, now)? else {
            return Ok(None);
        };
        let Some(account) = store.account(&session.pseudonym)? else {
            return Ok(None);
        };
        // Suspending ends the sessions (`volunteers::suspend`); the account is checked here
        // all the same, on every request.
        if account.suspended_at.is_some() {
            return Ok(None);
        }
        Ok(Some(Signed { account, session }))
    })?;
    found.ok_or(DeskError::SignInRequired)
}

/// A write's checks: the browser's `Origin`, when it sends one, is this server; the session's
/// CSRF token came with it.
pub(super) fn check_write(
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

pub(super) fn check_origin(headers: &HeaderMap) -> Result<(), DeskError> {
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
pub(super) fn count_action(desk: &Desk, who: &Pseudonym) -> Result<(), DeskError> {
    let digest = Hasher::digest(who.as_str().as_bytes());
    let mut key = [0u8; 16];
    key.copy_from_slice(&digest[..16]);
    desk.actions
        .check(crate::limit::ClientKey::named(u128::from_be_bytes(key)))
        .map_err(|wait| DeskError::RateLimited(wait.as_secs() + 1))
}

/// A body read as JSON (by its content type) or as a form.
pub(super) fn parse_body<T: serde::de::DeserializeOwned>(
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

pub(super) fn now(state: &AppState) -> Timestamp {
    (state.options().clock)()
}

/// After a write that changes results: the public snapshot reloads now, not at the next poll.
pub(super) fn reload(state: &AppState) {
    state.request_refresh();
}

pub(super) fn pseudonym(text: &str) -> Result<Pseudonym, DeskError> {
    Pseudonym::new(text.trim()).map_err(|_| {
        DeskError::Invalid(
            "a pseudonym is 1 to 40 letters, digits, `-` or `_` (never a real name)".to_owned(),
        )
    })
}

pub(super) fn set_cookie(desk: &Desk, value: &str, max_age: u64) -> HeaderValue {
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

/// A form that carries only its CSRF token.
#[derive(Debug, Default, Deserialize)]
pub(super) struct CsrfForm {
    pub(super) csrf: Option<String>,
}

/// What every desk request starts from: for whom to answer, the desk, the session's token (from
/// the cookie), the time, and the headers (for the CSRF and origin checks).
pub(super) struct Ask {
    pub(super) via: Via,
    pub(super) desk: Arc<Desk>,
    pub(super) token: Option<String>,
    pub(super) at: Timestamp,
    pub(super) headers: HeaderMap,
}

impl axum::extract::FromRequestParts<AppState> for Ask {
    type Rejection = Failed;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Failed> {
        let query = axum::extract::Query::<LangQuery>::try_from_uri(&parts.uri)
            .map(|query| query.0)
            .unwrap_or_default();
        let via = via(&parts.uri, &query, &parts.headers);
        let desk = desk_of(state, via)?;
        Ok(Self {
            via,
            token: cookie_token(&desk, &parts.headers),
            desk,
            at: now(state),
            headers: parts.headers.clone(),
        })
    }
}

impl Ask {
    /// An error, for this request's audience.
    pub(super) fn fail(&self, error: DeskError) -> Failed {
        Failed(error, self.via)
    }

    /// The request's body: JSON or a form, by its content type.
    pub(super) fn form<T: serde::de::DeserializeOwned>(&self, body: &[u8]) -> Result<T, Failed> {
        parse_body(&self.headers, body).map_err(|error| self.fail(error))
    }

    /// Runs `work` on a blocking thread as the signed-in volunteer, who must hold one of
    /// `roles`.
    pub(super) async fn read<T: Send + 'static>(
        &self,
        roles: &'static [Role],
        work: impl FnOnce(&Desk, Signed) -> Result<T, DeskError> + Send + 'static,
    ) -> Result<T, Failed> {
        let token = self.token.clone();
        blocking(&self.desk, self.via, move |desk| {
            let who = signed(desk, token.as_deref())?;
            who.require(roles)?;
            work(desk, who)
        })
        .await
    }

    /// [`Self::read`] for a write: the request also carries the session's CSRF token (`csrf`,
    /// a form's field, or the header) and comes from this site.
    pub(super) async fn write<T: Send + 'static>(
        &self,
        roles: &'static [Role],
        csrf: Option<String>,
        work: impl FnOnce(&Desk, Signed) -> Result<T, DeskError> + Send + 'static,
    ) -> Result<T, Failed> {
        let token = self.token.clone();
        let headers = self.headers.clone();
        blocking(&self.desk, self.via, move |desk| {
            let who = signed(desk, token.as_deref())?;
            check_write(&headers, &who.session, csrf.as_deref())?;
            who.require(roles)?;
            work(desk, who)
        })
        .await
    }
}

/// A coordinator's reason: required, at most 500 characters.
pub(super) fn reason(text: &str) -> Result<String, DeskError> {
    let reason = text.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(DeskError::Invalid(
            "a reason of 1 to 500 characters is required".to_owned(),
        ));
    }
    Ok(reason.to_owned())
}
