-- smart_groups 0.1.0 → 0.2.0 (ALTER EXTENSION smart_groups UPDATE).
--
-- Every change to the extension's SQL after 0.1.0 is written here as well as in the files
-- the fresh install is built from (sql/*.sql, the #[pg_extern] functions), so that an
-- upgraded database ends up with exactly the objects of a fresh 0.2.0 install, keeping its
-- groups, memberships and history. scripts/upgrade_test.sh checks both (docs/releasing.md).
\echo Use "ALTER EXTENSION smart_groups UPDATE" to load this file. \quit
