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
