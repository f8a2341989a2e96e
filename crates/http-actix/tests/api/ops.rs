//! The operations routes.

use crate::helpers::*;
use crate::requests::*;
use actix_web::test::TestRequest;
use serde_json::json;

#[actix_web::test]
async fn health_and_readiness() {
    let (_, app) = TestApp::start().await;
    let r = send(&app, TestRequest::get().uri("/healthz")).await;
    assert_eq!((r.status, r.json.clone()), (200, json!({"status": "ok"})));
    let r = send(&app, TestRequest::get().uri("/readyz")).await;
    assert_eq!(
        (r.status, r.json.clone()),
        (200, json!({"status": "ready"}))
    );
}

#[actix_web::test]
async fn openapi_document_and_swagger_ui_are_served() {
    let (_, app) = TestApp::start().await;
    let r = send(&app, TestRequest::get().uri("/openapi.json")).await;
    assert_eq!(r.status, 200);
    assert!(r.json["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(r.json["paths"]["/api/v2/users/{user_ref}"]["put"].is_object());
    assert!(r.json["paths"]["/api/v1/users/{username}"]["patch"].is_object());
    assert!(r.json["paths"]["/api/application/users/external/{external_id}"]["get"].is_object());
    for uri in ["/docs", "/docs/"] {
        let r = send(&app, TestRequest::get().uri(uri)).await;
        assert_eq!(
            (r.status, r.header("location")),
            (302, Some("/docs/index.html")),
            "{uri}"
        );
    }
    let r = send(&app, TestRequest::get().uri("/docs/index.html")).await;
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    let r = send(&app, TestRequest::get().uri("/docs/swagger-initializer.js")).await;
    assert!(r.text.contains("/openapi.json"), "{}", r.text);
    let r = send(&app, TestRequest::get().uri("/docs/missing.js")).await;
    assert_eq!(r.status, 404);
}

#[actix_web::test]
async fn metrics_count_requests_by_family_route_and_status_class() {
    let (_, app) = TestApp::start().await;
    send(&app, get_as("/api/v2/users/me", admin())).await;
    send(&app, TestRequest::get().uri("/api/v2/users/me")).await;
    send(&app, TestRequest::get().uri("/api/application/users")).await;
    let r = send(&app, TestRequest::get().uri("/metrics")).await;
    assert_eq!(r.status, 200);
    assert!(
        r.header("content-type")
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let count = "rollcall_http_request_duration_seconds_count";
    for line in [
        format!(
            "{count}{{family=\"v2\",route=\"/api/v2/users/me\",method=\"GET\",status_class=\"2xx\"}} 1"
        ),
        format!(
            "{count}{{family=\"v2\",route=\"/api/v2/users/me\",method=\"GET\",status_class=\"4xx\"}} 1"
        ),
        format!(
            "{count}{{family=\"application\",route=\"/api/application/users\",method=\"GET\",status_class=\"4xx\"}} 1"
        ),
    ] {
        assert!(r.text.contains(&line), "{line} in\n{}", r.text);
    }
}

#[actix_web::test]
async fn a_configured_metrics_token_restricts_metrics() {
    let mut t = TestApp::new().await;
    t.state.settings.metrics_token = Some("scrape-secret".into());
    let app = t.service().await;
    let r = send(&app, TestRequest::get().uri("/metrics")).await;
    assert_eq!(
        (r.status, r.header("www-authenticate")),
        (401, Some("Bearer"))
    );
    let r = send(&app, get_as("/metrics", bearer("wrong"))).await;
    assert_eq!(r.status, 401);
    let r = send(&app, get_as("/metrics", bearer("scrape-secret"))).await;
    assert_eq!(r.status, 200);
    assert!(r.text.contains("rollcall_uptime_seconds"));
}
