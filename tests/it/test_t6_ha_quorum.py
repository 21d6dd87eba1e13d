"""t6: clusterd on a 3-server ZooKeeper ensemble losing servers (issue 9 item 7).

Two --master processes and two --agent processes (plain processes) on
loopback, the state in ZooKeeper:
- one ZooKeeper server killed (kill -9): nothing changes, writes go on;
- a second one killed, quorum lost: the leader steps down within the session
  timeout, every master answers writes with 503 and names no leader, and the
  tasks keep running, the very same processes;
- the servers back: a leader again, with the apps and tasks as they were,
  and writes accepted.
"""

import time

import pytest

import ha_harness
from clusterd_harness import wait_until
from ha_harness import HaCluster, post_app, write_ok
from zk_harness import zk_drive_bin, zk_three  # noqa: F401  pylint: disable=unused-import


@pytest.fixture
def ha(request, clusterd_bin, tmp_path, zk_three):  # noqa: F811
    c = HaCluster(clusterd_bin, tmp_path, zk_three.url("/t6q"))
    request.node._clusterd_instances = c.instances  # pylint: disable=protected-access
    try:
        yield c
    finally:
        errors = c.close()
    if errors:
        pytest.fail("\n\n".join(errors), pytrace=False)


def test_zk_server_loss_then_quorum(ha, zk_three):  # noqa: F811
    c, zk = ha, zk_three
    for _ in range(2):
        c.start_master()
    lead = c.wait_leader()
    for _ in range(2):
        c.start_agent()
    c.wait_agents(lead)
    post_app(lead, "/steady", 4)
    lead.wait_running("/steady", 4, timeout=30)
    before = c.snapshot(lead, "/steady")
    pids = c.all_pids()

    # One server lost, quorum kept: nothing changes.
    zk.kill(zk.leader_index())
    assert write_ok(lead) or wait_until(lambda: write_ok(c.wait_leader(timeout=20)),
                                        timeout=20, what="writes with one server lost")
    lead = c.wait_leader(timeout=20)
    assert c.snapshot(lead, "/steady") == before

    # Quorum lost: no leader, writes refused, the tasks run on.
    gone = [i for i, s in enumerate(zk.servers) if s.running()][:1]
    for i in gone:
        zk.kill(i)
    down = [i for i, s in enumerate(zk.servers) if not s.running()]
    lost = time.monotonic()
    wait_until(lambda: c.leaders() == [], timeout=ha_harness.SESSION_S + 10,
               what="the leader to step down")
    print(f"leader stepped down {time.monotonic() - lost:.2f} s after the quorum was lost")
    wait_until(lambda: all(m.get("/v2/leader").status_code == 404 for m in c.masters),
               timeout=ha_harness.SESSION_S + 10, what="no master to name a leader")
    for m in c.masters:
        r = m.put("/v2/apps/steady", json={"instances": 6}, timeout=10)
        assert r.status_code == 503, r.text
        assert "message" in r.json()
    time.sleep(1)
    assert c.all_pids() == pids, "a task's process went away without a quorum"

    # Quorum back: a leader again, state intact.
    for i in down:
        zk.start_server(i)
    zk.wait_serving()
    back = time.monotonic()
    lead = c.wait_leader(timeout=60)
    wait_until(lambda: write_ok(lead), timeout=20, what="writes once the quorum is back")
    print(f"a leader writes {time.monotonic() - back:.2f} s after the quorum came back")
    c.wait_agents(lead, timeout=20)
    assert lead.app("/steady")["instances"] == 4
    assert c.snapshot(lead, "/steady") == before
    assert c.all_pids() == pids
