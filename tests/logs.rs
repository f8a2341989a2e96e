//! What the real server writes to its human-format log about requests: request-derived text
//! (the path, the query, headers, messages echoing them) is escaped, so a client cannot forge
//! log lines or write control characters into the log; client errors are logged at INFO and
//! server errors at ERROR.
//!
//! A test binary of its own: it installs the production subscriber (`telemetry::init_tracing`,
//! human format) globally, writing into a buffer, because actix workers log from their own
//! threads, which a thread-local subscriber would miss.

// A test binary: a panic is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "api/helpers.rs"]
#[allow(dead_code, unused_imports, unused_macros)]
mod helpers;

use helpers::{ADMIN_PASSWORD, Auth, Backend, spawn_app_with};
use reqwest::Method;
use rollcall_server::settings::LogFormat;
use rollcall_server::telemetry;
use std::io::Write;
use std::sync::{Arc, Mutex};

/// Everything the subscriber wrote.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// The log lines about the request with this id.
fn lines_of<'a>(log: &'a str, request_id: &str) -> Vec<&'a str> {
    log.lines().filter(|l| l.contains(request_id)).collect()
}

#[tokio::test]
async fn request_derived_text_is_escaped_and_client_errors_are_info() {
    let captured = Captured::default();
    let writer = captured.clone();
    telemetry::init_tracing(LogFormat::Human, "info", move || writer.clone(), false)
        .expect("the only subscriber of this test binary");
    let app = spawn_app_with(Backend::Sqlite, |s| s.login_throttle.per_login = 3).await;

    // A username with a newline and a NUL, percent-encoded in the path: 404 naming it.
    let forged = app
        .call(Method::GET, "/api/v2/users/x%0AFORGED%00line", &app.admin())
        .await;
    forged.assert_status(404);
    // A filter value with a carriage return and a line feed: 422 naming it.
    let filter = app.list_users(&app.admin(), "id=1%0D%0AFORGED%09tab").await;
    filter.assert_status(422);
    // No credentials, and a user agent with a tab (the only control character a header
    // value may carry): 401.
    let unauthenticated = app
        .send(
            app.request(Method::GET, "/api/v2/users", &Auth::None)
                .header("User-Agent", "agent\twith tab")
                // Not a trusted proxy: the log names the peer, not what the client claims.
                .header("X-Forwarded-For", "203.0.113.9"),
        )
        .await;
    unauthenticated.assert_status(401);
    // Wrong passwords for one login until it is locked out: the lock-out warning, written
    // during the request whose failure locked it, names that request.
    let mut wrong_ids = Vec::new();
    for _ in 0..3 {
        let wrong = app
            .send(
                app.request(Method::GET, "/api/v2/users/me", &Auth::None)
                    .basic_auth("locked-login", Some("not-the-password")),
            )
            .await;
        wrong.assert_status(401);
        wrong_ids.push(wrong.header("x-request-id").expect("a request id"));
    }
    // A request that succeeds writes its access line only.
    let fine = app.get_me(&app.admin()).await;
    fine.assert_status(200);
    // With the access log off, not even that.
    let quiet_app = spawn_app_with(Backend::Sqlite, |s| s.access_log = false).await;
    let quiet = quiet_app.get_me(&quiet_app.admin()).await;
    quiet.assert_status(200);
    drop(quiet_app);

    drop(app);
    let log = captured.text();
    assert!(!log.contains('\0'), "a raw NUL reached the log:\n{log}");
    assert!(!log.contains('\r'), "a raw CR reached the log:\n{log}");
    assert!(!log.contains('\t'), "a raw tab reached the log:\n{log}");
    for line in log.lines() {
        assert!(
            !line.starts_with("FORGED"),
            "a forged line reached the log: {line:?}\n{log}"
        );
    }

    let id = forged.header("x-request-id").expect("a request id");
    let lines = lines_of(&log, &id);
    let failed: Vec<_> = lines
        .iter()
        .filter(|l| l.contains("x\\nFORGED\\0line"))
        .collect();
    assert_eq!(failed.len(), 1, "one event for the 404, escaped:\n{log}");
    assert!(failed[0].contains(" INFO "), "{}", failed[0]);
    assert!(lines.iter().all(|l| !l.contains(" WARN ")), "{lines:#?}");

    let id = filter.header("x-request-id").expect("a request id");
    let lines = lines_of(&log, &id);
    assert!(
        lines
            .iter()
            .any(|l| l.contains(" INFO ") && l.contains("1\\r\\nFORGED\\ttab")),
        "the 422 is logged at INFO with the value escaped:\n{log}"
    );
    assert!(lines.iter().all(|l| !l.contains(" WARN ")), "{lines:#?}");

    let id = unauthenticated
        .header("x-request-id")
        .expect("a request id");
    let lines = lines_of(&log, &id);
    assert!(
        lines
            .iter()
            .any(|l| l.contains(" INFO ") && l.contains("agent\\twith tab")),
        "the 401 is logged at INFO, with the user agent escaped:\n{log}"
    );
    assert!(lines.iter().all(|l| !l.contains(" WARN ")), "{lines:#?}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("http.client_ip=127.0.0.1") && !l.contains("203.0.113.9")),
        "the client address is the peer's:\n{log}"
    );

    let lockout: Vec<_> = log
        .lines()
        .filter(|l| l.contains(" WARN ") && l.contains("login throttled"))
        .collect();
    assert_eq!(lockout.len(), 1, "one lock-out warning:\n{log}");
    assert!(
        lockout[0].contains(&format!("request_id={}", wrong_ids[2])),
        "the warning names the request that locked the login out: {}\n{wrong_ids:?}",
        lockout[0]
    );
    assert_eq!(
        lines_of(&log, &wrong_ids[2]).len(),
        3,
        "that request's lines: the warning, its own failure and its access line:\n{log}"
    );

    let id = fine.header("x-request-id").expect("a request id");
    let lines = lines_of(&log, &id);
    assert_eq!(lines.len(), 1, "a success writes its access line:\n{log}");
    let access = lines[0];
    for field in [
        " INFO ",
        "rollcall::access",
        "http.method=GET",
        "http.route=/api/v2/users/me",
        "http.status_code=200",
        "duration_ms=",
        "principal.kind=\"password\"",
    ] {
        assert!(access.contains(field), "{field} in {access}");
    }
    assert!(access.contains("principal.id=1"), "{access}");
    assert!(
        !log.contains(ADMIN_PASSWORD) && !log.contains("not-the-password"),
        "no password reaches the log:\n{log}"
    );
    let id = quiet.header("x-request-id").expect("a request id");
    assert_eq!(
        lines_of(&log, &id),
        Vec::<&str>::new(),
        "access_log = false"
    );
}
