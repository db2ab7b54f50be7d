-- The app's schema changes on attached tables never make its own statements fail (README
-- "Schema changes"): a renamed column or table is followed (rules and their text form name
-- the new name), a column retyped to a type its rules no longer apply to or dropped, and a
-- dropped custom-field or relation table, turn the groups that read them into static groups
-- holding their members, with a NOTICE. After each change the app's INSERT, UPDATE and
-- DELETE on every attached table succeed and verify() is empty.
SET client_min_messages = notice;
DROP EXTENSION IF EXISTS smart_groups CASCADE;
DROP SCHEMA IF EXISTS sc CASCADE;
CREATE EXTENSION smart_groups;
CREATE SCHEMA sc;
SET search_path = sc, public;
CREATE TABLE users (id bigint PRIMARY KEY, name text, department text, level integer,
                    manager_id bigint REFERENCES users (id), note text);
CREATE TABLE fields (user_id bigint NOT NULL REFERENCES users (id), k text NOT NULL, v text,
                     PRIMARY KEY (user_id, k));
CREATE TABLE clicks (user_id bigint NOT NULL REFERENCES users (id), kind text);
INSERT INTO users VALUES (1, 'Ann', 'Sales', 5, NULL, NULL), (2, 'Bob', 'Ops', 2, 1, NULL),
                         (3, 'Cy', 'Sales', 1, 2, NULL);
INSERT INTO fields VALUES (1, 'shirt', 'L'), (2, 'shirt', 'M');
INSERT INTO clicks VALUES (1, 'buy'), (3, 'buy'), (3, 'view');
SELECT smart_groups.attach_users('sc.users');
SELECT smart_groups.attach_custom_fields('sc.fields', 'user_id', 'k', 'v');
SELECT smart_groups.define_custom_field('shirt', 'text');
SELECT smart_groups.attach_relation('clicks', 'sc.clicks', 'user_id');
SELECT smart_groups.create_group('Sales', 'department = "Sales"') > 0 AS created;
SELECT smart_groups.create_group('Boss in Sales', 'manager.department = "Sales"') > 0 AS created;
SELECT smart_groups.create_group('Senior', 'level >= 3') > 0 AS created;
SELECT smart_groups.create_group('Buyers', 'has clicks where kind = "buy"') > 0 AS created;
SELECT smart_groups.create_group('Large', 'shirt = "L"') > 0 AS created;
SELECT smart_groups.create_group('Managed', 'manager_id is not empty') > 0 AS created;
SELECT smart_groups.create_group('Under Ann', 'manager.name = "Ann" and member of "Managed"') > 0 AS created;

CREATE FUNCTION state() RETURNS TABLE (name text, kind text, rules text, members text)
LANGUAGE sql AS $$
    SELECT g.name, g.kind, g.rules_text,
           coalesce((SELECT string_agg(m.user_key::text, ',' ORDER BY m.user_key)
                       FROM smart_groups.members m WHERE m.group_id = g.id), '')
      FROM smart_groups.groups g ORDER BY g.id
$$;
-- What an app does on each attached table (named as they are now), then verify().
CREATE FUNCTION writes(users_t text, fields_t text, clicks_t text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('INSERT INTO %s (id, name) VALUES (100, ''Tmp'')', users_t);
    EXECUTE format('UPDATE %s SET name = ''Tmp2'' WHERE id = 100', users_t);
    IF fields_t IS NOT NULL THEN
        EXECUTE format('INSERT INTO %s VALUES (100, ''shirt'', ''L'')', fields_t);
        EXECUTE format('UPDATE %s SET k = k WHERE k = ''shirt''', fields_t);
        EXECUTE format('DELETE FROM %s WHERE k = ''shirt'' AND %s = 100', fields_t,
                       (SELECT attname FROM pg_attribute WHERE attrelid = fields_t::regclass AND attnum = 1));
    END IF;
    IF clicks_t IS NOT NULL THEN
        EXECUTE format('INSERT INTO %s VALUES (100, ''buy'')', clicks_t);
        EXECUTE format('DELETE FROM %s WHERE %s = 100', clicks_t,
                       (SELECT attname FROM pg_attribute WHERE attrelid = clicks_t::regclass AND attnum = 1));
    END IF;
    EXECUTE format('DELETE FROM %s WHERE id = 100', users_t);
    RETURN (SELECT count(*) FROM smart_groups.verify()) || ' problems';
END $$;
SELECT * FROM state();
SELECT writes('users', 'fields', 'clicks');

-- Renamed users columns: a plain one, then the reference column (manager.x becomes boss.x).
ALTER TABLE users RENAME COLUMN department TO dept;
SELECT writes('users', 'fields', 'clicks');
UPDATE users SET dept = 'Sales' WHERE id = 2;
ALTER TABLE users RENAME COLUMN manager_id TO boss_id;
SELECT writes('users', 'fields', 'clicks');
UPDATE users SET boss_id = 1 WHERE id = 3;
SELECT * FROM state();
SELECT * FROM smart_groups.fields WHERE source <> 'relation' ORDER BY name;

-- Renamed columns of the relation and of the custom-field table, then the tables themselves.
ALTER TABLE clicks RENAME COLUMN kind TO action;
ALTER TABLE clicks RENAME COLUMN user_id TO uid;
ALTER TABLE fields RENAME COLUMN v TO val;
ALTER TABLE fields RENAME COLUMN user_id TO uid;
SELECT writes('users', 'fields', 'clicks');
INSERT INTO clicks VALUES (2, 'buy');
INSERT INTO fields VALUES (3, 'shirt', 'L');
ALTER TABLE users RENAME TO people;
ALTER TABLE clicks RENAME TO events;
ALTER TABLE fields RENAME TO props;
SELECT writes('people', 'props', 'events');
DELETE FROM events WHERE uid = 1;
SELECT * FROM state();
SELECT custom_table, custom_user_column, custom_key_column, custom_value_column FROM smart_groups.config;
SELECT name, table_name, user_column FROM smart_groups.relations;

-- Types: a compatible change keeps the groups; one their operators do not take converts them.
ALTER TABLE people ALTER COLUMN level TYPE bigint;
SELECT writes('people', 'props', 'events');
ALTER TABLE people ALTER COLUMN level TYPE text USING level::text;
SELECT writes('people', 'props', 'events');
UPDATE people SET level = '9' WHERE id = 2;
-- New and dropped columns that no rule reads change nothing.
ALTER TABLE people ADD COLUMN extra integer;
ALTER TABLE people DROP COLUMN note;
SELECT writes('people', 'props', 'events');
SELECT * FROM state();

-- Dropping the reference column: its groups become static, and nothing left reads it.
ALTER TABLE people DROP COLUMN boss_id CASCADE;
SELECT writes('people', 'props', 'events');
INSERT INTO people (id, name, dept) VALUES (4, 'Di', 'Sales');
DELETE FROM people WHERE id = 4;
-- Dropping the relation's and the custom-field table.
DROP TABLE events;
SELECT writes('people', 'props', NULL);
DROP TABLE props;
SELECT writes('people', NULL, NULL);
UPDATE people SET dept = 'Ops' WHERE id = 3;
SELECT * FROM state();
SELECT name, deps FROM smart_groups.groups WHERE kind = 'static' ORDER BY id;
SELECT count(*) AS verify_problems FROM smart_groups.verify();

-- A renamed enum label that a group's rules name: the group becomes static, the app's writes
-- go on.
CREATE TYPE tier AS ENUM ('gold', 'silver');
ALTER TABLE people ADD COLUMN tier tier;
UPDATE people SET tier = 'gold' WHERE id = 1;
SELECT smart_groups.create_group('Gold', 'tier = "gold"') > 0 AS created;
ALTER TYPE tier RENAME VALUE 'gold' TO 'platinum';
UPDATE people SET tier = 'silver' WHERE id = 2;
INSERT INTO people (id, name, tier) VALUES (5, 'Ed', 'platinum');
SELECT name, kind, rules_text FROM smart_groups.groups WHERE name = 'Gold';
SELECT count(*) AS verify_problems FROM smart_groups.verify();

-- A relation whose user column is retyped so that it no longer compares with the users key is
-- detached, and its groups become static; the app's writes go on.
CREATE TABLE visits (user_id bigint NOT NULL, at timestamptz NOT NULL DEFAULT now());
INSERT INTO visits (user_id) VALUES (1), (3);
SELECT smart_groups.attach_relation('visits', 'sc.visits', 'user_id');
SELECT smart_groups.create_group('Visitors', 'has visits') > 0 AS created;
ALTER TABLE visits ALTER COLUMN user_id TYPE text USING user_id::text;
INSERT INTO visits (user_id) VALUES ('2');
DELETE FROM visits WHERE user_id = '1';
UPDATE people SET name = 'Cy2' WHERE id = 3;
SELECT name, kind, rules_text, (SELECT string_agg(m.user_key::text, ',' ORDER BY m.user_key)
                                  FROM smart_groups.members m WHERE m.group_id = g.id) AS members
  FROM smart_groups.groups g WHERE name = 'Visitors';
SELECT count(*) AS relations_left FROM smart_groups.relations WHERE name = 'visits';
SELECT count(*) AS verify_problems FROM smart_groups.verify();

-- The users key retyped to another type a key may have: the extension's keys follow; to one
-- it may not have, the ALTER is refused.
ALTER TABLE people ALTER COLUMN id TYPE numeric;
ALTER TABLE people ALTER COLUMN id TYPE text;
INSERT INTO people (id, name, dept) VALUES ('x7', 'Gil', 'Sales');
UPDATE people SET dept = 'Sales' WHERE id = '2';
SELECT smart_groups.create_group('Texts', 'dept = "Sales"') > 0 AS created;
SELECT format_type(atttypid, NULL) AS member_key_type FROM pg_attribute
 WHERE attrelid = 'smart_groups.member_rows'::regclass AND attname = 'user_key';
SELECT group_name, user_key FROM smart_groups.memberships WHERE group_name IN ('Sales', 'Texts') ORDER BY 1, 2;
SELECT count(*) AS verify_problems FROM smart_groups.verify();
