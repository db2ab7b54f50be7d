#!/usr/bin/env bash
# Lookup tables (issue 17): what renaming a department costs when groups read department.name.
# N users (default 100,000) in 50 departments; 100 groups, 50 of them reading a department's
# name (25 directly, 25 through the manager), 50 reading a users column. Times, in the same
# run, the same UPDATE of one department's name (its N/50 users) committed on its own: on an
# identical departments table no users table points to, then on the real one with the index on
# users.department_id, then without it; and, for comparison, the app's UPDATE of users moving
# the same users to another department; prints the medians and ratios, then checks membership
# (verify() empty). The groups are decided at commit, so every UPDATE is its own transaction.
# Usage: bash bench/lookup_rename.sh [N] [SOCKET_DIR PORT]   (starts its own cluster by default)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
N=${1:-100000}
REPS=${REPS:-7}
DIR=${2:-/tmp/sg_lookup}
PORT=${3:-54381}
if [ $# -lt 2 ]; then start_cluster "$DIR" "$PORT"; trap 'stop_cluster "$DIR"' EXIT; fi
P=(as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$DIR" -p "$PORT")
"${P[@]}" -d postgres -c "DROP DATABASE IF EXISTS sg_lookup" -c "CREATE DATABASE sg_lookup"
"${P[@]}" -d sg_lookup -At >/dev/null <<SQL
CREATE EXTENSION smart_groups;
CREATE TABLE departments (id integer PRIMARY KEY, name text, floor integer);
CREATE TABLE departments_base (LIKE departments INCLUDING ALL);
INSERT INTO departments SELECT i, 'dept ' || i, i % 5 FROM generate_series(1, 50) i;
INSERT INTO departments_base SELECT * FROM departments;
CREATE TABLE users (id bigint PRIMARY KEY, level integer, department_id integer REFERENCES departments (id),
                    manager_id bigint REFERENCES users (id));
INSERT INTO users SELECT i, i % 10, 1 + i % 50, CASE WHEN i > 100 THEN 1 + i % 100 END FROM generate_series(1, $N) i;
CREATE INDEX users_department_id ON users (department_id);
-- Rules reading manager.x search the users pointing to a changed user by this column.
CREATE INDEX ON users (manager_id);
VACUUM ANALYZE;
SELECT smart_groups.attach_users('users');
SELECT count(smart_groups.create_group('dept ' || i, format('department.name = %s', to_json('dept ' || i)))) FROM generate_series(1, 25) i;
SELECT count(smart_groups.create_group('boss in ' || i, format('manager.department.name = %s', to_json('dept ' || i)))) FROM generate_series(1, 25) i;
SELECT count(smart_groups.create_group('level ' || i, format('level = %s', i % 10))) FROM generate_series(1, 50) i;
SQL
# Median time of REPS statements, alternating $1 and $2, each committed on its own.
median_of() {
  local script=""
  for i in $(seq 1 "$REPS"); do
    if [ $((i % 2)) -eq 1 ]; then script+="$1"$'\n'; else script+="$2"$'\n'; fi
  done
  { echo '\timing on'; echo "$script"; } | "${P[@]}" -d sg_lookup | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' |
    sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
# Renames of department 7 back and forth.
median_ms() {
  median_of "UPDATE $1 SET name = 'dept 1' WHERE id = 7;" "UPDATE $1 SET name = 'dept 7' WHERE id = 7;"
}
bare=$(median_ms departments_base)
with=$(median_ms departments)
# The same users moved between departments by the app's own UPDATE of users, for comparison.
moved=$(median_of "UPDATE users SET department_id = 8 WHERE department_id = 7;" \
                  "UPDATE users SET department_id = 7 WHERE id % 50 = 6;")
"${P[@]}" -d sg_lookup -c "UPDATE users SET department_id = 7 WHERE id % 50 = 6"
"${P[@]}" -d sg_lookup -c "DROP INDEX users_department_id"
without=$(median_ms departments)
echo "N=$N users, department 7 has $((N / 50)); medians of $REPS, each UPDATE committed on its own"
echo "bare departments_base:                  $bare ms"
echo "departments, index on the foreign key:  $with ms  ($(awk "BEGIN {printf \"%.1f\", $with / $bare}")x)"
echo "departments, no index:                  $without ms  ($(awk "BEGIN {printf \"%.1f\", $without / $bare}")x)"
echo "the same users moved by UPDATE users:   $moved ms"
"${P[@]}" -d sg_lookup -At -c "SELECT 'verify problems: ' || count(*) FROM smart_groups.verify()"
