#!/usr/bin/env bash
# Instructions per request (valgrind's callgrind counts instructions, not seconds, so the figure
# does not move with the machine's load): starts BINARY (default: the release build) under
# callgrind with one HTTP worker, warms up with 20 requests, then answers REQUESTS requests of
# WORKLOAD over one keep-alive connection, each as a different seeded user, and prints the
# instructions per request. The profile is left in OUT.<pid> for callgrind_annotate.
#
#   tests/load/compare.sh                       # once: seeds echo_bench and its sessions
#   tests/load/callgrind.sh                     # home screen, release build
#   WORKLOAD=patients BINARY=/tmp/api-before tests/load/callgrind.sh
#
# Needs valgrind and python3.
set -euo pipefail
cd "$(dirname "$0")/../.."

WORKLOAD=${WORKLOAD:-home}
REQUESTS=${REQUESTS:-200}
USERS=${USERS:-2000}
PORT=${PORT:-18082}
OUT=${OUT:-/tmp/echo-callgrind.out}
BINARY=${BINARY:-${CARGO_TARGET_DIR:-target}/release/api}
DB=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/echo_bench?sslmode=disable}
case $WORKLOAD in
    home) step=1 ;;
    patients) step=100 ;;
    *) echo "unknown workload $WORKLOAD" >&2; exit 1 ;;
esac

DATABASE_URL=$DB PORT=$PORT HTTP_WORKERS=1 RUST_LOG=warn JOB_WORKERS=0 DATA_DIR=$(mktemp -d) \
    valgrind --tool=callgrind --callgrind-out-file="$OUT.%p" --dump-instr=no \
    "$BINARY" serve --skip-migrations >/dev/null 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
    curl -sf -o /dev/null "http://127.0.0.1:$PORT/readyz" && break
    sleep 1
done

drive() { # count offset
    python3 - "tests/load/queries/$WORKLOAD.json" "$1" "$2" "$step" "$USERS" "$PORT" <<'PY'
import http.client, sys
path, count, offset, step, users, port = sys.argv[1], *map(int, sys.argv[2:])
body = open(path, "rb").read()
conn = http.client.HTTPConnection("127.0.0.1", port)
for i in range(offset, offset + count):
    user = (i * 37) % users // step * step + step
    conn.request("POST", "/graphql", body,
                 {"content-type": "application/json", "authorization": f"Bearer bench-{user}"})
    response = conn.getresponse()
    data = response.read()
    assert response.status == 200 and b'"errors"' not in data, data[:300]
PY
}
drive 20 1000
callgrind_control -z "$SERVER" >/dev/null 2>&1
drive "$REQUESTS" 0
callgrind_control -d "$SERVER" >/dev/null 2>&1
sleep 2
kill "$SERVER"
wait "$SERVER" 2>/dev/null || true
profile=$OUT.$SERVER.1 # the dump after the measured requests
total=$(callgrind_annotate --auto=no --threshold=100 "$profile" 2>/dev/null |
    awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
echo "$WORKLOAD: $(awk -v t="$total" -v n="$REQUESTS" 'BEGIN { printf "%.2f", t / n / 1e6 }') million instructions per request ($profile)"
