-- The interface: the API schema holds only the documented functions, each with a comment,
-- and every table, view and column has one; the internals are in their own schema, which no
-- role but the owner may use.
SELECT proname AS api, count(*) AS overloads
  FROM pg_proc WHERE pronamespace = 'smart_groups'::regnamespace GROUP BY 1 ORDER BY 1;
SELECT p.oid::regprocedure AS without_comment
  FROM pg_proc p WHERE p.pronamespace = 'smart_groups'::regnamespace
   AND obj_description(p.oid, 'pg_proc') IS NULL;
SELECT c.relname AS relation_without_comment
  FROM pg_class c WHERE c.relnamespace = 'smart_groups'::regnamespace AND c.relkind IN ('r', 'v', 'p')
   AND obj_description(c.oid, 'pg_class') IS NULL;
SELECT c.relname || '.' || a.attname AS column_without_comment
  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE c.relnamespace = 'smart_groups'::regnamespace AND c.relkind IN ('r', 'v', 'p')
   AND col_description(c.oid, a.attnum) IS NULL;
SELECT count(*) > 50 AS internals_apart FROM pg_proc WHERE pronamespace = 'smart_groups_internal'::regnamespace;
SELECT count(*) AS internal_functions_public_may_call
  FROM pg_proc p WHERE p.pronamespace = 'smart_groups_internal'::regnamespace
   AND has_function_privilege('public', p.oid, 'EXECUTE');
SELECT has_schema_privilege('public', 'smart_groups_internal', 'USAGE') AS public_uses_internals;
