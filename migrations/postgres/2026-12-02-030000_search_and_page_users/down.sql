DROP INDEX users_uuid_trgm_idx;
DROP INDEX users_external_id_trgm_idx;
DROP INDEX users_email_trgm_idx;
DROP INDEX users_username_trgm_idx;
-- The extension stays: other objects in the database may use it.
