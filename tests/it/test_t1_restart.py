"""t1: state and recovery across restarts (SPEC sections 6, 7 and 10).

kill -9 (or SIGTERM) of --all-in-one loses no acknowledged app, and the tasks keep
running: after a restart on the same work_dir the agent re-adopts the very same
containers (not restarted, no duplicates) and the scheduler lists the same tasks.
Also with group commit (--store_sync=group).
"""

import pytest

from clusterd_harness import TEST_IMAGE, holds_for, wait_until

APP = {
    "id": "keeper",
    "cmd": "exec sleep 100000",
    "cpus": 0.1,
    "mem": 32,
    "instances": 2,
    "container": {"type": "DOCKER", "docker": {"image": TEST_IMAGE}},
}


def container_starts(dockerd):
    """{container id: StartedAt} of the running containers of /keeper."""
    out = {}
    for c in dockerd.app_containers("/keeper"):
        info = dockerd.inspect(c["Id"])
        if info and info["State"]["Running"]:
            out[c["Id"]] = info["State"]["StartedAt"]
    return out


def wait_containers(dockerd, n):
    def check():
        starts = container_starts(dockerd)
        return starts if len(starts) == n else None
    return wait_until(check, timeout=30, what=f"{n} running containers of /keeper")


# group: --store_sync=group, whose writes reach the disk when their loop pass
# commits; a kill -9 must still find every acknowledged app and task.
@pytest.mark.parametrize("how,sync", [("kill9", "commit"), ("sigterm", "commit"),
                                      ("kill9", "group")])
def test_restart_keeps_tasks(start_clusterd, dockerd, how, sync):
    cd = start_clusterd(f"--store_sync={sync}")
    r = cd.post("/v2/apps", json=APP)
    assert r.status_code == 201, r.text
    tasks = cd.wait_running("/keeper", 2, timeout=60)
    task_ids = {t["id"] for t in tasks}
    before = wait_containers(dockerd, 2)

    if how == "kill9":
        cd.kill9()
    else:
        cd.stop()  # asserts exit code 0
    # the containers outlive clusterd
    assert container_starts(dockerd) == before

    cd.start()
    assert cd.app("/keeper") is not None, "the app was lost across the restart"
    assert cd.app("/keeper")["instances"] == 2

    def same_tasks_running():
        return {t["id"] for t in cd.running_tasks("/keeper")} == task_ids

    wait_until(same_tasks_running, timeout=60, what="the same task ids running after restart")
    assert container_starts(dockerd) == before, "containers were restarted or replaced"

    # no extra container shows up while the agent reconciles
    holds_for(lambda: container_starts(dockerd) == before
              and len(dockerd.containers(["clusterd.app_id=/keeper"])) == 2,
              duration=5, what="exactly the two original containers")
    assert {t["id"] for t in cd.tasks("/keeper")} == task_ids

    # the recovered app can still be scaled
    r = cd.put("/v2/apps/keeper", json={"instances": 3})
    assert 200 <= r.status_code < 300, r.text
    tasks = cd.wait_running("/keeper", 3, timeout=60)
    assert task_ids <= {t["id"] for t in tasks}
    after = wait_containers(dockerd, 3)
    for cid, started in before.items():
        assert after.get(cid) == started
