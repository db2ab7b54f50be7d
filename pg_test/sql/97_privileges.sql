-- Roles and privileges (README "Roles and privileges"): an app role holding only DML on its
-- own tables keeps writing them once they are attached, whatever groups are created later;
-- it cannot manage groups or read membership. smart_groups_reader reads and explains,
-- smart_groups_admin manages groups; attaching tables stays with the extension's owner.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS smart_groups CASCADE;
DROP SCHEMA IF EXISTS priv CASCADE;
DROP ROLE IF EXISTS sg_app;
DROP ROLE IF EXISTS sg_report;
DROP ROLE IF EXISTS sg_manager;
CREATE EXTENSION smart_groups;
CREATE SCHEMA priv;
CREATE TABLE priv.users (id bigint PRIMARY KEY, dept text, manager_id bigint REFERENCES priv.users (id));
CREATE TABLE priv.fields (user_id bigint NOT NULL REFERENCES priv.users (id), k text NOT NULL, v text,
                          PRIMARY KEY (user_id, k));
CREATE TABLE priv.clicks (user_id bigint NOT NULL REFERENCES priv.users (id), at timestamptz NOT NULL DEFAULT now());
INSERT INTO priv.users VALUES (1, 'Sales', NULL), (2, 'Ops', 1), (3, 'Ops', 1);
CREATE ROLE sg_app;
CREATE ROLE sg_report;
CREATE ROLE sg_manager;
GRANT USAGE ON SCHEMA priv TO sg_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA priv TO sg_app;
GRANT smart_groups_reader TO sg_report;
GRANT smart_groups_admin TO sg_manager;
GRANT USAGE ON SCHEMA priv TO sg_manager;

SELECT smart_groups.attach_users('priv.users');
SELECT smart_groups.attach_custom_fields('priv.fields', 'user_id', 'k', 'v');
SELECT smart_groups.define_custom_field('level', 'number');
SELECT smart_groups.attach_relation('clicks', 'priv.clicks', 'user_id');
SELECT smart_groups.create_group('Sales', 'dept = "Sales"') > 0 AS created;
SELECT smart_groups.create_group('Boss in Sales', 'manager.dept = "Sales"') > 0 AS created;
SELECT smart_groups.create_group('Senior', 'level >= 3') > 0 AS created;
SELECT smart_groups.create_group('Clickers', 'has clicks') > 0 AS created;
SELECT smart_groups.create_group('Both', 'member of "Sales" and member of "Clickers"') > 0 AS created;

-- The app writes every attached table.
SET ROLE sg_app;
INSERT INTO priv.users VALUES (4, 'Sales', 1);
UPDATE priv.users SET dept = 'Sales' WHERE id = 2;
UPDATE priv.users SET dept = 'Ops' WHERE id = 1;
INSERT INTO priv.fields VALUES (3, 'level', '5') ON CONFLICT (user_id, k) DO UPDATE SET v = excluded.v;
INSERT INTO priv.fields VALUES (3, 'level', '1') ON CONFLICT (user_id, k) DO UPDATE SET v = excluded.v;
INSERT INTO priv.fields VALUES (2, 'level', '4') ON CONFLICT (user_id, k) DO UPDATE SET v = excluded.v;
INSERT INTO priv.clicks (user_id) VALUES (2), (3);
DELETE FROM priv.clicks WHERE user_id = 3;
RESET ROLE;
-- A group created later changes nothing for the app.
SELECT smart_groups.create_group('Ops', 'dept = "Ops"') > 0 AS created;
SET ROLE sg_app;
UPDATE priv.users SET dept = 'Ops' WHERE id = 4;
INSERT INTO priv.users VALUES (5, 'Ops', 4);
DELETE FROM priv.fields WHERE user_id = 2;
DELETE FROM priv.users WHERE id = 5;
-- Nothing of the extension is the app's to call or read.
SELECT smart_groups.create_group('X', 'dept = "x"');
SELECT count(*) FROM smart_groups.memberships;
SELECT count(*) FROM smart_groups.members;
SELECT count(*) FROM smart_groups.member_rows;
SELECT smart_groups_internal._refresh(1, 'recalculate');
SELECT smart_groups_internal._note_changes(ARRAY[1::bigint], ARRAY[5::bigint], ARRAY[0::bigint]);
SELECT * FROM smart_groups.history(2);
SELECT * FROM smart_groups.members_at('Sales', now());
SELECT smart_groups.from_querybuilder('{"combinator": "and", "rules": []}');
SELECT count(*) FROM smart_groups.membership_resets;
RESET ROLE;
SELECT group_name, user_key FROM smart_groups.memberships ORDER BY 1, 2;
SELECT count(*) AS verify_problems FROM smart_groups.verify();

-- The reader reads and explains, and changes nothing.
SET ROLE sg_report;
SELECT group_name, user_key FROM smart_groups.memberships WHERE user_key = 2 ORDER BY 1;
SELECT group_id, user_key FROM smart_groups.members WHERE user_key = 2 ORDER BY 1;
SELECT path, rule, result FROM smart_groups.explain('Sales', 2);
SELECT smart_groups.member_count('Sales') AS sales;
SELECT smart_groups.preview_count('dept = "Ops"') AS ops;
SELECT group_name, change, cause FROM smart_groups.history(2) ORDER BY change_id;
SELECT * FROM smart_groups.members_at('Sales', now());
SELECT group_name FROM smart_groups.groups_of(2);
SELECT smart_groups.to_jsonlogic(smart_groups.from_querybuilder('{"combinator": "and", "rules": [{"field": "dept", "operator": "=", "value": "Ops"}]}'));
SELECT name, type FROM smart_groups.fields WHERE name IN ('dept', 'level') ORDER BY 1;
SELECT smart_groups.create_group('Y', 'dept = "y"');
SELECT smart_groups.exclude('Sales', 2, 'data_quality');
RESET ROLE;

-- The admin manages groups, but does not attach tables.
SET ROLE sg_manager;
SELECT smart_groups.create_group('No manager', 'manager_id is empty') > 0 AS created;
SELECT smart_groups.exclude('Sales', 2, 'data_quality');
SELECT smart_groups.archive_group('Ops');
SELECT group_name, user_key FROM smart_groups.memberships ORDER BY 1, 2;
SELECT smart_groups.attach_users('priv.users');
RESET ROLE;
SELECT count(*) AS verify_problems FROM smart_groups.verify();

-- Which functions PUBLIC may run: none.
SELECT count(*) AS public_functions FROM pg_proc p
 WHERE p.pronamespace = 'smart_groups'::regnamespace AND has_function_privilege('public', p.oid, 'EXECUTE');
-- Every function that runs with the owner's rights has a fixed search_path.
SELECT count(*) AS definer_without_search_path FROM pg_proc p
 WHERE p.pronamespace = 'smart_groups'::regnamespace AND p.prosecdef
   AND NOT coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'], false);
-- ... and JIT off, but for the statement triggers of the app's writes (whose statements set
-- their own): at a thousand groups the planner's estimates passed jit_above_cost and
-- create_group spent 0.4 s compiling.
SELECT p.oid::regprocedure AS definer_with_jit FROM pg_proc p
 WHERE p.pronamespace IN ('smart_groups'::regnamespace, 'smart_groups_internal'::regnamespace)
   AND p.prosecdef
   AND NOT coalesce(p.proconfig @> ARRAY['jit=off'], false)
 ORDER BY 1;

-- Dropped in the transaction that wrote what a group reading another user's row reads: the
-- commit has nothing left to maintain, and the app's write commits.
BEGIN;
UPDATE priv.users SET dept = 'Sales' WHERE dept IS DISTINCT FROM 'Sales';
DROP EXTENSION smart_groups CASCADE;
COMMIT;
SELECT count(*) AS users_in_sales FROM priv.users WHERE dept = 'Sales';
DROP SCHEMA priv CASCADE;
DROP ROLE sg_app;
DROP ROLE sg_report;
DROP ROLE sg_manager;
