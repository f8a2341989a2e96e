//! Readiness: `/readyz` answers 200 only while the database answers a ping through the
//! store's pool.

use async_trait::async_trait;
use rollcall_http_actix::Readiness;
use rollcall_storage_diesel::DieselStore;

/// Pings the database through the store.
#[derive(Clone)]
pub struct DatabaseReadiness {
    store: DieselStore,
}

impl DatabaseReadiness {
    /// Readiness of this store's database.
    pub fn new(store: DieselStore) -> Self {
        Self { store }
    }
}

#[async_trait]
impl Readiness for DatabaseReadiness {
    async fn check(&self) -> Result<(), String> {
        self.store.ping().await.map_err(|e| {
            // The cause (hosts, ports, driver messages) goes to the log, not to the
            // unauthenticated caller of /readyz.
            tracing::warn!(error = %e, "database readiness check failed");
            "database unreachable".to_owned()
        })
    }
}
