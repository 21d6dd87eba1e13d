"""t6: a multi-host cluster with ZooKeeper, every node in a network namespace
of its own with its own address (issue 9): ZooKeeper on one node, three
--master nodes and two --agent nodes (plain processes), joined by a bridge,
each process on the default ports of its node, the agents following the
leader through --master=zk://.

A partitioned leader (its link cut at the bridge, silently): it steps down
within its session timeout and cannot write (its API answers 503), the
other masters elect a leader among themselves, the agents follow it, and not
one task is killed, replaced or restarted. The link healed: the old leader
rejoins as a standby, and exactly one master leads.
"""

import time

import pytest

import netns_harness
from clusterd_harness import wait_until
from zk_harness import ZkEnsemble, available as zk_available

pytestmark = [
    pytest.mark.skipif(not netns_harness.available(), reason="needs root and ip netns"),
    pytest.mark.skipif(zk_available() is not None, reason=str(zk_available())),
]

MASTERS = ["m0", "m1", "m2"]
AGENTS = ["a0", "a1"]
SESSION_S = 2


class Cluster(netns_harness.Cluster):
    def __init__(self, net, binary, base_dir, zk_url):
        super().__init__(net, binary, base_dir)
        self.zk_url = zk_url
        self.masters = []

    def start_masters(self):
        for name in MASTERS:
            self.masters.append(self.start_master(
                f"--zk={self.zk_url}", f"--zk_session_timeout={SESSION_S}secs", node=name))

    def start_agents(self):
        for name in AGENTS:
            self.start_agent(name, master=self.zk_url)

    @staticmethod
    def elected(m):
        r = m.get("/metrics/snapshot", base=m.master_url, timeout=5)
        return r.status_code == 200 and r.json().get("master/elected") == 1.0

    def leaders(self, among=None):
        return [m for m in (among or self.masters) if m.running and self.elected(m)]

    def wait_leader(self, among=None, timeout=30):
        def one():
            ls = self.leaders(among)
            return ls[0] if len(ls) == 1 else None
        return wait_until(one, timeout=timeout, interval=0.1, what="exactly one leader")

    def active(self, m):
        r = m.get("/master/slaves", base=m.master_url, timeout=10)
        r.raise_for_status()
        return sorted(s["hostname"] for s in r.json()["slaves"] if s["active"])

    def snapshot(self, m, app_id):
        out = {}
        for t in m.running_tasks(app_id):
            pids = self.task_pids(t)
            assert pids, f"task {t['id']} has no process on {t['host']}"
            out[t["id"]] = (t["host"], min(pids))
        return out


@pytest.fixture
def cluster(request, clusterd_bin, tmp_path):
    net = netns_harness.Network(["zk", *MASTERS, *AGENTS]).create()
    zk_node = net["zk"]
    zk = ZkEnsemble(tmp_path, 1, host=zk_node.addr, wrap=netns_harness.ns_cmd(zk_node.ns))
    c = None
    try:
        zk.servers[0].start()
        zk_node.run(zk.wait_serving)
        c = Cluster(net, clusterd_bin, tmp_path, zk.url("/clusterd"))
        request.node._clusterd_instances = c.instances  # pylint: disable=protected-access
        yield c
    finally:
        errors = c.close() if c is not None else []
        zk.close()
        net.destroy()
    if errors:
        pytest.fail("\n\n".join(errors), pytrace=False)


def test_partitioned_leader_steps_down(cluster):
    c = cluster
    c.start_masters()
    lead = c.wait_leader()
    c.start_agents()
    wait_until(lambda: c.active(lead) == AGENTS, timeout=30, what="two active agents")
    r = lead.post("/v2/apps", json={"id": "/steady", "cmd": "sleep 100000", "cpus": 0.1,
                                    "mem": 16, "instances": 4,
                                    "constraints": [["hostname", "GROUP_BY", "2"]]})
    assert r.status_code == 201, r.text
    lead.wait_running("/steady", 4, timeout=60)
    before = c.snapshot(lead, "/steady")
    assert sorted(h for h, _ in before.values()) == sorted(AGENTS * 2)
    # Every node reaches the leader by its address: a standby names it.
    other = [m for m in c.masters if m is not lead][0]
    assert other.get("/v2/leader").json() == {"leader": f"{lead.node.addr}:8080"}

    lead.node.link(False)
    cut = time.monotonic()
    try:
        # The partitioned leader steps down and cannot write ...
        wait_until(lambda: not c.elected(lead), timeout=SESSION_S + 10,
                   what="the partitioned leader to step down")
        down = time.monotonic() - cut
        r = lead.put("/v2/apps/steady", json={"instances": 5}, timeout=10)
        assert r.status_code == 503, r.text
        # ... the others elect one of them, and the agents follow it.
        rest = [m for m in c.masters if m is not lead]
        new = c.wait_leader(among=rest, timeout=SESSION_S + 15)
        elected = time.monotonic() - cut
        wait_until(lambda: c.active(new) == AGENTS, timeout=15,
                   what="the agents with the new leader")
        print(f"partitioned leader down after {down:.2f} s, {new.node.name} leads after "
              f"{elected:.2f} s, agents back after {time.monotonic() - cut:.2f} s")
        assert c.snapshot(new, "/steady") == before
        r = new.put("/v2/apps/steady", json={"instances": 4}, timeout=10)
        assert 200 <= r.status_code < 300, r.text
        assert not c.elected(lead)
    finally:
        lead.node.link(True)

    # Healed: the old leader is a standby, one master leads.
    wait_until(lambda: lead.get("/v2/leader", timeout=5).json() ==
               {"leader": f"{new.node.addr}:8080"}, timeout=SESSION_S + 20,
               what="the old leader to name the new one")
    assert c.leaders() == [new]
    time.sleep(1)
    assert c.leaders() == [new]
    assert c.snapshot(new, "/steady") == before
    assert "killing it" not in new.log_text()
