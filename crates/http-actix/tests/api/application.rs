//! The application family (api.md sections 6 and 8): every route, each validation rule as a
//! Laravel rule, 401/403 (non-admin, key without scope)/404, paging links, and the bad input
//! of section 7 — each in the `{"errors": [...]}` envelope.

use crate::helpers::*;
use crate::requests::*;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::test::TestRequest;
use serde_json::{Value, json};
use std::sync::atomic::Ordering;

const NOT_AN_ADMIN: &str = "This account does not have permission to access the API.";
const UNAUTHORIZED_ACTION: &str = "This action is unauthorized.";
const NOT_FOUND: &str = "The requested resource could not be found on the server.";
const HOST: &str = "panel.example:8080";

fn users(path: &str) -> String {
    format!("/api/application/users{path}")
}

fn get(path: &str) -> TestRequest {
    TestRequest::get()
        .uri(&users(path))
        .insert_header(("host", HOST))
}

fn profile(username: &str) -> Value {
    json!({
        "email": format!("{username}@example.com"),
        "username": username,
        "first_name": "First",
        "last_name": "Last",
    })
}

/// Creates a user through the application family as the admin; returns the item.
async fn create<S, B>(app: &S, body: Value) -> Value
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    let r = send(
        app,
        post_as(&users(""), admin(), body).insert_header(("host", HOST)),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json
}

#[actix_web::test]
async fn create_answers_the_item_and_its_absolute_url() {
    let (_, app) = TestApp::start().await;
    let mut body = profile("Test-User");
    body["external_id"] = json!("ext-1");
    body["language"] = json!("fr");
    body["root_admin"] = json!(true);
    body["password"] = json!(PASSWORD);
    body["uuid"] = json!("not-yours-to-set");
    let r = create(&app, body).await;
    let id = r["attributes"]["id"].as_i64().unwrap();
    let uuid = r["attributes"]["uuid"].as_str().unwrap().to_owned();
    assert_eq!(
        r,
        json!({
            "object": "user",
            "attributes": {
                "id": id, "external_id": "ext-1", "uuid": uuid, "username": "test-user",
                "email": "Test-User@example.com", "first_name": "First", "last_name": "Last",
                "language": "fr", "root_admin": true, "2fa": false,
                "created_at": "2026-01-01T12:00:00+00:00",
                "updated_at": "2026-01-01T12:00:00+00:00"
            },
            "meta": {"resource": format!("http://{HOST}/api/application/users/{id}")}
        })
    );
    let r = send(
        &app,
        get_as("/api/v2/users/me", basic("TEST-USER", PASSWORD)),
    )
    .await;
    assert_eq!(r.status, 200, "the password works: {}", r.text);
}

#[actix_web::test]
async fn a_user_without_password_exists_but_cannot_sign_in() {
    let (_, app) = TestApp::start().await;
    let r = create(&app, profile("nopass")).await;
    assert_eq!(r["attributes"]["root_admin"], false);
    assert_eq!(r["attributes"]["language"], "en");
    assert_eq!(r["attributes"]["external_id"], Value::Null);
    let r = send(&app, get_as("/api/v2/users/me", basic("nopass", ""))).await;
    assert_eq!(r.status, 401);
}

#[actix_web::test]
async fn create_validation_names_each_failed_rule() {
    let (_, app) = TestApp::start().await;
    let mut taken = profile("taken");
    taken["external_id"] = json!("ext-taken");
    create(&app, taken).await;
    let post = || TestRequest::post().uri(&users("")).insert_header(admin());
    let cases: Vec<(Value, Vec<(&str, &str)>)> = vec![
        (
            json!({}),
            vec![
                ("username", "required"),
                ("email", "required"),
                ("first_name", "required"),
                ("last_name", "required"),
            ],
        ),
        (
            json!({"email": "nope", "username": "-bad", "first_name": "F", "last_name": "L"}),
            vec![("username", "p_username"), ("email", "email")],
        ),
        (
            json!({"email": "TAKEN@example.com", "username": "x1", "first_name": "F", "last_name": "L"}),
            vec![("email", "unique")],
        ),
        (
            json!({"email": "y@example.com", "username": "TAKEN", "first_name": "F", "last_name": "L"}),
            vec![("username", "unique")],
        ),
        (
            json!({"email": "y@example.com", "username": "y", "first_name": "F", "last_name": "L", "external_id": "ext-taken"}),
            vec![("external_id", "unique")],
        ),
        (
            json!({"email": "y@example.com", "username": "y", "first_name": "F".repeat(192), "last_name": 5}),
            vec![("first_name", "max"), ("last_name", "string")],
        ),
        (
            json!({"email": "y@example.com", "username": "y", "first_name": "F", "last_name": "L",
                   "root_admin": "yes", "language": "f1", "password": "short"}),
            vec![
                ("language", "regex"),
                ("password", "min"),
                ("root_admin", "boolean"),
            ],
        ),
        (
            json!({"email": "y@example.com", "username": "y", "first_name": "  ", "last_name": "L", "root_admin": null}),
            vec![("first_name", "required"), ("root_admin", "boolean")],
        ),
        (
            json!({"email": "y@example.com", "username": "y", "first_name": "F", "last_name": "L", "external_id": "a\u{0}b"}),
            vec![("external_id", "string")],
        ),
    ];
    for (body, expected) in cases {
        let r = send(&app, json_req(post(), body.clone())).await;
        let mut rules = r.app_rules();
        rules.sort();
        let mut expected: Vec<(String, String)> = expected
            .into_iter()
            .map(|(f, r)| (f.to_owned(), r.to_owned()))
            .collect();
        expected.sort();
        assert_eq!(rules, expected, "{body}");
    }
    let r = send(&app, json_req(post(), json!({"username": "z"}))).await;
    let details: Vec<String> = r
        .app_errors()
        .iter()
        .map(|e| e["detail"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        details,
        [
            "The email field is required.",
            "The first name field is required.",
            "The last name field is required."
        ]
    );
    let r = send(
        &app,
        json_req(post(), json!({"email": "q@example.com", "username": "q", "first_name": "F", "last_name": "L", "root_admin": 1})),
    )
    .await;
    assert_eq!(
        (r.status, r.json["attributes"]["root_admin"].clone()),
        (201, json!(true)),
        "Laravel's boolean takes 1: {}",
        r.text
    );
}

#[actix_web::test]
async fn read_by_id_and_by_external_id() {
    let (_, app) = TestApp::start().await;
    let mut body = profile("reader");
    body["external_id"] = json!("Ext-42");
    let created = create(&app, body).await;
    let id = created["attributes"]["id"].as_i64().unwrap();
    let r = send(&app, get(&format!("/{id}")).insert_header(admin())).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["attributes"], created["attributes"]);
    assert!(r.json.get("relationships").is_none());
    assert!(r.json.get("meta").is_none());
    let r = send(
        &app,
        get("/external/Ext-42?include=servers").insert_header(admin()),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["attributes"]["id"], id);
    // Pterodactyl merges includes into the attributes.
    assert_eq!(
        r.json["attributes"]["relationships"],
        json!({"servers": {"object": "list", "data": []}})
    );
    assert!(r.json.get("relationships").is_none());
    for path in ["/9999", "/abc", "/+1", "/external", "/external/ext-42"] {
        let r = send(&app, get(path).insert_header(admin())).await;
        assert_eq!(
            (r.status, r.app_error()),
            (404, ("NotFoundHttpException".into(), NOT_FOUND.into())),
            "{path}"
        );
    }
}

#[actix_web::test]
async fn list_pages_filters_and_sorts() {
    let (_, app) = TestApp::start().await;
    for name in ["alpha", "beta", "gamma", "under_score", "per%cent"] {
        let mut body = profile(&name.replace('%', ""));
        if name.contains('%') {
            body["email"] = json!("per%cent@example.com");
        }
        if name.contains('_') {
            body["external_id"] = json!("x_1");
        }
        create(&app, body).await;
    }
    let r = send(&app, get("?per_page=2").insert_header(admin())).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["object"], "list");
    let names: Vec<&str> = r.json["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            assert_eq!(u["object"], "user");
            u["attributes"]["username"].as_str().unwrap()
        })
        .collect();
    assert_eq!(names, ["admin", "alpha"], "id order by default");
    assert_eq!(
        r.json["meta"],
        json!({"pagination": {
            "total": 6, "count": 2, "per_page": 2, "current_page": 1, "total_pages": 3,
            "links": {"next": format!("http://{HOST}/api/application/users?per_page=2&page=2")}
        }})
    );
    let r = send(
        &app,
        get("?filter%5Busername%5D=A&page=2&per_page=1&include=servers").insert_header(admin()),
    )
    .await;
    assert_eq!(
        r.json["meta"]["pagination"]["total"], 4,
        "admin, alpha, beta, gamma: {}",
        r.text
    );
    assert_eq!(r.json["data"][0]["attributes"]["username"], "alpha");
    assert!(r.json["data"][0]["attributes"]["relationships"]["servers"].is_object());
    assert!(r.json["data"][0].get("relationships").is_none());
    assert_eq!(
        r.json["meta"]["pagination"]["links"],
        json!({
            "previous": format!("http://{HOST}/api/application/users?filter%5Busername%5D=A&page=1&per_page=1&include=servers"),
            "next": format!("http://{HOST}/api/application/users?filter%5Busername%5D=A&page=3&per_page=1&include=servers"),
        })
    );
    for (query, expected) in [
        ("filter[email]=PER%25CENT", vec!["percent"]),
        ("filter[email]=%25", vec!["percent"]),
        ("filter[username]=_", vec!["under_score"]),
        ("filter[external_id]=X_", vec!["under_score"]),
        ("filter[username]=a&filter[email]=GAMMA", vec!["gamma"]),
        ("sort=-id&per_page=2", vec!["percent", "under_score"]),
    ] {
        let r = send(&app, get(&format!("?{query}")).insert_header(admin())).await;
        assert_eq!(r.status, 200, "{query}: {}", r.text);
        let names: Vec<&str> = r.json["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["attributes"]["username"].as_str().unwrap())
            .collect();
        assert_eq!(names, expected, "{query}");
    }
    let r = send(&app, get("?sort=uuid").insert_header(admin())).await;
    let uuids: Vec<String> = r.json["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["attributes"]["uuid"].as_str().unwrap().to_owned())
        .collect();
    let mut sorted = uuids.clone();
    sorted.sort();
    assert_eq!(uuids, sorted);
    let uuid = &uuids[2];
    let r = send(
        &app,
        get(&format!("?filter[uuid]={}", &uuid[..8].to_uppercase())).insert_header(admin()),
    )
    .await;
    assert_eq!(r.json["data"][0]["attributes"]["uuid"], uuid.as_str());
}

#[actix_web::test]
async fn paging_edges() {
    let (_, app) = TestApp::start().await;
    let r = send(&app, get("?page=0&per_page=5000").insert_header(admin())).await;
    assert_eq!(
        r.json["meta"]["pagination"],
        json!({"total": 1, "count": 1, "per_page": 1000, "current_page": 1, "total_pages": 1, "links": {}})
    );
    let r = send(&app, get("?page=2").insert_header(admin())).await;
    assert_eq!(r.json["data"], json!([]));
    assert_eq!(
        r.json["meta"]["pagination"]["links"],
        json!({"previous": format!("http://{HOST}/api/application/users?page=1")})
    );
    let r = send(&app, get("?page=7").insert_header(admin())).await;
    assert_eq!(
        r.json["meta"]["pagination"]["links"],
        json!({}),
        "page 6 does not exist"
    );
    let r = send(&app, get("?per_page=0").insert_header(admin())).await;
    assert_eq!(r.app_rules(), [("per_page".to_owned(), "min".to_owned())]);
    assert_eq!(
        r.app_errors()[0]["detail"],
        "The per page field must be at least 1."
    );
    let r = send(&app, get("?per_page=ten&page=x").insert_header(admin())).await;
    assert_eq!(r.status, 422, "{}", r.text);
    let r = send(&app, get("?filter[email]=a%00").insert_header(admin())).await;
    assert_eq!(
        r.app_rules(),
        [("filter[email]".to_owned(), "string".to_owned())]
    );
}

#[actix_web::test]
async fn unknown_filters_and_sorts_are_bad_requests() {
    let (_, app) = TestApp::start().await;
    let r = send(&app, get("?filter[first_name]=x").insert_header(admin())).await;
    assert_app_error(
        &r,
        400,
        "BadRequestHttpException",
        "Requested filter(s) `first_name` are not allowed. Allowed filter(s) are `email, uuid, username, external_id`.",
    );
    for sort in ["username", "-created_at", "id,name"] {
        let r = send(&app, get(&format!("?sort={sort}")).insert_header(admin())).await;
        assert_eq!(r.status, 400, "{sort}");
        assert_eq!(r.app_error().0, "BadRequestHttpException");
    }
}

#[actix_web::test]
async fn links_use_the_public_url_when_configured() {
    let mut t = TestApp::new().await;
    t.state.settings.public_url = Some("https://dir.example.org/rollcall/".into());
    let app = t.service().await;
    let created = create(&app, profile("linked")).await;
    let id = created["attributes"]["id"].as_i64().unwrap();
    assert_eq!(
        created["meta"]["resource"],
        format!("https://dir.example.org/rollcall/api/application/users/{id}")
    );
    let r = send(&app, get("?per_page=1").insert_header(admin())).await;
    assert_eq!(
        r.json["meta"]["pagination"]["links"]["next"],
        "https://dir.example.org/rollcall/api/application/users?per_page=1&page=2"
    );
}

#[actix_web::test]
async fn patch_uses_the_create_rules_and_keeps_an_absent_password() {
    let (_, app) = TestApp::start().await;
    let mut body = profile("Pat");
    body["password"] = json!(PASSWORD);
    body["external_id"] = json!("pat-1");
    let created = create(&app, body.clone()).await;
    let id = created["attributes"]["id"].as_i64().unwrap();
    create(&app, profile("other")).await;
    let patch = |body| patch_as(&users(&format!("/{id}")), admin(), body);
    // Its own values do not clash with themselves; null and empty passwords change nothing.
    for password in [json!(null), json!("")] {
        body["password"] = password;
        body["first_name"] = json!("Patricia");
        let r = send(&app, patch(body.clone())).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json["attributes"]["first_name"], "Patricia");
        assert!(r.json.get("meta").is_none());
    }
    let r = send(&app, get_as("/api/v2/users/me", basic("pat", PASSWORD))).await;
    assert_eq!(r.status, 200, "the password is unchanged");
    let r = send(&app, patch(json!({"first_name": "P"}))).await;
    let mut rules = r.app_rules();
    rules.sort();
    assert_eq!(
        rules,
        [
            ("email".to_owned(), "required".to_owned()),
            ("last_name".to_owned(), "required".to_owned()),
            ("username".to_owned(), "required".to_owned()),
        ]
    );
    let mut clash = profile("OTHER");
    clash["email"] = json!("pat@example.com");
    let r = send(&app, patch(clash)).await;
    assert_eq!(
        r.app_rules(),
        [("username".to_owned(), "unique".to_owned())]
    );
    let mut renamed = profile("Patty.NEW");
    renamed["password"] = json!("password-2");
    let r = send(&app, patch(renamed)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["attributes"]["username"], "patty.new", "lowercased");
    assert_eq!(
        r.json["attributes"]["external_id"], "pat-1",
        "an absent optional field stays"
    );
    let r = send(
        &app,
        get_as("/api/v2/users/me", basic("patty.new", "password-2")),
    )
    .await;
    assert_eq!(r.status, 200);
    let r = send(&app, patch_as(&users("/9999"), admin(), profile("ghost"))).await;
    assert_app_code(&r, 404, "NotFoundHttpException");
}

#[actix_web::test]
async fn the_last_admin_is_a_display_exception() {
    let (_, app) = TestApp::start().await;
    let me = send(&app, get("?filter[username]=admin").insert_header(admin())).await;
    let id = me.json["data"][0]["attributes"]["id"].as_i64().unwrap();
    let mut demote = profile("admin");
    demote["root_admin"] = json!(false);
    let path = users(&format!("/{id}"));
    for req in [patch_as(&path, admin(), demote), delete_as(&path, admin())] {
        let r = send(&app, req).await;
        assert_app_error(
            &r,
            400,
            "DisplayException",
            "Cannot disable or demote the last enabled admin.",
        );
    }
}

#[actix_web::test]
async fn delete_removes_the_user() {
    let (_, app) = TestApp::start().await;
    let created = create(&app, profile("gone")).await;
    let path = format!("/{}", created["attributes"]["id"]);
    let delete = || delete_as(&users(&path), admin());
    let r = send(&app, delete()).await;
    assert_eq!((r.status, r.text.as_str()), (204, ""));
    let r = send(&app, delete()).await;
    assert_app_code(&r, 404, "NotFoundHttpException");
    let r = send(&app, get(&path).insert_header(admin())).await;
    assert_eq!(r.status, 404);
}

#[actix_web::test]
async fn admins_only_and_keys_need_the_route_scope() {
    let (_, app) = TestApp::start().await;
    create_user(&app, "norm", false).await;
    let norm_key = api_key(&app, basic("norm", PASSWORD), &["users/index"]).await;
    let admin_key = api_key(&app, admin(), &["users/index", "users/show"]).await;
    let r = send(&app, get("").insert_header(basic("norm", PASSWORD))).await;
    assert_app_error(&r, 403, "AccessDeniedHttpException", NOT_AN_ADMIN);
    let r = send(&app, get("").insert_header(bearer(&norm_key))).await;
    assert_eq!(
        (r.status, r.app_error().1),
        (403, NOT_AN_ADMIN.into()),
        "a non-admin's key is refused as the non-admin, scope or not"
    );
    let r = send(&app, get("").insert_header(bearer(&admin_key))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = send(&app, get("/1").insert_header(bearer(&admin_key))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = send(&app, get("/external/x").insert_header(bearer(&admin_key))).await;
    assert_eq!(r.status, 404, "users/show covers external ids: {}", r.text);
    for req in [
        json_req(TestRequest::post().uri(&users("")), profile("k")),
        json_req(TestRequest::patch().uri(&users("/1")), profile("admin")),
        TestRequest::delete().uri(&users("/1")),
    ] {
        let r = send(&app, req.insert_header(bearer(&admin_key))).await;
        assert_app_error(&r, 403, "AccessDeniedHttpException", UNAUTHORIZED_ACTION);
    }
    let show_only = api_key(&app, admin(), &["users/show"]).await;
    let r = send(&app, get("").insert_header(bearer(&show_only))).await;
    assert_eq!(
        (r.status, r.app_error().1),
        (403, UNAUTHORIZED_ACTION.into())
    );
    let writer = api_key(
        &app,
        admin(),
        &["users/create", "users/update", "users/destroy"],
    )
    .await;
    let r = send(&app, post_as(&users(""), bearer(&writer), profile("keyed"))).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let path = users(&format!("/{}", r.json["attributes"]["id"]));
    let r = send(&app, patch_as(&path, bearer(&writer), profile("keyed"))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = send(&app, delete_as(&path, bearer(&writer))).await;
    assert_eq!(r.status, 204);
}

#[actix_web::test]
async fn bearer_is_the_challenge_and_basic_and_sessions_work_too() {
    let (_, app) = TestApp::start().await;
    let r = send(&app, get("")).await;
    assert_app_error(&r, 401, "AuthenticationException", "Unauthenticated.");
    assert_eq!(r.headers_all("www-authenticate"), ["Bearer"]);
    let r = send(&app, get("").insert_header(bearer("rck_bogus_key"))).await;
    assert_app_code(&r, 401, "AuthenticationException");
    assert_eq!(r.headers_all("www-authenticate"), ["Bearer"]);
    let r = send(&app, get("").insert_header(basic(ADMIN, "wrong-password"))).await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.headers_all("www-authenticate"),
        [r#"Basic realm="rollcall""#]
    );
    let session = token(&app, ADMIN, ADMIN_PASSWORD).await;
    let r = send(&app, get("").insert_header(bearer(&session))).await;
    assert_eq!(r.status, 200);
}

#[actix_web::test]
async fn bad_input_answers_in_the_errors_envelope() {
    let (_, app) = TestApp::start().await;
    let post = || request_as(Method::POST, &users(""), admin());
    let broken = |req: TestRequest| with_broken_json(req, "{");
    let r = send(&app, broken(TestRequest::post().uri(&users("")))).await;
    assert_eq!(r.status, 401, "401 before the body");
    let r = send(&app, broken(post())).await;
    let (code, detail) = r.app_error();
    assert_eq!((r.status, code.as_str()), (400, "BadRequestHttpException"));
    assert!(
        detail.starts_with("The JSON data passed in the request appears to be malformed: "),
        "{detail}"
    );
    let r = send(&app, json_req(post(), json!([1, 2]))).await;
    assert_app_error(
        &r,
        400,
        "BadRequestHttpException",
        "The request body must be a JSON object.",
    );
    let r = send(&app, with_body(post(), "text/plain", "{}")).await;
    assert_app_code(&r, 415, "UnsupportedMediaTypeHttpException");
    let mut big = profile("big");
    big["first_name"] = json!("x".repeat(70 * 1024));
    let r = send(&app, json_req(post(), big)).await;
    assert_app_code(&r, 413, "PostTooLargeException");
    for uri in [
        "/api/application/nodes",
        "/api/application/users/1/servers",
        "/api/application",
    ] {
        let r = send(&app, TestRequest::get().uri(uri)).await;
        assert_eq!(
            (r.status, r.app_error()),
            (404, ("NotFoundHttpException".into(), NOT_FOUND.into())),
            "{uri}"
        );
    }
    for (req, allow) in [
        (TestRequest::put().uri(&users("/1")), "GET, PATCH, DELETE"),
        (TestRequest::delete().uri(&users("")), "GET, POST"),
        (TestRequest::post().uri(&users("/external/x")), "GET"),
    ] {
        let r = send(&app, req).await;
        assert_eq!(
            (r.status, r.app_error().0, r.header("allow")),
            (405, "MethodNotAllowedHttpException".into(), Some(allow))
        );
    }
    // 404 before the body, the body before validation.
    for (path, status) in [("/9999", 404), ("/1", 400)] {
        let req = request_as(Method::PATCH, &users(path), admin());
        let r = send(&app, broken(req)).await;
        assert_eq!(r.status, status, "{path}");
    }
    create_user(&app, "olga", false).await;
    let olga = request_as(Method::POST, &users(""), basic("olga", PASSWORD));
    let r = send(&app, broken(olga)).await;
    assert_eq!((r.status, r.app_error().1), (403, NOT_AN_ADMIN.into()));
    let r = send(&app, get_as("/api/application/users/", admin())).await;
    assert_eq!(r.status, 200, "trailing slash");
}

#[actix_web::test]
async fn database_outage_is_a_503_in_the_envelope() {
    let (t, app) = TestApp::start().await;
    t.down.store(true, Ordering::SeqCst);
    let r = send(&app, get("").insert_header(admin())).await;
    assert_app_code(&r, 503, "ServiceUnavailableHttpException");
    t.down.store(false, Ordering::SeqCst);
    assert_eq!(send(&app, get("").insert_header(admin())).await.status, 200);
}
