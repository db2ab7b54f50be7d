#!/usr/bin/env bash
# Upgrades in place: for every earlier release whose install script is kept in sql/releases/,
# installs that release in a new database (with the library of this build, as a package
# upgrade leaves it), builds the sample app database on it (scripts/sample/app.sql), runs
# ALTER EXTENSION smart_groups UPDATE, and requires
#   - the same groups, overrides, memberships, log and counts as before the upgrade, and as a
#     fresh install of this version given the same statements (scripts/sample/state.sql);
#   - exactly the objects of the fresh install: every function, table, column, view, index,
#     constraint, trigger, policy, grant and comment (scripts/sample/schema_objects.sql);
#   - verify() empty, and the app's next writes maintained (scripts/sample/writes.sql);
# and that a second copy of the library loaded into one session fails with its own error.
# See docs/releasing.md. Usage: upgrade_test.sh SOCKET_DIR PORT
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
dir=$1 port=$2
psql_() { as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres "$@"; }
q() { psql_ -At -d "$1" -c "$2"; }
state() { psql_ -At -d "$1" <scripts/sample/state.sql; }
objects() { psql_ -At -d "$1" <scripts/sample/schema_objects.sql; }
sample() { { echo "CREATE EXTENSION smart_groups $2;"; cat scripts/sample/app.sql; } | psql_ -d "$1" >/dev/null; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

current=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
sharedir=$("$PG_CONFIG" --sharedir)/extension
[ -f "$sharedir/smart_groups--$current.sql" ] || { echo "upgrade: version $current is not installed"; exit 1; }
releases=()
for f in sql/releases/smart_groups--*.sql; do
  v=${f#sql/releases/smart_groups--}; v=${v%.sql}
  [ "$v" != "$current" ] || { echo "upgrade: $f is the version being built; bump Cargo.toml"; exit 1; }
  install -m 644 "$f" "$sharedir/"
  releases+=("$v")
done
[ ${#releases[@]} -gt 0 ] || { echo "upgrade: no earlier release in sql/releases/"; exit 1; }

for db in sg_up_fresh $(printf 'sg_up_%s ' "${releases[@]//./_}"); do
  psql_ -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" 2>/dev/null
done
sample sg_up_fresh ""
fresh_state=$(state sg_up_fresh)
objects sg_up_fresh >"$work/fresh"
# The comparison must see what it claims to: a fresh install lists its API functions, tables,
# grants, triggers on the app's tables and config tables, and a revoked grant shows.
for kind in '^function smart_groups\.create_group' '^column smart_groups\.member_rows\.' \
            '^trigger .* ON app\.users ' '^dumped smart_groups\.groups' \
            '^relation smart_groups\.members: .*smart_groups_reader=r/'; do
  grep -q "$kind" "$work/fresh" || { echo "upgrade: the schema listing has no line matching $kind"; exit 1; }
done
revoked=$(printf 'BEGIN;\nREVOKE SELECT ON smart_groups.members FROM smart_groups_reader;\n%s\nROLLBACK;\n' \
            "$(cat scripts/sample/schema_objects.sql)" | psql_ -At -d sg_up_fresh)
[ "$revoked" != "$(cat "$work/fresh")" ] || { echo "upgrade: the schema listing does not see grants"; exit 1; }

fail=0
for v in "${releases[@]}"; do
  db=sg_up_${v//./_}
  sample "$db" "VERSION '$v'"
  before=$(state "$db")
  [ "$before" = "$fresh_state" ] || echo "upgrade from $v: note: $v gives other memberships than $current for the same statements"
  psql_ -d "$db" -c "ALTER EXTENSION smart_groups UPDATE"
  got=$(q "$db" "SELECT extversion FROM pg_extension WHERE extname = 'smart_groups'")
  [ "$got" = "$current" ] || { echo "upgrade from $v: at version $got, not $current"; fail=1; continue; }
  [ "$(state "$db")" = "$before" ] || { echo "upgrade from $v: groups, memberships or history changed"; fail=1; }
  objects "$db" >"$work/$v"
  if ! diff -u --label "fresh $current" --label "upgraded from $v" "$work/fresh" "$work/$v" >"$work/$v.diff"; then
    echo "upgrade from $v: the upgraded schema differs from a fresh install of $current:"
    head -60 "$work/$v.diff"
    fail=1
  fi
  [ "$(q "$db" "SELECT count(*) FROM smart_groups.verify()")" = 0 ] ||
    { echo "upgrade from $v: verify() is not empty"; fail=1; }
  got=$(psql_ -d "$db" <scripts/sample/writes.sql)
  [ "$got" = "$(cat scripts/sample/writes.expected)" ] ||
    { echo "upgrade from $v: after the app's writes"; diff <(echo "$got") scripts/sample/writes.expected || true; fail=1; }
  [ $fail = 0 ] && echo "upgrade from $v to $current: ok ($(wc -l <"$work/fresh") schema lines equal, memberships kept)"
done
# A package installed beside another copy (a LOAD of the copy, or shared_preload_libraries
# naming its path) puts two copies of the library in one session: the second refuses to load
# with its own error, not the internal one of settings defined twice.
copy="$dir/smart_groups_copy.so"
cp "$("$PG_CONFIG" --pkglibdir)/smart_groups.so" "$copy" && chmod 644 "$copy"
got=$(psql_ -d sg_up_fresh -v VERBOSITY=verbose -c "SELECT smart_groups.read_number('1')" \
        -c "LOAD '$copy'" 2>&1 || true)
rm -f "$copy"
grep -q 'ERROR:  55000: the smart_groups library is already loaded in this session from another file' <<<"$got" ||
  { echo "upgrade: a second copy of the library in one session gave:"; echo "$got"; fail=1; }
for db in sg_up_fresh $(printf 'sg_up_%s ' "${releases[@]//./_}"); do
  psql_ -d postgres -c "DROP DATABASE $db"
done
exit $fail
