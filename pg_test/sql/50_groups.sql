-- Groups: lifecycle, manual overrides, previews, explain, verify, and every error path, on the
-- edge-case fixture. After every operation verify() is empty.
SET search_path = app, public;
SET client_min_messages = notice;
\pset null '∅'

-- members(G): the group's members as a sorted list; state(): every group with its members.
CREATE FUNCTION members(g text) RETURNS text LANGUAGE sql AS $$
    SELECT coalesce(string_agg(m.user_key::text, ',' ORDER BY m.user_key), '')
      FROM smart_groups.memberships m WHERE m.group_name = g
$$;
CREATE FUNCTION state() RETURNS TABLE (name text, kind text, status text, members text, verify_problems bigint)
LANGUAGE sql AS $$
    SELECT g.name, g.kind, g.status, members(g.name), (SELECT count(*) FROM smart_groups.verify())
      FROM smart_groups.groups g ORDER BY g.id
$$;
-- A digest of every table the extension writes, to prove that a failed call changed nothing.
CREATE FUNCTION digest() RETURNS text LANGUAGE sql AS $$
    SELECT md5(concat_ws('|',
        (SELECT string_agg(format('%s/%s/%s/%s/%s', id, name, kind, status, rules), ';' ORDER BY id) FROM smart_groups.groups),
        (SELECT string_agg(format('%s/%s', group_id, user_key), ';' ORDER BY group_id, user_key) FROM smart_groups.members),
        (SELECT string_agg(format('%s/%s', group_id, user_key), ';' ORDER BY group_id, user_key) FROM smart_groups.inclusions),
        (SELECT string_agg(format('%s/%s/%s', group_id, user_key, reason), ';' ORDER BY group_id, user_key) FROM smart_groups.exclusions),
        (SELECT count(*) FROM smart_groups.membership_log),
        (SELECT string_agg(format('%s/%s', group_id, n), ';' ORDER BY group_id)
           FROM (SELECT group_id, sum(delta) AS n FROM smart_groups.member_counts GROUP BY group_id) c),
        (SELECT string_agg(key, ';' ORDER BY key) FROM smart_groups.custom_fields)))
$$;

-- Creating groups computes membership at once.
SELECT smart_groups.create_group('Managers', 'role = "manager"') > 0 AS created;
SELECT smart_groups.create_group('Benelux', '{"any": [{"field": "email", "op": "ends_with", "value": "@x.com"}]}'::jsonb) > 0 AS created;
SELECT smart_groups.create_group('Sales managers', 'member of "Sales" or member of "Managers"') > 0 AS created;
SELECT smart_groups.create_group('Dormant', 'age > 99', active => false) > 0 AS created;
SELECT * FROM state();
SELECT name, rules_text FROM smart_groups.groups ORDER BY id;

-- Previews change nothing.
SELECT * FROM smart_groups.preview('role = "manager" or role = "admin"');
SELECT smart_groups.preview_count('has clicks');
SELECT smart_groups.preview_count('{"field": "age", "op": "gte", "value": 30}'::jsonb);
SELECT * FROM smart_groups.preview_change('Managers', 'role in ("manager", "admin")');
SELECT * FROM smart_groups.preview_change('Dormant', 'age > 29');

-- Manual overrides: exclusion wins over rules and inclusion.
SELECT smart_groups.exclude('Managers', 6, 'already_addressed');
SELECT smart_groups.include('Managers', 3);
SELECT * FROM state() WHERE name IN ('Managers', 'Sales managers');
SELECT smart_groups.include('Managers', 6);
SELECT members('Managers') AS excluded_wins;
SELECT smart_groups.exclude('Managers', 6, 'other', note => 'on leave');
SELECT user_key, reason, note FROM smart_groups.exclusions ORDER BY user_key;
SELECT smart_groups.unexclude('Managers', 6);
SELECT smart_groups.uninclude('Managers', 3);
SELECT * FROM state() WHERE name IN ('Managers', 'Sales managers');

-- Static groups.
SELECT smart_groups.add_members('Sales', ARRAY[2, 3]);
SELECT smart_groups.remove_members('Sales', ARRAY[1]);
SELECT * FROM state() WHERE name IN ('Sales', 'Sales managers');

-- Rules change, membership follows; dependants follow a rename.
SELECT smart_groups.set_rules('Managers', 'role in ("manager", "admin")');
SELECT smart_groups.rename_group('Managers', 'Leads');
SELECT name, rules_text FROM smart_groups.groups WHERE name IN ('Leads', 'Sales managers') ORDER BY id;
SELECT * FROM state();

-- Lifecycle: deactivate empties, activate refills, archive and restore are instant.
SELECT smart_groups.deactivate_group('Benelux');
SELECT smart_groups.activate_group('Dormant');
SELECT smart_groups.archive_group('Dormant');
SELECT * FROM state();
SELECT smart_groups.restore_group('Dormant');
SELECT smart_groups.activate_group('Dormant');
SELECT smart_groups.activate_group('Benelux');
SELECT * FROM state();
SELECT * FROM smart_groups.recalculate('Leads');
SELECT * FROM smart_groups.recalculate_all();

-- explain: every rule's outcome and the user's actual value, for a user in and a user out.
SELECT smart_groups.create_group('Nested', 'name contains "nn" and (manager.name = "Ann" or not (shirt in ("L", "XL")) or has at least 2 enrollments where status = "completed")');
SELECT members('Nested');
SELECT path, rule, regexp_replace(actual, '^since .*', 'since (time of joining)') AS actual, result FROM smart_groups.explain('Nested', 4);
SELECT path, rule, regexp_replace(actual, '^since .*', 'since (time of joining)') AS actual, result FROM smart_groups.explain('Nested', 1);
SELECT path, rule, regexp_replace(actual, '^since .*', 'since (time of joining)') AS actual, result FROM smart_groups.explain('Sales managers', 6);
-- explain agrees with membership for every user and group.
SELECT count(*) AS explain_disagreements
  FROM smart_groups.groups g, app.users u,
       LATERAL (SELECT result FROM smart_groups.explain(g.name, u.id) WHERE path = '(member)') e
 WHERE e.result <> EXISTS (SELECT 1 FROM smart_groups.members m WHERE m.group_id = g.id AND m.user_key = u.id)
    OR e.result <> ((g.status = 'active') AND (
         (g.kind = 'smart' AND (SELECT result FROM smart_groups.explain(g.name, u.id) WHERE path = ''))
         OR (SELECT result FROM smart_groups.explain(g.name, u.id) WHERE path = '(included)'))
       AND NOT (SELECT result FROM smart_groups.explain(g.name, u.id) WHERE path = '(excluded)'));

-- The log says who joined and left, when and why.
SELECT g.name, l.change, l.cause, count(*) AS rows, count(l.user_key) AS with_key
  FROM smart_groups.membership_log l JOIN smart_groups.groups g ON g.id = l.group_id
 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;

-- verify() reports a corrupted membership, and recalculate repairs it.
DELETE FROM smart_groups.member_rows WHERE group_id = (SELECT id FROM smart_groups.groups WHERE name = 'Leads') AND user_key = 1;
INSERT INTO smart_groups.member_rows (group_id, user_key) SELECT id, 7 FROM smart_groups.groups WHERE name = 'Leads';
SELECT * FROM smart_groups.verify();
SELECT * FROM smart_groups.recalculate('Leads');
SELECT count(*) AS problems_after_repair FROM smart_groups.verify();

-- member_count() is kept, not counted: it follows every change, in the changing transaction
-- too, and verify() reports when it disagrees with the members table.
SELECT g.name, smart_groups.member_count(g.name) AS kept, count(m.user_key) AS counted
  FROM smart_groups.groups g LEFT JOIN smart_groups.members m ON m.group_id = g.id
 GROUP BY g.id, g.name ORDER BY g.id;
BEGIN;
SELECT smart_groups.member_count('Leads') AS before;
UPDATE app.users SET role = 'admin' WHERE id = (SELECT min(id) FROM app.users WHERE role = 'learner');
SELECT smart_groups.member_count('Leads') AS in_transaction;
ROLLBACK;
SELECT smart_groups.member_count('Leads') AS after_rollback;
DELETE FROM smart_groups.member_rows WHERE group_id = (SELECT id FROM smart_groups.groups WHERE name = 'Leads') AND user_key = 1;
SELECT * FROM smart_groups.verify();
SELECT * FROM smart_groups.recalculate('Leads');
SELECT * FROM smart_groups.verify();
-- refresh_time_rules() (the worker's tick) folds the count rows into one per group.
SELECT count(*) > count(DISTINCT group_id) AS several_rows_per_group FROM smart_groups.member_counts;
SELECT smart_groups.refresh_time_rules() >= 0 AS refreshed;
SELECT count(*) = count(DISTINCT group_id) AS one_row_per_group FROM smart_groups.member_counts;
SELECT count(*) AS problems_after_compaction FROM smart_groups.verify();
SELECT smart_groups.member_count('nobody');

-- Every mistake raises its own SQLSTATE and changes nothing.
CREATE FUNCTION try_unchanged(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    before text := digest();
    outcome text := try(q);
BEGIN
    RETURN outcome || CASE WHEN digest() = before THEN E'\n(nothing changed)' ELSE E'\nCHANGED' END;
END $$;
SELECT smart_groups.create_group('Paused', 'age > 1', active => false) > 0 AS created;
\pset format unaligned
\pset tuples_only on
SELECT q, try_unchanged(q) FROM (VALUES
 ($$SELECT smart_groups.create_group('Leads', 'age > 1')$$),
 ($$SELECT smart_groups.create_group('Dormant', 'age > 1')$$),
 ($$SELECT smart_groups.create_group(' padded', 'age > 1')$$),
 ($$SELECT smart_groups.create_group('New', 'agee > 1')$$),
 ($$SELECT smart_groups.create_group('New', 'member of "New"')$$),
 ($$SELECT smart_groups.create_group('New', 'member of "Paused" and age > 1')$$),
 ($$SELECT smart_groups.set_rules('Leads', 'member of "Sales managers"')$$),
 ($$SELECT smart_groups.set_rules('Lead', 'age > 1')$$),
 ($$SELECT smart_groups.set_rules('Sales', 'age > 1')$$),
 ($$SELECT smart_groups.set_rules('Leads', 'age >')$$),
 ($$SELECT smart_groups.rename_group('Leads', 'Sales')$$),
 ($$SELECT smart_groups.deactivate_group('Leads')$$),
 ($$SELECT smart_groups.archive_group('Sales')$$),
 ($$SELECT smart_groups.drop_group('Leads')$$),
 ($$SELECT smart_groups.restore_group('Leads')$$),
 ($$SELECT smart_groups.add_members('Leads', ARRAY[1])$$),
 ($$SELECT smart_groups.add_members('Sales', ARRAY[1, 42])$$),
 ($$SELECT smart_groups.include('Sales', 1)$$),
 ($$SELECT smart_groups.include('Leads', 999)$$),
 ($$SELECT smart_groups.exclude('Leads', 1, 'bored')$$),
 ($$SELECT smart_groups.exclude('Leads', 1, 'other')$$),
 ($$SELECT smart_groups.unexclude('Leads', 1)$$),
 ($$SELECT smart_groups.explain('Leads', 999)$$),
 ($$SELECT smart_groups.explain('Nope', 1)$$),
 ($$SELECT * FROM smart_groups.preview_change('Sales', 'age > 1')$$),
 ($$SELECT * FROM smart_groups.recalculate('Nope')$$)
) AS cases(q);
\pset format aligned
\pset tuples_only off

-- Dropping a column or custom field that rules use turns those groups into static groups
-- holding their current members.
SELECT smart_groups.create_group('Shirts', 'shirt in ("L", "XL")');
SELECT smart_groups.create_group('Aged', 'age >= 30');
SELECT smart_groups.drop_custom_field('shirt');
ALTER TABLE app.users DROP COLUMN age;
SELECT name, kind, members(name) FROM smart_groups.groups WHERE name IN ('Shirts', 'Aged', 'Nested') ORDER BY id;
SELECT count(*) AS verify_problems FROM smart_groups.verify();

-- Dropping groups.
SELECT smart_groups.drop_group('Nested');
SELECT smart_groups.drop_group('Sales managers');
SELECT smart_groups.drop_group('Sales');
SELECT name FROM smart_groups.groups ORDER BY id;
-- Dropped, deactivated and archived groups leave rows behind for the cleanup, which
-- refresh_time_rules() (the worker's tick) runs: afterwards none is left.
SELECT count(*) > 0 AS rows_left_for_cleanup FROM smart_groups.member_rows m
 WHERE NOT EXISTS (SELECT 1 FROM smart_groups.groups g WHERE g.id = m.group_id AND g.status = 'active');
-- The members view leaves them out by their groups' marks (member_garbage), not by asking
-- each row's group; both views show the same rows, those of active groups.
SELECT count(*) AS members_of_inactive_groups FROM smart_groups.members m
 WHERE NOT EXISTS (SELECT 1 FROM smart_groups.groups g WHERE g.id = m.group_id AND g.status = 'active');
SELECT (SELECT count(*) FROM smart_groups.members) = (SELECT count(*) FROM smart_groups.memberships)
       AND (SELECT count(*) FROM smart_groups.members) > 0 AS views_agree;
SELECT smart_groups.refresh_time_rules() >= 0 AS refreshed;
SELECT count(*) AS rows_of_inactive_groups FROM smart_groups.member_rows m
 WHERE NOT EXISTS (SELECT 1 FROM smart_groups.groups g WHERE g.id = m.group_id AND g.status = 'active');
SELECT count(*) AS garbage_marks FROM smart_groups.member_garbage;
-- A row of a group that is not active without its mark would show in members: verify()
-- reports it, for an inactive group (as a member of it) and for a dropped one.
BEGIN;
INSERT INTO smart_groups.member_rows (group_id, user_key)
SELECT g.id, (SELECT min(user_key) FROM smart_groups.member_rows)
  FROM (SELECT id FROM smart_groups.groups WHERE status <> 'active' ORDER BY id LIMIT 1) g
UNION ALL
SELECT (SELECT max(id) + 100 FROM smart_groups.groups), (SELECT min(user_key) FROM smart_groups.member_rows);
SELECT regexp_replace(group_name, '[0-9]+', 'N') AS group_name, user_key, problem FROM smart_groups.verify() ORDER BY 1;
ROLLBACK;
-- A reporting role reads through smart_groups_reader.
SELECT has_table_privilege('smart_groups_reader', 'smart_groups.memberships', 'SELECT') AS reader_can_select,
       has_table_privilege('smart_groups_reader', 'smart_groups.members', 'INSERT') AS reader_can_insert;
