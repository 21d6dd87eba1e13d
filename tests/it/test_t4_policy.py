"""t4: container and process policy on the agent (SPEC section 11, issue 10 item 6).

Defaults let nothing escape:
- no privileged containers, no docker parameter outside the safe set (capabilities,
  security options, host namespaces, devices, extra volumes) unless
  --docker_allowed_parameters names it, and no relative hostPath climbing out of the
  sandbox: 422 at the API, before anything runs;
- no host path outside --allowed_host_paths (empty by default): TASK_FAILED with a
  message naming the flag;
- an app's user is honoured: setuid/setgid and its groups for processes, User for
  containers, a sandbox of mode 0750 that belongs to it; an unknown user fails;
- a plain process inherits no descriptor but 0, 1 and 2.
"""

import os
import pwd

import pytest

from clusterd_harness import TEST_IMAGE, task_pids, wait_until

NOBODY = pwd.getpwnam("nobody")


def docker_app(app_id, **docker):
    return {"id": app_id, "cmd": "exec sleep 100000", "cpus": 0.1, "mem": 32,
            "container": {"type": "DOCKER", "docker": {"image": TEST_IMAGE, **docker}}}


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm", encoding="utf-8") as f:
            return f.read().strip()
    except OSError:
        return None


def last_failure(cd, app_id):
    return (cd.app(app_id) or {}).get("lastTaskFailure")


@pytest.mark.parametrize("docker,path,flag", [
    ({"privileged": True}, "/container/docker/privileged", None),
    ({"parameters": [{"key": "cap-add", "value": "SYS_ADMIN"}]},
     "/container/docker/parameters/0", "--docker_allowed_parameters"),
    ({"parameters": [{"key": "security-opt", "value": "seccomp=unconfined"}]},
     "/container/docker/parameters/0", "--docker_allowed_parameters"),
    ({"parameters": [{"key": "env", "value": "A=1"},
                     {"key": "volume", "value": "/:/h"}]},
     "/container/docker/parameters/1", "--docker_allowed_parameters"),
    ({"parameters": [{"key": "pid", "value": "host"}]},
     "/container/docker/parameters/0", "--docker_allowed_parameters"),
    ({"parameters": [{"key": "device", "value": "/dev/sda"}]},
     "/container/docker/parameters/0", "--docker_allowed_parameters"),
])
def test_refused_at_the_api(module_clusterd, docker, path, flag):
    cd = module_clusterd
    r = cd.post("/v2/apps", json=docker_app("/refused", **docker))
    assert r.status_code == 422, r.text
    body = r.json()
    assert any(d["path"] == path for d in body["details"]), body
    if flag:
        assert flag in r.text, body
    assert cd.app("/refused") is None, "nothing of a refused app is stored"


def test_relative_host_path_out_of_the_sandbox_is_refused(module_clusterd):
    cd = module_clusterd
    app = docker_app("/climber")
    app["container"]["volumes"] = [{"containerPath": "/h", "hostPath": "a/../../..",
                                    "mode": "RW"}]
    r = cd.post("/v2/apps", json=app)
    assert r.status_code == 422, r.text
    assert any(d["path"] == "/container/volumes/0/hostPath" for d in r.json()["details"])


def test_allowed_parameter_reaches_the_container(start_clusterd, dockerd):
    cd = start_clusterd("--docker_allowed_parameters=cap-add")
    app = docker_app("/netadmin", parameters=[{"key": "cap-add", "value": "NET_ADMIN"}])
    r = cd.post("/v2/apps", json=app)
    assert r.status_code == 201, r.text
    (task,) = cd.wait_running("/netadmin", 1, timeout=60)
    (c,) = dockerd.containers([f"clusterd.task_id={task['id']}"])
    assert dockerd.inspect(c["Id"])["HostConfig"]["CapAdd"] == ["NET_ADMIN"]


def test_host_path_outside_the_allowed_ones_fails_the_task(start_clusterd, dockerd, tmp_path):
    cd = start_clusterd(f"--allowed_host_paths={tmp_path}/allowed")
    app = docker_app("/rooted")
    app["backoffSeconds"] = 60
    app["container"]["volumes"] = [{"containerPath": "/h", "hostPath": "/", "mode": "RW"}]
    assert cd.post("/v2/apps", json=app).status_code == 201
    failure = wait_until(lambda: last_failure(cd, "/rooted"), timeout=60,
                         what="/rooted's lastTaskFailure")
    assert failure["state"] == "TASK_FAILED", failure
    assert "--allowed_host_paths" in failure["message"], failure
    assert dockerd.containers(["clusterd.app_id=/rooted"]) == []


def test_process_runs_as_its_user_with_only_stdio(clusterd):
    cd = clusterd
    app = {"id": "/asnobody", "user": "nobody", "cpus": 0.1, "mem": 32,
           "cmd": "id -u > who; exec sleep 100000"}
    assert cd.post("/v2/apps", json=app).status_code == 201
    (task,) = cd.wait_running("/asnobody", 1, timeout=60)
    # The task's one process once it is sleep (the shell forks id first).
    (pid,) = wait_until(lambda: [p for p in task_pids(cd.work_dir, task["id"])
                                 if comm(p) == "sleep"], timeout=10,
                        what="the task's process")
    status = dict(line.split(":", 1) for line in
                  open(f"/proc/{pid}/status", encoding="utf-8").read().splitlines())
    assert status["Uid"].split()[:2] == [str(NOBODY.pw_uid)] * 2, status["Uid"]
    assert status["Gid"].split()[:2] == [str(NOBODY.pw_gid)] * 2, status["Gid"]
    expected_groups = sorted(os.getgrouplist("nobody", NOBODY.pw_gid))
    assert sorted(int(g) for g in status["Groups"].split()) == expected_groups, status
    # Nothing of the agent's: no LMDB file, no socket. (Waiting only for the
    # dynamic loader of sleep, whose own descriptors come and go.)
    wait_until(lambda: sorted(int(fd) for fd in os.listdir(f"/proc/{pid}/fd")) == [0, 1, 2],
               timeout=10, what="the task holding descriptors 0, 1 and 2 only")
    # Its sandbox is its own, mode 0750.
    st = os.stat(cd.sandbox(task))
    assert (st.st_uid, st.st_gid) == (NOBODY.pw_uid, NOBODY.pw_gid)
    assert st.st_mode & 0o777 == 0o750
    with open(os.path.join(cd.sandbox(task), "who"), encoding="utf-8") as f:
        assert f.read().strip() == str(NOBODY.pw_uid)


def test_container_runs_as_its_user(clusterd, dockerd):
    cd = clusterd
    app = docker_app("/boxnobody")
    app.update({"user": "nobody", "cmd": "id -u; touch $MESOS_SANDBOX/mine; "
                                         "exec sleep 100000"})
    assert cd.post("/v2/apps", json=app).status_code == 201
    (task,) = cd.wait_running("/boxnobody", 1, timeout=60)
    wait_until(lambda: (cd.sandbox_file(task) or "").strip() == str(NOBODY.pw_uid),
               timeout=30, what="id -u of the container")
    (c,) = dockerd.containers([f"clusterd.task_id={task['id']}"])
    assert dockerd.inspect(c["Id"])["Config"]["User"] == \
        f"{NOBODY.pw_uid}:{NOBODY.pw_gid}"
    # The sandbox is its own: it could write there.
    wait_until(lambda: os.path.exists(os.path.join(cd.sandbox(task), "mine")), timeout=10,
               what="a file the container's user made in its sandbox")
    assert os.stat(os.path.join(cd.sandbox(task), "mine")).st_uid == NOBODY.pw_uid


def test_unknown_user_fails_the_task(clusterd):
    cd = clusterd
    app = {"id": "/ghost", "user": "no-such-user-here", "cmd": "exec sleep 100000",
           "cpus": 0.1, "mem": 32, "backoffSeconds": 60}
    assert cd.post("/v2/apps", json=app).status_code == 201
    failure = wait_until(lambda: last_failure(cd, "/ghost"), timeout=60,
                         what="/ghost's lastTaskFailure")
    assert "no-such-user-here" in failure["message"], failure
