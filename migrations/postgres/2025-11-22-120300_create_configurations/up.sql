-- Per-user settings: a key unique per user and a string value.
CREATE TABLE configurations (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    BIGINT NOT NULL,
    "key"      TEXT COLLATE "C" NOT NULL,
    "value"    TEXT COLLATE "C" NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT configurations_user_id_fkey
        FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);

CREATE UNIQUE INDEX configurations_user_id_key_key ON configurations (user_id, "key");
CREATE INDEX configurations_user_id_idx ON configurations (user_id, id);
