#!/usr/bin/env bash
# Backups of an app database give a working copy: pg_dump in custom and plain formats, restored
# into a new database with pg_restore --exit-on-error / psql ON_ERROR_STOP, must give the same
# groups, overrides, memberships and history, verify() empty, and live maintenance of the
# app's next writes. Usage: dump_restore.sh SOCKET_DIR PORT
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
dir=$1 port=$2
work=$(mktemp -d)
chmod 777 "$work"
trap 'rm -rf "$work"' EXIT
psql_() { as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres "$@"; }
q() { psql_ -At -d "$1" -c "$2"; }

for db in sg_dump_src sg_dump_custom sg_dump_plain; do
  psql_ -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null
done
psql_ -d postgres -c "CREATE DATABASE sg_dump_src"
{ echo 'CREATE EXTENSION smart_groups;'; cat scripts/sample/app.sql; } | psql_ -d sg_dump_src >/dev/null

# What must survive: groups, overrides, memberships, the log, the kept counts.
state() { psql_ -At -d "$1" <scripts/sample/state.sql; }
src_state=$(state sg_dump_src)
members=$(q sg_dump_src "SELECT count(*) FROM smart_groups.memberships")
[ "$members" -gt 100 ] || { echo "dump/restore: the source has only $members memberships"; exit 1; }

as_pg "$PG_BIN/pg_dump" -h "$dir" -p "$port" -U postgres -Fc -f "$work/db.dump" sg_dump_src
as_pg "$PG_BIN/pg_dump" -h "$dir" -p "$port" -U postgres -Fp -f "$work/db.sql" sg_dump_src
psql_ -d postgres -c "CREATE DATABASE sg_dump_custom" -c "CREATE DATABASE sg_dump_plain"
as_pg "$PG_BIN/pg_restore" -h "$dir" -p "$port" -U postgres --exit-on-error -d sg_dump_custom "$work/db.dump"
psql_ -d sg_dump_plain -f "$work/db.sql" >/dev/null

fail=0
for db in sg_dump_custom sg_dump_plain; do
  got=$(state "$db")
  if [ "$got" != "$src_state" ]; then echo "dump/restore $db: state differs from the source"; fail=1; fi
  problems=$(q "$db" "SELECT count(*) FROM smart_groups.verify()")
  [ "$problems" = 0 ] || { echo "dump/restore $db: verify() reports $problems problems"; fail=1; }
  # The app's writes are maintained, and new groups get new ids.
  got=$(psql_ -d "$db" <scripts/sample/writes.sql)
  [ "$got" = "$(cat scripts/sample/writes.expected)" ] ||
    { echo "dump/restore $db: after the app's writes"; diff <(echo "$got") scripts/sample/writes.expected || true; fail=1; }
  [ $fail = 0 ] && echo "dump/restore $db: ok ($members memberships)"
done
for db in sg_dump_src sg_dump_custom sg_dump_plain; do
  psql_ -d postgres -c "DROP DATABASE $db"
done

# A tenant app (docs/reference/tenants.md): the tenant column, each group's and field's tenant,
# and the tenant policies, enabled in the source, come back; the next writes are maintained in
# their tenant.
for db in sg_dump_tsrc sg_dump_tcustom sg_dump_tplain; do
  psql_ -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null 2>&1
done
{ echo 'CREATE EXTENSION smart_groups;'; cat scripts/sample/tenants.sql; } | psql_ -d sg_dump_tsrc >/dev/null
tstate() { psql_ -At -d "$1" <scripts/sample/tenants_state.sql; }
src_tstate=$(tstate sg_dump_tsrc)
grep -q '^groups|t$' <<<"$src_tstate" || { echo "dump/restore: the tenant source has no tenant policies on"; exit 1; }
as_pg "$PG_BIN/pg_dump" -h "$dir" -p "$port" -U postgres -Fc -f "$work/t.dump" sg_dump_tsrc
as_pg "$PG_BIN/pg_dump" -h "$dir" -p "$port" -U postgres -Fp -f "$work/t.sql" sg_dump_tsrc
as_pg "$PG_BIN/pg_restore" -h "$dir" -p "$port" -U postgres --exit-on-error -d sg_dump_tcustom "$work/t.dump"
psql_ -d sg_dump_tplain -f "$work/t.sql" >/dev/null
for db in sg_dump_tcustom sg_dump_tplain; do
  got=$(tstate "$db")
  if [ "$got" != "$src_tstate" ]; then
    echo "dump/restore $db: the tenant app differs from the source"; diff <(echo "$src_tstate") <(echo "$got") || true; fail=1
  fi
  # A new acme salesman joins acme's Sales only; globex's Sales is by level.
  got=$(q "$db" "INSERT INTO saas.accounts VALUES (301, 'acme', 'sales', 9, NULL);
                 SELECT string_agg(g.tenant || ':' || g.name, ',' ORDER BY g.tenant, g.name)
                   FROM smart_groups.members m JOIN smart_groups.groups g ON g.id = m.group_id
                  WHERE m.user_key = 301;")
  [ "$got" = "acme:Sales" ] || { echo "dump/restore $db: a new acme user is in $got"; fail=1; }
  [ "$(q "$db" "SELECT count(*) FROM smart_groups.verify()")" = 0 ] || { echo "dump/restore $db: verify() after writes"; fail=1; }
  [ $fail = 0 ] && echo "dump/restore $db: ok (tenants, tenant policies on)"
done
for db in sg_dump_tsrc sg_dump_tcustom sg_dump_tplain; do
  psql_ -d postgres -c "DROP DATABASE $db"
done
exit $fail
