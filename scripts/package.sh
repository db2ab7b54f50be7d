#!/usr/bin/env bash
# Builds a Debian package of the extension for PostgreSQL 15 on Debian 12 from `cargo pgrx
# package`: target/package/smart_groups_VERSION-1_ARCH.deb (package name
# postgresql-15-smart-groups). Installing it needs no Rust toolchain:
#   apt-get install ./smart_groups_VERSION-1_amd64.deb
# Usage: bash scripts/package.sh   (prints the path of the .deb)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
arch=$(dpkg --print-architecture)
pg_major=$("$PG_CONFIG" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
out=target/package
root=$out/root
rm -rf "$out"
mkdir -p "$out"
cargo pgrx package --pg-config "$PG_CONFIG" --out-dir "$root" >/dev/null 2>&1
# Only what PostgreSQL loads: the library, the control file and the version scripts.
unexpected=$(find "$root" -type f \
  | grep -vE '/(lib/postgresql/[0-9]+/lib/smart_groups\.so|share/postgresql/[0-9]+/extension/smart_groups[^/]*)$' || true)
[ -z "$unexpected" ] || { echo "unexpected files in the package: $unexpected" >&2; exit 1; }
mkdir -p "$root/DEBIAN" "$root/usr/share/doc/postgresql-$pg_major-smart-groups"
cp README.md "$root/usr/share/doc/postgresql-$pg_major-smart-groups/README.md"
size=$(du -sk "$root/usr" | cut -f1)
cat >"$root/DEBIAN/control" <<CONTROL
Package: postgresql-$pg_major-smart-groups
Version: $version-1
Architecture: $arch
Maintainer: smart_groups developers <smart-groups@localhost>
Depends: postgresql-$pg_major, libc6, libgcc-s1
Section: database
Priority: optional
Installed-Size: $size
Description: smart groups for PostgreSQL $pg_major
 Rule-defined user groups over an application's own tables, kept exact by
 triggers in the same transaction as each change. CREATE EXTENSION smart_groups;
 add smart_groups to shared_preload_libraries for the background worker that
 applies relative-time rules.
CONTROL
deb=$out/smart_groups_${version}-1_${arch}.deb
dpkg-deb --build --root-owner-group "$root" "$deb" >/dev/null
echo "$deb"
