"""Profiles of missed targets: auto_explain (ANALYZE, BUFFERS) of every statement the
maintenance runs, aggregated per statement from the server log, and a perf CPU profile of the
backend when perf works here."""

import collections
import os
import re
import shutil
import signal
import subprocess
import threading
import time

AUTO_EXPLAIN = """LOAD 'auto_explain';
SET auto_explain.log_min_duration = 0;
SET auto_explain.log_nested_statements = on;
SET auto_explain.log_analyze = on;
SET auto_explain.log_buffers = on;
SET auto_explain.log_timing = {timing};
"""

ENTRY_SPLIT = re.compile(r"\n(?=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \S+ \[\d+\] )")
ENTRY_RE = re.compile(r"^\S+ \S+ \S+ \[(\d+)\] LOG:  duration: ([\d.]+) ms  plan:\n\s*Query Text: (.*)", re.S)
PLAN_START = re.compile(r"\n\t(?=[^\n]*?  \(cost=)")


def normalize(query):
    q = " ".join(query.split())
    q = re.sub(r"'[^']*'", "'…'", q)
    return re.sub(r"\b\d+\b", "N", q)


def parse_log(text, pid):
    """[(ms, normalized query, query, plan)] of the auto_explain entries of backend `pid`."""
    out = []
    for entry in ENTRY_SPLIT.split(text):
        m = ENTRY_RE.match(entry)
        if not m or int(m.group(1)) != pid:
            continue
        body = m.group(3)
        split = PLAN_START.search(body)
        query, plan = (body[: split.start()], body[split.end():]) if split else (body, "")
        plan = "\n".join(line[1:] if line.startswith("\t") else line for line in plan.split("\n"))
        plan = re.split(r"\n\S+ \S+ \S+ \[\d+\] CONTEXT:", plan)[0]
        out.append((float(m.group(2)), normalize(query), query.strip(), plan.rstrip()))
    return out


def aggregate(entries, ops):
    """Per statement: calls, calls per operation, total and mean ms (inclusive of nested
    statements), and the plan of its slowest call; heaviest first."""
    agg = collections.OrderedDict()
    for ms, key, query, plan in entries:
        a = agg.setdefault(key, {"calls": 0, "total": 0.0, "max": -1.0, "query": query, "plan": plan})
        a["calls"] += 1
        a["total"] += ms
        if ms > a["max"]:
            a["max"], a["query"], a["plan"] = ms, query, plan
    rows = sorted(agg.items(), key=lambda kv: -kv[1]["total"])
    return [dict(key=k, per_op=v["calls"] / ops, mean=v["total"] / v["calls"], **v) for k, v in rows]


class Perf:
    """perf record of one backend, started once its pid is known."""

    def __init__(self, pidfile, outfile):
        self.pidfile, self.outfile, self.proc = pidfile, outfile, None
        self.thread = threading.Thread(target=self._start, daemon=True)
        self.available = shutil.which("perf") is not None
        self._done = threading.Event()

    def start(self):
        if self.available:
            self.thread.start()

    def _start(self):
        while not self._done.is_set():
            try:
                with open(self.pidfile) as f:
                    pid = int(f.read().strip())
                break
            except (OSError, ValueError):
                time.sleep(0.005)
        else:
            return
        self.proc = subprocess.Popen(
            ["perf", "record", "-e", "cpu-clock", "-F", "499", "-g", "-p", str(pid), "-o", self.outfile],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self):
        """Stops recording; returns the flat top of the report (symbols by self time) or None."""
        self._done.set()
        if not self.available:
            return None
        self.thread.join(timeout=5)
        if self.proc is None:
            return None
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return None
        rep = subprocess.run(["perf", "report", "-i", self.outfile, "--stdio", "--no-children", "-g", "none",
                              "--sort", "dso,symbol", "--percent-limit", "0.7"],
                             text=True, capture_output=True)
        lines = [" ".join(ln.replace(" -      -", "").split()) for ln in rep.stdout.splitlines()
                 if ln.strip() and not ln.startswith("#")]
        return "\n".join(lines[:30]) or None


def _session(cluster, pidfile, setup, body):
    script = (setup + "\nSELECT pg_backend_pid() AS bench_pid \\gset\n\\setenv SG_BENCH_PID :bench_pid\n"
              f"\\! echo $SG_BENCH_PID > {pidfile}\n\\echo PID :bench_pid\n" + body)
    return cluster.psql(script)


def run_profile(cluster, label, statements, ops, setup="", workdir="/tmp", node_timing=True, perf_run=True):
    """Profiles `statements` (SQL text run in one session after `setup`; or a function of the
    run number 0 / 1 giving it, when running them twice needs different SQL). `ops` is how many
    operations (updates, group creations, …) they perform, to report calls per operation.

    Run 0 logs every statement with auto_explain (ANALYZE, BUFFERS, nested statements); without
    `node_timing` plans carry rows and buffers but no per-node times (far less overhead on big
    statements; statement durations are exact either way). Run 1, with `perf_run` and perf
    installed, runs the statements again without auto_explain under perf, whose profile would
    otherwise be dominated by auto_explain's own clock reads."""
    sql = statements if callable(statements) else (lambda _run: statements)
    pidfile = os.path.join(workdir, f"profile_{label}.pid")
    perf_out = os.path.join(workdir, f"profile_{label}.perf.data")
    for f in (pidfile, perf_out):
        if os.path.exists(f):
            os.unlink(f)
    start = cluster.log_size()
    t0 = time.monotonic()
    out = _session(cluster, pidfile, setup, AUTO_EXPLAIN.format(timing="on" if node_timing else "off") + sql(0))
    wall = time.monotonic() - t0
    pid = int(re.search(r"^PID (\d+)", out, re.M).group(1))
    time.sleep(0.3)  # let the logger flush
    entries = parse_log(cluster.read_log(start), pid)
    flat, available = None, shutil.which("perf") is not None
    if perf_run and available:
        os.unlink(pidfile)
        perf = Perf(pidfile, perf_out)
        perf.start()
        try:
            _session(cluster, pidfile, setup, sql(1))
        finally:
            flat = perf.stop()
    return {"label": label, "ops": ops, "wall_s": wall, "statements": aggregate(entries, ops),
            "perf": flat, "perf_available": available, "perf_run": perf_run, "node_timing": node_timing}
