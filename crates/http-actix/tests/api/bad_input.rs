//! api.md section 7 and the order of checks of section 8.

use crate::helpers::*;
use crate::requests::*;
use actix_web::test::TestRequest;
use serde_json::json;
use std::sync::atomic::Ordering;

#[actix_web::test]
async fn trailing_slashes_are_accepted() {
    let (_, app) = TestApp::start().await;
    for uri in ["/api/v2/users/", "/api/v2/users/me/", "/healthz/"] {
        let r = send(&app, TestRequest::get().uri(uri).insert_header(admin())).await;
        assert_eq!(r.status, 200, "{uri}: {}", r.text);
    }
}

#[actix_web::test]
async fn unknown_routes_and_methods_without_credentials() {
    let (_, app) = TestApp::start().await;
    let r = send(&app, TestRequest::get().uri("/api/v2/nothing/here")).await;
    assert_eq!(
        (r.status, r.detail()),
        (404, "The requested resource was not found.".into())
    );
    let r = send(&app, TestRequest::get().uri("/nowhere")).await;
    assert_eq!(r.status, 404);
    r.detail();
    let r = send(&app, TestRequest::patch().uri("/api/v2/users")).await;
    assert_eq!((r.status, r.header("allow")), (405, Some("GET, POST")));
    r.detail();
    for req in [
        TestRequest::get().uri("/token"),
        TestRequest::put().uri("/api/v2/users/me"),
    ] {
        assert_eq!(send(&app, req).await.status, 405);
    }
}

#[actix_web::test]
async fn bodies_are_checked_after_credentials() {
    let (_, app) = TestApp::start().await;
    let broken = |req: TestRequest| with_broken_json(req, "{");
    let r = send(&app, broken(TestRequest::post().uri("/api/v2/users"))).await;
    assert_eq!(r.status, 401, "401 before 400");
    let r = send(
        &app,
        broken(request_as(Method::POST, "/api/v2/users", admin())),
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(r.detail().contains("not valid JSON"), "{}", r.text);
    create_user(&app, "quinn", false).await;
    create_user(&app, "rita", false).await;
    for (method, uri, status, why) in [
        (Method::POST, "/api/v2/users", 403, "403 before 400"),
        (Method::PUT, "/api/v2/users/rita", 403, "403 before 400"),
        (
            Method::PUT,
            "/api/v2/users/rita/password",
            403,
            "403 before 400",
        ),
        (
            Method::PUT,
            "/api/v2/users/quinn",
            400,
            "their own record: the body is at fault",
        ),
    ] {
        let req = request_as(method, uri, basic("quinn", PASSWORD));
        let r = send(&app, broken(req)).await;
        assert_eq!(r.status, status, "{uri}: {why}: {}", r.text);
    }
    let key = api_key(&app, admin(), &["users/index"]).await;
    let req = request_as(
        Method::POST,
        "/api/v2/users/me/configurations",
        bearer(&key),
    );
    let r = send(&app, broken(req)).await;
    assert_eq!(r.status, 403, "scope before body");
}

#[actix_web::test]
async fn media_types_size_and_shape() {
    let (_, app) = TestApp::start().await;
    let post = || {
        TestRequest::post()
            .uri("/api/v2/users")
            .insert_header(admin())
    };
    let r = send(&app, with_body(post(), "text/plain", "{}")).await;
    assert_eq!(r.status, 415);
    r.detail();
    let big = json!({"username": "x".repeat(70 * 1024), "password": PASSWORD});
    let r = send(&app, json_req(post(), big)).await;
    assert_eq!(r.status, 413);
    assert!(r.detail().contains("65536"), "{}", r.text);
    let r = send(&app, json_req(post(), json!(["not", "an", "object"]))).await;
    assert_eq!(r.status, 422);
    r.detail();
    let r = send(&app, post()).await;
    assert_eq!(r.status, 422, "no body at all reads as {{}}: {}", r.text);
}

#[actix_web::test]
async fn database_outage_is_503_and_recovers() {
    let (t, app) = TestApp::start().await;
    t.down.store(true, Ordering::SeqCst);
    let r = send(&app, get_as("/api/v2/users", admin())).await;
    assert_eq!(r.status, 503, "{}", r.text);
    assert!(
        !r.detail().contains("refused"),
        "the cause is logged, not shown"
    );
    let r = send(&app, TestRequest::get().uri("/readyz")).await;
    assert_eq!(
        (r.status, r.json["reason"].as_str()),
        (503, Some("database unreachable"))
    );
    t.down.store(false, Ordering::SeqCst);
    let r = send(&app, get_as("/api/v2/users", admin())).await;
    assert_eq!(r.status, 200, "recovers without a restart");
    assert_eq!(
        send(&app, TestRequest::get().uri("/readyz")).await.status,
        200
    );
}

#[actix_web::test]
async fn every_response_carries_a_request_id() {
    let (_, app) = TestApp::start().await;
    let a = send(&app, TestRequest::get().uri("/healthz")).await;
    let b = send(&app, TestRequest::get().uri("/api/v2/nowhere")).await;
    let (a, b) = (
        a.header("x-request-id").unwrap().to_owned(),
        b.header("x-request-id").unwrap().to_owned(),
    );
    assert_ne!(a, b);
}
