//! Start-up: [`Application::build`] opens and migrates the database, wires the directory's
//! ports, creates the first admin when the directory is empty and binds the listening socket;
//! [`Application::run_until_stopped`] serves until SIGTERM or SIGINT, then drains in-flight
//! requests. Building is separate from running so that tests can bind port 0, read the port
//! and run the server in the background.

use crate::auth_events::AuthMetrics;
use crate::bootstrap::{AdminBootstrap, bootstrap_admin};
use crate::client::{ClientSocket, remember_socket};
use crate::readiness::DatabaseReadiness;
use crate::settings::Settings;
use actix_web::HttpServer;
use actix_web::dev::Server;
use actix_web::dev::Service;
use rollcall_domain::adapters::NoCredentialCache;
use rollcall_domain::ports::{CredentialCache, HashError};
use rollcall_domain::services::{self, Directory, Ports, ServiceError};
use rollcall_http_actix::{AppState, HttpSettings, Metrics, MetricsSource, build_app};
use rollcall_storage_diesel::{DieselStore, PoolOptions, StorageError, connect};
use rollcall_system::{
    Argon2idHasher, BlockingHasher, FileOsAccounts, HashQueueStats, MokaCredentialCache, OsRandom,
    SystemClock, for_client,
};
use std::future::Future;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The database migrations failed.
    #[error("database migrations failed")]
    Migrations(#[source] StorageError),
    /// The database could not be opened.
    #[error("cannot open the database")]
    Database(#[source] StorageError),
    /// The password hasher could not be built (Argon2 parameters out of range).
    #[error("cannot set up password hashing")]
    Hasher(#[source] HashError),
    /// The first admin could not be created (for example a configured password that is too
    /// short for the password policy).
    #[error("cannot create the first admin")]
    Bootstrap(#[source] ServiceError),
    /// The listening socket could not be bound.
    #[error("cannot listen on {address}")]
    Bind {
        /// The configured address.
        address: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// A built server: database ready, first admin in place, socket bound, not yet serving.
pub struct Application {
    listener: TcpListener,
    address: SocketAddr,
    state: AppState,
    directory: Directory,
    admin: AdminBootstrap,
    shutdown_timeout: Duration,
    session_purge_interval: Duration,
    audit_retention: Duration,
    workers: Option<usize>,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("address", &self.address)
            .field("admin", &self.admin)
            .finish_non_exhaustive()
    }
}

impl Application {
    /// Opens the pool, migrates the database (unless `skip_migrations`), wires the directory,
    /// creates the first admin if there is no user at all, and binds the listener.
    ///
    /// # Errors
    /// [`StartupError`] naming the step that failed.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        if settings.skip_migrations {
            tracing::info!("skipping database migrations as configured");
        }
        let store = open_store(&settings, !settings.skip_migrations).await?;
        let Wiring {
            directory,
            hasher,
            metrics,
        } = wire(&settings, &store).await?;

        let admin = bootstrap_admin(&directory, &settings, &OsRandom)
            .await
            .map_err(StartupError::Bootstrap)?;
        match &admin {
            AdminBootstrap::Existing => {
                tracing::debug!("users exist; first-admin bootstrap skipped");
            }
            AdminBootstrap::Configured { username }
            | AdminBootstrap::Generated { username, .. } => {
                tracing::info!(%username, "created the first admin");
            }
        }

        let listener = TcpListener::bind(&settings.bind).map_err(|source| StartupError::Bind {
            address: settings.bind.clone(),
            source,
        })?;
        let address = listener.local_addr().map_err(|source| StartupError::Bind {
            address: settings.bind.clone(),
            source,
        })?;

        let hash_queue: Arc<dyn MetricsSource> =
            Arc::new(HashQueueMetrics::new(&metrics, &hasher.stats()));
        let pool: Arc<dyn MetricsSource> = Arc::new(PoolMetrics::new(&metrics, store.clone()));
        let state = AppState {
            directory: directory.clone(),
            readiness: Arc::new(DatabaseReadiness::new(store)),
            settings: HttpSettings {
                public_url: settings.public_url.clone(),
                secure_cookies: settings.secure_cookies,
                metrics_token: settings.metrics_token.clone(),
                body_read_timeout: settings.body_read_timeout,
                access_log: settings.access_log,
                trusted_proxies: settings.trusted_proxies.clone(),
            },
            metrics: Arc::new(metrics.with_source(hash_queue).with_source(pool)),
        };
        Ok(Self {
            listener,
            address,
            state,
            directory,
            admin,
            shutdown_timeout: settings.shutdown_timeout,
            session_purge_interval: settings.session_purge_interval,
            audit_retention: settings.audit_retention,
            workers: settings.workers,
        })
    }

    /// The bound port (the real one when the configuration asked for port 0).
    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// The bound address.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// What start-up did about the first admin. When it generated a password, the binary
    /// prints it once; it is never stored anywhere but as a hash.
    pub fn admin_bootstrap(&self) -> &AdminBootstrap {
        &self.admin
    }

    /// The wired directory (the same one the HTTP handlers use).
    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    /// Serves until SIGTERM or SIGINT, then stops accepting connections and gives in-flight
    /// requests up to the configured shutdown timeout to finish.
    ///
    /// # Errors
    /// I/O errors of the HTTP server.
    pub async fn run_until_stopped(self) -> Result<(), std::io::Error> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `shutdown` completes, then shuts down gracefully like
    /// [`Application::run_until_stopped`]. For embedding and tests, which must not take over
    /// the process's signals.
    ///
    /// # Errors
    /// I/O errors of the HTTP server.
    pub async fn run_until<F>(self, shutdown: F) -> Result<(), std::io::Error>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let metrics = self.state.metrics.clone();
        let server = http_server(
            self.state,
            self.listener,
            self.workers,
            self.shutdown_timeout,
            shutdown,
        )?;
        tracing::info!(address = %self.address, "rollcall is listening");
        let purge = tokio::spawn(purge_periodically(
            self.directory,
            self.session_purge_interval,
            self.audit_retention,
        ));
        let upkeep = tokio::spawn(metrics_upkeep(metrics));
        let served = server.await;
        purge.abort();
        upkeep.abort();
        tracing::info!("rollcall stopped");
        served
    }
}

/// Opens the configured database and, when `migrate` is set, applies pending migrations
/// (logging how many); the server and every command that touches the database start here.
///
/// # Errors
/// [`StartupError::Database`], [`StartupError::Migrations`].
pub async fn open_store(settings: &Settings, migrate: bool) -> Result<DieselStore, StartupError> {
    let store = connect(
        settings.database_url.expose_secret(),
        PoolOptions {
            max_size: settings.pool_size,
            ..PoolOptions::default()
        },
    )
    .await
    .map_err(StartupError::Database)?;
    if migrate {
        let applied = store
            .run_migrations()
            .await
            .map_err(StartupError::Migrations)?;
        tracing::info!(
            database = %settings.database_url,
            applied = applied.len(),
            "database schema is up to date"
        );
    }
    Ok(store)
}

/// The directory wired to its ports, with the parts start-up also hands to `/metrics`.
pub(crate) struct Wiring {
    pub(crate) directory: Directory,
    pub(crate) hasher: Arc<BlockingHasher<Argon2idHasher>>,
    /// The series the directory's events count into, for `/metrics`.
    pub(crate) metrics: Metrics,
}

/// Wires the domain's directory to `store` and the system adapters as `settings` say: the
/// same rules for the server and for the commands that change users.
///
/// # Errors
/// [`StartupError::Hasher`] for Argon2 parameters out of range.
pub(crate) async fn wire(settings: &Settings, store: &DieselStore) -> Result<Wiring, StartupError> {
    let params = settings.argon2;
    // Argon2 computes a dummy hash when built: keep it off the async worker.
    let algorithm = tokio::task::spawn_blocking(move || Argon2idHasher::new(params))
        .await
        .map_err(|e| StartupError::Hasher(HashError::Failed(e.to_string())))?
        .map_err(StartupError::Hasher)?;
    let credential_cache: Arc<dyn CredentialCache> =
        if settings.credential_cache_ttl.is_zero() || settings.credential_cache_size == 0 {
            Arc::new(NoCredentialCache)
        } else {
            Arc::new(MokaCredentialCache::new(
                settings.credential_cache_ttl,
                settings.credential_cache_size,
            ))
        };
    let hasher = Arc::new(BlockingHasher::with_bounds(
        algorithm,
        settings.hash_concurrency,
        settings.hash_queue,
    ));
    let session_lifetime = chrono::Duration::from_std(settings.session_lifetime)
        .unwrap_or_else(|_| chrono::Duration::hours(24));
    let metrics = Metrics::new();
    let ports = Ports {
        users: Arc::new(store.clone()),
        sessions: Arc::new(store.clone()),
        api_keys: Arc::new(store.clone()),
        configurations: Arc::new(store.clone()),
        hasher: hasher.clone(),
        clock: Arc::new(SystemClock),
        random: Arc::new(OsRandom),
        credential_cache,
        os_accounts: Arc::new(FileOsAccounts::new(
            &settings.passwd_file,
            &settings.group_file,
        )),
        login_failures: Arc::new(store.clone()),
        auth_events: Arc::new(AuthMetrics::new(&metrics)),
        audit: Arc::new(store.clone()),
    };
    let directory = Directory::new(
        ports,
        services::Settings {
            password_policy: settings.password_policy(),
            session_lifetime,
            api_key_touch_interval: chrono::Duration::seconds(60),
            login_throttle: throttle_rules(settings),
            per_user: settings.per_user,
        },
    );

    Ok(Wiring {
        directory,
        hasher,
        metrics,
    })
}

/// The domain's login throttle from the configuration (`None` when it is off).
fn throttle_rules(settings: &Settings) -> Option<services::ThrottleRules> {
    let t = settings.login_throttle;
    t.enabled.then(|| services::ThrottleRules {
        window: chrono::Duration::from_std(t.window)
            .unwrap_or_else(|_| chrono::Duration::minutes(15)),
        per_login: t.per_login,
        per_address: t.per_address,
    })
}

/// The password hasher's queue in `/metrics`: the checks waiting now, those shed, and how
/// long each waited for a thread.
struct HashQueueMetrics {
    stats: Arc<HashQueueStats>,
    waiting: metrics::Gauge,
    shed: [metrics::Counter; 3],
}

impl HashQueueMetrics {
    fn new(metrics: &Metrics, stats: &Arc<HashQueueStats>) -> Self {
        let wait = metrics.histogram(
            "rollcall_hash_queue_wait_seconds",
            "How long password checks waited for a hashing thread.",
            &[],
        );
        stats.observe_waits(Box::new(move |waited| wait.record(waited.as_secs_f64())));
        let shed = "rollcall_hash_queue_shed_total";
        let help = "Password checks not run: the queue was full, the check waited past its deadline, or its client had gone.";
        Self {
            stats: Arc::clone(stats),
            waiting: metrics.gauge(
                "rollcall_hash_queue_waiting",
                "Password checks waiting for a hashing thread.",
                &[],
            ),
            shed: ["full", "deadline", "client_gone"]
                .map(|reason| metrics.counter(shed, help, &[("reason", reason)])),
        }
    }
}

impl MetricsSource for HashQueueMetrics {
    fn sample(&self) {
        let s = &self.stats;
        self.waiting.set(s.waiting() as f64);
        for (counter, value) in self
            .shed
            .iter()
            .zip([s.refused_full(), s.expired(), s.abandoned()])
        {
            counter.absolute(value);
        }
    }
}

/// The database pool in `/metrics`.
struct PoolMetrics {
    store: DieselStore,
    in_use: metrics::Gauge,
    idle: metrics::Gauge,
    max: metrics::Gauge,
    waiting: metrics::Gauge,
}

impl PoolMetrics {
    fn new(metrics: &Metrics, store: DieselStore) -> Self {
        let connections = "rollcall_db_pool_connections";
        let help = "Database connections of the pool: in use, idle, and its ceiling.";
        Self {
            store,
            in_use: metrics.gauge(connections, help, &[("state", "in_use")]),
            idle: metrics.gauge(connections, help, &[("state", "idle")]),
            max: metrics.gauge(connections, help, &[("state", "max")]),
            waiting: metrics.gauge(
                "rollcall_db_pool_waiting",
                "Callers waiting for a database connection.",
                &[],
            ),
        }
    }
}

impl MetricsSource for PoolMetrics {
    fn sample(&self) {
        let status = self.store.pool_status();
        self.in_use
            .set(status.open.saturating_sub(status.idle) as f64);
        self.idle.set(status.idle as f64);
        self.max.set(status.max as f64);
        self.waiting.set(status.waiting as f64);
    }
}

/// Builds and starts the actix-web server on the bound listener. Kept out of the async
/// functions: the builder holds the (non-`Send`) app factory, which must not live in a future
/// that is spawned onto a multi-threaded runtime.
fn http_server<F>(
    state: AppState,
    listener: TcpListener,
    workers: Option<usize>,
    shutdown_timeout: Duration,
    shutdown: F,
) -> Result<Server, std::io::Error>
where
    F: Future<Output = ()> + Send + 'static,
{
    let mut server = HttpServer::new(move || {
        build_app(state.clone()).wrap_fn(|req, srv| {
            // Password checks queued while answering are skipped once the client has gone.
            let client = req.conn_data::<ClientSocket>().map(ClientSocket::liveness);
            let response = srv.call(req);
            async move {
                match client {
                    Some(alive) => for_client(alive, response).await,
                    None => response.await,
                }
            }
        })
    })
    .on_connect(remember_socket)
    .shutdown_timeout(shutdown_timeout.as_secs())
    .shutdown_signal(shutdown);
    if let Some(workers) = workers {
        server = server.workers(workers);
    }
    Ok(server.listen(listener)?.run())
}

/// Deletes expired sessions, old failed password checks and audit events past
/// `audit_retention` every `interval`. Several instances may do it at once; the deletes are
/// idempotent.
async fn purge_periodically(directory: Directory, interval: Duration, audit_retention: Duration) {
    let audit_retention =
        chrono::Duration::from_std(audit_retention).unwrap_or(chrono::Duration::MAX);
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first tick completes at once; start-up has enough to do.
    ticks.tick().await;
    loop {
        ticks.tick().await;
        match directory.purge_expired_sessions().await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "deleted expired sessions"),
            Err(error) => tracing::warn!(%error, "could not delete expired sessions"),
        }
        match directory.purge_login_failures().await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "deleted old failed password checks"),
            Err(error) => tracing::warn!(%error, "could not delete old failed password checks"),
        }
        match directory.purge_audit_events(audit_retention).await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "deleted audit events past their retention"),
            Err(error) => tracing::warn!(%error, "could not delete old audit events"),
        }
    }
}

/// Folds recorded histogram values into their buckets every five seconds, so memory stays
/// bounded however long no one scrapes.
async fn metrics_upkeep(metrics: Arc<Metrics>) {
    let mut ticks = tokio::time::interval(Duration::from_secs(5));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        metrics.run_upkeep();
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM. Both mean a graceful stop (actix-web's own
/// handling treats SIGINT as a forced one).
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!(%error, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut stream) => {
                stream.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("SIGINT received; shutting down gracefully"),
        () = terminate => tracing::info!("SIGTERM received; shutting down gracefully"),
    }
}
