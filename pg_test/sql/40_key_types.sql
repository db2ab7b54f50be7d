-- The users key may be integer, bigint, uuid or text: columns, references, custom fields,
-- relations and member_of all work with each.
SET search_path = app, public;
SET client_min_messages = warning;
SELECT smart_groups.drop_group(name) FROM smart_groups.groups ORDER BY id DESC;
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
    PERFORM smart_groups.attach_relation('events_' || replace(key_type, ' ', '_'), 'kt.ev', user_column => 'uid');
    PERFORM smart_groups.create_static_group('K');
    EXECUTE format('SELECT smart_groups.add_members(''K'', ARRAY[%L::%s])', keys[3], key_type);
    FOREACH r IN ARRAY ARRAY['name = "b"', 'boss.name = "a"', 'boss.boss.name is empty', 'level >= 1',
                             'level is empty',
                             format('has events_%s where kind = "click"', replace(key_type, ' ', '_')),
                             format('has at least 2 events_%s', replace(key_type, ' ', '_')),
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
