//! The diesel schema shared by both backends. Column types are chosen so that one `table!`
//! serves PostgreSQL and SQLite: integers are `BigInt`, booleans `Bool`, text `Text`, and
//! timestamps the adapter's own [`UtcTimestamp`](crate::timestamp::UtcTimestamp), which maps
//! to `timestamptz` on PostgreSQL and to fixed-width UTC text on SQLite.

diesel::table! {
    use diesel::sql_types::*;
    use crate::timestamp::UtcTimestamp;

    /// Users of the directory.
    users (id) {
        /// Assigned id, never reused.
        id -> BigInt,
        /// UUID v4, lower-case hyphenated text.
        uuid -> Text,
        /// Login name, case preserved; unique on `lower(username)`.
        username -> Text,
        /// E-mail address as given; unique on `lower(email)`.
        email -> Nullable<Text>,
        /// First name.
        first_name -> Nullable<Text>,
        /// Last name.
        last_name -> Nullable<Text>,
        /// Identifier in another system; unique.
        external_id -> Nullable<Text>,
        /// Interface language.
        language -> Text,
        /// Administrator flag.
        is_admin -> Bool,
        /// A disabled user cannot authenticate.
        enabled -> Bool,
        /// Past this instant the user cannot authenticate.
        expired_at -> Nullable<UtcTimestamp>,
        /// POSIX uid (the wire's `user_id`).
        posix_uid -> Nullable<BigInt>,
        /// POSIX gid (the wire's `group_id`).
        posix_gid -> Nullable<BigInt>,
        /// `web_app`, `cli_linux_multi_user` or `cli_ldap`.
        source_type -> Text,
        /// Argon2id PHC string.
        password_hash -> Nullable<Text>,
        /// Creation instant.
        created_at -> UtcTimestamp,
        /// Last change instant.
        updated_at -> UtcTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::timestamp::UtcTimestamp;

    /// Login sessions.
    sessions (id) {
        /// Id.
        id -> BigInt,
        /// Owner; cascades on delete.
        user_id -> BigInt,
        /// SHA-256 of the token, lower-case hex; unique.
        token_digest -> Text,
        /// Creation instant.
        created_at -> UtcTimestamp,
        /// End of validity.
        expires_at -> UtcTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::timestamp::UtcTimestamp;

    /// Per-user API keys.
    api_keys (id) {
        /// Id.
        id -> BigInt,
        /// Owner; cascades on delete.
        user_id -> BigInt,
        /// Label.
        name -> Text,
        /// Public identifier; unique.
        identifier -> Text,
        /// SHA-256 of the whole key, lower-case hex.
        secret_digest -> Text,
        /// Last four characters of the key, for masking.
        last_four -> Text,
        /// `controller/action` entries separated by spaces.
        scopes -> Text,
        /// End of validity.
        expires_at -> Nullable<UtcTimestamp>,
        /// Last use.
        last_used_at -> Nullable<UtcTimestamp>,
        /// Creation instant.
        created_at -> UtcTimestamp,
        /// Last change instant.
        updated_at -> UtcTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::timestamp::UtcTimestamp;

    /// Per-user settings.
    configurations (id) {
        /// Id.
        id -> BigInt,
        /// Owner; cascades on delete.
        user_id -> BigInt,
        /// Key, unique per user.
        key -> Text,
        /// Value.
        value -> Text,
        /// Creation instant.
        created_at -> UtcTimestamp,
        /// Last change instant.
        updated_at -> UtcTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::timestamp::UtcTimestamp;

    /// Failed password checks, for the login throttle.
    login_failures (id) {
        /// Id.
        id -> BigInt,
        /// SHA-256 of the login, lower-case hex.
        login_key -> Text,
        /// The client's IPv4 address or IPv6 /64.
        address -> Text,
        /// When the check failed.
        failed_at -> UtcTimestamp,
    }
}

diesel::table! {
    /// The number of users, one row kept by triggers on `users` (the unfiltered total of a
    /// listing).
    user_count (id) {
        /// Always 1.
        id -> BigInt,
        /// How many users exist.
        n -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::timestamp::UtcTimestamp;

    /// The audit trail: append-only, no foreign keys (an event outlives what it names).
    audit_events (id) {
        /// Id, increasing in write order.
        id -> BigInt,
        /// When it happened.
        occurred_at -> UtcTimestamp,
        /// The acting user, if any.
        actor_user_id -> Nullable<BigInt>,
        /// How the actor authenticated (`password`, `session`, `api_key`, `cli`, `anonymous`).
        actor_kind -> Text,
        /// `v2`, `v1`, `application`, `scim` or `cli`.
        family -> Text,
        /// `resource.verb`.
        action -> Text,
        /// The user the event concerns.
        target_user_id -> Nullable<BigInt>,
        /// The key, configuration or session within that account.
        target -> Nullable<Text>,
        /// The client's address.
        client_address -> Nullable<Text>,
        /// The request id.
        request_id -> Nullable<Text>,
        /// The changed fields' names, comma-separated.
        fields -> Text,
    }
}

diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(api_keys -> users (user_id));
diesel::joinable!(configurations -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(
    users,
    sessions,
    api_keys,
    configurations,
    login_failures,
    user_count,
    audit_events
);
