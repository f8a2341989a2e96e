//! Sessions: `POST /token` (Empire's OAuth2 password grant, as a URL-encoded or a multipart
//! form, the two FastAPI reads), `POST /api/v2/users/sign_in`
//! (Nodeum; sets the session cookie) and `DELETE /api/v2/users/sign_out`.

use super::dto::{TokenResponse, UserBody};
use super::envelope::ErrorEnvelope;
use super::family::{V2Auth, V2Error, V2Result};
use super::request_docs::{SignInRequest, TokenForm};
use crate::auth::{session_cookie, session_cookie_removal};
use crate::body::{JsonFields, JsonObject, read_form, read_json_object};
use crate::error::{Challenge, InvalidField, Problem};
use crate::request_log::request_origin;
use crate::state::AppState;
use actix_web::http::header::{AUTHORIZATION, CacheControl, CacheDirective};
use actix_web::{HttpRequest, HttpResponse, web};
use rollcall_domain::services::ServiceError;
use rollcall_domain::values::Scope;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

/// The 401 message of both sign-in routes (it does not say which part was wrong).
const BAD_LOGIN: &str = "Incorrect username or password";

/// A login and password read from a body.
struct LoginFields {
    login: String,
    password: SecretString,
}

/// A failed sign-in: 401 with a Bearer challenge; anything else as the use case said.
fn sign_in_failure(e: ServiceError) -> V2Error {
    match e {
        ServiceError::Unauthenticated => Problem::Unauthenticated {
            challenges: &[Challenge::Bearer],
            message: BAD_LOGIN,
        }
        .into(),
        other => other.into(),
    }
}

/// The form of `POST /token`: `username` and `password` required, `grant_type` must be
/// `password` when given; the first occurrence of each field counts, others are ignored.
fn token_form(pairs: &[(String, String)]) -> Result<LoginFields, Problem> {
    let first = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let mut errors = Vec::new();
    if let Some(grant) = first("grant_type").filter(|g| g != "password") {
        errors.push(InvalidField::invalid(
            "grant_type",
            Some(grant),
            "grant_type must be password".into(),
        ));
    }
    let login = first("username");
    let password = first("password");
    if login.is_none() {
        errors.push(InvalidField::blank("username"));
    }
    if password.is_none() {
        errors.push(InvalidField::blank("password"));
    }
    match (login, password) {
        (Some(login), Some(password)) if errors.is_empty() => Ok(LoginFields {
            login,
            password: SecretString::from(password),
        }),
        _ => Err(Problem::InvalidFields(errors)),
    }
}

/// The body of `POST /api/v2/users/sign_in`: `{"user": {"username", "password"}}` (the fields
/// are also accepted at the top level). A missing field is `blank`, a non-string `invalid`.
fn sign_in_body(mut body: JsonObject) -> Result<LoginFields, Problem> {
    let credentials = match body.remove("user") {
        Some(Value::Object(inner)) => inner,
        Some(_) => {
            return Err(Problem::InvalidFields(vec![InvalidField::invalid(
                "user",
                None,
                "user must be an object".into(),
            )]));
        }
        None => body,
    };
    let mut fields = JsonFields::new(credentials);
    let login = fields.string("username");
    let password = fields.string("password");
    let mut errors: Vec<InvalidField> = fields
        .into_malformed()
        .into_iter()
        .map(|f| InvalidField::invalid(f, None, format!("{f} is invalid")))
        .collect();
    for (name, value) in [("username", &login), ("password", &password)] {
        if value.is_none() && !errors.iter().any(|e| e.field == name) {
            errors.push(InvalidField::blank(name));
        }
    }
    match (login, password) {
        (Some(login), Some(password)) if errors.is_empty() => Ok(LoginFields {
            login,
            password: SecretString::from(password),
        }),
        _ => Err(Problem::InvalidFields(errors)),
    }
}

/// Responses that carry a credential (a session token, a whole API key) must not be cached.
pub(crate) fn no_store() -> CacheControl {
    CacheControl(vec![CacheDirective::NoStore])
}

/// Issues a session token for a username (or e-mail) and password.
#[utoipa::path(
    post,
    path = "/token",
    tag = "v2: sessions",
    request_body(content(
        (TokenForm = "application/x-www-form-urlencoded"),
        (TokenForm = "multipart/form-data"),
    )),
    security(()),
    responses(
        (status = 200, description = "A session token.", body = TokenResponse),
        (status = 401, description = "`Incorrect username or password`.", body = ErrorEnvelope),
        (status = 408, description = "Body not received in full within the body read timeout; the connection is closed.", body = ErrorEnvelope),
        (status = 413, description = "Body over 64 KiB.", body = ErrorEnvelope),
        (status = 400, description = "A multipart body that is not valid for its boundary.", body = ErrorEnvelope),
        (status = 415, description = "Not a form (neither URL-encoded nor multipart).", body = ErrorEnvelope),
        (status = 422, description = "Missing field, or `grant_type` other than `password`.", body = ErrorEnvelope),
        (status = 429, description = "Too many failed password checks from this address (login throttle); see `Retry-After`.", body = ErrorEnvelope),
        (status = 503, description = "Too many password checks waiting; see `Retry-After`.", body = ErrorEnvelope),
    )
)]
pub(crate) async fn issue_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> V2Result {
    let form = read_form(&req, payload).await?;
    let LoginFields { login, password } = token_form(&form)?;
    let (_, issued) = state
        .directory
        .sign_in(
            &login,
            password.expose_secret(),
            &request_origin(&req, &state.settings.trusted_proxies),
        )
        .await
        .map_err(sign_in_failure)?;
    Ok(HttpResponse::Ok()
        .insert_header(no_store())
        .json(TokenResponse {
            access_token: issued.token.expose_secret().to_owned(),
            token_type: "bearer",
        }))
}

/// Signs in: answers the user, the session token in the `Authorization` header, and the
/// session cookie.
#[utoipa::path(
    post,
    path = "/api/v2/users/sign_in",
    tag = "v2: sessions",
    request_body(content = SignInRequest, content_type = "application/json"),
    security(()),
    responses(
        (status = 201, description = "Signed in.", body = UserBody, headers(
            ("Authorization" = String, description = "The session token."),
            ("Set-Cookie" = String, description = "`rollcall_session`: HttpOnly, SameSite=Lax, Path=/."),
        )),
        (status = 400, description = "Malformed JSON.", body = ErrorEnvelope),
        (status = 401, description = "`Incorrect username or password`.", body = ErrorEnvelope),
        (status = 408, description = "Body not received in full within the body read timeout; the connection is closed.", body = ErrorEnvelope),
        (status = 413, description = "Body over 64 KiB.", body = ErrorEnvelope),
        (status = 415, description = "Not JSON.", body = ErrorEnvelope),
        (status = 422, description = "Missing or non-string field.", body = ErrorEnvelope),
        (status = 429, description = "Too many failed password checks from this address (login throttle); see `Retry-After`.", body = ErrorEnvelope),
        (status = 503, description = "Too many password checks waiting; see `Retry-After`.", body = ErrorEnvelope),
    )
)]
pub(crate) async fn sign_in(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> V2Result {
    let body = read_json_object(&req, payload).await?;
    let LoginFields { login, password } = sign_in_body(body)?;
    let (user, issued) = state
        .directory
        .sign_in(
            &login,
            password.expose_secret(),
            &request_origin(&req, &state.settings.trusted_proxies),
        )
        .await
        .map_err(sign_in_failure)?;
    let cookie = session_cookie(
        &issued.token,
        state.directory.settings().session_lifetime,
        state.settings.secure_cookies,
    );
    Ok(HttpResponse::Created()
        .insert_header((AUTHORIZATION, issued.token.expose_secret()))
        .insert_header(no_store())
        .cookie(cookie)
        .json(UserBody::from(&user)))
}

/// Ends the session used (a no-op for Basic and API keys) and clears the session cookie.
#[utoipa::path(
    delete,
    path = "/api/v2/users/sign_out",
    tag = "v2: sessions",
    responses(
        (status = 204, description = "Signed out."),
        (status = 401, description = "No valid credentials.", body = ErrorEnvelope),
        (status = 403, description = "API key without `sessions/destroy`.", body = ErrorEnvelope),
    )
)]
pub(crate) async fn sign_out(state: web::Data<AppState>, auth: V2Auth) -> V2Result {
    let principal = auth.principal;
    principal.require(Scope::SESSIONS_DESTROY)?;
    state.directory.sign_out(&principal).await?;
    Ok(HttpResponse::NoContent()
        .cookie(session_cookie_removal(state.settings.secure_cookies))
        .finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::json_object as object;
    use serde_json::json;

    fn pairs(raw: &[(&str, &str)]) -> Vec<(String, String)> {
        raw.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn codes(p: Problem) -> Vec<(String, &'static str)> {
        match p {
            Problem::InvalidFields(f) => f
                .into_iter()
                .map(|f| (f.field, f.violation.code()))
                .collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn token_form_rules() {
        let ok = token_form(&pairs(&[
            ("username", "ann"),
            ("password", "pw"),
            ("scope", "x"),
        ]))
        .ok();
        assert_eq!(ok.map(|l| l.login).as_deref(), Some("ann"));
        let ok = token_form(&pairs(&[
            ("grant_type", "password"),
            ("username", "a"),
            ("password", "p"),
        ]));
        assert!(ok.is_ok());
        let e = token_form(&pairs(&[
            ("grant_type", "client_credentials"),
            ("username", "a"),
        ]))
        .err();
        assert_eq!(
            codes(e.unwrap()),
            vec![
                ("grant_type".into(), "invalid"),
                ("password".into(), "blank")
            ]
        );
    }

    #[test]
    fn sign_in_body_rules() {
        let ok = sign_in_body(object(
            json!({"user": {"username": "a@x.org", "password": "p"}}),
        ));
        assert_eq!(ok.ok().map(|l| l.login).as_deref(), Some("a@x.org"));
        let flat = sign_in_body(object(json!({"username": "a", "password": "p"})));
        assert!(flat.is_ok());
        let e = sign_in_body(object(json!({"user": {"username": 5}})))
            .err()
            .unwrap();
        assert_eq!(
            codes(e),
            vec![("username".into(), "invalid"), ("password".into(), "blank")]
        );
        let e = sign_in_body(object(json!({"user": "x"}))).err().unwrap();
        assert_eq!(codes(e), vec![("user".into(), "invalid")]);
    }
}
