"""t5: offers while nothing is wanted, and demand reviving them.

When no app wants a task, the scheduler declines offers for Marathon's
decline_offer_duration (120 s) instead of --refuse_seconds (5 s), so a quiet
cluster is not offered every agent every few seconds. That is only correct if
every path where demand appears revives offers (clears the master's filters):
a task that dies and needs a replacement, an app scaled up, an app created.

Each check first waits until the scheduler has declined for 120 s (its debug
log says so) and the cluster stayed idle for longer than --refuse_seconds,
then creates demand and expects it served within 30 s: well above what a
revive needs (about a second, plus the launch backoff after a failure), and
well below the 120 s that the filter would otherwise hold the only agent.
"""

import os
import signal
import time

from clusterd_harness import TIMEOUT_SCALE, task_pids, wait_until

IDLE_LINE = "nothing to launch: declining offers for 120 s"
# Generous, yet well below the 120 s idle filter (even scaled for sanitizers).
SERVE_S = 30
assert SERVE_S * TIMEOUT_SCALE < 110


def idle_declines(cd):
    return cd.log_text().count(IDLE_LINE)


def wait_idle(cd, seen):
    """Wait for an idle decline after the `seen` ones counted before the last
    demand, then stay idle past --refuse_seconds (5 s), so that only a revive
    can bring offers back."""
    wait_until(lambda: idle_declines(cd) > seen, timeout=30,
               what="the scheduler to decline offers for 120 s")
    time.sleep(6)


def running_ids(cd, app):
    return {t["id"] for t in cd.running_tasks(app)}


def served_within(fn, what):
    t0 = time.monotonic()
    value = wait_until(fn, timeout=SERVE_S, interval=0.1, what=what)
    return value, time.monotonic() - t0


def test_demand_revives_long_declines(start_clusterd):
    cd = start_clusterd("--allocation_interval=100ms", "--containerizers=mesos")
    app = {"id": "/steady", "cmd": "exec sleep 100000", "cpus": 0.1, "mem": 16,
           "instances": 2, "backoffSeconds": 1}
    seen = idle_declines(cd)
    r = cd.post("/v2/apps", json=app)
    assert r.status_code == 201, r.text
    before = {t["id"] for t in cd.wait_running("/steady", 2)}
    wait_idle(cd, seen)

    # A task dies on its own: replaced, after its launch backoff (1 s).
    seen = idle_declines(cd)
    victim = sorted(before)[0]
    pids = task_pids(cd.work_dir, victim)
    assert pids, "the task's process is not running"
    os.killpg(os.getpgid(pids[0]), signal.SIGKILL)
    ids, took = served_within(
        lambda: (lambda ids: ids if len(ids) == 2 and victim not in ids else None)(
            running_ids(cd, "/steady")),
        "a replacement of the killed task running")
    assert len(ids - before) == 1
    print(f"replacement running {took:.1f}s after the kill")
    wait_idle(cd, seen)

    # Scaled up: the new instance launches.
    seen = idle_declines(cd)
    r = cd.put("/v2/apps/steady", json={"instances": 3})
    assert r.status_code == 200, r.text
    _, took = served_within(lambda: len(cd.running_tasks("/steady")) == 3,
                            "the third instance running")
    print(f"scale-up running {took:.1f}s after the PUT")
    wait_idle(cd, seen)

    # A new app.
    r = cd.post("/v2/apps", json={"id": "/late", "cmd": "exec sleep 100000", "cpus": 0.1,
                                  "mem": 16})
    assert r.status_code == 201, r.text
    _, took = served_within(lambda: len(cd.running_tasks("/late")) == 1,
                            "the new app's task running")
    print(f"new app running {took:.1f}s after the POST")
    assert len(cd.running_tasks("/steady")) == 3


def test_killed_task_replaced_after_idle(start_clusterd):
    """DELETE of a task (scale=false) after a long idle period: the kill
    ends the task, whose app then wants a replacement."""
    cd = start_clusterd("--allocation_interval=100ms", "--containerizers=mesos")
    seen = idle_declines(cd)
    r = cd.post("/v2/apps", json={"id": "/kr", "cmd": "exec sleep 100000", "cpus": 0.1,
                                  "mem": 16, "instances": 2})
    assert r.status_code == 201, r.text
    before = {t["id"] for t in cd.wait_running("/kr", 2)}
    wait_idle(cd, seen)
    doomed = sorted(before)[0]
    r = cd.delete(f"/v2/apps/kr/tasks/{doomed}", params={"scale": "false"})
    assert r.status_code == 200, r.text
    _, took = served_within(
        lambda: (lambda ids: len(ids) == 2 and doomed not in ids)(running_ids(cd, "/kr")),
        "a replacement of the deleted task running")
    print(f"replacement running {took:.1f}s after the DELETE")
