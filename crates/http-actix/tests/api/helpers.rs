//! The test harness: a directory on the in-memory adapters (with the production blocking
//! hasher and moka cache of `rollcall-system`), a users port that can be switched "down", and
//! small request helpers.

use actix_http::Request;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header::HeaderMap;
use actix_web::test::{self, TestRequest};
use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, TimeZone, Utc};
use rollcall_domain::adapters::memory::MemoryStore;
use rollcall_domain::adapters::{FastHasher, FixedClock, SeededRandom, StaticOsAccounts};
use rollcall_domain::audit::AuditEvent;
use rollcall_domain::entities::ImportWrite;
use rollcall_domain::entities::{NewUser, OsGroup, OsUser, User, UserId, UserUpdate};
use rollcall_domain::listing::{Listed, UserQuery};
use rollcall_domain::ports::{BackendError, UserLookup, UserStore, UserStoreError};
use rollcall_domain::secrets::PasswordHash;
use rollcall_domain::services::{Directory, Ports, Settings};
use rollcall_http_actix::{AppState, HttpSettings, Readiness, build_app};
use rollcall_system::{BlockingHasher, MokaCredentialCache};
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

pub const ADMIN: &str = "admin";
pub const ADMIN_PASSWORD: &str = "admin-password";
pub const PASSWORD: &str = "password-1";

/// How often each method of the users port ran, to prove that a request runs each use case
/// once.
#[derive(Debug, Default)]
pub struct UserStoreCalls {
    pub find: AtomicUsize,
    pub create: AtomicUsize,
    pub update: AtomicUsize,
    /// Steps of a walk over the directory (`list_users_after`).
    pub walk: AtomicUsize,
}

impl UserStoreCalls {
    /// `(find, create, update)` so far.
    pub fn snapshot(&self) -> (usize, usize, usize) {
        (
            self.find.load(Ordering::SeqCst),
            self.create.load(Ordering::SeqCst),
            self.update.load(Ordering::SeqCst),
        )
    }
}

/// A users port whose backend can be made unreachable, counting its calls.
pub struct SwitchableUsers {
    inner: MemoryStore,
    down: Arc<AtomicBool>,
    calls: Arc<UserStoreCalls>,
}

impl SwitchableUsers {
    fn check(&self) -> Result<(), UserStoreError> {
        if self.down.load(Ordering::SeqCst) {
            Err(BackendError::Unavailable("connection refused".into()).into())
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl UserStore for SwitchableUsers {
    async fn create_user_audited(
        &self,
        user: NewUser,
        audit: Option<AuditEvent>,
    ) -> Result<User, UserStoreError> {
        self.check()?;
        self.calls.create.fetch_add(1, Ordering::SeqCst);
        self.inner.create_user_audited(user, audit).await
    }
    async fn create_users(&self, users: Vec<NewUser>) -> Result<u64, UserStoreError> {
        self.check()?;
        self.calls.create.fetch_add(1, Ordering::SeqCst);
        self.inner.create_users(users).await
    }
    async fn find_user(&self, lookup: &UserLookup) -> Result<Option<User>, UserStoreError> {
        self.check()?;
        self.calls.find.fetch_add(1, Ordering::SeqCst);
        self.inner.find_user(lookup).await
    }
    async fn list_users(&self, query: &UserQuery) -> Result<Listed<User>, UserStoreError> {
        self.check()?;
        self.inner.list_users(query).await
    }
    async fn list_users_after(
        &self,
        after: Option<UserId>,
        limit: u32,
    ) -> Result<Vec<User>, UserStoreError> {
        self.check()?;
        self.calls.walk.fetch_add(1, Ordering::SeqCst);
        self.inner.list_users_after(after, limit).await
    }
    async fn update_user_audited(
        &self,
        id: UserId,
        update: UserUpdate,
        audit: Option<AuditEvent>,
    ) -> Result<User, UserStoreError> {
        self.check()?;
        self.calls.update.fetch_add(1, Ordering::SeqCst);
        self.inner.update_user_audited(id, update, audit).await
    }
    async fn delete_user_audited(
        &self,
        id: UserId,
        now: DateTime<Utc>,
        audit: Option<AuditEvent>,
    ) -> Result<(), UserStoreError> {
        self.check()?;
        self.inner.delete_user_audited(id, now, audit).await
    }
    async fn count_users(&self) -> Result<u64, UserStoreError> {
        self.check()?;
        self.inner.count_users().await
    }
    async fn apply_import(
        &self,
        writes: Vec<(ImportWrite, AuditEvent)>,
    ) -> Result<(), UserStoreError> {
        self.check()?;
        self.calls.update.fetch_add(1, Ordering::SeqCst);
        self.inner.apply_import(writes).await
    }
    async fn replace_password_hash(
        &self,
        id: UserId,
        expected: &PasswordHash,
        new: &PasswordHash,
    ) -> Result<bool, UserStoreError> {
        self.check()?;
        self.calls.update.fetch_add(1, Ordering::SeqCst);
        self.inner.replace_password_hash(id, expected, new).await
    }
}

/// A readiness probe that follows the users port's switch.
struct SwitchReadiness(Arc<AtomicBool>);

#[async_trait]
impl Readiness for SwitchReadiness {
    async fn check(&self) -> Result<(), String> {
        if self.0.load(Ordering::SeqCst) {
            Err("database unreachable".into())
        } else {
            Ok(())
        }
    }
}

/// One application with its own store.
pub struct TestApp {
    pub state: AppState,
    /// The store behind every port, to seed it directly.
    pub store: MemoryStore,
    pub down: Arc<AtomicBool>,
    pub clock: Arc<FixedClock>,
    /// The users port's call counts.
    pub user_calls: Arc<UserStoreCalls>,
}

impl TestApp {
    pub async fn new() -> Self {
        let store = MemoryStore::new();
        let down = Arc::new(AtomicBool::new(false));
        let user_calls = Arc::new(UserStoreCalls::default());
        let clock = Arc::new(FixedClock::at(
            Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap(),
        ));
        let ports = Ports {
            users: Arc::new(SwitchableUsers {
                inner: store.clone(),
                down: down.clone(),
                calls: user_calls.clone(),
            }),
            audit: Arc::new(store.clone()),
            sessions: Arc::new(store.clone()),
            api_keys: Arc::new(store.clone()),
            configurations: Arc::new(store.clone()),
            hasher: Arc::new(BlockingHasher::new(FastHasher::new(), 2)),
            clock: clock.clone(),
            random: Arc::new(SeededRandom::new(7)),
            credential_cache: Arc::new(MokaCredentialCache::new(Duration::from_secs(60), 1000)),
            os_accounts: Arc::new(StaticOsAccounts {
                users: vec![OsUser {
                    name: "root".into(),
                    uid: 0,
                    gid: 0,
                    info: "root".into(),
                }],
                groups: vec![OsGroup {
                    name: "staff".into(),
                    gid: 50,
                    users: vec!["alice".into()],
                }],
            }),
            login_failures: Arc::new(store.clone()),
            auth_events: Arc::new(rollcall_domain::ports::NoAuthEvents),
        };
        let directory = Directory::new(ports, Settings::default());
        directory
            .bootstrap_admin(ADMIN, ADMIN_PASSWORD)
            .await
            .unwrap()
            .unwrap();
        Self {
            store,
            state: AppState {
                directory,
                readiness: Arc::new(SwitchReadiness(down.clone())),
                settings: HttpSettings {
                    public_url: None,
                    secure_cookies: true,
                    metrics_token: None,
                    ..HttpSettings::default()
                },
                metrics: Arc::default(),
            },
            down,
            clock,
            user_calls,
        }
    }

    pub async fn service(
        &self,
    ) -> impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error>
    {
        test::init_service(build_app(self.state.clone())).await
    }
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
    pub json: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn headers_all(&self, name: &str) -> Vec<String> {
        self.headers
            .get_all(name)
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect()
    }

    /// Asserts the v2 envelope and returns its `detail`.
    pub fn detail(&self) -> String {
        let detail = self.json["detail"]
            .as_str()
            .unwrap_or_else(|| panic!("no v2 envelope in {} {}", self.status, self.text));
        assert_eq!(self.json["messages"][0], detail, "{}", self.text);
        assert!(self.json["details"].is_object(), "{}", self.text);
        detail.to_owned()
    }

    /// Asserts a v1 error — the body is a bare JSON string — and returns it.
    pub fn v1_error(&self) -> String {
        self.json
            .as_str()
            .unwrap_or_else(|| panic!("no v1 error string in {} {}", self.status, self.text))
            .to_owned()
    }

    /// Asserts the application envelope — `{"errors": [...]}` and nothing else, each entry
    /// with exactly `code`, `status` (this response's, as a string), `detail` and, for
    /// validation errors only, `meta` — and returns the entries.
    pub fn app_errors(&self) -> Vec<Value> {
        let object = self
            .json
            .as_object()
            .unwrap_or_else(|| panic!("no application envelope in {} {}", self.status, self.text));
        assert_eq!(object.len(), 1, "{}", self.text);
        let errors = object["errors"]
            .as_array()
            .expect("errors is a list")
            .clone();
        assert!(!errors.is_empty(), "{}", self.text);
        for e in &errors {
            let validation = e["code"] == "ValidationException";
            let mut keys: Vec<&str> = e.as_object().unwrap().keys().map(String::as_str).collect();
            keys.sort_unstable();
            let expected: &[&str] = if validation {
                &["code", "detail", "meta", "status"]
            } else {
                &["code", "detail", "status"]
            };
            assert_eq!(keys, expected, "{}", self.text);
            assert_eq!(e["status"], self.status.to_string(), "{}", self.text);
            assert!(!e["detail"].as_str().unwrap().is_empty(), "{}", self.text);
            if validation {
                assert!(e["meta"]["source_field"].is_string(), "{}", self.text);
                assert!(e["meta"]["rule"].is_string(), "{}", self.text);
            }
        }
        errors
    }

    /// The one application error of a response: `(code, detail)`.
    pub fn app_error(&self) -> (String, String) {
        let errors = self.app_errors();
        assert_eq!(errors.len(), 1, "{}", self.text);
        (
            errors[0]["code"].as_str().unwrap().to_owned(),
            errors[0]["detail"].as_str().unwrap().to_owned(),
        )
    }

    /// The `(source_field, rule)` of every entry of an application 422.
    pub fn app_rules(&self) -> Vec<(String, String)> {
        assert_eq!(self.status, 422, "{}", self.text);
        self.app_errors()
            .iter()
            .map(|e| {
                assert_eq!(e["code"], "ValidationException");
                (
                    e["meta"]["source_field"].as_str().unwrap().to_owned(),
                    e["meta"]["rule"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    /// The error codes of one field in a v2 envelope.
    pub fn codes(&self, field: &str) -> Vec<String> {
        self.json["details"][field]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e["error"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

pub async fn send<S, B>(app: &S, req: TestRequest) -> Reply
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let resp = test::call_service(app, req.to_request()).await;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let bytes = test::read_body(resp).await;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    assert!(!text.contains("$test$"), "a password hash leaked: {text}");
    Reply {
        status,
        headers,
        text,
        json,
    }
}

pub fn basic(login: &str, password: &str) -> (&'static str, String) {
    (
        "Authorization",
        format!("Basic {}", STANDARD.encode(format!("{login}:{password}"))),
    )
}

pub fn admin() -> (&'static str, String) {
    basic(ADMIN, ADMIN_PASSWORD)
}

pub fn bearer(token: &str) -> (&'static str, String) {
    ("Authorization", format!("Bearer {token}"))
}

pub fn json_req(req: TestRequest, body: Value) -> TestRequest {
    req.insert_header(("content-type", "application/json"))
        .set_payload(body.to_string())
}

/// Creates a user through the API as the admin; returns its JSON.
pub async fn create_user<S, B>(app: &S, username: &str, is_admin: bool) -> Value
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let r = send(
        app,
        json_req(
            TestRequest::post()
                .uri("/api/v2/users")
                .insert_header(admin()),
            serde_json::json!({"username": username, "password": PASSWORD, "is_admin": is_admin}),
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json
}

/// Signs in through `POST /token`; returns the token.
pub async fn token<S, B>(app: &S, login: &str, password: &str) -> String
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let r = send(
        app,
        TestRequest::post()
            .uri("/token")
            .insert_header(("content-type", "application/x-www-form-urlencoded"))
            .set_payload(format!("username={login}&password={password}")),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["access_token"].as_str().unwrap().to_owned()
}

/// Creates an API key for `auth` with these `controller/action` scopes; returns the full key.
pub async fn api_key<S, B>(app: &S, auth: (&'static str, String), scopes: &[&str]) -> String
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let scopes: Vec<Value> = scopes
        .iter()
        .map(|s| {
            let (c, a) = s.split_once('/').unwrap();
            serde_json::json!({"controller": c, "action": a})
        })
        .collect();
    let r = send(
        app,
        json_req(
            TestRequest::post()
                .uri("/api/v2/users/me/api_keys")
                .insert_header(auth),
            serde_json::json!({"name": "k", "api_key_scopes": scopes}),
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json["key"].as_str().unwrap().to_owned()
}

impl TestApp {
    /// A fresh application with the default settings, and its service.
    pub async fn start() -> (
        Self,
        impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error>,
    ) {
        let t = Self::new().await;
        // Not `t.service()`: its service borrows `t`, which this returns.
        let app = test::init_service(build_app(t.state.clone())).await;
        (t, app)
    }
}
