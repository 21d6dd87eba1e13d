"""t3: the agent's /monitor/statistics in Mesos' shape (SPEC section 2, issue 13).

Mesos documents the endpoint (docs endpoints/slave/monitor/statistics) as an array of
{executor_id, executor_name, framework_id, source, statistics} per running executor, with
statistics a ResourceStatistics: timestamp (seconds, a float), cpus_limit, the CPU times
in seconds (floats) and the memory figures in bytes (integers). Here each task is its own
command executor, named as in the agent's /state. Two real busy loops run: a plain
process (figures from its cgroup) and a Docker container (from the Docker stats API);
their CPU time grows between two reads. CFS quotas keep them from eating the machine.
"""

import pytest
import requests

from clusterd_harness import TEST_IMAGE, wait_until

MIB = 1024 * 1024
BUSY = "while :; do :; done"
PLAIN = {"id": "/mon/plain", "cmd": BUSY, "cpus": 0.2, "mem": 48}
BOXED = {"id": "/mon/boxed", "cmd": BUSY, "cpus": 0.2, "mem": 48,
         "container": {"type": "DOCKER", "docker": {"image": TEST_IMAGE}}}

# Mesos' documented example, key by key: the type each value has there.
ENTRY_KEYS = {"executor_id": str, "executor_name": str, "framework_id": str, "source": str,
              "statistics": dict}
SECONDS = ("timestamp", "cpus_limit", "cpus_user_time_secs", "cpus_system_time_secs")
BYTES = ("mem_rss_bytes", "mem_limit_bytes")
OPTIONAL_SECONDS = ("cpus_throttled_time_secs",)
OPTIONAL_COUNTS = ("cpus_nr_periods", "cpus_nr_throttled", "mem_total_bytes",
                   "mem_cache_bytes", "mem_anon_bytes", "mem_file_bytes",
                   "mem_mapped_file_bytes", "mem_swap_bytes", "processes", "threads")


def check_shape(entries):
    assert isinstance(entries, list), entries
    for e in entries:
        for key, typ in ENTRY_KEYS.items():
            assert isinstance(e.get(key), typ), f"{key} of {e}"
        st = e["statistics"]
        for key in SECONDS:
            assert isinstance(st.get(key), float), f"{key} of {st}"
            assert st[key] >= 0, st
        for key in BYTES:
            assert isinstance(st.get(key), int) and not isinstance(st[key], bool), st
            assert st[key] >= 0, st
        for key in OPTIONAL_SECONDS:
            assert key not in st or isinstance(st[key], float), st
        for key in OPTIONAL_COUNTS:
            assert key not in st or (isinstance(st[key], int) and st[key] >= 0), st
        assert set(st) <= set(SECONDS + BYTES + OPTIONAL_SECONDS + OPTIONAL_COUNTS), st
    return entries


def statistics(cd, path="/monitor/statistics"):
    r = cd.get(path, base=cd.agent_url)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    return {e["executor_id"]: e for e in check_shape(r.json())}


def cpu(entry):
    st = entry["statistics"]
    return st["cpus_user_time_secs"] + st["cpus_system_time_secs"]


@pytest.fixture
def busy(start_clusterd):
    cd = start_clusterd("--cgroups_enable_cfs")
    for app in (PLAIN, BOXED):
        r = cd.post("/v2/apps", json=app)
        assert r.status_code == 201, r.text
    tasks = {app["id"]: cd.wait_running(app["id"], 1, timeout=90)[0] for app in (PLAIN, BOXED)}
    return cd, tasks


def test_statistics_of_a_process_and_a_container(busy):
    cd, tasks = busy
    fw_id = cd.get("/v2/info").json()["frameworkId"]
    ids = {t["id"] for t in tasks.values()}

    # Both tasks listed, each with memory charged to it: a sample taken in the first
    # moments of a process (or the first of Docker's stats) may not have any yet.
    def listed():
        s = statistics(cd)
        return s if ids <= set(s) and all(
            s[i]["statistics"].get("mem_rss_bytes", 0) > 0 for i in ids) else None

    first = wait_until(listed, timeout=30, what="both tasks in /monitor/statistics")
    assert set(first) == ids
    for app in (PLAIN, BOXED):
        e = first[tasks[app["id"]]["id"]]
        # The command executor of the task, as /state names it.
        assert e["executor_name"] == e["executor_id"] == e["source"]
        assert e["framework_id"] == fw_id
        st = e["statistics"]
        assert st["cpus_limit"] == pytest.approx(app["cpus"])
        assert st["mem_limit_bytes"] == app["mem"] * MIB
        assert 0 < st["mem_rss_bytes"] < st["mem_limit_bytes"]
        # The CFS quota of --cgroups_enable_cfs is counted in periods.
        assert st["cpus_nr_periods"] >= 0

    # A busy loop's CPU time grows; the timestamp moves on.
    def grown():
        now = statistics(cd)
        ok = all(cpu(now[i]) > cpu(first[i]) and
                 now[i]["statistics"]["timestamp"] > first[i]["statistics"]["timestamp"]
                 for i in ids if i in now)
        return now if ok and ids <= set(now) else None

    second = wait_until(grown, timeout=30, what="CPU time growing in both tasks")
    plain = second[tasks[PLAIN["id"]]["id"]]["statistics"]
    assert plain["processes"] >= 1 and plain["threads"] >= 1

    # Mesos' aliases answer the same.
    for path in ("/monitor/statistics.json", "/slave(1)/monitor/statistics",
                 "/slave(1)/monitor/statistics.json"):
        assert set(statistics(cd, path)) == ids, path

    # Ended tasks leave the list.
    for app in (PLAIN, BOXED):
        assert cd.delete(f"/v2/apps{app['id']}").status_code == 200
    wait_until(lambda: statistics(cd) == {}, timeout=60, what="no statistics once the apps are gone")


def test_statistics_empty_and_guarded(start_clusterd):
    cd = start_clusterd("--http_credentials=ops:pw", start=False)
    cd.session.auth = ("ops", "pw")
    cd.start()
    url = cd.agent_url + "/monitor/statistics"
    assert requests.get(url, timeout=10).status_code == 401
    r = requests.get(url, auth=("ops", "pw"), timeout=10)
    assert r.status_code == 200 and r.json() == []
