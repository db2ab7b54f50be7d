#!/usr/bin/env bash
# Storage layouts for group membership, measured side by side on the same data:
#
#   A  a.members PARTITION BY LIST (group_id), one partition per group, PK (user_key, group_id)
#      (the current design, built the way smart_groups_internal._create_partition builds a group)
#   B  one table b.members, PK (group_id, user_key) + index (user_key, group_id), b.groups with
#      a status; readers go through b.active_members (JOIN groups ON status = 'active')
#   C  one row per user, c.user_groups(user_key, group_ids bigint[], since timestamptz[]),
#      GIN (group_ids)
#
#   bash bench/storage/run.sh                              # 200,000 users, 1,000 groups
#   bash bench/storage/run.sh --users 5000 --groups 50 --no-save   # quick check
#
# Run as root. Makes a throwaway PostgreSQL 15 cluster in /tmp/sg_storage, port 54340 (with
# scripts/lib.sh's start_cluster), stops it at the end, prints a markdown report on stdout and
# (unless --no-save) writes it to bench/results/<YYYYMMDD-HHMM>_storage_layouts.md.
# Progress goes to stderr. See bench/storage/bench.py for what is measured and how.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)

NUSERS=200000
NGROUPS=1000
SAVE=1
KEEP=0
SAMPLES=500
while [ $# -gt 0 ]; do
  case $1 in
    --users) NUSERS=$2; shift 2 ;;
    --groups) NGROUPS=$2; shift 2 ;;
    --samples) SAMPLES=$2; shift 2 ;;
    --no-save) SAVE=0; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,18p' "$0"; echo "Options: --users N (200000) --groups N (1000) --samples N (500) --no-save --keep"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done

# shellcheck source=../../scripts/lib.sh
source "$REPO/scripts/lib.sh"
DIR=/tmp/sg_storage
PORT=54340
export SG_EXTRA_CONF="# storage layout benchmark
shared_buffers = '2GB'
max_wal_size = '4GB'
work_mem = '64MB'
maintenance_work_mem = '512MB'"

cleanup() { [ "$KEEP" = 1 ] || stop_cluster "$DIR"; }
trap cleanup EXIT

echo "[$(date -u +%H:%M:%S)] starting cluster in $DIR on port $PORT" >&2
start_cluster "$DIR" "$PORT"
"$PG_BIN/createdb" -h "$DIR" -p "$PORT" -U postgres storage

STAMP=$(date -u +%Y%m%d-%H%M)
OUT=$(mktemp)
python3 "$HERE/bench.py" --host "$DIR" --port "$PORT" --db storage \
  --users "$NUSERS" --groups "$NGROUPS" --samples "$SAMPLES" >"$OUT"
cat "$OUT"
if [ "$SAVE" = 1 ]; then
  mkdir -p "$REPO/bench/results"
  cat "$OUT" >"$REPO/bench/results/${STAMP}_storage_layouts.md"
  echo "[$(date -u +%H:%M:%S)] report written to bench/results/${STAMP}_storage_layouts.md" >&2
fi
rm -f "$OUT"
