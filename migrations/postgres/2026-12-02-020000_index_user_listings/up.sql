-- Listing at scale (issue 11, docs/storage.md "Listings at scale").
--
-- Every documented sort with its id tie-break: `ORDER BY f, id` reads an index on (f, id) in
-- order and stops after the page. Where many users share a value (booleans, types, POSIX
-- ids, and the nullable fields, whose nulls are one large group), `ORDER BY f DESC, id` needs
-- an index in that order too; for the other fields the few ties of a value are sorted on the
-- fly. The same indexes serve the equality and range filters on those fields and their
-- counts. Their null order is the one the listing writes: `NULLS FIRST` ascending and
-- `DESC NULLS LAST` for the nullable columns, PostgreSQL's default (`ASC`, `DESC`) for the
-- others (the planner only uses an index whose null order matches, even on a NOT NULL
-- column).

CREATE INDEX users_username_sort_idx ON users (username, id);
CREATE INDEX users_email_sort_idx ON users (email ASC NULLS FIRST, id);
CREATE INDEX users_external_id_sort_idx ON users (external_id ASC NULLS FIRST, id);
CREATE INDEX users_is_admin_sort_idx ON users (is_admin, id);
CREATE INDEX users_enabled_sort_idx ON users (enabled, id);
CREATE INDEX users_source_type_sort_idx ON users (source_type, id);
CREATE INDEX users_posix_uid_sort_idx ON users (posix_uid ASC NULLS FIRST, id);
CREATE INDEX users_posix_gid_sort_idx ON users (posix_gid ASC NULLS FIRST, id);
CREATE INDEX users_created_at_sort_idx ON users (created_at, id);
CREATE INDEX users_updated_at_sort_idx ON users (updated_at, id);
CREATE INDEX users_expired_at_sort_idx ON users (expired_at ASC NULLS FIRST, id);
CREATE INDEX users_email_desc_sort_idx ON users (email DESC NULLS LAST, id);
CREATE INDEX users_external_id_desc_sort_idx ON users (external_id DESC NULLS LAST, id);
CREATE INDEX users_is_admin_desc_sort_idx ON users (is_admin DESC, id);
CREATE INDEX users_enabled_desc_sort_idx ON users (enabled DESC, id);
CREATE INDEX users_source_type_desc_sort_idx ON users (source_type DESC, id);
CREATE INDEX users_posix_uid_desc_sort_idx ON users (posix_uid DESC NULLS LAST, id);
CREATE INDEX users_posix_gid_desc_sort_idx ON users (posix_gid DESC NULLS LAST, id);
CREATE INDEX users_expired_at_desc_sort_idx ON users (expired_at DESC NULLS LAST, id);

-- PostgreSQL does not sort the ties of a value on the fly after an index scan the way
-- SQLite does (its incremental sort was not chosen, measured at a million users), so the
-- high-cardinality fields get their descending index too.
CREATE INDEX users_username_desc_sort_idx ON users (username DESC, id);
CREATE INDEX users_created_at_desc_sort_idx ON users (created_at DESC, id);
CREATE INDEX users_updated_at_desc_sort_idx ON users (updated_at DESC, id);

-- The number of users, for the exact total of an unfiltered listing without counting a
-- million rows: kept by triggers, so every write that adds or removes users (the server's,
-- a CLI's, a bulk load's) changes it in its own transaction.
-- Statement-level triggers: a bulk insert of thousands of users updates the row once.
CREATE TABLE user_count (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    n  BIGINT NOT NULL CHECK (n >= 0)
);
INSERT INTO user_count (id, n) SELECT 1, count(*) FROM users;
CREATE FUNCTION users_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE user_count SET n = n + (SELECT count(*) FROM inserted) WHERE id = 1;
    RETURN NULL;
END
$$;
CREATE FUNCTION users_count_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE user_count SET n = n - (SELECT count(*) FROM deleted) WHERE id = 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER users_count_insert AFTER INSERT ON users
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION users_count_inserted();
CREATE TRIGGER users_count_delete AFTER DELETE ON users
    REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION users_count_deleted();
