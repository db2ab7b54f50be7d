#!/usr/bin/env bash
# Differential test against a running server: random rulesets and random batches of changes,
# after each batch smart_groups.members must equal the core evaluator's answer.
# Usage: bash scripts/differential.sh HOST_DIR PORT [extra smart_groups_difftest arguments]
#   HOST_DIR  unix-socket directory of the server (e.g. /tmp/sg_diff), PORT its port.
# The server must have smart_groups (and citext) installed; the test drops and recreates
# the database sg_diff (or --dbname) and connects as postgres (or --user).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 2 ]; then
  echo "usage: $0 HOST_DIR PORT [--seed S] [--rulesets N] [--batches N] [...]" >&2
  exit 2
fi
host=$1 port=$2
shift 2
export PATH="$HOME/.cargo/bin:$PATH"
exec cargo run --profile difftest -q -p smart_groups_difftest -- --host "$host" --port "$port" "$@"
