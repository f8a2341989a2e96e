-- Per-user API keys; only the SHA-256 digest of the whole key is stored (lower-case hex).
-- `scopes` holds `controller/action` entries separated by spaces.
CREATE TABLE api_keys (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       INTEGER NOT NULL
        CONSTRAINT api_keys_user_id_fkey REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT NOT NULL DEFAULT '',
    identifier    TEXT NOT NULL,
    secret_digest TEXT NOT NULL,
    last_four     TEXT NOT NULL,
    scopes        TEXT NOT NULL DEFAULT '',
    expires_at    TEXT,
    last_used_at  TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
) STRICT;

CREATE UNIQUE INDEX api_keys_identifier_key ON api_keys (identifier);
CREATE INDEX api_keys_user_id_idx ON api_keys (user_id, id);
