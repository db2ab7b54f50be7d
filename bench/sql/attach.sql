-- Attaches the benchmark application to smart_groups: users (not users_base), the custom
-- fields, and the two relations.
\set ON_ERROR_STOP 1
SELECT smart_groups.attach_users('public.users');
SELECT smart_groups.attach_custom_fields('public.user_field_values',
         user_column => 'user_id', key_column => 'field_key', value_column => 'value');
SELECT smart_groups.define_custom_field(f.key, f.type,
         allowed => CASE WHEN f.type = 'enum' THEN (SELECT vals FROM bench_domains d WHERE d.name = f.key) END)
  FROM bench_fields f ORDER BY f.key;
SELECT smart_groups.attach_relation('enrollments', 'public.enrollments', user_column => 'user_id');
SELECT smart_groups.attach_relation('clicks', 'public.clicks', user_column => 'user_id');
SELECT count(*) AS fields FROM smart_groups.fields;

-- Relative-time rules: refresh_time_rules() reads the rows whose time value crossed one of a
-- group's boundaries since its previous refresh. With an index on every time column such a
-- rule reads (the README's advice) that is a range scan of the rows that crossed; without,
-- a scan of the whole table. last_login_at and clicks.clicked_at are indexed already (the
-- app reads them anyway); users_base gets the same index, so the baselines' writes maintain
-- as many indexes as the target's.
SET maintenance_work_mem = '1GB';
CREATE INDEX ON users (hire_date);
CREATE INDEX ON users_base (hire_date);
CREATE INDEX ON enrollments (enrolled_at);
DO $$
DECLARE
    f record;
BEGIN
    FOR f IN SELECT key, type FROM bench_fields WHERE type IN ('date', 'timestamp') ORDER BY key LOOP
        EXECUTE format('CREATE INDEX ON user_field_values (smart_groups.read_%s(value)) WHERE field_key = %L',
                       f.type, f.key);
    END LOOP;
END $$;
ANALYZE users, users_base, enrollments, user_field_values;
