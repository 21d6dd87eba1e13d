"""t5: deployments (SPEC section 5, deployments.raml), against the real binary.

Every change answers {"deploymentId", "version"} with the Marathon-Deployment-Id header;
GET /v2/deployments lists what still runs; an app under a running deployment is locked
(409 with the deployments list) unless force=true; DELETE /v2/deployments/{id} rolls back
with a new deployment, or with force=true only stops it (202, no body); deployments survive
a restart. A deployment is kept running by asking for more instances than the agent's
4 cpus hold. Every answer is checked against Marathon's shapes (marathon_shapes).
"""

import marathon_shapes as ms
from clusterd_harness import holds_for, wait_until

LOCK_MESSAGE = ("App is locked by one or more deployments. Override with the option "
                "'?force=true'. View details at '/v2/deployments/{}'.")


def sleeper(app_id, instances=1, cpus=0.1, **kw):
    app = {"id": app_id, "cmd": "sleep 100000", "cpus": cpus, "mem": 16,
           "instances": instances}
    app.update(kw)
    return app


def deployments(cd):
    r = cd.get("/v2/deployments")
    assert r.status_code == 200, r.text
    return r.json()


def no_deployments(cd, timeout=60):
    wait_until(lambda: deployments(cd) == [], timeout=timeout, what="no running deployment")


def running(cd, app_id):
    return [t for t in cd.tasks(app_id) if t["state"] == "TASK_RUNNING"]


def stuck_deployment(cd, app_id, instances):
    """Ask for more cpus:1 instances than fit: the deployment stays at its scale step."""
    r = cd.put(f"/v2/apps/{app_id.lstrip('/')}", json={"instances": instances})
    assert r.status_code == 200, r.text
    dep = r.json()["deploymentId"]
    wait_until(lambda: len(running(cd, app_id)) == 4, timeout=60, what="4 of the instances")
    return dep


def test_every_change_answers_a_deployment(clusterd):
    cd = ms.checked(clusterd)
    r = cd.post("/v2/apps", json=sleeper("/every"))
    assert r.status_code == 201, r.text
    header = r.headers.get("Marathon-Deployment-Id")
    assert header and [d["id"] for d in r.json()["deployments"]] == [header], r.text
    cd.wait_running("/every", 1)
    no_deployments(cd)
    assert cd.app("/every")["deployments"] == []

    for method, path, body in (("PUT", "/v2/apps/every", {"instances": 2}),
                               ("PATCH", "/v2/apps/every", {"cmd": "sleep 100001"}),
                               ("POST", "/v2/apps/every/restart", None),
                               ("DELETE", "/v2/apps/every", None)):
        r = cd.api(path, method, json=body)
        assert r.status_code == 200, (method, path, r.text)
        result = r.json()
        assert set(result) == {"deploymentId", "version"}, result
        assert r.headers["Marathon-Deployment-Id"] == result["deploymentId"]
        no_deployments(cd)
    assert cd.get("/v2/apps/every").status_code == 404
    wait_until(lambda: cd.get("/v2/tasks").json()["tasks"] == [], timeout=30,
               what="the tasks of the deleted app gone")


def test_locked_app_answers_409_until_forced(clusterd):
    cd = ms.checked(clusterd)
    r = cd.post("/v2/apps", json=sleeper("/locked", cpus=1))
    assert r.status_code == 201, r.text
    cd.wait_running("/locked", 1)
    no_deployments(cd)
    dep = stuck_deployment(cd, "/locked", 6)

    # GET /v2/deployments shows the running one, in Marathon's shape (checked by the hook)
    listed = deployments(cd)
    assert [d["id"] for d in listed] == [dep], listed
    d = listed[0]
    assert d["affectedApps"] == ["/locked"]
    assert d["totalSteps"] == len(d["steps"]) == 1
    assert d["currentStep"] == 1
    assert d["currentActions"] == [{"action": "ScaleApplication", "app": "/locked",
                                    "readinessCheckResults": []}]
    assert cd.app("/locked")["deployments"] == [{"id": dep}]
    holds_for(lambda: len(running(cd, "/locked")) == 4, duration=1.0,
              what="4 instances while 6 cannot fit")

    # every kind of change is refused while it runs
    for method, path, body in (("PUT", "/v2/apps/locked", {"instances": 2}),
                               ("PATCH", "/v2/apps/locked", {"instances": 2}),
                               ("POST", "/v2/apps/locked/restart", None),
                               ("DELETE", "/v2/apps/locked", None),
                               ("PUT", "/v2/apps", [{"id": "/locked", "instances": 2}])):
        r = cd.api(path, method, json=body)
        assert r.status_code == 409, (method, path, r.status_code, r.text)
        body = r.json()
        assert body["message"] == LOCK_MESSAGE.format(dep), body
        assert body["deployments"] == [{"id": dep}], body
    tid = running(cd, "/locked")[0]["id"]
    r = cd.delete(f"/v2/apps/locked/tasks/{tid}", params={"scale": "true"})
    assert r.status_code == 409, r.text
    assert cd.app("/locked")["instances"] == 6, "a refused change changed the app"

    # force=true cancels the old deployment and proceeds
    r = cd.put("/v2/apps/locked", params={"force": "true"}, json={"instances": 2})
    assert r.status_code == 200, r.text
    forced = r.json()["deploymentId"]
    assert forced != dep
    assert dep not in {d["id"] for d in deployments(cd)}
    wait_until(lambda: len(cd.tasks("/locked")) == 2 and len(running(cd, "/locked")) == 2,
               timeout=60, what="scaled down to 2")
    no_deployments(cd)
    assert cd.app("/locked")["instances"] == 2


def test_delete_deployment_rolls_back(clusterd):
    cd = ms.checked(clusterd)
    r = cd.post("/v2/apps", json=sleeper("/back", instances=2, cpus=1))
    assert r.status_code == 201, r.text
    cd.wait_running("/back", 2)
    no_deployments(cd)
    before = cd.app("/back")
    dep = stuck_deployment(cd, "/back", 7)
    assert cd.app("/back")["instances"] == 7

    r = cd.delete(f"/v2/deployments/{dep}")
    assert r.status_code == 200, r.text
    rollback = r.json()
    assert rollback["deploymentId"] != dep
    assert r.headers["Marathon-Deployment-Id"] == rollback["deploymentId"]
    assert dep not in {d["id"] for d in deployments(cd)}

    app = cd.app("/back")
    assert app["instances"] == 2, "the rollback did not restore the instances"
    assert app["cmd"] == before["cmd"] and app["cpus"] == before["cpus"]
    wait_until(lambda: len(cd.tasks("/back")) == 2 and len(running(cd, "/back")) == 2,
               timeout=60, what="back at 2 running instances")
    no_deployments(cd)
    versions = cd.get("/v2/apps/back/versions").json()["versions"]
    assert rollback["version"] in versions and len(versions) == 3, versions

    r = cd.delete(f"/v2/deployments/{dep}")
    assert r.status_code == 404, r.text
    assert r.json()["message"] == f"DeploymentPlan {dep} does not exist"


def test_delete_deployment_with_force_only_stops(clusterd):
    cd = ms.checked(clusterd)
    r = cd.post("/v2/apps", json=sleeper("/stop", cpus=1))
    assert r.status_code == 201, r.text
    cd.wait_running("/stop", 1)
    no_deployments(cd)
    dep = stuck_deployment(cd, "/stop", 5)

    r = cd.delete(f"/v2/deployments/{dep}", params={"force": "true"})
    assert r.status_code == 202, r.text
    assert r.text == ""
    assert deployments(cd) == []
    # nothing is rolled back: the app keeps its definition and its tasks, and is no
    # longer locked
    assert cd.app("/stop")["instances"] == 5
    assert len(running(cd, "/stop")) == 4
    r = cd.put("/v2/apps/stop", json={"instances": 1})
    assert r.status_code == 200, r.text
    wait_until(lambda: len(cd.tasks("/stop")) == 1, timeout=60, what="scaled down to 1")


def test_new_app_plan_and_restart_survival(clusterd):
    cd = ms.checked(clusterd)
    r = cd.post("/v2/apps", json=sleeper("/big", instances=6, cpus=1))
    assert r.status_code == 201, r.text
    dep = r.headers["Marathon-Deployment-Id"]
    wait_until(lambda: len(running(cd, "/big")) == 4, timeout=60, what="4 of 6 instances")
    d = deployments(cd)[0]
    # example_v2api_deployment_steps.json: a new app is started, then scaled
    assert d["id"] == dep
    assert d["steps"] == [{"actions": [{"action": "StartApplication", "app": "/big"}]},
                          {"actions": [{"action": "ScaleApplication", "app": "/big"}]}]
    assert (d["currentStep"], d["totalSteps"]) == (2, 2)

    cd.restart()
    after = deployments(cd)
    assert [x["id"] for x in after] == [dep], "the deployment did not survive a restart"
    assert after[0]["currentStep"] == 2
    assert cd.put("/v2/apps/big", json={"instances": 1}).status_code == 409
    r = cd.put("/v2/apps/big", params={"force": "true"}, json={"instances": 4})
    assert r.status_code == 200, r.text
    no_deployments(cd)
    assert len(running(cd, "/big")) == 4
