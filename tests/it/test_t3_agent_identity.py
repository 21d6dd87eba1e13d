"""t3: an agent's identity and the tasks nobody owns (issue 11 items 5 and 6).

- An agent restarted on its work_dir with another --hostname is refused by the
  master (409, saying what changed and what to do), and says so in its log; its
  tasks keep running; restarted with its hostname and more resources, it is the
  same agent again, with the same tasks.
- Two agents with one --hostname: a warning, and /master/state
  "duplicate_hostnames".
- An agent that worked for another master joins with that master's tasks: they
  are orphans in /master/state ("orphan_tasks", their framework in
  "unregistered_frameworks"), and are killed after --orphan_task_grace.
"""
import socket

import requests

from clusterd_harness import task_pids, wait_until

RES = "cpus:2;mem:1024;disk:1000;ports:[31000-31009]"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_agent(start_clusterd, master_port, hostname, *args, resources=RES):
    return start_clusterd(f"--master=127.0.0.1:{master_port}", "--containerizers=mesos",
                          f"--hostname={hostname}", *args, role="--agent", resources=resources)


def agent_state(agent):
    return agent.get("/state", base=agent.agent_url).json()


def slaves(master):
    return master.get("/master/slaves", base=master.master_url).json()["slaves"]


def wait_active(master, n):
    return wait_until(lambda: (lambda s: s if len(s) == n else None)(
        [s for s in slaves(master) if s["active"]]), timeout=30, what=f"{n} active agents")


def run_one(master, app_id):
    r = master.post("/v2/apps", json={"id": app_id, "cmd": "sleep 100000", "cpus": 0.1,
                                      "mem": 16})
    assert r.status_code == 201, r.text
    (task,) = master.wait_running(app_id, 1)
    return task["id"]


def test_changed_identity_is_refused(start_clusterd):
    port = free_port()
    master = start_clusterd(f"--master_port={port}", role="--master")
    agent = start_agent(start_clusterd, port, "node-a", "--attributes=rack:r1")
    wait_active(master, 1)
    tid = run_one(master, "/kept")
    pids = sorted(task_pids(agent.work_dir, tid))
    assert pids
    aid = agent_state(agent)["id"]

    agent.stop()
    agent.args = [a.replace("--hostname=node-a", "--hostname=node-b") for a in agent.args]
    agent.start()
    wait_until(lambda: "the master refused this agent" in agent.log_text(), timeout=30,
               what="the agent logging the refusal")
    line = [ln for ln in agent.log_text().splitlines() if "the master refused this agent" in ln][0]
    assert "hostname changed from 'node-a' to 'node-b'" in line, line
    assert "fresh --work_dir" in line and agent.work_dir in line, line
    assert not agent_state(agent)["registered"]
    assert [s["hostname"] for s in slaves(master)] == ["node-a"]
    assert sorted(task_pids(agent.work_dir, tid)) == pids, "the agent's task died"

    # The master's answer to such a registration, in Marathon's error shape.
    body = {"protocol": 1, "reregister": True, "tasks": [],
            "agent": {"id": aid, "hostname": "node-b", "ip": "127.0.0.1", "port": 1,
                      "resources": {"cpus": 2, "mem": 1024, "disk": 1000,
                                    "ports": "[31000-31009]"},
                      "attributes": {"rack": "r1"}}}
    r = requests.post(master.master_url + "/internal/register", json=body, timeout=10)
    assert r.status_code == 409, r.text
    assert "hostname changed" in r.json()["message"]
    assert "fresh --work_dir" in r.json()["message"]

    # Back with its hostname and more cpus: the same agent, the same task.
    agent.stop()
    agent.args = [a.replace("--hostname=node-b", "--hostname=node-a") for a in agent.args]
    agent.resources = RES.replace("cpus:2", "cpus:4")
    agent.start()
    wait_until(lambda: agent_state(agent)["registered"], timeout=30, what="registered again")
    assert agent_state(agent)["id"] == aid
    (s,) = slaves(master)
    assert s["id"] == aid and s["hostname"] == "node-a" and s["resources"]["cpus"] == 4
    assert [t["id"] for t in master.running_tasks("/kept")] == [tid]
    assert sorted(task_pids(agent.work_dir, tid)) == pids


def test_duplicate_hostnames_are_reported(start_clusterd):
    port = free_port()
    master = start_clusterd(f"--master_port={port}", role="--master")
    one = start_agent(start_clusterd, port, "twin")
    two = start_agent(start_clusterd, port, "twin")
    wait_active(master, 2)
    ids = sorted([agent_state(one)["id"], agent_state(two)["id"]])
    state = master.get("/master/state", base=master.master_url).json()
    assert state["duplicate_hostnames"] == [{"hostname": "twin", "slave_ids": ids}] or \
        state["duplicate_hostnames"] == [{"hostname": "twin", "slave_ids": ids[::-1]}]
    assert "both have hostname 'twin'" in master.log_text()


def test_foreign_tasks_are_orphans_killed_after_grace(start_clusterd):
    pa, pb = free_port(), free_port()
    first = start_clusterd(f"--master_port={pa}", role="--master")
    agent = start_agent(start_clusterd, pa, "node-a")
    wait_active(first, 1)
    tid = run_one(first, "/foreign")
    pids = task_pids(agent.work_dir, tid)
    assert pids
    (fw,) = [f["id"] for f in first.get("/master/frameworks", base=first.master_url)
             .json()["frameworks"]]
    agent.stop()
    first.stop()

    # The agent joins another master, with the first one's task.
    other = start_clusterd(f"--master_port={pb}", "--orphan_task_grace=6secs", role="--master")
    agent.args = [a.replace(f"127.0.0.1:{pa}", f"127.0.0.1:{pb}") for a in agent.args]
    agent.start()
    wait_active(other, 1)
    state = other.get("/master/state", base=other.master_url).json()
    assert [t["id"] for t in state["orphan_tasks"]] == [tid]
    assert state["unregistered_frameworks"] == [fw]
    assert all(t["id"] != tid for f in state["frameworks"] for t in f["tasks"])
    assert other.get("/v2/tasks").json()["tasks"] == []
    (s,) = slaves(other)
    assert s["used_resources"]["cpus"] > 0, "the orphan's resources are not counted"

    # Killed after the grace, through its agent.
    wait_until(lambda: not task_pids(agent.work_dir, tid), timeout=30,
               what="the orphan's process killed")
    wait_until(lambda: other.get("/master/state", base=other.master_url).json()["orphan_tasks"]
               == [], timeout=30, what="no orphan left")
    (s,) = slaves(other)
    assert s["used_resources"]["cpus"] == 0
    assert "killing orphan task " + tid in other.log_text()
