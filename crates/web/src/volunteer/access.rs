//! Signing in and out, and choosing a passphrase with a one-time code.

use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode, Uri};
use serde::Deserialize;
use serde_json::json;
use veedor_app::volunteers::{self, AccountError};
use veedor_core::Pseudonym;

use super::common::*;
use crate::AppState;
use crate::routes::Client;
use crate::volunteer::Desk;
use crate::volunteer::pages::{self};

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
        let name = form.pseudonym.trim().to_owned();
        gate(desk, client, &name, started)?;
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
                let (token, session) = desk.with_store(|store| {
                    desk.sessions.open(
                        store,
                        account.pseudonym.clone(),
                        &random,
                        veedor_core::Timestamp::now(),
                    )
                })?;
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
            desk.with_store(|store| desk.sessions.close(store, token))?;
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
        let name = form.pseudonym.trim().to_owned();
        gate(desk, client, &name, started)?;
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

/// An attempt to sign in or to use a sign-in code, counted against the client's address, the
/// whole server and the account named (refused while it is held back after failures).
fn gate(desk: &Desk, client: Client, name: &str, now: Instant) -> Result<(), DeskError> {
    let wait = |wait: std::time::Duration| DeskError::RateLimited(wait.as_secs() + 1);
    desk.sign_in_clients.check(client.address).map_err(wait)?;
    desk.sign_in_global
        .check(crate::limit::ClientKey::unknown())
        .map_err(wait)?;
    desk.failures.check(name, now).map_err(wait)
}
