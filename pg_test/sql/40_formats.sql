-- Other formats (docs/reference/formats.md): react-querybuilder's RuleGroupType and JsonLogic.
-- Each of their operators that takes text, with %, _ and \ in the value, matches literally
-- (check_rule also checks that its negation matches exactly the other users); fields take
-- their types from the catalog; ours -> theirs -> ours gives the same ruleset; what has no
-- equivalent is refused with its JSON path; groups take their output.
SET search_path = app, public;

CREATE FUNCTION qb(field text, operator text, value jsonb) RETURNS text
LANGUAGE sql AS $$
  SELECT smart_groups.from_querybuilder(jsonb_build_object('combinator', 'and', 'rules',
           jsonb_build_array(jsonb_build_object('field', field, 'operator', operator, 'value', value))))::text $$;

-- react-querybuilder, per operator
SELECT field, operator, value, qb(field, operator, value::jsonb) AS ours,
       check_rule(qb(field, operator, value::jsonb), expected::int[]) AS result
  FROM (VALUES
 ('email', 'contains',         '"%"',          '{3}'),
 ('email', 'contains',         '"_"',          '{3,7}'),
 ('email', 'contains',         '"\\"',         '{3,8}'),
 ('email', 'contains',         '"%b_"',        '{3}'),
 ('email', 'doesNotContain',   '"_"',          '{1,2,4,5,6,8}'),
 ('email', 'beginsWith',       '"a%"',         '{3}'),
 ('email', 'beginsWith',       '"a_"',         '{7}'),
 ('email', 'doesNotBeginWith', '"a_"',         '{1,2,3,4,5,6,8}'),
 ('email', 'endsWith',         '"\\y@x.com"',  '{8}'),
 ('email', 'doesNotEndWith',   '"\\y@x.com"',  '{1,2,3,4,5,6,7}'),
 ('name',  '=',                '"A%n"',        '{8}'),
 ('name',  '!=',               '"A%n"',        '{1,2,3,4,5,6,7}'),
 ('name',  'in',               '"A%n, Ann"',   '{1,8}'),
 ('name',  'notIn',            '["A%n", "Ann"]', '{2,3,4,5,6,7}'),
 ('name',  'null',             '""',           '{2,3}'),
 ('name',  'notNull',          'null',         '{1,4,5,6,7,8}'),
 ('age',   '<',                '"30"',         '{3,5,7}'),
 ('age',   '<=',               '30',           '{1,3,5,7}'),
 ('age',   '>',                '30',           '{4,6}'),
 ('age',   '>=',               '"30"',         '{1,4,6}'),
 ('age',   'between',          '"0,30"',       '{1,5,7}'),
 ('age',   'notBetween',       '[0, 30]',      '{2,3,4,6,8}'),
 ('hired', '<',                '"2024-01-01"', '{4}'),
 ('hired', '<=',               '"2024-01-31"', '{1,4}'),
 ('hired', '>',                '"2024-01-31"', '{3,5,6,7}'),
 ('tags',  'contains',         '"a"',          '{1,6}'),
 ('tags',  'in',               '"a,c"',        '{1,4,5,6}'),
 ('active','=',                '"true"',       '{1,4,6}'),
 ('points','>',                '"10"',         '{1,5}'),
 ('role',  'in',               '"admin,learner"', '{2,4,7}')
) AS t(field, operator, value, expected)
 ORDER BY field, operator, value;

-- JsonLogic, per operation
SELECT logic, smart_groups.from_jsonlogic(logic::jsonb)::text AS ours,
       check_rule(smart_groups.from_jsonlogic(logic::jsonb)::text, expected::int[]) AS result
  FROM (VALUES
 ('{"in": ["%", {"var": "email"}]}',                    '{3}'),
 ('{"in": ["\\", {"var": "email"}]}',                   '{3,8}'),
 ('{"!": {"in": ["_", {"var": "email"}]}}',             '{1,2,4,5,6,8}'),
 ('{"startsWith": [{"var": "email"}, "a%"]}',           '{3}'),
 ('{"endsWith": [{"var": "email"}, "\\y@x.com"]}',      '{8}'),
 ('{"==": [{"var": "name"}, "A%n"]}',                   '{8}'),
 ('{"!=": [{"var": "name"}, null]}',                    '{1,4,5,6,7,8}'),
 ('{"in": [{"var": "name"}, ["A%n", "Ann"]]}',          '{1,8}'),
 ('{"<=": [0, {"var": "age"}, 30]}',                    '{1,5,7}'),
 ('{"<": [30, {"var": "age"}]}',                        '{4,6}'),
 ('{"<": [{"var": "hired"}, "2024-01-01"]}',            '{4}'),
 ('{"in": ["a", {"var": "tags"}]}',                     '{1,6}'),
 ('{"some": [{"var": "tags"}, {"in": [{"var": ""}, ["a", "c"]]}]}', '{1,4,5,6}'),
 ('{"and": [{"==": [{"var": "active"}, true]}, {"or": [{">": [{"var": "age"}, 30]}, {"==": [{"var": "manager.name"}, "Ann"]}]}]}', '{4,6}')
) AS t(logic, expected)
 ORDER BY logic;

-- Ours -> theirs -> ours: the same canonical JSON.
SELECT rules,
       smart_groups.from_querybuilder(smart_groups.to_querybuilder(rules)) = smart_groups.to_json(rules) AS querybuilder,
       smart_groups.from_jsonlogic(smart_groups.to_jsonlogic(rules)) = smart_groups.to_json(rules) AS jsonlogic
  FROM (VALUES
 ('name = "Ann" and age > 3'),
 ('email contains "a%b_" or not (email starts with "x\\") or email ends with "@x.com"'),
 ('name not in ("A%n", "Ann") and email does not contain "_"'),
 ('age between 1 and 30 or score <= 1.5 or score >= -0.5 or age != 7'),
 ('hired before 2024-01-01 or seen after 2024-02-01'),
 ('tags includes "a" and tags does not include "b" and tags includes any ("c", "d")'),
 ('email is empty or (name is not empty and role not in ("admin", "learner"))'),
 ('not (age > 3 and not (name = "Ann" or name = "A%n"))'),
 ('manager.name = "Ann" and points > 10 and vip = true and shirt in ("L", "XL")')
) AS t(rules)
 ORDER BY rules;

-- A field as the value (react-querybuilder's valueSource "field", JsonLogic's two vars): two
-- fields compared, as docs/reference/rules.md says ("Comparing two fields").
CREATE FUNCTION qbf(field text, operator text, value jsonb) RETURNS text
LANGUAGE sql AS $$
  SELECT smart_groups.from_querybuilder(jsonb_build_object('combinator', 'and', 'rules',
           jsonb_build_array(jsonb_build_object('field', field, 'operator', operator, 'value', value,
                                                'valueSource', 'field'))))::text $$;
SELECT field, operator, value, qbf(field, operator, value::jsonb) AS ours,
       check_rule(qbf(field, operator, value::jsonb), expected::int[]) AS result
  FROM (VALUES
 ('age',   '>',          '"manager.age"',          '{5}'),
 ('age',   '<',          '"score"',                '{4}'),
 ('hired', '=',          '"seen_naive"',           '{1,5,7}'),
 ('hired', '>=',         '"seen_naive"',           '{1,3,5,6,7}'),
 ('name',  '!=',         '"nick"',                 '{1,3,4,5,6,7,8}'),
 ('title', 'eq_ci',      '"manager.title"',        '{2}'),
 ('age',   'between',    '"score, points"',        '{5}'),
 ('age',   'notBetween', '["score", "points"]',    '{1,2,3,4,6,7,8}'),
 ('name',  'in',         '"nick, manager.name"',   '{2}')
) AS t(field, operator, value, expected);
SELECT logic, smart_groups.from_jsonlogic(logic::jsonb)::text AS ours,
       check_rule(smart_groups.from_jsonlogic(logic::jsonb)::text, expected::int[]) AS result
  FROM (VALUES
 ('{"==": [{"var": "hired"}, {"var": "seen_naive"}]}',                    '{1,5,7}'),
 ('{"<": [{"var": "age"}, {"var": "manager.age"}]}',                      '{3,7}'),
 ('{"<=": [{"var": "score"}, {"var": "age"}, {"var": "points"}]}',         '{5}'),
 ('{"!": {"==": [{"var": "active"}, {"var": "vip"}]}}',                    '{2,3,4,6,7,8}')
) AS t(logic, expected);
SELECT smart_groups.to_querybuilder('hired after seen_naive and title equals ignoring case manager.title');
SELECT smart_groups.to_jsonlogic('age >= score or name != nick');

-- JsonLogic has no "not in" of its own: "not" of "in" comes back as not_in (formats::normalize).
SELECT smart_groups.from_jsonlogic(smart_groups.to_jsonlogic('not (role in ("admin"))'));

-- What has no equivalent, with the path of where it is.
SELECT try($$SELECT smart_groups.from_querybuilder('{"combinator": "and", "rules": [{"combinator": "or", "rules": [{"field": "hired", "operator": "<", "value": "seen", "valueSource": "formula"}]}]}')$$);
SELECT try($$SELECT smart_groups.from_querybuilder('{"combinator": "and", "rules": [{"field": "name", "operator": "beginsWith", "value": "email", "valueSource": "field"}]}')$$);
SELECT try($$SELECT smart_groups.from_querybuilder('{"combinator": "xor", "rules": []}')$$);
SELECT try($$SELECT smart_groups.from_querybuilder('{"combinator": "and", "rules": [{"field": "age", "operator": "divisibleBy", "value": 3}]}')$$);
SELECT try($$SELECT smart_groups.from_querybuilder('{"combinator": "and", "rules": [{"field": "age", "operator": "="}]}')$$);
SELECT try($$SELECT smart_groups.from_querybuilder('[1, 2')$$);
SELECT try($$SELECT smart_groups.from_jsonlogic('{"and": [{"==": [{"var": "age"}, 1]}, {"if": [true, 1, 2]}]}')$$);
SELECT try($$SELECT smart_groups.from_jsonlogic('{"in": [{"var": "name"}, {"var": "email"}]}')$$);
SELECT try($$SELECT smart_groups.to_querybuilder('age > 3 and (member of "Sales" or age < 2)')$$);
SELECT try($$SELECT smart_groups.to_jsonlogic('age > 3 or hired within last 30 days')$$);
SELECT try($$SELECT smart_groups.to_jsonlogic('{"has": "clicks"}'::jsonb)$$);
-- What they name that we do not know is reported when the ruleset is used, as any ruleset's.
SELECT try($$SELECT smart_groups.create_group('qb-bad', smart_groups.from_querybuilder('{"combinator": "and", "rules": [{"field": "agee", "operator": "=", "value": 3}]}'))$$);

-- Groups take their output, and stay exact.
SELECT smart_groups.create_group('qb-escaped', smart_groups.from_querybuilder(
  '{"combinator": "or", "rules": [{"field": "email", "operator": "contains", "value": "%"}, {"field": "email", "operator": "endsWith", "value": "\\y@x.com"}]}')) IS NOT NULL AS created;
SELECT array_agg(user_key ORDER BY user_key) FROM smart_groups.memberships WHERE group_name = 'qb-escaped';
SELECT smart_groups.set_rules('qb-escaped', smart_groups.from_jsonlogic('{"in": ["_", {"var": "email"}]}'));
SELECT array_agg(user_key ORDER BY user_key) FROM smart_groups.memberships WHERE group_name = 'qb-escaped';
SELECT rules_text FROM smart_groups.groups WHERE name = 'qb-escaped';
UPDATE app.users SET email = 'new_one@x.com' WHERE id = 1;
SELECT array_agg(user_key ORDER BY user_key) FROM smart_groups.memberships WHERE group_name = 'qb-escaped';
UPDATE app.users SET email = 'ann@x.com' WHERE id = 1;
SELECT smart_groups.drop_group('qb-escaped');
SELECT count(*) AS differences FROM smart_groups.verify();
DROP FUNCTION qb(text, text, jsonb);
