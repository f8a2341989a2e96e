//! The level of a failed request's log event: INFO for a client error, ERROR (with the cause)
//! for a server error, never WARN; request text in it escaped.
//!
//! A test binary of its own, with a global subscriber: a thread-local one (`set_default`) races
//! with the other tests of a binary registering the same callsites on their threads, and then
//! misses events.

// A test binary: a panic is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "api/helpers.rs"]
#[allow(dead_code)]
mod helpers;
#[path = "api/requests.rs"]
#[allow(dead_code)]
mod requests;

use actix_web::test::TestRequest;
use helpers::*;
use requests::*;
use std::io::Write;
use std::sync::atomic::Ordering;
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

/// The human-format lines of the failure events.
fn failure_lines(captured: &Captured) -> Vec<String> {
    String::from_utf8_lossy(&captured.0.lock().unwrap())
        .lines()
        .filter(|l| l.contains("request failed"))
        .map(str::to_owned)
        .collect()
}

#[actix_web::test]
async fn client_errors_are_info_and_server_errors_are_error() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("the only test of this binary");
    let (t, app) = TestApp::start().await;

    let r = send(&app, get_as("/api/v2/users/no%0Aone", admin())).await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = send(&app, TestRequest::get().uri("/api/v2/users")).await;
    assert_eq!(r.status, 401, "{}", r.text);
    t.down.store(true, Ordering::SeqCst);
    let r = send(&app, get_as("/api/v2/users", admin())).await;
    assert_eq!(r.status, 503, "{}", r.text);

    let lines = failure_lines(&captured);
    assert_eq!(lines.len(), 3, "one event per failed request: {lines:#?}");
    assert!(lines[0].contains(" INFO ") && lines[0].contains("http.status_code=404"));
    assert!(
        lines[0].contains("not found: user no\\none"),
        "{}",
        lines[0]
    );
    assert!(lines[1].contains(" INFO ") && lines[1].contains("http.status_code=401"));
    assert!(lines[2].contains(" ERROR ") && lines[2].contains("http.status_code=503"));
    assert!(
        lines[2].contains("connection refused"),
        "the cause the client is not told: {}",
        lines[2]
    );
}
