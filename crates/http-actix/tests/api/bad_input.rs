//! api.md section 7 and the order of checks of section 8.

use crate::helpers::*;
use actix_web::test::TestRequest;
use serde_json::json;
use std::sync::atomic::Ordering;

#[actix_web::test]
async fn trailing_slashes_are_accepted() {
    let t = TestApp::new().await;
    let app = t.service().await;
    for uri in ["/api/v2/users/", "/api/v2/users/me/", "/healthz/"] {
        let r = send(&app, TestRequest::get().uri(uri).insert_header(admin())).await;
        assert_eq!(r.status, 200, "{uri}: {}", r.text);
    }
}

#[actix_web::test]
async fn unknown_routes_and_methods_without_credentials() {
    let t = TestApp::new().await;
    let app = t.service().await;
    let r = send(&app, TestRequest::get().uri("/api/v2/nothing/here")).await;
    assert_eq!(
        (r.status, r.detail()),
        (404, "The requested resource was not found.".into())
    );
    let r = send(&app, TestRequest::get().uri("/nowhere")).await;
    assert_eq!(r.status, 404);
    r.detail();
    let r = send(&app, TestRequest::patch().uri("/api/v2/users")).await;
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET, POST"));
    r.detail();
    let r = send(&app, TestRequest::get().uri("/token")).await;
    assert_eq!(r.status, 405);
    let r = send(&app, TestRequest::put().uri("/api/v2/users/me")).await;
    assert_eq!(r.status, 405);
}

#[actix_web::test]
async fn bodies_are_checked_after_credentials() {
    let t = TestApp::new().await;
    let app = t.service().await;
    let broken = |req: TestRequest| {
        req.insert_header(("content-type", "application/json"))
            .set_payload("{")
    };
    let r = send(&app, broken(TestRequest::post().uri("/api/v2/users"))).await;
    assert_eq!(r.status, 401, "401 before 400");
    let r = send(
        &app,
        broken(
            TestRequest::post()
                .uri("/api/v2/users")
                .insert_header(admin()),
        ),
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(r.detail().contains("not valid JSON"), "{}", r.text);
    create_user(&app, "quinn", false).await;
    create_user(&app, "rita", false).await;
    let quinn = || basic("quinn", PASSWORD);
    let r = send(
        &app,
        broken(
            TestRequest::post()
                .uri("/api/v2/users")
                .insert_header(quinn()),
        ),
    )
    .await;
    assert_eq!(r.status, 403, "403 before 400: {}", r.text);
    let r = send(
        &app,
        broken(
            TestRequest::put()
                .uri("/api/v2/users/rita")
                .insert_header(quinn()),
        ),
    )
    .await;
    assert_eq!(r.status, 403, "403 before 400: {}", r.text);
    let r = send(
        &app,
        broken(
            TestRequest::put()
                .uri("/api/v2/users/rita/password")
                .insert_header(quinn()),
        ),
    )
    .await;
    assert_eq!(r.status, 403, "403 before 400: {}", r.text);
    let r = send(
        &app,
        broken(
            TestRequest::put()
                .uri("/api/v2/users/quinn")
                .insert_header(quinn()),
        ),
    )
    .await;
    assert_eq!(r.status, 400, "their own record: the body is at fault");
    let key = api_key(&app, admin(), &["users/index"]).await;
    let r = send(
        &app,
        broken(
            TestRequest::post()
                .uri("/api/v2/users/me/configurations")
                .insert_header(bearer(&key)),
        ),
    )
    .await;
    assert_eq!(r.status, 403, "scope before body");
}

#[actix_web::test]
async fn media_types_size_and_shape() {
    let t = TestApp::new().await;
    let app = t.service().await;
    let post = || {
        TestRequest::post()
            .uri("/api/v2/users")
            .insert_header(admin())
    };
    let r = send(
        &app,
        post()
            .insert_header(("content-type", "text/plain"))
            .set_payload("{}"),
    )
    .await;
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
    let t = TestApp::new().await;
    let app = t.service().await;
    t.down.store(true, Ordering::SeqCst);
    let r = send(
        &app,
        TestRequest::get()
            .uri("/api/v2/users")
            .insert_header(admin()),
    )
    .await;
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
    let r = send(
        &app,
        TestRequest::get()
            .uri("/api/v2/users")
            .insert_header(admin()),
    )
    .await;
    assert_eq!(r.status, 200, "recovers without a restart");
    assert_eq!(
        send(&app, TestRequest::get().uri("/readyz")).await.status,
        200
    );
}

#[actix_web::test]
async fn every_response_carries_a_request_id() {
    let t = TestApp::new().await;
    let app = t.service().await;
    let a = send(&app, TestRequest::get().uri("/healthz")).await;
    let b = send(&app, TestRequest::get().uri("/api/v2/nowhere")).await;
    let (a, b) = (
        a.header("x-request-id").unwrap().to_owned(),
        b.header("x-request-id").unwrap().to_owned(),
    );
    assert_ne!(a, b);
}
