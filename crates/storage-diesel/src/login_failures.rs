//! [`LoginFailureStore`] on diesel: one row per failed password check, counted with the
//! indexes of the `login_failures` migration.

use crate::error::backend_error;
use crate::schema::login_failures;
use crate::store::{DieselStore, with_connection};
use crate::timestamp::DbTimestamp;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use rollcall_domain::ports::{BackendError, FailureWindow, LoginFailureStore};
use rollcall_domain::values::{ClientAddress, LoginKey};

/// The count and the oldest failure after `since`, of `address` and, when given, `login`.
async fn window(
    store: &DieselStore,
    login: Option<&str>,
    address: &str,
    since: DateTime<Utc>,
) -> Result<FailureWindow, BackendError> {
    let since = DbTimestamp::new(since);
    let (count, oldest) = with_connection!(store, |conn, Db| {
        let recent = || {
            let mut query = login_failures::table
                .filter(login_failures::address.eq(address))
                .filter(login_failures::failed_at.gt(since))
                .into_boxed::<Db>();
            if let Some(login) = login {
                query = query.filter(login_failures::login_key.eq(login));
            }
            query
        };
        let count: i64 = recent()
            .count()
            .get_result(conn)
            .await
            .map_err(backend_error)?;
        let oldest: Option<DbTimestamp> = if count == 0 {
            None
        } else {
            recent()
                .order(login_failures::failed_at.asc())
                .select(login_failures::failed_at)
                .first(conn)
                .await
                .optional()
                .map_err(backend_error)?
        };
        (count, oldest)
    });
    Ok(FailureWindow {
        count: u64::try_from(count).unwrap_or(0),
        oldest: oldest.map(DbTimestamp::get),
    })
}

async fn record_failure(
    store: &DieselStore,
    login: &str,
    address: &str,
    at: DateTime<Utc>,
) -> Result<(), BackendError> {
    with_connection!(store, |conn, _Db| {
        diesel::insert_into(login_failures::table)
            .values((
                login_failures::login_key.eq(login),
                login_failures::address.eq(address),
                login_failures::failed_at.eq(DbTimestamp::new(at)),
            ))
            .execute(conn)
            .await
    })
    .map_err(backend_error)?;
    Ok(())
}

async fn clear_failures(
    store: &DieselStore,
    login: &str,
    address: &str,
) -> Result<(), BackendError> {
    with_connection!(store, |conn, _Db| {
        diesel::delete(
            login_failures::table
                .filter(login_failures::address.eq(address))
                .filter(login_failures::login_key.eq(login)),
        )
        .execute(conn)
        .await
    })
    .map_err(backend_error)?;
    Ok(())
}

async fn purge_failures(store: &DieselStore, before: DateTime<Utc>) -> Result<u64, BackendError> {
    let deleted = with_connection!(store, |conn, _Db| {
        diesel::delete(
            login_failures::table.filter(login_failures::failed_at.le(DbTimestamp::new(before))),
        )
        .execute(conn)
        .await
    })
    .map_err(backend_error)?;
    Ok(u64::try_from(deleted).unwrap_or(0))
}

#[async_trait]
impl LoginFailureStore for DieselStore {
    async fn recent_failures(
        &self,
        login: &LoginKey,
        address: &ClientAddress,
        since: DateTime<Utc>,
    ) -> Result<(FailureWindow, FailureWindow), BackendError> {
        let login = login.as_str().to_owned();
        let address = address.to_string();
        self.detached(move |store| async move {
            let pair = window(&store, Some(&login), &address, since).await?;
            let from_address = window(&store, None, &address, since).await?;
            Ok((pair, from_address))
        })
        .await
    }

    async fn record_failure(
        &self,
        login: &LoginKey,
        address: &ClientAddress,
        at: DateTime<Utc>,
    ) -> Result<(), BackendError> {
        let login = login.as_str().to_owned();
        let address = address.to_string();
        self.detached(
            move |store| async move { record_failure(&store, &login, &address, at).await },
        )
        .await
    }

    async fn clear_failures(
        &self,
        login: &LoginKey,
        address: &ClientAddress,
    ) -> Result<(), BackendError> {
        let login = login.as_str().to_owned();
        let address = address.to_string();
        self.detached(move |store| async move { clear_failures(&store, &login, &address).await })
            .await
    }

    async fn purge_failures(&self, before: DateTime<Utc>) -> Result<u64, BackendError> {
        self.detached(move |store| async move { purge_failures(&store, before).await })
            .await
    }
}
