"""Losing ZooKeeper servers (SPEC 10, issue 9 "ZooKeeper loss"), with a real
3-server ensemble on loopback that the tests start: one server killed (the
ensemble's own leader) changes nothing for the masters; quorum lost deposes
the leader within its session timeout, its writes fail and nothing is
corrupted; quorum back elects a leader again, with the state intact.

Each master is a tests/zk/zk_drive process (--elect --store)."""

import time

from zk_harness import (TIMEOUT_SCALE, leaders, wait_one_leader,  # noqa: F401
                        zk_three, drives, zk_drive_bin)  # pylint: disable=unused-import


def start_masters(drives, ens, path, session_ms):  # noqa: F811
    url = ens.url(path)
    ms = [drives.start(url, f"q{i}", "--elect", "--store", session_timeout=session_ms)
          for i in range(3)]
    leader = wait_one_leader(ms)
    leader.wait("ready", what="ready")
    return ms, leader


def write(d, line, timeout=30):
    m = d.mark()
    d.send(line)
    c = d.wait("committed", after=m, what="committed")
    assert c["rc"] == 0, c
    return d.wait(lambda e: e["ev"] == "durable" and e["seq"] == c["seq"], after=m,
                  timeout=timeout, what=f"durable {c['seq']}")


def events_since(ds, marks, name):
    out = []
    for d, m in zip(ds, marks):
        with d.cond:
            out += [(d.name, e) for e in d.events[m:] if e["ev"] == name]
    return out


def test_one_server_killed_changes_nothing(drives, zk_three):  # noqa: F811
    session_ms = 6000
    ms, leader = start_masters(drives, zk_three, "/t6/one", session_ms)
    for i in range(5):
        assert write(leader, f"put sched app//one/a{i} v{i}")["rc"] == 0
    marks = [d.mark() for d in ms]
    victim = zk_three.leader_index()
    zk_three.kill(victim)
    # Writes go on while the ensemble elects its new leader (a write in
    # flight then is verified through the commit marker and resent).
    for i in range(5):
        assert write(leader, f"put sched app//one/b{i} v{i}", timeout=60)["rc"] == 0
    # Past a whole session timeout: no master lost its session or its role.
    time.sleep((session_ms / 1000 + 1) * TIMEOUT_SCALE)
    assert events_since(ms, marks, "deposed") == []
    assert [e for e in events_since(ms, marks, "session") if e[1]["state"] == "lost"] == []
    assert leaders(ms) == [leader]
    assert write(leader, "put sched app//one/c v")["rc"] == 0
    assert leader.request("dump", "dump")["count"] == 11
    zk_three.start_server(victim)
    zk_three.wait_serving([victim])


def test_quorum_lost_then_back(drives, zk_three):  # noqa: F811
    session_ms = 4000
    ms, leader = start_masters(drives, zk_three, "/t6/quorum", session_ms)
    for i in range(20):
        write(leader, f"put sched app//q/a{i} v{i}")
    write(leader, "putz sched app//q/big 200000")
    before = leader.request("dump", "dump")
    assert before["count"] == 21

    # Two of three servers die: no quorum.
    m = leader.mark()
    gone = [zk_three.leader_index()]
    gone.append(next(i for i in range(3) if i not in gone))
    for i in gone:
        zk_three.kill(i)
    # The leader steps down within its session timeout...
    leader.wait("deposed", after=m, timeout=session_ms / 1000 + 5, what="deposed")
    # ... a write in the meantime never becomes durable ...
    c = leader.request("put sched app//q/lost x", "committed")
    d = leader.wait(lambda e: e["ev"] == "durable" and e["seq"] == c["seq"], after=m,
                    what="the refused write")
    assert d["rc"] != 0
    # ... and no one leads without a quorum.
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        assert leaders(ms) == []
        time.sleep(0.2)

    # Quorum back: a leader again, and the state as it was.
    marks = {d.name: d.mark() for d in ms}
    for i in gone:
        zk_three.start_server(i)
    zk_three.wait_serving()
    new = wait_one_leader(ms, timeout=60)
    new.wait("ready", after=marks[new.name], timeout=60, what="ready")
    after = new.request("dump", "dump")
    assert after == before
    assert new.request("get sched app//q/lost", "value")["rc"] < 0
    assert write(new, "put sched app//q/after v")["rc"] == 0
