"""t9 (issue 11, items 3 and 4): no overlap on replacement, backoff on drops.

Tasks here are plain processes that take their time to die: on SIGTERM the
shell waits 3 s before it exits (taskKillGracePeriodSeconds 10, so nothing
cuts that short). A sampler thread reads /proc every 50 ms and records
which tasks have a live process (by MESOS_TASK_ID) at each moment.

- A task killed for failing its HTTP health check (the test removes the
  file its busybox httpd serves) is replaced only once its kill is
  confirmed: its process and the replacement's never live at the same time.
- A rolling restart with upgradeStrategy {0.5, 0} never has more than the
  app's 2 instances alive, although each old task lingers after its kill.
- Launches dropped by an agent that is gone (kill -9, not yet declared lost)
  count against the app's backoff: after a TASK_DROPPED the app waits in
  /v2/queue with its delay, and no launch happens before the delay ends;
  and the agent gets no more offers until it answers again (item 3), so
  the next launch goes out once it is back.
"""
import json
import os
import socket
import threading
import time

import requests

from clusterd_harness import TIMEOUT_SCALE, free_port_range, holds_for, task_pids, wait_until

LINGER = "trap 'sleep 3; exit 0' TERM; "
HTTPD = LINGER + 'echo ok > index.html; busybox httpd -f -p "$PORT0" -h . & wait'
SLEEPER = LINGER + "sleep 100000 & wait"


class Sampler(threading.Thread):
    """Which tasks of a work_dir have a live process, every 50 ms."""

    def __init__(self, work_dir):
        super().__init__(daemon=True)
        self.prefixes = tuple({("MESOS_SANDBOX=" + d + "/").encode()
                               for d in (work_dir, os.path.realpath(work_dir))})
        self.samples = []  # sets of task ids alive together
        self.stopped = threading.Event()

    def alive_tasks(self):
        ids = set()
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open(f"/proc/{name}/stat", encoding="utf-8") as f:
                    if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                        continue
                with open(f"/proc/{name}/environ", "rb") as f:
                    env = f.read().split(b"\0")
            except (OSError, IndexError):
                continue
            if any(e.startswith(self.prefixes) for e in env):
                for e in env:
                    if e.startswith(b"MESOS_TASK_ID="):
                        ids.add(e.split(b"=", 1)[1].decode())
        return frozenset(ids)

    def run(self):
        while not self.stopped.is_set():
            self.samples.append(self.alive_tasks())
            time.sleep(0.05)

    def stop(self):
        self.stopped.set()
        self.join(timeout=10)

    def most_at_once(self, prefix):
        return max((len([t for t in s if t.startswith(prefix)]) for s in self.samples), default=0)


def events(cd):
    """A background reader of status_update_events: a list of (taskId, taskStatus)."""
    resp = requests.get(cd.url + "/v2/events", params={"event_type": "status_update_event"},
                        headers={"Accept": "text/event-stream"}, stream=True,
                        timeout=(5, 60 * TIMEOUT_SCALE))
    assert resp.status_code == 200
    seen = []

    def run():
        try:
            for line in resp.iter_lines(decode_unicode=True):
                if line and line.startswith("data:"):
                    ev = json.loads(line[5:])
                    seen.append((ev["taskId"], ev["taskStatus"]))
        except (requests.RequestException, ValueError, AttributeError):
            pass
    threading.Thread(target=run, daemon=True).start()
    return resp, seen


def test_unhealthy_task_replaced_after_its_kill(start_clusterd):
    cd = start_clusterd(resources=f"cpus:4;mem:4096;disk:10000;ports:{free_port_range()}")
    app = {"id": "sick", "cmd": HTTPD, "cpus": 0.05, "mem": 16, "instances": 1,
           "portDefinitions": [{"port": 0}], "taskKillGracePeriodSeconds": 10,
           "backoffSeconds": 1, "backoffFactor": 1.0,
           "healthChecks": [{"protocol": "HTTP", "path": "/", "portIndex": 0,
                             "gracePeriodSeconds": 2, "intervalSeconds": 1,
                             "timeoutSeconds": 1, "maxConsecutiveFailures": 2}]}
    r = cd.post("/v2/apps", json=app)
    assert r.status_code == 201, r.text
    wait_until(lambda: cd.get("/v2/apps/sick").json()["app"]["tasksHealthy"] == 1, timeout=60,
               what="the task healthy")
    (old,) = cd.tasks("sick")
    old_pids = sorted(task_pids(cd.work_dir, old["id"]))
    assert old_pids
    sampler = Sampler(cd.work_dir)
    sampler.start()
    try:
        os.unlink(os.path.join(cd.sandbox(old), "index.html"))  # GET / answers 404 now

        def replaced():
            run = [t for t in cd.running_tasks("sick") if t["id"] != old["id"]]
            return run[0] if run and old["id"] not in {t["id"] for t in cd.tasks("sick")} else None
        new = wait_until(replaced, timeout=90, what="the unhealthy task replaced")
        new_pids = sorted(task_pids(cd.work_dir, new["id"]))
        assert new_pids and not set(new_pids) & set(old_pids)
        holds_for(lambda: [t["id"] for t in cd.tasks("sick")] == [new["id"]], duration=2,
                  what="only the replacement")
    finally:
        sampler.stop()
    seen_old = [s for s in sampler.samples if old["id"] in s]
    seen_new = [s for s in sampler.samples if new["id"] in s]
    assert seen_old and seen_new, "the sampler saw neither the old nor the new process"
    together = [s for s in sampler.samples if old["id"] in s and new["id"] in s]
    assert not together, f"old and new ran at once: {together[:3]}"
    assert not task_pids(cd.work_dir, old["id"])


def test_rolling_restart_stays_within_over_capacity(start_clusterd):
    cd = start_clusterd()
    app = {"id": "roll", "cmd": SLEEPER, "cpus": 0.05, "mem": 16, "instances": 2,
           "taskKillGracePeriodSeconds": 10,
           "upgradeStrategy": {"minimumHealthCapacity": 0.5, "maximumOverCapacity": 0}}
    r = cd.post("/v2/apps", json=app)
    assert r.status_code == 201, r.text
    before = {t["id"] for t in cd.wait_running("roll", 2)}
    wait_until(lambda: cd.get("/v2/deployments").json() == [], what="the first deployment done")
    sampler = Sampler(cd.work_dir)
    sampler.start()
    try:
        r = cd.post("/v2/apps/roll/restart")
        assert r.status_code == 200, r.text
        wait_until(lambda: cd.get("/v2/deployments").json() == [], timeout=90,
                   what="the restart deployment done")
        after = {t["id"] for t in cd.wait_running("roll", 2)}
        assert not after & before
        wait_until(lambda: not any(task_pids(cd.work_dir, t) for t in before), timeout=30,
                   what="the old processes gone")
    finally:
        sampler.stop()
    assert any(before & s for s in sampler.samples) and any(after & s for s in sampler.samples)
    assert sampler.most_at_once("roll.") <= 2, \
        [sorted(s) for s in sampler.samples if len(s) > 2][:3]


def test_dropped_launches_back_off(start_clusterd):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # Pings slow enough that the dead agent is not declared lost during the test.
    master = start_clusterd(f"--master_port={port}", "--agent_ping_timeout=30secs",
                            role="--master")
    agent = start_clusterd(f"--master=127.0.0.1:{port}", "--containerizers=mesos",
                           "--agent_ping_timeout=30secs", role="--agent")
    wait_until(lambda: [s for s in master.get("/master/slaves", base=master.master_url)
                        .json()["slaves"] if s["active"]], what="agent registered")
    resp, seen = events(master)
    agent.kill9()  # still active for the master: launches go to it and are dropped
    r = master.post("/v2/apps", json={"id": "storm", "cmd": "sleep 1000", "cpus": 0.1,
                                      "mem": 16, "backoffSeconds": 20, "backoffFactor": 2})
    assert r.status_code == 201, r.text
    first = wait_until(lambda: [t for t, st in seen if st == "TASK_DROPPED"], timeout=30,
                       what="a TASK_DROPPED")[0]
    failure = master.get("/v2/apps/storm").json()["app"]["lastTaskFailure"]
    assert failure["taskId"] == first and failure["state"] == "TASK_DROPPED", failure
    (item,) = master.get("/v2/queue").json()["queue"]
    assert item["app"]["id"] == "/storm" and item["count"] == 1
    assert item["delay"]["overdue"] is False and 0 < item["delay"]["timeLeftSeconds"] <= 20, item
    # Within its delay the app is not launched again.
    holds_for(lambda: [t for t, st in seen if st == "TASK_STAGING"] == [first], duration=5,
              what="no launch within the backoff")
    # The agent that dropped it gets no offers until it answers again (item
    # 3): even with the delay reset, nothing more is sent to it.
    assert master.delete("/v2/queue/storm/delay").status_code == 204
    slaves = master.get("/master/slaves", base=master.master_url).json()["slaves"]
    assert [s["active"] for s in slaves] == [False], slaves
    holds_for(lambda: [t for t, st in seen if st == "TASK_STAGING"] == [first], duration=3,
              what="no launch to the silent agent")
    # Back, it answers: the next launch goes out at once, and runs.
    agent.start()
    second = wait_until(lambda: [t for t, st in seen if st == "TASK_RUNNING"], timeout=30,
                        what="a launch running once the agent is back")[0]
    assert second != first
    resp.close()
