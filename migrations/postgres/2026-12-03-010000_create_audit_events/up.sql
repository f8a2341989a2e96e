-- The audit trail (docs/operations.md, "Audit trail"): one row per change to a user, key,
-- configuration or session, written in the change's transaction, and one per password
-- sign-in. Append-only: rows are never updated, only purged past the retention period.
-- `fields` holds the changed fields' names, comma-separated, never their values. No foreign keys:
-- an event outlives the user it names.
CREATE TABLE audit_events (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at    TIMESTAMPTZ NOT NULL,
    actor_user_id  BIGINT,
    actor_kind     TEXT COLLATE "C" NOT NULL,
    family         TEXT COLLATE "C" NOT NULL,
    action         TEXT COLLATE "C" NOT NULL,
    target_user_id BIGINT,
    target         TEXT COLLATE "C",
    client_address TEXT COLLATE "C",
    request_id     TEXT COLLATE "C",
    fields         TEXT COLLATE "C" NOT NULL
);

CREATE INDEX audit_events_actor_idx ON audit_events (actor_user_id, id);
CREATE INDEX audit_events_target_idx ON audit_events (target_user_id, id);
CREATE INDEX audit_events_action_idx ON audit_events (action, id);
CREATE INDEX audit_events_occurred_at_idx ON audit_events (occurred_at);
