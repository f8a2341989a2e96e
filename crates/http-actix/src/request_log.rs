//! What the log records about a request: the root span every request runs in
//! ([`RequestSpan`], the `RootSpanBuilder` of `TracingLogger`) and the one event per failed
//! request, with every request-derived string passed through [`escape_for_log`].
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
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{RETRY_AFTER, USER_AGENT};
use actix_web::http::{StatusCode, Version};
use actix_web::{Error, HttpMessage, HttpRequest, ResponseError, web};
use std::borrow::Cow;
use std::fmt::Write;
use tracing::Span;
use tracing_actix_web::{RequestId, RootSpanBuilder};

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

/// The root span of every request, and the event of a failed one. Like tracing-actix-web's
/// `DefaultRootSpanBuilder`, with the request's text escaped and without its OpenTelemetry
/// fields (nothing here exports traces).
///
/// The span starts with the request id only, and the request's fields (method, route,
/// target, client address, user agent, status…) are recorded into it when the request has
/// failed, just before its event is written. A request that succeeds writes no line, so it
/// formats nothing either: formatting every field of every request cost a fifth of the
/// authenticated rows' throughput at the default `info` filter (docs/benchmarks.md). An event
/// written *during* a request (a lock-out warning) carries the request id, which its failure
/// line, if any, repeats with the other fields.
pub(crate) struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let span = tracing::info_span!(
            "HTTP request",
            http.method = tracing::field::Empty,
            http.route = tracing::field::Empty,
            http.flavor = tracing::field::Empty,
            http.scheme = tracing::field::Empty,
            http.host = tracing::field::Empty,
            http.client_ip = tracing::field::Empty,
            http.user_agent = tracing::field::Empty,
            http.target = tracing::field::Empty,
            http.status_code = tracing::field::Empty,
            request_id = tracing::field::Empty,
        );
        if !span.is_disabled()
            && let Some(id) = request.extensions().get::<RequestId>()
        {
            span.record("request_id", tracing::field::display(id));
        }
        span
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let (status, error, retry_after) = match outcome {
            Ok(response) => (
                response.status(),
                response.response().error(),
                response.headers().contains_key(RETRY_AFTER),
            ),
            Err(error) => (error.as_response_error().status_code(), Some(error), false),
        };
        let Some(error) = error else {
            return;
        };
        if !span.is_disabled()
            && let Ok(response) = outcome
        {
            record_request(&span, response.request());
        }
        span.record("http.status_code", status.as_u16());
        log_failure(status, retry_after, error.as_response_error());
    }
}

/// Records the request's fields into its span, each request-derived string escaped.
fn record_request(span: &Span, request: &HttpRequest) {
    let connection = request.connection_info();
    // A header value holds no control character but tab, yet may hold any byte above 0x7F:
    // `to_str` would drop the whole value for one of them, so decode it lossily (which may
    // yield C1 controls, escaped like the rest).
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
    span.record(
        "http.method",
        tracing::field::display(escape_for_log(request.method().as_str())),
    );
    span.record(
        "http.route",
        tracing::field::display(escape_for_log(&route)),
    );
    span.record("http.flavor", http_flavor(request.version()));
    span.record(
        "http.scheme",
        tracing::field::display(escape_for_log(connection.scheme())),
    );
    span.record(
        "http.host",
        tracing::field::display(escape_for_log(connection.host())),
    );
    span.record(
        "http.client_ip",
        tracing::field::display(client_ip.as_deref().unwrap_or("")),
    );
    span.record(
        "http.user_agent",
        tracing::field::display(escape_for_log(&user_agent)),
    );
    span.record(
        "http.target",
        tracing::field::display(escape_for_log(target)),
    );
}

/// The one event of a request that failed with an error: INFO for a client error and for a
/// request shed on purpose (a 503 or 429 with `Retry-After`: the hashing queue was full, the
/// login throttle held), so that a flood cannot drown real errors (the metrics count them);
/// ERROR otherwise. The error's `Display` (which carries a 500's or 503's cause) and `Debug`,
/// escaped. Runs inside the request's span, so the event carries its fields.
fn log_failure(status: StatusCode, shed: bool, error: &dyn ResponseError) {
    let message = error.to_string();
    let message = escape_for_log(&message);
    let details = format!("{error:?}");
    let details = escape_for_log(&details);
    if status.is_client_error() || shed {
        tracing::info!(error = %message, details = %details, "request failed");
    } else {
        tracing::error!(error = %message, details = %details, "request failed");
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
