"""t7: what an operator scrapes (SPEC section 2, issue 13).

A live all-in-one runs a task and serves an event stream while every route family is
asked once; then /metrics/prometheus is scraped and handed to `promtool check metrics`
(Debian's prometheus package), as CI does. promtool may complain only about Marathon's
own names, kept so that Marathon dashboards keep working (docs/METRICS.md lists them):
the type in the name (_gauge, _counter), counters without _total, and the _count gauge
of Marathon's meters. clusterd's own metrics (clusterd_*) must lint clean. The scrape
also shows the request latency histograms by route family, the allocation cycle time,
offers made and declined, agents and tasks by state, store commit latency and the event
stream count; /metrics has the same in Marathon's Dropwizard JSON, and the master's
/metrics/snapshot keeps Mesos' names.
"""

import re
import shutil
import subprocess

import pytest
import requests

from clusterd_harness import wait_until

# The names Marathon 1.7+ gave these metrics (docs/METRICS.md): promtool's lint of them
# is expected and allowed, and of nothing else.
MARATHON_NAMES = {
    "marathon_apps_active_gauge", "marathon_groups_active_gauge",
    "marathon_deployments_active_gauge", "marathon_tasks_running_gauge",
    "marathon_tasks_staged_gauge", "marathon_tasks_killing_gauge",
    "marathon_instances_running_gauge", "marathon_instances_staged_gauge",
    "marathon_instances_launch_queue_gauge", "marathon_http_event_streams_active_gauge",
    "marathon_uptime_gauge_seconds",
    "marathon_mesos_offers_incoming_counter", "marathon_mesos_offers_used_counter",
    "marathon_mesos_offers_declined_counter", "marathon_tasks_launched_counter",
} | {f"marathon_http_responses_{c}xx_rate_meter_count" for c in range(1, 6)}

FAMILIES = ("/v2/apps", "/v2/tasks", "/v2/deployments", "/v2/groups", "/v2/queue",
            "/v2/events", "/v2/info", "/master/state", "/internal/*", "/ping")

SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$")


def scrape(cd):
    r = cd.get("/metrics/prometheus")
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return r.text


def samples(text):
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            m = SAMPLE.match(line)
            assert m, line
            out[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return out


def promtool(text):
    """promtool's verdict on a scrape: (exit status, [(metric, problem)])."""
    if shutil.which("promtool") is None:
        pytest.fail("promtool is missing: make test-deps (Debian's prometheus package)",
                    pytrace=False)
    p = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=60, check=False)
    lint = []
    for line in (p.stdout + p.stderr).splitlines():
        if line.strip():
            name, _, problem = line.strip().partition(" ")
            lint.append((name, problem))
    return p.returncode, lint


@pytest.fixture
def busy(clusterd):
    """One task running, one event stream attached, every route family asked."""
    cd = clusterd
    r = cd.post("/v2/apps", json={"id": "/ops/sleeper", "cmd": "sleep 100000", "cpus": 0.1,
                                  "mem": 16})
    assert r.status_code == 201, r.text
    cd.wait_running("/ops/sleeper", 1, timeout=60)
    stream = requests.get(cd.url + "/v2/events", stream=True, timeout=30,
                          headers={"Accept": "text/event-stream"})
    assert stream.status_code == 200
    # Not read further: a stream is dropped only past 1 MiB unread, far
    # beyond this test's few events.
    for path in ("/v2/apps", "/v2/tasks", "/v2/deployments", "/v2/groups", "/v2/queue",
                 "/v2/info", "/ping"):
        assert cd.get(path).status_code == 200, path
    assert cd.get("/master/state", base=cd.master_url).status_code == 200
    assert cd.get("/v2/no-such-route").status_code == 404
    yield cd
    stream.close()


def test_prometheus_scrape_passes_promtool(busy):
    cd = busy
    text = wait_until(lambda: (lambda t: t if samples(t).get(
        "marathon_http_event_streams_active_gauge") == 1 else None)(scrape(cd)),
                      timeout=20, what="the event stream counted")
    rc, lint = promtool(text)
    assert rc in (0, 3), f"promtool could not parse the scrape (exit {rc}): {lint}"
    others = [(n, p) for n, p in lint if n not in MARATHON_NAMES]
    assert others == [], f"lint beyond Marathon's own names: {others}"
    # What is linted is Marathon's names only, and they are all there.
    assert {n for n, _ in lint} <= MARATHON_NAMES
    s = samples(text)
    assert MARATHON_NAMES <= {re.sub(r"\{.*", "", k) for k in s}

    # request latency by route family: a histogram per family, each asked at least once
    for fam in FAMILIES:
        key = f'clusterd_http_request_duration_seconds_count{{family="{fam}"}}'
        assert s.get(key, 0) >= 1, (fam, sorted(k for k in s if "family" in k))
    inf = 'clusterd_http_request_duration_seconds_bucket{family="/v2/apps",le="+Inf"}'
    assert s[inf] == s['clusterd_http_request_duration_seconds_count{family="/v2/apps"}']
    assert s['clusterd_http_request_duration_seconds_count{family="other"}'] >= 1  # the 404
    assert s["marathon_http_requests_duration_timer_seconds_count"] >= len(FAMILIES)
    assert s['marathon_http_requests_duration_timer_seconds{quantile="0.99"}'] >= 0
    assert s["marathon_http_responses_4xx_rate_meter_count"] >= 1

    # allocation cycles, offers made, used and declined, tasks launched
    assert s["clusterd_allocation_duration_seconds_count"] >= 1
    assert s["marathon_mesos_offers_incoming_counter"] >= 1
    assert s["marathon_mesos_offers_used_counter"] >= 1
    assert s["marathon_tasks_launched_counter"] >= 1
    wait_until(lambda: samples(scrape(cd))["marathon_mesos_offers_declined_counter"] >= 1,
               timeout=30, what="an offer declined once nothing is wanted")

    # agents and tasks by state, store commits, the scheduler's gauges
    assert s['clusterd_agents{state="active"}'] == 1
    assert s['clusterd_agents{state="unreachable"}'] == 0
    assert s['clusterd_tasks{state="TASK_RUNNING"}'] == 1
    assert s["clusterd_store_commit_duration_seconds_count"] >= 1
    assert s["clusterd_store_commit_duration_seconds_sum"] > 0
    assert s["marathon_apps_active_gauge"] == 1
    assert s["marathon_groups_active_gauge"] == 1  # /ops
    assert s["marathon_instances_running_gauge"] == 1


def test_metrics_json_and_mesos_snapshot(busy):
    cd = busy
    body = cd.get("/metrics").json()
    assert body["counters"]["marathon.mesos.offers.incoming.counter"]["count"] >= 1
    t = body["timers"]["marathon.http.requests.duration.timer.seconds"]
    assert t["count"] >= 1 and t["duration_units"] == "seconds"
    assert set(t) >= {"p50", "p99", "mean", "max", "m1_rate"}
    assert body["timers"]["clusterd.http.v2.apps.duration.timer.seconds"]["count"] >= 1
    assert body["timers"]["clusterd.allocation.duration.timer.seconds"]["count"] >= 1
    assert body["gauges"]["clusterd.agents.active.gauge"]["value"] == 1
    assert body["gauges"]["marathon.apps.active.gauge"]["value"] == 1
    # Mesos' own names on the master port, unchanged
    snap = cd.get("/metrics/snapshot", base=cd.master_url).json()
    assert snap["master/elected"] == 1 and snap["master/slaves_active"] == 1
    assert snap["master/tasks_running"] == 1
