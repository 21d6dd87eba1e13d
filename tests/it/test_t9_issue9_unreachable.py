"""t9 (issue 9, item 2): unreachableStrategy as Marathon 1.4+ does it.

One master and two agents on loopback, each its own process, running plain
processes. Agent A is silenced with SIGSTOP (its tasks' processes keep
running: they are in their own sessions) until the master declares it lost,
then resumed with SIGCONT, so it re-registers with the same tasks. Five apps
run on A when it goes silent, one per behaviour:

- young, old: {"inactiveAfterSeconds": 8}: TASK_UNREACHABLE in the API and the
  event stream, still an instance (no replacement) until 8 s have passed,
  then replaced on B. When A is back, the task counts again and the surplus
  goes by killSelection: YOUNGEST_FIRST kills the replacement, OLDEST_FIRST
  the task that came back.
- keep: "disabled": never replaced nor expunged; back, it simply runs on.
- gone: {"inactiveAfterSeconds": 1, "expungeAfterSeconds": 6}: replaced, then
  forgotten while A is still silent; when A is back its task is unknown and
  killed.
- dflt: the default strategy (0, 0): the event still says TASK_UNREACHABLE,
  the task is replaced and forgotten at once, and killed when it is back.

Every check names task ids and process ids. lastTaskFailure records the
task that became unreachable.
"""
import json
import os
import signal
import socket
import threading

import requests

from clusterd_harness import TIMEOUT_SCALE, holds_for, task_pids, wait_until

PING = ["--agent_ping_timeout=1secs", "--max_agent_ping_timeouts=3"]
APPS = {
    "young": {"unreachableStrategy": {"inactiveAfterSeconds": 8, "expungeAfterSeconds": 600},
              "killSelection": "YOUNGEST_FIRST"},
    "old": {"unreachableStrategy": {"inactiveAfterSeconds": 8, "expungeAfterSeconds": 600},
            "killSelection": "OLDEST_FIRST"},
    "keep": {"unreachableStrategy": "disabled"},
    "gone": {"unreachableStrategy": {"inactiveAfterSeconds": 1, "expungeAfterSeconds": 6}},
    "dflt": {},
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Events(threading.Thread):
    """Collects the status_update_events of /v2/events in the background."""

    def __init__(self, url):
        super().__init__(daemon=True)
        self.resp = requests.get(url + "/v2/events", params={"event_type": "status_update_event"},
                                 headers={"Accept": "text/event-stream"}, stream=True,
                                 timeout=(5, 60 * TIMEOUT_SCALE))
        assert self.resp.status_code == 200, self.resp.text
        self.seen = []
        self.lock = threading.Lock()

    def run(self):
        try:
            for line in self.resp.iter_lines(decode_unicode=True):
                if line and line.startswith("data:"):
                    ev = json.loads(line[5:])
                    with self.lock:
                        self.seen.append((ev["taskId"], ev["taskStatus"]))
        except (requests.RequestException, ValueError, AttributeError):
            pass

    def states(self, task_id):
        with self.lock:
            return [s for t, s in self.seen if t == task_id]

    def close(self):
        self.resp.close()


def agents_active(master):
    slaves = master.get("/master/slaves", base=master.master_url).json()["slaves"]
    return sorted(s["hostname"] for s in slaves if s["active"])


def tasks_by_id(master, app):
    return {t["id"]: t for t in master.tasks(app)}


def alive(pids):
    def one(pid):
        try:
            with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
                return f.read().split(") ")[1][0] != "Z"
        except OSError:
            return False
    return bool(pids) and all(one(p) for p in pids)


def test_unreachable_strategy(start_clusterd):
    port = free_port()
    master = start_clusterd(f"--master_port={port}", *PING, role="--master")
    agent_a = start_clusterd(f"--master=127.0.0.1:{port}", "--containerizers=mesos",
                             "--hostname=node-a", *PING, role="--agent")
    wait_until(lambda: agents_active(master) == ["node-a"], what="agent A active")
    for app, extra in APPS.items():
        body = {"id": app, "cmd": "sleep 100000", "cpus": 0.1, "mem": 16, "instances": 1}
        body.update(extra)
        r = master.post("/v2/apps", json=body)
        assert r.status_code == 201, r.text
    first, pids = {}, {}
    for app in APPS:
        (t,) = master.wait_running(app, 1)
        assert t["host"] == "node-a"
        first[app] = t["id"]
        pids[app] = task_pids(agent_a.work_dir, t["id"])
        assert pids[app], f"{app}: no process for {t['id']}"
    agent_b = start_clusterd(f"--master=127.0.0.1:{port}", "--containerizers=mesos",
                             "--hostname=node-b", *PING, role="--agent")
    wait_until(lambda: agents_active(master) == ["node-a", "node-b"], what="agent B active")
    events = Events(master.url)
    events.start()

    os.kill(agent_a.proc.pid, signal.SIGSTOP)
    try:
        # Unreachable, in the API as in the event stream; still an instance.
        for app in ("young", "old", "keep"):
            tid = first[app]
            wait_until(lambda a=app, t=tid: tasks_by_id(master, a)[t]["state"] == "TASK_UNREACHABLE",
                       timeout=30, what=f"{app}'s task TASK_UNREACHABLE")
            wait_until(lambda t=tid: "TASK_UNREACHABLE" in events.states(t),
                       what=f"status_update_event TASK_UNREACHABLE for {app}")
            listed = {t["id"]: t["state"] for t in master.get("/v2/tasks").json()["tasks"]}
            assert listed[tid] == "TASK_UNREACHABLE"
            (info,) = [a for a in master.get("/v2/apps", params={"embed": "apps.tasks"}).json()["apps"]
                       if a["id"] == "/" + app]
            assert [(t["id"], t["state"]) for t in info["tasks"]] == [(tid, "TASK_UNREACHABLE")]
            failure = master.get(f"/v2/apps/{app}").json()["app"]["lastTaskFailure"]
            assert failure["taskId"] == tid and failure["state"] == "TASK_UNREACHABLE", failure
        # Within inactiveAfterSeconds (8 s): nothing replaces them yet.
        holds_for(lambda: all(list(tasks_by_id(master, a)) == [first[a]] for a in ("young", "old")),
                  duration=3, what="no replacement before inactiveAfterSeconds")
        # The default strategy: the event says TASK_UNREACHABLE too, and the task is gone.
        wait_until(lambda: "TASK_UNREACHABLE" in events.states(first["dflt"]),
                   what="status_update_event TASK_UNREACHABLE for dflt")
        failure = master.get("/v2/apps/dflt").json()["app"]["lastTaskFailure"]
        assert failure["taskId"] == first["dflt"] and failure["state"] == "TASK_UNREACHABLE"

        # Replaced on B after inactiveAfterSeconds, the unreachable task still listed.
        repl = {}
        for app in ("young", "old", "gone", "dflt"):
            def replaced(a=app):
                run = [t for t in master.running_tasks(a) if t["id"] != first[a]]
                return run[0] if len(run) == 1 and run[0]["host"] == "node-b" else None
            repl[app] = wait_until(replaced, timeout=60, what=f"{app} replaced on node-b")["id"]
            pids[repl[app]] = task_pids(agent_b.work_dir, repl[app])
            assert pids[repl[app]], f"{app}: no process for its replacement {repl[app]}"
        for app in ("young", "old"):
            assert tasks_by_id(master, app)[first[app]]["state"] == "TASK_UNREACHABLE"
        # gone: expunged after 6 s, dflt at once, while A is still silent.
        for app in ("gone", "dflt"):
            wait_until(lambda a=app: list(tasks_by_id(master, a)) == [repl[a]], timeout=30,
                       what=f"{app}'s unreachable task expunged")
        # "disabled": never replaced.
        assert list(tasks_by_id(master, "keep")) == [first["keep"]]
        assert tasks_by_id(master, "keep")[first["keep"]]["state"] == "TASK_UNREACHABLE"
        # The silent agent's processes ran on all along.
        assert all(alive(pids[a]) for a in APPS)
    finally:
        os.kill(agent_a.proc.pid, signal.SIGCONT)

    # A is back with its tasks: they count again.
    wait_until(lambda: agents_active(master) == ["node-a", "node-b"], timeout=60,
               what="agent A active again")

    def settled(app, want):
        run = {t["id"] for t in master.running_tasks(app)}
        return run == want and set(tasks_by_id(master, app)) == want

    # YOUNGEST_FIRST: the replacement goes, the task that came back stays.
    wait_until(lambda: settled("young", {first["young"]}), timeout=60, what="young: only its first task")
    # OLDEST_FIRST: the task that came back goes.
    wait_until(lambda: settled("old", {repl["old"]}), timeout=60, what="old: only its replacement")
    # disabled: the same task, running again; nothing was killed.
    wait_until(lambda: settled("keep", {first["keep"]}), timeout=60, what="keep: running again")
    # Expunged tasks are unknown when they come back: killed.
    for app in ("gone", "dflt"):
        wait_until(lambda a=app: settled(a, {repl[a]}), timeout=60, what=f"{app}: only its replacement")
    wait_until(lambda: not any(alive(pids[a]) for a in ("old", "gone", "dflt")), timeout=30,
               what="the processes of the killed tasks gone")
    wait_until(lambda: not alive(pids[repl["young"]]), timeout=30,
               what="young's replacement process gone")
    for app in ("young", "keep"):
        assert sorted(task_pids(agent_a.work_dir, first[app])) == sorted(pids[app]), \
            f"{app}'s task was restarted"
    for app in ("old", "gone", "dflt"):
        assert sorted(task_pids(agent_b.work_dir, repl[app])) == sorted(pids[repl[app]])
    assert "TASK_RUNNING" in events.states(first["young"])[1:]
    assert events.states(first["keep"])[-1] == "TASK_RUNNING"
    events.close()
