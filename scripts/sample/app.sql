-- A small app database with one group of every kind the extension keeps: users with a
-- manager reference and an office (a lookup table), custom fields, a relation; smart groups over a column, a custom field,
-- a relation count, a manager's column, member of; an inactive, an archived and a static
-- group; an exclusion and an inclusion; and writes maintained after the groups exist.
-- Run in a new database (scripts/dump_restore.sh, scripts/upgrade_test.sh). Only functions
-- every release has are called here: the upgrade test runs it on the oldest release too.
SET client_min_messages = warning;
CREATE SCHEMA app;
CREATE TABLE app.offices (id integer PRIMARY KEY, city text);
INSERT INTO app.offices VALUES (1, 'Oslo'), (2, 'Bergen');
CREATE TABLE app.users (id bigint PRIMARY KEY, name text, dept text, hired date,
                        manager_id bigint REFERENCES app.users (id),
                        office_id integer REFERENCES app.offices (id));
CREATE TABLE app.fields (user_id bigint NOT NULL REFERENCES app.users (id), k text NOT NULL, v text,
                         PRIMARY KEY (user_id, k));
CREATE TABLE app.clicks (id bigserial PRIMARY KEY, user_id bigint NOT NULL REFERENCES app.users (id),
                         at timestamptz NOT NULL DEFAULT now());
INSERT INTO app.users
SELECT i, 'user ' || i, (ARRAY['Sales', 'Ops', 'Support'])[1 + i % 3], date '2024-01-01' + i,
       CASE WHEN i > 10 THEN 1 + i % 10 END, 1 + i % 2
  FROM generate_series(1, 500) i;
INSERT INTO app.fields SELECT i, 'level', (i % 7)::text FROM generate_series(1, 500, 2) i;
INSERT INTO app.clicks (user_id) SELECT 1 + (i * 37) % 500 FROM generate_series(1, 800) i;
SELECT smart_groups.attach_users('app.users');
SELECT smart_groups.attach_custom_fields('app.fields', 'user_id', 'k', 'v');
SELECT smart_groups.define_custom_field('level', 'number');
SELECT smart_groups.attach_relation('clicks', 'app.clicks', 'user_id');
SELECT smart_groups.create_group('Sales', 'dept = "Sales"');
SELECT smart_groups.create_group('Senior', 'level >= 4');
SELECT smart_groups.create_group('Active', 'has at least 2 clicks');
SELECT smart_groups.create_group('Sales boss', 'manager.dept = "Sales"');
SELECT smart_groups.create_group('Senior sales', 'member of "Sales" and member of "Senior"');
SELECT smart_groups.create_group('Old', 'hired before 2024-03-01', active => false);
SELECT smart_groups.create_group('Gone', 'dept = "Ops"');
SELECT smart_groups.archive_group('Gone');
SELECT smart_groups.create_static_group('Team');
SELECT smart_groups.add_members('Team', ARRAY[3, 5, 8]);
SELECT smart_groups.exclude('Sales', 3, 'data_quality');
SELECT smart_groups.include('Senior', 2);
UPDATE app.users SET dept = 'Sales' WHERE id BETWEEN 20 AND 40;
INSERT INTO app.fields VALUES (2, 'level', '6') ON CONFLICT (user_id, k) DO UPDATE SET v = excluded.v;
