-- The audit trail (docs/operations.md, "Audit trail"): one row per change to a user, key,
-- configuration or session, written in the change's transaction, and one per password
-- sign-in. Append-only: rows are never updated, only purged past the retention period.
-- `fields` holds the changed fields' names, comma-separated, never their values. No foreign keys:
-- an event outlives the user it names.
CREATE TABLE audit_events (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    occurred_at    TEXT NOT NULL,
    actor_user_id  INTEGER,
    actor_kind     TEXT NOT NULL,
    family         TEXT NOT NULL,
    action         TEXT NOT NULL,
    target_user_id INTEGER,
    target         TEXT,
    client_address TEXT,
    request_id     TEXT,
    fields         TEXT NOT NULL
) STRICT;

CREATE INDEX audit_events_actor_idx ON audit_events (actor_user_id, id);
CREATE INDEX audit_events_target_idx ON audit_events (target_user_id, id);
CREATE INDEX audit_events_action_idx ON audit_events (action, id);
CREATE INDEX audit_events_occurred_at_idx ON audit_events (occurred_at);
