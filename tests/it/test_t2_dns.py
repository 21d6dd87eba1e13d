"""t2: the master's DNS server (issue 14), against the real binary.

Every answer is read with dnspython (python3-dnspython) and some with dig
(dnsutils), as a user would check them: the names mesos-dns gives Marathon's
tasks (docs/naming.md), A and SRV records following the tasks as they start,
scale and die, grouped app ids, NXDOMAIN, the truncation of large UDP answers
and the TCP retry, forwarding outside the domain, garbage, and Mesos-DNS's HTTP
API on the Marathon port.

Plain-process tasks (cmd) run for the HOST-network apps; the 100-task app and
the BRIDGE app run on the simulation containerizer (--containerizers=sim),
which runs nothing but reports them RUNNING: their records are what is tested.
"""

import hashlib
import os
import random
import socket
import subprocess
import sys
import threading
import time

import dns.exception
import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import pytest

sys.path.insert(0, os.path.dirname(__file__))

from clusterd_harness import wait_until  # noqa: E402  pylint: disable=wrong-import-position
from dnsutil import answers, free_dns_port, query  # noqa: E402  pylint: disable=wrong-import-position

SIM_RESOURCES = "cpus:64;mem:65536;disk:10000;ports:[31000-31299]"


def task_hash(task_id):
    """mesos-dns's per-task label part: zbase32(sha1(task id))[:5]."""
    h = int.from_bytes(hashlib.sha1(task_id.encode()).digest()[:4], "big")
    return "".join("ybndrfg8ejkmcpqxot1uwisza345h769"[(h >> (27 - 5 * i)) & 31]
                   for i in range(5))


def test_task_hash_is_mesos_dns():
    # The example of mesos-dns's docs/http.md: nginx-jhy6r-s1.marathon.mesos.
    assert task_hash("nginx.48dccce7-90bc-11e6-ae70-70b3d5800001") == "jhy6r"


def a_records(port, name):
    return sorted(rd.address for rd in answers(query(port, name), "A"))


def srv_records(port, name, tcp=False):
    return sorted((rd.target.to_text(), rd.port)
                  for rd in answers(query(port, name, "SRV", tcp=tcp), "SRV"))


def dig(port, *args):
    out = subprocess.run(["dig", "@127.0.0.1", "-p", str(port), *args], check=True,
                         capture_output=True, text=True, timeout=30)
    return out.stdout


def agent_tail(agent_id):
    return agent_id.rsplit("-", 1)[-1].lower()


def canonical(task, name, fw="marathon"):
    return f"{name}-{task_hash(task['id'])}-{agent_tail(task['slaveId'])}.{fw}"


def start_dns(start_clusterd, *args, **kw):
    port = free_dns_port()
    c = start_clusterd(f"--dns_port={port}", *args, **kw)
    assert c.ports.get("dns") == port
    return c, port


def create(c, app):
    r = c.post("/v2/apps", json=app)
    assert r.status_code == 201, r.text
    return r.json()


def scale(c, app_id, n):
    wait_until(lambda: c.get("/v2/deployments").json() == [], what="no deployment")
    r = c.put(f"/v2/apps/{app_id.lstrip('/')}", json={"instances": n})
    assert r.status_code == 200, r.text


HOST_APP = {"id": "/web", "cmd": "sleep 600", "cpus": 0.1, "mem": 16, "instances": 2,
            "portDefinitions": [{"port": 0, "name": "http"},
                                {"port": 0, "protocol": "udp", "name": "stats"}]}


def test_a_and_srv_for_a_host_app(start_clusterd):
    c, port = start_dns(start_clusterd)
    create(c, HOST_APP)
    tasks = c.wait_running("/web", 2)

    # A: the task's name, its canonical name, and both under .slave: the agent.
    msg = query(port, "web.marathon.mesos")
    assert msg.flags & dns.flags.AA and msg.rcode() == dns.rcode.NOERROR
    assert a_records(port, "web.marathon.mesos") == ["127.0.0.1"]
    assert a_records(port, "web.marathon.slave.mesos") == ["127.0.0.1"]
    for t in tasks:
        assert a_records(port, canonical(t, "web") + ".mesos") == ["127.0.0.1"]
        assert a_records(port, canonical(t, "web") + ".slave.mesos") == ["127.0.0.1"]
    assert a_records(port, "WEB.Marathon.MESOS.") == ["127.0.0.1"]

    # SRV from the discovery ports: every port of every task, by protocol,
    # and each named port under its own name.
    want_tcp = sorted((canonical(t, "web") + ".mesos.", t["ports"][0]) for t in tasks)
    want_udp = sorted((canonical(t, "web") + ".mesos.", t["ports"][1]) for t in tasks)
    assert srv_records(port, "_web._tcp.marathon.mesos") == want_tcp
    assert srv_records(port, "_web._udp.marathon.mesos") == want_udp
    assert srv_records(port, "_http._web._tcp.marathon.mesos") == want_tcp
    assert srv_records(port, "_stats._web._udp.marathon.mesos") == want_udp
    # ... and every host port under .slave, for both protocols.
    want_slave = sorted((canonical(t, "web") + ".slave.mesos.", p)
                        for t in tasks for p in t["ports"])
    assert srv_records(port, "_web._tcp.marathon.slave.mesos") == want_slave
    assert srv_records(port, "_web._udp.marathon.slave.mesos") == want_slave

    # The targets' addresses come along as additional records.
    msg = query(port, "_web._tcp.marathon.mesos", "SRV")
    extra = {rrset.name.to_text(): [rd.address for rd in rrset] for rrset in msg.additional}
    assert extra == {canonical(t, "web") + ".mesos.": ["127.0.0.1"] for t in tasks}

    # dig, as a user asks.
    assert dig(port, "web.marathon.mesos", "+short").split() == ["127.0.0.1"]
    lines = dig(port, "_web._tcp.marathon.mesos", "SRV", "+short").splitlines()
    assert sorted((ln.split()[3], int(ln.split()[2])) for ln in lines) == want_tcp

    # The cluster's own names.
    assert a_records(port, "leader.mesos") == ["127.0.0.1"]
    assert a_records(port, "master.mesos") == ["127.0.0.1"]
    assert a_records(port, "slave.mesos") == ["127.0.0.1"]
    assert srv_records(port, "_leader._tcp.mesos") == [("leader.mesos.", c.ports["master"])]
    assert srv_records(port, "_slave._tcp.mesos") == [("slave.mesos.", c.ports["agent"])]
    soa = answers(query(port, "mesos", "SOA"), "SOA")
    assert len(soa) == 1 and soa[0].mname.to_text() == "ns1.mesos."
    assert a_records(port, "ns1.mesos") == ["127.0.0.1"]


def test_mesos_dns_http_api(start_clusterd):
    c, port = start_dns(start_clusterd)
    create(c, HOST_APP)
    tasks = c.wait_running("/web", 2)

    assert c.get("/v1/hosts/web.marathon.mesos").json() == [
        {"host": "web.marathon.mesos.", "ip": "127.0.0.1"}]
    services = c.get("/v1/services/_web._tcp.marathon.mesos").json()
    assert sorted((s["host"], s["port"]) for s in services) == sorted(
        (canonical(t, "web") + ".mesos.", str(t["ports"][0])) for t in tasks)
    assert all(s["ip"] == "127.0.0.1" and s["service"] == "_web._tcp.marathon.mesos"
               for s in services)
    # Unknown names: one empty record, as Mesos-DNS answers.
    assert c.get("/v1/hosts/nope.marathon.mesos").json() == [{"host": "", "ip": ""}]
    assert c.get("/v1/services/_nope._tcp.marathon.mesos").json() == [
        {"service": "", "host": "", "ip": "", "port": ""}]
    version = c.get("/v1/version").json()
    assert set(version) == {"Service", "URL", "Version"}
    config = c.get("/v1/config").json()
    assert config["Domain"] == "mesos" and config["Port"] == port and config["TTL"] == 5
    assert config["SOAMname"] == "ns1.mesos." and config["HttpPort"] == c.ports["http"]


def test_scale_up_and_down_and_kill(start_clusterd):
    c, port = start_dns(start_clusterd, "--dns_ttl=2secs")
    create(c, HOST_APP)
    c.wait_running("/web", 2)
    assert query(port, "web.marathon.mesos").answer[0].ttl == 2

    # Live: once Marathon reports the tasks running, DNS has them already.
    scale(c, "/web", 4)
    tasks = c.wait_running("/web", 4)
    assert srv_records(port, "_http._web._tcp.marathon.mesos") == sorted(
        (canonical(t, "web") + ".mesos.", t["ports"][0]) for t in tasks)

    scale(c, "/web", 1)
    tasks = c.wait_running("/web", 1)
    # Marathon still lists the tasks it is killing: DNS no longer does.
    assert srv_records(port, "_http._web._tcp.marathon.mesos") == [
        (canonical(tasks[0], "web") + ".mesos.", tasks[0]["ports"][0])]

    # A killed task is gone the moment the kill is accepted.
    scale(c, "/web", 2)
    tasks = c.wait_running("/web", 2)
    victim = tasks[0]
    r = c.delete(f"/v2/apps/web/tasks/{victim['id']}")
    assert r.status_code == 200, r.text
    names = [t for t, _ in srv_records(port, "_web._tcp.marathon.slave.mesos")]
    assert canonical(victim, "web") + ".slave.mesos." not in names
    assert a_records(port, canonical(victim, "web") + ".mesos") == []
    assert query(port, canonical(victim, "web") + ".mesos").rcode() == dns.rcode.NXDOMAIN
    survivor = tasks[1]
    assert canonical(survivor, "web") + ".slave.mesos." in names

    # The app's removal takes every name with it.
    assert c.delete("/v2/apps/web").status_code == 200
    wait_until(lambda: c.app("/web") is None, what="/web deleted")
    wait_until(lambda: query(port, "web.marathon.mesos").rcode() == dns.rcode.NXDOMAIN,
               what="web.marathon.mesos gone")


def test_grouped_app_ids(start_clusterd):
    c, port = start_dns(start_clusterd)
    create(c, {"id": "/prod/db/mysql", "cmd": "sleep 600", "cpus": 0.1, "mem": 16,
               "portDefinitions": [{"port": 0, "name": "sql"}]})
    task = c.wait_running("/prod/db/mysql", 1)[0]
    # Marathon names the task "mysql.db.prod"; mesos-dns makes it a label,
    # mysql-db-prod, and keeps the dotted "legacy" name too.
    assert a_records(port, "mysql-db-prod.marathon.mesos") == ["127.0.0.1"]
    assert a_records(port, "mysql.db.prod.marathon.mesos") == ["127.0.0.1"]
    target = canonical(task, "mysql-db-prod") + ".mesos."
    assert srv_records(port, "_mysql-db-prod._tcp.marathon.mesos") == [(target, task["ports"][0])]
    assert srv_records(port, "_sql._mysql-db-prod._tcp.marathon.mesos") == [
        (target, task["ports"][0])]
    assert query(port, "prod.marathon.mesos").rcode() == dns.rcode.NXDOMAIN


def test_nxdomain_nodata_refused(start_clusterd):
    c, port = start_dns(start_clusterd)
    create(c, HOST_APP)
    c.wait_running("/web", 2)
    for name in ("nope.marathon.mesos", "x.web.marathon.mesos", "_web._sctp.marathon.mesos"):
        msg = query(port, name)
        assert msg.rcode() == dns.rcode.NXDOMAIN, name
        assert msg.flags & dns.flags.AA
        assert [rrset.rdtype for rrset in msg.authority] == [dns.rdatatype.SOA]
        assert msg.authority[0].name.to_text() == "mesos."
    # A name that exists, asked for a type it has not: NOERROR, no answer.
    msg = query(port, "web.marathon.mesos", "MX")
    assert msg.rcode() == dns.rcode.NOERROR and not msg.answer
    assert [rrset.rdtype for rrset in msg.authority] == [dns.rdatatype.SOA]
    # Outside the domain, without --dns_resolvers: refused.
    assert query(port, "example.com").rcode() == dns.rcode.REFUSED
    assert query(port, "example.com", tcp=True).rcode() == dns.rcode.REFUSED


def test_forwarding_to_resolvers(start_clusterd):
    # The upstream is another clusterd, authoritative for "other".
    up, up_port = start_dns(start_clusterd, "--dns_domain=other")
    c, port = start_dns(start_clusterd, f"--dns_resolvers=127.0.0.1:{up_port}")
    for tcp in (False, True):
        msg = query(port, "leader.other", tcp=tcp)
        assert msg.rcode() == dns.rcode.NOERROR
        assert [rd.address for rd in answers(msg, "A")] == ["127.0.0.1"]
        assert not msg.flags & dns.flags.AA and msg.flags & dns.flags.RA
        assert query(port, "nope.other", tcp=tcp).rcode() == dns.rcode.NXDOMAIN
    # libevent's resolver asks A and AAAA only.
    assert query(port, "leader.other", "MX").rcode() == dns.rcode.NOTIMP
    assert a_records(port, "leader.mesos") == ["127.0.0.1"]
    assert up.running


def test_truncation_and_tcp_for_100_tasks(start_clusterd):
    c, port = start_dns(start_clusterd, "--containerizers=sim", resources=SIM_RESOURCES)
    create(c, {"id": "/big", "cmd": "sleep 600", "cpus": 0.01, "mem": 4, "instances": 100,
               "portDefinitions": [{"port": 0}]})
    tasks = c.wait_running("/big", 100, timeout=120)
    want = sorted((canonical(t, "big") + ".mesos.", t["ports"][0]) for t in tasks)

    # UDP: too big for 512 bytes, so truncated (TC) and well formed: no records.
    msg = query(port, "_big._tcp.marathon.mesos", "SRV")
    assert msg.flags & dns.flags.TC
    assert not msg.answer and not msg.additional
    # TCP: all of them, each target's address as an additional record.
    msg = query(port, "_big._tcp.marathon.mesos", "SRV", tcp=True)
    assert not msg.flags & dns.flags.TC
    assert sorted((rd.target.to_text(), rd.port) for rd in answers(msg, "SRV")) == want
    assert len([rs for rs in msg.additional]) == 100
    # dig retries over TCP by itself.
    out = dig(port, "_big._tcp.marathon.mesos", "SRV")
    assert "Truncated, retrying in TCP mode" in out
    assert "ANSWER: 100," in out
    # A fits: all the tasks are on one agent.
    assert a_records(port, "big.marathon.mesos") == ["127.0.0.1"]


def test_udp_replies_are_whole_or_truncated(start_clusterd):
    """Around the 512-byte limit, a UDP reply holds every record or none."""
    c, port = start_dns(start_clusterd, "--containerizers=sim", resources=SIM_RESOURCES)
    create(c, {"id": "/edge", "cmd": "sleep 600", "cpus": 0.01, "mem": 4, "instances": 1,
               "portDefinitions": [{"port": 0}]})
    for n in (4, 7, 9, 12, 16):
        scale(c, "/edge", n)
        c.wait_running("/edge", n)
        for name in ("_edge._tcp.marathon.mesos", "_edge._udp.marathon.slave.mesos"):
            msg = query(port, name, "SRV")  # dnspython rejects a malformed reply
            full = query(port, name, "SRV", tcp=True)
            assert len(answers(full, "SRV")) == n
            if msg.flags & dns.flags.TC:
                assert not msg.answer, (n, name)
            else:
                assert len(answers(msg, "SRV")) == n, (n, name)
                assert len(msg.to_wire()) <= 512


def test_bridge_app_named_ports(start_clusterd):
    c, port = start_dns(start_clusterd, "--containerizers=sim", resources=SIM_RESOURCES)
    create(c, {"id": "/api", "cpus": 0.1, "mem": 16, "instances": 1,
               "container": {"type": "DOCKER", "docker": {
                   "image": "busybox:local", "network": "BRIDGE",
                   "portMappings": [
                       {"containerPort": 80, "hostPort": 0, "protocol": "tcp", "name": "web"},
                       {"containerPort": 53, "hostPort": 0, "protocol": "udp,tcp",
                        "name": "dns"}]}}})
    task = c.wait_running("/api", 1)[0]
    target = canonical(task, "api") + ".mesos."
    web, dnsp = task["ports"]
    assert srv_records(port, "_web._api._tcp.marathon.mesos") == [(target, web)]
    assert srv_records(port, "_dns._api._udp.marathon.mesos") == [(target, dnsp)]
    assert srv_records(port, "_dns._api._tcp.marathon.mesos") == [(target, dnsp)]
    assert srv_records(port, "_api._tcp.marathon.mesos") == sorted([(target, web), (target, dnsp)])
    # BRIDGE: the task is reached at its agent's address and host ports.
    assert a_records(port, "api.marathon.mesos") == ["127.0.0.1"]


GARBAGE = [
    b"",
    b"\x00",
    b"\x12\x34\x01\x00\x00\x01",                     # header cut short
    b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00",  # 11 bytes: crashed libevent 2.1.12
    b"\x12\x34\x81\x80\x00\x01\x00\x00\x00\x00\x00\x00"  # a response
    b"\x03web\x08marathon\x05mesos\x00\x00\x01\x00\x01",
    b"\x12\x34\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00",  # no question
    b"\x12\x34\x01\x00\x00\x02\x00\x00\x00\x00\x00\x00"  # two questions
    b"\x03web\x08marathon\x05mesos\x00\x00\x01\x00\x01"
    b"\x03web\x08marathon\x05mesos\x00\x00\x01\x00\x01",
    b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\xc0\x0c\x00\x01\x00\x01",  # loop
    b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x3f" + b"a" * 20,  # label overrun
    b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03web\x08marathon",  # name unterminated
]


def test_garbage_is_not_answered(start_clusterd):
    c, port = start_dns(start_clusterd)
    rnd = random.Random(14)
    packets = GARBAGE + [bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 600)))
                         for _ in range(200)]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.3)
    try:
        for p in packets:
            s.sendto(p, ("127.0.0.1", port))
        answered = []
        while True:
            try:
                data, _ = s.recvfrom(4096)
            except socket.timeout:
                break
            answered.append(data)
    finally:
        s.close()
    # Random bytes that happen to parse as one query get an answer; none of
    # the hand-made garbage may, and every answer is a well-formed message.
    for data in answered:
        msg = dns.message.from_wire(data)
        assert msg.flags & dns.flags.QR
        assert data[:2] != b"\x12\x34"
    # TCP: garbage closes the connection, nothing is written back.
    for p in (b"\x00\x05hello", b"\x00\x00", b"\xff\xff" + b"x" * 100):
        t = socket.create_connection(("127.0.0.1", port), timeout=5)
        try:
            t.sendall(p)
            t.shutdown(socket.SHUT_WR)
            assert t.recv(4096) == b""
        finally:
            t.close()
    # Still up and answering.
    assert c.running
    assert a_records(port, "leader.mesos") == ["127.0.0.1"]
    assert c.get("/ping").text.strip() == "pong"


def test_records_follow_a_scale_under_a_query_flood(start_clusterd):
    """Under a flood of queries and garbage (UDP) and of 100-answer SRV
    queries (TCP), answered on the loop that also serves the API and
    changes the records, the API still serves, the records follow a scale
    at once, a killed task is gone the moment its kill is accepted, and the
    process stays up."""
    c, port = start_dns(start_clusterd, "--dns_ttl=2secs", "--containerizers=sim",
                        resources=SIM_RESOURCES)
    create(c, {"id": "/flood", "cmd": "sleep 600", "cpus": 0.01, "mem": 4, "instances": 2,
               "portDefinitions": [{"port": 0}]})
    c.wait_running("/flood", 2)
    stop = threading.Event()
    got = {"udp": 0, "tcp": 0}

    def flood_udp():
        wire = [dns.message.make_query(n, t).to_wire() for n, t in (
            ("flood.marathon.mesos", "A"), ("_flood._tcp.marathon.mesos", "SRV"),
            ("nowhere.marathon.mesos", "A"), ("leader.mesos", "A"))] + GARBAGE
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setblocking(False)
        try:
            i = 0
            while not stop.is_set():
                for _ in range(64):
                    i += 1
                    try:
                        s.sendto(wire[i % len(wire)], ("127.0.0.1", port))
                    except BlockingIOError:
                        pass
                while True:
                    try:
                        s.recvfrom(4096)
                        got["udp"] += 1
                    except BlockingIOError:
                        break
                time.sleep(0.001)
        finally:
            s.close()

    def flood_tcp():
        while not stop.is_set():
            try:
                query(port, "_flood._tcp.marathon.mesos", "SRV", tcp=True)
                got["tcp"] += 1
            except (OSError, dns.exception.DNSException):
                pass

    threads = [threading.Thread(target=f, daemon=True) for f in (flood_udp, flood_tcp)]
    for t in threads:
        t.start()
    try:
        wait_until(lambda: got["udp"] > 100 and got["tcp"] > 10, what="the flood answered")
        for n in (20, 3):
            scale(c, "/flood", n)
            tasks = c.wait_running("/flood", n, timeout=60)
            assert srv_records(port, "_flood._tcp.marathon.mesos", tcp=True) == sorted(
                (canonical(t, "flood") + ".mesos.", t["ports"][0]) for t in tasks)
        victim = tasks[0]
        r = c.delete(f"/v2/apps/flood/tasks/{victim['id']}")
        assert r.status_code == 200, r.text
        names = [t for t, _ in srv_records(port, "_flood._tcp.marathon.mesos", tcp=True)]
        assert canonical(victim, "flood") + ".mesos." not in names
        before = dict(got)
        wait_until(lambda: got["udp"] > before["udp"] and got["tcp"] > before["tcp"],
                   what="the flood still answered")
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=10)
    assert c.running
    assert a_records(port, "leader.mesos") == ["127.0.0.1"]
    assert c.get("/ping").text.strip() == "pong"


def test_flags(clusterd_bin, tmp_path):
    def run(*args):
        return subprocess.run([clusterd_bin, "--all-in-one", f"--work_dir={tmp_path}",
                               "--http_port=0", "--master_port=0", "--agent_port=0",
                               *args], capture_output=True, text=True, timeout=30)

    r = run("--dns_domain=bad..domain", "--dns_port=1")
    assert r.returncode == 1 and "--dns_domain" in r.stderr
    r = run("--dns_port=70000")
    assert r.returncode == 1 and "--dns_port" in r.stderr
    assert "--dns_port" in run("--help").stdout


def test_dns_port_in_use(start_clusterd):
    port = free_dns_port()
    blocker = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    blocker.bind(("127.0.0.1", port))
    try:
        with pytest.raises(Exception):
            start_clusterd(f"--dns_port={port}", timeout=10)
    finally:
        blocker.close()


def test_tutorial_app_has_a_name(start_clusterd):
    """The README's example: the 0.5 tutorial's app, in Docker, found by dig."""
    c, port = start_dns(start_clusterd)
    create(c, {"container": {"image": "docker:///libmesos/ubuntu", "options": []},
               "id": "ubuntu", "instances": "1", "cpus": ".5", "mem": "512", "uris": [],
               "cmd": "while sleep 10; do date -u +%T; done"})
    c.wait_running("/ubuntu", 1, timeout=60)
    assert dig(port, "ubuntu.marathon.mesos", "+short").split() == ["127.0.0.1"]
    out = dig(port, "ubuntu.marathon.mesos")
    assert "status: NOERROR" in out and "flags: qr aa" in out
    scale(c, "/ubuntu", 2)
    tasks = c.wait_running("/ubuntu", 2, timeout=60)
    names = sorted(ln for ln in dig(port, "ubuntu.marathon.slave.mesos", "+short").split())
    assert names == ["127.0.0.1"]
    for t in tasks:
        assert dig(port, canonical(t, "ubuntu") + ".mesos", "+short").split() == ["127.0.0.1"]
