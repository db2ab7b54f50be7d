"""Scenarios about groups themselves: S3 (create a group over all users), S6 (archive and
restore a group of everyone), S7 (time refresh), S8 (plain view / materialized view)."""

from common import fmt_kb, fmt_ms, median, percentile, ratio
from explain_profile import run_profile
from scen_update import memory_note, timed_pair

S3_RULES = {
    "S3": 'department in ("Sales", "Engineering", "Support") and hire_date within last 5 years '
          'and (has enrollments where status = "completed") and shirt_size in ("M", "L")',
    "S3b": "is_active = true",
}


def lit(s):
    return "'" + s.replace("'", "''") + "'"


def s3(ctx):
    for sc, rules in S3_RULES.items():
        pred = ctx.c.value(f"SELECT smart_groups.compile({lit(rules)})")

        def target(rep, sc=sc, rules=rules):
            timed_pair(ctx, sc, rep, "target", f"SELECT smart_groups.create_group('{sc.lower()}-{rep}', {lit(rules)})")
            ctx.add(sc, "target", rep, "members",
                    int(ctx.c.value(f"SELECT count(*) FROM smart_groups.memberships WHERE group_name = '{sc.lower()}-{rep}'")), "count")
            ctx.c.psql(f"SELECT smart_groups.drop_group('{sc.lower()}-{rep}');")

        def base(rep, sc=sc, pred=pred):
            timed_pair(ctx, sc, rep, "baseline", f"CREATE TABLE {sc.lower()}_base_{rep} AS SELECT u.id FROM users u WHERE {pred}")
            ctx.c.psql(f"DROP TABLE {sc.lower()}_base_{rep};")

        n = ctx.alternate(sc, target, base)
        t, b = ctx.med(sc, "target", "ms"), ctx.med(sc, "baseline", "ms")
        r = ratio(t, b)
        members = ctx.med(sc, "target", "members")
        ctx.row(sc, f"create_group of one group over all users: `{rules}` ({members:,.0f} members)",
                "CREATE TABLE AS SELECT id FROM users WHERE <compiled predicate>", "", fmt_ms(b), fmt_ms(t), r,
                "≤ 1.5×", r is not None and r <= 1.5, f"{n} reps; {memory_note(ctx, sc)}")
        if ctx.do_profile and not (r is not None and r <= 1.5):
            ctx.profiles.append(dict(scenario=sc, note="one create_group",
                                     **run_profile(ctx.c, sc, lambda k: f"SELECT smart_groups.create_group('{sc.lower()}-profile{k}', {lit(rules)});\n", 1,
                                                   workdir=ctx.workdir)))
            ctx.c.psql(f"SELECT smart_groups.drop_group('{sc.lower()}-profile0'); SELECT smart_groups.drop_group('{sc.lower()}-profile1');")


def s6(ctx):
    r = ctx.c.timed("SELECT smart_groups.create_group('everyone', 'id > 0')")
    ctx.add("S6", "setup", 0, "create_group_everyone", r["ms"], "ms")
    members = int(ctx.c.value("SELECT count(*) FROM smart_groups.memberships WHERE group_name = 'everyone'"))

    def run(rep):
        for op in ("archive", "restore"):
            ctx.add("S6", "target", rep, op, ctx.c.timed(f"SELECT smart_groups.{op}_group('everyone')")["ms"], "ms")
        if rep + 1 < ctx.reps:
            ctx.add("S6", "target", rep, "activate",
                    ctx.c.timed("SELECT smart_groups.activate_group('everyone')")["ms"], "ms")
    n = ctx.alternate("S6", run, None)
    a, s = ctx.med("S6", "target", "archive"), ctx.med("S6", "target", "restore")
    act = ctx.med("S6", "target", "activate")
    met = a is not None and s is not None and a < 100 and s < 100
    ctx.row("S6", f"archive and restore of a group with all {members:,} users as members", "—", "",
            "—", f"archive {fmt_ms(a)}, restore {fmt_ms(s)}", None, "< 100 ms each", met,
            f"{n} reps; a restored group comes back inactive: activate_group (members back) took {fmt_ms(act)}; "
            f"creating the group took {fmt_ms(r['ms'])}")
    if ctx.do_profile and not met:
        # The group is inactive after the last rep; filling it again is set-up, not profiled
        # (and no perf run: it would mostly record that fill).
        ctx.profiles.append(dict(scenario="S6", note="one archive_group and one restore_group",
                                 **run_profile(ctx.c, "S6",
                                               "SELECT smart_groups.archive_group('everyone');\n"
                                               "SELECT smart_groups.restore_group('everyone');\n", 1,
                                               setup="SELECT smart_groups.activate_group('everyone');\n",
                                               workdir=ctx.workdir, perf_run=False)))
    ctx.c.psql("SELECT smart_groups.drop_group('everyone');")


def s7(ctx):
    rel = ("status = 'active' AND kind = 'smart' AND (deps ->> 'relative_time')::boolean")
    ngroups = int(ctx.c.value(f"SELECT count(*) FROM smart_groups.groups WHERE {rel}"))
    # How much time must pass for 1% of users to be due: users with a value (any relative-time
    # rule's: last login, hire date, clicks, enrollments, custom dates) that crossed one of the
    # groups' boundaries in that time. Found by bisection on a log scale, between a second and
    # the span that holds 1% of last logins alone (they are spread evenly over the past year).
    ctx.c.psql(f"""
CREATE OR REPLACE FUNCTION public.bench_due_after(span_s float8) RETURNS bigint LANGUAGE plpgsql AS $f$
DECLARE q text; parts text[] := '{{}}'; g record; n bigint;
BEGIN
  FOR g IN SELECT id FROM smart_groups.groups WHERE {rel} LOOP
    q := smart_groups_internal._time_keys_sql(g.id);
    IF q IS NOT NULL THEN parts := parts || q; END IF;
  END LOOP;
  IF cardinality(parts) = 0 THEN RETURN 0; END IF;
  EXECUTE format('SELECT count(DISTINCT k::text) FROM (%s) s(k)', array_to_string(parts, ' UNION '))
     INTO n USING now() - span_s * interval '1 second', now();
  RETURN n;
END $f$;
""")
    want = 0.01 * ctx.scale
    hi = float(ctx.c.value(
        "SELECT 0.01 * count(*) / greatest(1, count(*) FILTER (WHERE last_login_at > now() - interval '365 days'))"
        " * 365 * 86400 FROM users"))
    lo, span_s, crossing = 1.0, hi, None
    for _ in range(12):
        span_s = (lo * hi) ** 0.5
        crossing = int(ctx.c.value(f"SELECT public.bench_due_after({span_s})"))
        if abs(crossing - want) <= 0.1 * want:
            break
        if crossing > want:
            hi = span_s
        else:
            lo = span_s

    def shift():
        # Time passing, without waiting: every last login moves back by the span (triggers off,
        # as if the clock had moved), and every relative-time group is told its previous refresh
        # was that long ago. Users whose logins crossed a `within last` boundary are then due.
        # One transaction for the triggers' pause: a failed UPDATE (a full disk, say) must not
        # leave them off for the scenarios that follow (a 10M run once measured S1 and S4 on
        # a table whose triggers were off).
        ctx.c.psql(f"SELECT smart_groups.refresh_time_rules();\n"
                   "BEGIN;\n"
                   "ALTER TABLE users DISABLE TRIGGER USER;\n"
                   f"UPDATE users SET last_login_at = last_login_at - {span_s} * interval '1 second';\n"
                   "ALTER TABLE users ENABLE TRIGGER USER;\n"
                   "COMMIT;\n"
                   f"UPDATE users_base SET last_login_at = last_login_at - {span_s} * interval '1 second';\n"
                   f"UPDATE smart_groups.groups SET time_refreshed_at = now() - {span_s} * interval '1 second' WHERE {rel};\n"
                   "VACUUM ANALYZE users; VACUUM ANALYZE users_base;\n")

    def target(rep):
        shift()
        out = ctx.c.timed("SELECT smart_groups.refresh_time_rules()")
        ctx.add("S7", "target", rep, "ms", out["ms"], "ms")
        ctx.add("S7", "target", rep, "memberships_changed", int(out["output"].split()[0]), "count")

    def base(rep):
        ctx.add("S7", "baseline", rep, "ms", ctx.c.timed(
            f"SELECT count(*) FROM (SELECT smart_groups.recalculate(name) FROM smart_groups.groups WHERE {rel} ORDER BY depth, id) s")["ms"], "ms")

    # Baseline after target within a repetition: both then see the same data.
    n = ctx.alternate("S7", lambda rep: (target(rep), base(rep)), None)
    t, b = ctx.med("S7", "target", "ms"), ctx.med("S7", "baseline", "ms")
    r = ratio(t, b)
    ctx.row("S7", f"refresh_time_rules() when 1% of users ({crossing:,}) cross a within_last boundary "
            f"({ngroups} relative-time groups; {span_s / 60:,.0f} minutes pass)", "full recalculate of those groups", "", fmt_ms(b), fmt_ms(t), r,
            "≤ 0.1×", r is not None and r <= 0.1, f"{n} reps; memberships changed per refresh: {median(ctx.values('S7', 'target', 'memberships_changed')):,.0f}")
    if ctx.do_profile and not (r is not None and r <= 0.1):
        shift()
        ctx.profiles.append(dict(scenario="S7", note="one refresh_time_rules() after the same 1% shift",
                                 **run_profile(ctx.c, "S7", "SELECT smart_groups.refresh_time_rules();\n", 1, workdir=ctx.workdir,
                                               perf_run=False)))


def s8(ctx):
    rules = S3_RULES["S3"]
    pred = ctx.c.value(f"SELECT smart_groups.compile({lit(rules)})")
    gid = ctx.c.value(f"SELECT smart_groups.create_group('s8', {lit(rules)})")
    ctx.c.psql(f"CREATE VIEW s8_view AS SELECT u.id FROM users u WHERE {pred};\n"
               f"CREATE MATERIALIZED VIEW s8_mv AS SELECT u.id FROM users u WHERE {pred};\n")
    members = int(ctx.c.value(f"SELECT count(*) FROM smart_groups.members WHERE group_id = {gid}"))
    dur = max(3, min(ctx.duration, 10))
    reads = {
        "list_members": (f"SELECT user_key FROM smart_groups.members WHERE group_id = {gid};", "SELECT id FROM s8_view;"),
        "is_member": (f"\\set id random(1, :scale)\nSELECT 1 FROM smart_groups.members WHERE group_id = {gid} AND user_key = :id;",
                      "\\set id random(1, :scale)\nSELECT 1 FROM s8_view WHERE id = :id;"),
    }
    out = {}
    for name, (ours, view) in reads.items():
        for variant, sql in (("target", ours), ("baseline", view)):
            p = ctx.script(f"s8_{name}_{variant}.sql", sql + "\n")
            saved, ctx.duration = ctx.duration, dur
            r = ctx.c.pgbench([(p, 1)], 1, dur, f"{ctx.workdir}/pgb_s8", ctx.scale)
            ctx.duration = saved
            out[(name, variant)] = median(r["latencies_ms"])
            ctx.add("S8", variant, 0, name + "_p50", out[(name, variant)], "ms")
    for rep in range(ctx.reps):
        ctx.add("S8", "baseline", rep, "refresh_mv", ctx.c.timed("REFRESH MATERIALIZED VIEW s8_mv")["ms"], "ms")
    readers = int(ctx.c.value("SELECT count(*) FROM smart_groups.groups WHERE status = 'active' AND deps -> 'columns' ? 'department'"))
    upd = {}
    for variant, table in (("target", "users"), ("baseline", "users_base")):
        p = ctx.script(f"s8_upd_{variant}.sql", "\\set id random(1, :scale)\n"
                       f"UPDATE {table} SET department = CASE WHEN department = 'Sales' THEN 'Engineering' ELSE 'Sales' END WHERE id = :id;\n")
        r = ctx.c.pgbench([(p, 1)], 1, dur, f"{ctx.workdir}/pgb_s8u", ctx.scale)
        upd[variant] = median(r["latencies_ms"])
        ctx.add("S8", variant, 0, "update_department_p50", upd[variant], "ms")
    mv = ctx.med("S8", "baseline", "refresh_mv")
    ours = None if upd["target"] is None or upd["baseline"] is None else upd["target"] - upd["baseline"]
    ctx.row("S8", f"reading a group of {members:,} (`{rules}`) and keeping it current",
            "plain view of the predicate read per request; REFRESH MATERIALIZED VIEW after each change", "",
            f"list {fmt_ms(out[('list_members', 'baseline')])}, is-member {fmt_ms(out[('is_member', 'baseline')])}, "
            f"refresh {fmt_ms(mv)} per change per group",
            f"list {fmt_ms(out[('list_members', 'target')])}, is-member {fmt_ms(out[('is_member', 'target')])}, "
            f"maintenance {fmt_ms(ours)} per change",
            ratio(out[("list_members", "target")], out[("list_members", "baseline")]), "report", None,
            f"ratio is for listing members; our maintenance = p50 of a one-user UPDATE of department minus the same "
            f"UPDATE unattached, covering all {readers} active groups that read department "
            f"(a materialized view per group would need {readers} refreshes ≈ {fmt_ms(mv * readers if mv else None)})")
    ctx.c.psql("DROP MATERIALIZED VIEW s8_mv; DROP VIEW s8_view; SELECT smart_groups.drop_group('s8');")
