-- Users of the directory (api.md section 1).
-- Text compares and sorts with SQLite's default BINARY collation (byte order), and lower()
-- folds ASCII letters only: the same rules as the "C" collation on PostgreSQL.
-- Timestamps are UTC text `YYYY-MM-DDTHH:MM:SS.ffffffZ` (fixed width, so text order is time
-- order). AUTOINCREMENT keeps ids from ever being reused.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid          TEXT NOT NULL,
    username      TEXT NOT NULL,
    email         TEXT,
    first_name    TEXT,
    last_name     TEXT,
    external_id   TEXT,
    language      TEXT NOT NULL DEFAULT 'en',
    is_admin      INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)),
    enabled       INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    expired_at    TEXT,
    posix_uid     INTEGER CHECK (posix_uid BETWEEN 0 AND 4294967295),
    posix_gid     INTEGER CHECK (posix_gid BETWEEN 0 AND 4294967295),
    source_type   TEXT NOT NULL DEFAULT 'web_app'
        CHECK (source_type IN ('web_app', 'cli_linux_multi_user', 'cli_ldap')),
    password_hash TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
) STRICT;

-- Uniqueness lives here; the adapter maps a violation of each index to the field it guards.
CREATE UNIQUE INDEX users_uuid_key ON users (uuid);
CREATE UNIQUE INDEX users_username_lower_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));
CREATE UNIQUE INDEX users_external_id_key ON users (external_id);

-- The last-admin check looks for other enabled admins.
CREATE INDEX users_admins_idx ON users (id) WHERE is_admin AND enabled;
