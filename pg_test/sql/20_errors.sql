-- Every class of user mistake gets its own SQLSTATE, a message that names the thing, and a
-- hint where one helps (docs/reference/errors.md). No input yields XX000.
SET search_path = app, public;
\pset format unaligned
\pset tuples_only on
SELECT q, try(q) AS outcome FROM (VALUES
 -- syntax of the text form: line, column, expected, found, caret
 ($$SELECT smart_groups.compile('role = and')$$),
 ($$SELECT smart_groups.compile(E'name = "Ann"\n  and role ==')$$),
 ($$SELECT smart_groups.compile('name = "unterminated')$$),
 ($$SELECT smart_groups.compile('name frobs "x"')$$),
 ($$SELECT smart_groups.compile('name = "a" garbage')$$),
 -- JSON shape
 ($$SELECT smart_groups.compile('{"all": [{"feild": "name", "op": "eq", "value": "x"}]}')$$),
 ($$SELECT smart_groups.compile('{"field": "name", "value": "x"}')$$),
 ($$SELECT smart_groups.compile('{"field": "name", "op": "containz", "value": "x"}')$$),
 ($$SELECT smart_groups.compile('{"field": "name", "op": "eq", "value": null}')$$),
 ($$SELECT smart_groups.compile('{"field": "name", "op": "is_empty", "value": "x"}')$$),
 ($$SELECT smart_groups.compile('{"all": [1]}')$$),
 ($$SELECT smart_groups.compile('{"all": [}')$$),
 ($$SELECT smart_groups.compile('{"has": "clicks", "count": {"op": "gte", "value": -1}}')$$),
 -- names
 ($$SELECT smart_groups.compile('departmnet = "x"')$$),
 ($$SELECT smart_groups.compile('nmae = "x"')$$),
 ($$SELECT smart_groups.compile('boss.name = "x"')$$),
 ($$SELECT smart_groups.compile('has clickz')$$),
 ($$SELECT smart_groups.compile('has clicks where clicked = 2024-01-01')$$),
 ($$SELECT smart_groups.compile('member of "Salse"')$$),
 -- operators and values
 ($$SELECT smart_groups.compile('hired contains "2024"')$$),
 ($$SELECT smart_groups.compile('age = "thirty"')$$),
 ($$SELECT smart_groups.compile('role = "admn"')$$),
 ($$SELECT smart_groups.compile('shirt in ("L", "XXL")')$$),
 ($$SELECT smart_groups.compile('{"field": "name", "op": "in", "value": []}')$$),
 ($$SELECT smart_groups.compile('age between 10 and 5')$$),
 ($$SELECT smart_groups.compile('hired between 2024-02-01 and 2024-01-01')$$),
 ($$SELECT smart_groups.compile('hired on 2024-13-01')$$),
 ($$SELECT smart_groups.compile('hired on 2024-01-31T10:00:00Z')$$),
 ($$SELECT smart_groups.compile('seen within last 30 dayz')$$),
 ($$SELECT smart_groups.compile('seen within last 0 days')$$),
 ($$SELECT smart_groups.compile('active = "yes"')$$),
 ($$SELECT smart_groups.compile('{"field": "name", "op": "eq", "value": "a\u0000b"}')$$),
 -- limits
 ($$SELECT smart_groups.compile(repeat('not ', 40) || 'name = "x"')$$),
 ($$SELECT smart_groups.compile(repeat('(', 60000))$$),
 ($$SELECT smart_groups.compile(repeat('{"not": ', 40) || '{"field": "name", "op": "is_empty"}' || repeat('}', 40))$$),
 ($$SELECT smart_groups.compile('name in (' || rtrim(repeat('"xxxxxxxx", ', 8000), ', ') || ')')$$),
 -- attaching
 ($$SELECT smart_groups.define_custom_field('name', 'text')$$),
 ($$SELECT smart_groups.define_custom_field('shirt', 'text')$$),
 ($$SELECT smart_groups.define_custom_field('size', 'colour')$$),
 ($$SELECT smart_groups.define_custom_field('size', 'enum')$$),
 ($$SELECT smart_groups.drop_custom_field('nope')$$),
 ($$SELECT smart_groups.attach_relation('clicks', 'app.clicks', user_column => 'user_id')$$),
 ($$SELECT smart_groups.attach_relation('visits', 'app.clicks', user_column => 'uid')$$),
 ($$SELECT smart_groups.attach_relation('visits', 'app.nope', user_column => 'uid')$$)
) AS cases(q);

-- validate() reports every problem as rows instead of raising.
SELECT * FROM smart_groups.validate('departmnet = "x" and age = "thirty" and role = "admn"');
SELECT * FROM smart_groups.validate('name = " Ann" or name = "Van  Loon"');
SELECT * FROM smart_groups.validate('role = ');

-- Data-aware warnings: a value no user has, with a did-you-mean from the values users do
-- have, and custom-field texts that cannot be read as their type.
\pset format aligned
\pset tuples_only off
SELECT * FROM smart_groups.validate('name = "Anna" and role in ("manager", "admin") and manager.name = "Ann"');
SELECT * FROM smart_groups.validate('email = "ann@x.co" or nick = "Anie"');
SELECT * FROM smart_groups.validate('points > 3 and vip = true and shirt = "M"');
SELECT * FROM smart_groups.validate('has enrollments where course = "Driver Safty"');

-- Errors speak the form the ruleset was written in: operators and values in text-form words
-- for the text form, JSON words for JSON; through compile, validate and the group functions.
\pset format unaligned
\pset tuples_only on
SELECT try($$SELECT smart_groups.compile('hired > 2024-01-01')$$);
SELECT try($$SELECT smart_groups.compile('{"field": "hired", "op": "gt", "value": "2024-01-01"}')$$);
SELECT try($$SELECT smart_groups.create_group('Scores', 'points > "50"')$$);
SELECT try($$SELECT smart_groups.create_group('Scores', '{"field": "points", "op": "gt", "value": "50"}'::jsonb)$$);
SELECT try($$SELECT smart_groups.preview_count('tags includes ("a", "b")')$$);
SELECT try($$SELECT smart_groups.compile('name is empty "x"')$$);
-- A where clause runs to the end of its parentheses: a users field inside it gets a hint.
SELECT try($$SELECT smart_groups.compile('has clicks where clicked_at within last 3 days or role = "admin"')$$);
SELECT try($$SELECT smart_groups.compile('{"has": "clicks", "where": {"field": "role", "op": "eq", "value": "admin"}}')$$);
SELECT message, hint FROM smart_groups.validate('hired > 2024-01-01');
