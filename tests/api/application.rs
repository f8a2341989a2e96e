//! The application family (Pterodactyl) on the real server: every route's success and main
//! failures in the `{"errors": [...]}` envelope; paging through 120 users by following
//! `links.next`, with filters and sorts checked against the database-side v2 listing; and one
//! user made by each family read, updated and deleted through each of the other two.

use crate::helpers::{
    ADMIN_PASSWORD, ADMIN_USERNAME, Auth, Backend, TestApp, TestResponse, both_backends,
    sorted_keys, spawn_app,
};
use crate::v1::{v1_change_password, v1_create, v1_delete, v1_get};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeSet;

const NOT_AN_ADMIN: &str = "This account does not have permission to access the API.";
const UNAUTHORIZED_ACTION: &str = "This action is unauthorized.";
const NOT_FOUND: &str = "The requested resource could not be found on the server.";

/// `GET /api/application/users<query>` (`query` starts with `?` or is empty).
async fn app_list(app: &TestApp, auth: &Auth, query: &str) -> TestResponse {
    app.call(Method::GET, &format!("/api/application/users{query}"), auth)
        .await
}

/// `GET /api/application/users/{id}`.
async fn app_get(app: &TestApp, auth: &Auth, id: i64) -> TestResponse {
    app.call(Method::GET, &format!("/api/application/users/{id}"), auth)
        .await
}

/// `POST /api/application/users`.
async fn app_create(app: &TestApp, auth: &Auth, body: &Value) -> TestResponse {
    app.call_json(Method::POST, "/api/application/users", auth, body)
        .await
}

/// `PATCH /api/application/users/{id}`.
async fn app_update(app: &TestApp, auth: &Auth, id: i64, body: &Value) -> TestResponse {
    app.call_json(
        Method::PATCH,
        &format!("/api/application/users/{id}"),
        auth,
        body,
    )
    .await
}

/// `DELETE /api/application/users/{id}`.
async fn app_delete(app: &TestApp, auth: &Auth, id: i64) -> TestResponse {
    app.call(
        Method::DELETE,
        &format!("/api/application/users/{id}"),
        auth,
    )
    .await
}

/// The required profile of an application user.
fn profile(username: &str) -> Value {
    json!({
        "email": format!("{username}@example.com"),
        "username": username,
        "first_name": "First",
        "last_name": "Last",
    })
}

/// Asserts the application envelope with one entry; returns `(code, detail)`.
#[track_caller]
fn assert_app_error(response: &TestResponse, status: u16) -> (String, String) {
    response.assert_status(status);
    let body = response.json();
    let errors = body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("an errors envelope: {body}"));
    assert_eq!(body.as_object().unwrap().len(), 1, "{body}");
    assert_eq!(errors.len(), 1, "{body}");
    assert_eq!(errors[0]["status"], status.to_string(), "{body}");
    (
        errors[0]["code"].as_str().unwrap().to_owned(),
        errors[0]["detail"].as_str().unwrap().to_owned(),
    )
}

/// Asserts a 422 and returns its `(source_field, rule)` pairs, sorted.
#[track_caller]
fn assert_app_rules(response: &TestResponse) -> Vec<(String, String)> {
    response.assert_status(422);
    let body = response.json();
    let mut rules: Vec<(String, String)> = body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("an errors envelope: {body}"))
        .iter()
        .map(|e| {
            assert_eq!(e["code"], "ValidationException", "{body}");
            assert_eq!(e["status"], "422", "{body}");
            (
                e["meta"]["source_field"].as_str().unwrap().to_owned(),
                e["meta"]["rule"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    rules.sort();
    rules
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

/// Asserts an application timestamp: seconds and `+00:00`.
#[track_caller]
fn assert_app_timestamp(value: &Value) {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("a timestamp: {value}"));
    assert!(
        text.len() == 25
            && text.ends_with("+00:00")
            && chrono::DateTime::parse_from_rfc3339(text).is_ok(),
        "like 2022-09-15T17:33:34+00:00: {text}"
    );
}

both_backends!(application_routes_succeed);
async fn application_routes_succeed(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin();

    let mut body = profile("Ptero-User");
    body["external_id"] = json!("ext-7");
    body["password"] = json!("ptero-password");
    let created = app_create(&app, &admin, &body).await;
    created.assert_status(201);
    let created = created.json();
    let id = created["attributes"]["id"].as_i64().unwrap();
    let keys = sorted_keys(&created["attributes"]);
    assert_eq!(
        keys,
        [
            "2fa",
            "created_at",
            "email",
            "external_id",
            "first_name",
            "id",
            "language",
            "last_name",
            "root_admin",
            "updated_at",
            "username",
            "uuid"
        ]
    );
    assert_eq!(created["object"], "user");
    assert_eq!(created["attributes"]["username"], "ptero-user");
    assert_eq!(created["attributes"]["2fa"], false);
    assert_app_timestamp(&created["attributes"]["created_at"]);
    assert_app_timestamp(&created["attributes"]["updated_at"]);
    assert_eq!(
        created["meta"]["resource"],
        format!("{}/api/application/users/{id}", app.address)
    );

    let read = app_get(&app, &admin, id).await;
    read.assert_status(200);
    assert_eq!(read.json()["attributes"], created["attributes"]);
    let external = app
        .call(
            Method::GET,
            "/api/application/users/external/ext-7?include=servers",
            &admin,
        )
        .await;
    external.assert_status(200);
    assert_eq!(external.json()["attributes"]["id"], id);
    // Includes sit inside `attributes`, as Pterodactyl's serializer merges them.
    assert_eq!(
        external.json()["attributes"]["relationships"],
        json!({"servers": {"object": "list", "data": []}})
    );
    assert!(external.json().get("relationships").is_none());
    let plain = app_get(&app, &admin, id).await.json();
    assert!(plain["attributes"].get("relationships").is_none());
    let included = app
        .call(
            Method::GET,
            &format!("/api/application/users/{id}?include=other,servers"),
            &admin,
        )
        .await
        .json();
    assert_eq!(
        included["attributes"]["relationships"]["servers"],
        json!({"object": "list", "data": []})
    );
    let included_list = app_list(&app, &admin, "?include=servers").await.json();
    let items = included_list["data"].as_array().unwrap();
    assert!(items.len() >= 2, "the admin and the new user");
    for item in items {
        assert_eq!(
            item["attributes"]["relationships"],
            json!({"servers": {"object": "list", "data": []}})
        );
        assert!(item.get("relationships").is_none());
    }

    let listed = app_list(&app, &admin, "?filter[username]=PTERO").await;
    listed.assert_status(200);
    let listed = listed.json();
    assert_eq!(listed["object"], "list");
    assert_eq!(listed["data"][0]["attributes"]["id"], id);
    assert_eq!(
        listed["meta"]["pagination"],
        json!({"total": 1, "count": 1, "per_page": 50, "current_page": 1, "total_pages": 1, "links": {}})
    );

    let mut change = profile("Ptero-Renamed");
    change["root_admin"] = json!(true);
    change["password"] = json!("");
    let updated = app_update(&app, &admin, id, &change).await;
    updated.assert_status(200);
    let updated = updated.json();
    assert_eq!(updated["attributes"]["username"], "ptero-renamed");
    assert_eq!(updated["attributes"]["root_admin"], true);
    assert_eq!(updated["attributes"]["external_id"], "ext-7");
    // The empty password left the old one in place; the user is now an admin of this API.
    let user = Auth::basic("ptero-renamed", "ptero-password");
    app_get(&app, &user, id).await.assert_status(200);

    let deleted = app_delete(&app, &admin, id).await;
    deleted.assert_status(204);
    assert!(deleted.body.is_empty());
    assert_app_error(&app_get(&app, &admin, id).await, 404);
}

both_backends!(application_routes_fail_in_the_errors_envelope);
async fn application_routes_fail_in_the_errors_envelope(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin();
    let plain = app.make_user("plain", false).await;

    // 401: the Bearer challenge only.
    let response = app_list(&app, &Auth::None, "").await;
    assert_eq!(
        assert_app_error(&response, 401),
        ("AuthenticationException".into(), "Unauthenticated.".into())
    );
    assert_eq!(response.challenges(), "Bearer");
    assert_app_error(
        &app_list(&app, &Auth::bearer("rck_0123456789abcdef_bogus"), "").await,
        401,
    );

    // 403: non-admins, then keys without the route's scope.
    let (_, plain_key) = app
        .make_api_key(&plain.basic(), &[("users", "index")])
        .await;
    for auth in [plain.basic(), Auth::bearer(&plain_key)] {
        assert_eq!(
            assert_app_error(&app_list(&app, &auth, "").await, 403),
            ("AccessDeniedHttpException".into(), NOT_AN_ADMIN.into())
        );
    }
    let key = app.key_bearer(&admin, &[("users", "index")]).await;
    app_list(&app, &key, "").await.assert_status(200);
    for response in [
        app_get(&app, &key, plain.id).await,
        app_create(&app, &key, &profile("keyed")).await,
        app_update(&app, &key, plain.id, &profile("plain")).await,
        app_delete(&app, &key, plain.id).await,
    ] {
        assert_eq!(
            assert_app_error(&response, 403),
            (
                "AccessDeniedHttpException".into(),
                UNAUTHORIZED_ACTION.into()
            )
        );
    }

    // 404.
    for response in [
        app_get(&app, &admin, 999_999).await,
        app.call(Method::GET, "/api/application/users/abc", &admin)
            .await,
        app.call(Method::GET, "/api/application/users/external/none", &admin)
            .await,
        app_update(&app, &admin, 999_999, &profile("ghost")).await,
        app_delete(&app, &admin, 999_999).await,
    ] {
        assert_eq!(
            assert_app_error(&response, 404),
            ("NotFoundHttpException".into(), NOT_FOUND.into())
        );
    }

    // 422: one entry per failed rule.
    assert_eq!(
        assert_app_rules(&app_create(&app, &admin, &json!({})).await),
        pairs(&[
            ("email", "required"),
            ("first_name", "required"),
            ("last_name", "required"),
            ("username", "required"),
        ])
    );
    let mut bad = profile("PLAIN");
    bad["email"] = json!("not-an-address");
    bad["root_admin"] = json!("maybe");
    bad["first_name"] = json!(42);
    assert_eq!(
        assert_app_rules(&app_create(&app, &admin, &bad).await),
        pairs(&[
            ("email", "email"),
            ("first_name", "string"),
            ("root_admin", "boolean"),
        ]),
        "the rules of each field, before uniqueness"
    );
    let mut taken = profile("PLAIN");
    taken["email"] = json!("someone-else@example.com");
    assert_eq!(
        assert_app_rules(&app_create(&app, &admin, &taken).await),
        pairs(&[("username", "unique")])
    );
    let mut taken = profile("fresh");
    taken["email"] = json!("PLAIN@example.com");
    assert_eq!(
        assert_app_rules(&app_create(&app, &admin, &taken).await),
        pairs(&[("email", "unique")])
    );
    assert_eq!(
        assert_app_rules(&app_create(&app, &admin, &profile("-dash")).await),
        pairs(&[("username", "p_username")])
    );
    assert_eq!(
        assert_app_rules(&app_list(&app, &admin, "?per_page=0").await),
        pairs(&[("per_page", "min")])
    );

    // 400: unknown sort or filter, the last admin, malformed JSON.
    for query in ["?sort=username", "?filter[first_name]=x"] {
        assert_eq!(
            assert_app_error(&app_list(&app, &admin, query).await, 400).0,
            "BadRequestHttpException"
        );
    }
    let me = app_list(&app, &admin, &format!("?filter[username]={ADMIN_USERNAME}")).await;
    let admin_id = me.json()["data"][0]["attributes"]["id"].as_i64().unwrap();
    let mut demote = profile(ADMIN_USERNAME);
    demote["root_admin"] = json!(false);
    let last_admin = (
        "DisplayException".to_owned(),
        "Cannot disable or demote the last enabled admin.".to_owned(),
    );
    assert_eq!(
        assert_app_error(&app_update(&app, &admin, admin_id, &demote).await, 400),
        last_admin
    );
    assert_eq!(
        assert_app_error(&app_delete(&app, &admin, admin_id).await, 400),
        last_admin
    );
    let response = app
        .call_raw(
            Method::POST,
            "/api/application/users",
            &admin,
            "application/json",
            "{",
        )
        .await;
    let (code, detail) = assert_app_error(&response, 400);
    assert_eq!(code, "BadRequestHttpException");
    assert!(detail.starts_with("The JSON data passed in the request appears to be malformed: "));
    let response = app
        .call_raw(
            Method::POST,
            "/api/application/users",
            &admin,
            "text/plain",
            "{}",
        )
        .await;
    assert_eq!(
        assert_app_error(&response, 415).0,
        "UnsupportedMediaTypeHttpException"
    );
    let big = json!({"first_name": "x".repeat(70 * 1024)});
    let response = app_create(&app, &admin, &big).await;
    assert_eq!(assert_app_error(&response, 413).0, "PostTooLargeException");

    // Route and method come first.
    let response = app
        .call(Method::GET, "/api/application/servers", &Auth::None)
        .await;
    assert_eq!(
        assert_app_error(&response, 404),
        ("NotFoundHttpException".into(), NOT_FOUND.into())
    );
    let response = app
        .call(Method::PUT, "/api/application/users/1", &Auth::None)
        .await;
    assert_eq!(
        assert_app_error(&response, 405).0,
        "MethodNotAllowedHttpException"
    );
    assert_eq!(
        response.header("allow").as_deref(),
        Some("GET, PATCH, DELETE")
    );
}

// --- paging through 120 users ---------------------------------------------------------------

/// Follows `links.next` from `first` (a path and query) to the end, as the admin; returns
/// every item's attributes in the order seen and the number of pages.
async fn follow_pages(app: &TestApp, first: &str) -> (Vec<Value>, u64) {
    let mut url = format!("{}{first}", app.address);
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let response = app
            .send(
                app.client
                    .get(&url)
                    .basic_auth(ADMIN_USERNAME, Some(ADMIN_PASSWORD)),
            )
            .await;
        response.assert_status(200);
        let body = response.json();
        pages += 1;
        let pagination = &body["meta"]["pagination"];
        assert_eq!(pagination["current_page"], pages, "{url}");
        let data = body["data"].as_array().unwrap();
        assert_eq!(pagination["count"], data.len());
        seen.extend(data.iter().map(|item| item["attributes"].clone()));
        if pages > 1 {
            let previous = pagination["links"]["previous"].as_str().unwrap();
            assert!(previous.starts_with(&app.address), "absolute: {previous}");
        }
        match pagination["links"]["next"].as_str() {
            Some(next) => {
                assert!(next.starts_with(&app.address), "absolute: {next}");
                url = next.to_owned();
            }
            None => {
                assert_eq!(pagination["total_pages"], pages);
                return (seen, pages);
            }
        }
        assert!(pages < 1000, "links.next never ends");
    }
}

/// The v2 listing with a raw query, every match on one page: the database-side reference.
async fn v2_reference(app: &TestApp, query: &str) -> Vec<Value> {
    let response = app
        .list_users(&app.admin(), &format!("limit=1000&{query}"))
        .await;
    response.assert_status(200);
    let body = response.json();
    assert_eq!(body["count"], body["users"].as_array().unwrap().len());
    body["users"].as_array().unwrap().clone()
}

fn ids(list: &[Value]) -> Vec<i64> {
    list.iter().map(|u| u["id"].as_i64().unwrap()).collect()
}

both_backends!(paging_through_120_users_sees_each_once_and_agrees_with_the_database);
async fn paging_through_120_users_sees_each_once_and_agrees_with_the_database(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin();
    for n in 0..120 {
        // Every 10th address holds a `_`, every 15th a `%`: the filters must match them
        // literally.
        let local = match n {
            n if n % 10 == 0 => format!("pager_{n:03}"),
            n if n % 15 == 0 => format!("pager%{n:03}"),
            n => format!("pager.{n:03}"),
        };
        let mut body = profile(&format!("Pager-{n:03}"));
        body["email"] = json!(format!("{local}@example.com"));
        app_create(&app, &admin, &body).await.assert_status(201);
    }
    let all = v2_reference(&app, "").await;
    assert_eq!(all.len(), 121);

    // Default order, 25 a page: five pages, every user exactly once, in id order.
    let (seen, pages) = follow_pages(&app, "/api/application/users?per_page=25").await;
    assert_eq!(pages, 5);
    assert_eq!(ids(&seen), ids(&all));
    assert_eq!(ids(&seen).into_iter().collect::<BTreeSet<_>>().len(), 121);

    // -id, with other parameters kept in every link.
    let (seen, _) = follow_pages(
        &app,
        "/api/application/users?sort=-id&include=servers&per_page=17",
    )
    .await;
    assert_eq!(
        ids(&seen),
        ids(&v2_reference(&app, "sort_by=id:desc").await)
    );

    // uuid: the order of the uuids themselves.
    let (seen, _) = follow_pages(&app, "/api/application/users?sort=uuid&per_page=40").await;
    let mut by_uuid = all.clone();
    by_uuid.sort_by(|a, b| a["uuid"].as_str().cmp(&b["uuid"].as_str()));
    assert_eq!(ids(&seen), ids(&by_uuid));
    let (seen, _) = follow_pages(&app, "/api/application/users?sort=-uuid&per_page=40").await;
    by_uuid.reverse();
    assert_eq!(ids(&seen), ids(&by_uuid));

    // Filters: case-insensitive substrings with `%` and `_` literal, as the v2 LIKE with
    // escapes finds them.
    for (filter, v2_query, expected) in [
        ("filter[username]=PAGER-01", "username=~%25pager-01%25", 10),
        ("filter[email]=_", "email=~%25%5C_%25", 12),
        ("filter[email]=%25", "email=~%25%5C%25%25", 4),
        ("filter[email]=R.11", "email=~%25r.11%25", 9),
        (
            "filter[username]=pager&filter[email]=_0",
            "username=~%25pager%25&email=~%25%5C_0%25",
            10,
        ),
    ] {
        let reference = v2_reference(&app, v2_query).await;
        assert_eq!(reference.len(), expected, "{v2_query}");
        let (seen, _) = follow_pages(
            &app,
            &format!("/api/application/users?{filter}&per_page=4&sort=-id"),
        )
        .await;
        let mut expected_ids = ids(&reference);
        expected_ids.reverse();
        assert_eq!(ids(&seen), expected_ids, "{filter}");
    }
}

// --- across families --------------------------------------------------------------------------

/// The three families, by what they call things.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    V2,
    V1,
    Application,
}

/// What a family reports about a user: `(username, admin)`; `None` when it answers 404.
async fn read_through(
    app: &TestApp,
    family: Family,
    username: &str,
    id: i64,
) -> Option<(String, bool)> {
    let admin = app.admin();
    let response = match family {
        Family::V2 => app.get_user(&admin, username).await,
        Family::V1 => v1_get(app, &admin, username).await,
        Family::Application => app_get(app, &admin, id).await,
    };
    match response.status.as_u16() {
        404 => None,
        200 => {
            let body = response.json();
            let (name, admin) = match family {
                Family::V2 => (&body["username"], &body["is_admin"]),
                Family::V1 => (&body["username"], &body["admin"]),
                Family::Application => (
                    &body["attributes"]["username"],
                    &body["attributes"]["root_admin"],
                ),
            };
            Some((name.as_str().unwrap().to_owned(), admin.as_bool().unwrap()))
        }
        other => panic!("{family:?} read answered {other}: {}", response.text()),
    }
}

/// Creates `username` through `family`; returns its id.
async fn create_through(app: &TestApp, family: Family, username: &str, password: &str) -> i64 {
    let admin = app.admin();
    match family {
        Family::V2 => {
            let response = app
                .create_user(&admin, &json!({"username": username, "password": password}))
                .await;
            response.assert_status(201);
            response.json()["id"].as_i64().unwrap()
        }
        Family::V1 => {
            v1_create(app, &admin, username, password)
                .await
                .assert_status(201);
            let response = app.get_user(&admin, username).await;
            response.assert_status(200);
            response.json()["id"].as_i64().unwrap()
        }
        Family::Application => {
            let mut body = profile(username);
            body["password"] = json!(password);
            let response = app_create(app, &admin, &body).await;
            response.assert_status(201);
            response.json()["attributes"]["id"].as_i64().unwrap()
        }
    }
}

both_backends!(a_user_made_by_one_family_is_read_updated_and_deleted_by_the_others);
async fn a_user_made_by_one_family_is_read_updated_and_deleted_by_the_others(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin();
    let families = [Family::V2, Family::V1, Family::Application];
    for maker in families {
        for other in families.into_iter().filter(|f| *f != maker) {
            let name = format!("{maker:?}-By-{other:?}");
            let id = create_through(&app, maker, &name, "first-password").await;
            // Made by the application family: stored in lower case.
            let stored = if maker == Family::Application {
                name.to_lowercase()
            } else {
                name.clone()
            };
            for reader in families {
                assert_eq!(
                    read_through(&app, reader, &name, id).await,
                    Some((stored.clone(), false)),
                    "{name} read through {reader:?}"
                );
            }

            // Updated through the other family, in that family's way.
            let (stored, is_admin, password) = match other {
                Family::V2 => {
                    app.update_user(
                        &admin,
                        &id.to_string(),
                        &json!({"is_admin": true, "password": "second-password"}),
                    )
                    .await
                    .assert_status(200);
                    (stored, true, "second-password")
                }
                Family::V1 => {
                    v1_change_password(&app, &admin, &name.to_uppercase(), None, "second-password")
                        .await
                        .assert_status(200);
                    (stored, false, "second-password")
                }
                Family::Application => {
                    let mut body = profile(&name);
                    body["root_admin"] = json!(true);
                    app_update(&app, &admin, id, &body).await.assert_status(200);
                    (name.to_lowercase(), true, "first-password")
                }
            };
            for reader in families {
                assert_eq!(
                    read_through(&app, reader, &name, id).await,
                    Some((stored.clone(), is_admin)),
                    "{name} read through {reader:?} after an update through {other:?}"
                );
            }
            app.get_me(&Auth::basic(&name, password))
                .await
                .assert_status(200);

            // Deleted through the other family: gone from all three.
            let deleted = match other {
                Family::V2 => app.delete_user(&admin, &id.to_string()).await,
                Family::V1 => v1_delete(&app, &admin, &name).await,
                Family::Application => app_delete(&app, &admin, id).await,
            };
            deleted.assert_status(204);
            for reader in families {
                assert_eq!(
                    read_through(&app, reader, &name, id).await,
                    None,
                    "{name} deleted through {other:?}, read through {reader:?}"
                );
            }
        }
    }
}
