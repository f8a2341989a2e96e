//! Login throttling (issue 9): failed password checks are counted per (login, client address)
//! and per address in the database; past a threshold, attempts from there are answered 429
//! with `Retry-After` without checking the password, while the owner from another address is
//! never refused. Second loopback addresses (127.0.0.2, …) stand for other clients.

use crate::families::{assert_application_error, assert_v1_error};
use crate::helpers::{
    ADMIN_PASSWORD, ADMIN_USERNAME, Backend, TestApp, TestResponse, assert_v2_error, both_backends,
    spawn_app_with, spawn_on,
};
use reqwest::Method;
use rollcall_server::Settings;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

const WRONG: &str = "not-the-password";

/// Small thresholds for these tests.
fn thresholds(per_login: u32, per_address: u32) -> impl FnOnce(&mut Settings) {
    move |s: &mut Settings| {
        s.login_throttle.per_login = per_login;
        s.login_throttle.per_address = per_address;
    }
}

/// A client whose connections come from `127.0.0.<n>`.
fn from(n: u8) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, n)))
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

async fn send(rb: reqwest::RequestBuilder) -> TestResponse {
    let response = rb.send().await.expect("send");
    TestResponse {
        status: response.status(),
        headers: response.headers().clone(),
        body: response.bytes().await.expect("body").to_vec(),
    }
}

/// `GET /api/v2/users/me` with Basic from `client`.
async fn me(app: &TestApp, client: &reqwest::Client, login: &str, password: &str) -> TestResponse {
    send(
        client
            .get(format!("{}/api/v2/users/me", app.address))
            .basic_auth(login, Some(password)),
    )
    .await
}

/// `times` wrong Basic passwords for the admin from `client`, each refused with 401.
async fn fail(app: &TestApp, client: &reqwest::Client, times: usize) {
    for _ in 0..times {
        me(app, client, ADMIN_USERNAME, WRONG)
            .await
            .assert_status(401);
    }
}

/// Asserts a throttled v2 answer: 429, `Retry-After` within the window, the v2 envelope.
#[track_caller]
fn assert_throttled(r: &TestResponse) {
    let detail = assert_v2_error(r, 429)["detail"].clone();
    assert!(
        detail
            .as_str()
            .unwrap()
            .contains("Too many failed sign-in attempts"),
        "{detail}"
    );
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=15 * 60).contains(&retry), "{retry}");
}

async fn a_login_is_throttled_per_address_and_the_owner_elsewhere_is_not(backend: Backend) {
    let app = spawn_app_with(backend, thresholds(3, 100)).await;
    let attacker = from(1);
    fail(&app, &attacker, 3).await;
    // Now even the right password from the attacker's address is refused unchecked, also
    // under the user's other login (the e-mail) and through every route that checks one.
    assert_throttled(&me(&app, &attacker, ADMIN_USERNAME, ADMIN_PASSWORD).await);
    assert_throttled(&me(&app, &attacker, "ADMIN", WRONG).await);
    let token = send(
        attacker
            .post(format!("{}/token", app.address))
            .form(&[("username", ADMIN_USERNAME), ("password", ADMIN_PASSWORD)]),
    )
    .await;
    assert_throttled(&token);
    let v1 = send(
        attacker
            .get(format!("{}/api/v1/users", app.address))
            .basic_auth(ADMIN_USERNAME, Some(ADMIN_PASSWORD)),
    )
    .await;
    assert_eq!(assert_v1_error(&v1, 429), "Too Many Requests");
    assert!(v1.header("retry-after").is_some());
    let application = send(
        attacker
            .get(format!("{}/api/application/users", app.address))
            .basic_auth(ADMIN_USERNAME, Some(ADMIN_PASSWORD)),
    )
    .await;
    let errors = assert_application_error(&application, 429);
    assert_eq!(errors["code"], "TooManyRequestsHttpException");

    // The owner, from another address, signs in whatever the attacker did; so do other
    // logins from the attacker's address (below the per-address threshold).
    let owner = from(2);
    me(&app, &owner, ADMIN_USERNAME, ADMIN_PASSWORD)
        .await
        .assert_status(200);
    let bob = app.make_user("bob", false).await;
    me(&app, &attacker, "bob", &bob.password)
        .await
        .assert_status(200);

    let metrics = app
        .call(Method::GET, "/metrics", &crate::helpers::Auth::None)
        .await
        .text();
    assert!(
        metrics.contains("rollcall_login_lockouts_total{scope=\"login_address\"} 1\n"),
        "{metrics}"
    );
    assert!(metrics.contains("rollcall_login_throttled_total{scope=\"login_address\"} 5\n"));
}

async fn a_success_clears_the_pairs_count(backend: Backend) {
    let app = spawn_app_with(backend, thresholds(3, 100)).await;
    let client = from(1);
    fail(&app, &client, 2).await;
    me(&app, &client, ADMIN_USERNAME, ADMIN_PASSWORD)
        .await
        .assert_status(200);
    // A typo after a success starts again from zero.
    fail(&app, &client, 2).await;
    // A cached success is not a guess either.
    me(&app, &client, ADMIN_USERNAME, ADMIN_PASSWORD)
        .await
        .assert_status(200);
}

async fn an_address_is_throttled_whatever_login_it_tries(backend: Backend) {
    let app = spawn_app_with(backend, thresholds(100, 4)).await;
    let sprayer = from(3);
    for login in ["admin", "bob", "carol", "nobody@example.com"] {
        me(&app, &sprayer, login, WRONG).await.assert_status(401);
    }
    assert_throttled(&me(&app, &sprayer, "dave", WRONG).await);
    assert_throttled(&me(&app, &sprayer, ADMIN_USERNAME, ADMIN_PASSWORD).await);
    me(&app, &from(4), ADMIN_USERNAME, ADMIN_PASSWORD)
        .await
        .assert_status(200);
}

async fn two_instances_share_the_counts(backend: Backend) {
    let first = spawn_app_with(backend, thresholds(4, 100)).await;
    let second = spawn_on(backend, first.db.clone(), thresholds(4, 100)).await;
    let client = from(5);
    for app in [&first, &second, &first, &second] {
        fail(app, &client, 1).await;
    }
    assert_throttled(&me(&first, &client, ADMIN_USERNAME, ADMIN_PASSWORD).await);
    assert_throttled(&me(&second, &client, ADMIN_USERNAME, ADMIN_PASSWORD).await);
}

async fn forwarded_addresses_count_only_behind_trusted_proxies(backend: Backend) {
    let proxied = spawn_app_with(backend, |s| {
        thresholds(2, 100)(s);
        s.trusted_proxies = vec!["127.0.0.0/30".parse().unwrap()];
    })
    .await;
    let proxy = from(1);
    let via = |client_ip: &'static str, password: &'static str| {
        proxy
            .get(format!("{}/api/v2/users/me", proxied.address))
            .basic_auth(ADMIN_USERNAME, Some(password))
            .header("X-Forwarded-For", format!("6.6.6.6, {client_ip}"))
    };
    for _ in 0..2 {
        send(via("198.51.100.1", WRONG)).await.assert_status(401);
    }
    assert_throttled(&send(via("198.51.100.1", ADMIN_PASSWORD)).await);
    // Another client behind the same proxy is not, and the spoofable left entry is ignored.
    send(via("198.51.100.2", ADMIN_PASSWORD))
        .await
        .assert_status(200);

    // Without trusted proxies, the header changes nothing: the peer is the client.
    let direct = spawn_app_with(backend, thresholds(2, 100)).await;
    let client = from(6);
    for n in 0..2 {
        send(
            client
                .get(format!("{}/api/v2/users/me", direct.address))
                .basic_auth(ADMIN_USERNAME, Some(WRONG))
                .header("X-Forwarded-For", format!("203.0.113.{n}")),
        )
        .await
        .assert_status(401);
    }
    assert_throttled(&me(&direct, &client, ADMIN_USERNAME, ADMIN_PASSWORD).await);
}

async fn the_throttle_can_be_turned_off(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        thresholds(1, 1)(s);
        s.login_throttle.enabled = false;
    })
    .await;
    let client = from(7);
    fail(&app, &client, 3).await;
    me(&app, &client, ADMIN_USERNAME, ADMIN_PASSWORD)
        .await
        .assert_status(200);
}

async fn sign_in_and_v1_current_password_failures_count_too(backend: Backend) {
    let app = spawn_app_with(backend, thresholds(3, 100)).await;
    let client = from(8);
    let sign_in = |password: &str| {
        client
            .post(format!("{}/api/v2/users/sign_in", app.address))
            .json(&serde_json::json!({"user": {"username": ADMIN_USERNAME, "password": password}}))
    };
    send(sign_in(WRONG)).await.assert_status(401);
    // v1's current_password check, through a session of the admin (no password check of its
    // own), is the second failure of the same (login, address) pair.
    let token = app.token(ADMIN_USERNAME, ADMIN_PASSWORD).await;
    let change = send(
        client
            .patch(format!("{}/api/v1/users/{ADMIN_USERNAME}", app.address))
            .bearer_auth(&token)
            .json(&serde_json::json!({"value": {"current_password": WRONG, "password": "a-new-password-1"}})),
    )
    .await;
    assert_v1_error(&change, 400);
    send(sign_in(WRONG)).await.assert_status(401);
    // (A wrong password: the right one was verified for the token above, so the credential
    // cache would answer it without the throttle, as documented.)
    assert_throttled(&send(sign_in(WRONG)).await);
}

both_backends!(
    sign_in_and_v1_current_password_failures_count_too,
    a_login_is_throttled_per_address_and_the_owner_elsewhere_is_not,
    a_success_clears_the_pairs_count,
    an_address_is_throttled_whatever_login_it_tries,
    two_instances_share_the_counts,
    forwarded_addresses_count_only_behind_trusted_proxies,
    the_throttle_can_be_turned_off,
);
