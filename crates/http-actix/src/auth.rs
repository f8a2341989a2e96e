//! The one authentication extractor: [`Authenticated`] turns whatever credential a request
//! carries into the domain's `Principal`, or answers 401 in the request's family envelope with
//! the right `WWW-Authenticate` challenges. Also the session cookie that sign-in sets.
//!
//! Carriers, in order of precedence (the first one present is the only one read):
//! 1. `Authorization: Basic base64(login:password)` (login = username or e-mail);
//!    `Authorization: Bearer <session token or API key>`; a bare `Authorization: <token>`;
//! 2. `X-Empire-Token: [Bearer ]<token>`;
//! 3. the `rollcall_session` cookie.
//!
//! Bearer values are routed by the domain by prefix (`rcs_` sessions, `rck_` API keys).

use crate::error::{Challenge, Family, FamilyError, Problem};
use crate::request_log::{PrincipalTag, request_origin};
use crate::state::AppState;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use actix_web_httpauth::headers::authorization::{Basic, Scheme};
use rollcall_domain::services::{Principal, ServiceError};
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

/// The name of the session cookie set by `POST /api/v2/users/sign_in`.
pub(crate) const SESSION_COOKIE: &str = "rollcall_session";

/// Empire's token header.
const EMPIRE_TOKEN: HeaderName = HeaderName::from_static("x-empire-token");

/// A credential as the request presented it, before anything is checked.
pub(crate) enum PresentedCredential {
    /// Nothing at all.
    Nothing,
    /// HTTP Basic.
    Basic {
        /// Username or e-mail.
        login: String,
        /// The password.
        password: SecretString,
    },
    /// A session token or an API key.
    Token(SecretString),
    /// A credential header that cannot be read; answered with this challenge.
    Unreadable(Challenge),
}

impl fmt::Debug for PresentedCredential {
    /// Never shows a password or token.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Nothing => f.write_str("Nothing"),
            Self::Basic { login, .. } => write!(f, "Basic({login:?}, [redacted])"),
            Self::Token(_) => f.write_str("Token([redacted])"),
            Self::Unreadable(c) => write!(f, "Unreadable({c:?})"),
        }
    }
}

impl PresentedCredential {
    /// Reads the credential of a request (see the module docs for the precedence).
    pub(crate) fn of_request(req: &HttpRequest) -> Self {
        let from_cookie = || {
            req.cookie(SESSION_COOKIE)
                .map(|c| c.value().to_owned())
                .filter(|v| !v.is_empty())
        };
        Self::from_parts(req.headers(), from_cookie)
    }

    /// Reads the credential from the headers, falling back to the session cookie's value.
    fn from_parts(headers: &HeaderMap, cookie: impl FnOnce() -> Option<String>) -> Self {
        if let Some(value) = headers.get(AUTHORIZATION) {
            return Self::from_authorization(value);
        }
        if let Some(value) = headers.get(EMPIRE_TOKEN) {
            return Self::from_empire_token(value);
        }
        match cookie() {
            Some(token) => Self::Token(SecretString::from(token)),
            None => Self::Nothing,
        }
    }

    /// `Authorization: Basic …`, `Authorization: Bearer …` or a bare `Authorization: <token>`.
    /// Scheme names are case-insensitive.
    fn from_authorization(value: &HeaderValue) -> Self {
        let Ok(text) = value.to_str() else {
            let basic = value
                .as_bytes()
                .get(..6)
                .is_some_and(|p| p.eq_ignore_ascii_case(b"basic "));
            return Self::Unreadable(if basic {
                Challenge::Basic
            } else {
                Challenge::Bearer
            });
        };
        let text = text.trim();
        let (scheme, rest) = text.split_once(' ').unwrap_or((text, ""));
        let rest = rest.trim();
        if scheme.eq_ignore_ascii_case("basic") {
            // The parser of actix-web-httpauth expects the canonical spelling.
            HeaderValue::from_str(&format!("Basic {rest}"))
                .ok()
                .and_then(|v| Basic::parse(&v).ok())
                .map_or(Self::Unreadable(Challenge::Basic), |b| Self::Basic {
                    login: b.user_id().to_string(),
                    password: SecretString::from(
                        b.password().map(|p| p.to_string()).unwrap_or_default(),
                    ),
                })
        } else if scheme.eq_ignore_ascii_case("bearer") {
            Self::bearer(rest)
        } else if rest.is_empty() && !scheme.is_empty() {
            Self::Token(SecretString::from(scheme.to_owned()))
        } else {
            Self::Unreadable(Challenge::Bearer)
        }
    }

    /// `X-Empire-Token: [Bearer ]<token>`.
    fn from_empire_token(value: &HeaderValue) -> Self {
        let Ok(text) = value.to_str() else {
            return Self::Unreadable(Challenge::Bearer);
        };
        let text = text.trim();
        match text.split_once(' ') {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => {
                Self::bearer(rest.trim())
            }
            Some(_) => Self::Unreadable(Challenge::Bearer),
            None if text.is_empty() => Self::Unreadable(Challenge::Bearer),
            None => Self::Token(SecretString::from(text.to_owned())),
        }
    }

    /// A bearer token: the (trimmed) rest of a readable header, one word. What
    /// actix-web-httpauth's `Bearer::parse` accepts, without re-building the header for it.
    fn bearer(token: &str) -> Self {
        if token.is_empty() || token.contains(' ') {
            Self::Unreadable(Challenge::Bearer)
        } else {
            Self::Token(SecretString::from(token.to_owned()))
        }
    }
}

/// An authenticated request of family `F`: the domain principal, or a 401 in `F`'s envelope
/// before the handler runs.
///
/// Handlers take it as an argument (each family names it, e.g. `V2Auth`) and then state
/// their scope in one line: `principal.require(Scope::USERS_INDEX)?`.
#[derive(Debug)]
pub(crate) struct Authenticated<F> {
    /// Who is asking.
    pub principal: Principal,
    family: PhantomData<F>,
}

impl<F: Family> FromRequest for Authenticated<F> {
    type Error = FamilyError<F>;
    type Future = Pin<Box<dyn Future<Output = Result<Self, FamilyError<F>>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let principal = authenticate(&req, F::BARE_CHALLENGES).await?;
            req.extensions_mut().insert(PrincipalTag {
                id: principal.user.id.get(),
                kind: principal.actor().kind.as_str(),
            });
            Ok(Self {
                principal,
                family: PhantomData,
            })
        })
    }
}

/// Checks the request's credential with the directory; a request without any is answered
/// with `bare_challenges`.
async fn authenticate(
    req: &HttpRequest,
    bare_challenges: &'static [Challenge],
) -> Result<Principal, Problem> {
    let unauthenticated =
        |challenges: &'static [Challenge], message: &'static str| Problem::Unauthenticated {
            challenges,
            message,
        };
    let state = req.app_data::<web::Data<AppState>>().ok_or_else(|| {
        Problem::Service(ServiceError::Internal("application state missing".into()))
    })?;
    let directory = &state.directory;
    let origin = request_origin(req, &state.settings.trusted_proxies);
    let (outcome, challenges): (_, &'static [Challenge]) =
        match PresentedCredential::of_request(req) {
            PresentedCredential::Nothing => {
                return Err(unauthenticated(
                    bare_challenges,
                    Problem::CREDENTIALS_REQUIRED,
                ));
            }
            PresentedCredential::Unreadable(Challenge::Basic) => {
                return Err(unauthenticated(
                    &[Challenge::Basic],
                    Problem::INVALID_CREDENTIALS,
                ));
            }
            PresentedCredential::Unreadable(Challenge::Bearer) => {
                return Err(unauthenticated(
                    &[Challenge::Bearer],
                    Problem::INVALID_CREDENTIALS,
                ));
            }
            PresentedCredential::Basic { login, password } => (
                directory
                    .authenticate_basic(&login, password.expose_secret(), origin)
                    .await,
                &[Challenge::Basic],
            ),
            PresentedCredential::Token(token) => (
                directory
                    .authenticate_bearer(token.expose_secret(), origin)
                    .await,
                &[Challenge::Bearer],
            ),
        };
    outcome.map_err(|e| match e {
        ServiceError::Unauthenticated => unauthenticated(challenges, Problem::INVALID_CREDENTIALS),
        other => Problem::Service(other),
    })
}

/// The session cookie carrying `token`: HttpOnly, SameSite=Lax, Path=/, `Secure` when
/// configured, living as long as the session.
pub(crate) fn session_cookie(
    token: &SecretString,
    lifetime: chrono::Duration,
    secure: bool,
) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, token.expose_secret().to_owned())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(actix_web::cookie::time::Duration::seconds(
            lifetime.num_seconds(),
        ))
        .finish()
}

/// A cookie that makes the browser forget the session cookie.
pub(crate) fn session_cookie_removal(secure: bool) -> Cookie<'static> {
    let mut cookie = Cookie::build(SESSION_COOKIE, "")
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .finish();
    cookie.make_removal();
    cookie
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;

    fn read(req: TestRequest) -> PresentedCredential {
        PresentedCredential::of_request(&req.to_http_request())
    }

    fn basic(raw: &str) -> String {
        format!("Basic {}", STANDARD.encode(raw))
    }

    fn token_of(c: PresentedCredential) -> Option<String> {
        match c {
            PresentedCredential::Token(t) => Some(t.expose_secret().to_owned()),
            _ => None,
        }
    }

    #[test]
    fn basic_credentials_split_at_the_first_colon() {
        let c =
            read(TestRequest::default().insert_header((AUTHORIZATION, basic("ann@x.org:pa:ss"))));
        let PresentedCredential::Basic { login, password } = c else {
            panic!("not basic: {c:?}")
        };
        assert_eq!(login, "ann@x.org");
        assert_eq!(password.expose_secret(), "pa:ss");
    }

    #[test]
    fn basic_scheme_is_case_insensitive_and_empty_password_is_empty() {
        let c = read(
            TestRequest::default()
                .insert_header((AUTHORIZATION, format!("basic {}", STANDARD.encode("ann:")))),
        );
        let PresentedCredential::Basic { password, .. } = c else {
            panic!("not basic")
        };
        assert_eq!(password.expose_secret(), "");
    }

    #[test]
    fn unreadable_basic_asks_for_basic() {
        for bad in [
            "Basic !!!notbase64",
            "Basic",
            &format!("Basic {}", STANDARD.encode("nocolon")),
        ] {
            let c = read(TestRequest::default().insert_header((AUTHORIZATION, bad)));
            assert!(
                matches!(c, PresentedCredential::Unreadable(Challenge::Basic)),
                "{bad}: {c:?}"
            );
        }
    }

    #[test]
    fn tokens_are_read_from_every_carrier() {
        let t = |req| token_of(read(req));
        assert_eq!(
            t(TestRequest::default().insert_header((AUTHORIZATION, "Bearer rcs_abc"))).as_deref(),
            Some("rcs_abc")
        );
        assert_eq!(
            t(TestRequest::default().insert_header((AUTHORIZATION, "bearer  rck_x_y"))).as_deref(),
            Some("rck_x_y")
        );
        assert_eq!(
            t(TestRequest::default().insert_header((AUTHORIZATION, "rcs_bare"))).as_deref(),
            Some("rcs_bare")
        );
        assert_eq!(
            t(TestRequest::default().insert_header(("X-Empire-Token", "rcs_e"))).as_deref(),
            Some("rcs_e")
        );
        assert_eq!(
            t(TestRequest::default().insert_header(("X-Empire-Token", "Bearer rcs_f"))).as_deref(),
            Some("rcs_f")
        );
        assert_eq!(
            t(TestRequest::default().cookie(Cookie::new(SESSION_COOKIE, "rcs_c"))).as_deref(),
            Some("rcs_c")
        );
    }

    #[test]
    fn authorization_wins_over_other_carriers() {
        let c = read(
            TestRequest::default()
                .insert_header((AUTHORIZATION, "Bearer rcs_header"))
                .insert_header(("X-Empire-Token", "rcs_empire"))
                .cookie(Cookie::new(SESSION_COOKIE, "rcs_cookie")),
        );
        assert_eq!(token_of(c).as_deref(), Some("rcs_header"));
        let c = read(
            TestRequest::default()
                .insert_header(("X-Empire-Token", "rcs_empire"))
                .cookie(Cookie::new(SESSION_COOKIE, "rcs_cookie")),
        );
        assert_eq!(token_of(c).as_deref(), Some("rcs_empire"));
    }

    #[test]
    fn nothing_and_unknown_schemes() {
        assert!(matches!(
            read(TestRequest::default()),
            PresentedCredential::Nothing
        ));
        assert!(matches!(
            read(TestRequest::default().insert_header((AUTHORIZATION, "Digest a=b"))),
            PresentedCredential::Unreadable(Challenge::Bearer)
        ));
        assert!(matches!(
            read(TestRequest::default().insert_header((AUTHORIZATION, "Bearer"))),
            PresentedCredential::Unreadable(Challenge::Bearer)
        ));
        assert!(matches!(
            read(TestRequest::default().insert_header((AUTHORIZATION, "Bearer a b"))),
            PresentedCredential::Unreadable(Challenge::Bearer)
        ));
    }

    #[test]
    fn debug_output_hides_secrets() {
        let c = read(TestRequest::default().insert_header((AUTHORIZATION, basic("ann:hunter22"))));
        assert!(!format!("{c:?}").contains("hunter22"));
        let c = read(TestRequest::default().insert_header((AUTHORIZATION, "Bearer rcs_secret")));
        assert!(!format!("{c:?}").contains("rcs_secret"));
    }

    #[test]
    fn session_cookie_attributes() {
        let token = SecretString::from("rcs_t".to_owned());
        let c = session_cookie(&token, chrono::Duration::hours(24), true);
        let text = c.to_string();
        assert!(text.contains("HttpOnly"), "{text}");
        assert!(text.contains("SameSite=Lax"), "{text}");
        assert!(text.contains("Path=/"), "{text}");
        assert!(text.contains("Secure"), "{text}");
        assert!(text.contains("Max-Age=86400"), "{text}");
        let c = session_cookie(&token, chrono::Duration::hours(1), false);
        assert!(!c.to_string().contains("Secure"));
        let removal = session_cookie_removal(false).to_string();
        assert!(removal.contains("Max-Age=0"), "{removal}");
    }
}
