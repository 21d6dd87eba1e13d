"""State in ZooKeeper (lib/zkstore behind lib/store) against a real
ZooKeeper the tests start (one server): records written by a leader come
back, byte for byte, in the cache of the next leader (compressed ones
included); a value too large for a znode is refused at commit; a burst of
batches is merged into few multi-ops and every batch becomes durable, in
order; a batch over the request limit is split and still arrives whole; a
deposed leader's write is refused by the fence and never reaches ZooKeeper;
10,000 app records load on election.

Each master is a tests/zk/zk_drive process (--elect --store): its store is a
private LMDB cache, as the master's is in --registry=zk mode."""

from zk_harness import (wait_one_leader, zk_single, drives, zk_drive_bin)  # noqa: F401

SESSION_MS = 3000
EMSGSIZE = 90


def start_masters(drives, zk_single, path, n=2):  # noqa: F811
    url = zk_single.url(path)
    ms = [drives.start(url, f"s{i}", "--elect", "--store", session_timeout=SESSION_MS)
          for i in range(n)]
    leader = wait_one_leader(ms)
    leader.wait("ready", what="ready")
    return ms, leader


def write(d, line):
    """Send a write command; wait until it is durable; return its sequence."""
    m = d.mark()
    d.send(line)
    c = d.wait("committed", after=m, what="committed")
    assert c["rc"] == 0, c
    dur = d.wait(lambda e: e["ev"] == "durable" and e["seq"] == c["seq"], after=m,
                 what=f"durable {c['seq']}")
    assert dur["rc"] == 0, dur
    return c["seq"]


def failover(ms, old):
    """kill -9 the leader; the next one is elected and loads; return it."""
    old.kill9()
    others = [d for d in ms if d is not old]
    new = wait_one_leader(others, timeout=SESSION_MS / 1000 + 5)
    new.wait("ready", timeout=30, what="ready")
    return new


def test_records_round_trip(drives, zk_single):  # noqa: F811
    ms, leader = start_masters(drives, zk_single, "/t6/roundtrip")
    write(leader, 'put sched app//prod/web {"id":"/prod/web","instances":3}')
    write(leader, 'put master agent/a1 {"id":"a1"}')
    write(leader, 'put sched framework_id f-1')
    write(leader, "putz sched appver//prod/web/2024 100000")   # compressed
    write(leader, "putz sched app//big 2000000")             # 2 MB, compressed
    write(leader, "putrand sched task/rand 300000")          # not compressible
    write(leader, 'put sched task/gone x')
    write(leader, 'del sched task/gone')
    write(leader, "put sched odd/../%25/\u00fc/. v")
    before = leader.request("dump", "dump")
    assert before["count"] == 7
    stats = leader.request("stats", "stats")
    assert stats["compressed"] >= 2
    new = failover(ms, leader)
    after = new.request("dump", "dump")
    assert after == before
    big = new.request("get sched app//big", "value")
    assert big["rc"] == 0 and big["len"] == 2000000
    assert new.request("get sched task/gone", "value")["rc"] < 0
    # The new leader writes on top of what it loaded.
    write(new, 'put sched app//prod/api {"id":"/prod/api"}')
    assert new.request("dump", "dump")["count"] == 8


def test_too_large_value_refused(drives, zk_single):  # noqa: F811
    _, leader = start_masters(drives, zk_single, "/t6/large", n=1)
    c = leader.request("putrand sched task/huge 600000", "committed")
    assert c["rc"] == -EMSGSIZE
    assert leader.request("get sched task/huge", "value")["rc"] < 0
    # Nothing else is affected.
    write(leader, "put sched task/small ok")
    assert leader.request("status", "status")["leading"]


def test_burst_merged_and_durable_in_order(drives, zk_single):  # noqa: F811
    _, leader = start_masters(drives, zk_single, "/t6/burst", n=1)
    s0 = leader.request("stats", "stats")
    m = leader.mark()
    leader.send("burst 500")
    leader.wait(lambda e: e["ev"] == "durable" and e["seq"] == s0["seq"] + 500, after=m,
                timeout=60, what="the last durable")
    with leader.cond:
        evs = [e for e in leader.events[m:] if e["ev"] == "durable"]
    assert [e["seq"] for e in evs] == list(range(s0["seq"] + 1, s0["seq"] + 501))
    assert all(e["rc"] == 0 for e in evs)
    s1 = leader.request("stats", "stats")
    multis = s1["multis"] - s0["multis"]
    print(f"\n500 batches -> {multis} multi-ops, up to {s1['max_ops']} records "
          f"and {s1['max_bytes']} bytes each")
    assert multis < 500 // 2
    assert s1["durable"] == s1["seq"]


def test_big_batch_split(drives, zk_single):  # noqa: F811
    ms, leader = start_masters(drives, zk_single, "/t6/split")
    s0 = leader.request("stats", "stats")
    # One batch of 8 x 300 KiB incompressible values: over the request limit.
    m = leader.mark()
    leader.send("batch 8 307200")
    c = leader.wait("committed", after=m)
    assert c["rc"] == 0
    d = leader.wait(lambda e: e["ev"] == "durable" and e["seq"] == c["seq"], after=m,
                    timeout=60)
    assert d["rc"] == 0
    s1 = leader.request("stats", "stats")
    assert s1["splits"] > s0["splits"]
    assert s1["multis"] - s0["multis"] >= 3
    before = leader.request("dump", "dump")
    assert failover(ms, leader).request("dump", "dump") == before


def test_fence_refuses_deposed_writer(drives, zk_single):  # noqa: F811
    ms, leader = start_masters(drives, zk_single, "/t6/fence")
    write(leader, "put sched app//before v1")
    znode = leader.request("status", "status")["znode"]
    # The leader's election znode goes (as if its session had expired) and,
    # before it hears of it, it writes: the check in the multi-op refuses.
    m = leader.mark()
    leader.send(f"zdelete {znode}", "put sched app//after v2")
    c = leader.wait("committed", after=m)
    d = leader.wait(lambda e: e["ev"] == "durable" and e["seq"] == c["seq"], after=m)
    assert d["rc"] != 0
    assert "fenced: our election znode" in leader.log_tail(), leader.log_tail()
    # The other master leads and loads: the refused write is not there.
    new = wait_one_leader([x for x in ms if x is not leader], timeout=20)
    new.wait("ready", timeout=30, what="ready")
    assert new.request("get sched app//before", "value")["rc"] == 0
    assert new.request("get sched app//after", "value")["rc"] < 0


def test_ten_thousand_apps_load(drives, zk_single):  # noqa: F811
    ms, leader = start_masters(drives, zk_single, "/t6/load")
    m = leader.mark()
    leader.send("fill 10000 1500")
    filled = leader.wait("filled", after=m, timeout=300, what="filled")
    assert filled["failed"] == 0
    before = leader.request("dump", "dump")
    assert before["count"] == 10000
    new = failover(ms, leader)
    ready = [e for e in new.events if e["ev"] == "ready"][-1]
    print(f"\n10,000 app records: written in {filled['ms']} ms "
          f"({filled['multis']} multi-ops), loaded in {ready['ms']} ms")
    assert ready["records"] == 10000
    assert new.request("dump", "dump") == before
