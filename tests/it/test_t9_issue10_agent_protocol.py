"""t9, issue 10: who may speak the agent protocol (SPEC sections 3 and 11).

The attacker is a separate process (stranger.py); where the network matters it
runs in a network namespace of its own, on a node of its own (netns_harness).

- An agent takes RunTask and KillTask only from its master: once registered,
  from the address its registration reached the master at (403 and a log line
  otherwise), and naming the master it registered with (409 otherwise). Before,
  a POST to <agent>:5051/internal/run_task with made-up ids answered 202 and
  ran the command as root. Without --agent_secret (--insecure, or loopback) this
  is what stops a stranger; with it, the header guard does, and this is the
  second layer.
- The master takes a status update only from the agent that runs the task:
  the agent it names must have sent it (the token of that agent's registration,
  which the master hands out in the registration reply), and the task must be
  that agent's in the registry. Before, a forged /internal/status with
  TASK_FAILED made the scheduler start a second copy while the first kept
  running. A registration cannot report another agent's tasks either.
- With an agent secret set, a fake agent cannot register (401), so it never
  gets other apps' tasks and their environment; the secret is checked in the
  header, first, and the body's old "secret" field is not looked at.
"""

import json
import uuid

import pytest

import clusterd_harness as harness
import netns_harness
import stranger
from clusterd_harness import holds_for, task_pids, wait_until

NETNS = pytest.mark.skipif(not netns_harness.available(), reason="needs root and ip netns")


def marker_cmd(path):
    return f"echo pwned > {path}; sleep 100000"


def run_task_body(master_id, agent_id, cmd, task_id=None):
    return json.dumps({"protocol": 1, "master_id": master_id,
                       "task": {"task_id": task_id or f"pwn.{uuid.uuid4()}",
                                "framework_id": "evil-fw", "agent_id": agent_id,
                                "name": "pwn", "cmd": cmd,
                                "resources": {"cpus": 0.1, "mem": 16}}})


def kill_task_body(master_id, task_id):
    return json.dumps({"protocol": 1, "master_id": master_id, "task_id": task_id})


def status_body(agent_id, task, state="TASK_FAILED", token=None):
    msg = {"protocol": 1,
           "status": {"uuid": str(uuid.uuid4()), "task_id": task["id"],
                      "framework_id": task["framework_id"], "agent_id": agent_id,
                      "state": state, "source": "SOURCE_EXECUTOR", "message": "forged"}}
    if token is not None:
        msg["token"] = token
    return json.dumps(msg)


def master_task(master, task_id):
    """The master's record of a task (/master/tasks): framework and agent ids."""
    for t in master.get("/master/tasks", base=master.master_url).json()["tasks"]:
        if t["id"] == task_id:
            return t
    raise KeyError(task_id)


# -- RunTask and KillTask from a stranger, over the network ---------------------


@pytest.fixture
def insecure_cluster(request, clusterd_bin, tmp_path):
    """A master and an agent without an agent secret (--insecure), and a node
    "x" for the stranger."""
    net = netns_harness.Network(["master", "a0", "x"]).create()
    c = netns_harness.Cluster(net, clusterd_bin, tmp_path, secret=None)
    request.node._clusterd_instances = c.instances  # pylint: disable=protected-access
    try:
        c.start_master("--insecure")
        c.start_agent("a0", "--insecure")
        wait_until(lambda: c.active_agents() == ["a0"], timeout=30, what="the agent to register")
        yield c
    finally:
        errors = c.close()
        net.destroy()
    if errors:
        pytest.fail("\n\n".join(errors), pytrace=False)


@NETNS
def test_run_and_kill_only_from_the_master(insecure_cluster, tmp_path):
    c = insecure_cluster
    agent = c.agent_of("a0")
    r = c.master.post("/v2/apps", json={"id": "legit", "cmd": "sleep 100000", "cpus": 0.1,
                                        "mem": 16, "instances": 1})
    assert r.status_code == 201, r.text
    (task,) = c.master.wait_running("/legit", 1)  # the master's own RunTask passes
    pids = c.task_pids(task)
    assert pids

    # What a stranger learns without credentials: the master's and agent's ids.
    master_id = c.master_get("/master/state")["id"]
    agent_id = c.master_get("/master/slaves")["slaves"][0]["id"]
    agent_url = f"http://{agent.node.addr}:5051"
    marker = tmp_path / "pwned"
    x = c.net["x"].ns
    for mid in (master_id, "made-up-master"):
        res = stranger.one("POST", agent_url + "/internal/run_task", ns=x,
                           body=run_task_body(mid, agent_id, marker_cmd(marker)),
                           headers={"Content-Type": "application/json"})
        assert res["status"] == 403, res
        assert json.loads(res["body"])["message"], res
    res = stranger.one("POST", agent_url + "/internal/kill_task", ns=x,
                       body=kill_task_body(master_id, task["id"]))
    assert res["status"] == 403, res

    holds_for(lambda: not marker.exists() and c.task_pids(task) == pids, duration=3,
              what="no command of the stranger's running, the task untouched")
    assert [t["id"] for t in c.master.running_tasks("/legit")] == [task["id"]]
    log = agent.log_text()
    assert f"refused a RunTask from {c.net['x'].addr}" in log, log[-3000:]
    assert f"this agent's master is at {c.master.node.addr}" in log
    # The master still reaches the agent: a kill from it goes through.
    r = c.master.delete(f"/v2/apps/legit/tasks/{task['id']}?scale=true")
    assert r.status_code == 200, r.text
    wait_until(lambda: not c.task_pids(task), timeout=30, what="the master's kill")


# -- on loopback, without a secret ------------------------------------------------


def test_run_task_naming_another_master_refused(start_clusterd, tmp_path):
    """On loopback the stranger shares the master's address; the master id is
    then what tells: made-up ids get 409, and nothing runs."""
    cd = start_clusterd("--containerizers=mesos")
    wait_until(lambda: cd.get("/master/slaves", base=cd.master_url).json()["slaves"],
               what="the agent to register")
    agent_id = cd.get("/master/slaves", base=cd.master_url).json()["slaves"][0]["id"]
    marker = tmp_path / "pwned"
    for agent in (agent_id, "made-up-agent"):
        res = stranger.one("POST", cd.agent_url + "/internal/run_task",
                           body=run_task_body("made-up-master", agent, marker_cmd(marker)))
        assert res["status"] == 409, res
    res = stranger.one("POST", cd.agent_url + "/internal/kill_task",
                       body=kill_task_body("made-up-master", "some.task"))
    assert res["status"] == 409, res
    holds_for(lambda: not marker.exists(), duration=3, what="no command of the stranger's")
    assert not task_pids(cd.work_dir)
    assert "refused a RunTask from 127.0.0.1" in cd.log_text()
    # The master's own launches still work on loopback.
    r = cd.post("/v2/apps", json={"id": "ok", "cmd": "sleep 100000", "cpus": 0.1, "mem": 16})
    assert r.status_code == 201, r.text
    cd.wait_running("/ok", 1)


def test_forged_status_updates_refused(start_clusterd):
    """Forged TASK_FAILED updates, from a stranger on loopback without a secret
    (so it may register an agent of its own): none reaches the scheduler, which
    keeps its one task and starts no copy."""
    cd = start_clusterd("--containerizers=mesos")
    r = cd.post("/v2/apps", json={"id": "victim", "cmd": "sleep 100000", "cpus": 0.1,
                                  "mem": 16, "instances": 1})
    assert r.status_code == 201, r.text
    (task,) = cd.wait_running("/victim", 1)
    pids = task_pids(cd.work_dir, task["id"])
    assert pids
    mt = master_task(cd, task["id"])
    real_agent = mt["slave_id"]
    status_url = cd.master_url + "/internal/status"

    # 1. Naming the agent that runs it, without that agent's registration.
    for token in (None, "0" * 36):
        res = stranger.one("POST", status_url, body=status_body(real_agent, mt, token=token))
        assert res["status"] == 409, res

    # 2. A fake agent of the stranger's own, registered (no secret here).
    reg = {"protocol": 1, "status_token": True,
           "agent": {"hostname": "fake", "ip": "127.0.0.1", "port": 9,
                     "resources": {"cpus": 0.01, "mem": 1}}}
    res = stranger.one("POST", cd.master_url + "/internal/register", body=json.dumps(reg))
    assert res["status"] == 200, res
    fake = json.loads(res["body"])
    assert fake["token"] and fake["agent_id"] != real_agent
    # ... its own id and token, another agent's task: 403
    res = stranger.one("POST", status_url,
                       body=status_body(fake["agent_id"], mt, token=fake["token"]))
    assert res["status"] == 403, res
    # ... the real agent's id with the fake's token: 409
    res = stranger.one("POST", status_url, body=status_body(real_agent, mt, token=fake["token"]))
    assert res["status"] == 409, res
    # ... a re-registration reporting the task as its own, failed: ignored
    rereg = dict(reg, reregister=True)
    rereg["agent"] = dict(reg["agent"], id=fake["agent_id"])
    rereg["tasks"] = [json.loads(status_body(fake["agent_id"], mt))["status"]]
    res = stranger.one("POST", cd.master_url + "/internal/register", body=json.dumps(rereg))
    assert res["status"] == 200, res

    def unchanged():
        tasks = cd.tasks("/victim")
        return ([(t["id"], t["state"]) for t in tasks] == [(task["id"], "TASK_RUNNING")]
                and task_pids(cd.work_dir, task["id"]) == pids)
    holds_for(unchanged, duration=5, what="one task, the same, running")
    log = cd.log_text()
    assert "refused /internal/status from 127.0.0.1" in log, log[-3000:]
    assert f"reports task {task['id']}, which runs on agent {real_agent}: ignored" in log
    # The real agent's own updates still arrive: a kill is reported.
    r = cd.delete(f"/v2/apps/victim/tasks/{task['id']}?scale=true")
    assert r.status_code == 200, r.text
    wait_until(lambda: not cd.tasks("/victim"), timeout=30, what="the kill reported")


def test_older_agent_held_to_its_address(start_clusterd):
    """An agent that asks for no token (an older build) gets none, and its
    status updates are taken only from its registered address."""
    cd = start_clusterd("--containerizers=mesos")
    fw = cd.get("/v2/info").json()["frameworkId"]
    for ip, want in (("192.0.2.1", 409), ("127.0.0.1", 200)):
        reg = {"protocol": 1, "agent": {"hostname": f"old-{ip}", "ip": ip, "port": 9,
                                        "resources": {"cpus": 0.01, "mem": 1}}}
        res = stranger.one("POST", cd.master_url + "/internal/register", body=json.dumps(reg))
        assert res["status"] == 200, res
        old = json.loads(res["body"])
        assert "token" not in old, old
        body = status_body(old["agent_id"], {"id": f"gone.{uuid.uuid4()}", "framework_id": fw},
                           state="TASK_FINISHED")
        res = stranger.one("POST", cd.master_url + "/internal/status", body=body)
        assert res["status"] == want, (ip, res)
    assert "asks for no status token" in cd.log_text()


# -- with an agent secret ---------------------------------------------------------


def test_header_secret_alone_authenticates(start_clusterd):
    """The secret is the header's, checked before the body: a body without the
    old "secret" field, or with a wrong one, is judged on its content (here:
    unknown task 404, unknown agent 409), never refused for it."""
    cd = start_clusterd("--agent_secret=hdr-secret", "--containerizers=mesos")
    wait_until(lambda: cd.get("/master/slaves", base=cd.master_url).json()["slaves"],
               what="the agent to register")
    master_id = cd.get("/master/state", base=cd.master_url).json()["id"]
    hdr = {"Clusterd-Agent-Secret": "hdr-secret"}
    for extra in ({}, {"secret": "wrong"}):
        body = dict(json.loads(kill_task_body(master_id, "no.such-task")), **extra)
        res = stranger.one("POST", cd.agent_url + "/internal/kill_task", headers=hdr,
                           body=json.dumps(body))
        assert res["status"] == 404, res
        st = json.loads(status_body("no-such-agent", {"id": "t.1", "framework_id": "f"}))
        st.update(extra)
        res = stranger.one("POST", cd.master_url + "/internal/status", headers=hdr,
                           body=json.dumps(st))
        assert res["status"] == 409, res
    # Without the header, the right body secret does not help.
    body = dict(json.loads(kill_task_body(master_id, "no.such-task")), secret="hdr-secret")
    res = stranger.one("POST", cd.agent_url + "/internal/kill_task", body=json.dumps(body))
    assert res["status"] == 401, res


@pytest.fixture
def secret_cluster(request, clusterd_bin, tmp_path):
    net = netns_harness.Network(["master", "a0", "x"]).create()
    c = netns_harness.Cluster(net, clusterd_bin, tmp_path, secret="the-cluster-secret")
    request.node._clusterd_instances = c.instances  # pylint: disable=protected-access
    try:
        c.start_master()
        c.start_agent("a0")
        wait_until(lambda: c.active_agents() == ["a0"], timeout=30, what="the agent to register")
        yield c
    finally:
        errors = c.close()
        net.destroy()
    if errors:
        pytest.fail("\n\n".join(errors), pytrace=False)


@NETNS
def test_fake_agent_cannot_register_with_a_secret(secret_cluster):
    """What keeps other apps' tasks and their env secrets from a fake agent is
    the agent secret: without it, registration is refused, so the master never
    offers the fake agent's resources and never sends it a RunTask."""
    c = secret_cluster
    x = c.net["x"]
    reg = {"protocol": 1, "status_token": True, "secret": "the-cluster-secret",
           "agent": {"hostname": "fake", "ip": x.addr, "port": 5051,
                     "resources": {"cpus": 64, "mem": 65536}}}
    url = f"http://{c.master.node.addr}:5050/internal/register"
    for hdrs in ({}, {"Clusterd-Agent-Secret": "guess"},
                 {"Clusterd-Agent-Secret": "the-cluster-secret2"}):
        res = stranger.one("POST", url, ns=x.ns, headers=hdrs, body=json.dumps(reg))
        assert res["status"] == 401, res
        assert json.loads(res["body"])["message"] == "invalid agent secret"
    r = c.master.post("/v2/apps", json={"id": "secretive", "cmd": "sleep 100000", "cpus": 0.1,
                                        "mem": 16, "instances": 2,
                                        "env": {"DB_PASSWORD": "hunter2"}})
    assert r.status_code == 201, r.text
    tasks = c.master.wait_running("/secretive", 2)
    assert {t["host"] for t in tasks} == {"a0"}
    assert [s["hostname"] for s in c.master_get("/master/slaves")["slaves"]] == ["a0"]
    assert "missing or wrong agent secret" in c.master.log_text()
    for t in tasks:
        with open(f"/proc/{c.task_pids(t)[0]}/environ", "rb") as f:
            assert b"DB_PASSWORD=hunter2" in f.read().split(b"\0")


@NETNS
def test_all_in_one_on_every_address(request, clusterd_bin, tmp_path):
    """An all-in-one bound to 0.0.0.0: its agent registers with the master on
    127.0.0.1, and the master reaches the agent at the advertised address,
    from that address. Both are this host: its RunTasks are taken."""
    net = netns_harness.Network(["aio"]).create()
    node = net["aio"]
    cd = netns_harness.NsClusterd(clusterd_bin, tmp_path / "aio", node, "--all-in-one",
                                  args=["--containerizers=mesos"], secret="aio-secret")
    request.node._clusterd_instances = [cd]  # pylint: disable=protected-access
    try:
        cd.start()
        r = cd.post("/v2/apps", json={"id": "everywhere", "cmd": "sleep 100000", "cpus": 0.1,
                                      "mem": 16, "instances": 1})
        assert r.status_code == 201, r.text
        cd.wait_running("/everywhere", 1, timeout=60)
        assert "refused a RunTask" not in cd.log_text()
    finally:
        cd._terminate()  # pylint: disable=protected-access
        harness.kill_task_processes(cd.work_dir)
        cd.session.close()
        net.destroy()
