#!/usr/bin/env bash
# Quick look at the authenticated hot path: starts a release `rollcall` (SQLite in a temporary
# directory) on loopback, runs wrk for a few seconds on /healthz and on GET /api/v2/users/me
# with Basic, a session token and an API key, prints requests/s and p99 and the server's RSS,
# and with PERF=session|basic|apikey records a perf profile of that row to
# target/profile/perf.data (read it with `perf report -i target/profile/perf.data
# --no-children --sort symbol -g none`). Not a benchmark (see scripts/bench.sh for that): it
# is what you run before and after a change to see where the time goes.
#
#   scripts/profile.sh                     # build with line tables, measure
#   PERF=session scripts/profile.sh        # and profile the session row
#   LOG_FILTER=warn D=3s scripts/profile.sh
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/profile scripts/profile.sh  # an empty database
#   PERF=session PERF_CALL_GRAPH=dwarf PERF_FREQUENCY=199 scripts/profile.sh   # callers of libc
#       # and kernel functions too (Rust builds omit frame pointers, so `fp` stops there)
#
# Needs wrk; PERF needs perf. Only ever targets 127.0.0.1, and stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
target_dir="${CARGO_TARGET_DIR:-target}/profile-build"
[[ "$target_dir" = /* ]] || target_dir="$(pwd)/$target_dir"
CARGO_PROFILE_RELEASE_DEBUG=line-tables-only CARGO_TARGET_DIR="$target_dir" \
    cargo build --release --quiet -p rollcall-server
bin="$target_dir/release/rollcall"
out="$(pwd)/target/profile"
mkdir -p "$out"
work="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:${port}"
password=profile-password-1
(cd "$work" && exec env ROLLCALL_ADMIN_USERNAME=admin ROLLCALL_ADMIN_PASSWORD="$password" \
    ROLLCALL_LOG_FILTER="${LOG_FILTER:-info}" ROLLCALL_LOGIN_THROTTLE=false \
    ROLLCALL_DATABASE_URL="${DATABASE_URL:-sqlite://data/rollcall.db}" \
    "$bin" --bind "127.0.0.1:${port}" >"$work/stdout" 2>"$work/stderr") &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do curl -fsS "$base/readyz" >/dev/null 2>&1 && break; sleep 0.2; done

token="$(curl -fsS -X POST "$base/token" -d username=admin -d "password=$password" \
    | sed 's/.*"access_token":"\([^"]*\)".*/\1/')"
key="$(curl -fsS -X POST "$base/api/v2/users/me/api_keys" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' \
    -d '{"name":"profile","api_key_scopes":[{"controller":"users","action":"show"}]}' \
    | sed 's/.*"key":"\([^"]*\)".*/\1/')"
basic="Authorization: Basic $(printf 'admin:%s' "$password" | base64)"
session="Authorization: Bearer $token"
apikey="Authorization: Bearer $key"
rss() { echo "$(( $(ps -o rss= -p "$pid") / 1024 )) MiB"; }
row() {
    wrk -t2 -c64 -d"${D:-5s}" --latency "$@" \
        | awk '/Requests\/sec/ {r=$2} $1=="99%" {p=$2} END {printf "%10s req/s  p99 %s\n", r, p}'
}

echo "RSS idle: $(rss)"
echo "healthz  $(row "$base/healthz")"
echo "basic    $(row -H "$basic" "$base/api/v2/users/me")"
echo "session  $(row -H "$session" "$base/api/v2/users/me")"
echo "apikey   $(row -H "$apikey" "$base/api/v2/users/me")"
echo "RSS after the rows: $(rss)"

if [ -n "${PERF:-}" ]; then
    header="${!PERF}"
    wrk -t2 -c64 -d12s -H "$header" "$base/api/v2/users/me" >/dev/null &
    load=$!
    sleep 2
    perf record -F "${PERF_FREQUENCY:-499}" --call-graph "${PERF_CALL_GRAPH:-fp}" -p "$pid" \
        -o "$out/perf.data" -- sleep 6 >/dev/null 2>&1
    wait "$load"
    echo "profile of the $PERF row: $out/perf.data"
fi
