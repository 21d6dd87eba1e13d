"""t5: Debian's python3-marathon, the real Marathon client, against the real binary.

The client builds model objects with **kwargs from every field of the answers, so
a field it does not know makes it raise TypeError: this test also pins the answers
to the Marathon 1.x field set.
"""

from marathon import MarathonApp, MarathonClient
from marathon.models.container import MarathonContainer, MarathonDockerContainer

from clusterd_harness import TEST_IMAGE, wait_until


def test_marathon_client_roundtrip(clusterd, dockerd):
    c = MarathonClient(clusterd.url, timeout=30)
    assert c.ping().strip() == b"pong"

    app = MarathonApp(cmd="exec sleep 100000", cpus=0.1, mem=32, instances=1,
                      container=MarathonContainer(docker=MarathonDockerContainer(image=TEST_IMAGE)))
    created = c.create_app("pyclient", app)
    assert created, "create_app did not get 201"
    assert created.id == "/pyclient"

    apps = c.list_apps()
    assert [a.id for a in apps] == ["/pyclient"]
    got = c.get_app("pyclient")
    assert got.instances == 1
    assert got.container.docker.image == TEST_IMAGE

    def running(n):
        def check():
            tasks = [t for t in c.list_tasks("pyclient") if t.state == "TASK_RUNNING"]
            return tasks if len(tasks) == n else None
        return wait_until(check, timeout=60, what=f"{n} running tasks through the client")

    running(1)
    c.scale_app("pyclient", instances=2)
    tasks = running(2)
    assert c.get_app("pyclient").instances == 2
    assert len(dockerd.app_containers("/pyclient")) == 2
    assert {t.id for t in c.list_tasks()} >= {t.id for t in tasks}

    # RAML (apps.raml, DELETE /v2/apps/{id}/tasks/{taskId}): with scale=true
    # Marathon answers the deployment it started, not the task.
    killed = c.kill_task("pyclient", tasks[0].id, scale=True)
    assert isinstance(killed, dict) and killed.get("deploymentId"), killed
    wait_until(lambda: c.get_app("pyclient").instances == 1, timeout=30, what="instances 1")
    wait_until(lambda: len(dockerd.app_containers("/pyclient")) == 1, timeout=30,
               what="one container left")

    c.delete_app("pyclient")
    wait_until(lambda: c.list_apps() == [], timeout=30, what="no apps")
    wait_until(lambda: dockerd.containers(["clusterd.app_id=/pyclient"]) == [], timeout=30,
               what="containers of /pyclient removed")
