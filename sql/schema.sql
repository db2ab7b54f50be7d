-- smart_groups schema: what the app attached, the groups, and their membership.
-- Keys of users are stored in the users key's own type: attach_users() retypes the
-- user_key columns below (they start as text because the key type is not known yet).

-- The schemas are the extension's own (created here, not named in the control file), so that
-- DROP EXTENSION removes them. smart_groups holds the API and the tables and views users read;
-- smart_groups_internal the functions behind them (triggers, maintenance, helpers), which no
-- role but the extension's owner calls.
CREATE SCHEMA smart_groups;
COMMENT ON SCHEMA smart_groups IS 'smart_groups: rule-defined user groups kept exact in the same transaction (README.md)';
CREATE SCHEMA smart_groups_internal;
COMMENT ON SCHEMA smart_groups_internal IS 'smart_groups internals: triggers and maintenance; not an interface';
SET LOCAL search_path = smart_groups, pg_catalog;

-- The epochs backends key their caches by (config.catalog_epoch, config.tables_epoch) come
-- from a sequence: a value once taken is never taken again, not even by a transaction after
-- one that took it and rolled back, so a backend never holds what a rolled-back transaction
-- showed it under an epoch a later commit also has. It starts from the clock in microseconds,
-- so that the extension created again never repeats what a backend still holds.
CREATE SEQUENCE smart_groups_internal.epoch_seq;
SELECT pg_catalog.setval('smart_groups_internal.epoch_seq',
                         (extract(epoch FROM clock_timestamp()) * 1000000)::bigint);

-- The attached users table (one row at most) and, optionally, its custom-field (EAV) table.
CREATE TABLE smart_groups.config (
    singleton           boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    users_table         regclass NOT NULL,
    key_column          name NOT NULL,
    key_type            text NOT NULL CHECK (key_type IN ('integer', 'bigint', 'uuid', 'text')),
    custom_table        regclass,
    custom_user_column  name,
    custom_key_column   name,
    custom_value_column name,
    -- Moved whenever what rules can name changes (tables, fields, groups), so cached
    -- compiled rules and group lists are not reused. Each value from epoch_seq, never twice.
    catalog_epoch       bigint NOT NULL DEFAULT nextval('smart_groups_internal.epoch_seq'),
    attached_at         timestamptz NOT NULL DEFAULT now(),
    -- The users table's tenant column, if the app keeps tenants in one users table
    -- (docs/reference/tenants.md).
    tenant_column       name,
    -- Whether the tenant policies are enabled (set_tenant_security): kept here because a
    -- restore recreates the tables with row-level security off (_repair_after_restore).
    tenant_security     boolean NOT NULL DEFAULT false,
    -- Moved with catalog_epoch by everything but a change of groups: the attached tables,
    -- their columns, fields and relations. A backend's catalog keeps its part read from the
    -- system catalogs while this stays (src/catalog_load.rs). From epoch_seq, as catalog_epoch.
    tables_epoch        bigint NOT NULL DEFAULT nextval('smart_groups_internal.epoch_seq')
);

-- tenant NULL: a field of every tenant (or of the one users table without tenants); a key is
-- either every tenant's or some tenants' own (define_custom_field).
CREATE TABLE smart_groups.custom_fields (
    key        text NOT NULL,
    type       text NOT NULL CHECK (type IN ('text', 'number', 'date', 'timestamp', 'boolean', 'enum')),
    allowed    text[] CHECK ((type = 'enum') = (allowed IS NOT NULL)),
    created_at timestamptz NOT NULL DEFAULT now(),
    tenant     text,
    CONSTRAINT custom_fields_key_tenant_key UNIQUE NULLS NOT DISTINCT (key, tenant)
);

CREATE TABLE smart_groups.relations (
    name        text PRIMARY KEY,
    table_name  regclass NOT NULL,
    user_column name NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE smart_groups.groups (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('smart', 'static')),
    status     text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive', 'archived')),
    rules      jsonb,
    rules_text text,
    -- What the rules read (see smart_groups_internal._deps), so triggers refresh only affected groups.
    deps       jsonb NOT NULL DEFAULT '{}',
    -- 0 for a group naming no other group, else 1 + the depth of the groups it names:
    -- refreshing in depth order lets each group see the final membership of those it names.
    depth      integer NOT NULL DEFAULT 0,
    -- The instant relative-time rules were last applied (refresh_time_rules).
    time_refreshed_at timestamptz NOT NULL DEFAULT now(),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- The tenant the group belongs to (a value of the users table's tenant column, as text);
    -- NULL without a tenant column. Names are unique within a tenant, archived groups included.
    tenant     text,
    -- A static group keeps the rules it had when it was converted from a smart group.
    CHECK (kind = 'static' OR rules IS NOT NULL),
    CONSTRAINT groups_name_key UNIQUE NULLS NOT DISTINCT (name, tenant)
);

-- The columns of the attached tables (users, custom fields, relations) as the rules last saw
-- them: at the end of each ALTER TABLE on an attached table, a column whose name or type
-- differs from here was renamed or retyped (_follow_schema_changes). Not dumped: a restore
-- makes it again (_repair_after_restore).
CREATE TABLE smart_groups.attached_columns (
    rel     regclass NOT NULL,
    attnum  smallint NOT NULL,
    name    name NOT NULL,
    type_id oid NOT NULL,
    PRIMARY KEY (rel, attnum)
);

-- Membership of every group in one table (docs/design/membership-storage.md): no DDL per
-- group, so privileges, backups and plans do not depend on how many groups exist. Rows of a
-- group that is not active are left for the background cleanup (member_garbage): readers see
-- membership through the `members` view, which shows active groups only, so deactivating,
-- archiving or dropping a group is instant whatever its size. An active group never has
-- rows left from an earlier life: activation removes them before it fills the group.
-- No foreign key to groups: a per-row FK check would double the cost of bulk maintenance.
CREATE TABLE smart_groups.member_rows (
    group_id bigint NOT NULL,
    user_key text NOT NULL,
    since    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (group_id, user_key)
);
-- "Which groups is U in" and the triggers' per-user probes.
CREATE INDEX member_rows_user_idx ON smart_groups.member_rows (user_key, group_id);

-- Groups whose rows in member_rows are no longer membership (deactivated, archived, dropped),
-- removed in batches by refresh_time_rules() (every tick of the worker).
CREATE TABLE smart_groups.member_garbage (
    group_id bigint PRIMARY KEY
);
CREATE INDEX groups_deps_idx ON smart_groups.groups USING gin (deps jsonb_path_ops);

-- Exact member counts without counting: a group's count is the sum of its rows here. Each
-- statement that changes membership appends one row per group it changed
-- (src/live/pending.rs); nobody updates a row in place, so concurrent writers never wait on a
-- shared counter. _compact_member_counts() folds the rows into one per group.
CREATE TABLE smart_groups.member_counts (
    group_id bigint NOT NULL,
    delta    bigint NOT NULL
);
CREATE INDEX member_counts_group_idx ON smart_groups.member_counts (group_id);

-- A mark per user lock (the hash of a users key, src/live/commit.rs, `mark_users`): each
-- commit-time step bumps the marks of the users it evaluates, so that a step under snapshot
-- isolation that would decide a user from data older than another step's commit fails with
-- a serialization failure. Not dumped: a restored database starts without marks.
CREATE TABLE smart_groups_internal.step_marks (
    h integer PRIMARY KEY,
    n bigint NOT NULL DEFAULT 1
) WITH (fillfactor = 50);

-- Manual overrides of smart groups; for a static group, its added members are inclusions.
CREATE TABLE smart_groups.inclusions (
    group_id   bigint NOT NULL REFERENCES smart_groups.groups (id) ON DELETE CASCADE,
    user_key   text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (group_id, user_key)
);
CREATE INDEX inclusions_user_key_idx ON smart_groups.inclusions (user_key);

CREATE TABLE smart_groups.exclusions (
    group_id   bigint NOT NULL REFERENCES smart_groups.groups (id) ON DELETE CASCADE,
    user_key   text NOT NULL,
    reason     text NOT NULL CHECK (reason IN ('does_not_represent_criteria', 'already_addressed',
                                               'data_quality', 'other')),
    note       text,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by name NOT NULL DEFAULT current_user,
    PRIMARY KEY (group_id, user_key),
    CHECK (reason <> 'other' OR nullif(btrim(note), '') IS NOT NULL)
);
CREATE INDEX exclusions_user_key_idx ON smart_groups.exclusions (user_key);

-- Every join and leave, one row per group, direction and cause of each maintaining statement,
-- with the users as an array: a statement that moves a million memberships writes a row per
-- group instead of a million rows and their index entries (the per-row log was a fifth of
-- the cost of a bulk UPDATE). user_keys NULL means every member left at once (the group was
-- deactivated, archived or dropped): listing them would make those operations cost as much
-- as the group is large. Stored uncompressed: compressing key arrays cost more than it saved.
-- Readers use the membership_log view, one row per user.
CREATE TABLE smart_groups.membership_changes (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    group_id  bigint NOT NULL,
    user_keys text[] CHECK (cardinality(user_keys) > 0),
    change    text NOT NULL CHECK (change IN ('join', 'leave')),
    cause     text NOT NULL CHECK (cause IN ('user_change', 'rules_change', 'time', 'exclusion',
                                             'inclusion', 'group_change', 'recalculate')),
    at        timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE smart_groups.membership_changes ALTER COLUMN user_keys SET STORAGE EXTERNAL;
CREATE INDEX membership_changes_group_at_idx ON smart_groups.membership_changes (group_id, at);
-- A user's rows, for history() and groups_of(). Without the pending list (fastupdate): a
-- maintained write then pays one entry insert, as for a btree, never the flush of a full
-- pending list in the app's statement (docs/design/membership-history.md).
CREATE INDEX membership_changes_user_keys_idx ON smart_groups.membership_changes
    USING gin (user_keys) WITH (fastupdate = off);

-- The rows of membership_changes whose user_keys is NULL (every member left at once), by
-- group: history() and groups_of() find a user's rows through the user index, and each of
-- those groups' resets here, without reading the group's whole history. Written with the
-- log row, by _log_reset() only.
CREATE TABLE smart_groups.membership_resets (
    group_id  bigint NOT NULL,
    change_id bigint NOT NULL,
    at        timestamptz NOT NULL,
    PRIMARY KEY (group_id, change_id)
);

-- The views depend on the type of user_key, which attach_users() changes: they are dropped and
-- made again around that change, so their definitions live in one function.
CREATE FUNCTION smart_groups_internal._create_views(in_extension_script boolean) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    -- security_invoker: with the tenant policies enabled (set_tenant_security), a role reads
    -- through these views only what the policies let it read of the tables beneath.
    -- members: a group that is not active keeps rows only while it is marked in
    -- member_garbage (verify() reports any other), so the view leaves out the marked groups
    -- instead of asking groups for every row: "which groups is U in" reads the user's index
    -- entries and a table empty but for a cleanup in progress, at any number of groups
    -- (docs/design/membership-storage.md). Whether there are marks at all is read once per
    -- query, and each row's group looked up only if there are: as a plain anti-join with the
    -- mostly empty table the planner estimated a group's rows to be one, and queries joining
    -- members to more ran nested loops (verify() took minutes); an array of the marks
    -- compared with each row costs a comparison per mark and row while many await the
    -- cleanup.
    CREATE VIEW smart_groups.members WITH (security_invoker = true) AS
    SELECT m.group_id, m.user_key, m.since,
           (SELECT g.tenant FROM smart_groups.groups g WHERE g.id = m.group_id) AS tenant
      FROM smart_groups.member_rows m
     WHERE (SELECT NOT EXISTS (SELECT 1 FROM smart_groups.member_garbage))
        OR NOT EXISTS (SELECT 1 FROM smart_groups.member_garbage x WHERE x.group_id = m.group_id);
    CREATE VIEW smart_groups.memberships WITH (security_invoker = true) AS
    SELECT m.group_id, g.name AS group_name, m.user_key, m.since, g.tenant
      FROM smart_groups.member_rows m
      JOIN smart_groups.groups g ON g.id = m.group_id AND g.status = 'active';
    -- id is the change row's: the users of one statement's change to one group share it. The
    -- tenant is the group's (NULL once the group is dropped).
    CREATE VIEW smart_groups.membership_log WITH (security_invoker = true) AS
    SELECT c.id, c.group_id, k.user_key, c.change, c.cause, c.at,
           (SELECT g.tenant FROM smart_groups.groups g WHERE g.id = c.group_id) AS tenant
      FROM smart_groups.membership_changes c
      LEFT JOIN LATERAL unnest(c.user_keys) AS k(user_key) ON true;
    -- The manual overrides with the group's name, for reporting: exclusions, and inclusions
    -- into smart groups (a static group's added members are its membership, in memberships).
    CREATE VIEW smart_groups.excluded WITH (security_invoker = true) AS
    SELECT e.group_id, g.name AS group_name, e.user_key, e.reason, e.note, e.created_at, e.created_by, g.tenant
      FROM smart_groups.exclusions e JOIN smart_groups.groups g ON g.id = e.group_id;
    CREATE VIEW smart_groups.included WITH (security_invoker = true) AS
    SELECT i.group_id, g.name AS group_name, i.user_key, i.created_at, g.tenant
      FROM smart_groups.inclusions i JOIN smart_groups.groups g ON g.id = i.group_id AND g.kind = 'smart';
    IF NOT in_extension_script THEN
        ALTER EXTENSION smart_groups ADD VIEW smart_groups.members;
        ALTER EXTENSION smart_groups ADD VIEW smart_groups.memberships;
        ALTER EXTENSION smart_groups ADD VIEW smart_groups.membership_log;
        ALTER EXTENSION smart_groups ADD VIEW smart_groups.excluded;
        ALTER EXTENSION smart_groups ADD VIEW smart_groups.included;
        GRANT SELECT ON smart_groups.members, smart_groups.memberships, smart_groups.membership_log,
                        smart_groups.excluded, smart_groups.included
           TO smart_groups_reader;
        GRANT SELECT ON smart_groups.member_rows TO smart_groups_reader;
        -- Their comments come with the key-typed functions made next (_keys_as).
    END IF;
END $$;
SELECT smart_groups_internal._create_views(true);

-- pg_dump keeps what the app configured, the groups it defined, their membership (rows of
-- active groups only: the rest is garbage) and history, and the identity sequences, so that
-- groups created after a restore do not reuse ids.
SELECT pg_catalog.pg_extension_config_dump('smart_groups.config', '');
SELECT pg_catalog.pg_extension_config_dump('smart_groups.custom_fields', '');
SELECT pg_catalog.pg_extension_config_dump('smart_groups.relations', '');
SELECT pg_catalog.pg_extension_config_dump('smart_groups.groups', '');
SELECT pg_catalog.pg_extension_config_dump('smart_groups.inclusions', '');
SELECT pg_catalog.pg_extension_config_dump('smart_groups.exclusions', '');
SELECT pg_catalog.pg_extension_config_dump('smart_groups.membership_changes', '');
SELECT pg_catalog.pg_extension_config_dump('smart_groups.membership_resets', '');
SELECT pg_catalog.pg_extension_config_dump('smart_groups.member_counts', '');
SELECT pg_catalog.pg_extension_config_dump('smart_groups.member_rows',
    'WHERE group_id IN (SELECT id FROM smart_groups.groups WHERE status = ''active'')');
SELECT pg_catalog.pg_extension_config_dump('smart_groups.groups_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('smart_groups.membership_changes_id_seq', '');

-- The lookup tables of the users table and of every relation.
CREATE FUNCTION smart_groups_internal._lookup_tables() RETURNS SETOF regclass
LANGUAGE sql STABLE AS $$
    SELECT DISTINCT k.confrelid::regclass
      FROM pg_constraint k
     WHERE k.contype = 'f' AND cardinality(k.conkey) = 1
       AND k.conrelid IN (SELECT users_table FROM smart_groups.config
                          UNION SELECT table_name FROM smart_groups.relations)
       AND k.confrelid <> (SELECT users_table FROM smart_groups.config)
$$;

