-- What a restore of the tenant app must keep (scripts/dump_restore.sh).
SELECT tenant_column, tenant_security FROM smart_groups.config;
SELECT relname, relrowsecurity FROM pg_class
 WHERE relnamespace = 'smart_groups'::regnamespace AND relname IN ('groups', 'member_rows', 'exclusions') ORDER BY 1;
SELECT g.tenant, g.name, g.kind, count(m.user_key), coalesce(sum(m.user_key::bigint), 0)
  FROM smart_groups.groups g LEFT JOIN smart_groups.members m ON m.group_id = g.id
 GROUP BY 1, 2, 3 ORDER BY 1, 2;
SELECT key, type, tenant FROM smart_groups.custom_fields ORDER BY 1, 3;
SELECT tenant, group_name, user_key FROM smart_groups.excluded ORDER BY 1, 2, 3;
SELECT count(*) FROM smart_groups.verify();
