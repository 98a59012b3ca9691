//! The one error type of the HTTP layer, [`ApiError`], and the one place it becomes a response:
//! a JSON body for the API, an HTML page for people, each with a stable reference. A 5xx says
//! nothing of its cause to the client; the cause goes to the log.

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::i18n::{Lang, Text};
use crate::pages;
use crate::snapshot::Snapshot;

/// What went wrong while answering a request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// No such area, table, acta or scan.
    #[error("{what} not found")]
    NotFound {
        /// What was asked for.
        what: String,
    },
    /// The request named something in a form that cannot be right (a malformed code or id).
    #[error("{message}")]
    InvalidInput {
        /// What is wrong and what was expected.
        message: String,
    },
    /// A voter id that is not a number.
    #[error("{message}")]
    InvalidVoterId {
        /// What is wrong and what was expected.
        message: String,
    },
    /// Too many voter lookups from one client.
    #[error("too many lookups: try again in {retry_after_seconds} s")]
    RateLimited {
        /// Seconds until the next lookup is allowed.
        retry_after_seconds: u64,
    },
    /// No voter registry was imported.
    #[error("no voter registry is loaded")]
    NoRegistry,
    /// The server cannot answer now (data not loaded).
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A fault of ours; the detail is logged, never sent.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// The HTTP status.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound { .. } => StatusCode::NOT_FOUND,
            Self::InvalidInput { .. } | Self::InvalidVoterId { .. } => StatusCode::BAD_REQUEST,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::NoRegistry | Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable reference clients can act on, documented in docs/web.md.
    #[must_use]
    pub const fn reference(&self) -> &'static str {
        match self {
            Self::NotFound { .. } => "not_found",
            Self::InvalidInput { .. } => "invalid_input",
            Self::InvalidVoterId { .. } => "invalid_voter_id",
            Self::RateLimited { .. } => "rate_limited",
            Self::NoRegistry => "no_registry",
            Self::Unavailable(_) => "unavailable",
            Self::Internal(_) => "internal",
        }
    }

    /// What the client is told: the message, except for faults of ours.
    fn public_message(&self) -> String {
        match self {
            Self::Internal(_) => "internal server error".to_owned(),
            Self::Unavailable(_) => "the data is not loaded yet".to_owned(),
            other => other.to_string(),
        }
    }

    fn log(&self) {
        if self.status().is_server_error() {
            tracing::error!(reference = self.reference(), error = %self, "request failed");
        }
    }
}

impl From<veedor_store::StoreError> for ApiError {
    fn from(error: veedor_store::StoreError) -> Self {
        Self::Internal(error.to_string())
    }
}

/// The JSON body of an error.
#[derive(Debug, Serialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Debug, Serialize)]
struct ErrorDetail {
    reference: &'static str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_after_seconds: Option<u64>,
}

/// Who is asking: a program (JSON) or a person (HTML, in a language).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// The JSON API.
    Api,
    /// The pages.
    Page(Lang),
}

/// An error on its way to a client: what went wrong, for whom, and the data to render the
/// page around it.
#[derive(Debug)]
pub struct Failure {
    /// What went wrong.
    pub error: ApiError,
    /// For whom.
    pub audience: Audience,
    /// The data, when loaded, so the error page keeps the site's navigation.
    pub snapshot: Option<std::sync::Arc<Snapshot>>,
}

impl Failure {
    /// An API error.
    #[must_use]
    pub fn api(error: ApiError) -> Self {
        Self {
            error,
            audience: Audience::Api,
            snapshot: None,
        }
    }

    /// A page error.
    #[must_use]
    pub fn page(error: ApiError, lang: Lang, snapshot: Option<std::sync::Arc<Snapshot>>) -> Self {
        Self {
            error,
            audience: Audience::Page(lang),
            snapshot,
        }
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let error = self.error;
        error.log();
        let status = error.status();
        let retry_after = match &error {
            ApiError::RateLimited {
                retry_after_seconds,
            } => Some(*retry_after_seconds),
            _ => None,
        };
        let mut response = match self.audience {
            Audience::Api => {
                let body = ErrorBody {
                    error: ErrorDetail {
                        reference: error.reference(),
                        message: error.public_message(),
                        retry_after_seconds: retry_after,
                    },
                };
                let text = serde_json::to_string(&body).unwrap_or_else(|_| "{}".to_owned());
                let mut response = (status, text).into_response();
                response.headers_mut().insert(
                    CONTENT_TYPE,
                    HeaderValue::from_static("application/json; charset=utf-8"),
                );
                response
            }
            Audience::Page(lang) => {
                let (title, text) = match &error {
                    ApiError::NotFound { .. } => (
                        lang.t(Text::NotFoundTitle),
                        lang.t(Text::NotFoundText).to_owned(),
                    ),
                    ApiError::InvalidInput { message } => {
                        (lang.t(Text::BadRequestTitle), message.clone())
                    }
                    ApiError::InvalidVoterId { .. } => (
                        lang.t(Text::BadRequestTitle),
                        lang.t(Text::LookupInvalid).to_owned(),
                    ),
                    ApiError::RateLimited {
                        retry_after_seconds,
                    } => (
                        lang.t(Text::TooManyTitle),
                        format!(
                            "{} {} {} {}.",
                            lang.t(Text::TooManyText),
                            lang.t(Text::TryAgainIn),
                            retry_after_seconds,
                            lang.t(Text::Seconds)
                        ),
                    ),
                    ApiError::NoRegistry => (
                        lang.t(Text::UnavailableTitle),
                        lang.t(Text::LookupNoRegistry).to_owned(),
                    ),
                    ApiError::Unavailable(_) => (
                        lang.t(Text::UnavailableTitle),
                        lang.t(Text::ErrorText).to_owned(),
                    ),
                    ApiError::Internal(_) => {
                        (lang.t(Text::ErrorTitle), lang.t(Text::ErrorText).to_owned())
                    }
                };
                let html = pages::error_page(
                    self.snapshot.as_deref(),
                    lang,
                    title,
                    &text,
                    error.reference(),
                    matches!(error, ApiError::RateLimited { .. }),
                );
                let mut response = (status, html).into_response();
                response.headers_mut().insert(
                    CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                );
                response
            }
        };
        let headers = response.headers_mut();
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(seconds) = retry_after
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            headers.insert(RETRY_AFTER, value);
        }
        response
    }
}
