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

-- The catalog of the attached tables is read by the library from the relation and system
-- caches (src/catalog_tables.rs).
DROP FUNCTION smart_groups_internal._catalog();
DROP FUNCTION smart_groups_internal._columns(regclass);

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

-- COMMENT ON every function, table, view and column of the API schema (\df+ and \d+ show
-- them). Run at the end of the extension script and again wherever the functions and views
-- that carry the users key's type are made anew (attach_users).
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
        ('set_tenant_security', 'Enables (true) or disables the shipped tenant policies: roles then see only the tenant named by smart_groups.tenant'),
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
        ('config', 'tenant_column', 'The users table''s tenant column, if users belong to tenants'),
        ('custom_fields', NULL, 'The custom fields rules may name'),
        ('custom_fields', 'key', 'The field''s key in the custom-field table, and its name in rules'),
        ('custom_fields', 'type', 'text, number, date, timestamp, boolean or enum'),
        ('custom_fields', 'allowed', 'The allowed values of an enum field'),
        ('custom_fields', 'tenant', 'The tenant the field is for; NULL: every tenant'),
        ('custom_fields', 'created_at', 'When the field was defined'),
        ('relations', NULL, 'The related tables rules reach with "has"'),
        ('relations', 'name', 'The relation''s name in rules'),
        ('relations', 'table_name', 'The attached table'),
        ('relations', 'user_column', 'Its column holding the users key'),
        ('relations', 'created_at', 'When the relation was attached'),
        ('groups', NULL, 'Every group, archived ones included (names stay taken)'),
        ('groups', 'id', 'The group''s id, as in members, memberships and the log'),
        ('groups', 'name', 'The group''s name, unique within its tenant'),
        ('groups', 'kind', 'smart (membership from rules) or static (members added by hand)'),
        ('groups', 'status', 'active (membership kept), inactive (rules kept, no members) or archived'),
        ('groups', 'rules', 'The ruleset as canonical JSON (a static group keeps the rules it had)'),
        ('groups', 'rules_text', 'The ruleset in the text form'),
        ('groups', 'deps', 'What the rules read: columns, custom fields, relations, groups (maintenance uses it)'),
        ('groups', 'depth', 'How deep the group is in "member of" chains (maintenance order)'),
        ('groups', 'time_refreshed_at', 'Relative-time boundaries up to this time are applied'),
        ('groups', 'created_at', 'When the group was created'),
        ('groups', 'updated_at', 'When the group last changed'),
        ('groups', 'tenant', 'The tenant the group belongs to (NULL without a tenant column); names are unique within it'),
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
        ('members', 'tenant', 'The group''s tenant'),
        ('memberships', NULL, 'The members of every active group, with the group''s name'),
        ('memberships', 'group_id', 'The group'),
        ('memberships', 'group_name', 'The group''s name'),
        ('memberships', 'user_key', 'The member, in the users key''s type'),
        ('memberships', 'since', 'When the user joined'),
        ('memberships', 'tenant', 'The group''s tenant'),
        ('membership_log', NULL, 'Every join and leave, a row per user (a NULL user_key: every member left at once)'),
        ('membership_log', 'id', 'The change (shared by the users of one statement''s change to one group)'),
        ('membership_log', 'group_id', 'The group'),
        ('membership_log', 'user_key', 'The user'),
        ('membership_log', 'change', 'join or leave'),
        ('membership_log', 'cause', 'user_change, rules_change, time, exclusion, inclusion, group_change or recalculate'),
        ('membership_log', 'at', 'When'),
        ('membership_log', 'tenant', 'The group''s tenant'),
        ('excluded', NULL, 'Users excluded by hand from smart groups, with the group''s name'),
        ('excluded', 'group_id', 'The group'),
        ('excluded', 'group_name', 'The group''s name'),
        ('excluded', 'user_key', 'The user, in the users key''s type'),
        ('excluded', 'reason', 'does_not_represent_criteria, already_addressed, data_quality or other'),
        ('excluded', 'note', 'Why (required for other)'),
        ('excluded', 'created_at', 'When the user was excluded'),
        ('excluded', 'created_by', 'Who excluded the user'),
        ('excluded', 'tenant', 'The group''s tenant'),
        ('included', NULL, 'Users included by hand into smart groups, with the group''s name (a static group''s members are in memberships)'),
        ('included', 'group_id', 'The group'),
        ('included', 'group_name', 'The group''s name'),
        ('included', 'user_key', 'The user, in the users key''s type'),
        ('included', 'created_at', 'When the user was included'),
        ('included', 'tenant', 'The group''s tenant'),
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
    -- The statement triggers of the app's writes run only the engine, whose statements set
    -- their own plan settings (src/guc_scope.rs); a SET clause would cost every app write.
    row_path text[] := ARRAY['_before_statement_rs', '_on_users_update_rs', '_on_users_insert_rs',
                             '_on_users_delete_rs', '_on_table_change_rs'];
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
            -- JIT off for everything the API runs (docs/design/engine.md, "Group changes
            -- at a thousand groups"): there the estimate of the depth query passes
            -- jit_above_cost, and compiling it took 0.43 s of a 0.64 s create_group.
            IF NOT f.name = ANY (row_path) THEN
                EXECUTE format('ALTER FUNCTION %s SET jit = off', f.sig);
            END IF;
            EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', f.sig,
                           CASE WHEN f.name = ANY (reader) THEN 'smart_groups_reader' ELSE 'smart_groups_admin' END);
        END IF;
    END LOOP;
END $$;

-- Tenants (docs/reference/tenants.md): the users table's tenant column, each group's and
-- custom field's tenant, names unique per tenant, the tenant policies, and every function
-- that addresses a group taking `tenant` last (so their old signatures go).
ALTER TABLE smart_groups.config ADD COLUMN tenant_column name;
ALTER TABLE smart_groups.config ADD COLUMN tenant_security boolean NOT NULL DEFAULT false;
ALTER TABLE smart_groups.custom_fields DROP CONSTRAINT custom_fields_pkey;
ALTER TABLE smart_groups.custom_fields ADD COLUMN tenant text;
ALTER TABLE smart_groups.custom_fields
    ADD CONSTRAINT custom_fields_key_tenant_key UNIQUE NULLS NOT DISTINCT (key, tenant);
ALTER TABLE smart_groups.groups ADD COLUMN tenant text;
ALTER TABLE smart_groups.groups DROP CONSTRAINT groups_name_key;
ALTER TABLE smart_groups.groups ADD CONSTRAINT groups_name_key UNIQUE NULLS NOT DISTINCT (name, tenant);
GRANT SELECT ON smart_groups.member_rows, smart_groups.member_garbage TO smart_groups_reader;

DROP VIEW smart_groups.members, smart_groups.memberships, smart_groups.membership_log,
          smart_groups.excluded, smart_groups.included;

DROP FUNCTION smart_groups_internal._group(text);
DROP FUNCTION smart_groups_internal._check_new_name(text);
DROP FUNCTION smart_groups_internal._dependants(text, boolean);
DROP FUNCTION smart_groups_internal._lock_named(jsonb);
DROP FUNCTION smart_groups_internal._new_group(text, text, jsonb, boolean);
DROP FUNCTION smart_groups.create_group(text, text, boolean);
DROP FUNCTION smart_groups.create_group(text, jsonb, boolean);
DROP FUNCTION smart_groups.create_static_group(text);
DROP FUNCTION smart_groups_internal._set_rules(text, jsonb);
DROP FUNCTION smart_groups.set_rules(text, text);
DROP FUNCTION smart_groups.set_rules(text, jsonb);
DROP FUNCTION smart_groups.rename_group(text, text);
DROP FUNCTION smart_groups.activate_group(text);
DROP FUNCTION smart_groups.deactivate_group(text);
DROP FUNCTION smart_groups_internal._group_id(text);
DROP FUNCTION smart_groups.member_count(text);
DROP FUNCTION smart_groups.archive_group(text);
DROP FUNCTION smart_groups.restore_group(text);
DROP FUNCTION smart_groups.drop_group(text);
DROP FUNCTION smart_groups_internal._user_keys(text[]);
DROP FUNCTION smart_groups_internal._override_group(text, text, boolean);
DROP FUNCTION smart_groups_internal._include(text, text, text[]);
DROP FUNCTION smart_groups_internal._uninclude(text, text, text[]);
DROP FUNCTION smart_groups.add_members(text, anyarray);
DROP FUNCTION smart_groups.remove_members(text, anyarray);
DROP FUNCTION smart_groups.include(text, anyelement);
DROP FUNCTION smart_groups.uninclude(text, anyelement);
DROP FUNCTION smart_groups.include(text, text);
DROP FUNCTION smart_groups.uninclude(text, text);
DROP FUNCTION smart_groups_internal._exclude(text, text, text, text);
DROP FUNCTION smart_groups.exclude(text, anyelement, text, text);
DROP FUNCTION smart_groups.exclude(text, text, text, text);
DROP FUNCTION smart_groups_internal._unexclude(text, text);
DROP FUNCTION smart_groups.unexclude(text, anyelement);
DROP FUNCTION smart_groups.unexclude(text, text);
DROP FUNCTION smart_groups.recalculate(text);
DROP FUNCTION smart_groups_internal._preview_count(jsonb);
DROP FUNCTION smart_groups.preview_count(text);
DROP FUNCTION smart_groups.preview_count(jsonb);
DROP FUNCTION smart_groups_internal._preview_sql(jsonb);
DROP FUNCTION smart_groups_internal._preview_change_sql(text, jsonb);
DROP FUNCTION smart_groups.explain(text, anyelement);
DROP FUNCTION smart_groups.explain(text, text);
DROP FUNCTION smart_groups.attach_users(regclass);
DROP FUNCTION smart_groups.define_custom_field(text, text, text[]);
DROP FUNCTION smart_groups.drop_custom_field(text);
DROP FUNCTION smart_groups_internal._normalize(text);
DROP FUNCTION smart_groups_internal._group_predicate(jsonb, text);
DROP FUNCTION smart_groups_internal._rules_valid(jsonb, text);
DROP FUNCTION smart_groups_internal._check_rules(jsonb, text);
DROP FUNCTION smart_groups_internal._deps(jsonb, text);
DROP FUNCTION smart_groups_internal._time_keys_sql(jsonb, text);
DROP FUNCTION smart_groups_internal._target_sql(bigint, text, jsonb);
DROP FUNCTION smart_groups_internal._explain(text, text);

-- The time refresh's query for one active group, from the backend's state (the benchmark's
-- S7 counts due users with it).
CREATE  FUNCTION smart_groups_internal."_time_keys_sql"(
	"gid" bigint /* i64 */
) RETURNS TEXT /* Option < String > */
STRICT VOLATILE PARALLEL UNSAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', '_time_keys_sql_of_wrapper';

CREATE  FUNCTION smart_groups_internal."_normalize"(
	"rules" text, /* Option < Text > */
	"tenant" text DEFAULT NULL /* Option < Text > */
) RETURNS jsonb /* Option < JsonB > */
STABLE PARALLEL SAFE  
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'normalize_text_in_wrapper';

CREATE  FUNCTION smart_groups_internal."_group_predicate"(
	"rules" jsonb, /* RulesJson */
	"group_name" text, /* Option < Text > */
	"tenant" text DEFAULT NULL /* Option < Text > */
) RETURNS TEXT /* String */
STABLE PARALLEL SAFE  
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'group_predicate_in_wrapper';

CREATE  FUNCTION smart_groups_internal."_rules_valid"(
	"rules" jsonb, /* Option < RulesJson > */
	"group_name" text, /* Option < Text > */
	"tenant" text DEFAULT NULL /* Option < Text > */
) RETURNS bool /* Option < bool > */
STABLE  
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'rules_valid_in_wrapper';

CREATE  FUNCTION smart_groups_internal."_check_rules"(
	"rules" jsonb, /* RulesJson */
	"group_name" text, /* Option < Text > */
	"tenant" text DEFAULT NULL /* Option < Text > */
) RETURNS void
STABLE  
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'check_rules_in_wrapper';

CREATE  FUNCTION smart_groups_internal."_deps"(
	"rules" jsonb, /* Option < RulesJson > */
	"group_name" text, /* Option < Text > */
	"tenant" text DEFAULT NULL /* Option < Text > */
) RETURNS jsonb /* Option < JsonB > */
STABLE  
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'deps_in_wrapper';

CREATE  FUNCTION smart_groups_internal."_target_sql"(
	"gid" bigint, /* i64 */
	"name" text, /* crate :: args :: Text */
	"rules" jsonb, /* Option < crate :: args :: RulesJson > */
	"tenant" text DEFAULT NULL /* Option < crate :: args :: Text > */
) RETURNS TEXT /* String */
STABLE  
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'target_sql_in_wrapper';

CREATE  FUNCTION smart_groups_internal."_explain"(
	"name" text, /* crate :: args :: Text */
	"key" text, /* crate :: args :: Text */
	"tenant" text DEFAULT NULL /* Option < crate :: args :: Text > */
) RETURNS TABLE (
	"path" TEXT,  /* String */
	"rule" TEXT,  /* String */
	"actual" TEXT,  /* Option < String > */
	"result" bool  /* bool */
)
 
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'explain_in_wrapper';

-- The tenant an API call addresses (docs/reference/tenants.md): NULL without a tenant column;
-- else the `tenant` argument, or the session's smart_groups.tenant, as the tenant column's
-- type prints it. With the tenant policies enabled (set_tenant_security), the session's
-- tenant is the only one a call may address.
CREATE FUNCTION smart_groups_internal._tenant(tenant text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    cfg     smart_groups.config := smart_groups_internal._config();
    setting text := nullif(current_setting('smart_groups.tenant', true), '');
    t       text;
BEGIN
    IF cfg.tenant_column IS NULL THEN
        IF tenant IS NOT NULL THEN
            RAISE EXCEPTION 'the users table has no tenant column'
                USING ERRCODE = '22023',
                      HINT = 'attach it with smart_groups.attach_users(..., tenant_column => ...) to use tenants';
        END IF;
        RETURN NULL;
    END IF;
    t := coalesce(tenant, setting);
    IF t IS NULL THEN
        RAISE EXCEPTION 'no tenant given'
            USING ERRCODE = '22023',
                  HINT = 'pass tenant => ..., or SET smart_groups.tenant for the session';
    END IF;
    IF smart_groups_internal._tenant_security() AND t IS DISTINCT FROM setting THEN
        RAISE EXCEPTION 'tenant "%" is not this session''s tenant', t
            USING ERRCODE = '42501',
                  HINT = 'with the tenant policies enabled, calls address the tenant in smart_groups.tenant';
    END IF;
    BEGIN
        EXECUTE format('SELECT $1::%s::text', smart_groups_internal._column_type(cfg.users_table, cfg.tenant_column))
           INTO t USING t;
    EXCEPTION WHEN data_exception THEN
        RAISE EXCEPTION 'tenant "%" is not a value of the tenant column "%"', t, cfg.tenant_column
            USING ERRCODE = '22023';
    END;
    RETURN t;
END $$;

-- Whether the tenant policies are enabled (set_tenant_security).
CREATE FUNCTION smart_groups_internal._tenant_security() RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT relrowsecurity FROM pg_class WHERE oid = 'smart_groups.groups'::regclass
$$;

-- The group named `name` in `tenant`, locked against concurrent lifecycle changes; 42704 if none.
CREATE FUNCTION smart_groups_internal._group(name text, tenant text) RETURNS smart_groups.groups
LANGUAGE plpgsql AS $$
DECLARE
    g smart_groups.groups;
    guess text;
BEGIN
    SELECT * INTO g FROM smart_groups.groups
     WHERE groups.name = _group.name AND groups.tenant IS NOT DISTINCT FROM _group.tenant FOR UPDATE;
    IF NOT FOUND THEN
        guess := smart_groups_internal._did_you_mean(coalesce(name, ''),
                     ARRAY(SELECT gg.name FROM smart_groups.groups gg
                            WHERE gg.tenant IS NOT DISTINCT FROM _group.tenant));
        RAISE EXCEPTION '%', format('unknown group "%s"%s%s', name,
              CASE WHEN tenant IS NOT NULL THEN format(' in tenant "%s"', tenant) ELSE '' END,
              CASE WHEN guess IS NOT NULL THEN format(' (did you mean "%s"?)', guess) ELSE '' END)
            USING ERRCODE = '42704', HINT = 'smart_groups.groups lists the groups';
    END IF;
    RETURN g;
END $$;

CREATE FUNCTION smart_groups_internal._check_new_name(name text, tenant text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    other smart_groups.groups;
BEGIN
    IF name IS NULL OR btrim(name) = '' OR name <> btrim(name) THEN
        RAISE EXCEPTION 'invalid group name "%"', name
            USING ERRCODE = '42602', HINT = 'a group name is non-empty and has no leading or trailing spaces';
    END IF;
    PERFORM smart_groups_internal._require_utf8('the group name', name);
    -- Notifications carry the name, and a NOTIFY payload is limited (src/live/pending.rs).
    IF length(name) > 200 THEN
        RAISE EXCEPTION 'group name is too long (% characters)', length(name)
            USING ERRCODE = '42622', HINT = 'a group name has at most 200 characters';
    END IF;
    SELECT * INTO other FROM smart_groups.groups g
     WHERE g.name = _check_new_name.name AND g.tenant IS NOT DISTINCT FROM _check_new_name.tenant;
    IF FOUND THEN
        RAISE EXCEPTION '%', format('group "%s" already exists%s%s', name,
              CASE WHEN tenant IS NOT NULL THEN format(' in tenant "%s"', tenant) ELSE '' END,
              CASE WHEN other.status = 'archived' THEN ' (archived)' ELSE '' END)
            USING ERRCODE = '23505',
                  HINT = CASE WHEN other.status = 'archived'
                              THEN 'names stay taken by archived groups: restore and rename that group, or choose another name'
                              WHEN tenant IS NOT NULL THEN 'group names are unique within a tenant'
                              ELSE 'group names are unique' END;
    END IF;
END $$;

-- Active smart groups whose rules name group `gid` with member_of.
CREATE FUNCTION smart_groups_internal._dependants(gid bigint, only_active boolean DEFAULT true)
RETURNS SETOF smart_groups.groups
LANGUAGE sql STABLE AS $$
    SELECT g.* FROM smart_groups.groups g
     WHERE g.kind = 'smart' AND (NOT only_active OR g.status = 'active')
       AND g.deps @> jsonb_build_object('groups', jsonb_build_array(gid))
     ORDER BY g.depth, g.id
$$;

-- Locks the groups that `rules` name in member_of (FOR SHARE, in id order) before the rules
-- are checked: drop_group, archive_group and deactivate_group take the named group's row FOR
-- UPDATE and then look for groups naming it, so either they wait for this transaction and
-- see its rules, or this waits for them and finds the group gone.
CREATE FUNCTION smart_groups_internal._lock_named(rules jsonb, tenant text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM smart_groups.groups g
     WHERE g.name IN (SELECT m #>> '{}' FROM jsonb_path_query(_lock_named.rules, 'lax $.**.member_of') m)
       AND g.tenant IS NOT DISTINCT FROM _lock_named.tenant
     ORDER BY g.id FOR SHARE;
END $$;

CREATE FUNCTION smart_groups_internal._new_group(name text, kind text, rules jsonb, active boolean, tenant text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    gid bigint;
BEGIN
    PERFORM smart_groups_internal._config();
    -- The maintenance lock before any row lock, as every path takes them (sql/maintain.sql).
    PERFORM smart_groups_internal._maintenance_lock();
    PERFORM smart_groups_internal._check_new_name(name, tenant);
    IF rules IS NOT NULL THEN
        PERFORM smart_groups_internal._lock_named(rules, tenant);
        PERFORM smart_groups_internal._check_rules(rules, name, tenant);
    END IF;
    -- No other group names a new one: only its own depth is new, one more than the deepest
    -- group it names (whose depths are right already). Recomputing every group's depth instead
    -- took 12 ms a group at a few thousand groups.
    INSERT INTO smart_groups.groups (name, kind, status, rules, rules_text, deps, depth, tenant)
    SELECT name, kind, CASE WHEN active THEN 'active' ELSE 'inactive' END, rules,
           CASE WHEN rules IS NOT NULL THEN smart_groups.to_text(rules) END,
           d.deps,
           coalesce((SELECT 1 + max(o.depth) FROM smart_groups.groups o
                      WHERE o.id IN (SELECT e::bigint FROM jsonb_array_elements_text(d.deps -> 'groups') e)), 0),
           tenant
      FROM (SELECT CASE WHEN rules IS NOT NULL THEN smart_groups_internal._deps(rules, name, tenant)
                        ELSE '{}'::jsonb END AS deps) d
    RETURNING id INTO gid;
    -- Ids do not repeat unless someone resets the sequence; then what a dropped group of the
    -- same id left behind must go first.
    PERFORM smart_groups_internal._discard_rows(gid);
    IF active THEN
        PERFORM smart_groups_internal._refresh(gid, 'rules_change');
    END IF;
    RETURN gid;
END $$;

-- Every function addressing a group takes `tenant` last: with a tenant column, the group's
-- tenant (else the session's smart_groups.tenant); without one, NULL (_tenant).
CREATE FUNCTION smart_groups.create_group(name text, rules text, active boolean DEFAULT true, tenant text DEFAULT NULL) RETURNS bigint
LANGUAGE sql AS $$ SELECT smart_groups_internal._new_group(name, 'smart', smart_groups_internal._normalize(rules, smart_groups_internal._tenant(tenant)), active, smart_groups_internal._tenant(tenant)) $$;

CREATE FUNCTION smart_groups.create_group(name text, rules jsonb, active boolean DEFAULT true, tenant text DEFAULT NULL) RETURNS bigint
LANGUAGE sql AS $$ SELECT smart_groups_internal._new_group(name, 'smart', smart_groups_internal._normalize(rules), active, smart_groups_internal._tenant(tenant)) $$;

CREATE FUNCTION smart_groups.create_static_group(name text, tenant text DEFAULT NULL) RETURNS bigint
LANGUAGE sql AS $$ SELECT smart_groups_internal._new_group(name, 'static', NULL, true, smart_groups_internal._tenant(tenant)) $$;

CREATE FUNCTION smart_groups_internal._set_rules(name text, rules jsonb, tenant text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    g smart_groups.groups;
BEGIN
    -- The maintenance lock before any row lock, as every path takes them (sql/maintain.sql).
    PERFORM smart_groups_internal._maintenance_lock();
    g := smart_groups_internal._group(name, tenant);
    IF g.kind <> 'smart' THEN
        RAISE EXCEPTION 'group "%" is a static group and has no rules', g.name
            USING ERRCODE = '42809', HINT = 'create a smart group with smart_groups.create_group()';
    END IF;
    PERFORM smart_groups_internal._lock_named(rules, tenant);
    PERFORM smart_groups_internal._check_rules(rules, g.name, tenant);
    UPDATE smart_groups.groups
       SET rules = _set_rules.rules, rules_text = smart_groups.to_text(_set_rules.rules),
           deps = smart_groups_internal._deps(_set_rules.rules, g.name, _set_rules.tenant), updated_at = now(), time_refreshed_at = now()
     WHERE id = g.id;
    PERFORM smart_groups_internal._recompute_depths();
    PERFORM smart_groups_internal._refresh(g.id, 'rules_change');
END $$;

CREATE FUNCTION smart_groups.set_rules(name text, rules text, tenant text DEFAULT NULL) RETURNS void
LANGUAGE sql AS $$ SELECT smart_groups_internal._set_rules(name, smart_groups_internal._normalize(rules, smart_groups_internal._tenant(tenant)), smart_groups_internal._tenant(tenant)) $$;

CREATE FUNCTION smart_groups.set_rules(name text, rules jsonb, tenant text DEFAULT NULL) RETURNS void
LANGUAGE sql AS $$ SELECT smart_groups_internal._set_rules(name, smart_groups_internal._normalize(rules), smart_groups_internal._tenant(tenant)) $$;

CREATE FUNCTION smart_groups.rename_group(name text, new_name text, tenant text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    g smart_groups.groups := smart_groups_internal._group(name, smart_groups_internal._tenant(tenant));
BEGIN
    IF new_name IS NOT DISTINCT FROM g.name THEN
        RETURN;
    END IF;
    PERFORM smart_groups_internal._check_new_name(new_name, g.tenant);
    -- Rules that name this group follow the rename, so dependants keep working.
    UPDATE smart_groups.groups d
       SET rules = smart_groups_internal._rename_member_of(d.rules, g.name, new_name),
           rules_text = smart_groups.to_text(smart_groups_internal._rename_member_of(d.rules, g.name, new_name)),
           updated_at = now()
      FROM smart_groups_internal._dependants(g.id, false) dep
     WHERE d.id = dep.id;
    UPDATE smart_groups.groups SET name = new_name, updated_at = now() WHERE id = g.id;
END $$;

CREATE FUNCTION smart_groups.activate_group(name text, tenant text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    g smart_groups.groups;
BEGIN
    -- The maintenance lock before any row lock, as every path takes them (sql/maintain.sql).
    PERFORM smart_groups_internal._maintenance_lock();
    g := smart_groups_internal._group(name, smart_groups_internal._tenant(tenant));
    IF g.status = 'archived' THEN
        RAISE EXCEPTION 'group "%" is archived', g.name
            USING ERRCODE = '55000', HINT = 'restore it first with smart_groups.restore_group()';
    END IF;
    IF g.status = 'active' THEN
        RETURN;
    END IF;
    IF g.kind = 'smart' THEN
        PERFORM smart_groups_internal._lock_named(g.rules, g.tenant);
        PERFORM smart_groups_internal._check_rules(g.rules, g.name, g.tenant);
    END IF;
    UPDATE smart_groups.groups SET status = 'active', updated_at = now(), time_refreshed_at = now() WHERE id = g.id;
    PERFORM smart_groups_internal._discard_rows(g.id);
    PERFORM smart_groups_internal._refresh(g.id, 'group_change');
END $$;

CREATE FUNCTION smart_groups.deactivate_group(name text, tenant text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    g smart_groups.groups;
BEGIN
    -- The maintenance lock before any row lock, as every path takes them (sql/maintain.sql).
    PERFORM smart_groups_internal._maintenance_lock();
    g := smart_groups_internal._group(name, smart_groups_internal._tenant(tenant));
    IF g.status = 'archived' THEN
        RAISE EXCEPTION 'group "%" is archived', g.name USING ERRCODE = '55000';
    END IF;
    IF g.status = 'inactive' THEN
        RETURN;
    END IF;
    PERFORM smart_groups_internal._refuse_if_named(g, 'deactivate');
    UPDATE smart_groups.groups SET status = 'inactive', updated_at = now() WHERE id = g.id;
    PERFORM smart_groups_internal._clear(g);
END $$;

-- A group's id by name, for functions that only read (no row lock, unlike _group); an
-- unknown name raises _group's error.
CREATE FUNCTION smart_groups_internal._group_id(name text, tenant text) RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
DECLARE
    gid bigint;
BEGIN
    SELECT g.id INTO gid FROM smart_groups.groups g
     WHERE g.name = _group_id.name AND g.tenant IS NOT DISTINCT FROM _group_id.tenant;
    IF NOT FOUND THEN
        PERFORM smart_groups_internal._group(name, tenant);
    END IF;
    RETURN gid;
END $$;

-- How many members a group has, exactly and without counting them (see member_counts).
CREATE FUNCTION smart_groups.member_count(name text, tenant text DEFAULT NULL) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT smart_groups_internal._member_count(smart_groups_internal._group_id(name, smart_groups_internal._tenant(tenant)))
$$;

CREATE FUNCTION smart_groups.archive_group(name text, tenant text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    g smart_groups.groups;
BEGIN
    -- The maintenance lock before any row lock, as every path takes them (sql/maintain.sql).
    PERFORM smart_groups_internal._maintenance_lock();
    g := smart_groups_internal._group(name, smart_groups_internal._tenant(tenant));
    IF g.status = 'archived' THEN
        RETURN;
    END IF;
    PERFORM smart_groups_internal._refuse_if_named(g, 'archive');
    UPDATE smart_groups.groups SET status = 'archived', updated_at = now() WHERE id = g.id;
    PERFORM smart_groups_internal._clear(g);
END $$;

-- A restored group comes back inactive, so that restoring is instant whatever its size;
-- activate_group() brings its members back.
CREATE FUNCTION smart_groups.restore_group(name text, tenant text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    g smart_groups.groups := smart_groups_internal._group(name, smart_groups_internal._tenant(tenant));
BEGIN
    IF g.status <> 'archived' THEN
        RAISE EXCEPTION 'group "%" is not archived', g.name USING ERRCODE = '55000';
    END IF;
    UPDATE smart_groups.groups SET status = 'inactive', updated_at = now() WHERE id = g.id;
END $$;

CREATE FUNCTION smart_groups.drop_group(name text, tenant text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    g smart_groups.groups;
BEGIN
    -- The maintenance lock before any row lock, as every path takes them (sql/maintain.sql).
    PERFORM smart_groups_internal._maintenance_lock();
    g := smart_groups_internal._group(name, smart_groups_internal._tenant(tenant));
    PERFORM smart_groups_internal._refuse_if_named(g, 'drop');
    IF g.status = 'active' AND smart_groups_internal._has_members(g.id) THEN
        PERFORM smart_groups_internal._log_reset(g.id);
        INSERT INTO smart_groups.member_garbage (group_id) VALUES (g.id) ON CONFLICT DO NOTHING;
    END IF;
    DELETE FROM smart_groups.member_counts WHERE group_id = g.id;
    DELETE FROM smart_groups.groups WHERE id = g.id;
END $$;

-- Keys given by the caller, as text, after checking they are users (23503 otherwise).
-- A user of another tenant is no user of the group's tenant (`tenant`: the group's).
CREATE FUNCTION smart_groups_internal._user_keys(keys text[], tenant text) RETURNS text[]
LANGUAGE plpgsql STABLE AS $$
DECLARE
    cfg     smart_groups.config := smart_groups_internal._config();
    missing text;
BEGIN
    IF keys IS NULL OR array_position(keys, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'user keys must not be NULL' USING ERRCODE = '22004';
    END IF;
    EXECUTE format('SELECT string_agg(k, '', '') FROM (SELECT DISTINCT k FROM unnest($1) k'
                   ' WHERE NOT EXISTS (SELECT 1 FROM %s u WHERE u.%I = k::%s%s) ORDER BY k LIMIT 10) s',
                   smart_groups_internal._qname(cfg.users_table), cfg.key_column, cfg.key_type,
                   CASE WHEN tenant IS NOT NULL AND cfg.tenant_column IS NOT NULL
                        THEN format(' AND u.%I::text = $2', cfg.tenant_column) ELSE '' END)
       INTO missing USING keys, tenant;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'no such user%: %',
              CASE WHEN tenant IS NOT NULL THEN format(' in tenant "%s"', tenant) ELSE '' END, missing
            USING ERRCODE = '23503', HINT = format('keys are values of %s.%I', cfg.users_table, cfg.key_column);
    END IF;
    RETURN keys;
END $$;

-- The group `name` for a manual override: checked first without a lock (so that a wrong
-- name or kind is reported before anything waits), then, once the caller holds the
-- advisory and user locks (_lock_for), read again FOR UPDATE: every path takes the group
-- row after those, so an override and a writer never wait for each other in opposite
-- orders. `kind`: the kind the function is for (static: add/remove_members, smart:
-- include/exclude), or NULL for either.
CREATE FUNCTION smart_groups_internal._override_group(name text, kind text, locked boolean, tenant text) RETURNS smart_groups.groups
LANGUAGE plpgsql AS $$
DECLARE
    g smart_groups.groups;
BEGIN
    IF locked THEN
        g := smart_groups_internal._group(name, tenant);
    ELSE
        SELECT * INTO g FROM smart_groups.groups
         WHERE groups.name = _override_group.name AND groups.tenant IS NOT DISTINCT FROM _override_group.tenant;
        IF NOT FOUND THEN
            PERFORM smart_groups_internal._group(name, tenant);
        END IF;
    END IF;
    IF kind = 'static' AND g.kind <> 'static' THEN
        RAISE EXCEPTION 'group "%" is a smart group', g.name
            USING ERRCODE = '42809', HINT = 'add users to a smart group with smart_groups.include()';
    END IF;
    IF kind = 'smart' AND g.kind <> 'smart' THEN
        RAISE EXCEPTION 'group "%" is a static group', g.name
            USING ERRCODE = '42809', HINT = 'use smart_groups.add_members() and remove_members() for static groups';
    END IF;
    RETURN g;
END $$;

CREATE FUNCTION smart_groups_internal._include(name text, kind text, keys text[], tenant text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    cfg smart_groups.config := smart_groups_internal._config();
    g   smart_groups.groups := smart_groups_internal._override_group(name, kind, false, tenant);
    r   record;
BEGIN
    keys := smart_groups_internal._user_keys(keys, tenant);
    PERFORM smart_groups_internal._lock_for(keys);
    -- Again under the users' row locks: a move to another tenant committed meanwhile.
    IF tenant IS NOT NULL THEN
        PERFORM smart_groups_internal._user_keys(keys, tenant);
    END IF;
    g := smart_groups_internal._override_group(name, kind, true, tenant);
    EXECUTE format('INSERT INTO smart_groups.inclusions (group_id, user_key)'
                   ' SELECT $1, k::%s FROM unnest($2) k ON CONFLICT DO NOTHING', cfg.key_type)
      USING g.id, keys;
    r := smart_groups_internal._refresh(g.id, 'inclusion', keys);
    RETURN r.joined;
END $$;

CREATE FUNCTION smart_groups_internal._uninclude(name text, kind text, keys text[], tenant text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    cfg smart_groups.config := smart_groups_internal._config();
    g   smart_groups.groups := smart_groups_internal._override_group(name, kind, false, tenant);
    r   record;
BEGIN
    PERFORM smart_groups_internal._lock_for(keys);
    g := smart_groups_internal._override_group(name, kind, true, tenant);
    EXECUTE format('DELETE FROM smart_groups.inclusions WHERE group_id = $1 AND user_key = ANY ($2::%s[])', cfg.key_type)
      USING g.id, keys;
    r := smart_groups_internal._refresh(g.id, 'inclusion', keys);
    RETURN r."left";
END $$;

CREATE FUNCTION smart_groups.add_members(name text, keys anyarray, tenant text DEFAULT NULL) RETURNS bigint
LANGUAGE sql AS $$ SELECT smart_groups_internal._include(name, 'static', keys::text[], smart_groups_internal._tenant(tenant)) $$;

CREATE FUNCTION smart_groups.remove_members(name text, keys anyarray, tenant text DEFAULT NULL) RETURNS bigint
LANGUAGE sql AS $$ SELECT smart_groups_internal._uninclude(name, 'static', keys::text[], smart_groups_internal._tenant(tenant)) $$;

CREATE FUNCTION smart_groups.include(name text, key anyelement, tenant text DEFAULT NULL) RETURNS void
LANGUAGE sql AS $$ SELECT smart_groups_internal._include(name, 'smart', ARRAY[key::text], smart_groups_internal._tenant(tenant)) $$;

-- A key as text: an untyped literal ('42', as drivers send parameters) resolves to these
-- rather than failing to determine the polymorphic type; the key is cast to the users key type
-- where it is used, as the typed versions' keys are. (An untyped array literal for
-- add_members would be ambiguous between anyarray and text[]: arrays take a typed literal.)
CREATE FUNCTION smart_groups.include(name text, key text, tenant text DEFAULT NULL) RETURNS void
LANGUAGE sql AS $$ SELECT smart_groups_internal._include(name, 'smart', ARRAY[key], smart_groups_internal._tenant(tenant)) $$;

CREATE FUNCTION smart_groups.uninclude(name text, key anyelement, tenant text DEFAULT NULL) RETURNS void
LANGUAGE sql AS $$ SELECT smart_groups_internal._uninclude(name, 'smart', ARRAY[key::text], smart_groups_internal._tenant(tenant)) $$;

CREATE FUNCTION smart_groups.uninclude(name text, key text, tenant text DEFAULT NULL) RETURNS void
LANGUAGE sql AS $$ SELECT smart_groups_internal._uninclude(name, 'smart', ARRAY[key], smart_groups_internal._tenant(tenant)) $$;

CREATE FUNCTION smart_groups_internal._exclude(name text, key text, reason text, note text, tenant text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    g   smart_groups.groups := smart_groups_internal._override_group(name, NULL, false, tenant);
    cfg smart_groups.config := smart_groups_internal._config();
    keys text[] := smart_groups_internal._user_keys(ARRAY[key], tenant);
BEGIN
    IF reason IS NULL OR reason NOT IN ('does_not_represent_criteria', 'already_addressed', 'data_quality', 'other') THEN
        RAISE EXCEPTION 'unknown exclusion reason "%"', reason
            USING ERRCODE = '22023',
                  HINT = 'reasons: does_not_represent_criteria, already_addressed, data_quality, other';
    END IF;
    IF reason = 'other' AND nullif(btrim(note), '') IS NULL THEN
        RAISE EXCEPTION 'an exclusion for reason "other" needs a note' USING ERRCODE = '23502',
            HINT = 'say why in note => ''...''';
    END IF;
    PERFORM smart_groups_internal._lock_for(keys);
    IF tenant IS NOT NULL THEN
        PERFORM smart_groups_internal._user_keys(keys, tenant);
    END IF;
    g := smart_groups_internal._override_group(name, NULL, true, tenant);
    EXECUTE format('INSERT INTO smart_groups.exclusions AS e (group_id, user_key, reason, note)'
                   ' VALUES ($1, $2::%s, $3, $4) ON CONFLICT (group_id, user_key)'
                   ' DO UPDATE SET reason = excluded.reason, note = excluded.note, created_at = now(),'
                   ' created_by = current_user', cfg.key_type)
      USING g.id, key, reason, note;
    PERFORM smart_groups_internal._refresh(g.id, 'exclusion', keys);
END $$;

CREATE FUNCTION smart_groups.exclude(name text, key anyelement, reason text, note text DEFAULT NULL, tenant text DEFAULT NULL) RETURNS void
LANGUAGE sql AS $$ SELECT smart_groups_internal._exclude(name, key::text, reason, note, smart_groups_internal._tenant(tenant)) $$;

CREATE FUNCTION smart_groups.exclude(name text, key text, reason text, note text DEFAULT NULL, tenant text DEFAULT NULL) RETURNS void
LANGUAGE sql AS $$ SELECT smart_groups_internal._exclude(name, key, reason, note, smart_groups_internal._tenant(tenant)) $$;

CREATE FUNCTION smart_groups_internal._unexclude(name text, key text, tenant text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    g   smart_groups.groups := smart_groups_internal._override_group(name, NULL, false, tenant);
    cfg smart_groups.config := smart_groups_internal._config();
    n   bigint;
BEGIN
    PERFORM smart_groups_internal._lock_for(ARRAY[key]);
    g := smart_groups_internal._override_group(name, NULL, true, tenant);
    EXECUTE format('DELETE FROM smart_groups.exclusions WHERE group_id = $1 AND user_key = $2::%s', cfg.key_type)
      USING g.id, key;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n = 0 THEN
        RAISE EXCEPTION 'user % is not excluded from group "%"', key, g.name USING ERRCODE = '42704';
    END IF;
    PERFORM smart_groups_internal._refresh(g.id, 'exclusion', ARRAY[key]);
END $$;

CREATE FUNCTION smart_groups.unexclude(name text, key anyelement, tenant text DEFAULT NULL) RETURNS void
LANGUAGE sql AS $$ SELECT smart_groups_internal._unexclude(name, key::text, smart_groups_internal._tenant(tenant)) $$;

CREATE FUNCTION smart_groups.unexclude(name text, key text, tenant text DEFAULT NULL) RETURNS void
LANGUAGE sql AS $$ SELECT smart_groups_internal._unexclude(name, key, smart_groups_internal._tenant(tenant)) $$;

CREATE FUNCTION smart_groups.recalculate(name text, tenant text DEFAULT NULL) RETURNS TABLE (joined bigint, "left" bigint)
LANGUAGE plpgsql AS $$
DECLARE
    g smart_groups.groups;
BEGIN
    -- The maintenance lock before any row lock, as every path takes them (sql/maintain.sql).
    PERFORM smart_groups_internal._maintenance_lock();
    g := smart_groups_internal._group(name, smart_groups_internal._tenant(tenant));
    RETURN QUERY SELECT * FROM smart_groups_internal._refresh(g.id, 'recalculate');
    PERFORM smart_groups_internal._recount(g.id);
END $$;

CREATE FUNCTION smart_groups_internal._preview_count(rules jsonb, tenant text) RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
DECLARE
    cfg smart_groups.config := smart_groups_internal._config();
    n   bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM %s u WHERE %s', smart_groups_internal._qname(cfg.users_table),
                   smart_groups_internal._group_predicate(rules, NULL, tenant)) INTO n;
    RETURN n;
END $$;

CREATE FUNCTION smart_groups.preview_count(rules text, tenant text DEFAULT NULL) RETURNS bigint
LANGUAGE sql STABLE AS $$ SELECT smart_groups_internal._preview_count(smart_groups_internal._normalize(rules, smart_groups_internal._tenant(tenant)), smart_groups_internal._tenant(tenant)) $$;

CREATE FUNCTION smart_groups.preview_count(rules jsonb, tenant text DEFAULT NULL) RETURNS bigint
LANGUAGE sql STABLE AS $$ SELECT smart_groups_internal._preview_count(smart_groups_internal._normalize(rules), smart_groups_internal._tenant(tenant)) $$;

CREATE FUNCTION smart_groups_internal._preview_sql(rules jsonb, tenant text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    cfg smart_groups.config := smart_groups_internal._config();
BEGIN
    RETURN format('SELECT u.%I FROM %s u WHERE %s ORDER BY 1', cfg.key_column,
                  smart_groups_internal._qname(cfg.users_table), smart_groups_internal._group_predicate(rules, NULL, tenant));
END $$;

-- What set_rules(name, rules) would do to the group's members; for an inactive group, what
-- activating it with those rules would do.
CREATE FUNCTION smart_groups_internal._preview_change_sql(name text, rules jsonb, tenant text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    g smart_groups.groups;
BEGIN
    SELECT * INTO g FROM smart_groups.groups
     WHERE groups.name = _preview_change_sql.name AND groups.tenant IS NOT DISTINCT FROM _preview_change_sql.tenant;
    IF NOT FOUND THEN
        PERFORM smart_groups_internal._group(name, tenant);
    END IF;
    IF g.kind <> 'smart' THEN
        PERFORM smart_groups_internal._override_group(name, 'smart', false, tenant);
    END IF;
    PERFORM smart_groups_internal._check_rules(rules, g.name, g.tenant);
    RETURN format(
        'WITH target AS (%s), cur AS (SELECT user_key FROM smart_groups.members WHERE group_id = %s)'
        ' SELECT k, ''join'' FROM target t WHERE NOT EXISTS (SELECT 1 FROM cur c WHERE c.user_key = t.k)'
        ' UNION ALL'
        ' SELECT user_key, ''leave'' FROM cur c WHERE NOT EXISTS (SELECT 1 FROM target t WHERE t.k = c.user_key)'
        ' ORDER BY 2, 1',
        smart_groups_internal._target_sql(g.id, g.name, rules, g.tenant), g.id);
END $$;

CREATE FUNCTION smart_groups.explain(name text, key anyelement, tenant text DEFAULT NULL)
RETURNS TABLE (path text, rule text, actual text, result boolean)
LANGUAGE sql AS $$ SELECT * FROM smart_groups_internal._explain(name, key::text, smart_groups_internal._tenant(tenant)) $$;

CREATE FUNCTION smart_groups.explain(name text, key text, tenant text DEFAULT NULL)
RETURNS TABLE (path text, rule text, actual text, result boolean)
LANGUAGE sql AS $$ SELECT * FROM smart_groups_internal._explain(name, key, smart_groups_internal._tenant(tenant)) $$;

-- `tenant_column`: the column saying which tenant a user belongs to, when the app keeps many
-- tenants' users in one table (docs/reference/tenants.md).
CREATE FUNCTION smart_groups.attach_users(users_table regclass, tenant_column name DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    pk_cols  name[];
    pk_type  text;
    new_type text;
    clash    text;
    cur      smart_groups.config;
    tenant_type text;
BEGIN
    PERFORM smart_groups_internal._check_table(users_table);
    IF tenant_column IS NOT NULL THEN
        tenant_type := smart_groups_internal._column_type(users_table, tenant_column);
        IF tenant_type NOT IN ('text', 'character varying', 'smallint', 'integer', 'bigint') THEN
            RAISE EXCEPTION 'tenant column "%" of % has type %', tenant_column, users_table, tenant_type
                USING ERRCODE = '42804', HINT = 'a tenant column is text, varchar, smallint, integer or bigint';
        END IF;
    END IF;
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
    IF FOUND AND (cur.users_table <> users_table OR cur.key_column <> pk_cols[1] OR cur.key_type <> new_type
                  OR cur.tenant_column IS DISTINCT FROM tenant_column)
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
    -- Custom fields of one tenant are for tenants only.
    IF tenant_column IS NULL AND EXISTS (SELECT 1 FROM smart_groups.custom_fields f WHERE f.tenant IS NOT NULL) THEN
        RAISE EXCEPTION 'custom fields are defined for tenants, and % has no tenant column', users_table
            USING ERRCODE = '55006', HINT = 'drop those custom fields first, or name the tenant column';
    END IF;
    INSERT INTO smart_groups.config AS c (users_table, key_column, key_type, tenant_column)
    VALUES (users_table, pk_cols[1], new_type, tenant_column)
    ON CONFLICT (singleton) DO UPDATE
       SET users_table = excluded.users_table, key_column = excluded.key_column,
           key_type = excluded.key_type, tenant_column = excluded.tenant_column, attached_at = now();
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

-- `tenant`: the tenant the field is for; NULL, every tenant (docs/reference/tenants.md).
CREATE FUNCTION smart_groups.define_custom_field(key text, type text, allowed text[] DEFAULT NULL,
                                                 tenant text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    cfg smart_groups.config := smart_groups_internal._config();
BEGIN
    IF tenant IS NOT NULL THEN
        tenant := smart_groups_internal._tenant(tenant);
    ELSE
        PERFORM smart_groups_internal._every_tenant('define');
    END IF;
    IF cfg.custom_table IS NULL THEN
        RAISE EXCEPTION 'no custom-field table is attached' USING ERRCODE = '55000',
            HINT = 'call smart_groups.attach_custom_fields(...) first';
    END IF;
    IF key IS NULL OR btrim(key) = '' OR key <> btrim(key) THEN
        RAISE EXCEPTION 'invalid custom field key "%"', key USING ERRCODE = '42602',
            HINT = 'a key is non-empty and has no leading or trailing spaces';
    END IF;
    PERFORM smart_groups_internal._require_utf8('the custom field key', key);
    PERFORM smart_groups_internal._require_utf8('an allowed value', a) FROM unnest(allowed) a;
    IF type IS NULL OR type NOT IN ('text', 'number', 'date', 'timestamp', 'boolean', 'enum') THEN
        RAISE EXCEPTION 'unknown custom field type "%"', type USING ERRCODE = '22023',
            HINT = 'custom field types: text, number, date, timestamp, boolean, enum';
    END IF;
    IF type = 'enum' AND (allowed IS NULL OR cardinality(allowed) = 0) THEN
        RAISE EXCEPTION 'enum custom field "%" needs allowed values', key USING ERRCODE = '22023',
            HINT = 'pass allowed => ''{A,B,C}''';
    END IF;
    IF type <> 'enum' AND allowed IS NOT NULL THEN
        RAISE EXCEPTION 'allowed values are only for enum custom fields' USING ERRCODE = '22023';
    END IF;
    IF type = 'enum' AND (array_position(allowed, NULL) IS NOT NULL
                          OR cardinality(allowed) <> (SELECT count(DISTINCT v) FROM unnest(allowed) v)) THEN
        RAISE EXCEPTION 'allowed values of "%" must be distinct and not NULL', key USING ERRCODE = '22023';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = cfg.users_table AND a.attname = key
                  AND a.attnum > 0 AND NOT a.attisdropped) THEN
        RAISE EXCEPTION 'custom field "%" collides with column "%" of %', key, key, cfg.users_table
            USING ERRCODE = '42701', HINT = 'field names are unique: choose another key';
    END IF;
    -- A key is every tenant's or some tenants' own: rules of any tenant name one field by it.
    -- Definitions of custom fields go one after the other: two of one key (for a tenant and for
    -- every tenant) conflict in a way the unique constraint cannot see.
    PERFORM pg_advisory_xact_lock(1936159858, 4);   -- taken by nothing else (docs/design/lock-protocol.md)
    IF EXISTS (SELECT 1 FROM smart_groups.custom_fields f
                WHERE f.key = define_custom_field.key
                  AND (f.tenant IS NULL OR define_custom_field.tenant IS NULL OR f.tenant = define_custom_field.tenant)) THEN
        RAISE EXCEPTION '%', format('custom field "%s" already exists%s', key,
                                    CASE WHEN tenant IS NOT NULL THEN format(' for tenant "%s" or every tenant', tenant) ELSE '' END)
            USING ERRCODE = '42710';
    END IF;
    INSERT INTO smart_groups.custom_fields (key, type, allowed, tenant) VALUES (key, type, allowed, tenant);
    PERFORM smart_groups_internal._bump_epoch();
END $$;

CREATE FUNCTION smart_groups.drop_custom_field(key text, tenant text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF tenant IS NOT NULL THEN
        tenant := smart_groups_internal._tenant(tenant);
    ELSE
        PERFORM smart_groups_internal._every_tenant('drop');
    END IF;
    DELETE FROM smart_groups.custom_fields f
     WHERE f.key = drop_custom_field.key AND f.tenant IS NOT DISTINCT FROM drop_custom_field.tenant;
    IF NOT FOUND THEN
        RAISE EXCEPTION '%', format('unknown custom field "%s"%s', key,
                                    CASE WHEN tenant IS NOT NULL THEN format(' of tenant "%s"', tenant) ELSE '' END)
            USING ERRCODE = '42704';
    END IF;
    PERFORM smart_groups_internal._bump_epoch();
    PERFORM smart_groups_internal._convert_broken_groups(format('custom field "%s" was dropped', key));
END $$;

-- Enables (or disables) row-level security on the tables the tenant policies are on. Only the
-- extension's owner may: it changes what every role reads.
CREATE FUNCTION smart_groups.set_tenant_security(enabled boolean) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    t text;
BEGIN
    IF enabled IS NULL THEN
        RAISE EXCEPTION 'enabled must be true or false' USING ERRCODE = '22004';
    END IF;
    FOREACH t IN ARRAY ARRAY['groups', 'custom_fields', 'member_rows', 'member_counts', 'inclusions',
                             'exclusions', 'membership_changes', 'membership_resets'] LOOP
        EXECUTE format('ALTER TABLE smart_groups.%I %s ROW LEVEL SECURITY', t,
                       CASE WHEN enabled THEN 'ENABLE' ELSE 'DISABLE' END);
    END LOOP;
    UPDATE smart_groups.config SET tenant_security = enabled;
END $$;

-- Whether a group of `tenant` is the session's business: always, unless the tenant policies
-- are enabled; then only the session's tenant's groups (the functions that span groups run
-- with the owner's rights, which the policies do not bind).
CREATE FUNCTION smart_groups_internal._visible(tenant text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT NOT smart_groups_internal._tenant_security()
        OR tenant = nullif(current_setting('smart_groups.tenant', true), '')
$$;

-- With the tenant policies enabled, a field of every tenant is a superuser's business only: a
-- tenant's admin defines and drops fields of its own tenant. The caller is the session's role
-- (SET ROLE's, else the session user): inside this SECURITY DEFINER call current_user is the
-- extension's owner.
CREATE FUNCTION smart_groups_internal._every_tenant(action text) RETURNS void
LANGUAGE plpgsql STABLE AS $$
DECLARE
    caller text := CASE WHEN current_setting('role') = 'none' THEN session_user::text
                        ELSE current_setting('role') END;
BEGIN
    IF smart_groups_internal._tenant_security()
       AND NOT coalesce((SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = caller), false) THEN
        RAISE EXCEPTION 'cannot % a custom field of every tenant while the tenant policies are enabled', action
            USING ERRCODE = '42501', HINT = 'pass tenant => the session''s tenant';
    END IF;
END $$;

CREATE OR REPLACE FUNCTION smart_groups_internal._refuse_if_named(g smart_groups.groups, action text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    names text;
BEGIN
    SELECT string_agg(format('"%s"', d.name), ', ' ORDER BY d.name) INTO names
      FROM smart_groups_internal._dependants(g.id, false) d;
    IF names IS NOT NULL THEN
        RAISE EXCEPTION 'cannot % group "%": other groups name it in member_of: %', action, g.name, names
            USING ERRCODE = '2BP01', HINT = 'change or drop those groups first';
    END IF;
END $$;

CREATE OR REPLACE FUNCTION smart_groups.recalculate_all() RETURNS TABLE (group_name text, joined bigint, "left" bigint)
LANGUAGE plpgsql AS $$
DECLARE
    g smart_groups.groups;
    r record;
BEGIN
    PERFORM smart_groups_internal._maintenance_lock();
    FOR g IN SELECT * FROM smart_groups_internal._groups_in_order() o
              WHERE o.status = 'active' AND smart_groups_internal._visible(o.tenant) LOOP
        PERFORM smart_groups_internal._group(g.name, g.tenant);
        r := smart_groups_internal._refresh(g.id, 'recalculate');
        PERFORM smart_groups_internal._recount(g.id);
        group_name := g.name;
        joined := r.joined;
        "left" := r."left";
        RETURN NEXT;
    END LOOP;
END $$;

-- Differences between a group's stored members and a fresh evaluation.
CREATE OR REPLACE FUNCTION smart_groups_internal._verify_sql(g smart_groups.groups) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    target text;
BEGIN
    IF g.status = 'active' AND (g.kind = 'static' OR smart_groups_internal._rules_valid(g.rules, g.name, g.tenant)) THEN
        target := smart_groups_internal._target_sql(g.id, g.name, CASE WHEN g.kind = 'smart' THEN g.rules END, g.tenant);
    ELSE
        target := format('SELECT user_key AS k FROM smart_groups.members WHERE false');
    END IF;
    RETURN format(
        'WITH target AS (%1$s), cur AS (SELECT user_key FROM smart_groups.members WHERE group_id = %2$s)'
        ' SELECT %3$L::text, t.k, ''missing'' FROM target t WHERE NOT EXISTS (SELECT 1 FROM cur c WHERE c.user_key = t.k)'
        ' UNION ALL'
        ' SELECT %3$L::text, c.user_key, CASE WHEN %4$L = ''active'' THEN ''unexpected'' ELSE ''member of an inactive group'' END'
        ' FROM cur c WHERE NOT EXISTS (SELECT 1 FROM target t WHERE t.k = c.user_key)',
        target, g.id, g.name, g.status);
END $$;

-- After a column, custom field, table or foreign key was dropped, or a column retyped: groups
-- whose rules no longer validate become static groups holding their current members, and say
-- so.
CREATE OR REPLACE FUNCTION smart_groups_internal._convert_broken_groups(cause text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    g smart_groups.groups;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM smart_groups.config) THEN
        RETURN;
    END IF;
    FOR g IN SELECT * FROM smart_groups.groups WHERE kind = 'smart' ORDER BY id LOOP
        IF NOT smart_groups_internal._rules_valid(g.rules, g.name, g.tenant) THEN
            INSERT INTO smart_groups.inclusions (group_id, user_key)
            SELECT group_id, user_key FROM smart_groups.members WHERE group_id = g.id
            ON CONFLICT DO NOTHING;
            -- A static group reads nothing: the triggers must not look for what its rules named.
            UPDATE smart_groups.groups SET kind = 'static', deps = '{}', depth = 0, updated_at = now()
             WHERE id = g.id;
            RAISE NOTICE 'group "%" became a static group holding its % current members: %', g.name,
                (SELECT count(*) FROM smart_groups.members WHERE group_id = g.id), cause
                USING HINT = 'its former rules are kept in smart_groups.groups.rules';
        END IF;
    END LOOP;
    PERFORM smart_groups_internal._recompute_depths();
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
            UPDATE smart_groups.config SET tenant_column = r.new WHERE tenant_column = r.old;
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
        UPDATE smart_groups.groups x SET deps = smart_groups_internal._deps(x.rules, x.name, x.tenant)
         WHERE x.kind = 'smart' AND smart_groups_internal._rules_valid(x.rules, x.name, x.tenant);
    END IF;
END $$;

-- The functions that return users return them in the users key's own type, so they are
-- (re)created by attach_users() once that type is known.
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
        CREATE FUNCTION smart_groups.preview(rules text, tenant text DEFAULT NULL) RETURNS SETOF %1$s
        LANGUAGE plpgsql STABLE AS $b$
        DECLARE
            t text := smart_groups_internal._tenant(tenant);
        BEGIN
            RETURN QUERY EXECUTE smart_groups_internal._preview_sql(smart_groups_internal._normalize(rules, t), t);
        END $b$;
        CREATE FUNCTION smart_groups.preview(rules jsonb, tenant text DEFAULT NULL) RETURNS SETOF %1$s
        LANGUAGE plpgsql STABLE AS $b$
        BEGIN
            RETURN QUERY EXECUTE smart_groups_internal._preview_sql(smart_groups_internal._normalize(rules),
                                                                    smart_groups_internal._tenant(tenant));
        END $b$;
        CREATE FUNCTION smart_groups.preview_change(name text, rules text, tenant text DEFAULT NULL)
        RETURNS TABLE (user_key %1$s, change text)
        LANGUAGE plpgsql STABLE AS $b$
        DECLARE
            t text := smart_groups_internal._tenant(tenant);
        BEGIN
            RETURN QUERY EXECUTE smart_groups_internal._preview_change_sql(name, smart_groups_internal._normalize(rules, t), t);
        END $b$;
        CREATE FUNCTION smart_groups.preview_change(name text, rules jsonb, tenant text DEFAULT NULL)
        RETURNS TABLE (user_key %1$s, change text)
        LANGUAGE plpgsql STABLE AS $b$
        BEGIN
            RETURN QUERY EXECUTE smart_groups_internal._preview_change_sql(name, smart_groups_internal._normalize(rules),
                                                                           smart_groups_internal._tenant(tenant));
        END $b$;
        CREATE FUNCTION smart_groups.verify() RETURNS TABLE (group_name text, user_key %1$s, problem text)
        LANGUAGE plpgsql STABLE AS $b$
        DECLARE
            g smart_groups.groups;
        BEGIN
            FOR g IN SELECT * FROM smart_groups.groups gr WHERE smart_groups_internal._visible(gr.tenant) ORDER BY id LOOP
                RETURN QUERY EXECUTE smart_groups_internal._verify_sql(g);
                RETURN QUERY
                    SELECT g.name, NULL::%1$s, format('member_count() says %%s, the group has %%s members', c.kept, c.real)
                      FROM (SELECT smart_groups_internal._member_count(g.id) AS kept,
                                   smart_groups_internal._counted_members(g.id) AS real) c
                     WHERE c.kept <> c.real;
            END LOOP;
            -- A dropped group keeps rows only while it awaits the cleanup (member_garbage),
            -- which the members view relies on, as for an inactive group above. The group ids
            -- in member_rows are found by skipping through its primary key, a probe per group.
            RETURN QUERY
                WITH RECURSIVE ids(id) AS (
                    SELECT min(r.group_id) FROM smart_groups.member_rows r
                    UNION ALL
                    SELECT (SELECT min(r.group_id) FROM smart_groups.member_rows r WHERE r.group_id > ids.id)
                      FROM ids WHERE ids.id IS NOT NULL)
                SELECT format('(dropped group %%s)', ids.id), NULL::%1$s,
                       'rows left in member_rows, not marked for the cleanup'
                  FROM ids
                 WHERE ids.id IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM smart_groups.groups gr WHERE gr.id = ids.id)
                   AND NOT EXISTS (SELECT 1 FROM smart_groups.member_garbage x WHERE x.group_id = ids.id);
        END $b$;
        -- Membership over time (README "Membership over time"): replayed from the log, a
        -- group's rows through its (group_id, at) index, a user's through the user index;
        -- a reset (every member left at once) ends what came before it.
        CREATE FUNCTION smart_groups.members_at(group_name text, at timestamptz, tenant text DEFAULT NULL)
        RETURNS SETOF %1$s
        LANGUAGE plpgsql STABLE AS $b$
        DECLARE
            gid bigint := smart_groups_internal._group_id(group_name, smart_groups_internal._tenant(tenant));
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
             WHERE e.change = 'join' AND smart_groups_internal._visible(g.tenant)
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
             WHERE (NOT s.reset OR s.before = 'join') AND smart_groups_internal._visible(g.tenant)
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

-- The views depend on the type of user_key, which attach_users() changes: they are dropped and
-- made again around that change, so their definitions live in one function.
CREATE OR REPLACE FUNCTION smart_groups_internal._create_views(in_extension_script boolean) RETURNS void
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

-- Epochs from a sequence, never repeated even after a rollback (sql/schema.sql).
CREATE SEQUENCE smart_groups_internal.epoch_seq;
SELECT pg_catalog.setval('smart_groups_internal.epoch_seq',
                         (extract(epoch FROM clock_timestamp()) * 1000000)::bigint);
ALTER TABLE smart_groups.config
    ALTER COLUMN catalog_epoch SET DEFAULT nextval('smart_groups_internal.epoch_seq');

-- The catalog's part read from the system catalogs is kept while only groups change
-- (src/catalog_load.rs): its own epoch, which a change of groups does not move.
ALTER TABLE smart_groups.config ADD COLUMN tables_epoch bigint NOT NULL
    DEFAULT nextval('smart_groups_internal.epoch_seq');

CREATE OR REPLACE FUNCTION smart_groups_internal._bump_epoch() RETURNS void
LANGUAGE sql AS $$
    UPDATE smart_groups.config
       SET catalog_epoch = nextval('smart_groups_internal.epoch_seq'),
           tables_epoch = nextval('smart_groups_internal.epoch_seq')
$$;

CREATE OR REPLACE FUNCTION smart_groups_internal._on_groups_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE smart_groups.config SET catalog_epoch = nextval('smart_groups_internal.epoch_seq');
    RETURN NULL;
END $$;

-- After pg_dump / pg_restore (or psql) into a new database: CREATE EXTENSION made the tables
-- with text keys and without the functions that return keys, then the dump's data went in.
-- Gives the keys their type again and makes those functions, as attach_users() did.
CREATE OR REPLACE FUNCTION smart_groups_internal._repair_after_restore() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    cfg    smart_groups.config;
    retype boolean;
BEGIN
    SELECT * INTO cfg FROM smart_groups.config;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    retype := EXISTS (SELECT 1 FROM pg_attribute a
                       WHERE a.attrelid = 'smart_groups.member_rows'::regclass AND a.attname = 'user_key'
                         AND format_type(a.atttypid, NULL) <> cfg.key_type);
    PERFORM smart_groups_internal._keys_as(cfg.key_type, retype);
    IF retype THEN
        PERFORM smart_groups_internal._bump_epoch();
    END IF;
    IF NOT EXISTS (SELECT 1 FROM smart_groups.attached_columns) THEN
        PERFORM smart_groups_internal._snapshot_columns();
    END IF;
    -- A restore makes the tables anew, with row-level security off.
    IF cfg.tenant_security AND NOT smart_groups_internal._tenant_security() THEN
        PERFORM smart_groups.set_tenant_security(true);
    END IF;
END $$;

-- COMMENT ON every function, table, view and column of the API schema (\df+ and \d+ show
-- them). Run at the end of the extension script and again wherever the functions and views
-- that carry the users key's type are made anew (attach_users).
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
        ('set_tenant_security', 'Enables (true) or disables the shipped tenant policies: roles then see only the tenant named by smart_groups.tenant'),
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
        ('config', 'tenant_column', 'The users table''s tenant column, if users belong to tenants'),
        ('config', 'tenant_security', 'Whether the tenant policies are enabled (set_tenant_security)'),
        ('config', 'tables_epoch', 'Moves with catalog_epoch except when only groups change, so that backends keep what they read of the attached tables'),
        ('custom_fields', NULL, 'The custom fields rules may name'),
        ('custom_fields', 'key', 'The field''s key in the custom-field table, and its name in rules'),
        ('custom_fields', 'type', 'text, number, date, timestamp, boolean or enum'),
        ('custom_fields', 'allowed', 'The allowed values of an enum field'),
        ('custom_fields', 'tenant', 'The tenant the field is for; NULL: every tenant'),
        ('custom_fields', 'created_at', 'When the field was defined'),
        ('relations', NULL, 'The related tables rules reach with "has"'),
        ('relations', 'name', 'The relation''s name in rules'),
        ('relations', 'table_name', 'The attached table'),
        ('relations', 'user_column', 'Its column holding the users key'),
        ('relations', 'created_at', 'When the relation was attached'),
        ('groups', NULL, 'Every group, archived ones included (names stay taken)'),
        ('groups', 'id', 'The group''s id, as in members, memberships and the log'),
        ('groups', 'name', 'The group''s name, unique within its tenant'),
        ('groups', 'kind', 'smart (membership from rules) or static (members added by hand)'),
        ('groups', 'status', 'active (membership kept), inactive (rules kept, no members) or archived'),
        ('groups', 'rules', 'The ruleset as canonical JSON (a static group keeps the rules it had)'),
        ('groups', 'rules_text', 'The ruleset in the text form'),
        ('groups', 'deps', 'What the rules read: columns, custom fields, relations, groups (maintenance uses it)'),
        ('groups', 'depth', 'How deep the group is in "member of" chains (maintenance order)'),
        ('groups', 'time_refreshed_at', 'Relative-time boundaries up to this time are applied'),
        ('groups', 'created_at', 'When the group was created'),
        ('groups', 'updated_at', 'When the group last changed'),
        ('groups', 'tenant', 'The tenant the group belongs to (NULL without a tenant column); names are unique within it'),
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
        ('members', 'tenant', 'The group''s tenant'),
        ('memberships', NULL, 'The members of every active group, with the group''s name'),
        ('memberships', 'group_id', 'The group'),
        ('memberships', 'group_name', 'The group''s name'),
        ('memberships', 'user_key', 'The member, in the users key''s type'),
        ('memberships', 'since', 'When the user joined'),
        ('memberships', 'tenant', 'The group''s tenant'),
        ('membership_log', NULL, 'Every join and leave, a row per user (a NULL user_key: every member left at once)'),
        ('membership_log', 'id', 'The change (shared by the users of one statement''s change to one group)'),
        ('membership_log', 'group_id', 'The group'),
        ('membership_log', 'user_key', 'The user'),
        ('membership_log', 'change', 'join or leave'),
        ('membership_log', 'cause', 'user_change, rules_change, time, exclusion, inclusion, group_change or recalculate'),
        ('membership_log', 'at', 'When'),
        ('membership_log', 'tenant', 'The group''s tenant'),
        ('excluded', NULL, 'Users excluded by hand from smart groups, with the group''s name'),
        ('excluded', 'group_id', 'The group'),
        ('excluded', 'group_name', 'The group''s name'),
        ('excluded', 'user_key', 'The user, in the users key''s type'),
        ('excluded', 'reason', 'does_not_represent_criteria, already_addressed, data_quality or other'),
        ('excluded', 'note', 'Why (required for other)'),
        ('excluded', 'created_at', 'When the user was excluded'),
        ('excluded', 'created_by', 'Who excluded the user'),
        ('excluded', 'tenant', 'The group''s tenant'),
        ('included', NULL, 'Users included by hand into smart groups, with the group''s name (a static group''s members are in memberships)'),
        ('included', 'group_id', 'The group'),
        ('included', 'group_name', 'The group''s name'),
        ('included', 'user_key', 'The user, in the users key''s type'),
        ('included', 'created_at', 'When the user was included'),
        ('included', 'tenant', 'The group''s tenant'),
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

SELECT smart_groups_internal._create_views(true);
GRANT SELECT ON smart_groups.members, smart_groups.memberships, smart_groups.membership_log,
                smart_groups.excluded, smart_groups.included
   TO smart_groups_reader;

-- Tenant policies (docs/reference/tenants.md): shipped with every table that holds groups,
-- membership, overrides or history, and in force once the app enables them
-- (set_tenant_security): a role then sees and changes only the rows of the tenant its
-- session names in smart_groups.tenant. The extension's own maintenance runs as the tables'
-- owner, which the policies do not bind.
CREATE POLICY tenant_rows ON smart_groups.groups
    USING (tenant = current_setting('smart_groups.tenant', true));
CREATE POLICY tenant_rows ON smart_groups.custom_fields
    USING (tenant IS NULL OR tenant = current_setting('smart_groups.tenant', true));
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['member_rows', 'member_counts', 'inclusions', 'exclusions',
                             'membership_changes', 'membership_resets'] LOOP
        EXECUTE format('CREATE POLICY tenant_rows ON smart_groups.%I USING (group_id IN ('
                       'SELECT g.id FROM smart_groups.groups g'
                       ' WHERE g.tenant = current_setting(''smart_groups.tenant'', true)))', t);
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
