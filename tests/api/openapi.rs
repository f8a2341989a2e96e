//! `/openapi.json`: a structurally valid OpenAPI 3.1 document that lists every route the
//! server answers, and only those.

use crate::helpers::{Auth, Backend, spawn_app};
use reqwest::Method;
use serde_json::Value;
use std::collections::BTreeSet;

/// Every route of every family (api.md), path parameters written `{}`. The documentation
/// endpoints themselves (`/openapi.json`, `/docs`) are not required to describe themselves;
/// `/metrics` has a test of its own below.
const ROUTES: &[(&str, &str)] = &[
    // v2
    ("post", "/token"),
    ("post", "/api/v2/users/sign_in"),
    ("delete", "/api/v2/users/sign_out"),
    ("get", "/api/v2/users/me"),
    ("get", "/api/v2/users"),
    ("post", "/api/v2/users"),
    ("get", "/api/v2/users/{}"),
    ("put", "/api/v2/users/{}"),
    ("delete", "/api/v2/users/{}"),
    ("put", "/api/v2/users/{}/password"),
    ("get", "/api/v2/users/me/configurations"),
    ("post", "/api/v2/users/me/configurations"),
    ("get", "/api/v2/users/me/configurations/{}"),
    ("put", "/api/v2/users/me/configurations/{}"),
    ("delete", "/api/v2/users/me/configurations/{}"),
    ("get", "/api/v2/users/me/api_keys"),
    ("post", "/api/v2/users/me/api_keys"),
    ("get", "/api/v2/users/me/api_keys/{}"),
    ("put", "/api/v2/users/me/api_keys/{}"),
    ("delete", "/api/v2/users/me/api_keys/{}"),
    ("get", "/api/v2/users/-/systems"),
    ("get", "/api/v2/groups/-/systems"),
    // v1
    ("get", "/api/v1/users"),
    ("get", "/api/v1/users/{}"),
    ("put", "/api/v1/users/{}"),
    ("patch", "/api/v1/users/{}"),
    ("delete", "/api/v1/users/{}"),
    // application
    ("get", "/api/application/users"),
    ("post", "/api/application/users"),
    ("get", "/api/application/users/{}"),
    ("patch", "/api/application/users/{}"),
    ("delete", "/api/application/users/{}"),
    ("get", "/api/application/users/external/{}"),
    // scim
    ("get", "/scim/v2/ServiceProviderConfig"),
    ("get", "/scim/v2/ResourceTypes"),
    ("get", "/scim/v2/ResourceTypes/{}"),
    ("get", "/scim/v2/Schemas"),
    ("get", "/scim/v2/Schemas/{}"),
    ("get", "/scim/v2/Users"),
    ("post", "/scim/v2/Users"),
    ("post", "/scim/v2/Users/.search"),
    ("post", "/scim/v2/.search"),
    ("get", "/scim/v2/Users/{}"),
    ("put", "/scim/v2/Users/{}"),
    ("patch", "/scim/v2/Users/{}"),
    ("delete", "/scim/v2/Users/{}"),
    // operations
    ("get", "/healthz"),
    ("get", "/readyz"),
];

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// `/api/v2/users/{user_ref}` → `/api/v2/users/{}`.
fn normalize(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push_str("{}");
            }
            '}' => in_param = false,
            _ if in_param => {}
            _ => out.push(c),
        }
    }
    out
}

fn path_params(path: &str) -> Vec<String> {
    path.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_owned()))
        .collect()
}

/// Follows a local `$ref` (`#/components/…`).
fn resolve<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    let pointer = reference.strip_prefix('#')?;
    doc.pointer(pointer)
}

fn check_refs(doc: &Value, value: &Value, problems: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref")
                && resolve(doc, reference).is_none()
            {
                problems.push(format!("unresolved $ref {reference}"));
            }
            map.values().for_each(|v| check_refs(doc, v, problems));
        }
        Value::Array(items) => items.iter().for_each(|v| check_refs(doc, v, problems)),
        _ => {}
    }
}

/// The parameters of an operation and its path item, with `$ref`s followed.
fn parameters<'a>(doc: &'a Value, item: &'a Value, operation: &'a Value) -> Vec<&'a Value> {
    [item.get("parameters"), operation.get("parameters")]
        .into_iter()
        .flatten()
        .filter_map(Value::as_array)
        .flatten()
        .map(|p| match p.get("$ref").and_then(Value::as_str) {
            Some(r) => resolve(doc, r).unwrap_or(p),
            None => p,
        })
        .collect()
}

/// The structural rules of OpenAPI 3.1 that a generator can get wrong.
fn structural_problems(doc: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let version = doc["openapi"].as_str().unwrap_or_default();
    if !version.starts_with("3.1.") {
        problems.push(format!("openapi is {version:?}, not 3.1.x"));
    }
    if !doc["info"]["title"].is_string() || !doc["info"]["version"].is_string() {
        problems.push("info.title and info.version are required strings".into());
    }
    let Some(paths) = doc["paths"].as_object() else {
        problems.push("paths is an object".into());
        return problems;
    };
    let mut operation_ids = BTreeSet::new();
    for (path, item) in paths {
        if !path.starts_with('/') {
            problems.push(format!("path {path:?} starts with /"));
        }
        let Some(item_map) = item.as_object() else {
            problems.push(format!("{path}: a path item is an object"));
            continue;
        };
        for (key, operation) in item_map {
            if !METHODS.contains(&key.as_str()) {
                if !matches!(
                    key.as_str(),
                    "parameters" | "summary" | "description" | "servers" | "$ref"
                ) && !key.starts_with("x-")
                {
                    problems.push(format!("{path}: unknown path item field {key:?}"));
                }
                continue;
            }
            if operation["responses"]
                .as_object()
                .is_none_or(|r| r.is_empty())
            {
                problems.push(format!("{key} {path}: responses is a non-empty object"));
            }
            if let Some(id) = operation["operationId"].as_str()
                && !operation_ids.insert(id.to_owned())
            {
                problems.push(format!("operationId {id:?} is not unique"));
            }
            let params = parameters(doc, item, operation);
            for param in &params {
                let location = param["in"].as_str().unwrap_or_default();
                if !["query", "header", "path", "cookie"].contains(&location)
                    || !param["name"].is_string()
                {
                    problems.push(format!(
                        "{key} {path}: parameter needs name and in: {param}"
                    ));
                }
            }
            for name in path_params(path) {
                let declared = params.iter().any(|p| {
                    p["in"] == "path" && p["name"] == name.as_str() && p["required"] == true
                });
                if !declared {
                    problems.push(format!(
                        "{key} {path}: path parameter {name:?} is not declared as required"
                    ));
                }
            }
        }
    }
    check_refs(doc, doc, &mut problems);
    problems
}

#[tokio::test]
async fn openapi_is_valid_3_1_and_lists_every_route() {
    let app = spawn_app(Backend::Sqlite).await;
    let response = app.openapi().await;
    response.assert_status(200);
    assert!(
        response
            .header("content-type")
            .is_some_and(|c| c.starts_with("application/json")),
        "{:?}",
        response.header("content-type")
    );
    let doc = response.json();

    let problems = structural_problems(&doc);
    assert!(
        problems.is_empty(),
        "OpenAPI problems:\n{}",
        problems.join("\n")
    );

    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            let path = normalize(path);
            item.as_object()
                .unwrap()
                .keys()
                .filter(|k| METHODS.contains(&k.as_str()))
                .map(move |m| (m.clone(), path.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    let missing: Vec<String> = ROUTES
        .iter()
        .filter(|(m, p)| !documented.contains(&((*m).to_owned(), (*p).to_owned())))
        .map(|(m, p)| format!("{} {p}", m.to_uppercase()))
        .collect();
    assert!(
        missing.is_empty(),
        "routes missing from /openapi.json:\n{}",
        missing.join("\n")
    );

    // And nothing is documented that the server does not answer.
    for (method, path) in &documented {
        if path.starts_with("/openapi") || path.starts_with("/docs") {
            continue;
        }
        // The public discovery documents are found by their names.
        let concrete = match path.as_str() {
            "/scim/v2/ResourceTypes/{}" => path.replace("{}", "User"),
            "/scim/v2/Schemas/{}" => {
                path.replace("{}", "urn:ietf:params:scim:schemas:core:2.0:User")
            }
            _ => path.replace("{}", "1"),
        };
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let response = app.call(method.clone(), &concrete, &Auth::None).await;
        // Without credentials a known route answers 401 (or 200 for public ones), never
        // 404 or 405: route and method are checked first.
        assert!(
            response.status != 404 && response.status != 405,
            "{method} {concrete} is documented but answers {}",
            response.status
        );
    }
}

/// api.md lists `/metrics` among the operations routes (no credentials unless restricted by
/// configuration): it must answer and be documented.
#[tokio::test]
async fn metrics_are_served_and_documented() {
    let app = spawn_app(Backend::Sqlite).await;
    let response = app.call(Method::GET, "/metrics", &Auth::None).await;
    assert!(
        response.status != 404 && response.status != 405,
        "GET /metrics answers {}: {}",
        response.status,
        response.text()
    );
    let doc = app.openapi().await.json();
    assert!(
        doc["paths"]["/metrics"]["get"].is_object(),
        "GET /metrics is in /openapi.json"
    );
}

#[tokio::test]
async fn the_docs_ui_is_served() {
    let app = spawn_app(Backend::Sqlite).await;
    let mut response = app.call(Method::GET, "/docs", &Auth::None).await;
    if response.status.is_redirection() {
        let location = response.header("location").expect("a redirect location");
        let target = if location.starts_with('/') {
            location
        } else {
            format!("/docs/{location}")
        };
        response = app.call(Method::GET, &target, &Auth::None).await;
    }
    response.assert_status(200);
    assert!(response.text().to_ascii_lowercase().contains("<html"));
}

#[test]
fn normalize_replaces_parameter_names() {
    assert_eq!(
        normalize("/api/v2/users/{user_ref}/password"),
        "/api/v2/users/{}/password"
    );
    assert_eq!(path_params("/a/{x}/b/{y}"), ["x", "y"]);
}
