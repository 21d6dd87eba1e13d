"""t8: group commit of the LMDB store (issue 15, --store_sync=group).

Commits return at once and one fdatasync per loop pass covers them, while every
answer, event and status update that reports a write waits for that sync. Counted, not
timed: strace, attached by pid to a live all-in-one, counts the fdatasync calls of a
20-task launch and its kill, and there must be fewer than the store's commits in that
time (/metrics: before group commit each commit made its own). And nothing acknowledged
is lost: apps created in a burst are all there after a kill -9 right after the last 2xx.
"""

import os
import re
import shutil
import signal
import subprocess

import pytest

from clusterd_harness import wait_until

N = 20


def store_counts(cd):
    g = cd.get("/metrics").json()["gauges"]
    return (int(g["clusterd.store.commits.gauge"]["value"]),
            int(g["clusterd.store.syncs.gauge"]["value"]))


def traced(pid):
    """Every thread of pid has a tracer (strace -f attached to all of them)."""
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/status", encoding="utf-8") as f:
            if re.search(r"^TracerPid:\s+0$", f.read(), re.M):
                return False
    return True


def strace_calls(path, name):
    """The calls column of name in strace -c's summary, 0 when absent."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            cols = line.split()
            if cols and cols[-1] == name:
                return int(cols[3])
    return 0


@pytest.fixture
def grouped(start_clusterd):
    """An all-in-one whose store syncs once per loop pass (--store_sync=group)."""
    return start_clusterd("--store_sync=group")


def test_burst_syncs_fewer_than_commits(grouped, tmp_path):
    strace = shutil.which("strace")
    if strace is None:
        pytest.fail("strace is missing: sh tools/install-deps.sh test", pytrace=False)
    cd = grouped
    out = tmp_path / "strace.txt"
    commits0, syncs0 = store_counts(cd)
    st = subprocess.Popen([strace, "-f", "-qq", "-c", "-o", str(out), "-e",
                           "trace=fdatasync,fsync,msync", "-p", str(cd.proc.pid)],
                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: traced(cd.proc.pid), timeout=10, what="strace attached")
        app = {"id": "burst", "cmd": "exec sleep 100000", "cpus": 0.01, "mem": 8,
               "instances": N}
        r = cd.post("/v2/apps", json=app)
        assert r.status_code == 201, r.text
        cd.wait_running("/burst", N, timeout=120)
        r = cd.delete("/v2/apps/burst")
        assert r.status_code == 200, r.text
        wait_until(lambda: cd.get("/v2/apps/burst").status_code == 404 and
                   not cd.get("/v2/tasks").json()["tasks"], timeout=60,
                   what="the app and its tasks gone")
        commits1, syncs1 = store_counts(cd)
    finally:
        st.send_signal(signal.SIGINT)  # detach and write the summary
        st.wait(timeout=30)
    fdatasyncs = strace_calls(out, "fdatasync")
    commits, syncs = commits1 - commits0, syncs1 - syncs0
    print(f"{N} tasks launched and killed: {commits} commits, {syncs} syncs counted, "
          f"{fdatasyncs} fdatasync calls seen by strace")
    assert commits >= 2 * N, "the launch made fewer commits than it must have"
    assert 0 < syncs < commits
    assert 0 < fdatasyncs < commits
    assert strace_calls(out, "fsync") == 0 and strace_calls(out, "msync") == 0


@pytest.mark.parametrize("mode", ["group", "commit"])
def test_burst_of_acknowledged_apps_survives_kill9(start_clusterd, mode):
    cd = start_clusterd(f"--store_sync={mode}")
    ids = [f"/acked/a{i}" for i in range(10)]
    for app_id in ids:
        r = cd.post("/v2/apps", json={"id": app_id, "cmd": "exec sleep 100000",
                                      "cpus": 0.01, "mem": 8, "instances": 0})
        assert r.status_code == 201, r.text
    cd.kill9()
    cd.start()
    for app_id in ids:
        assert cd.app(app_id) is not None, f"{app_id} was acknowledged and lost"
