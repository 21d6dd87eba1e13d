"""t8 (issue 11, item 1): the fault loop (tests/it/faultsim.py says how a run
goes and what every run must show).

Scenarios, each with plain-process tasks (pids checkable) unless it says
docker:
- post     POST /v2/apps (2 instances) on an empty cluster;
- scale    an app of 1 scaled to 3 (PUT /v2/apps/{id} {"instances": 3});
- deploy   a rolling restart of an app of 2 (POST /v2/apps/{id}/restart);
- kill     one task of an app of 2 killed (DELETE .../tasks/{id}), replaced;
- agent    a separate master and agent, an app of 2 running; the agent
           restarts with the fault armed (recovery, re-registration), the
           master untouched, and one task's process is killed behind its
           back (the agent checkpoints and sends its end): the other task
           must be the same one, in the same process, and the dead one
           replaced;
- docker   POST /v2/apps of a docker app (2 instances): containers, not
           pids, counted by their clusterd.task_id label.

Each is run for the points its operation reaches. What "nothing
acknowledged lost, nothing refused half-written" means for each is in its
verify(). make test runs the bounded loop on the scenarios marked BOUNDED;
make faultsim runs them all, every k.
"""
import os
import signal

import pytest

import clusterd_harness as harness
import faultsim
from clusterd_harness import TEST_IMAGE, wait_until

APP_ID = "fs"


def app(instances, **kw):
    a = {"id": APP_ID, "cmd": "sleep 1000", "cpus": 0.05, "mem": 8, "instances": instances,
         "backoffSeconds": 1, "backoffFactor": 1.0,
         "upgradeStrategy": {"minimumHealthCapacity": 0.5, "maximumOverCapacity": 0.5}}
    a.update(kw)
    return a


def acked_or_absent(run, r):
    run.notes["acked"] = faultsim.check_answer(r, "the operation")
    if not run.notes["acked"]:
        run.notes["answer"] = f"{r.status_code} {r.json()['message']}"
    return run.notes["acked"]


class Scenario:
    name = "?"
    split = False
    docker = False

    def fault_procs(self, cluster):
        """The processes restarted with the fault armed."""
        return cluster.procs

    def setup(self, run):
        pass

    def settle(self, run, apps):
        run.settle(lambda: faultsim.converged(run.cluster, apps), apps)


class Post(Scenario):
    name = "post"

    def fault(self, run):
        r = run.api.call("POST", "/v2/apps", json=app(2))
        self.settle(run, {APP_ID: 2} if acked_or_absent(run, r) else {})

    def verify(self, run):
        cd = run.cluster.api
        if run.notes.get("acked"):
            assert cd.app(APP_ID)["instances"] == 2
            faultsim.wait_converged(run.cluster, {APP_ID: 2})
        else:
            # Refused (or never reached: a fault at start-up): nothing of it.
            assert cd.get(f"/v2/apps/{APP_ID}").status_code == 404
            faultsim.wait_converged(run.cluster, {})


class Scale(Scenario):
    name = "scale"

    def setup(self, run):
        cd = run.cluster.api
        assert cd.post("/v2/apps", json=app(1)).status_code == 201
        faultsim.wait_converged(run.cluster, {APP_ID: 1}, what="setup")

    def fault(self, run):
        r = run.api.call("PUT", f"/v2/apps/{APP_ID}", json={"instances": 3})
        self.settle(run, {APP_ID: 3 if acked_or_absent(run, r) else 1})

    def verify(self, run):
        n = 3 if run.notes.get("acked") else 1
        assert run.cluster.api.app(APP_ID)["instances"] == n
        faultsim.wait_converged(run.cluster, {APP_ID: n})


class Deploy(Scenario):
    name = "deploy"

    def setup(self, run):
        cd = run.cluster.api
        assert cd.post("/v2/apps", json=app(2)).status_code == 201
        faultsim.wait_converged(run.cluster, {APP_ID: 2}, what="setup")
        run.notes["old"] = sorted(t["id"] for t in cd.tasks(APP_ID))

    def fault(self, run):
        r = run.api.call("POST", f"/v2/apps/{APP_ID}/restart")
        acked_or_absent(run, r)
        self.settle(run, {APP_ID: 2})
        if run.notes["acked"]:
            self.check_new(run)

    def check_new(self, run):
        tasks = run.cluster.api.tasks(APP_ID)
        assert not {t["id"] for t in tasks} & set(run.notes["old"]), \
            f"old tasks still run after an acknowledged restart: {tasks}"

    def verify(self, run):
        faultsim.wait_converged(run.cluster, {APP_ID: 2})
        if run.notes.get("acked"):
            self.check_new(run)


class Kill(Scenario):
    name = "kill"

    def setup(self, run):
        cd = run.cluster.api
        assert cd.post("/v2/apps", json=app(2)).status_code == 201
        faultsim.wait_converged(run.cluster, {APP_ID: 2}, what="setup")
        run.notes["victim"] = sorted(t["id"] for t in cd.tasks(APP_ID))[0]

    def fault(self, run):
        r = run.api.call("DELETE", f"/v2/apps/{APP_ID}/tasks/{run.notes['victim']}",
                         params={"scale": "false"})
        acked_or_absent(run, r)
        self.settle(run, {APP_ID: 2})
        self.check_gone(run)

    def check_gone(self, run):
        if run.notes["acked"]:
            ids = {t["id"] for t in run.cluster.api.tasks(APP_ID)}
            assert run.notes["victim"] not in ids, "an acknowledged kill left its task running"

    def verify(self, run):
        faultsim.wait_converged(run.cluster, {APP_ID: 2})
        if "acked" in run.notes:
            self.check_gone(run)


class AgentRestart(Scenario):
    name = "agent"
    split = True

    def fault_procs(self, cluster):
        return [cluster.agent]

    def setup(self, run):
        cd = run.cluster.api
        assert cd.post("/v2/apps", json=app(2)).status_code == 201
        faultsim.wait_converged(run.cluster, {APP_ID: 2}, what="setup")
        run.notes["before"] = faultsim.task_sessions(run.cluster.work_dirs)

    def fault(self, run):
        wait_until(run.cluster.agent_registered, timeout=faultsim.SETTLE,
                   what="the agent registered again")
        victim = sorted(run.notes["before"])[0]
        run.notes["victim"] = victim
        for sid in run.notes["before"][victim]:
            try:
                os.killpg(sid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.settle(run, {APP_ID: 2})

    def verify(self, run):
        faultsim.wait_converged(run.cluster, {APP_ID: 2})
        after = faultsim.task_sessions(run.cluster.work_dirs)
        assert run.notes["victim"] not in after, "the killed task is listed as running"
        # A restart of the agent restarts no task, whatever failed in it:
        # the one left alive runs on in the same process.
        for tid, sids in run.notes["before"].items():
            if tid != run.notes["victim"]:
                assert after.get(tid) == sids, f"task {tid} is not the same process: {after}"


class DockerPost(Scenario):
    name = "docker"
    docker = True

    def __init__(self, dockerd):
        self.dockerd = dockerd

    def fault(self, run):
        body = app(2, cmd="sleep 1000",
                   container={"type": "DOCKER", "docker": {"image": TEST_IMAGE, "network": "HOST"}})
        r = run.api.call("POST", "/v2/apps", json=body)
        acked_or_absent(run, r)
        self.settle(run, {APP_ID: 2} if run.notes["acked"] else {})

    def settle(self, run, apps):
        run.settle(lambda: self.converged(run, apps), apps)

    def converged(self, run, apps):
        cd = run.cluster.api
        if cd.get("/v2/deployments", timeout=10).json():
            return False
        want = set()
        for app_id, n in apps.items():
            run_ids = {t["id"] for t in cd.tasks(app_id) if t.get("state") == "TASK_RUNNING"}
            if len(run_ids) != n or len(cd.tasks(app_id)) != n:
                return False
            want |= run_ids
        agent_ids = run.cluster.agent.agent_ids
        run.cluster.agent.note_agent_id()
        mine = [c for aid in agent_ids
                for c in self.dockerd.containers([f"clusterd.agent_id={aid}"])]
        live = [c["Labels"].get("clusterd.task_id") for c in mine if c.get("State") == "running"]
        assert len(live) == len(set(live)), f"two containers for one task: {live}"
        # Containers of ended tasks are removed in the background.
        return set(live) == want and len(mine) == len(want)

    def verify(self, run):
        if run.notes.get("acked"):
            wait_until(lambda: self.converged(run, {APP_ID: 2}), timeout=60, interval=0.3,
                       what="convergence after the restart")
        else:
            assert run.cluster.api.get(f"/v2/apps/{APP_ID}").status_code == 404
            wait_until(lambda: self.converged(run, {}), timeout=60, interval=0.3,
                       what="nothing running after the restart")


PLAIN_POINTS = ("store.commit", "httpc.request", "httpd.accept", "sandbox.mkdir", "sandbox.log")
CASES = [(s, p) for s in (Post, Scale, Deploy, Kill, AgentRestart) for p in PLAIN_POINTS]
CASES += [(DockerPost, p) for p in ("docker.reply", "httpc.request", "store.commit", "sandbox.log")]
# make test: these cases, k = 1, 2, 3, 5, 8, ... (faultsim.ks).
# Every scenario once, every point but zk.op (test_t8_faultsim_zk.py) once;
# about a minute and a half.
BOUNDED = {("post", "store.commit"), ("post", "httpc.request"), ("scale", "httpd.accept"),
           ("deploy", "sandbox.log"), ("kill", "store.commit"), ("agent", "sandbox.mkdir"),
           ("agent", "store.commit"), ("docker", "docker.reply")}


@pytest.fixture(scope="module")
def fault_bin():
    try:
        return faultsim.fault_bin()
    except FileNotFoundError as e:
        pytest.fail(str(e), pytrace=False)


@pytest.mark.parametrize("scenario,point", CASES,
                         ids=[f"{s.name}-{p}" for s, p in CASES])
def test_faultsim(scenario, point, fault_bin, dockerd, tmp_path, capsys):
    if not faultsim.FULL and (scenario.name, point) not in BOUNDED:
        pytest.skip("make faultsim runs this case (CLUSTERD_FAULTSIM=full)")
    sc = scenario(dockerd) if scenario is DockerPost else scenario()

    def pool(name):
        return harness.ClusterdPool(fault_bin, os.path.join(tmp_path, name), docker=dockerd)

    def log(line):
        with capsys.disabled():
            print(line)

    done = faultsim.run_loop(pool, sc, point, log=log)
    assert done and not done[-1][1]
