#!/usr/bin/env bash
# Installs every prerequisite on a fresh Debian 12 machine (run as root). Idempotent: each
# step checks whether its work is already done, so repeated runs cost seconds.
set -euo pipefail

PG_MAJOR=15
PGRX_VERSION=0.18.0
PG_CONFIG=/usr/lib/postgresql/${PG_MAJOR}/bin/pg_config

need_apt=0
for pkg in postgresql-${PG_MAJOR} postgresql-server-dev-${PG_MAJOR} libclang-dev clang sudo \
           postgresql-${PG_MAJOR}-pgtap build-essential pkg-config libssl-dev; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt=1
done
if [ "$need_apt" = 1 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql-${PG_MAJOR} postgresql-server-dev-${PG_MAJOR} libclang-dev \
    clang sudo postgresql-${PG_MAJOR}-pgtap build-essential pkg-config libssl-dev >/dev/null
fi

# The Debian package starts a cluster on 5432 we do not use; stopping it keeps ports and
# memory free for the throwaway clusters the tests create.
if command -v pg_ctlcluster >/dev/null 2>&1; then
  pg_ctlcluster ${PG_MAJOR} main stop >/dev/null 2>&1 || true
fi

export PATH="$HOME/.cargo/bin:$PATH"
# The test command checks formatting and lints.
if ! cargo clippy --version >/dev/null 2>&1 || ! cargo fmt --version >/dev/null 2>&1; then
  rustup component add clippy rustfmt
fi
if ! cargo pgrx --version 2>/dev/null | grep -q "${PGRX_VERSION}"; then
  cargo install cargo-pgrx --version "${PGRX_VERSION}" --locked
fi

# pgrx keeps its config in $PGRX_HOME (default ~/.pgrx); init only points it at the system PG.
if ! grep -q "pg${PG_MAJOR}" "${PGRX_HOME:-$HOME/.pgrx}/config.toml" 2>/dev/null; then
  cargo pgrx init --pg${PG_MAJOR} "${PG_CONFIG}"
fi

# The extension is installed into the system PG's directories, which the build user must write.
chmod -R a+w "$(${PG_CONFIG} --sharedir)/extension" "$(${PG_CONFIG} --pkglibdir)" 2>/dev/null || true
