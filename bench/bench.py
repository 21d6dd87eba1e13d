#!/usr/bin/env python3
"""clusterd's benchmarks (SPEC section 9), side by side in one run.

Sections (each bounded in count and time, everything on loopback):
  launch     PUT instances=N until N containers run, against N raw Docker
             Engine API create+start calls at the same concurrency
             (bench/raw_docker.py), at N = 1, 10, 50; clusterd with the
             default --allocation_interval (1 s) and with 100 ms.
  swarm      Docker swarm mode on its own private dockerd: scale 0->20 and
             20->100, self-healing, rolling update of 20 (default and tuned),
             against clusterd on the first dockerd, and the raw floor.
  api        wrk at 64 connections: GET /v2/apps/{id} and GET /v2/apps with
             1,000 apps (the real-world shapes of fixture_apps_100_real.json),
             then 1,000 simulated agents (bench/sim_agents) and 10,000 tasks
             (--containerizers=sim): GET /v2/apps?embed=apps.tasks and
             GET /master/state, also one connection at a time for latency.
  alloc      bench/sim_alloc: one allocation cycle at 10k agents x 1k
             frameworks; placing 100,000 tasks of 1,000 apps on 10,000
             agents with UNIQUE hostname and attribute constraints.
  footprint  --all-in-one idle RSS, CPU and disk writes over 30 s, RSS at
             1,000 apps, stripped binary size.
  fetch      a plain-process task from PUT instances=1 until the API says it
             runs: without a fetch, fetching a 20 MiB tar.gz from a local HTTP
             server (downloaded and extracted), and the same from the
             fetcher's cache; the fetch's own cost is the difference.
  recovery   a separate --master and --agent with 100 running containers:
             SIGKILL the agent and start it again; time until it is registered
             and reports all 100 running, and check none was restarted.
  failover   with ZooKeeper (bench/failbench.py has the method): kill -9 and
             SIGTERM of the leader among three masters -> a write served; a
             failover with 1,000 simulated agents and 10,000 tasks -> every
             agent re-registered and every task reconciled; 10,000 tasks
             launched and API write latency with the state in ZooKeeper
             against LMDB.
  syncs      the store's fdatasyncs (strace -c -f, attached by pid) and commits
             (/metrics) of a launch and kill: N=50 Docker containers and
             N=500 --containerizers=sim tasks on one --all-in-one each, with
             --binary and (given) --baseline, runs interleaved.
  dns        dnsperf against clusterd's --dns_port and dnsmasq serving the
             same records: an A record (UDP), an SRV with 100 answers (TCP,
             and truncated over UDP); GET /v2/apps/{id} latency with and
             without DNS load (bench/dnsbench.py has the method).
  memory     clusterd --master's RSS (and RssAnon, its heap) per agent and
             per task: --mem-agents simulated agents (default 1,000) and 10
             tasks per agent (--containerizers=sim).
  scale      100,000 tasks end to end (issue 15): clusterd --master with
             --scale-agents simulated agents (default 10,000, in fleets of
             1,000 per process) and 1,000 apps x 100 instances with
             constraints: seconds until all run, the master's RSS, GET
             /v2/apps and /v2/apps/{id} latency during the launch, idle CPU.

Every figure is the median of --reps repetitions (default 5) with min and
max; comparisons are ratios. Writes one JSON document (see --out).

It reuses tests/it/clusterd_harness.py for the private dockerd (vfs,
--iptables=false, --bridge=none, its own data-root, exec-root and socket)
and for the busybox image, imported locally since no registry is reached.
Every process it starts is stopped by pid.
"""

import argparse
import calendar
import copy
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "it"))
sys.path.insert(0, HERE)

import requests  # noqa: E402  pylint: disable=wrong-import-position

import clusterd_harness as H  # noqa: E402  pylint: disable=wrong-import-position
import dnsbench  # noqa: E402  pylint: disable=wrong-import-position
import failbench  # noqa: E402  pylint: disable=wrong-import-position
import raw_docker  # noqa: E402  pylint: disable=wrong-import-position

IMAGE = H.TEST_IMAGE
FIXTURE = os.path.join(HERE, "data", "fixture_apps_100_real.json")


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# statistics


def summary(samples):
    """median, min, max of a list of numbers (None when empty)."""
    xs = [x for x in samples if x is not None]
    if not xs:
        return {"median": None, "min": None, "max": None, "n": 0, "runs": []}
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "n": len(xs),
            "runs": [round(x, 6) for x in xs]}


def ratio(a, b):
    """Ratio of two summaries' medians, with the spread of the paired runs."""
    if not a["n"] or not b["n"] or not b["median"]:
        return None
    pairs = [x / y for x, y in zip(a["runs"], b["runs"]) if y]
    out = {"median_of_medians": a["median"] / b["median"]}
    if pairs:
        out.update(summary(pairs))
    return out


class Budget:
    """A section's time budget: stop repeating once it is spent."""

    def __init__(self, seconds):
        self.deadline = time.monotonic() + seconds

    def left(self):
        return self.deadline - time.monotonic()

    def spent(self):
        return self.left() <= 0


# ---------------------------------------------------------------------------
# processes


class BenchClusterd(H.Clusterd):
    """The harness' Clusterd, at log level info (debug logging is not what an
    operator runs) and with the benchmark's own flags."""

    def command(self):
        cmd = [self.binary, self.role, f"--work_dir={self.work_dir}", "--ip=127.0.0.1",
               "--http_port=0", "--master_port=0", "--agent_port=0",
               f"--port_file={self.port_file}", "--log_level=info"]
        if self.role != "--master":
            cmd += [f"--resources={self.resources}", "--docker_stop_timeout=1secs"]
        if self.docker_sock:
            cmd.append(f"--docker_socket=unix://{self.docker_sock}")
        return cmd + self.args

    def close(self):
        if self.running:
            self._terminate()  # pylint: disable=protected-access
        self.session.close()

    def pid(self):
        return self.proc.pid


class SimAgents:
    """bench/sim_agents: N real agents with the sim containerizer, in one process."""

    def __init__(self, binary, work_dir, master, n, first=0, resources=None):
        self.work_dir = work_dir
        self.port_file = os.path.join(work_dir, "fleet.json")
        self.log_path = os.path.join(work_dir, "fleet.log")
        os.makedirs(work_dir, exist_ok=True)
        self.cmd = [binary, f"--master={master}", f"--agents={n}", f"--first={first}",
                    f"--work_dir={os.path.join(work_dir, 'agents')}",
                    f"--port_file={self.port_file}"]
        if resources:
            self.cmd.append(f"--resources={resources}")
        self.proc = None

    def start(self, timeout=60):
        with open(self.log_path, "ab") as logf:
            self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=logf,
                                         stderr=subprocess.STDOUT, start_new_session=True,
                                         env=H.child_env())
        H.wait_until(lambda: os.path.exists(self.port_file) or self.proc.poll() is not None,
                     timeout=timeout, what="sim_agents port file")
        if self.proc.poll() is not None:
            raise RuntimeError(f"sim_agents exited {self.proc.returncode}:\n"
                               + H.tail(self.log_path, 30))

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)


def proc_status(pid):
    """VmRSS, VmHWM, RssAnon and RssFile in KiB from /proc/<pid>/status."""
    out = {}
    with open(f"/proc/{pid}/status", encoding="utf-8") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                out[k] = int(v.split()[0])
    return out


def proc_cpu_ticks(pid):
    """utime + stime of a process, in clock ticks."""
    with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # fields 14 and 15


def cpu_mark(pid):
    """A starting point for cpu_pct_since()."""
    return proc_cpu_ticks(pid), time.monotonic()


def cpu_pct_since(pid, mark):
    """The process's CPU since mark, in % of one core."""
    c0, t0 = mark
    return 100.0 * (proc_cpu_ticks(pid) - c0) / os.sysconf("SC_CLK_TCK") / \
        (time.monotonic() - t0)


def proc_write_bytes(pid):
    with open(f"/proc/{pid}/io", encoding="utf-8") as f:
        for line in f:
            if line.startswith("write_bytes:"):
                return int(line.split()[1])
    return None


# ---------------------------------------------------------------------------
# Docker helpers


def running(docker, label):
    """Running containers carrying label ("key=value")."""
    return docker.call("GET", "/containers/json",
                       params={"filters": json.dumps({"label": [label],
                                                      "status": ["running"]})})


def count_all(docker, label):
    return len(docker.containers([label]))


def wait_count(fn, want, timeout, interval=0.02):
    """Poll fn() until it returns want; the seconds it took from now, or None."""
    t0 = time.monotonic()
    while True:
        try:
            if fn() == want:
                return time.monotonic() - t0
        except (OSError, ValueError, requests.RequestException, H.DockerError):
            pass
        if time.monotonic() - t0 > timeout:
            return None
        time.sleep(interval)


# ---------------------------------------------------------------------------
# 1. launch overhead


def app_docker(app_id, instances=0, cmd="sleep 1000000", labels=None):
    return {"id": app_id, "cmd": cmd, "cpus": 0.01, "mem": 32, "instances": instances,
            "container": {"type": "DOCKER", "docker": {"image": IMAGE, "network": "HOST"}},
            "portDefinitions": [], "labels": labels or {}}


def cd_scale(cd, docker, app_id, n, timeout):
    """PUT instances=n; seconds until n containers run (Docker's view) and
    until the API says n tasks run. (docker_s, api_s)."""
    label = f"clusterd.app_id={app_id}"
    t0 = time.monotonic()
    r = cd.put(f"/v2/apps{app_id}", params={"force": "true"}, json={"instances": n})
    r.raise_for_status()
    t_docker = t_api = None
    while time.monotonic() - t0 < timeout and (t_docker is None or t_api is None):
        now = time.monotonic() - t0
        if t_docker is None and len(running(docker, label)) == n:
            t_docker = time.monotonic() - t0
        if t_api is None:
            a = cd.app(app_id)
            if a and a.get("tasksRunning") == n and a.get("tasksStaged", 0) == 0:
                t_api = time.monotonic() - t0
        if now > 0:
            time.sleep(0.02)
    return t_docker, t_api


def docker_time(ts):
    """Docker's RFC 3339 time with nanoseconds ("2026-11-26T01:23:45.123456789Z")
    as Unix seconds."""
    ts = ts.rstrip("Z")
    base, _, frac = ts.partition(".")
    secs = calendar.timegm(time.strptime(base, "%Y-%m-%dT%H:%M:%S"))
    return secs + (float("0." + frac) if frac else 0.0)


def last_started(docker, ids):
    """The latest State.StartedAt of the containers, in Unix seconds: when
    Docker had the last of them running, by its own clock."""
    latest = None
    for cid in ids:
        j = docker.inspect(cid)
        if j is None or not j["State"].get("Running"):
            return None
        t = docker_time(j["State"]["StartedAt"])
        latest = t if latest is None else max(latest, t)
    return latest


def cd_scale_started(cd, docker, app_id, n, timeout):
    """PUT instances=n; seconds from just before the PUT until the last of
    the n containers started, by Docker's StartedAt (the same clock the
    floor is read with), and until the API says n tasks run. The
    containers are polled every 250 ms only, so that the poll itself does
    not load dockerd while it starts them. (started_s, api_s)."""
    label = f"clusterd.app_id={app_id}"
    t0w, t0 = time.time(), time.monotonic()
    r = cd.put(f"/v2/apps{app_id}", params={"force": "true"}, json={"instances": n})
    r.raise_for_status()
    ids = t_api = None
    while time.monotonic() - t0 < timeout and (ids is None or t_api is None):
        time.sleep(0.25)
        if ids is None:
            found = running(docker, label)
            if len(found) == n:
                ids = [c["Id"] for c in found]
        if t_api is None:
            a = cd.app(app_id)
            if a and a.get("tasksRunning") == n and a.get("tasksStaged", 0) == 0:
                t_api = time.monotonic() - t0
    if ids is None:
        return None, t_api
    last = last_started(docker, ids)
    return (None if last is None else last - t0w), t_api


def cd_drain(cd, docker, app_id, timeout=120):
    """Scale to 0 and wait until its containers and tasks are gone (untimed)."""
    cd.put(f"/v2/apps{app_id}", params={"force": "true"}, json={"instances": 0})
    label = f"clusterd.app_id={app_id}"
    ok = wait_count(lambda: count_all(docker, label) + len(cd.tasks(app_id)), 0, timeout, 0.1)
    if ok is None:
        log(f"warning: {app_id} did not drain within {timeout}s")


def bench_launch(ctx, ns, reps, budget_s):
    docker, binary = ctx["docker"], ctx["binary"]
    budget = Budget(budget_s)
    variants = {"1s": "1secs", "100ms": "100ms"}
    cds = {}
    res = {"method": "both sides read off Docker's own clock: clusterd from just before "
                     "PUT /v2/apps/{id} {instances:N} (from 0) until the latest "
                     "State.StartedAt of its N containers (found by a poll every 250 ms); "
                     "the floor from just before the first of N create+start calls at "
                     "concurrency N on the same dockerd (bench/raw_docker.py) until the "
                     "latest StartedAt of its containers; also recorded: the floor until "
                     "its last start call returned, and clusterd until the API says N tasks "
                     "run; runs interleaved raw, clusterd 1s, clusterd 100ms",
           "by_n": {}}
    try:
        for name, iv in variants.items():
            cd = BenchClusterd(binary, os.path.join(ctx["tmp"], f"launch-{name}"),
                               docker_sock=docker.sock, args=[f"--allocation_interval={iv}"],
                               resources="cpus:64;mem:65536;disk:100000;ports:[31000-31099]")
            cd.start()
            cds[name] = cd
            r = cd.post("/v2/apps", json=app_docker(f"/bench-launch-{name}"))
            r.raise_for_status()
        for n in ns:
            raw, raw_ret, api, dock = [], [], {k: [] for k in cds}, {k: [] for k in cds}
            for rep in range(reps):
                if budget.spent():
                    log(f"launch: budget spent at N={n} rep {rep}")
                    break
                t0w = time.time()
                secs, ids = raw_docker.launch(docker.sock, n, IMAGE, n,
                                              sandbox_root=ctx["tmp"])
                last = last_started(docker, ids)
                row = {"raw": None if last is None else last - t0w}
                raw_docker.remove_all(docker.sock)
                for name, cd in cds.items():
                    app_id = f"/bench-launch-{name}"
                    td, ta = cd_scale_started(cd, docker, app_id, n, timeout=120)
                    row[name] = (td, ta)
                    cd_drain(cd, docker, app_id)
                # Keep only complete rounds, so that the ratios pair up.
                if row["raw"] is None or any(row[k][0] is None for k in cds):
                    log(f"launch N={n} rep {rep}: incomplete, dropped: {row}")
                    continue
                raw.append(row["raw"])
                raw_ret.append(secs)
                for name in cds:
                    dock[name].append(row[name][0])
                    api[name].append(row[name][1])
                log(f"launch N={n} rep {rep}: raw {row['raw']:.3f}s (calls {secs:.3f}s) "
                    + " ".join(f"cd-{k} {dock[k][-1]:.3f}s" for k in cds))
            entry = {"raw_s": summary(raw), "raw_calls_s": summary(raw_ret)}
            for name in cds:
                entry[f"clusterd_{name}_docker_s"] = summary(dock[name])
                entry[f"clusterd_{name}_api_s"] = summary(api[name])
                entry[f"ratio_{name}"] = ratio(entry[f"clusterd_{name}_docker_s"],
                                               entry["raw_s"])
            res["by_n"][str(n)] = entry
    finally:
        for cd in cds.values():
            cd.close()
        raw_docker.remove_all(docker.sock)
    return res


def cd_scale_api(cd, app_id, n, timeout, poll_s=0.02):
    """PUT instances=n; seconds until the API says n tasks run, or None."""
    t0 = time.monotonic()
    r = cd.put(f"/v2/apps{app_id}", params={"force": "true"}, json={"instances": n})
    r.raise_for_status()
    while time.monotonic() - t0 < timeout:
        a = cd.app(app_id)
        if a and a.get("tasksRunning") == n and a.get("tasksStaged", 0) == 0:
            return time.monotonic() - t0
        time.sleep(poll_s)
    return None


def cd_drain_api(cd, app_id, timeout=60):
    cd.put(f"/v2/apps{app_id}", params={"force": "true"}, json={"instances": 0})
    if wait_count(lambda: len(cd.tasks(app_id)), 0, timeout, 0.1) is None:
        log(f"warning: {app_id} did not drain within {timeout}s")


def bench_fetch(ctx, reps, budget_s, size_mib=20):
    """The fetcher's cost, timed apart from the launch itself."""
    budget = Budget(budget_s)
    www = os.path.join(ctx["tmp"], "fetch-www")
    os.makedirs(www, exist_ok=True)
    blob = os.path.join(www, "blob")
    with open(blob, "wb") as f:  # incompressible: what crosses the wire is what is written
        for _ in range(size_mib):
            f.write(os.urandom(1 << 20))
    with tarfile.open(os.path.join(www, "pkg.tar.gz"), "w:gz") as t:
        t.add(blob, arcname="pkg/blob")
    os.unlink(blob)
    srv = H.FileServer(www)
    uri = f"{srv.url}/pkg.tar.gz"
    cd = BenchClusterd(ctx["binary"], os.path.join(ctx["tmp"], "fetch"),
                       args=["--containerizers=mesos"],
                       resources="cpus:8;mem:8192;disk:100000;ports:[31000-31099]")
    variants = {"none": None, "fetched": {"uri": uri},
                "cached": {"uri": uri, "cache": True}}
    res = {"method": f"a plain-process task (--containerizers=mesos) from PUT "
                     f"instances=1 until the API says it runs; fetching a {size_mib} MiB "
                     f"tar.gz of random bytes from a local HTTP server (downloaded, then "
                     f"extracted), or from the fetcher's cache (primed before the runs); "
                     f"runs interleaved", "size_mib": size_mib}
    times = {k: [] for k in variants}
    try:
        cd.start()
        for name, item in variants.items():
            app = {"id": f"/bench-fetch-{name}", "cmd": "exec sleep 1000000", "cpus": 0.1,
                   "mem": 32, "instances": 0, "fetch": [item] if item else []}
            cd.post("/v2/apps", json=app).raise_for_status()
        # Prime the cache.
        cd_scale_api(cd, "/bench-fetch-cached", 1, 120)
        cd_drain_api(cd, "/bench-fetch-cached")
        for i in range(reps):
            if budget.spent():
                log(f"fetch: budget spent at rep {i}")
                break
            row = {}
            for name in variants:
                row[name] = cd_scale_api(cd, f"/bench-fetch-{name}", 1, 120)
                cd_drain_api(cd, f"/bench-fetch-{name}")
            if any(v is None for v in row.values()):
                log(f"fetch rep {i}: incomplete, dropped: {row}")
                continue
            for name, v in row.items():
                times[name].append(v)
            log(f"fetch rep {i}: " + " ".join(f"{k} {v:.3f}s" for k, v in row.items()))
        for name in variants:
            res[f"{name}_s"] = summary(times[name])
    finally:
        cd.close()
        srv.stop()
    return res


# ---------------------------------------------------------------------------
# 2. Docker swarm mode


class Swarm:
    """A swarm of one node on its own private dockerd, driven through the
    Engine API (the calls `docker service scale/update` make, without the
    CLI's process start-up)."""

    SERVICE = "benchsvc"

    def __init__(self, daemon):
        self.d = daemon
        self.env = dict(os.environ, DOCKER_HOST="unix://" + daemon.sock)
        self.sid = None

    def cli(self, *args, check=True):
        r = subprocess.run(["docker", *args], env=self.env, capture_output=True, text=True,
                           timeout=120, check=False)
        if check and r.returncode != 0:
            raise RuntimeError(f"docker {' '.join(args)}: {r.returncode}: {r.stderr.strip()}")
        return r

    def init(self):
        self.cli("swarm", "init", "--advertise-addr", "127.0.0.1",
                 "--listen-addr", "127.0.0.1:0")

    def create(self, extra=()):
        """The service: host network (no bridge, no iptables here), stop grace
        1 s as clusterd's --docker_stop_timeout in this run."""
        if self.sid:
            self.remove()
        self.cli("service", "create", "--detach", "--name", self.SERVICE, "--network", "host",
                 "--replicas", "0", "--stop-grace-period", "1s", *extra, IMAGE,
                 "sh", "-c", "sleep 1000000")
        self.sid = self.d.call("GET", f"/services/{self.SERVICE}")["ID"]

    def spec(self):
        s = self.d.call("GET", f"/services/{self.sid}")
        return s["Version"]["Index"], s["Spec"]

    def update(self, fn):
        version, spec = self.spec()
        spec = copy.deepcopy(spec)
        fn(spec)
        self.d.call("POST", f"/services/{self.sid}/update", body=spec,
                    params={"version": version})

    def scale(self, n):
        def f(spec):
            spec["Mode"]["Replicated"]["Replicas"] = n
        self.update(f)

    def label(self):
        return f"com.docker.swarm.service.name={self.SERVICE}"

    def running(self, extra_label=None):
        labels = [self.label()] + ([extra_label] if extra_label else [])
        return self.d.call("GET", "/containers/json", params={"filters": json.dumps(
            {"label": labels, "status": ["running"]})})

    def drain(self, timeout=120):
        self.scale(0)
        if wait_count(lambda: count_all(self.d, self.label()), 0, timeout, 0.1) is None:
            log("warning: swarm service did not drain")

    def remove(self):
        self.cli("service", "rm", self.SERVICE, check=False)
        wait_count(lambda: count_all(self.d, self.label()), 0, 60, 0.1)
        self.sid = None

    def leave(self):
        self.cli("swarm", "leave", "--force", check=False)


def swarm_scale(sw, n, timeout=180):
    t0 = time.monotonic()
    sw.scale(n)
    t = wait_count(lambda: len(sw.running()), n, timeout)
    return None if t is None else time.monotonic() - t0


def kill_one(docker, containers):
    c = containers[0]
    docker.call("POST", f"/containers/{c['Id']}/kill", params={"signal": "KILL"}, ok=(204,))
    return c["Id"]


def heal_time(docker, list_fn, n, timeout=120):
    """Kill one of n running containers; seconds until n run again, one new."""
    before = list_fn()
    if len(before) != n:
        return None
    t0 = time.monotonic()
    killed = kill_one(docker, before)

    def healed():
        now = list_fn()
        ids = {c["Id"] for c in now}
        return len(now) == n and killed not in ids
    t = wait_count(lambda: bool(healed()), True, timeout)
    return None if t is None else time.monotonic() - t0


def bench_swarm(ctx, reps, budget_s):
    docker, binary = ctx["docker"], ctx["binary"]
    budget = Budget(budget_s)
    res = {"method": "swarm driven through the Engine API (service update with Replicas or "
                     "a new container label, the calls docker service scale/update make); "
                     "clusterd through PUT /v2/apps/{id}; both until Docker lists the "
                     "wanted running containers (polled every 20 ms)"}
    sd = H.DockerDaemon()
    cd = None
    try:
        try:
            sd.start()
            sd.load_test_images()
            sw = Swarm(sd)
            sw.init()
            sw.create()
        except Exception as e:  # pylint: disable=broad-except
            res["error"] = f"swarm mode could not run here: {e}"
            log(res["error"])
            return res
        res["swarm_version"] = sd.call("GET", "/version").get("Version")
        cd = BenchClusterd(binary, os.path.join(ctx["tmp"], "swarm-cd"), docker_sock=docker.sock,
                           resources="cpus:64;mem:65536;disk:100000;ports:[31000-31099]")
        cd.start()
        app = "/bench-swarm"
        cd.post("/v2/apps", json=app_docker(app, labels={"bench_gen": "0"})).raise_for_status()
        lab = f"clusterd.app_id={app}"

        # scale 0 -> 20 -> 100
        s20, s100, c20, c100, r20, r80 = [], [], [], [], [], []
        for rep in range(reps):
            if budget.left() < 120:
                break
            s20.append(swarm_scale(sw, 20))
            s100.append(swarm_scale(sw, 100))
            sw.drain()
            t, _ = cd_scale(cd, docker, app, 20, 180)
            c20.append(t)
            t, _ = cd_scale(cd, docker, app, 100, 180)
            c100.append(t)
            cd_drain(cd, docker, app, 180)
            secs, _ = raw_docker.launch(docker.sock, 20, IMAGE, 20, sandbox_root=ctx["tmp"])
            r20.append(secs)
            secs, _ = raw_docker.launch(docker.sock, 80, IMAGE, 80, sandbox_root=ctx["tmp"])
            r80.append(secs)
            raw_docker.remove_all(docker.sock)
            log(f"swarm scale rep {rep}: swarm {s20[-1]} {s100[-1]} clusterd {c20[-1]} "
                f"{c100[-1]} raw {r20[-1]:.2f} {r80[-1]:.2f}")
        scale = {"swarm_0_20_s": summary(s20), "swarm_20_100_s": summary(s100),
                 "clusterd_0_20_s": summary(c20), "clusterd_20_100_s": summary(c100),
                 "raw_20_s": summary(r20), "raw_80_s": summary(r80)}
        scale["ratio_clusterd_to_swarm_0_20"] = ratio(scale["clusterd_0_20_s"],
                                                      scale["swarm_0_20_s"])
        scale["ratio_clusterd_to_swarm_20_100"] = ratio(scale["clusterd_20_100_s"],
                                                        scale["swarm_20_100_s"])
        scale["ratio_clusterd_to_raw_0_20"] = ratio(scale["clusterd_0_20_s"], scale["raw_20_s"])
        scale["ratio_clusterd_to_raw_20_100"] = ratio(scale["clusterd_20_100_s"],
                                                      scale["raw_80_s"])
        scale["ratio_swarm_to_raw_0_20"] = ratio(scale["swarm_0_20_s"], scale["raw_20_s"])
        scale["ratio_swarm_to_raw_20_100"] = ratio(scale["swarm_20_100_s"], scale["raw_80_s"])
        res["scale"] = scale

        # self-healing at 20 running: swarm's default restart delay (5 s) and 0 s
        heal = {"swarm_default_s": [], "swarm_restart_delay_0_s": [], "clusterd_s": []}
        if budget.left() > 60:
            cd_scale(cd, docker, app, 20, 180)
            for key, extra in (("swarm_default_s", ()),
                               ("swarm_restart_delay_0_s", ("--restart-delay", "0s"))):
                sw.create(extra)
                swarm_scale(sw, 20)
                for rep in range(reps):
                    if budget.left() < 60:
                        break
                    heal[key].append(heal_time(sd, sw.running, 20))
                    if key == "swarm_default_s":
                        heal["clusterd_s"].append(
                            heal_time(docker, lambda: running(docker, lab), 20))
                    time.sleep(0.5)
            log(f"heal: { {k: summary(v)['median'] for k, v in heal.items()} }")
        res["self_healing"] = {k: summary(v) for k, v in heal.items()}
        res["self_healing"]["ratio_clusterd_to_swarm_default"] = ratio(
            res["self_healing"]["clusterd_s"], res["self_healing"]["swarm_default_s"])
        res["self_healing"]["ratio_clusterd_to_swarm_restart_delay_0"] = ratio(
            res["self_healing"]["clusterd_s"], res["self_healing"]["swarm_restart_delay_0_s"])
        res["self_healing"]["clusterd_config"] = "backoffSeconds 1 (default)"

        # rolling update of 20 (a new container label: a new app version / task spec)
        roll = {"swarm_default_s": [], "swarm_tuned_s": [], "clusterd_default_s": []}
        gen = [0]

        def swarm_roll():
            gen[0] += 1
            g = str(gen[0])
            t0 = time.monotonic()
            sw.update(lambda s: s["TaskTemplate"]["ContainerSpec"].setdefault(
                "Labels", {}).update({"bench_gen": g}))

            def done():
                now = sw.running()
                return len(now) == 20 and all(
                    c["Labels"].get("bench_gen") == g for c in now)
            t = wait_count(lambda: bool(done()), True, 600)
            return None if t is None else time.monotonic() - t0

        def cd_roll():
            gen[0] += 1
            g = str(gen[0])
            t0 = time.monotonic()
            r = cd.put(f"/v2/apps{app}", params={"force": "true"},
                       json={"labels": {"bench_gen": g}})
            r.raise_for_status()

            def done():
                now = running(docker, lab)
                return len(now) == 20 and all(
                    c["Labels"].get("bench_gen") == g for c in now)
            t = wait_count(lambda: bool(done()), True, 600)
            return None if t is None else time.monotonic() - t0

        # Swarm's default rolls one task at a time with a 5 s monitor
        # (about 90 s for 20): at most 3 repetitions of it fit the budget.
        roll_default_reps = min(reps, 3)
        if len(running(docker, lab)) != 20:
            cd_scale(cd, docker, app, 20, 180)
        tuned = ("--update-parallelism", "0", "--update-delay", "0s", "--update-monitor", "1s",
                 "--update-order", "start-first")
        for rep in range(reps):
            if budget.left() < 200:
                break
            roll["clusterd_default_s"].append(cd_roll())
        log(f"roll clusterd: {summary(roll['clusterd_default_s'])['median']}")
        for key, extra, n_reps in (("swarm_tuned_s", tuned, reps),
                                   ("swarm_default_s", (), roll_default_reps)):
            if budget.left() < 60:
                break
            sw.create(extra)
            swarm_scale(sw, 20)
            for rep in range(n_reps):
                if budget.left() < (100 if key == "swarm_default_s" else 20):
                    break
                roll[key].append(swarm_roll())
                log(f"roll {key} rep {rep}: {roll[key][-1]}")
        res["rolling_update"] = {k: summary(v) for k, v in roll.items()}
        res["rolling_update"]["swarm_default_config"] = ("--update-parallelism 1 "
                                                         "--update-delay 0s --update-monitor 5s "
                                                         "--update-order stop-first; at most 3 "
                                                         "repetitions (about 90 s each)")
        res["rolling_update"]["swarm_tuned_config"] = ("--update-parallelism 0 (all at once) "
                                                       "--update-delay 0s --update-monitor 1s "
                                                       "--update-order start-first")
        res["rolling_update"]["clusterd_config"] = ("upgradeStrategy default: "
                                                    "minimumHealthCapacity 1, "
                                                    "maximumOverCapacity 1")
        ru = res["rolling_update"]
        ru["ratio_clusterd_to_swarm_default"] = ratio(ru["clusterd_default_s"],
                                                      ru["swarm_default_s"])
        ru["ratio_clusterd_to_swarm_tuned"] = ratio(ru["clusterd_default_s"],
                                                    ru["swarm_tuned_s"])
    finally:
        if cd is not None:
            cd.close()
        try:
            docker.remove_labelled("clusterd.task_id")
        except (OSError, H.DockerError):
            pass
        if sd.proc is not None:
            try:
                Swarm(sd).leave()
            except Exception:  # pylint: disable=broad-except
                pass
        sd.stop()
    return res


# ---------------------------------------------------------------------------
# 3. API throughput with wrk


WRK_LAT = re.compile(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$")
UNIT = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def wrk(url, conns, seconds, threads=2, headers=None):
    """One wrk run: req/s and latencies in ms (headers: one "Name: value")."""
    cmd = ["wrk", f"-t{min(threads, conns)}", f"-c{conns}", f"-d{seconds}s", "--latency",
           "--timeout", "30s"]
    if headers:
        cmd += ["-H", headers]
    cmd.append(url)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=False)
    out = {"rps": None, "p50_ms": None, "p99_ms": None, "max_ms": None, "errors": 0}
    for line in r.stdout.splitlines():
        m = WRK_LAT.match(line)
        if m:
            out[f"p{m.group(1)}_ms"] = float(m.group(2)) * UNIT[m.group(3)]
        elif line.strip().startswith("Latency") and "%" in line:
            parts = line.split()
            mx = re.match(r"([\d.]+)(us|ms|s)", parts[3])
            if mx:
                out["max_ms"] = float(mx.group(1)) * UNIT[mx.group(2)]
        elif line.startswith("Requests/sec:"):
            out["rps"] = float(line.split()[1])
        elif "Non-2xx" in line or "Socket errors" in line:
            out["errors"] += sum(int(x) for x in re.findall(r"\d+", line))
    out.pop("p75_ms", None)
    out.pop("p90_ms", None)
    if not out["rps"]:
        out["wrk_output"] = (r.stdout + r.stderr)[-1500:]
    return out


def wrk_reps(url, conns, seconds, reps, budget):
    runs = []
    for _ in range(reps):
        if budget.spent() and runs:
            break
        runs.append(wrk(url, conns, seconds))
    res = {k: summary([r[k] for r in runs]) for k in ("rps", "p50_ms", "p99_ms", "max_ms")}
    res["errors"] = sum(r["errors"] for r in runs)
    bad = [r["wrk_output"] for r in runs if "wrk_output" in r]
    if bad:
        res["wrk_output"] = bad[0]
    res["connections"] = conns
    res["seconds_each"] = seconds
    return res


def settle(base, timeout=120):
    """Wait until the loop has no backlog: three /ping in a row each answered
    within 20 ms. After a wrk run at 64 connections the master still builds
    the replies wrk left queued when it stopped, and a request timed then
    measures that backlog, not the endpoint (the 6-9 s outliers of earlier
    runs). Returns the seconds waited."""
    t0 = time.monotonic()
    fast = 0
    while fast < 3 and time.monotonic() - t0 < timeout:
        t = time.monotonic()
        try:
            requests.get(f"{base}/ping", timeout=timeout)
            fast = fast + 1 if time.monotonic() - t < 0.02 else 0
        except requests.RequestException:
            fast = 0
        time.sleep(0.05)
    return time.monotonic() - t0


def single_requests(url, n, budget, base=None):
    """n sequential GETs, each on a new connection: latency in ms. With base,
    wait for the server's backlog to drain first (settle)."""
    ms, codes = [], {}
    if base is not None:
        settle(base)
    for _ in range(n):
        if budget.spent() and ms:
            break
        t0 = time.monotonic()
        try:
            r = requests.get(url, timeout=60)
            codes[r.status_code] = codes.get(r.status_code, 0) + 1
            ms.append((time.monotonic() - t0) * 1000.0)
        except requests.RequestException as e:
            codes[type(e).__name__] = codes.get(type(e).__name__, 0) + 1
    return {"ms": summary(ms), "status": codes}


def fixture_apps(n):
    """n apps in the fixture's real-world shapes, with new ids, 0 instances."""
    with open(FIXTURE, encoding="utf-8") as f:
        base = json.load(f)["apps"]
    apps = []
    for i in range(n):
        a = copy.deepcopy(base[i % len(base)])
        a.pop("versionInfo", None)
        a.pop("version", None)
        a["id"] = f"/bench/g{i // 100:02d}/{a['id'].strip('/').replace('/', '-')}-{i:04d}"
        a["instances"] = 0
        apps.append(a)
    return apps


def log_warnings(text):
    """WARN/ERROR lines of a log, counted by shape (ids and numbers masked)."""
    shapes = {}
    for line in text.splitlines():
        if " WARN " not in line and " ERROR " not in line:
            continue
        msg = line.split(" ", 1)[1] if " " in line else line
        msg = re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27,}(-S\d+)?", "<id>", msg)
        msg = re.sub(r"\d+", "N", msg)
        shapes[msg] = shapes.get(msg, 0) + 1
    return dict(sorted(shapes.items(), key=lambda kv: -kv[1])[:15])


def load_apps(cd, apps):
    """POST each app; the ids of those accepted, and the refusals by reason."""
    ok, refused = [], {}
    for a in apps:
        r = cd.post("/v2/apps", json=a)
        if r.status_code == 201:
            ok.append(a["id"])
        else:
            key = f"{r.status_code} {r.text[:160]}"
            refused[key] = refused.get(key, 0) + 1
    return ok, refused


class Nginx:
    """nginx (Debian's nginx-light) serving files from a directory on
    127.0.0.1 with a private configuration, as fast as it goes: sendfile,
    no access log, keep-alive without a request limit. Started by the bench,
    stopped by pid."""

    def __init__(self, work_dir, workers):
        self.dir = work_dir
        self.root = os.path.join(work_dir, "www")
        os.makedirs(self.root, exist_ok=True)
        self.workers = workers
        self.port = free_port()
        self.proc = None
        self.conf = os.path.join(work_dir, "nginx.conf")
        with open(self.conf, "w", encoding="utf-8") as f:
            # The bench runs as root, its directories are 0700: workers
            # as root, or they could not read the file (403 to every request).
            user = "user root root;\n" if os.geteuid() == 0 else ""
            f.write(f"""{user}worker_processes {workers};
daemon off;
pid {work_dir}/nginx.pid;
error_log {work_dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_requests 1000000;
    keepalive_timeout 120s;
    default_type application/json;
    client_body_temp_path {work_dir}/tmp;
    proxy_temp_path {work_dir}/tmp;
    fastcgi_temp_path {work_dir}/tmp;
    uwsgi_temp_path {work_dir}/tmp;
    scgi_temp_path {work_dir}/tmp;
    server {{
        listen 127.0.0.1:{self.port};
        root {self.root};
    }}
}}
""")
        os.makedirs(os.path.join(work_dir, "tmp"), exist_ok=True)

    def put(self, name, data):
        with open(os.path.join(self.root, name), "wb") as f:
            f.write(data)
        return f"http://127.0.0.1:{self.port}/{name}"

    def start(self):
        with open(os.path.join(self.dir, "stdout.log"), "ab") as logf:
            self.proc = subprocess.Popen(["nginx", "-p", self.dir, "-c", self.conf],
                                         stdin=subprocess.DEVNULL, stdout=logf,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        def up():
            if self.proc.poll() is not None:
                raise RuntimeError("nginx exited: " + H.tail(os.path.join(self.dir, "error.log"), 20))
            with socket.socket() as so:
                return so.connect_ex(("127.0.0.1", self.port)) == 0
        H.wait_until(up, timeout=30, what="nginx listening")

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful: workers too
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)


def free_port():
    with socket.socket() as so:
        so.bind(("127.0.0.1", 0))
        return so.getsockname()[1]


def interleaved(jobs, reps, budget):
    """jobs: {key: (url, conns, seconds, headers)}. wrk on each in turn, reps
    rounds (each key once per round, so that the machine's noise falls on
    all alike); {key: summaries}."""
    runs = {k: [] for k in jobs}
    for i in range(reps):
        if budget.spent() and i > 0:
            break
        for k, (url, conns, secs, headers) in jobs.items():
            runs[k].append(wrk(url, conns, secs, headers=headers))
    out = {}
    for k, rs in runs.items():
        res = {m: summary([r[m] for r in rs]) for m in ("rps", "p50_ms", "p99_ms", "max_ms")}
        res["errors"] = sum(r["errors"] for r in rs)
        bad = [r["wrk_output"] for r in rs if "wrk_output" in r]
        if bad:
            res["wrk_output"] = bad[0]
        res["connections"] = jobs[k][1]
        res["seconds_each"] = jobs[k][2]
        out[k] = res
    return out


def med(x):
    return x.get("median") if isinstance(x, dict) else None


def rps_ratio(a, b):
    """a's req/s over b's, per round and of the medians."""
    return ratio(a["rps"], b["rps"]) if a and b else None


def side_results(res, name):
    """The dict a side's figures go to: the top level for clusterd (the keys
    summary.py has always read), res[name] for the others."""
    return res if name == "clusterd" else res.setdefault(name, {})


def launch_tasks(cd, n_task_apps, per_app, deadline):
    """Post the task apps 10 at a time, each batch waited for; (running,
    seconds, samples)."""
    samples = []
    t0 = time.monotonic()

    def running_tasks():
        n = sum(a["tasksRunning"] for a in cd.get("/v2/apps", timeout=120).json()["apps"])
        samples.append((round(time.monotonic() - t0, 1), n))
        return n
    batch = 10
    for b in range(0, n_task_apps, batch):
        for i in range(b, min(b + batch, n_task_apps)):
            r = cd.post("/v2/apps", json={
                "id": f"/bench/tasks/a{i:03d}", "cmd": "sleep 1000000", "cpus": 0.01,
                "mem": 1, "instances": per_app, "portDefinitions": []})
            r.raise_for_status()
        goal = min(b + batch, n_task_apps) * per_app
        if wait_count(lambda g=goal: min(running_tasks(), g), goal,
                      max(1, deadline - time.monotonic()), 1.0) is None:
            break
    return running_tasks(), time.monotonic() - t0, samples


def bench_api(ctx, reps, budget_s, seconds, n_apps=1000, n_agents=1000, n_task_apps=100,
              per_app=100, state_only=False):
    """The API section. With ctx["baseline"] (--baseline), a second master
    runs the baseline binary (say main's) with the same apps and tasks, and
    every wrk measurement alternates between the two (and nginx), round by
    round, so both see the same machine. With state_only (--api-state-only),
    only the agents, tasks and state endpoints: no 1,000 apps, no nginx."""
    budget = Budget(budget_s)
    sides = [("clusterd", ctx["binary"])]
    if ctx.get("baseline"):
        sides.append(("baseline", ctx["baseline"]))
    res = {"method": f"wrk -c64 for {seconds}s per run, the sides ({', '.join(n for n, _ in sides)},"
                     f" nginx) in turn each round; one 30 s run per side for the state "
                     f"endpoints, which are also timed one request at a time; clusterd "
                     f"--master with bench/sim_agents (agents with --containerizers=sim)",
           "sides": [n for n, _ in sides], "state_only": state_only}
    cds, fleets, nginxes = {}, {}, {}
    try:
        for name, binary in sides:
            cd = BenchClusterd(binary, os.path.join(ctx["tmp"], f"api-{name}"), role="--master")
            cds[name] = cd
            cd.start()
            out = side_results(res, name)
            out["memory"] = {"master_idle_kib": proc_status(cd.pid())["VmRSS"]}
            if state_only:
                out["memory"]["master_1000_apps_kib"] = out["memory"]["master_idle_kib"]
                continue
            t0 = time.monotonic()
            ok, refused = load_apps(cd, fixture_apps(n_apps))
            out["apps_loaded"] = len(ok)
            out["apps_refused"] = refused
            out["load_apps_s"] = time.monotonic() - t0
            out["memory"]["master_1000_apps_kib"] = proc_status(cd.pid())["VmRSS"]
            log(f"api {name}: {len(ok)} apps loaded in {out['load_apps_s']:.1f}s, "
                f"refused {refused}")
            out["app_id_used"] = ok[len(ok) // 2]
        if not state_only:
            bench_api_lists(ctx, res, cds, nginxes, reps, budget, seconds)

        # 1,000 simulated agents per master, then 10,000 tasks on them,
        # one side after the other; then the state endpoints in turn.
        want = n_task_apps * per_app
        for name, cd in cds.items():
            out = side_results(res, name)
            fleet = SimAgents(ctx["sim_agents"], os.path.join(ctx["tmp"], f"fleet-{name}"),
                              f"127.0.0.1:{cd.ports['master']}", n_agents)
            fleets[name] = fleet
            t0 = time.monotonic()
            fleet.start()
            reg = wait_count(lambda c=cd: len(c.get("/master/slaves", base=c.master_url)
                                              .json()["slaves"]), n_agents, 120, 0.2)
            out["agents_registered_s"] = None if reg is None else time.monotonic() - t0
            out["memory"]["master_1000_agents_kib"] = proc_status(cd.pid())["VmRSS"]
            out["memory"]["fleet_1000_agents_kib"] = proc_status(fleet.proc.pid)["VmRSS"]
            # The task apps go in batches of 10 apps (1,000 tasks), each
            # waited for: posting all 10,000 at once overloads the master
            # (see BENCHMARKS.md), and this measures the launch rate at scale.
            deadline = time.monotonic() + min(400, max(60, budget.left() - 150 * len(cds)))
            n, secs, samples = launch_tasks(cd, n_task_apps, per_app, deadline)
            out["agents"] = n_agents
            out["tasks_wanted"] = want
            out["tasks_running"] = n
            out["tasks_running_s"] = secs
            out["tasks_per_s"] = n / secs
            out["tasks_running_progress"] = samples[-10:]
            log(f"api {name}: {n} of {want} tasks running after {secs:.0f}s")
            mark = cpu_mark(cd.pid())
            time.sleep(10)
            out["master_idle_cpu_percent_at_scale"] = cpu_pct_since(cd.pid(), mark)
            mem = out["memory"]
            mem["master_10000_tasks_kib"] = proc_status(cd.pid())["VmRSS"]
            mem["fleet_10000_tasks_kib"] = proc_status(fleet.proc.pid)["VmRSS"]
            if n:
                out["master_kib_per_agent"] = (mem["master_1000_agents_kib"]
                                               - mem["master_1000_apps_kib"]) / n_agents
                out["master_kib_per_task"] = (mem["master_10000_tasks_kib"]
                                              - mem["master_1000_agents_kib"]) / n
            sz = {}
            for path, base in (("/v2/apps?embed=apps.tasks", cd.url),
                               ("/master/state", cd.master_url), ("/v2/apps", cd.url),
                               ("/v2/tasks", cd.url)):
                r = cd.get(path, base=base, timeout=120)
                sz[path] = len(r.content)
            sz["/master/state gzip"] = len(cd.get(
                "/master/state", base=cd.master_url, headers={"Accept-Encoding": "gzip"},
                stream=True, timeout=120).raw.read())
            out["body_bytes"] = sz
        # The state endpoints: one request at a time (the SPEC's "answers in
        # < 50 ms"), timed by the client over a new connection each, then
        # wrk at 64 connections for throughput, the sides in turn.
        state_urls = {}
        for name, cd in cds.items():
            state_urls[(name, "get_apps_embed_tasks")] = f"{cd.url}/v2/apps?embed=apps.tasks"
            state_urls[(name, "get_tasks")] = f"{cd.url}/v2/tasks"
            state_urls[(name, "get_master_state")] = f"{cd.master_url}/master/state"
        for (name, key), url in state_urls.items():
            side_results(res, name)[key + "_single"] = single_requests(
                url, 4 * reps, budget, base=cds[name].url)
        # A reply of the old build takes ~0.15 s of the one loop, so 64 in
        # flight need ~10 s a round: one longer run says more than several
        # short ones.
        jobs = {k: (url, 64, 30, None) for k, url in state_urls.items()}
        for name, cd in cds.items():
            jobs[(name, "get_master_state_gzip")] = (f"{cd.master_url}/master/state", 64, 30,
                                                     "Accept-Encoding: gzip")
        for (name, key), r in interleaved(jobs, 1, budget).items():
            side_results(res, name)[key] = r
            single = side_results(res, name).get(key + "_single")
            log(f"api {name}: {key}: single p50 "
                f"{single['ms']['median'] if single else '-'} ms, "
                f"c64 {r['rps']['median']} req/s")
        if "baseline" in res:
            for key in ("get_apps_embed_tasks", "get_tasks", "get_master_state",
                        "get_master_state_gzip"):
                res[key + "_vs_baseline"] = rps_ratio(res.get(key), res["baseline"].get(key))
    finally:
        for ngx in nginxes.values():
            ngx.close()
        for fleet in fleets.values():
            fleet.close()
        for name, cd in cds.items():
            cd.close()
            side_results(res, name)["master_log_warnings"] = log_warnings(cd.log_text())
    return res


def bench_memory(ctx, n_agents, n_task_apps, per_app, budget_s):
    """The master's memory per agent and per task: clusterd --master (master,
    scheduler, tracker and store in one process), RSS before the agents, after
    they registered and after every task runs. RssAnon (the heap) apart from
    RssFile (mostly LMDB's map, which is page cache)."""
    budget = Budget(budget_s)
    res = {"method": f"clusterd --master; bench/sim_agents with {n_agents} agents; "
                     f"{n_task_apps} apps x {per_app} instances (--containerizers=sim); "
                     "/proc/<pid>/status deltas",
           "agents": n_agents, "tasks_wanted": n_task_apps * per_app}
    cd = BenchClusterd(ctx["binary"], os.path.join(ctx["tmp"], "mem"), role="--master")
    fleet = None
    try:
        cd.start()
        time.sleep(2)
        m0 = proc_status(cd.pid())
        fleet = SimAgents(ctx["sim_agents"], os.path.join(ctx["tmp"], "mem-fleet"),
                          f"127.0.0.1:{cd.ports['master']}", n_agents)
        fleet.start(timeout=300)
        wait_count(lambda: len(cd.get("/master/slaves", base=cd.master_url)
                               .json()["slaves"]), n_agents, 300, 0.5)
        time.sleep(5)
        m1 = proc_status(cd.pid())
        n, secs, _ = launch_tasks(cd, n_task_apps, per_app,
                                  time.monotonic() + max(60, budget.left() - 30))
        time.sleep(10)
        m2 = proc_status(cd.pid())
        res.update({"tasks_running": n, "tasks_running_s": secs,
                    "master_before_agents": m0, "master_after_agents": m1,
                    "master_after_tasks": m2})
        for k in ("VmRSS", "RssAnon"):
            res[f"{k}_bytes_per_agent"] = (m1[k] - m0[k]) * 1024 / n_agents
            if n:
                res[f"{k}_bytes_per_task"] = (m2[k] - m1[k]) * 1024 / n
        log(f"memory: {n_agents} agents, {n} tasks in {secs:.0f}s: "
            f"RssAnon {res['RssAnon_bytes_per_agent']:.0f} B/agent, "
            f"{res.get('RssAnon_bytes_per_task', 0):.0f} B/task; VmRSS "
            f"{res['VmRSS_bytes_per_agent']:.0f} B/agent, "
            f"{res.get('VmRSS_bytes_per_task', 0):.0f} B/task")
    finally:
        if fleet is not None:
            fleet.close()
        cd.close()
    return res


SCALE_CONSTRAINTS = ([], [["rack", "GROUP_BY", "10"]], [["zone", "LIKE", "zone-[0-3]"]],
                     [["rack", "MAX_PER", "2"]])


class LatencySampler:
    """GET /v2/apps and GET /v2/apps/{id} in turn, one at a time on a
    connection of its own, until stopped: (seconds since start, path, ms)."""

    def __init__(self, cd, app_id):
        self.cd = cd
        self.paths = ("/v2/apps", f"/v2/apps{app_id}")
        self.samples = []
        self.errors = 0
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.t0 = time.monotonic()

    def _run(self):
        sess = requests.Session()
        i = 0
        while not self.stop_flag.is_set():
            path = self.paths[i % 2]
            i += 1
            t = time.monotonic()
            try:
                sess.get(self.cd.url + path, timeout=60).raise_for_status()
                self.samples.append((round(t - self.t0, 2), path,
                                     (time.monotonic() - t) * 1000))
            except requests.RequestException:
                self.errors += 1
            self.stop_flag.wait(0.05)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stop_flag.set()
        self.thread.join(timeout=120)

    def summary(self, path):
        xs = sorted(ms for _, p, ms in self.samples if p == path)
        if not xs:
            return {"n": 0}
        return {"n": len(xs), "p50": round(xs[len(xs) // 2], 2),
                "p99": round(xs[min(len(xs) - 1, int(len(xs) * 0.99))], 2),
                "max": round(xs[-1], 2)}


def bench_scale(ctx, n_agents, per_fleet, n_apps, per_app, budget_s):
    """Issue 15 item 4: clusterd --master with n_agents simulated agents
    (fleets of per_fleet in processes of their own) and n_apps apps of
    per_app instances, every app with ["hostname","UNIQUE"] and three in four
    also GROUP_BY, LIKE or MAX_PER, all posted at once. Measured: the seconds
    from the first POST until the API says every task runs, the master's RSS,
    GET /v2/apps and /v2/apps/{id} latency during the launch, and the
    master's CPU while idle afterwards."""
    budget = Budget(budget_s)
    want = n_apps * per_app
    res = {"method": f"clusterd --master; {n_agents} agents of bench/sim_agents in fleets of "
                     f"{per_fleet} (one process each, --containerizers=sim); {n_apps} apps x "
                     f"{per_app} instances with constraints, posted one after the other; "
                     "latency sampled one request at a time during the launch",
           "agents": n_agents, "tasks_wanted": want,
           "master_args": ctx.get("scale_master_args", [])}
    cd = BenchClusterd(ctx["binary"], os.path.join(ctx["tmp"], "scale"), role="--master",
                       args=ctx.get("scale_master_args", []))
    fleets, sampler = [], None
    try:
        cd.start()
        m0 = proc_status(cd.pid())
        master = f"127.0.0.1:{cd.ports['master']}"
        for k in range(0, n_agents, per_fleet):
            f = SimAgents(ctx["sim_agents"], os.path.join(ctx["tmp"], f"scale-fleet-{k}"),
                          master, min(per_fleet, n_agents - k), first=k,
                          resources="cpus:16;mem:65536;disk:100000;ports:[31000-32000]")
            fleets.append(f)
            f.start(timeout=600)
        res["agents_registered_s"] = wait_count(
            lambda: len(cd.get("/master/slaves", base=cd.master_url, timeout=120)
                        .json()["slaves"]), n_agents, min(900, budget.left()), 1.0)
        m1 = proc_status(cd.pid())
        sampler = LatencySampler(cd, "/bench/scale/a0000").start()
        t0 = time.monotonic()
        res["apps_posted"] = 0
        for i in range(n_apps):
            if budget.left() < 120:
                break  # measure what there is
            app = {"id": f"/bench/scale/a{i:04d}", "cmd": "sleep 1000000", "cpus": 0.01,
                   "mem": 1, "instances": per_app, "portDefinitions": [],
                   "constraints": [["hostname", "UNIQUE"], *SCALE_CONSTRAINTS[i % 4]]}
            cd.post("/v2/apps", json=app, timeout=120).raise_for_status()
            res["apps_posted"] = i + 1
        res["posted_s"] = time.monotonic() - t0
        want = res["apps_posted"] * per_app
        progress = []

        def running_tasks():
            n = sum(a["tasksRunning"] for a in cd.get("/v2/apps", timeout=120).json()["apps"])
            progress.append((round(time.monotonic() - t0, 1), n))
            return n
        done = wait_count(lambda: min(running_tasks(), want), want,
                          max(60, budget.left() - 60), 2.0)
        res["all_running_s"] = None if done is None else time.monotonic() - t0
        res["tasks_running"] = progress[-1][1] if progress else 0
        res["progress"] = progress
        sampler.stop()
        res["get_apps_ms"] = sampler.summary("/v2/apps")
        res["get_app_ms"] = sampler.summary("/v2/apps/bench/scale/a0000")
        res["sample_errors"] = sampler.errors
        sampler = None
        m2 = proc_status(cd.pid())
        time.sleep(10)
        mark = cpu_mark(cd.pid())
        time.sleep(30)
        res["idle_cpu_pct"] = cpu_pct_since(cd.pid(), mark)
        res.update({"master_before_agents": m0, "master_after_agents": m1,
                    "master_after_tasks": m2, "master_rss_mib": m2["VmRSS"] / 1024,
                    "master_hwm_mib": m2["VmHWM"] / 1024})
        log(f"scale: {res['tasks_running']}/{want} tasks running after "
            f"{res['all_running_s'] or time.monotonic() - t0:.0f}s; master RSS "
            f"{res['master_rss_mib']:.0f} MiB (peak {res['master_hwm_mib']:.0f}); "
            f"GET /v2/apps p99 {res['get_apps_ms'].get('p99')} ms, /v2/apps/{{id}} p99 "
            f"{res['get_app_ms'].get('p99')} ms; idle CPU {res['idle_cpu_pct']:.1f} %")
    finally:
        if sampler is not None:
            sampler.stop()
        for f in fleets:
            f.close()
        cd.close()
    return res


def bench_api_lists(ctx, res, cds, nginxes, reps, budget, seconds):
    """GET /v2/apps/{id} and GET /v2/apps (plain and gzip) at 64 connections,
    beside nginx serving the very bytes from a file, the sides in turn."""
    # nginx serves clusterd's very bytes of GET /v2/apps from a file,
    # with one worker (one loop, as clusterd) and with one per core.
    body = cds["clusterd"].get("/v2/apps").content
    res["get_apps_bytes"] = len(body)
    res["get_apps_gzip_bytes"] = len(cds["clusterd"].get(
        "/v2/apps", headers={"Accept-Encoding": "gzip"}, stream=True).raw.read())
    for workers in ("1", "auto"):
        ng = Nginx(os.path.join(ctx["tmp"], f"nginx-{workers}"), workers)
        url = ng.put("apps.json", body)
        nginxes[workers] = ng
        ng.start()
        r = requests.get(url, timeout=30)
        if r.status_code != 200 or r.content != body:
            raise RuntimeError(f"nginx answers {r.status_code}, {len(r.content)} bytes")
    jobs = {}
    for name, cd in cds.items():
        jobs[(name, "get_app")] = (f"{cd.url}/v2/apps{side_results(res, name)['app_id_used']}",
                                   64, seconds, None)
        jobs[(name, "get_apps")] = (f"{cd.url}/v2/apps", 64, seconds, None)
        jobs[(name, "get_apps_gzip")] = (f"{cd.url}/v2/apps", 64, seconds,
                                         "Accept-Encoding: gzip")
    for workers, ng in nginxes.items():
        jobs[("nginx", f"workers_{workers}")] = (
            f"http://127.0.0.1:{ng.port}/apps.json", 64, seconds, None)
    for name, cd in cds.items():
        side_results(res, name)["get_apps_single"] = single_requests(
            f"{cd.url}/v2/apps", 4 * reps, budget, base=cd.url)
    for (name, key), r in interleaved(jobs, reps, budget).items():
        if name == "nginx":
            res.setdefault("nginx", {})[key] = r
        else:
            side_results(res, name)[key] = r
    ng = res.get("nginx", {})
    res["get_apps_vs_nginx_1"] = rps_ratio(res.get("get_apps"), ng.get("workers_1"))
    res["get_apps_vs_nginx_auto"] = rps_ratio(res.get("get_apps"), ng.get("workers_auto"))
    if "baseline" in res:
        b = res["baseline"]
        res["get_apps_vs_baseline"] = rps_ratio(res.get("get_apps"), b.get("get_apps"))
        res["get_app_vs_baseline"] = rps_ratio(res.get("get_app"), b.get("get_app"))
        b["get_apps_vs_nginx_1"] = rps_ratio(b.get("get_apps"), ng.get("workers_1"))
        b["get_apps_vs_nginx_auto"] = rps_ratio(b.get("get_apps"), ng.get("workers_auto"))
    log("api GET /v2/apps: " + ", ".join(
        f"{n} {med(side_results(res, n).get('get_apps', {}).get('rps'))} req/s"
        for n in cds) + ", nginx " + ", ".join(
        f"{w} workers {med(ng.get(f'workers_{w}', {}).get('rps'))} req/s" for w in nginxes))
    for ngx in nginxes.values():
        ngx.close()
    nginxes.clear()


# ---------------------------------------------------------------------------
# 4. allocator and placement simulation


def strace_attach(pid, path):
    """strace -c -f on pid's fdatasync/fsync/msync, once every thread is traced."""
    p = subprocess.Popen(["strace", "-f", "-qq", "-c", "-o", path, "-e",
                          "trace=fdatasync,fsync,msync", "-p", str(pid)],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)

    def traced():
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/status", encoding="utf-8") as f:
                if "\nTracerPid:\t0\n" in f.read():
                    return False
        return True
    H.wait_until(traced, timeout=10, what="strace attached")
    return p


def strace_detach(p, path):
    """Stop strace (SIGINT: detach, write the summary); {syscall: calls}."""
    p.send_signal(signal.SIGINT)
    p.wait(timeout=30)
    calls = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            cols = line.split()
            if len(cols) >= 5 and cols[-1] in ("fdatasync", "fsync", "msync"):
                calls[cols[-1]] = int(cols[3])
    return calls


def store_commits(cd):
    """The store's commit counter, or None (a build before group commit)."""
    g = cd.get("/metrics").json().get("gauges", {})
    v = g.get("clusterd.store.commits.gauge")
    return int(v["value"]) if v else None


def bench_syncs(ctx, reps, budget_s, n_docker=50, n_sim=10000):
    """fdatasyncs and commits of a launch and kill, per --store_sync; budget_s per kind.
    A sim launch of more than 1,000 tasks runs once per binary (minutes each)."""
    # The same binary with each --store_sync, and a baseline build (main's,
    # say) as it syncs by default.
    bins = {"clusterd": (ctx["binary"], ["--store_sync=group"]),
            "commit": (ctx["binary"], ["--store_sync=commit"])}
    if ctx.get("baseline"):
        bins["baseline"] = (ctx["baseline"], [])
    kinds = {"docker": (n_docker, []), "sim": (n_sim, ["--containerizers=sim"])}
    res = {"method": "one --all-in-one per run on a fresh work_dir: an app of 0 instances is "
                     "created, then strace -c -f is attached by pid and PUT instances=N waits "
                     "until the API says N run, PUT instances=0 until none is left; "
                     "fdatasync calls from strace's summary, commits from /metrics "
                     "(clusterd.store.commits.gauge; a build without it: null); runs "
                     "interleaved across binaries", "by_kind": {}}
    for kind, (n, args) in kinds.items():
        budget = Budget(budget_s)
        rows = {b: {"fdatasync": [], "commits": [], "seconds": []} for b in bins}
        big = kind == "sim" and n > 1000
        wait_s = max(300, n * 0.1)
        for rep in range(1 if big else reps):
            for b, (binary, bargs) in bins.items():
                if budget.spent():
                    break
                work = os.path.join(ctx["tmp"], f"syncs-{kind}-{b}-{rep}")
                cd = BenchClusterd(binary, work, docker_sock=ctx["docker"].sock,
                                   args=args + bargs,
                                   resources=f"cpus:{max(64, n // 50)};mem:65536;"
                                             "disk:100000;ports:[31000-31099]")
                try:
                    cd.start()
                    app = app_docker("/bench-syncs") if kind == "docker" else {
                        "id": "/bench-syncs", "cmd": "sleep 1000000", "cpus": 0.01,
                        "mem": 1, "instances": 0, "portDefinitions": []}
                    cd.post("/v2/apps", json=app).raise_for_status()
                    c0 = store_commits(cd)
                    path = os.path.join(work, "strace.txt")
                    st = strace_attach(cd.pid(), path)
                    t0 = time.monotonic()
                    try:
                        up = cd_scale_api(cd, "/bench-syncs", n, timeout=wait_s,
                                          poll_s=0.5 if big else 0.02)
                        cd_drain_api(cd, "/bench-syncs", timeout=wait_s)
                    finally:
                        calls = strace_detach(st, path)
                    secs = time.monotonic() - t0
                    c1 = store_commits(cd)
                finally:
                    cd.close()
                    if kind == "docker":
                        ctx["docker"].remove_labelled("clusterd.task_id")
                if up is None:
                    log(f"syncs {kind} {b} rep {rep}: N={n} never ran, dropped")
                    continue
                rows[b]["fdatasync"].append(calls.get("fdatasync", 0))
                rows[b]["commits"].append(None if c0 is None else c1 - c0)
                rows[b]["seconds"].append(secs)
                log(f"syncs {kind} N={n} {b} rep {rep}: {calls} commits "
                    f"{rows[b]['commits'][-1]} in {secs:.1f}s")
        entry = {"n": n}
        for b, r in rows.items():
            commits = [c for c in r["commits"] if c is not None]
            entry[b] = {"fdatasync": summary(r["fdatasync"]),
                        "commits": summary(commits) if commits else None,
                        "seconds": summary(r["seconds"])}
        # group against commit: the same binary, the flag alone
        entry["fewer_syncs"] = ratio(entry["commit"]["fdatasync"],
                                     entry["clusterd"]["fdatasync"])
        if "baseline" in rows:
            entry["fewer_syncs_than_baseline"] = ratio(entry["baseline"]["fdatasync"],
                                                       entry["clusterd"]["fdatasync"])
        res["by_kind"][kind] = entry
    return res


def bench_alloc(ctx, reps):
    r = subprocess.run([ctx["sim_alloc"], f"--reps={reps}"], capture_output=True, text=True,
                       timeout=600, check=True)
    return json.loads(r.stdout)


# ---------------------------------------------------------------------------
# 5. footprint


def bench_footprint(ctx, idle_s=30):
    binary = ctx["binary"]
    res = {}
    stripped = os.path.join(ctx["tmp"], "clusterd.stripped")
    shutil.copy(binary, stripped)
    subprocess.run(["strip", stripped], check=True)
    res["binary_bytes"] = os.path.getsize(binary)
    res["stripped_bytes"] = os.path.getsize(stripped)
    cd = BenchClusterd(binary, os.path.join(ctx["tmp"], "footprint"),
                       docker_sock=ctx["docker"].sock)
    try:
        cd.start()
        pid = cd.pid()
        time.sleep(3)  # registration, first offers
        hz = os.sysconf("SC_CLK_TCK")
        c0, w0, t0 = proc_cpu_ticks(pid), proc_write_bytes(pid), time.monotonic()
        time.sleep(idle_s)
        c1, w1, t1 = proc_cpu_ticks(pid), proc_write_bytes(pid), time.monotonic()
        st = proc_status(pid)
        res["idle_seconds"] = idle_s
        res["idle_rss_kib"] = st["VmRSS"]
        res["idle_hwm_kib"] = st["VmHWM"]
        res["idle_cpu_percent"] = 100.0 * (c1 - c0) / hz / (t1 - t0)
        res["idle_write_bytes"] = None if w0 is None else w1 - w0
        ok, refused = load_apps(cd, fixture_apps(1000))
        time.sleep(2)
        st = proc_status(pid)
        res["apps_loaded"] = len(ok)
        res["apps_refused"] = refused
        res["rss_1000_apps_kib"] = st["VmRSS"]
        # idle again, now with 1,000 apps
        c0, w0, t0 = proc_cpu_ticks(pid), proc_write_bytes(pid), time.monotonic()
        time.sleep(idle_s)
        c1, w1, t1 = proc_cpu_ticks(pid), proc_write_bytes(pid), time.monotonic()
        res["idle_1000_apps_cpu_percent"] = 100.0 * (c1 - c0) / hz / (t1 - t0)
        res["idle_1000_apps_write_bytes"] = None if w0 is None else w1 - w0
        res["rss_1000_apps_after_idle_kib"] = proc_status(pid)["VmRSS"]
    finally:
        cd.close()
    return res


# ---------------------------------------------------------------------------
# 6. agent recovery


def container_states(docker, label):
    """{container id: (StartedAt, RestartCount, Running)} of every container
    carrying label, running or not."""
    out = {}
    for c in docker.containers([label]):
        j = docker.inspect(c["Id"])
        st = j.get("State", {})
        out[c["Id"]] = (st.get("StartedAt"), j.get("RestartCount", 0), st.get("Running"))
    return out


def readopted(agent, offset):
    """Containers the agent has confirmed with Docker since log offset: the
    docker containerizer logs "re-adopted container" once it has inspected
    a recovered task's container, found it running and watches it again."""
    with open(agent.log_path, "rb") as f:
        f.seek(offset)
        return f.read().count(b"re-adopted container")


def agent_recovered(agent, n, offset=None):
    """The restarted agent is registered, reports n tasks TASK_RUNNING and
    (given the log offset of its start) has re-adopted n containers."""
    j = agent.get("/state", base=agent.agent_url, timeout=5).json()
    if not j.get("registered"):
        return False
    tasks = [t for fw in j.get("frameworks", []) for t in fw.get("tasks", [])]
    if sum(1 for t in tasks if t.get("state") == "TASK_RUNNING") != n:
        return False
    return offset is None or readopted(agent, offset) >= n


def bench_recovery(ctx, reps, budget_s, n=100):
    """SPEC 9: an agent restart with n running containers recovers all of them
    in < 5 s with zero restarts. A separate master and agent; the agent is
    killed with SIGKILL and started again on the same work_dir; timed from
    the new agent process's start until it is registered again, reports n
    tasks running and has re-adopted all n containers (inspected each one,
    found it running, watches it again). Each round also checks that Docker still has exactly the
    same n containers, never restarted, and that the API lists the same n
    task ids, all running."""
    docker, binary = ctx["docker"], ctx["binary"]
    budget = Budget(budget_s)
    app_id = "/bench-recovery"
    label = f"clusterd.app_id={app_id}"
    res = {"method": f"--master and --agent (docker containerizer), {n} running containers; "
                     "SIGKILL the agent, start it again; seconds from its start until it is "
                     f"registered, reports {n} tasks running and has re-adopted {n} "
                     "containers (its log's 're-adopted container' lines)",
           "instances": n}
    master = agent = None
    times, restarted, changed = [], [], []
    try:
        master = BenchClusterd(binary, os.path.join(ctx["tmp"], "rec-master"), role="--master")
        master.start()
        agent = BenchClusterd(binary, os.path.join(ctx["tmp"], "rec-agent"),
                              docker_sock=docker.sock, role="--agent",
                              args=[f"--master=127.0.0.1:{master.ports['master']}"],
                              resources="cpus:64;mem:65536;disk:100000;ports:[31000-31099]")
        agent.start()
        r = master.post("/v2/apps", json=app_docker(app_id, instances=n))
        r.raise_for_status()
        t = wait_count(lambda: len(running(docker, label)), n, 180, 0.2)
        if t is None:
            raise RuntimeError(f"{n} containers did not start within 180 s")
        H.wait_until(lambda: len(master.running_tasks(app_id)) == n, timeout=120,
                     what=f"{n} running tasks")
        H.wait_until(lambda: agent_recovered(agent, n), timeout=60, what="agent settled")
        before = container_states(docker, label)
        ids = {x["id"] for x in master.running_tasks(app_id)}
        for rep in range(reps):
            if budget.spent():
                log(f"recovery: budget spent at rep {rep}")
                break
            agent.kill9()
            offset = os.path.getsize(agent.log_path)
            t0 = time.monotonic()
            agent.start(timeout=60)
            took = wait_count(lambda: agent_recovered(agent, n, offset), True, 60, 0.02)
            if took is None:
                raise RuntimeError(f"the agent did not recover {n} tasks within 60 s")
            times.append(time.monotonic() - t0)
            after = container_states(docker, label)
            restarted.append(sum(1 for cid, (started, rc, run) in after.items()
                                 if cid not in before or before[cid][0] != started
                                 or rc != 0 or not run))
            now_ids = {x["id"] for x in master.running_tasks(app_id)}
            changed.append(len(set(after) ^ set(before)) + len(now_ids ^ ids))
            log(f"recovery rep {rep}: {times[-1]:.3f}s, restarted {restarted[-1]}, "
                f"changed {changed[-1]}")
        res["recover_s"] = summary(times)
        res["containers_restarted"] = sum(restarted)
        res["containers_or_tasks_changed"] = sum(changed)
    finally:
        if master is not None and master.running:
            try:
                master.put(f"/v2/apps{app_id}", params={"force": "true"}, json={"instances": 0})
                wait_count(lambda: len(running(docker, label)), 0, 120, 0.2)
            except (OSError, requests.RequestException):
                pass
        for cd in (agent, master):
            if cd is not None:
                cd.close()
        for cid in docker.containers([label]):
            docker.remove(cid["Id"])
    return res


# ---------------------------------------------------------------------------
# machine


def machine():
    m = {"nproc": os.cpu_count(), "kernel": platform.release()}
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                m["cpu"] = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                m["mem_kib"] = int(line.split()[1])
    try:
        m["docker"] = subprocess.run(["dockerd", "--version"], capture_output=True, text=True,
                                     check=False).stdout.strip()
    except OSError:
        m["docker"] = None
    try:
        m["wrk"] = subprocess.run(["wrk", "--version"], capture_output=True, text=True,
                                  check=False).stdout.splitlines()[0]
    except (OSError, IndexError):
        m["wrk"] = None
    m["git"] = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=False).stdout.strip()
    return m


SECTIONS = ("alloc", "footprint", "launch", "fetch", "recovery", "api", "dns", "failover",
            "swarm", "syncs", "memory", "scale")


# systemd/clusterd*.service: LimitNOFILE=65536. Every process the benchmark
# starts inherits this limit, so that a master with 10,000 agents has the
# descriptors an installed one has (its caches and connection caps follow
# the limit: a third of it per port, half of it for idle client connections).
SYSTEMD_NOFILE = 65536


def raise_nofile(want):
    """Raise RLIMIT_NOFILE to want (root may raise the hard limit too); the
    limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(want, hard)))
    except (ValueError, OSError):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
        except (ValueError, OSError):
            pass
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def main():
    ap = argparse.ArgumentParser(description="clusterd benchmarks (SPEC section 9)")
    ap.add_argument("--binary", default=os.path.join(ROOT, "clusterd"))
    ap.add_argument("--baseline", default=None,
                    help="another clusterd binary (say main's) the api section runs beside "
                         "--binary, its measurements interleaved with --binary's")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--sections", default=",".join(SECTIONS))
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--quick", action="store_true",
                    help="a smoke run: 1 repetition, small sizes, short wrk runs")
    ap.add_argument("--api-state-only", action="store_true",
                    help="the api section without its 1,000 apps and nginx: only the agents, "
                         "tasks and state endpoints (at full size even with --quick)")
    ap.add_argument("--mem-agents", type=int, default=1000,
                    help="simulated agents of the memory section (10 tasks each)")
    ap.add_argument("--scale-agents", type=int, default=10000,
                    help="simulated agents of the scale section (10 tasks each: 10,000 "
                         "agents, 1,000 apps x 100 instances)")
    ap.add_argument("--scale-budget", type=int, default=1800,
                    help="seconds the scale section may take; it stops posting apps 120 s "
                         "before the end and measures what there is")
    ap.add_argument("--scale-master-args", default="",
                    help="extra flags for the scale section's master, e.g. "
                         "--store_sync=commit (split at spaces)")
    ap.add_argument("--syncs-sim", type=int, default=10000,
                    help="tasks of the syncs section's simulated launch (issue 15's target "
                         "is set at 10,000; more than 1,000 runs once per binary)")
    ap.add_argument("--out", required=True, help="the JSON results file to write")
    a = ap.parse_args()
    sections = [s for s in a.sections.split(",") if s]
    for s in sections:
        if s not in SECTIONS:
            ap.error(f"unknown section {s} ({', '.join(SECTIONS)})")
    reps = 1 if a.quick else a.reps
    nofile = raise_nofile(SYSTEMD_NOFILE)
    tmp = tempfile.mkdtemp(prefix="cdb-", dir="/tmp")
    # Copy the binaries: a rebuild during the run must not change them, and
    # perf can still resolve symbols afterwards.
    ctx = {"tmp": tmp, "binary": shutil.copy(a.binary, os.path.join(tmp, "clusterd")),
           "sim_alloc": shutil.copy(os.path.join(a.build, "bench", "sim_alloc"), tmp),
           "sim_agents": shutil.copy(os.path.join(a.build, "bench", "sim_agents"), tmp),
           "scale_master_args": a.scale_master_args.split()}
    if a.baseline:
        ctx["baseline"] = shutil.copy(a.baseline, os.path.join(tmp, "clusterd-baseline"))
    out = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "machine": machine(), "nofile": nofile, "reps": reps, "quick": a.quick, "results": {}}
    t_start = time.monotonic()
    docker = None
    try:
        if {"launch", "swarm", "footprint", "recovery", "syncs"} & set(sections):
            docker = H.DockerDaemon()
            docker.start()
            docker.load_test_images()
            ctx["docker"] = docker
        for s in sections:
            t0 = time.monotonic()
            log(f"== {s}")
            try:
                if s == "alloc":
                    r = bench_alloc(ctx, reps)
                elif s == "footprint":
                    r = bench_footprint(ctx, 5 if a.quick else 30)
                elif s == "launch":
                    r = bench_launch(ctx, (1, 10) if a.quick else (1, 10, 50), reps,
                                     90 if a.quick else 420)
                elif s == "fetch":
                    r = bench_fetch(ctx, reps, 60 if a.quick else 240)
                elif s == "recovery":
                    r = bench_recovery(ctx, reps, 60 if a.quick else 180,
                                       n=20 if a.quick else 100)
                elif s == "dns":
                    r = dnsbench.bench_dns(ctx, reps, 60 if a.quick else 240,
                                           2 if a.quick else 5, summary, wrk,
                                           single_requests, Budget, H, BenchClusterd)
                elif s == "failover":
                    r = failbench.bench_failover(ctx, 1 if a.quick else 3,
                                                 120 if a.quick else 300, a.quick, summary,
                                                 log, H, BenchClusterd, SimAgents, Budget)
                elif s == "syncs":
                    r = bench_syncs(ctx, reps, 120 if a.quick else 600,
                                    n_docker=10 if a.quick else 50,
                                    n_sim=100 if a.quick else a.syncs_sim)
                elif s == "memory":
                    n = 100 if a.quick else a.mem_agents
                    r = bench_memory(ctx, n, n // 10, 100, 300 if a.quick else 900)
                elif s == "scale":
                    if a.quick:
                        r = bench_scale(ctx, 100, 100, 10, 10, 300)
                    else:
                        r = bench_scale(ctx, a.scale_agents, 1000, a.scale_agents // 10, 100,
                                        a.scale_budget)
                elif s == "api":
                    k = 2 if a.baseline else 1
                    if a.api_state_only:
                        r = bench_api(ctx, reps, 600 * k, 4, state_only=True)
                    elif a.quick:
                        r = bench_api(ctx, reps, 60 * k, 2, n_apps=100, n_agents=50,
                                      n_task_apps=10, per_app=10)
                    else:
                        r = bench_api(ctx, reps, 600 * k, 4)
                else:
                    r = bench_swarm(ctx, reps, 200 if a.quick else 720)
            except Exception as e:  # pylint: disable=broad-except
                log(f"{s} failed: {e!r}")
                r = {"error": repr(e)}
            r["section_seconds"] = time.monotonic() - t0
            out["results"][s] = r
            with open(a.out, "w", encoding="utf-8") as f:
                json.dump(out, f, indent=1)
    finally:
        if docker is not None:
            docker.stop()
        out["total_seconds"] = time.monotonic() - t_start
        with open(a.out, "w", encoding="utf-8") as f:
            json.dump(out, f, indent=1)
        shutil.rmtree(tmp, ignore_errors=True)
    log(f"wrote {a.out} in {out['total_seconds']:.0f}s")


if __name__ == "__main__":
    main()
