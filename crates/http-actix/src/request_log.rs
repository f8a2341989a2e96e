//! What the log records about a request: its id ([`RequestId`], in every line about it) and
//! the one event per failed request ([`log_outcome`]), with every request-derived string
//! passed through [`escape_for_log`].
//!
//! The human log format writes field values as they are, so a raw newline in a path, a query
//! value or a message naming them would start a forged log line, and a NUL would land in the
//! file. Escaping here, where request text enters the log, protects every format and every
//! subscriber.
//!
//! Levels: a client error (4xx) is the client's business and is logged at INFO, so that a flood
//! of 401s cannot drown real warnings; a server error (5xx) is logged at ERROR with its cause.

use crate::client::client_ip_of;
use crate::state::AppState;
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{HeaderValue, RETRY_AFTER, USER_AGENT};
use actix_web::http::{StatusCode, Version};
use actix_web::{Error, HttpMessage, HttpRequest, ResponseError, web};
use rollcall_domain::audit::{Family, Origin};
use std::borrow::Cow;
use std::fmt::{self, Write};
use std::future::Future;
use tracing::Instrument;
use uuid::Uuid;

/// `text` with every control character escaped, safe to write into a line-oriented log:
/// `\n`, `\r`, `\t` and NUL become `\n`, `\r`, `\t` and `\0` (a backslash and a letter); the
/// other C0 controls, DEL, the C1 controls and the Unicode line and paragraph separators
/// (U+2028, U+2029, line breaks to many viewers) become `\u{…}` with the code point in hex.
/// Everything else, including a backslash, is kept as it is. Borrows when nothing needs
/// escaping.
pub(crate) fn escape_for_log(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => escaped.push_str("\\n"),
            '\r' => escaped.push_str("\\r"),
            '\t' => escaped.push_str("\\t"),
            '\0' => escaped.push_str("\\0"),
            c if needs_escape(c) => {
                // Writing into a String cannot fail.
                let _ = write!(escaped, "\\u{{{:x}}}", u32::from(c));
            }
            c => escaped.push(c),
        }
    }
    Cow::Owned(escaped)
}

/// True for the characters [`escape_for_log`] escapes: Unicode's `Cc` category (C0, DEL, C1)
/// and the line and paragraph separators.
fn needs_escape(c: char) -> bool {
    c.is_control() || c == '\u{2028}' || c == '\u{2029}'
}

/// A request's id: a random UUID, echoed in `X-Request-Id` and written into every log line
/// about the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestId(Uuid);

impl RequestId {
    /// A new random id.
    pub(crate) fn new() -> Self {
        Self(Uuid::new_v4())
    }

    /// The id as a header value (lower-case hyphenated).
    pub(crate) fn header_value(self) -> HeaderValue {
        let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
        let text = self.0.hyphenated().encode_lower(&mut text);
        HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static(""))
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

tokio::task_local! {
    static REQUEST_ID: RequestId;
    static REQUEST_FAMILY: &'static str;
}

/// The id of the request being handled, for events written during it (a lock-out warning);
/// `None` outside a request.
pub fn current_request_id() -> Option<RequestId> {
    REQUEST_ID.try_with(|id| *id).ok()
}

/// The name of the family the request being handled belongs to; `None` outside a request.
pub(crate) fn current_family() -> Option<&'static str> {
    REQUEST_FAMILY.try_with(|family| *family).ok()
}

/// The context the domain records with a request's changes: its family (by path; the
/// operations family's `/token` counts as v2, whose sign-in it is; outside a request, v2), the client's address and
/// the request id.
pub(crate) fn request_origin(req: &HttpRequest, trusted: &[ipnet::IpNet]) -> Origin {
    let family = current_family()
        .and_then(Family::parse)
        .unwrap_or(Family::V2);
    Origin {
        family,
        ip: client_ip_of(req, trusted),
        request_id: current_request_id().map(|id| id.0),
    }
}

/// Runs a request's handling with its id, readable inside it through [`current_request_id`],
/// and in its span, `HTTP request{request_id=…}`, at DEBUG.
///
/// There is no span at the default `info` filter: creating, entering and closing one per
/// request (the tracing-actix-web root span this replaces) cost 10–15% of the authenticated
/// rows' throughput (docs/benchmarks.md). The one line a failed request writes carries every
/// field of the request itself ([`log_outcome`]), and the few events written during a request
/// name its id themselves.
pub(crate) async fn with_request_id<F: Future>(
    id: RequestId,
    family: &'static str,
    work: F,
) -> F::Output {
    let span = tracing::debug_span!("HTTP request", request_id = %id);
    REQUEST_ID
        .scope(id, REQUEST_FAMILY.scope(family, work))
        .instrument(span)
        .await
}

/// Writes the line of a request that failed with an error ([`log_failure`]); a request that
/// succeeded writes nothing.
pub(crate) fn log_outcome<B>(id: RequestId, outcome: &Result<ServiceResponse<B>, Error>) {
    let (status, error, shed, request) = match outcome {
        Ok(response) => (
            response.status(),
            response.response().error(),
            response.headers().contains_key(RETRY_AFTER),
            Some(response.request()),
        ),
        Err(error) => (
            error.as_response_error().status_code(),
            Some(error),
            false,
            None,
        ),
    };
    if let Some(error) = error {
        let fields = request.map(RequestFields::of).unwrap_or_default();
        log_failure(id, status, shed, &fields, error.as_response_error());
    }
}

/// Who a request authenticated as, left in its extensions by the authentication extractor
/// for the access line: the user's id and the credential's kind, never the credential.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PrincipalTag {
    /// The user's id.
    pub id: i64,
    /// `password`, `session` or `api_key`.
    pub kind: &'static str,
}

/// The access line of an answered request, at INFO under the target `rollcall::access`
/// (`access_log = false` turns it off): method, route pattern (never the path, which may hold
/// names), status, duration, request id, and the principal's id and credential kind when the
/// request authenticated. Nothing else of the request reaches it.
pub(crate) fn log_access<B>(
    id: RequestId,
    response: &ServiceResponse<B>,
    took: std::time::Duration,
) {
    let request = response.request();
    let principal = request.extensions().get::<PrincipalTag>().copied();
    tracing::info!(
        target: "rollcall::access",
        request_id = %id,
        http.method = %escape_for_log(request.method().as_str()),
        http.route = %request.match_name().unwrap_or("unmatched"),
        http.status_code = response.status().as_u16(),
        duration_ms = took.as_secs_f64() * 1000.0,
        principal.id = principal.map(|p| p.id),
        principal.kind = principal.map(|p| p.kind),
        "request"
    );
}

/// What the line of a failed request says about the request, each request-derived string
/// escaped.
#[derive(Default)]
struct RequestFields {
    method: String,
    route: String,
    flavor: &'static str,
    scheme: String,
    host: String,
    client_ip: String,
    user_agent: String,
    target: String,
}

impl RequestFields {
    fn of(request: &HttpRequest) -> Self {
        let connection = request.connection_info();
        // A header value holds no control character but tab, yet may hold any byte above
        // 0x7F: `to_str` would drop the whole value for one of them, so decode it lossily
        // (which may yield C1 controls, escaped like the rest).
        let user_agent = request
            .headers()
            .get(USER_AGENT)
            .map(|v| String::from_utf8_lossy(v.as_bytes()))
            .unwrap_or_default();
        let route = request
            .match_pattern()
            .unwrap_or_else(|| "default".to_owned());
        let target = request.uri().path_and_query().map_or("", |p| p.as_str());
        // The address the login throttle counts: the peer, or what a trusted proxy says.
        let trusted = request
            .app_data::<web::Data<AppState>>()
            .map(|state| state.settings.trusted_proxies.as_slice())
            .unwrap_or_default();
        let client_ip = client_ip_of(request, trusted).map(|ip| ip.to_string());
        Self {
            method: escape_for_log(request.method().as_str()).into_owned(),
            route: escape_for_log(&route).into_owned(),
            flavor: http_flavor(request.version()),
            scheme: escape_for_log(connection.scheme()).into_owned(),
            host: escape_for_log(connection.host()).into_owned(),
            client_ip: client_ip.unwrap_or_default(),
            user_agent: escape_for_log(&user_agent).into_owned(),
            target: escape_for_log(target).into_owned(),
        }
    }
}

/// The one event of a request that failed with an error: INFO for a client error and for a
/// request shed on purpose (a 503 or 429 with `Retry-After`: the hashing queue was full, the
/// login throttle held), so that a flood cannot drown real errors (the metrics count them);
/// ERROR otherwise. The request's id and fields, then the error's `Display` (which carries a
/// 500's or 503's cause) and `Debug`, escaped.
fn log_failure(
    id: RequestId,
    status: StatusCode,
    shed: bool,
    request: &RequestFields,
    error: &dyn ResponseError,
) {
    let message = error.to_string();
    let message = escape_for_log(&message);
    let details = format!("{error:?}");
    let details = escape_for_log(&details);
    macro_rules! failed {
        ($level:ident) => {
            tracing::$level!(
                request_id = %id,
                http.method = %request.method,
                http.route = %request.route,
                http.flavor = request.flavor,
                http.scheme = %request.scheme,
                http.host = %request.host,
                http.client_ip = %request.client_ip,
                http.user_agent = %request.user_agent,
                http.target = %request.target,
                http.status_code = status.as_u16(),
                error = %message,
                details = %details,
                "request failed"
            )
        };
    }
    if status.is_client_error() || shed {
        failed!(info);
    } else {
        failed!(error);
    }
}

/// The HTTP version as OpenTelemetry's `http.flavor` writes it.
fn http_flavor(version: Version) -> &'static str {
    match version {
        Version::HTTP_09 => "0.9",
        Version::HTTP_10 => "1.0",
        Version::HTTP_11 => "1.1",
        Version::HTTP_2 => "2.0",
        Version::HTTP_3 => "3.0",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        for text in [
            "",
            "/api/v2/users/alice?limit=5",
            "Zoë 名前 ünïcödé",
            "a\\nb \"q\"",
        ] {
            let escaped = escape_for_log(text);
            assert!(matches!(escaped, Cow::Borrowed(_)), "{text:?}");
            assert_eq!(escaped, text);
        }
    }

    #[test]
    fn line_breaks_tabs_and_nul_get_short_escapes() {
        assert_eq!(escape_for_log("x\nFORGED\0line"), "x\\nFORGED\\0line");
        assert_eq!(escape_for_log("a\r\nb\tc"), "a\\r\\nb\\tc");
        assert_eq!(escape_for_log("\n"), "\\n");
    }

    #[test]
    fn other_controls_become_code_points() {
        // C0 (BEL, ESC, US), DEL, C1 (first, NEL, last) and the Unicode line separators.
        assert_eq!(
            escape_for_log("\u{7}\u{1b}[31m\u{1f}"),
            "\\u{7}\\u{1b}[31m\\u{1f}"
        );
        assert_eq!(escape_for_log("a\u{7f}b"), "a\\u{7f}b");
        assert_eq!(
            escape_for_log("\u{80}\u{85}\u{9f}"),
            "\\u{80}\\u{85}\\u{9f}"
        );
        assert_eq!(escape_for_log("a\u{2028}b\u{2029}"), "a\\u{2028}b\\u{2029}");
        // Next to them, ordinary non-ASCII text is kept.
        assert_eq!(escape_for_log("é\u{85}ß"), "é\\u{85}ß");
        assert_eq!(escape_for_log("\u{a0}\u{a0}"), "\u{a0}\u{a0}");
    }

    #[test]
    fn nothing_escaped_contains_a_control_character() {
        let every_char: String = (0..0x3000_u32).filter_map(char::from_u32).collect();
        let escaped = escape_for_log(&every_char);
        assert!(!escaped.chars().any(needs_escape), "{escaped:?}");
        assert!(!escaped.contains('\n') && !escaped.contains('\0'));
    }

    #[test]
    fn http_versions_are_named_like_open_telemetry() {
        assert_eq!(http_flavor(Version::HTTP_11), "1.1");
        assert_eq!(http_flavor(Version::HTTP_2), "2.0");
    }
}
