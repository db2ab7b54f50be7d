#!/usr/bin/env bash
# The main job: builds and installs smart_groups, starts a throwaway PostgreSQL 15 cluster,
# loads a sample app database with users, custom fields and relations, and shows rulesets
# compiled and evaluated. Usage: bash scripts/demo.sh   (installs prerequisites first)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/lib.sh
install_extension release
DEMO_DIR=${DEMO_DIR:-/tmp/smart_groups_demo}
PORT=${DEMO_PORT:-54340}
# The library is preloaded so that its background worker applies relative-time rules
# (within_last) as time passes, as in production.
SG_PRELOAD=smart_groups SG_EXTRA_CONF="smart_groups.time_refresh_interval = '10s'" \
  start_cluster "$DEMO_DIR" "$PORT"
as_pg "$PG_BIN/createdb" -h "$DEMO_DIR" -p "$PORT" demo
as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$DEMO_DIR" -p "$PORT" -d demo -f demo/demo.sql
cat <<TXT

The demo database is running. Connect with:
  sudo -u postgres psql -h $DEMO_DIR -p $PORT demo
Stop it with:
  sudo -u postgres $PG_BIN/pg_ctl -D $DEMO_DIR/data stop
TXT
