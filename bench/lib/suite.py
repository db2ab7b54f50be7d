"""The benchmark suite, after run.sh has made the cluster and loaded the data:

  phase 1 — 100 active groups that all read users.level: S2, S5, S3, S6, S7, S8, then S1 and
            S4 with these 100 groups (rows S1·100, S4·100)
  phase 2 — 900 more groups (1,000 active, 100 of them read level): S1, S4, S9 (event INSERT),
            S10 (custom-field upsert), S11 (which groups is U in), S13 (a manager's column
            read as manager.department, 150 reports), storage per membership, S12 (INSERT of
            a new user) (in phase 1 when --cold-groups 0)

Usage: suite.py --dir D --port P --scale N --reps R --duration S --out RESULTS_BASE --work W
"""

import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import report  # noqa: E402
import scen_events  # noqa: E402
import scen_groups  # noqa: E402
import scen_update  # noqa: E402
from common import Context, median, percentile  # noqa: E402
from pg import TIME_RE, Cluster  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
def _system_ext():
    """The installed library and the install script of the control file's default version."""
    share = "/usr/share/postgresql/15/extension"
    version = "0"
    try:
        with open(os.path.join(share, "smart_groups.control")) as f:
            for line in f:
                if line.startswith("default_version"):
                    version = line.split("'")[1]
    except OSError:
        pass
    return ("/usr/lib/postgresql/15/lib/smart_groups.so", os.path.join(share, f"smart_groups--{version}.sql"))


SYSTEM_EXT = _system_ext()


def extension_identity(files):
    """Which build of the extension: run.sh pins a copy of the installed one at the start."""
    import hashlib
    parts = []
    for path in files:
        try:
            with open(path, "rb") as f:
                digest = hashlib.sha256(f.read()).hexdigest()[:12]
            parts.append(f"{os.path.basename(path)} {digest} ({time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(os.path.getmtime(path)))} UTC)")
        except OSError:
            parts.append(f"{os.path.basename(path)} missing")
    return ", ".join(parts)


def create_groups(ctx, kind, count, budget_s=0, skip=0):
    """Creates a generated set of groups, one create_group per statement, timing each, in
    batches of 20 so that a time budget (0: none) can stop it between batches. `skip`: how many
    of the set exist already (the set is the same for the same kind, whatever its count)."""
    domains = ctx.c.value("SELECT json_object_agg(name, vals) FROM bench_domains")
    dpath = os.path.join(ctx.workdir, "domains.json")
    with open(dpath, "w") as f:
        f.write(domains)
    sql = subprocess.run([sys.executable, os.path.join(HERE, "gen_groups.py"), dpath, kind, str(count)],
                         check=True, text=True, capture_output=True).stdout
    with open(os.path.join(ctx.workdir, f"groups_{kind}.sql"), "w") as f:
        f.write(sql)
    stmts = [line for line in sql.splitlines() if line.startswith("SELECT smart_groups.create_group(")][skip:]
    ctx.log(f"creating {len(stmts)} {kind} groups")
    t0 = time.monotonic()
    times = []
    for i in range(0, len(stmts), 20):
        out = ctx.c.psql("\\timing on\n" + "\n".join(stmts[i:i + 20]) + "\n")
        times += [float(t) for t in TIME_RE.findall(out)]
        if budget_s and time.monotonic() - t0 > budget_s and i + 20 < len(stmts):
            rate = (time.monotonic() - t0) / len(times)
            ctx.notes.append(f"Creating the {kind} groups stopped after {len(times)} of {len(stmts)} (set-up budget "
                             f"{budget_s:.0f} s, --setup-budget): {rate:.1f} s per group on average, and each group "
                             f"costs more than the previous one, so all {count} would have taken well over "
                             f"{rate * len(stmts) / 60:.0f} min. Later scenarios ran with the groups that exist.")
            break
    wall = time.monotonic() - t0
    for i, ms in enumerate(times):
        ctx.add("groups", kind, i, "create_group", ms, "ms")
    sizes = [int(x) for x in ctx.c.value(
        f"SELECT string_agg(n::text, ' ') FROM (SELECT (SELECT count(*) FROM smart_groups.members m WHERE m.group_id = g.id) n"
        f" FROM smart_groups.groups g WHERE g.name LIKE '{kind}-%') s").split()]
    info = dict(kind=kind, count=len(times), wall_s=wall, median_ms=median(times), p95_ms=percentile(times, 95),
                max_ms=max(times) if times else None, members_total=sum(sizes),
                members_median=median(sizes), members_max=max(sizes) if sizes else None,
                empty=sum(1 for s in sizes if s == 0))
    ctx.log(f"{len(times)} {kind} groups in {wall:.0f} s")
    return info


def group_stats(ctx):
    q = ("SELECT json_build_object("
         "'active', count(*) FILTER (WHERE status = 'active'),"
         "'read_level', count(*) FILTER (WHERE status = 'active' AND deps -> 'columns' ? 'level'),"
         "'relative_time', count(*) FILTER (WHERE status = 'active' AND (deps ->> 'relative_time')::boolean),"
         "'references', count(*) FILTER (WHERE status = 'active' AND jsonb_array_length(deps -> 'reference_columns') > 0),"
         "'member_of', count(*) FILTER (WHERE status = 'active' AND jsonb_array_length(deps -> 'groups') > 0),"
         "'custom', count(*) FILTER (WHERE status = 'active' AND jsonb_array_length(deps -> 'custom') > 0),"
         "'relations', count(*) FILTER (WHERE status = 'active' AND jsonb_array_length(deps -> 'relations') > 0))"
         " FROM smart_groups.groups")
    return json.loads(ctx.c.value(q))


def sizes(ctx):
    # A partitioned table's size is that of its partitions; pg_partition_tree has no rows for
    # a plain table, hence the coalesce.
    return json.loads(ctx.c.value(
        "SELECT json_object_agg(t, pg_size_pretty(coalesce((SELECT sum(pg_total_relation_size(p.relid)) "
        "FROM pg_partition_tree(t::regclass) p), pg_total_relation_size(t::regclass)))) FROM unnest(ARRAY["
        "'users', 'users_base', 'user_field_values', 'enrollments', 'clicks', 'smart_groups.member_rows', "
        "'smart_groups.membership_changes']) t"))


def main():
    ap = argparse.ArgumentParser()
    for a in ("--dir", "--out", "--work", "--load-info"):
        ap.add_argument(a, required=a != "--load-info")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--scale", type=int, required=True)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--duration", type=int, default=15)
    ap.add_argument("--budget", type=float, default=600, help="seconds per scenario before repetitions stop")
    ap.add_argument("--hot-groups", type=int, default=100)
    ap.add_argument("--cold-groups", type=int, default=900)
    ap.add_argument("--many-groups", type=int, default=0,
                    help="phase 3: more cold groups until this many are active, then S11 again (0: none)")
    ap.add_argument("--setup-budget", type=float, default=1200,
                    help="seconds after which no further phase-2 group is created (0: no limit)")
    ap.add_argument("--no-profile", action="store_true")
    ap.add_argument("--verify", choices=("auto", "yes", "no"), default="auto")
    ap.add_argument("--only", default="", help="comma-separated scenarios to run (default: all)")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    only = set(filter(None, args.only.upper().split(",")))
    want = lambda s: not only or s in only  # noqa: E731
    ctx = Context(Cluster(args.dir, args.port), args.scale, args.reps, args.duration, args.work,
                  args.budget, not args.no_profile)
    meta = dict(started=time.strftime("%Y-%m-%d %H:%M:%S %Z"), scale=args.scale, reps=args.reps,
                duration=args.duration, load=open("/proc/loadavg").read().split()[:3], groups=[])
    if args.load_info and os.path.exists(args.load_info):
        with open(args.load_info) as f:
            meta["load_steps"] = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    meta["pg_version"] = ctx.c.value("SHOW server_version")
    pinned = tuple(os.path.join(args.dir, "ext", os.path.basename(p)) for p in SYSTEM_EXT)
    pinned_ok = ctx.c.value("SELECT count(*) FROM pg_proc WHERE probin = '$libdir/smart_groups'") == "0"
    meta["extension"] = extension_identity(pinned if pinned_ok else SYSTEM_EXT)
    if not pinned_ok:
        ctx.notes.append("The extension build was not pinned: sessions load the installed smart_groups.so.")
    system_at_start = extension_identity(SYSTEM_EXT)
    meta["settings"] = ctx.c.value("SELECT string_agg(name || '=' || setting || coalesce(unit, ''), ', ' ORDER BY name) "
                                   "FROM pg_settings WHERE name IN ('shared_buffers', 'work_mem', 'jit', 'max_wal_size', "
                                   "'synchronous_commit', 'fsync')")
    t_start = time.monotonic()


    def run(name, fn, *a):
        """A failed scenario is reported, and the suite goes on (unless the server is gone)."""
        if not want(name.split("·")[0]):
            return
        try:
            fn(ctx, *a)
        except Exception as e:  # noqa: BLE001 — any failure is reported, the rest still runs
            ctx.log(f"{name} failed: {e}")
            ctx.notes.append(f"{name} failed: {str(e).splitlines()[0][:300]}")
            ctx.c.psql("SELECT 1;")  # raises when the server is gone: the report is still written below

    try:
        meta["groups"].append(create_groups(ctx, "hot", args.hot_groups))
        ctx.hot_create_s = meta["groups"][0]["wall_s"]
        meta["phase1"] = group_stats(ctx)
        reading = meta["phase1"]["read_level"]
        run("S2", scen_update.s2, reading)
        run("S5", scen_update.s5, meta["phase1"]["active"])
        run("S3", scen_groups.s3)
        run("S6", scen_groups.s6)
        run("S7", scen_groups.s7)
        run("S8", scen_groups.s8)
        # One-user updates with 100 active groups, then again with 1,000 (phase 2).
        run("S1·100", scen_update.s1, f"{reading} of {meta['phase1']['active']}", "S1·100")
        run("S4·100", scen_update.s4, meta["phase1"]["active"], "S4·100")
        if args.cold_groups > 0 and (want("S1") or want("S4")):
            meta["groups"].append(create_groups(ctx, "cold", args.cold_groups, args.setup_budget))
            meta["phase2"] = group_stats(ctx)
            run("S1", scen_update.s1, f"{meta['phase2']['read_level']} of {meta['phase2']['active']}", "S1")
            run("S4", scen_update.s4, meta["phase2"]["active"], "S4")
        active = meta.get("phase2", meta["phase1"])["active"]
        run("S9", scen_events.s9, active)
        run("S10", scen_events.s10, active)
        run("S11", scen_events.s11, active)
        run("S13", scen_update.s13, active)
        run("STORAGE", scen_events.storage)
        # Last: the users it adds would count in the storage per membership.
        run("S12", scen_events.s12, active)
        # Phase 3: "which groups is U in" at many groups (the issue asks 10,000). More of the
        # cold set, whose first groups exist already when phase 2 ran; no budget: the point is
        # the number of groups.
        if args.many_groups > active and want("S11"):
            cold = sum(g["count"] for g in meta["groups"] if g["kind"] == "cold")
            meta["groups"].append(create_groups(ctx, "cold", cold + args.many_groups - active, 0, cold))
            meta["phase3"] = group_stats(ctx)
            run(f"S11·{meta['phase3']['active']}", scen_events.s11, meta["phase3"]["active"],
                f"S11·{meta['phase3']['active']}")
        finish(ctx, args, meta)
    finally:
        meta["total_s"] = time.monotonic() - t_start
        meta["load_end"] = open("/proc/loadavg").read().split()[:3]
        if extension_identity(SYSTEM_EXT) != system_at_start:
            ctx.notes.append("The extension installed in the system PostgreSQL was replaced while the suite ran (now: "
                             f"{extension_identity(SYSTEM_EXT)}); " + ("this run kept using its pinned copy." if pinned_ok
                             else "sessions opened after that may have loaded the new build."))
        md, csv = report.write(args.out, ctx, meta)
        print()
        print(report.summary_table(ctx))
        print(f"\nresults: {md}\nraw:     {csv}")


def finish(ctx, args, meta):
    if args.verify == "yes" or (args.verify == "auto" and args.scale <= 100000):
        # Relative-time boundaries crossed while the suite ran are applied first (no
        # background worker here), as README.md, "Live membership", has it.
        ctx.log("refresh_time_rules() and verify()")
        t0 = time.monotonic()
        # One transaction, so that the refresh and verify() evaluate relative time at the same
        # now(): run apart, verify() (over a minute at 1,000 groups) saw boundaries crossed
        # after the refresh as differences.
        try:
            out = ctx.c.psql("BEGIN;\nSELECT smart_groups.refresh_time_rules();\n"
                             "CREATE TEMP TABLE bench_verify AS SELECT * FROM smart_groups.verify();\n"
                             "SELECT count(*) FROM bench_verify;\n"
                             "SELECT group_name || ': ' || count(*) || ' (' || string_agg(DISTINCT problem, ', ') || ')'"
                             " FROM bench_verify GROUP BY group_name ORDER BY count(*) DESC LIMIT 10;\n"
                             "COMMIT;\n")
            lines = [l for l in out.splitlines() if l.strip()]
            meta["verify"] = dict(problems=int(lines[1]), seconds=time.monotonic() - t0)
            if lines[2:]:
                ctx.notes.append("verify() found differences in: " + "; ".join(lines[2:]))
        except Exception as e:  # noqa: BLE001
            ctx.notes.append(f"verify() failed: {str(e).splitlines()[0][:300]}")
    meta["sizes"] = sizes(ctx)


if __name__ == "__main__":
    main()
