"""t9 (issue 11, item 9): a deployment running at a crash is still listed after
the restart, until the app has really converged.

A rolling update (a new definition) or a restart (POST /v2/apps/{id}/restart:
the same definition, new tasks) whose new tasks take about 10 s to become
healthy (their busybox httpd serves nothing until then); clusterd
(all-in-one) is killed with -9 while the new tasks run but are not yet
healthy, and started again on the same work_dir. The restart used to be
forgotten by the crash: the config version was recomputed from the stored
definitions, which a restart does not change, so the new tasks were killed
as surplus and the deployment was over at once, on the old tasks. /v2/deployments is polled from the first answer on:
it lists the same deployment id for as long as the app has not converged,
and once it is empty the app runs exactly its instances, all of the new
version and healthy, and the old tasks' processes are gone.
"""

import pytest

from clusterd_harness import TEST_IMAGE, free_port_range, task_pids, wait_until

SLOW = '(sleep 10; echo ok > index.html) & exec busybox httpd -f -p "$PORT0" -h .'
FAST = 'echo ok > index.html; exec busybox httpd -f -p "$PORT0" -h .'


def app_def(cmd, version_env, docker):
    app = {"id": "web", "cmd": cmd, "cpus": 0.05, "mem": 16, "instances": 2,
            "portDefinitions": [{"port": 0}], "env": {"V": version_env},
            "upgradeStrategy": {"minimumHealthCapacity": 1, "maximumOverCapacity": 1},
            "healthChecks": [{"protocol": "HTTP", "path": "/", "portIndex": 0,
                              "gracePeriodSeconds": 60, "intervalSeconds": 1,
                              "timeoutSeconds": 1, "maxConsecutiveFailures": 0}]}
    if docker:
        app["container"] = {"type": "DOCKER",
                            "docker": {"image": TEST_IMAGE, "network": "HOST"}}
    return app


@pytest.mark.parametrize("how,docker", [("update", False), ("restart", False), ("restart", True)],
                         ids=["update-process", "restart-process", "restart-docker"])
def test_deployment_listed_after_kill9_until_converged(start_clusterd, how, docker):
    cd = start_clusterd(resources=f"cpus:4;mem:4096;disk:10000;ports:{free_port_range()}")
    # A restart keeps the definition: its slow start must be there from the first version.
    r = cd.put("/v2/apps/web", json=app_def(FAST if how == "update" else SLOW, "1", docker))
    assert r.status_code in (200, 201), r.text
    wait_until(lambda: cd.get("/v2/apps/web").json()["app"]["tasksHealthy"] == 2, timeout=60,
               what="version 1 healthy")
    wait_until(lambda: cd.get("/v2/deployments").json() == [], what="first deployment done")
    old = {t["id"] for t in cd.tasks("web")}
    old_pids = {p for t in old for p in task_pids(cd.work_dir, t)}

    if how == "update":
        r = cd.put("/v2/apps/web", json=app_def(SLOW, "2", docker))
    else:  # same definition, new tasks: only the config version says so
        r = cd.post("/v2/apps/web/restart")
    assert r.status_code == 200, r.text
    dep_id, version = r.json()["deploymentId"], r.json()["version"]
    # Mid-way: the new tasks run, none is healthy yet.
    wait_until(lambda: len([t for t in cd.running_tasks("web") if t["id"] not in old]) == 2,
               timeout=60, what="the new tasks running")
    assert cd.get("/v2/apps/web").json()["app"]["tasksHealthy"] == 2  # the old ones
    assert [d["id"] for d in cd.get("/v2/deployments").json()] == [dep_id]
    cd.kill9()
    cd.start()

    def poll():
        deps = cd.get("/v2/deployments").json()
        if deps:
            assert [d["id"] for d in deps] == [dep_id], deps
            return None
        return True
    first = cd.get("/v2/deployments").json()
    assert [d["id"] for d in first] == [dep_id], first
    wait_until(poll, timeout=90, interval=0.1, what="the deployment to finish")
    # Listed no longer: converged for real.
    app = cd.get("/v2/apps/web", params={"embed": "apps.tasks"}).json()["app"]
    tasks = cd.tasks("web")
    assert len(tasks) == 2 and not {t["id"] for t in tasks} & old, tasks
    assert all(t["state"] == "TASK_RUNNING" and t["version"] == version for t in tasks), tasks
    assert app["tasksHealthy"] == 2 and app["tasksUnhealthy"] == 0, app
    wait_until(lambda: not any(p in old_pids for t in old for p in task_pids(cd.work_dir, t)),
               timeout=30, what="the old processes gone")
