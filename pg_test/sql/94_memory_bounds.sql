-- What a large statement records for the commit-time step is bounded by
-- maintenance_work_mem (docs/design/engine.md, "Memory of a large statement"): beyond it the
-- step recomputes the groups whole instead of deciding the pairs or users one by one, and
-- membership is the same either way. With maintenance_work_mem at its minimum (1MB: about
-- 520 users or 2,100 pairs), statements of 20,000 users take each way.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS smart_groups CASCADE;
DROP SCHEMA IF EXISTS bounds CASCADE;
CREATE EXTENSION smart_groups;
CREATE SCHEMA bounds;
CREATE TABLE bounds.departments (id integer PRIMARY KEY, name text);
CREATE TABLE bounds.users (id integer PRIMARY KEY, level integer,
                           department_id integer REFERENCES bounds.departments (id),
                           manager_id integer REFERENCES bounds.users (id));
CREATE INDEX ON bounds.users (department_id);
CREATE INDEX ON bounds.users (manager_id);
CREATE TABLE bounds.custom (user_id integer NOT NULL REFERENCES bounds.users (id),
                            field_key text NOT NULL, value text, PRIMARY KEY (user_id, field_key));
INSERT INTO bounds.departments VALUES (1, 'Sales'), (2, 'Support');
INSERT INTO bounds.users SELECT i, 1 + i % 12, 1 + i % 2, nullif(i / 2, 0) FROM generate_series(1, 20000) i;
INSERT INTO bounds.custom SELECT i, 'shirt', CASE WHEN i % 3 = 0 THEN 'L' ELSE 'M' END
  FROM generate_series(1, 20000) i;
SELECT smart_groups.attach_users('bounds.users');
SELECT smart_groups.attach_custom_fields('bounds.custom', user_column => 'user_id',
       key_column => 'field_key', value_column => 'value');
SELECT smart_groups.define_custom_field('shirt', 'text');
RESET client_min_messages;
-- Own: decided with each statement. Large shirts, and the group naming it: at commit (a
-- custom field). Sales: reads a lookup row, at commit.
SELECT smart_groups.create_group('Own', 'level > 5') > 0 AS created;
SELECT smart_groups.create_group('Large shirts', 'level > 5 and shirt = "L"') > 0 AS created;
SELECT smart_groups.create_group('Named', 'member of "Large shirts" or level = 1') > 0 AS created;
SELECT smart_groups.create_group('Sales', 'department.name = "Sales"') > 0 AS created;
-- High boss: reads the manager's level, so an UPDATE of level looks for the reports of the
-- users whose level crossed 5 (every user below 10,001 manages two).
SELECT smart_groups.create_group('High boss', 'manager.level > 5') > 0 AS created;
CREATE FUNCTION bounds.state() RETURNS TABLE (group_name text, members bigint)
LANGUAGE sql AS $$
    SELECT g.name, (SELECT count(*) FROM smart_groups.members m WHERE m.group_id = g.id)
      FROM smart_groups.groups g ORDER BY g.name
$$;
-- The same membership written in plain SQL, for each step below.
CREATE FUNCTION bounds.expected() RETURNS TABLE (group_name text, members bigint)
LANGUAGE sql AS $$
    SELECT 'Large shirts', count(*) FROM bounds.users u JOIN bounds.custom c ON c.user_id = u.id
     WHERE u.level > 5 AND c.field_key = 'shirt' AND c.value = 'L'
    UNION ALL
    SELECT 'Named', count(*) FROM bounds.users u LEFT JOIN bounds.custom c ON c.user_id = u.id AND c.field_key = 'shirt'
     WHERE (u.level > 5 AND c.value = 'L') OR u.level = 1
    UNION ALL
    SELECT 'Own', count(*) FROM bounds.users WHERE level > 5
    UNION ALL
    SELECT 'Sales', count(*) FROM bounds.users u JOIN bounds.departments d ON d.id = u.department_id
     WHERE d.name = 'Sales'
    UNION ALL
    SELECT 'High boss', count(*) FROM bounds.users u JOIN bounds.users b ON b.id = u.manager_id
     WHERE b.level > 5
    ORDER BY 1
$$;
SELECT * FROM bounds.state() EXCEPT SELECT * FROM bounds.expected();
SET maintenance_work_mem = '1MB';
-- A hundred users, 8 or 9 flipping in each group: recorded one by one.
UPDATE bounds.users SET level = level % 12 + 1 WHERE id <= 100;
SELECT * FROM bounds.state() EXCEPT SELECT * FROM bounds.expected();
-- Every user, about 5,500 flipping in Large shirts (past the 2,100 pairs) and every one of
-- them changed (past the 520 users), some 8,300 managers among them whose reports may move
-- in High boss (past the 520 users too): the commit-time groups are recomputed whole.
UPDATE bounds.users SET level = 13 - level;
SELECT * FROM bounds.state() EXCEPT SELECT * FROM bounds.expected();
-- A lookup row changed in the same transaction as such a statement: its users are settled
-- too, though the statement's record became "recompute whole" (which used to drop what the
-- lookup change had recorded).
BEGIN;
UPDATE bounds.departments SET name = 'Sales' WHERE id = 2;
UPDATE bounds.users SET level = 13 - level;
COMMIT;
SELECT * FROM bounds.state() EXCEPT SELECT * FROM bounds.expected();
SELECT * FROM bounds.state();
BEGIN;
UPDATE bounds.users SET level = 13 - level;
UPDATE bounds.departments SET name = 'Support' WHERE id = 1;
COMMIT;
SELECT * FROM bounds.state() EXCEPT SELECT * FROM bounds.expected();
SELECT * FROM bounds.state();
RESET maintenance_work_mem;
SELECT * FROM smart_groups.verify();
-- The planner sees many rows of a large group in members (a share of them for the marks it
-- cannot see, here of four groups): with the marks of groups awaiting the cleanup read
-- through an anti-join, with a mostly empty table, it saw one, and verify() of groups of
-- this size ran nested loops for minutes.
ANALYZE smart_groups.member_rows;
DO $$
DECLARE
    plan json;
BEGIN
    EXECUTE format('EXPLAIN (FORMAT JSON) SELECT user_key FROM smart_groups.members WHERE group_id = %s',
                   (SELECT id FROM smart_groups.groups WHERE name = 'Own')) INTO plan;
    RAISE NOTICE 'members of Own estimated at more than a hundred rows: %',
        (plan -> 0 -> 'Plan' ->> 'Plan Rows')::float8 > 100;
END $$;
