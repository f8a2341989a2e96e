-- Per-user API keys; only the SHA-256 digest of the whole key is stored (lower-case hex).
-- `scopes` holds `controller/action` entries separated by spaces.
CREATE TABLE api_keys (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id       BIGINT NOT NULL,
    name          TEXT COLLATE "C" NOT NULL DEFAULT '',
    identifier    TEXT COLLATE "C" NOT NULL,
    secret_digest TEXT COLLATE "C" NOT NULL,
    last_four     TEXT COLLATE "C" NOT NULL,
    scopes        TEXT COLLATE "C" NOT NULL DEFAULT '',
    expires_at    TIMESTAMPTZ,
    last_used_at  TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    CONSTRAINT api_keys_user_id_fkey
        FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);

CREATE UNIQUE INDEX api_keys_identifier_key ON api_keys (identifier);
CREATE INDEX api_keys_user_id_idx ON api_keys (user_id, id);
