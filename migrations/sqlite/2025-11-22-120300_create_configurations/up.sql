-- Per-user settings: a key unique per user and a string value.
CREATE TABLE configurations (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL
        CONSTRAINT configurations_user_id_fkey REFERENCES users (id) ON DELETE CASCADE,
    "key"      TEXT NOT NULL,
    "value"    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

CREATE UNIQUE INDEX configurations_user_id_key_key ON configurations (user_id, "key");
CREATE INDEX configurations_user_id_idx ON configurations (user_id, id);
