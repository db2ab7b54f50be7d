#!/usr/bin/env bash
# Runs every test tier. On a fresh Debian 12 machine (as root) it first installs everything it
# needs. Usage: bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/lib.sh
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT

echo "== tier 0: formatting and lints (cargo fmt --check, cargo clippy -D warnings)"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings 2>&1 | tail -3

echo "== tier 1: core unit and property tests (no server)"
cargo test -p smart_groups_core 2>&1 | tee -a "$LOG"

echo "== tier 2: #[pg_test] SQL function tests"
PGRX_TEST_DIR=/tmp/sg_pgrx_test
mkdir -p "$PGRX_TEST_DIR" && chown postgres:postgres "$PGRX_TEST_DIR"
# pgrx's test framework builds as root but runs Postgres as `postgres`, which must be able to
# read the build.
chmod -R a+rX target 2>/dev/null || true
cargo pgrx test pg15 --runas postgres --pgdata "$PGRX_TEST_DIR/data" 2>&1 | tee -a "$LOG"

echo "== tier 3: pg_regress (user-visible behaviour)"
# `cargo pgrx test` installed its test build; install the real one.
install_extension
REG_DIR=/tmp/sg_regress
WRK_DIR=/tmp/sg_worker
start_cluster "$REG_DIR" 54329
trap 'stop_cluster "$REG_DIR"; stop_cluster "$WRK_DIR"; rm -f "$LOG"' EXIT
bash scripts/regress.sh "$REG_DIR" 54329 2>&1 | tee -a "$LOG"

echo "== tier 3a: README's first session, as written, in a new database"
bash scripts/readme_session.sh "$REG_DIR" 54329 2>&1 | tee -a "$LOG"

echo "== tier 3b: the background worker (library preloaded)"
# max_pred_locks_per_transaction as README.md advises for SERIALIZABLE writers ("Live
# membership"): the load test's SERIALIZABLE run exhausted the default pool of 64.
SG_PRELOAD=smart_groups SG_EXTRA_CONF="smart_groups.time_refresh_interval = '1s'
max_pred_locks_per_transaction = 256" start_cluster "$WRK_DIR" 54331
bash scripts/regress.sh "$WRK_DIR" 54331 95_worker 2>&1 | tee -a "$LOG"

echo "== tier 3c: fuzz at the SQL surface (every public function, UTF8 and SQL_ASCII databases)"
bash scripts/fuzz.sh "$REG_DIR" 54329 60000 2>&1 | grep -v ' LOG: ' | tee -a "$LOG"

if [ -x scripts/isolation.sh ]; then
  echo "== tier 4: isolation specs (concurrency)"
  bash scripts/isolation.sh "$REG_DIR" 54329 2>&1 | tee -a "$LOG"
fi

echo "== tier 4b: pg_dump / pg_restore into new databases"
bash scripts/dump_restore.sh "$REG_DIR" 54329 2>&1 | tee -a "$LOG"

echo "== tier 4c: upgrades in place from every kept release (ALTER EXTENSION smart_groups UPDATE)"
bash scripts/upgrade_test.sh "$REG_DIR" 54329 2>&1 | tee -a "$LOG"

echo "== tier 4d: load test (8 clients of app writes, admin calls, the worker; 30 s each at READ COMMITTED, SERIALIZABLE, and mixed with REPEATABLE READ)"
bash scripts/load_test.sh "$WRK_DIR" 54331 30 2>&1 | tee -a "$LOG"

if [ -x scripts/differential.sh ]; then
  echo "== tier 5: differential test against the independent evaluator"
  bash scripts/differential.sh "$REG_DIR" 54329 2>&1 | tee -a "$LOG"
fi

echo "== tier 6: the Debian package (built, installed with apt-get without the build tree, regress, removed)"
stop_cluster "$REG_DIR"; stop_cluster "$WRK_DIR"
bash scripts/package_test.sh 2>&1 | grep -v 'Compiling\|Finished\|Discovered\|Writing\|Using' | tee -a "$LOG"

# One closing line for every tier together (each tier above already stopped the run on failure).
passed=$(( $( { grep -oE '^test result: ok\. [0-9]+ passed' "$LOG" || true; } | awk '{s+=$4} END {print s+0}') \
         + $(grep -cE '^test [A-Za-z0-9_-]+ +\.\.\. ok +[0-9]+ ms$' "$LOG" || true) \
         + $( { grep -oE '^differential: [0-9]+ passed' "$LOG" || true; } | awk '{s+=$2} END {print s+0}') ))
echo "smart_groups: ${passed} passed, 0 failed"
