//! The bounds on the work one list request may ask for (api.md 9, docs/api.md "Bounds"): at
//! most 32 filters, 8 sort keys, 100 values in a `><`/`!><` list and 256 characters in a
//! value or pattern. Beyond a bound, v2 answers its 422 and the application family its
//! `ValidationException`, naming the limit; exactly at the bound the list is served.

use crate::helpers::*;
use crate::requests::*;
use serde_json::json;

const V2_USERS: &str = "/api/v2/users";
const APP_USERS: &str = "/api/application/users";

/// `count` copies of `pair`, joined with `&`.
fn repeated(pair: &str, count: usize) -> String {
    vec![pair; count].join("&")
}

/// `count` copies of `item`, joined with `separator`.
fn list(item: &str, count: usize, separator: &str) -> String {
    vec![item; count].join(separator)
}

/// Asserts a v2 422 whose only problem is `field` being `too_long` with `count`, and whose
/// detail is `detail`.
fn assert_v2_cap(r: &Reply, field: &str, count: u64, detail: &str) {
    assert_eq!(r.status, 422, "{}", &r.text[..r.text.len().min(400)]);
    assert_eq!(r.detail(), detail);
    assert_eq!(
        r.json["details"],
        json!({field: [{"error": "too_long", "count": count}]}),
        "{}",
        r.text
    );
}

/// Asserts an application 422 with one `max` failure on `field` and its sentence.
fn assert_app_cap(r: &Reply, field: &str, detail: &str) {
    assert_eq!(
        r.app_rules(),
        [(field.to_owned(), "max".to_owned())],
        "{}",
        &r.text[..r.text.len().min(400)]
    );
    assert_eq!(r.app_errors()[0]["detail"], detail);
}

#[actix_web::test]
async fn v2_refuses_more_than_32_filters() {
    let (_, app) = TestApp::start().await;
    for count in [33, 1_100] {
        let uri = format!("{V2_USERS}?{}", repeated("enabled=true", count));
        let r = send(&app, get_as(&uri, admin())).await;
        assert_v2_cap(&r, "filters", 32, "At most 32 filters are allowed.");
    }
    let uri = format!("{V2_USERS}?{}", repeated("enabled=true", 32));
    let r = send(&app, get_as(&uri, admin())).await;
    assert_eq!(
        (r.status, r.json["count"].as_u64()),
        (200, Some(1)),
        "{}",
        r.text
    );
}

#[actix_web::test]
async fn v2_refuses_values_and_patterns_longer_than_256_characters() {
    let (_, app) = TestApp::start().await;
    let detail = |field: &str| {
        format!("A filter value or pattern on {field} may be at most 256 characters long.")
    };
    for (field, raw) in [
        ("username", format!("~{}", "a".repeat(50_000))),
        ("username", format!("!~{}", "%25".repeat(257))),
        ("email", "e".repeat(257)),
        ("external_id", format!("!={}", "x".repeat(257))),
        (
            "source_type",
            format!("%3E%3Cweb_app%7C{}", "w".repeat(257)),
        ),
        ("created_at", format!("%3E{}", "9".repeat(300))),
    ] {
        let r = send(&app, get_as(&format!("{V2_USERS}?{field}={raw}"), admin())).await;
        assert_v2_cap(&r, field, 256, &detail(field));
        assert!(r.text.len() < 1_000, "the value is not echoed: {}", r.text);
    }
    for query in [
        format!("username=~{}", "%25".repeat(256)),
        format!("username=~{}", "%C3%A9".repeat(256)),
        format!("email={}", "e".repeat(256)),
    ] {
        let r = send(&app, get_as(&format!("{V2_USERS}?{query}"), admin())).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
}

#[actix_web::test]
async fn v2_refuses_lists_of_more_than_100_values() {
    let (_, app) = TestApp::start().await;
    for (op, count) in [("%3E%3C", 101), ("!%3E%3C", 101), ("%3E%3C", 10_000)] {
        let uri = format!("{V2_USERS}?id={op}{}", list("1", count, "%7C"));
        let r = send(&app, get_as(&uri, admin())).await;
        assert_v2_cap(
            &r,
            "id",
            100,
            "At most 100 values are allowed in a list filter on id.",
        );
    }
    let uri = format!("{V2_USERS}?id=%3E%3C{}", list("1", 100, "%7C"));
    let r = send(&app, get_as(&uri, admin())).await;
    assert_eq!(
        (r.status, r.json["count"].as_u64()),
        (200, Some(1)),
        "{}",
        r.text
    );
}

#[actix_web::test]
async fn v2_refuses_more_than_8_sort_keys() {
    let (_, app) = TestApp::start().await;
    for count in [9, 40] {
        let uri = format!("{V2_USERS}?sort_by={}", list("username:desc", count, "%7C"));
        let r = send(&app, get_as(&uri, admin())).await;
        assert_v2_cap(&r, "sort_by", 8, "At most 8 sort keys are allowed.");
    }
    let uri = format!("{V2_USERS}?sort_by={}", list("id:desc", 8, "%7C"));
    let r = send(&app, get_as(&uri, admin())).await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[actix_web::test]
async fn v2_reports_a_cap_with_the_other_bad_parameters() {
    let (_, app) = TestApp::start().await;
    let uri = format!(
        "{V2_USERS}?{}&colour=red&limit=0",
        repeated("is_admin=true", 40)
    );
    let r = send(&app, get_as(&uri, admin())).await;
    assert_eq!(r.status, 422, "{}", r.text);
    for field in ["colour", "limit", "filters"] {
        assert!(!r.codes(field).is_empty(), "{field}: {}", r.text);
    }
}

#[actix_web::test]
async fn application_refuses_more_than_32_filters() {
    let (_, app) = TestApp::start().await;
    for count in [33, 1_100] {
        let uri = format!("{APP_USERS}?{}", repeated("filter[email]=a", count));
        let r = send(&app, get_as(&uri, admin())).await;
        assert_app_cap(
            &r,
            "filter",
            "The filter field must not have more than 32 items.",
        );
    }
    let uri = format!("{APP_USERS}?{}", repeated("filter[username]=a", 32));
    let r = send(&app, get_as(&uri, admin())).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["meta"]["pagination"]["total"], 1, "{}", r.text);
}

#[actix_web::test]
async fn application_refuses_filter_values_longer_than_256_characters() {
    let (_, app) = TestApp::start().await;
    for (field, value) in [
        ("email", "a".repeat(50_000)),
        ("username", "%25".repeat(257)),
        ("uuid", "%C3%A9".repeat(257)),
    ] {
        let uri = format!("{APP_USERS}?filter[{field}]={value}");
        let r = send(&app, get_as(&uri, admin())).await;
        assert_app_cap(
            &r,
            &format!("filter[{field}]"),
            &format!("The filter[{field}] field must not be greater than 256 characters."),
        );
    }
    let uri = format!("{APP_USERS}?filter[email]={}", "%25".repeat(256));
    let r = send(&app, get_as(&uri, admin())).await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[actix_web::test]
async fn application_refuses_more_than_8_sort_keys() {
    let (_, app) = TestApp::start().await;
    for count in [9, 40] {
        let uri = format!("{APP_USERS}?sort={}", list("-id", count, ","));
        let r = send(&app, get_as(&uri, admin())).await;
        assert_app_cap(
            &r,
            "sort",
            "The sort field must not have more than 8 items.",
        );
    }
    let uri = format!("{APP_USERS}?sort={}", list("uuid", 8, ","));
    let r = send(&app, get_as(&uri, admin())).await;
    assert_eq!(r.status, 200, "{}", r.text);
}
