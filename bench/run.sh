#!/usr/bin/env bash
# The smart_groups benchmark suite, in one command (run as root, like the project's scripts):
#
#   bash bench/run.sh                  # 1,000,000 users
#   bash bench/run.sh --scale 20000    # a small run, a few minutes
#
# Makes its own cluster (/tmp/sg_bench, port 54370) with the extension installed in the system
# PostgreSQL 15 (install it first; this script does not build it), generates the data set,
# runs scenarios S1-S8 against the attached users table and an identical unattached copy, and
# writes bench/results/<timestamp>_<scale>.md and .csv. See bench/README.md.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)

SCALE=1000000
REPS=3
DURATION=
BUDGET=
KEEP=0
SUITE_ARGS=()
usage() {
  sed -n '2,10p' "$0"
  cat <<TXT
Options:
  --scale N          users (default 1000000; 10000000 works, see bench/README.md)
  --reps N           repetitions per scenario, target and baseline alternating (default 3)
  --duration S       seconds per pgbench run (default 10 below 200k users, else 20)
  --budget S         seconds per scenario after which no further repetition starts
                     (default 300 below 200k users, else 600)
  --hot-groups N     groups reading users.level, phase 1 (default 100)
  --cold-groups N    further groups for phase 2 (default 900)
  --many-groups N    phase 3, after the other scenarios: more cold groups until N are active,
                     then S11 again (default 0: none; the issue's 10,000 takes about an hour
                     at 20,000 users)
  --setup-budget S   seconds after which no further phase-2 group is created (default 1200;
                     0: no limit); S1 and S4 then run with the groups that exist
  --only S1,S2,...   run only these scenarios (the data set and groups are still built)
  --no-profile       skip profiles of missed targets
  --verify yes|no    run smart_groups.verify() at the end (default: only up to 100k users)
  --keep             leave the cluster running afterwards
TXT
}
while [ $# -gt 0 ]; do
  case $1 in
    --scale) SCALE=$2; shift 2 ;;
    --reps) REPS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --budget) BUDGET=$2; shift 2 ;;
    --hot-groups|--cold-groups|--many-groups|--setup-budget|--only|--verify) SUITE_ARGS+=("$1" "$2"); shift 2 ;;
    --no-profile) SUITE_ARGS+=("$1"); shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done
[ -n "$DURATION" ] || { [ "$SCALE" -lt 200000 ] && DURATION=10 || DURATION=20; }
[ -n "$BUDGET" ] || { [ "$SCALE" -lt 200000 ] && BUDGET=300 || BUDGET=600; }

export BENCH_DIR=${BENCH_DIR:-/tmp/sg_bench} BENCH_PORT=${BENCH_PORT:-54370} SCALE
# shellcheck source=lib/cluster.sh
source "$HERE/lib/cluster.sh"

if [ "$(id -u)" != 0 ]; then
  echo "run as root (the cluster runs as the postgres user through sudo)" >&2; exit 1
fi
if [ ! -f "$("$PG_CONFIG" --sharedir)/extension/smart_groups.control" ]; then
  echo "smart_groups is not installed in the system PostgreSQL: install it first (cargo pgrx install --release)" >&2
  exit 1
fi

STAMP=$(date -u +%Y%m%d-%H%M%S)
WORK=$HERE/results/tmp/$STAMP
OUT=$HERE/results/${STAMP}_${SCALE}
mkdir -p "$WORK"
chmod 755 "$WORK"
LOAD_INFO=$WORK/load_steps.tsv

step() {  # step NAME command...: runs a load step, recording its wall time
  local name=$1 t0 t1; shift
  echo "[$(date +%H:%M:%S)] $name" >&2
  t0=$(date +%s.%N)
  "$@" >>"$WORK/load.log"
  t1=$(date +%s.%N)
  awk -v n="$name" -v a="$t0" -v b="$t1" 'BEGIN { printf "%s\t%.1f\n", n, b - a }' >>"$LOAD_INFO"
}

trap '[ "$KEEP" = 1 ] || stop_cluster "$BENCH_DIR"' EXIT
echo "[$(date +%H:%M:%S)] cluster in $BENCH_DIR, port $BENCH_PORT; $SCALE users; work files in $WORK" >&2
bench_start_cluster
# Pin the extension build: other work on this machine reinstalls smart_groups.so in place while
# the suite runs, which would give later sessions another build (and can kill a backend that
# has the old file mapped with SIGBUS). The suite loads a private copy taken now.
mkdir -p "$BENCH_DIR/ext"
cp -p "$(bench_pkglibdir)/smart_groups.so" "$BENCH_DIR/ext/smart_groups.so"
EXT_VERSION=$(sed -n 's/^default_version = '"'"'\(.*\)'"'"'$/\1/p' "$("$PG_CONFIG" --sharedir)/extension/smart_groups.control")
cp -p "$("$PG_CONFIG" --sharedir)/extension/smart_groups--$EXT_VERSION.sql" "$BENCH_DIR/ext/"
chown -R postgres:postgres "$BENCH_DIR/ext"
step "schema" bench_psql -f "$HERE/sql/schema.sql"
step "pin the extension build" bench_psql -c "UPDATE pg_proc SET probin = '$BENCH_DIR/ext/smart_groups' WHERE probin = '\$libdir/smart_groups'"
step "generate $SCALE users, custom fields, enrollments, clicks" bench_psql -v scale="$SCALE" -f "$HERE/sql/generate.sql"
step "constraints, indexes, VACUUM ANALYZE" bench_psql -f "$HERE/sql/indexes.sql"
step "attach users, custom fields, relations" bench_psql -f "$HERE/sql/attach.sql"

python3 "$HERE/lib/suite.py" --dir "$BENCH_DIR" --port "$BENCH_PORT" --scale "$SCALE" --reps "$REPS" \
  --duration "$DURATION" --budget "$BUDGET" --out "$OUT" --work "$WORK" --load-info "$LOAD_INFO" \
  ${SUITE_ARGS[@]+"${SUITE_ARGS[@]}"}
if [ "$KEEP" = 1 ]; then
  echo "cluster left running: $PG_BIN/psql -h $BENCH_DIR -p $BENCH_PORT -U postgres bench" >&2
fi
