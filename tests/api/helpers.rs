//! The black-box test harness: [`spawn_app`] starts the real [`Application`] on
//! `127.0.0.1:0` over a fresh database (a SQLite file in a temporary directory, or a fresh
//! PostgreSQL database `rollcall_bb_<random>` created through `TEST_DATABASE_URL` and dropped
//! afterwards), and [`TestApp`] speaks HTTP to it with one method per endpoint.
//!
//! Tests that must hold on both backends are written once as `async fn name(backend:
//! Backend)` and registered with [`both_backends!`], which makes a `name::sqlite` and a
//! `name::postgres` test; the PostgreSQL one passes trivially (and says so) when
//! `TEST_DATABASE_URL` is not set.
//!
//! Set `TEST_LOG=1` to see the server's logs.

use diesel_async::{AsyncConnection, AsyncPgConnection};
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use rollcall_server::settings::{DatabaseUrl, LogFormat, Settings};
use rollcall_server::{Application, telemetry};
use rollcall_system::Argon2Params;
use secrecy::SecretString;
use serde_json::{Value, json};
use std::sync::{Arc, LazyLock};
use std::time::Duration;
use tempfile::TempDir;
use tokio::sync::oneshot;

/// The first admin every test app starts with.
pub const ADMIN_USERNAME: &str = "admin";
/// Their password.
pub const ADMIN_PASSWORD: &str = "admin-password-1";

/// The OS account files every test app reads.
pub const PASSWD_FILE: &str = "root:x:0:0:root:/root:/bin/bash\n\
                               alice:x:1000:1000:Alice Liddell,,,:/home/alice:/bin/sh\n";
/// See [`PASSWD_FILE`].
pub const GROUP_FILE: &str = "root:x:0:\nstaff:x:50:alice,bob\n";

/// The exact key set of a v2 user body (api.md section 4).
pub const V2_USER_KEYS: [&str; 17] = [
    "id",
    "uuid",
    "username",
    "email",
    "first_name",
    "last_name",
    "external_id",
    "language",
    "is_admin",
    "enabled",
    "avatar",
    "user_id",
    "group_id",
    "source_type",
    "expired_at",
    "created_at",
    "updated_at",
];

static TRACING: LazyLock<()> = LazyLock::new(|| {
    if std::env::var_os("TEST_LOG").is_some() {
        let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into());
        let _ = telemetry::init_tracing(
            LogFormat::Human,
            &filter,
            tracing_subscriber::fmt::TestWriter::default(),
            false,
        );
    }
});

/// Registers `async fn $name(backend: Backend)` as a SQLite test and a PostgreSQL test.
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite() {
                    super::$name($crate::helpers::Backend::Sqlite).await;
                }

                #[tokio::test]
                async fn postgres() {
                    match $crate::helpers::Backend::postgres() {
                        Some(backend) => super::$name(backend).await,
                        None => eprintln!("skipped: TEST_DATABASE_URL is not set"),
                    }
                }
            }
        )+
    };
}
pub(crate) use both_backends;

/// Which database a test app runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file in a temporary directory.
    Sqlite,
    /// A fresh database on the server `TEST_DATABASE_URL` points at.
    Postgres,
}

impl Backend {
    /// PostgreSQL when `TEST_DATABASE_URL` is set.
    pub fn postgres() -> Option<Self> {
        test_database_url().map(|_| Self::Postgres)
    }
}

/// `TEST_DATABASE_URL`, when set and not empty.
pub fn test_database_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
}

/// A database made for one test, dropped when the last app using it is gone.
pub struct TestDatabase {
    /// The URL the applications connect to.
    pub url: String,
    /// The PostgreSQL database name, if on PostgreSQL.
    pub pg_name: Option<String>,
    /// `TEST_DATABASE_URL`, to administer the PostgreSQL database.
    pub pg_admin_url: Option<String>,
    /// Holds the SQLite file and the OS account files.
    pub dir: TempDir,
}

impl TestDatabase {
    /// Makes a fresh database on `backend`.
    pub async fn create(backend: Backend) -> Arc<Self> {
        let dir = tempfile::tempdir().expect("temporary directory");
        std::fs::write(dir.path().join("passwd"), PASSWD_FILE).unwrap();
        std::fs::write(dir.path().join("group"), GROUP_FILE).unwrap();
        match backend {
            Backend::Sqlite => {
                let path = dir.path().join("rollcall.db");
                Arc::new(Self {
                    url: format!("sqlite://{}", path.display()),
                    pg_name: None,
                    pg_admin_url: None,
                    dir,
                })
            }
            Backend::Postgres => {
                let admin_url = test_database_url().expect("TEST_DATABASE_URL");
                let name = format!("rollcall_bb_{}", uuid::Uuid::new_v4().simple());
                pg_execute(&admin_url, &format!("CREATE DATABASE \"{name}\"")).await;
                let mut url = url::Url::parse(&admin_url).expect("TEST_DATABASE_URL is a URL");
                url.set_path(&format!("/{name}"));
                Arc::new(Self {
                    url: url.to_string(),
                    pg_name: Some(name),
                    pg_admin_url: Some(admin_url),
                    dir,
                })
            }
        }
    }

    /// Runs a statement on the PostgreSQL server as the `TEST_DATABASE_URL` user.
    pub async fn pg_admin(&self, sql: &str) {
        let admin_url = self.pg_admin_url.as_deref().expect("a PostgreSQL database");
        pg_execute(admin_url, sql).await;
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (Some(name), Some(admin_url)) = (self.pg_name.take(), self.pg_admin_url.take()) else {
            return;
        };
        // Drop runs inside the test's runtime, which cannot block on a future: use a thread
        // with a runtime of its own. FORCE ends the connections the pool still holds.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                use diesel_async::RunQueryDsl;
                let mut conn = AsyncPgConnection::establish(&admin_url)
                    .await
                    .map_err(|e| e.to_string())?;
                diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .execute(&mut conn)
                    .await
                    .map_err(|e| e.to_string())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(_))) {
            eprintln!("could not drop the test database: {dropped:?}");
        }
    }
}

async fn pg_execute(url: &str, sql: &str) {
    use diesel_async::RunQueryDsl;
    let mut conn = AsyncPgConnection::establish(url)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to TEST_DATABASE_URL: {e}"));
    diesel::sql_query(sql)
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Settings of a test app: port 0, cheap Argon2, known admin, temporary OS account files.
pub fn test_settings(db: &TestDatabase) -> Settings {
    Settings {
        bind: "127.0.0.1:0".into(),
        database_url: DatabaseUrl::new(db.url.clone()),
        pool_size: 4,
        argon2: Argon2Params {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        },
        hash_concurrency: 2,
        passwd_file: db.dir.path().join("passwd"),
        group_file: db.dir.path().join("group"),
        shutdown_timeout: Duration::from_secs(1),
        workers: Some(1),
        admin_username: Some(ADMIN_USERNAME.into()),
        admin_password: Some(SecretString::from(ADMIN_PASSWORD)),
        ..Settings::default()
    }
}

/// How a request authenticates.
#[derive(Debug, Clone)]
pub enum Auth {
    /// No credentials.
    None,
    /// `Authorization: Basic …`.
    Basic(String, String),
    /// `Authorization: Bearer <token or key>`.
    Bearer(String),
    /// `Authorization: <token>` (Nodeum style).
    Bare(String),
    /// `X-Empire-Token: <token>`.
    EmpireToken(String),
    /// A `Cookie` header, as `name=value`.
    Cookie(String),
}

impl Auth {
    /// Basic with a username and password.
    pub fn basic(login: &str, password: &str) -> Self {
        Self::Basic(login.into(), password.into())
    }

    /// Bearer with a token or key.
    pub fn bearer(token: &str) -> Self {
        Self::Bearer(token.into())
    }
}

/// A user made by a test, with the password it was given.
#[derive(Debug, Clone)]
pub struct TestUser {
    /// Id.
    pub id: i64,
    /// Username.
    pub username: String,
    /// Password.
    pub password: String,
}

impl TestUser {
    /// Basic credentials of this user.
    pub fn basic(&self) -> Auth {
        Auth::basic(&self.username, &self.password)
    }
}

/// A response read to the end.
#[derive(Debug)]
pub struct TestResponse {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl TestResponse {
    /// The body as JSON; panics with the body text when it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "status {}: body is not JSON ({e}): {:?}",
                self.status,
                self.text()
            )
        })
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// One header as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    /// All values of `WWW-Authenticate`, joined.
    pub fn challenges(&self) -> String {
        self.headers
            .get_all("www-authenticate")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Asserts the status, printing the body when it differs.
    #[track_caller]
    pub fn assert_status(&self, expected: u16) -> &Self {
        assert_eq!(
            self.status.as_u16(),
            expected,
            "unexpected status; body: {}",
            self.text()
        );
        self
    }
}

/// A running application and a client for it.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// The bound port.
    pub port: u16,
    /// The backend.
    pub backend: Backend,
    /// The database (shared with sibling instances).
    pub db: Arc<TestDatabase>,
    /// A client that follows no redirects and keeps no cookies.
    pub client: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.shutdown.take() {
            let _ = stop.send(());
        }
    }
}

/// Starts an application on a fresh database.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// Starts an application on a fresh database, with adjusted settings.
pub async fn spawn_app_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let db = TestDatabase::create(backend).await;
    spawn_on(backend, db, adjust).await
}

/// Starts an application on PostgreSQL (`spawn_app(Backend::Postgres)`); `None` without
/// `TEST_DATABASE_URL`.
pub async fn spawn_app_pg() -> Option<TestApp> {
    match Backend::postgres() {
        Some(backend) => Some(spawn_app(backend).await),
        None => None,
    }
}

/// Starts an application on an existing test database.
pub async fn spawn_on(
    backend: Backend,
    db: Arc<TestDatabase>,
    adjust: impl FnOnce(&mut Settings),
) -> TestApp {
    LazyLock::force(&TRACING);
    let mut settings = test_settings(&db);
    adjust(&mut settings);
    let application = Application::build(settings)
        .await
        .unwrap_or_else(|e| panic!("the application failed to start: {e} ({e:?})"));
    serve(backend, db, application)
}

/// Runs a built application in the background.
pub fn serve(backend: Backend, db: Arc<TestDatabase>, application: Application) -> TestApp {
    let port = application.port();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(application.run_until(async move {
        let _ = stopped.await;
    }));
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        backend,
        db,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap(),
        shutdown: Some(stop),
    }
}

impl TestApp {
    /// A second instance on the same database, as behind a load balancer.
    pub async fn spawn_sibling(&self) -> TestApp {
        spawn_on(self.backend, self.db.clone(), |_| {}).await
    }

    /// The first admin's Basic credentials.
    pub fn admin(&self) -> Auth {
        Auth::basic(ADMIN_USERNAME, ADMIN_PASSWORD)
    }

    /// The first admin's id, from `GET /api/v2/users/me`.
    pub async fn admin_id(&self) -> i64 {
        let me = self.get_me(&self.admin()).await;
        me.assert_status(200);
        me.json()["id"].as_i64().expect("id")
    }

    // --- transport ----------------------------------------------------------------------

    /// A request to `path` with `auth` applied.
    pub fn request(&self, method: Method, path: &str, auth: &Auth) -> reqwest::RequestBuilder {
        let rb = self
            .client
            .request(method, format!("{}{}", self.address, path));
        match auth {
            Auth::None => rb,
            Auth::Basic(login, password) => rb.basic_auth(login, Some(password)),
            Auth::Bearer(token) => rb.bearer_auth(token),
            Auth::Bare(token) => rb.header("Authorization", token),
            Auth::EmpireToken(token) => rb.header("X-Empire-Token", token),
            Auth::Cookie(cookie) => rb.header("Cookie", cookie),
        }
    }

    /// Sends a request and reads the whole response.
    pub async fn send(&self, rb: reqwest::RequestBuilder) -> TestResponse {
        let response = rb.send().await.expect("the request could not be sent");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .expect("the body could not be read")
            .to_vec();
        TestResponse {
            status,
            headers,
            body,
        }
    }

    /// A request without a body.
    pub async fn call(&self, method: Method, path: &str, auth: &Auth) -> TestResponse {
        self.send(self.request(method, path, auth)).await
    }

    /// A request with a JSON body.
    pub async fn call_json(
        &self,
        method: Method,
        path: &str,
        auth: &Auth,
        body: &Value,
    ) -> TestResponse {
        self.send(self.request(method, path, auth).json(body)).await
    }

    /// A request with a raw body and content type.
    pub async fn call_raw(
        &self,
        method: Method,
        path: &str,
        auth: &Auth,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> TestResponse {
        self.send(
            self.request(method, path, auth)
                .header("Content-Type", HeaderValue::from_str(content_type).unwrap())
                .body(body),
        )
        .await
    }

    /// `POST path` with a body declared as JSON and sent as is (malformed, or too large).
    pub async fn post_raw_json(
        &self,
        path: &str,
        auth: &Auth,
        body: impl Into<reqwest::Body>,
    ) -> TestResponse {
        self.call_raw(Method::POST, path, auth, "application/json", body)
            .await
    }

    // --- operations ---------------------------------------------------------------------

    /// `GET /healthz`.
    pub async fn healthz(&self) -> TestResponse {
        self.call(Method::GET, "/healthz", &Auth::None).await
    }

    /// `GET /readyz`.
    pub async fn readyz(&self) -> TestResponse {
        self.call(Method::GET, "/readyz", &Auth::None).await
    }

    /// `GET /openapi.json`.
    pub async fn openapi(&self) -> TestResponse {
        self.call(Method::GET, "/openapi.json", &Auth::None).await
    }

    // --- sessions -----------------------------------------------------------------------

    /// `POST /token` with form fields.
    pub async fn post_token(&self, form: &[(&str, &str)]) -> TestResponse {
        self.send(self.request(Method::POST, "/token", &Auth::None).form(form))
            .await
    }

    /// A session token from `POST /token`.
    pub async fn token(&self, username: &str, password: &str) -> String {
        let response = self
            .post_token(&[("username", username), ("password", password)])
            .await;
        response.assert_status(200);
        response.json()["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    /// `POST /api/v2/users/sign_in` with a JSON body.
    pub async fn sign_in(&self, body: &Value) -> TestResponse {
        self.call_json(Method::POST, "/api/v2/users/sign_in", &Auth::None, body)
            .await
    }

    /// Signs in and returns the token from the `Authorization` response header.
    pub async fn sign_in_token(&self, username: &str, password: &str) -> String {
        let response = self
            .sign_in(&json!({"user": {"username": username, "password": password}}))
            .await;
        response.assert_status(201);
        response
            .header("authorization")
            .expect("Authorization header")
    }

    /// `DELETE /api/v2/users/sign_out`.
    pub async fn sign_out(&self, auth: &Auth) -> TestResponse {
        self.call(Method::DELETE, "/api/v2/users/sign_out", auth)
            .await
    }

    // --- users --------------------------------------------------------------------------

    /// `GET /api/v2/users/me`.
    pub async fn get_me(&self, auth: &Auth) -> TestResponse {
        self.call(Method::GET, "/api/v2/users/me", auth).await
    }

    /// `GET /api/v2/users?<query>`.
    pub async fn list_users(&self, auth: &Auth, query: &str) -> TestResponse {
        let path = if query.is_empty() {
            "/api/v2/users".to_owned()
        } else {
            format!("/api/v2/users?{query}")
        };
        self.call(Method::GET, &path, auth).await
    }

    /// `POST /api/v2/users`.
    pub async fn create_user(&self, auth: &Auth, body: &Value) -> TestResponse {
        self.call_json(Method::POST, "/api/v2/users", auth, body)
            .await
    }

    /// Creates a user as the admin and returns it with its password.
    pub async fn make_user(&self, username: &str, is_admin: bool) -> TestUser {
        let password = format!("{username}-password");
        let response = self
            .create_user(
                &self.admin(),
                &json!({
                    "username": username,
                    "password": password,
                    "email": format!("{username}@example.com"),
                    "is_admin": is_admin,
                }),
            )
            .await;
        response.assert_status(201);
        TestUser {
            id: response.json()["id"].as_i64().expect("id"),
            username: username.to_owned(),
            password,
        }
    }

    /// `GET /api/v2/users/{ref}`.
    pub async fn get_user(&self, auth: &Auth, user_ref: &str) -> TestResponse {
        self.call(Method::GET, &format!("/api/v2/users/{user_ref}"), auth)
            .await
    }

    /// `PUT /api/v2/users/{ref}`.
    pub async fn update_user(&self, auth: &Auth, user_ref: &str, body: &Value) -> TestResponse {
        self.call_json(
            Method::PUT,
            &format!("/api/v2/users/{user_ref}"),
            auth,
            body,
        )
        .await
    }

    /// `DELETE /api/v2/users/{ref}`.
    pub async fn delete_user(&self, auth: &Auth, user_ref: &str) -> TestResponse {
        self.call(Method::DELETE, &format!("/api/v2/users/{user_ref}"), auth)
            .await
    }

    /// `PUT /api/v2/users/{ref}/password`.
    pub async fn change_password(&self, auth: &Auth, user_ref: &str, body: &Value) -> TestResponse {
        self.call_json(
            Method::PUT,
            &format!("/api/v2/users/{user_ref}/password"),
            auth,
            body,
        )
        .await
    }

    /// `GET /api/v2/users/-/systems`.
    pub async fn system_users(&self, auth: &Auth) -> TestResponse {
        self.call(Method::GET, "/api/v2/users/-/systems", auth)
            .await
    }

    /// `GET /api/v2/groups/-/systems`.
    pub async fn system_groups(&self, auth: &Auth) -> TestResponse {
        self.call(Method::GET, "/api/v2/groups/-/systems", auth)
            .await
    }

    // --- configurations -----------------------------------------------------------------

    /// `GET /api/v2/users/me/configurations?<query>`.
    pub async fn list_configurations(&self, auth: &Auth, query: &str) -> TestResponse {
        self.call(
            Method::GET,
            &format!("/api/v2/users/me/configurations?{query}"),
            auth,
        )
        .await
    }

    /// `POST /api/v2/users/me/configurations`.
    pub async fn create_configuration(&self, auth: &Auth, body: &Value) -> TestResponse {
        self.call_json(Method::POST, "/api/v2/users/me/configurations", auth, body)
            .await
    }

    /// `GET /api/v2/users/me/configurations/{id or key}`.
    pub async fn get_configuration(&self, auth: &Auth, reference: &str) -> TestResponse {
        self.call(
            Method::GET,
            &format!("/api/v2/users/me/configurations/{reference}"),
            auth,
        )
        .await
    }

    /// `PUT /api/v2/users/me/configurations/{id or key}`.
    pub async fn update_configuration(
        &self,
        auth: &Auth,
        reference: &str,
        body: &Value,
    ) -> TestResponse {
        self.call_json(
            Method::PUT,
            &format!("/api/v2/users/me/configurations/{reference}"),
            auth,
            body,
        )
        .await
    }

    /// `DELETE /api/v2/users/me/configurations/{id or key}`.
    pub async fn delete_configuration(&self, auth: &Auth, reference: &str) -> TestResponse {
        self.call(
            Method::DELETE,
            &format!("/api/v2/users/me/configurations/{reference}"),
            auth,
        )
        .await
    }

    // --- API keys -----------------------------------------------------------------------

    /// `GET /api/v2/users/me/api_keys?<query>`.
    pub async fn list_api_keys(&self, auth: &Auth, query: &str) -> TestResponse {
        self.call(
            Method::GET,
            &format!("/api/v2/users/me/api_keys?{query}"),
            auth,
        )
        .await
    }

    /// `POST /api/v2/users/me/api_keys`.
    pub async fn create_api_key(&self, auth: &Auth, body: &Value) -> TestResponse {
        self.call_json(Method::POST, "/api/v2/users/me/api_keys", auth, body)
            .await
    }

    /// Creates a key with these `controller/action` scopes and returns `(id, full key)`.
    pub async fn make_api_key(&self, auth: &Auth, scopes: &[(&str, &str)]) -> (i64, String) {
        let response = self
            .create_api_key(
                auth,
                &json!({"name": "test-key", "api_key_scopes": scope_list(scopes)}),
            )
            .await;
        response.assert_status(201);
        let body = response.json();
        (
            body["id"].as_i64().expect("id"),
            body["key"].as_str().expect("key").to_owned(),
        )
    }

    /// Creates a key with these `controller/action` scopes and returns it as Bearer credentials.
    pub async fn key_bearer(&self, auth: &Auth, scopes: &[(&str, &str)]) -> Auth {
        let (_, key) = self.make_api_key(auth, scopes).await;
        Auth::bearer(&key)
    }

    /// `GET /api/v2/users/me/api_keys/{id}`.
    pub async fn get_api_key(&self, auth: &Auth, id: &str) -> TestResponse {
        self.call(
            Method::GET,
            &format!("/api/v2/users/me/api_keys/{id}"),
            auth,
        )
        .await
    }

    /// `PUT /api/v2/users/me/api_keys/{id}`.
    pub async fn update_api_key(&self, auth: &Auth, id: &str, body: &Value) -> TestResponse {
        self.call_json(
            Method::PUT,
            &format!("/api/v2/users/me/api_keys/{id}"),
            auth,
            body,
        )
        .await
    }

    /// `DELETE /api/v2/users/me/api_keys/{id}`.
    pub async fn delete_api_key(&self, auth: &Auth, id: &str) -> TestResponse {
        self.call(
            Method::DELETE,
            &format!("/api/v2/users/me/api_keys/{id}"),
            auth,
        )
        .await
    }

    // --- SCIM ---------------------------------------------------------------------------

    /// A SCIM request to `path` (the whole path, `/scim/v2/…`); `body`, when given, is sent
    /// as `application/scim+json`.
    pub async fn scim(
        &self,
        method: Method,
        path: &str,
        auth: &Auth,
        body: Option<Value>,
    ) -> TestResponse {
        let rb = self.request(method, path, auth);
        let rb = match body {
            Some(body) => rb
                .header("Content-Type", "application/scim+json")
                .body(serde_json::to_vec(&body).unwrap()),
            None => rb,
        };
        self.send(rb).await
    }
}

/// The keys of a JSON object, sorted.
pub fn sorted_keys(value: &Value) -> Vec<&str> {
    let object = value
        .as_object()
        .unwrap_or_else(|| panic!("a JSON object: {value}"));
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

/// `[{"controller", "action"}, …]` from pairs.
pub fn scope_list(scopes: &[(&str, &str)]) -> Value {
    Value::Array(
        scopes
            .iter()
            .map(|(controller, action)| json!({"controller": controller, "action": action}))
            .collect(),
    )
}

// --- assertions ---------------------------------------------------------------------------

/// Asserts a v2 error: the status, a JSON body with exactly `detail`, `messages` and
/// `details`, `detail` equal to the first message, and `details` an object whose entries are
/// lists of `{"error": code, …}`. Returns the body.
#[track_caller]
pub fn assert_v2_error(response: &TestResponse, status: u16) -> Value {
    response.assert_status(status);
    let body = response.json();
    let object = body
        .as_object()
        .unwrap_or_else(|| panic!("the v2 error envelope is an object: {body}"));
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["detail", "details", "messages"],
        "v2 envelope keys: {body}"
    );
    let detail = body["detail"].as_str().expect("detail is a string");
    assert!(!detail.is_empty(), "detail is not empty: {body}");
    let messages = body["messages"].as_array().expect("messages is a list");
    assert!(
        messages.iter().all(Value::is_string),
        "messages are strings: {body}"
    );
    assert_eq!(
        messages.first().and_then(Value::as_str),
        Some(detail),
        "detail is the first message: {body}"
    );
    let details = body["details"].as_object().expect("details is an object");
    for (field, errors) in details {
        let errors = errors
            .as_array()
            .unwrap_or_else(|| panic!("details.{field} is a list: {body}"));
        assert!(!errors.is_empty(), "details.{field} is not empty: {body}");
        for e in errors {
            assert!(
                e.get("error").and_then(Value::as_str).is_some(),
                "details.{field} entries have an error code: {body}"
            );
        }
    }
    body
}

/// Asserts a v2 error with this exact `detail`.
#[track_caller]
pub fn assert_v2_message(response: &TestResponse, status: u16, message: &str) -> Value {
    let body = assert_v2_error(response, status);
    assert_eq!(body["detail"], message, "{body}");
    body
}

/// Asserts a 422 whose `details` name `field` with error `code`; returns that entry.
#[track_caller]
pub fn assert_field_error(response: &TestResponse, field: &str, code: &str) -> Value {
    let body = assert_v2_error(response, 422);
    let entries = body["details"][field]
        .as_array()
        .unwrap_or_else(|| panic!("details has no {field:?}: {body}"));
    entries
        .iter()
        .find(|e| e["error"] == code)
        .cloned()
        .unwrap_or_else(|| panic!("details.{field} has no {code:?}: {body}"))
}

/// Asserts a 401 in the v2 envelope with a Basic challenge for realm `rollcall`.
#[track_caller]
pub fn assert_basic_challenge(response: &TestResponse) {
    assert_challenge(response, "Basic realm=\"rollcall\"");
}

/// Asserts a 401 in the v2 envelope with a Bearer challenge.
#[track_caller]
pub fn assert_bearer_challenge(response: &TestResponse) {
    assert_challenge(response, "Bearer");
}

/// Asserts a 401 in the v2 envelope whose `WWW-Authenticate` holds `challenge`.
#[track_caller]
fn assert_challenge(response: &TestResponse, challenge: &str) {
    assert_v2_error(response, 401);
    let challenges = response.challenges();
    assert!(
        challenges.contains(challenge),
        "WWW-Authenticate has a {challenge} challenge: {challenges:?}"
    );
}

/// Asserts a 401 for a request without credentials: both challenges (api.md section 8).
#[track_caller]
pub fn assert_no_credentials(response: &TestResponse) {
    assert_basic_challenge(response);
    assert_bearer_challenge(response);
}

/// Asserts a v2 user body: exactly the v2 keys, v2 timestamps, no password anywhere.
#[track_caller]
pub fn assert_v2_user(body: &Value) {
    let object = body.as_object().unwrap_or_else(|| panic!("a user: {body}"));
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut expected = V2_USER_KEYS.to_vec();
    expected.sort_unstable();
    assert_eq!(keys, expected, "v2 user keys: {body}");
    assert!(body["id"].as_i64().is_some_and(|id| id > 0), "{body}");
    assert!(
        uuid::Uuid::parse_str(body["uuid"].as_str().unwrap_or_default())
            .is_ok_and(|u| u.get_version_num() == 4),
        "uuid is a UUID v4: {body}"
    );
    assert!(body["avatar"].is_null(), "{body}");
    for field in ["created_at", "updated_at"] {
        assert_v2_timestamp(&body[field]);
    }
    if !body["expired_at"].is_null() {
        assert_v2_timestamp(&body["expired_at"]);
    }
    assert_no_password(body);
}

/// Asserts a v2 timestamp: RFC 3339 UTC with milliseconds and `Z`.
#[track_caller]
pub fn assert_v2_timestamp(value: &Value) {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("a timestamp: {value}"));
    let bytes = text.as_bytes();
    assert!(
        text.len() == 24
            && bytes[4] == b'-'
            && bytes[10] == b'T'
            && bytes[19] == b'.'
            && text.ends_with('Z')
            && chrono::DateTime::parse_from_rfc3339(text).is_ok(),
        "v2 timestamp like 2025-11-05T15:50:35.879Z: {text}"
    );
}

/// Asserts that no key of the JSON names a password or hash and no value is a PHC string.
#[track_caller]
pub fn assert_no_password(value: &Value) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                assert!(
                    !k.contains("password") && !k.contains("hash"),
                    "a response never carries {k:?}"
                );
                assert_no_password(v);
            }
        }
        Value::Array(items) => items.iter().for_each(assert_no_password),
        Value::String(s) => assert!(!s.starts_with("$argon2"), "a PHC string leaked"),
        _ => {}
    }
}
