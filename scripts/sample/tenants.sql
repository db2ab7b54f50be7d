-- A tenant app for the dump/restore test (scripts/dump_restore.sh): two tenants each with a
-- "Sales", a custom field of one tenant, overrides, and the tenant policies enabled.
CREATE SCHEMA saas;
CREATE TABLE saas.accounts (id integer PRIMARY KEY, org text NOT NULL, role text, level integer,
                            boss_id integer REFERENCES saas.accounts (id));
CREATE TABLE saas.attrs (user_id integer NOT NULL REFERENCES saas.accounts (id), k text NOT NULL, v text,
                         PRIMARY KEY (user_id, k));
INSERT INTO saas.accounts
SELECT i, CASE WHEN i % 3 = 0 THEN 'globex' ELSE 'acme' END, CASE WHEN i % 4 = 0 THEN 'sales' ELSE 'support' END,
       i % 7, CASE WHEN i > 10 THEN 1 + i % 10 END
  FROM generate_series(1, 300) i;
INSERT INTO saas.attrs SELECT i, 'region', CASE WHEN i % 2 = 0 THEN 'north' ELSE 'south' END FROM generate_series(1, 300) i;
SELECT smart_groups.attach_users('saas.accounts', tenant_column => 'org');
SELECT smart_groups.attach_custom_fields('saas.attrs', 'user_id', 'k', 'v');
SELECT smart_groups.define_custom_field('region', 'text', tenant => 'acme');
SELECT smart_groups.create_group('Sales', 'role = "sales"', tenant => 'acme');
SELECT smart_groups.create_group('Sales', 'level >= 3', tenant => 'globex');
SELECT smart_groups.create_group('North sales', 'member of "Sales" and region = "north"', tenant => 'acme');
SELECT smart_groups.create_group('Boss in globex', 'boss.org = "globex"', tenant => 'acme');
SELECT smart_groups.create_static_group('VIP', tenant => 'globex');
SELECT smart_groups.add_members('VIP', ARRAY[3, 6, 9], tenant => 'globex');
SELECT smart_groups.exclude('Sales', 4, 'other', 'on leave', tenant => 'acme');
SELECT smart_groups.set_tenant_security(true);
