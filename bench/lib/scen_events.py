"""What an app with an activity table pays most often, and what it reads most often:
S9 (single-row INSERT into the clicks relation, 1 and 8 clients, while 25 extra active groups
read clicks with `has … count … within last`), S10 (an upsert of one user's custom field),
S11 ("which groups is user U in"), and the bytes each membership takes. Baselines are the
same statements on unattached copies made here (clicks_base, user_field_values_base)."""

from common import fmt_ms, percentile, ratio

S9_GROUPS = 25


def _copy_table(ctx, table, base, fk_column):
    """An unattached copy of `table` with its rows, indexes and the foreign key to users_base."""
    if ctx.c.value(f"SELECT to_regclass('{base}') IS NOT NULL") == "t":
        return
    ctx.log(f"copying {table} to {base}")
    ctx.c.psql(f"SET maintenance_work_mem = '1GB';\n"
               f"CREATE TABLE {base} (LIKE {table} INCLUDING ALL);\n"
               f"INSERT INTO {base} SELECT * FROM {table};\n"
               # An identity column's copy starts its own sequence at 1: past the copied rows.
               f"DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = '{base}'::regclass "
               f"AND attname = 'id' AND attidentity <> '') THEN PERFORM setval(pg_get_serial_sequence('{base}', 'id'), "
               f"(SELECT max(id) FROM {base})); END IF; END $$;\n"
               f"ALTER TABLE {base} ADD FOREIGN KEY ({fk_column}) REFERENCES users_base (id) ON DELETE CASCADE;\n"
               f"VACUUM ANALYZE {base};\n")


def _latency(ctx, sc, variant, rep, script, clients):
    r = ctx.c.pgbench([(script, 1)], clients, ctx.duration, f"{ctx.workdir}/pgb_{sc}_{variant}_{clients}", ctx.scale,
                      extra=("--max-tries=10",) if clients > 1 else ())
    lat = r["latencies_ms"]
    suffix = "" if clients == 1 else f"_c{clients}"
    ctx.add(sc, variant, rep, "p50" + suffix, percentile(lat, 50), "ms")
    ctx.add(sc, variant, rep, "p95" + suffix, percentile(lat, 95), "ms")
    ctx.add(sc, variant, rep, "tps" + suffix, r["tps"], "tps")
    ctx.add(sc, variant, rep, "failed" + suffix, r["failed"], "count")


def _one_and_many(ctx, sc, scripts):
    """p50/p95 with 1 client and TPS with ctx.clients, target and baseline alternating."""
    def both(variant):
        def f(rep):
            _latency(ctx, sc, variant, rep, scripts[variant], 1)
            _latency(ctx, sc, variant, rep, scripts[variant], ctx.clients)
        return f
    return ctx.alternate(sc, both("target"), both("baseline"))


def _many_clients(ctx, sc):
    """The ctx.clients run of a scenario measured by `_one_and_many`, for its details."""
    tt, bt = ctx.med(sc, "target", f"tps_c{ctx.clients}"), ctx.med(sc, "baseline", f"tps_c{ctx.clients}")
    return (f"{ctx.clients} clients: {tt or 0:.1f} vs {bt or 0:.0f} TPS ({100 * (ratio(tt, bt) or 0):.1f}%), "
            f"failed transactions (after retries): {sum(ctx.values(sc, 'target', f'failed_c{ctx.clients}')):.0f}")


def s9(ctx, groups_active):
    _copy_table(ctx, "clicks", "clicks_base", "user_id")
    rules = [f"has at least {1 + i % 5} clicks where clicked_at within last {7 + 3 * i} days" for i in range(S9_GROUPS)]
    ctx.c.psql("".join(f"SELECT smart_groups.create_group('s9-{i}', '{r}');\n" for i, r in enumerate(rules)))
    readers = int(ctx.c.value("SELECT count(*) FROM smart_groups.groups WHERE status = 'active' "
                              "AND deps -> 'relations' ? 'clicks'"))
    sql = ("\\set id random(1, :scale)\n"
           "INSERT INTO {t} (user_id, campaign, device, clicked_at) VALUES (:id, 'bench', 'web', now());\n")
    scripts = {v: ctx.script(f"s9_{v}.sql", sql.format(t=t)) for v, t in (("target", "clicks"), ("baseline", "clicks_base"))}
    ctx.vacuum("clicks", "clicks_base")
    try:
        n = _one_and_many(ctx, "S9", scripts)
    finally:
        ctx.c.psql("".join(f"SELECT smart_groups.drop_group('s9-{i}');\n" for i in range(S9_GROUPS)))
    t50, b50 = ctx.med("S9", "target", "p50"), ctx.med("S9", "baseline", "p50")
    r1 = ratio(t50, b50)
    ctx.row("S9", f"single-row INSERT into clicks, {readers} of {groups_active + S9_GROUPS} active groups read clicks "
            f"({S9_GROUPS} of them with `has … within last`), 1 client", "same INSERT into an unattached copy", "",
            f"p50 {fmt_ms(b50)}", f"p50 {fmt_ms(t50)}", r1, "p50 ≤ 1.5×", r1 is not None and r1 <= 1.5,
            f"{n} reps × {ctx.duration} s; p95 {fmt_ms(ctx.med('S9', 'target', 'p95'))} vs "
            f"{fmt_ms(ctx.med('S9', 'baseline', 'p95'))}")
    tt, bt = ctx.med("S9", "target", f"tps_c{ctx.clients}"), ctx.med("S9", "baseline", f"tps_c{ctx.clients}")
    r8 = ratio(tt, bt)
    ctx.row("S9·8", f"the same INSERT, {ctx.clients} clients", "same, unattached", "",
            f"{bt:.0f} TPS" if bt else "–", f"{tt:.1f} TPS" if tt is not None else "–", r8, "TPS ≥ 60%",
            r8 is not None and r8 >= 0.6,
            f"failed transactions (after retries): {sum(ctx.values('S9', 'target', f'failed_c{ctx.clients}')):.0f}")


def s10(ctx, groups_active):
    _copy_table(ctx, "user_field_values", "user_field_values_base", "user_id")
    # The numeric custom field the most active groups read.
    key = ctx.c.value("SELECT c FROM smart_groups.groups g, jsonb_array_elements_text(g.deps -> 'custom') c "
                      "JOIN smart_groups.custom_fields f ON f.key = c "
                      "WHERE g.status = 'active' AND f.type = 'number' GROUP BY c ORDER BY count(*) DESC, c LIMIT 1")
    if not key:
        ctx.notes.append("S10 skipped: no active group reads a numeric custom field")
        return
    readers = int(ctx.c.value(f"SELECT count(*) FROM smart_groups.groups WHERE status = 'active' AND deps -> 'custom' ? '{key}'"))
    sql = ("\\set id random(1, :scale)\n\\set v random(0, 100)\n"
           "INSERT INTO {t} (user_id, field_key, value) VALUES (:id, '" + key + "', :v::text) "
           "ON CONFLICT (user_id, field_key) DO UPDATE SET value = excluded.value;\n")
    scripts = {v: ctx.script(f"s10_{v}.sql", sql.format(t=t))
               for v, t in (("target", "user_field_values"), ("baseline", "user_field_values_base"))}
    ctx.vacuum("user_field_values", "user_field_values_base")
    n = _one_and_many(ctx, "S10", scripts)
    t50, b50 = ctx.med("S10", "target", "p50"), ctx.med("S10", "baseline", "p50")
    r = ratio(t50, b50)
    ctx.row("S10", f"upsert of one user's custom field `{key}`, which {readers} of {groups_active} active groups read, 1 client",
            "same upsert into an unattached copy", "", f"p50 {fmt_ms(b50)}", f"p50 {fmt_ms(t50)}", r, "p50 ≤ 2×",
            r is not None and r <= 2, f"{n} reps × {ctx.duration} s; {_many_clients(ctx, 'S10')}")


def s11(ctx, groups_active, sc="S11"):
    """Which groups is U in: `members` (group ids), the scenario's target, and `memberships`
    (with the groups' names, which needs the groups table), reported beside it."""
    tag = sc.lower().replace("·", "_")
    scripts = {
        "target": ctx.script(f"{tag}_target.sql", "\\set id random(1, :scale)\n"
                             "SELECT group_id FROM smart_groups.members WHERE user_key = :id;\n"),
        "names": ctx.script(f"{tag}_names.sql", "\\set id random(1, :scale)\n"
                            "SELECT group_id, group_name FROM smart_groups.memberships WHERE user_key = :id;\n"),
        "baseline": ctx.script(f"{tag}_baseline.sql", "\\set id random(1, :scale)\nSELECT id FROM users_base WHERE id = :id;\n"),
    }
    # Index-only scans need the visibility map, which autovacuum keeps up in steady state: the
    # rows of the groups just created are not all-visible yet (at 10,000 groups a user's 1,956
    # rows then took 345 heap fetches and 1.7 ms instead of 0.45 ms).
    ctx.vacuum("smart_groups.member_rows")
    per_user = float(ctx.c.value("SELECT count(*)::float8 / greatest((SELECT count(*) FROM users), 1) FROM smart_groups.members"))
    n = ctx.alternate(sc, lambda rep: (_latency(ctx, sc, "target", rep, scripts["target"], 1),
                                       _latency(ctx, sc, "names", rep, scripts["names"], 1)),
                      lambda rep: _latency(ctx, sc, "baseline", rep, scripts["baseline"], 1))
    t50, b50, n50 = ctx.med(sc, "target", "p50"), ctx.med(sc, "baseline", "p50"), ctx.med(sc, "names", "p50")
    ctx.row(sc, f"which groups is user U in, {groups_active} active groups ({per_user:.0f} groups per user on average), "
            "prepared, 1 client", "a primary-key lookup of the user", "", f"p50 {fmt_ms(b50)}", f"p50 {fmt_ms(t50)}",
            ratio(t50, b50), "p50 ≤ 1 ms", t50 is not None and t50 <= 1,
            f"{n} reps × {ctx.duration} s; p95 {fmt_ms(ctx.med(sc, 'target', 'p95'))}; with the groups' names "
            f"(memberships) p50 {fmt_ms(n50)}, p95 {fmt_ms(ctx.med(sc, 'names', 'p95'))}")


def storage(ctx):
    """Bytes of storage per membership: the membership table with its indexes."""
    total = int(ctx.c.value("SELECT pg_total_relation_size('smart_groups.member_rows')"))
    rows = int(ctx.c.value("SELECT count(*) FROM smart_groups.member_rows"))
    per = total / rows if rows else None
    ctx.add("storage", "target", 0, "bytes_per_membership", per, "B")
    ctx.row("storage", f"bytes per membership ({rows:,} memberships, {total / 2**20:,.0f} MB with indexes)", "", "",
            "", f"{per:.0f} B" if per else "–", None, "report; aim < 40 B", per is not None and per < 40)


def s12(ctx, groups_active):
    """A new user signs up: a single-row INSERT into the users table (a copy of a random user's
    row under a new key), 1 client p50 and ctx.clients TPS, against the same INSERT into
    users_base. Every active group decides the new user."""
    cols = ctx.c.value("SELECT string_agg(quote_ident(attname), ',' ORDER BY attnum) FROM pg_attribute "
                       "WHERE attrelid = 'users'::regclass AND attnum > 0 AND NOT attisdropped").split(",")
    # New keys far above the data set's, random: pgbench has no counter, and a collision (one
    # in millions) only turns that INSERT into a no-op.
    exprs = {"id": ":nid", "email": "'s12-' || :nid || '@example.com'", "username": "'s12-' || :nid"}
    sel = ", ".join(exprs.get(c, c) for c in cols)
    sql = ("\\set nid random(1000000000, 2000000000)\n\\set id random(1, :scale)\n"
           "INSERT INTO {t} SELECT " + sel + " FROM {t} WHERE id = :id ON CONFLICT DO NOTHING;\n")
    scripts = {v: ctx.script(f"s12_{v}.sql", sql.format(t=t)) for v, t in (("target", "users"), ("baseline", "users_base"))}
    ctx.vacuum("users", "users_base")
    n = _one_and_many(ctx, "S12", scripts)
    t50, b50 = ctx.med("S12", "target", "p50"), ctx.med("S12", "baseline", "p50")
    ctx.row("S12", f"single-row INSERT of a new user (a signup), {groups_active} active groups decide them, 1 client",
            "same INSERT into users_base", "", f"p50 {fmt_ms(b50)}", f"p50 {fmt_ms(t50)}", ratio(t50, b50), "report",
            None,
            f"{n} reps × {ctx.duration} s; p95 {fmt_ms(ctx.med('S12', 'target', 'p95'))} vs "
            f"{fmt_ms(ctx.med('S12', 'baseline', 'p95'))}; {_many_clients(ctx, 'S12')}")
