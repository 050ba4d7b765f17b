#!/usr/bin/env bash
# Side-by-side benchmark (docs/benchmarks.md): this server against the raw-SQL limit of its own
# statements (pgbench replaying them) and against PostGraphile 5 over the same database, in
# one run, interleaved, with a random seeded user per request.
#
#   tests/load/compare.sh                                # 2,000 users, 12 s per run, C16 and C64
#   USERS=2000 DURATION=12 ROUNDS=2 CONCURRENCY="16 64" WORKLOADS="home patients" tests/load/compare.sh
#   PEER=0 tests/load/compare.sh                         # without PostGraphile
#   BASELINE_BIN=/tmp/api-before tests/load/compare.sh   # also an earlier build, for before/after
#
# Steps: seed `echo_bench` afresh; give every seeded user a benchmark session whose bearer token
# is "bench-<id>"; start the release server once with statement logging on its own connections
# and answer each workload for SAMPLES random users, turning what PostgreSQL logged into one
# pgbench script per user (tests/load/statements_to_pgbench.py); restart it without logging;
# start PostGraphile (tests/load/peer, installed with `npm ci`); then, for each round,
# concurrency and workload, run the server, the peer and pgbench one after the other for
# DURATION seconds each (after one WARMUP run of each). Prints a Markdown table per round:
# requests/s, p50/p99 ms, errors, CPU ms per request of the serving process (utime + stime
# from /proc), PostgreSQL's CPU per request (all its processes), SQL statements per request,
# and the ratios to pgbench and to the peer.
#
# Needs wrk, pgbench and PostgreSQL on 127.0.0.1:5432 with its log in
# /var/log/postgresql (Debian); Node.js and npm for the peer. Nothing in CI runs this.
set -euo pipefail
cd "$(dirname "$0")/../.."

USERS=${USERS:-2000}
DURATION=${DURATION:-12}
WARMUP=${WARMUP:-4}
ROUNDS=${ROUNDS:-2}
SAMPLES=${SAMPLES:-100}
CONCURRENCY=${CONCURRENCY:-"16 64"}
WORKLOADS=${WORKLOADS:-"home patients"}
PEER=${PEER:-1}
PORT=${PORT:-18080}
PEER_PORT=${PEER_PORT:-15678}
BASELINE_PORT=${BASELINE_PORT:-18090}
BASELINE_BIN=${BASELINE_BIN:-}
DB_NAME=${DB_NAME:-echo_bench}
# TLS to a database on the same host buys nothing; PostGraphile (node-postgres) does not use it
# unless told to, so neither do the server and pgbench here (DB_SSLMODE=prefer to measure it).
DB_SSLMODE=${DB_SSLMODE:-disable}
export PGSSLMODE=$DB_SSLMODE
DB=postgres://postgres@127.0.0.1:5432/$DB_NAME?sslmode=$DB_SSLMODE
PG_LOG=${PG_LOG:-$(ls -t /var/log/postgresql/postgresql-*-main.log | head -n 1)}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
WORK=$(mktemp -d)
LOAD=tests/load
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"' EXIT

for tool in wrk pgbench; do
    command -v "$tool" >/dev/null || { echo "compare.sh needs $tool" >&2; exit 1; }
done
cargo build --release --quiet -p api
BIN=$CARGO_TARGET_DIR/release/api

"$BIN" --database-url "$DB" seed --users "$USERS" --replace >/dev/null
psql -q -h 127.0.0.1 -U postgres "$DB_NAME" <<'SQL'
INSERT INTO user_sessions (user_id, session_token, device_info, expires_at, is_active,
                           created_at, last_activity, idle_timeout_seconds)
SELECT id, encode(sha256(convert_to('bench-' || id, 'UTF8')), 'hex'), '{"name": "benchmark"}',
       now() + interval '1 day', true, now(), now(), 86400
FROM users;
ANALYZE;
SQL

wait_ready() { # url [curl options]
    for _ in $(seq 1 150); do
        curl -sf -o /dev/null "$@" && return
        sleep 0.2
    done
    echo "$1 did not answer" >&2
    exit 1
}

# JOB_WORKERS=0: no background polling between the measured statements.
serve() { # database-url port [binary]
    DATABASE_URL=$1 PORT=$2 RUST_LOG=warn JOB_WORKERS=0 DATA_DIR="$WORK/data" \
        "${3:-$BIN}" serve --skip-migrations >>"$WORK/server.log" 2>&1 &
    SERVER=$!
    PIDS+=("$SERVER")
    wait_ready "http://127.0.0.1:$2/readyz"
}

# Workload table: body file, users it is made as (first:step:count), peer body file.
ids_of() {
    case $1 in
        home) echo "1:1:$USERS" ;;
        patients) echo "100:100:$((USERS / 100))" ;;
        *) echo "unknown workload $1" >&2; exit 1 ;;
    esac
}

# 1. Capture: the server's statements for SAMPLES random users of each workload.
serve "$DB&options=-c%20log_statement%3Dall" "$PORT"
for workload in $WORKLOADS; do
    IFS=: read -r first step count <<<"$(ids_of "$workload")"
    mkdir -p "$WORK/sql/$workload"
    for i in $(seq 1 "$SAMPLES"); do
        id=$((first + step * (RANDOM % count)))
        # The user's second request is the one captured: the steady state, in which the
        # server already knows the caller (the session cache, docs/auth.md) and sends no
        # token lookup. A BASELINE_BIN without that cache still sends it, every request.
        curl -sf -o /dev/null "http://127.0.0.1:$PORT/graphql" -H 'content-type: application/json' \
            -H "authorization: Bearer bench-$id" -d @"$LOAD/queries/$workload.json"
        before=$(stat -c %s "$PG_LOG")
        curl -sf -o /dev/null "http://127.0.0.1:$PORT/graphql" -H 'content-type: application/json' \
            -H "authorization: Bearer bench-$id" -d @"$LOAD/queries/$workload.json"
        sleep 0.05 # the log is written asynchronously
        tail -c +$((before + 1)) "$PG_LOG" |
            python3 "$LOAD/statements_to_pgbench.py" "$DB_NAME" >"$WORK/sql/$workload/$i.sql" \
                2>>"$WORK/sql/$workload.counts"
    done
done
kill "$SERVER"
wait "$SERVER" 2>/dev/null || true

# 2. The server without logging, and the peer.
serve "$DB" "$PORT"
SERVER_PID=$SERVER
if [ -n "$BASELINE_BIN" ]; then
    serve "$DB" "$BASELINE_PORT" "$BASELINE_BIN"
    BASELINE_PID=$SERVER
fi
if [ "$PEER" = 1 ]; then
    (cd "$LOAD/peer" && npm ci --silent --no-audit --no-fund >/dev/null)
    (cd "$LOAD/peer" && DATABASE_URL=$DB PORT=$PEER_PORT NODE_ENV=production \
        exec node_modules/.bin/node node_modules/postgraphile/dist/cli-run.js >>"$WORK/peer.log" 2>&1) &
    PEER_PID=$! # the node process itself (exec)
    PIDS+=("$PEER_PID")
    wait_ready "http://127.0.0.1:$PEER_PORT/graphql" -H 'content-type: application/json' \
        -d '{"query":"{__typename}"}'
fi

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# Every PostgreSQL process's CPU (the pools' backends live through a run; pgbench's do not).
pg_ticks() {
    local p
    for p in $(pgrep -x postgres); do cat "/proc/$p/stat" 2>/dev/null || true; done |
        awk '{t += $14 + $15} END {print t + 0}'
}
statements() { curl -sf "http://127.0.0.1:$PORT/metrics" | awk '/^echo_db_statements_total/ {print $2}'; }
TICKS=$(getconf CLK_TCK)

# One wrk run: target (ours|peer) workload concurrency seconds
#   -> "requests rps p50 p99 errors cpu_ms pg_cpu_ms"
run_http() {
    local target=$1 workload=$2 c=$3 seconds=$4 url body auth pid
    if [ "$target" = ours ]; then
        url=http://127.0.0.1:$PORT/graphql body=$LOAD/queries/$workload.json auth=bearer pid=$SERVER_PID
    elif [ "$target" = baseline ]; then
        url=http://127.0.0.1:$BASELINE_PORT/graphql body=$LOAD/queries/$workload.json auth=bearer pid=$BASELINE_PID
    else
        url=http://127.0.0.1:$PEER_PORT/graphql body=$LOAD/queries/$workload.peer.json auth=none pid=$PEER_PID
    fi
    local before after pg_before pg_after result
    before=$(cpu_ticks "$pid")
    pg_before=$(pg_ticks)
    result=$(BODY_FILE=$body AUTH=$auth IDS=$(ids_of "$workload") \
        wrk -t 2 -c "$c" -d "${seconds}s" --timeout 30s -s "$LOAD/graphql.lua" "$url" | grep '^RESULT')
    after=$(cpu_ticks "$pid")
    pg_after=$(pg_ticks)
    read -r _ requests rps p50 p99 errors <<<"$result"
    local cpu_ms
    cpu_ms=$(awk -v t=$((after - before)) -v hz="$TICKS" -v n="$requests" 'BEGIN { printf "%.2f", n ? t * 1000 / hz / n : 0 }')
    local pg_ms
    pg_ms=$(awk -v t=$((pg_after - pg_before)) -v hz="$TICKS" -v n="$requests" 'BEGIN { printf "%.2f", n ? t * 1000 / hz / n : 0 }')
    echo "$requests $rps $p50 $p99 $errors $cpu_ms $pg_ms"
}

# One pgbench run over the captured scripts: workload concurrency seconds -> "tps latency_ms"
run_sql() {
    local workload=$1 c=$2 seconds=$3 scripts=() out
    for f in "$WORK/sql/$workload"/*.sql; do scripts+=(-f "$f"); done
    out=$(pgbench -h 127.0.0.1 -U postgres -n -M prepared -c "$c" -j 2 -T "$seconds" "${scripts[@]}" "$DB_NAME" 2>&1)
    echo "$(awk '/^tps/ {printf "%.1f", $3}' <<<"$out") $(awk '/^latency average/ {print $4}' <<<"$out")"
}

for workload in $WORKLOADS; do
    run_http ours "$workload" 16 "$WARMUP" >/dev/null
    [ -n "$BASELINE_BIN" ] && run_http baseline "$workload" 16 "$WARMUP" >/dev/null
    [ "$PEER" = 1 ] && run_http peer "$workload" 16 "$WARMUP" >/dev/null
    run_sql "$workload" 16 "$WARMUP" >/dev/null
done

echo
echo "$USERS users; $DURATION s per run; statements per pgbench transaction: $(for w in $WORKLOADS; do
    printf '%s %s ' "$w" "$(awk '{s += $1; n++} END {printf "%.1f", s / n}' "$WORK/sql/$w.counts")"; done)"
for round in $(seq 1 "$ROUNDS"); do
    echo
    echo "round $round"
    echo
    echo "| workload | C | target | requests/s | p50 ms | p99 ms | errors | CPU ms/request | PostgreSQL CPU ms/request | statements/request | of pgbench | x PostGraphile |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    for c in $CONCURRENCY; do
        for workload in $WORKLOADS; do
            s0=$(statements)
            read -r n rps p50 p99 errors cpu pg <<<"$(run_http ours "$workload" "$c" "$DURATION")"
            s1=$(statements)
            per=$(awk -v a="$s1" -v b="$s0" -v n="$n" 'BEGIN { printf "%.2f", (a - b) / n }')
            if [ -n "$BASELINE_BIN" ]; then
                read -r _ base_rps base_p50 base_p99 base_errors base_cpu base_pg <<<"$(run_http baseline "$workload" "$c" "$DURATION")"
            fi
            peer_rps=""
            if [ "$PEER" = 1 ]; then
                read -r _ peer_rps peer_p50 peer_p99 peer_errors peer_cpu peer_pg <<<"$(run_http peer "$workload" "$c" "$DURATION")"
            fi
            read -r tps latency <<<"$(run_sql "$workload" "$c" "$DURATION")"
            of_sql=$(awk -v a="$rps" -v b="$tps" 'BEGIN { printf "%.0f %%", 100 * a / b }')
            x_peer=$([ -n "$peer_rps" ] && awk -v a="$rps" -v b="$peer_rps" 'BEGIN { printf "%.2f", a / b }' || echo "-")
            echo "| $workload | $c | this server | $rps | $p50 | $p99 | $errors | $cpu | $pg | $per | $of_sql | $x_peer |"
            if [ -n "$BASELINE_BIN" ]; then
                echo "| $workload | $c | baseline ($(basename "$BASELINE_BIN")) | $base_rps | $base_p50 | $base_p99 | $base_errors | $base_cpu | $base_pg | | $(awk -v a="$base_rps" -v b="$tps" 'BEGIN { printf "%.0f %%", 100 * a / b }') | |"
            fi
            if [ "$PEER" = 1 ]; then
                echo "| $workload | $c | PostGraphile 5 | $peer_rps | $peer_p50 | $peer_p99 | $peer_errors | $peer_cpu | $peer_pg | | $(awk -v a="$peer_rps" -v b="$tps" 'BEGIN { printf "%.0f %%", 100 * a / b }') | |"
            fi
            echo "| $workload | $c | pgbench (raw SQL) | $tps | | | | | | | | |"
        done
    done
done
echo
echo "server peak RSS: $(awk '/VmHWM/ {printf "%.0f MiB", $2 / 1024}' "/proc/$SERVER_PID/status")"
