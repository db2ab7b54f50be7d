-- smart_groups.fields lists every field a rule may name, typed from the real tables.
SET search_path = app, public;
CREATE DOMAIN email_t AS text;
ALTER TABLE app.users ADD COLUMN nickname varchar(20), ADD COLUMN work_email email_t,
                      ADD COLUMN photo bytea, ADD COLUMN rating double precision;
SELECT name, type, source, relation, column_name, allowed
  FROM smart_groups.fields
 ORDER BY source, relation NULLS FIRST, name;
-- Dropped columns disappear from the catalog at once.
ALTER TABLE app.users DROP COLUMN nickname, DROP COLUMN work_email, DROP COLUMN photo, DROP COLUMN rating;
SELECT count(*) AS nickname_fields FROM smart_groups.fields WHERE name LIKE '%nickname';
