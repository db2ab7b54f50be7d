"""Scenarios that change users: S1 (one-user UPDATE, 1 client), S2 (UPDATE of every user),
S4 (8 clients of random one-user updates), S5 (COPY of new users). Each runs the same
statement against `users` (attached) and `users_base` (the identical, unattached copy)."""

from common import fmt_kb, fmt_ms, percentile, ratio
from explain_profile import run_profile

HOT_UPDATE = "UPDATE {t} SET level = level % 12 + 1 WHERE id = :id;"


def pg_latency(ctx, sc, variant, rep, scripts, clients, waits=None):
    r = ctx.c.pgbench(scripts, clients, ctx.duration, f"{ctx.workdir}/pgb_{variant}", ctx.scale,
                      extra=("--max-tries=10",) if clients > 1 else (), waits=waits)
    lat = r["latencies_ms"]
    ctx.add(sc, variant, rep, "p50", percentile(lat, 50), "ms")
    ctx.add(sc, variant, rep, "p95", percentile(lat, 95), "ms")
    ctx.add(sc, variant, rep, "tps", r["tps"], "tps")
    ctx.add(sc, variant, rep, "transactions", len(lat), "count")
    ctx.add(sc, variant, rep, "failed", r["failed"], "count")


def s1(ctx, groups_reading, sc):
    scripts = {}
    for variant, table in (("target", "users"), ("baseline", "users_base")):
        scripts[variant] = ctx.script(f"s1_{variant}.sql", "\\set id random(1, :scale)\n" + HOT_UPDATE.format(t=table) + "\n")
    ctx.vacuum("users", "users_base")
    # The first statement of a new session also pays for loading catalogs and compiling rules.
    cold = ctx.c.timed(f"UPDATE users SET level = level % 12 + 1 WHERE id = {ctx.scale // 3}")
    ctx.add(sc, "target", 0, "first_update_new_session", cold["ms"], "ms")
    n = ctx.alternate(sc, lambda rep: pg_latency(ctx, sc, "target", rep, [(scripts["target"], 1)], 1),
                      lambda rep: pg_latency(ctx, sc, "baseline", rep, [(scripts["baseline"], 1)], 1))
    t50, b50 = ctx.med(sc, "target", "p50"), ctx.med(sc, "baseline", "p50")
    t95, b95 = ctx.med(sc, "target", "p95"), ctx.med(sc, "baseline", "p95")
    r = ratio(t50, b50)
    ctx.row(sc, f"one-user UPDATE by key of level, which {groups_reading} active groups read (pgbench, 1 client)",
            "same UPDATE, not attached", "",
            f"p50 {fmt_ms(b50)}, p95 {fmt_ms(b95)}", f"p50 {fmt_ms(t50)}, p95 {fmt_ms(t95)}",
            r, "p50 ≤ 2×", r is not None and r <= 2,
            f"{n} reps × {ctx.duration} s, {sum(ctx.values(sc, 'target', 'transactions')):,} target transactions; "
            f"p95 ratio {ratio(t95, b95) or 0:.3g}×; first UPDATE in a new session {fmt_ms(cold['ms'])} "
            "(left out of the percentiles: one per pgbench client)")
    if ctx.do_profile and not (r is not None and r <= 2):
        ids = [ctx.scale // 7 * k + 11 for k in range(1, 6)]
        stmts = "".join(f"UPDATE users SET level = level % 12 + 1 WHERE id = {i};\n" for i in ids)
        warm = f"UPDATE users SET level = level % 12 + 1 WHERE id = {ctx.scale // 2};\n"
        ctx.profiles.append(dict(scenario=sc, note="5 one-user UPDATEs of level, after one warm-up UPDATE in the same session",
                                 **run_profile(ctx.c, sc, stmts, len(ids), setup=warm, workdir=ctx.workdir)))
        ctx.profiles.append(dict(scenario=sc + " (new session)", note="the first one-user UPDATE of a new session",
                                 **run_profile(ctx.c, sc + "_cold", f"UPDATE users SET level = level % 12 + 1 WHERE id = {ctx.scale // 4};\n",
                                               1, workdir=ctx.workdir)))


S4_MIX = [
    ("level", "UPDATE {t} SET level = level % 12 + 1 WHERE id = :id;", 1),
    ("department", "UPDATE {t} SET department = CASE WHEN department = 'Sales' THEN 'Support' ELSE 'Sales' END WHERE id = :id;", 1),
    ("login", "UPDATE {t} SET last_login_at = now(), login_count = login_count + 1 WHERE id = :id;", 2),
    ("score", "UPDATE {t} SET score = random() * 100 WHERE id = :id;", 1),
]


def s4(ctx, groups_active, sc):
    scripts = {}
    for variant, table in (("target", "users"), ("baseline", "users_base")):
        scripts[variant] = [(ctx.script(f"s4_{variant}_{name}.sql", "\\set id random(1, :scale)\n" + sql.format(t=table) + "\n"), w)
                            for name, sql, w in S4_MIX]
    ctx.vacuum("users", "users_base")
    waits = {}
    n = ctx.alternate(sc, lambda rep: pg_latency(ctx, sc, "target", rep, scripts["target"], ctx.clients, waits),
                      lambda rep: pg_latency(ctx, sc, "baseline", rep, scripts["baseline"], ctx.clients))
    t, b = ctx.med(sc, "target", "tps"), ctx.med(sc, "baseline", "tps")
    r = ratio(t, b)
    failed = sum(ctx.values(sc, "target", "failed"))
    total = sum(waits.values()) or 1
    top = ", ".join(f"{k} {100 * v / total:.0f}%" for k, v in sorted(waits.items(), key=lambda kv: -kv[1])[:5])
    for k, v in waits.items():
        ctx.add(sc, "target", 0, "wait_samples:" + k, v, "count")
    ctx.row(sc, f"{ctx.clients} clients of random one-user updates (level, department, last login ×2, score), "
            f"{groups_active} active groups", "same, not attached", "",
            f"{b:.0f} TPS" if b else "–", f"{t:.1f} TPS" if t is not None else "–", r, "TPS ≥ 50%",
            r is not None and r >= 0.5,
            f"{n} reps × {ctx.duration} s; target p50 {fmt_ms(ctx.med(sc, 'target', 'p50'))} vs "
            f"{fmt_ms(ctx.med(sc, 'baseline', 'p50'))}; failed transactions (after retries): {failed}; "
            f"what the target's active backends were doing (sampled every 0.5 s): {top}")
    if ctx.do_profile and not (r is not None and r >= 0.5):
        stmts = "".join(sql.replace(":id", str(ctx.scale // 5 * (k + 1) - 3)).format(t="users") + "\n"
                        for k, (_, sql, _) in enumerate(S4_MIX))
        warm = S4_MIX[0][1].replace(":id", str(ctx.scale // 2)).format(t="users") + "\n"
        ctx.profiles.append(dict(scenario=sc, note="one UPDATE of each kind in the S4 mix, one session after a warm-up "
                                 "UPDATE (1 client: the profile shows the work per update, the wait samples above show the lock waits)",
                                 **run_profile(ctx.c, sc, stmts, len(S4_MIX), setup=warm, workdir=ctx.workdir)))


def timed_pair(ctx, sc, rep, variant, sql, memory=True):
    r = ctx.c.timed(sql, memory=memory)
    ctx.add(sc, variant, rep, "ms", r["ms"], "ms")
    if memory:
        ctx.add(sc, variant, rep, "rss_anon_peak", r["rss_anon_peak_kb"], "kB")
        ctx.add(sc, variant, rep, "vm_hwm", r["vm_hwm_kb"], "kB")
    return r


def memory_note(ctx, sc):
    return (f"peak backend memory: private {fmt_kb(ctx.med(sc, 'target', 'rss_anon_peak'))} vs "
            f"{fmt_kb(ctx.med(sc, 'baseline', 'rss_anon_peak'))}, VmHWM {fmt_kb(ctx.med(sc, 'target', 'vm_hwm'))} vs "
            f"{fmt_kb(ctx.med(sc, 'baseline', 'vm_hwm'))}")


def s2(ctx, groups_reading):
    def run(table, variant):
        def f(rep):
            ctx.vacuum(table)
            timed_pair(ctx, "S2", rep, variant, f"UPDATE {table} SET level = level % 12 + 1")
        return f
    n = ctx.alternate("S2", run("users", "target"), run("users_base", "baseline"))
    t, b = ctx.med("S2", "target", "ms"), ctx.med("S2", "baseline", "ms")
    r = ratio(t, b)
    ctx.row("S2", f"one UPDATE changing level on all {ctx.scale:,} users, {groups_reading} active groups read it",
            "same UPDATE, not attached", "", fmt_ms(b), fmt_ms(t), r, "≤ 3×", r is not None and r <= 3,
            f"{n} reps; {memory_note(ctx, 'S2')}; for comparison, creating these {groups_reading} groups from "
            f"scratch (a full evaluation of each) took {getattr(ctx, 'hot_create_s', 0):.0f} s in all")
    if ctx.do_profile and not (r is not None and r <= 3):
        ctx.vacuum("users")
        # The whole S2 UPDATE again. Per-node timing is left out above 200k users: on millions
        # of rows it would slow the run down by a large factor; statement times stay exact.
        timing = ctx.scale <= 200000
        ctx.profiles.append(dict(scenario="S2", note="the same UPDATE of every user" + ("" if timing else ", plans without per-node timing"),
                                 **run_profile(ctx.c, "S2", "UPDATE users SET level = level % 12 + 1;\n",
                                               1, workdir=ctx.workdir, node_timing=timing, perf_run=timing)))


def s5(ctx, groups_active):
    n_new = max(1000, ctx.scale // 100)
    cols = ctx.c.value("SELECT string_agg(quote_ident(attname), ',' ORDER BY attnum) FROM pg_attribute "
                       "WHERE attrelid = 'users'::regclass AND attnum > 0 AND NOT attisdropped").split(",")
    files = []

    def make_file(k, count):
        off = 10 * ctx.scale + k * n_new
        exprs = {"id": f"id + {off}", "email": f"'new' || (id + {off}) || '@example.com'",
                 "username": f"'new' || (id + {off})"}
        sel = ", ".join(exprs.get(c, c) for c in cols)
        path = f"{ctx.c.sockdir}/s5_copy_{k}.csv"
        ctx.c.psql(f"COPY (SELECT {sel} FROM users WHERE id BETWEEN 2 AND {count + 1} ORDER BY id) TO '{path}' (FORMAT csv);")
        return path

    for rep in range(ctx.reps):
        files.append(make_file(rep, n_new))

    def run(table, variant):
        return lambda rep: timed_pair(ctx, "S5", rep, variant, f"COPY {table} FROM '{files[rep]}' (FORMAT csv)")
    ctx.vacuum("users", "users_base")
    n = ctx.alternate("S5", run("users", "target"), run("users_base", "baseline"))
    t, b = ctx.med("S5", "target", "ms"), ctx.med("S5", "baseline", "ms")
    r = ratio(t, b)
    ctx.row("S5", f"COPY of {n_new:,} new users into the attached table, {groups_active} active groups",
            "same COPY, not attached", "", fmt_ms(b), fmt_ms(t), r, "≤ 3×", r is not None and r <= 3,
            f"{n} reps; {memory_note(ctx, 'S5')}")
    if ctx.do_profile and not (r is not None and r <= 3):
        paths = [make_file(ctx.reps + 1 + k, max(100, n_new // 10)) for k in (0, 1)]
        ctx.profiles.append(dict(scenario="S5", note=f"COPY of {max(100, n_new // 10):,} new users (a tenth of S5)",
                                 **run_profile(ctx.c, "S5", lambda k: f"COPY users FROM '{paths[k]}' (FORMAT csv);\n", 1,
                                               workdir=ctx.workdir)))


S13_REPORTS = 150


def s13(ctx, groups_active):
    """A manager's column that rules read as `manager.department`, changed while the manager
    has 150 reports: every report is evaluated again, within the UPDATE's transaction. The
    manager's department alternates between the two values the most rules compare
    `manager.department` with, so memberships move on every UPDATE."""
    values = [l.split("|")[0] for l in ctx.c.psql(
        "SELECT m[1], count(*) FROM smart_groups.groups g, "
        "regexp_matches(g.rules_text, 'manager\\.department = \"([^\"]+)\"', 'g') m "
        "WHERE g.status = 'active' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 2;").splitlines() if l]
    readers = int(ctx.c.value("SELECT count(*) FROM smart_groups.groups WHERE status = 'active' "
                              "AND rules_text LIKE '%manager.department%'"))
    if len(values) < 2:
        ctx.notes.append("S13 skipped: fewer than two values compared with manager.department")
        return
    # The lowest-numbered manager, given reports taken from users who manage nobody (the
    # same users in both tables, so both sides do the same work).
    manager = int(ctx.c.value("SELECT min(manager_id) FROM users"))
    ctx.c.psql("".join(
        f"UPDATE {t} SET manager_id = {manager} WHERE id IN (SELECT u.id FROM {t} u "
        f"WHERE u.id <> {manager} AND u.manager_id IS DISTINCT FROM {manager} "
        f"AND NOT EXISTS (SELECT FROM {t} r WHERE r.manager_id = u.id) ORDER BY u.id DESC "
        f"LIMIT greatest(0, {S13_REPORTS} - (SELECT count(*) FROM {t} WHERE manager_id = {manager})));\n"
        for t in ("users", "users_base")))
    reports = int(ctx.c.value(f"SELECT count(*) FROM users WHERE manager_id = {manager}"))
    a, b = (v.replace("'", "''") for v in values)
    sql = ("UPDATE {t} SET department = CASE WHEN department = '" + a + "' THEN '" + b + "' ELSE '" + a +
           f"' END WHERE id = {manager};\n")
    scripts = {v: ctx.script(f"s13_{v}.sql", sql.format(t=t)) for v, t in (("target", "users"), ("baseline", "users_base"))}
    ctx.vacuum("users", "users_base")
    n = ctx.alternate("S13", lambda rep: pg_latency(ctx, "S13", "target", rep, [(scripts["target"], 1)], 1),
                      lambda rep: pg_latency(ctx, "S13", "baseline", rep, [(scripts["baseline"], 1)], 1))
    t50, b50 = ctx.med("S13", "target", "p50"), ctx.med("S13", "baseline", "p50")
    t95 = ctx.med("S13", "target", "p95")
    ctx.row("S13", f"UPDATE of a manager's department, which {readers} of {groups_active} active groups read as "
            f"manager.department, with {reports} reports (pgbench, 1 client)", "same UPDATE, not attached", "",
            f"p50 {fmt_ms(b50)}", f"p50 {fmt_ms(t50)}, p95 {fmt_ms(t95)}", ratio(t50, b50), "p50 ≤ 10 ms",
            t50 is not None and t50 <= 10,
            f"{n} reps × {ctx.duration} s, {sum(ctx.values('S13', 'target', 'transactions')):,} target transactions; "
            f"the department alternates between {values[0]!r} and {values[1]!r}")
