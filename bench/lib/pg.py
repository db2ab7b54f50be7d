"""Talking to the benchmark cluster through psql and pgbench (no driver: stdlib only).

Timings come from psql's `\\timing` (the server round trip of one statement, measured by the
client on the same machine) or from pgbench's per-transaction log.
"""

import os
import re
import subprocess
import threading
import time

PG_BIN = "/usr/lib/postgresql/15/bin"
TIME_RE = re.compile(r"^Time: ([\d.]+) ms", re.M)


class BenchError(RuntimeError):
    pass


class Cluster:
    def __init__(self, sockdir, port, db="bench", user="postgres"):
        self.sockdir, self.port, self.db, self.user = sockdir, str(port), db, user
        self.log_path = os.path.join(sockdir, "log")

    def conn_args(self):
        return ["-h", self.sockdir, "-p", self.port, "-U", self.user, "-d", self.db]

    def psql(self, script, check=True, timeout=None):
        """Runs a psql script; returns its stdout. Errors stop the script (ON_ERROR_STOP)."""
        cmd = [f"{PG_BIN}/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", *self.conn_args()]
        p = subprocess.run(cmd, input=script, text=True, capture_output=True, timeout=timeout)
        if check and p.returncode != 0:
            raise BenchError(f"psql failed ({p.returncode}): {p.stderr.strip()}\n--- script ---\n{script[:2000]}")
        return p.stdout

    def value(self, sql):
        return self.psql(sql).strip()

    def timed(self, measured, setup="", after="", memory=False):
        """Runs `setup`, then the one statement `measured` under \\timing, then `after`, in one
        fresh session. Returns {'ms': float, and with memory=True: 'rss_anon_peak_kb',
        'vm_hwm_kb'}: the backend's private memory peak, sampled every 10 ms from
        /proc/<pid>/status, and its peak resident set (which also counts the shared buffers it
        touched) read by the backend itself at the end."""
        pidfile = None
        sampler = None
        script = setup + "\n"
        if memory:
            pidfile = f"/tmp/sg_bench_pid_{os.getpid()}_{time.monotonic_ns()}"
            script += (f"SELECT pg_backend_pid() AS bench_pid \\gset\n\\setenv SG_BENCH_PID :bench_pid\n"
                       f"\\! echo $SG_BENCH_PID > {pidfile}\n")
            sampler = MemorySampler(pidfile)
            sampler.start()
        script += "\\timing on\n" + measured.rstrip().rstrip(";") + ";\n\\timing off\n"
        if memory:
            script += "SELECT 'VMHWM ' || substring(pg_read_file('/proc/self/status') from 'VmHWM:\\s+(\\d+)');\n"
        script += after + "\n"
        try:
            out = self.psql(script)
        finally:
            if sampler:
                sampler.stop()
                if os.path.exists(pidfile):
                    os.unlink(pidfile)
        times = TIME_RE.findall(out)
        if len(times) != 1:
            raise BenchError(f"expected one timing, got {times!r} from:\n{out[-2000:]}")
        res = {"ms": float(times[0]), "output": TIME_RE.sub("", out).strip()}
        if memory:
            m = re.search(r"^VMHWM (\d+)", out, re.M)
            res["vm_hwm_kb"] = int(m.group(1)) if m else None
            res["rss_anon_peak_kb"] = sampler.peak_anon
        return res

    def pgbench(self, scripts, clients, seconds, logprefix, scale, extra=(), waits=None):
        """Runs pgbench with `scripts` [(path, weight)], logging every transaction.
        Returns {'tps': float, 'latencies_ms': [...], 'failed': int, 'output': str}. The first
        transaction of each client is left out of the latencies: it pays for a new backend
        (catalogs, plans, compiled rules), which a pooled application connection pays once.
        With a dict `waits`, what the active backends wait on is sampled every 0.5 s into it."""
        cmd = [f"{PG_BIN}/pgbench", "-n", "-c", str(clients), "-j", str(min(clients, 2)),
               "-T", str(seconds), "-M", "prepared", "-D", f"scale={scale}",
               "-l", f"--log-prefix={logprefix}", *extra, *self.conn_args()]
        for path, weight in scripts:
            cmd += ["-f", f"{path}@{weight}"]
        for f in _logfiles(logprefix):
            os.unlink(f)
        sampler = WaitSampler(self, waits) if waits is not None else None
        if sampler:
            sampler.start()
        try:
            p = subprocess.run(cmd, text=True, capture_output=True)
        finally:
            if sampler:
                sampler.stop()
        if p.returncode not in (0, 2):  # 2: some clients failed; reported, not fatal
            raise BenchError(f"pgbench failed: {p.stderr[-2000:]}")
        lat, seen = [], set()
        for f in _logfiles(logprefix):
            with open(f) as fh:
                for line in fh:
                    parts = line.split()
                    if len(parts) < 3 or parts[2] in ("failed", "skipped"):
                        continue
                    key = (f, parts[0])
                    if key not in seen:  # first transaction of this client
                        seen.add(key)
                        continue
                    lat.append(int(parts[2]) / 1000.0)
            os.unlink(f)
        m = re.search(r"tps = ([\d.]+) \(without initial connection time\)", p.stdout)
        failed = re.search(r"number of failed transactions: (\d+)", p.stdout)
        return {"tps": float(m.group(1)) if m else 0.0, "latencies_ms": lat,
                "failed": int(failed.group(1)) if failed else 0, "output": p.stdout + p.stderr}

    def log_size(self):
        return os.path.getsize(self.log_path)

    def read_log(self, start):
        with open(self.log_path, errors="replace") as f:
            f.seek(start)
            return f.read()


def _logfiles(prefix):
    d, base = os.path.split(prefix)
    return [os.path.join(d, f) for f in sorted(os.listdir(d or ".")) if f.startswith(base + ".")]


class MemorySampler(threading.Thread):
    """Peak RssAnon of the backend whose pid appears in `pidfile`."""

    def __init__(self, pidfile):
        super().__init__(daemon=True)
        self.pidfile, self.peak_anon, self._halt = pidfile, None, threading.Event()

    def stop(self):
        self._halt.set()
        self.join(timeout=5)

    def run(self):
        pid = None
        while not self._halt.is_set() and pid is None:
            try:
                with open(self.pidfile) as f:
                    pid = int(f.read().strip())
            except (OSError, ValueError):
                time.sleep(0.005)
        while pid is not None and not self._halt.is_set():
            try:
                with open(f"/proc/{pid}/status") as f:
                    for line in f:
                        if line.startswith("RssAnon:"):
                            kb = int(line.split()[1])
                            self.peak_anon = max(self.peak_anon or 0, kb)
            except OSError:
                return
            time.sleep(0.01)


class WaitSampler(threading.Thread):
    """Counts, every 0.5 s, what the other active client backends are waiting on."""

    QUERY = ("SELECT coalesce(wait_event_type || ':' || wait_event, 'running') AS w, count(*) FROM pg_stat_activity "
             "WHERE backend_type = 'client backend' AND state = 'active' AND pid <> pg_backend_pid() GROUP BY 1")

    def __init__(self, cluster, into):
        super().__init__(daemon=True)
        self.cluster, self.into, self._halt = cluster, into, threading.Event()

    def stop(self):
        self._halt.set()
        self.join(timeout=10)

    def run(self):
        while not self._halt.wait(0.5):
            try:
                out = self.cluster.psql(self.QUERY, check=False, timeout=5)
            except subprocess.TimeoutExpired:
                continue
            for line in out.splitlines():
                if "|" in line:
                    w, n = line.rsplit("|", 1)
                    self.into[w] = self.into.get(w, 0) + int(n)
