-- Constraints and indexes, created after loading (much faster than maintaining them row by
-- row), then statistics.
\set ON_ERROR_STOP 1
SET maintenance_work_mem = '1GB';
ALTER TABLE users ADD PRIMARY KEY (id);
ALTER TABLE users_base ADD PRIMARY KEY (id);
ALTER TABLE users ADD FOREIGN KEY (manager_id) REFERENCES users (id);
ALTER TABLE users_base ADD FOREIGN KEY (manager_id) REFERENCES users_base (id);
CREATE UNIQUE INDEX ON users (email);
CREATE UNIQUE INDEX ON users_base (email);
CREATE INDEX ON users (manager_id);
CREATE INDEX ON users_base (manager_id);
CREATE INDEX ON users (department);
CREATE INDEX ON users_base (department);
CREATE INDEX ON users (last_login_at);
CREATE INDEX ON users_base (last_login_at);

ALTER TABLE user_field_values ADD PRIMARY KEY (user_id, field_key);
ALTER TABLE user_field_values ADD FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;
CREATE INDEX ON user_field_values (field_key, value);

ALTER TABLE enrollments ADD PRIMARY KEY (id);
ALTER TABLE enrollments ADD FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;
CREATE INDEX ON enrollments (user_id);
CREATE INDEX ON enrollments (course, status);

ALTER TABLE clicks ADD PRIMARY KEY (id);
ALTER TABLE clicks ADD FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;
CREATE INDEX ON clicks (user_id, clicked_at);
CREATE INDEX ON clicks (clicked_at);

SELECT setval(pg_get_serial_sequence('enrollments', 'id'), (SELECT max(id) FROM enrollments));
SELECT setval(pg_get_serial_sequence('clicks', 'id'), (SELECT max(id) FROM clicks));
VACUUM ANALYZE;
