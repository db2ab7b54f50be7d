-- smart_groups 0.1.0 → 0.2.0 (ALTER EXTENSION smart_groups UPDATE).
--
-- Every change to the extension's SQL after 0.1.0 is written here as well as in the files
-- the fresh install is built from (sql/*.sql, the #[pg_extern] functions), so that an
-- upgraded database ends up with exactly the objects of a fresh 0.2.0 install, keeping its
-- groups, memberships and history. scripts/upgrade_test.sh checks both (docs/releasing.md).
\echo Use "ALTER EXTENSION smart_groups UPDATE" to load this file. \quit

-- Other formats (docs/reference/formats.md): react-querybuilder and JsonLogic, both ways.
CREATE FUNCTION smart_groups."from_querybuilder"("query" jsonb) RETURNS jsonb
STRICT STABLE PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'from_querybuilder_wrapper';
CREATE FUNCTION smart_groups."from_jsonlogic"("logic" jsonb) RETURNS jsonb
STRICT STABLE PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'from_jsonlogic_wrapper';
CREATE FUNCTION smart_groups."to_querybuilder"("rules" jsonb) RETURNS jsonb
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'to_querybuilder_jsonb_wrapper';
CREATE FUNCTION smart_groups."to_querybuilder"("rules" text) RETURNS jsonb
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'to_querybuilder_text_wrapper';
CREATE FUNCTION smart_groups."to_jsonlogic"("rules" jsonb) RETURNS jsonb
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'to_jsonlogic_jsonb_wrapper';
CREATE FUNCTION smart_groups."to_jsonlogic"("rules" text) RETURNS jsonb
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'to_jsonlogic_text_wrapper';

-- Membership over time (README "Membership over time"): the log's user index, the resets by
-- group (filled from the log kept so far), and the functions reading them.
CREATE INDEX membership_changes_user_keys_idx ON smart_groups.membership_changes
    USING gin (user_keys) WITH (fastupdate = off);
CREATE TABLE smart_groups.membership_resets (
    group_id  bigint NOT NULL,
    change_id bigint NOT NULL,
    at        timestamptz NOT NULL,
    PRIMARY KEY (group_id, change_id)
);
INSERT INTO smart_groups.membership_resets (group_id, change_id, at)
SELECT c.group_id, c.id, c.at FROM smart_groups.membership_changes c WHERE c.user_keys IS NULL;
SELECT pg_catalog.pg_extension_config_dump('smart_groups.membership_resets', '');
GRANT SELECT ON smart_groups.membership_resets TO smart_groups_reader;

CREATE FUNCTION smart_groups_internal._log_reset(gid bigint) RETURNS void
LANGUAGE sql AS $$
    WITH c AS (INSERT INTO smart_groups.membership_changes (group_id, user_keys, change, cause)
               VALUES (gid, NULL, 'leave', 'group_change') RETURNING id, group_id, at)
    INSERT INTO smart_groups.membership_resets (group_id, change_id, at)
    SELECT c.group_id, c.id, c.at FROM c
$$;

CREATE OR REPLACE FUNCTION smart_groups_internal._clear(g smart_groups.groups) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF g.status = 'active' AND smart_groups_internal._has_members(g.id) THEN
        PERFORM smart_groups_internal._note_change(g.id, 0, smart_groups_internal._member_count(g.id));
        PERFORM smart_groups_internal._log_reset(g.id);
        INSERT INTO smart_groups.member_garbage (group_id) VALUES (g.id) ON CONFLICT DO NOTHING;
    END IF;
END $$;

CREATE OR REPLACE FUNCTION smart_groups.drop_group(name text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    g smart_groups.groups;
BEGIN
    -- The maintenance lock before any row lock, as every path takes them (sql/maintain.sql).
    PERFORM smart_groups_internal._maintenance_lock();
    g := smart_groups_internal._group(name);
    PERFORM smart_groups_internal._refuse_if_named(g, 'drop');
    IF g.status = 'active' AND smart_groups_internal._has_members(g.id) THEN
        PERFORM smart_groups_internal._log_reset(g.id);
        INSERT INTO smart_groups.member_garbage (group_id) VALUES (g.id) ON CONFLICT DO NOTHING;
    END IF;
    DELETE FROM smart_groups.member_counts WHERE group_id = g.id;
    DELETE FROM smart_groups.groups WHERE id = g.id;
END $$;

CREATE FUNCTION smart_groups_internal._group_id(name text) RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
DECLARE
    gid bigint;
BEGIN
    SELECT g.id INTO gid FROM smart_groups.groups g WHERE g.name = _group_id.name;
    IF NOT FOUND THEN
        PERFORM smart_groups_internal._group(name);
    END IF;
    RETURN gid;
END $$;

CREATE OR REPLACE FUNCTION smart_groups.member_count(name text) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT smart_groups_internal._member_count(smart_groups_internal._group_id(name))
$$;

CREATE OR REPLACE FUNCTION smart_groups_internal._create_key_functions(key_type text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    f text;
    key_functions text[] := ARRAY['preview', 'preview_change', 'verify', 'members_at', 'groups_of', 'history'];
BEGIN
    -- By name: groups_of's signature carries the key type, which may be changing.
    FOR f IN SELECT p.oid::regprocedure::text FROM pg_proc p
              WHERE p.pronamespace = 'smart_groups'::regnamespace AND p.proname = ANY (key_functions)
    LOOP
        EXECUTE format('ALTER EXTENSION smart_groups DROP FUNCTION %s', f);
        EXECUTE format('DROP FUNCTION %s', f);
    END LOOP;
    EXECUTE format($f$
        CREATE FUNCTION smart_groups.preview(rules text) RETURNS SETOF %1$s
        LANGUAGE plpgsql STABLE AS $b$
        BEGIN
            RETURN QUERY EXECUTE smart_groups_internal._preview_sql(smart_groups_internal._normalize(rules));
        END $b$;
        CREATE FUNCTION smart_groups.preview(rules jsonb) RETURNS SETOF %1$s
        LANGUAGE plpgsql STABLE AS $b$
        BEGIN
            RETURN QUERY EXECUTE smart_groups_internal._preview_sql(smart_groups_internal._normalize(rules));
        END $b$;
        CREATE FUNCTION smart_groups.preview_change(name text, rules text)
        RETURNS TABLE (user_key %1$s, change text)
        LANGUAGE plpgsql STABLE AS $b$
        BEGIN
            RETURN QUERY EXECUTE smart_groups_internal._preview_change_sql(name, smart_groups_internal._normalize(rules));
        END $b$;
        CREATE FUNCTION smart_groups.preview_change(name text, rules jsonb)
        RETURNS TABLE (user_key %1$s, change text)
        LANGUAGE plpgsql STABLE AS $b$
        BEGIN
            RETURN QUERY EXECUTE smart_groups_internal._preview_change_sql(name, smart_groups_internal._normalize(rules));
        END $b$;
        CREATE FUNCTION smart_groups.verify() RETURNS TABLE (group_name text, user_key %1$s, problem text)
        LANGUAGE plpgsql STABLE AS $b$
        DECLARE
            g smart_groups.groups;
        BEGIN
            FOR g IN SELECT * FROM smart_groups.groups ORDER BY id LOOP
                RETURN QUERY EXECUTE smart_groups_internal._verify_sql(g);
                RETURN QUERY
                    SELECT g.name, NULL::%1$s, format('member_count() says %%s, the group has %%s members', c.kept, c.real)
                      FROM (SELECT smart_groups_internal._member_count(g.id) AS kept,
                                   smart_groups_internal._counted_members(g.id) AS real) c
                     WHERE c.kept <> c.real;
            END LOOP;
        END $b$;
        -- Membership over time (README "Membership over time"): replayed from the log, a
        -- group's rows through its (group_id, at) index, a user's through the user index;
        -- a reset (every member left at once) ends what came before it.
        CREATE FUNCTION smart_groups.members_at(group_name text, at timestamptz) RETURNS SETOF %1$s
        LANGUAGE plpgsql STABLE AS $b$
        DECLARE
            gid bigint := smart_groups_internal._group_id(group_name);
        BEGIN
            RETURN QUERY
            SELECT s.k FROM (
                SELECT DISTINCT ON (k.k) k.k, c.change
                  FROM smart_groups.membership_changes c CROSS JOIN LATERAL unnest(c.user_keys) AS k(k)
                 WHERE c.group_id = gid AND c.at <= members_at.at
                   AND c.id > coalesce((SELECT max(r.change_id) FROM smart_groups.membership_resets r
                                         WHERE r.group_id = gid AND r.at <= members_at.at), 0)
                 ORDER BY k.k, c.id DESC) s
             WHERE s.change = 'join'
             ORDER BY 1;
        END $b$;
        CREATE FUNCTION smart_groups.groups_of(key %1$s, at timestamptz DEFAULT now())
        RETURNS TABLE (group_id bigint, group_name text)
        LANGUAGE sql STABLE AS $b$
            SELECT e.group_id, g.name
              FROM (SELECT DISTINCT ON (c.group_id) c.group_id, c.id, c.change
                      FROM smart_groups.membership_changes c
                     WHERE c.user_keys @> ARRAY[groups_of.key] AND c.at <= groups_of.at
                     ORDER BY c.group_id, c.id DESC) e
              LEFT JOIN smart_groups.groups g ON g.id = e.group_id
             WHERE e.change = 'join'
               AND NOT EXISTS (SELECT 1 FROM smart_groups.membership_resets r
                                WHERE r.group_id = e.group_id AND r.change_id > e.id
                                  AND r.at <= groups_of.at)
             ORDER BY 1
        $b$;
        CREATE FUNCTION smart_groups.history(key %1$s)
        RETURNS TABLE (at timestamptz, group_id bigint, group_name text, change text, cause text, change_id bigint)
        LANGUAGE sql STABLE AS $b$
            WITH mine AS (
                SELECT c.id, c.group_id, c.change, c.cause, c.at
                  FROM smart_groups.membership_changes c WHERE c.user_keys @> ARRAY[history.key]),
            seq AS (
                SELECT x.*, lag(x.change) OVER (PARTITION BY x.group_id ORDER BY x.id) AS before
                  FROM (SELECT m.id, m.group_id, m.change, m.cause, m.at, false AS reset FROM mine m
                        UNION ALL
                        SELECT r.change_id, r.group_id, 'leave', 'group_change', r.at, true
                          FROM smart_groups.membership_resets r
                         WHERE r.group_id IN (SELECT m.group_id FROM mine m)) x)
            SELECT s.at, s.group_id, g.name, s.change, s.cause, s.id
              FROM seq s LEFT JOIN smart_groups.groups g ON g.id = s.group_id
             WHERE NOT s.reset OR s.before = 'join'
             ORDER BY s.id
        $b$;
        $f$, key_type);
    -- Made inside an extension script (an upgrade), they are members already.
    FOR f IN SELECT p.oid::regprocedure::text FROM pg_proc p
              WHERE p.pronamespace = 'smart_groups'::regnamespace AND p.proname = ANY (key_functions)
                AND NOT EXISTS (SELECT 1 FROM pg_depend d
                                 WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
    LOOP
        EXECUTE format('ALTER EXTENSION smart_groups ADD FUNCTION %s', f);
    END LOOP;
    PERFORM smart_groups_internal._set_privileges();
    PERFORM smart_groups_internal._comment_api();
END $$;

CREATE OR REPLACE FUNCTION smart_groups.attach_users(users_table regclass) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    pk_cols  name[];
    pk_type  text;
    new_type text;
    clash    text;
    cur      smart_groups.config;
BEGIN
    PERFORM smart_groups_internal._check_table(users_table);
    SELECT array_agg(a.attname), min(format_type(a.atttypid, NULL))
      INTO pk_cols, pk_type
      FROM pg_index i
      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
     WHERE i.indrelid = users_table AND i.indisprimary;
    IF pk_cols IS NULL OR cardinality(pk_cols) <> 1 THEN
        RAISE EXCEPTION 'table % has no single-column primary key', users_table
            USING ERRCODE = '42P10', HINT = 'the users table needs a primary key on one column';
    END IF;
    new_type := CASE pk_type WHEN 'integer' THEN 'integer' WHEN 'bigint' THEN 'bigint'
                             WHEN 'uuid' THEN 'uuid' WHEN 'text' THEN 'text' END;
    IF new_type IS NULL THEN
        RAISE EXCEPTION 'the primary key "%" of % has type %', pk_cols[1], users_table, pk_type
            USING ERRCODE = '42804', HINT = 'the users key must be integer, bigint, uuid or text';
    END IF;
    -- Keys travel through the maintenance as UTF-8 text: in a database of another encoding
    -- (SQL_ASCII keeps any bytes) a text key could hold bytes that are not, and the app's
    -- writes of that user would fail.
    IF new_type = 'text' AND pg_catalog.getdatabaseencoding() <> 'UTF8' THEN
        RAISE EXCEPTION 'a text users key needs a UTF8 database (this one is %)', pg_catalog.getdatabaseencoding()
            USING ERRCODE = '0A000',
                  HINT = 'use a database created with ENCODING ''UTF8'', or an integer, bigint or uuid key';
    END IF;
    SELECT f.key INTO clash
      FROM smart_groups.custom_fields f
      JOIN pg_attribute a ON a.attrelid = users_table AND a.attname = f.key
                         AND a.attnum > 0 AND NOT a.attisdropped
     LIMIT 1;
    IF clash IS NOT NULL THEN
        RAISE EXCEPTION 'custom field "%" collides with column "%" of %', clash, clash, users_table
            USING ERRCODE = '42701', HINT = 'field names are unique: drop or rename the custom field first';
    END IF;
    SELECT * INTO cur FROM smart_groups.config;
    IF FOUND AND (cur.users_table <> users_table OR cur.key_column <> pk_cols[1] OR cur.key_type <> new_type)
       AND EXISTS (SELECT 1 FROM smart_groups.groups) THEN
        RAISE EXCEPTION 'the users table cannot change while groups exist'
            USING ERRCODE = '55006', HINT = 'drop the groups first';
    END IF;
    -- No group exists here; the log of the previously attached table speaks of other users.
    IF FOUND AND cur.users_table <> users_table
       AND EXISTS (SELECT 1 FROM smart_groups.membership_changes) THEN
        TRUNCATE smart_groups.membership_changes, smart_groups.membership_resets;
        RAISE NOTICE 'membership_log of the previously attached table % was cleared', cur.users_table;
    END IF;
    INSERT INTO smart_groups.config AS c (users_table, key_column, key_type)
    VALUES (users_table, pk_cols[1], new_type)
    ON CONFLICT (singleton) DO UPDATE
       SET users_table = excluded.users_table, key_column = excluded.key_column,
           key_type = excluded.key_type, attached_at = now();
    PERFORM smart_groups_internal._keys_as(new_type, cur.key_type IS DISTINCT FROM new_type);
    IF FOUND AND cur.users_table <> users_table
       AND EXISTS (SELECT 1 FROM pg_class WHERE oid = cur.users_table) THEN
        PERFORM smart_groups_internal._drop_triggers(cur.users_table, 'users');
    END IF;
    PERFORM smart_groups_internal._install_triggers(users_table, 'users');
    PERFORM smart_groups_internal._install_lookup_triggers();
    PERFORM smart_groups_internal._snapshot_columns();
    PERFORM smart_groups_internal._bump_epoch();
END $$;

-- Lookup references (docs/reference/rules.md, "Fields"): foreign keys onto other tables make
-- their columns fields; their tables get statement triggers; DDL on them is followed.
-- Single-column foreign keys of `rel` onto tables other than the users table: lookups
-- (docs/reference/rules.md, "Fields"); their tables' columns are fields through them.
CREATE FUNCTION smart_groups_internal._lookups(rel regclass) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'column', a.attname, 'schema', n.nspname, 'table', c.relname, 'key_column', fa.attname,
               'columns', smart_groups_internal._columns(k.confrelid)) ORDER BY a.attnum, k.conname), '[]'::jsonb)
      FROM pg_constraint k
      JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
      JOIN pg_attribute fa ON fa.attrelid = k.confrelid AND fa.attnum = k.confkey[1]
      JOIN pg_class c ON c.oid = k.confrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE k.contype = 'f' AND k.conrelid = rel AND cardinality(k.conkey) = 1
       AND k.confrelid IS DISTINCT FROM (SELECT users_table FROM smart_groups.config)
$$;

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

CREATE OR REPLACE FUNCTION smart_groups_internal._catalog() RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'users', (
            SELECT jsonb_build_object(
                'schema', n.nspname, 'table', c.relname,
                'key_column', cfg.key_column, 'key_type', cfg.key_type,
                'columns', smart_groups_internal._columns(cfg.users_table),
                -- single-column foreign keys of the users table onto itself
                'references', (
                    SELECT coalesce(jsonb_agg(a.attname ORDER BY a.attnum), '[]'::jsonb)
                      FROM pg_constraint k
                      JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
                     WHERE k.contype = 'f' AND k.conrelid = cfg.users_table
                       AND k.confrelid = cfg.users_table AND cardinality(k.conkey) = 1),
                'lookups', smart_groups_internal._lookups(cfg.users_table))
              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.oid = cfg.users_table),
        'custom_table', (
            SELECT jsonb_build_object(
                'schema', n.nspname, 'table', c.relname,
                'user_column', cfg.custom_user_column, 'key_column', cfg.custom_key_column,
                'value_column', cfg.custom_value_column)
              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.oid = cfg.custom_table),
        'custom_fields', (
            SELECT coalesce(jsonb_agg(jsonb_build_object(
                       'key', f.key, 'type', f.type, 'allowed', to_jsonb(f.allowed)) ORDER BY f.key),
                   '[]'::jsonb)
              FROM smart_groups.custom_fields f),
        'relations', (
            SELECT coalesce(jsonb_agg(jsonb_build_object(
                       'name', r.name, 'schema', n.nspname, 'table', c.relname,
                       'user_column', r.user_column,
                       'columns', smart_groups_internal._columns(r.table_name),
                       'lookups', smart_groups_internal._lookups(r.table_name)) ORDER BY r.name), '[]'::jsonb)
              FROM smart_groups.relations r
              JOIN pg_class c ON c.oid = r.table_name
              JOIN pg_namespace n ON n.oid = c.relnamespace),
        'groups', (
            SELECT coalesce(jsonb_agg(jsonb_build_object(
                       'id', g.id, 'name', g.name, 'kind', g.kind, 'status', g.status,
                       'member_of', CASE WHEN g.kind = 'smart' THEN coalesce((
                           SELECT jsonb_agg(DISTINCT m.value)
                             FROM jsonb_path_query(g.rules, 'lax $.**.member_of') AS m(value)),
                           '[]'::jsonb) ELSE '[]'::jsonb END) ORDER BY g.id), '[]'::jsonb)
              FROM smart_groups.groups g))
      FROM (SELECT 1) AS one
      LEFT JOIN smart_groups.config cfg ON true
$$;

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

-- Remembers the columns of the attached tables (see smart_groups.attached_columns).
CREATE OR REPLACE FUNCTION smart_groups_internal._snapshot_columns() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM smart_groups.attached_columns;
    INSERT INTO smart_groups.attached_columns (rel, attnum, name, type_id)
    SELECT a.attrelid, a.attnum, a.attname, a.atttypid
      FROM pg_attribute a
     WHERE a.attnum > 0 AND NOT a.attisdropped
       AND a.attrelid IN (SELECT users_table FROM smart_groups.config
                          UNION SELECT custom_table FROM smart_groups.config WHERE custom_table IS NOT NULL
                          UNION SELECT table_name FROM smart_groups.relations
                          UNION SELECT smart_groups_internal._lookup_tables());
END $$;

-- At the end of an ALTER TABLE on an attached table: renamed columns are followed (the
-- attachment's column names, and every group's rules and their text form name the new
-- names), and groups whose rules no longer apply (a column retyped to a type their
-- operators do not take) become static groups holding their members, with a NOTICE. The
-- app's next statements on the table are then maintained as before.
CREATE OR REPLACE FUNCTION smart_groups_internal._follow_schema_changes() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    cfg         smart_groups.config := smart_groups_internal._config();
    r           record;
    users_map   jsonb := '{}';
    rel_map     jsonb := '{}';
    lookup_map  jsonb := '{}';
    lookup_key  text;
    renames     jsonb;
    retyped     boolean := false;
    lookup_changed boolean := false;
    g           smart_groups.groups;
    ids         bigint[];
    renamed     jsonb[];
    new_key_type text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM smart_groups.attached_columns) THEN
        -- Not snapshotted yet (a restore in progress): nothing to compare with.
        RETURN;
    END IF;
    FOR r IN SELECT s.rel, s.name::text AS old, a.attname::text AS new, s.type_id <> a.atttypid AS retyped
               FROM smart_groups.attached_columns s
               JOIN pg_attribute a ON a.attrelid = s.rel AND a.attnum = s.attnum AND NOT a.attisdropped
              WHERE a.attname <> s.name OR a.atttypid <> s.type_id
              ORDER BY s.rel, s.attnum LOOP
        retyped := retyped OR r.retyped;
        -- A column of a lookup table only (its rules are checked again below).
        lookup_changed := lookup_changed OR (r.rel IS DISTINCT FROM cfg.users_table
            AND r.rel IS DISTINCT FROM cfg.custom_table
            AND NOT EXISTS (SELECT 1 FROM smart_groups.relations x WHERE x.table_name = r.rel));
        CONTINUE WHEN r.old = r.new;
        IF r.rel = cfg.users_table THEN
            users_map := users_map || jsonb_build_object(r.old, r.new);
            UPDATE smart_groups.config SET key_column = r.new WHERE key_column = r.old;
        END IF;
        IF r.rel = cfg.custom_table THEN
            UPDATE smart_groups.config
               SET custom_user_column = CASE WHEN custom_user_column = r.old THEN r.new ELSE custom_user_column END,
                   custom_key_column = CASE WHEN custom_key_column = r.old THEN r.new ELSE custom_key_column END,
                   custom_value_column = CASE WHEN custom_value_column = r.old THEN r.new ELSE custom_value_column END;
        END IF;
        UPDATE smart_groups.relations SET user_column = r.new WHERE table_name = r.rel AND user_column = r.old;
        IF r.rel IN (SELECT smart_groups_internal._lookup_tables()) THEN
            SELECT n.nspname || '.' || c.relname INTO lookup_key
              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = r.rel;
            lookup_map := lookup_map || jsonb_build_object(lookup_key,
                coalesce(lookup_map -> lookup_key, '{}') || jsonb_build_object(r.old, r.new));
        END IF;
        SELECT rel_map || coalesce(jsonb_object_agg(x.name, coalesce(rel_map -> x.name, '{}') || jsonb_build_object(r.old, r.new)), '{}')
          INTO rel_map FROM smart_groups.relations x WHERE x.table_name = r.rel;
    END LOOP;
    -- The users key retyped: the extension's keys follow when the new type is one a users key
    -- may have; another type is refused, since no membership could be kept for it.
    IF retyped THEN
        SELECT format_type(a.atttypid, NULL) INTO new_key_type
          FROM pg_attribute a JOIN smart_groups.config c ON a.attrelid = c.users_table AND a.attname = c.key_column;
        IF new_key_type IS DISTINCT FROM cfg.key_type THEN
            IF new_key_type NOT IN ('integer', 'bigint', 'uuid', 'text') THEN
                RAISE EXCEPTION 'the users key "%" cannot become %', cfg.key_column, new_key_type
                    USING ERRCODE = '0A000', HINT = 'the users key must be integer, bigint, uuid or text';
            END IF;
            IF new_key_type = 'text' AND pg_catalog.getdatabaseencoding() <> 'UTF8' THEN
                RAISE EXCEPTION 'the users key "%" cannot become text: a text users key needs a UTF8 database', cfg.key_column
                    USING ERRCODE = '0A000', HINT = 'keep an integer, bigint or uuid key in this database';
            END IF;
            UPDATE smart_groups.config SET key_type = new_key_type;
            PERFORM smart_groups_internal._keys_as(new_key_type, true);
            RAISE NOTICE 'users keys are now stored as %', new_key_type;
        END IF;
    END IF;
    -- A foreign key added or dropped makes a table a lookup table or no longer one.
    PERFORM smart_groups_internal._install_lookup_triggers();
    PERFORM smart_groups_internal._snapshot_columns();
    PERFORM smart_groups_internal._bump_epoch();
    IF users_map <> '{}' OR rel_map <> '{}' OR lookup_map <> '{}' THEN
        renames := jsonb_build_object('users', users_map, 'relations', rel_map, 'lookups', lookup_map);
        -- Every group's new rules in one statement, so the catalog is read once; the groups'
        -- rows are written afterwards (each write moves the catalog epoch).
        SELECT array_agg(x.id ORDER BY x.id), array_agg(x.new_rules ORDER BY x.id)
          INTO ids, renamed
          FROM (SELECT gr.id, gr.rules, smart_groups_internal._rename_fields(gr.rules, renames) AS new_rules
                  FROM smart_groups.groups gr WHERE gr.rules IS NOT NULL) x
         WHERE x.new_rules IS DISTINCT FROM x.rules;
        FOR i IN 1 .. coalesce(cardinality(ids), 0) LOOP
            UPDATE smart_groups.groups
               SET rules = renamed[i], rules_text = smart_groups.to_text(renamed[i]), updated_at = now()
             WHERE id = ids[i]
            RETURNING * INTO g;
            RAISE NOTICE 'the rules of group "%" follow the renamed columns: %', g.name, g.rules_text;
        END LOOP;
    END IF;
    IF retyped THEN
        PERFORM smart_groups_internal._check_attachments();
    END IF;
    IF users_map <> '{}' OR rel_map <> '{}' OR retyped OR lookup_changed THEN
        PERFORM smart_groups_internal._convert_broken_groups('the columns its rules read were changed');
        -- What the remaining smart groups read, under the new names.
        UPDATE smart_groups.groups x SET deps = smart_groups_internal._deps(x.rules, x.name)
         WHERE x.kind = 'smart' AND smart_groups_internal._rules_valid(x.rules, x.name);
    END IF;
END $$;

CREATE OR REPLACE FUNCTION smart_groups.attach_relation(name text, relation_table regclass, user_column name)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    cfg smart_groups.config := smart_groups_internal._config();
BEGIN
    IF name IS NULL OR btrim(name) = '' OR name <> btrim(name) THEN
        RAISE EXCEPTION 'invalid relation name "%"', name USING ERRCODE = '42602';
    END IF;
    PERFORM smart_groups_internal._require_utf8('the relation name', name);
    PERFORM smart_groups_internal._check_table(relation_table);
    PERFORM smart_groups_internal._column_type(relation_table, user_column);
    IF EXISTS (SELECT 1 FROM smart_groups.relations r WHERE r.name = attach_relation.name) THEN
        RAISE EXCEPTION 'relation "%" already exists', name USING ERRCODE = '42710';
    END IF;
    INSERT INTO smart_groups.relations (name, table_name, user_column)
    VALUES (name, relation_table, user_column);
    PERFORM smart_groups_internal._install_triggers(relation_table, 'relation', name);
    PERFORM smart_groups_internal._install_lookup_triggers();
    PERFORM smart_groups_internal._snapshot_columns();
    PERFORM smart_groups_internal._bump_epoch();
END $$;

CREATE OR REPLACE FUNCTION smart_groups_internal._on_sql_drop() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
    o record;
BEGIN
    IF EXISTS (SELECT 1 FROM smart_groups.config) THEN
        PERFORM smart_groups_internal._bump_epoch();
    END IF;
    -- A dropped relation or custom-field table is detached; rules that used it no longer validate.
    FOR o IN SELECT * FROM pg_event_trigger_dropped_objects() WHERE object_type = 'table' LOOP
        DELETE FROM smart_groups.relations WHERE table_name = o.objid;
        IF FOUND THEN
            PERFORM smart_groups_internal._convert_broken_groups(format('table %s was dropped', o.object_identity));
        END IF;
        UPDATE smart_groups.config
           SET custom_table = NULL, custom_user_column = NULL, custom_key_column = NULL, custom_value_column = NULL
         WHERE custom_table = o.objid;
        IF FOUND THEN
            PERFORM smart_groups_internal._convert_broken_groups(format('table %s was dropped', o.object_identity));
        END IF;
    END LOOP;
    FOR o IN SELECT * FROM pg_event_trigger_dropped_objects() WHERE object_type = 'table column' LOOP
        -- A column the custom-field table is read by: the table is detached.
        UPDATE smart_groups.config
           SET custom_table = NULL, custom_user_column = NULL, custom_key_column = NULL, custom_value_column = NULL
         WHERE custom_table = o.objid
           AND o.address_names[3] IN (custom_user_column, custom_key_column, custom_value_column);
        IF FOUND THEN
            PERFORM smart_groups_internal._convert_broken_groups(format('column %s was dropped', o.object_identity));
        END IF;
        -- A relation whose user column goes is detached.
        DELETE FROM smart_groups.relations r WHERE r.table_name = o.objid AND r.user_column = o.address_names[3];
        IF EXISTS (SELECT 1 FROM smart_groups.config c WHERE c.users_table = o.objid)
           OR EXISTS (SELECT 1 FROM smart_groups.relations r WHERE r.table_name = o.objid)
           OR EXISTS (SELECT 1 FROM smart_groups.attached_columns s WHERE s.rel = o.objid) THEN
            PERFORM smart_groups_internal._convert_broken_groups(format('column %s was dropped', o.object_identity));
        END IF;
    END LOOP;
    -- A dropped foreign key may have been a reference (manager.x).
    IF EXISTS (SELECT 1 FROM pg_event_trigger_dropped_objects() WHERE object_type = 'table constraint') THEN
        PERFORM smart_groups_internal._convert_broken_groups('a foreign key was dropped');
    END IF;
END $$;

-- Comments and privileges, as the fresh install gives them.
CREATE OR REPLACE FUNCTION smart_groups_internal._comment_api() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    c record;
    f regprocedure;
BEGIN
    FOR c IN SELECT * FROM (VALUES
        ('attach_users', 'Attaches the app''s users table (its single-column primary key is the users key). README: Attaching the app''s tables'),
        ('attach_custom_fields', 'Attaches the app''s custom-field table (user, key and value columns; values as text)'),
        ('define_custom_field', 'Declares a custom field: text, number, date, timestamp, boolean, or enum with allowed values'),
        ('drop_custom_field', 'Forgets a custom field; groups reading it become static groups holding their members'),
        ('attach_relation', 'Attaches a related table (enrollments, clicks, ...) that rules reach with "has"'),
        ('compile', 'The SQL predicate of a ruleset (text form or JSON) over the users table aliased u'),
        ('to_text', 'A ruleset in the text form'),
        ('to_json', 'A ruleset as canonical JSON'),
        ('from_querybuilder', 'A react-querybuilder query (RuleGroupType) as a ruleset (canonical JSON); README: Other formats'),
        ('to_querybuilder', 'A ruleset as a react-querybuilder query (RuleGroupType)'),
        ('from_jsonlogic', 'A JsonLogic rule as a ruleset (canonical JSON); README: Other formats'),
        ('to_jsonlogic', 'A ruleset as a JsonLogic rule'),
        ('validate', 'Every error and warning of a ruleset, with its JSON path, SQLSTATE and hint'),
        ('read_number', 'How custom-field text is read as a number; NULL when unreadable'),
        ('read_date', 'How custom-field text is read as a date; NULL when unreadable'),
        ('read_timestamp', 'How custom-field text is read as a timestamp; NULL when unreadable'),
        ('read_boolean', 'How custom-field text is read as a boolean; NULL when unreadable'),
        ('create_group', 'Creates a smart group from a ruleset; its membership is computed at once and kept exact'),
        ('create_static_group', 'Creates a static group, whose members are added by hand'),
        ('add_members', 'Adds users to a static group; returns how many joined'),
        ('remove_members', 'Removes users from a static group; returns how many left'),
        ('set_rules', 'Replaces a smart group''s ruleset; membership follows in the same transaction'),
        ('rename_group', 'Renames a group; rules naming it in "member of" follow'),
        ('activate_group', 'Activates a group: its membership is computed'),
        ('deactivate_group', 'Deactivates a group: it keeps its rules and has no members'),
        ('archive_group', 'Archives a group: inactive and hidden, instant whatever its size'),
        ('restore_group', 'Restores an archived group; it comes back inactive'),
        ('drop_group', 'Drops a group, its membership and overrides'),
        ('exclude', 'Excludes a user from a smart group whatever its rules say (reason: does_not_represent_criteria, already_addressed, data_quality, other with a note)'),
        ('unexclude', 'Removes a manual exclusion'),
        ('include', 'Includes a user in a smart group whatever its rules say'),
        ('uninclude', 'Removes a manual inclusion'),
        ('recalculate', 'Re-evaluates a group in full; returns how many joined and left'),
        ('recalculate_all', 'Re-evaluates every active group in full'),
        ('refresh_time_rules', 'Applies relative-time boundaries crossed since the last refresh (the background worker calls it); returns the memberships changed'),
        ('preview', 'The users a ruleset matches, without saving anything'),
        ('preview_count', 'How many users a ruleset matches, without saving anything'),
        ('preview_change', 'The joins and leaves that set_rules (or activating) with a ruleset would cause'),
        ('explain', 'Why a user is or is not in a group: every rule with the user''s actual value, the overrides and the result'),
        ('member_count', 'A group''s number of members, exact, without counting them'),
        ('verify', 'Differences between stored membership and a fresh evaluation; empty when consistent'),
        ('members_at', 'The members a group had at a time, from the log (README: Membership over time)'),
        ('groups_of', 'The groups a user was in at a time (now by default), from the log'),
        ('history', 'Every join and leave of a user, with group, cause and time, from the log')
    ) AS t(name, comment) LOOP
        FOR f IN SELECT p.oid FROM pg_proc p
                  WHERE p.pronamespace = 'smart_groups'::regnamespace AND p.proname = c.name LOOP
            EXECUTE format('COMMENT ON FUNCTION %s IS %L', f, c.comment);
        END LOOP;
    END LOOP;

    FOR c IN SELECT * FROM (VALUES
        ('config', NULL, 'The attached users table and custom-field table (one row at most)'),
        ('config', 'singleton', 'Always true: there is one row at most'),
        ('config', 'users_table', 'The attached users table'),
        ('config', 'key_column', 'Its primary-key column: the users key'),
        ('config', 'key_type', 'The users key''s type: integer, bigint, uuid or text'),
        ('config', 'custom_table', 'The attached custom-field table, if any'),
        ('config', 'custom_user_column', 'Its column holding the users key'),
        ('config', 'custom_key_column', 'Its column holding the field''s key'),
        ('config', 'custom_value_column', 'Its column holding the value, as text'),
        ('config', 'catalog_epoch', 'Moves whenever what rules can name changes, so that backends do not reuse compiled rules'),
        ('config', 'attached_at', 'When the users table was attached'),
        ('custom_fields', NULL, 'The custom fields rules may name'),
        ('custom_fields', 'key', 'The field''s key in the custom-field table, and its name in rules'),
        ('custom_fields', 'type', 'text, number, date, timestamp, boolean or enum'),
        ('custom_fields', 'allowed', 'The allowed values of an enum field'),
        ('custom_fields', 'created_at', 'When the field was defined'),
        ('relations', NULL, 'The related tables rules reach with "has"'),
        ('relations', 'name', 'The relation''s name in rules'),
        ('relations', 'table_name', 'The attached table'),
        ('relations', 'user_column', 'Its column holding the users key'),
        ('relations', 'created_at', 'When the relation was attached'),
        ('groups', NULL, 'Every group, archived ones included (names stay taken)'),
        ('groups', 'id', 'The group''s id, as in members, memberships and the log'),
        ('groups', 'name', 'The group''s name, unique'),
        ('groups', 'kind', 'smart (membership from rules) or static (members added by hand)'),
        ('groups', 'status', 'active (membership kept), inactive (rules kept, no members) or archived'),
        ('groups', 'rules', 'The ruleset as canonical JSON (a static group keeps the rules it had)'),
        ('groups', 'rules_text', 'The ruleset in the text form'),
        ('groups', 'deps', 'What the rules read: columns, custom fields, relations, groups (maintenance uses it)'),
        ('groups', 'depth', 'How deep the group is in "member of" chains (maintenance order)'),
        ('groups', 'time_refreshed_at', 'Relative-time boundaries up to this time are applied'),
        ('groups', 'created_at', 'When the group was created'),
        ('groups', 'updated_at', 'When the group last changed'),
        ('attached_columns', NULL, 'The attached tables'' columns as rules last saw them (to follow renames and type changes); internal'),
        ('attached_columns', 'rel', 'The attached table'),
        ('attached_columns', 'attnum', 'The column''s number'),
        ('attached_columns', 'name', 'The column''s name when last seen'),
        ('attached_columns', 'type_id', 'The column''s type when last seen'),
        ('member_rows', NULL, 'Stored membership of every group, including rows of inactive groups awaiting cleanup: read members or memberships instead'),
        ('member_rows', 'group_id', 'The group'),
        ('member_rows', 'user_key', 'The member'),
        ('member_rows', 'since', 'When the user joined'),
        ('member_garbage', NULL, 'Groups whose rows in member_rows await the background cleanup; internal'),
        ('member_garbage', 'group_id', 'The group'),
        ('member_counts', NULL, 'What member_count() sums: a row per group per statement that changed it, folded by refresh_time_rules()'),
        ('member_counts', 'group_id', 'The group'),
        ('member_counts', 'delta', 'Members joined minus members left'),
        ('inclusions', NULL, 'Users included by hand: a static group''s members, and manual inclusions into smart groups'),
        ('inclusions', 'group_id', 'The group'),
        ('inclusions', 'user_key', 'The user'),
        ('inclusions', 'created_at', 'When the user was included'),
        ('exclusions', NULL, 'Users excluded by hand from smart groups (exclusion wins over rules and inclusion)'),
        ('exclusions', 'group_id', 'The group'),
        ('exclusions', 'user_key', 'The user'),
        ('exclusions', 'reason', 'does_not_represent_criteria, already_addressed, data_quality or other'),
        ('exclusions', 'note', 'Why (required for other)'),
        ('exclusions', 'created_at', 'When the user was excluded'),
        ('exclusions', 'created_by', 'Who excluded the user'),
        ('membership_changes', NULL, 'The membership log as stored: a row per group, direction and cause of each statement, its users as an array (read membership_log)'),
        ('membership_changes', 'id', 'The change'),
        ('membership_changes', 'group_id', 'The group'),
        ('membership_changes', 'user_keys', 'The users who joined or left; NULL: every member left at once (deactivate, archive, drop, TRUNCATE)'),
        ('membership_changes', 'change', 'join or leave'),
        ('membership_changes', 'cause', 'user_change, rules_change, time, exclusion, inclusion, group_change or recalculate'),
        ('membership_changes', 'at', 'When (the transaction''s time)'),
        ('membership_resets', NULL, 'The log rows where every member of a group left at once (user_keys NULL), by group, for history() and groups_of()'),
        ('membership_resets', 'group_id', 'The group'),
        ('membership_resets', 'change_id', 'The row of membership_changes'),
        ('membership_resets', 'at', 'When (the transaction''s time)'),
        ('members', NULL, 'The members of every active group'),
        ('members', 'group_id', 'The group'),
        ('members', 'user_key', 'The member, in the users key''s type'),
        ('members', 'since', 'When the user joined'),
        ('memberships', NULL, 'The members of every active group, with the group''s name'),
        ('memberships', 'group_id', 'The group'),
        ('memberships', 'group_name', 'The group''s name'),
        ('memberships', 'user_key', 'The member, in the users key''s type'),
        ('memberships', 'since', 'When the user joined'),
        ('membership_log', NULL, 'Every join and leave, a row per user (a NULL user_key: every member left at once)'),
        ('membership_log', 'id', 'The change (shared by the users of one statement''s change to one group)'),
        ('membership_log', 'group_id', 'The group'),
        ('membership_log', 'user_key', 'The user'),
        ('membership_log', 'change', 'join or leave'),
        ('membership_log', 'cause', 'user_change, rules_change, time, exclusion, inclusion, group_change or recalculate'),
        ('membership_log', 'at', 'When'),
        ('excluded', NULL, 'Users excluded by hand from smart groups, with the group''s name'),
        ('excluded', 'group_id', 'The group'),
        ('excluded', 'group_name', 'The group''s name'),
        ('excluded', 'user_key', 'The user, in the users key''s type'),
        ('excluded', 'reason', 'does_not_represent_criteria, already_addressed, data_quality or other'),
        ('excluded', 'note', 'Why (required for other)'),
        ('excluded', 'created_at', 'When the user was excluded'),
        ('excluded', 'created_by', 'Who excluded the user'),
        ('included', NULL, 'Users included by hand into smart groups, with the group''s name (a static group''s members are in memberships)'),
        ('included', 'group_id', 'The group'),
        ('included', 'group_name', 'The group''s name'),
        ('included', 'user_key', 'The user, in the users key''s type'),
        ('included', 'created_at', 'When the user was included'),
        ('fields', NULL, 'Every field a rule may name, with its type'),
        ('fields', 'name', 'The name rules use'),
        ('fields', 'type', 'The field''s type in rules'),
        ('fields', 'source', 'Where it comes from: column, custom field, reference or relation'),
        ('fields', 'relation', 'For a relation''s column, the relation'),
        ('fields', 'column_name', 'The column it reads'),
        ('fields', 'allowed', 'The allowed values of an enum')
    ) AS t(rel, col, comment) LOOP
        CONTINUE WHEN to_regclass('smart_groups.' || quote_ident(c.rel)) IS NULL;
        IF c.col IS NULL THEN
            EXECUTE format('COMMENT ON %s smart_groups.%I IS %L',
                           CASE (SELECT relkind FROM pg_class WHERE oid = to_regclass('smart_groups.' || quote_ident(c.rel)))
                                WHEN 'v' THEN 'VIEW' ELSE 'TABLE' END, c.rel, c.comment);
        ELSE
            EXECUTE format('COMMENT ON COLUMN smart_groups.%I.%I IS %L', c.rel, c.col, c.comment);
        END IF;
    END LOOP;
END $$;

CREATE OR REPLACE FUNCTION smart_groups_internal._set_privileges() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    f record;
    -- Trigger functions (app writes, DDL on attached tables, commit) and the API.
    definer text[] := ARRAY[
        '_before_statement_rs', '_on_users_update_rs', '_on_users_insert_rs', '_on_users_delete_rs',
        '_on_users_truncate', '_on_table_change_rs', '_on_table_truncate',
        '_on_sql_drop', '_on_ddl_end',
        'create_group', 'create_static_group', 'add_members', 'remove_members', 'set_rules',
        'rename_group', 'activate_group', 'deactivate_group', 'archive_group', 'restore_group',
        'drop_group', 'exclude', 'unexclude', 'include', 'uninclude', 'recalculate',
        'recalculate_all', 'refresh_time_rules', 'define_custom_field', 'drop_custom_field',
        'preview', 'preview_count', 'preview_change', 'explain', 'verify', 'member_count',
        'validate', 'compile', 'to_text', 'to_json', '_field_list',
        'from_querybuilder', 'to_querybuilder', 'from_jsonlogic', 'to_jsonlogic',
        'members_at', 'groups_of', 'history'];
    reader text[] := ARRAY['preview', 'preview_count', 'preview_change', 'explain', 'verify',
                           'member_count', 'validate', 'compile', 'to_text', 'to_json', '_field_list',
                           'from_querybuilder', 'to_querybuilder', 'from_jsonlogic', 'to_jsonlogic',
                           'members_at', 'groups_of', 'history'];
BEGIN
    FOR f IN SELECT p.oid::regprocedure AS sig, p.proname::text AS name, p.prokind
               FROM pg_proc p
              WHERE p.pronamespace IN ('smart_groups'::regnamespace, 'smart_groups_internal'::regnamespace) LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f.sig);
        IF f.name = ANY (definer) THEN
            EXECUTE format('ALTER FUNCTION %s SECURITY DEFINER SET search_path = pg_catalog, pg_temp', f.sig);
            EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', f.sig,
                           CASE WHEN f.name = ANY (reader) THEN 'smart_groups_reader' ELSE 'smart_groups_admin' END);
        END IF;
    END LOOP;
END $$;

-- The functions returning keys, in the attached key's type (none while nothing is attached);
-- this also sets their privileges and comments. The lookup tables' triggers, and their columns
-- in the snapshot DDL is compared with.
DO $$
DECLARE
    kt text := (SELECT key_type FROM smart_groups.config);
BEGIN
    IF kt IS NOT NULL THEN
        PERFORM smart_groups_internal._create_key_functions(kt);
        PERFORM smart_groups_internal._install_lookup_triggers();
        PERFORM smart_groups_internal._snapshot_columns();
    END IF;
END $$;
SELECT smart_groups_internal._set_privileges();
SELECT smart_groups_internal._comment_api();
