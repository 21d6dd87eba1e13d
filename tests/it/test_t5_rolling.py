"""t5: rolling replacement honours upgradeStrategy (SPEC section 5), against the real binary.

With n instances, a config change keeps at least ceil(n * minimumHealthCapacity) tasks
running and never runs more than n * (1 + maximumOverCapacity), while new tasks replace the
old ones. The test samples /v2/apps/{id}/tasks every 0.2 s for the whole upgrade, as a user
watching it would, and checks the bounds on every sample; the upgrade is done when the
deployment is gone and n tasks of the new version run. One app runs under a COMMAND health
check, so a new task counts only once it is healthy.
"""

import math
import time

import pytest

from clusterd_harness import TIMEOUT_SCALE, wait_until

ACTIVE = ("TASK_STAGING", "TASK_STARTING", "TASK_RUNNING")


def put_app(cd, app_id, body, code=(200, 201)):
    r = cd.put(f"/v2/apps/{app_id.lstrip('/')}", json=body)
    assert r.status_code in code, r.text
    return r.json()


def healthy(task):
    results = task.get("healthCheckResults") or []
    return task["state"] == "TASK_RUNNING" and bool(results) and all(
        r.get("alive") for r in results)


def upgrade_and_sample(cd, app_id, n, min_health, max_over, timeout=120, checks=False):
    """Change the app's cmd and sample its tasks until the upgrade is done; return the
    samples as (running, active, new_running) counts. With checks, capacity counts the
    tasks whose health checks pass, not merely the running ones."""
    low = math.ceil(n * min_health - 1e-9)
    if math.floor(n * (1 + max_over) + 1e-9) <= low:
        # No room for a new task beside the old ones: Marathon's TaskReplaceActor then
        # kills one old task first, so that the upgrade can progress at all.
        low -= 1
    high = math.floor(n * (1 + max_over) + 1e-9)
    old_ids = {t["id"] for t in cd.tasks(app_id)}
    result = put_app(cd, app_id, {"cmd": "sleep 200000"})
    version = result["version"]
    samples = []
    deadline = time.monotonic() + timeout * TIMEOUT_SCALE
    while True:
        tasks = cd.tasks(app_id)
        running = [t for t in tasks if (healthy(t) if checks else
                                         t["state"] == "TASK_RUNNING")]
        active = [t for t in tasks if t["state"] in ACTIVE]
        new_running = [t for t in running if t["version"] == version]
        samples.append((len(running), len(active), len(new_running)))
        assert len(running) >= low, (
            f"only {len(running)} {'healthy' if checks else 'running'} tasks, below "
            f"ceil({n} * {min_health}) = {low}: "
            f"{[(t['id'], t['state'], t['version']) for t in tasks]}")
        assert len(active) <= high, (
            f"{len(active)} tasks, above {n} * (1 + {max_over}) = {high}: "
            f"{[(t['id'], t['state'], t['version']) for t in tasks]}")
        deps = cd.get("/v2/deployments").json()
        if (not deps and len(tasks) == n and len(new_running) == n
                and not old_ids & {t["id"] for t in tasks}):
            return samples
        assert time.monotonic() < deadline, f"the upgrade did not finish: {samples[-5:]}"
        time.sleep(0.2)


def start(cd, app_id, n, min_health, max_over, **extra):
    app = {"id": app_id, "cmd": "sleep 100000", "cpus": 0.05, "mem": 16, "instances": n,
           "upgradeStrategy": {"minimumHealthCapacity": min_health,
                               "maximumOverCapacity": max_over}}
    app.update(extra)
    r = cd.post("/v2/apps", json=app)
    assert r.status_code == 201, r.text
    cd.wait_running(app_id, n)
    wait_until(lambda: cd.get("/v2/deployments").json() == [], timeout=60,
               what="the start deployment finished")


@pytest.mark.parametrize("n,min_health,max_over", [
    (4, 0.5, 0.5),
    (3, 1.0, 1.0),   # the default: every old task stays until its replacement runs
    (3, 1.0, 0.0),   # no room: one old task goes first, then one by one (n - 1 run)
    (3, 0.0, 0.0),   # may kill every old task at once
])
def test_rolling_upgrade_stays_within_bounds(module_clusterd, n, min_health, max_over):
    cd = module_clusterd
    app_id = f"/roll-{n}-{int(min_health * 100)}-{int(max_over * 100)}"
    start(cd, app_id, n, min_health, max_over)
    samples = upgrade_and_sample(cd, app_id, n, min_health, max_over)
    assert samples[-1] == (n, n, n)
    assert cd.app(app_id)["instances"] == n
    r = cd.delete(f"/v2/apps/{app_id.lstrip('/')}")
    assert r.status_code == 200, r.text


def test_rolling_upgrade_under_a_health_check(module_clusterd):
    cd = module_clusterd
    check = {"protocol": "COMMAND", "command": {"value": "true"}, "gracePeriodSeconds": 5,
             "intervalSeconds": 1, "timeoutSeconds": 5, "maxConsecutiveFailures": 3}
    start(cd, "/roll-health", 4, 0.75, 0.25, healthChecks=[check])
    wait_until(lambda: all(healthy(t) for t in cd.tasks("/roll-health")), timeout=60,
               what="every task healthy")
    samples = upgrade_and_sample(cd, "/roll-health", 4, 0.75, 0.25, checks=True)
    assert samples[-1] == (4, 4, 4)
    # the replacement is done: the app reports its tasks and none is old
    app = cd.app("/roll-health")
    assert app["tasksRunning"] == 4 and app["deployments"] == []
    r = cd.delete("/v2/apps/roll-health")
    assert r.status_code == 200, r.text
