"""t6: three masters and three agents coordinated by ZooKeeper (issue 9).

One ZooKeeper server (Debian's zookeeperd, started by the test); three
--master processes with --zk and distinct ports and --hostnames, three
--agent processes with --master=zk://..., all on loopback, running plain
processes. Each scenario checks task ids and process ids, not only counts:
- one leader; the standbys relay the Marathon API to it (a write sent to a
  standby is applied by the leader, an event stream through a standby
  carries the leader's events), name it (/v2/leader, X-Marathon-Leader),
  redirect the master endpoints (307), and say master/elected 0; the
  agents register with the leader only;
- kill -9 of the leader in the middle of a deployment: another master leads
  within the session timeout, the agents follow it, the deployment resumes
  and completes, and no task that ran is killed, replaced or restarted;
- DELETE /v2/leader hands leadership over, again at no cost to the tasks;
- a single master with --zk, stopped with SIGTERM or kill -9 and started
  again on the same path, leads again with every app and task as it was;
- every master's DNS server answers from the leader's state (mesos-dns's
  names of the tasks, _leader._tcp with the leader's port), and follows a
  new leader.
"""

import json
import threading
import time

import dns.message
import dns.query
import dns.rdatatype
import pytest
import requests

import ha_harness
from clusterd_harness import wait_until
from ha_harness import HaCluster, post_app, write_ok
from zk_harness import zk_drive_bin, zk_single  # noqa: F401  pylint: disable=unused-import


@pytest.fixture
def ha(request, clusterd_bin, tmp_path, zk_single):  # noqa: F811
    path = f"/t6/{request.node.name.replace('[', '-').replace(']', '')}"
    c = HaCluster(clusterd_bin, tmp_path, zk_single.url(path))
    request.node._clusterd_instances = c.instances  # pylint: disable=protected-access
    try:
        yield c
    finally:
        errors = c.close()
    if errors:
        pytest.fail("\n\n".join(errors), pytrace=False)


def start(c, masters=3, agents=3):
    for _ in range(masters):
        c.start_master()
    lead = c.wait_leader()
    for _ in range(agents):
        c.start_agent()
    c.wait_agents(lead)
    return lead


def sse_events(m, out, stop, types="status_update_event,deployment_success"):
    """Collect the events of m's /v2/events (a thread's target)."""
    try:
        with requests.get(f"{m.url}/v2/events?event_type={types}", stream=True, timeout=30,
                          headers={"Accept": "text/event-stream"}) as r:
            out.append(("status", r.status_code, r.headers.get("X-Marathon-Leader")))
            for line in r.iter_lines(decode_unicode=True):
                if stop.is_set():
                    break
                if line and line.startswith("data:"):
                    out.append(("event", json.loads(line[5:])))
    except requests.RequestException as e:
        out.append(("error", repr(e)))


def test_one_leader_and_standbys_relay(ha):
    c = ha
    lead = start(c)
    standbys = c.standbys()
    assert len(standbys) == 2
    leader_api = f"127.0.0.1:{lead.ports['http']}"
    leader_master = f"127.0.0.1:{lead.ports['master']}"
    for m in c.masters:
        # Every master names the leader, in the body and in the header.
        r = m.get("/v2/leader")
        assert r.status_code == 200 and r.json() == {"leader": leader_api}, r.text
        assert r.headers.get("X-Marathon-Leader") == f"http://{leader_api}"
        assert m.get("/ping").text.strip() == "pong"
    for m in standbys:
        snap = c.master_json(m, "/metrics/snapshot")
        assert snap["master/elected"] == 0.0
        r = m.get("/master/redirect", base=m.master_url, allow_redirects=False)
        assert r.status_code == 307 and r.headers["Location"] == f"//{leader_master}"
        r = m.get("/master/state", base=m.master_url, allow_redirects=False)
        assert r.status_code == 307
        assert r.headers["Location"] == f"http://{leader_master}/master/state"
        # requests follows it: the leader's state, with the agents.
        assert c.active_agents(m) == c.agent_names()
    assert c.master_json(lead, "/metrics/snapshot")["master/elected"] == 1.0

    # An event stream through a standby carries the leader's events.
    events, stop = [], threading.Event()
    t = threading.Thread(target=sse_events, args=(standbys[1], events, stop), daemon=True)
    t.start()
    wait_until(lambda: events, timeout=10, what="the relayed stream to start")
    assert events[0] == ("status", 200, f"http://{leader_api}")

    # A write sent to a standby is applied by the leader.
    r = post_app(standbys[0], "/relayed", 3)
    assert r.headers.get("X-Marathon-Leader") == f"http://{leader_api}"
    assert lead.app("/relayed") is not None
    lead.wait_running("/relayed", 3, timeout=30)
    for m in c.masters:
        assert sorted(t["id"] for t in m.tasks("/relayed")) == \
            sorted(t["id"] for t in lead.tasks("/relayed"))
    wait_until(lambda: len({e[1]["taskId"] for e in events if e[0] == "event"
                            and e[1].get("taskStatus") == "TASK_RUNNING"}) == 3,
               timeout=15, what="three TASK_RUNNING events through the standby")
    stop.set()
    # The agents registered with the leader only.
    for m in standbys:
        assert "registered agent" not in m.log_text()


def test_kill9_leader_mid_deployment(ha):
    c = ha
    lead = start(c)
    post_app(lead, "/steady", 3)
    lead.wait_running("/steady", 3, timeout=30)
    steady = c.snapshot(lead, "/steady")
    # A deployment that waits for health: the tasks run at once (one
    # process each, the same all along), and turn healthy 3 s after start.
    r = lead.post("/v2/apps", json={
        "id": "/slow", "cmd": "touch start; exec sleep 100000", "cpus": 0.1, "mem": 16,
        "instances": 3,
        "healthChecks": [{"protocol": "COMMAND", "command": {
            "value": "test $(( $(date +%s) - $(stat -c %Y start) )) -ge 3"},
                          "gracePeriodSeconds": 30, "intervalSeconds": 1,
                          "timeoutSeconds": 2, "maxConsecutiveFailures": 30}]})
    assert r.status_code == 201, r.text
    deployment = r.headers["Marathon-Deployment-Id"]
    lead.wait_running("/slow", 3, timeout=30)
    slow = c.snapshot(lead, "/slow")
    assert [d["id"] for d in lead.get("/v2/deployments").json()] == [deployment]

    lead.kill9()
    killed = time.monotonic()
    new = c.wait_leader(timeout=ha_harness.SESSION_S + 15)
    elected = time.monotonic() - killed
    wait_until(lambda: write_ok(new), timeout=10, what="a write on the new leader")
    writes = time.monotonic() - killed
    c.wait_agents(new, timeout=10)
    agents = time.monotonic() - killed
    print(f"new leader {new.name} after {elected:.2f} s, writes after {writes:.2f} s, "
          f"agents back after {agents:.2f} s")

    # The deployment resumes on the new leader and completes.
    assert deployment in [d["id"] for d in new.get("/v2/deployments").json()] or \
        "deployment_success" in new.log_text()
    wait_until(lambda: new.get("/v2/deployments").json() == [], timeout=30,
               what="the deployment to complete")
    app = new.app("/slow")
    assert app["tasksHealthy"] == 3, app
    # Not one task killed, replaced or restarted.
    assert c.snapshot(new, "/steady") == steady
    assert c.snapshot(new, "/slow") == slow
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        assert (c.snapshot(new, "/steady"), c.snapshot(new, "/slow")) == (steady, slow)
        time.sleep(0.2)
    assert "killing it" not in new.log_text()


def test_abdicate_hands_over(ha):
    c = ha
    lead = start(c, masters=2, agents=2)
    post_app(lead, "/steady", 2)
    lead.wait_running("/steady", 2, timeout=30)
    before = c.snapshot(lead, "/steady")
    other = [m for m in c.masters if m is not lead][0]
    # Through the standby, as a client that knows no better would.
    r = other.delete("/v2/leader")
    assert r.status_code == 200 and r.json() == {"message": "Leadership abdicated"}, r.text
    new = c.wait_leader(timeout=10, exclude=(lead,))
    assert new is other
    c.wait_agents(new, timeout=10)
    assert c.snapshot(new, "/steady") == before
    assert lead.get("/v2/leader").json() == {"leader": f"127.0.0.1:{new.ports['http']}"}


@pytest.mark.parametrize("how", ["sigterm", "kill9"])
def test_single_master_restart(ha, how):
    c = ha
    lead = start(c, masters=1, agents=2)
    post_app(lead, "/steady", 4)
    lead.wait_running("/steady", 4, timeout=30)
    before = c.snapshot(lead, "/steady")
    pids = c.all_pids()
    if how == "sigterm":
        lead.stop()
    else:
        lead.kill9()
    lead.start()
    # After kill -9 the old session's znode stays until ZooKeeper expires
    # it (the session timeout): only then does the new process lead.
    lead = c.wait_leader(timeout=ha_harness.SESSION_S + 15)
    c.wait_agents(lead, timeout=10)
    assert lead.app("/steady")["instances"] == 4
    assert c.snapshot(lead, "/steady") == before
    assert c.all_pids() == pids
    r = lead.put("/v2/apps/steady", json={"instances": 5})
    assert 200 <= r.status_code < 300, r.text
    lead.wait_running("/steady", 5, timeout=30)
    after = c.snapshot(lead, "/steady")
    assert all(after[t] == before[t] for t in before)


def dns_answer(port, name, rtype):
    q = dns.message.make_query(name, rtype)
    r = dns.query.udp(q, "127.0.0.1", port=port, timeout=3)
    return sorted(rr.to_text() for rrset in r.answer for rr in rrset)


def test_dns_on_every_master(ha):
    from test_t2_dns import free_dns_port  # pylint: disable=import-outside-toplevel
    c = ha
    c.master_args = ["--dns_ttl=1secs"]
    for _ in range(2):
        c.start_master(None, f"--dns_port={free_dns_port()}")
    lead = c.wait_leader()
    c.start_agent()
    c.wait_agents(lead)
    post_app(lead, "/web", 2)
    lead.wait_running("/web", 2, timeout=30)
    for m in c.masters:
        wait_until(lambda m=m: dns_answer(m.ports["dns"], "web.marathon.mesos.", "A") ==
                   ["127.0.0.1"], timeout=10, what=f"web.marathon.mesos on {m.name}")
        wait_until(lambda m=m: len(dns_answer(m.ports["dns"], "_web._tcp.marathon.mesos.",
                                              "SRV")) == 2,
                   timeout=10, what=f"two SRV records of web on {m.name}")
        srv = dns_answer(m.ports["dns"], "_leader._tcp.mesos.", "SRV")
        assert [r.split()[2] for r in srv] == [str(lead.ports["master"])], srv
    other = [m for m in c.masters if m is not lead][0]
    lead.kill9()
    new = c.wait_leader(timeout=ha_harness.SESSION_S + 15)
    assert new is other
    wait_until(lambda: [r.split()[2] for r in dns_answer(new.ports["dns"],
                                                          "_leader._tcp.mesos.", "SRV")]
               == [str(new.ports["master"])], timeout=10, what="_leader._tcp to follow")
    assert len(dns_answer(new.ports["dns"], "_web._tcp.marathon.mesos.", "SRV")) == 2
