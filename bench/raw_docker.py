#!/usr/bin/env python3
"""The launch floor: N raw Docker Engine API create+start calls at concurrency C.

This is what clusterd's launch time is divided by (SPEC section 9, "launch
overhead"). Each container has the shape clusterd's Docker containerizer
gives a task (same image, `sh -c` command, host network, memory and CPU
shares, one bind-mounted sandbox directory, labels), so the difference is
clusterd's own work: the API call, persisting, the offer cycle, the agent
protocol, and its own create/start/inspect calls.

Each worker thread opens its own unix-socket connection per call, like
clusterd's libcurl client does for concurrent requests. The clock runs from
the first create to the last start's reply (a 204 from /start means the
container is running).

Usage as a program (prints JSON):
    raw_docker.py --socket /tmp/cd-x/docker.sock --n 50 [--image busybox:local]
"""

import argparse
import json
import os
import sys
import tempfile
import threading
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "it"))
from clusterd_harness import DockerClient  # noqa: E402  pylint: disable=wrong-import-position

RAW_LABEL = "bench.raw"


def container_body(image, cmd, sandbox, label_value):
    """The create body, shaped like ctr_docker_api.c's for a task."""
    return {
        "Image": image,
        "Cmd": ["/bin/sh", "-c", cmd],
        "Env": ["MESOS_SANDBOX=/mnt/mesos/sandbox"],
        "Labels": {RAW_LABEL: label_value},
        "HostConfig": {
            "CpuShares": 10,
            "Memory": 32 * 1024 * 1024,
            "NetworkMode": "host",
            "Privileged": False,
            "Binds": [f"{sandbox}:/mnt/mesos/sandbox:rw"],
        },
    }


def launch(sock, n, image="busybox:local", concurrency=None, cmd="sleep 1000000",
           sandbox_root=None):
    """Create and start n containers, at most `concurrency` at a time.

    Returns (seconds, container ids). Raises on any failed call.
    """
    concurrency = concurrency or n
    docker = DockerClient(sock)
    label = uuid.uuid4().hex[:12]
    root = sandbox_root or tempfile.mkdtemp(prefix="rawsb-")
    bodies = []
    for i in range(n):
        sb = os.path.join(root, f"{label}-{i}")
        os.makedirs(sb, exist_ok=True)
        bodies.append(container_body(image, cmd, sb, label))
    ids = [None] * n
    errors = []
    nxt = [0]
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                i = nxt[0]
                nxt[0] += 1
            if i >= n or errors:
                return
            try:
                c = docker.call("POST", "/containers/create", body=bodies[i],
                                params={"name": f"raw-{label}-{i}"}, ok=(201,))
                docker.call("POST", f"/containers/{c['Id']}/start", ok=(204,))
                ids[i] = c["Id"]
            except Exception as e:  # pylint: disable=broad-except
                errors.append(e)
                return

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    if errors:
        raise errors[0]
    return elapsed, ids


def remove_all(sock):
    """Remove every container this driver made (not timed)."""
    docker = DockerClient(sock)
    for c in docker.containers([RAW_LABEL]):
        docker.remove(c["Id"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--socket", required=True)
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--concurrency", type=int, default=0)
    ap.add_argument("--image", default="busybox:local")
    ap.add_argument("--keep", action="store_true", help="do not remove the containers")
    a = ap.parse_args()
    secs, ids = launch(a.socket, a.n, a.image, a.concurrency or a.n)
    if not a.keep:
        remove_all(a.socket)
    print(json.dumps({"n": a.n, "concurrency": a.concurrency or a.n, "seconds": secs,
                      "containers": len(ids)}))


if __name__ == "__main__":
    main()
