-- The app's writes and an admin's calls on a copy of scripts/sample/app.sql's database (a
-- restored backup, an upgraded install), each in its own transaction, then what they must
-- have done: scripts/sample/writes.expected.
\set QUIET on
\pset tuples_only on
\pset format unaligned
UPDATE app.users SET dept = 'Sales' WHERE id = 1;
INSERT INTO app.fields VALUES (1, 'level', '9') ON CONFLICT (user_id, k) DO UPDATE SET v = excluded.v;
INSERT INTO app.users VALUES (501, 'new', 'Sales', '2024-01-02', 1);
INSERT INTO app.clicks (user_id) VALUES (501), (501);
SELECT FROM smart_groups.create_group('Added later', 'dept = "Support"');
SELECT FROM smart_groups.activate_group('Old');
SELECT FROM smart_groups.restore_group('Gone');
-- A lookup table's trigger, as the restore or the upgrade left it.
SELECT FROM smart_groups.create_group('In Oslo', 'office.city = "Oslo"');
UPDATE app.offices SET city = 'Oslo' WHERE id = 2;
UPDATE app.users SET office_id = 1 WHERE id = 1;
SELECT 'In Oslo: ' || smart_groups.member_count('In Oslo');
SELECT format('user %s: %s', k, (SELECT string_agg(group_name, ',' ORDER BY group_name)
                                    FROM smart_groups.memberships WHERE user_key = k))
  FROM unnest(ARRAY[1, 501]) k ORDER BY k;
SELECT 'verify: ' || count(*) FROM smart_groups.verify();
SELECT 'group ids unique: ' || (count(*) = count(DISTINCT id)) FROM smart_groups.groups;
