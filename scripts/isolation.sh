#!/usr/bin/env bash
# pg_isolation_regress over pg_test/isolation/specs against a running cluster where the
# extension is installed: isolation.sh SOCKET_DIR PORT [SPEC...]
# Prints the diffs on failure; exits with pg_isolation_regress's status.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$1 port=$2
shift 2
specs=("$@")
if [ ${#specs[@]} -eq 0 ]; then
  mapfile -t specs < <(ls pg_test/isolation/specs/*.spec | xargs -n1 basename | sed 's/\.spec$//' | sort)
fi
out=$(mktemp -d)
chmod 777 "$out"
status=0
# isolationtester is found next to pg_isolation_regress; psql (to create the database) in bindir.
/usr/lib/postgresql/15/lib/pgxs/src/test/isolation/pg_isolation_regress \
  --bindir=/usr/lib/postgresql/15/bin \
  --host="$dir" --port="$port" --user=postgres \
  --inputdir=pg_test/isolation --outputdir="$out" --dbname=sg_isolation "${specs[@]}" || status=$?
if [ $status -ne 0 ]; then
  [ -f "$out/regression.diffs" ] && cat "$out/regression.diffs"
  mkdir -p pg_test/isolation/results && cp "$out"/results/*.out pg_test/isolation/results/ 2>/dev/null || true
fi
exit $status
