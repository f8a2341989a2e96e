//! [`ConfigurationStore`] on diesel. Every operation is scoped to the owner: another user's
//! configuration is "not found".

use crate::audit::insert_audit;
use crate::dialect::Dialect;
use crate::error::{TxError, backend_error, is_foreign_key_violation, unique_violation};
use crate::listing::sql_offset;
use crate::rows::{ConfigurationChangesRow, ConfigurationRow, NewConfigurationRow};
use crate::schema::configurations;
use crate::store::{DieselStore, in_write_transaction, with_connection};
use crate::timestamp::DbTimestamp;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel_async::RunQueryDsl;
use rollcall_domain::audit::AuditEvent;
use rollcall_domain::entities::{Configuration, ConfigurationChanges, ConfigurationRef, UserId};
use rollcall_domain::listing::{Listed, PageRequest};
use rollcall_domain::ports::{ConfigurationStore, ConfigurationStoreError};
use rollcall_domain::values::{ConfigurationKey, ConfigurationValue};

/// Maps a database error of a configuration operation: a key the user already has is
/// `KeyTaken`, a missing owner `UserNotFound`.
fn configuration_error(error: DieselError) -> ConfigurationStoreError {
    if unique_violation(&error).is_some_and(|c| {
        c.contains("configurations_user_id_key_key") || c.contains("configurations.key")
    }) {
        ConfigurationStoreError::KeyTaken
    } else if is_foreign_key_violation(&error) {
        ConfigurationStoreError::UserNotFound
    } else {
        ConfigurationStoreError::Backend(backend_error(error))
    }
}

/// The rows of `$user` that `$by` addresses, as a boxed condition for backend `$db`.
macro_rules! addressed {
    ($db:ty, $user:expr, $by:expr) => {{
        let of_user = configurations::user_id.eq($user.get());
        let condition: Box<
            dyn diesel::BoxableExpression<
                    configurations::table,
                    $db,
                    SqlType = diesel::sql_types::Bool,
                >,
        > = match $by {
            ConfigurationRef::Id(id) => Box::new(of_user.and(configurations::id.eq(id.get()))),
            ConfigurationRef::Key(key) => {
                Box::new(of_user.and(configurations::key.eq(key.as_str().to_owned())))
            }
        };
        condition
    }};
}

fn into_configuration(row: ConfigurationRow) -> Result<Configuration, ConfigurationStoreError> {
    Ok(row.into_configuration()?)
}

async fn list_configurations(
    store: &DieselStore,
    user: UserId,
    page: PageRequest,
) -> Result<Listed<Configuration>, ConfigurationStoreError> {
    let (rows, total): (Vec<ConfigurationRow>, i64) = with_connection!(store, |conn, _Db| {
        let of_user = configurations::user_id.eq(user.get());
        let rows = configurations::table
            .filter(of_user)
            .order(configurations::id.asc())
            .limit(i64::from(page.limit()))
            .offset(sql_offset(page.offset()))
            .select(ConfigurationRow::as_select())
            .load(conn)
            .await
            .map_err(configuration_error)?;
        let total = configurations::table
            .filter(of_user)
            .count()
            .get_result(conn)
            .await
            .map_err(configuration_error)?;
        Ok::<_, ConfigurationStoreError>((rows, total))
    })?;
    Ok(Listed {
        items: rows
            .into_iter()
            .map(into_configuration)
            .collect::<Result<_, _>>()?,
        total: u64::try_from(total).unwrap_or_default(),
    })
}

async fn create_configuration(
    store: &DieselStore,
    user: UserId,
    key: ConfigurationKey,
    value: ConfigurationValue,
    now: DateTime<Utc>,
    owner_may_hold: u32,
    audit: Option<AuditEvent>,
) -> Result<Configuration, ConfigurationStoreError> {
    let row = NewConfigurationRow {
        user_id: user.get(),
        key: key.as_str().to_owned(),
        value: value.as_str().to_owned(),
        created_at: DbTimestamp::new(now),
        updated_at: DbTimestamp::new(now),
    };
    let owner = user.get();
    let may_hold = i64::from(owner_may_hold);
    let created: Result<ConfigurationRow, TxError<ConfigurationStoreError>> =
        in_write_transaction!(store, |conn, _Db| {
            if !conn.lock_owner(owner).await? {
                return Err(TxError::Refused(ConfigurationStoreError::UserNotFound));
            }
            let held: i64 = configurations::table
                .filter(configurations::user_id.eq(owner))
                .count()
                .get_result(conn)
                .await?;
            if held >= may_hold {
                return Err(TxError::Refused(ConfigurationStoreError::LimitReached));
            }
            let created: ConfigurationRow = diesel::insert_into(configurations::table)
                .values(&row)
                .returning(ConfigurationRow::as_returning())
                .get_result(conn)
                .await?;
            insert_audit!(conn, audit.map(|e| e.on(created.id.to_string())));
            Ok(created)
        });
    let created = created.map_err(|e| e.resolve(configuration_error))?;
    into_configuration(created)
}

async fn get_configuration(
    store: &DieselStore,
    user: UserId,
    by: &ConfigurationRef,
) -> Result<Configuration, ConfigurationStoreError> {
    let row: Option<ConfigurationRow> = with_connection!(store, |conn, Db| {
        configurations::table
            .filter(addressed!(Db, user, by))
            .select(ConfigurationRow::as_select())
            .first(conn)
            .await
            .optional()
    })
    .map_err(configuration_error)?;
    into_configuration(row.ok_or(ConfigurationStoreError::NotFound)?)
}

async fn update_configuration(
    store: &DieselStore,
    user: UserId,
    by: &ConfigurationRef,
    changes: ConfigurationChanges,
    now: DateTime<Utc>,
    audit: Option<AuditEvent>,
) -> Result<Configuration, ConfigurationStoreError> {
    let set = ConfigurationChangesRow {
        key: changes.key.map(|k| k.as_str().to_owned()),
        value: changes.value.map(|v| v.as_str().to_owned()),
        updated_at: DbTimestamp::new(now),
    };
    let row: Result<ConfigurationRow, TxError<ConfigurationStoreError>> =
        in_write_transaction!(store, |conn, Db| {
            let row: ConfigurationRow = diesel::update(configurations::table)
                .filter(addressed!(Db, user, by))
                .set(&set)
                .returning(ConfigurationRow::as_returning())
                .get_result(conn)
                .await
                .optional()?
                .ok_or(TxError::Refused(ConfigurationStoreError::NotFound))?;
            insert_audit!(conn, audit.map(|e| e.on(row.id.to_string())));
            Ok(row)
        });
    into_configuration(row.map_err(|e| e.resolve(configuration_error))?)
}

async fn delete_configuration(
    store: &DieselStore,
    user: UserId,
    by: &ConfigurationRef,
    audit: Option<AuditEvent>,
) -> Result<(), ConfigurationStoreError> {
    let deleted: Result<(), TxError<ConfigurationStoreError>> =
        in_write_transaction!(store, |conn, Db| {
            let id: i64 = diesel::delete(configurations::table)
                .filter(addressed!(Db, user, by))
                .returning(configurations::id)
                .get_result(conn)
                .await
                .optional()?
                .ok_or(TxError::Refused(ConfigurationStoreError::NotFound))?;
            insert_audit!(conn, audit.map(|e| e.on(id.to_string())));
            Ok(())
        });
    deleted.map_err(|e| e.resolve(configuration_error))
}

#[async_trait]
impl ConfigurationStore for DieselStore {
    async fn list_configurations(
        &self,
        user: UserId,
        page: PageRequest,
    ) -> Result<Listed<Configuration>, ConfigurationStoreError> {
        self.detached(move |store| async move { list_configurations(&store, user, page).await })
            .await
    }

    async fn create_configuration_audited(
        &self,
        user: UserId,
        key: ConfigurationKey,
        value: ConfigurationValue,
        now: DateTime<Utc>,
        owner_may_hold: u32,
        audit: Option<AuditEvent>,
    ) -> Result<Configuration, ConfigurationStoreError> {
        self.detached(move |store| async move {
            create_configuration(&store, user, key, value, now, owner_may_hold, audit).await
        })
        .await
    }

    async fn get_configuration(
        &self,
        user: UserId,
        by: &ConfigurationRef,
    ) -> Result<Configuration, ConfigurationStoreError> {
        let by = by.clone();
        self.detached(move |store| async move { get_configuration(&store, user, &by).await })
            .await
    }

    async fn update_configuration_audited(
        &self,
        user: UserId,
        by: &ConfigurationRef,
        changes: ConfigurationChanges,
        now: DateTime<Utc>,
        audit: Option<AuditEvent>,
    ) -> Result<Configuration, ConfigurationStoreError> {
        let by = by.clone();
        self.detached(move |store| async move {
            update_configuration(&store, user, &by, changes, now, audit).await
        })
        .await
    }

    async fn delete_configuration_audited(
        &self,
        user: UserId,
        by: &ConfigurationRef,
        audit: Option<AuditEvent>,
    ) -> Result<(), ConfigurationStoreError> {
        let by = by.clone();
        self.detached(
            move |store| async move { delete_configuration(&store, user, &by, audit).await },
        )
        .await
    }
}
