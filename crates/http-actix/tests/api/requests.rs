//! Request shorthands: one request with its credentials (and JSON body) in one call, and the
//! assertions a reply is checked with most, so that a test names only what differs.

use crate::helpers::{Reply, json_req};
pub use actix_web::http::Method;
use actix_web::test::TestRequest;
use serde_json::Value;

/// An `Authorization` (or other credential) header, as [`crate::helpers::basic`] makes it.
pub type Credentials = (&'static str, String);

/// `method uri` with these credentials and no body.
pub fn request_as(method: Method, uri: &str, auth: Credentials) -> TestRequest {
    TestRequest::default()
        .method(method)
        .uri(uri)
        .insert_header(auth)
}

/// `GET uri` with these credentials.
pub fn get_as(uri: &str, auth: Credentials) -> TestRequest {
    request_as(Method::GET, uri, auth)
}

/// `DELETE uri` with these credentials.
pub fn delete_as(uri: &str, auth: Credentials) -> TestRequest {
    request_as(Method::DELETE, uri, auth)
}

/// `POST uri` with these credentials and a JSON body.
pub fn post_as(uri: &str, auth: Credentials, body: Value) -> TestRequest {
    json_req(request_as(Method::POST, uri, auth), body)
}

/// `PUT uri` with these credentials and a JSON body.
pub fn put_as(uri: &str, auth: Credentials, body: Value) -> TestRequest {
    json_req(request_as(Method::PUT, uri, auth), body)
}

/// `PATCH uri` with these credentials and a JSON body.
pub fn patch_as(uri: &str, auth: Credentials, body: Value) -> TestRequest {
    json_req(request_as(Method::PATCH, uri, auth), body)
}

/// The request with a body that claims to be JSON but is `payload`, e.g. cut short.
pub fn with_broken_json(req: TestRequest, payload: &'static str) -> TestRequest {
    with_body(req, "application/json", payload)
}

/// The request with this body and `Content-Type`, sent as is.
pub fn with_body(
    req: TestRequest,
    content_type: &'static str,
    payload: &'static str,
) -> TestRequest {
    req.insert_header(("content-type", content_type))
        .set_payload(payload)
}

/// Asserts the status and the v2 envelope with this `detail`.
#[track_caller]
pub fn assert_detail(r: &Reply, status: u16, detail: &str) {
    assert_eq!(
        (r.status, r.detail().as_str()),
        (status, detail),
        "{}",
        r.text
    );
}

/// Asserts the status and exactly these v2 error codes for `field`.
#[track_caller]
pub fn assert_codes(r: &Reply, status: u16, field: &str, codes: &[&str]) {
    assert_eq!(
        (r.status, r.codes(field)),
        (status, codes_of(codes)),
        "{}",
        r.text
    );
}

/// Asserts the status and a v1 error string equal to `message`.
#[track_caller]
pub fn assert_v1_error(r: &Reply, status: u16, message: &str) {
    assert_eq!(
        (r.status, r.v1_error().as_str()),
        (status, message),
        "{}",
        r.text
    );
}

/// Asserts the status and the one application error `(code, detail)`.
#[track_caller]
pub fn assert_app_error(r: &Reply, status: u16, code: &str, detail: &str) {
    let (got_code, got_detail) = r.app_error();
    assert_eq!(
        (r.status, got_code.as_str(), got_detail.as_str()),
        (status, code, detail),
        "{}",
        r.text
    );
}

/// Asserts the status and the code of the one application error.
#[track_caller]
pub fn assert_app_code(r: &Reply, status: u16, code: &str) {
    assert_eq!(
        (r.status, r.app_error().0.as_str()),
        (status, code),
        "{}",
        r.text
    );
}

/// The keys of a JSON object, sorted.
pub fn sorted_keys(value: &Value) -> Vec<&str> {
    let object = value.as_object().expect("a JSON object");
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

fn codes_of(codes: &[&str]) -> Vec<String> {
    codes.iter().map(|c| (*c).to_owned()).collect()
}
