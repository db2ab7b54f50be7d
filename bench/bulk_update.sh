#!/usr/bin/env bash
# Bulk test (issue 4): one UPDATE of N users (default 1,000,000) with 100 active groups reading
# the updated column completes, and membership stays exact (verify() empty). Prints the time
# of the same UPDATE on an identical table that is not attached, and the ratio.
# Usage: bash bench/bulk_update.sh [N] [SOCKET_DIR PORT]   (starts its own cluster by default)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
N=${1:-1000000}
DIR=${2:-/tmp/sg_bulk}
PORT=${3:-54380}
if [ $# -lt 2 ]; then start_cluster "$DIR" "$PORT"; trap 'stop_cluster "$DIR"' EXIT; fi
P=(as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$DIR" -p "$PORT")
"${P[@]}" -d postgres -c "DROP DATABASE IF EXISTS sg_bulk" -c "CREATE DATABASE sg_bulk"
"${P[@]}" -d sg_bulk <<SQL
CREATE EXTENSION smart_groups;
CREATE TABLE users (id bigint PRIMARY KEY, level integer, dept text, city text);
CREATE TABLE users_base (LIKE users INCLUDING ALL);
SELECT smart_groups.attach_users('users');
-- 100 groups reading level (each about 1% of users), created on the empty table, then the
-- users arrive.
SELECT count(smart_groups.create_group('g' || i, format('level = %s and dept = %s and city != %s', i % 10, to_json('d' || i % 7), to_json('c' || i % 5))))
  FROM generate_series(1, 100) i;
\timing on
INSERT INTO users SELECT i, i % 10, 'd' || i % 7, 'c' || i % 5 FROM generate_series(1, $N) i;
INSERT INTO users_base SELECT * FROM users;
VACUUM ANALYZE users; VACUUM ANALYZE users_base;
\echo 'baseline: UPDATE of every row of users_base (not attached)'
UPDATE users_base SET level = (level + 3) % 10;
\echo 'smart_groups: the same UPDATE of every row of users (100 groups read level)'
UPDATE users SET level = (level + 3) % 10;
\timing off
SELECT count(*) AS memberships FROM smart_groups.members;
SELECT count(*) AS verify_problems FROM smart_groups.verify();
SQL
