-- Field-to-field rules on the edge-case fixture: each rule matches exactly the users
-- docs/reference/rules.md ("Comparing two fields") says, its `not` exactly the others, and
-- nothing is NULL. Users 5-7 have dates relative to the fixture's clock: rules that could
-- depend on the day the test runs are limited to users 1-4 (hired before 2024-06-01).
SET search_path = app, public;
SELECT rule, check_rule(rule, expected::int[]) AS result FROM (VALUES
 -- dates with timestamps: the timestamp's UTC day; a naive timestamp holds UTC
 ('hired = seen_naive', '{1,5,7}'),
 ('hired != seen_naive', '{2,3,4,6,8}'),
 ('seen_naive after hired', '{4}'),
 ('seen_naive before hired', '{3,6}'),
 ('hired = seen and hired before 2024-06-01', '{1}'),
 ('seen before hired and hired before 2024-06-01', '{3}'),
 ('hired after seen and hired before 2024-06-01', '{3}'),
 -- timestamps with timestamps: instants, the naive one read as UTC
 ('seen = seen_naive and hired before 2024-06-01', '{1,3,4}'),
 ('joined before seen_naive', '{1,5}'),
 ('joined after seen_naive', '{3}'),
 -- custom fields: read as their type; unreadable text counts as empty
 ('start = joined', '{1}'),
 ('start after joined', '{5}'),
 ('joined = hired', '{1,3}'),
 ('age > points', '{1,6}'),
 ('age <= points', '{3,5}'),
 ('active = vip', '{1,5}'),
 ('active != vip', '{2,3,4,6,7,8}'),
 -- numbers: integer with numeric, exactly
 ('age > score', '{1,5,6,7}'),
 ('age < score', '{4}'),
 ('age >= score and score <= age', '{1,5,6,7}'),
 ('score = score', '{1,2,4,5,6,7}'),
 -- text: exact, the empty string is a value; citext compares exactly too
 ('name = nick', '{2}'),
 ('name != nick', '{1,3,4,5,6,7,8}'),
 ('title = manager.title', '{}'),
 ('title equals ignoring case manager.title', '{2}'),
 ('role != title', '{1,2,3,4,5,6,7,8}'),
 -- through the manager reference, either side
 ('hired before manager.hired', '{7}'),
 ('manager.hired after hired', '{7}'),
 ('hired after manager.hired', '{3,5}'),
 ('age > manager.age', '{5}'),
 ('age < manager.age', '{3,7}'),
 ('vip != manager.active', '{1,2,3,4,5,6,7,8}'),
 -- two columns of a related row
 ('has enrollments where course = status', '{}'),
 ('has enrollments where course != status', '{1,2,3,5}'),
 ('has no enrollments where course != status', '{4,6,7,8}')
) AS t(rule, expected);

-- The same rules in JSON, and both forms of one rule.
SELECT check_rule('{"field": "age", "op": "gt", "value_field": "manager.age"}', '{5}');
SELECT smart_groups.to_json('hired after seen_naive and `title` equals ignoring case manager.title');
SELECT smart_groups.to_text('{"any": [{"field": "hired", "op": "before", "value_field": "start"}, {"field": "name", "op": "neq", "value_field": "nick"}]}');

-- Refused, with the path of what is wrong and the operators that would do.
SELECT try(format('SELECT smart_groups.compile(%L)', r)) FROM (VALUES
 ('age = name'),
 ('tags = tags'),
 ('age = tags'),
 ('name contains email'),
 ('hired < seen'),
 ('role equals ignoring case title'),
 ('age = agee'),
 ('nosuch = alsonosuch'),
 ('has enrollments where course = name'),
 ('{"field": "age", "op": "is_empty", "value_field": "score"}'),
 ('{"field": "age", "op": "eq", "value_field": "score", "value": 1}'),
 ('{"field": "age", "op": "eq", "value_field": 3}')
) AS t(r);
