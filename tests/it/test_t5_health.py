"""t5: Marathon health checks (SPEC section 5, Health checks) on the real binary.

- HTTP and TCP checks run in the scheduler against the task's host port: a
  busybox httpd started by a cmd app becomes healthy (tasksHealthy 1,
  healthCheckResults alive).
- COMMAND checks run on the agent, in the task's context (the sandbox and
  env of a plain process; `docker exec` in a container), and come back as
  status updates: a check on a file turns healthy, unhealthy when the file
  goes, healthy again when it returns.
- A task whose check keeps failing is killed and replaced (a new task id),
  whether the scheduler (HTTP) or the agent (COMMAND, in Docker) runs it;
  the old process or container is gone.
- When /v2/events exists, health_status_changed_event, failed_health_check_event
  and unhealthy_task_kill_event appear on it.
Every app and task body is checked against marathon_shapes.
"""

import json
import os
import threading

import pytest
import requests

from clusterd_harness import TEST_IMAGE, TIMEOUT_SCALE, free_port_range, task_pids, wait_until
import marathon_shapes as shapes

HTTPD = 'echo ok > index.html; exec busybox httpd -f -p "$PORT0" -h .'


@pytest.fixture
def clusterd(start_clusterd):
    return start_clusterd(resources=f"cpus:4;mem:4096;disk:10000;ports:{free_port_range()}")


def check(protocol, **extra):
    hc = {"protocol": protocol, "gracePeriodSeconds": 2, "intervalSeconds": 1,
          "timeoutSeconds": 1, "maxConsecutiveFailures": 2}
    if protocol in ("HTTP", "HTTPS", "TCP", "MESOS_HTTP", "MESOS_TCP"):
        hc["portIndex"] = 0
    if protocol in ("HTTP", "MESOS_HTTP"):
        hc["path"] = "/"
    hc.update(extra)
    return hc


def cmd_app(app_id, cmd, checks, **extra):
    app = {"id": app_id, "cmd": cmd, "cpus": 0.05, "mem": 16, "instances": 1,
           "portDefinitions": [{"port": 0, "protocol": "tcp"}], "healthChecks": checks,
           "backoffSeconds": 1, "backoffFactor": 1.0}
    app.update(extra)
    return app


def create(cd, app):
    r = cd.post("/v2/apps", json=app)
    assert r.status_code == 201, r.text
    return app["id"] if app["id"].startswith("/") else "/" + app["id"]


def app_info(cd, app_id):
    r = cd.get(f"/v2/apps/{app_id.lstrip('/')}", params={"embed": "apps.tasks"})
    assert r.status_code == 200, r.text
    shapes.check_app_single(r.json())
    return r.json()["app"]


def wait_health(cd, app_id, healthy, unhealthy, timeout=30):
    def ok():
        a = app_info(cd, app_id)
        if a["tasksHealthy"] == healthy and a["tasksUnhealthy"] == unhealthy:
            return a
        return None
    return wait_until(ok, timeout=timeout,
                      what=f"{app_id}: tasksHealthy {healthy}, tasksUnhealthy {unhealthy}")


def results(task):
    shapes.check_task(task)
    assert "healthCheckResults" in task, task
    return task["healthCheckResults"]


class Events:
    """Collects /v2/events in a thread, if the event bus exists."""

    def __init__(self, cd):
        self.events, self.lock = [], threading.Lock()
        self.resp = None
        try:
            r = requests.get(cd.url + "/v2/events", headers={"Accept": "text/event-stream"},
                             stream=True, timeout=(5, 120 * TIMEOUT_SCALE))
        except requests.RequestException:
            return
        if r.status_code != 200:
            r.close()
            return
        self.resp = r
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        try:
            for line in self.resp.iter_lines(decode_unicode=True):
                if line and line.startswith("data:"):
                    ev = json.loads(line[5:].strip())
                    with self.lock:
                        self.events.append(ev)
        except (requests.RequestException, ValueError, AttributeError):
            pass

    def of(self, event_type, **match):
        with self.lock:
            evs = list(self.events)
        return [e for e in evs if e.get("eventType") == event_type and
                all(e.get(k) == v for k, v in match.items())]

    def wait(self, event_type, timeout=20, **match):
        if self.resp is None:
            return None
        found = wait_until(lambda: self.of(event_type, **match), timeout=timeout,
                           what=f"{event_type} {match} on /v2/events")
        for e in found:
            shapes.check_event(e)
        return found

    def close(self):
        if self.resp is not None:
            self.resp.close()


@pytest.fixture
def events(clusterd):
    ev = Events(clusterd)
    yield ev
    ev.close()


def test_http_check_healthy(clusterd, events):
    cd = clusterd
    app_id = create(cd, cmd_app("hc-http", HTTPD, [check("HTTP")]))
    a = wait_health(cd, app_id, 1, 0)
    task = a["tasks"][0]
    res = results(task)
    assert len(res) == 1, res
    assert res[0]["alive"] is True
    assert res[0]["consecutiveFailures"] == 0
    assert res[0]["taskId"] == task["id"]
    assert "firstSuccess" in res[0] and "lastSuccess" in res[0]
    # the same results on /v2/tasks
    r = cd.get("/v2/tasks")
    assert r.status_code == 200
    mine = [t for t in r.json()["tasks"] if t["id"] == task["id"]]
    assert mine and mine[0]["healthCheckResults"][0]["alive"] is True
    events.wait("health_status_changed_event", taskId=task["id"], alive=True)


def test_tcp_check_healthy_and_plain_app_has_no_results(clusterd):
    cd = clusterd
    app_id = create(cd, cmd_app("hc-tcp", HTTPD, [check("TCP")]))
    a = wait_health(cd, app_id, 1, 0)
    assert results(a["tasks"][0])[0]["alive"] is True
    # an app without health checks: no healthCheckResults, counts 0
    plain = create(cd, {"id": "plain", "cmd": "exec sleep 100000", "cpus": 0.05, "mem": 16})
    cd.wait_running(plain, 1)
    a = app_info(cd, plain)
    assert a["tasksHealthy"] == 0 and a["tasksUnhealthy"] == 0
    assert "healthCheckResults" not in a["tasks"][0]


def test_command_check_follows_a_file(clusterd, events):
    cd = clusterd
    # Never killed (maxConsecutiveFailures 0): the verdict follows the file.
    app_id = create(cd, cmd_app("hc-cmd", "touch ok; exec sleep 100000",
                                [check("COMMAND", command={"value": "test -f ok"},
                                       maxConsecutiveFailures=0)]))
    a = wait_health(cd, app_id, 1, 0)
    task = a["tasks"][0]
    assert results(task)[0]["alive"] is True
    sandbox = cd.sandbox(task)
    assert sandbox is not None

    os.unlink(os.path.join(sandbox, "ok"))
    a = wait_health(cd, app_id, 0, 1)
    res = results(a["tasks"][0])[0]
    assert res["alive"] is False
    assert res["consecutiveFailures"] >= 1
    assert "lastFailure" in res and res.get("lastFailureCause"), res
    assert a["tasks"][0]["id"] == task["id"], "maxConsecutiveFailures 0 must not kill"
    events.wait("health_status_changed_event", taskId=task["id"], alive=False)

    with open(os.path.join(sandbox, "ok"), "w", encoding="utf-8"):
        pass
    a = wait_health(cd, app_id, 1, 0)
    assert a["tasks"][0]["id"] == task["id"]


def test_failing_http_check_kills_and_replaces(clusterd, events):
    cd = clusterd
    # Listens on nothing: every check after the grace period fails.
    app_id = create(cd, cmd_app("hc-dead", "exec sleep 100000",
                                [check("HTTP", gracePeriodSeconds=1)]))
    first = cd.wait_running(app_id, 1)[0]

    def replaced():
        running = cd.running_tasks(app_id)
        return running if running and running[0]["id"] != first["id"] else None

    wait_until(replaced, timeout=60, what="the unhealthy task replaced by a new one")
    wait_until(lambda: task_pids(cd.work_dir, first["id"]) == [], timeout=30,
               what=f"the process of {first['id']} gone")
    failure = app_info(cd, app_id).get("lastTaskFailure")
    assert failure is None or failure["taskId"] != ""
    events.wait("failed_health_check_event", taskId=first["id"])
    kills = events.wait("unhealthy_task_kill_event", taskId=first["id"])
    if kills:
        assert kills[0]["appId"] == app_id


def test_docker_command_checks(clusterd, dockerd, events):
    cd = clusterd
    docker = {"type": "DOCKER", "docker": {"image": TEST_IMAGE}}
    good = create(cd, cmd_app("hc-dgood", "touch /tmp/ok; exec sleep 100000",
                              [check("COMMAND", command={"value": "test -f /tmp/ok"})],
                              container=docker, portDefinitions=[]))
    bad = create(cd, cmd_app("hc-dbad", "exec sleep 100000",
                             [check("COMMAND", command={"value": "false"},
                                    gracePeriodSeconds=0)],
                             container=docker, portDefinitions=[]))
    a = wait_health(cd, good, 1, 0, timeout=60)
    assert results(a["tasks"][0])[0]["alive"] is True

    first = cd.wait_running(bad, 1, timeout=60)[0]

    def replaced():
        running = cd.running_tasks(bad)
        return running if running and running[0]["id"] != first["id"] else None

    wait_until(replaced, timeout=90, what="the unhealthy container task replaced")
    wait_until(lambda: dockerd.inspect(f"clusterd-{first['id']}") is None, timeout=30,
               what="the unhealthy task's container removed")
    kills = events.wait("unhealthy_task_kill_event", taskId=first["id"])
    if kills:
        assert kills[0]["appId"] == bad
    # the healthy one was left alone
    assert app_info(cd, good)["tasks"][0]["id"] == a["tasks"][0]["id"]


def test_health_known_again_after_restart(clusterd):
    cd = clusterd
    # Two checks, one per side: both must pass for the task to count healthy.
    app_id = create(cd, cmd_app("hc-both", HTTPD,
                                [check("HTTP"), check("COMMAND", command={"value": "true"})]))
    a = wait_health(cd, app_id, 1, 0)
    task = a["tasks"][0]
    assert len(results(task)) == 2
    cd.restart()
    # The scheduler checks HTTP again; the agent re-reports its COMMAND
    # verdict to the new master once it has registered again.
    a = wait_health(cd, app_id, 1, 0, timeout=60)
    assert a["tasks"][0]["id"] == task["id"]
    res = results(a["tasks"][0])
    assert len(res) == 2 and all(r["alive"] for r in res), res


def test_checks_reach_the_agent_by_address_not_hostname(start_clusterd):
    """SPEC section 1: nodes reach each other by the advertised address, never by
    resolving --hostname. An agent whose hostname resolves nowhere still gets
    its tasks' HTTP and TCP checks (a fresh Debian machine has no /etc/hosts
    entry for its own name)."""
    cd = start_clusterd("--hostname=node-a.invalid",
                        resources=f"cpus:4;mem:4096;disk:10000;ports:{free_port_range()}")
    app_id = create(cd, cmd_app("hc-addr", HTTPD, [check("HTTP"), check("TCP")]))
    a = wait_health(cd, app_id, 1, 0)
    task = a["tasks"][0]
    assert task["host"] == "node-a.invalid"
    assert [r["alive"] for r in results(task)] == [True, True]
