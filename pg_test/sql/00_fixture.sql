-- Shared fixture for the rule-semantics tests: one users table with a column of every field
-- type, a custom-field table, two relations, and values chosen at the edges docs/reference/rules.md
-- talks about (NULL, '', spaces, case, %, _, \, quotes, non-ASCII, UTC day boundaries,
-- unreadable custom-field text, users without custom-field rows).
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS smart_groups CASCADE;
DROP SCHEMA IF EXISTS app CASCADE;
CREATE EXTENSION smart_groups;
CREATE EXTENSION IF NOT EXISTS citext;
CREATE SCHEMA app;
SET search_path = app, public;

CREATE TYPE role_t AS ENUM ('admin', 'manager', 'creator', 'learner');
CREATE TABLE users (
    id         integer PRIMARY KEY,
    name       text,
    email      text,
    title      citext,
    age        integer,
    score      numeric,
    hired      date,
    seen       timestamptz,
    seen_naive timestamp,
    active     boolean,
    role       role_t,
    tags       text[],
    manager_id integer REFERENCES users (id)
);
-- Relative dates are computed from the transaction's clock, as the rules are.
INSERT INTO users VALUES
 (1, 'Ann',  'ann@x.com',          'Manager',         30,  1.5,  '2024-01-31',
     '2024-01-31 23:59:59.999+00', '2024-01-31 23:59:59.999', true,  'manager', '{a,b}', NULL),
 (2, '',     NULL,                 'manager',         NULL, 0,   NULL,
     '2024-02-01 00:00:00+00',     '2024-02-01 00:00:00',     false, 'admin',   '{}',    1),
 (3, NULL,   'a%b_c\d@x.com',      NULL,              -5,  NULL, '2024-02-01',
     '2024-01-31 00:00:00+00',     '2024-01-31 00:00:00',     NULL,  NULL,      NULL,    1),
 (4, ' Ann', 'ANN@X.COM',          'Senior  Manager', 100, 1000, '2023-12-31',
     '2024-01-30 23:59:59.999999+00', '2024-01-30 23:59:59.999999', true, 'learner', '{b,c}', 2),
 (5, 'Ann ', 'O''Brien "q" ünï',   'ÉCOLE',           0,   -0.5, (now() AT TIME ZONE 'UTC')::date - 10,
     now() - interval '10 days',   (now() AT TIME ZONE 'UTC') - interval '10 days', false, 'creator', '{c}', 3),
 (6, 'ann',  'éva@x.com',          'école',           31,  2,    (now() AT TIME ZONE 'UTC')::date + 5,
     now() + interval '1 day',     (now() AT TIME ZONE 'UTC') + interval '1 day', true, 'manager', '{a}', NULL),
 (7, 'Éva',  'a_b@x.com',          NULL,              29,  1.50, (now() AT TIME ZONE 'UTC')::date - 40,
     now() - interval '40 days',   (now() AT TIME ZONE 'UTC') - interval '40 days', false, 'learner', '{b}', 6),
 (8, 'A%n',  'x\y@x.com',          '',                NULL, NULL, NULL,
     NULL,                         NULL,                      NULL,  NULL,      NULL,    4);

CREATE TABLE user_field_values (user_id integer NOT NULL REFERENCES users (id), field_key text NOT NULL,
                                value text, PRIMARY KEY (user_id, field_key));
INSERT INTO user_field_values VALUES
 (1, 'shirt', 'L'),   (1, 'start', '2024-01-31'), (1, 'points', '12'),  (1, 'vip', 'true'),
 (1, 'joined', '2024-01-31T23:59:59Z'), (1, 'nick', 'Annie'),
 (2, 'shirt', 'XL'),  (2, 'start', 'not a date'), (2, 'points', 'abc'), (2, 'vip', 'yes'),
 (2, 'joined', 'garbage'), (2, 'nick', ''),
 (3, 'shirt', 'l'),   (3, 'start', '2024-02-30'), (3, 'points', ' 7 '), (3, 'vip', 'FALSE'),
 (3, 'joined', '2024-02-01 00:00:00'), (3, 'nick', ' x'),
 (5, 'shirt', 'M'),   (5, 'start', '2024-02-01'), (5, 'points', '1e2'), (5, 'vip', 'false'),
 (5, 'joined', '2024-01-31'), (5, 'nick', 'O"Neil\'),
 (6, 'start', '02/01/2024'), (6, 'points', '-3.5'), (6, 'nick', 'a%b');

CREATE TABLE enrollments (user_id integer NOT NULL REFERENCES users (id), course text, status text);
INSERT INTO enrollments VALUES
 (1, 'Driver Safety', 'completed'), (1, 'Fire', 'started'), (2, 'Driver Safety', 'started'),
 (3, 'Driver Safety', 'completed'), (3, 'Driver Safety', 'completed'), (5, NULL, 'completed');
CREATE TABLE clicks (user_id integer NOT NULL REFERENCES users (id), clicked_at timestamptz);
INSERT INTO clicks
SELECT u, now() - d * interval '1 day'
  FROM (VALUES (1, 1), (1, 2), (1, 3), (2, 1), (2, 30), (2, 40), (3, 25), (3, 25), (3, 25),
               (4, -1), (4, -1), (4, -1), (5, 19), (5, 19), (5, 19)) AS c(u, d);

SELECT smart_groups.attach_users('app.users');
SELECT smart_groups.attach_custom_fields('app.user_field_values',
         user_column => 'user_id', key_column => 'field_key', value_column => 'value');
SELECT smart_groups.define_custom_field('shirt', 'enum', allowed => '{S,M,L,XL}');
SELECT smart_groups.define_custom_field('start', 'date');
SELECT smart_groups.define_custom_field('points', 'number');
SELECT smart_groups.define_custom_field('vip', 'boolean');
SELECT smart_groups.define_custom_field('joined', 'timestamp');
SELECT smart_groups.define_custom_field('nick', 'text');
SELECT smart_groups.attach_relation('enrollments', 'app.enrollments', user_column => 'user_id');
SELECT smart_groups.attach_relation('clicks', 'app.clicks', user_column => 'user_id');

-- A static group to test member_of against.
SELECT smart_groups.create_static_group('Sales');
SELECT smart_groups.add_members('Sales', ARRAY[1, 4]);

-- check_rule(R, E): R matches exactly the users E; {"not": R} matches exactly the others; the
-- compiled predicate is never NULL for any user.
CREATE FUNCTION check_rule(rules text, expected int[]) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    pred     text := smart_groups.compile(rules);
    neg_pred text := smart_groups.compile(jsonb_build_object('not', smart_groups.to_json(rules)));
    got      int[];
    neg      int[];
    want_neg int[];
    nulls    bigint;
BEGIN
    EXECUTE format('SELECT coalesce(array_agg(id ORDER BY id), ''{}'') FROM app.users u WHERE %s', pred) INTO got;
    EXECUTE format('SELECT coalesce(array_agg(id ORDER BY id), ''{}'') FROM app.users u WHERE %s', neg_pred) INTO neg;
    EXECUTE format('SELECT count(*) FROM app.users u WHERE (%s) IS NULL OR (%s) IS NULL', pred, neg_pred) INTO nulls;
    SELECT coalesce(array_agg(id ORDER BY id), '{}') INTO want_neg FROM app.users WHERE id <> ALL (expected);
    IF got = expected AND neg = want_neg AND nulls = 0 THEN
        RETURN 'ok';
    END IF;
    RETURN format('MISMATCH: got %s, expected %s; not gave %s; NULL for %s users', got, expected, neg, nulls);
END $$;

-- group_state(): every group's members and how many problems verify() finds (the live tests).
CREATE FUNCTION group_state() RETURNS TABLE (name text, members text, verify_problems bigint)
LANGUAGE sql AS $$
    SELECT g.name, coalesce((SELECT string_agg(m.user_key::text, ',' ORDER BY m.user_key)
                               FROM smart_groups.members m WHERE m.group_id = g.id), ''),
           (SELECT count(*) FROM smart_groups.verify())
      FROM smart_groups.groups g ORDER BY g.id
$$;

-- try(SQL): 'ok', or the error's SQLSTATE, message, detail and hint.
CREATE FUNCTION try(q text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    st text; msg text; det text; hnt text;
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL,
                            hnt = PG_EXCEPTION_HINT;
    RETURN st || ': ' || msg || coalesce(E'\nDETAIL: ' || nullif(det, ''), '')
              || coalesce(E'\nHINT: ' || nullif(hnt, ''), '');
END $$;
