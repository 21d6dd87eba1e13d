"""t3: a separate master and agent, as on a real cluster (SPEC sections 3 and 10).

Status updates are checkpointed on the agent and retried until the master
acknowledges them: a task that ends while the master is down is still reported,
and replaced, once the master is back. An agent killed with -9 re-adopts its
running tasks without restarting them.
"""
import os
import signal
import socket

from clusterd_harness import task_pids, wait_until

# Fast failure detection, so the test does not wait for the 75 s default.
PING = ["--agent_ping_timeout=1secs", "--max_agent_ping_timeouts=3"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_pair(start_clusterd, master_port):
    master = start_clusterd(f"--master_port={master_port}", *PING, role="--master")
    agent = start_clusterd(f"--master=127.0.0.1:{master_port}", "--containerizers=mesos",
                           "--hostname=node-a", *PING, role="--agent")
    wait_until(lambda: [s for s in master.get("/master/slaves", base=master.master_url).json()["slaves"]
                        if s["active"]], timeout=30, what="agent registered")
    return master, agent


def running_ids(master, app):
    return {t["id"] for t in master.running_tasks(app)}


def test_update_during_master_outage_is_delivered(start_clusterd):
    port = free_port()
    master, agent = start_pair(start_clusterd, port)
    r = master.post("/v2/apps", json={"id": "outage", "cmd": "sleep 1000", "cpus": 0.1, "mem": 16})
    assert r.status_code == 201, r.text
    master.wait_running("outage", 1)
    (old,) = running_ids(master, "outage")
    pids = task_pids(agent.work_dir, old)
    assert pids, "the task's process is not running"

    master.kill9()
    # The task dies while no master is there to hear about it.
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not task_pids(agent.work_dir, old), timeout=10, what="task process gone")

    master.start()  # same work_dir and --master_port: the agent finds it again
    wait_until(lambda: running_ids(master, "outage") - {old}, timeout=60,
               what="a replacement task running")
    assert old not in {t["id"] for t in master.tasks("outage")}, \
        "the task that ended during the outage is still listed"
    slaves = master.get("/master/slaves", base=master.master_url).json()["slaves"]
    assert [s["hostname"] for s in slaves if s["active"]] == ["node-a"]


def test_agent_kill9_readopts_tasks(start_clusterd):
    port = free_port()
    master, agent = start_pair(start_clusterd, port)
    r = master.post("/v2/apps", json={"id": "steady", "cmd": "sleep 1000", "instances": 2,
                                      "cpus": 0.1, "mem": 16})
    assert r.status_code == 201, r.text
    master.wait_running("steady", 2)
    before = running_ids(master, "steady")
    pids = {tid: sorted(task_pids(agent.work_dir, tid)) for tid in before}
    assert all(pids.values())

    agent.kill9()
    agent.start()
    # Re-registered with its tasks: same ids, same processes, nothing new.
    wait_until(lambda: agent.get("/state", base=agent.agent_url).json().get("registered"), timeout=30,
               what="agent registered again")
    assert running_ids(master, "steady") == before
    for tid, p in pids.items():
        assert sorted(task_pids(agent.work_dir, tid)) == p, f"task {tid} was restarted"
    assert len(master.tasks("steady")) == 2
