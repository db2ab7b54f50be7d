#!/usr/bin/env bash
# README's "A first session" runs as written in a new database: the SQL block of that section,
# with psql stopping at the first error, then the memberships its comments show and verify().
# Usage: readme_session.sh SOCKET_DIR PORT
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
dir=$1 port=$2
psql_() { as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres "$@"; }
session=$(awk '/^## A first session/{on=1} on && /^```sql/{grab=1; next} grab && /^```/{exit} grab' README.md)
[ -n "$session" ] || { echo "readme: no SQL block under \"A first session\""; exit 1; }
psql_ -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS tour" -c "CREATE DATABASE tour" >/dev/null
psql_ -d tour >/dev/null <<<"$session"
got=$(psql_ -d tour -At -F ' | ' -c "SELECT group_name, user_key FROM smart_groups.memberships ORDER BY 1, 2")
want='Benelux managers | 1
Benelux managers | 3
Benelux managers | 4'
[ "$got" = "$want" ] || { echo "readme: memberships differ from what the session says:"; echo "$got"; exit 1; }
problems=$(psql_ -d tour -At -c "SELECT count(*) FROM smart_groups.verify()")
[ "$problems" = 0 ] || { echo "readme: verify() found $problems differences"; exit 1; }
psql_ -d postgres -c "DROP DATABASE tour" >/dev/null
echo "readme: \"A first session\" ran as written ($(grep -c ';' <<<"$session") statements)"
