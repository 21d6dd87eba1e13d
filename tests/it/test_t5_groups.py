"""t5: the /v2/groups tree (SPEC section 5, groups.raml), against the real binary.

Groups are path prefixes of app ids; a group created empty persists (also across a
restart). POST creates (409 when it exists), PUT creates or updates (apps left out are
removed, scaleBy scales every app below, {"version"} rolls back), DELETE removes the apps
below. Dependencies order the deployment's steps: an app starts only once the apps it
depends on run, and a cycle is refused with 422. Every answer is checked against
Marathon's shapes (marathon_shapes: schema_v1.7_Group.json and AppInfo).
"""

import json
import os

import marathon_shapes as ms
from clusterd_harness import holds_for, wait_until

SLEEP_GROUP = os.path.join(ms.DATA_DIR, "systemtest_groups_sleep-group.json")


def sleeper(app_id, **kw):
    app = {"id": app_id, "cmd": "sleep 100000", "cpus": 0.05, "mem": 16}
    app.update(kw)
    return app


def no_deployments(cd, timeout=60):
    wait_until(lambda: cd.get("/v2/deployments").json() == [], timeout=timeout,
               what="no running deployment")


def app_ids(group):
    out = [a["id"] for a in group.get("apps", [])]
    for g in group.get("groups", []):
        out += app_ids(g)
    return sorted(out)


def sleep_group_body():
    if os.path.exists(SLEEP_GROUP):
        with open(SLEEP_GROUP, encoding="utf-8") as f:
            return json.load(f)
    # the same upstream system-test file, should the data copy be missing
    return {"id": "/sleep-group", "apps": [], "dependencies": [], "groups": [
        {"id": "/sleep-group/sleep", "dependencies": [], "groups": [], "apps": [
            {"id": f"/sleep-group/sleep/goodnight-{i}", "cmd": "sleep 1000", "cpus": 0.01,
             "mem": 32, "disk": 0, "instances": 1, "dependencies": []} for i in (1, 2)]}]}


def test_group_tree_lifecycle(clusterd):
    cd = ms.checked(clusterd)
    body = sleep_group_body()
    r = cd.post("/v2/groups", json=body)
    assert r.status_code == 201, r.text
    assert r.headers["Marathon-Deployment-Id"] == r.json()["deploymentId"]
    first_version = r.json()["version"]
    apps = ["/sleep-group/sleep/goodnight-1", "/sleep-group/sleep/goodnight-2"]
    for a in apps:
        cd.wait_running(a, 1)
    no_deployments(cd)

    r = cd.post("/v2/groups", json=body)
    assert r.status_code == 409, r.text
    assert r.json()["message"] == ("Group /sleep-group is already created. "
                                   "Use PUT to change this group.")

    root = cd.get("/v2/groups").json()
    assert root["id"] == "/"
    assert [g["id"] for g in root["groups"]] == ["/sleep-group"]
    assert app_ids(root) == apps
    sub = cd.get("/v2/groups/sleep-group/sleep").json()
    assert sub["id"] == "/sleep-group/sleep" and sub["groups"] == []
    assert [a["id"] for a in sub["apps"]] == apps
    assert all(a["tasksRunning"] == 1 for a in sub["apps"]), sub
    only_apps = cd.get("/v2/groups/sleep-group", params={"embed": "group.apps"}).json()
    assert "groups" not in only_apps and only_apps["apps"] == []
    with_tasks = cd.get("/v2/groups/sleep-group/sleep",
                        params=[("embed", "group.apps"), ("embed", "group.apps.tasks")]).json()
    assert all(len(a["tasks"]) == 1 for a in with_tasks["apps"]), with_tasks
    r = cd.get("/v2/groups/no-such-group")
    assert r.status_code == 404, r.text
    assert r.json()["message"] == "Group '/no-such-group' does not exist"

    # scaleBy scales every app below the group
    r = cd.put("/v2/groups/sleep-group", json={"scaleBy": 2})
    assert r.status_code == 200, r.text
    for a in apps:
        cd.wait_running(a, 2)
    no_deployments(cd)
    assert all(cd.app(a)["instances"] == 2 for a in apps)

    # versions, and a rollback to the first one
    versions = cd.get("/v2/groups/sleep-group/versions").json()
    assert versions[-1] == first_version and len(versions) == 2, versions
    r = cd.put("/v2/groups/sleep-group", json={"version": first_version})
    assert r.status_code == 200, r.text
    for a in apps:
        wait_until(lambda a=a: len(cd.tasks(a)) == 1, timeout=60, what=f"{a} back at 1")
    assert all(cd.app(a)["instances"] == 1 for a in apps)
    no_deployments(cd)

    # a PUT that leaves an app out removes it; one that names a new app starts it
    r = cd.put("/v2/groups/sleep-group/sleep", json={
        "id": "/sleep-group/sleep",
        "apps": [sleeper("goodnight-1", cmd="sleep 1000", cpus=0.01, mem=32),
                 sleeper("goodnight-3")]})
    assert r.status_code == 200, r.text
    cd.wait_running("/sleep-group/sleep/goodnight-3", 1)
    wait_until(lambda: cd.get("/v2/apps/sleep-group/sleep/goodnight-2").status_code == 404,
               timeout=30, what="goodnight-2 removed")
    no_deployments(cd)

    r = cd.delete("/v2/groups/sleep-group")
    assert r.status_code == 200, r.text
    wait_until(lambda: cd.get("/v2/tasks").json()["tasks"] == [], timeout=60,
               what="every task of the group gone")
    assert cd.get("/v2/apps").json()["apps"] == []
    assert cd.get("/v2/groups/sleep-group").status_code == 404


def test_dependencies_order_the_start(clusterd):
    cd = ms.checked(clusterd)
    # /dep/a cannot reach its 3 instances (3 x 1.5 cpus on 4): its step never ends, so
    # /dep/b, which depends on it, must not start.
    r = cd.post("/v2/groups", json={"id": "/dep", "apps": [
        sleeper("b", dependencies=["/dep/a"]),
        sleeper("a", cpus=1.5, instances=3)]})
    assert r.status_code == 201, r.text
    dep = r.json()["deploymentId"]
    wait_until(lambda: len(cd.running_tasks("/dep/a")) == 2, timeout=60,
               what="2 instances of /dep/a")
    d = cd.get("/v2/deployments").json()[0]
    assert d["id"] == dep
    assert d["steps"] == [
        {"actions": [{"action": "StartApplication", "app": "/dep/a"},
                     {"action": "StartApplication", "app": "/dep/b"}]},
        {"actions": [{"action": "ScaleApplication", "app": "/dep/a"}]},
        {"actions": [{"action": "ScaleApplication", "app": "/dep/b"}]}]
    assert [a["app"] for a in d["currentActions"]] == ["/dep/a"]
    holds_for(lambda: cd.tasks("/dep/b") == [], duration=1.5,
              what="/dep/b held back while /dep/a is not running")

    # once /dep/a can run all its instances, /dep/b follows
    r = cd.put("/v2/apps/dep/a", params={"force": "true"}, json={"instances": 2})
    assert r.status_code == 200, r.text
    b = cd.wait_running("/dep/b", 1)[0]
    no_deployments(cd)
    a_started = max(t["startedAt"] for t in cd.running_tasks("/dep/a"))
    assert b["stagedAt"] >= a_started, (b, a_started)

    # a fresh group whose apps all fit: the dependent starts after its dependency runs
    r = cd.post("/v2/groups", json={"id": "/chain", "apps": [
        sleeper("web", dependencies=["../chain/db"]), sleeper("db", instances=2)]})
    assert r.status_code == 201, r.text
    web = cd.wait_running("/chain/web", 1)[0]
    db = cd.wait_running("/chain/db", 2)
    assert web["stagedAt"] >= max(t["startedAt"] for t in db), (web, db)
    assert cd.app("/chain/web")["dependencies"] == ["/chain/db"]


def test_invalid_groups_are_refused(clusterd):
    cd = ms.checked(clusterd)
    r = cd.post("/v2/groups", json={"id": "/cyc", "apps": [
        sleeper("x", dependencies=["/cyc/y"]), sleeper("y", dependencies=["/cyc/x"])]})
    assert r.status_code == 422, r.text
    assert "cyclic" in r.json()["details"][0]["errors"][0]
    # groups.raml's 422 example
    r = cd.post("/v2/groups", json={"id": "/group", "apps": [sleeper("/app")]})
    assert r.status_code == 422, r.text
    assert r.json()["details"] == [{
        "path": "/apps(0)/id",
        "errors": ["identifier /app is not child of /group. Hint: use relative paths."]}]
    r = cd.post("/v2/groups", json={"id": "/g", "groups": [
        {"id": "sub", "apps": [{"id": "bad", "cmd": "sleep 1", "cpus": -1}]}]})
    assert r.status_code == 422, r.text
    assert r.json()["details"][0]["path"] == "/groups(0)/apps(0)/cpus", r.text
    r = cd.post("/v2/groups", data="{\"id\": ", headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    assert cd.get("/v2/apps").json()["apps"] == []
    assert cd.get("/v2/groups").json()["groups"] == []


def test_empty_group_persists(clusterd):
    cd = ms.checked(clusterd)
    r = cd.post("/v2/groups", json={"id": "/empty/inner", "dependencies": ["/other"]})
    assert r.status_code == 201, r.text
    cd.restart()
    g = cd.get("/v2/groups/empty/inner").json()
    assert g["id"] == "/empty/inner" and g["apps"] == [] and g["groups"] == []
    assert g["dependencies"] == ["/other"]
    assert [x["id"] for x in cd.get("/v2/groups/empty").json()["groups"]] == ["/empty/inner"]
    r = cd.delete("/v2/groups/empty")
    assert r.status_code == 200, r.text
    assert cd.get("/v2/groups/empty/inner").status_code == 404
