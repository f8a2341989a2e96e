//! `/api/v2/users/me/configurations`.

use crate::helpers::*;
use crate::requests::*;
use actix_web::test::TestRequest;
use serde_json::json;

const BASE: &str = "/api/v2/users/me/configurations";

#[actix_web::test]
async fn configurations_by_id_and_key() {
    let (_, app) = TestApp::start().await;
    let create = |body| json_req(TestRequest::post().uri(BASE).insert_header(admin()), body);
    let r = send(&app, create(json!({"key": "global.locale", "value": "en"}))).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json["id"].as_i64().unwrap();
    assert_eq!(
        r.json,
        json!({"id": id, "key": "global.locale", "value": "en"})
    );
    send(&app, create(json!({"key": "theme", "value": "dark"}))).await;
    let r = send(&app, create(json!({"key": "theme", "value": "light"}))).await;
    assert_eq!((r.status, r.codes("key")), (422, vec!["taken".to_owned()]));
    let r = send(&app, create(json!({"key": "1bad"}))).await;
    assert_eq!(
        (r.codes("key"), r.codes("value")),
        (vec!["invalid".to_owned()], vec!["blank".to_owned()])
    );

    let r = send(&app, get_as(&format!("{BASE}?limit=1"), admin())).await;
    assert_eq!(r.json["count"], 2, "{}", r.text);
    assert_eq!(r.json["configurations"].as_array().unwrap().len(), 1);
    let r = send(&app, get_as(&format!("{BASE}/{id}"), admin())).await;
    assert_eq!(r.json["key"], "global.locale");
    let r = send(&app, get_as(&format!("{BASE}/theme"), admin())).await;
    assert_eq!(r.json["value"], "dark");

    let r = send(
        &app,
        put_as(
            &format!("{BASE}/theme"),
            admin(),
            json!({"key": "ui.theme"}),
        ),
    )
    .await;
    assert_eq!(
        (r.status, r.json["key"].as_str(), r.json["value"].as_str()),
        (200, Some("ui.theme"), Some("dark"))
    );
    let r = send(&app, delete_as(&format!("{BASE}/ui.theme"), admin())).await;
    assert_eq!(r.status, 204);
    let r = send(&app, get_as(&format!("{BASE}/ui.theme"), admin())).await;
    assert_eq!(r.status, 404);
    r.detail();
}

#[actix_web::test]
async fn another_users_configuration_is_not_found() {
    let (_, app) = TestApp::start().await;
    let r = send(
        &app,
        post_as(BASE, admin(), json!({"key": "k", "value": "v"})),
    )
    .await;
    let id = r.json["id"].as_i64().unwrap();
    create_user(&app, "olga", false).await;
    let r = send(
        &app,
        get_as(&format!("{BASE}/{id}"), basic("olga", PASSWORD)),
    )
    .await;
    assert_eq!(r.status, 404);
    let key = api_key(&app, admin(), &["configurations/index"]).await;
    let r = send(
        &app,
        post_as(BASE, bearer(&key), json!({"key": "k2", "value": "v"})),
    )
    .await;
    assert_eq!(r.status, 403);
}
