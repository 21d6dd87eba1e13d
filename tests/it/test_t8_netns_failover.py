"""t8: failovers and a cut link on a cluster of four nodes (issue 9, SPEC section 10).

One --master and three --agents, each in a network namespace of its own with its
own address (netns_harness), running plain processes (--containerizers=mesos). The
agents name the master by its address alone (port 5050 implied), one of them
through a file:// holding it. Each scenario checks task ids and process ids:
- SIGTERM and an immediate restart of the master, or kill -9 and a restart 5 s
  later: every agent is active again within seconds (the new master asks them
  back; before, they came back 61-73 s later), no task is killed or replaced,
  and a scale sent 2 s after the restart takes effect;
- the master's link cut well past the ping timeouts (1 s x 3 here): the agents
  are unreachable and their tasks TASK_UNREACHABLE, the tasks keep running on
  the agents, and the agents are re-admitted once the link is back; with both
  kinds of unreachableStrategy, an app that waits 300 s keeps its very tasks
  and processes, and one that gives up at once has them replaced.
"""

import time

import pytest

import netns_harness
from clusterd_harness import holds_for, wait_until

pytestmark = pytest.mark.skipif(not netns_harness.available(),
                                reason="needs root and ip netns")

AGENTS = ["a0", "a1", "a2"]
PING = ["--agent_ping_timeout=1secs", "--max_agent_ping_timeouts=3"]


@pytest.fixture
def cluster(request, clusterd_bin, tmp_path):
    net = netns_harness.Network(["master", *AGENTS]).create()
    c = netns_harness.Cluster(net, clusterd_bin, tmp_path)
    request.node._clusterd_instances = c.instances  # pylint: disable=protected-access
    try:
        yield c
    finally:
        errors = c.close()
        net.destroy()
    if errors:
        pytest.fail("\n\n".join(errors), pytrace=False)


def start(c, tmp_path, *master_args):
    c.start_master(*master_args)
    master_file = tmp_path / "master.addr"
    master_file.write_text(c.master.node.addr + "\n")
    for name in AGENTS[:-1]:
        c.start_agent(name)
    c.start_agent(AGENTS[-1], master=f"file://{master_file}")
    wait_until(lambda: c.active_agents() == AGENTS, timeout=30, what="three active agents")


def post_app(c, app_id, n, **extra):
    body = {"id": app_id, "cmd": "sleep 100000", "cpus": 0.1, "mem": 16, "instances": n,
            "constraints": [["hostname", "GROUP_BY", str(len(AGENTS))]]}
    body.update(extra)
    r = c.master.post("/v2/apps", json=body)
    assert r.status_code == 201, r.text
    c.master.wait_running(app_id, n, timeout=60)


def snapshot(c, app_id):
    """{task id: (agent, pids)} of the running tasks of the app."""
    out = {}
    for t in c.master.running_tasks(app_id):
        pids = c.task_pids(t)
        assert pids, f"task {t['id']} has no process on {t['host']}"
        out[t["id"]] = (t["host"], pids)
    return out


def slaves_by_host(c):
    return {s["hostname"]: s["id"] for s in c.master_get("/master/slaves")["slaves"]}


@pytest.mark.parametrize("how", ["sigterm", "kill9"])
def test_master_restart_costs_nothing(cluster, tmp_path, how):
    c = cluster
    # The default ping timeouts (15 s x 5): only the restarted master asking
    # them back can make the agents active again within seconds.
    start(c, tmp_path)
    post_app(c, "/steady", 6)
    before = snapshot(c, "/steady")
    assert sorted(h for h, _ in before.values()) == sorted(AGENTS * 2)
    ids_before = slaves_by_host(c)
    pids_before = c.all_task_pids()

    if how == "sigterm":
        c.master.stop()
    else:
        c.master.kill9()
        time.sleep(5)
    c.master.start()
    started = time.monotonic()
    wait_until(lambda: c.active_agents() == AGENTS, timeout=10,
               what="every agent active again after the restart")
    print(f"agents active {time.monotonic() - started:.2f} s after the restart")
    assert slaves_by_host(c) == ids_before, "an agent came back under another id"

    # A scale sent 2 s after the restart takes effect.
    time.sleep(max(0.0, started + 2 - time.monotonic()))
    r = c.master.put("/v2/apps/steady", json={"instances": 9})
    assert 200 <= r.status_code < 300, r.text
    c.master.wait_running("/steady", 9, timeout=30)
    after = snapshot(c, "/steady")
    for tid, where in before.items():
        assert after.get(tid) == where, f"task {tid} was killed, replaced or restarted"
    assert set(pids_before) <= set(c.all_task_pids())
    assert len(c.master.tasks("/steady")) == 9
    holds_for(lambda: snapshot(c, "/steady") == after, duration=3,
              what="the same nine tasks and processes")
    assert "killing it" not in c.master.log_text(), "a task was killed as unknown"


def master_task_states(c):
    return {t["id"]: t["state"] for t in c.master_get("/master/tasks")["tasks"]}


def test_master_link_outage_unreachable_then_readmitted(cluster, tmp_path):
    c = cluster
    start(c, tmp_path, *PING)
    post_app(c, "/sticky", 6,
             unreachableStrategy={"inactiveAfterSeconds": 300, "expungeAfterSeconds": 600})
    before = snapshot(c, "/sticky")
    ids_before = slaves_by_host(c)

    c.net["master"].link(False)
    cut = time.monotonic()
    try:
        wait_until(lambda: c.master_get("/master/state")["unreachable_slaves"] == 3,
                   timeout=20, what="three unreachable agents")
        assert c.active_agents() == []
        wait_until(lambda: all(master_task_states(c).get(t) == "TASK_UNREACHABLE"
                               for t in before),
                   timeout=10, what="every task TASK_UNREACHABLE")
        # The agents keep their tasks running, the very same processes.
        for tid, (host, pids) in before.items():
            assert c.task_pids({"id": tid, "host": host}) == pids, f"task {tid} died"
            agent = c.agent_of(host)
            state = agent.get("/state", base=agent.agent_url, timeout=10).json()
            states = {t["id"]: t["state"] for f in state["frameworks"] for t in f["tasks"]}
            assert states.get(tid) == "TASK_RUNNING", f"agent {host}: {states}"
        # Hold the link down well past the ping timeouts.
        time.sleep(max(0.0, cut + 8 - time.monotonic()))
    finally:
        c.net["master"].link(True)

    wait_until(lambda: c.active_agents() == AGENTS, timeout=20,
               what="the agents re-admitted after the outage")
    state = c.master_get("/master/state")
    assert state["unreachable_slaves"] == 0
    assert slaves_by_host(c) == ids_before, "an agent came back under another id"
    lines = c.master.log_text().splitlines()
    for host in AGENTS:
        assert any(f"({host} at http://" in ln and "reregistered" in ln
                   and "it was unreachable" in ln for ln in lines), \
            f"agent {host} was not re-admitted with its tasks"


def test_master_link_outage_unreachable_strategy(cluster, tmp_path):
    """Both kinds of unreachableStrategy across the master's link outage: the
    tasks of an app that waits 300 s are the same ones, same processes, after
    it; the tasks of an app that gives up at once are replaced (the originals'
    processes killed) once the agents are back."""
    c = cluster
    start(c, tmp_path, *PING)
    post_app(c, "/sticky", 3,
             unreachableStrategy={"inactiveAfterSeconds": 300, "expungeAfterSeconds": 600})
    post_app(c, "/eager", 3,
             unreachableStrategy={"inactiveAfterSeconds": 0, "expungeAfterSeconds": 0})
    sticky, eager = snapshot(c, "/sticky"), snapshot(c, "/eager")

    c.net["master"].link(False)
    cut = time.monotonic()
    try:
        wait_until(lambda: c.master_get("/master/state")["unreachable_slaves"] == 3,
                   timeout=20, what="three unreachable agents")
        time.sleep(max(0.0, cut + 8 - time.monotonic()))
    finally:
        c.net["master"].link(True)
    wait_until(lambda: c.active_agents() == AGENTS, timeout=20, what="agents re-admitted")

    c.master.wait_running("/sticky", 3, timeout=30)
    assert snapshot(c, "/sticky") == sticky
    c.master.wait_running("/eager", 3, timeout=30)
    assert not set(snapshot(c, "/eager")) & set(eager)
    for tid, (host, _) in eager.items():
        wait_until(lambda h=host, t=tid: not c.task_pids({"id": t, "host": h}), timeout=20,
                   what=f"the original process of {tid} gone")
    holds_for(lambda: snapshot(c, "/sticky") == sticky, duration=3)
