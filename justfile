# Everyday recipes. `just --list` shows them.

# PostgreSQL used by `just test-pg` unless TEST_DATABASE_URL is set.
pg_url := env_var_or_default("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")

default:
    @just --list

# Run the server (SQLite under ./data by default); extra arguments go to rollcall, e.g. `just run --bind 0.0.0.0:8080`.
run *args:
    cargo run --release -p rollcall-server -- {{args}}

# Every test on SQLite and in memory (what a machine with nothing but Rust can run).
test:
    cargo test --workspace

# Every test, also on PostgreSQL (each test gets a database of its own on that server).
test-pg url=pg_url:
    TEST_DATABASE_URL='{{url}}' cargo test --workspace

# Formatting check, clippy with warnings as errors, and no import cycle in the HTTP adapter.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings
    python3 scripts/module-cycles.py crates/http-actix

# Format every crate.
fmt:
    cargo fmt --all

# What CI runs: PostgreSQL, every test, and a smoke test of the binary.
ci:
    .ci/run

# Side-by-side load benchmark on loopback (needs wrk): rollcall against a bare actix-web hello,
# interleaved rounds, ratios to the hello (also on PostgreSQL when TEST_DATABASE_URL is set);
# adds the report to docs/benchmarks.md. BENCH_DURATION, BENCH_CONNECTIONS, BENCH_THREADS,
# BENCH_ROUNDS, BENCH_USERS and BENCH_WRONG_DURATION tune it; then the million-user section
# (`bench-million`; BENCH_MILLION=0 skips it). About 18 minutes with PostgreSQL.
bench:
    scripts/bench.sh --write

# Fill a database with generated users (no Argon2id per user; they all sign in with
# `password`): `just seed 1000000`, on the server's default SQLite file unless
# ROLLCALL_DATABASE_URL says otherwise. Start the server once first, so that it creates the
# first admin.
seed count password="seeded-password-1" *args:
    cargo run --release -p rollcall-seed -- {{count}} --password '{{password}}' {{args}}

# The listings of every family on a million seeded users (also on PostgreSQL when
# TEST_DATABASE_URL is set); prints a Markdown section. BENCH_MILLION_USERS and
# BENCH_MILLION_REPS tune it.
bench-million:
    scripts/bench-million.sh

# The client walks (tests/clients): each published client library against the debug binary;
# names pick some, e.g. `just walks py-dactyl starkiller`. Installs the pinned tools on first use.
walks *names:
    cargo build -p rollcall-server
    python3 tests/outside.py clients {{names}}

# The OpenAPI fuzzer (tests/fuzz): schemathesis over every operation against the debug binary.
fuzz:
    cargo build -p rollcall-server
    python3 tests/outside.py fuzz

# The SCIM 2.0 compliance suite (tests/scim): scim2-tester against /scim/v2 of the debug
# binary, on SQLite and, with TEST_DATABASE_URL set, on a fresh PostgreSQL database.
scim *backends:
    cargo build -p rollcall-server
    python3 tests/outside.py scim {{backends}}
