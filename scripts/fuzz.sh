#!/usr/bin/env bash
# The SQL-surface fuzz tier: random and adversarial arguments (deep nesting, huge strings,
# control characters, numbers out of range, NULLs, wrong types, invalid UTF-8 in a SQL_ASCII
# database) to every public function, and app writes after random settings. Fails on any
# internal error (XX000), any lost connection (a crash) and any failed app write.
# Usage: fuzz.sh SOCKET_DIR PORT [CALLS]   (CALLS per database, default 60000)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
dir=$1 port=$2 calls=${3:-60000}
batch=2000
psql_() { as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres "$@"; }
failed=0

fuzz_db() {
  local db=$1 create=$2 seed=$3
  psql_ -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null
  psql_ -d postgres -c "CREATE DATABASE $db $create"
  psql_ -d "$db" -f pg_test/sql/00_fixture.sql >/dev/null
  psql_ -d "$db" -f pg_test/fuzz/fuzz.sql >/dev/null
  if [ "$db" = sg_fuzz_ascii ]; then
    # Bytes that are not UTF-8, where the app keeps them: arguments, custom-field values, the
    # users' own text, a group name. The app's writes of them must succeed.
    psql_ -d "$db" >/dev/null <<'SQL'
INSERT INTO fuzz.texts VALUES (E'name = "caf\xe9"'), (E'{"field": "name", "op": "eq", "value": "\xe9\xff"}'),
  (E'caf\xe9'), (E'\xc3'), (E'nick = "\xed\xa0\x80"');
SELECT fuzz.record('create_group', $q$SELECT smart_groups.create_group(E'caf\xe9', 'name = "x"')$q$);
SELECT fuzz.record('create_group', $q$SELECT smart_groups.create_group('Accents', E'name = "caf\xe9" or nick = "\xe9"')$q$);
SELECT fuzz.record('app write (SQL_ASCII)', $q$INSERT INTO app.user_field_values VALUES (4, 'nick', E'7\xe9') ON CONFLICT (user_id, field_key) DO UPDATE SET value = E'7\xe9'$q$);
SELECT fuzz.record('app write (SQL_ASCII)', $q$INSERT INTO app.user_field_values VALUES (7, 'points', E'7\xe9')$q$);
SELECT fuzz.record('app write (SQL_ASCII)', $q$UPDATE app.users SET name = E'caf\xe9' WHERE id = 2$q$);
SELECT fuzz.record('app write (SQL_ASCII)', $q$UPDATE app.users SET title = E'\xe9cole', age = 50 WHERE id IN (3, 4)$q$);
SELECT fuzz.record('app write (SQL_ASCII)', $q$INSERT INTO app.users (id, name, email, manager_id) VALUES (50, E'\xff\xfe', E'\xe9@x', 2)$q$);
SQL
  fi
  local done_calls=0
  psql_ -d "$db" -c "SELECT setseed($seed)" >/dev/null
  while [ "$done_calls" -lt "$calls" ]; do
    # One psql per batch: a crash ends the batch with an error, which stops the tier.
    if ! psql_ -d "$db" -c "SELECT setseed($seed + $done_calls / 1e9)" -c "SELECT fuzz.run($batch)" \
         -c "SELECT fuzz.settings_then_writes(50)" >/dev/null; then
      echo "fuzz: $db: a batch failed (crash or error outside the calls); server log tail:"
      tail -20 "$dir/log" 2>/dev/null || true
      failed=1
      return
    fi
    done_calls=$((done_calls + batch))
  done
  # Settings set for the session, then writes that commit (the commit-time step runs).
  for s in notify small_statement_rows decide_in_rust time_refresh_interval databases pending x; do
    for v in garbage -1 ''; do
      if ! out=$(psql_ -d "$db" -At 2>&1 <<SQL
SET smart_groups.$s = '$v';
UPDATE app.users SET age = coalesce(age, 0) + 1 WHERE id = 1;
INSERT INTO app.user_field_values VALUES (3, 'points', '4') ON CONFLICT (user_id, field_key) DO UPDATE SET value = '6';
INSERT INTO app.clicks VALUES (3, now());
SQL
      ); then
        if ! grep -q "invalid value for parameter\|parameter \"smart_groups.$s\" requires\|permission denied to set" <<<"$out"; then
          echo "fuzz: $db: app writes after SET smart_groups.$s = '$v' failed: $out"
          failed=1
        fi
      fi
    done
  done
  psql_ -d "$db" -At -F ' ' <<'SQL'
SELECT 'fuzz: ' || current_database() || ': ' || count(*) || ' calls, '
       || count(*) FILTER (WHERE state = 'XX000') || ' internal errors, '
       || count(*) FILTER (WHERE fn LIKE 'app write%' AND state <> 'ok') || ' failed app writes, '
       || count(DISTINCT fn) FILTER (WHERE fn NOT LIKE 'app write%') || ' functions, '
       || count(DISTINCT state) || ' distinct outcomes'
  FROM fuzz.outcomes;
SELECT 'fuzz:   ' || state || ' ' || count(*) FROM fuzz.outcomes GROUP BY state ORDER BY count(*) DESC;
SELECT 'fuzz: functions never called: ' || string_agg(DISTINCT f.name, ', ')
  FROM fuzz.functions f WHERE NOT EXISTS (SELECT 1 FROM fuzz.outcomes o WHERE o.fn = f.name) HAVING count(*) > 0;
SELECT 'fuzz: functions that never succeeded: ' || string_agg(DISTINCT f.name, ', ')
  FROM fuzz.functions f WHERE NOT EXISTS (SELECT 1 FROM fuzz.outcomes o WHERE o.fn = f.name AND o.state = 'ok')
HAVING count(*) > 0;
SQL
  local bad
  bad=$(psql_ -d "$db" -At -c "SELECT count(*) FROM fuzz.outcomes WHERE state = 'XX000' OR (fn LIKE 'app write%' AND state <> 'ok')")
  if [ "$bad" != 0 ]; then
    echo "fuzz: $db: $bad bad outcomes; the first:"
    psql_ -d "$db" -At -c "SELECT fn || ' -> ' || state || ': ' || left(call, 400) FROM fuzz.outcomes WHERE state = 'XX000' OR (fn LIKE 'app write%' AND state <> 'ok') LIMIT 15"
    failed=1
  fi
  local problems
  problems=$(psql_ -d "$db" -At -c "SELECT count(*) FROM smart_groups.verify()")
  if [ "$problems" != 0 ]; then
    echo "fuzz: $db: verify() found $problems differences after the run"
    failed=1
  fi
}

# A text users key in a database that is not UTF8 is refused when attached (keys travel as
# UTF-8 through maintenance).
psql_ -d postgres -c "DROP DATABASE IF EXISTS sg_fuzz_textkey" 2>/dev/null
psql_ -d postgres -c "CREATE DATABASE sg_fuzz_textkey ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0"
psql_ -d sg_fuzz_textkey -c "SET client_min_messages = warning" -c "CREATE EXTENSION smart_groups" \
      -c "CREATE TABLE u (k text PRIMARY KEY)" >/dev/null
out=$(psql_ -d sg_fuzz_textkey -c "SELECT smart_groups.attach_users('u')" 2>&1 || true)
psql_ -d postgres -c "DROP DATABASE sg_fuzz_textkey" >/dev/null
if ! grep -q "a text users key needs a UTF8 database" <<<"$out"; then
  echo "fuzz: a text users key in a SQL_ASCII database was not refused: $out"
  failed=1
fi

fuzz_db sg_fuzz "" 0.2026
fuzz_db sg_fuzz_ascii "ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0" 0.1206
if [ $failed -ne 0 ]; then
  echo "fuzz: FAILED"
  exit 1
fi
echo "fuzz: passed"
