# Cluster helpers for the benchmark: a throwaway PostgreSQL 15 made by the project's
# start_cluster (scripts/lib.sh), tuned for a data set that fits in memory.
# Expects BENCH_DIR, BENCH_PORT and SCALE to be set.
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../../scripts/lib.sh
source "$REPO_ROOT/scripts/lib.sh"

bench_psql() {
  "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$BENCH_DIR" -p "$BENCH_PORT" -U postgres -d bench "$@"
}

# Shared buffers big enough to hold the users tables and the membership at the chosen scale,
# without taking the whole of a shared machine.
bench_shared_buffers() {
  if [ "$SCALE" -ge 2000000 ]; then echo 4GB
  elif [ "$SCALE" -ge 200000 ]; then echo 2GB
  else echo 256MB; fi
}

# Room for WAL between checkpoints: above a million users the data set and the membership
# take most of the disk (about 60 GB at 10M with 100 groups), and 16 GB of WAL would not
# fit beside them.
bench_max_wal_size() {
  if [ "$SCALE" -gt 1000000 ]; then echo 2GB; else echo 16GB; fi
}

bench_start_cluster() {
  SG_PRELOAD='' start_cluster "$BENCH_DIR" "$BENCH_PORT"
  cat >>"$BENCH_DIR/data/postgresql.conf" <<CONF
# smart_groups benchmark settings
shared_buffers = $(bench_shared_buffers)
work_mem = 32MB
maintenance_work_mem = 1GB
max_wal_size = $(bench_max_wal_size)
checkpoint_timeout = 30min
wal_level = minimal
max_wal_senders = 0
track_io_timing = on
max_connections = 50
log_line_prefix = '%m [%p] '
log_min_duration_statement = -1
CONF
  as_pg "$PG_BIN/pg_ctl" -D "$BENCH_DIR/data" -l "$BENCH_DIR/log" -w restart >/dev/null
  as_pg "$PG_BIN/createdb" -h "$BENCH_DIR" -p "$BENCH_PORT" bench
}

bench_pkglibdir() { "$PG_CONFIG" --pkglibdir; }
