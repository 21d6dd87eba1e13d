"""t4: resource limits (SPEC section 6, issue 12 item 4).

- Plain processes get one cgroup per task (v1 here: memory and cpu hierarchies,
  clusterd/<agent id>/<task id>): memory with swap at the limit, cpu shares, and a
  CFS quota with --cgroups_enable_cfs. It goes when the task ends.
- Docker tasks get Memory = MemorySwap, CpuShares, and CpuPeriod/CpuQuota with
  --cgroups_enable_cfs.
- A task stopped by its memory limit is TASK_FAILED with the message Mesos gives
  ("Memory limit exceeded"), shown in the app's lastTaskFailure, for both
  containerizers.
"""

import glob
import os

from clusterd_harness import TEST_IMAGE, task_pids, wait_until

MIB = 1024 * 1024


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read().strip()


def task_cgroups(task_id):
    """{hierarchy: directory} of a task's cgroups (v1: "memory", "cpu")."""
    found = glob.glob(f"/sys/fs/cgroup/*/clusterd/*/{task_id}")
    found += glob.glob(f"/sys/fs/cgroup/clusterd/*/{task_id}")
    return {d[len("/sys/fs/cgroup/"):].split("/")[0]: d for d in found}


def last_failure(cd, app_id):
    a = cd.app(app_id)
    return (a or {}).get("lastTaskFailure")


def test_process_cgroup_limits_and_removal(start_clusterd):
    cd = start_clusterd("--cgroups_enable_cfs")
    app = {"id": "/limited", "cmd": "exec sleep 100000", "cpus": 0.5, "mem": 64}
    assert cd.post("/v2/apps", json=app).status_code == 201
    (task,) = cd.wait_running("/limited", 1, timeout=60)
    cgs = wait_until(lambda: task_cgroups(task["id"]), timeout=10,
                     what="the task's cgroups")
    if not os.path.isdir("/sys/fs/cgroup/memory"):  # cgroup v2: one directory
        (d,) = cgs.values()
        assert int(read(f"{d}/memory.max")) == 64 * MIB
        assert read(f"{d}/cpu.max").split()[0] == "50000"
    else:
        mem, cpu = cgs["memory"], cgs["cpu"]
        assert int(read(f"{mem}/memory.limit_in_bytes")) == 64 * MIB
        assert int(read(f"{mem}/memory.memsw.limit_in_bytes")) == 64 * MIB
        assert read(f"{cpu}/cpu.shares") == "512"
        assert read(f"{cpu}/cpu.cfs_quota_us") == "50000"
        assert read(f"{cpu}/cpu.cfs_period_us") == "100000"
    # The task's process is in them from its start.
    (pid,) = wait_until(lambda: task_pids(cd.work_dir, task["id"]), timeout=10,
                        what="the task's process")
    for d in cgs.values():
        assert str(pid) in read(f"{d}/cgroup.procs").split()

    assert cd.delete("/v2/apps/limited").status_code in (200, 202)
    wait_until(lambda: not task_cgroups(task["id"]), timeout=30,
               what="the task's cgroups removed once it ended")


def test_process_over_its_memory_limit_fails_as_mesos_says(start_clusterd):
    cd = start_clusterd()
    # GNU tail keeps the whole last line: a line without end grows without end.
    app = {"id": "/hog", "cmd": "head -c 400000000 /dev/zero | tail", "cpus": 0.1,
           "mem": 48, "backoffSeconds": 60}
    assert cd.post("/v2/apps", json=app).status_code == 201
    failure = wait_until(lambda: last_failure(cd, "/hog"), timeout=90,
                         what="/hog's lastTaskFailure")
    assert failure["state"] == "TASK_FAILED", failure
    assert failure["message"].startswith("Memory limit exceeded"), failure
    # Its cgroup went with it.
    wait_until(lambda: not task_cgroups(failure["taskId"]), timeout=30,
               what="the failed task's cgroups removed")


def test_docker_limits_in_the_container(start_clusterd, dockerd):
    cd = start_clusterd("--cgroups_enable_cfs")
    app = {"id": "/boxed", "cmd": "exec sleep 100000", "cpus": 0.25, "mem": 64,
           "container": {"type": "DOCKER", "docker": {"image": TEST_IMAGE}}}
    assert cd.post("/v2/apps", json=app).status_code == 201
    (task,) = cd.wait_running("/boxed", 1, timeout=60)
    (c,) = dockerd.containers([f"clusterd.task_id={task['id']}"])
    hc = dockerd.inspect(c["Id"])["HostConfig"]
    assert hc["Memory"] == 64 * MIB and hc["MemorySwap"] == 64 * MIB, hc
    assert hc["CpuShares"] == 256, hc
    assert hc["CpuPeriod"] == 100000 and hc["CpuQuota"] == 25000, hc


def test_container_over_its_memory_limit_fails_as_mesos_says(start_clusterd):
    cd = start_clusterd()
    app = {"id": "/boxhog", "cpus": 0.1, "mem": 32, "backoffSeconds": 60,
           "cmd": "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo ${#x}",
           "container": {"type": "DOCKER", "docker": {"image": TEST_IMAGE}}}
    assert cd.post("/v2/apps", json=app).status_code == 201
    failure = wait_until(lambda: last_failure(cd, "/boxhog"), timeout=90,
                         what="/boxhog's lastTaskFailure")
    assert failure["state"] == "TASK_FAILED", failure
    assert failure["message"].startswith("Memory limit exceeded"), failure
