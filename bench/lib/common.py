"""What scenarios share: the run context, raw result rows, statistics, and the alternation of
target and baseline repetitions."""

import os
import statistics
import time


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def percentile(xs, p):
    """Nearest-rank percentile (p in 0..100) of a list of numbers; None when empty."""
    if not xs:
        return None
    s = sorted(xs)
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


class Context:
    def __init__(self, cluster, scale, reps, duration, workdir, budget_s, do_profile, clients=8):
        self.c = cluster
        self.scale = scale
        self.reps = reps
        self.duration = duration
        self.workdir = workdir
        self.budget_s = budget_s
        self.do_profile = do_profile
        self.clients = clients
        self.rows = []  # raw results: (scenario, variant, rep, metric, value, unit)
        self.summary = []  # one dict per table row
        self.profiles = []
        self.notes = []

    def add(self, scenario, variant, rep, metric, value, unit):
        self.rows.append((scenario, variant, rep, metric, value, unit))

    def script(self, name, text):
        """Writes a pgbench script into the work directory; returns its path."""
        path = os.path.join(self.workdir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def log(self, msg):
        print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)

    def vacuum(self, *tables):
        self.c.psql("".join(f"VACUUM ANALYZE {t};\n" for t in tables))

    def alternate(self, label, run_target, run_base):
        """Repetitions of target and baseline, in alternating order so that drift on a shared
        machine does not always favour one side. Stops early, after at least one repetition,
        once the scenario has used its time budget. Returns the number of repetitions run."""
        t0 = time.monotonic()
        done = 0
        for rep in range(self.reps):
            order = (run_target, run_base) if rep % 2 == 0 else (run_base, run_target)
            for fn in order:
                if fn is not None:
                    fn(rep)
            done += 1
            used = time.monotonic() - t0
            self.log(f"{label}: repetition {rep + 1} done ({used:.0f} s)")
            if used > self.budget_s and rep + 1 < self.reps:
                self.notes.append(f"{label}: stopped after {done} of {self.reps} repetitions "
                                  f"(time budget {self.budget_s:.0f} s per scenario).")
                break
        return done

    def values(self, scenario, variant, metric):
        return [r[4] for r in self.rows if r[0] == scenario and r[1] == variant and r[3] == metric]

    def med(self, scenario, variant, metric):
        return median(self.values(scenario, variant, metric))

    def row(self, num, scenario, baseline_desc, target_desc, base, target, ratio, goal, met, extra=""):
        self.summary.append(dict(num=num, scenario=scenario, baseline_desc=baseline_desc,
                                 target_desc=target_desc, base=base, target=target, ratio=ratio,
                                 goal=goal, met=met, extra=extra))


def fmt_ms(ms):
    if ms is None:
        return "–"
    if ms >= 10000:
        return f"{ms / 1000:.1f} s"
    if ms >= 100:
        return f"{ms:.0f} ms"
    if ms >= 1:
        return f"{ms:.1f} ms"
    return f"{ms:.3f} ms"


def fmt_kb(kb):
    return "–" if kb is None else f"{kb / 1024:.0f} MB"


def ratio(a, b):
    return None if a is None or b in (None, 0) else a / b
