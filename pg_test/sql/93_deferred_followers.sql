-- Work recorded for the commit-time step is done even when a later statement of the same
-- transaction takes its groups off the commit-time list (docs/design/lock-protocol.md,
-- "What it is: the commit-time step"). Found by the differential test (seed 7): a member_of follower's
-- leave, recorded when the group it names was refreshed by a TRUNCATE, was lost when
-- set_rules then gave that group rules reading no custom field, and the follower kept a user
-- it should not have (verify() reported it).
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS smart_groups CASCADE;
DROP SCHEMA IF EXISTS deferred CASCADE;
CREATE EXTENSION smart_groups;
CREATE SCHEMA deferred;
CREATE TABLE deferred.users (id integer PRIMARY KEY, active boolean, level integer);
CREATE TABLE deferred.custom (user_id integer NOT NULL REFERENCES deferred.users (id),
                              field_key text NOT NULL, value text);
SELECT smart_groups.attach_users('deferred.users');
SELECT smart_groups.attach_custom_fields('deferred.custom', user_column => 'user_id',
       key_column => 'field_key', value_column => 'value');
SELECT smart_groups.define_custom_field('c_ts', 'timestamp');
INSERT INTO deferred.users VALUES (1, true, 1), (2, false, 1), (3, true, 5);
INSERT INTO deferred.custom VALUES (1, 'c_ts', '2024-01-01'), (2, 'c_ts', '2024-01-01');
CREATE FUNCTION deferred.state() RETURNS TABLE (group_name text, members text)
LANGUAGE sql AS $$
    SELECT g.name, coalesce((SELECT string_agg(m.user_key::text, ',' ORDER BY m.user_key)
                               FROM smart_groups.members m WHERE m.group_id = g.id), '')
      FROM smart_groups.groups g ORDER BY g.name
$$;
-- A reads a custom field, so A and B (naming A) and C (naming B) are kept at commit.
SELECT smart_groups.create_group('A', 'c_ts is not empty') > 0;
SELECT smart_groups.create_group('B', 'member of "A"') > 0;
SELECT smart_groups.create_group('C', 'member of "B" or level > 4') > 0;
SELECT * FROM deferred.state();

-- TRUNCATE refreshes A now and records B's users for commit; set_rules then makes A, B and C
-- plain groups.
BEGIN;
TRUNCATE deferred.custom;
SELECT smart_groups.set_rules('A', 'active = false');
COMMIT;
SELECT * FROM deferred.state();
SELECT * FROM smart_groups.verify();

-- The same through a DELETE and a recalculate, with nobody joining the new rules.
SELECT smart_groups.set_rules('A', 'c_ts is not empty');
INSERT INTO deferred.custom VALUES (1, 'c_ts', '2024-01-01'), (3, 'c_ts', '2024-01-01');
SELECT * FROM deferred.state();
BEGIN;
DELETE FROM deferred.custom;
SELECT * FROM smart_groups.recalculate('A');
SELECT smart_groups.set_rules('A', 'level > 1000');
COMMIT;
SELECT * FROM deferred.state();
SELECT * FROM smart_groups.verify();

RESET client_min_messages;
