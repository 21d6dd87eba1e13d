"""The fault loop of the t8 tests, in the style of SQLite's do_faultsim_test.

A scenario is three phases on one work_dir, each a run of the fault build
(build-fault/clusterd, CLUSTERD_FAULT_BIN):

  setup   no fault armed: the state the operation starts from (an app
          running, say), then a clean stop (the tasks keep running);
  fault   CLUSTERD_FAULTS=POINT=k: start again (so recovery counts too),
          make the operation, wait for the cluster to settle, stop cleanly;
  verify  no fault armed: start again and check that the state is
          consistent and converges.

run_loop() repeats that for k = 1, 2, ... until a fault phase ends without
the point firing (the daemon logs "WARN fault: POINT: call k fails with
ERR" when it does), as SQLite fails the k-th malloc until the statement
completes without a failure.

What every run must show:
- in the fault phase, each API answer is a 2xx, or a 4xx/5xx with
  Marathon's error body {"message": "..."}; the daemon never crashes: it is
  still up when the phase ends, exits 0 on SIGTERM, and its log holds no
  sanitizer report;
- after the restart, nothing acknowledged is lost and nothing refused is
  half-written (each scenario says what that means for its operation);
- the instance counts converge with no deployment left, every running task
  is one process session (a plain-process task: pids found by their
  MESOS_TASK_ID), no process runs for a task that is not running, and no
  task id is listed twice.

CLUSTERD_FAULTSIM=full (make faultsim) walks every k; otherwise the loop is
bounded: k = 1, 2, 3, 5, 8, 13, ... and a subset of the scenarios, which is
what make test (CI) runs.
"""

import json
import os
import re
import shutil
import threading
import time

import requests

import clusterd_harness as harness
from clusterd_harness import wait_until

FULL = os.environ.get("CLUSTERD_FAULTSIM") == "full"
FIRE_RE = re.compile(r"WARN fault: (\S+): call (\d+) fails with (\w+)")
ERROR_RE = re.compile(r"^\S+ ")  # a log line's time stamp
# Every point of lib/fault.c.
POINTS = ("store.commit", "httpc.request", "httpd.accept", "docker.reply", "zk.op",
          "sandbox.mkdir", "sandbox.log")
# A guard against a point that fires forever (a periodic call): far above
# what any scenario makes.
MAX_K = 400
# Seconds for the cluster to settle after a fault: beyond the longest
# recovery timer a single fault may wait for: the scheduler's 30 s kill
# timeout; the agent's 10 s status update retry; the launch timeout
# (LAUNCH_TIMEOUT here, 5 minutes by default) for a task whose RunTask broke
# after it was sent (it stays staging, as the agent may have it).
SETTLE = 45
LAUNCH_TIMEOUT = "--task_launch_timeout=20secs"



def ks(max_k=MAX_K):
    """The k of the loop: every one (full), or a growing stride (bounded)."""
    if FULL:
        k = 1
        while k <= max_k:
            yield k
            k += 1
        return
    a, b = 1, 2
    yield 1
    while b <= max_k:
        yield b
        a, b = b, a + b


def fault_bin():
    path = os.environ.get("CLUSTERD_FAULT_BIN", os.path.abspath("build-fault/clusterd"))
    if not os.access(path, os.X_OK):
        raise FileNotFoundError(f"no fault build at {path}: run `make fault-build` "
                                "(make it builds it) or set CLUSTERD_FAULT_BIN")
    return path


class Unclean(AssertionError):
    pass


def check_answer(r, what):
    """A 2xx, or an error with Marathon's body. Returns whether it was a 2xx."""
    if 200 <= r.status_code < 300:
        return True
    if not 400 <= r.status_code < 600:
        raise Unclean(f"{what}: status {r.status_code}: {r.text[:300]}")
    try:
        body = r.json()
    except ValueError:
        raise Unclean(f"{what}: {r.status_code} without a JSON body: {r.text[:300]!r}") from None
    if not isinstance(body, dict) or not isinstance(body.get("message"), str) \
            or not body["message"]:
        raise Unclean(f"{what}: {r.status_code} without Marathon's error body: {body!r}")
    return False


# ---------------------------------------------------------------------------
# processes


def task_of_pid(pid):
    """The MESOS_TASK_ID and MESOS_SANDBOX of a process, or (None, None)."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            env = f.read().split(b"\0")
    except OSError:
        return None, None
    tid = box = None
    for e in env:
        if e.startswith(b"MESOS_TASK_ID="):
            tid = e.split(b"=", 1)[1].decode()
        elif e.startswith(b"MESOS_SANDBOX="):
            box = e.split(b"=", 1)[1].decode()
    return tid, box


def task_sessions(work_dirs):
    """{task id: {session ids}} of the plain-process tasks under work_dirs."""
    out = {}
    for wd in work_dirs:
        for pid in harness.task_pids(wd):
            tid, _ = task_of_pid(pid)
            if tid is None:
                continue
            try:
                sid = os.getsid(pid)
            except OSError:
                continue  # gone meanwhile
            out.setdefault(tid, set()).add(sid)
    return out


# ---------------------------------------------------------------------------
# one cluster: all-in-one, or a master and an agent


class Cluster:
    """clusterd processes of the fault build on one work_dir each.

    api is the process with the Marathon API (all-in-one or master); agent
    is the one running tasks (the same process in all-in-one).
    """

    def __init__(self, pool, split=False, docker=False):
        self.pool = pool
        self.split = split
        ctr = "--containerizers=docker,mesos" if docker else "--containerizers=mesos"
        if split:
            self.master_port = free_port()
            self.api = pool.start(f"--master_port={self.master_port}", LAUNCH_TIMEOUT,
                                  role="--master", start=False)
            self.agent = pool.start(f"--master=127.0.0.1:{self.master_port}", ctr,
                                    "--hostname=fs-node", role="--agent", start=False)
            self.procs = [self.api, self.agent]
        else:
            self.api = self.agent = pool.start(ctr, LAUNCH_TIMEOUT, start=False)
            self.procs = [self.api]

    @property
    def work_dirs(self):
        return [self.agent.work_dir]

    def start(self, which=None, faults=None):
        for p in self.procs if which is None else which:
            p.env = {"CLUSTERD_FAULTS": faults} if faults else {}
            p.start()
        if self.split:
            wait_until(self.agent_registered, timeout=30, what="the agent registered")

    def agent_registered(self):
        return self.agent.get("/state", base=self.agent.agent_url, timeout=5).json().get("registered")

    def stop(self, which=None):
        """SIGTERM and insist on exit 0: a fault must never cost a clean stop."""
        for p in reversed(self.procs) if which is None else which:
            if p.running:
                p.stop()

    def log_offset(self):
        return {p.log_path: len(p.log_text()) for p in self.procs}

    def log_since(self, offsets):
        return "".join(p.log_text()[offsets.get(p.log_path, 0):] for p in self.procs)


def free_port():
    import socket  # pylint: disable=import-outside-toplevel
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Api:
    """The test's requests to the API, checked for clean answers.

    With httpd.accept armed, the test's own connection may be the one the
    server closes at accept: the request never reached a handler, so it is
    sent again on a new connection (what any client does on a reset before
    a response).
    """

    def __init__(self, cd, point):
        self.cd = cd
        self.point = point

    def call(self, method, path, **kw):
        for attempt in range(5):
            try:
                r = self.cd.api(path, method, timeout=30, **kw)
            except requests.ConnectionError:
                if self.point != "httpd.accept" or attempt == 4:
                    raise
                self.cd.session.close()
                time.sleep(0.2)
                continue
            check_answer(r, f"{method} {path}")
            return r
        raise AssertionError("unreachable")


# ---------------------------------------------------------------------------
# checks


def running(cd, app_id):
    return [t for t in cd.tasks(app_id) if t.get("state") == "TASK_RUNNING"]


def converged(cluster, apps):
    """apps: {app id: instances}. True once each runs exactly its instances,
    no deployment is left, every running task is one process session and no
    process runs for a task that is not running; otherwise a description."""
    cd = cluster.api
    if cd.get("/v2/deployments", timeout=10).json():
        return False
    ids = []
    for app_id, n in apps.items():
        tasks = cd.tasks(app_id)
        run = [t["id"] for t in tasks if t.get("state") == "TASK_RUNNING"]
        if len(run) != n or len(tasks) != n:
            return False
        ids += run
    if len(ids) != len(set(ids)):
        raise AssertionError(f"a task id listed twice: {ids}")
    sessions = task_sessions(cluster.work_dirs)
    if set(sessions) != set(ids):
        return False
    return all(len(s) == 1 for s in sessions.values())


def describe(cluster, apps):
    cd = cluster.api
    out = {"deployments": cd.get("/v2/deployments", timeout=10).json(),
           "sessions": {k: sorted(v) for k, v in task_sessions(cluster.work_dirs).items()}}
    for app_id in apps:
        out[app_id] = [(t["id"], t.get("state")) for t in cd.tasks(app_id)]
    return json.dumps(out, indent=1)


def wait_converged(cluster, apps, timeout=60, what="convergence"):
    try:
        wait_until(lambda: converged(cluster, apps), timeout=timeout, interval=0.3, what=what)
    except AssertionError as e:
        raise AssertionError(f"{e}\nstate: {describe(cluster, apps)}") from None


def sanitizer_free(cluster):
    for p in cluster.procs:
        report = harness.sanitizer_report(p.log_text())
        if report:
            raise AssertionError(f"sanitizer report in {p.log_path}:\n{report}")


# ---------------------------------------------------------------------------
# the loop


class Run:
    """One k: what the scenario's phases see and record."""

    def __init__(self, point, k, cluster):
        self.point = point
        self.k = k
        self.cluster = cluster
        self.api = Api(cluster.api, point)
        self.fired = []
        self.notes = {}
        self.offsets = {}

    def settle(self, converged_fn, apps):
        """Wait for converged_fn() after the fault."""
        try:
            wait_until(converged_fn, timeout=SETTLE, interval=0.3,
                       what="the cluster to settle after the fault")
        except AssertionError as e:
            raise AssertionError(f"{e}\nstate: {describe(self.cluster, apps)}") from None

ARTIFACTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "artifacts", "faultsim")


def keep_logs(pool, name):
    """Copy the logs of a failed run to tests/it/artifacts/faultsim/NAME/
    (pytest's temporary directories rotate away)."""
    dest = os.path.join(ARTIFACTS, name)
    os.makedirs(dest, exist_ok=True)
    for i, inst in enumerate(pool.instances):
        try:
            shutil.copy(inst.log_path, os.path.join(dest, f"clusterd{i}.log"))
        except OSError:
            pass


def run_loop(pool_factory, scenario, point, log=print):
    """Run scenario for point with k = 1, 2, ... until no fault fires.

    scenario is an object with setup(run), fault(run), verify(run) and
    split/docker attributes. pool_factory(name) returns a fresh
    harness.ClusterdPool on the fault build for one k. Returns the list of
    (k, fired, seconds) it ran.
    """
    done = []
    for k in ks():
        t0 = time.monotonic()
        pool = pool_factory(f"{scenario.name}-{point}-{k}")
        try:
            cluster = Cluster(pool, split=scenario.split, docker=scenario.docker)
            run = Run(point, k, cluster)
            cluster.start()
            scenario.setup(run)
            cluster.stop(scenario.fault_procs(cluster))
            offsets = run.offsets = cluster.log_offset()
            try:
                cluster.start(scenario.fault_procs(cluster), faults=f"{point}={k}")
            except harness.ClusterdError as e:
                # A fault at start-up: a clean refusal to start is a clean
                # failure (exit code 1 and the reason in the log).
                run.fired = FIRE_RE.findall(cluster.log_since(offsets))
                if not run.fired:
                    raise
                run.notes["start"] = str(e).splitlines()[0]
            else:
                scenario.fault(run)
                for p in scenario.fault_procs(cluster):
                    assert p.running, f"clusterd died during the fault phase:\n{p.log_tail(60)}"
                cluster.stop(scenario.fault_procs(cluster))
                text = cluster.log_since(offsets)
                run.fired = FIRE_RE.findall(text)
                errors = sorted({ERROR_RE.sub("", l) for l in text.splitlines()
                                 if " ERROR " in l})
                if errors:
                    run.notes["errors"] = errors
            # Verify: the same processes again, no fault armed.
            cluster.start([p for p in scenario.fault_procs(cluster) if not p.running])
            scenario.verify(run)
            sanitizer_free(cluster)
        except BaseException as e:
            keep_logs(pool, f"{scenario.name}-{point}-{k}")
            e.args = (f"[{scenario.name} {point}={k}] " + (str(e.args[0]) if e.args else ""),
                      *e.args[1:])
            raise
        finally:
            errors = pool.close()
        if errors:
            raise AssertionError(f"[{scenario.name} {point}={k}] " + "\n".join(errors))
        shutil.rmtree(pool.base_dir, ignore_errors=True)
        secs = time.monotonic() - t0
        done.append((k, bool(run.fired), secs))
        log(f"faultsim {scenario.name} {point}={k}: "
            f"{'fired ' + str(run.fired[0][1]) if run.fired else 'no fault fired'} "
            f"{run.notes or ''} ({secs:.1f}s)")
        if not run.fired:
            break
    else:
        raise AssertionError(f"{scenario.name} {point}: still firing at k={MAX_K}")
    return done


# ---------------------------------------------------------------------------
# the event stream, recorded


class EventRecorder:
    """Every /v2/events event of one clusterd, read by a thread into a list.

    enter (optional) runs first in the thread, e.g. to move it into the
    network namespace the API lives in. Reconnects after a cut (a restart,
    a lossy link), so events may be missed across a reconnection only while
    the stream was down; the events themselves are never duplicated by the
    recorder.
    """

    def __init__(self, url_fn, enter=None):
        self.url_fn = url_fn
        self.enter = enter
        self.events = []
        self.connects = 0
        self._stop = threading.Event()
        self._resp = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()
        wait_until(lambda: self.connects > 0, timeout=30, what="the event stream open")
        return self

    def _run(self):
        if self.enter is not None:
            self.enter()
        while not self._stop.is_set():
            try:
                self._resp = requests.get(self.url_fn() + "/v2/events", stream=True,
                                          headers={"Accept": "text/event-stream"},
                                          timeout=(5, 60))
                if self._resp.status_code != 200:
                    raise requests.ConnectionError(f"status {self._resp.status_code}")
                self.connects += 1
                data = []
                for line in self._resp.iter_lines(decode_unicode=True):
                    if self._stop.is_set():
                        break
                    if line is None:
                        continue
                    if line == "":
                        if data:
                            self.events.append(json.loads("\n".join(data)))
                        data = []
                    elif line.startswith("data:"):
                        data.append(line[5:].lstrip(" "))
            except (requests.RequestException, ValueError, AttributeError):
                pass
            if not self._stop.is_set():
                time.sleep(0.3)

    def stop(self):
        self._stop.set()
        if self._resp is not None:
            try:
                self._resp.close()
            except Exception:  # pylint: disable=broad-except
                pass
        self._thread.join(timeout=10)

    def status_updates(self, app_id=None):
        return [e for e in list(self.events) if e.get("eventType") == "status_update_event"
                and (app_id is None or e.get("appId", "").lstrip("/") == app_id.lstrip("/"))]
