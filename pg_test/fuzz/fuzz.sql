-- The SQL-surface fuzz tier (scripts/fuzz.sh): random and adversarial arguments to every
-- public function of smart_groups, and app writes after random settings. Loaded after
-- pg_test/sql/00_fixture.sql. Every call runs in its own subtransaction and is rolled back, so
-- the database the next call sees is the fixture's; what is recorded is the SQLSTATE (or 'ok').
-- The tier fails on any XX000 (an internal error: a panic, or an error we did not classify) and
-- on a lost connection (a crash).
SET search_path = app, public;

-- Groups of every state for the API to act on.
SELECT smart_groups.create_group('Smart', 'age > 20');
SELECT smart_groups.create_group('Named', 'member of "Smart" or member of "Sales"');
SELECT smart_groups.create_group('Recent', 'seen within last 30 days');
SELECT smart_groups.create_group('Clickers', 'has at least 2 clicks where clicked_at within last 30 days');
SELECT smart_groups.create_group('Fields', 'points > 5 or shirt = "L"');
SELECT smart_groups.create_group('Bosses', 'manager.name = "Ann"');
SELECT smart_groups.create_group('Paused', 'role = "admin"', active => false);
SELECT smart_groups.create_group('Old', 'name = "Ann"');
SELECT smart_groups.archive_group('Old');
SELECT smart_groups.exclude('Smart', 1, 'other', 'left the team');
SELECT smart_groups.include('Smart', 2);

CREATE SCHEMA fuzz;

-- Strings people and programs send: rules that work, rules that almost work, token soup,
-- and what breaks parsers (depth, size, escapes, numbers out of range, control characters).
CREATE TABLE fuzz.texts (t text);
INSERT INTO fuzz.texts VALUES
 ('age > 20'), ('name = "Ann"'), ('role in ("admin", "manager")'), ('not (age < 5)'),
 ('hired within last 30 days'), ('seen between 2024-01-01 and 2024-12-31'),
 ('has enrollments where status = "completed"'), ('has no clicks'),
 ('has at least 2 clicks where clicked_at within last 7 days'), ('member of "Smart"'), ('member of "Old"'),
 ('member of "Nope"'), ('points > 5 and shirt = "L"'), ('manager.name = "Ann"'),
 ('tags contains "a"'), ('title contains "man"'), ('email is empty'), ('vip = true'),
 ('joined after 2024-01-01T00:00:00Z'), ('start before 2024-02-01'), ('nick does not contain "x"'),
 ('age > "50"'), ('hire_date > 2024-01-01'), ('age >'), ('age > 1e400'), ('age > -0'),
 ('age > NaN'), ('age > 99999999999999999999999999999999999999'), ('(((((age > 1)))))'),
 ('all of (age > 1, any of (name = "x", not (role = "admin")))'),
 ('has clicks where clicked_at within last 1e9 days'), ('seen within last 999999999 years'),
 ('name = "' || repeat('x', 70000) || '"'), (repeat('(', 200) || 'age > 1' || repeat(')', 200)),
 (repeat('not ', 500) || 'age > 1'), (repeat('age > 1 and ', 3000) || 'age > 1'),
 ('name = "a' || chr(1) || 'b"'), ('name = "\u0000"'), (E'name = "tab\there"'),
 ('`weird name` = 1'), ('name = "Ann" or role = "admin"'), ('has clicks where user_id = 1 or role = "admin"'),
 ('{"field": "age", "op": "gt", "value": 20}'), ('{"field": "age", "op": "gt", "value": 1e400}'),
 ('{"field": "age", "op": "gt", "value": 1e309}'), ('{"field": "age", "op": "gt", "value": -0}'),
 ('{"field": "age", "op": "gt", "value": 1e-400}'), ('{"field": "age", "op": "gt", "value": "NaN"}'),
 ('{"field": "name", "op": "eq", "value": "\u0000"}'), ('{"field": "name", "op": "eq", "value": "\ud800"}'),
 ('{"field": "name", "op": "eq", "value": "\\u0000"}'), ('{"field": "name", "op": "eq"}'),
 ('{"field": "age", "op": "gt", "value": 1, "value": 2}'), ('{"all": []}'), ('{"any": [{}]}'),
 ('{"not": null}'), ('{"member_of": "Smart"}'), ('{"member_of": "' || repeat('g', 5000) || '"}'),
 ('{"has": "clicks", "count": {"op": "gte", "value": 1e400}}'),
 ('{"has": "clicks", "within_last": "1e400 days"}'),
 ('{"field": "seen", "op": "within_last", "value": "99999999999 days"}'),
 ('{"field": "hired", "op": "between", "value": ["2024-01-01", "294277-01-01"]}'),
 ('{"field": "seen", "op": "between", "value": ["-infinity", "infinity"]}'),
 ('{"field": "tags", "op": "in", "value": [' || repeat('"x",', 20000) || '"y"]}'),
 (repeat('[', 130) || repeat(']', 130)), (repeat('[', 5000)), (repeat('{"not": ', 129) || '{}' || repeat('}', 129)),
 (repeat('{"all": [', 200) || '{"field": "age", "op": "gt", "value": 1}' || repeat(']}', 200)),
 ('{'), ('{"field": '), ('[]'), ('null'), ('true'), ('1e400'), ('"string"'), (''), (' '), (E'\n'),
 ('Smart'), ('Sales'), ('Old'), ('Paused'), ('Named'), ('Nope'), (repeat('n', 64)), (repeat('n', 10000)),
 ('é'), ('😀'), ('a"b'), ('a''b'), ('a\b'), ('%'), ('_'), ('--'), (';'), ('DROP TABLE app.users'),
 ('30 days'), ('1 year'), ('-1 days'), ('2024-02-30'), ('01/31/2024'), ('true'), ('yes'), ('1e2'),
 ('text'), ('number'), ('date'), ('timestamp'), ('boolean'), ('enum'), ('uuid'), ('shirt'), ('points'),
 ('app.users'), ('app.clicks'), ('app.enrollments'), ('app.user_field_values'), ('pg_class'),
 ('smart_groups.groups'), ('user_id'), ('field_key'), ('value'), ('id'), ('nope'), (NULL);

-- The words of the text form and JSON, for random soup.
CREATE TABLE fuzz.tokens (t text);
INSERT INTO fuzz.tokens
SELECT unnest(ARRAY['name', 'age', 'role', 'hired', 'seen', 'tags', 'shirt', 'points', 'manager.name',
    'manager.manager.age', 'has', 'enrollments', 'clicks', 'where', 'member', 'of', '"Smart"', 'and',
    'or', 'not', '(', ')', '=', '!=', '<', '>=', 'contains', 'does', 'contain', 'in', 'is', 'empty',
    'between', 'within', 'last', 'next', '30', 'days', '2024-01-31', '"x"', '"a\"b"', '"\\"', '1e999',
    '-5', '0.5', '-0', 'NaN', 'true', 'null', ',', 'count', 'least', 'no', 'all', 'any', '`x`',
    '"unterminated', '{', '}', '[', ']', ':', '"field"', '"op"', '"value"', '"eq"', '"gt"', '"all"',
    '"not"', '"has"', '"member_of"', '''', 'é', E'\n', '--', ';']);

-- A random SQL expression of type `typ` (an argument type of a public function), as text.
CREATE FUNCTION fuzz.text_value() RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    r float8 := random();
    s text;
BEGIN
    IF r < 0.55 THEN
        SELECT t INTO s FROM fuzz.texts OFFSET floor(random() * (SELECT count(*) FROM fuzz.texts)) LIMIT 1;
    ELSIF r < 0.85 THEN
        SELECT string_agg(t, CASE WHEN random() < 0.8 THEN ' ' ELSE '' END)
          INTO s FROM (SELECT t FROM fuzz.tokens ORDER BY random() LIMIT 1 + floor(random() * 14)::int) p;
    ELSIF r < 0.95 THEN
        -- a mutation of a working rule: a character dropped, doubled or replaced
        SELECT t INTO s FROM fuzz.texts WHERE t IS NOT NULL OFFSET floor(random() * 30) LIMIT 1;
        IF length(s) > 0 THEN
            DECLARE i int := 1 + floor(random() * length(s))::int;
            BEGIN
                s := CASE floor(random() * 3)::int
                       WHEN 0 THEN overlay(s PLACING '' FROM i FOR 1)
                       WHEN 1 THEN overlay(s PLACING substr(s, i, 1) || substr(s, i, 1) FROM i FOR 1)
                       ELSE overlay(s PLACING chr(32 + floor(random() * 95)::int) FROM i FOR 1) END;
            END;
        END IF;
    ELSE
        s := NULL;
    END IF;
    RETURN quote_nullable(s) || '::text';
END $$;

CREATE FUNCTION fuzz.value(typ regtype, arg text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    r float8 := random();
    s text;
BEGIN
    -- Group names and keys most of the time, so that calls get past the lookups.
    IF arg IN ('name', 'new_name') AND typ = 'text'::regtype AND r < 0.6 THEN
        RETURN quote_literal((ARRAY['Smart', 'Named', 'Recent', 'Clickers', 'Fields', 'Bosses', 'Paused', 'Old',
                                    'Sales', 'Nope', 'Smart2', 'smart'])[1 + floor(random() * 12)::int]);
    ELSIF arg IN ('key', 'keys') AND typ IN ('text'::regtype, 'text[]'::regtype) AND r < 0.6 THEN
        s := (ARRAY['1', '2', '7', '99', '-1', 'x', '', '1.5', '99999999999'])[1 + floor(random() * 9)::int];
        RETURN CASE WHEN typ = 'text'::regtype THEN quote_literal(s) ELSE format('ARRAY[%L, ''3'']', s) END;
    ELSIF arg = 'reason' AND r < 0.6 THEN
        RETURN quote_literal((ARRAY['other', 'data_quality', 'already_addressed', 'does_not_represent_criteria'])[1 + floor(random() * 4)::int]);
    ELSIF arg IN ('user_column', 'key_column', 'value_column') AND r < 0.7 THEN
        RETURN quote_literal(CASE arg WHEN 'user_column' THEN 'user_id' WHEN 'key_column' THEN 'field_key'
                                      ELSE 'value' END) || '::name';
    ELSIF arg = 'type' AND r < 0.6 THEN
        RETURN quote_literal((ARRAY['text', 'number', 'date', 'timestamp', 'boolean', 'enum'])[1 + floor(random() * 6)::int]);
    END IF;
    IF typ = 'text'::regtype OR typ = 'name'::regtype THEN
        s := fuzz.text_value();
        RETURN CASE WHEN typ = 'name'::regtype THEN replace(s, '::text', '::name') ELSE s END;
    ELSIF typ = 'jsonb'::regtype THEN
        -- texts that are valid jsonb, as jsonb; the rest stay text (a function resolution
        -- error for that call is one more outcome)
        FOR i IN 1..5 LOOP
            s := fuzz.text_value();
            BEGIN
                EXECUTE format('SELECT (%s)::jsonb', s);
                RETURN s || '::jsonb';
            EXCEPTION WHEN OTHERS THEN
                NULL;
            END;
        END LOOP;
        RETURN 'NULL::jsonb';
    ELSIF typ = 'boolean'::regtype THEN
        RETURN (ARRAY['true', 'false', 'NULL::boolean'])[1 + floor(r * 3)::int];
    ELSIF typ = 'regclass'::regtype THEN
        RETURN (ARRAY['''app.users''::regclass', '''app.clicks''::regclass', '''app.user_field_values''::regclass',
                      '''app.enrollments''::regclass', '''pg_class''::regclass', '''smart_groups.groups''::regclass',
                      'NULL::regclass', '''fuzz.texts''::regclass'])[1 + floor(r * 8)::int];
    ELSIF typ = 'text[]'::regtype THEN
        RETURN format('ARRAY[%s, %s]::text[]', fuzz.text_value(), fuzz.text_value());
    ELSIF typ = 'anyelement'::regtype THEN
        RETURN (ARRAY['1', '2', '7', '-1', '2147483647', '0', 'NULL::integer', '''1''::text', '''x''::text',
                      '1::bigint', '9223372036854775807::bigint', '1.5::numeric', 'true',
                      '''00000000-0000-0000-0000-000000000001''::uuid', 'now()', 'ARRAY[1]',
                      '''1''', 'NULL'])[1 + floor(r * 18)::int];
    ELSIF typ = 'anyarray'::regtype THEN
        RETURN (ARRAY['ARRAY[1, 2]', 'ARRAY[]::integer[]', 'ARRAY[NULL]::integer[]', 'ARRAY[1, NULL, 1]',
                      'ARRAY[2147483647, -1]', '''{a,b}''::text[]', 'ARRAY[1::bigint]', 'NULL::integer[]',
                      'ARRAY(SELECT generate_series(1, 5000))', 'ARRAY[ARRAY[1, 2], ARRAY[3, 4]]',
                      'ARRAY[1.5]', 'ARRAY[''x'']'])[1 + floor(r * 12)::int];
    END IF;
    RETURN 'NULL';
END $$;

-- The public functions: every function of the schema whose name does not start with "_".
CREATE TABLE fuzz.functions AS
SELECT p.oid, p.proname::text AS name, p.proargtypes::regtype[] AS args,
       coalesce(p.proargnames, '{}')::text[] AS argnames, p.proretset AS srf
  FROM pg_proc p
 WHERE p.pronamespace = 'smart_groups'::regnamespace AND p.proname !~ '^_' AND p.prokind = 'f'
   AND p.prorettype <> 'trigger'::regtype AND p.prorettype <> 'event_trigger'::regtype;

CREATE TABLE fuzz.outcomes (fn text, state text, call text);

-- n calls, each rolled back; returns the number made.
CREATE FUNCTION fuzz.run(n int) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    f fuzz.functions;
    call text;
    st text;
    fns fuzz.functions[] := (SELECT array_agg(x ORDER BY x.name, x.oid) FROM fuzz.functions x);
BEGIN
    FOR i IN 1..n LOOP
        f := fns[1 + floor(random() * array_length(fns, 1))::int];
        SELECT format('SELECT %s smart_groups.%I(%s)', CASE WHEN f.srf THEN 'count(*) FROM' ELSE '' END,
                      f.name, coalesce(string_agg(fuzz.value(a, f.argnames[o]), ', ' ORDER BY o), ''))
          INTO call FROM unnest(f.args) WITH ORDINALITY AS x(a, o);
        BEGIN
            EXECUTE call;
            RAISE SQLSTATE 'SGOK0';
        EXCEPTION WHEN OTHERS THEN
            st := CASE WHEN SQLSTATE = 'SGOK0' THEN 'ok' ELSE SQLSTATE END;
        END;
        INSERT INTO fuzz.outcomes VALUES (f.name, st, CASE WHEN st = 'XX000' THEN left(call, 2000) END);
    END LOOP;
    RETURN n;
END $$;

-- n rounds of: a random smart_groups.* setting, then app writes that maintenance follows
-- (users, custom fields, relations). The writes must succeed or fail for the app's own reasons.
CREATE FUNCTION fuzz.settings_then_writes(n int) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    setting text;
    val text;
    st text;
    stmt text;
BEGIN
    FOR i IN 1..n LOOP
        setting := (ARRAY['smart_groups.notify', 'smart_groups.small_statement_rows', 'smart_groups.decide_in_rust',
                          'smart_groups.time_refresh_interval', 'smart_groups.databases', 'smart_groups.pending',
                          'smart_groups.catalog_epoch', 'smart_groups.x'])[1 + floor(random() * 8)::int];
        val := (ARRAY['garbage', '', '-1', '0', '1', '2147483647', 'on', 'off', '1s', repeat('z', 5000),
                      '{"a":1}', 'NaN'])[1 + floor(random() * 12)::int];
        stmt := (ARRAY['UPDATE app.users SET age = coalesce(age, 0) + 1 WHERE id = 1 + floor(random() * 8)::int',
                       'UPDATE app.users SET name = ''Ann'', manager_id = 1 WHERE id = 7',
                       'INSERT INTO app.user_field_values VALUES (4, ''points'', ''9'') ON CONFLICT (user_id, field_key) DO UPDATE SET value = ''8''',
                       'INSERT INTO app.clicks VALUES (6, now())',
                       'DELETE FROM app.enrollments WHERE user_id = 1',
                       'INSERT INTO app.users (id, name, age) VALUES (100, ''New'', 40)',
                       'UPDATE app.users SET age = age'])[1 + floor(random() * 7)::int];
        BEGIN
            BEGIN
                PERFORM set_config(setting, val, true);
            EXCEPTION WHEN OTHERS THEN
                NULL;  -- refused: the setting's own validation
            END;
            EXECUTE stmt;
            RAISE SQLSTATE 'SGOK0';
        EXCEPTION WHEN OTHERS THEN
            st := CASE WHEN SQLSTATE = 'SGOK0' THEN 'ok' ELSE SQLSTATE END;
        END;
        INSERT INTO fuzz.outcomes VALUES ('app write after SET ' || setting, st,
                                          CASE WHEN st NOT IN ('ok') THEN format('SET %s = %L; %s', setting, left(val, 40), stmt) END);
    END LOOP;
    RETURN n;
END $$;

-- Runs one statement as the app would and records its outcome ('ok' or the SQLSTATE): what=
-- 'app write ...' must succeed, anything else must not raise XX000.
CREATE FUNCTION fuzz.record(what text, stmt text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    st text := 'ok';
BEGIN
    BEGIN
        EXECUTE stmt;
    EXCEPTION WHEN OTHERS THEN
        st := SQLSTATE;
    END;
    INSERT INTO fuzz.outcomes VALUES (what, st, CASE WHEN st <> 'ok' THEN left(stmt, 2000) END);
    RETURN st;
END $$;
