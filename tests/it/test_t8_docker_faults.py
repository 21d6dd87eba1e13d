"""t8 (issue 11, item 7): Docker faults, against a private dockerd of this
module (the session's is never stopped), with its data-root on a tmpfs.

- dockerd stopped, restarted, and killed with -9 while launches are in
  flight: the starts of three containers are held in a proxy (they are
  created, not started), the daemon goes down, the starts go on and fail,
  the daemon comes back. Launches that failed say "Docker daemon
  unreachable"; once the daemon is back the app runs exactly its
  instances, one running container per task, and no container is left of
  a task that ended (removals are retried while the daemon is away).
- an image pull that never answers: TASK_FAILED "image pull timed out
  after 2s (...)" by --docker_pull_timeout, its own timeout, and no
  container;
- the Engine API answering 500 to a create or a start: TASK_FAILED "...:
  Docker API 500: <the daemon's message>", no container left; once the
  daemon answers again the app converges;
- a full data-root: TASK_FAILED naming "no space left on device"; once
  there is room the app converges.

The proxy (docker_proxy.py) is for what the daemon cannot be made to do on
cue: a pull that hangs, a 500, a launch held in flight. The rest is the
real daemon.
"""
import os
import signal
import subprocess
import time

import pytest

import clusterd_harness as harness
from clusterd_harness import TEST_IMAGE, wait_until
from docker_proxy import DockerProxy, Rule
from faultsim import EventRecorder

APP_ID = "dk"


class TmpfsDocker(harness.DockerDaemon):
    """A private dockerd whose data-root is a tmpfs of size_mb, on a
    containerd of its own, as on a host where containerd is a service of its
    own: a dockerd killed with -9 leaves containerd and the containers'
    shims running, and a new dockerd attaches to them again. (A containerd
    that dockerd manages dies with it, and this machine's init does not
    reap it.)"""

    def __init__(self, size_mb):
        super().__init__()
        self.data = os.path.join(self.dir, "data")
        os.makedirs(self.data)
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m,mode=0711", "tmpfs",
                        self.data], check=True)
        self.ctd_dir = os.path.join(self.dir, "ctd")
        self.ctd_sock = os.path.join(self.ctd_dir, "c.sock")
        self.ctd = None

    def _start_containerd(self):
        os.makedirs(self.ctd_dir, exist_ok=True)
        conf = os.path.join(self.ctd_dir, "config.toml")
        with open(conf, "w", encoding="utf-8") as f:
            f.write('version = 2\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n')
        with open(os.path.join(self.ctd_dir, "log"), "ab") as log:
            self.ctd = subprocess.Popen(
                ["containerd", "--config", conf, "--address", self.ctd_sock,
                 "--root", os.path.join(self.ctd_dir, "root"),
                 "--state", os.path.join(self.ctd_dir, "state")],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        wait_until(lambda: os.path.exists(self.ctd_sock), timeout=30, what="containerd's socket")

    def start(self, timeout=60):
        if self.ctd is None or self.ctd.poll() is not None:
            self._start_containerd()
        conf = os.path.join(self.dir, "daemon.json")
        with open(conf, "w", encoding="utf-8") as f:
            f.write("{}\n")
        cmd = ["dockerd", "--config-file", conf, "--storage-driver", "vfs", "--iptables=false",
               "--bridge=none", "--data-root", self.data, "--containerd", self.ctd_sock,
               "--exec-root", os.path.join(self.dir, "exec"), "-H", "unix://" + self.sock,
               "--pidfile", os.path.join(self.dir, "pid")]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while not self.ping():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("dockerd did not come up:\n" + harness.tail(self.log_path, 30))
            time.sleep(0.1)

    def signal(self, sig):
        """sig to dockerd alone; wait for it to exit."""
        self.proc.send_signal(sig)
        self.proc.wait(timeout=60)

    def stop(self):
        super().stop()  # dockerd, its containers, the mounts below dir
        if self.ctd is not None and self.ctd.poll() is None:
            self.ctd.terminate()
            try:
                self.ctd.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.ctd.kill()
                self.ctd.wait(timeout=30)

    def fill(self):
        """Fill the data-root; returns the filler's path."""
        path = os.path.join(self.data, "filler")
        with open(path, "wb", buffering=0) as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
            except OSError:
                pass
            try:
                while True:
                    f.write(b"\0" * 512)
            except OSError:
                pass
        return path


@pytest.fixture(scope="module")
def own_dockerd():
    if os.geteuid() != 0:
        pytest.fail("needs root (a private dockerd on a tmpfs)", pytrace=False)
    d = TmpfsDocker(256)
    try:
        d.start()
        d.load_test_images()
    except Exception as e:  # pylint: disable=broad-except
        d.stop()
        pytest.fail(f"cannot start a private dockerd: {e}", pytrace=False)
    yield d
    if d.proc.poll() is not None:
        d.start()  # stop() wants a running daemon to clean up
    d.stop()


@pytest.fixture
def proxy(own_dockerd):
    p = DockerProxy(own_dockerd.sock, os.path.join(own_dockerd.dir, "proxy.sock")).start()
    yield p
    p.stop()


@pytest.fixture
def cluster(clusterd_bin, own_dockerd, proxy, tmp_path):
    """start(*args): clusterd on the proxy's socket, cleaned up after."""
    pool = harness.ClusterdPool(clusterd_bin, tmp_path, docker=own_dockerd)
    recorders = []

    def start(*args):
        cd = pool.start("--containerizers=docker", *args, start=False)
        cd.docker_sock = proxy.path
        cd.start()
        rec = EventRecorder(lambda: cd.url).start()
        recorders.append(rec)
        return cd, rec
    yield start
    for r in recorders:
        r.stop()
    if own_dockerd.proc.poll() is not None:
        own_dockerd.start()
    errors = pool.close()
    if errors:
        pytest.fail("\n".join(errors), pytrace=False)


def docker_app(instances, image=TEST_IMAGE, **kw):
    app = {"id": APP_ID, "cmd": "sleep 1000", "cpus": 0.05, "mem": 16, "instances": instances,
           "backoffSeconds": 1, "backoffFactor": 1.0, "maxLaunchDelaySeconds": 2,
           "container": {"type": "DOCKER", "docker": {"image": image, "network": "HOST"}}}
    app.update(kw)
    return app


def mine(dockerd, cd):
    """This agent's containers (all states)."""
    cd.note_agent_id()
    return [c for aid in cd.agent_ids for c in dockerd.containers([f"clusterd.agent_id={aid}"])]


def converged(dockerd, cd, n):
    """n running tasks, each in exactly one running container, and no other
    container of this agent (ended tasks' containers removed)."""
    tasks = cd.tasks(APP_ID)
    run = {t["id"] for t in tasks if t["state"] == "TASK_RUNNING"}
    if len(run) != n or len(tasks) != n or cd.get("/v2/deployments").json():
        return False
    cs = mine(dockerd, cd)
    live = [c["Labels"].get("clusterd.task_id") for c in cs if c.get("State") == "running"]
    assert len(live) == len(set(live)), f"two containers for one task: {live}"
    return set(live) == run and len(cs) == n


def failures(rec):
    return [(e["taskId"], e.get("message", "")) for e in rec.status_updates(APP_ID)
            if e.get("taskStatus") == "TASK_FAILED"]


def terminal_once(rec):
    """Every task's terminal update arrives once."""
    seen = {}
    for e in rec.status_updates(APP_ID):
        if e.get("taskStatus") in ("TASK_FAILED", "TASK_KILLED", "TASK_FINISHED", "TASK_LOST",
                                   "TASK_ERROR", "TASK_DROPPED", "TASK_GONE"):
            seen[e["taskId"]] = seen.get(e["taskId"], 0) + 1
    dup = {t: n for t, n in seen.items() if n > 1}
    assert not dup, f"terminal updates more than once: {dup}"


@pytest.mark.parametrize("how", ["stop", "restart", "kill9"])
def test_dockerd_down_while_launches_in_flight(cluster, own_dockerd, proxy, how):
    cd, rec = cluster()
    hold = proxy.add(Rule("POST", r"^/v[0-9.]+/containers/[^/]+/start", "hold"))
    assert cd.post("/v2/apps", json=docker_app(3)).status_code == 201
    # Three containers created, their starts in flight.
    wait_until(lambda: len(proxy.held) == 3, timeout=60, what="three starts in flight")
    assert len(mine(own_dockerd, cd)) == 3
    own_dockerd.signal(signal.SIGKILL if how == "kill9" else signal.SIGTERM)
    proxy.clear()
    proxy.release()  # the starts reach a daemon that is gone
    wait_until(lambda: len(failures(rec)) >= 3, timeout=60, what="the three launches failed")
    if how == "stop":
        time.sleep(3)  # down for a while: relaunches fail too
    own_dockerd.start()
    wait_until(lambda: converged(own_dockerd, cd, 3), timeout=120, interval=0.5,
               what="3 tasks in 3 containers after the daemon came back")
    assert hold.hits >= 3
    for tid, msg in failures(rec):
        assert "Docker daemon unreachable" in msg or "Docker daemon did not answer" in msg \
            or "exited with status" in msg, (tid, msg)
    first = failures(rec)[:3]
    assert all("Docker daemon unreachable" in m for _, m in first), first
    terminal_once(rec)
    # Nothing more appears.
    harness.holds_for(lambda: converged(own_dockerd, cd, 3), duration=3)


def test_dockerd_restart_with_tasks_running(cluster, own_dockerd):
    cd, rec = cluster()
    assert cd.post("/v2/apps", json=docker_app(2)).status_code == 201
    wait_until(lambda: converged(own_dockerd, cd, 2), timeout=60, what="2 running")
    before = {t["id"] for t in cd.tasks(APP_ID)}
    own_dockerd.signal(signal.SIGTERM)  # stops the containers (no live-restore)
    own_dockerd.start()
    # The agent reconnects: the ended tasks are reported and replaced.
    wait_until(lambda: converged(own_dockerd, cd, 2) and
               not before & {t["id"] for t in cd.tasks(APP_ID)}, timeout=120, interval=0.5,
               what="2 new tasks in 2 containers after the restart")
    ended = {e["taskId"] for e in rec.status_updates(APP_ID)
             if e["taskStatus"] in ("TASK_FAILED", "TASK_KILLED", "TASK_FINISHED")}
    assert before <= ended, (before, ended)
    terminal_once(rec)


def test_image_pull_that_hangs_times_out(cluster, own_dockerd, proxy):
    cd, rec = cluster("--docker_pull_timeout=2secs")
    proxy.add(Rule("POST", r"^/v[0-9.]+/images/create", "hang"))
    r = cd.post("/v2/apps", json=docker_app(1, image="fault-test/never-pulled:1"))
    assert r.status_code == 201, r.text
    wait_until(lambda: failures(rec), timeout=60, what="a TASK_FAILED")
    tid, msg = failures(rec)[0]
    assert msg == "image pull timed out after 2s (fault-test/never-pulled:1)", msg
    assert proxy.hung, "the pull never reached the proxy"
    assert mine(own_dockerd, cd) == []
    app = cd.get(f"/v2/apps/{APP_ID}", params={"embed": "apps.lastTaskFailure"}).json()["app"]
    assert app["lastTaskFailure"]["message"] == msg, app.get("lastTaskFailure")
    terminal_once(rec)


@pytest.mark.parametrize("step", ["create", "start"])
def test_engine_api_500(cluster, own_dockerd, proxy, step):
    cd, rec = cluster()
    path = r"^/v[0-9.]+/containers/create" if step == "create" \
        else r"^/v[0-9.]+/containers/[^/]+/start"
    proxy.add(Rule("POST", path, "fail", status=500, message="fault test: server error",
                   limit=2))
    assert cd.post("/v2/apps", json=docker_app(1)).status_code == 201
    wait_until(lambda: len(failures(rec)) >= 2, timeout=60, what="two TASK_FAILED")
    what = "creating the container" if step == "create" else "starting the container"
    for tid, msg in failures(rec):
        assert msg == f"{what}: Docker API 500: fault test: server error", msg
    # The daemon answers again: one task in one container, nothing left over.
    wait_until(lambda: converged(own_dockerd, cd, 1), timeout=60, interval=0.5,
               what="1 task in 1 container")
    terminal_once(rec)


def test_full_data_root(cluster, own_dockerd):
    cd, rec = cluster()
    filler = own_dockerd.fill()
    try:
        assert cd.post("/v2/apps", json=docker_app(1)).status_code == 201
        wait_until(lambda: failures(rec), timeout=60, what="a TASK_FAILED")
        tid, msg = failures(rec)[0]
        assert "no space left on device" in msg, msg
        assert msg.startswith(("creating the container: Docker API 500",
                               "starting the container: Docker API 500")), msg
    finally:
        os.unlink(filler)
    wait_until(lambda: converged(own_dockerd, cd, 1), timeout=60, interval=0.5,
               what="1 task in 1 container once there is room")
    terminal_once(rec)
