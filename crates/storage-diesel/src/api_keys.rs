//! [`ApiKeyStore`] on diesel. Every operation but the identifier lookup and `touch` is scoped
//! to the owner: another user's key is "not found".

use crate::audit::insert_audit;
use crate::dialect::Dialect;
use crate::error::{TxError, backend_error, is_foreign_key_violation, unique_violation};
use crate::hot_reads::{self, api_key_and_owner_query};
use crate::listing::sql_offset;
use crate::rows::{ApiKeyChangesRow, ApiKeyRow, NewApiKeyRow, UserRow};
use crate::schema::{api_keys, users};
use crate::store::{DieselStore, in_write_transaction, with_connection};
use crate::timestamp::DbTimestamp;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel_async::RunQueryDsl;
use rollcall_domain::audit::AuditEvent;
use rollcall_domain::entities::{ApiKey, ApiKeyChanges, ApiKeyId, NewApiKey, User, UserId};
use rollcall_domain::listing::{Listed, PageRequest};
use rollcall_domain::ports::{ApiKeyStore, ApiKeyStoreError};

/// Maps a database error of an API-key operation: a taken identifier is `IdentifierTaken`, a
/// missing owner `UserNotFound`.
fn api_key_error(error: DieselError) -> ApiKeyStoreError {
    if unique_violation(&error)
        .is_some_and(|c| c.contains("api_keys_identifier_key") || c.contains("api_keys.identifier"))
    {
        ApiKeyStoreError::IdentifierTaken
    } else if is_foreign_key_violation(&error) {
        ApiKeyStoreError::UserNotFound
    } else {
        ApiKeyStoreError::Backend(backend_error(error))
    }
}

fn into_keys(rows: Vec<ApiKeyRow>) -> Result<Vec<ApiKey>, ApiKeyStoreError> {
    rows.into_iter()
        .map(|row| row.into_api_key().map_err(ApiKeyStoreError::from))
        .collect()
}

async fn create_api_key(
    store: &DieselStore,
    key: NewApiKey,
    audit: Option<AuditEvent>,
) -> Result<ApiKey, ApiKeyStoreError> {
    let row = NewApiKeyRow::from_new(&key);
    let owner = key.user_id.get();
    let may_hold = i64::from(key.owner_may_hold);
    let created: Result<ApiKeyRow, TxError<ApiKeyStoreError>> =
        in_write_transaction!(store, |conn, _Db| {
            if !conn.lock_owner(owner).await? {
                return Err(TxError::Refused(ApiKeyStoreError::UserNotFound));
            }
            let held: i64 = api_keys::table
                .filter(api_keys::user_id.eq(owner))
                .count()
                .get_result(conn)
                .await?;
            if held >= may_hold {
                return Err(TxError::Refused(ApiKeyStoreError::LimitReached));
            }
            let created: ApiKeyRow = diesel::insert_into(api_keys::table)
                .values(&row)
                .returning(ApiKeyRow::as_returning())
                .get_result(conn)
                .await?;
            insert_audit!(conn, audit.map(|e| e.on(created.id.to_string())));
            Ok(created)
        });
    let created = created.map_err(|e| e.resolve(api_key_error))?;
    Ok(created.into_api_key()?)
}

async fn find_api_key(
    store: &DieselStore,
    identifier: &str,
) -> Result<Option<ApiKey>, ApiKeyStoreError> {
    let row: Option<ApiKeyRow> = with_connection!(store, |conn, _Db| {
        api_keys::table
            .filter(api_keys::identifier.eq(identifier))
            .select(ApiKeyRow::as_select())
            .first(conn)
            .await
            .optional()
    })
    .map_err(api_key_error)?;
    Ok(row.map(ApiKeyRow::into_api_key).transpose()?)
}

async fn find_api_key_and_owner(
    store: &DieselStore,
    identifier: &str,
) -> Result<Option<(ApiKey, User)>, ApiKeyStoreError> {
    let row = with_connection!(store, |conn, _Db| {
        api_key_and_owner_query!(identifier)
            .get_result(conn)
            .await
            .optional()
    })
    .map_err(api_key_error)?;
    api_key_with_owner(row)
}

fn api_key_with_owner(
    row: Option<(ApiKeyRow, UserRow)>,
) -> Result<Option<(ApiKey, User)>, ApiKeyStoreError> {
    let Some((key, owner)) = row else {
        return Ok(None);
    };
    Ok(Some((key.into_api_key()?, owner.into_user()?)))
}

async fn list_api_keys(
    store: &DieselStore,
    user: UserId,
    page: PageRequest,
) -> Result<Listed<ApiKey>, ApiKeyStoreError> {
    let (rows, total): (Vec<ApiKeyRow>, i64) = with_connection!(store, |conn, _Db| {
        let of_user = api_keys::user_id.eq(user.get());
        let rows = api_keys::table
            .filter(of_user)
            .order(api_keys::id.asc())
            .limit(i64::from(page.limit()))
            .offset(sql_offset(page.offset()))
            .select(ApiKeyRow::as_select())
            .load(conn)
            .await
            .map_err(api_key_error)?;
        let total = api_keys::table
            .filter(of_user)
            .count()
            .get_result(conn)
            .await
            .map_err(api_key_error)?;
        Ok::<_, ApiKeyStoreError>((rows, total))
    })?;
    Ok(Listed {
        items: into_keys(rows)?,
        total: u64::try_from(total).unwrap_or_default(),
    })
}

async fn get_api_key(
    store: &DieselStore,
    user: UserId,
    id: ApiKeyId,
) -> Result<ApiKey, ApiKeyStoreError> {
    let row: Option<ApiKeyRow> = with_connection!(store, |conn, _Db| {
        api_keys::table
            .filter(api_keys::id.eq(id.get()))
            .filter(api_keys::user_id.eq(user.get()))
            .select(ApiKeyRow::as_select())
            .first(conn)
            .await
            .optional()
    })
    .map_err(api_key_error)?;
    Ok(row.ok_or(ApiKeyStoreError::NotFound)?.into_api_key()?)
}

async fn update_api_key(
    store: &DieselStore,
    user: UserId,
    id: ApiKeyId,
    changes: ApiKeyChanges,
    now: DateTime<Utc>,
    audit: Option<AuditEvent>,
) -> Result<ApiKey, ApiKeyStoreError> {
    let set = ApiKeyChangesRow {
        name: changes.name.map(|n| n.as_str().to_owned()),
        scopes: changes.scopes.map(|s| s.to_storage_string()),
        expires_at: changes.expires_at.map(|at| at.map(DbTimestamp::new)),
        updated_at: DbTimestamp::new(now),
    };
    let row: Result<ApiKeyRow, TxError<ApiKeyStoreError>> =
        in_write_transaction!(store, |conn, _Db| {
            let row: ApiKeyRow = diesel::update(
                api_keys::table
                    .filter(api_keys::id.eq(id.get()))
                    .filter(api_keys::user_id.eq(user.get())),
            )
            .set(&set)
            .returning(ApiKeyRow::as_returning())
            .get_result(conn)
            .await
            .optional()?
            .ok_or(TxError::Refused(ApiKeyStoreError::NotFound))?;
            insert_audit!(conn, audit.map(|e| e.on(id.to_string())));
            Ok(row)
        });
    Ok(row.map_err(|e| e.resolve(api_key_error))?.into_api_key()?)
}

async fn delete_api_key(
    store: &DieselStore,
    user: UserId,
    id: ApiKeyId,
    audit: Option<AuditEvent>,
) -> Result<(), ApiKeyStoreError> {
    let deleted: Result<(), TxError<ApiKeyStoreError>> =
        in_write_transaction!(store, |conn, _Db| {
            let deleted = diesel::delete(
                api_keys::table
                    .filter(api_keys::id.eq(id.get()))
                    .filter(api_keys::user_id.eq(user.get())),
            )
            .execute(conn)
            .await?;
            if deleted == 0 {
                return Err(TxError::Refused(ApiKeyStoreError::NotFound));
            }
            insert_audit!(conn, audit.map(|e| e.on(id.to_string())));
            Ok(())
        });
    deleted.map_err(|e| e.resolve(api_key_error))
}

async fn touch_api_key(
    store: &DieselStore,
    id: ApiKeyId,
    at: DateTime<Utc>,
) -> Result<(), ApiKeyStoreError> {
    with_connection!(store, |conn, _Db| {
        diesel::update(api_keys::table.find(id.get()))
            .set(api_keys::last_used_at.eq(Some(DbTimestamp::new(at))))
            .execute(conn)
            .await
    })
    .map_err(api_key_error)?;
    Ok(())
}

#[async_trait]
impl ApiKeyStore for DieselStore {
    async fn create_api_key_audited(
        &self,
        key: NewApiKey,
        audit: Option<AuditEvent>,
    ) -> Result<ApiKey, ApiKeyStoreError> {
        self.detached(move |store| async move { create_api_key(&store, key, audit).await })
            .await
    }

    async fn find_api_key_and_owner(
        &self,
        identifier: &str,
    ) -> Result<Option<(ApiKey, User)>, ApiKeyStoreError> {
        if let Some(readers) = self.inline()
            && let Some(row) = readers
                .read({
                    let identifier = identifier.to_owned();
                    move |conn| hot_reads::api_key_and_owner(conn, &identifier)
                })
                .await
        {
            return api_key_with_owner(row);
        }
        if let Some(readers) = self.pipelined()
            && let Some(row) = readers.api_key_and_owner(identifier).await
        {
            return api_key_with_owner(row);
        }
        let identifier = identifier.to_owned();
        self.detached(move |store| async move { find_api_key_and_owner(&store, &identifier).await })
            .await
    }

    async fn find_api_key(&self, identifier: &str) -> Result<Option<ApiKey>, ApiKeyStoreError> {
        let identifier = identifier.to_owned();
        self.detached(move |store| async move { find_api_key(&store, &identifier).await })
            .await
    }

    async fn list_api_keys(
        &self,
        user: UserId,
        page: PageRequest,
    ) -> Result<Listed<ApiKey>, ApiKeyStoreError> {
        self.detached(move |store| async move { list_api_keys(&store, user, page).await })
            .await
    }

    async fn get_api_key(&self, user: UserId, id: ApiKeyId) -> Result<ApiKey, ApiKeyStoreError> {
        self.detached(move |store| async move { get_api_key(&store, user, id).await })
            .await
    }

    async fn update_api_key_audited(
        &self,
        user: UserId,
        id: ApiKeyId,
        changes: ApiKeyChanges,
        now: DateTime<Utc>,
        audit: Option<AuditEvent>,
    ) -> Result<ApiKey, ApiKeyStoreError> {
        self.detached(move |store| async move {
            update_api_key(&store, user, id, changes, now, audit).await
        })
        .await
    }

    async fn delete_api_key_audited(
        &self,
        user: UserId,
        id: ApiKeyId,
        audit: Option<AuditEvent>,
    ) -> Result<(), ApiKeyStoreError> {
        self.detached(move |store| async move { delete_api_key(&store, user, id, audit).await })
            .await
    }

    async fn touch_api_key(&self, id: ApiKeyId, at: DateTime<Utc>) -> Result<(), ApiKeyStoreError> {
        self.detached(move |store| async move { touch_api_key(&store, id, at).await })
            .await
    }
}
