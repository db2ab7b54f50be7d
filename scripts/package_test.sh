#!/usr/bin/env bash
# The package installs and works without the build tree: builds the .deb (scripts/package.sh),
# removes every installed copy of the extension from the system PostgreSQL, installs the
# package with apt-get, runs the pg_regress suite and the upgrade test (scripts/upgrade_test.sh)
# on a new cluster against it, removes the package (no file of the extension may remain), and
# reinstalls the build for later tiers.
# Usage: bash scripts/package_test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
dir=/tmp/sg_package
port=54335
deb=$(bash scripts/package.sh)
pkg=$(dpkg-deb -f "$deb" Package)
sharedir=$("$PG_CONFIG" --sharedir)/extension
libdir=$("$PG_CONFIG" --pkglibdir)
installed() { ls "$sharedir"/smart_groups* "$libdir"/smart_groups.so 2>/dev/null || true; }
trap 'stop_cluster "$dir"' EXIT

rm -f "$sharedir"/smart_groups* "$libdir"/smart_groups.so
[ -z "$(installed)" ] || { echo "package: could not remove the installed build"; exit 1; }
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "./$deb" >/dev/null
dpkg -s "$pkg" | grep -q '^Status: install ok installed' || { echo "package: $pkg not installed"; exit 1; }
# Every file PostgreSQL loads came from the package.
for f in $(installed); do
  dpkg -S "$f" >/dev/null 2>&1 || { echo "package: $f is not the package's"; exit 1; }
done
# It carries every upgrade script of the build tree, so ALTER EXTENSION UPDATE works from it.
for f in sql/smart_groups--*--*.sql; do
  [ -e "$f" ] || continue
  dpkg -S "$sharedir/$(basename "$f")" >/dev/null 2>&1 || { echo "package: no $(basename "$f")"; exit 1; }
done
echo "package: $(basename "$deb") installed ($(dpkg -L "$pkg" | grep -c 'smart_groups') files)"

start_cluster "$dir" "$port"
bash scripts/regress.sh "$dir" "$port"
# Upgrading in place from the packaged files: the kept releases' install scripts are copied in
# for the test (a database of an earlier release has its objects already), then removed.
bash scripts/upgrade_test.sh "$dir" "$port"
for f in sql/releases/smart_groups--*.sql; do rm -f "$sharedir/$(basename "$f")"; done
stop_cluster "$dir"

DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq "$pkg" >/dev/null
[ -z "$(installed)" ] || { echo "package: files left after apt-get remove: $(installed)"; exit 1; }
echo "package: removed cleanly"
install_extension
