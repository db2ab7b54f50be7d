CREATE EXTENSION IF NOT EXISTS citext;
CREATE SCHEMA smart_groups;
CREATE FUNCTION smart_groups.read_number(t text) RETURNS numeric IMMUTABLE STRICT LANGUAGE plpgsql AS $$ BEGIN RETURN t::numeric; EXCEPTION WHEN others THEN RETURN NULL; END $$;
CREATE FUNCTION smart_groups.read_date(t text) RETURNS date IMMUTABLE STRICT LANGUAGE plpgsql AS $$ BEGIN RETURN t::date; EXCEPTION WHEN others THEN RETURN NULL; END $$;
CREATE FUNCTION smart_groups.read_timestamp(t text) RETURNS timestamptz IMMUTABLE STRICT LANGUAGE plpgsql AS $$ BEGIN RETURN t::timestamptz; EXCEPTION WHEN others THEN RETURN NULL; END $$;
CREATE FUNCTION smart_groups.read_boolean(t text) RETURNS boolean IMMUTABLE STRICT LANGUAGE plpgsql AS $$ BEGIN RETURN t::boolean; EXCEPTION WHEN others THEN RETURN NULL; END $$;
CREATE TABLE smart_groups.members(group_id bigint, user_key integer);
CREATE TYPE public.role AS ENUM ('admin','manager','learner');
CREATE TABLE public.users(id integer primary key, name text, email citext, age integer, birthday date,
  last_login timestamp, created_at timestamptz, active boolean, role public.role, tags text[], manager_id integer);
CREATE TABLE public.user_field_values(user_id integer, field_key text, value text);
CREATE TABLE public.enrollments(user_id integer, course text, status text, completed_at timestamptz);
INSERT INTO public.users VALUES
 (1,'ann','Ann@X.org',30,'2024-01-31','2024-01-31 10:00:00','2024-01-31 10:00:00.25+00',true,'admin','{a,b}',NULL),
 (2,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,1),
 (3,'','',-15,'1990-05-05',now() at time zone 'utc' - interval '1 minute',now() - interval '1 day',false,'learner','{}',2),
 (4,'ÄBC a%_!\''x','a%_!\''x',0,'2024-02-01','2024-02-01 00:00:00','2024-01-31 23:59:59.999999+00',NULL,'manager','{NULL,"a%_!\\''x"}',9);
INSERT INTO public.user_field_values VALUES (1,'nickname','ann'),(1,'score','-15'),(1,'start_date','2024-01-31'),(1,'badge_at','2024-01-31T10:00:00Z'),(1,'vip','true'),(1,'shirt_size','S'),
 (2,'score','abc'),(2,'start_date','31/31/2024'),(2,'vip','maybe'),(3,'nickname',''),(3,'badge_at',now()::text);
INSERT INTO public.enrollments VALUES (1,'c','done',now()),(1,'c','done',now()),(1,'c','x',NULL),(3,'d','done',now() - interval '40 days');
INSERT INTO smart_groups.members VALUES (1,1);
