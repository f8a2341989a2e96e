#!/usr/bin/env bash
# The listings of every family on a directory of a million users (issue 11): starts a release
# `rollcall` on a fresh SQLite file (and, with TEST_DATABASE_URL set, on a fresh PostgreSQL
# database on that server, dropped afterwards), fills it with `rollcall-seed`, then times
# single requests with curl (median of BENCH_MILLION_REPS, 7 by default) and the streamed v1
# listing of every user (first byte, whole body, the server's memory growth while it
# streams). Prints a Markdown section; scripts/bench.sh includes it in its report. Only ever
# targets 127.0.0.1 (and a PostgreSQL on this machine), and stops by itself.
#
#   scripts/bench-million.sh                       # SQLite, 1,000,000 users
#   BENCH_MILLION_USERS=100000 scripts/bench-million.sh
#   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test scripts/bench-million.sh
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."

users="${BENCH_MILLION_USERS:-1000000}"
reps="${BENCH_MILLION_REPS:-7}"
password=million-password-1
progress() { echo "bench-million: $*" >&2; }
die() { echo "bench-million: $*" >&2; exit 1; }
command -v curl >/dev/null || die "curl is needed"
command -v python3 >/dev/null || die "python3 is needed"

work="$(mktemp -d)"
server_pid=""
pg_db=""
cleanup() {
    [ -z "$server_pid" ] || { kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; }
    if [ -n "$pg_db" ]; then
        psql "$TEST_DATABASE_URL" -q -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 \
            || echo "bench-million: could not drop database $pg_db" >&2
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

progress "building rollcall and rollcall-seed (release)"
cargo build --release --quiet -p rollcall-server -p rollcall-seed
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
bin="$target_dir/release/rollcall"
seed_bin="$target_dir/release/rollcall-seed"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:${port}"
auth="Authorization: Basic $(printf 'admin:%s' "$password" | base64 -w0)"

rss_kib() { ps -o rss= -p "$1" | tr -d ' '; }

# Median of the total time (ms) of `reps` requests to $1, and the status codes seen. One
# untimed request first: right after a load the first requests of a path are slower (on
# PostgreSQL at a million users, just after seeding: 31.5 with the first Argon2id check, then
# 4.7, 6.4, 5.7, then 2.5-2.8 ms; most likely cold buffers and per-connection statements, not
# profiled), and the goals are about a directory in use.
time_request() {
    local path="$1" n="$2" i
    curl -sS -o /dev/null -H "$auth" "$base$path"
    for ((i = 0; i < n; i++)); do
        curl -sS -o /dev/null -H "$auth" -w '%{time_starttransfer} %{time_total} %{http_code}\n' "$base$path"
    done | python3 -c '
import statistics, sys
rows = [line.split() for line in sys.stdin if line.strip()]
first = statistics.median(float(r[0]) * 1000 for r in rows)
total = statistics.median(float(r[1]) * 1000 for r in rows)
codes = ",".join(sorted({r[2] for r in rows}))
print(f"{total:.1f} {first:.1f} {codes}")'
}

verdict() { awk -v v="$1" -v g="$2" 'BEGIN { printf "%s", v <= g ? "met" : "**missed**" }'; }

# One backend: start, seed, measure; prints its table.
measure() {
    local name="$1" url="$2"
    progress "$name: starting rollcall and seeding $users users"
    (cd "$work" && exec env ROLLCALL_ADMIN_USERNAME=admin ROLLCALL_ADMIN_PASSWORD="$password" \
        ROLLCALL_LOGIN_THROTTLE=false ROLLCALL_DATABASE_URL="$url" \
        "$bin" --bind "127.0.0.1:${port}" >"$work/$name.out" 2>"$work/$name.err") &
    server_pid=$!
    local i
    for i in $(seq 1 100); do curl -fsS "$base/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
    curl -fsS "$base/readyz" >/dev/null || die "$name: rollcall did not start: $(tail -5 "$work/$name.err")"
    local started=$SECONDS
    ROLLCALL_SEED_PASSWORD=seeded-password-1 "$seed_bin" "$users" --database-url "$url" 2>"$work/seed.log" \
        || die "$name: seeding failed: $(tail -3 "$work/seed.log")"
    local seeded=$((SECONDS - started))
    # Let a checkpoint or autovacuum settle before timing.
    sleep 2

    echo "#### $name: $users users (seeded in ${seeded} s)"
    echo
    echo "| request | p50 ms | goal ms | |"
    echo "|---|---|---|---|"
    local row path goal figures total first codes
    while IFS='|' read -r path goal; do
        figures="$(time_request "$path" "$reps")"
        read -r total first codes <<<"$figures"
        [ "$codes" = 200 ] || die "$name: $path answered $codes"
        echo "| \`GET $path\` | $total | $goal | $(verdict "$total" "$goal") |"
    done <<'ROWS'
/api/v2/users?limit=50|5
/api/application/users?per_page=50&page=2|5
/api/v2/users?limit=50&offset=900000|100
/api/v2/users?limit=50&sort_by=username:desc|50
/api/v2/users?limit=50&sort_by=email|50
/api/v2/users?limit=50&sort_by=created_at:desc|50
/api/v2/users?limit=50&enabled=false|50
/api/v2/users?limit=50&username=~user99%25|50
/api/v2/users?limit=50&email=~%25999%25|50
/api/application/users?per_page=50&filter%5Bemail%5D=99999|50
/api/application/users?per_page=50&sort=-uuid|50
/scim/v2/Users?filter=userName%20eq%20%22USER777777%22|5
/scim/v2/Users?filter=externalId%20eq%20%22ext-777778%22|5
/scim/v2/Users?filter=emails.value%20co%20%2299999%22&count=50|50
/scim/v2/Users?filter=userName%20sw%20%22user99999%22%20or%20emails%20co%20%2288888%40%22&count=50|50
/scim/v2/Users?filter=not%20(active%20eq%20true)&count=50|50
/scim/v2/Users?startIndex=900001&count=50|100
/scim/v2/Users?count=0|5
ROWS

    # The v1 listing of every user: three times, memory sampled while it streams.
    local before peak sampler
    before="$(rss_kib "$server_pid")"
    (while kill -0 "$server_pid" 2>/dev/null; do rss_kib "$server_pid"; sleep 0.1; done) >"$work/rss" &
    sampler=$!
    figures="$(time_request /api/v1/users 3)"
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    read -r total first codes <<<"$figures"
    [ "$codes" = 200 ] || die "$name: /api/v1/users answered $codes"
    peak="$(sort -n "$work/rss" | tail -1)"
    local growth=$(((peak - before) / 1024))
    echo "| \`GET /api/v1/users\` (every user), first byte | $first | 50 | $(verdict "$first" 50) |"
    echo "| \`GET /api/v1/users\` (every user), whole body | $total | 10000 | $(verdict "$total" 10000) |"
    echo "| server memory growth while it streams (MiB) | $growth | 64 | $(verdict "$growth" 64) |"
    echo
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}

echo "### A million users (issues 11 and 14)"
echo
echo "Single requests with curl on loopback, each path once untimed and then the median of ${reps} (the v1"
echo "listing: of 3), Basic as the admin (credential cache hit), exact \`count\`/\`total\` in every list answer."
echo "Directory from \`rollcall-seed\` (\`scripts/bench-million.sh\`)."
echo
mkdir -p "$work/sqlite"
measure SQLite "sqlite://$work/sqlite/rollcall.db"
if [ -n "${TEST_DATABASE_URL:-}" ] && command -v psql >/dev/null; then
    pg_db="rollcall_million_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
    pg_url="$(python3 scripts/local-pg-url.py "$TEST_DATABASE_URL" "$pg_db")" \
        || die "TEST_DATABASE_URL is unusable (see above)"
    psql "$TEST_DATABASE_URL" -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE $pg_db" >/dev/null \
        || die "could not create a PostgreSQL database"
    measure PostgreSQL "$pg_url"
else
    echo "PostgreSQL not measured (TEST_DATABASE_URL is not set)."
fi
