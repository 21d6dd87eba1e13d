"""t4: the mesos (plain process) containerizer (SPEC sections 5 "Ports" and 6).

An app with only "cmd" runs as /bin/sh -c in its sandbox, with PORT0 and
MARATHON_APP_ID in its environment and its stdout in the sandbox's stdout file.
A task that exits is replaced, so the app keeps its instances.
"""

from clusterd_harness import wait_until


def test_cmd_app_env_in_sandbox_stdout(clusterd, dockerd):
    cd = clusterd
    app = {
        "id": "echoer",
        "cmd": 'echo "port0=$PORT0 app=$MARATHON_APP_ID"; exec sleep 100000',
        "cpus": 0.1,
        "mem": 32,
        "instances": 1,
        "portDefinitions": [{"port": 0, "protocol": "tcp"}],
    }
    r = cd.post("/v2/apps", json=app)
    assert r.status_code == 201, r.text

    task = cd.wait_running("/echoer", 1, timeout=60)[0]
    assert task["id"].startswith("echoer.")
    assert len(task["ports"]) == 1, task
    port = task["ports"][0]
    assert 31000 <= port <= 31099, f"host port {port} is outside the offered range"

    expected = f"port0={port} app=/echoer"

    def stdout_has_env():
        out = cd.sandbox_file(task, "stdout") or ""
        return expected in out

    wait_until(stdout_has_env, timeout=30, what=f"{expected!r} in the sandbox stdout")
    assert cd.sandbox_file(task, "stderr") is not None, "no stderr file in the sandbox"

    # a cmd app never goes through Docker
    assert dockerd.containers(["clusterd.app_id=/echoer"]) == []

    r = cd.delete("/v2/apps/echoer")
    assert 200 <= r.status_code < 300, r.text
    wait_until(lambda: cd.get("/v2/apps/echoer").status_code == 404, timeout=30,
               what="/echoer deleted")


def test_exited_task_is_replaced(clusterd):
    cd = clusterd
    app = {
        "id": "quick",
        "cmd": "sleep 1; echo done",
        "cpus": 0.1,
        "mem": 32,
        "instances": 1,
        "backoffSeconds": 1,
        "backoffFactor": 1.0,
    }
    r = cd.post("/v2/apps", json=app)
    assert r.status_code == 201, r.text

    seen = set()

    def three_generations():
        for t in cd.tasks("/quick"):
            if t.get("state") == "TASK_RUNNING":
                seen.add(t["id"])
        return len(seen) >= 3

    wait_until(three_generations, timeout=90, interval=0.1,
               what="three successive tasks of /quick (each exits after 1 s)")
    for tid in seen:
        assert tid.startswith("quick.")

    a = cd.app("/quick")
    assert a["instances"] == 1, "the scheduler changed the app's instances"
    # and a task keeps coming back
    first = set(seen)
    wait_until(lambda: any(t["id"] not in first for t in cd.tasks("/quick")), timeout=60,
               what="yet another replacement task")
