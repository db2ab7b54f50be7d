"""Writes a run's results: <base>.md (the summary table, the set-up, notes and profiles) and
<base>.csv (every raw measurement)."""

import csv
import os
import subprocess

from common import fmt_ms

PLAN_LINES = 70
LINE_WIDTH = 220


def summary_table(ctx):
    out = ["| # | scenario | baseline | measured baseline | measured target | ratio | goal | met |",
           "|---|---|---|---|---|---|---|---|"]
    for r in ctx.summary:
        ratio = "–" if r["ratio"] is None else f"{r['ratio']:.3g}×"
        met = {True: "yes", False: "**no**", None: "–"}[r["met"]]
        out.append(f"| {r['num']} | {r['scenario']} | {r['baseline_desc']} | {r['base']} | {r['target']} | "
                   f"{ratio} | {r['goal']} | {met} |")
    return "\n".join(out)


def _git(*args):
    try:
        return subprocess.run(["git", *args], cwd=os.path.dirname(__file__), text=True,
                              capture_output=True).stdout.strip()
    except OSError:
        return "?"


def _clip(text, lines=PLAN_LINES):
    rows = [ln if len(ln) <= LINE_WIDTH else ln[:LINE_WIDTH] + " …" for ln in text.split("\n")]
    if len(rows) > lines:
        rows = rows[:lines] + [f"… ({len(rows) - lines} more lines)"]
    return "\n".join(rows)


def _profile_md(p):
    out = [f"### {p['scenario']}: {p['note']}", "",
           f"Profile run: {p['wall_s']:.1f} s wall with auto_explain (ANALYZE, BUFFERS, nested statements"
           f"{'' if p.get('node_timing', True) else '; no per-node timing'}), {p['ops']} operation(s). "
           "Times are inclusive (a statement's time contains the statements it runs); calls per op = calls / operations.", "",
           "| statement | calls | calls per op | total | mean |", "|---|---|---|---|---|"]
    for s in p["statements"][:15]:
        key = s["key"].replace("|", "\\|")
        if len(key) > 160:
            key = key[:160] + " …"
        out.append(f"| `{key}` | {s['calls']} | {s['per_op']:.1f} | {fmt_ms(s['total'])} | {fmt_ms(s['mean'])} |")
    # The plans worth reading: the heaviest statements that are not just a call of a function.
    shown = 0
    for s in p["statements"]:
        if shown >= 3:
            break
        if s["plan"].lstrip().startswith("Result") and "->" not in s["plan"]:
            continue
        shown += 1
        out += ["", f"Slowest call of `{_clip(s['key'], 1)[:160]}` ({fmt_ms(s['max'])}):", "", "```",
                _clip(s["query"], 12), "", _clip(s["plan"]), "```"]
    if p.get("perf"):
        out += ["", "perf (cpu-clock samples of the backend during a second run of the same statements without "
                "auto_explain, by self time; the postgres binary has no symbols for some addresses):", "", "```", p["perf"], "```"]
    elif not p.get("perf_available"):
        out += ["", "perf: not available on this machine."]
    elif not p.get("perf_run"):
        out += ["", "perf: not run for this profile (it would repeat a statement of many minutes)."]
    return "\n".join(out)


def write(base, ctx, meta):
    os.makedirs(os.path.dirname(base), exist_ok=True)
    csv_path, md_path = base + ".csv", base + ".md"
    with open(csv_path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["scenario", "variant", "rep", "metric", "value", "unit"])
        w.writerows(ctx.rows)
    commit = _git("rev-parse", "--short", "HEAD")
    lines = [f"# smart_groups benchmark — {meta['scale']:,} users", "",
             f"- started {meta['started']}, suite took {meta.get('total_s', 0) / 60:.1f} min (after data load)",
             f"- extension measured: {meta['extension']} (a copy of the build installed in the system PostgreSQL, taken when the run started)",
             f"- bench code at commit `{commit}` (branch `{_git('rev-parse', '--abbrev-ref', 'HEAD')}`), PostgreSQL {meta['pg_version']}",
             f"- machine: {os.cpu_count()} cores, shared with other helpers' builds and tests while this ran "
             f"(load average {' '.join(meta['load'])} at start, {' '.join(meta.get('load_end', ['?']))} at end): "
             "absolute times are noisy; ratios from the same run are the numbers to read",
             f"- settings: {meta['settings']}",
             f"- repetitions: up to {meta['reps']} per scenario (target and baseline alternate), "
             f"pgbench runs of {meta['duration']} s; medians reported", ""]
    lines += ["## Summary", "", summary_table(ctx), "", "Details per row:", ""]
    for r in ctx.summary:
        lines.append(f"- **{r['num']}** — {r['extra']}")
    lines += [""]
    if meta.get("load_steps"):
        lines += ["## Data set", "", "| step | seconds |", "|---|---|"]
        lines += [f"| {s[0]} | {s[1]} |" for s in meta["load_steps"]]
        lines += [""]
    if meta.get("sizes"):
        lines += ["Sizes at the end: " + ", ".join(f"{k} {v}" for k, v in meta["sizes"].items()), ""]
    lines += ["## Groups", "", "| set | groups | total | median create_group | p95 | max | memberships | "
              "median size | largest | empty |", "|---|---|---|---|---|---|---|---|---|---|"]
    for g in meta["groups"]:
        lines.append(f"| {g['kind']} | {g['count']} | {g['wall_s']:.0f} s | {fmt_ms(g['median_ms'])} | "
                     f"{fmt_ms(g['p95_ms'])} | {fmt_ms(g['max_ms'])} | {g['members_total']:,} | "
                     f"{g['members_median'] or 0:,.0f} | {g['members_max'] or 0:,} | {g['empty']} |")
    for phase in ("phase1", "phase2", "phase3"):
        if phase in meta:
            s = meta[phase]
            lines.append(f"\n{phase}: {s['active']} active groups; {s['read_level']} read users.level; "
                         f"{s['relative_time']} use relative time; {s['references']} read manager.*; "
                         f"{s['member_of']} use member of; {s['custom']} read custom fields; "
                         f"{s['relations']} use has.")
    lines += [""]
    if "verify" in meta:
        v = meta["verify"]
        lines += [f"verify() at the end: {v['problems']} differences ({v['seconds']:.0f} s).", ""]
    if ctx.notes:
        lines += ["## Notes", ""] + [f"- {n}" for n in ctx.notes] + [""]
    if ctx.profiles:
        lines += ["## Profiles of missed targets", ""]
        for p in ctx.profiles:
            lines += [_profile_md(p), ""]
    lines += [f"Raw measurements: `{os.path.basename(csv_path)}`.", ""]
    with open(md_path, "w") as f:
        f.write("\n".join(lines))
    return md_path, csv_path
