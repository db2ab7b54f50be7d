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
psql_ -d sg_dump_src >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION smart_groups;
CREATE SCHEMA app;
CREATE TABLE app.users (id bigint PRIMARY KEY, name text, dept text, hired date,
                        manager_id bigint REFERENCES app.users (id));
CREATE TABLE app.fields (user_id bigint NOT NULL REFERENCES app.users (id), k text NOT NULL, v text,
                         PRIMARY KEY (user_id, k));
CREATE TABLE app.clicks (id bigserial PRIMARY KEY, user_id bigint NOT NULL REFERENCES app.users (id),
                         at timestamptz NOT NULL DEFAULT now());
INSERT INTO app.users
SELECT i, 'user ' || i, (ARRAY['Sales', 'Ops', 'Support'])[1 + i % 3], date '2024-01-01' + i,
       CASE WHEN i > 10 THEN 1 + i % 10 END
  FROM generate_series(1, 500) i;
INSERT INTO app.fields SELECT i, 'level', (i % 7)::text FROM generate_series(1, 500, 2) i;
INSERT INTO app.clicks (user_id) SELECT 1 + (i * 37) % 500 FROM generate_series(1, 800) i;
SELECT smart_groups.attach_users('app.users');
SELECT smart_groups.attach_custom_fields('app.fields', 'user_id', 'k', 'v');
SELECT smart_groups.define_custom_field('level', 'number');
SELECT smart_groups.attach_relation('clicks', 'app.clicks', 'user_id');
SELECT smart_groups.create_group('Sales', 'dept = "Sales"');
SELECT smart_groups.create_group('Senior', 'level >= 4');
SELECT smart_groups.create_group('Active', 'has at least 2 clicks');
SELECT smart_groups.create_group('Sales boss', 'manager.dept = "Sales"');
SELECT smart_groups.create_group('Senior sales', 'member of "Sales" and member of "Senior"');
SELECT smart_groups.create_group('Old', 'hired before 2024-03-01', active => false);
SELECT smart_groups.create_group('Gone', 'dept = "Ops"');
SELECT smart_groups.archive_group('Gone');
SELECT smart_groups.create_static_group('Team');
SELECT smart_groups.add_members('Team', ARRAY[3, 5, 8]);
SELECT smart_groups.exclude('Sales', 3, 'data_quality');
SELECT smart_groups.include('Senior', 2);
UPDATE app.users SET dept = 'Sales' WHERE id BETWEEN 20 AND 40;
INSERT INTO app.fields VALUES (2, 'level', '6') ON CONFLICT (user_id, k) DO UPDATE SET v = excluded.v;
SQL

# What must survive: groups, overrides, memberships, the log, the kept counts.
state() {
  q "$1" "SELECT md5(concat_ws('|',
     (SELECT string_agg(format('%s/%s/%s/%s/%s', id, name, kind, status, rules_text), ';' ORDER BY id) FROM smart_groups.groups),
     (SELECT string_agg(format('%s/%s', group_name, user_key), ';' ORDER BY group_name, user_key) FROM smart_groups.memberships),
     (SELECT string_agg(format('%s/%s', group_id, user_key), ';' ORDER BY group_id, user_key) FROM smart_groups.inclusions),
     (SELECT string_agg(format('%s/%s/%s', group_id, user_key, reason), ';' ORDER BY group_id, user_key) FROM smart_groups.exclusions),
     (SELECT string_agg(format('%s/%s/%s/%s/%s', id, group_id, user_key, change, cause), ';' ORDER BY id, user_key) FROM smart_groups.membership_log),
     (SELECT string_agg(format('%s/%s', g.name, smart_groups.member_count(g.name)), ';' ORDER BY g.id) FROM smart_groups.groups g)))"
}
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
  q "$db" "UPDATE app.users SET dept = 'Sales' WHERE id = 1" >/dev/null
  q "$db" "INSERT INTO app.fields VALUES (1, 'level', '9') ON CONFLICT (user_id, k) DO UPDATE SET v = excluded.v" >/dev/null
  q "$db" "INSERT INTO app.users VALUES (501, 'new', 'Sales', '2024-01-02', 1)" >/dev/null
  q "$db" "INSERT INTO app.clicks (user_id) VALUES (501), (501)" >/dev/null
  q "$db" "SELECT smart_groups.create_group('After restore', 'dept = \"Support\"')" >/dev/null
  q "$db" "SELECT smart_groups.activate_group('Old')" >/dev/null
  q "$db" "SELECT smart_groups.restore_group('Gone')" >/dev/null
  got=$(q "$db" "SELECT string_agg(group_name, ',' ORDER BY group_name) FROM smart_groups.memberships WHERE user_key = 1")
  want="Old,Sales,Senior,Senior sales"
  [ "$got" = "$want" ] || { echo "dump/restore $db: user 1 is in [$got], expected [$want]"; fail=1; }
  got=$(q "$db" "SELECT string_agg(group_name, ',' ORDER BY group_name) FROM smart_groups.memberships WHERE user_key = 501")
  want="Active,Old,Sales,Sales boss"
  [ "$got" = "$want" ] || { echo "dump/restore $db: user 501 is in [$got], expected [$want]"; fail=1; }
  problems=$(q "$db" "SELECT count(*) FROM smart_groups.verify()")
  [ "$problems" = 0 ] || { echo "dump/restore $db: verify() reports $problems problems after writes"; fail=1; }
  ids=$(q "$db" "SELECT count(*) = count(DISTINCT id) FROM smart_groups.groups")
  [ "$ids" = t ] || { echo "dump/restore $db: group ids repeat"; fail=1; }
  [ $fail = 0 ] && echo "dump/restore $db: ok ($members memberships)"
done
for db in sg_dump_src sg_dump_custom sg_dump_plain; do
  psql_ -d postgres -c "DROP DATABASE $db"
done
exit $fail
