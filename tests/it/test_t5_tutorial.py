"""t5: the Marathon 0.5 + Deimos tutorial, replayed as written (SPEC sections 5, 6).

The session was:
    curl -X POST -H 'Content-Type: application/json' localhost:8080/v2/apps -d@ubuntu.json
    curl localhost:8080/v2/apps/ubuntu
    curl -X PUT ... localhost:8080/v2/apps/ubuntu -d '{"instances": "2"}'
    curl -X DELETE localhost:8080/v2/apps/ubuntu
with numbers sent as strings and a 0.5 container {"image": "docker:///...", "options": []}.
Every effect is checked in the real dockerd.
"""

import json

from marathon import MarathonClient

import clusterd_harness as harness
import marathon_shapes as ms
from clusterd_harness import wait_until

UBUNTU_JSON = {
    "container": {"image": "docker:///libmesos/ubuntu", "options": []},
    "id": "ubuntu",
    "instances": "1",
    "cpus": ".5",
    "mem": "512",
    "uris": [],
    "cmd": "while sleep 10; do date -u +%T; done",
}
HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
# The keys of an app in Marathon 0.5's GET /v2/apps (its REST.md transcript).
KEYS_05 = tuple(ms.load_example("example_v0.5_get_v2_apps_response.json")["apps"][0])
MiB = 1024 * 1024


def curl(cd, method, path, body=None):
    """What `curl -X METHOD -H 'Content-Type: application/json' -d BODY` sends."""
    data = json.dumps(body) if body is not None else None
    return cd.api(path, method, data=data, headers=HEADERS)


def check_container(dockerd, task):
    """The container of a tutorial task: name, labels, image, limits, running."""
    name = f"clusterd-{task['id']}"
    info = dockerd.inspect(name)
    assert info is not None, f"no container named {name}"
    assert info["Name"] == "/" + name
    assert info["State"]["Running"], info["State"]
    labels = info["Config"]["Labels"] or {}
    assert labels.get("clusterd.task_id") == task["id"]
    assert labels.get("clusterd.app_id") == "/ubuntu"
    assert labels.get("clusterd.agent_id") == task["slaveId"]
    assert info["Image"] == dockerd.image_id(harness.TUTORIAL_IMAGE)
    assert info["Config"]["Image"] in ("libmesos/ubuntu", "libmesos/ubuntu:latest")
    assert info["HostConfig"]["CpuShares"] == 512  # max(2, 1024 * .5)
    assert info["HostConfig"]["Memory"] == 512 * MiB
    return info


def test_tutorial(clusterd, dockerd):
    cd = clusterd

    # POST /v2/apps -> 201 Created with a Location header
    r = curl(cd, "POST", "/v2/apps", UBUNTU_JSON)
    assert r.status_code == 201, r.text
    assert r.headers.get("Location", "").endswith("/v2/apps/ubuntu"), r.headers

    # GET /v2/apps/ubuntu: the strings became numbers, and one task runs
    r = curl(cd, "GET", "/v2/apps/ubuntu")
    assert r.status_code == 200, r.text
    app = r.json()["app"]
    assert app["id"] == "/ubuntu"
    assert app["instances"] == 1
    assert app["cpus"] == 0.5
    assert app["mem"] == 512

    def one_running():
        a = curl(cd, "GET", "/v2/apps/ubuntu").json()["app"]
        return a if a["tasksRunning"] == 1 and len(a["tasks"]) == 1 else None

    app = wait_until(one_running, timeout=60, what="tasksRunning == 1")
    task = app["tasks"][0]
    assert task["id"].startswith("ubuntu.")
    assert task["appId"] == "/ubuntu"
    assert task["state"] == "TASK_RUNNING"
    for field in ("host", "ports", "startedAt", "stagedAt", "version", "slaveId"):
        assert field in task, f"task lacks {field}: {task}"

    # Docker: exactly one running container for /ubuntu, named after the task
    running = dockerd.app_containers("/ubuntu")
    assert [c["Names"] for c in running] == [[f"/clusterd-{task['id']}"]]
    check_container(dockerd, task)

    # the container's stdout streams into the sandbox (the file exists at once)
    wait_until(lambda: cd.sandbox_file(task, "stdout") is not None, timeout=20,
               what="sandbox stdout of the docker task")

    # PUT instances "2" -> 2xx, then two running containers
    r = curl(cd, "PUT", "/v2/apps/ubuntu", {"instances": "2"})
    assert 200 <= r.status_code < 300, r.text
    tasks = cd.wait_running("/ubuntu", 2, timeout=60)
    assert task["id"] in {t["id"] for t in tasks}, "scaling up replaced the first task"
    wait_until(lambda: len(dockerd.app_containers("/ubuntu")) == 2, timeout=30,
               what="two running containers")
    for t in tasks:
        check_container(dockerd, t)
    assert curl(cd, "GET", "/v2/apps/ubuntu").json()["app"]["instances"] == 2

    # GET /v2/apps keeps the 0.5 fields next to the 1.x shape: every key 0.5 listed
    r = curl(cd, "GET", "/v2/apps")
    assert r.status_code == 200, r.text
    apps = {a["id"]: a for a in r.json()["apps"]}
    assert set(apps) == {"/ubuntu"}
    listed = apps["/ubuntu"]
    for field in KEYS_05:
        assert field in listed, f"GET /v2/apps lacks the 0.5 field {field}: {listed}"
    assert listed["cmd"] == UBUNTU_JSON["cmd"]
    assert listed["taskRateLimit"] == 1.0
    assert listed["uris"] == []
    assert listed["instances"] == 2
    assert listed["container"]["type"] == "DOCKER"
    assert listed["container"]["docker"]["image"] in ("libmesos/ubuntu", "docker:///libmesos/ubuntu")

    # DELETE -> 2xx; the containers are removed, not only stopped; then 404
    r = curl(cd, "DELETE", "/v2/apps/ubuntu")
    assert 200 <= r.status_code < 300, r.text
    wait_until(lambda: dockerd.containers(["clusterd.app_id=/ubuntu"]) == [], timeout=60,
               what="containers of /ubuntu removed")

    # (a requests.Response is falsy for 4xx, so wait on the status itself)
    wait_until(lambda: curl(cd, "GET", "/v2/apps/ubuntu").status_code == 404,
               timeout=30, what="GET /v2/apps/ubuntu -> 404")
    r = curl(cd, "GET", "/v2/apps/ubuntu")
    assert r.status_code == 404
    assert isinstance(r.json().get("message"), str), r.text
    assert curl(cd, "GET", "/v2/apps").json()["apps"] == []


def test_05_apps_list_the_05_keys(clusterd):
    """The tutorial's GET /v2/apps shows "cmd": "" for an app posted without one; 0.5-era
    scripts read that key. An app posted in the 0.5 shape lists every key 0.5 listed
    (cmd, container, executor, taskRateLimit, ...); one posted in the 1.x shape does not,
    and the 1.x client reads both."""
    cd = clusterd
    no_cmd = {"container": {"image": "docker:///libmesos/ubuntu", "options": []},
              "id": "nocmd", "instances": "0", "cpus": ".5", "mem": "512", "uris": []}
    assert curl(cd, "POST", "/v2/apps", no_cmd).status_code == 201
    example = ms.load_example("example_v0.5_post_v2_apps_request.json")
    example["instances"] = "0"
    assert curl(cd, "POST", "/v2/apps", example).status_code == 201
    modern = {"id": "/modern", "cmd": "sleep 1", "cpus": 0.1, "mem": 16, "instances": 0}
    assert cd.post("/v2/apps", json=modern).status_code == 201

    body = curl(cd, "GET", "/v2/apps").json()
    ms.check_app_list(body)
    apps = {a["id"]: a for a in body["apps"]}
    for app_id in ("/nocmd", "/myapp"):
        missing = [k for k in KEYS_05 if k not in apps[app_id]]
        assert not missing, (app_id, missing, apps[app_id])
    assert apps["/nocmd"]["cmd"] == ""
    assert apps["/nocmd"]["container"]["docker"]["image"] in ("libmesos/ubuntu",
                                                              "docker:///libmesos/ubuntu")
    assert apps["/myapp"]["cmd"] == "env && sleep 60"
    assert apps["/myapp"]["container"] is None
    assert apps["/myapp"]["executor"] == "" and apps["/myapp"]["taskRateLimit"] == 1.0
    for key in ("taskRateLimit", "container"):
        assert key not in apps["/modern"], apps["/modern"]
    # the same in GET /v2/apps/{id} and in its version, as 0.5 showed them
    single = curl(cd, "GET", "/v2/apps/nocmd").json()["app"]
    assert single["cmd"] == "" and single["taskRateLimit"] == 1.0
    version = single["version"]
    r = curl(cd, "GET", f"/v2/apps/nocmd/versions/{version}")
    assert r.json()["cmd"] == "" and r.json()["taskRateLimit"] == 1.0
    # an update in either shape keeps them
    assert curl(cd, "PUT", "/v2/apps/nocmd", {"mem": "256"}).status_code in (200, 201)
    assert cd.put("/v2/apps/myapp", json={"mem": 64}).status_code in (200, 201)
    apps = {a["id"]: a for a in curl(cd, "GET", "/v2/apps").json()["apps"]}
    assert apps["/nocmd"]["cmd"] == "" and apps["/nocmd"]["mem"] == 256
    assert apps["/myapp"]["container"] is None and apps["/myapp"]["mem"] == 64

    # python3-marathon reads every app, the 0.5 ones too
    listed = {a.id: a for a in MarathonClient(cd.url).list_apps()}
    assert listed["/nocmd"].cmd == "" and listed["/nocmd"].task_rate_limit == 1.0
    assert listed["/myapp"].container is None
    assert listed["/modern"].cmd == "sleep 1"
