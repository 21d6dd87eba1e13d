"""Leader election and detection (lib/leader on lib/zk) against a real
ZooKeeper that the tests start (Debian's zookeeperd, one server): three
contenders elect exactly one leader, which every detector names; kill -9 of
the leader's process elects another within the session timeout; abdication
hands over and re-contends; the znode holds Mesos' MasterInfo; a leader
frozen past its session timeout is deposed and contends again.

Each contender is a tests/zk/zk_drive process (--elect --detect)."""

import json
import time

from zk_harness import (TIMEOUT_SCALE, leaders, wait_one_leader, zk_single,  # noqa: F401
                        drives, zk_drive_bin)  # pylint: disable=unused-import

SESSION_MS = 3000


def start_three(drives, zk_single, path):  # noqa: F811
    """Three contenders, once each holds its election znode."""
    url = zk_single.url(path)
    ms = [drives.start(url, f"m{i}", "--elect", "--detect", f"--http_port={18080 + i}",
                       f"--port={15050 + i}", session_timeout=SESSION_MS)
          for i in range(3)]
    for d in ms:
        d.wait(lambda e: e["ev"] in ("elected", "leader"), what="a first election")
    wait_until_children(ms[0], path, 3)
    return ms


def detected(d, name):
    """The drive's detector names `name` as the leader."""
    with d.cond:
        ls = [e for e in d.events if e["ev"] == "leader"]
    return bool(ls) and ls[-1].get("id") == name


def wait_detected(ds, name):
    for d in ds:
        d.wait(lambda e, n=name: e["ev"] == "leader" and e.get("id") == n,
               timeout=SESSION_MS / 1000 + 10, what=f"leader {name}")


def children(d, path):
    ev = d.request(f"ls {path}", "ls")
    assert ev["rc"] == 0, ev
    return sorted(c for c in ev["children"] if c.startswith("json.info_"))


def test_three_contenders_elect_one(drives, zk_single):  # noqa: F811
    ms = start_three(drives, zk_single, "/t6/elect")
    leader = wait_one_leader(ms)
    wait_detected(ms, leader.name)
    # It stays that way: one leader, named by every detector.
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        assert [d.name for d in leaders(ms)] == [leader.name]
        time.sleep(0.1)
    assert all(detected(d, leader.name) for d in ms)
    # One ephemeral sequential znode per contender; the leader's is the lowest.
    names = children(leader, "/t6/elect")
    assert len(names) == 3
    status = leader.request("status", "status")
    assert status["leading"] and status["znode"] == f"/t6/elect/{names[0]}"
    # Detectors expose the leader's MasterInfo: its ports and address.
    with ms[0].cond:
        info = [e for e in ms[0].events if e["ev"] == "leader"][-1]
    i = int(leader.name[1:])
    assert (info["ip"], info["port"], info["http_port"]) == ("127.0.0.1", 15050 + i, 18080 + i)


def test_masterinfo_is_mesos_format(drives, zk_single):  # noqa: F811
    ms = start_three(drives, zk_single, "/t6/info")
    leader = wait_one_leader(ms)
    znode = leader.request("status", "status")["znode"]
    raw = leader.request(f"zget {znode}", "zget")
    info = json.loads(raw["data"])
    i = int(leader.name[1:])
    # What Mesos' MasterInfo JSON holds, as Mesos tools read it.
    assert info["id"] == leader.name
    assert info["ip"] == 16777343  # 127.0.0.1 as in_addr.s_addr, network byte order
    assert info["port"] == 15050 + i
    assert info["pid"] == f"master@127.0.0.1:{15050 + i}"
    assert info["hostname"] == leader.name
    assert info["address"] == {"hostname": leader.name, "ip": "127.0.0.1", "port": 15050 + i}
    assert info["clusterd"] == {"http_port": 18080 + i}
    assert isinstance(info["version"], str) and info["version"]


def test_kill9_leader_elects_another(drives, zk_single):  # noqa: F811
    ms = start_three(drives, zk_single, "/t6/kill")
    old = wait_one_leader(ms)
    wait_detected(ms, old.name)
    t0 = time.monotonic()
    old.kill9()
    # The session of the dead process expires after its timeout; its znode
    # goes with it, and the next contender in line leads.
    survivors = [d for d in ms if d is not old]
    new = wait_one_leader(survivors, timeout=SESSION_MS / 1000 + 2)
    took = time.monotonic() - t0
    print(f"\nkill -9 of the leader -> {new.name} elected after {took:.2f}s "
          f"(session timeout {SESSION_MS / 1000:.0f}s)")
    wait_detected(survivors, new.name)
    assert len(children(new, "/t6/kill")) == 2
    assert [d.name for d in leaders(survivors)] == [new.name]


def test_abdicate_hands_over_and_recontends(drives, zk_single):  # noqa: F811
    ms = start_three(drives, zk_single, "/t6/abdicate")
    old = wait_one_leader(ms)
    before = children(old, "/t6/abdicate")
    m = old.mark()
    assert old.request("abdicate", "abdicate")["rc"] == 0
    old.wait("deposed", after=m, what="deposed")
    new = wait_one_leader(ms, exclude=[old])
    wait_detected(ms, new.name)
    # The old leader contends again, at the back of the line.
    after = children(new, "/t6/abdicate")
    assert len(after) == 3
    assert before[0] not in after
    status = old.request("status", "status")
    assert not status["leading"] and status["znode"] == f"/t6/abdicate/{after[-1]}"
    # Only a leader abdicates.
    assert old.request("abdicate", "abdicate")["rc"] < 0


def test_frozen_leader_is_deposed_and_recontends(drives, zk_single):  # noqa: F811
    ms = start_three(drives, zk_single, "/t6/frozen")
    old = wait_one_leader(ms)
    m = old.mark()
    old.suspend()
    try:
        others = [d for d in ms if d is not old]
        new = wait_one_leader(others, timeout=SESSION_MS / 1000 + 5)
    finally:
        old.resume()
    # Thawed, the old leader learns its session is gone: deposed, then it
    # contends again on a new session, behind the new leader.
    old.wait("deposed", after=m, timeout=SESSION_MS / 1000 + 10, what="deposed")
    old.wait(lambda e: e["ev"] == "session" and e["state"] == "connected" and e["new"],
             after=m, timeout=SESSION_MS / 1000 + 10, what="a new session")
    wait_detected(ms, new.name)
    assert [d.name for d in leaders(ms)] == [new.name]
    wait_until_children(new, "/t6/frozen", 3)


def wait_until_children(d, path, n):
    deadline = time.monotonic() + 10 * TIMEOUT_SCALE
    while len(children(d, path)) != n:
        assert time.monotonic() < deadline, children(d, path)
        time.sleep(0.2)
