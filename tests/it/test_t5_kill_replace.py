"""t5: killing single tasks (Marathon's DELETE /v2/apps/{id}/tasks/{taskId}).

scale=false: the container is stopped and removed, and a new task replaces it, so
the app keeps its instances. scale=true: instances drop by one and nothing replaces it.
"""

from clusterd_harness import TEST_IMAGE, holds_for, wait_until


def start_app(cd, app_id):
    app = {
        "id": app_id,
        "cmd": "exec sleep 100000",
        "cpus": 0.1,
        "mem": 32,
        "instances": 2,
        "container": {"type": "DOCKER", "docker": {"image": TEST_IMAGE}},
    }
    r = cd.post("/v2/apps", json=app)
    assert r.status_code == 201, r.text
    return cd.wait_running("/" + app_id, 2, timeout=60)


def container_gone(dockerd, task_id):
    info = dockerd.inspect(f"clusterd-{task_id}")
    return info is None


def test_kill_task_is_replaced(clusterd, dockerd):
    cd = clusterd
    tasks = start_app(cd, "victim")
    old = {t["id"] for t in tasks}
    doomed = tasks[0]["id"]
    assert dockerd.inspect(f"clusterd-{doomed}")["State"]["Running"]

    r = cd.delete(f"/v2/apps/victim/tasks/{doomed}", params={"scale": "false"})
    assert r.status_code == 200, r.text
    assert r.json()["task"]["id"] == doomed, r.text

    wait_until(lambda: container_gone(dockerd, doomed), timeout=30,
               what=f"container of {doomed} stopped and removed")

    def replaced():
        ids = {t["id"] for t in cd.running_tasks("/victim")}
        return ids if len(ids) == 2 and doomed not in ids and ids != old else None

    ids = wait_until(replaced, timeout=60, what="a replacement task running")
    assert len(ids - old) == 1
    assert cd.app("/victim")["instances"] == 2
    wait_until(lambda: len(dockerd.app_containers("/victim")) == 2, timeout=30,
               what="two running containers again")


def test_kill_task_with_scale(clusterd, dockerd):
    cd = clusterd
    tasks = start_app(cd, "shrinker")
    doomed, kept = tasks[0]["id"], tasks[1]["id"]

    r = cd.delete(f"/v2/apps/shrinker/tasks/{doomed}", params={"scale": "true"})
    assert r.status_code == 200, r.text

    wait_until(lambda: cd.app("/shrinker")["instances"] == 1, timeout=30,
               what="instances of /shrinker down to 1")
    wait_until(lambda: container_gone(dockerd, doomed), timeout=30,
               what=f"container of {doomed} stopped and removed")
    wait_until(lambda: [t["id"] for t in cd.tasks("/shrinker")] == [kept], timeout=30,
               what="only the kept task left")

    # nothing comes back to replace it
    holds_for(lambda: [t["id"] for t in cd.tasks("/shrinker")] == [kept]
              and len(dockerd.containers(["clusterd.app_id=/shrinker"])) == 1,
              duration=4, what="one task and one container")
    assert cd.app("/shrinker")["instances"] == 1
