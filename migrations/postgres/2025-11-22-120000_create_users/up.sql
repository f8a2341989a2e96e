-- Users of the directory (api.md section 1).
-- Every text column uses the "C" collation so that ordering and comparison are byte order,
-- as on SQLite (BINARY), and so that lower() folds ASCII letters only, as on SQLite.
CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    uuid          TEXT COLLATE "C" NOT NULL,
    username      TEXT COLLATE "C" NOT NULL,
    email         TEXT COLLATE "C",
    first_name    TEXT COLLATE "C",
    last_name     TEXT COLLATE "C",
    external_id   TEXT COLLATE "C",
    language      TEXT COLLATE "C" NOT NULL DEFAULT 'en',
    is_admin      BOOLEAN NOT NULL DEFAULT FALSE,
    enabled       BOOLEAN NOT NULL DEFAULT TRUE,
    expired_at    TIMESTAMPTZ,
    posix_uid     BIGINT,
    posix_gid     BIGINT,
    source_type   TEXT COLLATE "C" NOT NULL DEFAULT 'web_app',
    password_hash TEXT COLLATE "C",
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    CONSTRAINT users_posix_uid_range CHECK (posix_uid BETWEEN 0 AND 4294967295),
    CONSTRAINT users_posix_gid_range CHECK (posix_gid BETWEEN 0 AND 4294967295),
    CONSTRAINT users_source_type_known
        CHECK (source_type IN ('web_app', 'cli_linux_multi_user', 'cli_ldap'))
);

-- Uniqueness lives here; the adapter maps a violation of each index to the field it guards.
CREATE UNIQUE INDEX users_uuid_key ON users (uuid);
CREATE UNIQUE INDEX users_username_lower_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));
CREATE UNIQUE INDEX users_external_id_key ON users (external_id);

-- The last-admin check looks for other enabled admins.
CREATE INDEX users_admins_idx ON users (id) WHERE is_admin AND enabled;
