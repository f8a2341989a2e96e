//! [`LoginFailureStore`] of the [`MemoryStore`]: a list of failures under one mutex.

use super::memory::MemoryStore;
use crate::ports::{BackendError, FailureWindow, LoginFailureStore};
use crate::values::{ClientAddress, LoginKey};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// One failed password check.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    login: LoginKey,
    address: ClientAddress,
    at: DateTime<Utc>,
}

fn window<'a>(failures: impl Iterator<Item = &'a Failure>) -> FailureWindow {
    failures.fold(FailureWindow::default(), |w, f| FailureWindow {
        count: w.count + 1,
        oldest: Some(w.oldest.map_or(f.at, |o| o.min(f.at))),
    })
}

impl MemoryStore {
    fn failures(&self) -> Result<std::sync::MutexGuard<'_, Vec<Failure>>, BackendError> {
        self.login_failures
            .lock()
            .map_err(|_| BackendError::Internal("the memory store is poisoned".into()))
    }
}

#[async_trait]
impl LoginFailureStore for MemoryStore {
    async fn recent_failures(
        &self,
        login: &LoginKey,
        address: &ClientAddress,
        since: DateTime<Utc>,
    ) -> Result<(FailureWindow, FailureWindow), BackendError> {
        let all = self.failures()?;
        let recent = || all.iter().filter(|f| f.at > since && &f.address == address);
        Ok((
            window(recent().filter(|f| &f.login == login)),
            window(recent()),
        ))
    }

    async fn record_failure(
        &self,
        login: &LoginKey,
        address: &ClientAddress,
        at: DateTime<Utc>,
    ) -> Result<(), BackendError> {
        self.failures()?.push(Failure {
            login: login.clone(),
            address: *address,
            at: crate::listing::truncate_to_micros(at),
        });
        Ok(())
    }

    async fn clear_failures(
        &self,
        login: &LoginKey,
        address: &ClientAddress,
    ) -> Result<(), BackendError> {
        self.failures()?
            .retain(|f| !(&f.login == login && &f.address == address));
        Ok(())
    }

    async fn purge_failures(&self, before: DateTime<Utc>) -> Result<u64, BackendError> {
        let mut all = self.failures()?;
        let was = all.len();
        all.retain(|f| f.at > before);
        Ok((was - all.len()) as u64)
    }
}
