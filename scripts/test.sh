#!/usr/bin/env bash
# Runs every test tier. On a fresh Debian 12 machine (as root) it first installs everything it
# needs. Usage: bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/lib.sh

echo "== tier 1: core unit and property tests (no server)"
cargo test -p smart_groups_core

echo "== tier 2: #[pg_test] SQL function tests"
PGRX_TEST_DIR=/tmp/sg_pgrx_test
mkdir -p "$PGRX_TEST_DIR" && chown postgres:postgres "$PGRX_TEST_DIR"
# pgrx's test framework builds as root but runs Postgres as `postgres`; the target dir must be
# readable by it.
chmod -R a+rX target 2>/dev/null || true
cargo pgrx test pg15 --runas postgres --pgdata "$PGRX_TEST_DIR/data"

echo "== tier 3: pg_regress (user-visible behaviour)"
install_extension
REG_DIR=/tmp/sg_regress
start_cluster "$REG_DIR" 54329
trap 'stop_cluster "$REG_DIR"' EXIT
bash scripts/regress.sh "$REG_DIR" 54329

echo "== tier 3b: the background worker (library preloaded)"
WRK_DIR=/tmp/sg_worker
SG_PRELOAD=smart_groups SG_EXTRA_CONF="smart_groups.time_refresh_interval = '1s'" start_cluster "$WRK_DIR" 54331
trap 'stop_cluster "$REG_DIR"; stop_cluster "$WRK_DIR"' EXIT
bash scripts/regress.sh "$WRK_DIR" 54331 95_worker
