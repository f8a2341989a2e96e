//! `/api/v2/users/me/api_keys`.

use crate::helpers::*;
use crate::requests::*;
use actix_web::test::TestRequest;
use serde_json::json;

const BASE: &str = "/api/v2/users/me/api_keys";

#[actix_web::test]
async fn keys_are_shown_whole_once_then_masked() {
    let (_, app) = TestApp::start().await;
    let r = send(&app, post_as(BASE, admin(), json!({"name": "dev-key", "api_key_scopes": [{"controller": "users", "action": "index"}]}))).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let key = r.json["key"].as_str().unwrap().to_owned();
    let id = r.json["id"].as_i64().unwrap();
    assert!(key.starts_with("rck_"));
    assert_eq!(
        r.json["api_key_scopes"],
        json!([{"controller": "users", "action": "index"}])
    );
    assert!(r.json["expires_at"].is_null() && r.json["last_used_at"].is_null());
    assert_eq!(r.json["created_at"], "2026-01-01T12:00:00.000Z");
    let masked = format!("******************{}", &key[key.len() - 4..]);

    let r = send(&app, TestRequest::get().uri(BASE).insert_header(admin())).await;
    assert_eq!(
        r.json,
        json!({"api_keys": [{"id": id, "key": masked, "name": "dev-key"}], "count": 1})
    );
    let r = send(&app, get_as(&format!("{BASE}/{id}"), admin())).await;
    assert_eq!(
        (r.json["key"].as_str(), r.json["name"].as_str()),
        (Some(masked.as_str()), Some("dev-key"))
    );
    assert!(r.json["api_key_scopes"].is_array());

    let r = send(&app, get_as("/api/v2/users", bearer(&key))).await;
    assert_eq!(r.status, 200, "the key authenticates");

    let r = send(&app, put_as(&format!("{BASE}/{id}"), admin(), json!({"name": "renamed", "api_key_scopes": [{"controller": "users", "action": "show"}]}))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["key"], masked);
    assert_eq!(
        r.json["api_key_scopes"],
        json!([{"controller": "users", "action": "show"}])
    );
    let r = send(&app, get_as("/api/v2/users", bearer(&key))).await;
    assert_eq!(r.status, 403, "scopes were replaced");

    let r = send(&app, delete_as(&format!("{BASE}/{id}"), admin())).await;
    assert_eq!(r.status, 204);
    let r = send(&app, get_as("/api/v2/users/me", bearer(&key))).await;
    assert_eq!(r.status, 401);
}

#[actix_web::test]
async fn scope_rules() {
    let (_, app) = TestApp::start().await;
    let r = send(
        &app,
        post_as(
            BASE,
            admin(),
            json!({"api_key_scopes": [{"controller": "text", "action": "text"}]}),
        ),
    )
    .await;
    assert_eq!(
        (r.status, r.codes("api_key_scopes")),
        (422, vec!["invalid".to_owned()])
    );
    let r = send(
        &app,
        post_as(BASE, admin(), json!({"api_key_scopes": "all"})),
    )
    .await;
    assert_eq!(
        (r.status, r.codes("api_key_scopes")),
        (422, vec!["invalid".to_owned()])
    );
    let narrow = api_key(&app, admin(), &["api_keys/create"]).await;
    let r = send(
        &app,
        post_as(
            BASE,
            bearer(&narrow),
            json!({"api_key_scopes": [{"controller": "users", "action": "index"}]}),
        ),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.text);
    r.detail();
    let r = send(
        &app,
        post_as(
            BASE,
            bearer(&narrow),
            json!({"api_key_scopes": [{"controller": "api_keys", "action": "create"}]}),
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
}

#[actix_web::test]
async fn another_users_key_is_not_found() {
    let (_, app) = TestApp::start().await;
    create_user(&app, "pia", false).await;
    let r = send(&app, post_as(BASE, admin(), json!({}))).await;
    assert_eq!(
        (r.status, r.json["name"].as_str()),
        (201, Some("")),
        "{}",
        r.text
    );
    let id = r.json["id"].as_i64().unwrap();
    for req in [TestRequest::get(), TestRequest::delete()] {
        let r = send(
            &app,
            req.uri(&format!("{BASE}/{id}"))
                .insert_header(basic("pia", PASSWORD)),
        )
        .await;
        assert_eq!(r.status, 404);
    }
    let r = send(&app, get_as(&format!("{BASE}/abc"), admin())).await;
    assert_eq!(r.status, 404);
}
