"""t5: identity and metrics (SPEC sections 2 and 5): /v2/info in the full shape of
example_v2api_info.json, /v2/leader and DELETE /v2/leader, /metrics in Marathon's
JSON shape and /metrics/prometheus in the Prometheus text format 0.0.4.

python3-marathon builds its models with **kwargs from every key of the answer, so
/v2/info may hold only the keys its MarathonInfo and MarathonConfig accept.
"""

import inspect
import re

from marathon import MarathonClient
from marathon.models.info import (MarathonConfig, MarathonHttpConfig, MarathonInfo,
                                  MarathonZooKeeperConfig)
from marathon.util import to_snake_case

import marathon_shapes as ms
from clusterd_harness import wait_until


def checked(cd, method, path, **kw):
    r = cd.api(path, method, **kw)
    ms.check_response(method, r.url, r.status_code, r.headers, r.text)
    return r


def params(cls):
    return set(inspect.signature(cls.__init__).parameters) - {"self"}


def test_info_full_shape_and_client(clusterd):
    cd = clusterd
    r = checked(cd, "GET", "/v2/info")
    assert r.status_code == 200
    info = r.json()
    # Only what the client's models take, and everything example_v2api_info.json has.
    assert {to_snake_case(k) for k in info} <= params(MarathonInfo), info.keys()
    assert {to_snake_case(k) for k in info["marathon_config"]} <= params(MarathonConfig)
    assert {to_snake_case(k) for k in info["zookeeper_config"]} <= params(MarathonZooKeeperConfig)
    assert {to_snake_case(k) for k in info["http_config"]} <= params(MarathonHttpConfig)
    example = ms.load_example("example_v2api_info.json")
    assert set(example) <= set(info), set(example) - set(info)
    assert re.match(r"^\d+\.\d+\.\d+", info["version"]), info["version"]
    assert info["elected"] is True
    assert info["leader"] == f"127.0.0.1:{cd.ports['http']}"
    assert info["http_config"]["http_port"] == cd.ports["http"]
    cfg = info["marathon_config"]
    assert cfg["master"] == f"127.0.0.1:{cd.ports['master']}"
    assert cfg["local_port_min"] == 10000 and cfg["local_port_max"] == 20000
    assert cfg["features"] == []
    assert info["event_subscriber"] is None

    # The framework id appears once the scheduler registered.
    fw = wait_until(lambda: cd.get("/v2/info").json().get("frameworkId"), timeout=30,
                    what="frameworkId in /v2/info")
    state = cd.get("/master/frameworks", base=cd.master_url).json()
    assert fw in {f["id"] for f in state["frameworks"]}

    c = MarathonClient(cd.url, timeout=30)
    got = c.get_info()
    assert isinstance(got, MarathonInfo)
    assert got.framework_id == fw
    assert got.marathon_config.master == cfg["master"]
    assert got.http_config.http_port == cd.ports["http"]
    assert got.zookeeper_config.zk_max_versions == 50
    assert got.event_subscriber is None


def test_leader_and_abdicate(clusterd):
    cd = clusterd
    r = checked(cd, "GET", "/v2/leader")
    assert r.status_code == 200
    assert r.json() == {"leader": f"127.0.0.1:{cd.ports['http']}"}

    c = MarathonClient(cd.url, timeout=30)
    assert c.get_leader() == {"leader": f"127.0.0.1:{cd.ports['http']}"}
    r = checked(cd, "DELETE", "/v2/leader")
    assert r.status_code == 200
    assert r.json() == {"message": "Leadership abdicated"}
    assert c.delete_leader() == {"message": "Leadership abdicated"}
    # Without ZooKeeper there is no other master: this one keeps leading and serving.
    assert c.get_leader()["leader"] == f"127.0.0.1:{cd.ports['http']}"
    assert cd.get("/v2/apps").status_code == 200
    assert "leadership abdication" in cd.log_text()


def gauges(cd):
    r = checked(cd, "GET", "/metrics")
    assert r.status_code == 200
    return {k: v["value"] for k, v in r.json()["gauges"].items()}


def prometheus(cd):
    r = cd.get("/metrics/prometheus")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4"), r.headers
    values, typed = {}, {}
    for line in r.text.splitlines():
        if line.startswith("# TYPE "):
            name, kind = line.split()[2:4]
            assert kind in ("gauge", "counter", "summary", "histogram"), line
            typed[name] = kind
        elif line and not line.startswith("#"):
            m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$", line)
            assert m, f"not a sample line: {line!r}"
            name = m.group(1)
            base = re.sub(r"_(bucket|sum|count)$", "", name)
            assert name in typed or typed.get(base) in ("summary", "histogram"), line
            values[name + (m.group(2) or "")] = float(m.group(3))
    return values


def test_metrics_json_and_prometheus(clusterd):
    cd = clusterd
    g = gauges(cd)
    assert g["marathon.apps.active.gauge"] == 0
    assert g["marathon.tasks.running.gauge"] == 0
    assert g["process.memory.resident.gauge.bytes"] > 1024 * 1024
    assert g["marathon.uptime.gauge.seconds"] >= 0
    body = cd.get("/metrics").json()
    assert body["version"] and body["histograms"] == {}
    # Marathon's counters, timers and meters (docs/METRICS.md)
    assert "marathon.mesos.offers.incoming.counter" in body["counters"]
    assert "marathon.http.requests.duration.timer.seconds" in body["timers"]
    assert "marathon.http.responses.2xx.rate.meter" in body["meters"]

    for i in range(2):
        r = cd.post("/v2/apps", json={"id": f"m{i}", "cmd": "sleep 1000", "cpus": 0.1,
                                      "mem": 16, "instances": 1})
        assert r.status_code == 201, r.text
    cd.wait_running("/m0", 1)
    cd.wait_running("/m1", 1)
    g = gauges(cd)
    assert g["marathon.apps.active.gauge"] == 2
    assert g["marathon.tasks.running.gauge"] == 2
    assert g["marathon.tasks.staged.gauge"] == 0
    assert g["marathon.instances.launch-queue.gauge"] == 0

    p = prometheus(cd)
    assert p["marathon_apps_active_gauge"] == 2
    assert p["marathon_tasks_running_gauge"] == 2
    assert p["marathon_tasks_staged_gauge"] == 0
    assert p["process_resident_memory_bytes"] > 1024 * 1024
    assert p["marathon_uptime_gauge_seconds"] >= 0
    up = p["marathon_uptime_gauge_seconds"]
    wait_until(lambda: prometheus(cd)["marathon_uptime_gauge_seconds"] >= up + 1, timeout=10,
               what="uptime to grow")
