"""t5: the list replies served from the cache (issue 15 item 1) are never stale.

GET /v2/apps, /v2/tasks and /v2/groups (and their embed and filter variants)
are answered from bodies cached per state generation. Throughout these tests a
thread keeps requesting every variant, so a cached body of the previous state
is always there to be wrongly served. For each kind of change, the reply read
right after the change (after the API answered it, or the moment its event
arrives on /v2/events, SPEC section 5) must show it:

- a task's state: on status_update_event TASK_RUNNING every list shows the
  task running; on TASK_KILLED none shows it running;
- scale: the new instances at once, and the deployment in "deployments";
  on deployment_success no deployment is left and every task runs;
- health: on health_status_changed_event, tasksHealthy/tasksUnhealthy and
  healthCheckResults agree with it;
- app delete and group records: gone or there at once;
- label selectors: each selector answers for itself, and follows label edits.
Also: a gzip reply inflates to exactly the identity reply; two spellings of
one query get the same bytes; the cached listing of an app equals the app as
GET /v2/apps/{id} (never cached) builds it.
"""

import gzip
import http.client
import json
import os
import threading
import time
import urllib.parse

import requests

from clusterd_harness import EventQueue, wait_until
import marathon_shapes as shapes


# What the hammer keeps in the cache, and what the checks read.
APPS_TASKS = "/v2/apps?embed=apps.tasks"
LISTS = [
    "/v2/apps",
    APPS_TASKS,
    "/v2/apps?embed=apps.counts&embed=apps.tasks",
    "/v2/apps?embed=apps.tasks&embed=apps.lastTaskFailure&embed=apps.readiness",
    "/v2/tasks",
    "/v2/tasks?status=running",
    "/v2/groups",
    "/v2/groups?embed=group.groups&embed=group.apps&embed=group.apps.tasks",
    "/v2/apps?label=lc",
]


def cmd_app(app_id, instances=1, **extra):
    app = {"id": app_id, "cmd": "exec sleep 100000", "cpus": 0.01, "mem": 8,
           "instances": instances, "backoffSeconds": 1, "backoffFactor": 1.0}
    app.update(extra)
    return app


class Hammer:
    """Requests every list variant in a loop, on its own connection, so that
    a body of the state before each change sits in the cache."""

    def __init__(self, cd, paths=LISTS):
        self.url, self.paths = cd.url, paths
        self.stop_flag = threading.Event()
        self.count = 0
        self.errors = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        s = requests.Session()
        while not self.stop_flag.is_set():
            for p in self.paths:
                try:
                    r = s.get(self.url + p, timeout=30)
                    if r.status_code != 200:
                        self.errors.append(f"{p}: {r.status_code}")
                    self.count += 1
                except requests.RequestException as e:
                    self.errors.append(f"{p}: {e!r}")
        s.close()

    def stop(self):
        self.stop_flag.set()
        self.thread.join(timeout=60)
        assert not self.errors, self.errors[:5]
        assert self.count > 0


def get_json(cd, path):
    r = cd.get(path)
    assert r.status_code == 200, (path, r.status_code, r.text[:300])
    return r.json()


def app_in_list(cd, path, app_id):
    body = get_json(cd, path)
    shapes.check_app_list(body)
    found = [a for a in body["apps"] if a["id"] == app_id]
    return found[0] if found else None


def apps_in_groups(group):
    out = list(group.get("apps", []))
    for g in group.get("groups", []):
        out += apps_in_groups(g)
    return out


def task_states(cd, app_id):
    """{list name: {task id: state}} of app_id's tasks in every list."""
    out = {}
    for path in (APPS_TASKS, "/v2/apps?embed=apps.counts&embed=apps.tasks"):
        a = app_in_list(cd, path, app_id)
        out[path] = {t["id"]: t["state"] for t in (a["tasks"] if a else [])}
    tasks = get_json(cd, "/v2/tasks")
    shapes.check_task_list(tasks)
    out["/v2/tasks"] = {t["id"]: t["state"] for t in tasks["tasks"] if t["appId"] == app_id}
    out["/v2/tasks?status=running"] = {
        t["id"]: t["state"] for t in get_json(cd, "/v2/tasks?status=running")["tasks"]
        if t["appId"] == app_id}
    groups = get_json(cd, "/v2/groups?embed=group.groups&embed=group.apps&embed=group.apps.tasks")
    g = [a for a in apps_in_groups(groups) if a["id"] == app_id]
    out["/v2/groups"] = {t["id"]: t["state"] for t in (g[0]["tasks"] if g else [])}
    return out


def assert_list_equals_single(cd, app_id, tries=20):
    """The cached listing of app_id equals GET /v2/apps/{id} (built each
    time), read right after it; health results move every second, so a
    difference may be a change between the two reads: read again."""
    path = "/v2/apps?embed=apps.tasks&embed=apps.lastTaskFailure&embed=apps.readiness"
    last = None
    for _ in range(tries):
        listed = app_in_list(cd, path, app_id)
        single = get_json(cd, "/v2/apps" + app_id)["app"]
        if listed == single:
            return
        last = (listed, single)
        time.sleep(0.05)
    raise AssertionError(f"the listing of {app_id} differs from the app: {last}")


def test_task_state_visible_when_its_event_arrives(module_clusterd):
    cd = module_clusterd
    ev = EventQueue(cd, check=shapes.check_event)
    hammer = Hammer(cd)
    try:
        r = cd.post("/v2/apps", json=cmd_app("/lc/run", 3))
        assert r.status_code == 201, r.text
        running = set()
        while len(running) < 3:
            e = ev.wait(lambda e: e["eventType"] == "status_update_event"
                        and e["appId"] == "/lc/run" and e["taskStatus"] == "TASK_RUNNING",
                        what="status_update_event TASK_RUNNING")
            running.add(e["taskId"])
            seen = task_states(cd, "/lc/run")
            for name, states in seen.items():
                assert states.get(e["taskId"]) == "TASK_RUNNING", (name, e["taskId"], states)
            a = app_in_list(cd, "/v2/apps", "/lc/run")
            assert a["tasksRunning"] >= len(running), a
        assert_list_equals_single(cd, "/lc/run")

        victim = sorted(running)[0]
        r = cd.delete(f"/v2/apps/lc/run/tasks/{victim}")
        assert r.status_code == 200, r.text
        ev.wait(lambda e: e["eventType"] == "status_update_event"
                and e.get("taskId") == victim and e["taskStatus"] == "TASK_KILLED",
                what=f"TASK_KILLED of {victim}")
        for name, states in task_states(cd, "/lc/run").items():
            assert states.get(victim) in (None, "TASK_KILLED"), (name, states)
    finally:
        hammer.stop()
        ev.close()


def test_scale_and_deployment_start_and_end(module_clusterd):
    cd = module_clusterd
    ev = EventQueue(cd, check=shapes.check_event)
    r = cd.post("/v2/apps", json=cmd_app("/lc/dep", 1))
    assert r.status_code == 201, r.text
    cd.wait_running("/lc/dep", 1)
    hammer = Hammer(cd)
    try:
        time.sleep(0.5)  # the hammer has cached every variant by now
        r = cd.put("/v2/apps/lc/dep", json={"instances": 3})
        assert r.status_code == 200, r.text
        dep = r.json()["deploymentId"]
        for path in ("/v2/apps", APPS_TASKS):
            a = app_in_list(cd, path, "/lc/dep")
            assert a["instances"] == 3, (path, a["instances"])
            assert {"id": dep} in a["deployments"], (path, a["deployments"])
        g = [a for a in apps_in_groups(get_json(cd, "/v2/groups")) if a["id"] == "/lc/dep"]
        assert g and g[0]["instances"] == 3, g
        ev.wait(lambda e: e["eventType"] == "deployment_success"
                and e.get("id") == dep, what=f"deployment_success of {dep}")
        for path in ("/v2/apps", APPS_TASKS):
            a = app_in_list(cd, path, "/lc/dep")
            assert a["deployments"] == [], (path, a["deployments"])
            assert a["tasksRunning"] == 3, (path, a["tasksRunning"])
        assert_list_equals_single(cd, "/lc/dep")

        # A restart: a deployment that starts and ends again.
        r = cd.post("/v2/apps/lc/dep/restart")
        assert r.status_code == 200, r.text
        dep = r.json()["deploymentId"]
        a = app_in_list(cd, "/v2/apps", "/lc/dep")
        assert {"id": dep} in a["deployments"], a["deployments"]
        ev.wait(lambda e: e["eventType"] == "deployment_success"
                and e.get("id") == dep, what=f"deployment_success of {dep}")
        a = app_in_list(cd, APPS_TASKS, "/lc/dep")
        assert a["deployments"] == [], a["deployments"]
        assert a["tasksRunning"] == 3 and len(a["tasks"]) == 3, a["tasks"]
        assert all(t["version"] == a["versionInfo"]["lastConfigChangeAt"]
                   for t in a["tasks"]), a["tasks"]
    finally:
        hammer.stop()
        ev.close()


def test_health_visible_when_its_event_arrives(module_clusterd):
    cd = module_clusterd
    ev = EventQueue(cd, check=shapes.check_event)
    check = {"protocol": "COMMAND", "command": {"value": "test -f ok"},
             "gracePeriodSeconds": 2, "intervalSeconds": 1, "timeoutSeconds": 1,
             "maxConsecutiveFailures": 0}
    hammer = Hammer(cd)
    try:
        r = cd.post("/v2/apps", json=cmd_app("/lc/health", 1, cmd="touch ok; exec sleep 100000",
                                             healthChecks=[check]))
        assert r.status_code == 201, r.text
        e = ev.wait(lambda e: e["eventType"] == "health_status_changed_event"
                    and e["appId"] == "/lc/health" and e["alive"] is True,
                    what="health_status_changed_event alive")
        task_id = e["taskId"]
        a = app_in_list(cd, APPS_TASKS, "/lc/health")
        assert (a["tasksHealthy"], a["tasksUnhealthy"]) == (1, 0), a
        assert a["tasks"][0]["healthCheckResults"][0]["alive"] is True, a["tasks"]
        t = [t for t in get_json(cd, "/v2/tasks")["tasks"] if t["id"] == task_id]
        assert t and t[0]["healthCheckResults"][0]["alive"] is True, t

        task = cd.running_tasks("/lc/health")[0]
        os.unlink(os.path.join(cd.sandbox(task), "ok"))
        ev.wait(lambda e: e["eventType"] == "health_status_changed_event"
                and e.get("taskId") == task_id and e["alive"] is False,
                what="health_status_changed_event not alive")
        a = app_in_list(cd, APPS_TASKS, "/lc/health")
        assert (a["tasksHealthy"], a["tasksUnhealthy"]) == (0, 1), a
        assert a["tasks"][0]["healthCheckResults"][0]["alive"] is False, a["tasks"]
        t = [t for t in get_json(cd, "/v2/tasks")["tasks"] if t["id"] == task_id]
        assert t and t[0]["healthCheckResults"][0]["alive"] is False, t
        assert_list_equals_single(cd, "/lc/health")
    finally:
        hammer.stop()
        ev.close()


def test_delete_and_group_records_at_once(module_clusterd):
    cd = module_clusterd
    r = cd.post("/v2/apps", json=cmd_app("/lc/gone/app", 0))
    assert r.status_code == 201, r.text
    hammer = Hammer(cd)
    try:
        wait_until(lambda: app_in_list(cd, "/v2/apps", "/lc/gone/app"), timeout=10)
        r = cd.delete("/v2/apps/lc/gone/app")
        assert r.status_code == 200, r.text
        for path in ("/v2/apps", APPS_TASKS, "/v2/apps?label=lc"):
            assert app_in_list(cd, path, "/lc/gone/app") is None, path
        for path in ("/v2/groups", "/v2/groups?embed=group.groups&embed=group.apps&embed=group.apps.tasks"):
            ids = [a["id"] for a in apps_in_groups(get_json(cd, path))]
            assert "/lc/gone/app" not in ids, (path, ids)

        r = cd.put("/v2/groups/lc/empty", json={"id": "/lc/empty"})
        assert r.status_code in (200, 201), r.text
        r = cd.get("/v2/groups/lc/empty")
        assert r.status_code == 200, r.text
        shapes.check_group_info(r.json())
        assert r.json()["id"] == "/lc/empty"
        r = cd.delete("/v2/groups/lc/empty")
        assert r.status_code == 200, r.text
        r = cd.get("/v2/groups/lc/empty")
        assert r.status_code == 404, r.text
        shapes.check_error(r.json())
    finally:
        hammer.stop()


def test_label_selectors(module_clusterd):
    cd = module_clusterd
    for app_id, env in (("/lc/l1", "prod"), ("/lc/l2", "dev")):
        r = cd.post("/v2/apps", json=cmd_app(app_id, 0, labels={"env": env, "lc": "1"}))
        assert r.status_code == 201, r.text
    sel = {"env==prod": "/v2/apps?label=" + urllib.parse.quote("env==prod"),
           "env==dev": "/v2/apps?label=" + urllib.parse.quote("env==dev"),
           "env": "/v2/apps?label=env"}
    hammer = Hammer(cd, LISTS + list(sel.values()))
    try:
        def ids(key):
            return sorted(a["id"] for a in get_json(cd, sel[key])["apps"]
                          if a["id"].startswith("/lc/l"))
        time.sleep(0.5)
        assert ids("env==prod") == ["/lc/l1"]
        assert ids("env==dev") == ["/lc/l2"]
        assert ids("env") == ["/lc/l1", "/lc/l2"]
        r = cd.api("/v2/apps/lc/l2", "PATCH", json={"labels": {"env": "prod", "lc": "1"}})
        assert r.status_code == 200, r.text
        assert ids("env==prod") == ["/lc/l1", "/lc/l2"]
        assert ids("env==dev") == []
        assert ids("env") == ["/lc/l1", "/lc/l2"]
    finally:
        hammer.stop()


def raw_get(cd, path, accept_encoding=None):
    u = urllib.parse.urlsplit(cd.url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    headers = {"Accept-Encoding": accept_encoding} if accept_encoding else {}
    conn.request("GET", path, headers=headers)
    r = conn.getresponse()
    body = r.read()
    out = (r.status, {k.lower(): v for k, v in r.getheaders()}, body)
    conn.close()
    return out


def test_gzip_inflates_to_the_identity_reply(module_clusterd):
    cd = module_clusterd
    r = cd.post("/v2/apps", json=cmd_app("/lc/zip", 2))
    assert r.status_code == 201, r.text
    cd.wait_running("/lc/zip", 2)
    for path in LISTS:
        for _ in range(10):
            st, h, plain = raw_get(cd, path, "identity")
            st2, hz, zipped = raw_get(cd, path, "gzip, deflate")
            _, h3, plain2 = raw_get(cd, path)
            if plain == plain2:  # no change in between
                break
        assert st == st2 == 200, (path, st, st2)
        assert "content-encoding" not in h and "content-encoding" not in h3, (path, h)
        assert hz.get("content-encoding") == "gzip", (path, hz)
        assert "accept-encoding" in h.get("vary", "").lower(), (path, h)
        assert "accept-encoding" in hz.get("vary", "").lower(), (path, hz)
        assert int(hz["content-length"]) == len(zipped)
        assert gzip.decompress(zipped) == plain, path
        assert plain == plain2, path
        json.loads(plain)
    # One query, two spellings: the same bytes; two queries: not.
    a = raw_get(cd, "/v2/apps?embed=apps.tasks,apps.counts")[2]
    b = raw_get(cd, "/v2/apps?embed=apps.counts&embed=apps.tasks")[2]
    c = raw_get(cd, "/v2/apps")[2]
    assert a == b
    assert json.loads(a)["apps"] and "tasks" in json.loads(a)["apps"][0]
    assert "tasks" not in json.loads(c)["apps"][0]
    t1 = raw_get(cd, "/v2/tasks?status=running&status=staging")[2]
    t2 = raw_get(cd, "/v2/tasks?status[]=Staging,RUNNING")[2]
    assert t1 == t2
    # HEAD: the length of the body, no body.
    u = urllib.parse.urlsplit(cd.url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    conn.request("HEAD", "/v2/apps")
    r = conn.getresponse()
    assert r.status == 200
    assert int(r.getheader("Content-Length")) == len(raw_get(cd, "/v2/apps")[2])
    assert r.read() == b""
    conn.close()
