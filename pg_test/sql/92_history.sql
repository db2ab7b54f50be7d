-- Membership over time (README "Membership over time"): members_at(), groups_of() and
-- history() answer from the log. Membership is recorded at instants between transactions that
-- archive, restore, deactivate, activate, edit rules, override, TRUNCATE and drop; each
-- function, asked about each instant afterwards, must give what was recorded then.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS smart_groups CASCADE;
DROP SCHEMA IF EXISTS hist CASCADE;
CREATE EXTENSION smart_groups;
CREATE SCHEMA hist;
SET search_path = hist, public;
CREATE TABLE users (id integer PRIMARY KEY, dept text, level integer, manager_id integer REFERENCES users (id));
CREATE TABLE clicks (user_id integer NOT NULL REFERENCES users (id), at timestamptz NOT NULL DEFAULT now());
INSERT INTO users VALUES (1, 'Sales', 1, NULL), (2, 'Sales', 2, 1), (3, 'Ops', 3, 1), (4, 'Ops', 4, 3);
SELECT smart_groups.attach_users('hist.users');
SELECT smart_groups.attach_relation('clicks', 'hist.clicks', user_column => 'user_id');

-- What every group and every user had at each instant, recorded as it was.
CREATE TABLE snaps (n serial, at timestamptz, group_name text, members int[]);
CREATE TABLE user_snaps (n integer, at timestamptz, user_id integer, groups bigint[]);
CREATE FUNCTION snap() RETURNS void LANGUAGE sql AS $$
  WITH s AS (SELECT coalesce(max(n), 0) + 1 AS n FROM snaps)
  INSERT INTO snaps (n, at, group_name, members)
  SELECT s.n, now(), g.name,
         coalesce((SELECT array_agg(m.user_key ORDER BY m.user_key) FROM smart_groups.members m WHERE m.group_id = g.id), '{}')
    FROM smart_groups.groups g, s;
  INSERT INTO user_snaps
  SELECT (SELECT max(n) FROM snaps), now(), u.id,
         coalesce((SELECT array_agg(m.group_id ORDER BY m.group_id) FROM smart_groups.members m WHERE m.user_key = u.id), '{}')
    FROM users u;
$$;

SELECT smart_groups.create_group('Sales', 'dept = "Sales"') IS NOT NULL AS created;
SELECT smart_groups.create_group('Senior', 'level >= 3') IS NOT NULL AS created;
SELECT smart_groups.create_group('Clickers', 'has clicks') IS NOT NULL AS created;
SELECT smart_groups.create_group('Senior sales', 'member of "Sales" and level >= 2') IS NOT NULL AS created;
SELECT snap();
UPDATE users SET dept = 'Sales' WHERE id = 3;
INSERT INTO clicks VALUES (2), (4);
SELECT snap();
UPDATE users SET level = level + 1;
SELECT snap();
SELECT smart_groups.set_rules('Senior', 'level >= 4');
SELECT smart_groups.exclude('Sales', 2, 'other', note => 'left the team');
SELECT snap();
SELECT smart_groups.archive_group('Clickers');
DELETE FROM clicks WHERE user_id = 4;
SELECT snap();
SELECT smart_groups.restore_group('Clickers');
SELECT snap();
SELECT smart_groups.activate_group('Clickers');
SELECT smart_groups.include('Senior', 1);
SELECT snap();
SELECT smart_groups.deactivate_group('Senior');
SELECT smart_groups.unexclude('Sales', 2);
SELECT snap();
SELECT smart_groups.activate_group('Senior');
BEGIN;
UPDATE users SET dept = 'Ops' WHERE id = 1;
INSERT INTO users VALUES (5, 'Sales', 9, NULL);
COMMIT;
SELECT snap();
TRUNCATE clicks, users;
SELECT snap();
INSERT INTO users VALUES (1, 'Sales', 5, NULL), (6, 'Ops', 1, 1);
SELECT snap();
SELECT smart_groups.drop_group('Senior sales');
SELECT snap();

-- Every group at every instant (a dropped group's name is gone; its instants are not asked).
CREATE TEMP TABLE asked AS
SELECT s.n, s.group_name, s.members,
       coalesce((SELECT array_agg(k ORDER BY k) FROM smart_groups.members_at(s.group_name, s.at) k), '{}') AS members_at
  FROM (SELECT * FROM snaps s WHERE EXISTS (SELECT 1 FROM smart_groups.groups g WHERE g.name = s.group_name) OFFSET 0) s;
SELECT count(*) AS instants_compared, count(*) FILTER (WHERE members <> members_at) AS differences,
       count(*) FILTER (WHERE members <> '{}') AS with_members
  FROM asked;
SELECT * FROM asked WHERE members <> members_at;
-- Every user at every instant, the dropped group included (by id: its name is gone).
CREATE TEMP TABLE asked_users AS
SELECT u.n, u.user_id, u.groups,
       coalesce((SELECT array_agg(o.group_id ORDER BY o.group_id) FROM smart_groups.groups_of(u.user_id, u.at) o), '{}') AS groups_of
  FROM user_snaps u;
SELECT count(*) AS instants_compared, count(*) FILTER (WHERE groups <> groups_of) AS differences,
       count(*) FILTER (WHERE groups <> '{}') AS in_some_group
  FROM asked_users;
SELECT * FROM asked_users WHERE groups <> groups_of;
-- Now, by default.
SELECT * FROM smart_groups.groups_of(1);
-- A user's joins and leaves, a reset (archive, deactivate, TRUNCATE, drop) shown where it
-- ended their membership.
SELECT s.n AS after_instant, coalesce(h.group_name, '(dropped)') AS group_name, h.change, h.cause
  FROM smart_groups.history(2) h
  CROSS JOIN LATERAL (SELECT max(n) AS n FROM snaps WHERE at < h.at) s
 ORDER BY h.change_id;
-- Through the indexes, not a scan of the log.
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT c.id FROM smart_groups.membership_changes c WHERE c.user_keys @> ARRAY[2];
RESET enable_seqscan;
SELECT * FROM smart_groups.members_at('Salse', now());
SELECT count(*) AS problems FROM smart_groups.verify();
