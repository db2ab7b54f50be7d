-- Random text and JSON through every function that reads rulesets: each call succeeds or fails
-- with a specific SQLSTATE; none raises an internal error (XX000) or crashes the backend.
SET search_path = app, public;
SELECT setseed(0.20261123);
CREATE TEMP TABLE inputs AS
WITH tokens(t) AS (
    SELECT unnest(ARRAY['name', 'age', 'role', 'hired', 'seen', 'tags', 'shirt', 'points', 'manager.name',
        'has', 'enrollments', 'clicks', 'where', 'member', 'of', '"Sales"', 'and', 'or', 'not', '(', ')',
        '=', '!=', '<', '>=', 'contains', 'does', 'not', 'contain', 'in', 'is', 'empty', 'between',
        'within', 'last', '30', 'days', '2024-01-31', '01/31/2024', '"x"', '"a\"b"', '"\\"', '1e999',
        '-5', '0.5', 'true', 'false', ',', 'at', 'least', 'exactly', 'no', 'all', 'any', '`weird name`',
        '"unterminated', '{', '}', '[', ']', ':', '"field"', '"op"', '"value"', '"eq"', 'null', '''',
        'é', E'\n', '--', ';', 'DROP TABLE app.users'])
), soup AS (
    SELECT i, string_agg(t, ' ' ORDER BY random()) AS rules
      FROM generate_series(1, 1500) i,
           LATERAL (SELECT t FROM tokens ORDER BY random() LIMIT 1 + (i % 12)) pick
     GROUP BY i
), json_docs AS (
    SELECT 2000 + i AS i,
           (ARRAY['{"field": "age", "op": "gt", "value": ' || (random() * 100)::int || '}',
                  '{"all": [' || repeat('{"field": "name", "op": "eq", "value": "x"},', i % 5) || '{"any": []}]}',
                  '{"not": {"has": "clicks", "count": {"op": "' || (ARRAY['gte','lt','eq','zz'])[1 + i % 4] || '", "value": ' || (i % 7 - 2) || '}}}',
                  '{"field": "' || (ARRAY['hired','seen','tags','role','vip'])[1 + i % 5] || '", "op": "' ||
                      (ARRAY['eq','within_last','includes','in','between','is_empty','contains'])[1 + i % 7] ||
                      '", "value": ' || (ARRAY['"30 days"','["a"]','true','3','null','[]','"2024-02-30"'])[1 + (i / 7) % 7] || '}',
                  '{"member_of": ' || (ARRAY['"Sales"','"Nope"','1','[]'])[1 + i % 4] || '}',
                  '{"field": "name", "op": "eq", "value": "x", "extra": 1}',
                  repeat('{"not": ', i % 40) || '{"field": "name", "op": "is_empty"}' || repeat('}', i % 40)])[1 + i % 7] AS rules
      FROM generate_series(1, 700) i
)
SELECT i, rules FROM soup UNION ALL SELECT i, rules FROM json_docs;

CREATE TEMP TABLE outcomes AS
SELECT i, f, left(try(format('SELECT smart_groups.%s(%L)', f, rules)), 5) AS state
  FROM inputs, unnest(ARRAY['compile', 'to_json', 'to_text']) f;
INSERT INTO outcomes
SELECT i, 'validate', CASE WHEN count(*) FILTER (WHERE severity = 'error') > 0 THEN 'error' ELSE 'ok' END
  FROM inputs, LATERAL smart_groups.validate(rules) v GROUP BY i;

SELECT count(*) AS calls, count(*) FILTER (WHERE state = 'XX000') AS internal_errors,
       count(DISTINCT state) > 5 AS many_distinct_outcomes
  FROM outcomes;
SELECT state, count(*) FROM outcomes GROUP BY 1 ORDER BY 1;
-- Every SQLSTATE seen is one of the documented ones.
SELECT state FROM outcomes
 WHERE state NOT IN ('ok', 'error', '42601', '42703', '42804', '42883', '22023', '22007', '22008', '22003',
                     '22P02', '42P01', '42704', '55000', '42P17', '54000', '54001', '0A000', '22021')
 GROUP BY state;
-- jsonb input too
SELECT count(*) FILTER (WHERE left(try(format('SELECT smart_groups.compile(%L::jsonb)', rules)), 5) = 'XX000') AS internal_errors_jsonb
  FROM inputs WHERE rules LIKE '{%' AND rules::text IS NOT NULL
   AND try(format('SELECT %L::jsonb', rules)) = 'ok';
SELECT count(*) AS users_still_there FROM app.users;
