#!/usr/bin/env bash
# pg_regress over pg_test/sql against a running cluster: regress.sh SOCKET_DIR PORT [TEST...]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$1 port=$2
shift 2
tests=("$@")
if [ ${#tests[@]} -eq 0 ]; then
  # The worker test needs a cluster with the library preloaded: test.sh runs it on its own.
  mapfile -t tests < <(ls pg_test/sql/*.sql | xargs -n1 basename | sed 's/\.sql$//' | grep -v '_worker$' | sort)
fi
out=$(mktemp -d)
chmod 777 "$out"
status=0
/usr/lib/postgresql/15/lib/pgxs/src/test/regress/pg_regress \
  --host="$dir" --port="$port" --user=postgres \
  --inputdir=pg_test --outputdir="$out" --dbname=sg_regress "${tests[@]}" || status=$?
if [ $status -ne 0 ] && [ -f "$out/regression.diffs" ]; then
  cat "$out/regression.diffs"
  mkdir -p pg_test/results && cp "$out"/results/*.out pg_test/results/ 2>/dev/null || true
fi
exit $status
