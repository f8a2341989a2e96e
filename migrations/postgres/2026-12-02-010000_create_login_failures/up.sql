-- Failed password checks, for the login throttle (docs/operations.md, "Login throttling").
-- `login_key` is the SHA-256 (lower-case hex) of the login, never the login as typed;
-- `address` the client's IPv4 address or IPv6 /64. Rows older than the window are purged.
CREATE TABLE login_failures (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    login_key TEXT COLLATE "C" NOT NULL,
    address   TEXT COLLATE "C" NOT NULL,
    failed_at TIMESTAMPTZ NOT NULL
);

-- The two counts of a check: per (address, login) and per address, both in a time window.
CREATE INDEX login_failures_address_login_idx ON login_failures (address, login_key, failed_at);
CREATE INDEX login_failures_address_idx ON login_failures (address, failed_at);
CREATE INDEX login_failures_failed_at_idx ON login_failures (failed_at);
