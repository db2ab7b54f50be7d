-- Loads the benchmark data set at scale :scale (number of users), set-based, before any
-- index or constraint exists (sql/indexes.sql adds them afterwards).
\set ON_ERROR_STOP 1
SET synchronous_commit = off;
SET timezone = 'UTC';

INSERT INTO bench_domains VALUES
  ('department', ARRAY['Sales', 'Engineering', 'Support', 'Operations', 'Marketing', 'Finance', 'HR', 'Logistics']
                 || ARRAY(SELECT format('Dept %s', lpad(i::text, 3, '0')) FROM generate_series(9, 200) i)),
  ('team', ARRAY(SELECT format('Team %s', i) FROM generate_series(1, 500) i)),
  ('location', ARRAY['United States', 'Germany', 'Netherlands', 'United Kingdom', 'France', 'India', 'Brazil',
                     'Belgium', 'Spain', 'Canada', 'Poland', 'Italy', 'Sweden', 'Japan', 'Mexico', 'Luxembourg',
                     'Ireland', 'Portugal', 'Austria', 'Denmark', 'Norway', 'Finland', 'Czechia', 'Australia',
                     'Singapore', 'South Africa', 'Argentina', 'Chile', 'Kenya', 'Iceland']),
  ('city', ARRAY(SELECT format('City %s', i) FROM generate_series(1, 300) i)),
  ('job_title', ARRAY['Software Engineer', 'Sales Representative', 'Account Manager', 'Support Agent',
                      'Engineering Manager', 'Product Manager', 'Data Analyst', 'Marketing Specialist',
                      'HR Partner', 'Driver', 'Warehouse Associate', 'Finance Analyst', 'Recruiter',
                      'Designer', 'QA Engineer', 'Site Reliability Engineer', 'Customer Success Manager',
                      'Office Manager', 'Legal Counsel', 'Security Engineer', 'Technical Writer', 'Intern',
                      'Director of Sales', 'VP Engineering', 'Chief of Staff']),
  ('timezone', ARRAY['Europe/Amsterdam', 'America/New_York', 'Europe/Berlin', 'Europe/London', 'Asia/Kolkata',
                     'America/Sao_Paulo', 'America/Los_Angeles', 'Asia/Tokyo', 'Australia/Sydney', 'UTC']),
  ('employment_type', ARRAY['full_time', 'part_time', 'contractor', 'intern']),
  ('first_name', ARRAY['Anna', 'Bram', 'Chloé', 'Daan', 'Emma', 'Finn', 'Greta', 'Hugo', 'Iris', 'Jan', 'Lotte',
                       'Milan', 'Noah', 'Olivia', 'Pieter', 'Quinn', 'Ruth', 'Sem', 'Tess', 'Umar', 'Vera',
                       'Wout', 'Xander', 'Yara', 'Zoë', 'Liam', 'Sofia', 'Mateo', 'Aisha', 'Kenji']),
  ('last_name', ARRAY['de Vries', 'Jansen', 'Peeters', 'Müller', 'Dubois', 'Smith', 'García', 'Van Loon',
                      'Bakker', 'Maes', 'Rossi', 'Nowak', 'Silva', 'Kim', 'Patel', 'Johnson', 'Brown',
                      'Schmidt', 'Martin', 'Visser', 'Tanaka', 'Okafor', 'Larsen', 'Novak', 'Costa']),
  ('email_domain', ARRAY['example.com', 'example.com', 'example.com', 'corp.example', 'contractor.com']),
  ('skills', ARRAY['sql', 'rust', 'python', 'excel', 'negotiation', 'sales', 'driving', 'safety', 'java',
                   'go', 'kubernetes', 'aws', 'design', 'writing', 'public speaking', 'leadership', 'finance',
                   'recruiting', 'support', 'networking', 'security', 'react', 'figma', 'forklift',
                   'first aid', 'spanish', 'german', 'french', 'marketing', 'seo', 'analytics', 'tableau',
                   'linux', 'c++', 'accounting', 'legal', 'logistics', 'coaching', 'testing', 'devops']),
  ('tags', ARRAY(SELECT format('tag-%s', i) FROM generate_series(1, 30) i)),
  ('languages', ARRAY['en', 'nl', 'de', 'fr', 'es', 'pt', 'it', 'pl', 'ja', 'hi', 'sv', 'da']),
  ('course', ARRAY['Security Awareness', 'Onboarding', 'Driver Safety', 'Code of Conduct', 'GDPR Basics',
                   'Leadership 101', 'Excel Advanced', 'Forklift Certification', 'First Aid', 'Negotiation',
                   'Kubernetes Fundamentals', 'Public Speaking']),
  ('enrollment_status', ARRAY['completed', 'completed', 'started', 'enrolled', 'failed']),
  ('campaign', ARRAY(SELECT format('phish-%s', i) FROM generate_series(1, 24) i)),
  ('device', ARRAY['desktop', 'desktop', 'mobile', 'tablet']),
  ('shirt_size', ARRAY['XS', 'S', 'M', 'L', 'XL']),
  ('badge_color', ARRAY['red', 'blue', 'green', 'yellow', 'black']),
  ('region', ARRAY['EMEA', 'AMER', 'APAC']),
  ('clearance', ARRAY['none', 'basic', 'secret', 'top_secret']),
  ('tier', ARRAY['gold', 'silver', 'bronze']),
  ('vendor', ARRAY(SELECT format('Vendor %s', i) FROM generate_series(1, 50) i));

-- The 20 custom fields: key, type, share of users that have a value (~9.4 rows per user).
CREATE TABLE bench_fields (key text PRIMARY KEY, type text NOT NULL, presence float8 NOT NULL, salt int NOT NULL);
INSERT INTO bench_fields VALUES
  ('shirt_size', 'enum', 0.8, 1001), ('start_date', 'date', 0.6, 1002), ('security_score', 'number', 0.7, 1003),
  ('remote_ok', 'boolean', 0.5, 1004), ('badge_color', 'text', 0.5, 1005), ('region', 'enum', 0.9, 1006),
  ('clearance', 'enum', 0.4, 1007), ('nps', 'number', 0.3, 1008), ('last_review', 'date', 0.6, 1009),
  ('certified', 'boolean', 0.5, 1010), ('vendor', 'text', 0.2, 1011), ('budget', 'number', 0.4, 1012),
  ('first_aider', 'boolean', 0.3, 1013), ('parking_spot', 'text', 0.3, 1014), ('desk_floor', 'number', 0.6, 1015),
  ('mentor', 'text', 0.3, 1016), ('allergy', 'text', 0.1, 1017), ('training_due', 'date', 0.5, 1018),
  ('onboarded_at', 'timestamp', 0.5, 1019), ('tier', 'enum', 0.4, 1020);

\echo users
INSERT INTO users
SELECT i,
       fn || ' ' || ln,
       lower(replace(fn || '.' || ln, ' ', '')) || i || '@' || bench_pick(d.email_domain, bench_r(i, 3)),
       'user' || i,
       bench_skewed(d.job_title, bench_r(i, 4)),
       bench_skewed(d.department, bench_r(i, 5)),
       bench_skewed(d.team, bench_r(i, 6)),
       bench_skewed(d.location, bench_r(i, 7)),
       bench_skewed(d.city, bench_r(i, 8)),
       bench_pick(d.timezone, bench_r(i, 9)),
       CASE WHEN bench_r(i, 10) < 0.9 THEN '+31 6 ' || lpad((hashint8extended(i, 10) & 16777215)::text, 8, '0') END,
       'CC-' || (1 + (i % 300)),
       bench_skewed(d.employment_type, bench_r(i, 11)),
       (CASE WHEN i = 1 THEN 'admin'
             WHEN i <= :scale / 8 THEN 'manager'
             WHEN bench_r(i, 12) < 0.002 THEN 'admin'
             WHEN bench_r(i, 12) < 0.05 THEN 'creator'
             WHEN bench_r(i, 12) < 0.10 THEN 'guest'
             ELSE 'learner' END)::user_role,
       1 + floor(12 * bench_r(i, 13) ^ 2)::integer,
       age,
       floor(5000 * bench_r(i, 14) ^ 3)::bigint,
       round((20000 + 230000 * bench_r(i, 15) ^ 2)::numeric, 2),
       round((40 * bench_r(i, 16) ^ 2)::numeric, 2),
       100 * bench_r(i, 17),
       hire,
       hire - (age - 20) * 365 - floor(365 * bench_r(i, 18))::integer,
       CASE WHEN bench_r(i, 11) > 0.75 THEN hire + 180 + floor(900 * bench_r(i, 19))::integer END,
       CASE WHEN bench_r(i, 20) < 0.95 THEN now() - bench_r(i, 21) * interval '365 days' END,
       hire::timestamptz + bench_r(i, 22) * interval '1 day',
       (now() - bench_r(i, 23) * interval '100 days')::timestamp,
       bench_r(i, 24) < 0.95,
       CASE WHEN bench_r(i, 25) < 0.95 THEN bench_r(i, 26) < 0.3 END,
       bench_r(i, 27) < 0.9,
       (ARRAY[bench_skewed(d.skills, bench_r(i, 30)), bench_pick(d.skills, bench_r(i, 31)),
              bench_pick(d.skills, bench_r(i, 32)), bench_pick(d.skills, bench_r(i, 33))])[1:floor(5 * bench_r(i, 34))::integer],
       (ARRAY[bench_skewed(d.tags, bench_r(i, 35)), bench_pick(d.tags, bench_r(i, 36)),
              bench_pick(d.tags, bench_r(i, 37))])[1:floor(4 * bench_r(i, 38))::integer],
       (ARRAY[bench_skewed(d.languages, bench_r(i, 39)), bench_pick(d.languages, bench_r(i, 40))])[1:1 + floor(2 * bench_r(i, 41))::integer],
       -- An 8-ary tree: users 1 .. scale/8 manage the others.
       CASE WHEN i > 1 THEN 1 + (i - 2) / 8 END
  FROM (SELECT (SELECT vals FROM bench_domains WHERE name = 'first_name') AS first_name,
               (SELECT vals FROM bench_domains WHERE name = 'last_name') AS last_name,
               (SELECT vals FROM bench_domains WHERE name = 'email_domain') AS email_domain,
               (SELECT vals FROM bench_domains WHERE name = 'job_title') AS job_title,
               (SELECT vals FROM bench_domains WHERE name = 'department') AS department,
               (SELECT vals FROM bench_domains WHERE name = 'team') AS team,
               (SELECT vals FROM bench_domains WHERE name = 'location') AS location,
               (SELECT vals FROM bench_domains WHERE name = 'city') AS city,
               (SELECT vals FROM bench_domains WHERE name = 'timezone') AS timezone,
               (SELECT vals FROM bench_domains WHERE name = 'employment_type') AS employment_type,
               (SELECT vals FROM bench_domains WHERE name = 'skills') AS skills,
               (SELECT vals FROM bench_domains WHERE name = 'tags') AS tags,
               (SELECT vals FROM bench_domains WHERE name = 'languages') AS languages) AS d,
       generate_series(1, :scale) AS i,
       LATERAL (SELECT bench_pick(d.first_name, bench_r(i, 1)) AS fn, bench_pick(d.last_name, bench_r(i, 2)) AS ln,
                       18 + floor(49 * bench_r(i, 42))::integer AS age,
                       current_date - floor(7300 * bench_r(i, 43))::integer AS hire) AS x;

\echo users_base
INSERT INTO users_base SELECT * FROM users;

\echo user_field_values
-- About 0.5% of number, date and boolean values are unreadable text, as in real EAV data.
INSERT INTO user_field_values (user_id, field_key, value)
SELECT i, f.key,
       CASE WHEN f.type IN ('number', 'date', 'boolean', 'timestamp') AND bench_r(i, f.salt + 500) < 0.005 THEN 'n/a'
       ELSE CASE f.key
         WHEN 'shirt_size' THEN bench_skewed(ARRAY['M', 'L', 'S', 'XL', 'XS'], r)
         WHEN 'start_date' THEN to_char(current_date - floor(3000 * r)::integer, 'YYYY-MM-DD')
         WHEN 'security_score' THEN floor(100 * r)::text
         WHEN 'remote_ok' THEN (r < 0.4)::text
         WHEN 'badge_color' THEN bench_pick(ARRAY['red', 'blue', 'green', 'yellow', 'black'], r)
         WHEN 'region' THEN bench_skewed(ARRAY['EMEA', 'AMER', 'APAC'], r)
         WHEN 'clearance' THEN bench_skewed(ARRAY['none', 'basic', 'secret', 'top_secret'], r)
         WHEN 'nps' THEN floor(11 * r)::text
         WHEN 'last_review' THEN to_char(current_date - floor(730 * r)::integer, 'YYYY-MM-DD')
         WHEN 'certified' THEN (r < 0.3)::text
         WHEN 'vendor' THEN format('Vendor %s', 1 + floor(50 * r ^ 2)::integer)
         WHEN 'budget' THEN round((100000 * r ^ 2)::numeric, 2)::text
         WHEN 'first_aider' THEN (r < 0.5)::text
         WHEN 'parking_spot' THEN format('P-%s', floor(900 * r)::integer)
         WHEN 'desk_floor' THEN floor(12 * r)::text
         WHEN 'mentor' THEN format('user%s', 1 + floor(:scale * r)::bigint)
         WHEN 'allergy' THEN bench_pick(ARRAY['nuts', 'gluten', 'lactose', 'shellfish'], r)
         WHEN 'training_due' THEN to_char(current_date + floor(400 * r)::integer - 100, 'YYYY-MM-DD')
         WHEN 'onboarded_at' THEN to_char(now() - r * interval '1000 days', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
         WHEN 'tier' THEN bench_skewed(ARRAY['bronze', 'silver', 'gold'], r)
       END END
  FROM generate_series(1, :scale) AS i
 CROSS JOIN bench_fields f
 CROSS JOIN LATERAL (SELECT bench_r(i, f.salt + 1000) AS r) AS rr
 WHERE bench_r(i, f.salt) < f.presence
 ORDER BY i, f.key;

\echo enrollments
-- Six course slots per user, each taken with probability 1/2: about 3 enrollments per user.
INSERT INTO enrollments (user_id, course, status, progress, enrolled_at, completed_at)
SELECT i, bench_skewed(d.course, bench_r(i * 8 + k, 51)), st, floor(100 * bench_r(i * 8 + k, 52))::integer, enr,
       CASE WHEN st = 'completed' THEN enr + bench_r(i * 8 + k, 53) * interval '60 days' END
  FROM (SELECT (SELECT vals FROM bench_domains WHERE name = 'course') AS course,
               (SELECT vals FROM bench_domains WHERE name = 'enrollment_status') AS status) AS d,
       generate_series(1, :scale) AS i,
       generate_series(1, 6) AS k,
       LATERAL (SELECT bench_pick(d.status, bench_r(i * 8 + k, 54)) AS st,
                       now() - bench_r(i * 8 + k, 55) * interval '730 days' AS enr) AS x
 WHERE bench_r(i * 8 + k, 50) < 0.5;

\echo clicks
-- Five clicks per user on average over the last 90 days, in time order like an event log;
-- a few users click a lot (low ids are favoured), most click rarely.
INSERT INTO clicks (user_id, campaign, device, clicked_at)
SELECT 1 + floor(:scale * bench_r(j, 60) ^ 2)::bigint,
       bench_skewed(d.campaign, bench_r(j, 61)),
       bench_pick(d.device, bench_r(j, 62)),
       now() - (1 - j::float8 / (5 * :scale)) * interval '90 days'
  FROM (SELECT (SELECT vals FROM bench_domains WHERE name = 'campaign') AS campaign,
               (SELECT vals FROM bench_domains WHERE name = 'device') AS device) AS d,
       generate_series(1, 5 * :scale) AS j;
