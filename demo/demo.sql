-- Demo app database: 100,000 users of a fictional company, with custom fields, course
-- enrollments and security-training events, attached to smart_groups.
\set ON_ERROR_STOP 1
\pset footer off
CREATE EXTENSION smart_groups;
CREATE EXTENSION citext;

CREATE TYPE user_role AS ENUM ('admin', 'manager', 'creator', 'learner');
CREATE TABLE users (
    id          bigint PRIMARY KEY,
    name        text NOT NULL,
    email       citext NOT NULL,
    job_title   text,
    department  text,
    location    text,
    role        user_role NOT NULL DEFAULT 'learner',
    hire_date   date,
    created_at  timestamptz NOT NULL DEFAULT now(),
    skills      text[],
    manager_id  bigint REFERENCES users (id)
);
CREATE TABLE user_field_values (
    user_id   bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    field_key text NOT NULL,
    value     text,
    PRIMARY KEY (user_id, field_key)
);
CREATE TABLE enrollments (
    id           bigserial PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course       text NOT NULL,
    status       text NOT NULL,
    completed_at timestamptz
);
CREATE TABLE clicks (
    id         bigserial PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    campaign   text NOT NULL,
    clicked_at timestamptz NOT NULL
);
CREATE INDEX ON user_field_values (field_key, user_id);
CREATE INDEX ON enrollments (user_id);
CREATE INDEX ON clicks (user_id, clicked_at);
CREATE INDEX ON users (manager_id);
-- The time columns relative-time rules read (README, "Live membership"): each refresh of
-- those rules is then a range scan of the rows that crossed a boundary.
CREATE INDEX ON users (hire_date);
CREATE INDEX ON clicks (clicked_at);
CREATE INDEX ON user_field_values (smart_groups.read_date(value)) WHERE field_key = 'start_date';

-- Deterministic pseudo-random data: skewed departments and locations, a manager hierarchy.
SELECT setseed(0.42) \gset
INSERT INTO users (id, name, email, job_title, department, location, role, hire_date, created_at, skills, manager_id)
SELECT i,
       first || ' ' || last,
       lower(first || '.' || last || i) || '@example.com',
       (ARRAY['Account Manager', 'Sales Representative', 'Software Engineer', 'Engineering Manager',
              'Marketing Specialist', 'Product Manager', 'Support Agent', 'Data Analyst',
              'HR Partner', 'Driver'])[1 + (i * 7 + i / 13) % 10],
       (ARRAY['Sales', 'Sales', 'Sales', 'Engineering', 'Engineering', 'Marketing', 'Support',
              'Support', 'Logistics', 'HR'])[1 + (i * 3 + i / 7) % 10],
       (ARRAY['Netherlands', 'Belgium', 'Luxembourg', 'Germany', 'Germany', 'France', 'Spain',
              'United Kingdom', 'United States', 'United States'])[1 + (i * 11 + i / 17) % 10],
       CASE WHEN i % 50 = 0 THEN 'manager' WHEN i % 997 = 0 THEN 'admin'
            WHEN i % 20 = 0 THEN 'creator' ELSE 'learner' END::user_role,
       (now() AT TIME ZONE 'UTC')::date - ((i * 37) % 3650),
       now() - ((i * 41) % 4000) * interval '1 day' - (i % 86400) * interval '1 second',
       CASE i % 6 WHEN 0 THEN '{sql,rust}' WHEN 1 THEN '{sales,negotiation}' WHEN 2 THEN '{excel}'
                  WHEN 3 THEN '{driving,safety}' WHEN 4 THEN '{sql}' ELSE '{}' END::text[],
       CASE WHEN i > 50 THEN greatest(50, (i / 100) * 50) END
  FROM generate_series(1, 100000) AS i,
       LATERAL (SELECT (ARRAY['Anna', 'Bram', 'Chloé', 'Daan', 'Emma', 'Finn', 'Greta', 'Hugo',
                              'Iris', 'Jan', 'Lotte', 'Milan'])[1 + (i * 5) % 12] AS first,
                       (ARRAY['de Vries', 'Jansen', 'Peeters', 'Müller', 'Dubois', 'Smith',
                              'García', 'Van Loon', 'Bakker', 'Maes'])[1 + (i * 3 + i / 11) % 10] AS last) AS n
 ORDER BY i;

INSERT INTO user_field_values
SELECT id, 'shirt_size', (ARRAY['S', 'M', 'L', 'XL'])[1 + id % 4] FROM users WHERE id % 5 <> 0
UNION ALL
SELECT id, 'start_date', to_char(hire_date + 14, 'YYYY-MM-DD') FROM users WHERE id % 3 = 0
UNION ALL
SELECT id, 'security_score', ((id * 13) % 100)::text FROM users WHERE id % 4 <> 0
UNION ALL
SELECT id, 'remote', CASE WHEN id % 2 = 0 THEN 'true' ELSE 'false' END FROM users WHERE id % 7 <> 0;

INSERT INTO enrollments (user_id, course, status, completed_at)
SELECT id, course,
       CASE WHEN (id + k) % 3 = 0 THEN 'started' ELSE 'completed' END,
       CASE WHEN (id + k) % 3 <> 0 THEN now() - ((id * k) % 700) * interval '1 day' END
  FROM users, LATERAL (VALUES (1, 'Driver Safety'), (2, 'Security Awareness'), (3, 'Onboarding')) AS c(k, course)
 WHERE (id * k) % 4 = 0;

-- Most users click rarely; a few thousand click again and again.
INSERT INTO clicks (user_id, campaign, clicked_at)
SELECT 1 + (j * 7919) % CASE WHEN j % 3 = 0 THEN 3000 ELSE 100000 END, 'phish-' || (j % 12),
       now() - ((j * 31) % 60) * interval '1 day' - (j % 3600) * interval '1 second'
  FROM generate_series(1, 60000) AS j;
ANALYZE;

-- The functions below return nothing worth printing.
\o /dev/null
SELECT smart_groups.attach_users('users');
SELECT smart_groups.attach_custom_fields('user_field_values',
         user_column => 'user_id', key_column => 'field_key', value_column => 'value');
SELECT smart_groups.define_custom_field('shirt_size', 'enum', allowed => '{S,M,L,XL}');
SELECT smart_groups.define_custom_field('start_date', 'date');
SELECT smart_groups.define_custom_field('security_score', 'number');
SELECT smart_groups.define_custom_field('remote', 'boolean');
SELECT smart_groups.attach_relation('enrollments', 'enrollments', user_column => 'user_id');
SELECT smart_groups.attach_relation('clicks', 'clicks', user_column => 'user_id');
\o

-- step(label, sql): runs one statement and says how long it took (the demo's clock, so that
-- every timing printed has a label).
CREATE FUNCTION pg_temp.step(label text, sql text, OUT step text, OUT ms numeric)
LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz := clock_timestamp();
BEGIN
    EXECUTE sql;
    step := label;
    ms := round((extract(epoch FROM clock_timestamp() - t0) * 1000)::numeric, 1);
END $$;

\echo
\echo '== The field catalog (smart_groups.fields), first rows'
SELECT name, type, source, allowed FROM smart_groups.fields WHERE source IN ('column', 'custom') ORDER BY source, name;

\echo
\echo '== A ruleset in the text form, its JSON, and the SQL predicate it compiles to'
SELECT smart_groups.to_json('location in ("Netherlands", "Belgium", "Luxembourg") and role = "manager"') AS json;
SELECT smart_groups.compile('location in ("Netherlands", "Belgium", "Luxembourg") and role = "manager"') AS predicate;

\echo
\echo '== Two static groups (members added by hand), then smart groups: each is computed at once'
\echo '   and kept exact from then on (ms: how long create_group took over 100,000 users)'
SELECT step, ms FROM (VALUES
  (1, 'static "Sales team"', $$SELECT smart_groups.create_static_group('Sales team'),
        smart_groups.add_members('Sales team', ARRAY(SELECT id FROM users WHERE department = 'Sales' AND id % 3 = 0))$$),
  (2, 'static "Marketing team"', $$SELECT smart_groups.create_static_group('Marketing team'),
        smart_groups.add_members('Marketing team', ARRAY(SELECT id FROM users WHERE department = 'Marketing' AND id % 3 = 0))$$),
  (3, 'Benelux managers', $$SELECT smart_groups.create_group('Benelux managers',
        'location in ("Netherlands", "Belgium", "Luxembourg") and role = "manager"')$$),
  (4, 'Managers by title', $$SELECT smart_groups.create_group('Managers by title', 'job_title contains ignoring case "manager"')$$),
  (5, 'New hires without training', $$SELECT smart_groups.create_group('New hires without training',
        'hire_date within last 30 days and has no enrollments where status = "completed"')$$),
  (6, 'Recent clickers', $$SELECT smart_groups.create_group('Recent clickers', 'has clicks where clicked_at within last 20 days')$$),
  (7, 'Repeat offenders', $$SELECT smart_groups.create_group('Repeat offenders',
        'has at least 3 clicks where clicked_at within last 20 days')$$),
  (8, 'Approved drivers', $$SELECT smart_groups.create_group('Approved drivers',
        'has enrollments where course = "Driver Safety" and status = "completed"')$$),
  (9, 'Sales or Marketing', $$SELECT smart_groups.create_group('Sales or Marketing', 'member of "Sales team" or member of "Marketing team"')$$),
  (10, 'Remote, large shirts', $$SELECT smart_groups.create_group('Remote, large shirts', 'remote = true and shirt_size in ("L", "XL")')$$),
  (11, 'Reports of Sales managers', $$SELECT smart_groups.create_group('Reports of Sales managers',
        'manager.department = "Sales" and manager.role = "manager"')$$)
) AS g(ord, label, sql), LATERAL pg_temp.step(label, sql) ORDER BY ord;

\echo
\echo '== Group sizes'
SELECT g.name, g.kind, g.status, count(m.user_key) AS members
  FROM smart_groups.groups g LEFT JOIN smart_groups.members m ON m.group_id = g.id
 GROUP BY g.id ORDER BY g.id;

\echo
SELECT min(user_key) AS member FROM smart_groups.memberships WHERE group_name = 'Reports of Sales managers' \gset
SELECT min(id) AS outsider FROM users WHERE id > 50
   AND id NOT IN (SELECT user_key FROM smart_groups.memberships WHERE group_name = 'Reports of Sales managers') \gset
\echo '== Why is user' :member 'a member of "Reports of Sales managers", and why is user' :outsider 'not?'
SELECT * FROM smart_groups.explain('Reports of Sales managers', :member::bigint);
SELECT * FROM smart_groups.explain('Reports of Sales managers', :outsider::bigint);
SELECT min(user_key) AS offender FROM smart_groups.memberships WHERE group_name = 'Repeat offenders' \gset
SELECT * FROM smart_groups.explain('Repeat offenders', :offender::bigint);

\echo
\echo '== Live: a change to a user moves them between groups in the same transaction'
SELECT string_agg(group_name, ', ' ORDER BY group_name) AS groups_before FROM smart_groups.memberships WHERE user_key = :outsider;
BEGIN;
UPDATE users SET location = 'Belgium', role = 'manager', job_title = 'Account Manager' WHERE id = :outsider;
SELECT string_agg(group_name, ', ' ORDER BY group_name) AS groups_after_update FROM smart_groups.memberships WHERE user_key = :outsider;
ROLLBACK;

\echo
\echo '== What would an edit do? preview_change before set_rules'
SELECT change, count(*) FROM smart_groups.preview_change('Benelux managers',
  'location in ("Netherlands", "Belgium", "Luxembourg", "Germany") and role = "manager"') GROUP BY change;

\echo
\echo '== Exclude a user by hand, with a reason: exclusion wins over the rules'
SELECT smart_groups.member_count('Recent clickers') AS recent_clickers_before \gset
\o /dev/null
SELECT smart_groups.exclude('Recent clickers', (SELECT min(user_key) FROM smart_groups.memberships WHERE group_name = 'Recent clickers'),
                            'already_addressed');
\o
SELECT :recent_clickers_before AS recent_clickers_before, smart_groups.member_count('Recent clickers') AS after;
SELECT group_name, user_key, reason FROM smart_groups.excluded;

\echo
\echo '== The lifecycle of a group. Archiving is instant whatever the size (the rows go later, in'
\echo '   the background); a restored group comes back inactive, with no members, until it is'
\echo '   activated, which computes its membership again.'
CREATE FUNCTION pg_temp.lifecycle(label text, sql text, OUT step text, OUT ms numeric, OUT status text, OUT members bigint)
LANGUAGE plpgsql AS $$
BEGIN
    SELECT s.step, s.ms INTO step, ms FROM pg_temp.step(label, sql) s;
    SELECT g.status, smart_groups.member_count(g.name) INTO status, members
      FROM smart_groups.groups g WHERE g.name = 'Managers by title';
END $$;
SELECT l.* FROM (VALUES (1, 'archive_group', $$SELECT smart_groups.archive_group('Managers by title')$$),
                        (2, 'restore_group', $$SELECT smart_groups.restore_group('Managers by title')$$),
                        (3, 'activate_group', $$SELECT smart_groups.activate_group('Managers by title')$$)) AS v(ord, label, sql),
       LATERAL pg_temp.lifecycle(label, sql) l
 ORDER BY ord;

\echo
\echo '== Relative time: the background worker (shared_preload_libraries) applies within_last'
\echo '   boundaries as they pass, every smart_groups.time_refresh_interval'
SELECT backend_type AS worker, datname AS database FROM pg_stat_activity WHERE backend_type LIKE 'smart_groups%' ORDER BY 1;
SHOW smart_groups.time_refresh_interval;

\echo
\echo '== verify(): stored membership equals a fresh evaluation'
SELECT count(*) AS problems FROM smart_groups.verify();

\echo
\echo '== Any ruleset can also be evaluated ad hoc with compile()'
CREATE TEMP TABLE demo_rules (label text, rules text);
INSERT INTO demo_rules VALUES
 ('Benelux managers', 'location in ("Netherlands", "Belgium", "Luxembourg") and role = "manager"'),
 ('Job title contains "manager"', 'job_title contains ignoring case "manager"'),
 ('New hires without training', 'hire_date within last 30 days and has no enrollments where status = "completed"'),
 ('Recent clickers', 'has clicks where clicked_at within last 20 days'),
 ('Repeat offenders', 'has at least 3 clicks where clicked_at within last 20 days'),
 ('Approved drivers', 'has enrollments where course = "Driver Safety" and status = "completed"'),
 ('Remote, large shirts', 'remote = true and shirt_size in ("L", "XL")'),
 ('Reports of Sales managers', 'manager.department = "Sales" and manager.role = "manager"');
SELECT label, rules,
       (xpath('/row/c/text()',
              query_to_xml(format('SELECT count(*) AS c FROM users u WHERE %s', smart_groups.compile(rules)),
                           false, true, '')))[1]::text::bigint AS users
  FROM demo_rules;

\echo
\echo '== validate() explains mistakes instead of failing'
SELECT * FROM smart_groups.validate('departmnet = "Sales" and role = "admn" and name = "Van  Loon"');
