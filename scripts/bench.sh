#!/usr/bin/env bash
# Load benchmark of a release `rollcall` on loopback (SQLite in a temporary directory):
# authentication fast paths, listings and password hashing, measured with wrk, plus the
# server's resident memory after the load. Prints a Markdown report; `--write` also saves it
# to docs/benchmarks.md. Needs wrk (Debian package `wrk`) and curl; only ever targets 127.0.0.1,
# and every run stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."

duration="${BENCH_DURATION:-10s}"
connections="${BENCH_CONNECTIONS:-32}"
threads="${BENCH_THREADS:-2}"
seed_users="${BENCH_USERS:-200}"
write=false
[ "${1:-}" = "--write" ] && write=true

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }

cargo build --release --quiet -p rollcall-server
target_dir="${CARGO_TARGET_DIR:-target}"
[[ "$target_dir" = /* ]] || target_dir="$(pwd)/$target_dir"
bin="$target_dir/release/rollcall"
work="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:${port}"
trap 'kill "${pid:-0}" 2>/dev/null && wait "${pid:-0}" 2>/dev/null; rm -rf "$work"' EXIT

# `exec` so that $! is the server itself (for the memory reading and the clean-up).
(cd "$work" && exec env ROLLCALL_ADMIN_USERNAME=admin ROLLCALL_ADMIN_PASSWORD=bench-password-1 \
    ROLLCALL_LOG_FILTER=warn ROLLCALL_LOGIN_THROTTLE=false "$bin" --bind "127.0.0.1:${port}" >"$work/stdout" 2>"$work/stderr") &
pid=$!
for _ in $(seq 1 100); do curl -fsS "$base/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fsS "$base/readyz" >/dev/null

token="$(curl -fsS -X POST "$base/token" -d username=admin -d password=bench-password-1 \
    | sed 's/.*"access_token":"\([^"]*\)".*/\1/')"
key="$(curl -fsS -X POST "$base/api/v2/users/me/api_keys" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' \
    -d '{"name":"bench","api_key_scopes":[{"controller":"users","action":"index"},{"controller":"users","action":"show"}]}' \
    | sed 's/.*"key":"\([^"]*\)".*/\1/')"
for i in $(seq 1 "$seed_users"); do
    curl -fsS -o /dev/null -X POST "$base/api/application/users" -H "Authorization: Bearer $token" \
        -H 'Content-Type: application/json' \
        -d "{\"username\":\"user$i\",\"email\":\"user$i@example.com\",\"first_name\":\"U\",\"last_name\":\"$i\"}"
done
basic="$(printf 'admin:bench-password-1' | base64)"

cat >"$work/token.lua" <<'LUA'
wrk.method = "POST"
wrk.body = "username=admin&password=bench-password-1"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
LUA
# A wrong password is never cached, so every request runs Argon2id (and answers 401).
cat >"$work/wrong.lua" <<'LUA'
wrk.method = "POST"
wrk.body = "username=admin&password=not-the-password"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
LUA

rows=()
run() { # name, path, header or "-", extra wrk args…
    local name="$1" path="$2" header="$3"
    shift 3
    local args=(-t "$threads" -c "$connections" -d "$duration" --latency "$@")
    [ "$header" != "-" ] && args+=(-H "$header")
    local out
    out="$(wrk "${args[@]}" "$base$path")"
    local rps p50 p99 errors
    rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
    p50="$(awk '$1=="50%" {print $2}' <<<"$out")"
    p99="$(awk '$1=="99%" {print $2}' <<<"$out")"
    errors="$(awk '/Non-2xx/ {print $5}' <<<"$out")"
    rows+=("| $name | \`$path\` | ${rps} | ${p50} | ${p99} | ${errors:-0} |")
}

run "session token" /api/v2/users/me "Authorization: Bearer $token"
run "API key" /api/v2/users/me "Authorization: Bearer $key"
run "Basic (cached)" /api/v2/users/me "Authorization: Basic $basic"
run "v2 list, 50 per page" "/api/v2/users?limit=50" "Authorization: Bearer $token"
run "v2 filtered list" "/api/v2/users?username=~user1%25&sort_by=username:desc" "Authorization: Bearer $token"
run "application list" "/api/application/users?per_page=50&page=2" "Authorization: Bearer $key"
run "POST /token, right password (credential cache hit)" /token - -s "$work/token.lua"
run "POST /token, wrong password (Argon2id every time, 401 expected)" /token - -s "$work/wrong.lua"
rss_kib="$(ps -o rss= -p "$pid" | tr -d ' ')"

report="$(cat <<MD
## $(date -u +%Y-%m-%d) — $(git rev-parse --short HEAD 2>/dev/null || echo unknown)

Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); release build;
SQLite (WAL) in a temporary directory; ${seed_users} seeded users; wrk with ${threads} threads,
${connections} connections, ${duration} per row, on the same machine as the server.
Argon2id at the defaults (19 MiB, 2 iterations, 1 lane), at most one hash per core at once.
A successful password check is remembered by the credential cache (5 min), so only the
wrong-password row measures Argon2id itself; its non-2xx count is every request (401s). The
login throttle is off for the run (\`ROLLCALL_LOGIN_THROTTLE=false\`): with it on, that row would
measure 429s after the first 100 failures.

| what | path | requests/s | p50 | p99 | non-2xx |
|---|---|---|---|---|---|
$(printf '%s\n' "${rows[@]}")

Resident memory of the server after the runs: $((rss_kib / 1024)) MiB.
MD
)"
echo "$report"
if $write; then
    if [ ! -f docs/benchmarks.md ]; then
        printf '# Benchmarks\n\nProduced by `just bench` (`scripts/bench.sh --write`); newest first.\n' > docs/benchmarks.md
    fi
    { head -n 3 docs/benchmarks.md; echo; echo "$report"; tail -n +4 docs/benchmarks.md; } > "$work/bench.md"
    cp "$work/bench.md" docs/benchmarks.md
fi
