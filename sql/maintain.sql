-- Live maintenance: statement-level triggers on the attached tables hand the changed users to
-- the maintenance engine (src/live), which refreshes only the groups that read what changed,
-- for those users only, in the same transaction.
--
-- Concurrency. Two transactions must never both decide a user's membership from data the
-- other is changing, and no lock of ours may make the app's own statements deadlock.
-- Statements take their locks in this order, and none of ours is taken after a later one
-- in the list:
--   1. the maintenance lock: shared by every maintaining statement and by manual overrides;
--      exclusive for group definition changes (create, set_rules, activate, deactivate,
--      archive, drop, recalculate) and TRUNCATE, so they see no write in flight and no write
--      starts before they commit;
--   2. the changed users' rows (an UPDATE of the users table already holds them; inclusions,
--      exclusions and the time refresh take FOR NO KEY UPDATE, in key order), so two writers
--      about one user run one after the other;
--   3. group rows: FOR SHARE by writers at REPEATABLE READ and SERIALIZABLE (a group
--      deactivated meanwhile becomes a serialization failure) and by rules naming groups in
--      member_of (so those groups cannot be dropped meanwhile); FOR UPDATE by the API
--      function changing that group;
--   4. only then are the users to refresh computed and evaluated, each statement with a fresh
--      snapshot at READ COMMITTED, so the later writer sees what the earlier one committed.
-- Groups whose rules read another user's row (manager.x), custom fields or relations, and the
-- groups naming them, are not maintained by statements at all: a user's membership there
-- depends on rows that other writers than the user's row's change, and ordering those
-- writers while they still take the app's row locks either deadlocks or makes unrelated
-- writers wait. Statements record their users, and the transaction maintains those groups as
-- it commits (src/live/commit.rs, which documents its own locks: taken only there, in one
-- order, per user). Step 2 then concerns only the users table's own writers, which hold the
-- rows already, and manual overrides.
-- SERIALIZABLE transactions get the same locks, and Postgres' SSI turns any remaining
-- read/write overlap into a serialization failure that the client retries.
-- What remains is in docs/design/lock-protocol.md.

CREATE FUNCTION smart_groups_internal._maintenance_lock() RETURNS void
LANGUAGE sql AS $$ SELECT pg_advisory_xact_lock(1936159858, 0) $$;

CREATE FUNCTION smart_groups_internal._writer_lock() RETURNS void
LANGUAGE sql AS $$ SELECT pg_advisory_xact_lock_shared(1936159858, 0) $$;

-- Step 2, row locks on users in key order: smart_groups_internal._lock_users (src/live/maintain.rs).

-- Step 1 for the users and custom-field tables runs in smart_groups_internal._before_statement_rs
-- (src/live), a BEFORE STATEMENT trigger, so that it precedes every row lock.

-- The users table's INSERT, UPDATE and DELETE triggers, those of the custom-field and relation
-- tables, the commit-time step and the refreshes of the API (_refresh_group) are the
-- maintenance engine in src/live.
CREATE FUNCTION smart_groups_internal._on_users_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    g smart_groups.groups;
BEGIN
    PERFORM smart_groups_internal._maintenance_lock();
    FOR g IN SELECT * FROM smart_groups.groups WHERE status = 'active' ORDER BY id LOOP
        PERFORM smart_groups_internal._clear(g);
    END LOOP;
    -- Every group is empty now: the rows go at once, garbage included.
    TRUNCATE smart_groups.member_rows;
    DELETE FROM smart_groups.member_garbage;
    DELETE FROM smart_groups.inclusions;
    DELETE FROM smart_groups.exclusions;
    RETURN NULL;
END $$;

-- TRUNCATE of a custom-field or relation table: a full refresh of the groups that read it.
CREATE FUNCTION smart_groups_internal._on_table_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    g smart_groups.groups;
BEGIN
    PERFORM smart_groups_internal._maintenance_lock();
    FOR g IN SELECT * FROM smart_groups.groups
              WHERE status = 'active' AND kind = 'smart'
                AND CASE WHEN TG_ARGV[0] = 'custom' THEN jsonb_array_length(deps -> 'custom') > 0
                         ELSE (deps -> 'relations') ? TG_ARGV[1] END
              ORDER BY depth, id LOOP
        PERFORM smart_groups_internal._refresh(g.id, 'user_change');
    END LOOP;
    RETURN NULL;
END $$;

-- Trigger names carry what they maintain, so one table can be attached several ways (the
-- users table may also be a relation, say "reports" through manager_id).
CREATE FUNCTION smart_groups_internal._trigger_prefix(kind text, relation text DEFAULT NULL) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT 'smart_groups_' || CASE kind WHEN 'relation' THEN 'rel_' || left(md5(relation), 10) ELSE kind END
$$;

CREATE FUNCTION smart_groups_internal._drop_triggers(rel regclass, kind text, relation text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT tgname FROM pg_trigger
              WHERE tgrelid = rel AND NOT tgisinternal
                AND tgname LIKE smart_groups_internal._trigger_prefix(kind, relation) || '\_%' LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', t.tgname, rel);
    END LOOP;
END $$;

-- (Re)creates the statement triggers on an attached table. `kind`: users, custom, relation.
CREATE FUNCTION smart_groups_internal._install_triggers(rel regclass, kind text, relation text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    p    text := smart_groups_internal._trigger_prefix(kind, relation);
    fn   text := CASE kind WHEN 'custom' THEN 'smart_groups_internal._on_table_change_rs(''custom'')'
                           ELSE format('smart_groups_internal._on_table_change_rs(''relation'', %L)', relation) END;
    t    record;
BEGIN
    PERFORM smart_groups_internal._drop_triggers(rel, kind, relation);
    IF kind IN ('users', 'custom') THEN
        EXECUTE format('CREATE TRIGGER %I BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON %s'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION smart_groups_internal._before_statement_rs(%L)', p || '_before', rel, kind);
    END IF;
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %s REFERENCING NEW TABLE AS sg_new'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION %s', p || '_insert', rel,
                   CASE WHEN kind = 'users' THEN 'smart_groups_internal._on_users_insert_rs()' ELSE fn END);
    EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %s REFERENCING OLD TABLE AS sg_old NEW TABLE AS sg_new'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION %s', p || '_update', rel,
                   CASE WHEN kind = 'users' THEN 'smart_groups_internal._on_users_update_rs()' ELSE fn END);
    EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %s REFERENCING OLD TABLE AS sg_old'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION %s', p || '_delete', rel,
                   CASE WHEN kind = 'users' THEN 'smart_groups_internal._on_users_delete_rs()' ELSE fn END);
    IF kind = 'users' THEN
        EXECUTE format('CREATE TRIGGER %I AFTER TRUNCATE ON %s FOR EACH STATEMENT'
                       ' EXECUTE FUNCTION smart_groups_internal._on_users_truncate()', p || '_truncate', rel);
    ELSE
        EXECUTE format('CREATE TRIGGER %I AFTER TRUNCATE ON %s FOR EACH STATEMENT'
                       ' EXECUTE FUNCTION smart_groups_internal._on_table_truncate(%L, %L)',
                       p || '_truncate', rel, kind, coalesce(relation, ''));
    END IF;
    -- DROP EXTENSION (without CASCADE) then drops them too: triggers cannot be members of an
    -- extension, but they can depend on one.
    FOR t IN SELECT tgname FROM pg_trigger
              WHERE tgrelid = rel AND NOT tgisinternal AND tgname LIKE p || '\_%' LOOP
        EXECUTE format('ALTER TRIGGER %I ON %s DEPENDS ON EXTENSION smart_groups', t.tgname, rel);
    END LOOP;
END $$;

-- The statement triggers of the lookup tables (`_lookup_tables()`): a changed lookup row moves
-- the users whose rows, or whose related rows, point to it (`src/live/table_change.rs`). A
-- table that is no lookup any more loses them.
CREATE FUNCTION smart_groups_internal._install_lookup_triggers() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    p  text := smart_groups_internal._trigger_prefix('lookup');
    fn text := 'smart_groups_internal._on_table_change_rs(''lookup'')';
    r  regclass;
    t  record;
BEGIN
    FOR r IN SELECT DISTINCT g.tgrelid::regclass FROM pg_trigger g
              WHERE NOT g.tgisinternal AND g.tgname LIKE p || '\_%'
                AND g.tgrelid NOT IN (SELECT smart_groups_internal._lookup_tables()) LOOP
        PERFORM smart_groups_internal._drop_triggers(r, 'lookup');
    END LOOP;
    FOR r IN SELECT smart_groups_internal._lookup_tables() LOOP
        CONTINUE WHEN EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = r AND g.tgname = p || '_update');
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %s REFERENCING NEW TABLE AS sg_new'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION %s', p || '_insert', r, fn);
        EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %s REFERENCING OLD TABLE AS sg_old NEW TABLE AS sg_new'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION %s', p || '_update', r, fn);
        EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %s REFERENCING OLD TABLE AS sg_old'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION %s', p || '_delete', r, fn);
        FOR t IN SELECT g.tgname FROM pg_trigger g
                  WHERE g.tgrelid = r AND NOT g.tgisinternal AND g.tgname LIKE p || '\_%' LOOP
            EXECUTE format('ALTER TRIGGER %I ON %s DEPENDS ON EXTENSION smart_groups', t.tgname, r);
        END LOOP;
    END LOOP;
END $$;

-- Relative-time rules: for each active group with within_last / not_within_last, refreshes the
-- users whose values crossed a boundary since the group's previous time refresh
-- (src/live/time_refresh.rs). Returns how many joins and leaves it wrote.
CREATE FUNCTION smart_groups.refresh_time_rules() RETURNS bigint
LANGUAGE sql AS $$ SELECT smart_groups_internal._refresh_time_rules() $$;

CREATE FUNCTION smart_groups_internal._bump_epoch() RETURNS void
LANGUAGE sql AS $$
    UPDATE smart_groups.config
       SET catalog_epoch = nextval('smart_groups_internal.epoch_seq'),
           tables_epoch = nextval('smart_groups_internal.epoch_seq')
$$;

-- Triggers cache the active groups per backend (src/live/state.rs): any change to what a
-- group is or reads moves the epoch. time_refreshed_at is left out on purpose: the worker
-- moves it every minute and it changes nothing the triggers use. tables_epoch stays: the
-- attached tables did not change (src/catalog_load.rs).
CREATE FUNCTION smart_groups_internal._on_groups_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE smart_groups.config SET catalog_epoch = nextval('smart_groups_internal.epoch_seq');
    RETURN NULL;
END $$;

CREATE TRIGGER groups_epoch AFTER INSERT OR DELETE OR UPDATE OF name, kind, status, rules, deps, depth
    ON smart_groups.groups FOR EACH STATEMENT EXECUTE FUNCTION smart_groups_internal._on_groups_change();

-- One NOTIFY smart_groups per transaction that changed membership, sent at commit, with the
-- number of users who joined and left each group, and the kept counts (member_counts): both
-- in Rust (src/live/pending.rs), called by every maintaining statement through
-- smart_groups_internal._note_changes(gids, joined, left).
CREATE FUNCTION smart_groups_internal._note_change(gid bigint, joined bigint, "left" bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM smart_groups_internal._note_changes(ARRAY[gid], ARRAY[joined], ARRAY["left"]);
END $$;

-- DDL on attached tables and types may change what rules can name (a new column, a new enum
-- label): compiled rules and catalogs cached by backends are then not reused.
-- CREATE TRIGGER is how a restore ends (pg_restore and psql create the app's triggers after
-- loading the data): that is when the keys restored as text get their type back.
CREATE FUNCTION smart_groups_internal._on_ddl_end() RETURNS event_trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM smart_groups.config) THEN
        IF TG_TAG = 'CREATE TRIGGER' THEN
            PERFORM smart_groups_internal._repair_after_restore();
        ELSIF TG_TAG = 'ALTER TABLE' AND EXISTS (
                SELECT 1 FROM pg_event_trigger_ddl_commands() c
                 WHERE c.objid IN (SELECT rel FROM smart_groups.attached_columns)) THEN
            PERFORM smart_groups_internal._follow_schema_changes();
        ELSIF TG_TAG IN ('ALTER TYPE', 'ALTER DOMAIN', 'DROP TYPE') THEN
            -- A renamed enum label or a changed domain may leave rules naming what is gone.
            PERFORM smart_groups_internal._bump_epoch();
            PERFORM smart_groups_internal._convert_broken_groups('a type its rules read was changed');
        ELSE
            PERFORM smart_groups_internal._bump_epoch();
        END IF;
    END IF;
END $$;

CREATE EVENT TRIGGER smart_groups_ddl_end ON ddl_command_end
    WHEN TAG IN ('ALTER TABLE', 'ALTER TYPE', 'ALTER DOMAIN', 'CREATE TYPE', 'DROP TYPE', 'CREATE TRIGGER')
    EXECUTE FUNCTION smart_groups_internal._on_ddl_end();

-- A group's exact number of members, as this transaction sees them: every maintaining
-- statement appends its counts at once.
CREATE FUNCTION smart_groups_internal._member_count(gid bigint) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT coalesce(sum(delta), 0)::bigint FROM smart_groups.member_counts WHERE group_id = gid
$$;

-- Folds each group's count rows into one, so reading a count stays an index probe of a row or
-- two. Run by refresh_time_rules() (every tick of the worker). Rows appended meanwhile by
-- other transactions are not in this statement's snapshot and stay for the next run; under
-- REPEATABLE READ or SERIALIZABLE deleting rows another compaction deleted would be an error,
-- so only READ COMMITTED compacts, and one compaction at a time.
CREATE FUNCTION smart_groups_internal._compact_member_counts() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed'
       OR NOT pg_try_advisory_xact_lock(1936159858, 2) THEN
        RETURN;
    END IF;
    WITH d AS (DELETE FROM smart_groups.member_counts RETURNING group_id, delta)
    INSERT INTO smart_groups.member_counts (group_id, delta)
    SELECT d.group_id, sum(d.delta) FROM d
     WHERE EXISTS (SELECT 1 FROM smart_groups.groups g WHERE g.id = d.group_id)
     GROUP BY d.group_id HAVING sum(d.delta) <> 0;
END $$;
