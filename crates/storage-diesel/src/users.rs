//! [`UserStore`] on diesel: lookups, listings, and the update and delete transactions that
//! enforce the last-admin invariant.

use crate::audit::insert_audit;
use crate::dialect::Dialect;
use crate::error::{TxError, backend_error, unique_violation};
use crate::hot_reads::{self, with_user_query};
use crate::listing::{UserListing, lower, lower_nullable, sql_offset};
use crate::rows::{NewUserRow, UserRow};
use crate::schema::{sessions, user_count, users};
use crate::store::{DieselStore, in_write_transaction, with_connection};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel_async::RunQueryDsl;
use rollcall_domain::audit::AuditEvent;
use rollcall_domain::entities::{
    ImportWrite, NewUser, SessionRevocation, User, UserId, UserUpdate,
};
use rollcall_domain::invariants::deletion_needs_another_admin;
use rollcall_domain::listing::{Listed, UserQuery};
use rollcall_domain::ports::{UniqueUserField, UserLookup, UserStore, UserStoreError};
use rollcall_domain::secrets::PasswordHash;

/// The unique indexes of `users` and the field each guards. PostgreSQL reports the index
/// name; SQLite names an expression index, or the column of a plain one.
const UNIQUE_USER_INDEXES: [(&str, UniqueUserField); 4] = [
    ("users_username_lower_key", UniqueUserField::Username),
    ("users_email_lower_key", UniqueUserField::Email),
    ("users_external_id_key", UniqueUserField::ExternalId),
    ("users.external_id", UniqueUserField::ExternalId),
];

/// Maps a database error of a user operation: a violated unique index is `Taken`.
fn user_error(error: DieselError) -> UserStoreError {
    let taken = unique_violation(&error).and_then(|constraint| {
        UNIQUE_USER_INDEXES
            .iter()
            .find(|(name, _)| constraint.contains(name))
            .map(|(_, field)| *field)
    });
    match taken {
        Some(field) => UserStoreError::Taken(field),
        None => UserStoreError::Backend(backend_error(error)),
    }
}

/// The condition "a lasting admin other than `id`": the SQL form of
/// [`User::is_lasting_admin`](rollcall_domain::entities::User::is_lasting_admin), which the
/// domain's invariants count.
macro_rules! other_lasting_admins {
    ($id:expr) => {
        users::table
            .filter(users::id.ne($id))
            .filter(users::is_admin.and(users::enabled))
            .filter(users::expired_at.is_null())
    };
}

async fn create_user(
    store: &DieselStore,
    user: NewUser,
    audit: Option<AuditEvent>,
) -> Result<User, UserStoreError> {
    let values = NewUserRow::from_new(&user);
    let row: Result<UserRow, TxError<UserStoreError>> =
        in_write_transaction!(store, |conn, _Db| {
            let row: UserRow = diesel::insert_into(users::table)
                .values(&values)
                .returning(UserRow::as_returning())
                .get_result(conn)
                .await?;
            insert_audit!(conn, audit.map(|e| e.on_user(UserId(row.id))));
            Ok(row)
        });
    Ok(row.map_err(|e| e.resolve(user_error))?.into_user()?)
}

/// User `$id`, read on `$conn` and kept from other writers until the caller's transaction
/// ends; a missing user refuses the transaction with `NotFound`.
macro_rules! locked_user {
    ($conn:expr, $id:expr) => {
        $conn
            .find_user_for_update($id.get())
            .await?
            .ok_or(TxError::Refused(UserStoreError::NotFound))?
            .into_user()
            .map_err(|e| TxError::Refused(e.into()))?
    };
}

/// Ends the sessions of user `$id` that `$revocation` names, on `$conn` in the caller's
/// transaction.
macro_rules! end_sessions {
    ($conn:expr, $id:expr, $revocation:expr) => {
        let of_user = sessions::user_id.eq($id.get());
        match $revocation {
            SessionRevocation::None => {}
            SessionRevocation::All => {
                diesel::delete(sessions::table.filter(of_user))
                    .execute($conn)
                    .await?;
            }
            SessionRevocation::AllExcept(keep) => {
                diesel::delete(
                    sessions::table
                        .filter(of_user)
                        .filter(sessions::id.ne(keep.get())),
                )
                .execute($conn)
                .await?;
            }
        }
    };
}

async fn apply_import(
    store: &DieselStore,
    writes: Vec<(ImportWrite, AuditEvent)>,
) -> Result<(), UserStoreError> {
    let writes = &writes;
    let result: Result<(), TxError<UserStoreError>> = in_write_transaction!(store, |conn, _Db| {
        conn.lock_admin_changes().await?;
        // No user has id 0: "other than 0" is every lasting admin.
        let lasting_before: i64 = other_lasting_admins!(0_i64)
            .count()
            .get_result(conn)
            .await?;
        // As for one update: a change that takes an admin away needs a lasting admin left.
        let mut needs_a_lasting_admin = lasting_before > 0;
        for (write, event) in writes {
            match write {
                ImportWrite::Create(new) => {
                    let row: UserRow = diesel::insert_into(users::table)
                        .values(NewUserRow::from_new(new))
                        .returning(UserRow::as_returning())
                        .get_result(conn)
                        .await?;
                    insert_audit!(conn, Some(event.clone().on_user(UserId(row.id))));
                }
                ImportWrite::Update(id, update) => {
                    let before = locked_user!(conn, id);
                    let plan = update.plan(&before);
                    needs_a_lasting_admin |= plan.needs_another_admin;
                    diesel::update(users::table.find(id.get()))
                        .set(&NewUserRow::from_user(&plan.after))
                        .execute(conn)
                        .await?;
                    end_sessions!(conn, id, plan.end_sessions);
                    insert_audit!(conn, Some(event.clone().on_user(*id)));
                }
            }
        }
        let lasting_after: i64 = other_lasting_admins!(0_i64)
            .count()
            .get_result(conn)
            .await?;
        if needs_a_lasting_admin && lasting_after == 0 {
            return Err(TxError::Refused(UserStoreError::LastAdmin));
        }
        Ok(())
    });
    result.map_err(|e| e.resolve(user_error))
}

async fn create_users(store: &DieselStore, users: Vec<NewUser>) -> Result<u64, UserStoreError> {
    let rows: Vec<NewUserRow> = users.iter().map(NewUserRow::from_new).collect();
    let result: Result<usize, TxError<UserStoreError>> =
        in_write_transaction!(store, |conn, _Db| Ok(conn.insert_users(rows).await?));
    let inserted = result.map_err(|e| e.resolve(user_error))?;
    Ok(u64::try_from(inserted).unwrap_or_default())
}

/// No stored name, address or external id holds a NUL (the domain refuses them), and
/// PostgreSQL refuses one in a text parameter: such a lookup matches nobody, on both backends.
fn has_nul(lookup: &UserLookup) -> bool {
    match lookup {
        UserLookup::Username(s) | UserLookup::Email(s) | UserLookup::ExternalId(s) => {
            s.contains('\0')
        }
        UserLookup::Id(_) | UserLookup::Uuid(_) => false,
    }
}

/// [`UserStore::find_user`] through the pool.
async fn find_user_pooled(
    store: &DieselStore,
    lookup: &UserLookup,
) -> Result<Option<UserRow>, UserStoreError> {
    with_connection!(store, |conn, _Db| {
        with_user_query!(lookup, |q| q.get_result(conn).await.optional())
    })
    .map_err(user_error)
}

/// From this offset on, a page is read as a deferred join (its ids, then its rows). Below
/// it, one query reading the rows is cheaper: the skipped rows are few, and the join costs
/// PostgreSQL about half a millisecond of planning and execution.
const DEFERRED_JOIN_OFFSET: u64 = 1000;

async fn list_users(
    store: &DieselStore,
    query: &UserQuery,
) -> Result<Listed<User>, UserStoreError> {
    let keys = query.sort.keys_with_tiebreak();
    let (rows, total): (Vec<UserRow>, i64) = with_connection!(store, |conn, Db| {
        let mut page = users::table.into_boxed::<Db>();
        let mut count = users::table.into_boxed::<Db>();
        if !query.filter.is_always() {
            page = page.filter(<Db as UserListing>::expression(&query.filter)?);
            count = count.filter(<Db as UserListing>::expression(&query.filter)?);
        }
        let offset = query.page.offset();
        let sorted = <Db as UserListing>::order_by(page, &keys)
            .limit(i64::from(query.page.limit()))
            .offset(sql_offset(offset));
        let rows: Vec<UserRow> = if offset < DEFERRED_JOIN_OFFSET {
            sorted.select(UserRow::as_select()).load(conn).await
        } else {
            // A deferred join: the page's ids first, which an index on the sort keys (they
            // all end with id) yields without reading the rows it skips, then the page's
            // rows. `OFFSET 900000` then walks index entries, not 900,000 rows.
            let page_ids = sorted.select(users::id);
            <Db as UserListing>::order_by(
                users::table
                    .into_boxed::<Db>()
                    .filter(users::id.eq_any(page_ids)),
                &keys,
            )
            .select(UserRow::as_select())
            .load(conn)
            .await
        }
        .map_err(user_error)?;
        // Unfiltered, the total is the trigger-kept count rather than a scan of every row.
        let total = if query.filter.is_always() {
            user_count::table
                .select(user_count::n)
                .get_result(conn)
                .await
                .map_err(user_error)?
        } else {
            count.count().get_result(conn).await.map_err(user_error)?
        };
        Ok::<_, UserStoreError>((rows, total))
    })?;
    Ok(Listed {
        items: UserRow::into_users(rows)?,
        total: u64::try_from(total).unwrap_or_default(),
    })
}

async fn update_user(
    store: &DieselStore,
    id: UserId,
    update: UserUpdate,
    audit: Option<AuditEvent>,
) -> Result<User, UserStoreError> {
    let lock_admins = update.may_remove_admin();
    let update = &update;
    let result: Result<UserRow, TxError<UserStoreError>> =
        in_write_transaction!(store, |conn, _Db| {
            if lock_admins {
                conn.lock_admin_changes().await?;
            }
            let before = locked_user!(conn, id);
            let plan = update.plan(&before);
            if plan.needs_another_admin {
                let others: i64 = other_lasting_admins!(id.get())
                    .count()
                    .get_result(conn)
                    .await?;
                if others == 0 {
                    return Err(TxError::Refused(UserStoreError::LastAdmin));
                }
            }
            let row: UserRow = diesel::update(users::table.find(id.get()))
                .set(&NewUserRow::from_user(&plan.after))
                .returning(UserRow::as_returning())
                .get_result(conn)
                .await?;
            end_sessions!(conn, id, plan.end_sessions);
            insert_audit!(conn, audit);
            Ok(row)
        });
    let row = result.map_err(|e| e.resolve(user_error))?;
    Ok(row.into_user()?)
}

async fn delete_user(
    store: &DieselStore,
    id: UserId,
    now: DateTime<Utc>,
    audit: Option<AuditEvent>,
) -> Result<(), UserStoreError> {
    let result: Result<(), TxError<UserStoreError>> = in_write_transaction!(store, |conn, _Db| {
        conn.lock_admin_changes().await?;
        let user = locked_user!(conn, id);
        if deletion_needs_another_admin(&user, now) {
            let others: i64 = other_lasting_admins!(id.get())
                .count()
                .get_result(conn)
                .await?;
            if others == 0 {
                return Err(TxError::Refused(UserStoreError::LastAdmin));
            }
        }
        // Sessions, API keys and configurations go with the user (ON DELETE CASCADE).
        diesel::delete(users::table.find(id.get()))
            .execute(conn)
            .await?;
        insert_audit!(conn, audit);
        Ok(())
    });
    result.map_err(|e| e.resolve(user_error))
}

async fn list_users_after(
    store: &DieselStore,
    after: Option<UserId>,
    limit: u32,
) -> Result<Vec<User>, UserStoreError> {
    let after = after.map_or(i64::MIN, UserId::get);
    let rows: Vec<UserRow> = with_connection!(store, |conn, _Db| {
        users::table
            .filter(users::id.gt(after))
            .order(users::id.asc())
            .limit(i64::from(limit))
            .select(UserRow::as_select())
            .load(conn)
            .await
    })
    .map_err(user_error)?;
    Ok(UserRow::into_users(rows)?)
}

async fn count_users(store: &DieselStore) -> Result<u64, UserStoreError> {
    let total: i64 = with_connection!(store, |conn, _Db| {
        user_count::table
            .select(user_count::n)
            .get_result(conn)
            .await
    })
    .map_err(user_error)?;
    Ok(u64::try_from(total).unwrap_or_default())
}

async fn replace_password_hash(
    store: &DieselStore,
    id: UserId,
    expected: &PasswordHash,
    new: &PasswordHash,
) -> Result<bool, UserStoreError> {
    // One conditional UPDATE: atomic on both backends, whatever runs beside it.
    let changed = with_connection!(store, |conn, _Db| {
        diesel::update(
            users::table
                .find(id.get())
                .filter(users::password_hash.eq(expected.as_phc())),
        )
        .set(users::password_hash.eq(new.as_phc()))
        .execute(conn)
        .await
    })
    .map_err(user_error)?;
    Ok(changed == 1)
}

#[async_trait]
impl UserStore for DieselStore {
    async fn create_user_audited(
        &self,
        user: NewUser,
        audit: Option<AuditEvent>,
    ) -> Result<User, UserStoreError> {
        self.detached(move |store| async move { create_user(&store, user, audit).await })
            .await
    }

    async fn create_users(&self, users: Vec<NewUser>) -> Result<u64, UserStoreError> {
        self.detached(move |store| async move { create_users(&store, users).await })
            .await
    }

    async fn find_user(&self, lookup: &UserLookup) -> Result<Option<User>, UserStoreError> {
        if has_nul(lookup) {
            return Ok(None);
        }
        let row = if let Some(readers) = self.inline() {
            let lookup = lookup.clone();
            readers
                .read(move |conn| hot_reads::user(conn, &lookup))
                .await
        } else if let Some(readers) = self.pipelined() {
            match lookup {
                UserLookup::Username(name) if name.is_ascii() => readers.user_by_name(name).await,
                _ => {
                    readers
                        .read(|conn| async move { hot_reads::pipelined::user(&conn, lookup).await })
                        .await
                }
            }
        } else {
            None
        };
        let row = match row {
            Some(row) => row,
            None => {
                let lookup = lookup.clone();
                self.detached(move |store| async move { find_user_pooled(&store, &lookup).await })
                    .await?
            }
        };
        Ok(row.map(UserRow::into_user).transpose()?)
    }

    async fn list_users(&self, query: &UserQuery) -> Result<Listed<User>, UserStoreError> {
        let query = query.clone();
        self.detached(move |store| async move { list_users(&store, &query).await })
            .await
    }

    async fn list_users_after(
        &self,
        after: Option<UserId>,
        limit: u32,
    ) -> Result<Vec<User>, UserStoreError> {
        self.detached(move |store| async move { list_users_after(&store, after, limit).await })
            .await
    }

    async fn update_user_audited(
        &self,
        id: UserId,
        update: UserUpdate,
        audit: Option<AuditEvent>,
    ) -> Result<User, UserStoreError> {
        self.detached(move |store| async move { update_user(&store, id, update, audit).await })
            .await
    }

    async fn delete_user_audited(
        &self,
        id: UserId,
        now: DateTime<Utc>,
        audit: Option<AuditEvent>,
    ) -> Result<(), UserStoreError> {
        self.detached(move |store| async move { delete_user(&store, id, now, audit).await })
            .await
    }

    async fn apply_import(
        &self,
        writes: Vec<(ImportWrite, AuditEvent)>,
    ) -> Result<(), UserStoreError> {
        self.detached(move |store| async move { apply_import(&store, writes).await })
            .await
    }

    async fn count_users(&self) -> Result<u64, UserStoreError> {
        self.detached(move |store| async move { count_users(&store).await })
            .await
    }

    async fn replace_password_hash(
        &self,
        id: UserId,
        expected: &PasswordHash,
        new: &PasswordHash,
    ) -> Result<bool, UserStoreError> {
        let (expected, new) = (expected.clone(), new.clone());
        self.detached(move |store| async move {
            replace_password_hash(&store, id, &expected, &new).await
        })
        .await
    }
}
