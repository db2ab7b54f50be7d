#!/usr/bin/env bash
# Tenants: what the tenant condition costs the app's writes. Two databases built identically
# from N users (default 20,000) of 10 organizations (org = 1 + id % 10) and 100 groups:
# - sg_tenant_on: users attached with tenant_column => 'org'; 10 groups per tenant, the same
#   names in every tenant, created with tenant => org;
# - sg_tenant_off: users attached without a tenant column; the same 100 groups under unique
#   names ('level 0 / org 3'), each rule written `org = <n> and (<rule>)`, as an app without
#   tenant support does, so that they hold exactly the same members.
# Times, in the same run, REPS (default 7) repetitions of each statement committed on its own:
# a one-user UPDATE of level, a one-user UPDATE of dept, an INSERT of one user, an UPDATE of
# 1,000 users' level, and a one-user UPDATE of level on users_bare (an identical table, not
# attached, in sg_tenant_off). Each repetition is one fresh session per database, the two
# databases alternating (sg_tenant_on first in odd repetitions), and every session first runs
# the same kinds of statements once untimed on other users (a new backend's first write pays
# for compiling the groups; that is not what this measures). Prints the medians and ratios,
# then checks verify() is empty in both databases and that both hold the same number of
# memberships per (org, rule).
# Usage: bash bench/tenants.sh [N] [SOCKET_DIR PORT]   (starts its own cluster by default)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
N=${1:-20000}
REPS=${REPS:-7}
DIR=${2:-/tmp/sg_tenants}
PORT=${3:-54383}
# Ids used: managers 10..109; 1,000-user ranges from 1001 (REPS timed, REPS warm-up); the
# one-user statements use the top 400 ids; new users get ids above N.
if [ "$N" -lt $((1000 * (2 * REPS + 1) + 400)) ]; then
  echo "N=$N is too small for REPS=$REPS (needs $((1000 * (2 * REPS + 1) + 400)))" >&2; exit 1
fi
if [ $# -lt 2 ]; then start_cluster "$DIR" "$PORT"; trap 'stop_cluster "$DIR"' EXIT; fi
P=(as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$DIR" -p "$PORT")
ON=sg_tenant_on
OFF=sg_tenant_off

# The ten rules of each tenant: name and rule.
RULES="('level 0', 'level = 0'), ('level 1', 'level = 1'), ('level 2', 'level = 2'),
       ('level 3', 'level = 3'), ('level 4', 'level = 4'),
       ('dept A', 'dept = \"A\"'), ('dept B', 'dept = \"B\"'), ('dept C', 'dept = \"C\"'),
       ('senior boss', 'manager.level > 5'), ('senior boss, dept A', 'manager.level > 5 and dept = \"A\"')"
# A user's row from its id (level and dept vary within each tenant): its manager (from id 111 on) is one of its tenant's 10 managers.
ROW="i, 1 + i % 10, (i / 10) % 10, chr(65 + (i / 3) % 7), CASE WHEN i > 110 THEN 10 * (1 + (i / 10) % 10) + i % 10 END"

for db in $ON $OFF; do
  "${P[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
  "${P[@]}" -d $db -At >/dev/null <<SQL
CREATE EXTENSION smart_groups;
CREATE TABLE users (id bigint PRIMARY KEY, org integer NOT NULL, level integer, dept text,
                    manager_id bigint REFERENCES users (id));
INSERT INTO users SELECT $ROW FROM generate_series(1, $N) i;
CREATE INDEX ON users (org);
-- Rules reading manager.x search the users pointing to a changed user by this column.
CREATE INDEX ON users (manager_id);
CREATE TABLE users_bare (LIKE users INCLUDING ALL);
ALTER TABLE users_bare ADD FOREIGN KEY (manager_id) REFERENCES users_bare (id);
INSERT INTO users_bare SELECT * FROM users;
VACUUM ANALYZE;
SQL
done
t0=$(date +%s.%N)
"${P[@]}" -d $ON -At >/dev/null <<SQL
SELECT smart_groups.attach_users('users', tenant_column => 'org');
SELECT count(smart_groups.create_group(r.name, r.rule, tenant => org::text))
  FROM generate_series(1, 10) org, (VALUES $RULES) r(name, rule);
SQL
t1=$(date +%s.%N)
"${P[@]}" -d $OFF -At >/dev/null <<SQL
SELECT smart_groups.attach_users('users');
SELECT count(smart_groups.create_group(r.name || ' / org ' || org, format('org = %s and (%s)', org, r.rule)))
  FROM generate_series(1, 10) org, (VALUES $RULES) r(name, rule);
SQL
t2=$(date +%s.%N)
for db in $ON $OFF; do "${P[@]}" -d $db -c "VACUUM ANALYZE"; done

# One session's statements for repetition $2 in database $1: untimed warm-up, then the timed
# statements, each preceded by an \echo naming it.
session() {
  local db=$1 r=$2
  local lo=$((1000 * r + 1)) hi=$((1000 * r + 1000))              # timed 1,000 users
  local wlo=$((1000 * (REPS + r) + 1)) whi=$((1000 * (REPS + r) + 1000))  # warm-up 1,000 users
  local k1=$((N - r)) k2=$((N - 100 - r)) w=$((N - 300 - r))        # one-user statements
  local ins=$((N + r)) wins=$((N + 100 + r))                         # new users
  local dept="CASE WHEN dept = 'A' THEN 'B' ELSE 'A' END"
  cat <<SQL
UPDATE users SET level = level + 1 WHERE id = $w;
UPDATE users SET dept = $dept WHERE id = $w;
INSERT INTO users SELECT $ROW FROM (VALUES ($wins)) v(i);
UPDATE users SET level = level + 1 WHERE id BETWEEN $wlo AND $whi;
SQL
  [ "$db" = $OFF ] && echo "UPDATE users_bare SET level = level + 1 WHERE id = $w;"
  cat <<SQL
\\timing on
\\echo T level
UPDATE users SET level = level + 1 WHERE id = $k1;
\\echo T dept
UPDATE users SET dept = $dept WHERE id = $k2;
\\echo T insert
INSERT INTO users SELECT $ROW FROM (VALUES ($ins)) v(i);
\\echo T bulk
UPDATE users SET level = level + 1 WHERE id BETWEEN $lo AND $hi;
SQL
  if [ "$db" = $OFF ]; then
    echo '\echo T bare'
    echo "UPDATE users_bare SET level = level + 1 WHERE id = $k1;"
  fi
}
TIMES=$(mktemp)
for r in $(seq 1 "$REPS"); do
  if [ $((r % 2)) -eq 1 ]; then order="$ON $OFF"; else order="$OFF $ON"; fi
  for db in $order; do
    session "$db" "$r" | "${P[@]}" -d "$db" |
      awk -v db="$db" '/^T / {what = $2} /^Time: / {print db, what, $2}' >>"$TIMES"
  done
done
median() {  # median of the times of database $1, statement $2
  awk -v db="$1" -v w="$2" '$1 == db && $2 == w {print $3}' "$TIMES" | sort -n |
    awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
ratio() { awk "BEGIN {printf \"%.2f\", $1 / $2}"; }
bare=$(median $OFF bare)
echo "N=$N users in 10 tenants, 100 groups; medians of $REPS, each statement committed on its own"
echo "create 100 groups: tenant_on $(ratio "$t1 - $t0" 1) s, tenant_off $(ratio "$t2 - $t1" 1) s"
printf '%-28s %12s %12s %8s %10s %10s\n' statement "on ms" "off ms" on/off on/bare off/bare
for w in level dept insert bulk; do
  on=$(median $ON $w); off=$(median $OFF $w)
  case $w in
    level) label="UPDATE level, one user";; dept) label="UPDATE dept, one user";;
    insert) label="INSERT one user";; bulk) label="UPDATE level, 1,000 users";;
  esac
  printf '%-28s %12s %12s %8s %10s %10s\n' "$label" "$on" "$off" "$(ratio "$on" "$off")" \
    "$(ratio "$on" "$bare")" "$(ratio "$off" "$bare")"
done
printf '%-28s %12s\n' "users_bare UPDATE level" "$bare"
rm -f "$TIMES"

# Correctness: verify() empty, and the same memberships per (org, rule) in both databases.
for db in $ON $OFF; do
  "${P[@]}" -d $db -At -c "SELECT '$db verify problems: ' || count(*) FROM smart_groups.verify()"
done
COUNTS_ON=$("${P[@]}" -d $ON -At -F ' | ' -c "
  SELECT g.name, g.tenant::int, (SELECT count(*) FROM smart_groups.memberships m WHERE m.group_id = g.id)
    FROM smart_groups.groups g ORDER BY 1, 2")
COUNTS_OFF=$("${P[@]}" -d $OFF -At -F ' | ' -c "
  SELECT split_part(g.name, ' / org ', 1), split_part(g.name, ' / org ', 2)::int,
         (SELECT count(*) FROM smart_groups.memberships m WHERE m.group_id = g.id)
    FROM smart_groups.groups g ORDER BY 1, 2")
USERS_ON=$("${P[@]}" -d $ON -At -c "SELECT md5(string_agg(u::text, ',' ORDER BY id)) FROM users u")
USERS_OFF=$("${P[@]}" -d $OFF -At -c "SELECT md5(string_agg(u::text, ',' ORDER BY id)) FROM users u")
echo "users tables identical: $([ "$USERS_ON" = "$USERS_OFF" ] && echo yes || echo NO)"
echo "memberships per (rule, org), org 1..10:"
echo "$COUNTS_ON" | awk -F ' [|] ' '{c[$1] = c[$1] sprintf(" %5s", $3)} END {for (n in c) printf "  %-20s%s\n", n, c[n]}' | sort
if [ "$COUNTS_ON" = "$COUNTS_OFF" ]; then
  echo "same in both databases: yes ($(echo "$COUNTS_ON" | awk -F ' [|] ' '{s += $3} END {print s}') memberships)"
else
  echo "same in both databases: NO (< $ON, > $OFF)"
  diff <(echo "$COUNTS_ON") <(echo "$COUNTS_OFF") || true
fi
