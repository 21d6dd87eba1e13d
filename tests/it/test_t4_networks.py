"""t4: BRIDGE and USER networks against a real dockerd with a bridge (SPEC section 6,
issue 12 items 1 and 2).

The dockerd, clusterd and every connection of the test live in a network namespace
the test makes (the `bridged` fixture): published ports go through docker-proxy,
container addresses are on the namespace's bridges.

- BRIDGE: portMappings with hostPort 0 take host ports from the offer; PORT0,
  PORTS, PORT_<containerPort>, PORT_<NAME> and HOST are set as Marathon sets them;
  service ports are assigned; a health check on a portIndex reaches the host port;
  the tasks' host and ports are what a marathon-lb-style consumer of
  /v2/apps?embed=apps.tasks connects to.
- USER: the container joins a `docker network create`d network at create; the task
  reports its address from Docker's own inspect as ipAddresses, and /master/state
  carries it as Mesos' container_status.network_infos; MESOS_HTTP and MESOS_TCP
  checks reach the container at that address.
"""

import socket

import dns.message
import dns.query
import dns.rdatatype

from clusterd_harness import TEST_IMAGE, wait_until


def http_get(host, port, path="/", timeout=5):
    """The body of GET path from host:port (HTTP/1.0), in the current netns."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(f"GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.") and b" 200 " in head.split(b"\r\n")[0], head
    return body.decode()


def start_in_netns(start_clusterd, bridged, *args):
    # The agent's hostname is what marathon-lb connects to: an address that works
    # inside the namespace.
    return start_clusterd("--hostname=127.0.0.1", *args, docker=bridged.docker,
                          netns=bridged.netns)


SERVE = ('mkdir -p /tmp/w && echo "$MESOS_TASK_ID" > /tmp/w/index.html && '
         'env > /tmp/w/env && exec httpd -f -p 8080 -h /tmp/w')


def env_of(text):
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def healthy(task, checks=1):
    """Whether every one of the task's checks has a result, and each is alive."""
    results = task.get("healthCheckResults") or []
    return len(results) == checks and all(r.get("alive") for r in results)


def test_bridge_two_instances_each_on_its_host_port(start_clusterd, bridged):
    cd = start_in_netns(start_clusterd, bridged)
    app = {
        "id": "/web",
        "instances": 2,
        "cpus": 0.1,
        "mem": 32,
        "cmd": SERVE,
        "container": {
            "type": "DOCKER",
            "docker": {"image": TEST_IMAGE, "network": "BRIDGE"},
            "portMappings": [{"containerPort": 8080, "hostPort": 0, "servicePort": 0,
                              "protocol": "tcp", "name": "http"}],
        },
        "healthChecks": [{"protocol": "HTTP", "portIndex": 0, "path": "/",
                          "gracePeriodSeconds": 30, "intervalSeconds": 1,
                          "timeoutSeconds": 2, "maxConsecutiveFailures": 5}],
    }
    with bridged.netns.entered():
        r = cd.post("/v2/apps", json=app)
        assert r.status_code == 201, r.text
        tasks = cd.wait_running("/web", 2, timeout=90)

        # Host ports from the offered range, one each, different.
        ports = [t["ports"][0] for t in tasks]
        assert all(len(t["ports"]) == 1 for t in tasks), tasks
        assert all(31000 <= p <= 31099 for p in ports), ports
        assert len(set(ports)) == 2, ports

        # A service port was assigned, and every task carries it.
        a = cd.app("/web")
        svc = a["container"]["portMappings"][0]["servicePort"]
        assert 10000 <= svc <= 20000, a["container"]["portMappings"]
        assert all(t["servicePorts"] == [svc] for t in tasks), tasks

        # Health checks on portIndex 0 reach each task at its host port.
        wait_until(lambda: all(healthy(t) for t in cd.running_tasks("/web")) and
                   len(cd.running_tasks("/web")) == 2,
                   timeout=60, what="both /web tasks healthy")

        # A marathon-lb-style consumer: host and ports of each task from
        # /v2/apps?embed=apps.tasks, then a connection to each.
        r = cd.get("/v2/apps", params={"embed": "apps.tasks"})
        assert r.status_code == 200, r.text
        (listed,) = [x for x in r.json()["apps"] if x["id"] == "/web"]
        assert len(listed["tasks"]) == 2
        answered = {}
        for t in listed["tasks"]:
            assert t["host"] == "127.0.0.1"
            answered[t["id"]] = http_get(t["host"], t["ports"][0]).strip()
        assert answered == {t["id"]: t["id"] for t in listed["tasks"]}, answered

        # The environment, as Marathon sets it for a bridged task.
        for t in listed["tasks"]:
            env = env_of(http_get(t["host"], t["ports"][0], "/env"))
            hp = str(t["ports"][0])
            assert env["PORT0"] == hp and env["PORT"] == hp, env
            assert env["PORTS"] == hp, env
            assert env["PORT_8080"] == hp, env
            assert env["PORT_HTTP"] == hp, env
            assert env["HOST"] == "127.0.0.1", env
            assert env["MESOS_TASK_ID"] == t["id"], env

            # Each task also reports its address on the bridge, from Docker's inspect.
            (c,) = bridged.docker.containers([f"clusterd.task_id={t['id']}"])
            ip = bridged.docker.inspect(c["Id"])["NetworkSettings"]["IPAddress"]
            assert t["ipAddresses"] == [{"ipAddress": ip, "protocol": "IPv4"}], t


def test_user_network_task_at_its_container_address(start_clusterd, bridged):
    net = "cdnet-user"
    status, _ = bridged.docker.request("POST", "/networks/create",
                                       body={"Name": net, "Driver": "bridge",
                                             "CheckDuplicate": True})
    assert status in (201, 409), status
    # The namespace is the test's own: a fixed DNS port is free in it.
    cd = start_in_netns(start_clusterd, bridged, "--dns_port=8053")
    app = {
        "id": "/inside",
        "instances": 1,
        "cpus": 0.1,
        "mem": 32,
        "cmd": SERVE,
        "networks": [{"mode": "container", "name": net}],
        "container": {
            "type": "DOCKER",
            "docker": {"image": TEST_IMAGE},
            "portMappings": [{"containerPort": 8080, "name": "http"}],
        },
        "healthChecks": [
            {"protocol": "MESOS_HTTP", "portIndex": 0, "path": "/",
             "gracePeriodSeconds": 30, "intervalSeconds": 1, "timeoutSeconds": 2,
             "maxConsecutiveFailures": 5},
            {"protocol": "MESOS_TCP", "portIndex": 0, "gracePeriodSeconds": 30,
             "intervalSeconds": 1, "timeoutSeconds": 2, "maxConsecutiveFailures": 5},
        ],
    }
    with bridged.netns.entered():
        r = cd.post("/v2/apps", json=app)
        assert r.status_code == 201, r.text
        (task,) = cd.wait_running("/inside", 1, timeout=90)

        # Attached to the user network at create; the address is Docker's own.
        (c,) = bridged.docker.containers([f"clusterd.task_id={task['id']}"])
        info = bridged.docker.inspect(c["Id"])
        assert info["HostConfig"]["NetworkMode"] == net
        ip = info["NetworkSettings"]["Networks"][net]["IPAddress"]
        assert ip, info["NetworkSettings"]
        assert task["ipAddresses"] == [{"ipAddress": ip, "protocol": "IPv4"}], task
        assert task["ports"] == [], "a mapping without hostPort takes no host port"

        # The task answers at its container address, on its container port (once its
        # server listens: TASK_RUNNING comes with the container's start).
        def answer():
            try:
                return http_get(ip, 8080).strip()
            except OSError:
                return None
        assert wait_until(answer, timeout=30, what="the task's server at " + ip) == task["id"]

        # The MESOS_HTTP and MESOS_TCP checks reach it there.
        wait_until(lambda: healthy(cd.running_tasks("/inside")[0], checks=2), timeout=60,
                   what="/inside healthy by MESOS_HTTP and MESOS_TCP")

        # /master/state: container_status.network_infos, as Mesos shows it.
        state = cd.get("/master/state", base=cd.master_url).json()
        statuses = [s for f in state["frameworks"] for t in f["tasks"]
                    if t["id"] == task["id"] for s in t["statuses"]]
        infos = [ni for s in statuses
                 for ni in s.get("container_status", {}).get("network_infos", [])]
        addrs = [a["ip_address"] for ni in infos for a in ni.get("ip_addresses", [])]
        assert ip in addrs, statuses

        # DNS answers the task's name with its container address, as
        # Mesos-DNS does on a USER network.
        def dns_a():
            q = dns.message.make_query("inside.marathon.mesos", "A")
            r = dns.query.udp(q, "127.0.0.1", port=8053, timeout=2)
            return sorted(rd.address for rrset in r.answer for rd in rrset
                          if rrset.rdtype == dns.rdatatype.A)
        assert wait_until(dns_a, timeout=10, what="an A record for the task") == [ip]

    bridged.docker.request("DELETE", f"/networks/{net}")
