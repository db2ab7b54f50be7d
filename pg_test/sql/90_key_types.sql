-- The users key may be integer, bigint, uuid or text: columns, references, custom fields,
-- relations and member_of all work with each.
SET search_path = app, public;
SET client_min_messages = warning;
DO $$ DECLARE g record; BEGIN FOR g IN SELECT name FROM smart_groups.groups ORDER BY depth DESC, id DESC LOOP PERFORM smart_groups.drop_group(g.name); END LOOP; END $$;
SELECT count(*) AS groups_left FROM smart_groups.groups;
CREATE FUNCTION key_case(key_type text, keys text[]) RETURNS TABLE (rule text, matched text)
LANGUAGE plpgsql AS $$
DECLARE
    r text;
    got text;
BEGIN
    PERFORM smart_groups.drop_group(name) FROM smart_groups.groups;
    EXECUTE 'DROP SCHEMA IF EXISTS kt CASCADE';
    EXECUTE 'CREATE SCHEMA kt';
    EXECUTE format('CREATE TABLE kt.users (id %1$s PRIMARY KEY, name text, boss_id %1$s REFERENCES kt.users (id))', key_type);
    EXECUTE format('CREATE TABLE kt.fv (uid %1$s NOT NULL, k text NOT NULL, v text)', key_type);
    EXECUTE format('CREATE TABLE kt.ev (uid %1$s NOT NULL, kind text)', key_type);
    EXECUTE format('INSERT INTO kt.users VALUES (%1$L, ''a'', NULL), (%2$L, ''b'', %1$L), (%3$L, ''c'', %2$L)',
                   keys[1], keys[2], keys[3]);
    EXECUTE format('INSERT INTO kt.fv VALUES (%1$L, ''level'', ''1''), (%2$L, ''level'', ''2''), (%3$L, ''level'', ''x'')',
                   keys[1], keys[2], keys[3]);
    EXECUTE format('INSERT INTO kt.ev VALUES (%1$L, ''click''), (%3$L, ''click''), (%3$L, ''open'')',
                   keys[1], keys[2], keys[3]);
    PERFORM smart_groups.attach_users('kt.users');
    PERFORM smart_groups.attach_custom_fields('kt.fv', user_column => 'uid', key_column => 'k', value_column => 'v');
    IF NOT EXISTS (SELECT 1 FROM smart_groups.custom_fields WHERE key = 'level') THEN
        PERFORM smart_groups.define_custom_field('level', 'number');
    END IF;
    IF NOT EXISTS (SELECT 1 FROM smart_groups.relations WHERE name = 'events_' || regexp_replace(key_type, '\W+', '_', 'g')) THEN
        PERFORM smart_groups.attach_relation('events_' || regexp_replace(key_type, '\W+', '_', 'g'), 'kt.ev', user_column => 'uid');
    END IF;
    PERFORM smart_groups.create_static_group('K');
    EXECUTE format('SELECT smart_groups.add_members(''K'', ARRAY[%L::%s])', keys[3], key_type);
    FOREACH r IN ARRAY ARRAY['name = "b"', 'boss.name = "a"', 'boss.boss.name is empty', 'level >= 1',
                             'level is empty',
                             format('has events_%s where kind = "click"', regexp_replace(key_type, '\W+', '_', 'g')),
                             format('has at least 2 events_%s', regexp_replace(key_type, '\W+', '_', 'g')),
                             'member of "K"', 'not member of "K"']
    LOOP
        EXECUTE format('SELECT string_agg(u.name, '','' ORDER BY u.name) FROM kt.users u WHERE %s',
                       smart_groups.compile(r)) INTO got;
        rule := r;
        matched := coalesce(got, '');
        RETURN NEXT;
    END LOOP;
END $$;

SELECT * FROM key_case('integer', '{1,2,3}');
SELECT * FROM key_case('bigint', '{9000000000,9000000001,9000000002}');
-- The log's key arrays stay uncompressed whatever type they took.
SELECT format_type(atttypid, NULL) AS log_keys_type, attstorage FROM pg_attribute
 WHERE attrelid = 'smart_groups.membership_changes'::regclass AND attname = 'user_keys';
SELECT * FROM key_case('uuid', '{00000000-0000-0000-0000-00000000000a,00000000-0000-0000-0000-00000000000b,00000000-0000-0000-0000-00000000000c}');
SELECT * FROM key_case('text', '{alice,bob,carol}');
SELECT format_type(atttypid, NULL) AS members_key_type FROM pg_attribute
 WHERE attrelid = 'smart_groups.members'::regclass AND attname = 'user_key';
-- A key of another type is refused.
CREATE TABLE kt.bad (id numeric PRIMARY KEY);
SELECT try($$SELECT smart_groups.attach_users('kt.bad')$$);
CREATE TABLE kt.nokey (id integer);
SELECT try($$SELECT smart_groups.attach_users('kt.nokey')$$);
SELECT try($$SELECT smart_groups.attach_users('kt.missing')$$);

-- Every group function with each key type: functions that return users return the key's type.
CREATE FUNCTION group_case(key_type text, keys text[]) RETURNS TABLE (step text, outcome text)
LANGUAGE plpgsql AS $$
DECLARE
    k1 text := keys[1];
    k2 text := keys[2];
    k3 text := keys[3];
    v text;
BEGIN
    PERFORM key_case(key_type, keys);     -- fresh kt.users with this key type, attached
    PERFORM smart_groups.create_group('Bs', 'name = "b" or boss.name = "b"');
    step := 'create_group'; outcome := members('Bs'); RETURN NEXT;
    -- Overrides on a group that reads no other user's row: those (Bs) are settled at commit,
    -- and this function is one transaction.
    PERFORM smart_groups.create_group('Bn', 'name in ("b", "c")');
    EXECUTE format('SELECT smart_groups.add_members(''K'', ARRAY[%L::%s, %L::%s])', k1, key_type, k2, key_type);
    EXECUTE format('SELECT smart_groups.remove_members(''K'', ARRAY[%L::%s])', k2, key_type);
    step := 'add/remove_members'; outcome := members('K'); RETURN NEXT;
    EXECUTE format('SELECT smart_groups.include(''Bn'', %L::%s)', k1, key_type);
    EXECUTE format('SELECT smart_groups.exclude(''Bn'', %L::%s, ''data_quality'')', k2, key_type);
    step := 'include/exclude'; outcome := members('Bn'); RETURN NEXT;
    EXECUTE format('SELECT smart_groups.unexclude(''Bn'', %L::%s)', k2, key_type);
    EXECUTE format('SELECT smart_groups.uninclude(''Bn'', %L::%s)', k1, key_type);
    step := 'unexclude/uninclude'; outcome := members('Bn'); RETURN NEXT;
    SELECT min(pg_typeof(p)::text) || ':' || string_agg(p::text, ',' ORDER BY p::text) INTO v
      FROM smart_groups.preview('name in ("a", "c")') p;
    step := 'preview'; outcome := v; RETURN NEXT;
    step := 'preview_count'; outcome := smart_groups.preview_count('name in ("a", "c")'); RETURN NEXT;
    SELECT string_agg(pg_typeof(c.user_key)::text || ':' || c.user_key::text || ' ' || c.change, ', ' ORDER BY c.change, c.user_key::text)
      INTO v FROM smart_groups.preview_change('Bs', 'name = "a"') c;
    step := 'preview_change'; outcome := v; RETURN NEXT;
    EXECUTE format('SELECT string_agg(path || ''='' || result, '' '' ORDER BY path) FROM smart_groups.explain(''Bs'', %L::%s)', k3, key_type) INTO v;
    step := 'explain'; outcome := v; RETURN NEXT;
    DELETE FROM smart_groups.members WHERE group_id = (SELECT id FROM smart_groups.groups WHERE name = 'Bs');
    SELECT string_agg(pg_typeof(f.user_key)::text || ':' || f.user_key::text || ' ' || f.problem, ', ' ORDER BY f.user_key::text)
      INTO v FROM smart_groups.verify() f;
    step := 'verify after corruption'; outcome := v; RETURN NEXT;
    SELECT r.joined || ' joined, ' || r."left" || ' left' INTO v FROM smart_groups.recalculate('Bs') r;
    step := 'recalculate'; outcome := v; RETURN NEXT;
    PERFORM smart_groups.archive_group('Bs');
    PERFORM smart_groups.restore_group('Bs');
    PERFORM smart_groups.activate_group('Bs');
    step := 'archive/restore/activate'; outcome := members('Bs'); RETURN NEXT;
    PERFORM smart_groups.set_rules('Bs', 'member of "K"');
    PERFORM smart_groups.rename_group('K', 'K2');
    step := 'set_rules/rename'; outcome := members('Bs') || ' ' || (SELECT rules_text FROM smart_groups.groups WHERE name = 'Bs'); RETURN NEXT;
    PERFORM * FROM smart_groups.recalculate_all();
    PERFORM smart_groups.drop_group('Bs');
    PERFORM smart_groups.drop_group('Bn');
    PERFORM smart_groups.drop_group('K2');
    step := 'verify at the end'; outcome := (SELECT count(*) FROM smart_groups.verify()) || ' problems, ' || (SELECT count(*) FROM smart_groups.groups) || ' groups'; RETURN NEXT;
END $$;

CREATE OR REPLACE FUNCTION members(g text) RETURNS text LANGUAGE sql AS $$
    SELECT coalesce(string_agg(m.user_key::text, ',' ORDER BY m.user_key::text), '')
      FROM smart_groups.memberships m WHERE m.group_name = g
$$;
SELECT * FROM group_case('integer', '{1,2,3}');
SELECT * FROM group_case('bigint', '{9000000000,9000000001,9000000002}');
SELECT * FROM group_case('uuid', '{00000000-0000-0000-0000-00000000000a,00000000-0000-0000-0000-00000000000b,00000000-0000-0000-0000-00000000000c}');
SELECT * FROM group_case('text', '{alice,bob,carol}');
-- A text key with a collation of its own: new groups' partitions take the membership table's.
SELECT * FROM group_case('text COLLATE "C"', '{alice,bob,carol}');

-- A group reading another user's row (boss.name) is settled as the transaction commits: an
-- override shows from then on, for a key written in any form its type reads.
SELECT count(*) FROM key_case('uuid', '{00000000-0000-0000-0000-00000000000a,00000000-0000-0000-0000-00000000000b,00000000-0000-0000-0000-00000000000c}');
SELECT smart_groups.create_group('Bs', 'name = "b" or boss.name = "b"') > 0 AS created;
SELECT members('Bs');
BEGIN;
SELECT smart_groups.include('Bs', '00000000-0000-0000-0000-00000000000A'::text);
SELECT smart_groups.exclude('Bs', '00000000-0000-0000-0000-00000000000B'::text, 'data_quality');
SELECT members('Bs');
COMMIT;
SELECT members('Bs');
UPDATE kt.users SET name = 'z' WHERE name = 'b';
SELECT members('Bs');
SELECT count(*) AS problems FROM smart_groups.verify();
-- Lifting an exclusion written in another form than the key type prints re-evaluates that
-- user by the rules (decided in Rust from the user's neighbourhood, found by either form).

UPDATE kt.users SET name = 'b' WHERE name = 'z';
SELECT members('Bs');
SELECT smart_groups.unexclude('Bs', '00000000-0000-0000-0000-00000000000B'::text);
SELECT smart_groups.uninclude('Bs', '00000000-0000-0000-0000-00000000000A'::text);
SELECT members('Bs');
SELECT count(*) AS problems FROM smart_groups.verify();
