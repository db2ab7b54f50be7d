# Shared shell helpers: a throwaway PostgreSQL 15 cluster run as the `postgres` user (Postgres
# refuses to run as root), and installing the extension into the system PG.
PG_BIN=/usr/lib/postgresql/15/bin
PG_CONFIG=$PG_BIN/pg_config
export PATH="$HOME/.cargo/bin:$PATH"

as_pg() { sudo -u postgres -H "$@"; }

# install_extension [release]: builds and installs smart_groups into the system PG.
install_extension() {
  local profile=()
  [ "${1:-}" = release ] && profile=(--release)
  cargo pgrx install --pg-config "$PG_CONFIG" "${profile[@]}" >/dev/null
}

# start_cluster DIR PORT: a fresh cluster in DIR listening on PORT (unix socket in DIR).
start_cluster() {
  local dir=$1 port=$2
  stop_cluster "$dir"
  rm -rf "$dir"
  mkdir -p "$dir"
  chown postgres:postgres "$dir"
  as_pg "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  cat >>"$dir/data/postgresql.conf" <<CONF
port = $port
listen_addresses = ''
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
shared_preload_libraries = '${SG_PRELOAD:-}'
max_prepared_transactions = 10
${SG_EXTRA_CONF:-}
CONF
  as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w start >/dev/null
}

stop_cluster() {
  local dir=$1
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
}
