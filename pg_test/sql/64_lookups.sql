-- Lookup references: a foreign key of the users table or of a relation onto another table
-- makes that table's columns fields (department.name; inside has … where, course.title). A
-- change to a lookup row moves exactly the users pointing to it; verify() (every group
-- recomputed in SQL) stays empty after each statement.
SET client_min_messages = warning;
DO $$ DECLARE g record; BEGIN FOR g IN SELECT name FROM smart_groups.groups ORDER BY depth DESC, id DESC LOOP PERFORM smart_groups.drop_group(g.name); END LOOP; END $$;
DROP SCHEMA IF EXISTS lk CASCADE;
CREATE SCHEMA lk;
RESET client_min_messages;
SET search_path = lk, public;
CREATE TABLE lk.departments (id integer PRIMARY KEY, name text, floor integer, opened date);
CREATE TABLE lk.users (
    id            integer PRIMARY KEY,
    name          text,
    home          text,
    department_id integer REFERENCES lk.departments (id) ON UPDATE CASCADE ON DELETE SET NULL,
    manager_id    integer REFERENCES lk.users (id)
);
CREATE INDEX ON lk.users (department_id);
CREATE TABLE lk.courses (id integer PRIMARY KEY, title text, hours numeric);
CREATE TABLE lk.enrollments (user_id integer NOT NULL REFERENCES lk.users (id),
                             course_id integer REFERENCES lk.courses (id), status text);
CREATE INDEX ON lk.enrollments (course_id);
INSERT INTO lk.departments VALUES (1, 'Sales', 2, '2020-01-01'), (2, 'Support', 3, '2021-06-01'), (3, 'Legal', 1, NULL);
INSERT INTO lk.users VALUES
 (1, 'Ann', 'Sales',   1, NULL),
 (2, 'Bob', 'Oslo',    2, 1),
 (3, 'Cy',  'Legal',   3, 2),
 (4, 'Di',  'Support', NULL, 1),
 (5, 'Ed',  'Support', 2, 3);
INSERT INTO lk.courses VALUES (1, 'Driver Safety', 4), (2, 'Fire', 8), (3, 'First Aid', 6);
INSERT INTO lk.enrollments VALUES (1, 1, 'completed'), (2, 1, 'started'), (2, 2, 'completed'),
                                  (3, 2, 'completed'), (3, 3, 'completed'), (5, NULL, 'completed');
SELECT smart_groups.attach_users('lk.users');
SELECT smart_groups.attach_relation('lk_enrollments', 'lk.enrollments', user_column => 'user_id');
SELECT name, type, source, relation FROM smart_groups.fields
 WHERE (source = 'lookup' OR name LIKE 'manager.department.%') AND coalesce(relation, 'lk_enrollments') = 'lk_enrollments'
 ORDER BY relation NULLS FIRST, name;


SELECT smart_groups.create_group('in sales', 'department.name = "Sales"') > 0 AS created;
SELECT smart_groups.create_group('boss in sales', 'manager.department.name = "Sales"') > 0 AS created;
SELECT smart_groups.create_group('upstairs', 'department.floor >= 2 and department.opened before 2021-01-01') > 0 AS created;
SELECT smart_groups.create_group('no department', 'department.name is empty') > 0 AS created;
SELECT smart_groups.create_group('lives by the name', 'home = department.name') > 0 AS created;
SELECT smart_groups.create_group('driver safety done', 'has lk_enrollments where course.title = "Driver Safety" and status = "completed"') > 0 AS created;
SELECT smart_groups.create_group('long courses', 'has at least 2 lk_enrollments where course.hours >= 6') > 0 AS created;
SELECT * FROM app.group_state();

-- Renaming a department moves its users, and the users whose manager is in it.
UPDATE lk.departments SET name = 'Sales' WHERE id = 2;
SELECT * FROM app.group_state();
UPDATE lk.departments SET name = 'Support', floor = 1 WHERE id = 2;
UPDATE lk.departments SET opened = '2019-01-01' WHERE id = 3;     -- floor 1: still not upstairs
SELECT * FROM app.group_state();
-- A column no rule reads: nothing to do.
SELECT count(*) AS log_rows_before FROM smart_groups.membership_log \gset
UPDATE lk.departments SET opened = opened;
SELECT count(*) - :log_rows_before AS log_rows_added FROM smart_groups.membership_log;
-- The key itself, cascading to the users; a user's own foreign key; a department deleted.
UPDATE lk.departments SET id = 10 WHERE id = 1;
UPDATE lk.users SET department_id = 10 WHERE id = 4;
DELETE FROM lk.departments WHERE id = 3;                           -- Cy's department goes
SELECT * FROM app.group_state();

-- Courses: a title and hours change; an enrollment moved to another course.
UPDATE lk.courses SET title = 'Driver Safety' WHERE id = 2;
SELECT * FROM app.group_state();
UPDATE lk.courses SET hours = 2 WHERE id = 3;
UPDATE lk.enrollments SET course_id = 3 WHERE user_id = 5;
INSERT INTO lk.courses VALUES (4, 'Driver Safety', 9);
UPDATE lk.enrollments SET course_id = 4 WHERE user_id = 1;
SELECT * FROM app.group_state();

-- Many rows at once, both tables.
UPDATE lk.departments SET name = upper(name), floor = floor + 1;
UPDATE lk.courses SET title = 'Driver Safety', hours = hours + 10;
SELECT * FROM app.group_state();

-- Relative time on a lookup column: the time refresh finds the users through the lookup.
SELECT smart_groups.create_group('opened lately', 'department.opened within last 1 day') > 0 AS created;
UPDATE lk.departments SET opened = ((now() AT TIME ZONE 'UTC') - interval '1 day')::date + 1 WHERE id = 2;
SELECT * FROM app.group_state() WHERE name = 'opened lately';
SELECT smart_groups.refresh_time_rules() >= 0 AS refreshed;
SELECT * FROM app.group_state() WHERE name = 'opened lately';
SELECT smart_groups.drop_group('opened lately');

-- Why: the lookup's value.
SELECT * FROM smart_groups.explain('in sales', 2);

-- Unknown lookup columns, and lookups are not references.
SELECT app.try(format('SELECT smart_groups.compile(%L)', r)) FROM (VALUES
 ('department.nme = "x"'),
 ('departmnt.name = "x"'),
 ('has lk_enrollments where course.name = "x"'),
 ('department.name.x = "y"')
) AS t(r);

-- A lookup table renamed: its rows still move their users.
ALTER TABLE lk.departments RENAME TO divisions;
UPDATE lk.divisions SET name = 'Sales' WHERE id = 2;
SELECT * FROM app.group_state() WHERE name = 'in sales';
UPDATE lk.divisions SET name = 'SUPPORT' WHERE id = 2;
ALTER TABLE lk.divisions RENAME TO departments;

-- A lookup column or a foreign key column renamed: the rules follow, as for the users
-- table's columns. Dropped: its groups become static, with a NOTICE. The app's writes go on.
ALTER TABLE lk.departments RENAME COLUMN floor TO storey;
ALTER TABLE lk.enrollments RENAME COLUMN course_id TO class_id;
ALTER TABLE lk.courses RENAME COLUMN title TO heading;
SELECT name, kind, rules_text FROM smart_groups.groups WHERE name IN ('upstairs', 'driver safety done') ORDER BY id;
UPDATE lk.departments SET name = 'Sales', storey = 0 WHERE id = 2;
UPDATE lk.courses SET heading = 'Fire' WHERE id = 1;
SELECT * FROM app.group_state();
ALTER TABLE lk.courses DROP COLUMN hours;
SELECT name, kind FROM smart_groups.groups WHERE name = 'long courses';
UPDATE lk.courses SET heading = 'Driver Safety' WHERE id = 1;
SELECT * FROM app.group_state();
-- A foreign key dropped: its lookup with it.
ALTER TABLE lk.users DROP CONSTRAINT users_department_id_fkey;
SELECT name, kind FROM smart_groups.groups WHERE name IN ('in sales', 'boss in sales', 'lives by the name') ORDER BY id;
SELECT count(*) AS lookup_triggers_left FROM pg_trigger WHERE tgrelid = 'lk.departments'::regclass AND NOT tgisinternal;
UPDATE lk.departments SET name = 'Legal' WHERE id = 2;
SELECT * FROM app.group_state();

DO $$ DECLARE g record; BEGIN FOR g IN SELECT name FROM smart_groups.groups ORDER BY depth DESC, id DESC LOOP PERFORM smart_groups.drop_group(g.name); END LOOP; END $$;
