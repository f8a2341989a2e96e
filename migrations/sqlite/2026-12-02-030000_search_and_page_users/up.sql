-- Substring and pattern search at scale (issue 11, docs/storage.md "Listings at scale").
--
-- A trigram index of the text fields that listings search with LIKE (`~`, `!~`, the
-- application family's `filter[…]`): an FTS5 table with the trigram tokenizer, external
-- content (it stores only the index; the text stays in `users`), kept in step by triggers in
-- the transaction of every write. The adapter uses it only to narrow the candidates of a
-- pattern with a literal run of three or more characters and always applies the LIKE itself
-- to them, so results are exactly those of the unindexed LIKE (the index folds case more
-- widely than lower() does, which can only add candidates, never lose one). `source_type`
-- is not here: it has three values, and the adapter turns a pattern on it into the list of
-- the values it matches.
CREATE VIRTUAL TABLE users_search USING fts5(
    username, email, external_id, uuid,
    content = 'users', content_rowid = 'id', tokenize = 'trigram'
);
INSERT INTO users_search (users_search) VALUES ('rebuild');

CREATE TRIGGER users_search_insert AFTER INSERT ON users
BEGIN
    INSERT INTO users_search (rowid, username, email, external_id, uuid)
        VALUES (new.id, new.username, new.email, new.external_id, new.uuid);
END;
CREATE TRIGGER users_search_delete AFTER DELETE ON users
BEGIN
    INSERT INTO users_search (users_search, rowid, username, email, external_id, uuid)
        VALUES ('delete', old.id, old.username, old.email, old.external_id, old.uuid);
END;
CREATE TRIGGER users_search_update AFTER UPDATE OF username, email, external_id, uuid ON users
BEGIN
    INSERT INTO users_search (users_search, rowid, username, email, external_id, uuid)
        VALUES ('delete', old.id, old.username, old.email, old.external_id, old.uuid);
    INSERT INTO users_search (rowid, username, email, external_id, uuid)
        VALUES (new.id, new.username, new.email, new.external_id, new.uuid);
END;

-- Deep pages (docs/storage.md "Listings at scale"): a listing reads its page's ids first
-- (`SELECT id … ORDER BY id LIMIT n OFFSET k`). The ids of a rowid table live in the table's
-- own b-tree, among the rows; this index holds nothing but them, so skipping 900,000 of them
-- reads a few megabytes instead of the whole table. (PostgreSQL's primary key is such an
-- index already.)
CREATE INDEX users_id_idx ON users (id);
