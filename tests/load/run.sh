#!/usr/bin/env bash
# The load benchmark (docs/benchmarks.md). Seeds a database afresh (USERS users), starts the
# server in release mode and drives four workloads with wrk over keep-alive connections, each
# at concurrency 1, 16 and 64. Prints a Markdown table: requests/s, p50 and p99 latency,
# errors, the server's CPU time per request (utime + stime from /proc), SQL statements per
# request (from the server's echo_db_statements_total; BEGIN and COMMIT are not counted) and
# the server's peak RSS so far. The home screen and the clinician directory with a random
# user per request, against pgbench and PostGraphile: tests/load/compare.sh.
#
#   tests/load/run.sh                       # 10,000 users, 10 s per run
#   USERS=1000 DURATION=5 tests/load/run.sh
#   WORKLOADS="home patients" tests/load/run.sh
#   WORKLOADS="home fhir" tests/load/run.sh   # the home screen's data as GraphQL and as FHIR
#
# Needs wrk (Debian package `wrk`; installed when missing and running as root) and PostgreSQL on
# 127.0.0.1:5432. Nothing in CI runs this: it measures, it does not assert.
set -euo pipefail
cd "$(dirname "$0")/../.."

USERS=${USERS:-10000}
DURATION=${DURATION:-10}
PORT=${PORT:-18080}
CONCURRENCY=${CONCURRENCY:-"1 16 64"}
WORKLOADS=${WORKLOADS:-"home patients chat login"}
# No TLS to a database on the same host (as tests/load/compare.sh).
DB=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/echo_bench?sslmode=disable}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
SEED_PASSWORD=seeded-echo-password
BASE=http://127.0.0.1:$PORT
WORK=$(mktemp -d)
trap 'kill "${SERVER:-}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

if ! command -v wrk >/dev/null; then
    apt-get install -y -qq wrk >/dev/null
fi
cargo build --release --quiet -p api
BIN=$CARGO_TARGET_DIR/release/api

# A fresh seed every run (17 s for 10,000 users in release): every run measures the same rows.
"$BIN" --database-url "$DB" seed --users "$USERS" --replace

# The per-user chat limit is lifted so one account can send for the whole run; the local
# address is a trusted proxy so each login comes from its own client address.
DATABASE_URL=$DB PORT=$PORT RUST_LOG=warn TRUSTED_PROXIES=127.0.0.1 \
    CHAT_MESSAGES_PER_MINUTE=100000000 "$BIN" serve --skip-migrations &
SERVER=$!
for _ in $(seq 1 100); do
    curl -sf "$BASE/readyz" >/dev/null && break
    sleep 0.2
done

gql() { # token body -> response
    curl -sf "$BASE/graphql" -H 'content-type: application/json' -H "authorization: Bearer $1" -d "$2"
}
login() {
    gql "" "{\"query\":\"mutation { login(input: { email: \\\"$1\\\", password: \\\"$SEED_PASSWORD\\\" }) { token } }\"}" |
        sed -E 's/.*"token":"([^"]+)".*/\1/'
}
USER_TOKEN=$(login "user2@seed.echo-health.test")
CLINICIAN_TOKEN=$(login "user100@seed.echo-health.test")
USER_ID=$(gql "$USER_TOKEN" '{"query":"{ me { id } }"}' | sed -E 's/.*"id":"([^"]+)".*/\1/')
SESSION=$(gql "$USER_TOKEN" '{"query":"mutation { startChatSession { session { id } } }"}' |
    sed -E 's/.*"id":"([^"]+)".*/\1/')

cat >"$WORK/home.json" <<'JSON'
{"query":"query Home { me { firstName healthAssessments(first: 10) { edges { node { id assessmentType riskLevel riskScore createdAt } } } medicalReports(first: 10) { edges { node { id title analysisStatus uploadDate } } } chatSessions(first: 10) { edges { node { id startedAt totalMessages messages(first: 10) { edges { node { id senderType content createdAt } } } } } } } }"}
JSON
cat >"$WORK/patients.json" <<'JSON'
{"query":"query Patients { patients(first: 50) { edges { node { id firstName lastName lastActiveAt healthAssessments(first: 10) { edges { node { id assessmentType riskLevel createdAt } } } medicalReports(first: 10) { edges { node { id title analysisStatus } } } } } } }"}
JSON
printf '{"query":"mutation Chat($s: ID!) { sendChatMessage(sessionId: $s, content: \\"How much exercise should I aim for each week?\\") { message { id } reply { id content } } }","variables":{"s":"%s"}}' \
    "$SESSION" >"$WORK/chat.json"
echo '{}' >"$WORK/login.json"
echo '{}' >"$WORK/fhir.json"

statements() { curl -sf "$BASE/metrics" | awk '/^echo_db_statements_total/ {print $2}'; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER/stat"; }
TICKS=$(getconf CLK_TCK)
rss_mib() { awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$SERVER/status"; }

echo "| workload | concurrency | requests/s | p50 ms | p99 ms | errors | CPU ms/request | SQL statements/request | peak RSS MiB |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for workload in $WORKLOADS; do
    case $workload in
        home) token=$USER_TOKEN auth=token ;;
        patients) token=$CLINICIAN_TOKEN auth=token ;;
        chat) token=$USER_TOKEN auth=token ;;
        login) token="" auth=login ;;
        # The same user's whole record as one FHIR Bundle (Patient/{id}/$everything).
        fhir) token=$USER_TOKEN auth=token ;;
    esac
    url="$BASE/graphql" method=POST
    if [ "$workload" = fhir ]; then
        url="$BASE/fhir/r4/Patient/$USER_ID/\$everything" method=GET
    fi
    for c in $CONCURRENCY; do
        threads=$((c < 2 ? c : 2))
        before=$(statements)
        ticks=$(cpu_ticks)
        result=$(BODY_FILE="$WORK/$workload.json" TOKEN=$token AUTH=$auth USERS=$USERS METHOD=$method \
            SEED_PASSWORD=$SEED_PASSWORD wrk -t "$threads" -c "$c" -d "${DURATION}s" --timeout 30s \
            -s tests/load/graphql.lua "$url" | grep '^RESULT')
        after=$(statements)
        cpu=$(awk -v t=$(($(cpu_ticks) - ticks)) -v hz="$TICKS" 'BEGIN { print t * 1000 / hz }')
        read -r _ requests rps p50 p99 errors <<<"$result"
        per_request=$(awk -v a="$after" -v b="$before" -v n="$requests" 'BEGIN { printf "%.1f", (a - b) / n }')
        cpu_ms=$(awk -v t="$cpu" -v n="$requests" 'BEGIN { printf "%.2f", t / n }')
        echo "| $workload | $c | $rps | $p50 | $p99 | $errors | $cpu_ms | $per_request | $(rss_mib) |"
    done
done
