-- Attaching the application's tables (docs/reference/rules.md, "Fields").

CREATE VIEW smart_groups.fields AS SELECT * FROM smart_groups_internal._field_list();
COMMENT ON VIEW smart_groups.fields IS 'Every field a rule may name, with its type';

-- Raises 55000 unless a users table is attached; returns the config row.
CREATE FUNCTION smart_groups_internal._config() RETURNS smart_groups.config
LANGUAGE plpgsql STABLE AS $$
DECLARE
    cfg smart_groups.config;
BEGIN
    SELECT * INTO cfg FROM smart_groups.config;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no users table is attached'
            USING ERRCODE = '55000', HINT = 'call smart_groups.attach_users(''schema.table'') first';
    END IF;
    RETURN cfg;
END $$;

-- Raises 42703 unless `col` is a column of `rel`; returns its type name (domains resolved).
CREATE FUNCTION smart_groups_internal._column_type(rel regclass, col name) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    ty text;
BEGIN
    SELECT format_type(CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END, NULL)
      INTO ty
      FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
     WHERE a.attrelid = rel AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped;
    IF ty IS NULL THEN
        RAISE EXCEPTION 'column "%" does not exist in table %', col, rel USING ERRCODE = '42703';
    END IF;
    RETURN ty;
END $$;

CREATE FUNCTION smart_groups_internal._check_table(rel regclass) RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_class WHERE oid = rel AND relkind IN ('r', 'p')) THEN
        RAISE EXCEPTION '% is not a table', rel
            USING ERRCODE = '42809', HINT = 'attach a plain or partitioned table, not a view';
    END IF;
END $$;

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

-- Users keys of type `key_type` from now on: the extension's tables retyped (when `retype`)
-- and the functions that return keys made for that type (then, or when they are missing).
CREATE FUNCTION smart_groups_internal._keys_as(key_type text, retype boolean) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF retype THEN
        PERFORM smart_groups_internal._retype_keys(key_type);
    END IF;
    IF retype OR to_regprocedure('smart_groups.verify()') IS NULL THEN
        PERFORM smart_groups_internal._create_key_functions(key_type);
    END IF;
END $$;

-- Stores users keys in their own type everywhere the extension keeps them.
CREATE FUNCTION smart_groups_internal._retype_keys(key_type text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    t record;
BEGIN
    -- Rows left for the cleanup may hold keys of a previously attached table.
    DELETE FROM smart_groups.member_rows m
     WHERE NOT EXISTS (SELECT 1 FROM smart_groups.groups g WHERE g.id = m.group_id AND g.status = 'active');
    DELETE FROM smart_groups.member_garbage;
    ALTER EXTENSION smart_groups DROP VIEW smart_groups.members;
    ALTER EXTENSION smart_groups DROP VIEW smart_groups.memberships;
    ALTER EXTENSION smart_groups DROP VIEW smart_groups.membership_log;
    ALTER EXTENSION smart_groups DROP VIEW smart_groups.excluded;
    ALTER EXTENSION smart_groups DROP VIEW smart_groups.included;
    DROP VIEW smart_groups.members, smart_groups.memberships, smart_groups.membership_log,
              smart_groups.excluded, smart_groups.included;
    FOR t IN
        SELECT c.oid::regclass AS rel
          FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
         WHERE c.relnamespace = 'smart_groups'::regnamespace AND c.relkind IN ('r', 'p')
           AND a.attname = 'user_key' AND NOT a.attisdropped
           AND format_type(a.atttypid, NULL) <> key_type
    LOOP
        EXECUTE format('ALTER TABLE %s ALTER COLUMN user_key TYPE %s USING user_key::text::%s',
                       t.rel, key_type, key_type);
    END LOOP;
    -- A new type brings its default storage back (compressed): uncompressed again, see the
    -- table's definition.
    EXECUTE format('ALTER TABLE smart_groups.membership_changes ALTER COLUMN user_keys TYPE %s[] '
                   'USING user_keys::text[]::%s[], ALTER COLUMN user_keys SET STORAGE EXTERNAL',
                   key_type, key_type);
    PERFORM smart_groups_internal._create_views(false);
END $$;

-- After pg_dump / pg_restore (or psql) into a new database: CREATE EXTENSION made the tables
-- with text keys and without the functions that return keys, then the dump's data went in.
-- Gives the keys their type again and makes those functions, as attach_users() did.
CREATE FUNCTION smart_groups_internal._repair_after_restore() RETURNS void
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

-- Remembers the columns of the attached tables (see smart_groups.attached_columns).
CREATE FUNCTION smart_groups_internal._snapshot_columns() RETURNS void
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

-- After a column of an attached table changed type: a custom-field table whose value column
-- is no longer text, or whose user column no longer compares with the users key, and a
-- relation whose user column no longer does, are detached with a NOTICE (the groups reading
-- them then become static groups). Their triggers stay and do nothing.
CREATE FUNCTION smart_groups_internal._check_attachments() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    cfg   smart_groups.config := smart_groups_internal._config();
    users text := smart_groups_internal._qname(cfg.users_table);
    r     smart_groups.relations;
BEGIN
    IF cfg.custom_table IS NOT NULL THEN
        BEGIN
            IF smart_groups_internal._column_type(cfg.custom_table, cfg.custom_value_column)
               NOT IN ('text', 'character varying', 'citext') THEN
                RAISE EXCEPTION 'value column is no longer text';
            END IF;
            -- Planned, not run: fails when the columns no longer compare.
            EXECUTE format('EXPLAIN SELECT 1 FROM %s t JOIN %s u ON u.%I = t.%I WHERE t.%I = ''k''',
                           smart_groups_internal._qname(cfg.custom_table), users, cfg.key_column,
                           cfg.custom_user_column, cfg.custom_key_column);
        EXCEPTION WHEN others THEN
            UPDATE smart_groups.config SET custom_table = NULL, custom_user_column = NULL,
                   custom_key_column = NULL, custom_value_column = NULL;
            RAISE NOTICE 'custom-field table % was detached: its columns no longer fit (%)', cfg.custom_table, SQLERRM;
        END;
    END IF;
    FOR r IN SELECT * FROM smart_groups.relations ORDER BY name LOOP
        BEGIN
            EXECUTE format('EXPLAIN SELECT 1 FROM %s t JOIN %s u ON u.%I = t.%I',
                           smart_groups_internal._qname(r.table_name), users, cfg.key_column, r.user_column);
        EXCEPTION WHEN others THEN
            DELETE FROM smart_groups.relations WHERE name = r.name;
            RAISE NOTICE 'relation "%" was detached: its user column no longer compares with the users key (%)', r.name, SQLERRM;
        END;
    END LOOP;
    PERFORM smart_groups_internal._bump_epoch();
END $$;

-- At the end of an ALTER TABLE on an attached table: renamed columns are followed (the
-- attachment's column names, and every group's rules and their text form name the new
-- names), and groups whose rules no longer apply (a column retyped to a type their
-- operators do not take) become static groups holding their members, with a NOTICE. The
-- app's next statements on the table are then maintained as before.
CREATE FUNCTION smart_groups_internal._follow_schema_changes() RETURNS void
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

CREATE FUNCTION smart_groups.attach_custom_fields(
    custom_table regclass, user_column name, key_column name, value_column name)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    cfg smart_groups.config := smart_groups_internal._config();
    vt  text;
BEGIN
    PERFORM smart_groups_internal._check_table(custom_table);
    PERFORM smart_groups_internal._column_type(custom_table, user_column);
    PERFORM smart_groups_internal._column_type(custom_table, key_column);
    vt := smart_groups_internal._column_type(custom_table, value_column);
    IF vt NOT IN ('text', 'character varying', 'citext') THEN
        RAISE EXCEPTION 'value column "%" of % has type %', value_column, custom_table, vt
            USING ERRCODE = '42804', HINT = 'custom-field values must be stored as text';
    END IF;
    IF cfg.custom_table IS NOT NULL AND cfg.custom_table <> custom_table
       AND EXISTS (SELECT 1 FROM pg_class WHERE oid = cfg.custom_table) THEN
        PERFORM smart_groups_internal._drop_triggers(cfg.custom_table, 'custom');
    END IF;
    PERFORM smart_groups_internal._install_triggers(custom_table, 'custom');
    UPDATE smart_groups.config
       SET custom_table = attach_custom_fields.custom_table,
           custom_user_column = attach_custom_fields.user_column,
           custom_key_column = attach_custom_fields.key_column,
           custom_value_column = attach_custom_fields.value_column;
    PERFORM smart_groups_internal._snapshot_columns();
    PERFORM smart_groups_internal._bump_epoch();
END $$;

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

CREATE FUNCTION smart_groups.attach_relation(name text, relation_table regclass, user_column name)
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
