"""t8 (issue 11, item 1): the fault loop on ZooKeeper operations (zk.op).

The clusterd binary does not run on ZooKeeper yet (HA lands later), so the
loop drives what will: lib/zk, lib/leader and lib/zkstore, in the fault
build of tests/zk/zk_drive (CLUSTERD_FAULT_ZK_DRIVE), against a real
ZooKeeper the test starts, as the t6 tests do.

For k = 1, 2, ... until no fault fires: a drive armed with zk.op=k (the
k-th ZooKeeper operation goes out, but its owner hears -ETIMEDOUT at once)
contends for leadership with its store, becomes leader and ready (an
operation that failed is retried, or the drive steps down and contends
again), and writes three records, each either durable or failed cleanly;
then it quits (exit 0). An unarmed drive elected next on the same path
must hold every record the first one reported durable, byte for byte.
"""
import os

import pytest

import faultsim
from zk_harness import DrivePool, zk_single, zk_drive_bin  # noqa: F401  pylint: disable=unused-import

SESSION_MS = 3000
# A first leader makes about 530 ZooKeeper operations (the state layout's
# buckets are most of them).
MAX_K = 1000


@pytest.fixture(scope="module")
def fault_drive_bin(zk_drive_bin):  # noqa: F811  pylint: disable=redefined-outer-name
    path = os.environ.get("CLUSTERD_FAULT_ZK_DRIVE",
                          os.path.abspath("build-fault/tests/zk/zk_drive"))
    if not os.access(path, os.X_OK):
        pytest.fail(f"no fault build of zk_drive at {path}: run `make fault-build`",
                    pytrace=False)
    return path


def one_run(k, url, pool, monkeypatch):
    """Returns whether the fault fired."""
    monkeypatch.setenv("CLUSTERD_FAULTS", f"zk.op={k}")
    a = pool.start(url, f"a{k}", "--elect", "--store", session_timeout=SESSION_MS)
    monkeypatch.delenv("CLUSTERD_FAULTS")
    a.wait("ready", timeout=60, what="ready (leader with its store loaded)")
    durable = {}
    for i in range(3):
        key = f"app/r{i}"
        m = a.mark()
        a.send(f"put sched {key} value-{k}-{i}")
        c = a.wait("committed", after=m, what="committed")
        if c["rc"] != 0:
            continue
        d = a.wait(lambda e, s=c["seq"]: e["ev"] == "durable" and e["seq"] == s, after=m,
                   timeout=60, what=f"durable {c['seq']}")
        if d["rc"] == 0:
            durable[key] = a.request(f"get sched {key}", "value")
    a.stop()
    assert a.proc.returncode == 0, f"a{k} exited with {a.proc.returncode}:\n{a.log_tail()}"
    with open(a.log_path, "rb") as f:
        fired = b"WARN fault: zk.op" in f.read()

    b = pool.start(url, f"b{k}", "--elect", "--store", session_timeout=SESSION_MS)
    b.wait("ready", timeout=60, what="the next leader ready")
    for key, want in durable.items():
        got = b.request(f"get sched {key}", "value")
        assert (got["rc"], got["len"], got["digest"]) == (want["rc"], want["len"],
                                                          want["digest"]), \
            f"zk.op={k}: durable record {key} lost or changed: {want} then {got}"
    b.stop()
    return fired


def test_faultsim_zk(fault_drive_bin, zk_single, tmp_path, monkeypatch, capsys):  # noqa: F811
    for k in faultsim.ks(MAX_K):
        pool = DrivePool(fault_drive_bin, tmp_path)
        try:
            fired = one_run(k, zk_single.url(f"/faultsim{k}"), pool, monkeypatch)
        except BaseException as e:
            e.args = (f"[zk zk.op={k}] " + (str(e.args[0]) if e.args else ""), *e.args[1:])
            raise
        finally:
            pool.close()
        with capsys.disabled():
            print(f"faultsim zk zk.op={k}: {'fired' if fired else 'no fault fired'}")
        if not fired:
            return
    raise AssertionError(f"zk.op still firing at k={MAX_K}")
