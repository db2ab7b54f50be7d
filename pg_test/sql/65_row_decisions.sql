-- UPDATEs of a few users decide the rules on the users' own rows in Rust, from the changed
-- rows (smart_groups.decide_in_rust); where Rust cannot compare a value exactly as Postgres
-- does, a query decides. Each UPDATE below is one where the two could differ; verify()
-- (which recomputes every group in SQL) must stay empty, with the setting on and off.
SET client_min_messages = warning;
DO $$ DECLARE g record; BEGIN FOR g IN SELECT name FROM smart_groups.groups ORDER BY depth DESC, id DESC LOOP PERFORM smart_groups.drop_group(g.name); END LOOP; END $$;
DROP SCHEMA IF EXISTS rd CASCADE;
CREATE SCHEMA rd;
CREATE EXTENSION IF NOT EXISTS citext;
CREATE COLLATION rd.nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
RESET client_min_messages;
CREATE TYPE rd.tier AS ENUM ('gold', 'silver', 'bronze');
CREATE TABLE rd.users (
    id      integer PRIMARY KEY,
    score   double precision,
    ratio   real,
    amount  numeric(10,2),
    n       bigint,
    tier    rd.tier,
    email   citext,
    code    varchar(10),
    label   text COLLATE rd.nocase,
    tags    text[],
    day     date,
    seen    timestamp,
    seen_tz timestamptz,
    ok      boolean
);
INSERT INTO rd.users (id) SELECT generate_series(1, 4);
SELECT smart_groups.attach_users('rd.users');

CREATE FUNCTION rd.state() RETURNS TABLE (name text, members text, verify_problems bigint)
LANGUAGE sql AS $$
    SELECT g.name, coalesce((SELECT string_agg(m.user_key::text, ',' ORDER BY m.user_key)
                               FROM smart_groups.members m WHERE m.group_id = g.id), ''),
           (SELECT count(*) FROM smart_groups.verify())
      FROM smart_groups.groups g ORDER BY g.id
$$;

-- float8: NaN is above every number, -0 equals 0.
SELECT smart_groups.create_group('score', 'score >= 0.1 or score = 0') > 0 AS created;
SELECT smart_groups.create_group('score high', 'score > 100') > 0 AS created;
-- float4 is widened: 0.1::real is not 0.1, and is above it.
SELECT smart_groups.create_group('ratio', 'ratio = 0.1 or ratio < 0.1') > 0 AS created;
SELECT smart_groups.create_group('amount', 'amount = 1 and n in (1, 3000000000)') > 0 AS created;
SELECT smart_groups.create_group('tier', 'tier = "silver"') > 0 AS created;
SELECT smart_groups.create_group('email', 'email = "Ann@x.io"') > 0 AS created;
SELECT smart_groups.create_group('email ci', 'email contains ignoring case "ann@"') > 0 AS created;
SELECT smart_groups.create_group('code ci', 'code starts with ignoring case "école"') > 0 AS created;
SELECT smart_groups.create_group('label', 'label = "abc"') > 0 AS created;
SELECT smart_groups.create_group('tags', 'tags includes "a" and not (tags includes "b")') > 0 AS created;
SELECT smart_groups.create_group('day', 'day within last 30 days or day after 2100-01-01') > 0 AS created;
SELECT smart_groups.create_group('seen', 'seen within last 2 hours') > 0 AS created;
SELECT smart_groups.create_group('seen tz', 'seen_tz between 2024-01-01 and 2024-01-31') > 0 AS created;
SELECT smart_groups.create_group('ok', 'ok = false') > 0 AS created;

-- Each statement below in Rust (the default), then the same kind of change in SQL.
UPDATE rd.users SET score = 0.1 WHERE id = 1;
UPDATE rd.users SET score = 'NaN' WHERE id = 2;
UPDATE rd.users SET score = '-0' WHERE id = 3;
UPDATE rd.users SET ratio = 0.1 WHERE id = 1;
UPDATE rd.users SET amount = 1.00, n = 3000000000 WHERE id = 1;
UPDATE rd.users SET tier = 'silver' WHERE id IN (1, 2);
UPDATE rd.users SET email = 'ann@x.io' WHERE id = 1;
UPDATE rd.users SET email = 'Ann@x.io' WHERE id = 2;
UPDATE rd.users SET email = 'JOANN@X.IO' WHERE id = 3;
UPDATE rd.users SET code = 'ÉCOLE 1' WHERE id = 1;
UPDATE rd.users SET code = 'ecole 1' WHERE id = 2;
UPDATE rd.users SET label = 'ABC' WHERE id = 1;
UPDATE rd.users SET tags = ARRAY['a', NULL] WHERE id = 1;
UPDATE rd.users SET tags = ARRAY['a', 'b'] WHERE id = 2;
UPDATE rd.users SET tags = '{{a,c},{d,e}}' WHERE id = 3;
UPDATE rd.users SET day = current_date - 3 WHERE id = 1;
UPDATE rd.users SET day = 'infinity' WHERE id = 2;
UPDATE rd.users SET day = '-infinity' WHERE id = 3;
UPDATE rd.users SET seen = (now() AT TIME ZONE 'UTC') - interval '1 hour' WHERE id = 1;
UPDATE rd.users SET seen = (now() AT TIME ZONE 'UTC') + interval '1 hour' WHERE id = 2;
UPDATE rd.users SET seen_tz = '2024-01-31 23:59:59.999999+00' WHERE id = 1;
UPDATE rd.users SET seen_tz = '2024-02-01 00:00:00+00' WHERE id = 2;
UPDATE rd.users SET seen_tz = 'infinity' WHERE id = 3;
UPDATE rd.users SET ok = false WHERE id <> 4;
SELECT * FROM rd.state();

SET smart_groups.decide_in_rust = off;
UPDATE rd.users SET score = 0.1 WHERE id = 4;
UPDATE rd.users SET ratio = 0.1 WHERE id = 4;
UPDATE rd.users SET email = 'Ann@x.io', tier = 'silver', tags = ARRAY['a'] WHERE id = 4;
SELECT * FROM rd.state();
RESET smart_groups.decide_in_rust;

-- Changes back, several users per statement, and a value changed to an equal one.
UPDATE rd.users SET score = NULL, ratio = 0.2, amount = 1.0 WHERE id IN (1, 2, 3, 4);
UPDATE rd.users SET tier = 'gold', email = upper(email::text), label = 'abd' WHERE id <= 2;
UPDATE rd.users SET tags = NULL, day = NULL, seen = NULL, seen_tz = NULL, ok = true;
SELECT * FROM rd.state();

-- A group reading a column Rust does not read exactly (nondeterministic collation) and one
-- it does, changed by one statement: the query decides both.
UPDATE rd.users SET label = 'abc', score = 0.1 WHERE id = 3;
SELECT * FROM rd.state();

DO $$ DECLARE g record; BEGIN FOR g IN SELECT name FROM smart_groups.groups ORDER BY depth DESC, id DESC LOOP PERFORM smart_groups.drop_group(g.name); END LOOP; END $$;
