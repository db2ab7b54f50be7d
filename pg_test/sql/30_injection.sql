-- Values and names that try to inject SQL are plain data or refused with a clear error; the
-- users table is untouched afterwards.
SET search_path = app, public;
SELECT count(*) AS users_before FROM app.users;
SELECT rule, check_rule(rule, '{}') AS result FROM (VALUES
 ($r$name = "'); DROP TABLE app.users; --"$r$),
 ($r$name = "\"; DROP TABLE app.users; --"$r$),
 ($r$name in ("x'); DELETE FROM app.users; --", "\\'; DELETE FROM app.users; --")$r$),
 ($r$name contains "%' OR 1=1 --"$r$),
 ($r$nick = "'') OR true OR (''"$r$),
 ($r$has enrollments where course = "x' OR '1'='1"$r$)
) AS cases(rule);
-- Names are resolved through the catalog, never pasted: unknown names are refused.
SELECT try($q$SELECT smart_groups.compile('`name"; DROP TABLE app.users; --` = "x"')$q$);
SELECT try($q$SELECT smart_groups.compile('{"field": "name = name OR true --", "op": "eq", "value": "x"}')$q$);
SELECT try($q$SELECT smart_groups.compile('{"has": "clicks; DROP TABLE app.users", "count": {"op": "gte", "value": 1}}')$q$);
SELECT try($q$SELECT smart_groups.compile('member of "x''); DROP TABLE app.users; --"')$q$);
-- With standard_conforming_strings off, backslashes must still be quoted correctly.
SET standard_conforming_strings = off;
SELECT check_rule($r$email contains "\\"$r$, '{3,8}') AS backslash_with_scs_off;
SELECT check_rule($r$name = "\\'; DROP TABLE app.users; --"$r$, '{}') AS backslash_quote_with_scs_off;
RESET standard_conforming_strings;
SELECT count(*) AS users_after FROM app.users;
