"""t4: a container's logs across restarts (SPEC section 6, issue 12 item 5).

A container writes a counter to stdout every 100 ms. The sandbox's stdout must hold
every number once, in order, across an agent killed with -9 and started again (the
re-adopted container's log resumes where the file ended) and across a dockerd
restart (the cut stream resumes the same way). Runs against the bridged dockerd,
which keeps its containers running while it restarts (live-restore).
"""

import time

from clusterd_harness import TEST_IMAGE, wait_until

COUNTER = "i=0; while true; do echo $i; i=$((i+1)); sleep 0.1; done"


def numbers(text):
    return [int(x) for x in text.splitlines() if x.strip()]


def assert_consecutive(text):
    got = numbers(text)
    assert got, "nothing in stdout"
    dups = len(got) - len(set(got))
    missing = sorted(set(range(got[-1] + 1)) - set(got))
    assert got == list(range(len(got))), (
        f"{len(got)} lines, {dups} doubled, missing {missing[:20]}; "
        f"first lines {got[:5]}, last {got[-5:]}")
    return got


def docker_lines(docker, cid):
    """How many lines the container has written, by Docker's own log."""
    status, data = docker.request("GET", f"/containers/{cid}/logs",
                                  params={"stdout": "1"})
    assert status == 200, status
    return data.count(b"\n")


def start_counter(cd, app_id):
    app = {"id": app_id, "cmd": COUNTER, "cpus": 0.1, "mem": 32,
           "container": {"type": "DOCKER", "docker": {"image": TEST_IMAGE}}}
    r = cd.post("/v2/apps", json=app)
    assert r.status_code == 201, r.text
    (task,) = cd.wait_running(app_id, 1, timeout=60)
    wait_until(lambda: len(numbers(cd.sandbox_file(task) or "")) >= 10, timeout=30,
               what="the counter in the sandbox")
    return task


def test_agent_killed_and_started_again(start_clusterd, bridged):
    cd = start_clusterd(docker=bridged.docker, netns=bridged.netns)
    with bridged.netns.entered():
        task = start_counter(cd, "/counter")
        (c,) = bridged.docker.containers([f"clusterd.task_id={task['id']}"])
        cd.kill9()
        # The container keeps counting while the agent is away.
        before = docker_lines(bridged.docker, c["Id"])
        wait_until(lambda: docker_lines(bridged.docker, c["Id"]) >= before + 15,
                   timeout=30, what="the container writing while the agent is down")
        cd.start()
        written = docker_lines(bridged.docker, c["Id"])
        wait_until(lambda: len(numbers(cd.sandbox_file(task) or "")) >= written + 10,
                   timeout=30, what="the sandbox caught up after the restart")
        # Same task, still running: re-adopted, not replaced.
        assert [t["id"] for t in cd.running_tasks("/counter")] == [task["id"]]
        assert_consecutive(cd.sandbox_file(task))


def test_dockerd_restarted(start_clusterd, bridged):
    cd = start_clusterd(docker=bridged.docker, netns=bridged.netns)
    with bridged.netns.entered():
        task = start_counter(cd, "/counter2")
        (c,) = bridged.docker.containers([f"clusterd.task_id={task['id']}"])
        bridged.docker.kill()
        time.sleep(1)  # the daemon is away a while; the container counts on
        bridged.docker.start()
        written = docker_lines(bridged.docker, c["Id"])
        wait_until(lambda: len(numbers(cd.sandbox_file(task) or "")) >= written + 10,
                   timeout=60, what="the sandbox caught up after the dockerd restart")
        assert [t["id"] for t in cd.running_tasks("/counter2")] == [task["id"]]
        assert_consecutive(cd.sandbox_file(task))
