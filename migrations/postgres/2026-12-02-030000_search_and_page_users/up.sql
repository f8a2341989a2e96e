-- Substring and pattern search at scale (issue 11, docs/storage.md "Listings at scale").
--
-- Trigram GIN indexes (pg_trgm) on the lower-cased text fields that listings search with
-- LIKE (`~`, `!~`, the application family's `filter[…]`). A listing compares
-- `lower(column) LIKE pattern`, so the planner can answer a pattern with a literal run of
-- three or more characters from these indexes (and rechecks every candidate: results are
-- those of the plain LIKE). pg_trgm ships with PostgreSQL (contrib) and is a trusted
-- extension: the owner of the database may create it without being a superuser.
-- `source_type` is not here: it has three values, and the adapter turns a pattern on it into
-- the list of the values it matches.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX users_username_trgm_idx ON users USING gin (lower(username) gin_trgm_ops);
CREATE INDEX users_email_trgm_idx ON users USING gin (lower(email) gin_trgm_ops);
CREATE INDEX users_external_id_trgm_idx ON users USING gin (lower(external_id) gin_trgm_ops);
CREATE INDEX users_uuid_trgm_idx ON users USING gin (lower(uuid) gin_trgm_ops);

-- Deep pages need no index here: the primary key's index holds the ids alone (the SQLite
-- migration of the same name adds one).
