-- The background worker applies relative-time rules without anyone calling
-- refresh_time_rules() and without any write to the users table. (This cluster has
-- smart_groups in shared_preload_libraries and smart_groups.time_refresh_interval = 1s.)
SET client_min_messages = warning;
CREATE EXTENSION smart_groups;
RESET client_min_messages;
SELECT count(*) AS launcher_running FROM pg_stat_activity WHERE backend_type = 'smart_groups launcher';
CREATE TABLE users (id integer PRIMARY KEY, name text, hired timestamptz);
-- One user's value leaves the 30-day window 3 seconds from now.
-- (30 days back in UTC: rules count days in UTC whatever the session's time zone.)
INSERT INTO users VALUES (1, 'Ann', ((now() AT TIME ZONE 'UTC') - interval '30 days' + interval '3 seconds') AT TIME ZONE 'UTC'),
                         (2, 'Bob', now() - interval '10 days');
SELECT smart_groups.attach_users('users');
SELECT smart_groups.create_group('Recent hires', 'hired within last 30 days') > 0 AS created;
SELECT user_key FROM smart_groups.memberships ORDER BY 1;
-- Wait (up to a minute: the launcher looks for new databases every 10 s) for the worker.
DO $$
DECLARE
    deadline timestamptz := clock_timestamp() + interval '60 seconds';
BEGIN
    WHILE EXISTS (SELECT 1 FROM smart_groups.members WHERE user_key = 1) AND clock_timestamp() < deadline LOOP
        PERFORM pg_sleep(0.5);
    END LOOP;
END $$;
SELECT user_key FROM smart_groups.memberships ORDER BY 1;
SELECT user_key, change, cause FROM smart_groups.membership_log ORDER BY id, user_key;
SELECT count(*) AS worker_for_this_database
  FROM pg_stat_activity WHERE backend_type = 'smart_groups time refresh ' || current_database();
SELECT count(*) AS verify_problems FROM smart_groups.verify();
