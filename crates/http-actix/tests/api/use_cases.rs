//! Each request runs each use case once: the create, update and password routes of every
//! family, with a readable and an unreadable body, counted at the users port. Authenticating
//! with Basic is one lookup; authorizing a change of a user is one more; a body that cannot
//! be read stops the request before anything is written, and the authorize step that
//! answered 403/404 first is never run again to learn it.

use crate::helpers::*;
use crate::requests::*;
use actix_web::test::TestRequest;
use serde_json::{Value, json};

/// One write route: how to call it with a body, and the port calls a request makes.
struct Case {
    name: &'static str,
    request: fn() -> TestRequest,
    good: Value,
    /// `(find, create, update)` of a request with `good`.
    good_calls: (usize, usize, usize),
    /// `(find, create, update)` of a request whose body is malformed JSON.
    bad_calls: (usize, usize, usize),
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "v2 create",
            request: || TestRequest::post().uri("/api/v2/users"),
            good: json!({"username": "new-v2", "password": PASSWORD}),
            good_calls: (1, 1, 0),
            bad_calls: (1, 0, 0),
        },
        Case {
            name: "v2 update",
            request: || TestRequest::put().uri("/api/v2/users/bob"),
            good: json!({"first_name": "Bob"}),
            good_calls: (2, 0, 1),
            bad_calls: (2, 0, 0),
        },
        Case {
            name: "v2 password",
            request: || TestRequest::put().uri("/api/v2/users/bob/password"),
            good: json!({"password": "password-2"}),
            good_calls: (2, 0, 1),
            bad_calls: (2, 0, 0),
        },
        Case {
            name: "v1 create",
            request: || TestRequest::put().uri("/api/v1/users/new-v1"),
            good: json!({"value": {"password": PASSWORD}}),
            good_calls: (1, 1, 0),
            bad_calls: (1, 0, 0),
        },
        Case {
            name: "v1 password",
            request: || TestRequest::patch().uri("/api/v1/users/bob"),
            good: json!({"value": {"password": "password-3"}}),
            good_calls: (2, 0, 1),
            bad_calls: (2, 0, 0),
        },
        Case {
            name: "application create",
            request: || TestRequest::post().uri("/api/application/users"),
            good: json!({"username": "new-app", "email": "new@example.org",
                         "first_name": "New", "last_name": "User"}),
            good_calls: (1, 1, 0),
            bad_calls: (1, 0, 0),
        },
        Case {
            name: "application update",
            request: || TestRequest::patch().uri("/api/application/users/2"),
            good: json!({"username": "bob", "email": "bob@example.org",
                         "first_name": "Bob", "last_name": "Lee"}),
            good_calls: (2, 0, 1),
            bad_calls: (2, 0, 0),
        },
    ]
}

#[actix_web::test]
async fn every_write_route_runs_its_use_case_once() {
    let (t, app) = TestApp::start().await;
    let bob = create_user(&app, "bob", false).await;
    assert_eq!(bob["id"], 2, "the application case addresses bob by id");
    for case in cases() {
        let before = t.user_calls.snapshot();
        let req = (case.request)().insert_header(admin());
        let r = send(&app, with_broken_json(req, "{not json")).await;
        assert_eq!(r.status, 400, "{}: {}", case.name, r.text);
        let after = t.user_calls.snapshot();
        assert_eq!(
            delta(before, after),
            case.bad_calls,
            "{} (bad body)",
            case.name
        );

        let before = after;
        let r = send(
            &app,
            json_req((case.request)().insert_header(admin()), case.good),
        )
        .await;
        assert!(
            r.status == 200 || r.status == 201,
            "{}: {}",
            case.name,
            r.text
        );
        let after = t.user_calls.snapshot();
        assert_eq!(
            delta(before, after),
            case.good_calls,
            "{} (good body)",
            case.name
        );
    }
}

#[actix_web::test]
async fn a_refusal_before_the_body_reads_no_body_and_looks_up_once() {
    let (t, app) = TestApp::start().await;
    create_user(&app, "bob", false).await;
    create_user(&app, "eve", false).await;
    // eve may not change bob: 403 from the authorize step, whatever the body holds.
    for (request, status) in [
        (TestRequest::put().uri("/api/v2/users/bob"), 403),
        (TestRequest::put().uri("/api/v2/users/bob/password"), 403),
        (TestRequest::patch().uri("/api/v1/users/bob"), 403),
        (TestRequest::put().uri("/api/v2/users/nobody"), 404),
        (TestRequest::post().uri("/api/v2/users"), 403),
        (TestRequest::put().uri("/api/v1/users/someone"), 403),
    ] {
        let before = t.user_calls.snapshot();
        let req = request.insert_header(basic("eve", PASSWORD));
        let r = send(&app, with_broken_json(req, "{not json")).await;
        assert_eq!(r.status, status, "{}", r.text);
        let (find, create, update) = delta(before, t.user_calls.snapshot());
        assert_eq!((create, update), (0, 0), "nothing is written: {}", r.text);
        assert!(
            find <= 2,
            "authentication and one target lookup at most: {find}"
        );
    }
}

fn delta(before: (usize, usize, usize), after: (usize, usize, usize)) -> (usize, usize, usize) {
    (after.0 - before.0, after.1 - before.1, after.2 - before.2)
}
