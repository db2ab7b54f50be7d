-- What must survive a backup or an upgrade, as one digest: groups, overrides, memberships,
-- the log, the kept counts (scripts/dump_restore.sh, scripts/upgrade_test.sh).
SELECT md5(concat_ws('|',
     (SELECT string_agg(format('%s/%s/%s/%s/%s', id, name, kind, status, rules_text), ';' ORDER BY id) FROM smart_groups.groups),
     (SELECT string_agg(format('%s/%s', group_name, user_key), ';' ORDER BY group_name, user_key) FROM smart_groups.memberships),
     (SELECT string_agg(format('%s/%s', group_id, user_key), ';' ORDER BY group_id, user_key) FROM smart_groups.inclusions),
     (SELECT string_agg(format('%s/%s/%s', group_id, user_key, reason), ';' ORDER BY group_id, user_key) FROM smart_groups.exclusions),
     (SELECT string_agg(format('%s/%s/%s/%s/%s', id, group_id, user_key, change, cause), ';' ORDER BY id, user_key) FROM smart_groups.membership_log),
     (SELECT string_agg(format('%s/%s', g.name, smart_groups.member_count(g.name)), ';' ORDER BY g.id) FROM smart_groups.groups g)));
