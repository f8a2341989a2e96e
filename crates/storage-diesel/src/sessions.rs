//! [`SessionStore`] on diesel.

use crate::audit::insert_audit;
use crate::dialect::Dialect;
use crate::error::{TxError, backend_error, is_foreign_key_violation};
use crate::hot_reads::{self, session_and_owner_query};
use crate::rows::{NewSessionRow, SessionRow, UserRow};
use crate::schema::{sessions, users};
use crate::store::{DieselStore, in_write_transaction, with_connection};
use crate::timestamp::DbTimestamp;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel_async::RunQueryDsl;
use rollcall_domain::audit::AuditEvent;
use rollcall_domain::entities::{NewSession, Session, SessionId, User, UserId};
use rollcall_domain::ports::{SessionStore, SessionStoreError};
use rollcall_domain::secrets::TokenDigest;

/// Maps a database error of a session operation: a missing owner is `UserNotFound`.
fn session_error(error: DieselError) -> SessionStoreError {
    if is_foreign_key_violation(&error) {
        SessionStoreError::UserNotFound
    } else {
        SessionStoreError::Backend(backend_error(error))
    }
}

fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

async fn create_session(
    store: &DieselStore,
    session: NewSession,
    audit: Option<AuditEvent>,
) -> Result<Session, SessionStoreError> {
    let row = NewSessionRow::from_new(&session);
    let owner = session.user_id.get();
    // The newest `keep_at_most - 1` sessions stay beside the new one.
    let others_kept = i64::from(session.keep_at_most.max(1)) - 1;
    let created: Result<SessionRow, TxError<SessionStoreError>> =
        in_write_transaction!(store, |conn, _Db| {
            if !conn.lock_owner(owner).await? {
                return Err(TxError::Refused(SessionStoreError::UserNotFound));
            }
            let newest_gone: Option<i64> = sessions::table
                .filter(sessions::user_id.eq(owner))
                .order(sessions::id.desc())
                .select(sessions::id)
                .offset(others_kept)
                .limit(1)
                .first(conn)
                .await
                .optional()?;
            if let Some(newest_gone) = newest_gone {
                diesel::delete(
                    sessions::table
                        .filter(sessions::user_id.eq(owner))
                        .filter(sessions::id.le(newest_gone)),
                )
                .execute(conn)
                .await?;
            }
            let created: SessionRow = diesel::insert_into(sessions::table)
                .values(&row)
                .returning(SessionRow::as_returning())
                .get_result(conn)
                .await?;
            insert_audit!(conn, audit.map(|e| e.on(created.id.to_string())));
            Ok(created)
        });
    let created = created.map_err(|e| e.resolve(session_error))?;
    Ok(created.into_session()?)
}

async fn find_session(
    store: &DieselStore,
    digest: &TokenDigest,
) -> Result<Option<Session>, SessionStoreError> {
    let hex = digest.to_hex();
    let row: Option<SessionRow> = with_connection!(store, |conn, _Db| {
        sessions::table
            .filter(sessions::token_digest.eq(&hex))
            .select(SessionRow::as_select())
            .first(conn)
            .await
            .optional()
    })
    .map_err(session_error)?;
    Ok(row.map(SessionRow::into_session).transpose()?)
}

async fn find_session_and_owner(
    store: &DieselStore,
    hex: &str,
) -> Result<Option<(Session, User)>, SessionStoreError> {
    let row = with_connection!(store, |conn, _Db| {
        session_and_owner_query!(hex)
            .get_result(conn)
            .await
            .optional()
    })
    .map_err(session_error)?;
    session_with_owner(row)
}

fn session_with_owner(
    row: Option<(SessionRow, UserRow)>,
) -> Result<Option<(Session, User)>, SessionStoreError> {
    let Some((session, owner)) = row else {
        return Ok(None);
    };
    Ok(Some((session.into_session()?, owner.into_user()?)))
}

async fn delete_session(
    store: &DieselStore,
    id: SessionId,
    audit: Option<AuditEvent>,
) -> Result<bool, SessionStoreError> {
    let deleted: Result<usize, TxError<SessionStoreError>> =
        in_write_transaction!(store, |conn, _Db| {
            let deleted = diesel::delete(sessions::table.find(id.get()))
                .execute(conn)
                .await?;
            if deleted > 0 {
                insert_audit!(conn, audit.map(|e| e.on(id.to_string())));
            }
            Ok(deleted)
        });
    Ok(deleted.map_err(|e| e.resolve(session_error))? > 0)
}

async fn delete_user_sessions(
    store: &DieselStore,
    user: UserId,
    keep: Option<SessionId>,
) -> Result<u64, SessionStoreError> {
    let deleted = with_connection!(store, |conn, Db| {
        let mut target = diesel::delete(sessions::table)
            .filter(sessions::user_id.eq(user.get()))
            .into_boxed::<Db>();
        if let Some(keep) = keep {
            target = target.filter(sessions::id.ne(keep.get()));
        }
        target.execute(conn).await
    })
    .map_err(session_error)?;
    Ok(count(deleted))
}

async fn delete_expired_sessions(
    store: &DieselStore,
    now: DateTime<Utc>,
) -> Result<u64, SessionStoreError> {
    let deleted = with_connection!(store, |conn, _Db| {
        diesel::delete(sessions::table.filter(sessions::expires_at.le(DbTimestamp::new(now))))
            .execute(conn)
            .await
    })
    .map_err(session_error)?;
    Ok(count(deleted))
}

#[async_trait]
impl SessionStore for DieselStore {
    async fn create_session_audited(
        &self,
        session: NewSession,
        audit: Option<AuditEvent>,
    ) -> Result<Session, SessionStoreError> {
        self.detached(move |store| async move { create_session(&store, session, audit).await })
            .await
    }

    async fn find_session(
        &self,
        digest: &TokenDigest,
    ) -> Result<Option<Session>, SessionStoreError> {
        let digest = *digest;
        self.detached(move |store| async move { find_session(&store, &digest).await })
            .await
    }

    async fn find_session_and_owner(
        &self,
        digest: &TokenDigest,
    ) -> Result<Option<(Session, User)>, SessionStoreError> {
        let hex = digest.to_hex();
        if let Some(readers) = self.inline()
            && let Some(row) = readers
                .read({
                    let hex = hex.clone();
                    move |conn| hot_reads::session_and_owner(conn, &hex)
                })
                .await
        {
            return session_with_owner(row);
        }
        if let Some(readers) = self.pipelined()
            && let Some(row) = readers.session_and_owner(&hex).await
        {
            return session_with_owner(row);
        }
        self.detached(move |store| async move { find_session_and_owner(&store, &hex).await })
            .await
    }

    async fn delete_session_audited(
        &self,
        id: SessionId,
        audit: Option<AuditEvent>,
    ) -> Result<bool, SessionStoreError> {
        self.detached(move |store| async move { delete_session(&store, id, audit).await })
            .await
    }

    async fn delete_user_sessions(
        &self,
        user: UserId,
        keep: Option<SessionId>,
    ) -> Result<u64, SessionStoreError> {
        self.detached(move |store| async move { delete_user_sessions(&store, user, keep).await })
            .await
    }

    async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> Result<u64, SessionStoreError> {
        self.detached(move |store| async move { delete_expired_sessions(&store, now).await })
            .await
    }
}
