#!/usr/bin/env bash
# Regenerates entity/src from the migrated schema, so hand edits and drift show up in `git diff`.
#   entity/regenerate.sh            (needs PostgreSQL on 127.0.0.1:5432 and sea-orm-cli, see README)
# It migrates a scratch database with the project's own migrator, runs sea-orm-cli against it,
# and drops the scratch database again.
set -euo pipefail
cd "$(dirname "$0")/.."

SEA_ORM_CLI_VERSION=2.0.4
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
SCRATCH_DB=echo_entity_gen_$$
CLI=${SEA_ORM_CLI:-sea-orm-cli}

if ! command -v "$CLI" >/dev/null 2>&1; then
    echo "sea-orm-cli not found: cargo install sea-orm-cli@$SEA_ORM_CLI_VERSION --locked --no-default-features --features codegen,sqlx-postgres,runtime-tokio-rustls" >&2
    exit 1
fi
if ! "$CLI" --version | grep -q " $SEA_ORM_CLI_VERSION"; then
    echo "sea-orm-cli $SEA_ORM_CLI_VERSION expected, found: $("$CLI" --version)" >&2
    exit 1
fi

cleanup() { psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS $SCRATCH_DB WITH (FORCE)" >/dev/null 2>&1 || true; }
trap cleanup EXIT

# `migrate up` creates the database when it is missing.
cargo run --quiet -p api -- --database-url "$PG_URL/$SCRATCH_DB" migrate up
rm -f entity/src/*.rs
"$CLI" generate entity --lib --date-time-crate chrono \
    --database-url "$PG_URL/$SCRATCH_DB" --output-dir entity/src >/dev/null
echo "entity/src regenerated; review with: git diff -- entity/"
