-- Tenants (docs/reference/tenants.md): many organizations' users in one table. Every group
-- belongs to a tenant; names are unique within a tenant; a group's rules match only its
-- tenant's users, whatever they say; `member of` and custom fields resolve within the tenant;
-- functions take tenant => or the session's smart_groups.tenant; reporting relations carry
-- the tenant; the shipped policies, once enabled, confine a role to its tenant.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS smart_groups CASCADE;
DROP SCHEMA IF EXISTS saas CASCADE;
DROP ROLE IF EXISTS sg_acme;
CREATE EXTENSION smart_groups;
CREATE SCHEMA saas;
CREATE TABLE saas.accounts (
    id         integer PRIMARY KEY,
    org        text NOT NULL,
    name       text NOT NULL,
    role       text,
    level      integer,
    hired      date,
    boss_id    integer REFERENCES saas.accounts (id)
);
CREATE TABLE saas.attrs (user_id integer NOT NULL REFERENCES saas.accounts (id), k text NOT NULL, v text,
                         PRIMARY KEY (user_id, k));
CREATE TABLE saas.logins (user_id integer NOT NULL REFERENCES saas.accounts (id), at timestamptz NOT NULL DEFAULT now());
INSERT INTO saas.accounts VALUES
    (1, 'acme',   'Ann',  'sales',   3, '2020-01-01', NULL),
    (2, 'acme',   'Bob',  'sales',   1, '2021-01-01', 1),
    (3, 'acme',   'Cy',   'support', 2, '2022-01-01', 1),
    (4, 'globex', 'Dee',  'sales',   3, '2020-06-01', NULL),
    (5, 'globex', 'Eve',  'support', 2, '2021-06-01', 4),
    (6, 'globex', 'Fay',  'sales',   1, '2023-06-01', 4);
INSERT INTO saas.attrs VALUES (1, 'region', 'north'), (2, 'region', 'south'), (4, 'region', 'north'),
                              (4, 'seats', '40'), (5, 'seats', '3');
INSERT INTO saas.logins VALUES (2, now()), (5, now()), (5, now());

-- Memberships by tenant and group, and whether stored membership is exact.
CREATE FUNCTION tenant_state() RETURNS TABLE (tenant text, group_name text, members text)
LANGUAGE sql AS $$
    SELECT g.tenant, g.name, coalesce((SELECT string_agg(m.user_key::text, ',' ORDER BY m.user_key)
                                         FROM smart_groups.memberships m WHERE m.group_id = g.id), '')
      FROM smart_groups.groups g ORDER BY g.tenant, g.name
$$;
CREATE FUNCTION try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- Without a tenant column, naming a tenant is a mistake; the session setting is ignored.
SELECT smart_groups.attach_users('saas.accounts');
SELECT try($$SELECT smart_groups.create_group('X', 'level > 1', tenant => 'acme')$$);
SET smart_groups.tenant = 'acme';
SELECT smart_groups.create_group('Untenanted', 'level > 2');
SELECT tenant IS NULL AS no_tenant, name FROM smart_groups.groups;
RESET smart_groups.tenant;
-- The tenant column cannot change while groups exist; it must be text or an integer.
SELECT try($$SELECT smart_groups.attach_users('saas.accounts', tenant_column => 'org')$$);
SELECT smart_groups.drop_group('Untenanted');
SELECT try($$SELECT smart_groups.attach_users('saas.accounts', tenant_column => 'hired')$$);
SELECT try($$SELECT smart_groups.attach_users('saas.accounts', tenant_column => 'nope')$$);
SELECT smart_groups.attach_users('saas.accounts', tenant_column => 'org');
SELECT smart_groups.attach_custom_fields('saas.attrs', 'user_id', 'k', 'v');
SELECT smart_groups.attach_relation('logins', 'saas.logins', 'user_id');
-- Custom fields for one tenant or for all; a key is either every tenant's or some tenants' own.
SELECT smart_groups.define_custom_field('region', 'text', tenant => 'acme');
SELECT smart_groups.define_custom_field('seats', 'number');
SELECT try($$SELECT smart_groups.define_custom_field('region', 'text')$$);
SELECT try($$SELECT smart_groups.define_custom_field('seats', 'text', tenant => 'globex')$$);
SELECT smart_groups.define_custom_field('region', 'number', tenant => 'globex');
SELECT key, type, tenant FROM smart_groups.custom_fields ORDER BY key, tenant;

-- Two tenants, each with a group "Sales" of different rules.
SELECT try($$SELECT smart_groups.create_group('Sales', 'role = "sales"')$$);
SELECT smart_groups.create_group('Sales', 'role = "sales"', tenant => 'acme') > 0 AS created;
SELECT smart_groups.create_group('Sales', 'level >= 2', tenant => 'globex') > 0 AS created;
SELECT try($$SELECT smart_groups.create_group('Sales', 'level > 0', tenant => 'acme')$$);
SELECT * FROM tenant_state();

-- Whatever the rules say, a group holds only its tenant's users.
SELECT smart_groups.create_group('Everyone', 'level > 0 or not (level > 0) or level is empty', tenant => 'acme') > 0;
SELECT smart_groups.create_group('Others', 'org = "globex"', tenant => 'acme') > 0;
SELECT smart_groups.create_group('Not acme', 'not (org = "acme")', tenant => 'acme') > 0;
SELECT smart_groups.create_group('Via boss', 'boss.org = "acme" or boss.name = "Dee"', tenant => 'globex') > 0;
SELECT smart_groups.create_group('Logged in', 'has logins', tenant => 'globex') > 0;
SELECT * FROM tenant_state();
SELECT count(*) AS problems FROM smart_groups.verify();

-- member of resolves within the tenant: globex's "Sales", not acme's.
SELECT smart_groups.create_group('Senior', 'member of "Sales" and level >= 3', tenant => 'globex') > 0;
SELECT try($$SELECT smart_groups.create_group('Lost', 'member of "Logged in"', tenant => 'acme')$$);
-- Custom fields of the tenant: acme's text region, globex's number region; seats for both.
SELECT smart_groups.create_group('North', 'region = "north"', tenant => 'acme') > 0;
SELECT smart_groups.create_group('Big', 'seats > 10 and region is empty', tenant => 'globex') > 0;
SELECT try($$SELECT smart_groups.create_group('North', 'region = "north"', tenant => 'globex')$$);
SELECT * FROM tenant_state();
-- explain resolves names in the group's tenant: another group, a field of the tenant.
SELECT path, rule, actual, result FROM smart_groups.explain('Senior', 4, tenant => 'globex') WHERE path <> '(member)';
SELECT path, rule, actual, result FROM smart_groups.explain('North', 1, tenant => 'acme') WHERE path <> '(member)';
-- validate's data warnings look at the tenant's users only: Dee is globex's, Ann acme's.
SET smart_groups.tenant = 'acme';
SELECT severity, path, message FROM smart_groups.validate('name in ("Dee", "Anne")');
SET smart_groups.tenant = 'globex';
SELECT severity, path, message FROM smart_groups.validate('name in ("Dee", "Anne")');
RESET smart_groups.tenant;

-- The session's tenant, for apps that set one per connection.
SET smart_groups.tenant = 'globex';
SELECT smart_groups.member_count('Sales') AS globex_sales;
SELECT smart_groups.create_group('Support', 'role = "support"') > 0;
SELECT array_agg(k ORDER BY k) FROM smart_groups.preview('role = "sales"') k;
SELECT smart_groups.preview_count('role = "sales"');
SELECT smart_groups.member_count('Sales', tenant => 'acme') AS acme_sales;
SELECT * FROM smart_groups.preview_change('Sales', 'level >= 1');
SET smart_groups.tenant = 'acme';
SELECT smart_groups.member_count('Sales') AS acme_sales;
SELECT try($$SELECT smart_groups.member_count('Support')$$);
RESET smart_groups.tenant;
SELECT try($$SELECT smart_groups.member_count('Sales')$$);
SELECT try($$SELECT smart_groups.member_count('Sales', tenant => '')$$);

-- Overrides stay within the tenant: a user of another tenant cannot be included or added.
SELECT try($$SELECT smart_groups.include('Sales', 4, tenant => 'acme')$$);
SELECT smart_groups.create_static_group('VIP', tenant => 'acme') > 0;
SELECT try($$SELECT smart_groups.add_members('VIP', ARRAY[1, 5], tenant => 'acme')$$);
SELECT smart_groups.add_members('VIP', ARRAY[1, 3], tenant => 'acme');
SELECT smart_groups.include('Sales', 3, tenant => 'acme');
SELECT smart_groups.exclude('Sales', 6, 'other', 'left the team', tenant => 'globex');
SELECT try($$SELECT smart_groups.exclude('Sales', 6, 'other', 'x', tenant => 'acme')$$);

-- explain shows the tenant's condition beside the rules.
SELECT path, rule, CASE WHEN path <> '(member)' THEN actual END AS actual, result
  FROM smart_groups.explain('Others', 1, tenant => 'acme');
SELECT path, rule, CASE WHEN path <> '(member)' THEN actual END AS actual, result
  FROM smart_groups.explain('Sales', 2, tenant => 'acme');
SELECT try($$SELECT * FROM smart_groups.explain('Others', 4, tenant => 'acme')$$);

-- Live maintenance: users written, moved between tenants, custom fields and relation rows.
INSERT INTO saas.accounts VALUES (7, 'acme', 'Gus', 'sales', 2, '2024-01-01', 1),
                                 (8, 'globex', 'Hal', 'sales', 5, '2024-01-01', 4);
UPDATE saas.accounts SET org = 'globex' WHERE id = 2;
UPDATE saas.accounts SET level = 9 WHERE id IN (1, 5);
INSERT INTO saas.attrs VALUES (7, 'region', 'north'), (8, 'seats', '12');
INSERT INTO saas.logins VALUES (1, now()), (8, now());
SELECT * FROM tenant_state();
SELECT count(*) AS problems FROM smart_groups.verify();

-- A user moved to another tenant leaves the old tenant's groups, overrides included: their
-- inclusions (a static group's members too) and exclusions there go.
INSERT INTO saas.accounts VALUES (10, 'acme', 'Jo', 'support', 1, '2024-03-01', NULL);
SELECT smart_groups.include('Sales', 10, tenant => 'acme');
SELECT smart_groups.add_members('VIP', ARRAY[10], tenant => 'acme');
SELECT smart_groups.exclude('North', 7, 'other', 'moves away', tenant => 'acme');
UPDATE saas.accounts SET org = 'globex' WHERE id IN (7, 10);
SELECT g.tenant, g.name, m.user_key FROM smart_groups.members m JOIN smart_groups.groups g ON g.id = m.group_id
 WHERE m.user_key IN (7, 10) ORDER BY 1, 2, 3;
SELECT count(*) AS overrides_left FROM smart_groups.inclusions WHERE user_key IN (7, 10);
SELECT count(*) AS exclusions_left FROM smart_groups.exclusions WHERE user_key IN (7, 10);
UPDATE saas.accounts SET org = 'acme' WHERE id IN (7, 10);
SELECT * FROM tenant_state();
SELECT count(*) AS problems FROM smart_groups.verify();

-- A user's key changes: the old key's overrides go, and a user given the freed key later (of
-- the other tenant here) inherits none of them.
SELECT smart_groups.add_members('VIP', ARRAY[3], tenant => 'acme');
UPDATE saas.accounts SET id = 103 WHERE id = 3;
INSERT INTO saas.accounts VALUES (3, 'globex', 'Cyd', 'support', 1, '2024-04-01', NULL);
SELECT g.tenant, g.name FROM smart_groups.members m JOIN smart_groups.groups g ON g.id = m.group_id
 WHERE m.user_key IN (3, 103) AND g.kind = 'static';
SELECT count(*) AS overrides_of_3 FROM smart_groups.inclusions WHERE user_key IN (3, 103);
SELECT count(*) AS problems FROM smart_groups.verify();

-- Names are unique per tenant, archived included; lifecycle by tenant.
SELECT smart_groups.archive_group('Everyone', tenant => 'acme');
SELECT try($$SELECT smart_groups.create_group('Everyone', 'level > 0', tenant => 'acme')$$);
SELECT smart_groups.create_group('Everyone', 'level > 0', tenant => 'globex') > 0;
SELECT smart_groups.restore_group('Everyone', tenant => 'acme');
SELECT smart_groups.activate_group('Everyone', tenant => 'acme');
SELECT smart_groups.rename_group('Sales', 'Sellers', tenant => 'globex');
SELECT rules_text FROM smart_groups.groups WHERE name = 'Senior';
SELECT smart_groups.set_rules('Sellers', 'level >= 5', tenant => 'globex');
SELECT try($$SELECT smart_groups.drop_group('Sellers', tenant => 'globex')$$);
SELECT smart_groups.deactivate_group('Support', tenant => 'globex');
SELECT * FROM smart_groups.recalculate('North', tenant => 'acme');
SELECT * FROM tenant_state();
SELECT count(*) AS problems FROM smart_groups.verify();

-- A renamed tenant column is followed: the app's writes keep working, groups stay scoped.
ALTER TABLE saas.accounts RENAME COLUMN org TO org_code;
SELECT tenant_column FROM smart_groups.config;
INSERT INTO saas.accounts VALUES (9, 'acme', 'Ida', 'sales', 6, '2024-02-01', NULL);
UPDATE saas.accounts SET org_code = 'acme' WHERE id = 6;
SELECT rules_text FROM smart_groups.groups WHERE name = 'Others';
SELECT * FROM tenant_state();
SELECT count(*) AS problems FROM smart_groups.verify();

-- Reporting relations carry the tenant.
SELECT tenant, group_name, count(*) FROM smart_groups.memberships GROUP BY 1, 2 ORDER BY 1, 2;
SELECT DISTINCT tenant FROM smart_groups.members ORDER BY 1;
SELECT tenant, group_name, user_key, reason FROM smart_groups.excluded;
SELECT tenant, count(*) > 0 AS logged FROM smart_groups.membership_log GROUP BY 1 ORDER BY 1;

-- The tenant policies: shipped, off until enabled; then a role sees and changes only the
-- tenant its session names.
CREATE ROLE sg_acme;
GRANT smart_groups_admin TO sg_acme;
SET ROLE sg_acme;
SET smart_groups.tenant = 'acme';
SELECT count(DISTINCT tenant) AS tenants_seen_before FROM smart_groups.groups;
RESET ROLE;
SELECT smart_groups.set_tenant_security(true);
SET ROLE sg_acme;
SELECT DISTINCT tenant FROM smart_groups.groups;
SELECT DISTINCT tenant FROM smart_groups.memberships;
SELECT count(*) AS other_rows FROM smart_groups.member_rows m
 WHERE m.group_id NOT IN (SELECT id FROM smart_groups.groups WHERE tenant = 'acme');
SELECT count(*) AS globex_rows FROM smart_groups.membership_log WHERE tenant IS DISTINCT FROM 'acme';
SELECT count(*) AS globex_exclusions FROM smart_groups.exclusions;
SELECT count(*) AS globex_counts FROM smart_groups.member_counts
 WHERE group_id IN (SELECT id FROM smart_groups.groups WHERE tenant = 'globex');
SELECT key, tenant FROM smart_groups.custom_fields ORDER BY key;
SELECT smart_groups.member_count('Sales');
SELECT try($$SELECT smart_groups.member_count('Sellers', tenant => 'globex')$$);
SELECT try($$SELECT smart_groups.create_group('Sneaky', 'level > 0', tenant => 'globex')$$);
SELECT smart_groups.create_group('Mine', 'level > 1') > 0 AS created_in_acme;
SELECT try($$SELECT smart_groups.define_custom_field('everyone', 'text')$$);
SELECT try($$SELECT smart_groups.drop_custom_field('seats')$$);
SELECT smart_groups.define_custom_field('acme_only', 'text', tenant => 'acme');
SET smart_groups.tenant = 'globex';
SELECT DISTINCT tenant FROM smart_groups.memberships;
RESET smart_groups.tenant;
SELECT count(*) AS rows_without_tenant FROM smart_groups.memberships;
SELECT name, source FROM smart_groups.fields WHERE source = 'custom' ORDER BY 1;
RESET ROLE;
SELECT smart_groups.set_tenant_security(false);
SELECT tenant, name FROM smart_groups.groups WHERE name = 'Mine';
SELECT count(*) AS problems FROM smart_groups.verify();

-- A dropped tenant field converts the groups reading it, in its tenant only.
SELECT smart_groups.drop_custom_field('region', tenant => 'acme');
SELECT tenant, name, kind FROM smart_groups.groups WHERE name IN ('North', 'Big') ORDER BY 1;

-- An integer tenant column: a tenant is one of its values, as the column's type prints it.
DO $$
DECLARE g record;
BEGIN
    FOR g IN SELECT name, tenant FROM smart_groups.groups ORDER BY depth DESC, id DESC LOOP
        PERFORM smart_groups.drop_group(g.name, tenant => g.tenant);
    END LOOP;
END $$;
ALTER TABLE saas.accounts ADD COLUMN org_no integer;
UPDATE saas.accounts SET org_no = CASE org_code WHEN 'acme' THEN 5 ELSE 7 END;
SELECT smart_groups.attach_users('saas.accounts', tenant_column => 'org_no');
SELECT smart_groups.create_group('Sales', 'role = "sales"', tenant => '05') > 0;
SELECT tenant, name FROM smart_groups.groups;
SELECT try($$SELECT smart_groups.create_group('Sales', 'role = "sales"', tenant => 'five')$$);
SELECT smart_groups.member_count('Sales', tenant => '5') = count(*) AS counted
  FROM saas.accounts WHERE org_no = 5 AND role = 'sales';
SELECT path, rule, result FROM smart_groups.explain('Sales', 1, tenant => '5') WHERE path = '(tenant)';
SELECT count(*) AS problems FROM smart_groups.verify();

-- The tenant column dropped: its groups become static groups holding their members, and the
-- app's writes go on.
ALTER TABLE saas.accounts DROP COLUMN org_no;
SELECT tenant, name, kind FROM smart_groups.groups;
INSERT INTO saas.accounts VALUES (11, 'acme', 'Kim', 'sales', 2, '2024-05-01', NULL);
UPDATE saas.accounts SET level = level + 1 WHERE id IN (1, 11);
DELETE FROM saas.accounts WHERE id = 11;
SELECT count(*) AS problems FROM smart_groups.verify();

RESET client_min_messages;
DROP EXTENSION smart_groups CASCADE;
DROP SCHEMA saas CASCADE;
DROP ROLE sg_acme;
