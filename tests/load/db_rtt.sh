#!/usr/bin/env bash
# The home screen with the database a network hop away: PostgreSQL is reached through
# tests/load/delay_proxy.py, which holds every chunk DELAY_US in each direction (the machine's
# kernel has no tc netem), so a round trip costs about what it does between two machines; then
# this server and BASELINE_BIN run against the benchmark database through it, interleaved,
# ROUNDS times at each concurrency. What it shows: a statement saved is a round trip saved,
# which a benchmark on one machine (compare.sh) cannot see.
#
#   tests/load/compare.sh                                   # once: seeds echo_bench and sessions
#   BASELINE_BIN=/tmp/api-nocache tests/load/db_rtt.sh      # DELAY_US=250 CONCURRENCY="1 16"
#
# Needs wrk, python3 and the release build.
set -euo pipefail
cd "$(dirname "$0")/../.."

DELAY_US=${DELAY_US:-250}
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-2}
CONCURRENCY=${CONCURRENCY:-"1 16"}
USERS=${USERS:-2000}
BASELINE_BIN=${BASELINE_BIN:?set BASELINE_BIN to the build to compare with}
BIN=${BIN:-${CARGO_TARGET_DIR:-target}/release/api}
PROXY_PORT=${PROXY_PORT:-15432}
DB=postgres://postgres@127.0.0.1:$PROXY_PORT/echo_bench?sslmode=disable
WORK=$(mktemp -d)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"' EXIT

python3 tests/load/delay_proxy.py "$PROXY_PORT" 5432 "$DELAY_US" &
PIDS+=($!)
sleep 0.5

serve() { # binary port
    DATABASE_URL=$DB PORT=$2 RUST_LOG=warn JOB_WORKERS=0 DATA_DIR="$WORK/data" \
        "$1" serve --skip-migrations >>"$WORK/server.log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 1 100); do
        curl -sf -o /dev/null "http://127.0.0.1:$2/readyz" && return
        sleep 0.1
    done
    echo "the server on $2 did not start" >&2
    exit 1
}

serve "$BIN" 18080
serve "$BASELINE_BIN" 18090

run() { # port concurrency seconds -> "requests/s p50 p99 errors"
    BODY_FILE=tests/load/queries/home.json AUTH=bearer IDS="1:1:$USERS" \
        wrk -t 1 -c "$2" -d "${3}s" --timeout 30s -s tests/load/graphql.lua \
        "http://127.0.0.1:$1/graphql" | awk '/^RESULT/ {print $3, $4, $5, $6}'
}

ping_ms=$(psql -q -At "$DB" -c '\timing on' -c 'SELECT 1' 2>&1 | awk '/Time:/ {print $2}')
echo "delay ${DELAY_US} µs each way through the proxy (psql's SELECT 1 took ${ping_ms} ms); $DURATION s per run"
# Warm both (their session caches, their pools).
run 18080 16 3 >/dev/null
run 18090 16 3 >/dev/null
echo
echo "| round | C | target | requests/s | p50 ms | p99 ms | errors |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for round in $(seq 1 "$ROUNDS"); do
    for c in $CONCURRENCY; do
        read -r rps p50 p99 errors <<<"$(run 18080 "$c" "$DURATION")"
        echo "| $round | $c | this server | $rps | $p50 | $p99 | $errors |"
        read -r rps p50 p99 errors <<<"$(run 18090 "$c" "$DURATION")"
        echo "| $round | $c | baseline ($(basename "$BASELINE_BIN")) | $rps | $p50 | $p99 | $errors |"
    done
done
