"""t5: the /v2/apps and /v2/tasks endpoints beyond CRUD (apps.raml, tasks.raml), against
the real binary: filters (cmd, id, label selectors), embed= (repeated), PATCH, PUT and
PATCH of many apps in one deployment, restart, versions, rollback through {"version"},
scale through {"instances"}, killing tasks with host/scale/wipe, /v2/tasks?status= and
POST /v2/tasks/delete, and the 400/422 errors. Every answer is checked against
Marathon's shapes (marathon_shapes).
"""

import json
import os

import pytest

import marathon_shapes as ms
from clusterd_harness import wait_until

APPS_CREATE = os.path.join(ms.DATA_DIR, "example_v2api_apps_create.json")


@pytest.fixture(scope="module")
def cd(module_clusterd):
    return ms.checked(module_clusterd)


def sleeper(app_id, **kw):
    app = {"id": app_id, "cmd": "sleep 100000", "cpus": 0.05, "mem": 16}
    app.update(kw)
    return app


def create(cd, app, n=None):
    r = cd.post("/v2/apps", json=app)
    assert r.status_code == 201, r.text
    n = app.get("instances", 1) if n is None else n
    if n:
        cd.wait_running(app["id"], n)
    no_deployments(cd)


def no_deployments(cd, timeout=60):
    wait_until(lambda: cd.get("/v2/deployments").json() == [], timeout=timeout,
               what="no running deployment")


def ids(r):
    assert r.status_code == 200, r.text
    return sorted(a["id"] for a in r.json()["apps"])


def test_filters_and_label_selectors(cd):
    create(cd, sleeper("/flt/prod-web", cmd="sleep 100001", instances=0,
                       labels={"env": "prod", "tier": "frontend"}))
    create(cd, sleeper("/flt/stage-db", cmd="sleep 100002 # db", instances=0,
                       labels={"env": "stage", "tier": "backend", "odd key": "x"}))
    create(cd, sleeper("/flt/plain", cmd="sleep 100003", instances=0))
    flt = ["/flt/plain", "/flt/prod-web", "/flt/stage-db"]

    def sel(label):
        return [i for i in ids(cd.get("/v2/apps", params={"label": label})) if i in flt]

    assert ids(cd.get("/v2/apps", params={"id": "/flt/"})) == flt
    assert ids(cd.get("/v2/apps", params={"id": "stage"})) == ["/flt/stage-db"]
    assert ids(cd.get("/v2/apps", params={"cmd": "# db"})) == ["/flt/stage-db"]
    assert sel("env") == ["/flt/prod-web", "/flt/stage-db"]
    assert sel("!env") == ["/flt/plain"]
    assert sel("env==prod") == ["/flt/prod-web"]
    assert sel("env!=prod") == ["/flt/stage-db"]
    assert sel("env in (prod, stage)") == ["/flt/prod-web", "/flt/stage-db"]
    assert sel("env notin (prod)") == ["/flt/stage-db"]
    assert sel("env==prod, tier==frontend") == ["/flt/prod-web"]
    assert sel("env==prod,tier==backend") == []
    assert sel(r"odd\ key==x") == ["/flt/stage-db"]
    assert sel("tier in (backend,frontend),env!=stage") == ["/flt/prod-web"]


def test_embed(cd):
    create(cd, sleeper("/emb", instances=1))
    plain = [a for a in cd.get("/v2/apps").json()["apps"] if a["id"] == "/emb"][0]
    # counts and deployments always (0.5 clients read them); nothing else by default
    assert plain["tasksRunning"] == 1 and plain["tasksStaged"] == 0
    assert plain["deployments"] == []
    assert "tasks" not in plain and "taskStats" not in plain

    r = cd.get("/v2/apps", params=[("id", "/emb"), ("embed", "apps.tasks"),
                                   ("embed", "apps.taskStats"), ("embed", "apps.readiness"),
                                   ("embed", "apps.counts"), ("embed", "apps.deployments"),
                                   ("embed", "apps.lastTaskFailure")])
    app = r.json()["apps"][0]
    assert [t["appId"] for t in app["tasks"]] == ["/emb"]
    assert app["readinessCheckResults"] == []
    stats = app["taskStats"]
    assert set(stats) == {"startedAfterLastScaling", "withLatestConfig", "totalSummary"}
    counts = stats["totalSummary"]["stats"]["counts"]
    assert counts == {"staged": 0, "running": 1, "healthy": 0, "unhealthy": 0}
    assert stats["totalSummary"]["stats"]["lifeTime"]["averageSeconds"] >= 0

    # the single app: tasks and lastTaskFailure by default, or what embed asks
    one = cd.get("/v2/apps/emb").json()["app"]
    assert len(one["tasks"]) == 1
    one = cd.get("/v2/apps/emb", params={"embed": "app.taskStats"}).json()["app"]
    assert "tasks" not in one and "taskStats" in one

    # a task that fails shows up under lastTaskFailure
    r = cd.post("/v2/apps", json=sleeper("/emb-fail", cmd="sleep 0.2; exit 3"))
    assert r.status_code == 201, r.text

    def failure():
        a = cd.get("/v2/apps/emb-fail", params={"embed": "app.lastTaskFailure"}).json()["app"]
        return a.get("lastTaskFailure")

    f = wait_until(failure, timeout=60, what="a lastTaskFailure")
    assert f["appId"] == "/emb-fail" and f["state"] == "TASK_FAILED", f
    listed = cd.get("/v2/apps", params=[("id", "/emb-fail"),
                                        ("embed", "apps.lastTaskFailure")]).json()["apps"]
    assert listed[0]["lastTaskFailure"]["appId"] == "/emb-fail"
    assert cd.delete("/v2/apps/emb-fail", params={"force": "true"}).status_code == 200
    assert cd.delete("/v2/apps/emb").status_code == 200
    no_deployments(cd)


def test_patch_scale_versions_rollback(cd):
    create(cd, sleeper("/ver", instances=1))
    v1 = cd.app("/ver")["version"]

    r = cd.api("/v2/apps/ver", "PATCH", json={"env": {"K": "v"}})
    assert r.status_code == 200, r.text
    no_deployments(cd)
    app = cd.app("/ver")
    assert app["env"] == {"K": "v"} and app["cmd"] == "sleep 100000" and app["mem"] == 16
    r = cd.api("/v2/apps/nope", "PATCH", json={"instances": 2})
    assert r.status_code == 404, r.text

    # scale through {"instances"}: no restart, the task stays
    before = {t["id"] for t in cd.tasks("/ver")}
    r = cd.put("/v2/apps/ver", json={"instances": 2})
    assert r.status_code == 200, r.text
    cd.wait_running("/ver", 2)
    assert before <= {t["id"] for t in cd.tasks("/ver")}
    no_deployments(cd)

    versions = cd.get("/v2/apps/ver/versions").json()["versions"]
    assert len(versions) == 3 and versions[-1] == v1, versions
    old = cd.get(f"/v2/apps/ver/versions/{v1}").json()
    assert old["version"] == v1 and old["env"] == {} and old["instances"] == 1
    assert cd.get("/v2/apps/ver/versions/2001-01-01T00:00:00.000Z").status_code == 404

    r = cd.put("/v2/apps/ver", json={"version": v1})
    assert r.status_code == 200, r.text
    wait_until(lambda: len(cd.tasks("/ver")) == 1, timeout=60, what="back at 1 instance")
    app = cd.app("/ver")
    assert app["env"] == {} and app["instances"] == 1
    assert app["version"] == r.json()["version"] != v1
    no_deployments(cd)


def test_restart_replaces_every_task(cd):
    create(cd, sleeper("/rs", instances=2))
    before = {t["id"] for t in cd.tasks("/rs")}
    r = cd.post("/v2/apps/rs/restart")
    assert r.status_code == 200, r.text
    wait_until(lambda: len(cd.running_tasks("/rs")) == 2
               and not before & {t["id"] for t in cd.tasks("/rs")},
               timeout=60, what="two new tasks")
    no_deployments(cd)
    assert cd.post("/v2/apps/nope/restart").status_code == 404


def test_put_and_patch_many_apps_in_one_deployment(cd):
    with open(APPS_CREATE, encoding="utf-8") as f:
        body = json.load(f)  # upstream example: sleep60 depends on sleep120
    r = cd.put("/v2/apps", json=body)
    assert r.status_code == 200, r.text
    dep = r.json()["deploymentId"]
    assert r.headers["Marathon-Deployment-Id"] == dep
    listed = {d["id"]: d for d in cd.get("/v2/deployments").json()}
    if dep in listed:  # it may already be over
        d = listed[dep]
        assert sorted(d["affectedApps"]) == ["/test/sleep120", "/test/sleep60"]
        scale_steps = [s["actions"][0]["app"] for s in d["steps"]
                       if s["actions"][0]["action"] == "ScaleApplication"]
        assert scale_steps == ["/test/sleep120", "/test/sleep60"], d["steps"]
    cd.wait_running("/test/sleep60", 2)
    cd.wait_running("/test/sleep120", 2)
    no_deployments(cd)
    sixty = cd.tasks("/test/sleep60")
    onetwenty = cd.tasks("/test/sleep120")
    assert min(t["stagedAt"] for t in sixty) >= max(t["startedAt"] for t in onetwenty)

    # PATCH many: example_v2api_apps_patch.json
    r = cd.api("/v2/apps", "PATCH", json=[{"id": "/test/sleep60", "cpus": 0.3},
                                          {"id": "/test/sleep120", "instances": 1}])
    assert r.status_code == 200, r.text
    wait_until(lambda: len(cd.tasks("/test/sleep120")) == 1, timeout=60, what="sleep120 at 1")
    no_deployments(cd)
    assert cd.app("/test/sleep60")["cpus"] == 0.3
    r = cd.api("/v2/apps", "PATCH", json=[{"id": "/test/nope", "instances": 1}])
    assert r.status_code == 404, r.text

    # PUT many is partial by default; one bad element refuses the whole request
    r = cd.put("/v2/apps", json=[{"id": "/test/sleep120", "instances": 2},
                                 {"id": "/test/bad", "cmd": "x", "mem": -5}])
    assert r.status_code == 422, r.text
    assert r.json()["details"][0]["path"] == "/(1)/mem", r.text
    assert cd.app("/test/sleep120")["instances"] == 1
    r = cd.put("/v2/apps", data="{\"id\": 1}", headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    for a in ("test/sleep60", "test/sleep120"):
        assert cd.delete(f"/v2/apps/{a}").status_code == 200
    no_deployments(cd)


def test_kill_tasks_host_scale_wipe(cd):
    create(cd, sleeper("/kill", instances=3))
    host = cd.tasks("/kill")[0]["host"]

    r = cd.delete("/v2/apps/kill/tasks", params={"scale": "true", "wipe": "true"})
    assert r.status_code == 400, r.text

    # wipe=true: killed (and, with no volumes here, replaced like any kill)
    victim = cd.tasks("/kill")[0]["id"]
    r = cd.delete(f"/v2/apps/kill/tasks/{victim}", params={"wipe": "true"})
    assert r.status_code == 200, r.text
    assert r.json()["task"]["id"] == victim
    wait_until(lambda: len(cd.running_tasks("/kill")) == 3
               and victim not in {t["id"] for t in cd.tasks("/kill")},
               timeout=60, what="the wiped task replaced")

    # host= on another host kills nothing
    r = cd.delete("/v2/apps/kill/tasks", params={"host": "no-such-host"})
    assert r.status_code == 200 and r.json()["tasks"] == [], r.text

    # /v2/tasks?status=
    running = cd.get("/v2/tasks", params={"status": "running"}).json()["tasks"]
    assert {t["id"] for t in cd.tasks("/kill")} <= {t["id"] for t in running}
    assert all(t["state"] == "TASK_RUNNING" for t in running)
    both = cd.get("/v2/tasks", params=[("status[]", "staging"), ("status[]", "running")])
    assert len(both.json()["tasks"]) >= 3
    assert cd.get("/v2/tasks", params={"status": "killed"}).json()["tasks"] == []

    # POST /v2/tasks/delete with scale=true: one deployment for every app touched
    create(cd, sleeper("/kill2", instances=2))
    doomed = [cd.tasks("/kill")[0]["id"], cd.tasks("/kill2")[0]["id"]]
    r = cd.post("/v2/tasks/delete", params={"scale": "true"}, json={"ids": doomed})
    assert r.status_code == 200, r.text
    assert cd.app("/kill")["instances"] == 2 and cd.app("/kill2")["instances"] == 1
    wait_until(lambda: len(cd.tasks("/kill")) == 2 and len(cd.tasks("/kill2")) == 1,
               timeout=60, what="both apps scaled down")
    no_deployments(cd)
    r = cd.post("/v2/tasks/delete", json={"ids": ["not a task id"]})
    assert r.status_code == 400, r.text

    # DELETE /v2/apps/{id}/tasks?host=...&scale=true: every task there, instances to 0
    r = cd.delete("/v2/apps/kill/tasks", params={"host": host, "scale": "true"})
    assert r.status_code == 200, r.text
    assert cd.app("/kill")["instances"] == 0
    wait_until(lambda: cd.tasks("/kill") == [], timeout=60, what="every /kill task gone")
    no_deployments(cd)


def test_validation_errors(cd):
    r = cd.post("/v2/apps", json={"id": "/bad", "cmd": "x",
                                  "upgradeStrategy": {"minimumHealthCapacity": 2}})
    assert r.status_code == 422, r.text
    assert r.json()["details"][0]["path"] == "/upgradeStrategy/minimumHealthCapacity"
    r = cd.post("/v2/apps", data="{\"id\": ", headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    assert r.json()["message"] == "Invalid JSON"
    r = cd.post("/v2/apps", json=sleeper("/cyc-a", dependencies=["/cyc-a"]))
    assert r.status_code == 201, r.text  # depending on oneself is no cycle
    no_deployments(cd)
    r = cd.post("/v2/apps", json=sleeper("/cyc-b", dependencies=["/cyc-c"]))
    assert r.status_code == 201, r.text
    no_deployments(cd)
    r = cd.post("/v2/apps", json=sleeper("/cyc-c", dependencies=["/cyc-b"]))
    assert r.status_code == 422, r.text
    assert cd.get("/v2/apps/cyc-c").status_code == 404
