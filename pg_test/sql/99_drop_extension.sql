-- DROP EXTENSION (no CASCADE) removes everything the extension created: its schema, its
-- functions and tables, its event triggers and the triggers it put on the app's tables; the
-- app's tables, rows and constraints stay, and the app's writes go on.
SET client_min_messages = warning;
SET search_path = app, public;
CREATE TEMP TABLE before AS
SELECT (SELECT md5(string_agg(u::text, ',' ORDER BY id)) FROM app.users u) AS users,
       (SELECT md5(string_agg(f::text, ',' ORDER BY user_id, field_key)) FROM app.user_field_values f) AS fields,
       (SELECT count(*) FROM app.clicks) AS clicks;
SELECT count(*) > 0 AS triggers_on_app_tables
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal AND c.relnamespace = 'app'::regnamespace;
DROP EXTENSION smart_groups;
SELECT count(*) AS triggers_left FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal AND c.relnamespace = 'app'::regnamespace;
SELECT count(*) AS event_triggers_left FROM pg_event_trigger WHERE evtname LIKE 'smart_groups%';
SELECT count(*) AS schema_left FROM pg_namespace WHERE nspname = 'smart_groups';
-- Nothing left that belonged to it (its objects were all in its schema, or depended on it).
SELECT count(*) AS dependencies_left FROM pg_depend
 WHERE refclassid = 'pg_extension'::regclass AND refobjid NOT IN (SELECT oid FROM pg_extension);
SELECT b.users = (SELECT md5(string_agg(u::text, ',' ORDER BY id)) FROM app.users u) AS users_unchanged,
       b.fields = (SELECT md5(string_agg(f::text, ',' ORDER BY user_id, field_key)) FROM app.user_field_values f) AS fields_unchanged,
       b.clicks = (SELECT count(*) FROM app.clicks) AS clicks_unchanged
  FROM before b;
UPDATE app.users SET name = name WHERE id = 1;
INSERT INTO app.clicks (user_id) SELECT min(id) FROM app.users;
-- The roles are cluster-wide and may be used by other databases: they stay.
SELECT count(*) AS roles FROM pg_roles WHERE rolname IN ('smart_groups_reader', 'smart_groups_admin');
-- And it installs again.
CREATE EXTENSION smart_groups;
SELECT count(*) AS groups FROM smart_groups.groups;
