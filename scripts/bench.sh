#!/usr/bin/env bash
# Side-by-side load benchmark of a release `rollcall` against a bare actix-web hello
# (crates/bench-hello) on loopback. The machine is noisy, so results are ratios to the hello
# measured in the same run, never absolute times: every row runs once per round, for several
# interleaved rounds, and each figure is the median over the rounds. SQLite in a temporary
# directory; with TEST_DATABASE_URL set, the authentication rows also run against PostgreSQL
# (a fresh database on that server, dropped afterwards). Also measures the Argon2id limit of
# the machine and the server's resident memory. Prints a Markdown report; `--write` also saves
# it to docs/benchmarks.md. Needs wrk (Debian package `wrk`), curl and python3 (psql for
# PostgreSQL); only ever targets 127.0.0.1 (and a PostgreSQL on this machine), and every run
# stops by itself.
#
# Settings: BENCH_DURATION (8s per row and round), BENCH_CONNECTIONS (64), BENCH_THREADS (2),
# BENCH_ROUNDS (3), BENCH_USERS (200 seeded users), BENCH_WRONG_DURATION (30s, the
# wrong-password row); BENCH_MILLION=0 skips the million-user section (scripts/bench-million.sh,
# about 6 minutes with PostgreSQL; BENCH_MILLION_USERS and BENCH_MILLION_REPS tune it). A quick
# try, never to be saved with --write:
#   BENCH_DURATION=2s BENCH_ROUNDS=1 BENCH_WRONG_DURATION=5s BENCH_MILLION=0 scripts/bench.sh
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."

duration="${BENCH_DURATION:-8s}"
connections="${BENCH_CONNECTIONS:-64}"
threads="${BENCH_THREADS:-2}"
seed_users="${BENCH_USERS:-200}"
rounds="${BENCH_ROUNDS:-3}"
wrong_duration="${BENCH_WRONG_DURATION:-30s}"
wrong_connections=64 # as many as the hashing queue holds (hash_queue_depth, 64)
verify_duration=5s
password=bench-password-1
write=false
case "${1:-}" in
    "") ;;
    --write) write=true ;;
    *) echo "usage: $0 [--write]" >&2; exit 2 ;;
esac
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "BENCH_ROUNDS must be a positive integer" >&2; exit 2; }

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl is needed: apt-get install curl" >&2; exit 1; }
command -v python3 >/dev/null || { echo "python3 is needed: apt-get install python3" >&2; exit 1; }

progress() { echo "bench: $*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }

work="$(mktemp -d)"
pids=()
pg_db=""
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    if [ -n "$pg_db" ]; then
        # FORCE ends the connections of a server that did not stop.
        psql "$TEST_DATABASE_URL" -q -v ON_ERROR_STOP=1 \
            -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 \
            || echo "bench: could not drop database $pg_db" >&2
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# PostgreSQL first, so that an unreachable server fails the run before anything is measured.
pg_url=""
pg_notice=""
if [ -n "${TEST_DATABASE_URL:-}" ]; then
    if ! command -v psql >/dev/null; then
        pg_notice="PostgreSQL skipped: TEST_DATABASE_URL is set but psql is not installed."
    else
        name="rollcall_bench_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
        # The same server and options with the new database's name; only a server on this
        # machine (loopback or a Unix socket) is put under load.
        if ! url="$(python3 scripts/local-pg-url.py "$TEST_DATABASE_URL" "$name")"; then
            die "PostgreSQL: TEST_DATABASE_URL is unusable (see above)"
        fi
        psql "$TEST_DATABASE_URL" -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE $name" >/dev/null \
            || die "could not create a database through TEST_DATABASE_URL; is PostgreSQL running?"
        pg_db="$name"
        pg_url="$url"
    fi
fi
[ -z "$pg_notice" ] || progress "$pg_notice"

progress "building rollcall and bench-hello (release)"
cargo build --release --quiet -p rollcall-server -p rollcall-bench-hello
target_dir="${CARGO_TARGET_DIR:-target}"
[[ "$target_dir" = /* ]] || target_dir="$(pwd)/$target_dir"
bin="$target_dir/release/rollcall"
hello_bin="$target_dir/release/bench-hello"

read -r hello_port sqlite_port pg_port < <(python3 -c '
import socket
sockets = [socket.socket() for _ in range(3)]
for s in sockets:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in sockets))')
hello_base="http://127.0.0.1:${hello_port}"

# Waits until $1 answers 2xx; fails if the server $2 exits or takes longer than 30 s.
wait_ready() {
    local _
    for _ in $(seq 1 150); do
        curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
        kill -0 "$2" 2>/dev/null || break
        sleep 0.2
    done
    die "no answer from $1"
}

# `exec` so that $! is the server itself (for the memory readings and the clean-up).
start_rollcall() { # port, directory, database URL; sets $last_pid
    mkdir -p "$2"
    # The URL goes by environment, not argument, so that no password shows in `ps`.
    (cd "$2" && exec env ROLLCALL_ADMIN_USERNAME=admin ROLLCALL_ADMIN_PASSWORD="$password" \
        ROLLCALL_DATABASE_URL="$3" ROLLCALL_LOGIN_THROTTLE=false \
        "$bin" --bind "127.0.0.1:$1" >"$2/stdout" 2>"$2/stderr") &
    last_pid=$!
    pids+=("$last_pid")
    wait_ready "http://127.0.0.1:$1/readyz" "$last_pid" || { tail -n 20 "$2/stderr" >&2; exit 1; }
}

# A session token, an API key and $seed_users users on the server at $1: prints "token key".
seed() {
    local base="$1" token key i
    token="$(curl -fsS -X POST "$base/token" -d username=admin -d "password=$password" \
        | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')"
    key="$(curl -fsS -X POST "$base/api/v2/users/me/api_keys" -H "Authorization: Bearer $token" \
        -H 'Content-Type: application/json' \
        -d '{"name":"bench","api_key_scopes":[{"controller":"users","action":"index"},{"controller":"users","action":"show"}]}' \
        | python3 -c 'import json, sys; print(json.load(sys.stdin)["key"])')"
    # The POST /token row signs in as its own user: each login opens a session, and past
    # max_sessions_per_user (100) the oldest end, which must not be the read rows' token.
    curl -fsS -o /dev/null -X POST "$base/api/v2/users" -H "Authorization: Bearer $token" \
        -H 'Content-Type: application/json' \
        -d "{\"username\":\"login\",\"password\":\"$password\"}"
    for i in $(seq 1 "$seed_users"); do
        curl -fsS -o /dev/null -X POST "$base/api/application/users" -H "Authorization: Bearer $token" \
            -H 'Content-Type: application/json' \
            -d "{\"username\":\"user$i\",\"email\":\"user$i@example.com\",\"first_name\":\"U\",\"last_name\":\"$i\"}"
    done
    echo "$token $key"
}

cat >"$work/token.lua" <<LUA
wrk.method = "POST"
wrk.body = "username=login&password=$password"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
LUA
# A wrong password is never cached, so every request runs Argon2id (and answers 401); the
# script counts the answers that are not 401 (503 from a full hashing queue, for one).
cat >"$work/wrong.lua" <<'LUA'
wrk.method = "POST"
wrk.body = "username=admin&password=not-the-password"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) unexpected = 0 end
function response(status, headers, body)
    if status ~= 401 then unexpected = unexpected + 1 end
end
function done(summary, latency, requests)
    local n = 0
    for _, thread in ipairs(threads) do n = n + thread:get("unexpected") end
    io.write(string.format("Not 401: %d\n", n))
end
LUA

# wrk's output on stdin → "requests/s p50 p99 mean non-2xx socket-errors", times in ms.
wrk_figures() {
    awk '
        function ms(v,   n, unit) {
            n = v + 0; unit = v; sub(/^[0-9.]+/, "", unit)
            if (unit == "us") return n / 1000
            if (unit == "ms") return n
            if (unit == "s") return n * 1000
            if (unit == "m") return n * 60000
            if (unit == "h") return n * 3600000
            bad = 1
        }
        $1 == "Latency" && NF == 5 { mean = ms($2) }
        $1 == "50%" { p50 = ms($2) }
        $1 == "99%" { p99 = ms($2) }
        $1 == "Requests/sec:" { rps = $2 }
        /Non-2xx or 3xx responses:/ { non2xx = $NF }
        /Socket errors:/ { gsub(/,/, ""); errors = $4 + $6 + $8 + $10 }
        END {
            if (bad || rps == "" || p50 == "" || p99 == "" || mean == "") exit 1
            printf "%s %.2f %.2f %.2f %d %d\n", rps, p50, p99, mean, non2xx, errors
        }'
}

# The rows of one table: name, URL, path shown, header or "-", wrk script or "-". Row 0 is
# the hello that the others are divided by.
rows_reset() { row_name=(); row_url=(); row_path=(); row_header=(); row_script=(); }
row() {
    row_name+=("$1"); row_url+=("$2$3"); row_path+=("$3"); row_header+=("$4"); row_script+=("$5")
}
auth_rows() { # base URL, session token, API key
    row "bare hello" "$hello_base" /hello - -
    row "Basic (credential cache hit)" "$1" /api/v2/users/me "Authorization: Basic $basic" -
    row "session token" "$1" /api/v2/users/me "Authorization: Bearer $2" -
    row "API key" "$1" /api/v2/users/me "Authorization: Bearer $3" -
}

# Runs every row once per round, for $rounds rounds; results go to $work/$1.<row>, one line
# "requests/s p50 p99" per round, and anything but 2xx answers to $work/$1.notes.
run_rounds() {
    local table="$1" r i p out figures rps p50 p99 non2xx errors args
    : >"$work/$table.notes"
    for i in "${!row_name[@]}"; do # each row answers before any time is spent on it
        if [ "${row_script[$i]}" = - ]; then
            args=()
            [ "${row_header[$i]}" = - ] || args=(-H "${row_header[$i]}")
            curl -fsS -o /dev/null "${args[@]}" "${row_url[$i]}" || die "${row_name[$i]}: no 2xx answer"
        fi
    done
    for r in $(seq 1 "$rounds"); do
        for i in "${!row_name[@]}"; do
            progress "$table, round $r/$rounds: ${row_name[$i]}"
            args=(-t "$threads" -c "$connections" -d "$duration" --latency)
            [ "${row_header[$i]}" = - ] || args+=(-H "${row_header[$i]}")
            [ "${row_script[$i]}" = - ] || args+=(-s "${row_script[$i]}")
            out="$(wrk "${args[@]}" "${row_url[$i]}")"
            figures="$(wrk_figures <<<"$out")" || die "unreadable wrk output: $out"
            read -r rps p50 p99 _ non2xx errors <<<"$figures"
            echo "$rps $p50 $p99" >>"$work/$table.$i"
            if [ "$non2xx" -gt 0 ] || [ "$errors" -gt 0 ]; then
                echo "- ${row_name[$i]}, round $r: $non2xx non-2xx answers, $errors socket errors" \
                    >>"$work/$table.notes"
            fi
        done
        for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || die "a server has stopped (pid $p)"; done
    done
}

median() { # file, column: the median over the rounds, 2 decimals
    cut -d' ' -f"$2" "$1" | sort -g | awk '{ v[NR] = $1 }
        END { printf "%.2f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "n/a" }'; }

# The Markdown table of $1, and a line on the authentication rows (1–3) against the goals:
# requests/s at least $2 of the hello's, p99 at most twice the hello's.
report_table() {
    local table="$1" goal="$2" i rps p50 p99 r pr miss hello_rps="" hello_p99="" missed=()
    echo "| what | path | requests/s | p50 ms | p99 ms | ratio to hello | p99 ratio |"
    echo "|---|---|---|---|---|---|---|"
    for i in "${!row_name[@]}"; do
        rps="$(median "$work/$table.$i" 1)"
        p50="$(median "$work/$table.$i" 2)"
        p99="$(median "$work/$table.$i" 3)"
        [ -n "$hello_rps" ] || { hello_rps="$rps"; hello_p99="$p99"; }
        r="$(ratio "$rps" "$hello_rps")"
        pr="$(ratio "$p99" "$hello_p99")"
        # shellcheck disable=SC2016 # Markdown backticks, not a command substitution
        printf '| %s | `%s` | %.0f | %s | %s | %s | %s |\n' "${row_name[$i]}" "${row_path[$i]}" \
            "$rps" "$p50" "$p99" "$r" "$pr"
        if [ "$i" -ge 1 ] && [ "$i" -le 3 ]; then
            miss=""
            awk -v r="$r" -v g="$goal" 'BEGIN { exit !(r >= g) }' || miss="ratio $r"
            awk -v r="$pr" 'BEGIN { exit !(r <= 2) }' || miss="${miss:+$miss, }p99 ratio $pr"
            [ -z "$miss" ] || missed+=("${row_name[$i]} ($miss)")
        fi
    done
    echo
    if [ "${#missed[@]}" -eq 0 ]; then
        echo "Authentication rows against the goals (ratio ≥ $goal, p99 ratio ≤ 2): all met."
    else
        echo "Authentication rows against the goals (ratio ≥ $goal, p99 ratio ≤ 2): missed by" \
            "$(printf '%s; ' "${missed[@]}" | sed 's/; $//')."
    fi
    if [ -s "$work/$table.notes" ]; then
        echo
        echo "Answers other than 2xx, or socket errors (these rows are not valid):"
        echo
        cat "$work/$table.notes"
    fi
}

rss_mib() { ps -o rss= -p "$1" | awk '{ printf "%.0f", $1 / 1024 }'; }

commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
[ -z "$(git status --porcelain --untracked-files=no 2>/dev/null)" ] || commit="$commit (with uncommitted changes)"
load_at_start="$(cut -d' ' -f1-3 /proc/loadavg)"
basic="$(printf 'admin:%s' "$password" | base64)"

# --- SQLite -------------------------------------------------------------------------------
(exec "$hello_bin" --bind "127.0.0.1:${hello_port}" >"$work/hello.log" 2>&1) &
hello_pid=$!
pids+=("$hello_pid")
wait_ready "$hello_base/hello" "$hello_pid"

progress "starting rollcall on SQLite and seeding $seed_users users"
start_rollcall "$sqlite_port" "$work/sqlite" "sqlite://$work/sqlite/rollcall.db"
rollcall_pid="$last_pid"
base="http://127.0.0.1:${sqlite_port}"
credentials="$(seed "$base")"
read -r token key <<<"$credentials"
rss_idle="$(rss_mib "$rollcall_pid")"

rows_reset
auth_rows "$base" "$token" "$key"
row "v2 list, 50 per page" "$base" "/api/v2/users?limit=50" "Authorization: Bearer $token" -
row "v2 filtered list" "$base" "/api/v2/users?username=~user1%25&sort_by=username:desc" "Authorization: Bearer $token" -
row "application list" "$base" "/api/application/users?per_page=50&page=2" "Authorization: Bearer $key" -
row "POST /token, right password (credential cache hit)" "$base" /token - "$work/token.lua"
run_rounds sqlite
sqlite_table="$(report_table sqlite 0.5)"
rss_read="$(rss_mib "$rollcall_pid")"
rss_hello="$(rss_mib "$hello_pid")"

# --- Wrong password: the Argon2id limit of the machine, then the row itself ----------------
wrong_status="$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$base/token" \
    -d username=admin -d password=not-the-password)"
[ "$wrong_status" = 401 ] || die "a wrong password answered $wrong_status, not 401"
progress "time per Argon2id verify: one connection for $verify_duration"
out="$(wrk -t 1 -c 1 -d "$verify_duration" --latency -s "$work/wrong.lua" "$base/token")"
figures="$(wrk_figures <<<"$out")" || die "unreadable wrk output: $out"
read -r _ _ _ verify_ms _ _ <<<"$figures"
hash_threads="$(nproc)"
limit="$(awk -v n="$hash_threads" -v t="$verify_ms" 'BEGIN { printf "%.1f", n * 1000 / t }')"

progress "wrong password: $wrong_connections connections for $wrong_duration"
# wrk gives up on an answer after 2 s by default; the server's own queue timeout (2 s, then
# 503) is what should show, so wrk waits longer.
out="$(wrk -t "$threads" -c "$wrong_connections" -d "$wrong_duration" --timeout 10s --latency \
    -s "$work/wrong.lua" "$base/token")"
figures="$(wrk_figures <<<"$out")" || die "unreadable wrk output: $out"
read -r wrong_rps wrong_p50 wrong_p99 _ _ wrong_errors <<<"$figures"
wrong_other="$(awk '$1 == "Not" && $2 == "401:" { print $3 }' <<<"$out")"
rss_wrong="$(rss_mib "$rollcall_pid")"
wrong_ratio="$(ratio "$wrong_rps" "$limit")"

# --- PostgreSQL -----------------------------------------------------------------------------
pg_section=""
if [ -n "$pg_url" ]; then
    progress "starting rollcall on PostgreSQL (database $pg_db) and seeding $seed_users users"
    start_rollcall "$pg_port" "$work/pg" "$pg_url"
    pg_base="http://127.0.0.1:${pg_port}"
    credentials="$(seed "$pg_base")"
    read -r pg_token pg_key <<<"$credentials"
    rows_reset
    auth_rows "$pg_base" "$pg_token" "$pg_key"
    run_rounds postgres
    pg_section="$(printf '### PostgreSQL (local server, fresh database)\n\n'; report_table postgres 0.25)"
elif [ -n "$pg_notice" ]; then
    pg_section="$pg_notice"
else
    pg_section="PostgreSQL not measured (TEST_DATABASE_URL is not set)."
fi

# --- A million users (scripts/bench-million.sh), unless BENCH_MILLION=0 ----------------------
million_section=""
if [ "${BENCH_MILLION:-1}" != 0 ]; then
    # The servers above are done; stop them so that they do not share the machine.
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    pids=()
    million_section="$(scripts/bench-million.sh)" || die "the million-user section failed"
fi

verdict() { awk -v v="$1" -v g="$2" -v op="$3" 'BEGIN {
    ok = op == "<=" ? v <= g : v >= g; printf "%s", ok ? "met" : "**missed**" }'; }

report="$(cat <<MD
## $(date -u +%Y-%m-%d) — ${commit}

Machine: $(nproc) cores ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), load average ${load_at_start} at the
start; release builds; wrk on the same machine as the servers.

Method: ${rounds} interleaved round(s) of ${duration} per row (every row once per round, in the order of
the tables), wrk with ${threads} threads and ${connections} connections; each figure is the median over the
rounds, latencies in ms; ratios are to the bare actix-web hello (\`crates/bench-hello\`) of the
same rounds. Rollcall: ${seed_users} seeded users, default log filter (info: the access line of every request, written by the log thread; failed requests a second line), login throttle off
(\`ROLLCALL_LOGIN_THROTTLE=false\`, so that the wrong-password row measures Argon2id rather than
429s), Argon2id at the defaults (19 MiB, 2 iterations, 1 lane) on one hashing thread per core.

Goals: the authentication rows (Basic, session token, API key) at ≥ 0.5 of the hello's
requests/s on SQLite and ≥ 0.25 on PostgreSQL, with a p99 ≤ 2× the hello's; wrong-password
logins at ≥ 0.9 of the Argon2id limit; resident memory ≤ 64 MiB idle and ≤ 128 MiB after the
wrong-password load.

### SQLite (WAL, temporary directory)

${sqlite_table}

${pg_section}

### Password hashing and memory

- Wrong password, \`POST /token\` (Argon2id every time, 401 expected), run once after the read
  rows for ${wrong_duration} at ${wrong_connections} connections: $(printf '%.1f' "$wrong_rps") requests/s, p50 ${wrong_p50} ms, p99 ${wrong_p99} ms
  (${wrong_other:-?} answers other than 401, ${wrong_errors} socket errors).
- Argon2id limit of the machine: ${hash_threads} hashing threads (\`nproc\`) × 1 / ${verify_ms} ms per verify
  = ${limit} verifies/s. The time per verify is the mean latency of the same request on one
  connection (${verify_duration}): one verify plus the HTTP round trip, good enough (it makes the limit
  slightly low). Wrong-password requests/s ÷ limit: ${wrong_ratio} (goal ≥ 0.9: $(verdict "$wrong_ratio" 0.9 ">=")).
- Resident memory of rollcall (SQLite): idle after start-up and seeding ${rss_idle} MiB (goal ≤ 64 MiB:
  $(verdict "$rss_idle" 64 "<=")); after the read rows ${rss_read} MiB; after the wrong-password row ${rss_wrong} MiB
  (goal ≤ 128 MiB: $(verdict "$rss_wrong" 128 "<=")). The bare hello after its rows: ${rss_hello} MiB.

${million_section}
MD
)"
echo "$report"
if $write; then
    if [ ! -f docs/benchmarks.md ]; then
        # shellcheck disable=SC2016 # Markdown backticks
        printf '# Benchmarks\n\nProduced by `just bench` (`scripts/bench.sh --write`); newest first.\n' > docs/benchmarks.md
    fi
    # Before the newest report (the first "## 20…" heading), or at the end if there is none,
    # so that whatever stands between the header and the reports stays on top.
    echo "$report" >"$work/report.md"
    awk -v report="$work/report.md" '
        function insert(   line) { while ((getline line < report) > 0) print line; done = 1 }
        !done && /^## 20/ { insert(); print "" }
        { print }
        END { if (!done) { print ""; insert() } }' docs/benchmarks.md >"$work/bench.md"
    cp "$work/bench.md" docs/benchmarks.md
fi
