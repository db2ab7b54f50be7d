#!/usr/bin/env python3
"""Storage layouts for group membership: builds the same memberships in three layouts and
times the operations smart_groups performs on them. Called by bench/storage/run.sh, which
owns the cluster; this talks to it through psql only (stdlib, no driver).

Timing is done inside the database with clock_timestamp(): per-operation samples in plpgsql
DO blocks (static SQL there is prepared and goes through the plan cache like PREPARE/EXECUTE;
EXECUTE ... USING is planned on every call), single statements between bench.tick() and
bench.tock() in one psql session. No psql start-up is ever inside a measurement. Every raw
sample goes to bench.raw; the report is computed from it.

Data (deterministic, same for the same --users/--groups):
  users(id bigint primary key, email, created_at), ids 1..N.
  group g has threshold t_g out of 1024: g=1 1004 (98%), g=2..10 512 (50%), the others
  10..154 (1%..15%, skewed towards the top so that the average is ~10%); user u is in g iff
  (hashint8(u * 1000003 + g) & 1023) < t_g. since = a pseudo-random instant in ~1.1 years
  (distinct per membership, so that the arrays of layout C do not compress unrealistically).
  The memberships are generated once into an unlogged staging table gen.m (not timed) and each
  layout is built from it, so the build times compare the layouts, not the generation.
"""

import argparse
import datetime
import os
import statistics
import subprocess
import sys
import time

PSQL = "/usr/lib/postgresql/15/bin/psql"
LAYOUTS = ("A", "B", "C")
HASH_MUL = 1000003  # user * HASH_MUL + group: a distinct hash key per (user, group)


def log(msg):
    print(f"[{datetime.datetime.utcnow():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


class PG:
    def __init__(self, host, port, db):
        self.args = ["-h", host, "-p", str(port), "-U", "postgres", "-d", db]

    def run(self, sql):
        """Runs a script in a new session (statements autocommit); returns stdout."""
        cmd = [PSQL, "-X", "-q", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1", *self.args]
        p = subprocess.run(cmd, input=sql, text=True, capture_output=True)
        if p.returncode != 0:
            sys.stderr.write(f"psql failed ({p.returncode}):\n{p.stderr}\n--- script ---\n{sql[:4000]}\n")
            sys.exit(1)
        return p.stdout

    def rows(self, sql):
        return [line.split("\t") for line in self.run(sql).splitlines() if line != ""]

    def value(self, sql):
        return self.run(sql).strip()


# --------------------------------------------------------------------------------------------
# Setup: helpers, users, groups, staging memberships, samples (none of it timed)

SETUP = r"""
CREATE SCHEMA bench; CREATE SCHEMA gen; CREATE SCHEMA a; CREATE SCHEMA b; CREATE SCHEMA c;

CREATE TABLE bench.raw (
    layout text NOT NULL, key text NOT NULL, v double precision NOT NULL,
    unit text NOT NULL DEFAULT 'ms', at timestamptz NOT NULL DEFAULT clock_timestamp());
CREATE FUNCTION bench.ms(t0 timestamptz, t1 timestamptz) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$ SELECT (extract(epoch FROM t1 - t0) * 1000)::double precision $$;
CREATE FUNCTION bench.rec(l text, k text, v double precision, u text DEFAULT 'ms') RETURNS void
LANGUAGE sql AS $$ INSERT INTO bench.raw (layout, key, v, unit) VALUES (l, k, v, u) $$;
CREATE FUNCTION bench.recs(l text, k text, xs double precision[]) RETURNS void
LANGUAGE sql AS $$ INSERT INTO bench.raw (layout, key, v) SELECT l, k, x FROM unnest(xs) x $$;
-- Timing of top-level statements in one session: tick before, tock after.
CREATE FUNCTION bench.tick() RETURNS void LANGUAGE plpgsql AS $$
BEGIN PERFORM set_config('bench.t0', clock_timestamp()::text, false); END $$;
CREATE FUNCTION bench.tock(l text, k text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN PERFORM bench.rec(l, k, bench.ms(current_setting('bench.t0')::timestamptz, clock_timestamp())); END $$;
-- Sizes: heap (main+fsm+vm), toast (with its index), indexes, total.
CREATE FUNCTION bench.record_size(l text, rels regclass[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO bench.raw (layout, key, v, unit)
    SELECT l, 'size heap', sum(pg_relation_size(r, 'main') + pg_relation_size(r, 'fsm') + pg_relation_size(r, 'vm')), 'bytes' FROM unnest(rels) r
    UNION ALL
    SELECT l, 'size toast', coalesce(sum(pg_total_relation_size(nullif(c.reltoastrelid, 0))), 0), 'bytes'
      FROM unnest(rels) r JOIN pg_class c ON c.oid = r
    UNION ALL
    SELECT l, 'size indexes', sum(pg_indexes_size(r)), 'bytes' FROM unnest(rels) r
    UNION ALL
    SELECT l, 'size total', sum(pg_total_relation_size(r)), 'bytes' FROM unnest(rels) r
$$;

CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, created_at timestamptz NOT NULL);
INSERT INTO users
SELECT i, 'user' || i || '@example.com', timestamptz '2020-01-01 00:00+00' + i * interval '37 seconds'
  FROM generate_series(1, {N}) i;

CREATE TABLE gen.groups (id bigint PRIMARY KEY, threshold int NOT NULL);
INSERT INTO gen.groups
SELECT g, CASE WHEN g = 1 THEN 1004
               WHEN g <= 10 THEN 512
               ELSE 10 + floor(144 * power((hashint8extended(g, 1) & 65535) / 65535.0, 0.6))::int END
  FROM generate_series(1, {G}) g;

CREATE UNLOGGED TABLE gen.m (group_id bigint NOT NULL, user_key bigint NOT NULL, since timestamptz NOT NULL);
DO $gen$
DECLARE v_g bigint; v_thr int;
BEGIN
  FOR v_g, v_thr IN SELECT id, threshold FROM gen.groups ORDER BY id LOOP
    INSERT INTO gen.m
    SELECT v_g, u.id,
           timestamptz '2025-01-01 00:00+00'
             + (hashint8extended(u.id * {K} + v_g, 2) & 35184372088831) * interval '1 microsecond'
      FROM users u
     WHERE (hashint8(u.id * {K} + v_g) & 1023) < v_thr;
  END LOOP;
END $gen$;
CREATE INDEX ON gen.m (group_id);
VACUUM ANALYZE users, gen.groups, gen.m;

-- Samples (deterministic pseudo-random).
CREATE TABLE bench.s_users AS      -- q2: which groups is U in
SELECT i, 1 + (hashint8extended(i, 11) & 1073741823) % {N} AS u FROM generate_series(1, {S}) i;
CREATE TABLE bench.s_first AS      -- q2: first call in a new session
SELECT i, 1 + (hashint8extended(i, 12) & 1073741823) % {N} AS u FROM generate_series(1, 5) i;
CREATE TABLE bench.s_pairs AS      -- q3: is U in G
SELECT i, 1 + (hashint8extended(i, 13) & 1073741823) % {N} AS u,
          1 + (hashint8extended(i, 14) & 1073741823) % {G} AS g FROM generate_series(1, {S}) i;
CREATE TABLE bench.s_toggle AS     -- q4: one membership change
SELECT i, 1 + (hashint8extended(i, 15) & 1073741823) % {N} AS u,
          1 + (hashint8extended(i, 16) & 1073741823) % {G} AS g FROM generate_series(1, {S}) i;
CREATE TABLE bench.s_flip AS       -- q5: one user flips in 100 groups
SELECT i, 1 + (hashint8extended(i, 17) & 1073741823) % {N} AS u,
       ARRAY(SELECT id FROM gen.groups ORDER BY hashint8extended(id * 1000 + i, 18), id LIMIT 100) AS gs
  FROM generate_series(1, 100) i;
CREATE TABLE bench.params AS
SELECT (SELECT id FROM gen.groups WHERE id > 10 ORDER BY abs(threshold - 102), id LIMIT 1) AS g10,
       {G} + 1 AS gnew;
"""

# --------------------------------------------------------------------------------------------
# Layouts

LAYOUT_DDL = r"""
-- A: the current design (sql/schema.sql, with bigint keys), a partition per group.
CREATE TABLE a.members (
    group_id bigint NOT NULL,
    user_key bigint NOT NULL,
    since    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_key, group_id)
) PARTITION BY LIST (group_id);
-- As smart_groups_internal._create_partition does it: CREATE TABLE AS, primary key and a bound CHECK
-- on the filled table, ATTACH (which the CHECK lets skip its scan), drop the CHECK.
CREATE PROCEDURE a.add_partition(gid bigint, src text) LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE TABLE a.members_%s AS %s', gid, src);
    EXECUTE format('ALTER TABLE a.members_%1$s ALTER COLUMN since SET NOT NULL, ALTER COLUMN since SET DEFAULT now(), '
                   'ADD PRIMARY KEY (user_key, group_id), ADD CONSTRAINT members_%1$s_bound CHECK (group_id = %1$s)', gid);
    EXECUTE format('ALTER TABLE a.members ATTACH PARTITION a.members_%1$s FOR VALUES IN (%1$s)', gid);
    EXECUTE format('ALTER TABLE a.members_%1$s DROP CONSTRAINT members_%1$s_bound', gid);
END $$;

-- B: one table, logical archiving through b.groups.status.
CREATE TABLE b.groups (id bigint PRIMARY KEY, status text NOT NULL DEFAULT 'active');
CREATE TABLE b.members (
    group_id bigint NOT NULL,
    user_key bigint NOT NULL,
    since    timestamptz NOT NULL DEFAULT now()
);
CREATE VIEW b.active_members AS
SELECT m.group_id, m.user_key, m.since
  FROM b.members m JOIN b.groups g ON g.id = m.group_id AND g.status = 'active';

-- C: one row per user, groups sorted, since aligned with group_ids.
CREATE TABLE c.user_groups (
    user_key  bigint NOT NULL,
    group_ids bigint[] NOT NULL,
    since     timestamptz[] NOT NULL
);
"""

BUILD = {
    # One transaction per group, as the extension creates groups one by one.
    "A": r"""
DO $b$
DECLARE v_g bigint; t0 timestamptz := clock_timestamp();
BEGIN
  FOR v_g IN SELECT id FROM gen.groups ORDER BY id LOOP
    CALL a.add_partition(v_g, format('SELECT group_id, user_key, since FROM gen.m WHERE group_id = %s', v_g));
    COMMIT;
  END LOOP;
  PERFORM bench.rec('A', 'build', bench.ms(t0, clock_timestamp()));
END $b$;
""",
    # Load, then build the indexes (the fast way to fill an empty table).
    "B": r"""
SELECT bench.tick();
BEGIN;
INSERT INTO b.groups (id, status) SELECT id, 'active' FROM gen.groups;
INSERT INTO b.members (group_id, user_key, since) SELECT group_id, user_key, since FROM gen.m;
ALTER TABLE b.members ADD PRIMARY KEY (group_id, user_key);
CREATE INDEX members_user_key_idx ON b.members (user_key, group_id);
COMMIT;
SELECT bench.tock('B', 'build');
""",
    # Aggregate per user (users in no group get empty arrays), then the indexes.
    "C": r"""
SELECT bench.tick();
BEGIN;
INSERT INTO c.user_groups (user_key, group_ids, since)
SELECT user_key, array_agg(group_id ORDER BY group_id), array_agg(since ORDER BY group_id)
  FROM gen.m GROUP BY user_key;
INSERT INTO c.user_groups (user_key, group_ids, since)
SELECT id, '{}', '{}' FROM users u WHERE NOT EXISTS (SELECT 1 FROM c.user_groups x WHERE x.user_key = u.id);
ALTER TABLE c.user_groups ADD PRIMARY KEY (user_key);
CREATE INDEX user_groups_group_ids_gin ON c.user_groups USING gin (group_ids);
COMMIT;
SELECT bench.tock('C', 'build');
""",
}

VACUUM_TARGET = {"A": "a.members", "B": "b.members, b.groups", "C": "c.user_groups"}
SIZE_RELS = {
    "A": "ARRAY(SELECT relid FROM pg_partition_tree('a.members') WHERE isleaf)",
    "B": "ARRAY['b.members'::regclass]",
    "C": "ARRAY['c.user_groups'::regclass]",
}
COUNT_SQL = {
    "A": "SELECT count(*) FROM a.members",
    "B": "SELECT count(*) FROM b.active_members",
    "C": "SELECT sum(cardinality(group_ids)) FROM c.user_groups",
}

# --------------------------------------------------------------------------------------------
# Measurements


def loop_block(layout, key, loop, body, decl="", post="", after="", record=True):
    """A DO block that times `body` once per row of `loop` ("vars IN query")."""
    rec = f"PERFORM bench.recs('{layout}', '{key}', xs);" if record else ""
    return f"""
DO $bench$
DECLARE xs double precision[] := '{{}}'; t0 timestamptz; t1 timestamptz;
        v_u bigint; v_g bigint; v_gs bigint[]; {decl}
BEGIN
  FOR {loop} LOOP
    t0 := clock_timestamp();
    {body}
    t1 := clock_timestamp();
    xs := xs || bench.ms(t0, t1);
    {post}
  END LOOP;
  {rec}
  {after}
END $bench$;
"""


Q2 = {  # which groups is user v_u in
    "A": "SELECT array_agg(group_id ORDER BY group_id) FROM a.members WHERE user_key = {u}",
    "B": "SELECT array_agg(group_id ORDER BY group_id) FROM b.active_members WHERE user_key = {u}",
    "C": "SELECT group_ids FROM c.user_groups WHERE user_key = {u}",
}
Q3 = {  # is v_u in v_g
    "A": "SELECT EXISTS (SELECT 1 FROM a.members WHERE user_key = v_u AND group_id = v_g)",
    "B": "SELECT EXISTS (SELECT 1 FROM b.active_members WHERE user_key = v_u AND group_id = v_g)",
    "C": "SELECT coalesce((SELECT group_ids @> ARRAY[v_g] FROM c.user_groups WHERE user_key = v_u), false)",
}
Q8 = {  # members of group v_g
    "A": "SELECT count(*) INTO n FROM a.members WHERE group_id = v_g;",
    "B": "SELECT count(*) INTO n FROM b.active_members WHERE group_id = v_g;",
    "C": "SELECT count(*) INTO n FROM c.user_groups WHERE group_ids @> ARRAY[v_g];",
}


def toggle_body(l):
    """Insert (u, g) if absent, else delete it; then commit."""
    if l in ("A", "B"):
        t = f"{l.lower()}.members"
        return f"""
    DELETE FROM {t} WHERE user_key = v_u AND group_id = v_g;
    IF NOT FOUND THEN
      INSERT INTO {t} (group_id, user_key) VALUES (v_g, v_u);
      ins := ins + 1;
    END IF;
    COMMIT;"""
    return """
    -- position of g (p) or the number of groups below it (k), in one read of the array
    SELECT x.p, x.k INTO p, k
      FROM c.user_groups t,
           LATERAL (SELECT max(o) FILTER (WHERE e = v_g) AS p, count(*) FILTER (WHERE e < v_g) AS k
                      FROM unnest(t.group_ids) WITH ORDINALITY AS z(e, o)) x
     WHERE t.user_key = v_u;
    IF p IS NULL THEN
      UPDATE c.user_groups SET group_ids = group_ids[:k] || v_g || group_ids[k+1:],
                               since = since[:k] || now() || since[k+1:]
       WHERE user_key = v_u;
      ins := ins + 1;
    ELSE
      UPDATE c.user_groups SET group_ids = array_remove(group_ids, v_g),
                               since = since[:p-1] || since[p+1:]
       WHERE user_key = v_u;
    END IF;
    COMMIT;"""


def flip_body(l):
    """For one user, insert the absent and delete the present of 100 groups: one statement."""
    if l in ("A", "B"):
        t = f"{l.lower()}.members"
        return f"""
    WITH d AS (DELETE FROM {t} WHERE user_key = v_u AND group_id = ANY (v_gs) RETURNING group_id)
    INSERT INTO {t} (group_id, user_key)
    SELECT x, v_u FROM unnest(v_gs) AS x WHERE x NOT IN (SELECT group_id FROM d);
    GET DIAGNOSTICS n = ROW_COUNT;
    ins := ins + n;
    COMMIT;"""
    return """
    UPDATE c.user_groups t SET (group_ids, since) = (
        SELECT coalesce(array_agg(e.g ORDER BY e.g), '{}'), coalesce(array_agg(e.s ORDER BY e.g), '{}')
          FROM (SELECT z.g, z.s FROM unnest(t.group_ids, t.since) AS z(g, s) WHERE z.g <> ALL (v_gs)
                UNION ALL
                SELECT f.g, now() FROM unnest(v_gs) AS f(g) WHERE f.g <> ALL (t.group_ids)) e)
     WHERE t.user_key = v_u;
    COMMIT;"""


def pred(col, g):
    return f"(hashint8({col} * {HASH_MUL} + {g}) & 1023) < 1004"


class Bench:
    def __init__(self, pg, n, g, samples):
        self.pg, self.n, self.g, self.s = pg, n, g, samples
        self.step_times = {}

    def step(self, name, fn):
        log(f"{name} ...")
        t = time.monotonic()
        fn()
        self.step_times[name] = time.monotonic() - t
        log(f"{name} done in {self.step_times[name]:.1f} s")

    def setup(self):
        self.pg.run(SETUP.format(N=self.n, G=self.g, S=self.s, K=HASH_MUL) + LAYOUT_DDL)
        self.g10, self.gnew = (int(x) for x in self.pg.rows("SELECT g10, gnew FROM bench.params")[0])

    def build(self, l):
        self.pg.run(BUILD[l])
        self.pg.run(f"SELECT bench.tick();\nVACUUM (ANALYZE) {VACUUM_TARGET[l]};\nSELECT bench.tock('{l}', 'vacuum analyze');")
        self.pg.run(f"SELECT bench.record_size('{l}', {SIZE_RELS[l]});")
        self.pg.run(f"SELECT bench.rec('{l}', 'check memberships after build', ({COUNT_SQL[l]})::float8, 'rows');")

    def q2(self, l):
        q = Q2[l].format(u="v_u")
        self.pg.run(loop_block(l, "q2 prepared", "v_u IN SELECT u FROM bench.s_users ORDER BY i",
                               f"{q} INTO r;", decl="r bigint[]; tot bigint := 0;",
                               post="tot := tot + coalesce(cardinality(r), 0);",
                               after=f"PERFORM bench.rec('{l}', 'check q2 groups returned', tot, 'rows');"))

    def q2_unprepared(self, l):
        q = Q2[l].format(u="$1")
        self.pg.run(loop_block(l, "q2 planned per call", "v_u IN SELECT u FROM bench.s_users ORDER BY i",
                               f"EXECUTE '{q}' INTO r USING v_u;", decl="r bigint[];"))

    def q2_first(self, l):
        for (u,) in self.pg.rows("SELECT u FROM bench.s_first ORDER BY i"):
            q = Q2[l].format(u=u)
            self.pg.run(f"""
DO $bench$
DECLARE t0 timestamptz; t1 timestamptz; r bigint[];
BEGIN
  t0 := clock_timestamp();
  {q} INTO r;
  t1 := clock_timestamp();
  PERFORM bench.rec('{l}', 'q2 first call in new session', bench.ms(t0, t1));
END $bench$;""")

    def plan_choice(self, l):
        """PREPARE + 10 EXECUTEs of the q2 and q3 statements: which plans the plan cache used."""
        us = [u for (u,) in self.pg.rows("SELECT u FROM bench.s_users ORDER BY i LIMIT 10")]
        prs = self.pg.rows("SELECT u, g FROM bench.s_pairs ORDER BY i LIMIT 10")
        q3 = Q3[l].replace("v_u", "$1").replace("v_g", "$2")
        script = f"PREPARE p2(bigint) AS {Q2[l].format(u='$1')};\n"
        script += "".join(f"EXECUTE p2({u});\n" for u in us)
        script += f"PREPARE p3(bigint, bigint) AS {q3};\n"
        script += "".join(f"EXECUTE p3({u}, {g});\n" for u, g in prs)
        script += (f"SELECT bench.rec('{l}', 'plan ' || name || ' generic', generic_plans, 'plans'), "
                   f"bench.rec('{l}', 'plan ' || name || ' custom', custom_plans, 'plans') FROM pg_prepared_statements;")
        self.pg.run(script)

    def jit_check(self):
        """Whether the planner would use JIT for the single statements of 6 and 7 (EXPLAIN only)."""
        gn = self.gnew
        stmts = {
            "6 baseline CREATE TABLE AS": f"CREATE TABLE bench.y AS SELECT id FROM users WHERE {pred('id', gn)}",
            "6 A (SELECT of its CREATE TABLE AS)": f"SELECT {gn}::bigint AS group_id, id AS user_key, now() AS since FROM users WHERE {pred('id', gn)}",
            "6 B INSERT … SELECT": f"INSERT INTO b.members (group_id, user_key) SELECT {gn}, id FROM users WHERE {pred('id', gn)}",
            "6 C UPDATE": f"UPDATE c.user_groups SET group_ids = group_ids || {gn}::bigint, since = since || now() WHERE {pred('user_key', gn)}",
            "7 C UPDATE": "UPDATE c.user_groups SET group_ids = array_remove(group_ids, 1::bigint) WHERE group_ids @> ARRAY[1::bigint]",
        }
        self.jit = {}
        for name, st in stmts.items():
            out = self.pg.run(f"EXPLAIN {st};")
            self.jit[name] = "JIT:" in out

    def q3(self, l):
        self.pg.run(loop_block(l, "q3", "v_u, v_g IN SELECT u, g FROM bench.s_pairs ORDER BY i",
                               f"{Q3[l]} INTO yes;", decl="yes boolean; n bigint := 0;",
                               post="IF yes THEN n := n + 1; END IF;",
                               after=f"PERFORM bench.rec('{l}', 'check q3 yes answers', n, 'rows');"))

    def q8(self, l):
        self.pg.run(loop_block(l, "q8", f"v_g IN SELECT {self.g10}::bigint FROM generate_series(1, 11)",
                               Q8[l], decl="n bigint;", record=False,
                               after=f"PERFORM bench.recs('{l}', 'q8 first', xs[1:1]);"
                                     f"PERFORM bench.recs('{l}', 'q8 warm', xs[2:]);"
                                     f"PERFORM bench.rec('{l}', 'check q8 count', n, 'rows');"))

    def q4(self, l):
        self.pg.run(loop_block(l, "q4", "v_u, v_g IN SELECT u, g FROM bench.s_toggle ORDER BY i",
                               toggle_body(l), decl="ins bigint := 0; p int; k int;",
                               after=f"PERFORM bench.rec('{l}', 'check q4 inserts', ins, 'rows');"))

    def q5(self, l):
        self.pg.run(loop_block(l, "q5", "v_u, v_gs IN SELECT u, gs FROM bench.s_flip ORDER BY i",
                               flip_body(l), decl="ins bigint := 0; n bigint;",
                               after=(f"PERFORM bench.rec('{l}', 'check q5 inserts', ins, 'rows');" if l != "C" else "")))

    def counts_after_changes(self):
        for l in LAYOUTS:
            self.pg.run(f"SELECT bench.rec('{l}', 'check memberships after q4 q5', ({COUNT_SQL[l]})::float8, 'rows');")

    def q6_baseline(self):
        self.pg.run(f"""
SELECT bench.tick();
CREATE TABLE bench.x AS SELECT id FROM users WHERE {pred('id', self.gnew)};
SELECT bench.tock('base', 'q6 bulk add');
SELECT bench.rec('base', 'check q6 rows', (SELECT count(*) FROM bench.x)::float8, 'rows');
DROP TABLE bench.x;""")

    def q6(self, l):
        gn = self.gnew
        if l == "A":
            src = f"SELECT {gn}::bigint AS group_id, id AS user_key, now() AS since FROM users WHERE {pred('id', gn)}"
            stmt = f"CALL a.add_partition({gn}, $src${src}$src$);"
            check = f"SELECT count(*) FROM a.members WHERE group_id = {gn}"
        elif l == "B":
            stmt = (f"BEGIN;\nINSERT INTO b.groups (id, status) VALUES ({gn}, 'active');\n"
                    f"INSERT INTO b.members (group_id, user_key) SELECT {gn}, id FROM users WHERE {pred('id', gn)};\nCOMMIT;")
            check = f"SELECT count(*) FROM b.active_members WHERE group_id = {gn}"
        else:
            stmt = (f"UPDATE c.user_groups SET group_ids = group_ids || {gn}::bigint, since = since || now()\n"
                    f" WHERE {pred('user_key', gn)};")
            check = f"SELECT count(*) FROM c.user_groups WHERE group_ids @> ARRAY[{gn}::bigint]"
        self.pg.run(f"SELECT bench.tick();\n{stmt}\nSELECT bench.tock('{l}', 'q6 bulk add');\n"
                    f"SELECT bench.rec('{l}', 'check q6 rows', ({check})::float8, 'rows');")

    def q7(self, l):
        if l == "A":
            stmt = "TRUNCATE a.members_1;"
            check = "SELECT count(*) FROM a.members WHERE group_id = 1"
        elif l == "B":
            stmt = "UPDATE b.groups SET status = 'archived' WHERE id = 1;"
            check = "SELECT count(*) FROM b.active_members WHERE group_id = 1"
        else:
            stmt = ("UPDATE c.user_groups SET group_ids = array_remove(group_ids, 1::bigint),\n"
                    "       since = since[:array_position(group_ids, 1::bigint) - 1] || since[array_position(group_ids, 1::bigint) + 1:]\n"
                    " WHERE group_ids @> ARRAY[1::bigint];")
            check = "SELECT count(*) FROM c.user_groups WHERE group_ids @> ARRAY[1::bigint]"
        self.pg.run(f"SELECT bench.tick();\n{stmt}\nSELECT bench.tock('{l}', 'q7 archive');\n"
                    f"SELECT bench.rec('{l}', 'check q7 readers see', ({check})::float8, 'rows');")

    def q7_b_cleanup(self):
        self.pg.run(r"""
DO $bench$
DECLARE v_last bigint := -1; n bigint; tot bigint := 0; xs double precision[] := '{}'; t0 timestamptz;
BEGIN
  LOOP
    t0 := clock_timestamp();
    WITH d AS (
      DELETE FROM b.members
       WHERE group_id = 1
         AND user_key IN (SELECT user_key FROM b.members
                           WHERE group_id = 1 AND user_key > v_last ORDER BY user_key LIMIT 10000)
      RETURNING user_key)
    SELECT count(*), max(user_key) INTO n, v_last FROM d;
    COMMIT;
    xs := xs || bench.ms(t0, clock_timestamp());
    tot := tot + n;
    EXIT WHEN n = 0;
  END LOOP;
  PERFORM bench.recs('B', 'q7 cleanup batch', xs);
  PERFORM bench.rec('B', 'check q7 cleanup rows', tot, 'rows');
END $bench$;""")

    def run_all(self):
        self.loadavg_start = open("/proc/loadavg").read().split()[:3]
        t_all = time.monotonic()
        self.step("setup: users, groups, staging memberships", self.setup)
        for l in LAYOUTS:
            self.step(f"build {l}", lambda l=l: self.build(l))
        for l in LAYOUTS:
            self.step(f"q2 prepared {l}", lambda l=l: self.q2(l))
        for l in LAYOUTS:
            self.step(f"q2 planned per call {l}", lambda l=l: self.q2_unprepared(l))
        for l in LAYOUTS:
            self.step(f"q2 first call {l}", lambda l=l: self.q2_first(l))
        for l in LAYOUTS:
            self.step(f"plan cache choice {l}", lambda l=l: self.plan_choice(l))
        for l in LAYOUTS:
            self.step(f"q3 {l}", lambda l=l: self.q3(l))
        for l in LAYOUTS:
            self.step(f"q8 {l}", lambda l=l: self.q8(l))
        for l in LAYOUTS:
            self.step(f"q4 {l}", lambda l=l: self.q4(l))
        for l in LAYOUTS:
            self.step(f"q5 {l}", lambda l=l: self.q5(l))
        self.counts_after_changes()
        self.step("JIT check (EXPLAIN of 6 and 7)", self.jit_check)
        for l in LAYOUTS:  # baseline before each layout, so that each has a neighbour
            self.step("q6 baseline", self.q6_baseline)
            self.step(f"q6 {l}", lambda l=l: self.q6(l))
        for l in LAYOUTS:
            self.step(f"q7 {l}", lambda l=l: self.q7(l))
        self.step("q7 B cleanup", self.q7_b_cleanup)
        self.total_s = time.monotonic() - t_all
        self.loadavg_end = open("/proc/loadavg").read().split()[:3]

    # ----------------------------------------------------------------------------------------
    def report(self):
        pg = self.pg
        agg = {}
        for l, k, n, p50, p95, s, mn, mx, unit in pg.rows("""
SELECT layout, key, count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY v),
       percentile_cont(0.95) WITHIN GROUP (ORDER BY v), sum(v), min(v), max(v), min(unit)
  FROM bench.raw GROUP BY 1, 2"""):
            agg[(l, k)] = dict(n=int(n), p50=float(p50), p95=float(p95), sum=float(s),
                               min=float(mn), max=float(mx), unit=unit)
        members = int(pg.value("SELECT count(*) FROM gen.m"))
        g10_rows = int(pg.value(f"SELECT count(*) FROM gen.m WHERE group_id = {self.g10}"))
        dens = pg.rows("SELECT min(threshold), max(threshold) FROM gen.groups WHERE id > 10")[0]
        settings = pg.rows("""
SELECT name, current_setting(name) FROM pg_settings
 WHERE name IN ('shared_buffers', 'max_wal_size', 'work_mem', 'maintenance_work_mem', 'fsync',
                'synchronous_commit', 'full_page_writes', 'wal_level', 'jit',
                'max_parallel_workers_per_gather', 'plan_cache_mode')
 ORDER BY name""")
        version = pg.value("SHOW server_version")
        b_groups = int(pg.value("SELECT pg_total_relation_size('b.groups')"))
        c_bad = int(pg.value("""SELECT count(*) FROM c.user_groups
 WHERE cardinality(group_ids) <> cardinality(since)
    OR group_ids <> ARRAY(SELECT x FROM unnest(group_ids) x ORDER BY x)"""))
        no_group = int(pg.value("SELECT count(*) FROM c.user_groups WHERE cardinality(group_ids) = 0"))

        def get(l, k, f="p50"):
            a = agg.get((l, k))
            return None if a is None else a[f]

        def ms(v):
            if v is None:
                return "—"
            if v < 1:
                return f"{v:.3f}"
            if v < 100:
                return f"{v:.2f}"
            return f"{v:,.0f}"

        def sec(v):
            return "—" if v is None else f"{v / 1000:,.1f}"

        def mb(v):
            return "—" if v is None else f"{v / 2**20:,.1f}"

        base = agg[("base", "q6 bulk add")]
        rows = []

        def row(label, unit, vals):
            rows.append(f"| {label} | {unit} | " + " | ".join(vals) + " |")

        row("1. build all memberships (from the staging table)", "s", [sec(get(l, "build")) for l in LAYOUTS])
        row("1. VACUUM ANALYZE after the build (not in the build time)", "s", [sec(get(l, "vacuum analyze")) for l in LAYOUTS])
        row("1. total size: heap + indexes + toast", "MB", [mb(get(l, "size total")) for l in LAYOUTS])
        row("1. … heap (incl. FSM, VM)", "MB", [mb(get(l, "size heap")) for l in LAYOUTS])
        row("1. … indexes", "MB", [mb(get(l, "size indexes")) for l in LAYOUTS])
        row("1. … toast", "MB", [mb(get(l, "size toast")) for l in LAYOUTS])
        row("1. bytes per membership", "B", [f"{get(l, 'size total') / members:.1f}" for l in LAYOUTS])
        for k, lab in (("q2 prepared", "2. which groups is U in — prepared (plan cache)"),
                       ("q2 planned per call", "2. which groups is U in — planned every call (EXECUTE … USING)")):
            row(f"{lab}, p50", "ms", [ms(get(l, k)) for l in LAYOUTS])
            row(f"{lab}, p95", "ms", [ms(get(l, k, 'p95')) for l in LAYOUTS])
        k = "q2 first call in new session"
        row("2. which groups is U in — first call in a new session, median of 5 sessions (min–max)", "ms",
            [f"{ms(get(l, k))} ({ms(get(l, k, 'min'))}–{ms(get(l, k, 'max'))})" for l in LAYOUTS])
        row("2./3. plans used by PREPARE + 10 EXECUTEs: which groups (q2) / is U in G (q3), custom+generic", "plans",
            [f"q2 {get(l, 'plan p2 custom'):.0f}c+{get(l, 'plan p2 generic'):.0f}g / "
             f"q3 {get(l, 'plan p3 custom'):.0f}c+{get(l, 'plan p3 generic'):.0f}g" for l in LAYOUTS])
        row("3. is U in G, p50", "ms", [ms(get(l, "q3")) for l in LAYOUTS])
        row("3. is U in G, p95", "ms", [ms(get(l, "q3", "p95")) for l in LAYOUTS])
        row("4. one membership change (insert if absent else delete, + COMMIT), p50", "ms", [ms(get(l, "q4")) for l in LAYOUTS])
        row("4. one membership change, p95", "ms", [ms(get(l, "q4", "p95")) for l in LAYOUTS])
        nf = min(100, self.g)
        row(f"5. one user flips in {nf} groups (one statement + COMMIT), p50", "ms", [ms(get(l, "q5")) for l in LAYOUTS])
        row(f"5. one user flips in {nf} groups, p95", "ms", [ms(get(l, "q5", "p95")) for l in LAYOUTS])
        nrows = int(get("base", "check q6 rows"))
        row(f"6. bulk: add a group of 98% of users ({nrows:,} rows)", "ms", [ms(get(l, "q6 bulk add")) for l in LAYOUTS])
        row(f"6. … ratio to bare CREATE TABLE AS (median of 3: {ms(base['p50'])} ms, range {ms(base['min'])}–{ms(base['max'])})",
            "×", [f"{get(l, 'q6 bulk add') / base['p50']:.1f}" for l in LAYOUTS])
        row("7. archive group 1 (98%) as seen by readers (A TRUNCATE partition; B UPDATE status; C remove from every array)",
            "ms", [ms(get(l, "q7 archive")) for l in LAYOUTS])
        cb = agg.get(("B", "q7 cleanup batch"))
        row("7. B: background cleanup, DELETE in batches of 10,000 + COMMIT: total (batches; slowest batch)", "ms",
            ["n/a", f"{ms(cb['sum'])} ({cb['n']}; {ms(cb['max'])})" if cb else "—", "n/a"])
        row(f"8. SELECT count(*) of group {self.g10}'s members ({g10_rows:,} rows), p50 of 10 warm runs", "ms",
            [ms(get(l, "q8 warm")) for l in LAYOUTS])
        row("8. … first run (same session, before the 10)", "ms", [ms(get(l, "q8 first")) for l in LAYOUTS])

        checks = []

        def crow(label, key):
            vals = [get(l, key) for l in LAYOUTS]
            same = "yes" if len({v for v in vals if v is not None}) <= 1 else "**NO**"
            checks.append(f"| {label} | " + " | ".join("—" if v is None else f"{int(v):,}" for v in vals) + f" | {same} |")

        crow("memberships after build", "check memberships after build")
        crow("q2: groups returned over the 500 users", "check q2 groups returned")
        crow("q3: yes answers", "check q3 yes answers")
        crow(f"q8: members of group {self.g10}", "check q8 count")
        crow("q4: inserts among the toggles (rest are deletes)", "check q4 inserts")
        crow("memberships after q4 and q5", "check memberships after q4 q5")
        crow("q6: members of the new group", "check q6 rows")
        crow("q7: members of group 1 seen by readers after archive", "check q7 readers see")

        now = datetime.datetime.utcnow()
        out = []
        out.append(f"# Membership storage layouts — {now:%Y-%m-%d %H:%M} UTC\n")
        out.append("Produced by `bash bench/storage/run.sh"
                   + (f" --users {self.n}" if self.n != 200000 else "")
                   + (f" --groups {self.g}" if self.g != 1000 else "")
                   + (f" --samples {self.s}" if self.s != 500 else "") + "`.\n")
        out.append("- A: `a.members` PARTITION BY LIST (group_id), a partition per group, PK (user_key, group_id) "
                   "(current design; groups built as `_create_partition` does: CREATE TABLE AS, PK + bound CHECK, ATTACH).")
        out.append("- B: one table `b.members`, PK (group_id, user_key) + index (user_key, group_id); readers use "
                   "`b.active_members` = members JOIN groups ON status = 'active'.")
        out.append("- C: `c.user_groups(user_key PK, group_ids bigint[] sorted, since timestamptz[])`, GIN (group_ids) array_ops; "
                   f"every user has a row ({no_group:,} with empty arrays).\n")
        out.append(f"Users N = {self.n:,}; groups G = {self.g:,}; memberships = {members:,} "
                   f"({members / (self.n * self.g) * 100:.2f}% average density, {members / self.n:.1f} groups per user; group 1: 98%, groups 2–10: 50%, "
                   f"groups 11–{self.g}: {int(dens[0]) / 10.24:.1f}%–{int(dens[1]) / 10.24:.1f}%). "
                   f"Samples: {self.s} users / (U, G) pairs for 2–4, 100 users × 100 groups for 5.\n")
        out.append(f"PostgreSQL {version}; nproc = {os.cpu_count()}; load average at start {' '.join(self.loadavg_start)}, "
                   f"at end {' '.join(self.loadavg_end)} (machine shared with a Rust build). Run time {self.total_s / 60:.1f} min.\n")
        out.append("Settings: " + ", ".join(f"{n} = {v}" for n, v in settings) + ".\n")
        out.append("| measurement | unit | A: partition per group | B: one table + status | C: arrays per user |")
        out.append("|---|---|---|---|---|")
        out.extend(rows)
        out.append("")
        out.append("Consistency checks (the same answer from every layout):\n")
        out.append("| check | A | B | C | same |")
        out.append("|---|---|---|---|---|")
        out.extend(checks)
        out.append("")
        out.append(f"C at the end of the run: {c_bad} rows whose group_ids are unsorted or not aligned with since.\n")
        out.append("How it was measured:\n")
        out.append("- Memberships are generated once (not timed) into an unlogged staging table; each layout's build "
                   "reads it. A builds one group per transaction; B and C load in one transaction and index afterwards. "
                   "Sizes are taken after VACUUM ANALYZE; B's size excludes `b.groups` "
                   f"({b_groups / 1024:,.0f} kB).")
        out.append("- Times are taken inside the server with clock_timestamp() (plpgsql loops for samples, a tick/tock "
                   "pair around top-level statements for single operations); no client start-up is included. "
                   "Static SQL in plpgsql goes through the plan cache like PREPARE/EXECUTE (default plan_cache_mode); "
                   "the 'planned every call' rows use EXECUTE … USING.")
        out.append("- 2 first call: a new psql session per sample, one query in a DO block (includes planning and "
                   "loading the relation caches of the session).")
        out.append("- 4, 5: each sample is its own transaction (COMMIT inside the timed step; fsync = off, "
                   "synchronous_commit = off). 4 for C: read the array once for position, then UPDATE with a sorted "
                   "insert or array_remove on both arrays. 5 for A/B: DELETE … = ANY(groups) RETURNING + INSERT of "
                   "the absent ones in one statement; for C one UPDATE computing the symmetric difference.")
        out.append("- 6: A = CREATE TABLE AS + ADD PRIMARY KEY + ATTACH PARTITION (`a.add_partition`); B = INSERT into "
                   "b.groups + INSERT … SELECT in one transaction; C = UPDATE of every matching user row appending to "
                   "both arrays. Baseline `CREATE TABLE x AS SELECT id FROM users WHERE <same predicate>` run three "
                   "times, once before each layout. CREATE TABLE AS may use parallel workers; INSERT … SELECT and "
                   "UPDATE do not in PostgreSQL 15.")
        out.append("- 7: B's UPDATE is the reader-visible archive; its rows are then deleted in keyset batches of 10,000 "
                   "(one transaction each), reported separately. C has no logical archive: the time is the UPDATE "
                   "removing group 1 from every array.")
        out.append("- JIT (jit = on, default costs): EXPLAIN says the planner would use JIT for: "
                   + (", ".join(k for k, v in self.jit.items() if v) or "none of them")
                   + "; not for: " + (", ".join(k for k, v in self.jit.items() if not v) or "—") + ".")
        out.append("- 8: A counts one partition, B goes through the reader view, C uses the GIN index with `@>`.")
        out.append("- Order: all layouts are built, then each measurement runs A, B, C back to back "
                   "(2, 3, 8 read-only first; then 4, 5, 6, 7, which change the data).")
        return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", required=True)
    ap.add_argument("--db", required=True)
    ap.add_argument("--users", type=int, default=200000)
    ap.add_argument("--groups", type=int, default=1000)
    ap.add_argument("--samples", type=int, default=500)
    a = ap.parse_args()
    if a.groups < 11:
        sys.exit("--groups must be at least 11 (groups 1-10 are the large ones)")
    b = Bench(PG(a.host, a.port, a.db), a.users, a.groups, a.samples)
    b.run_all()
    print(b.report())


if __name__ == "__main__":
    main()
