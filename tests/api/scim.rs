//! The SCIM 2.0 family (`/scim/v2`, RFC 7643/7644) on the real server: each PATCH form that
//! Microsoft Entra ID and Okta send, each filter operator against a set of users of known
//! attributes, paging, sorting and projection edges, uniqueness and the last-admin rule across
//! families, users made by SCIM kept through v2, v1 and the application family (and the other
//! way round), and the SCIM error envelope for credentials, scopes, discovery, routes, methods
//! and bodies.

use crate::families::assert_v1_error;
use crate::helpers::{
    ADMIN_PASSWORD, ADMIN_USERNAME, Auth, Backend, TestApp, TestResponse, assert_field_error,
    assert_no_password, both_backends, spawn_app, spawn_app_with,
};
use crate::v1::{v1_change_password, v1_create, v1_delete, v1_get};
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use reqwest::Method;
use rollcall_domain::contract::builders::new_user;
use rollcall_domain::ports::UserStore;
use rollcall_storage_diesel::PoolOptions;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::Duration;

const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
const PATCH_OP_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const LIST_RESPONSE_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const SEARCH_REQUEST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
const LAST_ADMIN: &str = "Cannot disable or demote the last enabled admin.";
const USERS: &str = "/scim/v2/Users";

// --- requests -------------------------------------------------------------------------------

fn user_path(id: &str) -> String {
    format!("{USERS}/{id}")
}

/// A query-string value, percent-encoded.
fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// An admin's API key holding every scope the Users routes declare, as an IdP is given.
async fn provisioning_key(app: &TestApp) -> Auth {
    app.key_bearer(
        &app.admin(),
        &[
            ("users", "index"),
            ("users", "show"),
            ("users", "create"),
            ("users", "update"),
            ("users", "destroy"),
        ],
    )
    .await
}

/// `POST /scim/v2/Users`, asserting 201 and a well-formed resource; returns the resource.
async fn scim_create(app: &TestApp, auth: &Auth, body: Value) -> Value {
    let response = app.scim(Method::POST, USERS, auth, Some(body)).await;
    response.assert_status(201);
    let created = response.json();
    assert_scim_user(app, &created);
    created
}

/// [`scim_create`] of a bare user; returns its id.
async fn scim_user(app: &TestApp, user_name: &str) -> String {
    scim_create(
        app,
        &app.admin(),
        json!({"schemas": [USER_SCHEMA], "userName": user_name}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn scim_get(app: &TestApp, auth: &Auth, id: &str) -> TestResponse {
    app.scim(Method::GET, &user_path(id), auth, None).await
}

/// `GET /scim/v2/Users/{id}` as the admin, asserting 200; returns the resource.
async fn scim_read(app: &TestApp, id: &str) -> Value {
    let response = scim_get(app, &app.admin(), id).await;
    response.assert_status(200);
    let user = response.json();
    assert_scim_user(app, &user);
    user
}

async fn scim_put(app: &TestApp, auth: &Auth, id: &str, body: Value) -> TestResponse {
    app.scim(Method::PUT, &user_path(id), auth, Some(body))
        .await
}

/// `PATCH /scim/v2/Users/{id}` with these operations in a `PatchOp` body.
async fn scim_patch(app: &TestApp, auth: &Auth, id: &str, operations: Value) -> TestResponse {
    app.scim(
        Method::PATCH,
        &user_path(id),
        auth,
        Some(json!({"schemas": [PATCH_OP_SCHEMA], "Operations": operations})),
    )
    .await
}

async fn scim_delete(app: &TestApp, auth: &Auth, id: &str) -> TestResponse {
    app.scim(Method::DELETE, &user_path(id), auth, None).await
}

/// `GET /scim/v2/Users?<query>` as the admin (`query` already encoded).
async fn scim_list(app: &TestApp, query: &str) -> TestResponse {
    app.scim(Method::GET, &format!("{USERS}?{query}"), &app.admin(), None)
        .await
}

/// `GET /scim/v2/Users?filter=<filter>` as the admin.
async fn scim_filter(app: &TestApp, filter: &str) -> TestResponse {
    scim_list(app, &format!("filter={}", encode(filter))).await
}

/// `GET /api/v2/users/{ref}` as the admin, asserting 200; returns the v2 user.
async fn v2_user(app: &TestApp, user_ref: &str) -> Value {
    let response = app.get_user(&app.admin(), user_ref).await;
    response.assert_status(200);
    response.json()
}

/// `GET /api/application/users{rest}` as the admin.
async fn application_get(app: &TestApp, rest: &str) -> TestResponse {
    app.call(
        Method::GET,
        &format!("/api/application/users{rest}"),
        &app.admin(),
    )
    .await
}

// --- assertions -----------------------------------------------------------------------------

#[track_caller]
fn assert_scim_media_type(response: &TestResponse) {
    let content_type = response.header("content-type").unwrap_or_default();
    assert!(
        content_type.starts_with("application/scim+json"),
        "content type {content_type:?}; body: {}",
        response.text()
    );
}

/// Asserts a SCIM error (RFC 7644 §3.12): the status, `application/scim+json`, and a body of
/// `schemas`, `status` (the code as a string), a non-empty `detail` and at most a `scimType`.
/// Returns the body.
#[track_caller]
fn assert_scim_error(response: &TestResponse, status: u16) -> Value {
    response.assert_status(status);
    assert_scim_media_type(response);
    let body = response.json();
    let object = body
        .as_object()
        .unwrap_or_else(|| panic!("a SCIM error is an object: {body}"));
    for key in object.keys() {
        assert!(
            matches!(key.as_str(), "schemas" | "status" | "scimType" | "detail"),
            "unexpected member {key:?}: {body}"
        );
    }
    assert_eq!(body["schemas"], json!([ERROR_SCHEMA]), "{body}");
    assert_eq!(body["status"], status.to_string(), "{body}");
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "a detail: {body}"
    );
    body
}

/// Asserts a SCIM error with this `scimType`.
#[track_caller]
fn assert_scim_type(response: &TestResponse, status: u16, scim_type: &str) -> Value {
    let body = assert_scim_error(response, status);
    assert_eq!(body["scimType"], scim_type, "{body}");
    body
}

/// Asserts the last-admin refusal, exactly.
#[track_caller]
fn assert_last_admin(response: &TestResponse) {
    assert_scim_error(response, 400);
    assert_eq!(
        response.json(),
        json!({"schemas": [ERROR_SCHEMA], "status": "400", "detail": LAST_ADMIN})
    );
}

/// Asserts a User resource: its schema, a UUID v4 `id`, `meta` pointing at itself, and no
/// password anywhere.
#[track_caller]
fn assert_scim_user(app: &TestApp, user: &Value) {
    assert_eq!(user["schemas"], json!([USER_SCHEMA]), "{user}");
    let id = user["id"]
        .as_str()
        .unwrap_or_else(|| panic!("an id: {user}"));
    assert!(
        uuid::Uuid::parse_str(id).is_ok_and(|u| u.get_version_num() == 4),
        "the id is a UUID v4: {user}"
    );
    assert!(user["userName"].is_string(), "{user}");
    assert!(user["active"].is_boolean(), "{user}");
    let meta = &user["meta"];
    assert_eq!(meta["resourceType"], "User", "{user}");
    assert_eq!(
        meta["location"],
        format!("{}/scim/v2/Users/{id}", app.address),
        "{user}"
    );
    assert!(
        meta["version"]
            .as_str()
            .is_some_and(|v| v.starts_with("W/\"") && v.ends_with('"')),
        "a weak version: {user}"
    );
    for instant in ["created", "lastModified"] {
        assert!(
            meta[instant]
                .as_str()
                .is_some_and(|t| t.ends_with('Z') && DateTime::parse_from_rfc3339(t).is_ok()),
            "meta.{instant}: {user}"
        );
    }
    assert!(user.get("password").is_none(), "{user}");
    assert_no_password(user);
}

/// Asserts a ListResponse: 200, `application/scim+json`, its schema, and `itemsPerPage`
/// equal to the number of `Resources` (0 when absent). Returns the body.
#[track_caller]
fn assert_list(response: &TestResponse) -> Value {
    response.assert_status(200);
    assert_scim_media_type(response);
    let body = response.json();
    assert_eq!(body["schemas"], json!([LIST_RESPONSE_SCHEMA]), "{body}");
    assert!(body["totalResults"].is_u64(), "{body}");
    assert!(body["startIndex"].is_u64(), "{body}");
    let shown = body.get("Resources").map_or(0, |r| {
        r.as_array()
            .unwrap_or_else(|| panic!("Resources is a list: {body}"))
            .len()
    });
    assert_eq!(body["itemsPerPage"], shown, "{body}");
    assert_no_password(&body);
    body
}

/// The `userName`s of a list's resources, in order.
fn page_names(list: &Value) -> Vec<String> {
    list.get("Resources")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|u| u["userName"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

/// Asserts that `filter` selects exactly `expected`: `totalResults` and the set of names.
async fn assert_selects(app: &TestApp, filter: &str, expected: &[&str]) {
    let list = assert_list(&scim_filter(app, filter).await);
    let names = page_names(&list);
    assert_eq!(
        names.iter().cloned().collect::<BTreeSet<_>>(),
        set(expected),
        "filter {filter}: {list}"
    );
    assert_eq!(names.len(), expected.len(), "filter {filter}: {list}");
    assert_eq!(list["totalResults"], expected.len(), "filter {filter}");
    for resource in list["Resources"].as_array().unwrap() {
        assert_scim_user(app, resource);
    }
}

/// A resource without `meta`, to compare states across a change of `lastModified`.
fn without_meta(user: &Value) -> Value {
    let mut user = user.clone();
    user.as_object_mut().unwrap().remove("meta");
    user
}

// --- PATCH as identity providers send it ----------------------------------------------------

both_backends!(entra_replace_active_string_false_disables_and_ends_sessions);
/// Entra ID deprovisions with `"value": "False"` (a string); the user can then not sign in by
/// any means, their session is gone for good, and their key works again once re-enabled.
async fn entra_replace_active_string_false_disables_and_ends_sessions(backend: Backend) {
    let app = spawn_app(backend).await;
    let idp = provisioning_key(&app).await;
    let created = scim_create(
        &app,
        &app.admin(),
        json!({"schemas": [USER_SCHEMA], "userName": "ent-user", "password": "ent-password-1"}),
    )
    .await;
    assert_eq!(created["active"], true);
    let id = created["id"].as_str().unwrap().to_owned();
    let basic = Auth::basic("ent-user", "ent-password-1");
    let session = Auth::bearer(&app.token("ent-user", "ent-password-1").await);
    let own_key = app.key_bearer(&basic, &[("users", "show")]).await;
    for auth in [&basic, &session, &own_key] {
        app.get_me(auth).await.assert_status(200);
    }

    let response = scim_patch(
        &app,
        &idp,
        &id,
        json!([{"op": "Replace", "path": "active", "value": "False"}]),
    )
    .await;
    response.assert_status(200);
    assert_scim_media_type(&response);
    let patched = response.json();
    assert_scim_user(&app, &patched);
    assert_eq!(patched["active"], json!(false), "a boolean: {patched}");
    assert_eq!(patched["userName"], "ent-user");
    assert_eq!(scim_read(&app, &id).await["active"], json!(false));
    assert_eq!(v2_user(&app, "ent-user").await["enabled"], false);

    for auth in [&basic, &session, &own_key] {
        let refused = app.get_me(auth).await;
        refused.assert_status(401);
        assert!(!refused.challenges().is_empty());
    }
    app.post_token(&[("username", "ent-user"), ("password", "ent-password-1")])
        .await
        .assert_status(401);

    // Re-enabled ("True"): the password and the key work again, the session stays ended.
    let response = scim_patch(
        &app,
        &idp,
        &id,
        json!([{"op": "Replace", "path": "active", "value": "True"}]),
    )
    .await;
    response.assert_status(200);
    assert_eq!(response.json()["active"], json!(true));
    app.get_me(&basic).await.assert_status(200);
    app.get_me(&own_key).await.assert_status(200);
    app.get_me(&session).await.assert_status(401);
}

both_backends!(entra_add_work_email_by_value_filter);
/// `emails[type eq "work"].value` matching no element (types are not stored) builds the
/// work address, which becomes the user's e-mail; the old address is free again.
async fn entra_add_work_email_by_value_filter(backend: Backend) {
    let app = spawn_app(backend).await;
    let idp = provisioning_key(&app).await;
    let created = scim_create(
        &app,
        &idp,
        json!({"schemas": [USER_SCHEMA], "userName": "mail-user",
               "emails": [{"value": "old@x.org", "type": "work", "primary": true}]}),
    )
    .await;
    assert_eq!(created["emails"], json!([{"value": "old@x.org"}]));
    let id = created["id"].as_str().unwrap().to_owned();

    let response = scim_patch(
        &app,
        &idp,
        &id,
        json!([{"op": "Add", "path": "emails[type eq \"work\"].value", "value": "new@x.org"}]),
    )
    .await;
    response.assert_status(200);
    assert_eq!(response.json()["emails"], json!([{"value": "new@x.org"}]));
    assert_eq!(
        scim_read(&app, &id).await["emails"],
        json!([{"value": "new@x.org"}])
    );
    assert_eq!(v2_user(&app, "mail-user").await["email"], "new@x.org");
    assert_selects(&app, "emails eq \"new@x.org\"", &["mail-user"]).await;
    assert_selects(&app, "emails eq \"old@x.org\"", &[]).await;

    // The new address is taken (case-insensitively), the old one free.
    let taken = app
        .scim(
            Method::POST,
            USERS,
            &idp,
            Some(json!({"userName": "mail-two", "emails": [{"value": "NEW@x.org"}]})),
        )
        .await;
    assert_scim_type(&taken, 409, "uniqueness");
    scim_create(
        &app,
        &idp,
        json!({"userName": "mail-three", "emails": [{"value": "old@x.org"}]}),
    )
    .await;
}

both_backends!(entra_replace_family_name);
async fn entra_replace_family_name(backend: Backend) {
    let app = spawn_app(backend).await;
    let idp = provisioning_key(&app).await;
    let created = scim_create(
        &app,
        &idp,
        json!({"userName": "name-user", "name": {"givenName": "Ann", "familyName": "Smith"}}),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();

    let response = scim_patch(
        &app,
        &idp,
        &id,
        json!([{"op": "Replace", "path": "name.familyName", "value": "Lee"}]),
    )
    .await;
    response.assert_status(200);
    let patched = response.json();
    assert_eq!(
        patched["name"],
        json!({"givenName": "Ann", "familyName": "Lee"})
    );
    assert_eq!(patched["userName"], "name-user");
    assert_eq!(scim_read(&app, &id).await, patched);

    let v2 = v2_user(&app, "name-user").await;
    assert_eq!(
        (&v2["first_name"], &v2["last_name"]),
        (&json!("Ann"), &json!("Lee"))
    );
    let application = application_get(&app, &format!("/{}", v2["id"])).await;
    application.assert_status(200);
    let attributes = &application.json()["attributes"];
    assert_eq!(attributes["last_name"], "Lee");
    assert_eq!(attributes["first_name"], "Ann");
    assert_eq!(attributes["uuid"], id.as_str());
}

both_backends!(entra_add_external_id);
async fn entra_add_external_id(backend: Backend) {
    let app = spawn_app(backend).await;
    let idp = provisioning_key(&app).await;
    let created = scim_create(&app, &idp, json!({"userName": "ext-user"})).await;
    assert!(created.get("externalId").is_none(), "{created}");
    let id = created["id"].as_str().unwrap().to_owned();

    let response = scim_patch(
        &app,
        &idp,
        &id,
        json!([{"op": "Add", "path": "externalId", "value": "e-1"}]),
    )
    .await;
    response.assert_status(200);
    assert_eq!(response.json()["externalId"], "e-1");
    assert_eq!(scim_read(&app, &id).await["externalId"], "e-1");
    assert_eq!(v2_user(&app, "ext-user").await["external_id"], "e-1");
    let by_external = application_get(&app, "/external/e-1").await;
    by_external.assert_status(200);
    assert_eq!(by_external.json()["attributes"]["uuid"], id.as_str());
    assert_selects(&app, "externalId eq \"e-1\"", &["ext-user"]).await;
}

both_backends!(entra_remove_external_id);
async fn entra_remove_external_id(backend: Backend) {
    let app = spawn_app(backend).await;
    let idp = provisioning_key(&app).await;
    let created = scim_create(
        &app,
        &idp,
        json!({"userName": "unext-user", "externalId": "e-9", "name": {"givenName": "Kept"}}),
    )
    .await;
    assert_eq!(created["externalId"], "e-9");
    let id = created["id"].as_str().unwrap().to_owned();

    let response = scim_patch(
        &app,
        &idp,
        &id,
        json!([{"op": "Remove", "path": "externalId"}]),
    )
    .await;
    response.assert_status(200);
    let patched = response.json();
    assert!(patched.get("externalId").is_none(), "{patched}");
    assert_eq!(patched["name"], json!({"givenName": "Kept"}));
    assert!(scim_read(&app, &id).await.get("externalId").is_none());
    assert!(v2_user(&app, "unext-user").await["external_id"].is_null());
    let gone = application_get(&app, "/external/e-9").await;
    gone.assert_status(404);
    // The identifier is free for another user.
    scim_create(
        &app,
        &idp,
        json!({"userName": "unext-two", "externalId": "e-9"}),
    )
    .await;
}

both_backends!(entra_replace_without_path_sets_dotted_members);
/// Entra ID's no-path replace: each member is an operation, `name.givenName` a sub-attribute;
/// what the value does not name stays.
async fn entra_replace_without_path_sets_dotted_members(backend: Backend) {
    let app = spawn_app(backend).await;
    let idp = provisioning_key(&app).await;
    let created = scim_create(
        &app,
        &idp,
        json!({"userName": "old-name", "externalId": "np-1",
               "name": {"givenName": "Old", "familyName": "Keep"},
               "emails": [{"value": "keep@x.org"}]}),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();

    let response = scim_patch(
        &app,
        &idp,
        &id,
        json!([{"op": "replace",
                "value": {"active": false, "userName": "new", "name.givenName": "G"}}]),
    )
    .await;
    response.assert_status(200);
    let patched = response.json();
    assert_eq!(patched["userName"], "new");
    assert_eq!(patched["active"], json!(false));
    assert_eq!(
        patched["name"],
        json!({"givenName": "G", "familyName": "Keep"})
    );
    assert_eq!(patched["emails"], json!([{"value": "keep@x.org"}]));
    assert_eq!(patched["externalId"], "np-1");
    assert_eq!(patched["id"], id.as_str());
    assert_eq!(scim_read(&app, &id).await, patched);

    app.get_user(&app.admin(), "old-name")
        .await
        .assert_status(404);
    let v2 = v2_user(&app, "new").await;
    assert_eq!(v2["enabled"], false);
    assert_eq!(v2["first_name"], "G");
    assert_eq!(v2["last_name"], "Keep");
    assert_eq!(v2["uuid"], id.as_str());
}

both_backends!(okta_replace_active_false_keeps_everything_else);
async fn okta_replace_active_false_keeps_everything_else(backend: Backend) {
    let app = spawn_app(backend).await;
    let idp = provisioning_key(&app).await;
    let created = scim_create(
        &app,
        &idp,
        json!({"schemas": [USER_SCHEMA], "userName": "okta.user", "externalId": "00u1",
               "name": {"givenName": "Okta", "familyName": "User"},
               "emails": [{"value": "okta.user@x.org", "primary": true, "type": "work"}],
               "preferredLanguage": "fr", "active": true}),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();

    let response = scim_patch(
        &app,
        &idp,
        &id,
        json!([{"op": "replace", "value": {"active": false}}]),
    )
    .await;
    response.assert_status(200);
    let patched = response.json();
    let mut expected = without_meta(&created);
    expected["active"] = json!(false);
    assert_eq!(without_meta(&patched), expected);
    assert_eq!(scim_read(&app, &id).await, patched);
    assert_eq!(v2_user(&app, "okta.user").await["enabled"], false);

    let response = scim_patch(
        &app,
        &idp,
        &id,
        json!([{"op": "replace", "value": {"active": true}}]),
    )
    .await;
    response.assert_status(200);
    assert_eq!(without_meta(&response.json()), without_meta(&created));
}

both_backends!(patch_refusals_carry_their_scim_type_and_change_nothing);
async fn patch_refusals_carry_their_scim_type_and_change_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let idp = provisioning_key(&app).await;
    let created = scim_create(
        &app,
        &idp,
        json!({"userName": "refused", "externalId": "r-1", "name": {"familyName": "Same"}}),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let set_external = json!({"op": "replace", "path": "externalId", "value": "changed"});

    // (operations, scimType, a word the detail names)
    let cases = [
        (
            json!([{"op": "replace", "path": "favoriteColor", "value": "red"}]),
            "invalidPath",
            "favoriteColor",
        ),
        (
            json!([{"op": "replace", "path": "name.nickname", "value": "x"}]),
            "invalidPath",
            "nickname",
        ),
        (
            json!([{"op": "replace", "path": "emails[value eq \"x\"", "value": "y"}]),
            "invalidPath",
            "path",
        ),
        (
            json!([{"op": "replace", "path": "id", "value": "00000000-0000-4000-8000-000000000000"}]),
            "mutability",
            "id",
        ),
        (
            json!([{"op": "replace", "path": "meta.created", "value": "2000-01-01T00:00:00Z"}]),
            "mutability",
            "meta",
        ),
        (
            json!([{"op": "remove", "path": "meta"}]),
            "mutability",
            "meta",
        ),
        (json!([{"op": "remove"}]), "noTarget", "path"),
        (
            json!([{"op": "jump", "path": "externalId", "value": "x"}]),
            "invalidSyntax",
            "op",
        ),
        (
            json!([{"op": "replace", "path": "externalId"}]),
            "invalidSyntax",
            "value",
        ),
        (json!([]), "invalidSyntax", "Operations"),
        (
            Value::Array(vec![set_external.clone(); 65]),
            "tooMany",
            "64",
        ),
    ];
    for (operations, scim_type, named) in cases {
        let response = scim_patch(&app, &idp, &id, operations.clone()).await;
        let body = assert_scim_type(&response, 400, scim_type);
        assert!(
            body["detail"].as_str().unwrap().contains(named),
            "{operations}: {body}"
        );
    }

    // A body that does not declare PatchOp, or declares another schema.
    for body in [
        json!({"Operations": [set_external]}),
        json!({"schemas": [USER_SCHEMA], "Operations": [set_external]}),
    ] {
        let response = app
            .scim(Method::PATCH, &user_path(&id), &idp, Some(body))
            .await;
        assert_scim_type(&response, 400, "invalidSyntax");
    }
    assert_eq!(scim_read(&app, &id).await, created, "nothing changed");

    // 64 operations are allowed; the last one wins.
    let mut operations = vec![set_external; 63];
    operations.push(json!({"op": "replace", "path": "externalId", "value": "last"}));
    let response = scim_patch(&app, &idp, &id, Value::Array(operations)).await;
    response.assert_status(200);
    assert_eq!(response.json()["externalId"], "last");
}

both_backends!(a_patch_whose_second_operation_fails_changes_nothing);
async fn a_patch_whose_second_operation_fails_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let idp = provisioning_key(&app).await;
    let created = scim_create(
        &app,
        &idp,
        json!({"userName": "aon-one", "externalId": "aon-1", "name": {"familyName": "Before"}}),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    scim_user(&app, "aon-two").await;

    // Refused by the PATCH grammar.
    let response = scim_patch(
        &app,
        &idp,
        &id,
        json!([
            {"op": "replace", "path": "name.familyName", "value": "After"},
            {"op": "replace", "path": "id", "value": "x"},
        ]),
    )
    .await;
    assert_scim_type(&response, 400, "mutability");
    assert_eq!(scim_read(&app, &id).await, created);

    // Refused by the reader (a value that is not a boolean).
    let response = scim_patch(
        &app,
        &idp,
        &id,
        json!([
            {"op": "replace", "path": "externalId", "value": "aon-new"},
            {"op": "replace", "path": "active", "value": "maybe"},
        ]),
    )
    .await;
    assert_scim_type(&response, 400, "invalidValue");
    assert_eq!(scim_read(&app, &id).await, created);

    // Refused by the store (the userName of another user, in another case).
    let response = scim_patch(
        &app,
        &idp,
        &id,
        json!([
            {"op": "replace", "path": "externalId", "value": "aon-new"},
            {"op": "replace", "path": "userName", "value": "AON-TWO"},
        ]),
    )
    .await;
    assert_scim_type(&response, 409, "uniqueness");
    assert_eq!(scim_read(&app, &id).await, created);
    assert_selects(&app, "externalId eq \"aon-new\"", &[]).await;
    let v2 = v2_user(&app, "aon-one").await;
    assert_eq!(
        (&v2["external_id"], &v2["last_name"]),
        (&json!("aon-1"), &json!("Before"))
    );
}

both_backends!(removing_a_required_attribute_is_refused);
/// `userName` is required (the published schema says so) and `active` always has a value:
/// a PATCH that removes either is incompatible with the schema (RFC 7644 §3.5.2) and must be
/// refused, not answered 200 with the attribute silently kept.
async fn removing_a_required_attribute_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let idp = provisioning_key(&app).await;
    let created = scim_create(&app, &idp, json!({"userName": "required"})).await;
    let id = created["id"].as_str().unwrap().to_owned();
    for operation in [
        json!({"op": "remove", "path": "userName"}),
        json!({"op": "replace", "path": "userName", "value": null}),
        json!({"op": "replace", "value": {"userName": null}}),
        json!({"op": "remove", "path": "active"}),
        json!({"op": "remove", "path": "preferredLanguage"}),
        json!({"op": "replace", "path": "active", "value": null}),
    ] {
        let response = scim_patch(&app, &idp, &id, json!([operation])).await;
        let body = assert_scim_type(&response, 400, "invalidValue");
        assert!(
            body["detail"]
                .as_str()
                .is_some_and(|d| d.contains("is required: it can be replaced but not removed")),
            "{operation}: {body}"
        );
    }
    // A PUT states the whole user: without userName it is refused as blank.
    let response = scim_put(&app, &idp, &id, json!({"name": {"givenName": "G"}})).await;
    let body = assert_scim_type(&response, 400, "invalidValue");
    assert_eq!(body["detail"], "userName can't be blank.");
    assert_eq!(scim_read(&app, &id).await, created);
}

both_backends!(patching_locale_sets_the_language_as_posting_it_does);
/// `locale` is read as the language on POST and PUT (when `preferredLanguage` is absent) and
/// filters as the language; a PATCH of `locale` must not be answered 200 while nothing
/// changes.
async fn patching_locale_sets_the_language_as_posting_it_does(backend: Backend) {
    let app = spawn_app(backend).await;
    let idp = provisioning_key(&app).await;
    let created = scim_create(&app, &idp, json!({"userName": "loc-user", "locale": "fr"})).await;
    assert_eq!(created["preferredLanguage"], "fr");
    assert_selects(&app, "locale eq \"fr\"", &["loc-user"]).await;
    let id = created["id"].as_str().unwrap().to_owned();

    let response = scim_patch(
        &app,
        &idp,
        &id,
        json!([{"op": "replace", "path": "locale", "value": "de"}]),
    )
    .await;
    response.assert_status(200);
    assert_eq!(
        response.json()["preferredLanguage"],
        "de",
        "{}",
        response.text()
    );
    assert_eq!(v2_user(&app, "loc-user").await["language"], "de");
}

both_backends!(concurrent_disables_of_the_last_two_admins_do_not_both_succeed);
async fn concurrent_disables_of_the_last_two_admins_do_not_both_succeed(backend: Backend) {
    let app = spawn_app(backend).await;
    let second = app.make_user("second-admin", true).await;
    let admins = [
        (
            app.admin(),
            v2_user(&app, ADMIN_USERNAME).await["uuid"].clone(),
        ),
        (
            second.basic(),
            v2_user(&app, "second-admin").await["uuid"].clone(),
        ),
    ];
    let disable = json!([{"op": "replace", "path": "active", "value": false}]);
    for round in 0..5 {
        // Each admin disables themselves, so neither request's credentials depend on the other.
        let (first, other) = tokio::join!(
            scim_patch(
                &app,
                &admins[0].0,
                admins[0].1.as_str().unwrap(),
                disable.clone()
            ),
            scim_patch(
                &app,
                &admins[1].0,
                admins[1].1.as_str().unwrap(),
                disable.clone()
            ),
        );
        let statuses = [first.status.as_u16(), other.status.as_u16()];
        let (done, refused) = match statuses {
            [200, 400] => (0, &other),
            [400, 200] => (1, &first),
            _ => panic!(
                "round {round}: exactly one may succeed: {statuses:?} {} {}",
                first.text(),
                other.text()
            ),
        };
        assert_last_admin(refused);
        let remaining = &admins[1 - done].0;
        let enabled = app
            .list_users(remaining, "is_admin=true&enabled=true")
            .await;
        enabled.assert_status(200);
        assert_eq!(enabled.json()["count"], 1, "round {round}");
        let username = if done == 0 {
            ADMIN_USERNAME
        } else {
            "second-admin"
        };
        app.update_user(remaining, username, &json!({"enabled": true}))
            .await
            .assert_status(200);
    }
}

// --- filters --------------------------------------------------------------------------------

/// Four users of known attributes besides the admin (who has no e-mail, external id or
/// name); returns carol's id.
async fn seed_filter_users(app: &TestApp) -> String {
    let admin = v2_user(app, ADMIN_USERNAME).await;
    for field in ["email", "external_id", "first_name", "last_name"] {
        assert!(admin[field].is_null(), "the admin has no {field}: {admin}");
    }
    let idp = provisioning_key(app).await;
    for body in [
        json!({"userName": "Ann.Lee", "externalId": "ext-ann",
               "name": {"givenName": "Ann", "familyName": "Lee"},
               "emails": [{"value": "ann@x.org"}], "preferredLanguage": "en"}),
        json!({"userName": "bob", "externalId": "ext-bob",
               "name": {"givenName": "Bob", "familyName": "Stone"},
               "emails": [{"value": "bob@y.org"}], "active": false, "preferredLanguage": "fr"}),
        json!({"userName": "dave"}),
    ] {
        scim_create(app, &idp, body).await;
    }
    scim_create(
        app,
        &idp,
        json!({"userName": "carol", "name": {"givenName": "Carol", "familyName": "Lee"},
               "emails": [{"value": "carol@x.org"}]}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

both_backends!(each_filter_operator_selects_exactly_the_matching_users);
async fn each_filter_operator_selects_exactly_the_matching_users(backend: Backend) {
    let app = spawn_app(backend).await;
    let carol = seed_filter_users(&app).await;
    let everyone = ["admin", "Ann.Lee", "bob", "carol", "dave"];
    let carol_by_id = format!("id eq \"{carol}\"");
    let cases: Vec<(&str, Vec<&str>)> = vec![
        // eq folds case on userName; attribute names and operators are case-insensitive.
        ("userName eq \"ann.lee\"", vec!["Ann.Lee"]),
        ("USERNAME EQ \"CAROL\"", vec!["carol"]),
        (
            "userName ne \"bob\"",
            vec!["admin", "Ann.Lee", "carol", "dave"],
        ),
        ("name.familyName co \"EE\"", vec!["Ann.Lee", "carol"]),
        ("userName sw \"c\"", vec!["carol"]),
        ("name.givenName sw \"b\"", vec!["bob"]),
        ("emails ew \"@X.ORG\"", vec!["Ann.Lee", "carol"]),
        ("emails.value ew \"@y.org\"", vec!["bob"]),
        ("externalId pr", vec!["Ann.Lee", "bob"]),
        ("emails pr", vec!["Ann.Lee", "bob", "carol"]),
        ("name.familyName pr", vec!["Ann.Lee", "bob", "carol"]),
        // Orderings (the upper-case "Ann.Lee" is below "bob" in byte order and in any case).
        ("userName gt \"bob\"", vec!["carol", "dave"]),
        ("userName ge \"bob\"", vec!["bob", "carol", "dave"]),
        ("userName lt \"bob\"", vec!["admin", "Ann.Lee"]),
        ("userName le \"bob\"", vec!["admin", "Ann.Lee", "bob"]),
        ("active eq false", vec!["bob"]),
        ("active ne false", vec!["admin", "Ann.Lee", "carol", "dave"]),
        ("preferredLanguage eq \"fr\"", vec!["bob"]),
        (
            "name.familyName eq \"Lee\" and active eq true",
            vec!["Ann.Lee", "carol"],
        ),
        ("emails co \"@x.org\" and userName sw \"c\"", vec!["carol"]),
        (
            "userName eq \"bob\" or userName eq \"dave\"",
            vec!["bob", "dave"],
        ),
        ("not (externalId pr)", vec!["admin", "carol", "dave"]),
        ("not (emails co \"@x.org\")", vec!["admin", "bob", "dave"]),
        ("not (userName eq \"bob\" or active eq true)", vec![]),
        // Parentheses against precedence: `and` binds tighter than `or`.
        (
            "(userName eq \"bob\" or userName eq \"carol\") and active eq true",
            vec!["carol"],
        ),
        (
            "userName eq \"bob\" or userName eq \"carol\" and active eq true",
            vec!["bob", "carol"],
        ),
        ("emails[value co \"@x\"]", vec!["Ann.Lee", "carol"]),
        ("emails[value co \"@x\" and value sw \"C\"]", vec!["carol"]),
        ("emails[type eq \"work\"]", vec!["Ann.Lee", "bob", "carol"]),
        (
            "urn:ietf:params:scim:schemas:core:2.0:User:userName eq \"Carol\"",
            vec!["carol"],
        ),
        (
            "urn:ietf:params:scim:schemas:core:2.0:User:name.familyName eq \"stone\"",
            vec!["bob"],
        ),
        // id and externalId are case-exact under eq.
        ("externalId eq \"ext-ann\"", vec!["Ann.Lee"]),
        ("externalId eq \"EXT-ANN\"", vec![]),
        (&carol_by_id, vec!["carol"]),
        ("meta.resourceType eq \"User\"", everyone.to_vec()),
        // Wildcards and quotes in values are literal.
        ("userName co \"%\"", vec![]),
        ("userName sw \"_\"", vec![]),
        ("emails co \"_\"", vec![]),
        ("userName eq \"x' OR '1'='1\"", vec![]),
        ("userName eq \"bob\\\" or \\\"1\\\" eq \\\"1\"", vec![]),
    ];
    for (filter, expected) in &cases {
        assert_selects(&app, filter, expected).await;
    }
    // A selected resource is the whole resource.
    let list = assert_list(&scim_filter(&app, "userName eq \"carol\"").await);
    assert_eq!(list["Resources"][0], scim_read(&app, &carol).await);
    assert_eq!(list["startIndex"], 1);
}

both_backends!(meta_created_and_last_modified_compare_as_instants);
async fn meta_created_and_last_modified_compare_as_instants(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut created = Vec::new();
    for name in ["t-one", "t-two", "t-three"] {
        let user = scim_create(&app, &app.admin(), json!({"userName": name})).await;
        created.push(
            DateTime::parse_from_rfc3339(user["meta"]["created"].as_str().unwrap())
                .unwrap()
                .with_timezone(&Utc),
        );
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    let at = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Millis, true);
    let just_after_one = at(created[0] + TimeDelta::milliseconds(1));
    let two = at(created[1]);
    // The rendered instant is truncated to milliseconds: t-one's stored one is below the next
    // millisecond, t-two's at or above its own.
    assert_selects(
        &app,
        &format!("meta.created gt \"{just_after_one}\""),
        &["t-two", "t-three"],
    )
    .await;
    assert_selects(
        &app,
        &format!("meta.created ge \"{two}\""),
        &["t-two", "t-three"],
    )
    .await;
    assert_selects(
        &app,
        &format!("meta.created lt \"{two}\""),
        &["admin", "t-one"],
    )
    .await;
    assert_selects(
        &app,
        &format!("meta.created le \"{just_after_one}\""),
        &["admin", "t-one"],
    )
    .await;
    assert_selects(
        &app,
        &format!(
            "meta.created ge \"{two}\" and meta.created lt \"{}\"",
            at(created[2])
        ),
        &["t-two"],
    )
    .await;
    assert_selects(
        &app,
        &format!("meta.lastModified ge \"{}\"", at(created[2])),
        &["t-three"],
    )
    .await;
    assert_selects(&app, "meta.created gt \"2999-01-01T00:00:00Z\"", &[]).await;
    for refused in [
        "meta.created gt \"yesterday\"",
        "meta.created co \"2025\"",
        "meta.created gt 5",
    ] {
        assert_scim_type(&scim_filter(&app, refused).await, 400, "invalidFilter");
    }
}

both_backends!(unsupported_filters_are_400_invalid_filter);
async fn unsupported_filters_are_400_invalid_filter(backend: Backend) {
    let app = spawn_app(backend).await;
    for filter in [
        "nickName eq \"x\"",
        "password eq \"x\"",
        "urn:ietf:params:scim:schemas:core:2.0:User:password pr",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq \"1\"",
        "userName eq",
        "userName eq \"unterminated",
        "userName zz \"x\"",
        "userName eq \"a\" garbage",
        "(userName eq \"a\"",
        "not userName eq \"a\"",
        "active gt true",
        "active eq \"yes\"",
        "userName eq 5",
        "groups[value eq \"x\"]",
        "emails[value eq \"x\"",
        "userName eq \"nul\u{0}\"",
    ] {
        let response = scim_filter(&app, filter).await;
        assert_scim_type(&response, 400, "invalidFilter");
    }

    let chain = |n: usize| {
        (0..n)
            .map(|i| format!("userName eq \"u{i}\""))
            .collect::<Vec<_>>()
            .join(" or ")
    };
    assert_list(&scim_filter(&app, &chain(32)).await);
    let body = assert_scim_type(&scim_filter(&app, &chain(33)).await, 400, "tooMany");
    assert!(body["detail"].as_str().unwrap().contains("32"), "{body}");
    let deep = format!("{}userName pr{}", "(".repeat(17), ")".repeat(17));
    assert_scim_type(&scim_filter(&app, &deep).await, 400, "tooMany");
    let long = format!("userName eq \"{}\"", "a".repeat(5000));
    assert_scim_type(&scim_filter(&app, &long).await, 400, "tooMany");
}

both_backends!(search_requests_filter_sort_page_and_project);
async fn search_requests_filter_sort_page_and_project(backend: Backend) {
    let app = spawn_app(backend).await;
    let carol = seed_filter_users(&app).await;
    let idp = provisioning_key(&app).await;
    let ann =
        assert_list(&scim_filter(&app, "userName eq \"Ann.Lee\"").await)["Resources"][0]["id"]
            .clone();

    let search = json!({
        "schemas": [SEARCH_REQUEST_SCHEMA],
        "filter": "emails co \"@x.org\"",
        "sortBy": "userName",
        "sortOrder": "descending",
        "attributes": ["userName"],
        "startIndex": 1,
        "count": 1,
    });
    let response = app
        .scim(Method::POST, "/scim/v2/Users/.search", &idp, Some(search))
        .await;
    let list = assert_list(&response);
    assert_eq!(list["totalResults"], 2);
    assert_eq!(list["startIndex"], 1);
    assert_eq!(
        list["Resources"],
        json!([{"schemas": [USER_SCHEMA], "id": carol, "userName": "carol"}])
    );

    let root = app
        .scim(
            Method::POST,
            "/scim/v2/.search",
            &idp,
            Some(json!({
                "schemas": [SEARCH_REQUEST_SCHEMA],
                "filter": "emails co \"@x.org\"",
                "sortBy": "userName",
                "excludedAttributes": ["emails", "meta", "name"],
                "startIndex": 2,
            })),
        )
        .await;
    let list = assert_list(&root);
    assert_eq!(
        (&list["totalResults"], &list["startIndex"]),
        (&json!(2), &json!(2))
    );
    assert_eq!(
        list["Resources"],
        json!([{"schemas": [USER_SCHEMA], "id": carol, "userName": "carol",
                "active": true, "preferredLanguage": "en"}])
    );
    // No filter: everyone.
    let everyone = app
        .scim(
            Method::POST,
            "/scim/v2/.search",
            &idp,
            Some(json!({"schemas": [SEARCH_REQUEST_SCHEMA], "sortBy": "userName"})),
        )
        .await;
    let list = assert_list(&everyone);
    assert_eq!(list["totalResults"], 5);
    assert!(
        list["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["id"] == ann)
    );

    for (body, status, scim_type) in [
        (json!({"filter": "userName pr"}), 400, "invalidValue"),
        (
            json!({"schemas": [SEARCH_REQUEST_SCHEMA], "count": "3"}),
            400,
            "invalidSyntax",
        ),
        (
            json!({"schemas": [SEARCH_REQUEST_SCHEMA], "attributes": "userName"}),
            400,
            "invalidSyntax",
        ),
        (
            json!({"schemas": [SEARCH_REQUEST_SCHEMA], "filter": "nickName pr"}),
            400,
            "invalidFilter",
        ),
        (json!(["not", "an", "object"]), 400, "invalidSyntax"),
    ] {
        for path in ["/scim/v2/Users/.search", "/scim/v2/.search"] {
            let response = app.scim(Method::POST, path, &idp, Some(body.clone())).await;
            assert_scim_type(&response, status, scim_type);
        }
    }
    // Searching takes users/index and credentials.
    let no_index = app.key_bearer(&app.admin(), &[("users", "show")]).await;
    let search = json!({"schemas": [SEARCH_REQUEST_SCHEMA]});
    assert_scim_error(
        &app.scim(
            Method::POST,
            "/scim/v2/.search",
            &no_index,
            Some(search.clone()),
        )
        .await,
        403,
    );
    assert_scim_error(
        &app.scim(
            Method::POST,
            "/scim/v2/Users/.search",
            &Auth::None,
            Some(search),
        )
        .await,
        401,
    );
}

// --- paging, sorting, projection ------------------------------------------------------------

both_backends!(paging_edges_read_leniently);
async fn paging_edges_read_leniently(backend: Backend) {
    let app = spawn_app(backend).await;
    for name in ["p-1", "p-2", "p-3", "p-4", "p-5"] {
        scim_create(
            &app,
            &app.admin(),
            json!({"userName": name, "emails": [{"value": format!("{name}@x.org")}],
                   "name": {"givenName": "Given", "familyName": "Family"}}),
        )
        .await;
    }
    let page = |query: &'static str| {
        let app = &app;
        async move { assert_list(&scim_list(app, query).await) }
    };

    // The default order is the order of creation.
    let list = page("").await;
    assert_eq!(list["totalResults"], 6);
    assert_eq!(list["startIndex"], 1);
    assert_eq!(
        page_names(&list),
        ["admin", "p-1", "p-2", "p-3", "p-4", "p-5"]
    );

    for query in ["startIndex=0&count=2", "startIndex=-7&count=2"] {
        let list = page(query).await;
        assert_eq!(list["startIndex"], 1, "{query}");
        assert_eq!(list["totalResults"], 6, "{query}");
        assert_eq!(page_names(&list), ["admin", "p-1"], "{query}");
    }
    let list = page("startIndex=5&count=10").await;
    assert_eq!(list["startIndex"], 5);
    assert_eq!(page_names(&list), ["p-4", "p-5"]);

    for query in ["count=0", "count=-3", "count=0&startIndex=3"] {
        let list = page(query).await;
        assert_eq!(list["totalResults"], 6, "{query}");
        assert_eq!(list["itemsPerPage"], 0, "{query}");
        assert!(list.get("Resources").is_none(), "{query}: {list}");
    }
    let list = page("startIndex=100&count=2").await;
    assert_eq!(list["totalResults"], 6);
    assert_eq!(list["itemsPerPage"], 0);
    assert_eq!(list["startIndex"], 100);
    assert!(page_names(&list).is_empty(), "{list}");

    for query in [
        "count=abc",
        "startIndex=1.5",
        "startIndex=x",
        "count=99999999999999999999",
    ] {
        assert_scim_type(&scim_list(&app, query).await, 400, "invalidValue");
    }

    // Sorting.
    let list = page("sortBy=userName&sortOrder=descending&count=3").await;
    assert_eq!(page_names(&list), ["p-5", "p-4", "p-3"]);
    assert_eq!(list["totalResults"], 6);
    let list = page("sortBy=userName&sortOrder=descending&startIndex=4&count=3").await;
    assert_eq!(page_names(&list), ["p-2", "p-1", "admin"]);
    let list = page("sortBy=userName&sortOrder=ascending&count=3").await;
    assert_eq!(page_names(&list), ["admin", "p-1", "p-2"]);
    let list = page("sortBy=emails.value&sortOrder=descending&count=2").await;
    assert_eq!(page_names(&list), ["p-5", "p-4"]);
    for query in ["sortBy=password", "sortBy=nickName", "sortOrder=sideways"] {
        assert_scim_type(&scim_list(&app, query).await, 400, "invalidValue");
    }

    // Projection: id and schemas always come along.
    let list = page("attributes=userName&count=2").await;
    for resource in list["Resources"].as_array().unwrap() {
        let mut keys: Vec<&str> = resource
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(keys, ["id", "schemas", "userName"], "{resource}");
        assert_eq!(resource["schemas"], json!([USER_SCHEMA]));
    }
    let list = page("excludedAttributes=emails&sortBy=userName&startIndex=2&count=1").await;
    let resource = &list["Resources"][0];
    assert!(resource.get("emails").is_none(), "{resource}");
    assert_eq!(resource["userName"], "p-1");
    assert!(
        resource["id"].is_string() && resource["meta"].is_object(),
        "{resource}"
    );
    assert_eq!(resource["schemas"], json!([USER_SCHEMA]));
    let list = page("attributes=name.familyName,urn:ietf:params:scim:schemas:core:2.0:User:emails&sortBy=userName&startIndex=2&count=1").await;
    let resource = &list["Resources"][0];
    let mut keys: Vec<&str> = resource
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["emails", "id", "name", "schemas"], "{resource}");
    assert_eq!(resource["name"], json!({"familyName": "Family"}));
    assert_eq!(resource["emails"], json!([{"value": "p-1@x.org"}]));
    // Excluding id or schemas does not remove them.
    let list = page("excludedAttributes=id,schemas,meta&count=1").await;
    let resource = &list["Resources"][0];
    assert!(
        resource["id"].is_string() && resource["schemas"].is_array(),
        "{resource}"
    );
    assert!(resource.get("meta").is_none(), "{resource}");

    // One resource projects too.
    let id = resource["id"].as_str().unwrap();
    let one = app
        .scim(
            Method::GET,
            &format!("{}?attributes=userName", user_path(id)),
            &app.admin(),
            None,
        )
        .await;
    one.assert_status(200);
    assert_eq!(
        one.json(),
        json!({"schemas": [USER_SCHEMA], "id": id, "userName": "admin"})
    );
}

both_backends!(a_count_above_1000_reads_as_1000);
async fn a_count_above_1000_reads_as_1000(backend: Backend) {
    let app = spawn_app(backend).await;
    let store = rollcall_storage_diesel::connect(&app.db.url, PoolOptions::default())
        .await
        .expect("a second handle on the app's database");
    store
        .create_users(
            (0..1100)
                .map(|n| new_user(&format!("seeded{n:04}")))
                .collect(),
        )
        .await
        .expect("seed");
    let list = assert_list(&scim_list(&app, "count=5000&attributes=userName").await);
    assert_eq!(list["totalResults"], 1101);
    assert_eq!(list["itemsPerPage"], 1000);
    let list =
        assert_list(&scim_list(&app, "count=5000&startIndex=1001&attributes=userName").await);
    assert_eq!(list["itemsPerPage"], 101);
    assert_eq!(
        page_names(&list).last().map(String::as_str),
        Some("seeded1099")
    );
    // Without count, a page holds 100.
    let list = assert_list(&scim_list(&app, "attributes=userName").await);
    assert_eq!(list["itemsPerPage"], 100);
    let config = app
        .scim(
            Method::GET,
            "/scim/v2/ServiceProviderConfig",
            &Auth::None,
            None,
        )
        .await;
    assert_eq!(config.json()["filter"]["maxResults"], 1000);
}

// --- uniqueness and the last admin, across families -----------------------------------------

both_backends!(uniqueness_holds_across_families);
async fn uniqueness_holds_across_families(backend: Backend) {
    let app = spawn_app(backend).await;
    let idp = provisioning_key(&app).await;
    let admin = app.admin();

    // A username made through v2.
    app.make_user("Vee-User", false).await;
    let response = app
        .scim(
            Method::POST,
            USERS,
            &idp,
            Some(json!({"userName": "vEE-uSER"})),
        )
        .await;
    let body = assert_scim_type(&response, 409, "uniqueness");
    assert!(
        body["detail"].as_str().unwrap().contains("userName"),
        "{body}"
    );

    // An e-mail made through the application family.
    app.call_json(
        Method::POST,
        "/api/application/users",
        &admin,
        &json!({"email": "app.mail@example.com", "username": "app-mail",
                "first_name": "App", "last_name": "Mail"}),
    )
    .await
    .assert_status(201);
    let response = app
        .scim(
            Method::POST,
            USERS,
            &idp,
            Some(json!({"userName": "other-one", "emails": [{"value": "APP.MAIL@example.com"}]})),
        )
        .await;
    let body = assert_scim_type(&response, 409, "uniqueness");
    assert!(
        body["detail"].as_str().unwrap().contains("emails"),
        "{body}"
    );

    // An external id made through v2.
    app.create_user(
        &admin,
        &json!({"username": "v2-ext", "password": "v2-ext-password", "external_id": "ext-v2"}),
    )
    .await
    .assert_status(201);
    let response = app
        .scim(
            Method::POST,
            USERS,
            &idp,
            Some(json!({"userName": "other-two", "externalId": "ext-v2"})),
        )
        .await;
    let body = assert_scim_type(&response, 409, "uniqueness");
    assert!(
        body["detail"].as_str().unwrap().contains("externalId"),
        "{body}"
    );
    // Nothing was half-made.
    assert_selects(&app, "userName sw \"other\"", &[]).await;

    // The other way round: a SCIM-made username is taken in v2 and v1.
    let scim_id = scim_user(&app, "Scim-Made").await;
    let response = app
        .create_user(
            &admin,
            &json!({"username": "scim-MADE", "password": "long-enough-password"}),
        )
        .await;
    let taken = assert_field_error(&response, "username", "taken");
    assert_eq!(taken["value"], "scim-MADE");
    assert_v1_error(
        &v1_create(&app, &admin, "SCIM-made", "long-enough-password").await,
        409,
    );

    // Renaming into a taken name by PUT or PATCH.
    let response = scim_put(&app, &idp, &scim_id, json!({"userName": "VEE-user"})).await;
    assert_scim_type(&response, 409, "uniqueness");
    let response = scim_patch(
        &app,
        &idp,
        &scim_id,
        json!([{"op": "add", "path": "emails", "value": [{"value": "app.mail@EXAMPLE.com"}]}]),
    )
    .await;
    assert_scim_type(&response, 409, "uniqueness");
    let unchanged = scim_read(&app, &scim_id).await;
    assert_eq!(unchanged["userName"], "Scim-Made");
    assert!(unchanged.get("emails").is_none(), "{unchanged}");
}

both_backends!(the_last_admin_is_neither_disabled_nor_deleted_by_scim);
async fn the_last_admin_is_neither_disabled_nor_deleted_by_scim(backend: Backend) {
    let app = spawn_app(backend).await;
    let idp = provisioning_key(&app).await;
    let admin_id = v2_user(&app, ADMIN_USERNAME).await["uuid"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = scim_read(&app, &admin_id).await;

    for auth in [app.admin(), idp.clone()] {
        assert_last_admin(
            &scim_put(
                &app,
                &auth,
                &admin_id,
                json!({"schemas": [USER_SCHEMA], "userName": ADMIN_USERNAME, "active": false}),
            )
            .await,
        );
        for operation in [
            json!({"op": "replace", "path": "active", "value": false}),
            json!({"op": "Replace", "path": "active", "value": "False"}),
            json!({"op": "replace", "value": {"active": false}}),
        ] {
            assert_last_admin(&scim_patch(&app, &auth, &admin_id, json!([operation])).await);
        }
        assert_last_admin(&scim_delete(&app, &auth, &admin_id).await);
    }
    assert_eq!(scim_read(&app, &admin_id).await, before);
    let me = app.get_me(&app.admin()).await;
    me.assert_status(200);
    assert_eq!(me.json()["enabled"], true);

    // With a second enabled admin, one of the two may go.
    app.make_user("second-admin", true).await;
    let second = v2_user(&app, "second-admin").await["uuid"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = scim_patch(
        &app,
        &idp,
        &second,
        json!([{"op": "replace", "path": "active", "value": false}]),
    )
    .await;
    response.assert_status(200);
    assert_eq!(response.json()["active"], false);
    // Now the first is the last enabled admin again.
    assert_last_admin(&scim_delete(&app, &idp, &admin_id).await);
    scim_patch(
        &app,
        &idp,
        &second,
        json!([{"op": "replace", "path": "active", "value": true}]),
    )
    .await
    .assert_status(200);
    let deleted = scim_delete(&app, &idp, &second).await;
    deleted.assert_status(204);
    assert!(deleted.body.is_empty());
}

// --- cross-family ---------------------------------------------------------------------------

both_backends!(a_scim_user_is_kept_through_v2_v1_and_application);
async fn a_scim_user_is_kept_through_v2_v1_and_application(backend: Backend) {
    let app = spawn_app(backend).await;
    let idp = provisioning_key(&app).await;
    let admin = app.admin();
    let make = |name: &'static str| {
        let (app, idp) = (&app, &idp);
        async move {
            scim_create(
                app,
                idp,
                json!({"schemas": [USER_SCHEMA], "userName": name, "externalId": format!("x-{name}"),
                       "name": {"givenName": "Given", "familyName": "Family"},
                       "emails": [{"value": format!("{name}@example.org")}],
                       "preferredLanguage": "de", "password": "scim-password-1"}),
            )
            .await
        }
    };

    // v2: read, changed, deleted.
    let one = make("s-one").await;
    let id = one["id"].as_str().unwrap();
    let v2 = v2_user(&app, "S-ONE").await;
    assert_eq!(v2["uuid"], id);
    assert_eq!(v2["username"], "s-one");
    assert_eq!(v2["email"], "s-one@example.org");
    assert_eq!(v2["external_id"], "x-s-one");
    assert_eq!(
        (&v2["first_name"], &v2["last_name"]),
        (&json!("Given"), &json!("Family"))
    );
    assert_eq!(
        (&v2["language"], &v2["enabled"], &v2["is_admin"]),
        (&json!("de"), &json!(true), &json!(false))
    );
    let changed = app
        .update_user(
            &admin,
            &v2["id"].to_string(),
            &json!({"first_name": "Changed", "external_id": null, "enabled": false}),
        )
        .await;
    changed.assert_status(200);
    let read = scim_read(&app, id).await;
    assert_eq!(
        read["name"],
        json!({"givenName": "Changed", "familyName": "Family"})
    );
    assert!(read.get("externalId").is_none(), "{read}");
    assert_eq!(read["active"], false);
    app.delete_user(&admin, "s-one").await.assert_status(204);
    assert_scim_error(&scim_get(&app, &idp, id).await, 404);

    // v1: read, password changed, deleted.
    let two = make("s-two").await;
    let id = two["id"].as_str().unwrap();
    let read = v1_get(&app, &admin, "s-two").await;
    read.assert_status(200);
    assert_eq!(read.json(), json!({"username": "s-two", "admin": false}));
    app.get_me(&Auth::basic("s-two", "scim-password-1"))
        .await
        .assert_status(200);
    v1_change_password(&app, &admin, "s-two", None, "v1-new-password")
        .await
        .assert_status(200);
    app.get_me(&Auth::basic("s-two", "scim-password-1"))
        .await
        .assert_status(401);
    app.get_me(&Auth::basic("s-two@example.org", "v1-new-password"))
        .await
        .assert_status(200);
    assert_eq!(without_meta(&scim_read(&app, id).await), without_meta(&two));
    v1_delete(&app, &admin, "s-two").await.assert_status(204);
    assert_scim_error(&scim_get(&app, &idp, id).await, 404);

    // application: read, changed, deleted.
    let three = make("s-three").await;
    let id = three["id"].as_str().unwrap();
    let by_external = application_get(&app, "/external/x-s-three").await;
    by_external.assert_status(200);
    let attributes = by_external.json()["attributes"].clone();
    assert_eq!(attributes["uuid"], id);
    assert_eq!(attributes["username"], "s-three");
    assert_eq!(attributes["email"], "s-three@example.org");
    assert_eq!(attributes["first_name"], "Given");
    assert_eq!(attributes["root_admin"], false);
    let number = attributes["id"].as_i64().unwrap();
    let updated = app
        .call_json(
            Method::PATCH,
            &format!("/api/application/users/{number}"),
            &admin,
            &json!({"email": "moved@example.org", "username": "S-Three-Renamed",
                    "first_name": "App", "last_name": "Made"}),
        )
        .await;
    updated.assert_status(200);
    let read = scim_read(&app, id).await;
    assert_eq!(read["userName"], "s-three-renamed");
    assert_eq!(
        read["name"],
        json!({"givenName": "App", "familyName": "Made"})
    );
    assert_eq!(read["emails"], json!([{"value": "moved@example.org"}]));
    app.call(
        Method::DELETE,
        &format!("/api/application/users/{number}"),
        &admin,
    )
    .await
    .assert_status(204);
    assert_scim_error(&scim_get(&app, &idp, id).await, 404);
    assert_selects(&app, "userName sw \"s-\"", &[]).await;
}

both_backends!(a_v2_user_is_read_replaced_patched_and_deleted_through_scim);
async fn a_v2_user_is_read_replaced_patched_and_deleted_through_scim(backend: Backend) {
    let app = spawn_app(backend).await;
    let idp = provisioning_key(&app).await;
    let made = app
        .create_user(
            &app.admin(),
            &json!({"username": "Vee", "password": "vee-password-1", "email": "vee@example.com",
                    "first_name": "V", "last_name": "Two", "external_id": "v2-ext",
                    "language": "de", "user_id": 1500}),
        )
        .await;
    made.assert_status(201);
    let made = made.json();
    let number = made["id"].to_string();
    let id = made["uuid"].as_str().unwrap().to_owned();

    let read = scim_get(&app, &idp, &id).await;
    read.assert_status(200);
    assert_eq!(
        read.header("etag").as_deref(),
        read.json()["meta"]["version"].as_str()
    );
    let read = read.json();
    assert_scim_user(&app, &read);
    assert_eq!(
        without_meta(&read),
        json!({"schemas": [USER_SCHEMA], "id": id, "externalId": "v2-ext", "userName": "Vee",
               "name": {"givenName": "V", "familyName": "Two"},
               "emails": [{"value": "vee@example.com"}], "active": true,
               "preferredLanguage": "de"})
    );
    assert_selects(&app, "userName eq \"VEE\"", &["Vee"]).await;

    // PUT replaces: what it leaves out is cleared, except active and the language.
    let response = scim_put(
        &app,
        &idp,
        &id,
        json!({"schemas": [USER_SCHEMA], "id": id, "userName": "Vee-Renamed",
               "name": {"givenName": "Put"}}),
    )
    .await;
    response.assert_status(200);
    let replaced = response.json();
    assert_scim_user(&app, &replaced);
    assert_eq!(
        without_meta(&replaced),
        json!({"schemas": [USER_SCHEMA], "id": id, "userName": "Vee-Renamed",
               "name": {"givenName": "Put"}, "active": true, "preferredLanguage": "de"})
    );
    assert_eq!(
        response.header("etag").as_deref(),
        replaced["meta"]["version"].as_str()
    );
    assert_ne!(replaced["meta"]["version"], read["meta"]["version"]);
    let v2 = v2_user(&app, &number).await;
    assert_eq!(v2["username"], "Vee-Renamed");
    assert!(v2["email"].is_null() && v2["external_id"].is_null() && v2["last_name"].is_null());
    assert_eq!(
        (&v2["first_name"], &v2["language"]),
        (&json!("Put"), &json!("de"))
    );
    // Fields SCIM does not know stay; so does the password.
    assert_eq!(v2["user_id"], 1500);
    app.get_me(&Auth::basic("Vee-Renamed", "vee-password-1"))
        .await
        .assert_status(200);

    let response = scim_patch(
        &app,
        &idp,
        &id,
        json!([{"op": "add", "path": "emails",
                "value": [{"value": "patched@example.com", "primary": true}]},
               {"op": "add", "path": "name.familyName", "value": "Patched"}]),
    )
    .await;
    response.assert_status(200);
    assert_eq!(
        response.json()["emails"],
        json!([{"value": "patched@example.com"}])
    );
    let v2 = v2_user(&app, &number).await;
    assert_eq!(v2["email"], "patched@example.com");
    assert_eq!(v2["last_name"], "Patched");

    let deleted = scim_delete(&app, &idp, &id).await;
    deleted.assert_status(204);
    assert!(deleted.body.is_empty());
    let gone = assert_scim_error(&scim_get(&app, &idp, &id).await, 404);
    assert_eq!(gone["detail"], format!("Resource {id} not found."));
    assert!(gone.get("scimType").is_none(), "{gone}");
    app.get_user(&app.admin(), &number).await.assert_status(404);
    assert_scim_error(&scim_delete(&app, &idp, &id).await, 404);
    assert_scim_error(
        &scim_put(&app, &idp, &id, json!({"userName": "ghost"})).await,
        404,
    );
    assert_scim_error(
        &scim_patch(
            &app,
            &idp,
            &id,
            json!([{"op": "replace", "path": "active", "value": false}]),
        )
        .await,
        404,
    );
    app.get_me(&Auth::basic("Vee-Renamed", "vee-password-1"))
        .await
        .assert_status(401);
}

// --- credentials, scopes and the envelope ---------------------------------------------------

both_backends!(credentials_and_scopes_are_checked_in_the_scim_envelope);
async fn credentials_and_scopes_are_checked_in_the_scim_envelope(backend: Backend) {
    let app = spawn_app(backend).await;
    let plain = app.make_user("plain", false).await;
    let plain_uuid = v2_user(&app, "plain").await["uuid"]
        .as_str()
        .unwrap()
        .to_owned();

    // 401 without credentials or with bad ones, with challenges.
    let response = app.scim(Method::GET, USERS, &Auth::None, None).await;
    assert_scim_error(&response, 401);
    let challenges = response.challenges();
    assert!(challenges.contains("Bearer"), "{challenges}");
    assert!(
        challenges.contains("Basic realm=\"rollcall\""),
        "{challenges}"
    );
    let response = app
        .scim(
            Method::GET,
            USERS,
            &Auth::bearer("rck_0123456789abcdef_bogus"),
            None,
        )
        .await;
    assert_scim_error(&response, 401);
    // The challenge names the scheme that was tried (api.md section 2).
    assert_eq!(response.challenges(), "Bearer");
    let response = app
        .scim(
            Method::GET,
            USERS,
            &Auth::basic(ADMIN_USERNAME, "wrong-password"),
            None,
        )
        .await;
    assert_scim_error(&response, 401);
    assert_eq!(response.challenges(), "Basic realm=\"rollcall\"");
    let response = app
        .scim(
            Method::POST,
            USERS,
            &Auth::None,
            Some(json!({"userName": "anonymous"})),
        )
        .await;
    assert_scim_error(&response, 401);

    // 403 for a non-admin, by password or by a key with every scope, on every route; never 404.
    let plain_key = app
        .key_bearer(
            &plain.basic(),
            &[
                ("users", "index"),
                ("users", "show"),
                ("users", "create"),
                ("users", "update"),
                ("users", "destroy"),
            ],
        )
        .await;
    for auth in [plain.basic(), plain_key] {
        assert_scim_error(&app.scim(Method::GET, USERS, &auth, None).await, 403);
        assert_scim_error(&scim_get(&app, &auth, &plain_uuid).await, 403);
        assert_scim_error(&scim_get(&app, &auth, "not-a-uuid").await, 403);
        assert_scim_error(
            &app.scim(
                Method::POST,
                USERS,
                &auth,
                Some(json!({"userName": "by-plain"})),
            )
            .await,
            403,
        );
        assert_scim_error(
            &scim_patch(
                &app,
                &auth,
                &plain_uuid,
                json!([{"op": "replace", "path": "userName", "value": "self-renamed"}]),
            )
            .await,
            403,
        );
        assert_scim_error(&scim_delete(&app, &auth, &plain_uuid).await, 403);
    }
    assert_eq!(v2_user(&app, "plain").await["uuid"], plain_uuid.as_str());
    assert_selects(&app, "userName eq \"by-plain\"", &[]).await;

    // An admin key is held to its scopes.
    let index_only = app.key_bearer(&app.admin(), &[("users", "index")]).await;
    let list = assert_list(&app.scim(Method::GET, USERS, &index_only, None).await);
    assert_eq!(list["totalResults"], 2);
    assert_scim_error(
        &app.scim(
            Method::POST,
            USERS,
            &index_only,
            Some(json!({"userName": "by-index"})),
        )
        .await,
        403,
    );
    assert_scim_error(&scim_get(&app, &index_only, &plain_uuid).await, 403);
    assert_scim_error(&scim_delete(&app, &index_only, &plain_uuid).await, 403);
    assert_scim_error(
        &scim_put(&app, &index_only, &plain_uuid, json!({"userName": "plain"})).await,
        403,
    );
    assert_selects(&app, "userName eq \"by-index\"", &[]).await;
    app.get_user(&app.admin(), "plain").await.assert_status(200);

    // A key stops working for SCIM once its owner is no longer an admin.
    app.make_user("demoted", true).await;
    let demoted_key = app
        .key_bearer(
            &Auth::basic("demoted", "demoted-password"),
            &[("users", "index")],
        )
        .await;
    assert_list(&app.scim(Method::GET, USERS, &demoted_key, None).await);
    app.update_user(&app.admin(), "demoted", &json!({"is_admin": false}))
        .await
        .assert_status(200);
    assert_scim_error(&app.scim(Method::GET, USERS, &demoted_key, None).await, 403);

    // No key changes a password, by PUT or PATCH; without a password the same change passes.
    let idp = provisioning_key(&app).await;
    let response = scim_put(
        &app,
        &idp,
        &plain_uuid,
        json!({"userName": "plain", "password": "key-set-password"}),
    )
    .await;
    assert_scim_error(&response, 403);
    let response = scim_patch(
        &app,
        &idp,
        &plain_uuid,
        json!([{"op": "replace", "path": "password", "value": "key-set-password"}]),
    )
    .await;
    assert_scim_error(&response, 403);
    app.get_me(&plain.basic()).await.assert_status(200);
    app.get_me(&Auth::basic("plain", "key-set-password"))
        .await
        .assert_status(401);
    let response = scim_put(
        &app,
        &idp,
        &plain_uuid,
        json!({"userName": "plain", "emails": [{"value": "plain@example.com"}]}),
    )
    .await;
    response.assert_status(200);
    // An admin's password may, and it ends the user's sessions.
    let session = Auth::bearer(&app.token("plain", &plain.password).await);
    app.get_me(&session).await.assert_status(200);
    let response = scim_patch(
        &app,
        &app.admin(),
        &plain_uuid,
        json!([{"op": "replace", "path": "password", "value": "admin-set-password"}]),
    )
    .await;
    response.assert_status(200);
    assert_no_password(&response.json());
    app.get_me(&Auth::basic("plain", "admin-set-password"))
        .await
        .assert_status(200);
    app.get_me(&plain.basic()).await.assert_status(401);
    app.get_me(&session).await.assert_status(401);
}

both_backends!(password_guessing_is_throttled_in_the_scim_envelope);
async fn password_guessing_is_throttled_in_the_scim_envelope(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.login_throttle.per_login = 2;
        s.login_throttle.per_address = 100;
    })
    .await;
    let guess = Auth::basic(ADMIN_USERNAME, "not-the-password");
    for _ in 0..2 {
        assert_scim_error(&app.scim(Method::GET, USERS, &guess, None).await, 401);
    }
    let response = app.scim(Method::GET, USERS, &guess, None).await;
    assert_scim_error(&response, 429);
    let retry_after: u64 = response
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("Retry-After in seconds");
    assert!(retry_after > 0);
    // Even the right password is not checked from there until the window passes.
    let response = app.scim(Method::GET, USERS, &app.admin(), None).await;
    assert_scim_error(&response, 429);
}

both_backends!(discovery_is_public_and_scim_json);
async fn discovery_is_public_and_scim_json(backend: Backend) {
    let app = spawn_app(backend).await;
    let get = |path: String| {
        let app = &app;
        async move {
            let response = app.scim(Method::GET, &path, &Auth::None, None).await;
            response.assert_status(200);
            assert_scim_media_type(&response);
            response.json()
        }
    };
    let config = get("/scim/v2/ServiceProviderConfig".into()).await;
    assert_eq!(
        config["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"])
    );
    assert_eq!(config["patch"]["supported"], true);
    assert_eq!(config["bulk"]["supported"], false);
    assert_eq!(
        config["filter"],
        json!({"supported": true, "maxResults": 1000})
    );
    assert_eq!(config["sort"]["supported"], true);
    assert_eq!(config["changePassword"]["supported"], true);
    let schemes: BTreeSet<&str> = config["authenticationSchemes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["type"].as_str().unwrap())
        .collect();
    assert_eq!(schemes, BTreeSet::from(["httpbasic", "oauthbearertoken"]));

    let types = get("/scim/v2/ResourceTypes".into()).await;
    assert_eq!(types["schemas"], json!([LIST_RESPONSE_SCHEMA]));
    assert_eq!(types["totalResults"], 1);
    let user_type = get("/scim/v2/ResourceTypes/User".into()).await;
    assert_eq!(types["Resources"], json!([user_type.clone()]));
    assert_eq!(user_type["id"], "User");
    assert_eq!(user_type["endpoint"], "/Users");
    assert_eq!(user_type["schema"], USER_SCHEMA);
    assert_eq!(
        user_type["meta"]["location"],
        format!("{}/scim/v2/ResourceTypes/User", app.address)
    );

    let schemas = get("/scim/v2/Schemas".into()).await;
    assert_eq!(schemas["totalResults"], 1);
    let user_schema = get(format!("/scim/v2/Schemas/{USER_SCHEMA}")).await;
    assert_eq!(schemas["Resources"], json!([user_schema.clone()]));
    assert_eq!(user_schema["id"], USER_SCHEMA);
    let attributes: Vec<&str> = user_schema["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        attributes,
        ["userName", "name", "emails", "active", "preferredLanguage"]
    );
    assert!(!user_schema.to_string().contains("\"password\""));

    for path in [
        "/scim/v2/ResourceTypes/Group",
        "/scim/v2/ResourceTypes/user%20",
        "/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group",
        "/scim/v2/Schemas/nope",
    ] {
        let response = app.scim(Method::GET, path, &Auth::None, None).await;
        let body = assert_scim_error(&response, 404);
        assert!(body.get("scimType").is_none(), "{path}: {body}");
    }
}

both_backends!(routes_methods_and_bodies_answer_in_the_scim_envelope);
async fn routes_methods_and_bodies_answer_in_the_scim_envelope(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin();

    // Route and method before credentials.
    for auth in [Auth::None, admin.clone()] {
        assert_scim_error(
            &app.scim(Method::GET, "/scim/v2/Nope", &auth, None).await,
            404,
        );
        assert_scim_error(
            &app.scim(Method::GET, "/scim/v2/Groups", &auth, None).await,
            404,
        );
        let response = app
            .scim(
                Method::DELETE,
                "/scim/v2/ServiceProviderConfig",
                &auth,
                None,
            )
            .await;
        assert_scim_error(&response, 405);
        assert_eq!(response.header("allow").as_deref(), Some("GET"));
    }
    let response = app.scim(Method::DELETE, USERS, &admin, None).await;
    assert_scim_error(&response, 405);
    let allow = response.header("allow").unwrap_or_default();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");

    // Bodies: too large, not JSON, malformed, not an object.
    let huge = json!({"userName": "huge", "displayName": "x".repeat(70 * 1024)});
    let response = app.scim(Method::POST, USERS, &admin, Some(huge)).await;
    assert_scim_error(&response, 413);
    let response = app
        .call_raw(
            Method::POST,
            USERS,
            &admin,
            "text/plain",
            r#"{"userName": "plain-text"}"#,
        )
        .await;
    assert_scim_error(&response, 415);
    let response = app
        .call_raw(
            Method::POST,
            USERS,
            &admin,
            "application/scim+json",
            r#"{"userName": "#,
        )
        .await;
    assert_scim_type(&response, 400, "invalidSyntax");
    let response = app
        .call_raw(
            Method::POST,
            USERS,
            &admin,
            "application/scim+json",
            "[1, 2]",
        )
        .await;
    assert_scim_type(&response, 400, "invalidSyntax");
    assert_selects(
        &app,
        "userName eq \"huge\" or userName eq \"plain-text\"",
        &[],
    )
    .await;

    // application/json is accepted as well, and so is a trailing slash.
    let response = app
        .call_json(
            Method::POST,
            USERS,
            &admin,
            &json!({"userName": "json-user"}),
        )
        .await;
    response.assert_status(201);
    assert_scim_media_type(&response);
    let list = assert_list(&app.scim(Method::GET, "/scim/v2/Users/", &admin, None).await);
    assert_eq!(list["totalResults"], 2);

    // Bad values are 400 invalidValue, never 500.
    for body in [
        json!({"emails": [{"value": "no-user-name@x.org"}]}),
        json!({"userName": "12345"}),
        json!({"userName": "bad name"}),
        json!({"userName": "nul\u{0}name"}),
        json!({"userName": "me"}),
        json!({"userName": ["array"]}),
        json!({"userName": "bad-mail", "emails": [{"value": "not-an-address"}]}),
        json!({"userName": "bad-mail2", "emails": "a@x.org"}),
        json!({"userName": "bad-active", "active": "maybe"}),
        json!({"userName": "bad-lang", "preferredLanguage": "x".repeat(17)}),
        json!({"userName": "short-pw", "password": "short"}),
    ] {
        let response = app
            .scim(Method::POST, USERS, &admin, Some(body.clone()))
            .await;
        assert_scim_type(&response, 400, "invalidValue");
    }
    let list = assert_list(&scim_list(&app, "count=0").await);
    assert_eq!(list["totalResults"], 2, "nothing was made");
}

both_backends!(a_projection_over_its_bound_is_refused_before_any_write);
/// `attributes`/`excludedAttributes` list at most 64 paths (400 `tooMany` beyond), and the
/// check comes before the write: a refused PATCH or PUT changes nothing.
async fn a_projection_over_its_bound_is_refused_before_any_write(backend: Backend) {
    let app = spawn_app(backend).await;
    let idp = provisioning_key(&app).await;
    let created = scim_create(&app, &idp, json!({"userName": "projected"})).await;
    let id = created["id"].as_str().unwrap().to_owned();
    let at_cap = vec!["userName"; 64].join(",");
    let over = format!("{at_cap},emails");
    let response = app
        .scim(
            Method::GET,
            &format!("{}?attributes={at_cap}", user_path(&id)),
            &idp,
            None,
        )
        .await;
    response.assert_status(200);
    assert_eq!(response.json()["userName"], "projected");
    for query in [
        format!("attributes={over}"),
        format!("excludedAttributes={over}"),
    ] {
        let response = app
            .scim(Method::GET, &format!("{USERS}?{query}"), &idp, None)
            .await;
        assert_scim_type(&response, 400, "tooMany");
        let response = app
            .scim(
                Method::PATCH,
                &format!("{}?{query}", user_path(&id)),
                &idp,
                Some(json!({
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                    "Operations": [{"op": "replace", "path": "userName", "value": "changed"}]
                })),
            )
            .await;
        assert_scim_type(&response, 400, "tooMany");
        let response = app
            .scim(
                Method::PUT,
                &format!("{}?{query}", user_path(&id)),
                &idp,
                Some(json!({"userName": "changed"})),
            )
            .await;
        assert_scim_type(&response, 400, "tooMany");
    }
    assert_eq!(scim_read(&app, &id).await, created);
}

both_backends!(a_created_user_has_location_etag_and_no_password);
async fn a_created_user_has_location_etag_and_no_password(backend: Backend) {
    let app = spawn_app(backend).await;
    let idp = provisioning_key(&app).await;
    // Read-only, unknown and other schemas' attributes never reach the model.
    let response = app
        .scim(
            Method::POST,
            USERS,
            &idp,
            Some(json!({
                "schemas": [USER_SCHEMA, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                "id": "00000000-0000-4000-8000-000000000001",
                "meta": {"created": "2000-01-01T00:00:00Z", "version": "W/\"1\""},
                "userName": "Fresh.User", "password": "fresh-password-1",
                "name": {"givenName": "Fresh", "familyName": "User", "formatted": "Fresh User"},
                "emails": [{"value": "fresh@x.org", "type": "work", "primary": true}],
                "displayName": "Fresh", "groups": [{"value": "admins"}], "roles": [{"value": "admin"}],
                "is_admin": true, "admin": true, "root_admin": true, "enabled": false,
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "7"},
            })),
        )
        .await;
    response.assert_status(201);
    assert_scim_media_type(&response);
    let created = response.json();
    assert_scim_user(&app, &created);
    let id = created["id"].as_str().unwrap();
    assert_ne!(id, "00000000-0000-4000-8000-000000000001");
    assert_eq!(
        response.header("location").as_deref(),
        Some(format!("{}/scim/v2/Users/{id}", app.address).as_str())
    );
    assert_eq!(
        response.header("etag").as_deref(),
        created["meta"]["version"].as_str()
    );
    assert!(!response.text().contains("fresh-password-1"));
    assert_ne!(created["meta"]["created"], "2000-01-01T00:00:00Z");
    assert_eq!(
        without_meta(&created),
        json!({"schemas": [USER_SCHEMA], "id": id, "userName": "Fresh.User",
               "name": {"givenName": "Fresh", "familyName": "User"},
               "emails": [{"value": "fresh@x.org"}], "active": true, "preferredLanguage": "en"})
    );
    let v2 = v2_user(&app, "fresh.user").await;
    assert_eq!(
        (&v2["is_admin"], &v2["enabled"]),
        (&json!(false), &json!(true))
    );

    let read = scim_get(&app, &idp, id).await;
    read.assert_status(200);
    assert_eq!(read.json(), created);
    assert_eq!(read.header("etag"), response.header("etag"));

    for missing in [
        "not-a-uuid".to_owned(),
        "00000000-0000-0000-0000-000000000000".to_owned(),
        uuid::Uuid::new_v4().to_string(),
        v2["id"].to_string(),
        "..%2F..%2Fapi%2Fv2%2Fusers".to_owned(),
    ] {
        let response = scim_get(&app, &idp, &missing).await;
        let body = assert_scim_error(&response, 404);
        assert!(body.get("scimType").is_none(), "{missing}: {body}");
    }
}

both_backends!(a_password_set_by_scim_signs_in_with_basic);
async fn a_password_set_by_scim_signs_in_with_basic(backend: Backend) {
    let app = spawn_app(backend).await;
    let created = scim_create(
        &app,
        &Auth::basic(ADMIN_USERNAME, ADMIN_PASSWORD),
        json!({"schemas": [USER_SCHEMA], "userName": "pw-user", "password": "pw-user-password",
               "emails": [{"value": "pw-user@x.org"}]}),
    )
    .await;
    for login in ["pw-user", "PW-USER", "pw-user@x.org"] {
        let me = app.get_me(&Auth::basic(login, "pw-user-password")).await;
        me.assert_status(200);
        assert_eq!(me.json()["username"], "pw-user", "{login}");
        assert_eq!(me.json()["uuid"], created["id"]);
    }
    app.get_me(&Auth::basic("pw-user", "wrong-password"))
        .await
        .assert_status(401);
    // Without a password nobody can sign in as the user.
    scim_user(&app, "no-pw-user").await;
    app.get_me(&Auth::basic("no-pw-user", ""))
        .await
        .assert_status(401);
    // An IdP's key may set the first password of a user it provisions.
    let idp = provisioning_key(&app).await;
    scim_create(
        &app,
        &idp,
        json!({"userName": "key-pw-user", "password": "key-pw-password"}),
    )
    .await;
    app.get_me(&Auth::basic("key-pw-user", "key-pw-password"))
        .await
        .assert_status(200);
    // PUT with a null or empty password leaves it as it is.
    let id = created["id"].as_str().unwrap();
    for password in [json!(null), json!("")] {
        let response = scim_put(
            &app,
            &app.admin(),
            id,
            json!({"userName": "pw-user", "emails": [{"value": "pw-user@x.org"}], "password": password}),
        )
        .await;
        response.assert_status(200);
        app.get_me(&Auth::basic("pw-user", "pw-user-password"))
            .await
            .assert_status(200);
    }
}
